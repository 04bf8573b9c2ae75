"""Applying an operator to one column of one streamed batch, for `tutela.deid.tables`.

Operators are Python and cost microseconds per value, so the work per batch is: find the
distinct values (in Polars), call the operator once for each, spread the results back to the
rows. Pseudonyms and fakes are deterministic per value (and subject), which is what makes
this correct. A memo kept across batches (bounded, so memory stays flat however long the
table) saves the calls again for values that recur further down: names, cities, dates.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tutela.deid._table_io import ColumnFailed, TableError
from tutela.deid.operators.base import Operator
from tutela.deid.operators.date_shift import SubjectAware

if TYPE_CHECKING:
    import polars as pl

MEMO_LIMIT = 100_000  # values remembered per column; the memo is emptied when it is full
REPEATED = 0.5  # at most this share of a batch's values distinct: map the distinct ones only
DISTINCT = 0.95  # at least this share distinct: call the operator per row, no memo
Progress = Callable[[int, int | None], None]

# One lock for all Python work on values: the GIL serialises it anyway, and an operator need
# not be thread-safe (Polars runs batches on several threads).
_VALUES_LOCK = threading.Lock()


class RowCounter:
    """Rows done so far, reported to a progress callback (batches finish on several
    threads, hence the lock)."""

    def __init__(self, total: int | None, progress: Progress | None) -> None:
        self.total, self.progress, self.done = total, progress, 0
        self._lock = threading.Lock()

    def add(self, rows: int) -> None:
        with self._lock:
            self.done += rows
            if self.progress is not None:
                self.progress(self.done, self.total)

    def finish(self) -> None:
        if self.progress is not None:
            self.progress(self.done, self.done)


class BatchMapper:
    """The function Polars calls with each batch of one column (`map_batches`).

    Args:
        column: the column's name (named in errors).
        path: the input file (named in errors).
        operator: what to apply to each value (None: nothing, the mapper only counts rows).
        entity_type: the type the values are given to the operator as.
        subject: for a subject-aware operator (`date_shift`), the column whose value names a
            row's subject; the batch is then a struct of the two columns.
        counter: counts the rows of each batch (given to one column only).
    """

    def __init__(
        self,
        column: str,
        path: Path,
        *,
        operator: Operator | None = None,
        entity_type: str = "TEXT",
        subject: str | None = None,
        counter: RowCounter | None = None,
    ) -> None:
        self.column, self.path, self.counter = column, path, counter
        self.operator, self.entity_type = operator, entity_type
        self.subject = subject if isinstance(operator, SubjectAware) else None
        self.failure: TableError | None = None
        self._memo: dict[str, str] = {}
        self._subject_memo: dict[tuple[str, str], str] = {}

    def __call__(self, series: pl.Series) -> pl.Series:
        try:
            if self.operator is None:
                result = series
            elif self.subject is not None:
                result = self._map_for_subjects(series, self.subject)
            else:
                result = self._map(series, self.operator.apply)
        except Exception as exc:
            # Only the class: the message of an operator's error may quote the value.
            self.failure = ColumnFailed(self.column, self.path, type(exc).__name__)
            raise
        if self.counter is not None:
            self.counter.add(len(series))
        return result

    def _map(self, series: pl.Series, apply: Callable[[str, str], str]) -> pl.Series:
        import polars as pl

        if series.dtype != pl.String:
            series = series.cast(pl.String)
        distinct = series.drop_nulls().unique()
        share = len(distinct) / len(series) if len(series) else 1.0
        kind, memo = self.entity_type, self._memo
        with _VALUES_LOCK:
            if share <= REPEATED:
                # One call per distinct value, then a hash join back to the rows.
                keys = distinct.to_list()
                mapped = pl.Series([self._memoised(k, apply) for k in keys], dtype=pl.String)
            elif share >= DISTINCT:
                # Every value new (emails, phone numbers): neither join nor memo pays.
                values = series.to_list()
                return pl.Series(
                    series.name,
                    [v if v is None or _blank(v) else apply(v, kind) for v in values],
                    dtype=pl.String,
                )
            else:
                out: list[str | None] = []
                append, remembered = out.append, memo.get
                for value in series.to_list():
                    done = None if value is None else remembered(value)
                    if done is None and value is not None:
                        done = self._memoised(value, apply)
                    append(done)
                return pl.Series(series.name, out, dtype=pl.String)
        return series.replace_strict(distinct, mapped, default=None, return_dtype=pl.String)

    def _memoised(self, value: str, apply: Callable[[str, str], str]) -> str:
        memo = self._memo
        done = memo.get(value)
        if done is None:
            if len(memo) >= MEMO_LIMIT:
                memo.clear()
            done = memo[value] = value if _blank(value) else apply(value, self.entity_type)
        return done

    def _map_for_subjects(self, series: pl.Series, subject: str) -> pl.Series:
        import polars as pl

        assert isinstance(self.operator, SubjectAware)
        apply_for, kind = self.operator.apply_for, self.entity_type
        values = series.struct.field(self.column).cast(pl.String).to_list()
        subjects = series.struct.field(subject).cast(pl.String).to_list()
        memo = self._subject_memo
        out: list[str | None] = []
        with _VALUES_LOCK:
            for value, who in zip(values, subjects, strict=True):
                if value is None or _blank(value):
                    out.append(value)
                    continue
                key = (value, who or "")
                done = memo.get(key)
                if done is None:
                    if len(memo) >= MEMO_LIMIT:
                        memo.clear()
                    done = memo[key] = apply_for(value, kind, key[1])
                out.append(done)
        return pl.Series(self.column, out, dtype=pl.String)


def _blank(value: str) -> bool:
    # A blank cell holds nothing personal; its pseudonym would only say "blank".
    return not value or value.isspace()
