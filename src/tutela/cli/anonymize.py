"""`tutela anonymize` and `tutela risk`: k-anonymize (l-diverse, t-close) a table with ARX
hierarchies, and measure the re-identification risk of a table as it is.

Only column names, levels and figures are printed, never a value of the table.
"""

from __future__ import annotations

import json
import os
import tempfile
from enum import StrEnum
from math import prod
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from tutela.anonymize import (
    AnonymizationError,
    AnonymizationInvalid,
    Hierarchy,
    Result,
    anonymize,
)
from tutela.anonymize.report import AnonymizationReport, build_report
from tutela.anonymize.risk import DEFAULT_THRESHOLD, RiskReport, assess_risk
from tutela.cli._common import JsonOption, emit, fail, stderr, stdout
from tutela.core.tabular import separator_of

if TYPE_CHECKING:
    import polars as pl


class Metric(StrEnum):
    """What the optimal search minimises (see `tutela.anonymize.METRICS`)."""

    LOSS = "loss"
    DISCERNIBILITY = "discernibility"
    ENTROPY = "entropy"
    PRECISION = "precision"
    HEIGHT = "height"
    AVG_CLASS_SIZE = "avg_class_size"


InputArg = Annotated[
    Path,
    typer.Argument(help="A .csv or .tsv table (header row; separator sniffed).", dir_okay=False),
]
QuasiOption = Annotated[
    str, typer.Option("--quasi", help="Quasi-identifier columns, comma-separated.")
]
ThresholdOption = Annotated[
    float,
    typer.Option(
        "--threshold", min=0.0, max=1.0, help="Risk above which a record counts as at risk."
    ),
]


# -- input and output ------------------------------------------------------------------------


def _columns(spec: str) -> list[str]:
    names = [name.strip() for name in spec.split(",") if name.strip()]
    if not names:
        fail("--quasi names no column", 2)
    if len(set(names)) != len(names):
        fail("--quasi names a column twice", 2)
    return names


def _separator(path: Path) -> str:
    try:
        return separator_of(path)
    except OSError as exc:
        fail(f"{path}: cannot be read ({type(exc).__name__})")


def read_table(path: Path) -> tuple[pl.DataFrame, str]:
    """The table with every column as text (values are written back exactly), and its
    separator. Polars' own message can quote a cell, so only the failure's class is shown."""
    import polars as pl

    if not path.is_file():
        fail(f"{path}: no such file")
    separator = _separator(path)
    try:
        frame = pl.read_csv(path, separator=separator, infer_schema=False, encoding="utf8")
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as exc:
        fail(f"{path}: not a readable CSV file ({type(exc).__name__})")
    return frame, separator


def _check_quasi(frame: pl.DataFrame, quasi: list[str], path: Path) -> None:
    for column in quasi:
        if column not in frame.columns:
            fail(f"{path}: column '{column}' is not in the table")


def find_hierarchy(directory: Path, column: str) -> Path:
    """The hierarchy file of `column` in `directory`: `<column>.csv`, or ARX's naming
    `<dataset>_hierarchy_<column>.csv` (exactly one must match)."""
    exact = directory / f"{column}.csv"
    if exact.is_file():
        return exact
    suffix = f"_hierarchy_{column}.csv"
    found = sorted(p for p in directory.iterdir() if p.is_file() and p.name.endswith(suffix))
    if len(found) == 1:
        return found[0]
    if found:
        names = ", ".join(p.name for p in found)
        fail(f"column '{column}': several hierarchy files in {directory} ({names})")
    fail(
        f"column '{column}': no hierarchy file in {directory} "
        f"(expected {column}.csv or <name>_hierarchy_{column}.csv)"
    )


def _write_table(frame: pl.DataFrame, out: Path, separator: str) -> None:
    """Write `frame` to `out` all or nothing (a temporary file renamed into place)."""
    try:
        fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".partial")
    except OSError as exc:
        fail(f"{out}: cannot write ({type(exc).__name__})")
    os.close(fd)
    temp = Path(name)
    try:
        if out.suffix.lower() == ".parquet":
            frame.write_parquet(temp)
        else:
            frame.write_csv(temp, separator="\t" if out.suffix.lower() == ".tsv" else separator)
        os.replace(temp, out)
    except OSError as exc:
        fail(f"{out}: cannot write ({type(exc).__name__})")
    finally:
        temp.unlink(missing_ok=True)


def _write_text(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"{path}: cannot write ({type(exc).__name__})")


# -- anonymize ---------------------------------------------------------------------------


def anonymize_table(
    source: InputArg,
    quasi: QuasiOption,
    k: Annotated[int, typer.Option("--k", "-k", min=1, help="Every class holds k records.")],
    hierarchies: Annotated[
        Path,
        typer.Option(
            "--hierarchies",
            exists=True,
            file_okay=False,
            help="Directory of ARX hierarchy files: <column>.csv or <name>_hierarchy_<column>.csv.",
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", dir_okay=False, help="The anonymized table (.csv).")
    ],
    sensitive: Annotated[
        str | None, typer.Option("--sensitive", help="Sensitive column (for --l and --t).")
    ] = None,
    l_div: Annotated[
        int | None,
        typer.Option("--l", min=1, help="Distinct l-diversity of the sensitive column."),
    ] = None,
    t_close: Annotated[
        float | None,
        typer.Option("--t", min=0.0, max=1.0, help="t-closeness of the sensitive column."),
    ] = None,
    suppression: Annotated[
        float,
        typer.Option(
            "--suppression", min=0.0, max=0.99, help="Share of records that may be removed."
        ),
    ] = 0.0,
    metric: Annotated[
        Metric, typer.Option("--metric", help="What the optimal search minimises.")
    ] = Metric.LOSS,
    report_file: Annotated[
        Path | None,
        typer.Option("--report", dir_okay=False, help="Also write the figures as JSON."),
    ] = None,
    html_file: Annotated[
        Path | None,
        typer.Option("--html", dir_okay=False, help="Also write a self-contained HTML report."),
    ] = None,
    threshold: ThresholdOption = DEFAULT_THRESHOLD,
    as_json: JsonOption = False,
) -> None:
    """Generalize the quasi-identifiers (and suppress at most --suppression of the records) so
    every equivalence class has k records (and l distinct / t-close sensitive values), with
    the globally optimal transformation for --metric.

    Exit 1 if no transformation satisfies the models within the suppression limit, or a
    quasi-identifier holds a value its hierarchy does not list.
    """
    columns = _columns(quasi)
    if (l_div is not None or t_close is not None) and sensitive is None:
        fail("--l and --t need --sensitive", 2)
    frame, separator = read_table(source)
    _check_quasi(frame, columns, source)
    if sensitive is not None and sensitive not in frame.columns:
        fail(f"{source}: column '{sensitive}' is not in the table")
    loaded = {c: _load_hierarchy(find_hierarchy(hierarchies, c)) for c in columns}
    lattice = prod(h.height + 1 for h in loaded.values())
    with stderr.status(
        f"searching {lattice:,} transformations of {len(columns)} quasi-identifiers "
        f"over {frame.height:,} records…"
    ):
        try:
            result = anonymize(
                frame,
                quasi=columns,
                hierarchies=loaded,
                k=k,
                l=l_div,
                t=t_close,
                sensitive=sensitive,
                suppression=suppression,
                metric=metric.value,
            )
        except (AnonymizationError, AnonymizationInvalid) as exc:
            fail(str(exc))
    with stderr.status("measuring risk and writing…"):
        report = build_report(
            frame,
            result,
            heights={c: h.height for c, h in loaded.items()},
            suppression_limit=suppression,
            threshold=threshold,
            source=source.name,
            k=k,
        )
        _write_table(result.table, out, separator)
        if report_file is not None:
            _write_text(report_file, json.dumps(report.as_dict(), indent=2) + "\n")
        if html_file is not None:
            from tutela.web.anonymize_report import render_anonymize_report

            _write_text(html_file, render_anonymize_report(report))
    data = {**report.as_dict(), "output": str(out)}
    emit(as_json, data, lambda: _render_result(result, report, out))


def _load_hierarchy(path: Path) -> Hierarchy:
    try:
        return Hierarchy.read_csv(path)
    except AnonymizationInvalid as exc:
        fail(str(exc))


def _render_result(result: Result, report: AnonymizationReport, out: Path) -> None:
    m = result.metrics
    levels = Table("quasi-identifier", "level", "height", "loss", title=f"{result.models}")
    for c in report.levels:
        levels.add_row(
            Text(c.column),
            "local" if c.level is None else str(c.level),
            "-" if c.height is None else str(c.height),
            f"{m.loss_per_attribute.get(c.column, 0.0):.4f}",
        )
    stdout.print(levels)
    stdout.print(
        f"Loss {m.loss:.4f} · discernibility {m.discernibility:,} · C_avg {m.c_avg:.3f} · "
        f"{m.classes:,} classes"
        + ("" if result.search is None else f" · {result.search.evaluated:,} evaluated")
    )
    stdout.print(f"suppressed {m.suppressed:,} of {m.records:,} records ({m.suppressed_share:.2%})")
    _render_risk_change(report.risk_before, report.risk_after)
    stdout.print(Text(f"{m.records - m.suppressed:,} record(s) written to {out}"))


def _render_risk_change(before: RiskReport, after: RiskReport) -> None:
    table = Table("risk", "before", "after", title="re-identification risk")
    for label, a, b in _risk_rows(before, after):
        table.add_row(label, a, b)
    stdout.print(table)


def _risk_rows(*reports: RiskReport) -> list[tuple[str, ...]]:
    threshold = reports[0].threshold
    return [
        ("prosecutor: highest", *(f"{r.prosecutor.highest:.2%}" for r in reports)),
        ("prosecutor: average", *(f"{r.prosecutor.average:.2%}" for r in reports)),
        (f"records above {threshold:.0%}", *(f"{r.prosecutor.at_risk:.2%}" for r in reports)),
        ("journalist: highest", *(f"{r.journalist.highest:.2%}" for r in reports)),
        ("journalist: average", *(f"{r.journalist.average:.2%}" for r in reports)),
        ("marketer", *(f"{r.marketer:.2%}" for r in reports)),
        ("sample uniques", *(f"{r.sample_uniques:,} ({r.sample_uniqueness:.2%})" for r in reports)),
    ]


# -- risk --------------------------------------------------------------------------------


def risk(
    source: InputArg,
    quasi: QuasiOption,
    threshold: ThresholdOption = DEFAULT_THRESHOLD,
    population_file: Annotated[
        Path | None,
        typer.Option(
            "--population",
            dir_okay=False,
            help="The population the table was drawn from (same columns), for journalist risk.",
        ),
    ] = None,
    population_size: Annotated[
        int | None,
        typer.Option(
            "--population-size",
            min=1,
            help="Population size, for Pitman's estimate of population uniqueness.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Print the re-identification risk of a table as it is: prosecutor, journalist and
    marketer risk, records above the threshold, and sample uniques."""
    columns = _columns(quasi)
    frame, _ = read_table(source)
    _check_quasi(frame, columns, source)
    population = None
    if population_file is not None:
        population, _ = read_table(population_file)
        _check_quasi(population, columns, population_file)
    if threshold <= 0:
        fail("--threshold must be above 0", 2)
    try:
        report = assess_risk(
            frame,
            columns,
            threshold=threshold,
            population=population,
            population_size=population_size,
        )
    except AnonymizationInvalid as exc:
        fail(str(exc))
    emit(as_json, report.as_dict(), lambda: _render_risk(report, source))


def _render_risk(report: RiskReport, source: Path) -> None:
    table = Table("risk", "value", title=f"{source.name}: {report.records:,} records")
    table.add_row("equivalence classes", f"{report.classes:,}")
    for label, value in _risk_rows(report):
        table.add_row(label, value)
    estimate = report.population_uniqueness
    if estimate is not None:
        table.add_row(
            f"population uniques (Pitman, N={estimate.population:,})",
            f"{estimate.uniques:,.0f} ({estimate.share:.2%})",
        )
    stdout.print(table)
    if not report.population_given:
        stdout.print("[dim]no --population: journalist risk equals prosecutor risk[/dim]")
