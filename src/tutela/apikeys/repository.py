"""All SQL of API keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, insert, select, update

from tutela.apikeys.models import ApiKey
from tutela.core.storage.base import table_of
from tutela.core.storage.raw import RawStatement

_table = table_of(ApiKey)
# Looked up on every request: straight on the driver (see core/storage/raw.py).
_BY_ID = RawStatement(
    select(
        _table.c.id,
        _table.c.name,
        _table.c.role,
        _table.c.secret_hash,
        _table.c.created_at,
        _table.c.expires_at,
        _table.c.revoked_at,
    ).where(_table.c.id == bindparam("id"))
)


@dataclass(frozen=True)
class KeyRow:
    id: str
    name: str
    role: str
    secret_hash: bytes
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


def add(conn: Connection, row: KeyRow) -> None:
    conn.execute(
        insert(_table).values(
            id=row.id,
            name=row.name,
            role=row.role,
            secret_hash=row.secret_hash,
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked_at=None,
        )
    )


def get(conn: Connection, key_id: str) -> KeyRow | None:
    """One key by id, with times as the driver returns them (see `service._aware`)."""
    rows = _BY_ID.rows(conn, {"id": key_id})
    if not rows:
        return None
    key, name, role, secret_hash, created_at, expires_at, revoked_at = rows[0]
    return KeyRow(key, name, role, bytes(secret_hash), created_at, expires_at, revoked_at)


def all_keys(conn: Connection) -> list[KeyRow]:
    rows = conn.execute(select(_table).order_by(_table.c.created_at, _table.c.id))
    return [
        KeyRow(r.id, r.name, r.role, bytes(r.secret_hash), r.created_at, r.expires_at, r.revoked_at)
        for r in rows
    ]


def revoke(conn: Connection, key_id: str, at: datetime) -> bool:
    result = conn.execute(
        update(_table)
        .where(_table.c.id == key_id, _table.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    return bool(result.rowcount)
