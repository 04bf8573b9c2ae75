"""All SQL of data-subject requests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from tutela.core.storage.base import table_of
from tutela.core.storage.raw import as_datetime
from tutela.rights.models import (
    PortalChallenge,
    PortalSession,
    RightsDownload,
    RightsRequest,
    RightsRequestEvent,
    VerificationCode,
)

_request = table_of(RightsRequest)
_event = table_of(RightsRequestEvent)
_code = table_of(VerificationCode)
_download = table_of(RightsDownload)
_challenge = table_of(PortalChallenge)
_session = table_of(PortalSession)


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


def of_requester(
    conn: Connection, email_digest: bytes, subject_id: str | None, *, limit: int = 200
) -> list[RequestRow]:
    """A requester's own requests, newest first (the privacy center's "my requests"): made
    from their email, or about them as a customer (after they changed their email)."""
    mine = _request.c.email_digest == email_digest
    if subject_id is not None:
        mine = mine | (_request.c.subject_id == subject_id)
    query = select(_request).where(mine).order_by(_request.c.received_at.desc()).limit(limit)
    return [_request_row(r) for r in conn.execute(query)]


# -- one-time downloads ------------------------------------------------------------------


@dataclass(frozen=True)
class DownloadRow:
    request_id: str
    subject_id: str | None
    expires_at: datetime
    sealed: bytes


def put_download(conn: Connection, token_digest: bytes, row: DownloadRow) -> None:
    conn.execute(
        insert(_download).values(
            token_digest=token_digest,
            request_id=row.request_id,
            subject_id=row.subject_id,
            expires_at=row.expires_at,
            sealed=row.sealed,
        )
    )


def peek_download(conn: Connection, token_digest: bytes) -> DownloadRow | None:
    row = conn.execute(select(_download).where(_download.c.token_digest == token_digest)).first()
    return _download_row(row) if row else None


def take_download(conn: Connection, token_digest: bytes) -> DownloadRow | None:
    """Delete the package and return it: of two concurrent takers, one gets it."""
    row = conn.execute(
        delete(_download).where(_download.c.token_digest == token_digest).returning(_download)
    ).first()
    return _download_row(row) if row else None


def _download_row(row: Any) -> DownloadRow:
    m = row._mapping
    return DownloadRow(
        m["request_id"], m["subject_id"], _aware(m["expires_at"]), bytes(m["sealed"])
    )


def drop_downloads(
    conn: Connection, *, subject_id: str | None = None, expired_before: datetime | None = None
) -> int:
    """Delete a customer's packages (on erasure) or those past their expiry."""
    query = delete(_download)
    if subject_id is not None:
        query = query.where(_download.c.subject_id == subject_id)
    if expired_before is not None:
        query = query.where(_download.c.expires_at < expired_before)
    return conn.execute(query).rowcount or 0


# -- privacy-center sign-in and sessions ---------------------------------------------------


@dataclass(frozen=True)
class ChallengeRow:
    id: str
    email_digest: bytes
    email_sealed: bytes
    code_mac: bytes
    expires_at: datetime
    attempts: int
    locked: bool


def put_challenge(conn: Connection, values: Mapping[str, Any]) -> None:
    conn.execute(insert(_challenge).values({**values, "attempts": 0, "locked": False}))


def challenge(conn: Connection, challenge_id: str) -> ChallengeRow | None:
    row = conn.execute(select(_challenge).where(_challenge.c.id == challenge_id)).first()
    if row is None:
        return None
    m = row._mapping
    return ChallengeRow(
        m["id"],
        bytes(m["email_digest"]),
        bytes(m["email_sealed"]),
        bytes(m["code_mac"]),
        _aware(m["expires_at"]),
        m["attempts"],
        bool(m["locked"]),
    )


def count_challenge_attempt(conn: Connection, challenge_id: str, *, lock: bool) -> None:
    conn.execute(
        update(_challenge)
        .where(_challenge.c.id == challenge_id)
        .values(attempts=_challenge.c.attempts + 1, locked=lock)
    )


def drop_challenge(conn: Connection, challenge_id: str) -> None:
    conn.execute(delete(_challenge).where(_challenge.c.id == challenge_id))


@dataclass(frozen=True)
class SessionRow:
    kind: str
    subject_id: str | None
    email_digest: bytes | None
    email_sealed: bytes | None
    actor_id: str
    role: str
    created_at: datetime
    seen_at: datetime
    expires_at: datetime


def put_session(conn: Connection, token_digest: bytes, row: SessionRow) -> None:
    conn.execute(
        insert(_session).values(
            token_digest=token_digest,
            kind=row.kind,
            subject_id=row.subject_id,
            email_digest=row.email_digest,
            email_sealed=row.email_sealed,
            actor_id=row.actor_id,
            role=row.role,
            created_at=row.created_at,
            seen_at=row.seen_at,
            expires_at=row.expires_at,
        )
    )


def session(conn: Connection, token_digest: bytes) -> SessionRow | None:
    row = conn.execute(select(_session).where(_session.c.token_digest == token_digest)).first()
    if row is None:
        return None
    m = row._mapping
    return SessionRow(
        m["kind"],
        m["subject_id"],
        bytes(m["email_digest"]) if m["email_digest"] is not None else None,
        bytes(m["email_sealed"]) if m["email_sealed"] is not None else None,
        m["actor_id"],
        m["role"],
        _aware(m["created_at"]),
        _aware(m["seen_at"]),
        _aware(m["expires_at"]),
    )


def update_session(conn: Connection, token_digest: bytes, values: Mapping[str, Any]) -> None:
    query = update(_session).where(_session.c.token_digest == token_digest)
    conn.execute(query.values(dict(values)))


def touch_session(conn: Connection, token_digest: bytes, seen_at: datetime) -> None:
    conn.execute(
        update(_session).where(_session.c.token_digest == token_digest).values(seen_at=seen_at)
    )


def drop_sessions(
    conn: Connection,
    *,
    token_digest: bytes | None = None,
    subject_id: str | None = None,
    expired_before: datetime | None = None,
) -> int:
    query = delete(_session)
    if token_digest is not None:
        query = query.where(_session.c.token_digest == token_digest)
    if subject_id is not None:
        query = query.where(_session.c.subject_id == subject_id)
    if expired_before is not None:
        query = query.where(_session.c.expires_at < expired_before)
    return conn.execute(query).rowcount or 0


def drop_challenges(conn: Connection, *, expired_before: datetime) -> int:
    return (
        conn.execute(delete(_challenge).where(_challenge.c.expires_at < expired_before)).rowcount
        or 0
    )
