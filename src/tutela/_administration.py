"""The administrative part of `Tutela`: key rotation, the audit log, readiness and API keys.

A mixin of the facade, kept apart so each file stays about one concern; it uses only the
attributes `Tutela.__init__` sets, declared below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from tutela import apikeys
from tutela.actor import Actor
from tutela.apikeys import ApiKeyInfo
from tutela.clock import Clock
from tutela.config import Settings
from tutela.core.audit import AuditEvent, AuditLog, ChainedEntry, VerifyReport
from tutela.core.crypto import KeyProvider, is_subject_id
from tutela.core.storage import migrate as migrations
from tutela.core.uow import UnitOfWork
from tutela.datamap import DataMap, Permission, require
from tutela.errors import TutelaError
from tutela.vault import RotationReport
from tutela.vault import keys as vault_keys

SDK = "sdk"
Progress = Callable[[int, int], None]


class _RetirementCheck(Protocol):
    """What retirement asks of the backups: whether a retained backup needs the version."""

    def require_retirable(self, version: int) -> None: ...


class Administration:
    """Keys, audit and API keys, for `Tutela`."""

    settings: Settings
    clock: Clock
    keys: KeyProvider
    engine: Engine
    audit: AuditLog
    _auth_cache: apikeys.AuthCache

    backups: _RetirementCheck

    if TYPE_CHECKING:  # defined by Tutela

        @property
        def datamap(self) -> DataMap: ...

        def unit_of_work(self) -> UnitOfWork: ...

    # -- keys and audit ------------------------------------------------------------------

    def rotate_keys(
        self,
        *,
        rewrap_only: bool = False,
        progress: Progress | None = None,
        actor: Actor | None = None,
    ) -> RotationReport:
        """New KEK version; every data key re-wrapped under it, values untouched."""
        who = actor or Actor(SDK, "admin")
        self._require(who, Permission.KEYS_MANAGE, "keys.rotate")
        report = vault_keys.rotate(
            self.engine,
            self.keys,
            rewrap_only=rewrap_only,
            batch_size=self.settings.import_batch_size,
            progress=progress,
        )
        with self.unit_of_work() as uow:
            uow.record(
                AuditEvent(
                    actor=who.id,
                    role=who.role,
                    action="keys.rotate",
                    detail=f"kek v{report.kek_version}, {report.rewrapped} rewrapped",
                )
            )
        return report

    def retire_key(self, version: int, *, actor: Actor | None = None) -> None:
        """Forget an old KEK version once nothing is wrapped under it and no retained backup
        needs it (`KeyVersionInUse` otherwise). Backups that still need it become unreadable,
        by design: `backup list` says so."""
        who = actor or Actor(SDK, "admin")
        self.backups.require_retirable(version)
        with self.unit_of_work() as uow:
            require(uow, self.datamap, who, Permission.KEYS_MANAGE, "keys.retire")
            vault_keys.retire(uow.conn, self.keys, version)
            uow.record(
                AuditEvent(
                    actor=who.id, role=who.role, action="keys.retire", detail=f"kek v{version}"
                )
            )

    def verify_audit(self, *, actor: Actor | None = None) -> VerifyReport:
        """Check the whole chain and the head checkpoint."""
        if actor is not None:
            self._require(actor, Permission.AUDIT_READ, "audit.verify", record=True)
        with self.engine.connect() as conn:
            return self.audit.verify(conn)

    def audit_entries(
        self,
        *,
        subject_id: str | None = None,
        after: int = 0,
        limit: int | None = None,
        actor: Actor | None = None,
    ) -> Iterator[ChainedEntry]:
        """Entries in order (ids, fields, purposes, outcomes; never values)."""
        if actor is not None:
            self._require(actor, Permission.AUDIT_READ, "audit.read", record=True)
        if subject_id is not None and not is_subject_id(subject_id):
            return  # no entry can name it
        with self.engine.connect() as conn:
            yield from self.audit.entries(conn, subject_id=subject_id, after=after, limit=limit)

    def readiness(self) -> dict[str, str]:
        """What `/readyz` reports: database reachable, schema current, keys unlock."""
        checks = {"database": "ok", "schema": "ok", "keys": "ok"}
        try:
            if not migrations.is_current(self.engine):
                checks["schema"] = "outdated: run 'tutela migrate'"
            with self.engine.connect() as conn:
                vault_keys.load_system_keys(conn, self.keys)
        except SQLAlchemyError:
            checks["database"] = "unreachable"
            checks["schema"] = checks["keys"] = "unknown"
        except TutelaError as exc:
            checks["keys"] = type(exc).__name__
        return checks

    # -- API keys ------------------------------------------------------------------------

    def recently_authenticated(self, key_text: str) -> Actor | None:
        """The actor of a key `authenticate` accepted within the cache's lifetime, else None.
        Memory only, so an event loop can ask before it hands `authenticate` to a thread."""
        return self._auth_cache.get(key_text, self.clock.now())

    def authenticate(self, key_text: str) -> Actor:
        """The actor (key id and role) a presented API key stands for.

        Raises:
            ApiKeyInvalid, ApiKeyExpired, ApiKeyRevoked.
        """
        now = self.clock.now()
        cached = self._auth_cache.get(key_text, now)
        if cached is not None:
            return cached
        with self.engine.connect() as conn:
            actor, expires_at = apikeys.authenticate(conn, key_text, now)
        self._auth_cache.put(key_text, actor, expires_at, now)
        return actor

    def create_api_key(
        self,
        *,
        name: str,
        role: str,
        expires_in: timedelta | None = None,
        actor: Actor | None = None,
    ) -> tuple[ApiKeyInfo, str]:
        """Issue an API key; the returned key text is shown once and never stored."""
        who = actor or Actor(SDK, "admin")
        with self.unit_of_work() as uow:
            require(uow, self.datamap, who, Permission.KEYS_MANAGE, "apikey.create")
            return apikeys.create(
                uow,
                self.datamap,
                self.clock,
                name=name,
                role=role,
                expires_in=expires_in,
                actor=who,
            )

    def list_api_keys(self, *, actor: Actor | None = None) -> list[ApiKeyInfo]:
        if actor is not None:
            self._require(actor, Permission.KEYS_MANAGE, "apikey.list")
        with self.engine.connect() as conn:
            return apikeys.list_keys(conn)

    def revoke_api_key(self, key_id: str, *, actor: Actor | None = None) -> None:
        who = actor or Actor(SDK, "admin")
        with self.unit_of_work() as uow:
            require(uow, self.datamap, who, Permission.KEYS_MANAGE, "apikey.revoke")
            apikeys.revoke(uow, self.clock, key_id, who)
        self._auth_cache.forget(key_id)

    def require(self, actor: Actor, permission: Permission, action: str) -> None:
        """Refuse early (audited) if the actor's role lacks `permission`, e.g. before parsing
        a large import. The operations check again themselves."""
        self._require(actor, permission, action)

    def _require(
        self, actor: Actor, permission: Permission, action: str, *, record: bool = False
    ) -> None:
        """Check a permission in a unit of work of its own (the denial is audited); with
        `record`, audit the permitted action too."""
        with self.unit_of_work() as uow:
            require(uow, self.datamap, actor, permission, action)
            if record:
                uow.record(AuditEvent(actor=actor.id, role=actor.role, action=action))
