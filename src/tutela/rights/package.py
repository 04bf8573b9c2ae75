"""The answer to an access or portability request as a zip: the whole document as JSON, and
CSV tables a spreadsheet opens (GDPR Art. 20: structured, commonly used, machine-readable).

Sealed under a key derived from the download link's secret, so only the link opens it.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tutela.core.crypto import DataKey, token_key

_STAMP = (2000, 1, 1, 0, 0, 0)  # fixed times: the same answer makes the same bytes
_README = """Your data

data.json            everything below in one machine-readable document
data.csv             each value we hold about you (field, value)
uses.csv             why we hold each field: purpose, legal basis, recipients, retention
consents.csv         your consent choices and their receipts
access_history.csv   who accessed your data, when, in which role and for what purpose
systems/NAME.csv     what our other systems hold about you, one file per system
"""


def json_safe(value: Any) -> Any:
    """Values as JSON can carry them: dates in ISO 8601, decimals and bytes as text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def build(document: Mapping[str, Any]) -> bytes:
    """The zip for one export document (as `RightsDesk` assembles it)."""
    safe = json_safe(document)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        _put(archive, "README.txt", _README)
        _put(archive, "data.json", json.dumps(safe, indent=2, ensure_ascii=False) + "\n")
        _put(archive, "data.csv", _csv(["field", "value"], safe.get("data", {}).items()))
        _put(
            archive,
            "uses.csv",
            _csv(
                ["field", "purpose", "legal_basis", "recipients", "retention"],
                (
                    (f, u["purpose"], u["legal_basis"], "; ".join(u["recipients"]), u["retention"])
                    for f, uses in safe.get("uses", {}).items()
                    for u in uses
                ),
            ),
        )
        _put(archive, "consents.csv", _table(safe.get("consents", [])))
        _put(archive, "access_history.csv", _table(safe.get("access_history", [])))
        for name, rows in safe.get("systems", {}).items():
            _put(archive, f"systems/{name}.csv", _table(rows))
    return buffer.getvalue()


def seal(token: str, request_id: str, package: bytes) -> bytes:
    return DataKey(request_id, 1, token_key(token, "download")).seal("package", package)


def open_sealed(token: str, request_id: str, sealed: bytes) -> bytes:
    return DataKey(request_id, 1, token_key(token, "download")).open("package", sealed)


def _put(archive: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name, date_time=_STAMP)
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text.encode("utf-8"))


def _csv(header: Sequence[str], rows: Iterable[Iterable[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(_cell(v) for v in row)
    return out.getvalue()


def _table(rows: Sequence[Mapping[str, Any]]) -> str:
    header: list[str] = []
    for row in rows:
        header.extend(k for k in row if k not in header)
    return _csv(header, ([row.get(k, "") for k in header] for row in rows))


def _cell(value: Any) -> Any:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # a spreadsheet must not run a value as a formula
    return value
