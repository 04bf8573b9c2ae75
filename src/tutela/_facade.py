"""`Tutela`: the Python SDK. Builds the services from one `Settings` and runs each call in a
unit of work, so every operation is one transaction with its audit entries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from tutela import apikeys
from tutela._administration import Administration
from tutela._backups import Backups
from tutela._consents import Consents
from tutela._portal import PrivacyCenter
from tutela._requests import Requests
from tutela._sharing import Sharing
from tutela.actor import Actor
from tutela.backup import LedgerFile, RestoreReport
from tutela.backup.ledger import mirror as mirror_erasures
from tutela.clock import Clock, SystemClock
from tutela.config import Settings
from tutela.connectors import Connectors
from tutela.consent.service import ConsentLedger
from tutela.consent.state import ConsentState
from tutela.core.audit import AuditEvent, AuditLog, HeadFile
from tutela.core.crypto import BlindIndex, KeyProvider, Signer, new_secret
from tutela.core.storage import create_engine_for, is_sqlite
from tutela.core.storage import migrate as migrations
from tutela.core.storage.engine import (
    WalCheckpointer,
    WriteLock,
    checkpoint_sqlite,
    write_lock_for,
)
from tutela.core.storage.jobs import job_lock
from tutela.core.uow import Outcome, UnitOfWork
from tutela.datamap import (
    AppliedDataMap,
    DataMap,
    apply_datamap,
)
from tutela.dp import BudgetLedger, PrivateStatistics
from tutela.errors import (
    ConfigError,
    HomeNotFound,
    SchemaOutdated,
)
from tutela.home import create_home
from tutela.home import key_provider as key_provider_for
from tutela.outreach import Mailer, mailer_from_settings
from tutela.retention import sweep as retention
from tutela.retention.sweep import SweepReport
from tutela.rights.portal import Portal
from tutela.rights.service import RequestType, RightsDesk
from tutela.sharing import SharingDesk
from tutela.transparency.notice import Notice, require_language
from tutela.transparency.ropa import Ropa, build_ropa
from tutela.transparency.service import (
    PublishedNotice,
    notice_versions,
    publish_notice,
    stored_notice,
)
from tutela.vault import ConsentCheck, ValueRules, Vault
from tutela.vault import keys as vault_keys
from tutela.vault.importing import ImportReport, import_file
from tutela.vault.service import NewSubject, Record

SDK = "sdk"
T = TypeVar("T")
# The facade and shared unit of work that `run_together` is running calls in, if any.
_SHARED: ContextVar[tuple[Tutela, UnitOfWork] | None] = ContextVar("tutela_shared", default=None)
# The facade whose write lock the caller of `run_together` already holds, if any.
_LOCK_HELD: ContextVar[Tutela | None] = ContextVar("tutela_lock_held", default=None)
Progress = Callable[[int, int], None]


class Tutela(Administration):
    """One Tutela home: data map, keys, database and audit log.

    Open with `Tutela.open(home)` or create with `Tutela.init(home)`; use as a context manager
    or call `close()`.
    """

    backups: Backups

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        key_provider: KeyProvider | None = None,
        consent: ConsentCheck | None = None,
        mailer: Mailer | None = None,
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
        # Every committed erasure is copied to the ledger file outside the database too.
        self._after_commit = mirror_erasures(
            self.engine, LedgerFile(settings.resolved_erasure_ledger_file)
        )
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
                self.notice: Notice = publish_notice(
                    uow, self.applied.datamap, self.applied.version, self.clock
                )
            for spec in settings.connectors:
                if spec.identity_field not in self.applied.datamap.fields:
                    raise ConfigError(
                        f"connectors: '{spec.name}' matches on identity_field "
                        f"'{spec.identity_field}', which the data map does not declare"
                    )
            with self.unit_of_work() as uow:
                signing_key = vault_keys.ensure_system_key(
                    uow.conn, self.keys, "receipt_signing", Signer.new_private_bytes
                )
                evidence_key = vault_keys.ensure_system_key(
                    uow.conn, self.keys, "evidence", new_secret
                )
                requests_key = vault_keys.ensure_system_key(
                    uow.conn, self.keys, "requests", new_secret
                )
                portal_key = vault_keys.ensure_system_key(uow.conn, self.keys, "portal", new_secret)
        except BaseException:
            # Nothing of a refused open stays held: the audit head, the write lock, the engine.
            if hasattr(self, "audit"):
                self.audit.close()
            if self._write_lock is not None:
                self._write_lock.close()
            self.engine.dispose()
            raise
        self._checkpointer.start()
        state = ConsentState(self.applied.datamap)
        self.vault = Vault(
            self.applied.datamap,
            self.keys,
            BlindIndex(system.index_key),
            self.clock,
            consent or state,
            rules=ValueRules(settings.phone_default_region),
        )
        self.consents = Consents(
            ConsentLedger(
                self.applied.datamap,
                self.applied.version,
                self.vault,
                state=state,
                signer=Signer(signing_key),
                evidence_key=evidence_key,
                clock=self.clock,
            ),
            self.unit_of_work,
            lambda: self.notice.version,
            lambda uow, version: stored_notice(uow.conn, version) is not None,
        )
        self.mailer = mailer or mailer_from_settings(settings, clock=self.clock)
        self.connectors = Connectors.from_settings(settings.connectors)
        desk = RightsDesk(
            self.applied.datamap,
            self.vault,
            self.consents.ledger,
            audit=self.audit,
            requests_key=requests_key,
            mailer=self.mailer,
            clock=self.clock,
            notice_version=lambda: self.notice.version,
            needs_approval=frozenset(map(RequestType, settings.requests_need_approval)),
            connectors=self.connectors,
            public_url=settings.public_url,
            download_hours=settings.download_hours,
        )
        self.requests = Requests(desk, self.unit_of_work)
        self.backups = Backups(
            settings,
            self.keys,
            self.clock,
            engine=self.engine,
            unit_of_work=self.unit_of_work,
            datamap_version=lambda: self.applied.version,
            mailer=self.mailer,
        )
        self.portal = PrivacyCenter(
            Portal(
                desk,
                self.vault,
                self.consents.ledger,
                audit=self.audit,
                key=portal_key,
                mailer=self.mailer,
                clock=self.clock,
                notice_version=lambda: self.notice.version,
                idle_minutes=settings.session_idle_minutes,
            ),
            self.unit_of_work,
        )
        self.sharing = Sharing(
            SharingDesk(
                self.applied.datamap,
                self.vault,
                home=settings.home,
                clock=self.clock,
                datamap_version=lambda: self.applied.version,
                page_size=settings.import_batch_size,
            ),
            self.unit_of_work,
        )
        self.dp = PrivateStatistics(BudgetLedger(self.clock), self.unit_of_work)

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
        self.connectors.close()
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

    def unit_of_work(self, *, reads_only: bool = False) -> UnitOfWork:
        """A transaction with its audit events; for code that combines several calls.

        Inside `run_together`, a savepoint of the shared transaction instead (none when the
        unit `reads_only`: it writes nothing but its audit events). On its own, a unit that
        `reads_only` reads before its transaction begins (`UnitOfWork`).
        """
        shared = _SHARED.get()
        if shared is not None and shared[0] is self:
            return UnitOfWork(self.engine, self.audit, parent=shared[1], reads_only=reads_only)
        lock = None if _LOCK_HELD.get() is self else self._write_lock
        return UnitOfWork(
            self.engine,
            self.audit,
            write_lock=lock,
            on_commit=self._after_commit,
            reads_only=reads_only,
        )

    @property
    def write_lock(self) -> WriteLock | None:
        """The lock every SQLite write transaction of this home takes (None on PostgreSQL)."""
        return self._write_lock

    def run_together(
        self,
        calls: Sequence[Callable[[], T]],
        *,
        lock_held: bool = False,
        reading: Sequence[str] = (),
    ) -> list[Outcome[T]]:
        """Run `calls` (each a facade call such as `read` or `add`) back to back in one
        transaction: one lock, one audit append and one commit for all (group commit).

        Each call runs under a savepoint, so one that fails leaves no trace but its audited
        denial, and the others are unaffected. Nothing is committed until all have run;
        returns each call's result or exception, in order. `lock_held`: the caller already
        holds `write_lock` (and releases it afterwards). `reading`: ids of the subjects the
        calls read, whose records are loaded first in one query (`Vault.read_ahead`).

        Raises:
            Whatever the shared commit (or the read ahead) raises: then none of the calls
            took effect.
        """
        if lock_held:
            held = _LOCK_HELD.set(self)
            try:
                return self.run_together(calls, reading=reading)
            finally:
                _LOCK_HELD.reset(held)
        if len(calls) == 1:  # a group of one is its own unit of work: no savepoint needed
            try:
                return [Outcome(calls[0]())]
            except Exception as exc:
                return [Outcome(None, exc)]
        outcomes: list[Outcome[T]] = []
        with self.unit_of_work() as shared:
            if len(reading) > 1:
                self.vault.read_ahead(shared, reading)
            token = _SHARED.set((self, shared))
            try:
                for run in calls:
                    try:
                        outcomes.append(Outcome(run()))
                    except Exception as exc:
                        if shared.broken:  # the shared transaction is lost: so is every call
                            raise
                        outcomes.append(Outcome(None, exc))
            finally:
                _SHARED.reset(token)
        return outcomes

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

    # -- transparency --------------------------------------------------------------------

    def privacy_notice(self, *, language: str = "en") -> Notice:
        """The privacy notice of the data map in force (published when the home opened).

        Raises:
            NoticeLanguageUnsupported: no notice in `language`.
        """
        require_language(language)
        return self.notice

    def notice_versions(self) -> list[PublishedNotice]:
        """Every notice version ever published, oldest first."""
        with self.engine.connect() as conn:
            return notice_versions(conn)

    def stored_notice(self, version: str) -> Notice | None:
        """A published notice exactly as it was stored, or None."""
        with self.engine.connect() as conn:
            return stored_notice(conn, version)

    def ropa(self) -> Ropa:
        """The records of processing activities (GDPR Art. 30(1)) of the data map in force."""
        return build_ropa(self.datamap, self.datamap_version)

    # -- vault ---------------------------------------------------------------------------

    def add(self, values: Mapping[str, Any] | NewSubject, *, actor: Actor | None = None) -> str:
        """Store a new subject's values (or what `prepare_add` made of them); returns its id."""
        with self.unit_of_work() as uow:
            return self.vault.add(uow, values, actor or Actor(SDK, "admin"))

    def prepare_add(
        self, values: Mapping[str, Any], *, actor: Actor
    ) -> NewSubject | Mapping[str, Any]:
        """What to give `add` for `actor`: if the actor's role may add subjects, the values
        validated and sealed now, outside any transaction (the HTTP service does this before its
        group commit takes the write lock, so only the inserts wait for it); else the values
        unchanged, for `add` to refuse and audit. Stores and records nothing.

        Raises:
            FieldNotInDataMap, ValidationFailed (for a role that may add).
        """
        return self.vault.prepare_add(values, actor)

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
        with self.unit_of_work(reads_only=True) as uow:
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
        with self.unit_of_work(reads_only=True) as uow:
            return self.vault.read_many(
                uow, subject_ids, purpose=purpose, actor=Actor(actor_id, role), fields=fields
            )

    def find(
        self, field: str, value: Any, *, purpose: str, role: str, actor_id: str = SDK
    ) -> list[str]:
        """Ids of subjects whose searchable `field` equals `value`; decrypts nothing."""
        with self.unit_of_work(reads_only=True) as uow:
            return self.vault.find(uow, field, value, purpose=purpose, actor=Actor(actor_id, role))

    def erase(self, subject_id: str, *, actor: Actor | None = None) -> None:
        """Crypto-shred and delete a subject; on SQLite also purge the bytes from the files."""
        with self.unit_of_work() as uow:
            self.vault.erase(uow, subject_id, actor or Actor(SDK, "admin"))
        if is_sqlite(self.engine):
            checkpoint_sqlite(self.engine)

    # -- retention -----------------------------------------------------------------------

    def sweep(self, *, dry_run: bool = False, progress: Progress | None = None) -> SweepReport:
        """Erase the values whose every purpose's retention has passed (see `retention`)."""
        report = retention.sweep(
            self.unit_of_work,
            self.vault,
            self.consents.ledger,
            self.clock,
            dry_run=dry_run,
            progress=progress,
        )
        if report.expiries and not dry_run and is_sqlite(self.engine):
            checkpoint_sqlite(self.engine)
        return report

    def run_exclusive(self, job: str, work: Callable[[], T]) -> tuple[bool, T | None]:
        """Run `work` unless another process runs `job` now: (ran, result)."""
        with job_lock(self.engine, job) as held:
            return (True, work()) if held else (False, None)

    @staticmethod
    def restore_backup(
        settings: Settings,
        backup: str | None = None,
        *,
        to: str | None = None,
        force: bool = False,
        progress: Progress | None = None,
        key_provider: KeyProvider | None = None,
        actor: Actor | None = None,
    ) -> RestoreReport:
        """Restore a backup (a name in the backup store, a path, or None for the newest) into
        the home's database or `to`, with the erasure ledger replayed. The home must not be
        open: its database is replaced. See `Backups.restore`."""
        backups = Backups.from_settings(settings, key_provider=key_provider)
        return backups.restore(backup, to=to, force=force, progress=progress, actor=actor)

    @staticmethod
    def migrate(settings: Settings) -> list[str]:
        """Apply pending migrations to the home's database; returns the revisions applied."""
        engine = create_engine_for(settings.resolved_database_url)
        try:
            return migrations.upgrade(engine)
        finally:
            engine.dispose()


__all__ = ["Tutela"]
