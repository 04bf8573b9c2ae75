"""PHONE_NUMBER: national and international numbers valid for a set of regions, found with
`phonenumbers.PhoneNumberMatcher`, minus order numbers, dates, times, prices and digit runs."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import Leniency, PhoneMetadata, PhoneNumberMatcher

from tutela.deid.findings import Finding
from tutela.deid.recognizer import Recognizer
from tutela.deid.recognizers._guards import (
    after_currency,
    after_reference,
    glued,
    glued_before,
    in_digit_run,
    preceded_by_reversed,
)
from tutela.deid.recognizers._lexicon import wordset
from tutela.deid.registry import register

DEFAULT_REGIONS = ("US", "GB", "DE", "FR", "ES", "IT", "NL")

_INTERNATIONAL = re.compile(r"\s*(?:\+|00)")
_PLAIN = re.compile(r"\d+")
# 05.03.1984, 2024-03-05, 5/3/84: the matcher accepts some of these as numbers.
_DATE_LIKE = re.compile(r"\d{1,4}([./-])\d{1,2}\1\d{1,4}")
_SSN_SHAPE = re.compile(r"\d{3}([ -])\d{2}\1\d{4}")
_TIME_NEXT = re.compile(r"\s*[:hH]\d{2}")
# Runs of digits and phone punctuation (with an extension): the only places the slow matcher
# needs to look at. Dates, IP addresses and short numbers among them are skipped beforehand.
_CANDIDATE = re.compile(
    r"[+(]*\d[\d \t\u00a0().\-/\u2010-\u2015]{4,40}\d\)?"
    r"(?:[ \t]*(?:x|ext\.?|extension)[ \t]*\d{1,7})?",
    re.IGNORECASE,
)
_FOURS = re.compile(r"\d{4}(?:[ -]\d{4})+(?:[ -]\d{1,3})?")  # cards, IBAN tails
_IPV4_LIKE = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_MAY_HOLD_NUMBERS = re.compile(r"[()\t\u00a0\u2010-\u2015/]|\d{2,} {2,}\d|[xX]|ext")
_MIN_DIGITS = 6
_MAX_DIGITS = 15  # E.164: more digits (without an international prefix) are an id or a card
# A national number right after an identity-document label ("BSN:", "ID for the check:",
# "id=") is that id, not a phone number. Read forwards, the text before it ends with
#   (?<![^\W\d_])(?:ID_WORDS)(?:[^\w\n]+[^\W\d_]+){0,3}[^\w\n]*$
# which is matched reversed, once, at the start of the reversed text (see `_guards`).
_ID_WORDS = wordset(
    "id ids identifier identification kennung bsn burgerservicenummer ssn nif dni nie nir "
    "nino idnr steuerid steuer-id steuernummer"
)
_ID_LABEL_REVERSED = re.compile(
    r"\n?[^\w\n]*(?:[^\W\d_]+[^\w\n]+){0,3}(?:"
    + "|".join(re.escape(word[::-1]) for word in _ID_WORDS)
    + r")(?![^\W\d_])",
    re.IGNORECASE,
)


@register
class PhoneRecognizer(Recognizer):
    """Phone numbers valid (not merely possible) in one of `regions`.

    Args:
        regions: ISO 3166 codes whose national formats are looked for; international
            numbers ("+44 …") are found whatever the regions.
    """

    name = "phone"
    entities = ("PHONE_NUMBER",)
    context = (
        "phone",
        "tel",
        "telephone",
        "mobile",
        "cell",
        "call",
        "fax",
        "whatsapp",
        "sms",
        "text",
        "reach",
        "contact",
        "dial",
        "telefon",
        "handy",
        "mobil",
        "anrufen",
        "téléphone",
        "portable",
        "appeler",
        "teléfono",
        "telefono",
        "móvil",
        "llamar",
        "cellulare",
        "chiamare",
        "telefoon",
        "bellen",
    )
    INTERNATIONAL_SCORE = 0.75
    FORMATTED_SCORE = 0.6
    # A bare digit string is as likely an id: only context lifts it over the threshold, and
    # then still under a checksummed id (BSN, SSN) with its own context.
    PLAIN_SCORE = 0.25

    def __init__(self, regions: Sequence[str] = DEFAULT_REGIONS) -> None:
        self.regions = tuple(regions)
        self._shapes = {r: _Shape.of(r) for r in self.regions}
        self._dial_00 = tuple(r for r in self.regions if self._shapes[r].dials_00)

    def find(self, text: str) -> Iterator[Finding]:
        seen: set[tuple[int, int]] = set()
        for candidate in _CANDIDATE.finditer(text):
            raw = candidate.group()
            if _not_a_number(text, candidate):
                continue
            if not _MAY_HOLD_NUMBERS.search(raw):
                # A part of a run is kept only where it does not touch more digits (see
                # `_rejected`), which takes a bracket, a tab or a dash between them: here
                # only the whole run can be a number. Whether it would be kept is cheap to
                # ask, so libphonenumber parses only runs that would be reported.
                start, end = _balanced(text, candidate.start(), candidate.end())
                number = text[start:end]
                if (start, end) in seen or self._rejected(text, start, end, number):
                    continue
                if self._whole_region(raw) is not None:
                    seen.add((start, end))
                    yield Finding("PHONE_NUMBER", start, end, self._score(number), self.name)
                continue
            regions = self._regions_for(raw)
            found_in = self._whole(raw, regions)
            if found_in is not None and "/" not in raw:
                # The whole run one valid number: no need for the matcher's (slow) search
                # for numbers inside it.
                spans = [_balanced(text, candidate.start(), candidate.end())]
            else:
                spans = self._matched(text, candidate, regions)
            for start, end in spans:
                if (start, end) in seen:
                    continue
                seen.add((start, end))
                number = text[start:end]
                if not self._rejected(text, start, end, number):
                    yield Finding("PHONE_NUMBER", start, end, self._score(number), self.name)

    def _regions_for(self, raw: str) -> tuple[str, ...]:
        """International numbers read the same from every region; a national one is worth
        parsing only in regions where its digits could be a number."""
        lead = raw.lstrip("(")
        if lead.startswith("+"):
            return self.regions[:1]
        if lead.startswith("00"):  # the international prefix of most of Europe
            return self._dial_00[:1]
        digits = "".join(filter(str.isdigit, raw))
        return tuple(r for r in self.regions if self._shapes[r].could_be(digits))

    def _whole_region(self, raw: str) -> str | None:
        """`_whole(raw, _regions_for(raw))`, asking each region's cheap questions (trunk
        prefix, then shape) only until a region's parse succeeds."""
        lead = raw.lstrip("(")
        if lead.startswith(("+", "00")):
            return self._whole(raw, self._regions_for(raw))
        digits = "".join(filter(str.isdigit, raw))
        for region in self.regions:
            shape = self._shapes[region]
            if shape.trunk == "0" and not lead.startswith("0"):
                continue
            if shape.could_be(digits) and _valid_in(raw, region):
                return region
        return None

    @staticmethod
    def _matched(
        text: str, candidate: re.Match[str], regions: Sequence[str]
    ) -> list[tuple[int, int]]:
        """The numbers libphonenumber's matcher finds inside a run, region by region."""
        # One character of margin each side lets the matcher see a letter glued on.
        offset = max(0, candidate.start() - 1)
        window = text[offset : candidate.end() + 1]
        spans: list[tuple[int, int]] = []
        for region in regions:
            whole = False
            for match in PhoneNumberMatcher(window, region, leniency=Leniency.VALID):
                start, end = _balanced(text, offset + match.start, offset + match.end)
                whole = whole or (start <= candidate.start() and end >= candidate.end())
                spans.append((start, end))
            if whole:  # other regions could only find the same span or a part of it
                break
        return spans

    def _whole(self, raw: str, regions: Sequence[str]) -> str | None:
        """The region in which the whole run parses as a valid number, if any (one parse
        per region: much cheaper than the matcher's search for numbers inside). As the
        matcher requires, a national number of a region with a trunk prefix ("0") must be
        written with it."""
        international = raw.lstrip("(").startswith(("+", "00"))
        for region in regions:
            trunk = self._shapes[region].trunk
            if not international and trunk == "0" and not raw.lstrip("(").startswith("0"):
                continue
            if _valid_in(raw, region):
                return region
        return None

    def _score(self, raw: str) -> float:
        if _INTERNATIONAL.match(raw):
            return self.INTERNATIONAL_SCORE
        # Bare digits (maybe bracketed: "[1690246]") and the US SSN's 3-2-4 grouping are
        # phone numbers only if context says so.
        if _PLAIN.fullmatch(raw.strip("[]()")) or _SSN_SHAPE.fullmatch(raw):
            return self.PLAIN_SCORE
        return self.FORMATTED_SCORE

    @staticmethod
    def _rejected(text: str, start: int, end: int, raw: str) -> bool:
        national = _INTERNATIONAL.match(raw) is None
        return (
            (national and sum(map(str.isdigit, raw)) > _MAX_DIGITS)
            or (national and preceded_by_reversed(text, start, _ID_LABEL_REVERSED))
            or in_digit_run(text, start, end, separators=" -./,:")
            or glued(text, start, end, joiners="-_/")
            or after_reference(text, start)
            or after_currency(text, start)
            or _DATE_LIKE.fullmatch(raw) is not None
            or _TIME_NEXT.match(text, end) is not None
        )


@dataclass(frozen=True)
class _Shape:
    """What a region's national numbers look like: trunk prefix, lengths, and the broad
    pattern every valid number matches (from libphonenumber's metadata)."""

    trunk: str | None
    lengths: frozenset[int]
    pattern: re.Pattern[str]
    dials_00: bool  # "00" starts an international number dialled from here

    @classmethod
    def of(cls, region: str) -> _Shape:
        meta = PhoneMetadata.metadata_for_region(region)
        assert meta is not None and meta.general_desc is not None
        general = meta.general_desc
        return cls(
            meta.national_prefix,
            frozenset(general.possible_length or ()),
            re.compile(general.national_number_pattern or r"\d+"),
            re.fullmatch(meta.international_prefix or "", "00") is not None,
        )

    def could_be(self, digits: str) -> bool:
        """Whether `digits` (as written, maybe with an extension) could be a national number
        here; cheap, so the matcher runs only where it might succeed."""
        options = [digits]
        if self.trunk and digits.startswith(self.trunk):
            options.append(digits[len(self.trunk) :])
        return any(
            self.pattern.match(n) is not None
            and any(n[:k] and self.pattern.fullmatch(n[:k]) for k in self.lengths if k <= len(n))
            for n in options
        )


@lru_cache(maxsize=4096)
def _valid_in(raw: str, region: str) -> bool:
    """Whether `raw` parses, in `region`, as a valid number. Cached: parsing is the slow
    step, and the same number comes back in a signature or a thread."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(number))


def _balanced(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without an opening bracket that closes nowhere in it ("[1690246"), nor a
    closing one that opens nowhere in it ("+44 20 7946 0958)" inside brackets)."""
    while (
        start < end and text[start] in "([" and ")]"["([".index(text[start])] not in text[start:end]
    ):
        start += 1
    while (
        start < end
        and text[end - 1] in ")]"
        and "(["[")]".index(text[end - 1])] not in text[start : end - 1]
    ):
        end -= 1
    return start, end


def _not_a_number(text: str, candidate: re.Match[str]) -> bool:
    """A run too short for a phone number, glued to other text, or as a whole a date, an IP
    address, a card or IBAN tail, a price or a reference."""
    raw = candidate.group()
    digits = sum(map(str.isdigit, raw))
    return (
        digits < _MIN_DIGITS
        or glued_before(text, candidate.start(), joiners="-_/")
        or (digits > _MAX_DIGITS and _FOURS.fullmatch(raw) is not None)
        or (raw.isdigit() and len(raw) > _MAX_DIGITS)
        or _DATE_LIKE.fullmatch(raw) is not None
        or _IPV4_LIKE.fullmatch(raw) is not None
        or after_reference(text, candidate.start())
        or after_currency(text, candidate.start())
    )
