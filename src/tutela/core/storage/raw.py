"""Hot-path statements: compiled by SQLAlchemy once per dialect, run on the DBAPI cursor
(SQLite) or at the protocol level through libpq (PostgreSQL, see `wire`).

Executing a Core statement costs tens of microseconds of Python per call on top of the database
work; a read that is audited runs three such statements, which would make SQLAlchemy itself the
bottleneck. `RawStatement` keeps SQLAlchemy as the one place SQL is written (the statement is a
normal Core construct, compiled by the dialect) and skips only the per-call machinery. It runs
inside the caller's transaction on the same connection.

Values are passed as the driver expects them; the one type needing help is `datetime` on SQLite,
converted with SQLAlchemy's own SQLite bind processor so Core reads it back unchanged.

Round trips to PostgreSQL are the other cost: `RawInsert` sends many rows per statement, and a
unit of work ends in one `committing` block (its statements, the COMMIT, and the BEGIN too when
its reads ran `before_begin`), sent in one write.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from psycopg.pq import TransactionStatus
from sqlalchemy import Connection, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement, Insert
from sqlalchemy.sql.compiler import SQLCompiler

from tutela.core.storage import wire


@dataclass(frozen=True)
class _Plan:
    """A statement compiled for one dialect, and how to turn a mapping into its parameters."""

    sql: str
    order: tuple[str, ...] | None  # parameter names in order, for positional drivers
    defaults: dict[str, Any]  # values fixed in the statement itself (e.g. LIMIT 1)
    timed: frozenset[str]  # DateTime parameters to convert (SQLite stores them as text)
    convert: Callable[[Any], Any] | None
    native: wire.Native | None  # PostgreSQL: the statement as sent at the protocol level


class RawStatement:
    """A Core statement run directly on the driver (positional or named, per dialect)."""

    def __init__(self, statement: ClauseElement) -> None:
        self._statement = statement
        self._plans: dict[str, _Plan] = {}
        self._memo: tuple[Any, Any] = (None, None)

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            compiled = self._statement.compile(dialect=dialect)
            assert isinstance(compiled, SQLCompiler)
            positional = compiled.positional and compiled.positiontup
            processor = DateTime().dialect_impl(dialect).bind_processor(dialect)
            plan = self._plans[dialect.name] = _Plan(
                sql=compiled.string,
                order=tuple(compiled.positiontup or ()) if positional else None,
                defaults={k: v for k, v in compiled.params.items() if v is not None},
                timed=frozenset(
                    name
                    for name, bind in compiled.binds.items()
                    if isinstance(bind.type, DateTime) and dialect.name == "sqlite"
                ),
                convert=processor,
                native=wire.Native.of(compiled.string) if dialect.name == "postgresql" else None,
            )
        return plan

    def _params(self, plan: _Plan, params: Mapping[str, Any]) -> Any:
        if plan.defaults:
            params = {**plan.defaults, **params}
        convert = plan.convert if plan.timed else None
        if plan.order is not None:  # positional (SQLite): converted on the way into the tuple
            if convert is None:
                return tuple([params[name] for name in plan.order])
            timed = plan.timed
            return tuple(
                [
                    self._datetime(convert, params[name]) if name in timed else params[name]
                    for name in plan.order
                ]
            )
        if convert is not None:
            params = dict(params)
            for name in plan.timed & params.keys():
                params[name] = self._datetime(convert, params[name])
        return params

    def _datetime(self, convert: Callable[[Any], Any], value: Any) -> Any:
        seen, result = self._memo  # one entry: the rows of a batch share one timestamp
        if value is not seen:
            result = convert(value)
            self._memo = (value, result)
        return result

    def rows(self, conn: Connection, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Run and fetch every row (as driver tuples)."""
        plan = self._plan(conn.dialect)
        if plan.native is not None:
            return wire.rows(conn, plan.native, {**plan.defaults, **(params or {})})
        cursor = _cursor(conn)
        try:
            cursor.execute(plan.sql, self._params(plan, params or {}))
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def run(self, conn: Connection, params: Mapping[str, Any] | None = None) -> None:
        """Run a statement that returns nothing (in a `committing` block, sent with the rest)."""
        plan = self._plan(conn.dialect)
        if plan.native is not None:
            wire.run(conn, plan.native, [{**plan.defaults, **(params or {})}])
            return
        cursor = _cursor(conn)
        try:
            cursor.execute(plan.sql, self._params(plan, params or {}))
        finally:
            cursor.close()

    def run_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run once per parameter set in one `executemany`."""
        if not rows:
            return
        plan = self._plan(conn.dialect)
        if plan.native is not None:  # one write, one round trip for all of them
            wire.run(
                conn, plan.native, [{**plan.defaults, **r} for r in rows] if plan.defaults else rows
            )
            return
        cursor = _cursor(conn)
        try:
            cursor.executemany(plan.sql, [self._params(plan, r) for r in rows])
        finally:
            cursor.close()


# Rows per statement in `RawInsert.run_many` on PostgreSQL, largest first.
_CHUNKS = (32, 16, 8, 4, 2, 1)


class RawInsert(RawStatement):
    """An INSERT whose `run_many` sends many rows per statement on PostgreSQL.

    Executed once per row, a group's sixteen audit entries were sixteen statements, its sixteen
    new subjects another sixteen, their blind-index rows forty-eight more, each paying the
    server's per-statement work. Here the rows go as multi-row VALUES, in chunks of 32, 16, 8,
    4, 2 and 1 rows, so the statement's text takes one of six shapes (each prepared once per
    connection). SQLite keeps `executemany`, which runs in C and pays no round trip.
    """

    def __init__(self, statement: Insert) -> None:
        super().__init__(statement)
        self._shapes: dict[int, bytes] = {}  # rows per statement -> its SQL (PostgreSQL)

    def run_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        if len(rows) < 2 or conn.dialect.name != "postgresql":
            super().run_many(conn, rows)
            return
        plan = self._plan(conn.dialect)
        assert plan.native is not None
        names = plan.native.names
        statements = []
        start = 0
        while start < len(rows):
            size = next(c for c in _CHUNKS if c <= len(rows) - start)
            chunk = rows[start : start + size]
            if plan.defaults:
                chunk = [{**plan.defaults, **row} for row in chunk]
            sql = self._shapes.get(size) or self._shape(plan.native, size)
            statements.append((sql, [row[name] for row in chunk for name in names]))
            start += size
        wire.run_values(conn, statements)  # every chunk in one write

    def _shape(self, native: wire.Native, size: int) -> bytes:
        """The statement with `size` rows of VALUES, numbered on from the first row's."""
        head, values = native.sql.split(b" VALUES ", 1)
        width = len(native.names)
        parts = re.split(rb"\$(\d+)", values)
        rows = []
        for row in range(size):
            text = [
                part if i % 2 == 0 else b"$%d" % (int(part) + row * width)
                for i, part in enumerate(parts)
            ]
            rows.append(b"".join(text))
        sql = self._shapes[size] = head + b" VALUES " + b", ".join(rows)
        return sql


@contextmanager
def committing(conn: Connection) -> Iterator[None]:
    """The transaction's last block: its statements, then its COMMIT, sent together where the
    driver can (PostgreSQL, `wire.block`). A fetch inside sends what is queued and waits once
    for all of it; the block's end sends the rest with the COMMIT, in one round trip, and
    raises the first error (the COMMIT is then skipped, and the transaction is rolled back
    when the connection is closed). Call `conn.commit()` after the block all the same:
    SQLAlchemy ends its bookkeeping, and where nothing is sent together (SQLite) that is the
    commit.

    If the transaction has not begun yet (nothing ran, or only reads `before_begin`), its
    BEGIN is the block's first statement, in the same write.
    """
    if conn.dialect.name != "postgresql":
        yield
        return
    with wire.block(conn, commit=True):
        yield


@contextmanager
def before_begin(conn: Connection) -> Iterator[None]:
    """A block of reads run before the transaction's first statement, with no BEGIN of its own.

    On PostgreSQL (psycopg) the block runs in autocommit mode, and the transaction begins
    later, in the `committing` block that ends it, with no round trip of its own. Under READ
    COMMITTED, PostgreSQL's default, every statement sees what was committed when it started,
    in a transaction or not, so the block reads what a first statement of the transaction
    would have. Elsewhere (SQLite begins its own transactions), or once the transaction has
    begun, it changes nothing. A connection that cannot be put back in transaction mode is
    invalidated, never reused.
    """
    driver: Any = conn.connection.driver_connection
    if (
        conn.dialect.name != "postgresql"
        or driver.info.transaction_status != TransactionStatus.IDLE
        or driver.autocommit
    ):
        yield
        return
    driver.autocommit = True
    try:
        yield
    finally:
        try:
            driver.autocommit = False
        except Exception:  # the connection broke meanwhile: never hand it out again
            conn.invalidate()
            raise


def _cursor(conn: Connection) -> Any:
    """The driver's own cursor (SQLite), in SQLAlchemy's open transaction."""
    driver: Any = conn.connection.driver_connection
    return driver.cursor()


def as_datetime(value: Any) -> datetime | None:
    """A timestamp column read through `RawStatement`, as an aware UTC datetime.

    SQLite hands back SQLAlchemy's text form (naive, UTC); PostgreSQL an aware datetime.
    """
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError("not a timestamp")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
