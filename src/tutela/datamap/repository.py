"""All SQL of data map versions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from tutela.core.storage.base import table_of
from tutela.core.storage.idempotent import insert_or_ignore
from tutela.datamap.models import DataMapVersion

_table = table_of(DataMapVersion)


def exists(conn: Connection, version: str) -> bool:
    return (
        conn.execute(select(_table.c.version).where(_table.c.version == version)).first()
        is not None
    )


def add(conn: Connection, version: str, document: str, at: datetime) -> bool:
    """Store a version unless stored already (processes opening a changed home at the same
    moment race to store it); True if this call stored it."""
    return insert_or_ignore(
        conn, _table, {"version": version, "document": document, "applied_at": at}
    )


def latest(conn: Connection) -> tuple[str, str] | None:
    row = conn.execute(
        select(_table.c.version, _table.c.document).order_by(_table.c.applied_at.desc()).limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def get(conn: Connection, version: str) -> str | None:
    return conn.execute(select(_table.c.document).where(_table.c.version == version)).scalar()
