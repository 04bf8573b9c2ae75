"""All SQL of data-subject requests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from tutela.core.storage.base import table_of
from tutela.core.storage.raw import as_datetime
from tutela.rights.models import RightsRequest, RightsRequestEvent, VerificationCode

_request = table_of(RightsRequest)
_event = table_of(RightsRequestEvent)
_code = table_of(VerificationCode)


@dataclass(frozen=True)
class RequestRow:
    id: str
    type: str
    status: str
    regime: str
    jurisdiction: str | None
    email_digest: bytes
    email_sealed: bytes | None
    subject_id: str | None
    received_at: datetime
    due_on: date
    latest_extension: date
    acknowledge_by: date | None
    extension_reason: str | None
    verified_at: datetime | None
    closed_at: datetime | None
    outcome: str | None


@dataclass(frozen=True)
class EventRow:
    at: datetime
    status: str
    actor: str
    note: str


@dataclass(frozen=True)
class CodeRow:
    code_mac: bytes
    expires_at: datetime
    attempts: int
    locked: bool


def _aware(value: Any) -> datetime:
    at = as_datetime(value)
    assert at is not None
    return at


def _request_row(r: Any) -> RequestRow:
    m = r._mapping
    return RequestRow(
        **{
            **m,
            "email_digest": bytes(m["email_digest"]),
            "email_sealed": bytes(m["email_sealed"]) if m["email_sealed"] else None,
            "received_at": _aware(m["received_at"]),
            "verified_at": as_datetime(m["verified_at"]),
            "closed_at": as_datetime(m["closed_at"]),
        }
    )


def insert_request(conn: Connection, values: Mapping[str, Any]) -> None:
    conn.execute(insert(_request).values(dict(values)))


def get(conn: Connection, request_id: str) -> RequestRow | None:
    row = conn.execute(select(_request).where(_request.c.id == request_id)).first()
    return _request_row(row) if row else None


def update_request(conn: Connection, request_id: str, values: Mapping[str, Any]) -> None:
    conn.execute(update(_request).where(_request.c.id == request_id).values(dict(values)))


def listing(
    conn: Connection, *, statuses: Sequence[str] | None = None, limit: int = 1000
) -> list[RequestRow]:
    query = select(_request).order_by(_request.c.due_on, _request.c.received_at).limit(limit)
    if statuses:
        query = query.where(_request.c.status.in_(list(statuses)))
    return [_request_row(r) for r in conn.execute(query)]


def add_event(
    conn: Connection, request_id: str, *, at: datetime, status: str, actor: str, note: str
) -> None:
    conn.execute(
        insert(_event).values(request_id=request_id, at=at, status=status, actor=actor, note=note)
    )


def events(conn: Connection, request_id: str) -> list[EventRow]:
    query = (
        select(_event.c.at, _event.c.status, _event.c.actor, _event.c.note)
        .where(_event.c.request_id == request_id)
        .order_by(_event.c.seq)
    )
    return [EventRow(_aware(r[0]), r[1], r[2], r[3]) for r in conn.execute(query)]


def put_code(conn: Connection, request_id: str, code_mac: bytes, expires_at: datetime) -> None:
    conn.execute(
        insert(_code).values(
            request_id=request_id,
            code_mac=code_mac,
            expires_at=expires_at,
            attempts=0,
            locked=False,
        )
    )


def code(conn: Connection, request_id: str) -> CodeRow | None:
    row = conn.execute(
        select(_code.c.code_mac, _code.c.expires_at, _code.c.attempts, _code.c.locked).where(
            _code.c.request_id == request_id
        )
    ).first()
    return CodeRow(bytes(row[0]), _aware(row[1]), row[2], bool(row[3])) if row else None


def count_attempt(conn: Connection, request_id: str, *, lock: bool) -> None:
    conn.execute(
        update(_code)
        .where(_code.c.request_id == request_id)
        .values(attempts=_code.c.attempts + 1, locked=lock)
    )


def drop_code(conn: Connection, request_id: str) -> None:
    conn.execute(_code.delete().where(_code.c.request_id == request_id))


def completed_of(conn: Connection, subject_id: str, request_type: str) -> bool:
    """Whether a request of this type was completed for the subject."""
    query = select(_request.c.id).where(
        _request.c.subject_id == subject_id,
        _request.c.type == request_type,
        _request.c.status == "completed",
    )
    return conn.execute(query.limit(1)).first() is not None
