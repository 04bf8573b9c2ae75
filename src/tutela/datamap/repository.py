"""All SQL of data map versions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select

from tutela.core.storage.base import table_of
from tutela.datamap.models import DataMapVersion

_table = table_of(DataMapVersion)


def exists(conn: Connection, version: str) -> bool:
    return (
        conn.execute(select(_table.c.version).where(_table.c.version == version)).first()
        is not None
    )


def add(conn: Connection, version: str, document: str, at: datetime) -> None:
    conn.execute(insert(_table).values(version=version, document=document, applied_at=at))


def latest(conn: Connection) -> tuple[str, str] | None:
    row = conn.execute(
        select(_table.c.version, _table.c.document).order_by(_table.c.applied_at.desc()).limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def get(conn: Connection, version: str) -> str | None:
    return conn.execute(select(_table.c.document).where(_table.c.version == version)).scalar()
