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

Group commit: a unit of work opened with a `parent` runs inside the parent's transaction, under
a savepoint of its own (none if it only reads, or only inserts through `insert`). Its events
join the parent's (its denials too, when it fails and its savepoint is rolled back), and the
parent appends them all and commits once. The HTTP service runs the calls that arrive in one
turn of its event loop this way (`Tutela.run_together`).

A group may also read ahead: load in one query the rows its calls are about to read, one by one
(`read_ahead`), so a group of reads costs one round trip to the database, not one per call.
What was read ahead stands for the database only until a unit of the group first writes.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from tutela.core.audit import AuditEvent, AuditLog
from tutela.core.storage.raw import RawStatement, before_begin, committing

T = TypeVar("T")
# A unit run inside its parent's transaction (one level deep), straight on the driver: through
# SQLAlchemy's nested transactions these cost more than the work of a read.
_SAVEPOINT = RawStatement(text("SAVEPOINT tutela_unit"))
_ROLLBACK_TO_SAVEPOINT = RawStatement(text("ROLLBACK TO SAVEPOINT tutela_unit"))
_RELEASE_SAVEPOINT = RawStatement(text("RELEASE SAVEPOINT tutela_unit"))


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What one call of a group gave: its result, or the exception it raised."""

    value: T | None
    error: Exception | None = None

    def unwrap(self) -> T:
        if self.error is not None:
            raise self.error
        return cast(T, self.value)


class UnitOfWork:
    """`with UnitOfWork(engine, audit) as uow: …` then `uow.conn` for repository calls."""

    def __init__(
        self,
        engine: Engine,
        audit: AuditLog,
        *,
        write_lock: AbstractContextManager[object] | None = None,
        on_commit: Callable[[Sequence[AuditEvent]], None] | None = None,
        parent: UnitOfWork | None = None,
        reads_only: bool = False,
    ) -> None:
        self._engine = engine
        self._parent = parent
        # A unit that only reads changes nothing a savepoint would have to undo, so inside a
        # parent it runs without one (two statements fewer per call of a group); on its own,
        # it reads before its transaction begins (`before_begin`).
        self._reads_only = reads_only
        self._in_savepoint = False
        self.broken = False  # a child's savepoint could not be closed: the transaction is lost
        # Told the events of each committed unit (e.g. to keep the erasure ledger outside
        # the database too); called after the commit, never for rolled-back work.
        self._on_commit = on_commit
        self._audit = audit
        self._lock = write_lock or nullcontext()
        # In the order recorded, each marked whether it is kept if the unit fails.
        self._events: list[tuple[AuditEvent, bool]] = []
        # Rows `insert` holds back for the end of the group, by statement, in first-use order.
        self._inserts: dict[RawStatement, list[Mapping[str, Any]]] = {}
        self._read_ahead: dict[Hashable, Any] = {}
        self._reading: AbstractContextManager[None] | None = None  # reads before BEGIN
        self._conn: Connection | None = None
        self._locked = False
        self._open = False

    @property
    def conn(self) -> Connection:
        """The connection, in this unit's transaction (begun on first use)."""
        if not self._open:
            raise RuntimeError("unit of work is not open")
        if self._parent is not None:
            conn = self._parent.conn
            if not (self._in_savepoint or self._reads_only):
                # This unit may write: what the group read ahead may no longer be so.
                self._parent._read_ahead.clear()
                _SAVEPOINT.run(conn)
                self._in_savepoint = True
            return conn
        if self._conn is None:
            self._conn = self._engine.connect()
            self._begin_write(self._conn)
            if self._reads_only:
                # Its reads run before its transaction, whose BEGIN then goes with the audit
                # append: on PostgreSQL one round trip fewer (see `before_begin`).
                self._reading = before_begin(self._conn)
                self._reading.__enter__()
        return self._conn

    def _stop_reading(self) -> None:
        """End the reads run before the transaction (the driver is back in transaction mode)."""
        reading, self._reading = self._reading, None
        if reading is not None:
            reading.__exit__(None, None, None)

    @property
    def read_ahead(self) -> dict[Hashable, Any]:
        """Rows loaded for the group's calls before they ran, by a key their reader chooses.

        Shared by the units of a group (the parent's). A reader looks here before querying and
        may fill it for the calls to come. It is emptied when a unit of the group first writes
        through `conn`; rows `insert` holds back cannot be in it (they go in at the group's
        end), so inserting keeps it.
        """
        return self._parent.read_ahead if self._parent is not None else self._read_ahead

    def insert(self, statement: RawStatement, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert `rows` with `statement` (an INSERT).

        Inside a group the rows wait for the group's end and go in with the other units' rows,
        one `executemany` per statement, just before the audit append; a unit that writes
        only this way needs no savepoint. So the rest of the unit must not expect to read them
        back (or to insert rows that refer to them by another way).
        """
        if self._parent is None:
            statement.run_many(self.conn, rows)
        elif rows:
            self._inserts.setdefault(statement, []).extend(rows)

    def record(self, event: AuditEvent) -> None:
        """Audit `event` if the unit of work commits."""
        self._events.append((event, False))

    def record_always(self, event: AuditEvent) -> None:
        """Audit `event` even if the unit of work fails (denials, refused requests)."""
        self._events.append((event, True))

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
        if self._parent is not None:
            self._exit_nested(exc)
            return
        events = [event for event, always in self._events if always or not failed]
        inserts = {} if failed else self._inserts
        try:
            self._stop_reading()
            if self._conn is not None and failed:
                self._conn.rollback()
                self._end_write()  # the denials below take the lock afresh
            if not events and not inserts:
                if self._conn is not None and self._conn.in_transaction():
                    self._conn.commit()
                return
            if self._conn is None:
                self._conn = self._engine.connect()
            conn = self._conn
            if not conn.in_transaction():
                self._begin_write(conn)
            # On PostgreSQL, the BEGIN (unless a statement began the transaction already), the
            # held-back rows, the chain's lock and its last link go to the server in one round
            # trip, the new entries and the COMMIT in a second.
            with committing(conn):
                for statement, rows in inserts.items():
                    statement.run_many(conn, rows)
                head = self._audit.append(conn, events)
            conn.commit()
            self._end_write()
            self._audit.checkpoint(head)
            if self._on_commit is not None and not failed:
                self._on_commit(events)
        finally:
            try:
                self._stop_reading()
                if self._conn is not None:
                    self._conn.close()
            finally:
                self._end_write()
                self._conn = None
                self._open = False
                self._events.clear()
                self._inserts.clear()
                self._read_ahead.clear()

    def _is_database_error(self, exc: BaseException | None) -> bool:
        """Whether `exc` came from the database (through SQLAlchemy, or straight from the
        driver as `RawStatement` runs it)."""
        return isinstance(exc, (DBAPIError, self._engine.dialect.loaded_dbapi.Error))

    def _exit_nested(self, exc: BaseException | None) -> None:
        """End a unit run inside its parent's transaction: release or roll back the savepoint
        and hand the events to the parent, which appends and commits them."""
        assert self._parent is not None
        failed = exc is not None
        try:
            if failed and not self._in_savepoint and self._is_database_error(exc):
                # Without a savepoint to roll back to, a failed statement may have ended or
                # poisoned the shared transaction (PostgreSQL aborts it; SQLite rolls back on
                # some errors): the other units' work cannot be vouched for.
                self._parent.broken = True
            if self._in_savepoint:
                conn = self._parent.conn
                try:
                    if failed:
                        _ROLLBACK_TO_SAVEPOINT.run(conn)
                    _RELEASE_SAVEPOINT.run(conn)
                except Exception:
                    # The database ended the whole transaction (SQLite does on some errors):
                    # the other units' work in it is gone too, and the parent must not go on.
                    self._parent.broken = True
                    raise
            for event, always in self._events:
                if always:
                    self._parent.record_always(event)
                elif not failed:
                    self._parent.record(event)
            if not failed:
                for statement, rows in self._inserts.items():
                    self._parent._inserts.setdefault(statement, []).extend(rows)
        finally:
            self._in_savepoint = False
            self._open = False
            self._events.clear()
            self._inserts.clear()
