"""Reading and writing tables with Polars for `tutela.deid.tables`: formats by extension,
lazy scans, a safe diagnosis of unreadable input, and all-or-nothing output.

Polars' own error messages can quote the offending text (a cell of a malformed CSV line), so
they are never passed on: a failure is re-diagnosed here with the standard library, and the
error names the file, the line and the kind of problem only.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from tutela.core.tabular import SNIFF_BYTES, sniff_separator
from tutela.errors import TutelaError

if TYPE_CHECKING:
    import polars as pl


# -- errors (names the file, the line and the column; never a value) ----------------------


class TableError(TutelaError):
    """A table cannot be scanned or de-identified as asked."""


class TableFormatUnsupported(TableError):
    """The file's extension is not one of the supported table formats."""

    def __init__(self, path: Path) -> None:
        self.path = path
        known = ", ".join(sorted(SUFFIXES))
        super().__init__(
            f"{path}: unsupported table format '{path.suffix or '(none)'}' (use one of {known})"
        )


class TableUnreadable(TableError):
    """The input cannot be read: missing, not permitted, or malformed (with the line)."""

    def __init__(self, path: Path, reason: str, line: int | None = None) -> None:
        self.path, self.reason, self.line = path, reason, line
        where = f"{path}, line {line}" if line is not None else str(path)
        super().__init__(f"{where}: {reason}")


class TableNotWritten(TableError):
    """The output could not be written; nothing was left at the output path."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path, self.reason = path, reason
        super().__init__(f"{path}: cannot write: {reason}")


class ColumnNotInTable(TableError):
    """The policy names a column the table does not have."""

    def __init__(self, column: str, path: Path) -> None:
        self.column, self.path = column, path
        super().__init__(f"{path}: the policy names column '{column}', which is not in the table")


class ColumnFailed(TableError):
    """De-identifying a column's value raised an error (only its class is named)."""

    def __init__(self, column: str, path: Path, reason: str) -> None:
        self.column, self.path, self.reason = column, path, reason
        super().__init__(f"{path}: column '{column}' could not be de-identified ({reason})")


# -- formats -------------------------------------------------------------------------------


class TableFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"
    PARQUET = "parquet"


SUFFIXES = {
    ".csv": TableFormat.CSV,
    ".tsv": TableFormat.CSV,
    ".jsonl": TableFormat.JSONL,
    ".ndjson": TableFormat.JSONL,
    ".parquet": TableFormat.PARQUET,
}


def format_of(path: Path) -> TableFormat:
    """The table format for the file's extension.

    Raises:
        TableFormatUnsupported: an extension that is not listed in `SUFFIXES`.
    """
    try:
        return SUFFIXES[path.suffix.lower()]
    except KeyError:
        raise TableFormatUnsupported(path) from None


@dataclass(frozen=True)
class Source:
    """An input table: where it is, its format, and (CSV) its field separator."""

    path: Path
    format: TableFormat
    separator: str = ","

    def scan(self) -> pl.LazyFrame:
        """A lazy scan. CSV is read as text throughout, so values the policy leaves alone are
        written back exactly as they were (no number or date re-formatting)."""
        import polars as pl

        if self.format is TableFormat.CSV:
            return pl.scan_csv(self.path, separator=self.separator, infer_schema=False)
        if self.format is TableFormat.JSONL:
            return pl.scan_ndjson(self.path, infer_schema_length=1000)
        return pl.scan_parquet(self.path)

    def row_count(self) -> int | None:
        """Rows in the table when that is cheap to know (Parquet metadata), else None."""
        if self.format is not TableFormat.PARQUET:
            return None
        import polars as pl

        return int(pl.scan_parquet(self.path).select(pl.len()).collect().item())


def open_source(path: Path) -> Source:
    """Check that `path` is a readable table of a supported format; sniff a CSV's separator.

    Raises:
        TableFormatUnsupported: unknown extension.
        TableUnreadable: missing, a directory, or not permitted.
    """
    fmt = format_of(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except FileNotFoundError:
        raise TableUnreadable(path, "no such file") from None
    except IsADirectoryError:
        raise TableUnreadable(path, "is a directory") from None
    except PermissionError:
        raise TableUnreadable(path, "permission denied") from None
    except OSError as exc:
        raise TableUnreadable(path, f"cannot be read ({type(exc).__name__})") from None
    if not head:
        raise TableUnreadable(path, "the file is empty")
    if fmt is TableFormat.CSV:
        separator = "\t" if path.suffix.lower() == ".tsv" else sniff_separator(head)
        return Source(path, fmt, separator)
    return Source(path, fmt)


# -- diagnosing a read failure without quoting the data -------------------------------------


def unreadable(source: Source, exc: BaseException) -> TableError:
    """The error to raise for a failed read: the line and kind of problem when the standard
    library can find it, else the failure's class only."""
    if isinstance(exc, TableError):
        return exc
    if isinstance(exc, FileNotFoundError):
        return TableUnreadable(source.path, "no such file")
    if isinstance(exc, PermissionError):
        return TableUnreadable(source.path, "permission denied")
    try:
        if source.format is TableFormat.CSV:
            found = _csv_problem(source)
        elif source.format is TableFormat.JSONL:
            found = _jsonl_problem(source.path)
        else:
            found = (None, "not a readable Parquet file")
    except OSError:
        found = None
    if found is None:
        found = (None, f"not a readable {source.format.value.upper()} file ({type(exc).__name__})")
    line, reason = found
    return TableUnreadable(source.path, reason, line)


def _csv_problem(source: Source) -> tuple[int | None, str] | None:
    with source.path.open(encoding="utf-8", errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle, delimiter=source.separator, strict=True)
        width: int | None = None
        line = 1
        try:
            for row in reader:
                if any(_has_surrogate(cell) for cell in row):
                    return line, "not valid UTF-8 text"
                if width is None:
                    width = len(row)
                elif len(row) > width:
                    return line, f"{len(row)} fields where the header has {width}"
                line = reader.line_num + 1
        except csv.Error:
            return line, "malformed CSV (an unbalanced quote or a stray character)"
    if width is None:
        return None, "no header line"
    return None


def _has_surrogate(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _jsonl_problem(path: Path) -> tuple[int | None, str] | None:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except UnicodeDecodeError:
                return number, "not valid UTF-8 text"
            except ValueError:
                return number, "not valid JSON"
            if not isinstance(record, dict):
                return number, "not a JSON object"
    return None


# -- writing ------------------------------------------------------------------------------


@contextmanager
def replacing(out: Path) -> Iterator[Path]:
    """A temporary path beside `out` to write to; renamed to `out` only if the block succeeds,
    deleted otherwise, so a failed run never leaves a partial file at `out`.

    Raises:
        TableNotWritten: the output directory is missing or not writable.
    """
    try:
        fd, name = tempfile.mkstemp(
            dir=out.parent, prefix=f".{out.name}.", suffix=f".partial{out.suffix}"
        )
    except FileNotFoundError:
        raise TableNotWritten(out, "the directory does not exist") from None
    except OSError as exc:
        raise TableNotWritten(out, f"cannot create a file there ({type(exc).__name__})") from None
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        os.replace(temp, out)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
