"""All SQL of the audit log."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC

from sqlalchemy import Connection, func, insert, select, text

from tutela.core.audit.chain import GENESIS, AuditEvent, ChainedEntry, fields_json
from tutela.core.audit.models import AuditEntry
from tutela.core.storage.base import table_of
from tutela.core.storage.raw import RawInsert, RawStatement

_table = table_of(AuditEntry)
# Arbitrary constant naming the chain's advisory lock on PostgreSQL.
_PG_CHAIN_LOCK = 0x7475_7465_6C61
# Every audited operation runs these: straight on the driver (see core/storage/raw.py).
_LOCK = RawStatement(text("SELECT pg_advisory_xact_lock(:k)"))
_LAST = RawStatement(select(_table.c.seq, _table.c.mac).order_by(_table.c.seq.desc()).limit(1))
_INSERT = RawInsert(insert(_table))


def lock_chain(conn: Connection) -> None:
    """Serialise appenders until this transaction ends.

    SQLite transactions already hold the write lock (`BEGIN IMMEDIATE`); PostgreSQL takes a
    transaction-scoped advisory lock, released by commit or rollback.
    """
    if conn.dialect.name == "postgresql":
        _LOCK.run(conn, {"k": _PG_CHAIN_LOCK})  # not fetched: in a block, it rides along


def last_link(conn: Connection) -> tuple[int, bytes]:
    rows = _LAST.rows(conn)
    return (rows[0][0], bytes(rows[0][1])) if rows else (0, GENESIS)


def insert_entries(conn: Connection, entries: Sequence[ChainedEntry]) -> None:
    rows = [
        {
            "seq": e.seq,
            "at": e.at,
            "actor": e.event.actor,
            "role": e.event.role,
            "action": e.event.action,
            "subject_id": e.event.subject_id,
            "fields": fields_json(tuple(e.event.fields)),
            "purpose": e.event.purpose,
            "outcome": e.event.outcome,
            "detail": e.event.detail,
            "prev_mac": e.prev_mac,
            "mac": e.mac,
        }
        for e in entries
    ]
    if len(rows) == 1:
        _INSERT.run(conn, rows[0])
    else:
        _INSERT.run_many(conn, rows)


def count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(_table)).scalar_one())


def iter_entries(
    conn: Connection,
    *,
    subject_id: str | None = None,
    after: int = 0,
    limit: int | None = None,
    chunk: int = 2_000,
) -> Iterator[ChainedEntry]:
    """Entries in sequence order, fetched in chunks so a long log streams."""
    remaining = limit
    while remaining is None or remaining > 0:
        size = chunk if remaining is None else min(chunk, remaining)
        query = select(_table).where(_table.c.seq > after).order_by(_table.c.seq).limit(size)
        if subject_id is not None:
            query = query.where(_table.c.subject_id == subject_id)
        rows = conn.execute(query).all()
        for row in rows:
            yield _to_entry(row)
        if len(rows) < size:
            return
        after = rows[-1].seq
        if remaining is not None:
            remaining -= len(rows)


def _to_entry(row: object) -> ChainedEntry:
    r = row._mapping  # type: ignore[attr-defined]
    event = AuditEvent(
        actor=r["actor"],
        role=r["role"],
        action=r["action"],
        outcome=r["outcome"],
        subject_id=r["subject_id"],
        fields=tuple(json.loads(r["fields"])),
        purpose=r["purpose"],
        detail=r["detail"],
    )
    at = r["at"] if r["at"].tzinfo else r["at"].replace(tzinfo=UTC)  # SQLite keeps no offset
    return ChainedEntry(r["seq"], at, event, bytes(r["prev_mac"]), bytes(r["mac"]))
