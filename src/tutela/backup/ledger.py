"""The erasure ledger kept outside the database: one JSON line per entry, appended only.

The database holds the ledger too (and every backup carries it); this copy is what survives
when the database is lost and an older backup is restored. Each committed unit of work that
erased anything appends the database's own entries for those subjects (exact times, so the
two copies compare equal), and every backup first adds whatever the file lacks. Entries hold
ids, field or purpose names and times only. Reading tolerates a torn last line (a crash
mid-append).

Lines: ``{"s": subject, "f": field or null, "at": time}`` for an erasure, and
``{"r": subject, "p": [purposes], "at": time}`` for a permanent restriction. A restriction
line has no "s" key on purpose: a release that predates it skips it as unreadable rather
than taking it for the erasure of a whole subject.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from tutela.core.audit import AuditEvent
from tutela.errors import BackupFailed
from tutela.vault import replay
from tutela.vault.replay import Entry, Restricted

logger = logging.getLogger(__name__)

# A restriction may be a permanent one (made by an erasure): the subject's entries are copied.
ERASING_ACTIONS = frozenset({"subject.erase", "subject.erase_fields", "subject.restrict"})


class LedgerFile:
    """The file copy of the erasure ledger."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> set[Entry]:
        """Every entry (duplicates fold together)."""
        if not self.path.exists():
            return set()
        entries: set[Entry] = set()
        with self.path.open("r", encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.endswith("\n"):
                    break  # torn by a crash while appending: never committed as a line
                try:
                    entries.add(_parse(json.loads(line)))
                except (ValueError, KeyError, TypeError, AttributeError):
                    logger.warning("erasure ledger %s: line %d is unreadable", self.path, number)
        return entries

    def append(self, entries: Iterable[Entry]) -> int:
        """Append entries (fsynced before returning); returns how many were written."""
        lines = [
            json.dumps(_line(e), separators=(",", ":")) + "\n"
            for e in sorted(entries, key=replay.order)
        ]
        if not lines:
            return 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                size = os.fstat(fd).st_size
                if size and _last_byte(fd, size) != b"\n":
                    os.write(fd, b"\n")  # end a torn line so it stays one unreadable line
                os.write(fd, "".join(lines).encode())
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise BackupFailed(
                f"cannot append to the erasure ledger {self.path}: {exc.strerror}"
            ) from None
        return len(lines)

    def sync(self, entries: Collection[Entry]) -> int:
        """Append those of `entries` the file lacks; returns how many."""
        missing = set(entries) - self.read()
        return self.append(missing)


def _line(e: Entry) -> dict[str, Any]:
    at = e.at.isoformat(timespec="microseconds")
    if isinstance(e, Restricted):
        return {"r": e.subject_id, "p": list(e.purposes), "at": at}
    return {"s": e.subject_id, "f": e.field, "at": at}


def _parse(item: Any) -> Entry:
    """An entry from a decoded line (KeyError, TypeError, ValueError: not one)."""
    if "s" in item:
        return replay.entry(str(item["s"]), item["at"], item.get("f"))
    purposes = item["p"]
    if not isinstance(purposes, list) or not all(isinstance(p, str) for p in purposes):
        raise TypeError("purposes")
    return replay.restriction(str(item["r"]), item["at"], purposes)


def _last_byte(fd: int, size: int) -> bytes:
    return os.pread(fd, 1, size - 1)


def mirror(engine: Engine, ledger: LedgerFile) -> Callable[[Sequence[AuditEvent]], None]:
    """A unit-of-work commit hook: after anything was erased, append the database's ledger
    entries of those subjects to the file. A failure here is logged, never raised (the
    erasure is committed; the next backup copies whatever the file missed)."""

    def after_commit(events: Sequence[AuditEvent]) -> None:
        subjects = {e.subject_id for e in events if e.action in ERASING_ACTIONS and e.subject_id}
        if not subjects:
            return
        try:
            with engine.connect() as conn:
                entries = replay.ledger_of(conn, subjects)
            ledger.append(entries)
        except Exception as exc:  # the erasure itself is committed and stays valid
            logger.error(
                "erasure ledger %s: could not append (%s); the next backup adds the entries",
                ledger.path,
                type(exc).__name__,
            )

    return after_commit
