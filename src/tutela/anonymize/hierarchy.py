"""Generalization hierarchies: ARX CSV files, and numeric bands / date units from YAML.

A `Hierarchy` is ARX's table: one row per original value (leaf), one column per level, level 0
the value itself, the last level usually `*`. Each level must determine the next (a value at
level j never maps to two values at level j+1), so generalizing only ever merges classes.
`IntervalHierarchy` and `DateHierarchy` are recipes: `build(column, values)` turns them into
a `Hierarchy` over the column's distinct values.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, TypeAlias

from tutela.anonymize.errors import HierarchyInvalid, ValueNotInHierarchy

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import polars as pl

TOP = "*"
DateUnit = Literal["week", "month", "quarter", "year", "decade", "century"]
DATE_UNITS: tuple[DateUnit, ...] = ("week", "month", "quarter", "year", "decade", "century")


class HierarchySource(Protocol):
    """Anything that yields a hierarchy for a column: a `Hierarchy` or a recipe for one."""

    def build(self, column: str, values: pl.Series) -> Hierarchy:
        """The hierarchy for `column`, whose values are `values` (raises if one is uncovered)."""
        ...


@dataclass(frozen=True, eq=False)
class Hierarchy:
    """A generalization hierarchy in ARX's layout: `rows[i]` = (leaf, level 1, ..., top).

    Attributes:
        rows: one tuple per leaf, all of the same length (height + 1).
        source: where it came from (a file name or column), used in error messages.

    Raises:
        HierarchyInvalid: empty, ragged rows, a repeated leaf, or a level that does not
            determine the next.
    """

    rows: tuple[tuple[str, ...], ...]
    source: str = "hierarchy"

    def __post_init__(self) -> None:
        if not self.rows:
            raise HierarchyInvalid(self.source, "the hierarchy has no rows")
        width = len(self.rows[0])
        seen: dict[str, int] = {}
        for number, row in enumerate(self.rows, start=1):
            if len(row) != width:
                raise HierarchyInvalid(
                    self.source, f"row {number} has {len(row)} columns, row 1 has {width}"
                )
            if row[0] in seen:
                raise HierarchyInvalid(
                    self.source, f"row {number} repeats the leaf of row {seen[row[0]]}"
                )
            seen[row[0]] = number
        for level in range(1, width - 1):
            parent: dict[str, str] = {}
            for number, row in enumerate(self.rows, start=1):
                if parent.setdefault(row[level], row[level + 1]) != row[level + 1]:
                    raise HierarchyInvalid(
                        self.source,
                        f"row {number}: a value at level {level} generalizes to two different "
                        f"values at level {level + 1}",
                    )

    # -- construction ----------------------------------------------------------------------

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[str]], *, source: str = "hierarchy") -> Hierarchy:
        """A hierarchy from rows of strings (leaf first, then one value per level)."""
        return cls(_without_repeats(tuple(str(v) for v in row) for row in rows), source)

    @classmethod
    def read_csv(cls, path: str | Path, *, sep: str = ";") -> Hierarchy:
        """Read an ARX hierarchy file unchanged: no header, `;`-separated, UTF-8.

        Raises:
            HierarchyInvalid: the file cannot be read or is not a valid hierarchy.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise HierarchyInvalid(
                path.name, f"cannot read the file ({type(exc).__name__})"
            ) from None
        return cls.from_csv_text(text, sep=sep, source=path.name)

    @classmethod
    def from_csv_text(cls, text: str, *, sep: str = ";", source: str = "hierarchy") -> Hierarchy:
        """Parse ARX CSV text (blank lines skipped; `"` quotes a field holding `sep`)."""
        reader = csv.reader(io.StringIO(text), delimiter=sep, quotechar='"')
        rows = [tuple(row) for row in reader if row and any(cell.strip() for cell in row)]
        return cls(_without_repeats(rows), source)

    def build(self, column: str, values: pl.Series) -> Hierarchy:
        """A fixed hierarchy is its own build (leaves not in the data stay in the domain)."""
        return self

    # -- shape -----------------------------------------------------------------------------

    @property
    def height(self) -> int:
        """Number of levels above the leaves (ARX's height minus one)."""
        return len(self.rows[0]) - 1

    @cached_property
    def leaves(self) -> tuple[str, ...]:
        """The original values, in file order."""
        return tuple(row[0] for row in self.rows)

    def level(self, level: int) -> tuple[str, ...]:
        """Column `level` of the table: each leaf's generalized value at that level."""
        self._check_level(level)
        return tuple(row[level] for row in self.rows)

    def generalize(self, value: str, level: int) -> str:
        """The generalized value of leaf `value` at `level`.

        Raises:
            ValueNotInHierarchy: `value` is not a leaf (the message names the source only).
        """
        self._check_level(level)
        index = self._leaf_index.get(value)
        if index is None:
            raise ValueNotInHierarchy(self.source, 1)
        return self.rows[index][level]

    def _check_level(self, level: int) -> None:
        if not 0 <= level <= self.height:
            raise HierarchyInvalid(self.source, f"level {level} is outside 0..{self.height}")

    @cached_property
    def _leaf_index(self) -> dict[str, int]:
        return {leaf: i for i, leaf in enumerate(self.leaves)}

    @cached_property
    def codes(self) -> tuple[npt.NDArray[np.int32], ...]:
        """Per level, each leaf's integer code of its generalized value (0..distinct-1)."""
        import numpy as np

        out = []
        for level in range(self.height + 1):
            index: dict[str, int] = {}
            out.append(
                np.fromiter(
                    (index.setdefault(row[level], len(index)) for row in self.rows),
                    dtype=np.int32,
                    count=len(self.rows),
                )
            )
        return tuple(out)

    @cached_property
    def labels(self) -> tuple[tuple[str, ...], ...]:
        """Per level, the generalized value of each code in `codes` (code -> label)."""
        out = []
        for level in range(self.height + 1):
            index: dict[str, None] = {}
            for row in self.rows:
                index.setdefault(row[level], None)
            out.append(tuple(index))
        return tuple(out)


# -- recipes built on the data ------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """A half-open numeric interval [low, high) with an optional label."""

    low: float
    high: float
    label: str | None = None


@dataclass(frozen=True)
class Bands:
    """Equal-width bands [start + i*width, start + (i+1)*width) for every integer i."""

    width: float
    start: float = 0.0


Level: TypeAlias = Bands | tuple[Interval, ...]


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _label(low: float, high: float, integral: bool) -> str:
    if integral and float(low).is_integer() and float(high).is_integer():
        return f"{_number(low)}-{_number(high - 1)}"
    return f"[{_number(low)}, {_number(high)})"


@dataclass(frozen=True)
class IntervalHierarchy:
    """Numeric hierarchy: each level is `Bands` or a list of `Interval`s, then `*` on top.

    Integer columns get labels like `20-29`, others `[20, 30)`. Levels must nest (every
    band of a level lies inside one band of the next); `build` checks it on the data.
    """

    levels: tuple[Level, ...]
    top: str = TOP

    def build(self, column: str, values: pl.Series) -> Hierarchy:
        """Materialise over the column's distinct values.

        Raises:
            HierarchyInvalid: the column is not numeric, or the levels do not nest.
            ValueNotInHierarchy: a value lies in no interval of some level.
        """
        import polars as pl

        if not values.dtype.is_numeric():
            raise HierarchyInvalid(column, "an interval hierarchy needs a numeric column")
        distinct = values.drop_nulls().unique(maintain_order=True)
        if values.null_count():
            raise ValueNotInHierarchy(column, values.null_count())
        integral = values.dtype.is_integer()
        numbers = distinct.cast(pl.Float64).to_list()
        leaves = distinct.cast(pl.String).to_list()
        columns: list[list[str]] = [leaves]
        for level in self.levels:
            labels: list[str] = []
            for x in numbers:
                found = _place(level, x, integral)
                if found is None:
                    raise ValueNotInHierarchy(column, int((values == x).sum()))
                labels.append(found)
            columns.append(labels)
        columns.append([self.top] * len(leaves))
        return Hierarchy(tuple(zip(*columns, strict=True)), column)


def _place(level: Level, x: float, integral: bool) -> str | None:
    if isinstance(level, Bands):
        low = level.start + math.floor((x - level.start) / level.width) * level.width
        return _label(low, low + level.width, integral)
    for interval in level:
        if interval.low <= x < interval.high:
            return interval.label or _label(interval.low, interval.high, integral)
    return None


@dataclass(frozen=True)
class DateHierarchy:
    """Date hierarchy by calendar units (`week` `2024-W09`, `month` `2024-03`, `quarter`
    `2024-Q1`, `year` `2024`, `decade` `2020s`, `century` `2000s`), then `*` on top.

    Units must nest: an ISO week straddles months and years, so `week` can only be the sole
    unit; `build` rejects units that do not nest.
    """

    units: tuple[DateUnit, ...] = ("month", "year")
    top: str = TOP

    def build(self, column: str, values: pl.Series) -> Hierarchy:
        """Materialise over the column's distinct dates.

        Raises:
            HierarchyInvalid: the column is not a Date/Datetime, or the units do not nest.
            ValueNotInHierarchy: the column holds nulls.
        """
        import polars as pl

        if values.dtype not in (pl.Date, pl.Datetime) and not isinstance(values.dtype, pl.Datetime):
            raise HierarchyInvalid(column, "a date hierarchy needs a Date or Datetime column")
        if values.null_count():
            raise ValueNotInHierarchy(column, values.null_count())
        for unit in self.units:
            if unit not in DATE_UNITS:
                raise HierarchyInvalid(column, f"unknown date unit (use one of {DATE_UNITS})")
        distinct = values.unique(maintain_order=True)
        frame = pl.DataFrame({"v": distinct})
        d = pl.col("v").dt
        exprs = {
            "week": d.strftime("%G-W%V"),
            "month": d.strftime("%Y-%m"),
            "quarter": d.strftime("%Y") + pl.lit("-Q") + d.quarter().cast(pl.String),
            "year": d.strftime("%Y"),
            "decade": (d.year() // 10 * 10).cast(pl.String) + pl.lit("s"),
            "century": (d.year() // 100 * 100).cast(pl.String) + pl.lit("s"),
        }
        out = frame.select(
            pl.col("v").cast(pl.String).alias("leaf"),
            *(exprs[u].alias(f"l{i}") for i, u in enumerate(self.units)),
        )
        columns = [out.get_column(name).to_list() for name in out.columns]
        columns.append([self.top] * out.height)
        return Hierarchy(tuple(zip(*columns, strict=True)), column)


def _without_repeats(rows: Iterable[tuple[str, ...]]) -> tuple[tuple[str, ...], ...]:
    """The rows with exact repeats dropped (ARX accepts a leaf listed twice on identical rows,
    as FARS's age hierarchy does); a leaf repeated with a different row stays an error."""
    seen: set[tuple[str, ...]] = set()
    kept = []
    for row in rows:
        if row not in seen:
            seen.add(row)
            kept.append(row)
    return tuple(kept)
