"""What the text right before a person's name says: a title ("Mrs", "Herr"), a greeting
("Dear"), a sign-off ("Regards,"), a form label ("Name:") or a phrase ("spoke with"), and
`Cue`, the cheap look at the last word before a name that decides which of them to run."""

from __future__ import annotations

import re
from typing import NamedTuple

from tutela.deid.recognizers._person_words import LOWER_PARTICLES, PARTICLES

TITLE_BEFORE = re.compile(
    r"(?<![\w.])(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Herr|Frau|Mme|Mlle|Monsieur|Madame"
    r"|Mademoiselle|Sr|Sra|Srta|Señor|Señora|Señorita|Doña|Sig|Sig\.ra|Sig\.na|Sigra|Signor"
    r"|Signora|Signorina|Dott|Dott\.ssa|Dottor|Dottoressa|Ing|Avv|Don|Doña|Dña|Sir|Dame|Lady"
    r"|Lord|(?<!\d )[MD]\.|(?i:dhr|mevr|mevrouw|meneer|de heer|heer))\.?"
    r"(?:[ \u00a0]+(?:Dr|Prof|Dott|Ing)\.?)?[ \u00a0]+"
    rf"(?P<part>(?:(?:{LOWER_PARTICLES})[ \u00a0]+)*)\Z"
)
GREETING_BEFORE = re.compile(
    r"(?<!\w)(?:dear|hi|hello|hey|hiya|howdy|good (?:morning|afternoon|evening)|morning"
    r"|hallo|liebe|lieber|moin|servus|bonjour|bonsoir|salut|cher|chère|hola|estimad[oa]"
    r"|querid[oa]|buenos días|buenas tardes|ciao|salve|gentile|gentilissim[oa]|car[oa]"
    r"|buongiorno|buonasera|beste|geachte|hoi|goedemorgen|goedemiddag|welcome|thanks"
    r"|thank you|thx|cheers|danke|merci|gracias|grazie|bedankt)[ \t]*[,!]?[ \t]*"
    rf"(?P<part>(?:(?:{LOWER_PARTICLES})[ \t]+)*)\Z",
    re.IGNORECASE,
)
SIGN_OFF_BEFORE = re.compile(
    r"(?<!\w)(?:regards|best|best wishes|all the best|thanks|thank you|many thanks|cheers"
    r"|sincerely|yours|yours truly|faithfully|take care|talk soon|grüßen|grüße|gruß|grüsse"
    r"|mfg|lg|vg|cordialement|salutations|amicalement|bien à vous|saludos|atentamente"
    r"|un abrazo|un saludo|cordiali saluti|saluti|distinti saluti|un saluto|groeten|groet|mvg"
    r"|hartelijke groet|merci|danke|gracias|grazie|bedankt|thx)[ \t]*[,.!]?[ \t]*"
    r"(?:\r?\n[ \t]*|-{1,2}[ \t]*)+\Z",
    re.IGNORECASE,
)
LONGEST_SIGN_OFF = len("hartelijke groet")  # the longest sign-off above
LABEL_BEFORE = re.compile(
    r"(?<![\w-])(?:full name|name|first name|last name|surname|given name|customer(?: name)?"
    r"|contact(?: person| name)?|client(?: name)?|account holder|card ?holder|holder|patient"
    r"|employee|agent|user|requester|reporter|assignee|owner|recipient|sender|from|to|cc"
    r"|attn|attention|signed|signature|caller|nom(?: complet)?|prénom|nom de famille"
    r"|nombre(?: completo)?|apellidos?|titular|kunde|kundin|ansprechpartner(?:in)?|vorname"
    r"|nachname|cliente|nome(?: completo)?|cognome|intestatario|naam|klant"
    r"|contactpersoon|voornaam|achternaam)[ \t]*[:=][ \t]*[\"']?"
    rf"(?P<part>(?:(?:{LOWER_PARTICLES})[ \t]+)*)\Z",
    re.IGNORECASE,
)
PHRASE_BEFORE = re.compile(
    r"(?<!\w)(?:my name is|name is|names? was|i am|i'm|this is|it's|it is|call me"
    r"|spoke (?:with|to)|speaking (?:with|to)|talked (?:with|to)|talking (?:to|with)"
    r"|chatted with|ask for|asked for|(?:signed|approved|requested|submitted|reported"
    r"|raised|created|opened|closed|escalated|handled|assigned|sent|written|forwarded"
    r"|authori[sz]ed|placed|booked|ordered|paid) (?:by|to)|on behalf of|in the name of"
    r"|attention of|care of|c/o|married to|daughter|son|wife|husband|mother|father"
    r"|brother|sister|partner|colleague|manager|supervisor|customer|client|caller|agent"
    r"|technician|driver|courier|tenant|landlord|patient|doctor|with|and|or|cc|by|contact"
    r"|contacted|call|called|email|emailed|phone|phoned|tell|told|ask|asked|inform|informed"
    r"|thank|thanked|meet|met|introduce|introduced|forward to|escalate to|pass to"
    r"|mein name ist|ich bin|hier ist|je m'appelle|je suis|ici|me llamo|mi nombre es|soy"
    r"|mi chiamo|sono|mijn naam is|ik ben|met|kunde|kundin|client|cliente|klant|herrn?)"
    r"[ \t]+\Z",
    re.IGNORECASE,
)
WEAK_PHRASES = frozenset(("with", "and", "or", "cc", "met", "sono", "soy", "ici", "it's", "it is"))
MEDIUM_PHRASES = frozenset(("by",))
# Longer than any phrase `PHRASE_BEFORE` knows ("in the name of": 14 characters).
LONGEST_PHRASE = 24


class Cue(NamedTuple):
    """The last word before a candidate, and what the gap holds: which context patterns
    can match at all, so that only those are run."""

    word: str
    particle: bool
    colon: bool
    line_break: bool

    @classmethod
    def of(cls, before: str) -> Cue:
        tail = before[-28:]
        stripped = tail.rstrip(" \t\u00a0")
        words = stripped.rsplit(None, 1)
        word = words[-1].strip(",.:;!?\"'()<>[]=").casefold() if words else ""
        gap = tail[len(stripped) - 1 :] if stripped else tail
        return cls(
            word=word,
            particle=word in PARTICLES,
            colon=":" in tail[-10:] or "=" in tail[-10:],
            line_break="\n" in gap or stripped.endswith("-"),
        )
