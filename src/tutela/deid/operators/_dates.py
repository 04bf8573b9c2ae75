"""Read a date as written and write another date the same way (for `date_shift`, `fake` and
`generalize`).

Understood: ``2024-03-05`` (also ``/`` or ``.``, with a time after it kept as it is),
``05/03/2024`` and ``5.3.24`` (day first unless told otherwise; a part over 12 decides),
``5 March 2024``, ``5th Mar. 2024``, ``March 5, 2024``. Month names are English; other forms
are not understood (the operators then fall back to a replacement).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTHS = {name: n for n, name in enumerate(_MONTH_NAMES, start=1)}
_MONTHS.update({name[:3]: n for n, name in enumerate(_MONTH_NAMES, start=1)})
_MONTHS["sept"] = 9
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")(?P<dot>\.?)"
_ORD = r"(?P<ord>st|nd|rd|th)?"

_ISO = re.compile(
    r"(?P<year>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?P<rest>[T ]\S.*)?"
)
_NUMERIC = re.compile(r"(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})")
_DAY_MONTH = re.compile(
    r"(?P<d>\d{1,2})" + _ORD + r"(?P<s1>\s+(?:of\s+)?)" + _MONTH + r"(?P<s2>,?\s+)(?P<year>\d{4})",
    re.IGNORECASE,
)
_MONTH_DAY = re.compile(
    _MONTH + r"(?P<s1>\s+)(?P<d>\d{1,2})" + _ORD + r"(?P<s2>,?\s+)(?P<year>\d{4})",
    re.IGNORECASE,
)
_YEAR_MONTH = re.compile(r"(?P<year>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})")
_CENTURY_PIVOT = 50  # two-digit years: 00-49 are 20xx, 50-99 are 19xx


@dataclass(frozen=True)
class WrittenDate:
    """A date and how to write another one the same way."""

    date: dt.date
    render: Callable[[dt.date], str]


def parse(value: str, *, day_first: bool = True) -> WrittenDate | None:
    """The date `value` writes, or None if it is not a date in a form understood."""
    lead = value[: len(value) - len(value.lstrip())]
    trail = value[len(value.rstrip()) :]
    text = value.strip()
    for reader in (_iso, _numeric, _textual):
        found = reader(text, day_first)
        if found is not None:
            return WrittenDate(found.date, _framed(found.render, lead, trail))
    return None


def _framed(render: Callable[[dt.date], str], lead: str, trail: str) -> Callable[[dt.date], str]:
    return lambda d: lead + render(d) + trail


def year_month(value: str, *, day_first: bool = True) -> tuple[int, int | None] | None:
    """(year, month) of a full date, or of ``2024-03``, or (year, None) of a bare ``2024``."""
    written = parse(value, day_first=day_first)
    if written is not None:
        return written.date.year, written.date.month
    text = value.strip()
    if m := _YEAR_MONTH.fullmatch(text):
        month = int(m["m"])
        return (int(m["year"]), month) if 1 <= month <= 12 else None
    if re.fullmatch(r"\d{4}", text):
        return int(text), None
    return None


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _padder(*parts: str) -> Callable[[int], str]:
    """Pad to two digits as the original did: all parts two digits (or any with a leading
    zero) means padded."""
    padded = any(p.startswith("0") for p in parts) or all(len(p) == 2 for p in parts)
    return (lambda n: f"{n:02d}") if padded else str


def _iso(text: str, day_first: bool) -> WrittenDate | None:
    m = _ISO.fullmatch(text)
    if m is None:
        return None
    date = _date(int(m["year"]), int(m["m"]), int(m["d"]))
    if date is None:
        return None
    pad, sep, rest = _padder(m["m"], m["d"]), m["sep"], m["rest"] or ""
    return WrittenDate(date, lambda d: f"{d.year:04d}{sep}{pad(d.month)}{sep}{pad(d.day)}{rest}")


def _numeric(text: str, day_first: bool) -> WrittenDate | None:
    m = _NUMERIC.fullmatch(text)
    if m is None:
        return None
    a, b, year_text = int(m["a"]), int(m["b"]), m["year"]
    year = int(year_text)
    if len(year_text) == 2:
        year += 2000 if year < _CENTURY_PIVOT else 1900
    if a > 12 >= b:
        day_first = True
    elif b > 12 >= a:
        day_first = False
    day, month = (a, b) if day_first else (b, a)
    date = _date(year, month, day)
    if date is None:
        return None
    pad, sep, short = _padder(m["a"], m["b"]), m["sep"], len(year_text) == 2

    def render(d: dt.date) -> str:
        first, second = (d.day, d.month) if day_first else (d.month, d.day)
        y = f"{d.year % 100:02d}" if short else f"{d.year:04d}"
        return f"{pad(first)}{sep}{pad(second)}{sep}{y}"

    return WrittenDate(date, render)


def _textual(text: str, day_first: bool) -> WrittenDate | None:
    m = _DAY_MONTH.fullmatch(text)
    day_leads = m is not None
    m = m or _MONTH_DAY.fullmatch(text)
    if m is None:
        return None
    word = m["month"]
    date = _date(int(m["year"]), _MONTHS[word.lower()], int(m["d"]))
    if date is None:
        return None
    abbreviated = word.lower() not in _MONTH_NAMES
    case = str.upper if word.isupper() else str.lower if word.islower() else str.title
    pad = _padder(m["d"]) if m["d"].startswith("0") else str
    s1, s2, dot, ordinal = m["s1"], m["s2"], m["dot"], m["ord"]

    def render(d: dt.date) -> str:
        name = _MONTH_NAMES[d.month - 1]
        if abbreviated:
            name = name[:4] if word.lower() == "sept" and d.month == 9 else name[:3]
        name = case(name) + (dot if abbreviated else "")
        day = pad(d.day) + (_ordinal(d.day, ordinal) if ordinal else "")
        if day_leads:
            return f"{day}{s1}{name}{s2}{d.year:04d}"
        return f"{name}{s1}{day}{s2}{d.year:04d}"

    return WrittenDate(date, render)


def _ordinal(day: int, like: str) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return suffix.upper() if like.isupper() else suffix
