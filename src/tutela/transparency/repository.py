"""All SQL of published notice versions."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, select

from tutela.core.storage.base import table_of
from tutela.core.storage.idempotent import insert_or_ignore
from tutela.transparency.models import NoticeVersion

_table = table_of(NoticeVersion)


def exists(conn: Connection, version: str) -> bool:
    return (
        conn.execute(select(_table.c.version).where(_table.c.version == version)).first()
        is not None
    )


def add(conn: Connection, version: str, datamap_version: str, document: str, at: datetime) -> bool:
    """Store a version unless it is already stored (another process may publish the same
    notice at the same moment); True if this call stored it."""
    values = {
        "version": version,
        "datamap_version": datamap_version,
        "document": document,
        "published_at": at,
    }
    return insert_or_ignore(conn, _table, values)


def versions(conn: Connection) -> list[tuple[str, str, datetime]]:
    """(version, datamap_version, published_at), oldest first."""
    rows = conn.execute(
        select(_table.c.version, _table.c.datamap_version, _table.c.published_at).order_by(
            _table.c.published_at, _table.c.version
        )
    )
    return [(r[0], r[1], _utc(r[2])) for r in rows]


def get(conn: Connection, version: str) -> str | None:
    """The stored canonical JSON of a version."""
    return conn.execute(select(_table.c.document).where(_table.c.version == version)).scalar()


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite keeps no offset
