"""The query language of `tutela dp`: what to release, with the bounds the user declares.

    count                                  rows of the table
    count by COLUMN in A,B,C               a histogram over the declared categories (values
    histogram COLUMN in A,B,C              not declared are counted together as "other")
    sum COLUMN bounds LOW..HIGH            values clamped to the declared bounds
    mean COLUMN bounds LOW..HIGH           a noisy sum over a noisy count (epsilon halved)

Bounds and categories are declared, never taken from the data: reading them from the table
would release something about it without noise. Column names with spaces are quoted
(``sum "order total" bounds 0..500``); so are categories holding commas or spaces.
Errors name the query's position and the part at fault, never the text typed.
"""

from __future__ import annotations

import math
import re
import shlex
from dataclasses import dataclass
from enum import StrEnum

from tutela.dp.errors import DpQueryInvalid

MAX_CATEGORIES = 10_000
_BOUNDS = re.compile(r"^\s*([-+]?[0-9.eE+-]+)\s*\.\.\s*([-+]?[0-9.eE+-]+)\s*$")
_USAGE = (
    "expected 'count', 'count by COLUMN in A,B,C', 'sum COLUMN bounds LOW..HIGH' "
    "or 'mean COLUMN bounds LOW..HIGH'"
)


class QueryKind(StrEnum):
    COUNT = "count"
    HISTOGRAM = "histogram"
    SUM = "sum"
    MEAN = "mean"


@dataclass(frozen=True)
class Query:
    """One parsed query.

    Attributes:
        kind: what is released.
        column: the column it reads (None for a row count).
        bounds: the declared clamping bounds of a sum or mean.
        categories: the declared categories of a histogram, in the order given.
    """

    kind: QueryKind
    column: str | None = None
    bounds: tuple[float, float] | None = None
    categories: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """A short name without categories or bounds (safe for the audit log)."""
        return self.kind.value if self.column is None else f"{self.kind.value} {self.column}"

    def text(self) -> str:
        """The canonical text of the query."""
        if self.kind is QueryKind.COUNT:
            return "count"
        column = _quoted(self.column or "")
        if self.kind is QueryKind.HISTOGRAM:
            return f"count by {column} in {','.join(_quoted(c) for c in self.categories)}"
        low, high = self.bounds or (0.0, 0.0)
        return f"{self.kind.value} {column} bounds {low:g}..{high:g}"


def parse_query(text: str, where: str = "query") -> Query:
    """Parse one query.

    Raises:
        DpQueryInvalid: the query is malformed; the message names `where` and the part at
            fault, never the text itself.
    """
    try:
        words = shlex.split(text)
    except ValueError:
        raise DpQueryInvalid(where, "has an unclosed quote") from None
    if not words:
        raise DpQueryInvalid(where, f"is empty ({_USAGE})")
    head = words[0].lower()
    if head == "count" and len(words) == 1:
        return Query(QueryKind.COUNT)
    if head == "count" and len(words) >= 2 and words[1].lower() == "by":
        return _histogram(words[2:], where)
    if head == "histogram":
        return _histogram(words[1:], where)
    if head in (QueryKind.SUM, QueryKind.MEAN):
        return _bounded(QueryKind(head), words[1:], where)
    raise DpQueryInvalid(where, _USAGE)


def _histogram(words: list[str], where: str) -> Query:
    if not words:
        raise DpQueryInvalid(where, "names no column to count by")
    column, rest = words[0], words[1:]
    if not rest or rest[0].lower() != "in":
        raise DpQueryInvalid(
            where,
            "a histogram declares its categories: 'count by COLUMN in A,B,C' (categories read "
            "from the data would release them without noise)",
        )
    categories = tuple(c.strip() for c in ",".join(rest[1:]).split(","))
    categories = tuple(c for c in categories if c)
    if not categories:
        raise DpQueryInvalid(where, "declares no categories after 'in'")
    if len(set(categories)) != len(categories):
        raise DpQueryInvalid(where, "declares a category twice")
    if len(categories) > MAX_CATEGORIES:
        raise DpQueryInvalid(where, f"declares more than {MAX_CATEGORIES} categories")
    return Query(QueryKind.HISTOGRAM, column=column, categories=categories)


def _bounded(kind: QueryKind, words: list[str], where: str) -> Query:
    if not words:
        raise DpQueryInvalid(where, f"names no column to {kind.value}")
    column, rest = words[0], words[1:]
    if not rest or rest[0].lower() not in ("bounds", "clamp"):
        raise DpQueryInvalid(
            where,
            f"a {kind.value} declares the bounds its values are clamped to: "
            f"'{kind.value} COLUMN bounds LOW..HIGH'",
        )
    match = _BOUNDS.match(" ".join(rest[1:]))
    if match is None:
        raise DpQueryInvalid(where, "bounds are written LOW..HIGH, e.g. 0..1000")
    try:
        low, high = float(match.group(1)), float(match.group(2))
    except ValueError:
        raise DpQueryInvalid(where, "bounds are numbers, e.g. 0..1000") from None
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        raise DpQueryInvalid(where, "bounds are finite numbers with LOW below HIGH")
    return Query(kind, column=column, bounds=(low, high))


def _quoted(word: str) -> str:
    return shlex.quote(word) if word and re.fullmatch(r"[A-Za-z0-9_.:/@-]+", word) is None else word
