"""`Tutela`: the Python SDK. Builds the services from one `Settings` and runs each call in a
unit of work, so every operation is one transaction with its audit entries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from tutela import apikeys
from tutela.actor import Actor
from tutela.apikeys import ApiKeyInfo
from tutela.clock import Clock, SystemClock
from tutela.config import Settings
from tutela.core.audit import AuditEvent, AuditLog, ChainedEntry, HeadFile, VerifyReport
from tutela.core.crypto import BlindIndex, KeyProvider
from tutela.core.storage import create_engine_for, is_sqlite
from tutela.core.storage import migrate as migrations
from tutela.core.storage.engine import WalCheckpointer, checkpoint_sqlite, write_lock_for
from tutela.core.uow import UnitOfWork
from tutela.datamap import (
    AppliedDataMap,
    DataMap,
    Permission,
    apply_datamap,
    require,
)
from tutela.errors import (
    HomeNotFound,
    SchemaOutdated,
    TutelaError,
)
from tutela.home import create_home
from tutela.home import key_provider as key_provider_for
from tutela.vault import ConsentCheck, RotationReport, ValueRules, Vault
from tutela.vault import keys as vault_keys
from tutela.vault.access import is_subject_id
from tutela.vault.importing import ImportReport, import_file
from tutela.vault.service import Record

SDK = "sdk"
Progress = Callable[[int, int], None]


class Tutela:
    """One Tutela home: data map, keys, database and audit log.

    Open with `Tutela.open(home)` or create with `Tutela.init(home)`; use as a context manager
    or call `close()`.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        key_provider: KeyProvider | None = None,
        consent: ConsentCheck | None = None,
        check_schema: bool = True,
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        if not settings.datamap_file.is_file():
            raise HomeNotFound(f"no Tutela home at {settings.home}: run 'tutela init' first")
        self.keys = key_provider or key_provider_for(settings)
        self.engine = create_engine_for(
            settings.resolved_database_url,
            sqlite_synchronous=settings.sqlite_synchronous,
            busy_timeout_ms=settings.busy_timeout_ms,
            sqlite_cache_mb=settings.sqlite_cache_mb,
        )
        self._checkpointer = WalCheckpointer(self.engine)
        self._write_lock = write_lock_for(self.engine)
        self._auth_cache = apikeys.AuthCache(ttl=settings.api_key_cache_seconds)
        try:
            if check_schema and not migrations.is_current(self.engine):
                raise SchemaOutdated("the database schema is not current: run 'tutela migrate'")
            with self.engine.connect() as conn:
                system = vault_keys.load_system_keys(conn, self.keys)
            self.audit = AuditLog(system.audit_key, HeadFile(settings.audit_head_file), self.clock)
            with self.unit_of_work() as uow:
                self.applied: AppliedDataMap = apply_datamap(
                    uow, settings.datamap_file.read_text("utf-8"), self.clock, "system"
                )
        except BaseException:
            self.engine.dispose()
            raise
        self._checkpointer.start()
        self.vault = Vault(
            self.applied.datamap,
            self.keys,
            BlindIndex(system.index_key),
            self.clock,
            rules=ValueRules(settings.phone_default_region),
            consent=consent,
        )

    # -- lifecycle -----------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        home: Path | str | None = None,
        *,
        settings: Settings | None = None,
        environ: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> Tutela:
        """Open an existing home (default `TUTELA_HOME`, then `~/.tutela`)."""
        return cls(settings or Settings.load(home, environ), **kwargs)

    @classmethod
    def init(
        cls,
        home: Path | str | None = None,
        datamap: Path | str | None = None,
        *,
        settings: Settings | None = None,
        environ: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> Tutela:
        """Create a home: data map (the example if none is given), key file, schema, keys.

        Raises:
            HomeExists: the directory already holds a Tutela home (nothing is changed).
            DataMapInvalid: the given data map has problems (nothing is created).
        """
        settings = settings or Settings.load(home, environ)
        document = Path(datamap).read_text("utf-8") if datamap else None
        provider = create_home(settings, document, kwargs.pop("key_provider", None))
        tutela = cls(settings, key_provider=provider, **kwargs)
        with tutela.unit_of_work() as uow:
            uow.record(AuditEvent(actor="system", action="home.init"))
        return tutela

    def close(self) -> None:
        self._checkpointer.stop()
        if self._write_lock is not None:
            self._write_lock.close()
        self.audit.close()
        self.engine.dispose()

    def __enter__(self) -> Tutela:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def unit_of_work(self) -> UnitOfWork:
        """A transaction with its audit events; for code that combines several calls."""
        return UnitOfWork(self.engine, self.audit, write_lock=self._write_lock)

    @property
    def inline_io(self) -> bool:
        """True when calls are short and local (SQLite): an event loop may run them itself."""
        return is_sqlite(self.engine)

    @property
    def datamap(self) -> DataMap:
        return self.applied.datamap

    @property
    def datamap_version(self) -> str:
        return self.applied.version

    # -- vault ---------------------------------------------------------------------------

    def add(self, values: Mapping[str, Any], *, actor: Actor | None = None) -> str:
        """Store a new subject's values; returns the new subject id."""
        with self.unit_of_work() as uow:
            return self.vault.add(uow, values, actor or Actor(SDK, "admin"))

    def add_many(
        self, rows: Sequence[Mapping[str, Any]], *, actor: Actor | None = None
    ) -> list[str]:
        """Store many subjects in one transaction, all or nothing (`BatchRejected` lists the
        bad rows)."""
        with self.unit_of_work() as uow:
            return self.vault.add_many(uow, rows, actor or Actor(SDK, "admin"))

    def import_file(
        self,
        path: Path,
        *,
        fmt: str | None = None,
        skip_invalid: bool = False,
        progress: Callable[[str, int, int], None] | None = None,
        actor: Actor | None = None,
    ) -> ImportReport:
        """Import subjects from a `.jsonl` or `.csv` file.

        Every row is checked first; unless `skip_invalid`, one bad row means nothing is stored.
        Then rows are stored in batches of `import_batch_size`, one transaction each.
        `progress(stage, done, total)` is called with stage "check" then "store".
        """
        return import_file(
            self.unit_of_work,
            self.vault,
            path,
            fmt=fmt,
            skip_invalid=skip_invalid,
            batch_size=self.settings.import_batch_size,
            progress=progress,
            actor=actor or Actor(SDK, "admin"),
        )

    def update(
        self, subject_id: str, values: Mapping[str, Any], *, actor: Actor | None = None
    ) -> None:
        with self.unit_of_work() as uow:
            self.vault.update(uow, subject_id, values, actor or Actor(SDK, "admin"))

    def read(
        self,
        subject_id: str,
        fields: Sequence[str] | None = None,
        *,
        purpose: str,
        role: str,
        actor_id: str = SDK,
    ) -> Record:
        """A subject's values for a purpose, as the role may see them (audited)."""
        with self.unit_of_work() as uow:
            return self.vault.read(
                uow, subject_id, purpose=purpose, actor=Actor(actor_id, role), fields=fields
            )

    def read_many(
        self,
        subject_ids: Sequence[str],
        fields: Sequence[str] | None = None,
        *,
        purpose: str,
        role: str,
        actor_id: str = SDK,
    ) -> dict[str, Record]:
        with self.unit_of_work() as uow:
            return self.vault.read_many(
                uow, subject_ids, purpose=purpose, actor=Actor(actor_id, role), fields=fields
            )

    def find(
        self, field: str, value: Any, *, purpose: str, role: str, actor_id: str = SDK
    ) -> list[str]:
        """Ids of subjects whose searchable `field` equals `value`; decrypts nothing."""
        with self.unit_of_work() as uow:
            return self.vault.find(uow, field, value, purpose=purpose, actor=Actor(actor_id, role))

    def erase(self, subject_id: str, *, actor: Actor | None = None) -> None:
        """Crypto-shred and delete a subject; on SQLite also purge the bytes from the files."""
        with self.unit_of_work() as uow:
            self.vault.erase(uow, subject_id, actor or Actor(SDK, "admin"))
        if is_sqlite(self.engine):
            checkpoint_sqlite(self.engine)

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
        """Forget an old KEK version once nothing is wrapped under it."""
        who = actor or Actor(SDK, "admin")
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

    @staticmethod
    def migrate(settings: Settings) -> list[str]:
        """Apply pending migrations to the home's database; returns the revisions applied."""
        engine = create_engine_for(settings.resolved_database_url)
        try:
            return migrations.upgrade(engine)
        finally:
            engine.dispose()


__all__ = ["Tutela"]
