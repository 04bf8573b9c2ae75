"""All SQL of the consent ledger. Events are only ever inserted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, insert, select

from tutela.consent.models import ConsentEvent
from tutela.core.storage.base import table_of
from tutela.core.storage.raw import RawStatement, as_datetime

_event = table_of(ConsentEvent)


@dataclass(frozen=True)
class EventRow:
    """A ledger event as stored (without the receipt document)."""

    seq: int
    receipt_id: str
    subject_id: str
    purpose: str
    action: str
    at: datetime
    datamap_version: str
    notice_version: str
    method: str
    collector: str


_COLUMNS = (
    _event.c.seq,
    _event.c.receipt_id,
    _event.c.subject_id,
    _event.c.purpose,
    _event.c.action,
    _event.c.at,
    _event.c.datamap_version,
    _event.c.notice_version,
    _event.c.method,
    _event.c.collector,
)

# Asked on every read of a consent-based purpose: one index seek (subject, purpose, seq).
_LATEST_ACTION = RawStatement(
    select(_event.c.action)
    .where(_event.c.subject_id == bindparam("sid"), _event.c.purpose == bindparam("purpose"))
    .order_by(_event.c.seq.desc())
    .limit(1)
)


def _at(value: Any) -> datetime:
    at = as_datetime(value)
    assert at is not None  # the column is NOT NULL
    return at


def _row(r: Any) -> EventRow:
    return EventRow(r[0], r[1], r[2], r[3], r[4], _at(r[5]), r[6], r[7], r[8], r[9])


def insert_events(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        conn.execute(insert(_event), list(rows))


def latest_action(conn: Connection, subject_id: str, purpose: str) -> str | None:
    """The action of the subject's latest event for the purpose, or None if there is none."""
    for (action,) in _LATEST_ACTION.rows(conn, {"sid": subject_id, "purpose": purpose}):
        return str(action)
    return None


def history(conn: Connection, subject_id: str) -> list[EventRow]:
    """Every event of a subject, oldest first."""
    query = select(*_COLUMNS).where(_event.c.subject_id == subject_id).order_by(_event.c.seq)
    return [_row(r) for r in conn.execute(query)]


def latest_events(conn: Connection, subject_ids: Sequence[str]) -> dict[tuple[str, str], EventRow]:
    """The latest event per (subject, purpose) for the given subjects."""
    if not subject_ids:
        return {}
    latest = (
        select(func.max(_event.c.seq).label("seq"))
        .where(_event.c.subject_id.in_(list(subject_ids)))
        .group_by(_event.c.subject_id, _event.c.purpose)
        .subquery()
    )
    query = select(*_COLUMNS).join(latest, latest.c.seq == _event.c.seq)
    return {(r.subject_id, r.purpose): r for r in map(_row, conn.execute(query))}


def last_grants(conn: Connection, subject_ids: Sequence[str]) -> dict[tuple[str, str], datetime]:
    """When each (subject, purpose) was last granted, for the given subjects."""
    if not subject_ids:
        return {}
    query = (
        select(_event.c.subject_id, _event.c.purpose, func.max(_event.c.at))
        .where(_event.c.subject_id.in_(list(subject_ids)), _event.c.action == "grant")
        .group_by(_event.c.subject_id, _event.c.purpose)
    )
    return {(r[0], r[1]): _at(r[2]) for r in conn.execute(query)}


def stale_grants(conn: Connection, notice_version: str) -> list[EventRow]:
    """Active grants (the latest event is a grant) given under another notice version."""
    latest = (
        select(func.max(_event.c.seq).label("seq"))
        .group_by(_event.c.subject_id, _event.c.purpose)
        .subquery()
    )
    query = (
        select(*_COLUMNS)
        .join(latest, latest.c.seq == _event.c.seq)
        .where(and_(_event.c.action == "grant", _event.c.notice_version != notice_version))
        .order_by(_event.c.subject_id, _event.c.purpose)
    )
    return [_row(r) for r in conn.execute(query)]


def receipt(conn: Connection, receipt_id: str) -> tuple[str, str] | None:
    """(subject_id, signed receipt document) of a receipt id."""
    row = conn.execute(
        select(_event.c.subject_id, _event.c.receipt).where(_event.c.receipt_id == receipt_id)
    ).first()
    return (row[0], row[1]) if row else None


def receipts_of(conn: Connection, subject_id: str) -> list[str]:
    """A subject's signed receipt documents, oldest first."""
    query = select(_event.c.receipt).where(_event.c.subject_id == subject_id).order_by(_event.c.seq)
    return list(conn.execute(query).scalars())
