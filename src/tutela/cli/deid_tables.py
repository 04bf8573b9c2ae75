"""`tutela scan-table | redact-table`: find personal data in the columns of a CSV, JSONL or
Parquet file, and write a de-identified copy by a policy.

Only column names, types and figures are printed, never a value of the table.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from tutela.cli._common import JsonOption, emit, fail, stderr, stdout
from tutela.deid.columns import ColumnKind, ColumnReport
from tutela.deid.keys import key_source
from tutela.deid.policy import Policy
from tutela.deid.tables import TableError, TableReport
from tutela.deid.tables import redact_table as redact_file
from tutela.deid.tables import scan_table as scan_file
from tutela.errors import ConfigError, CryptoError, ValidationFailed

TableArg = Annotated[
    Path, typer.Argument(help="A .csv, .tsv, .jsonl, .ndjson or .parquet file.", dir_okay=False)
]
SampleOption = Annotated[
    int, typer.Option("--sample", min=1, help="Values of each column to classify by.")
]


def _policy(path: Path | None, key_file: Path | None = None, *, keyed: bool = False) -> Policy:
    try:
        policy = Policy.default() if path is None else Policy.load(path)
        if keyed:
            policy = policy.with_keys(key_source(key_file=key_file, environ=os.environ))
            policy.prepare()
    except (ValidationFailed, ConfigError, CryptoError) as exc:
        fail(str(exc), 2)
    return policy


def scan_table(
    file: TableArg,
    policy_file: Annotated[
        Path | None,
        typer.Option(
            "--policy",
            help="Policy YAML (recognizers, allow/deny lists, threshold).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    sample: SampleOption = 1000,
    as_json: JsonOption = False,
) -> None:
    """Classify each column of a table: its type of personal data, with a confidence.

    Exit 1 if a column holds personal data (or free text with personal data inside), 0 if
    none does.
    """
    policy = _policy(policy_file) if policy_file is not None else None
    try:
        reports = scan_file(file, policy=policy, sample=sample)
    except TableError as exc:
        fail(str(exc), 2)
    emit(
        as_json,
        {"file": str(file), "columns": [r.as_dict() for r in reports]},
        lambda: _render_scan(file, reports),
    )
    raise typer.Exit(1 if any(r.kind is not ColumnKind.NONE for r in reports) else 0)


def _render_scan(file: Path, reports: list[ColumnReport]) -> None:
    table = Table("column", "type", "confidence", "share matched", title=str(file))
    for r in reports:
        personal = r.kind is not ColumnKind.NONE
        table.add_row(
            Text(r.name),
            Text(r.label, style="bold" if personal else "dim"),
            f"{r.confidence:.2f}" if personal else "-",
            f"{r.share:.0%}" if r.sampled else "-",
        )
    stdout.print(table)
    found = sum(r.kind is not ColumnKind.NONE for r in reports)
    stdout.print(f"{found} of {len(reports)} column(s) hold personal data")


def redact_table(
    file: TableArg,
    policy_file: Annotated[
        Path,
        typer.Option(
            "--policy",
            help="Policy YAML: operators per column and per type.",
            exists=True,
            dir_okay=False,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Output file; its extension chooses the format.", dir_okay=False
        ),
    ],
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file",
            help="De-identification key [default: env TUTELA_DEID_KEY].",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    sample: SampleOption = 1000,
    as_json: JsonOption = False,
) -> None:
    """Write a de-identified copy of a table, as the policy says (keyed operators need
    --key-file or TUTELA_DEID_KEY).

    Columns the policy names get their operator; the others are classified and get the
    operator of their type, or detection inside free text. Nothing is left at --out if it
    fails.
    """
    policy = _policy(policy_file, key_file, keyed=True)
    try:
        with _rows_bar(f"redacting {file.name}") as update:
            report = redact_file(file, policy, out, progress=update, sample=sample)
    except TableError as exc:
        fail(str(exc), 2)
    emit(as_json, report.as_dict(), lambda: _render_redact(report))


def _render_redact(report: TableReport) -> None:
    table = Table("column", "action", "type", "from")
    for c in report.columns:
        table.add_row(
            Text(c.column),
            Text(c.action, style="dim" if c.action == "keep" else "bold"),
            c.entity_type or "-",
            c.source,
        )
    stdout.print(table)
    rate = report.rows / report.seconds if report.seconds else 0.0
    stdout.print(
        Text(
            f"{report.rows:,} row(s) written to {report.output} in {report.seconds:.1f} s "
            f"({rate:,.0f} rows/s)"
        )
    )


@contextmanager
def _rows_bar(description: str) -> Iterator[Callable[[int, int | None], None]]:
    """A progress bar of rows on stderr (a spinner-like bar when the total is unknown)."""
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=stderr,
        transient=True,
    )
    with bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield update
