"""PERSON: personal names found from name lists and the words around them, without a model.

A candidate is a run of capitalised words (with initials, particles such as "van der" or
"de la", hyphens and apostrophes). Its score combines how many of its words are known first
and last names (Faker's lists for en_US, en_GB, de_DE, fr_FR, es_ES, it_IT, nl_NL) with the
evidence before and after it: a title ("Mrs", "Herr", "Mme"), a greeting or sign-off ("Dear",
"Regards,"), a form label ("Name:") or a phrase ("my name is", "spoke with", "… said"). A
single known name needs such evidence; words that are also ordinary words ("Will", "May")
need more. Names that are part of a street ("Rue Jean Moulin", "Kramer Court") or a company
("Johnson Ltd") are not reported. The title is never part of the span.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from tutela.deid.findings import Finding
from tutela.deid.recognizer import Recognizer
from tutela.deid.recognizers._guards import search_ending
from tutela.deid.recognizers._lexicon import common_words, first_names, last_names
from tutela.deid.recognizers._person_cues import (
    GREETING_BEFORE,
    LABEL_BEFORE,
    LONGEST_PHRASE,
    LONGEST_SIGN_OFF,
    MEDIUM_PHRASES,
    PHRASE_BEFORE,
    SIGN_OFF_BEFORE,
    TITLE_BEFORE,
    WEAK_PHRASES,
    Cue,
)
from tutela.deid.recognizers._person_words import (
    AMBIGUOUS,
    BREAKERS,
    GREETING_CUES,
    LOWER_PARTICLES,
    NOT_ADDRESSEES,
    ORG_WORDS,
    PARTICLES,
    PHRASE_CUES,
    STREET_CUES,
    STREET_WORDS,
    TITLE_CUES,
    TITLES,
    VERB_CUES,
)
from tutela.deid.registry import register

UPPER = "A-ZÀ-ÖØ-ÞĀĂĄĆČĎĐĒĖĘĚĞĪĮİŁŃŇŌŐŒŘŚŞŠŢŤŪŮŰŲŹŻŽ"
LOWER = "a-zß-öø-ÿ\u0100-\u017f"
# "Anna", "O'Brien", "McDonald", "Jean-Luc", "Müller-Lüdenscheidt"
TOKEN = (
    rf"(?:[{UPPER}][{LOWER}]?['\u2019]|[{UPPER}]\.-)?[{UPPER}][{LOWER}]+(?:[{UPPER}][{LOWER}]+)?"
    rf"(?:-[{UPPER}][{LOWER}]+)*"
)
INITIAL = rf"[{UPPER}]\.?(?=[ \u00a0][{UPPER}])"
_SPACE = "[ \u00a0]"
# The same as (?<![\w'\u2019-])(?:{TOKEN}|{INITIAL}) with the capital both start with taken
# out in front (and the look-behind after it), so the regex engine can skip to capitals.
_FIRST = (
    rf"[{UPPER}](?<![\w'\u2019-][{UPPER}])"
    rf"(?:(?:[{LOWER}]?['\u2019][{UPPER}][{LOWER}]+|\.-[{UPPER}][{LOWER}]+|[{LOWER}]+)"
    rf"(?:[{UPPER}][{LOWER}]+)?(?:-[{UPPER}][{LOWER}]+)*"
    rf"|\.?(?=[ \u00a0][{UPPER}]))"
)
_CANDIDATE = re.compile(
    rf"{_FIRST}"
    rf"(?:{_SPACE}(?:(?:{LOWER_PARTICLES}){_SPACE})*(?:{TOKEN}|{INITIAL}))*(?![\w'\u2019])"
)
_PIECE = re.compile(rf"{TOKEN}|[{UPPER}]\.?|(?:{LOWER_PARTICLES})(?=[ \u00a0])")

# After a name: a verb people do ("… said", "… will collect"), or a speaker's colon.
_PHRASE_AFTER = re.compile(
    r"(?:[ \t]+(?:said|says|wrote|writes|asked|asks|called|calls|phoned|emailed|replied"
    r"|responded|mentioned|confirmed|reported|complained|explained|noted|requested|wants"
    r"|would like|agreed|sent|paid|ordered|bought|collected|signed|needs|sagte|schrieb|rief"
    r"|a dit|a écrit|a appelé|dijo|escribió|llamó|ha detto|ha scritto|zei|schreef|belde"
    r"|schickte|envoyé|envió|inviato|stuurde|will (?:call|collect|send|pay|come|pick|sign"
    r"|contact|visit|reply|confirm|be))\b|:[ \t])",
    re.IGNORECASE,
)
# After a known name, weaker verbs and the possessive count too: "Anna is", "Anna's order".
_WEAK_AFTER = re.compile(
    r"(?:'s\b|\u2019s\b|[ \t]+(?:will|has|had|is|was|from|here|at|can|should|would|hat|ist"
    r"|heeft|opened|left)\b)",
    re.IGNORECASE,
)
# After a name, evidence that is nearly proof: "Anna (agent):", "Anna <anna@…>".
_STRONG_AFTER = re.compile(
    r"[ \t]*\((?:customer|client|agent|support|cliente|kunde|kundin|klant)\b|[ \t]*<[^>\s]+@",
    re.IGNORECASE,
)
# The characters each pattern after a name (and a closing bracket or ">") starts with.
_AFTER_STARTS = " \t(<:'\u2019)>"
_SPEAKER_LINE = re.compile(
    r"(?:^|\n)[ \t]*"
    r"(?P<stamp>\[[^\]\n]{1,40}\][ \t]*|(?:[A-Z][a-z]{2}[ \t]+)?[\d:/.,TZ+ -]{5,40})?\Z"
)
_CHAT_AFTER_COLON = re.compile(r"[ \t]*[a-zà-ÿ]+(?:[ \t,!?']|\.(?:\s|$))")
_WRAPPERS = {"(": "):", "<": ">"}
_SENTENCE_START = re.compile(r"(?:^|[.!?…:;]\s+|\n\s*|[\"“(]\s*)\Z")
_STREET_BEFORE = re.compile(
    r"(?<!\w)(?:rue|avenue|av\.|bd|boulevard|chemin|allée|impasse|place|quai|route|cours"
    r"|calle|c/|avda\.?|avenida|plaza|paseo|camino|ronda|carrer|travesía|via|viale|piazza"
    r"|piazzale|strada|corso|vicolo|largo|contrada|borgo|rotonda|canale|urbanización"
    r"|glorieta|callejón|alameda|rambla|pasaje|cuesta|am|an der|auf der|im|in der|zum|zur)"
    r"[ \t]+(?:(?:de|del|della|di|du|des|dei|de la|la|le|l'|d')[ \t]*)*\Z",
    re.IGNORECASE,
)
_STREET_SUFFIX = re.compile(
    r"..(?:stra(?:ß|ss)e|str\.?|gasse|platz|allee|straat|laan|gracht|plein|steeg|singel|dreef"
    r"|kade)\Z",
    re.IGNORECASE,
)
# Endings that surnames share ("Bischof", "Goldring"): a street only before a house number.
_WEAK_STREET_SUFFIX = re.compile(r"..(?:weg|pad|baan|boulevard|ring|hof)\Z", re.IGNORECASE)
_NUMBER_AFTER = re.compile(r",?[ \t]+\d")
_HOUSE_NUMBER_BEFORE = re.compile(r"(?<![\w.,/-])\d{1,5}[A-Za-z]?,?[ \t]+\Z")
_PREFIX_WINDOW = 80


MAX_SCORE = 0.9


def _known(token: str, names: frozenset[str]) -> bool:
    if token in names:
        return True
    parts = token.split("-")
    return len(parts) > 1 and all(p in names for p in parts)


@lru_cache(maxsize=4096)
def _is_particle(piece: str) -> bool:
    return all(word in PARTICLES for word in piece.lower().split())


@lru_cache(maxsize=4096)
def _street_ending(piece: str) -> int:
    """1 if the word ends as a street does ("…straße"), 2 if it ends as streets and surnames
    do ("…ring"), else 0. Cached: the same words come back in text after text."""
    if _STREET_SUFFIX.search(piece):
        return 1
    return 2 if _WEAK_STREET_SUFFIX.search(piece) else 0


@register
class PersonRecognizer(Recognizer):
    """Personal names, from name lists and the titles, greetings and phrases around them."""

    name = "person"
    entities = ("PERSON",)
    context = ()  # context is weighed here, word by word, not by the analyzer's boost

    def __init__(self) -> None:
        self._first = first_names()
        self._last = last_names()
        self._common = common_words()
        # "Hill", "Lane", "Church" are surnames too: only the others end a name as a place.
        self._kill = (ORG_WORDS | STREET_WORDS) - self._first - self._last

    def find(self, text: str) -> Iterator[Finding]:
        for match in _CANDIDATE.finditer(text):
            if match.group() in BREAKERS:  # most runs are one sentence-opening word
                continue
            for start, end, pieces in self._segments(match):
                scored = self._score(text, start, end, pieces)
                if scored is not None:
                    yield Finding("PERSON", scored[0], end, scored[1], self.name)

    def _segments(self, match: re.Match[str]) -> Iterator[tuple[int, int, list[str]]]:
        """Split a capitalised run at words that cannot be part of a name."""
        base = match.start()
        pieces = [
            (m.start() + base, m.end() + base, m.group()) for m in _PIECE.finditer(match.group())
        ]
        segment: list[tuple[int, int, str]] = []
        found: list[tuple[int, int, list[str]]] = []
        for index, (start, end, piece) in enumerate(pieces):
            stem = piece.rstrip(".")
            if stem in self._kill or self._street_word(match.string, piece, end):
                # The words before belong to a company or a street: "Example Shop Ltd".
                segment, found = [], []
                continue
            # "M. Jean Dupont", "D. Juan García": a leading M. or D. is Monsieur or Don.
            leading_title = piece in ("M.", "D.") and not segment and index + 1 < len(pieces)
            if piece in BREAKERS or stem in TITLES or leading_title:
                found.extend(self._trimmed(segment))
                segment = []
                continue
            segment.append((start, end, piece))
        found.extend(self._trimmed(segment))
        return iter(found)

    def _street_word(self, text: str, piece: str, end: int) -> bool:
        """Whether a word names a street ("Hauptstraße", "Kerkstraat", "Thomasring 3")."""
        ending = _street_ending(piece)
        if not ending or _known(piece, self._last):
            return False
        return ending == 1 or _NUMBER_AFTER.match(text, end) is not None

    @staticmethod
    def _trimmed(segment: list[tuple[int, int, str]]) -> Iterator[tuple[int, int, list[str]]]:
        # Only lower-case particles: a capitalised one may be a name ("John Le", "Nadia Delle").
        while segment and _is_particle(segment[0][2]) and segment[0][2].islower():
            segment = segment[1:]
        while segment and (
            (_is_particle(segment[-1][2]) and segment[-1][2].islower())
            or len(segment[-1][2].rstrip(".")) == 1
        ):
            segment = segment[:-1]
        if segment and not (len(segment) == 1 and _is_particle(segment[0][2])):
            yield segment[0][0], segment[-1][1], [p for _, _, p in segment]

    def _score(
        self, text: str, start: int, end: int, pieces: list[str]
    ) -> tuple[int, float] | None:
        """The finding's start (widened over particles after a title) and score, or None."""
        # A NUL stands for "more text before", so that ^ only matches the real start.
        window = text[max(0, start - _PREFIX_WINDOW) : start]
        before = ("\0" if start > _PREFIX_WINDOW else "") + window
        cue = Cue.of(before)
        if (cue.word in STREET_CUES and _STREET_BEFORE.search(before)) or (
            cue.word[:1].isdigit()
            and len(pieces[0]) > 2
            and search_ending(_HOUSE_NUMBER_BEFORE, before, len("12345b,"))
        ):
            return None
        words = [
            p for p in pieces if len(p.rstrip(".")) > 1 and not (p.islower() and _is_particle(p))
        ]
        if not words or len(words) > 5:
            return None
        first, last = self._first, self._last
        known = [_known(w, first) or _known(w, last) for w in words]
        any_known = any(known)
        # Unknown words that are everyday words ("Summary", "Happy") are not names.
        common = not all(known) and any(
            not k and w.casefold() in self._common for w, k in zip(words, known, strict=True)
        )
        # At a sentence start, a name that is also an everyday word ("Will", "Read") is
        # more likely the word.
        ambiguous = (
            words[0] in AMBIGUOUS or (len(words) == 1 and words[0].casefold() in self._common)
        ) and bool(_SENTENCE_START.search(before))
        single_unknown = len(words) == 1 and not any_known
        score = self._list_score(words, len(pieces) > len(words), any_known, common, ambiguous)
        unknown_floor = 0.5 if common else 0.7
        widened = start
        if (cue.word in TITLE_CUES or cue.particle) and (title := TITLE_BEFORE.search(before)):
            score = max(score, 0.85)
            widened -= len(title.group("part"))
        elif (cue.colon and (label := LABEL_BEFORE.search(before))) or (
            cue.line_break
            and (label := search_ending(SIGN_OFF_BEFORE, before, LONGEST_SIGN_OFF, " \t,.!\r\n-"))
            and len(words) <= 3
            and text[end : end + 2].strip(" \t")[:1] in ("", "\n", "\r", ",", "|")
        ):
            score = max(score, 0.85 if any_known else unknown_floor)
            widened -= len(label.groupdict().get("part") or "")
        elif (cue.word in GREETING_CUES or cue.particle) and (
            greeting := GREETING_BEFORE.search(before)
        ):
            if words[0].casefold() in NOT_ADDRESSEES:
                return None
            score = max(score, 0.85 if any_known else unknown_floor - 0.05)
            widened -= len(greeting.group("part"))
        elif cue.word in PHRASE_CUES and (
            phrase := search_ending(PHRASE_BEFORE, before, LONGEST_PHRASE)
        ):
            said = phrase.group().strip(" \t").lower()
            if said.split()[0] in VERB_CUES and not phrase.group().strip(" \t").islower():
                pass  # "Email Addresses", "Call Summary": a heading, not "email Anna"
            elif said in WEAK_PHRASES:
                score += 0.15
            elif said in MEDIUM_PHRASES or (single_unknown and said.endswith(" by")):
                score += 0.2 if single_unknown else 0.3  # "created by Facebook"
            else:
                score = max(score + 0.4, 0.6 if not common else 0.0)
        after = 0.0  # unless a pattern of `_after` can start here
        if end < len(text) and text[end] in _AFTER_STARTS:
            after = self._after(
                text, end, before, any_known=any_known, common=common, single_unknown=single_unknown
            )
        return widened, min(score + after, MAX_SCORE)

    @staticmethod
    def _after(
        text: str, end: int, before: str, *, any_known: bool, common: bool, single_unknown: bool
    ) -> float:
        """What follows the name adds: a role or e-mail, a verb, a chat speaker's colon."""
        opener = before[-2:]  # " (" or " <": not "Field(GroupedMetadata):" in code
        if _STRONG_AFTER.match(text, end) or (
            opener[-1:] in _WRAPPERS
            and not opener[:1].isalnum()
            and text.startswith(_WRAPPERS[opener[-1:]], end)
        ):
            return 0.5
        after = _PHRASE_AFTER.match(text, end)
        if after is None:
            return 0.25 if any_known and _WEAK_AFTER.match(text, end) else 0.0
        if not after.group().startswith(":"):
            return 0.1 if single_unknown else 0.25  # "Python is …" is no name
        speaker = _SPEAKER_LINE.search(before)  # "[10:02] Anna: …", "Anna: hi"
        if speaker is None:
            return 0.0
        if any_known or (speaker.group("stamp") and not common):
            return 0.45
        # Unknown word at a line start before a colon: a chat line ("Kalevi: hi, …") when
        # prose follows, a form label ("Vorgang: f962f8…", "Sito: www…") when data does.
        return 0.3 if not common and _CHAT_AFTER_COLON.match(text, after.end()) else 0.0

    def _list_score(
        self, words: list[str], has_initials: bool, any_known: bool, common: bool, ambiguous: bool
    ) -> float:
        """How name-like the words are by the name lists alone."""
        first, last = words[0], words[-1]
        first_known = _known(first, self._first)
        last_known = _known(last, self._last) or _known(last, self._first)
        if len(words) >= 2:
            if first_known and last_known:
                score = 0.85
            elif first_known and not ambiguous and not common:
                score = 0.55
            elif last_known and _known(first, self._last):
                score = 0.45
            else:
                score = 0.15 if common else 0.3
            return score - (0.2 if ambiguous else 0.0)
        if has_initials and last_known:
            return 0.6
        single = 0.3 if any_known else (0.1 if common else 0.2)
        return single - (0.15 if ambiguous else 0.0)
