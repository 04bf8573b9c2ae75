"""`AuditLog`: append events to the chain and verify it, including the head checkpoint."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from functools import lru_cache

from sqlalchemy import Connection

from tutela.clock import Clock
from tutela.core.audit import repository
from tutela.core.audit.chain import AuditEvent, ChainedEntry, ChainVerifier, VerifyReport, link
from tutela.core.audit.head import Head, HeadFile
from tutela.core.crypto import KeyedMac, is_subject_id


class AuditLog:
    """The tamper-evident log. Appends happen inside the caller's transaction."""

    def __init__(self, key: bytes, head_file: HeadFile, clock: Clock) -> None:
        self._key = key
        self._signer = KeyedMac(key)
        self._head_file = head_file
        self._clock = clock

    def append(self, conn: Connection, events: Sequence[AuditEvent]) -> Head | None:
        """Chain and insert `events` in the open transaction; returns the new head.

        The chain lock is held until the transaction ends, so take it last: the caller's own
        work is done before appenders queue behind each other.
        """
        if not events:
            return None
        repository.lock_chain(conn)
        last_seq, last_mac = repository.last_link(conn)
        safe = [_storable(e) for e in events]
        entries = link(self._signer, last_seq, last_mac, self._clock.now(), safe)
        repository.insert_entries(conn, entries)
        return Head(entries[-1].seq, entries[-1].mac)

    def checkpoint(self, head: Head | None) -> None:
        """Record a committed head outside the database."""
        if head is not None:
            self._head_file.advance(head)

    def verify(self, conn: Connection) -> VerifyReport:
        """Check every link, then that the checkpointed head is still in the chain."""
        verifier = ChainVerifier(self._key)
        for entry in repository.iter_entries(conn):
            if not verifier.feed(entry):
                break
        head = self._head_file.read()
        head_seq = head.seq if head else 0
        if verifier.broken:
            seq, reason = verifier.broken
            return VerifyReport(False, verifier.count, seq, reason, head_seq)
        if head is None and verifier.count:
            # `init` writes the checkpoint; an initialised log without one was tampered with.
            return VerifyReport(
                False, verifier.count, verifier.last_seq + 1, "head checkpoint is missing"
            )
        if head is not None:
            if head.seq < 0:
                return VerifyReport(
                    False, verifier.count, verifier.last_seq + 1, "head checkpoint is unreadable"
                )
            if head.seq > verifier.last_seq:
                return VerifyReport(
                    False,
                    verifier.count,
                    verifier.last_seq + 1,
                    f"entries {verifier.last_seq + 1}..{head.seq} were deleted "
                    "(the head checkpoint is ahead of the log)",
                    head_seq,
                )
            checkpointed = self._mac_at(conn, head.seq)
            if head.seq > 0 and checkpointed != head.mac:
                return VerifyReport(
                    False, verifier.count, head.seq, "does not match the head checkpoint", head_seq
                )
        return VerifyReport(True, verifier.count, head_seq=head_seq)

    def _mac_at(self, conn: Connection, seq: int) -> bytes | None:
        for entry in repository.iter_entries(conn, after=seq - 1, limit=1):
            return entry.mac
        return None

    def entries(
        self,
        conn: Connection,
        *,
        subject_id: str | None = None,
        after: int = 0,
        limit: int | None = None,
    ) -> Iterator[ChainedEntry]:
        return repository.iter_entries(conn, subject_id=subject_id, after=after, limit=limit)

    def reset_head(self, conn: Connection) -> None:
        """Re-checkpoint the head from the database (after init or a restore)."""
        seq, mac = repository.last_link(conn)
        self._head_file.reset(Head(seq, mac))

    def close(self) -> None:
        self._head_file.close()


UNDECLARED = "(undeclared)"
"""Recorded instead of a field or purpose name a request gave that the data map does not
declare."""
MALFORMED_ID = "(malformed id)"
"""Recorded instead of a subject id that does not have the shape of one."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Column widths of audit_entry (models.py): a refused request may name anything.
_WIDTHS = {"actor": 128, "role": 64, "action": 64, "subject_id": 64, "purpose": 64, "detail": 256}


def _clean(text: str | None, width: int) -> str | None:
    if text is None or (len(text) <= width and text.isascii() and text.isprintable()):
        return text
    text = _CONTROL.sub("\ufffd", text).encode("utf-8", "replace").decode()
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _storable(event: AuditEvent) -> AuditEvent:
    """The event as it can be stored on any backend: no control characters or unencodable
    text, nothing wider than its column. A subject is named only by an id Tutela issued: a
    request may name one with anything, personal data included, and entries are never erased
    (callers record undeclared field and purpose names as `UNDECLARED` likewise)."""
    changes: dict[str, object] = {}
    if event.subject_id is not None and not is_subject_id(event.subject_id):
        changes["subject_id"] = MALFORMED_ID
    for name, width in _WIDTHS.items():
        if name in changes:
            continue
        text = getattr(event, name)
        cleaned = _clean(text, width)
        if cleaned is not text:
            changes[name] = cleaned
    fields = tuple(event.fields)
    cleaned_fields = _clean_fields(fields)
    if cleaned_fields != fields or not isinstance(event.fields, tuple):
        changes["fields"] = cleaned_fields
    # Nearly every event is already storable: only rebuild the ones that are not.
    return replace(event, **changes) if changes else event  # type: ignore[arg-type]


@lru_cache(maxsize=1024)
def _clean_fields(fields: tuple[str, ...]) -> tuple[str, ...]:
    """Field names as storable (cached: the same few tuples recur on every operation)."""
    return tuple(_clean(f, 63) or "" for f in fields)
