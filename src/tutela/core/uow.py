"""The unit of work: one transaction plus the audit events it must leave behind.

Interfaces and the facade open it; services add rows and events through it and never commit.
On success the events are chained at the end of the same transaction (one lock, one commit for
any number of entries: group commit). On failure the work is rolled back, but denials are
still written, in a transaction of their own: a refused read is audited even though it did
nothing else.

Every unit of work ends in an audit append, so on SQLite each one is a write transaction; it
takes the home's `WriteLock` first, which queues writers in the kernel (woken the moment the
lock is free) instead of SQLite's sleeping busy handler.

The transaction starts when `conn` is first used, so work done before (validating, sealing)
does not hold the lock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from types import TracebackType

from sqlalchemy import Connection, Engine

from tutela.core.audit import AuditEvent, AuditLog


class UnitOfWork:
    """`with UnitOfWork(engine, audit) as uow: …` then `uow.conn` for repository calls."""

    def __init__(
        self,
        engine: Engine,
        audit: AuditLog,
        *,
        write_lock: AbstractContextManager[object] | None = None,
        on_commit: Callable[[Sequence[AuditEvent]], None] | None = None,
    ) -> None:
        self._engine = engine
        # Told the events of each committed unit (e.g. to keep the erasure ledger outside
        # the database too); called after the commit, never for rolled-back work.
        self._on_commit = on_commit
        self._audit = audit
        self._lock = write_lock or nullcontext()
        self._events: list[AuditEvent] = []
        self._kept_on_failure: list[AuditEvent] = []
        self._conn: Connection | None = None
        self._locked = False
        self._open = False

    @property
    def conn(self) -> Connection:
        """The connection, in this unit's transaction (begun on first use)."""
        if not self._open:
            raise RuntimeError("unit of work is not open")
        if self._conn is None:
            self._conn = self._engine.connect()
            self._begin_write(self._conn)
        return self._conn

    def record(self, event: AuditEvent) -> None:
        """Audit `event` if the unit of work commits."""
        self._events.append(event)

    def record_always(self, event: AuditEvent) -> None:
        """Audit `event` even if the unit of work fails (denials, refused requests)."""
        self._kept_on_failure.append(event)

    def __enter__(self) -> UnitOfWork:
        self._open = True
        return self

    def _begin_write(self, conn: Connection) -> None:
        self._lock.__enter__()
        self._locked = True
        conn.begin()

    def _end_write(self) -> None:
        if self._locked:
            self._locked = False
            self._lock.__exit__(None, None, None)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        failed = exc_type is not None
        events = list(self._kept_on_failure) if failed else [*self._events, *self._kept_on_failure]
        try:
            if self._conn is not None and failed:
                self._conn.rollback()
                self._end_write()  # the denials below take the lock afresh
            if not events:
                if self._conn is not None and self._conn.in_transaction():
                    self._conn.commit()
                return
            if self._conn is None:
                self._conn = self._engine.connect()
            conn = self._conn
            if not conn.in_transaction():
                self._begin_write(conn)
            head = self._audit.append(conn, events)
            conn.commit()
            self._end_write()
            self._audit.checkpoint(head)
            if self._on_commit is not None and not failed:
                self._on_commit(events)
        finally:
            try:
                if self._conn is not None:
                    self._conn.close()
            finally:
                self._end_write()
                self._conn = None
                self._open = False
                self._events.clear()
                self._kept_on_failure.clear()
