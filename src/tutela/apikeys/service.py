"""API keys: issue (the secret is shown once), list, revoke, and authenticate a request.

A key reads ``tk_<id>_<secret>``: the id part names the key in listings and the audit log; the
secret is 256 random bits of which only the SHA-256 is stored (a slow hash adds nothing to a
secret that cannot be guessed). Unknown id, malformed text and wrong secret are one answer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from tutela.actor import Actor
from tutela.apikeys import repository
from tutela.clock import Clock
from tutela.core.audit import AuditEvent
from tutela.core.crypto import new_secret, random_id
from tutela.core.storage.raw import as_datetime
from tutela.core.uow import UnitOfWork
from tutela.datamap import ADMIN_ROLE, DataMap
from tutela.errors import (
    ApiKeyExpired,
    ApiKeyInvalid,
    ApiKeyNotFound,
    ApiKeyRevoked,
    RoleNotInDataMap,
    ValidationFailed,
)

# A key meant to last is created without an expiry; a lifetime is for keys that should end.
MAX_LIFETIME = timedelta(days=3_660)
_KEY_TEXT = re.compile(r"tk_([a-z2-7]{26})_([A-Za-z0-9_-]{43})")


@dataclass(frozen=True)
class ApiKeyInfo:
    """What may be shown about a key: never its secret or hash."""

    id: str
    name: str
    role: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def _info(row: repository.KeyRow) -> ApiKeyInfo:
    created = as_datetime(row.created_at)
    assert created is not None
    return ApiKeyInfo(
        row.id,
        row.name,
        row.role,
        created,
        as_datetime(row.expires_at),
        as_datetime(row.revoked_at),
    )


def create(
    uow: UnitOfWork,
    datamap: DataMap,
    clock: Clock,
    *,
    name: str,
    role: str,
    expires_in: timedelta | None,
    actor: Actor,
) -> tuple[ApiKeyInfo, str]:
    """Issue a key for `role`; returns its info and the key text (shown once, never stored).

    Raises:
        RoleNotInDataMap: the role is neither declared nor `admin`.
        ValidationFailed: `expires_in` is not positive, or over ten years.
    """
    if role != ADMIN_ROLE and role not in datamap.roles:
        raise RoleNotInDataMap(role)
    if expires_in is not None and not timedelta(0) < expires_in <= MAX_LIFETIME:
        # Zero would read as "never expires", a negative lifetime as "already expired".
        raise ValidationFailed("expires", "must be a positive lifetime of at most ten years")
    key_id = random_id("key")
    secret = base64.urlsafe_b64encode(new_secret()).decode().rstrip("=")
    now = clock.now()
    row = repository.KeyRow(
        id=key_id,
        name=name,
        role=role,
        secret_hash=_digest(secret),
        created_at=now,
        expires_at=None if expires_in is None else now + expires_in,
        revoked_at=None,
    )
    repository.add(uow.conn, row)
    uow.record(AuditEvent(actor=actor.id, role=actor.role, action="apikey.create", detail=key_id))
    return _info(row), f"tk_{key_id.removeprefix('key_')}_{secret}"


def is_active(conn: Connection, key_id: str, now: datetime) -> bool:
    """Whether the key exists and is neither revoked nor expired (sessions opened with it
    end when it does)."""
    row = repository.get(conn, key_id)
    return row is not None and _info(row).status(now) == "active"


def list_keys(conn: Connection) -> list[ApiKeyInfo]:
    return [_info(row) for row in repository.all_keys(conn)]


def revoke(uow: UnitOfWork, clock: Clock, key_id: str, actor: Actor) -> None:
    """Revoke a key at once; revoking twice is harmless.

    Raises:
        ApiKeyNotFound: no such key.
    """
    if repository.get(uow.conn, key_id) is None:
        raise ApiKeyNotFound(key_id)
    repository.revoke(uow.conn, key_id, clock.now())
    uow.record(AuditEvent(actor=actor.id, role=actor.role, action="apikey.revoke", detail=key_id))


def authenticate(conn: Connection, key_text: str, now: datetime) -> tuple[Actor, datetime | None]:
    """The actor a presented key stands for (its id for the audit log, its role) and when the
    key expires.

    Raises:
        ApiKeyInvalid, ApiKeyExpired, ApiKeyRevoked.
    """
    match = _KEY_TEXT.fullmatch(key_text.strip())
    if match is None:
        raise ApiKeyInvalid()
    key_id, secret = f"key_{match[1]}", match[2]
    row = repository.get(conn, key_id)
    if row is None or not hmac.compare_digest(row.secret_hash, _digest(secret)):
        raise ApiKeyInvalid()
    info = _info(row)
    if info.revoked_at is not None:
        raise ApiKeyRevoked(key_id)
    if info.expires_at is not None and info.expires_at <= now:
        raise ApiKeyExpired(key_id)
    return Actor(key_id, row.role), info.expires_at


class AuthCache:
    """Keys authenticated in the last `ttl` seconds, so a busy client costs no lookup per call.

    A revocation made through this process is seen at once (`forget`); one made by another
    process sharing the database within `ttl`. An entry never outlives its key's expiry.
    Entries are keyed by a hash of the key text, never the text itself.
    """

    def __init__(self, ttl: float = 1.0, max_entries: int = 10_000) -> None:
        self._ttl = timedelta(seconds=ttl)
        self._max = max_entries
        self._entries: dict[bytes, tuple[Actor, datetime]] = {}

    def get(self, key_text: str, now: datetime) -> Actor | None:
        entry = self._entries.get(_digest(key_text))
        if entry is None or entry[1] <= now:
            return None
        return entry[0]

    def put(self, key_text: str, actor: Actor, expires_at: datetime | None, now: datetime) -> None:
        if len(self._entries) >= self._max:
            self._entries.clear()
        until = now + self._ttl
        self._entries[_digest(key_text)] = (actor, min(until, expires_at) if expires_at else until)

    def forget(self, key_id: str) -> None:
        for digest, (actor, _) in list(self._entries.items()):
            if actor.id == key_id:
                self._entries.pop(digest, None)
