"""The erasure ledger kept outside the database: one JSON line per entry, appended only.

The database holds the ledger too (and every backup carries it); this copy is what survives
when the database is lost and an older backup is restored. Each committed unit of work that
erased anything appends the database's own entries for those subjects (exact times, so the
two copies compare equal), and every backup first adds whatever the file lacks. Entries hold
ids, field names and times only. Reading tolerates a torn last line (a crash mid-append).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path

from sqlalchemy import Engine

from tutela.core.audit import AuditEvent
from tutela.errors import BackupFailed
from tutela.vault import replay
from tutela.vault.replay import Erased

logger = logging.getLogger(__name__)

ERASING_ACTIONS = frozenset({"subject.erase", "subject.erase_fields"})


class LedgerFile:
    """The file copy of the erasure ledger."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> set[Erased]:
        """Every entry (duplicates fold together)."""
        if not self.path.exists():
            return set()
        entries: set[Erased] = set()
        with self.path.open("r", encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.endswith("\n"):
                    break  # torn by a crash while appending: never committed as a line
                try:
                    item = json.loads(line)
                    entries.add(replay.entry(item["s"], item["at"], item.get("f")))
                except (ValueError, KeyError, TypeError):
                    logger.warning("erasure ledger %s: line %d is unreadable", self.path, number)
        return entries

    def append(self, entries: Iterable[Erased]) -> int:
        """Append entries (fsynced before returning); returns how many were written."""
        lines = [
            json.dumps(
                {"s": e.subject_id, "f": e.field, "at": e.at.isoformat(timespec="microseconds")},
                separators=(",", ":"),
            )
            + "\n"
            for e in sorted(entries)
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

    def sync(self, entries: Collection[Erased]) -> int:
        """Append those of `entries` the file lacks; returns how many."""
        missing = set(entries) - self.read()
        return self.append(missing)


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
