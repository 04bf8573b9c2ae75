"""STREET_ADDRESS: whole postal addresses — street, house number, unit, postcode and city.

A street is recognised by its shape in each locale: number first with a street type after the
name ("221B Baker Street", "12, rue de la Paix"), type first with the number after ("Calle
Mayor 10", "Via Roma, 1"), or a compound or two-word street with the number after
("Hauptstraße 5", "Kerkstraat 12", "Berliner Allee 3"). Units ("Flat 3", "Suite 200", "Piso
2") before or after are included. A postcode block that follows — on the same line or the
next ones — extends the span and raises the score: US city, state and ZIP, UK city and
postcode, five-digit EU postcode and city, Dutch "1234 AB" and city. Scores of complete
addresses sit above any name or place inside them, so the analyzer keeps the address whole.
The patterns live in `_address_shapes`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tutela.deid._digits import matches_at_numbers
from tutela.deid.findings import Finding
from tutela.deid.recognizer import Recognizer
from tutela.deid.recognizers import _address_shapes as shapes
from tutela.deid.recognizers._lexicon import cities, first_names, last_names
from tutela.deid.registry import register

_Candidate = tuple[float, int, int]
_SCAN_BACK = 60


@register
class StreetAddressRecognizer(Recognizer):
    """Postal addresses, whole: street, number, unit, postcode and city."""

    name = "street_address"
    entities = ("STREET_ADDRESS",)
    context = (
        "address", "ship", "deliver", "mailing", "postal", "live", "moved", "adresse",
        "anschrift", "wohn", "liefer", "domicil", "dirección", "direccion", "indirizzo",
        "residen", "adres", "bezorg", "woon",
    )  # fmt: skip
    STREET_SCORE = 0.75
    UNIT_FIRST_SCORE = 0.6
    TAIL_SCORE = 0.95
    CITY_TAIL_BONUS = 0.1
    WEAK_PENALTY = 0.3

    def __init__(self) -> None:
        self._en_street = shapes.en_street()
        self._en_types = shapes.en_types()
        self._unit_first = shapes.unit_first()
        self._cities = cities()
        self._names = first_names() | last_names()

    def find(self, text: str) -> Iterator[Finding]:
        candidates: list[_Candidate] = []
        triggers: list[tuple[re.Match[str], str]] = []
        en_type = False
        for word in shapes.WORD_SCAN.finditer(text):
            found = word.group()
            low = found.casefold()
            # Most words trigger nothing: test them here rather than in a call per word.
            if low in shapes.TYPE_WORDS or low.endswith(shapes.DE_NL_SUFFIXES):
                triggers.append((word, low))
            # An English street's type is a whole word of the scan: without one, no number
            # can start a street, and trying each number costs more than this test.
            en_type = en_type or found in self._en_types
        if en_type:
            for match in matches_at_numbers(self._en_street, text, 1):  # at a house number
                self._add(candidates, text, match, match.start(), self.STREET_SCORE)
        for word, low in triggers:
            self._triggered(candidates, text, word, low)
        # Shapes can find the same street: keep the best of overlapping candidates.
        kept: list[_Candidate] = []
        for score, start, end in sorted(candidates, key=lambda c: (-c[0], c[1] - c[2])):
            if all(end <= k[1] or start >= k[2] for k in kept):
                kept.append((score, start, end))
        for score, start, end in sorted(kept, key=lambda c: c[1]):
            yield Finding("STREET_ADDRESS", start, end, score, self.name)

    def _triggered(
        self, candidates: list[_Candidate], text: str, word: re.Match[str], low: str
    ) -> None:
        """Try the street shapes a word (`low`: case-folded) can start or end ("Calle",
        "rue", "…straße")."""
        at = word.start()
        standalone = at == 0 or not (text[at - 1].isalnum() or text[at - 1] in "-_'\u2019")
        if standalone and low in shapes.UNIT_WORDS:
            match = self._unit_first.match(text, at)
            if match:
                self._add(candidates, text, match, at, self.UNIT_FIRST_SCORE, unit_first=True)
        if standalone and low in shapes.FR_TYPES:
            match = shapes.FRENCH.match(text, at)
            if match:
                number = shapes.FRENCH_NUMBER_BEFORE.search(text, max(0, at - 16), at)
                start = number.start() if number else at
                self._add(candidates, text, match, start, self.STREET_SCORE, numbered=bool(number))
        if standalone and low in shapes.ROMANCE_TYPES:
            match = shapes.TYPE_FIRST.match(text, at)
            if match:
                lower = match.group("type")[:1].islower()
                self._add(candidates, text, match, at, self.STREET_SCORE, numbered=not lower)
        if low.endswith(shapes.DE_NL_SUFFIXES) and (
            len(low) > 4 or word.group() in shapes.DE_SEPARATE
        ):
            self._compound(candidates, text, word)

    def _compound(self, candidates: list[_Candidate], text: str, word: re.Match[str]) -> None:
        at = word.start()
        window = max(0, at - _SCAN_BACK)
        if word.group() in shapes.DE_SEPARATE and text[at - 1 : at] == " ":
            before = shapes.WORDS_BEFORE.search(text, window, at)  # "Berliner Straße"
        else:
            before = shapes.TOKEN_BEFORE.search(text, window, at)  # "Karl-Marx-Straße"
        start = before.start() if before else at
        if start and (text[start - 1].isalnum() or text[start - 1] in "-'\u2019"):
            return
        match = shapes.COMPOUND.match(text, start)
        if match and match.end() > word.end():
            self._add(candidates, text, match, start, self.STREET_SCORE)

    def _add(
        self,
        candidates: list[_Candidate],
        text: str,
        match: re.Match[str],
        start: int,
        score: float,
        *,
        numbered: bool = True,
        unit_first: bool = False,
    ) -> None:
        """Score a street, extend it over a unit before and a postcode block after."""
        end = match.end()
        if match.re.groupindex.get("weak") and match.group("weak"):
            score -= self.WEAK_PENALTY
            stem = text[start : match.start("weak")].split()[-1:]
            if stem and (stem[0] in self._names or stem[0][:-1] in self._names):
                score += 0.1  # "Thomasring 3": a name before the ending, as streets are named
        if not unit_first and (
            leading := shapes.LEADING_UNIT.search(text, max(0, start - 30), start)
        ):
            start = leading.start()
        tail_end = self._tail(text, end)
        if tail_end is not None:
            candidates.append((max(score, self.TAIL_SCORE), start, tail_end))
            return
        if not numbered:
            return  # "via Amazon 2", "rue de la Paix" in prose: only with a postcode after
        city = shapes.CITY_ONLY_TAIL.match(text, end)
        if city and city.group("city") in self._cities:
            candidates.append((min(score + self.CITY_TAIL_BONUS, 0.9), start, city.end("city")))
        else:
            candidates.append((score, start, end))

    def _tail(self, text: str, at: int) -> int | None:
        """The end of a postcode block right after a street, if there is one."""
        for tail in shapes.TAILS:
            found = tail.match(text, at)
            if found is None:
                continue
            if found.group("city") is None:
                return found.end()
            city_start, city_end = found.span("city")
            trimmed = _trim_city(text, city_start, city_end)
            if city_end == found.end():  # the city ends the block: cut it if it runs on
                return trimmed
            if trimmed == city_end:  # the city sits inside (US, UK): it must be whole
                return found.end()
        return None


def _trim_city(text: str, start: int, end: int) -> int:
    """Cut a city name before a word that starts the next sentence."""
    words = list(re.finditer(r"\S+", text[start:end]))
    for index, word in enumerate(words):
        if index and word.group().rstrip(",.") in shapes.NOT_CITY:
            return start + words[index - 1].end()
    return end
