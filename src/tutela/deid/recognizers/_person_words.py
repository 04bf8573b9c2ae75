"""The word lists the PERSON recognizer weighs: titles, particles, words that end a name,
company and street words, names that are also everyday words, and the last words before a
name that let each context pattern match."""

from __future__ import annotations

from tutela.deid.recognizers._lexicon import wordset

TITLES = wordset(
    "Mr Mrs Ms Miss Mx Dr Prof Professor Herr Frau Mme Mlle Monsieur Madame Mademoiselle Sr "
    "Sra Srta Señor Señora Señorita Doña Dña Don Sig Sigra Signor Signora Signorina Dott Dottor "
    "Dottoressa Ing Avv Dhr Mevr Mevrouw Meneer Sir Dame Lady Lord"
)
PARTICLES = wordset(
    "van der den de von vom zu zum zur del della delle dei degli di da du des dos das ten ter "
    "te le la het bin al"
)
# Capitalised words that end a name candidate: sentence openers, greetings, pronouns, days
# and months that are not also names, and words naming roles, things or places.
BREAKERS = wordset(
    """
    The This That These Those There Then Than Here It Its We Our You Your They Their He His She
    Her I Me My Mine Us A An And Or But So If When While Where What Why How Who Whom Which
    Please Thank Thanks Thx Hi Hello Hey Hiya Dear Regards Best Kind Warm Cheers Sincerely Yours
    Greetings Good Morning Afternoon Evening Night Welcome Yes No Not Ok Okay At In On Of For
    From To With By Via After Before Since Until During About Also Just Only Yesterday Today
    Tomorrow Tonight Now Still Again Maybe Perhaps Sorry Note Update Re Fwd Subject Date Sent Cc
    Bcc Attn Ticket Order Invoice Account Customer Client Support Team Agent Service Manager
    Billing Admin Department Office Company Product Store Shop Monday Tuesday Wednesday Thursday
    Friday Saturday Sunday January February March July September October November December Feb
    Apr Jun Jul Aug Sep Sept Oct Nov Dec Montag Dienstag Mittwoch Donnerstag Freitag Samstag
    Sonntag Januar Februar März Juni Juli Oktober Dezember Lundi Mardi Mercredi Jeudi Vendredi
    Samedi Dimanche Janvier Février Mars Avril Mai Juin Juillet Août Septembre Octobre Novembre
    Décembre Lunes Martes Miércoles Jueves Viernes Sábado Enero Febrero Marzo Junio Agosto
    Septiembre Octubre Noviembre Diciembre Lunedì Martedì Mercoledì Giovedì Venerdì Sabato
    Gennaio Febbraio Aprile Maggio Giugno Luglio Settembre Ottobre Dicembre Maandag Dinsdag
    Woensdag Donderdag Vrijdag Zaterdag Zondag Januari Februari Maart Mei Juli Augustus Der Die
    Das Ein Eine Ich Wir Sie Er Es Ihr Bitte Danke Hallo Liebe Lieber Sehr Geehrte Geehrter
    Guten Tag Mit Freundlichen Grüßen Gruß Viele Beste Je Nous Vous Il Elle Ils Les Une Bonjour
    Bonsoir Merci Cher Chère Chers Cordialement Salutations Madame Monsieur El Los Las Yo Usted
    Hola Gracias Saludos Estimado Estimada Atentamente Buenos Buenas Io Noi Lei Ciao Grazie
    Gentile Cordiali Saluti Buongiorno Distinti Cara Ik Wij Jij Hij Zij Het Een Hoi Beste
    Geachte Bedankt Groeten Vriendelijke Groet Name Full Contact Email Phone Address Street City
    Country Postcode Zip Total Amount Payment Refund Delivery Shipping Package Parcel Item Items
    Number Code Reference Summary Keywords Version License Author Description Requires
    Classifier Homepage Subject Priority Category Resolution Product Model Serial Browser Device
    Platform Documentation Transaction Requester Website Web Status Issue Problem Request Case
    Question Answer Error Password Login Card Bank Care Desk Success Relations Experience
    Helpdesk Grüße Grüsse Islands Island Republic Kingdom States God Christmas Easter Internet
    Google Apple Microsoft Amazon Windows Linux Android Spanish Italian Dutch European American
    British
    """
)
# Words after which a name is a company: "Johnson Ltd", "Schmidt GmbH", "Rossi & Figli".
ORG_WORDS = wordset(
    """
    Inc Incorporated Ltd Limited LLC LLP PLC Plc Corp Corporation Co Company Group Holdings
    GmbH AG KG SE SA SAS SARL SL SRL Srl SpA BV NV Bank Insurance Foundation Institute
    University Universität Université Universidad Università Hospital Clinic Klinik Hotel
    Restaurant Cafe Café Bakery School College Church Partners Associates Consulting
    Solutions Systems Technologies Services Logistics Motors Pharma Labs Studio Studios
    Agency Media Software Airlines Airways Stiftung Verlag Bakkerij
    """
)
STREET_WORDS = wordset(
    """
    Street St Road Rd Avenue Ave Lane Ln Drive Boulevard Blvd Court Ct Place Pl Way Terrace
    Close Crescent Square Gardens Grove Row Mews Hill Park Parkway Highway Circle Trail
    Alley Walk View Heights Estate Estates Green Ridge Path Pike Plaza Loop Bridge Brook
    Creek Crossing Station Stream Light Lights Forge Forges Fork Forks Harbor Haven Island
    Junction Key Knoll Lake Landing Lodge Manor Meadow Meadows Mill Mills Mission Mount
    Orchard Pass Passage Point Port Prairie Ranch Rapids Shore Shores Spring Springs Summit
    Trace Track Turnpike Union Valley Village Vista Well Wells Straße Strasse Str Weg Gasse
    Platz Allee Ring Straat Laan Gracht Plein Steeg Singel Dreef Rue Avenida Calle Via Viale
    Piazza Strada Corso Vicolo Paseo Camino Rambla Carrer Largo Borgo Contrada Rotonda
    """
)
# Also ordinary words: standing alone at the start of a sentence they need more evidence.
AMBIGUOUS = wordset(
    """
    Will May Mark Rose Grace Bill Hope Faith Joy Summer Dawn June April August Art Chase
    Hunter Mason Parker Page Price Best Long Young White Black Green Brown Love Hall King
    Rich Small Ford Banks Wells Hill Lane Field Park Case Stone Wood Bird Fox Swift Bond Day
    Knight Moon Post Sunny Amber Ruby Crystal Holly Ivy Iris Violet Jade Pearl Dale Glen
    Guy Rob Pat Sue Jack Frank Ray Don Drew Gene Miles Chance Sage Reed Cash Gross Klein
    Lang Weiss Braun Koch Wolf Winter Sommer Berg Stein Fuchs Vogel Schwarz Roth Lange Kurz
    Bauer Blanc Petit Grand Leblanc Rosa Luz Paz Sol Mar Cruz Santos Costa Conti Gallo
    Leone Visser Smit Bos Kok Vos Baker Cook Turner Walker Jordan Austin Florence Victoria
    Georgia Virginia Carolina Sydney Chelsea Orlando Paris Madrid Roma Washington Jackson
    Houston Christian Angel Carmen Dolores Mercedes Pilar Nieves Sonnig Ernst Frieda Fee Abril
    Domingo Julio Mayo Jesus Caro Price Sales English French German
    """
)
# After "Hi"/"Dear": words that address a group or a role, not a person.
NOT_ADDRESSEES = wordset(
    """
    team all there everyone everybody folks guys friends friend colleagues colleague sir
    madam madame customer customers client clients valued member members user users support
    partner partners world again both you y'all people sales billing admin manager
    """
)
VERB_CUES = wordset(
    "contact contacted call called email emailed phone phoned tell told ask asked inform "
    "informed thank thanked meet met introduce introduced"
)
# Last words before a name that let each context pattern match (checked before running it).
TITLE_CUES = wordset(
    "mr mrs ms miss mx dr prof professor herr frau m mme mlle monsieur madame mademoiselle sr "
    "sra srta señor señora señorita doña dña don d sig sig.ra sig.na sigra signor signora "
    "signorina dott dott.ssa dottor dottoressa ing avv sir dame lady lord dhr mevr mevrouw "
    "meneer heer"
)
GREETING_CUES = wordset(
    "dear hi hello hey hiya howdy morning afternoon evening hallo liebe lieber moin servus "
    "bonjour bonsoir salut cher chère hola estimado estimada querido querida días tardes ciao "
    "salve gentile gentilissimo gentilissima caro cara buongiorno buonasera beste geachte hoi "
    "goedemorgen goedemiddag welcome thanks thank you thx cheers danke merci gracias grazie "
    "bedankt"
)
PHRASE_CUES = wordset(
    "is was am i'm this it's me with to by of o for partner daughter son wife husband mother "
    "father brother sister colleague manager supervisor customer client caller agent "
    "technician driver courier tenant landlord patient doctor and or cc ist bin appelle suis "
    "contact contacted call called email emailed phone phoned tell told ask asked inform "
    "informed thank thanked meet met introduce introduced "
    "ici llamo es soy chiamo sono ben met kunde kundin cliente klant herr herrn c/o"
)
STREET_CUES = wordset(
    "rue avenue av bd boulevard chemin allée impasse place quai route cours calle c/ avda "
    "avenida plaza paseo camino ronda carrer travesía via viale piazza piazzale strada corso "
    "vicolo largo contrada borgo rotonda canale urbanización glorieta callejón alameda rambla "
    "pasaje cuesta am der im zum zur de del della di du des dei la le l' d'"
)
# The particles as a regex alternation, longest first: "van der" before "van".
LOWER_PARTICLES = (
    "van der|van den|van de|van het|van 't|von der|von dem|de la|de los|de las|"
    "van|von|vom|zu|zum|zur|der|den|de|del|della|delle|dei|degli|di|da|du|des|dos|das|"
    "ten|ter|te|le|la|het|'t|bin|al"
)
