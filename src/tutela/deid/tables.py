"""Find and de-identify personal data in tables (CSV, JSONL, Parquet), streaming with Polars.

`scan_table` classifies each column from its header and a sample of values
(`tutela.deid.columns`). `redact_table` writes a de-identified copy: each column gets the
operator the policy names for it, else the policy's operator for the type it was classified
as, and free-text columns get detection inside each value. The work streams through Polars'
streaming engine, so a table larger than memory is processed in batches.

Operators run in Python, once per *distinct* value of each batch (`tutela.deid._batches`):
pseudonyms and fakes are deterministic per value, so a column of repeated values costs one
call per value, not per row.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutela.deid._batches import BatchMapper, Progress, RowCounter
from tutela.deid._table_io import (
    ColumnFailed,
    ColumnNotInTable,
    Source,
    TableError,
    TableFormat,
    TableFormatUnsupported,
    TableNotWritten,
    TableUnreadable,
    format_of,
    open_source,
    replacing,
    unreadable,
)
from tutela.deid.analyzer import Analyzer
from tutela.deid.columns import ColumnKind, ColumnReport, classify
from tutela.deid.operators import SubjectAware
from tutela.deid.operators.base import Operator
from tutela.deid.policy import Policy
from tutela.deid.text import DetectText

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "ColumnAction",
    "ColumnFailed",
    "ColumnNotInTable",
    "Progress",
    "TableError",
    "TableFormatUnsupported",
    "TableNotWritten",
    "TableReport",
    "TableUnreadable",
    "redact_table",
    "scan_table",
]

SAMPLE_ROWS_PER_VALUE = 5  # rows read to sample `sample` non-null values from sparse columns
KEEP = "keep"

# `Progress` is called as batches are written: `progress(rows_done, total_rows_or_None)`.


@dataclass(frozen=True)
class ColumnAction:
    """What `redact_table` did to one column.

    Attributes:
        column: the column's name.
        action: "keep", "detect", or the operator's name.
        entity_type: the type the operator was applied as (None for keep and detect).
        source: "policy" (named in the policy's columns) or "classified" (from a scan).
    """

    column: str
    action: str
    entity_type: str | None
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "action": self.action,
            "type": self.entity_type,
            "source": self.source,
        }


@dataclass(frozen=True)
class TableReport:
    """The outcome of `redact_table`."""

    source: Path
    output: Path
    rows: int
    seconds: float
    columns: tuple[ColumnAction, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": str(self.source),
            "output": str(self.output),
            "rows": self.rows,
            "seconds": round(self.seconds, 3),
            "columns": [c.as_dict() for c in self.columns],
        }


# -- scanning -----------------------------------------------------------------------------


def scan_table(
    path: Path, *, policy: Policy | None = None, sample: int = 1000
) -> list[ColumnReport]:
    """Classify every column of a table.

    Args:
        path: a .csv, .tsv, .jsonl, .ndjson or .parquet file.
        policy: supplies the analyzer (recognizers, allow/deny lists, threshold); default:
            the built-in recognizers.
        sample: how many non-null values of each column to look at (from the first rows).

    Returns:
        One report per column, in table order.

    Raises:
        TableError: unsupported format, or the file cannot be read (names the line if it can).
    """
    source = open_source(path)
    analyzer = policy.analyzer() if policy is not None else Analyzer()
    return _classify_all(source, analyzer, sample)


def _classify_all(
    source: Source, analyzer: Analyzer, sample: int, only: Sequence[str] | None = None
) -> list[ColumnReport]:
    import polars as pl

    try:
        head = source.scan().head(max(sample, 1) * SAMPLE_ROWS_PER_VALUE).collect()
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise unreadable(source, exc) from None
    reports = []
    for name in head.columns:
        if only is not None and name not in only:
            continue
        values = _texts(head[name], sample)
        reports.append(classify(name, values, analyzer))
    return reports


def _texts(series: pl.Series, limit: int) -> list[str]:
    """Up to `limit` non-null values as text; nested values (lists, structs) are skipped."""
    import polars as pl

    if series.dtype.is_nested() or series.dtype == pl.Binary:
        return []
    values = series.drop_nulls().head(limit)
    if values.dtype != pl.String:
        values = values.cast(pl.String)
    return [v for v in values.to_list() if v is not None]


# -- redacting ----------------------------------------------------------------------------


def redact_table(
    path: Path,
    policy: Policy,
    out: Path,
    *,
    progress: Progress | None = None,
    sample: int = 1000,
) -> TableReport:
    """Write a de-identified copy of a table to `out` (its format from `out`'s extension).

    Columns named in the policy get their operator ("detect": find and replace personal data
    inside each value; "keep": unchanged). Every other column is classified as `scan_table`
    does and gets the policy's operator for its type, or detection if it is free text with
    personal data inside; the rest are copied unchanged. A subject-aware operator
    (`date_shift` with `subject_column`) is given each row's value of that column.

    Args:
        path: the input table.
        policy: the de-identification policy.
        out: the output path; written to a temporary file beside it and renamed on success.
        progress: called with the rows done (and the total, when known) as batches finish.
        sample: values per column sampled for classification.

    Returns:
        What was done to each column, and how many rows were written.

    Raises:
        TableError: unsupported format, unreadable or malformed input (with the line), a
            column named in the policy missing from the table, a value an operator failed on
            (its column), or an output that cannot be written. Nothing is left at `out`.
        KeyRequired: an operator needs a key and the policy has none.
    """
    import polars as pl

    started = time.perf_counter()
    out_format = format_of(out)
    source = open_source(path)
    if out.resolve() == path.resolve():
        raise TableNotWritten(out, "the output would replace the input")
    try:
        schema = source.scan().collect_schema()
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise unreadable(source, exc) from None
    for column in policy.document.columns:
        if column not in schema:
            raise ColumnNotInTable(column, path)
    policy.prepare()  # a missing key fails before any output is started
    plans = _plan(source, policy, list(schema), sample)
    for plan in plans:
        if plan.subject is not None and plan.subject not in schema:
            raise ColumnNotInTable(plan.subject, path)
        nested = schema[plan.column].is_nested()
        if nested and (out_format is TableFormat.CSV or plan.operator is not None):
            raise TableNotWritten(out, f"column '{plan.column}' holds nested values")

    counter = RowCounter(source.row_count(), progress)
    mappers = [
        plan.mapper(path, counter if index == 0 else None)
        for index, plan in enumerate(plans)
        if plan.operator is not None or index == 0  # the first column also counts rows
    ]
    exprs = [_expression(m, schema[m.column]) for m in mappers]
    frame = source.scan().with_columns(exprs)
    with replacing(out) as temp:
        try:
            _sink(frame, temp, out, source)
        except (pl.exceptions.PolarsError, OSError, ValueError, TypeError, KeyError) as exc:
            failure = next((m.failure for m in mappers if m.failure), None)
            if failure is not None:
                raise failure from None
            raise unreadable(source, exc) from None
    counter.finish()
    actions = tuple(plan.action for plan in plans)
    return TableReport(path, out, counter.done, time.perf_counter() - started, actions)


def _expression(mapper: BatchMapper, dtype: pl.DataType) -> pl.Expr:
    """The column computed batch by batch by `mapper` (from a struct with the subject column
    for a subject-aware operator)."""
    import polars as pl

    if mapper.operator is None:  # counts rows, changes nothing
        return pl.col(mapper.column).map_batches(mapper, return_dtype=dtype, is_elementwise=True)
    target = pl.struct(mapper.column, mapper.subject) if mapper.subject else pl.col(mapper.column)
    expr = target.map_batches(mapper, return_dtype=pl.String(), is_elementwise=True)
    return expr.alias(mapper.column)


@dataclass(frozen=True)
class _ColumnPlan:
    """What to do to one column: its reported action and the operator to run (None: keep)."""

    column: str
    action: ColumnAction
    operator: Operator | None = None
    entity_type: str = "TEXT"
    subject: str | None = None

    def mapper(self, path: Path, counter: RowCounter | None) -> BatchMapper:
        return BatchMapper(
            self.column,
            path,
            operator=self.operator,
            entity_type=self.entity_type,
            subject=self.subject,
            counter=counter,
        )


def _plan(source: Source, policy: Policy, columns: list[str], sample: int) -> list[_ColumnPlan]:
    """The plan of each column: the policy's entry, else the operator of its classification."""
    named = set(policy.document.columns)
    unnamed = [c for c in columns if c not in named]
    reports = (
        {r.name: r for r in _classify_all(source, policy.analyzer(), sample, unnamed)}
        if unnamed
        else {}
    )
    plans = []
    for name in columns:
        operator: Operator | None
        if name in named:
            origin, entity_type = "policy", policy.column_entity_type(name)
            operator = policy.column_operator(name)
        else:
            origin, report = "classified", reports[name]
            entity_type = _listed_type(policy, report)
            if report.kind is ColumnKind.PII:
                operator = policy.operator_for(entity_type)
            elif report.kind is ColumnKind.FREE_TEXT:
                operator = DetectText(policy)
            else:
                operator = None
        if operator is None or operator.name == KEEP:
            plans.append(_ColumnPlan(name, ColumnAction(name, KEEP, None, origin)))
            continue
        detect = isinstance(operator, DetectText)
        action = ColumnAction(name, operator.name, None if detect else entity_type, origin)
        subject = operator.subject_column if isinstance(operator, SubjectAware) else None
        plans.append(_ColumnPlan(name, action, operator, entity_type, subject))
    return plans


def _listed_type(policy: Policy, report: ColumnReport) -> str:
    """The type to de-identify a classified column as: its own if the policy lists it, else
    the type its values were found as if that is listed (DATE_TIME for DATE_OF_BIRTH)."""
    listed = policy.document.entities
    if report.entity_type is None:
        return "TEXT"
    if report.entity_type not in listed and report.value_type in listed:
        return report.value_type
    return report.entity_type


def _sink(frame: pl.LazyFrame, temp: Path, out: Path, source: Source) -> None:
    fmt = format_of(out)
    if fmt is TableFormat.CSV:
        if out.suffix.lower() == ".tsv":
            separator = "\t"
        elif source.format is TableFormat.CSV and source.path.suffix.lower() == ".csv":
            separator = source.separator
        else:
            separator = ","
        frame.sink_csv(temp, separator=separator, engine="streaming")
    elif fmt is TableFormat.JSONL:
        frame.sink_ndjson(temp, engine="streaming")
    else:
        frame.sink_parquet(temp, engine="streaming")
