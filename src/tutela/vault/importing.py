"""Bulk import from JSON lines or CSV: check every row first, then store in batches.

By default one bad row stops the import before anything is stored (the report lists every bad
row by number and field, never the value). With `skip_invalid` the good rows are stored and
the bad ones reported. Each batch is one transaction.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutela.actor import Actor
from tutela.core.uow import UnitOfWork
from tutela.errors import BatchRejected, FieldNotInDataMap, RejectedRow, ValidationFailed

if TYPE_CHECKING:
    from tutela.vault.service import Vault

Row = tuple[int, Mapping[str, Any] | None, str | None]  # (row number, values, parse problem)
Progress = Callable[[int, int], None]


@dataclass
class ImportReport:
    """What an import did: stored ids count, rejected rows (one entry per bad field, so a row
    may appear more than once), whether anything was written."""

    total: int = 0
    stored: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    subject_ids: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected

    @property
    def rejected_rows(self) -> int:
        return len({r.row for r in self.rejected})


def read_rows(path: Path, fmt: str | None = None) -> Iterator[Row]:
    """Rows of a `.jsonl` or `.csv` file, numbered from 1 (CSV: the header is not a row).

    CSV cells are strings; an empty cell means the field is absent.
    """
    kind = fmt or ("csv" if path.suffix.lower() == ".csv" else "jsonl")
    with path.open(encoding="utf-8", newline="") as handle:
        if kind == "csv":
            reader = csv.DictReader(handle)
            for number, record in enumerate(reader, start=1):
                if None in record:
                    yield number, None, "has more cells than the header"
                    continue
                yield number, {k: v for k, v in record.items() if v not in ("", None)}, None
            return
        yield from _json_rows(handle)


def _json_rows(lines: Iterable[str]) -> Iterator[Row]:
    """Numbered rows of JSON lines; blank lines are skipped and not counted."""
    number = 0
    for line in lines:
        if not line.strip():
            continue
        number += 1
        try:
            values = json.loads(line)
        except json.JSONDecodeError:
            yield number, None, "is not valid JSON"
            continue
        except RecursionError:  # the decoder recurses once per level of nesting
            yield number, None, "is nested too deeply"
            continue
        if not isinstance(values, dict):
            yield number, None, "is not a JSON object"
            continue
        yield number, values, None


def parse_json_lines(body: bytes) -> list[Mapping[str, Any]]:
    """Rows of a JSON-lines document held in memory (an HTTP body).

    Raises:
        BatchRejected: some line is not a JSON object, or there is no row at all.
    """
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise BatchRejected([RejectedRow(1, "", "the body is not UTF-8 text")]) from None
    rows: list[Mapping[str, Any]] = []
    rejected: list[RejectedRow] = []
    for number, values, problem in _json_rows(text.splitlines()):
        if values is None:
            rejected.append(RejectedRow(number, "", problem or "is not a JSON object"))
        else:
            rows.append(values)
    if not rows and not rejected:
        rejected.append(RejectedRow(1, "", "the body holds no rows"))
    if rejected:
        raise BatchRejected(rejected)
    return rows


def rejections(number: int, exc: ValidationFailed | FieldNotInDataMap) -> list[RejectedRow]:
    """Row `number`'s problems, one per bad field."""
    if isinstance(exc, FieldNotInDataMap):
        return [RejectedRow(number, f, "is not declared in the data map") for f in exc.fields]
    return [RejectedRow(number, f, reason) for f, reason in exc.problems]


def import_file(
    unit_of_work: Callable[[], UnitOfWork],
    vault: Vault,
    path: Path,
    *,
    fmt: str | None,
    skip_invalid: bool,
    batch_size: int,
    progress: Callable[[str, int, int], None] | None,
    actor: Actor,
) -> ImportReport:
    """Check every row of the file, then (unless a row is bad and not `skip_invalid`) store
    the good rows in batches, each batch in its own unit of work.

    `progress(stage, done, total)` is called with stage "check" then "store".
    """
    report = ImportReport()
    bad: set[int] = set()
    for number, values, problem in read_rows(path, fmt):
        report.total = number
        try:
            if problem is not None:
                raise BatchRejected([RejectedRow(number, "", problem)])
            vault.check(values or {})
        except BatchRejected as exc:
            report.rejected.extend(exc.rejected)
            bad.add(number)
        except (ValidationFailed, FieldNotInDataMap) as exc:
            report.rejected.extend(rejections(number, exc))
            bad.add(number)
        if progress and number % 500 == 0:
            progress("check", number, 0)
    if progress:
        progress("check", report.total, report.total)
    if report.rejected and not skip_invalid:
        return report
    good = report.total - len(bad)
    batch: list[Mapping[str, Any]] = []
    rows = (v for n, v, _ in read_rows(path, fmt) if n not in bad and v is not None)
    for values in rows:
        batch.append(values)
        if len(batch) >= batch_size or len(report.subject_ids) + len(batch) >= good:
            with unit_of_work() as uow:
                report.subject_ids.extend(vault.add_many(uow, batch, actor))
            report.stored += len(batch)
            batch.clear()
            if progress:
                progress("store", report.stored, good)
    return report
