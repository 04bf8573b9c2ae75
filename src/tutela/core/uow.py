"""The unit of work: one transaction plus the audit events it must leave behind.

Interfaces and the facade open it; services add rows and events through it and never commit.
On success the events are chained at the end of the same transaction (one lock, one commit for
any number of entries: group commit). On failure the work is rolled back, but denials are
still written, in a transaction of their own: a refused read is audited even though it did
nothing else.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine

from tutela.core.audit import AuditEvent, AuditLog


class UnitOfWork:
    """`with UnitOfWork(engine, audit) as uow: …` then `uow.conn` for repository calls."""

    def __init__(self, engine: Engine, audit: AuditLog) -> None:
        self._engine = engine
        self._audit = audit
        self._events: list[AuditEvent] = []
        self._kept_on_failure: list[AuditEvent] = []
        self._conn: Connection | None = None

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("unit of work is not open")
        return self._conn

    def record(self, event: AuditEvent) -> None:
        """Audit `event` if the unit of work commits."""
        self._events.append(event)

    def record_always(self, event: AuditEvent) -> None:
        """Audit `event` even if the unit of work fails (denials, refused requests)."""
        self._kept_on_failure.append(event)

    def __enter__(self) -> UnitOfWork:
        self._conn = self._engine.connect()
        self._conn.begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self.conn
        try:
            if exc_type is None:
                head = self._audit.append(conn, [*self._events, *self._kept_on_failure])
                conn.commit()
                self._audit.checkpoint(head)
                return
            conn.rollback()
            if self._kept_on_failure:
                conn.begin()
                head = self._audit.append(conn, self._kept_on_failure)
                conn.commit()
                self._audit.checkpoint(head)
        finally:
            conn.close()
            self._conn = None
            self._events.clear()
            self._kept_on_failure.clear()
