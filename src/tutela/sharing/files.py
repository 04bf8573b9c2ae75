"""Writing an export: the data file, the HTML report and the manifest, all or nothing.

The files are written into a fresh hidden directory beside the destination (mode 0700, each
file 0600) and moved into place with one rename, so a partner never finds a half-written
export and a failure leaves nothing behind. The manifest lists every other file with its
SHA-256 and size; its own digest goes into the share register.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutela.datamap.spec import ExportFormat
from tutela.sharing.errors import ShareNotWritten

if TYPE_CHECKING:
    import polars as pl

MANIFEST = "manifest.json"
REPORT = "report.html"
DATA = {ExportFormat.CSV: "data.csv", ExportFormat.PARQUET: "data.parquet"}
_CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def check_destination(out: Path) -> None:
    """Refuse a destination that holds anything (an export never overwrites).

    Raises:
        ShareNotWritten: `out` is a file, or a directory that is not empty.
    """
    if out.is_dir() and any(out.iterdir()):
        raise ShareNotWritten(out, "the directory is not empty")
    if out.exists() and not out.is_dir():
        raise ShareNotWritten(out, "it is a file")
    if not out.parent.is_dir():
        raise ShareNotWritten(out, "its parent directory does not exist")


@contextmanager
def staging(out: Path, export_id: str) -> Iterator[Path]:
    """A private directory to write the export into; moved to `out` when the block ends
    without error, deleted otherwise.

    Raises:
        ShareNotWritten: the directory cannot be made or moved into place.
    """
    check_destination(out)
    temp = out.parent / f".{out.name}.{export_id}.partial"
    try:
        temp.mkdir(mode=0o700)
    except OSError as exc:
        raise ShareNotWritten(out, f"cannot create a directory ({type(exc).__name__})") from None
    try:
        yield temp
        if out.is_dir():
            out.rmdir()  # empty, checked above; a rename replaces no directory
        temp.rename(out)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def remove(out: Path) -> None:
    """Remove an export that could not be registered."""
    shutil.rmtree(out, ignore_errors=True)


def write_data(table: pl.DataFrame, directory: Path, fmt: ExportFormat) -> Path:
    path = directory / DATA[fmt]
    try:
        if fmt is ExportFormat.PARQUET:
            table.write_parquet(path)
        else:
            table.write_csv(path)
    except OSError as exc:
        raise ShareNotWritten(path, f"cannot write the data ({type(exc).__name__})") from None
    _private(path)
    return path


def write_text(path: Path, text: str) -> Path:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ShareNotWritten(path, f"cannot write ({type(exc).__name__})") from None
    _private(path)
    return path


def file_entries(paths: list[Path]) -> list[dict[str, Any]]:
    """The manifest's description of each file: name, size and SHA-256."""
    return [{"name": p.name, "bytes": p.stat().st_size, "sha256": sha256_of(p)} for p in paths]


def write_manifest(directory: Path, manifest: Mapping[str, Any]) -> str:
    """Write the manifest; returns its SHA-256."""
    path = write_text(
        directory / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n"
    )
    return sha256_of(path)


def _private(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.chmod(path, 0o600)
