"""DATE_TIME: calendar dates ("2024-03-05", "05/03/1984", "March 5, 1984", "5. März 1984"),
reported only near date-of-birth words. A date is everywhere, so its base score is under the
threshold; a date stuck to a time of day is a log timestamp and never reported."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from tutela.deid._digits import matches_at_numbers
from tutela.deid.findings import Finding
from tutela.deid.recognizer import Recognizer
from tutela.deid.registry import register

# Month names and abbreviations in English, German, French, Spanish, Italian and Dutch.
_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "january jan januar jänner janvier janv enero ene gennaio gen januari",
        "february feb februar février fevrier févr fevr febrero febbraio februari",
        "march mar märz maerz mrz mär mars marzo maart mrt",
        "april apr avril avr abril aprile",
        "may mai mayo maggio mei mag",
        "june jun juni juin junio giugno giu",
        "july jul juli juillet juil julio luglio lug",
        "august aug août aout agosto ago augustus",
        "september sep sept septembre septiembre settembre set",
        "october oct oktober okt octobre octubre ottobre ott",
        "november nov novembre noviembre",
        "december dec dezember dez décembre decembre déc diciembre dic dicembre",
    ),
    start=1,
):
    _MONTHS.update(dict.fromkeys(_names.split(), _number))

_MONTH = (
    "(?P<month>"
    + "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True))
    + r")(?![^\W\d_])\.?"
)
_ORDINAL = r"(?:st|nd|rd|th|er|e|º|°|\.)?"
_EDGE_BEFORE = r"(?<![\w./:-])"
_EDGE_AFTER = r"(?![\w/+-])(?![.:]\d)"  # "+": semantic-version build metadata
_YEAR = r"(?P<year>\d{4})"
# A day-first month name comes after a letter: looking ahead for one spares most numbers
# a try of every month name at every way of reading the ordinal and spaces.
_LETTER_AFTER_DAY = r"(?=\d{1,2}" + _ORDINAL + r"\s*[^\W\d_])"

_PATTERNS = tuple(
    re.compile(_EDGE_BEFORE + p + _EDGE_AFTER, re.IGNORECASE)
    for p in (  # the first three start at a number, the last at a month name
        # 2024-03-05, 2024/03/05, 2024.03.05
        r"(?P<year>\d{4})(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})",
        # 05/03/1984, 5.3.1984, 05-03-84 (day or month first)
        r"(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})",
        # 5 March 1984, 5th Mar. 1984, 5. März 1984, 5 de marzo de 1984
        _LETTER_AFTER_DAY
        + r"(?P<day>\d{1,2})"
        + _ORDINAL
        + r"\s*(?:de\s+|of\s+)?"
        + _MONTH
        + r",?\s*(?:de\s+)?"
        + _YEAR,
        # March 5, 1984, Mar 5th 1984
        _MONTH + r"\s*(?P<day>\d{1,2})" + _ORDINAL + r",?\s*" + _YEAR,
    )
)
# The digits each pattern's first number holds at least (see `tutela.deid._digits`); 0: the
# pattern starts at a month name and is tried at `_WORD_THEN_NUMBER` only.
_DIGITS = (4, 1, 1, 0)
# Where a month-first date can start: a month name is letters only and must be a whole word,
# the same edge before it, then a day number. Far fewer places than a scan tries, each with
# the long list of month names.
_WORD_THEN_NUMBER = re.compile(r"(?<![\w./:-])[^\W\d_]+\.?\s*\d")
# "version 1.2.24", "v4.13.57", "build 12.20.17"
_VERSION_BEFORE = re.compile(
    r"(?<![^\W\d_])(?:v|ver|version|versión|versione|versie|release|build|app|rev)[\s.:]*$",
    re.IGNORECASE,
)
# A time of day right before or after: "2024-03-05T10:22:01Z", "2024-03-05 10:22:01,123".
_TIME_AFTER = re.compile(r"(?:T|[ \t]{1,2}|,[ \t]?|[ \t]?-[ \t]?)\d{1,2}[:h]\d{2}", re.IGNORECASE)
_TIME_BEFORE = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?[ \t,]{1,2}$")

_MIN_YEAR, _MAX_YEAR = 1900, 2100
# A two-digit year only decides whether "29/02/yy" exists; any leap-aligned century will do.
_CENTURY_PIVOT = 2000


@register
class DateTimeRecognizer(Recognizer):
    name = "date_time"
    entities = ("DATE_TIME",)
    context = (
        "born",
        "dob",
        "birth",  # date of birth, birthdate, birthday, birthplace
        "geboren",
        "geburt",  # Geburtsdatum, Geburtstag
        "né",
        "née",
        "naissance",
        "nacido",
        "nacida",
        "nacimiento",
        "nato",
        "nata",
        "nascita",
        "geboortedatum",
    )
    SCORE = 0.4
    max_score = SCORE

    def find(self, text: str) -> Iterator[Finding]:
        for regex, digits in zip(_PATTERNS, _DIGITS, strict=True):
            if digits:
                matches = matches_at_numbers(regex, text, digits)
            else:
                matches = matches_at_words(regex, text)
            for match in matches:
                start, end = match.span()
                if _TIME_AFTER.match(text, end) or _TIME_BEFORE.search(
                    text, max(0, start - 16), start
                ):
                    continue
                if _VERSION_BEFORE.search(text, max(0, start - 12), start):
                    continue
                if _is_date(match):
                    yield Finding("DATE_TIME", start, end, self.SCORE, self.name)


def matches_at_words(regex: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """The matches `regex.finditer(text)` gives for the month-first pattern, which can only
    start where `_WORD_THEN_NUMBER` does: tried there alone, never inside an earlier match."""
    end = 0
    for word in _WORD_THEN_NUMBER.finditer(text):
        start = word.start()
        if start >= end and (match := regex.match(text, start)):
            end = match.end()
            yield match


def _is_date(match: re.Match[str]) -> bool:
    """Whether the match names a real calendar day (either way round if numeric and ambiguous)."""
    parts = match.groupdict()
    year = int(parts["year"])
    if len(parts["year"]) == 2:
        year += _CENTURY_PIVOT
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return False
    if parts.get("a") is not None:
        a, b = int(parts["a"]), int(parts["b"])
        # Dots are European and day first; slashes and dashes go either way.
        return _exists(year, b, a) or (parts["sep"] != "." and _exists(year, a, b))
    month = parts["month"].rstrip(".").casefold()
    number = int(month) if month.isdigit() else _MONTHS[month]
    return _exists(year, number, int(parts["day"]))


def _exists(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True
