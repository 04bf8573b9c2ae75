"""The regular expressions of postal addresses, per locale: streets, units, postcode blocks.

Each street shape is matched at a known position (a house number, or a street-type word found
by a word scan), never searched for across the whole text: alternations of street types are
slow to search position by position, and cheap to confirm where a trigger word stands.
"""

from __future__ import annotations

import re
from functools import cache

from tutela.deid.recognizers._lexicon import street_suffixes, wordset

UPPER = "A-ZÀ-ÖØ-ÞĀĂĄĆČĎĐĒĖĘĚĞĪĮİŁŃŇŌŐŒŘŚŞŠŢŤŪŮŰŲŹŻŽ"
LOWER = "a-zß-öø-ÿ\u0100-\u017f"
_AP = "'\u2019"
# A capitalised word of a street or city name: "Baker", "Saint-Germain", "O'Connell".
WORD = (
    rf"(?:[dDlL][{_AP}])?[{UPPER}][{LOWER}{UPPER}{_AP}]*"
    rf"(?:-[{UPPER}{LOWER}][{LOWER}{UPPER}{_AP}]*)*"
)
NAME_WORD = rf"(?:{WORD}|\d{{1,3}}(?:st|nd|rd|th)|St\.|Mt\.|Ft\.)"
_NUMBER_REST = r"\d{0,5}[A-Za-z]?(?:[ \t]?[-/][ \t]?\d{1,5}[A-Za-z]?)?(?!\w|[.,/-]\d)"
NUMBER = rf"\d{_NUMBER_REST}"
UNIT_WORDS = wordset(
    "apt apartment appt suite ste unit flat studio floor fl room rm building bldg block piso "
    "puerta planta escalera esc appartamento piano interno int scala app étage bâtiment bât "
    "wohnung whg etage bus"
)
UNIT = (
    rf"(?:(?i:{'|'.join(sorted(UNIT_WORDS, key=len, reverse=True))}))\.?[ \t]*"
    r"(?:#|No\.?|Nr\.?|n[º°o]\.?)?[ \t]*[\dA-Z][\w-]{0,5}(?!\w)|#[ \t]?\d[\w-]{0,5}(?!\w)"
)
DIRECTION = r"(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)(?![\w])"
SEP = r"(?:[ \t]*,[ \t]*(?:\r?\n[ \t]*)?|[ \t]*\r?\n[ \t]*)"
# Street types written after the name in English; the others Faker lists are weak evidence
# ("Light", "Stream"): everyday words too.
EN_STRONG_TYPES = (
    "Street|St|Road|Rd|Avenue|Ave|Av|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|Place|Pl|Way"
    "|Terrace|Ter|Close|Cl|Crescent|Cres|Square|Sq|Parkway|Pkwy|Highway|Hwy|Circle|Cir"
    "|Gardens|Gdns|Mews|Grove|Row|Trail|Trl|Alley|Expressway|Freeway|Turnpike|Broadway"
)
FR_TYPES = wordset(
    "rue avenue av boulevard bd bld chemin allée allee impasse place quai route cours square "
    "passage voie sentier faubourg fbg rond esplanade promenade cité hameau lieu résidence "
    "parvis montée ruelle traverse"
)
FR_CONNECT = rf"(?:(?:de la|de|des|du|la|le|les|aux|au|sur|et|en)[ \t]+|(?:de[ \t]+)?[dl][{_AP}])"
ROMANCE_TYPES = wordset(
    "calle c avenida avda av plaza pza paseo camino carrer ronda travesía glorieta "
    "urbanización callejón cañada alameda acceso rambla pasaje cuesta pasadizo vial via viale "
    "piazza piazzale corso strada vicolo largo borgo contrada rotonda incrocio stretto canale "
    "lungomare località loc traversa salita rua travessa"
)
ROMANCE_CONNECT = (
    r"(?:(?:de la|de las|de los|del|de|della|delle|dei|degli|dello|di|da|dal|la|las|los|el"
    rf"|le|y|e)[ \t]+|(?:de[ \t]+)?[dl][{_AP}])"
)
# German and Dutch street endings. Weak ones end surnames and ordinary words too.
DE_NL_STRONG = (
    "straße",
    "strasse",
    "str",
    "gasse",
    "allee",
    "chaussee",
    "straat",
    "laan",
    "gracht",
    "plein",
    "kade",
    "singel",
    "dreef",
    "steeg",
)
DE_NL_WEAK = (
    "weg",
    "platz",
    "ring",
    "damm",
    "ufer",
    "steig",
    "pfad",
    "markt",
    "pad",
    "baan",
    "dijk",
    "hof",
    "wal",
    "boulevard",
    "park",
)
CITY_WORD = rf"(?:St\.|Ste\.|[{_AP}]s-)?{WORD}(?:(?<=\b[{UPPER}])\.)?"
CITY_CONNECT = (
    "am|an|der|den|dem|im|in|bei|ob|sur|sous|lès|les|la|le|de|del|della|di|en|aan|op|upon"
    "|on|the|y|a|al|lido|mare|ligure|veneto|terme|sardo|umbro|laziale|calabro|salentino"
)
# Cities: capitalised words, joined by short lower-case words ("Frankfurt am Main", "Kring van
# Dorth", "St. Peter b. Lajen"). Only spaces between words: a tab or newline ends the city.
CITY = (
    rf"(?:(?:de|het|den|le|la|les|el|il|lo) )?(?:{CITY_WORD})(?: (?:[{LOWER}]{{1,5}}\.? )?"
    rf"(?:{CITY_WORD})| (?:{CITY_CONNECT})(?=[\s,.;)]|$)){{0,6}}"
)
US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV"
    "|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|AS|GU|MP|PR|VI|AA|AE"
    "|AP|FM|MH|PW"
)
UK_POSTCODE = r"(?:GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2})(?![\w])"
_PROVINCE = r"(?:[ \t]*\([A-Z]{2}\))?"

# Postcode blocks after a street, tried in order; the city is cut where a sentence begins.
TAILS = (
    re.compile(
        rf"(?:{SEP}|[ \t]+)(?P<city>{CITY}),?[ \t]+(?:{US_STATES})[ \t]+\d{{5}}(?:-\d{{4}})?"
        r"(?!\d)"
    ),
    re.compile(rf"(?:{SEP}|[ \t]+)(?:(?P<city>{CITY})(?:{SEP}|[ \t]+))?{UK_POSTCODE}"),
    re.compile(rf"(?:{SEP}|[ \t]+)(?:[A-Z]{{1,2}}-)?\d{{5}},?[ \t]+(?P<city>{CITY}){_PROVINCE}"),
    re.compile(
        rf"(?:{SEP}|[ \t]+)\d{{4}}[ \t]?[A-Z]{{2}}(?:[ \t]+|{SEP})(?P<city>{CITY}){_PROVINCE}"
    ),
    re.compile(rf"{SEP}(?P<city>{CITY}),?[ \t]+\d{{5}}(?!\d)"),
)
CITY_ONLY_TAIL = re.compile(rf"{SEP}(?P<city>{CITY})")
LEADING_UNIT = re.compile(rf"(?:{UNIT})(?:[ \t]*,[ \t]*|[ \t]*\r?\n[ \t]*|[ \t]+)\Z")
# Words that end a city name: the next sentence has begun.
NOT_CITY = wordset(
    "The This That Please Thanks Thank I We You My Our He She It They Tel Phone Email Mobile "
    "Call Ph Fax Note Order Invoice See Since Error Reply Date Best Kind Regards Cheers Und "
    "And Bitte Merci Grazie Gracias Danke Customer Card IBAN Transaction Your"
)

# Triggers: the word scan finds street-type words; numbers start English-style streets.
WORD_SCAN = re.compile(r"[^\W\d_]+")
FRENCH_NUMBER_BEFORE = re.compile(r"(?<![\w.,/-])\d{1,5}(?:[ \t]?(?:bis|ter|[A-D]))?,?[ \t]+\Z")
TOKEN_BEFORE = re.compile(rf"(?:{WORD} (?=[{UPPER}][\w{_AP}]*-))?[\w{_AP}-]*\Z")
WORDS_BEFORE = re.compile(rf"(?:{WORD}[ \t]){{1,2}}\Z")
FRENCH = re.compile(
    rf"(?P<type>(?i:{'|'.join(FR_TYPES)}))\.?[ \t]+{FR_CONNECT}*{WORD}"
    rf"(?:[ \t]+{FR_CONNECT}*{WORD}){{0,4}}"
)
TYPE_FIRST = re.compile(
    rf"(?P<type>(?i:{'|'.join(sorted(ROMANCE_TYPES, key=len, reverse=True))}))"
    rf"(?:(?<=[Cc])/[ \t]*|\.?[ \t]+){ROMANCE_CONNECT}*{WORD}"
    rf"(?:[ \t]+{ROMANCE_CONNECT}*{WORD}){{0,4}}?,?[ \t]+"
    rf"(?:(?:n[º°o]\.?|núm\.?|num\.?|nr\.?)[ \t]*)?(?P<number>{NUMBER}|s/n)"
    rf"(?:,?[ \t]+(?:{UNIT}))*"
)
_UNIT_AFTER = rf"(?:,?[ \t]+(?:{UNIT}))?"
COMPOUND = re.compile(
    rf"(?:(?:{WORD}[ \t]){{1,2}}(?:Straße|Strasse|Str\.|Weg|Gasse|Platz|Allee|Ring|Damm"
    rf"|Ufer|Chaussee|Markt|Straat|Laan|Gracht|Plein|Kade|Singel)"
    rf"|(?:{WORD} )?[{UPPER}][\w{_AP}-]+?(?:(?i:{'|'.join(DE_NL_STRONG)})\.?"
    rf"|(?P<weak>(?i:{'|'.join(DE_NL_WEAK)}))))"
    rf"(?:(?<=\.)|(?!\w))[ \t]*,?[ \t]+(?P<number>{NUMBER}){_UNIT_AFTER}"
)
DE_SEPARATE = wordset(
    "Straße Strasse Str Weg Gasse Platz Allee Ring Damm Ufer Chaussee Markt Straat Laan "
    "Gracht Plein Kade Singel"
)
DE_NL_SUFFIXES = DE_NL_STRONG + DE_NL_WEAK
# Words that start a shape (case-folded); the others trigger one only by a suffix above.
TYPE_WORDS = UNIT_WORDS | FR_TYPES | ROMANCE_TYPES


@cache
def en_types() -> frozenset[str]:
    """The English street types `en_street` and `unit_first` end a street name with."""
    return frozenset(EN_STRONG_TYPES.split("|")) | street_suffixes()


@cache
def en_street() -> re.Pattern[str]:
    """Number, name and English street type, with unit after: matched at a house number."""
    strong = set(EN_STRONG_TYPES.split("|"))
    weak = "|".join(sorted(street_suffixes() - strong, key=len, reverse=True))
    types = rf"(?:{EN_STRONG_TYPES})\.?|(?P<weak>{weak})"
    return re.compile(
        rf"\d(?<![\w.,/-]\d){_NUMBER_REST},?[ \t]+(?:{DIRECTION}[ \t]+)?"
        rf"(?:{NAME_WORD}[ \t]+){{1,4}}?(?:{types})(?![\w])(?:[ \t]+{DIRECTION})?{_UNIT_AFTER}"
    )


@cache
def unit_first() -> re.Pattern[str]:
    """A unit line, then name and English street type ("Flat 8, Smith Vista")."""
    strong = set(EN_STRONG_TYPES.split("|"))
    weak = "|".join(sorted(street_suffixes() - strong, key=len, reverse=True))
    types = rf"(?:{EN_STRONG_TYPES})\.?|(?P<weak>{weak})"
    return re.compile(
        rf"(?:{UNIT}){SEP}(?:{NAME_WORD}[ \t]+){{1,4}}?(?:{types})(?![\w])"
        rf"(?:[ \t]+{DIRECTION})?"
    )
