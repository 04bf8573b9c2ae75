"""Inserts that several processes may race to make: the first one wins, the others do nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Insert, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_or_ignore(conn: Connection, table: Table, values: Mapping[str, Any]) -> bool:
    """Insert a row unless one with the same key exists; True if this call inserted it.

    Raises:
        NotImplementedError: a database other than SQLite or PostgreSQL.
    """
    statement: Insert
    if conn.dialect.name == "postgresql":
        statement = postgresql.insert(table).values(dict(values)).on_conflict_do_nothing()
    elif conn.dialect.name == "sqlite":
        statement = sqlite.insert(table).values(dict(values)).on_conflict_do_nothing()
    else:
        raise NotImplementedError(f"unsupported database: {conn.dialect.name}")
    # RETURNING, not rowcount: drivers do not all report a row count for this statement.
    key = next(iter(table.primary_key.columns))
    return conn.execute(statement.returning(key)).first() is not None
