"""LOCATION: cities, regions and countries named in free text.

A capitalised run of words ("Frankfurt am Main", "Sri Lanka", "Saint-Vincent-et-les-Grenadines")
is a candidate. Its score starts low and rises with evidence: the run (or part of it) is a
known place — Faker's city lists (de_DE, it_IT, nl_NL), countries in each locale's language,
states, provinces, counties, plus a short list of major cities — or has a place-name shape
("North Jamesville", "Port Amyton", "Saint AiméeVille"); a preposition before it ("in", "to",
"nach", "à"), a phrase that names a place ("based in", "moved to", "travelling to") or a form
label ("City:", "Ort:", "Ville :"). Context decides: a known place alone stays below the
threshold. Places inside a street address are left to the address, which scores higher.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tutela.deid.findings import Finding
from tutela.deid.recognizer import Recognizer
from tutela.deid.recognizers._lexicon import (
    MAJOR_CITIES,
    cities,
    common_words,
    first_names,
    last_names,
    regions,
    wordset,
)
from tutela.deid.recognizers._person_words import BREAKERS, TITLES
from tutela.deid.registry import register

UPPER = "A-ZÀ-ÖØ-ÞĀĂĄĆČĎĐĒĖĘĚĞĪĮİŁŃŇŌŐŒŘŚŞŠŢŤŪŮŰŲŹŻŽ"
LOWER = "a-zß-öø-ÿ\u0100-\u017f"
_AP = "'\u2019"
WORD = (
    rf"(?:[{_AP}]s-|[dDlL][{_AP}]|St\.[ ]?|Ste\.[ ]?)?[{UPPER}][{LOWER}{UPPER}{_AP}]*"
    rf"(?:-[{UPPER}{LOWER}][{LOWER}{UPPER}{_AP}]*)*"
)
CONNECT = (
    "and|of|the|et|les|de|des|du|la|le|y|e|und|die|en|van|del|di|da|dos|das|do|am|an|der"
    "|im|sur|sous|on|upon|op|aan|bei|ob|lès"
)
_CANDIDATE = re.compile(
    rf"(?<![\w{_AP}-]){WORD}(?:[ ](?:(?:{CONNECT})[ ])*{WORD}){{0,6}}"
    rf"(?:[ ]\([^()\n]{{1,40}}\))?"
)
_TOKEN = re.compile(rf"{WORD}|\([^()\n]+\)")
# The shapes of Faker-style and real place names: "North Jamesville", "Port Amyton",
# "Lake Sarah", "Smithborough", "Saint AiméeVille", "Denis-sur-Hubert", "San Biagio".
_SHAPE = re.compile(
    r"^(?:(?:North|South|East|West|New|Lake|Port|Fort|Mount|Saint|Sainte|San|Santa|Santo"
    r"|Sankt|Bad|Sesto|Borgo|Castel|Villa|Nieuw|Oud|Groot|Klein)[ -].+"
    r"|.+(?:town|ton|land|ville|Ville|berg|burg|burgh|borough|bury|view|port|mouth|stad"
    r"|furt|chester|fort|haven|side|shire|field|ford|wood|dale|Bourg|bourg|boeuf|nec|dan"
    r"|dorf|heim|hausen|stadt|feld|brück|brücken|dam|dijk|drecht|hoven|veen|zijl|wijk"
    r"|-les-Bains|-sur-Mer|-la-Forêt)|.+-(?:sur|sous|lès|les|en|le|la|de)-.+)\Z"
)
_LABEL_BEFORE = re.compile(
    r"(?<![\w-])(?:city|town|country|location|place of birth|birthplace|born in|ort|wohnort"
    r"|stadt|land|geburtsort|ville|pays|lieu(?: de naissance)?|ciudad|país|pais|localidad"
    r"|provincia|città|citta|paese|comune|località|plaats|woonplaats|stad|provincie)"
    r"[ \t]*[:=][ \t]*\Z",
    re.IGNORECASE,
)
# A phrase that puts a place next: "based in", "moved from … to", "travelling to".
_PHRASE_BEFORE = re.compile(
    r"(?<!\w)(?:(?:currently|now|still|stuck|based|located|headquartered|live[sd]?|living"
    r"|reside[sd]?|residing|born|moved|moving|relocat\w*|travel+(?:ing|ed)?|fl(?:y|ying|ew)"
    r"|driv\w*|going|went|arriv\w*|stay\w*|visit\w*|holiday|vacation|trip|office|branch"
    r"|wohne|wohnt|lebe|lebt|umgezogen|habite|vis|vivo|vive|abito|woon|woont|verhuisd)"
    r"(?:[ \t]+(?:back|here|there|now|currently|out))?[ \t]+(?:in|to|from|at|near|nach|aus"
    r"|à|au|en|a|de|desde|da|di|naar|uit|te)?|(?:moved|moving|relocated|travel+(?:ing|ed)?"
    r"|fl(?:y|ying|ew)|dr(?:ove|iving)|went|going) from[^.\n]{1,60}[ \t]to)[ \t]+\Z",
    re.IGNORECASE,
)
_PREPOSITION_BEFORE = re.compile(
    r"(?<!\w)(?:in|to|from|at|near|around|outside|nach|aus|bei|à|au|vers|desde|hacia|naar"
    r"|uit|bij)[ \t]+\Z",
    re.IGNORECASE,
)
# "login from 10.0.0.1 (Berlin)": a place in brackets after an IP address (GeoIP).
_AFTER_IP = re.compile(
    r"(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})[ \t]*\(\Z"
)
_RIVER = re.compile(r" (?:am|an der|an|im|in der|ob der|ob|bei|upon|on|sur|sous|lès) ")
_PREFIX_WINDOW = 80
# The last word before a place, with a ":" or "=" after it, or a "(": the regex reads the
# text before the place backwards (reversed), so it is matched once instead of searched for.
# `(?:\w+[ \t]*[:=]?|\()[ \t]*\Z` read forwards; its leftmost match is this longest one.
_LAST_WORD_REVERSED = re.compile(r"[ \t]*(?:[:=]?[ \t]*\w+|\()")
# Words right before a place that make the phrase and preposition checks worth running.
_CUES = wordset(
    "in to from at near around outside nach aus bei à au vers desde hacia naar uit bij en a de"
    " da di te visiting visit visited"
)


def _cue(text: str, start: int) -> str:
    """The word (or ":", "=", "(") right before `start` if it can introduce a place, else ""."""
    backwards = text[max(0, start - 30) : start][::-1]
    last = _LAST_WORD_REVERSED.match(backwards)
    cue = backwards[: last.end()].strip(" \t")[::-1].casefold() if last else ""
    return cue if cue.endswith((":", "=")) or cue == "(" or cue in _CUES else ""


@register
class LocationRecognizer(Recognizer):
    """Cities, regions and countries, from place lists, name shapes and the words before."""

    name = "location"
    entities = ("LOCATION",)
    context = ()  # weighed here: a preposition counts only right before the place
    KNOWN = 0.4
    NAME_LIKE = 0.15  # a known place that is also a person's name or an everyday word
    SHAPED = 0.35
    UNKNOWN = 0.1
    MAX_SCORE = 0.85  # below a whole street address (0.95), which keeps its city

    def __init__(self) -> None:
        self._regions = regions()
        self._cities = cities()
        self._names = first_names() | last_names()
        self._common = common_words()

    def find(self, text: str) -> Iterator[Finding]:
        for match in _CANDIDATE.finditer(text):
            if match.group() in BREAKERS:
                continue
            found = self._place(text, match)
            if found is not None:
                yield Finding("LOCATION", found[0], found[1], found[2], self.name)

    def _place(self, text: str, match: re.Match[str]) -> tuple[int, int, float] | None:
        # Context decides, so a run with no cue before it (a label's colon, "(" after an IP,
        # a preposition or a verb) is not looked up at all: a place alone scores below 0.5.
        if not _cue(text, match.start()):
            return None
        tokens = [
            (m.start() + match.start(), m.end() + match.start())
            for m in _TOKEN.finditer(match.group())
        ]
        start, end, base = self._best_span(text, tokens)
        if not base:
            return None
        before = text[max(0, start - _PREFIX_WINDOW) : start]
        cue = _cue(text, start)
        score = base
        if cue.endswith((":", "=")):
            if _LABEL_BEFORE.search(before):
                score = max(base + 0.45, 0.7)
        elif cue == "(":
            if _AFTER_IP.search(before) and text.startswith(")", end):
                score = max(base + 0.45, 0.7)
        elif cue:
            if _PHRASE_BEFORE.search(before):
                plain = base != self.UNKNOWN or self._plain(text[start:end])
                score = max(base + 0.35, 0.6) if plain else base
            elif base >= self.SHAPED and _PREPOSITION_BEFORE.search(before):
                score = base + 0.35  # "in Berlin"; not "to Marina", a name as often as a place
        return (start, end, min(score, self.MAX_SCORE)) if score > base else None

    def _best_span(self, text: str, tokens: list[tuple[int, int]]) -> tuple[int, int, float]:
        """The longest known place in the run (leftmost first), else the run cut before
        words that cannot be part of a place, with its base score."""
        for i in range(len(tokens)):
            for j in range(len(tokens) - 1, i - 1, -1):
                start, end = tokens[i][0], tokens[j][1]
                place = text[start:end]
                if (place in self._regions or place in self._cities) and place not in TITLES:
                    # "Frankfurt am Main", "Stratford upon Avon": a river or region after.
                    if j + 1 < len(tokens) and _RIVER.fullmatch(text, end, tokens[j + 1][0]):
                        end = tokens[j + 1][1]
                    return start, end, self._known_score(place)
        first = 0
        while first < len(tokens) and text[tokens[first][0] : tokens[first][1]] in BREAKERS:
            first += 1
        last = first
        while (
            last + 1 < len(tokens)
            and text[tokens[last + 1][0] : tokens[last + 1][1]] not in BREAKERS
        ):
            last += 1
        if first >= len(tokens):
            return tokens[0][0], tokens[0][1], 0.0
        start, end = tokens[first][0], tokens[last][1]
        return start, end, self.SHAPED if _SHAPE.match(text[start:end]) else self.UNKNOWN

    def _known_score(self, place: str) -> float:
        if place in MAJOR_CITIES or place in self._regions:
            return self.KNOWN
        if place in self._names or place.casefold() in self._common:
            return self.NAME_LIKE
        return self.KNOWN

    def _plain(self, place: str) -> bool:
        """Not an everyday word or a word that starts a sentence."""
        return (
            place.casefold() not in self._common
            and place not in BREAKERS
            and any(c.islower() for c in place)  # not an acronym ("LF", "CRLF")
        )
