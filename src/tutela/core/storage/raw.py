"""Hot-path statements: compiled by SQLAlchemy once per dialect, run on the DBAPI cursor.

Executing a Core statement costs tens of microseconds of Python per call on top of the database
work; a read that is audited runs three such statements, which would make SQLAlchemy itself the
bottleneck. `RawStatement` keeps SQLAlchemy as the one place SQL is written (the statement is a
normal Core construct, compiled by the dialect) and skips only the per-call machinery. It runs
inside the caller's transaction on the same connection.

Values are passed as the driver expects them; the one type needing help is `datetime` on SQLite,
converted with SQLAlchemy's own SQLite bind processor so Core reads it back unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler


class RawStatement:
    """A Core statement run directly on the driver (positional or named, per dialect)."""

    def __init__(self, statement: ClauseElement) -> None:
        self._statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None]] = {}
        self._defaults: dict[str, dict[str, Any]] = {}
        self._memo: tuple[Any, Any] = (None, None)
        self._datetime: dict[str, tuple[Callable[[Any], Any], frozenset[str]] | None] = {}

    def _for(self, dialect: Dialect) -> tuple[str, tuple[str, ...] | None]:
        cached = self._compiled.get(dialect.name)
        if cached is None:
            compiled = self._statement.compile(dialect=dialect)
            assert isinstance(compiled, SQLCompiler)
            order = (
                tuple(compiled.positiontup)
                if compiled.positional and compiled.positiontup
                else None
            )
            cached = self._compiled[dialect.name] = (compiled.string, order)
            # Values fixed in the statement itself (e.g. LIMIT 1) travel as bound parameters.
            self._defaults[dialect.name] = {
                k: v for k, v in compiled.params.items() if v is not None
            }
            # SQLite stores datetimes as text; convert exactly the DateTime-typed parameters.
            timed = frozenset(
                name for name, bind in compiled.binds.items() if isinstance(bind.type, DateTime)
            )
            processor = DateTime().dialect_impl(dialect).bind_processor(dialect)
            self._datetime[dialect.name] = (
                (processor, timed) if dialect.name == "sqlite" and timed and processor else None
            )
        return cached

    def _params(self, dialect: Dialect, params: Mapping[str, Any]) -> Any:
        _, order = self._for(dialect)
        defaults = self._defaults[dialect.name]
        if defaults:
            params = {**defaults, **params}
        timed = self._datetime[dialect.name]
        if timed is not None:
            convert, names = timed
            params = dict(params)
            for name in names & params.keys():
                value = params[name]
                seen, result = self._memo  # one entry: a batch shares one timestamp
                if value is not seen:
                    result = convert(value)
                    self._memo = (value, result)
                params[name] = result
        return tuple(params[name] for name in order) if order is not None else params

    def rows(self, conn: Connection, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Run and fetch every row (as driver tuples)."""
        sql, _ = self._for(conn.dialect)
        cursor = _cursor(conn)
        try:
            cursor.execute(sql, self._params(conn.dialect, params or {}))
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def run(self, conn: Connection, params: Mapping[str, Any] | None = None) -> None:
        """Run a statement that returns nothing."""
        sql, _ = self._for(conn.dialect)
        cursor = _cursor(conn)
        try:
            cursor.execute(sql, self._params(conn.dialect, params or {}))
        finally:
            cursor.close()

    def run_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run once per parameter set in one `executemany`."""
        if not rows:
            return
        sql, _ = self._for(conn.dialect)
        cursor = _cursor(conn)
        try:
            cursor.executemany(sql, [self._params(conn.dialect, r) for r in rows])
        finally:
            cursor.close()


def _cursor(conn: Connection) -> Any:
    # The driver's own connection under SQLAlchemy's open transaction: its cursor shares it.
    return conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
