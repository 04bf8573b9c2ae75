"""What the backup service hands back: plain frozen records, ids and counts only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class BackupResult:
    """A backup just written."""

    name: str
    size: int
    rows: dict[str, int]
    chunks: int
    kek_version: int
    logical_bytes: int  # the rows in the portable format, before compression


@dataclass(frozen=True)
class BackupInfo:
    """One backup in the store, as `tutela backup list` shows it.

    `status` is `complete`, `incomplete` (a write that never finished: not a backup),
    `damaged` or `key missing` (cannot be opened with this keyring, e.g. its key was retired).
    """

    name: str
    created_at: datetime
    size: int
    status: str
    problem: str | None = None
    verified_at: datetime | None = None
    verified_ok: bool | None = None
    retained: bool = False
    kek_versions: tuple[int, ...] = ()
    rows: int | None = None


@dataclass(frozen=True)
class VerifyReport:
    name: str
    ok: bool
    problem: str | None = None
    rows: dict[str, int] = field(default_factory=dict)
    chunks: int = 0


@dataclass(frozen=True)
class ConnectorReplay:
    """What one connected system did for the re-erased subjects."""

    name: str
    ok: int = 0
    failed: int = 0
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class RestoreReport:
    name: str
    rows: dict[str, int]
    subjects_erased: int
    fields_erased: int
    ledger_recorded: int
    ledger_source: str  # which ledger was newer: "backup", "current" or "both equal"
    audit_entries: int
    connectors: tuple[ConnectorReplay, ...] = ()
    head_reset: bool = False
    subjects_restricted: int = 0  # permanent restrictions set again from the ledger
