"""`tutela.backups`: backups and key escrow in the Python SDK.

Reached as `Tutela(...).backups` on an open home (taking a backup needs the database), or as
`Backups.from_settings(settings)` when the database is not there to open: listing, verifying
and restoring need only the keyring and the backup store.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from tutela.actor import Actor
from tutela.backup import (
    BackupInfo,
    BackupResult,
    BackupService,
    BackupStore,
    Keep,
    LedgerFile,
    LocalDirectoryStore,
    Restorer,
    RestoreReport,
    VerifyReport,
)
from tutela.backup.service import created_at
from tutela.clock import Clock, SystemClock
from tutela.config import Settings
from tutela.connectors import Connectors
from tutela.core.audit import AuditEvent, HeadFile
from tutela.core.crypto import FileKeyProvider, KeyProvider, escrow
from tutela.core.uow import UnitOfWork
from tutela.errors import BackupDamaged, BackupNotFound, ConfigError, MailNotSent, TutelaError
from tutela.home import key_provider as key_provider_for
from tutela.outreach import Mailer
from tutela.outreach.mailer import Message

logger = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
SDK = "sdk"
ALERT_FILE = "backup-alert.json"


@dataclass(frozen=True)
class ScheduledRun:
    """One scheduled run of create + verify + prune; `problem` set means it failed (and an
    alert was raised)."""

    ok: bool
    created: BackupResult | None = None
    verified: VerifyReport | None = None
    pruned: tuple[str, ...] = ()
    problem: str | None = None


class Backups:
    """Backups of one home: create, verify, list, prune, restore; key escrow."""

    def __init__(
        self,
        settings: Settings,
        keys: KeyProvider,
        clock: Clock,
        *,
        store: BackupStore | None = None,
        engine: Engine | None = None,
        unit_of_work: Callable[[], UnitOfWork] | None = None,
        datamap_version: Callable[[], str] | None = None,
        mailer: Mailer | None = None,
    ) -> None:
        self.settings = settings
        self.keys = keys
        self.clock = clock
        self.store = store or LocalDirectoryStore(settings.resolved_backup_dir)
        self.ledger = LedgerFile(settings.resolved_erasure_ledger_file)
        self.service = BackupService(self.store, keys, clock, self.ledger)
        self.restorer = Restorer(self.store, keys, clock, self.ledger)
        self._engine = engine
        self._uow = unit_of_work
        self._datamap_version = datamap_version
        self._mailer = mailer

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        key_provider: KeyProvider | None = None,
        clock: Clock | None = None,
        store: BackupStore | None = None,
    ) -> Backups:
        """Backups of a home whose database need not be reachable (verify, list, restore)."""
        return cls(
            settings,
            key_provider or key_provider_for(settings),
            clock or SystemClock(),
            store=store,
        )

    def in_store(self, store: BackupStore) -> Backups:
        """The same backups, written to and read from another store."""
        return Backups(
            self.settings,
            self.keys,
            self.clock,
            store=store,
            engine=self._engine,
            unit_of_work=self._uow,
            datamap_version=self._datamap_version,
            mailer=self._mailer,
        )

    @property
    def keep(self) -> Keep:
        policy = self.settings.backup_keep
        return Keep(policy.daily, policy.weekly, policy.monthly)

    @property
    def alert_file(self) -> Path:
        return self.settings.home / ALERT_FILE

    # -- backups ---------------------------------------------------------------------------

    def create(
        self, *, progress: Progress | None = None, actor: Actor | None = None
    ) -> BackupResult:
        """Take a backup now, while the vault keeps serving.

        Raises:
            ConfigError: the home is not open (use `Tutela(...).backups`).
            BackupFailed: the snapshot or the store failed.
        """
        if self._engine is None:
            raise ConfigError("taking a backup needs the open home: use Tutela(...).backups")
        result = self.service.create(
            self._engine,
            datamap_version=self._datamap_version() if self._datamap_version else None,
            progress=progress,
        )
        who = actor or Actor(SDK, "admin")
        self._record(
            AuditEvent(
                actor=who.id,
                role=who.role,
                action="backup.create",
                detail=(
                    f"{result.name}; {sum(result.rows.values())} rows; kek v{result.kek_version}"
                ),
            )
        )
        return result

    def resolve(self, name: str | None) -> tuple[BackupService, Restorer, str]:
        """The service and restorer for `name`: a backup in the store, or a path to a backup
        file anywhere; None means the newest backup in the store."""
        if name is None:
            names = self.service.names()
            if not names:
                raise BackupNotFound(f"no backups in {self._where()}")
            return self.service, self.restorer, names[0]
        path = Path(name)
        if os.sep in name or (path.exists() and path.is_file()):
            if not path.is_file():
                raise BackupNotFound(f"no backup file at {path}")
            store = LocalDirectoryStore(path.resolve().parent)
            service = BackupService(store, self.keys, self.clock, self.ledger)
            return service, Restorer(store, self.keys, self.clock, self.ledger), path.name
        return self.service, self.restorer, name

    def verify(self, name: str | None = None, *, progress: Progress | None = None) -> VerifyReport:
        """Decrypt and check every chunk and the manifest, trial-restore into a scratch
        database and compare row counts; the report names the first problem. The result is
        remembered beside the backup (`list` shows it)."""
        service, restorer, resolved = self.resolve(name)
        report = restorer.verify(resolved, progress=progress)
        try:
            service.mark_verified(resolved, report.ok, report.problem)
        except TutelaError:
            logger.warning("could not record the verification of %s", resolved)
        return report

    def list_backups(self) -> list[BackupInfo]:
        """Every backup, newest first, with age, size, status and verification."""
        return self.service.list_backups(self.keep)

    def prune(self, *, dry_run: bool = False) -> list[str]:
        """Delete the backups `backup_keep` does not keep; returns their names."""
        return self.service.prune(self.keep, dry_run=dry_run)

    def restore(
        self,
        name: str | None,
        *,
        to: str | None = None,
        force: bool = False,
        progress: Progress | None = None,
        actor: Actor | None = None,
    ) -> RestoreReport:
        """Restore a backup into the home's database (or the database at `to`), replay the
        erasure ledger, verify the audit chain and append a restore entry. Stop the
        service first: the database is replaced.

        Raises:
            BackupTargetNotEmpty: the target holds data and `force` is not set.
            BackupNotFound, BackupDamaged, BackupKeyMissing, BackupFailed, AuditChainBroken:
                the target is unchanged.
        """
        _, restorer, resolved = self.resolve(name)
        home_url = self.settings.resolved_database_url
        target = to or home_url
        head = HeadFile(self.settings.audit_head_file) if target == home_url else None
        connectors = Connectors.from_settings(self.settings)
        try:
            return restorer.restore(
                resolved,
                target,
                force=force,
                connectors=connectors,
                head_file=head,
                actor=actor or Actor("system:restore", "admin"),
                progress=progress,
            )
        finally:
            connectors.close()
            if head is not None:
                head.close()

    def require_retirable(self, version: int) -> None:
        """Refuse (`KeyVersionInUse`) while a retained backup still needs key `version`."""
        self.service.require_retirable(version, self.keep)

    # -- schedule ----------------------------------------------------------------------------

    def run_scheduled(self, *, actor: Actor | None = None) -> ScheduledRun:
        """Create, verify and prune. A failure is an alert: written to the alert file that
        `backup list` shows, audited, and mailed to `backup_alert_to` if set."""
        created: BackupResult | None = None
        verified: VerifyReport | None = None
        try:
            created = self.create(actor=actor)
            verified = self.verify(created.name)
            if not verified.ok:
                raise BackupDamaged(verified.problem or "verification failed")
            pruned = tuple(self.prune())
        except Exception as exc:  # the alert boundary: whatever failed, someone is told
            # Only our own errors' texts are known to be free of values; others by kind.
            problem = str(exc) if isinstance(exc, TutelaError) else f"{type(exc).__name__}"
            self._alert(problem)
            return ScheduledRun(False, created, verified, problem=problem)
        self.alert_file.unlink(missing_ok=True)
        return ScheduledRun(True, created, verified, pruned)

    def due(self) -> bool:
        """Whether the newest backup is older than `backup_interval_hours` (or there is none)."""
        names = self.service.names()
        newest = created_at(names[0]) if names else None
        if newest is None:
            return True
        age = self.clock.now() - newest
        return age.total_seconds() >= self.settings.backup_interval_hours * 3600 - 60

    def alert(self) -> dict[str, str] | None:
        """The standing alert of the last failed scheduled backup, if any."""
        try:
            document = json.loads(self.alert_file.read_text("utf-8"))
            return {"at": str(document["at"]), "problem": str(document["problem"])}
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _alert(self, problem: str) -> None:
        at = self.clock.now().isoformat(timespec="seconds")
        logger.error("scheduled backup failed: %s", problem)
        try:
            fd = os.open(self.alert_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"at": at, "problem": problem}, handle)
        except OSError:
            logger.error("could not write the backup alert file %s", self.alert_file)
        try:
            self._record(
                AuditEvent(
                    actor="system:worker",
                    role="admin",
                    action="backup.failed",
                    outcome="error",
                    detail=problem[:256],
                )
            )
        except Exception as exc:  # the database may be what failed
            logger.error("could not audit the failed backup: %s", type(exc).__name__)
        if self._mailer is not None and self.settings.backup_alert_to:
            body = f"The scheduled backup of Tutela failed at {at}:\n\n{problem}\n"
            try:
                self._mailer.send(
                    Message(
                        to=self.settings.backup_alert_to,
                        subject="Tutela: scheduled backup FAILED",
                        text=body,
                        html=f"<p>{_escape(body)}</p>",
                        kind="backup_failed",
                    )
                )
            except MailNotSent as exc:
                logger.error("could not send the backup alert: %s", exc)

    # -- key escrow --------------------------------------------------------------------------

    def export_key_shares(
        self, *, shares: int, threshold: int, version: int | None = None
    ) -> tuple[int, list[str]]:
        """Split a KEK (default: the current one) into Shamir shares; returns (version,
        shares). Print them and hand each to a different person.

        Raises:
            ConfigError: the keyring does not hold its keys in this process (a KMS).
            EscrowFailed: impossible numbers.
        """
        chosen = version if version is not None else self.keys.current_version()
        escrow_material = getattr(self.keys, "escrow_material", None)
        if escrow_material is None:
            raise ConfigError(f"the '{self.keys.name}' keyring cannot export its keys")
        return chosen, escrow.split(
            chosen, escrow_material(chosen), shares=shares, threshold=threshold
        )

    @staticmethod
    def recover_key(settings: Settings, mnemonics: list[str]) -> tuple[int, bool]:
        """Rebuild a KEK from shares into the home's key file; returns (version, added).

        Raises:
            EscrowFailed: too few shares, or shares of different keys.
            KeyMismatch: the key file holds a different key under that version.
            ConfigError: keys come from TUTELA_MASTER_KEY (put the key there instead).
        """
        if settings.master_key is not None:
            raise ConfigError(
                "keys come from TUTELA_MASTER_KEY: recover with 'tutela keys recover --print' "
                "and put the key there"
            )
        key = escrow.combine(mnemonics)
        _, added = FileKeyProvider.recover(settings.key_file, key.version, key.material)
        return key.version, added

    @staticmethod
    def recovered_key_text(mnemonics: list[str]) -> str:
        """The KEK rebuilt from shares as `VERSION:BASE64`, for TUTELA_MASTER_KEY.

        Raises:
            EscrowFailed: too few shares, or shares of different keys.
        """
        key = escrow.combine(mnemonics)
        return f"{key.version}:{base64.b64encode(key.material).decode()}"

    # -- internals -------------------------------------------------------------------------

    def _record(self, event: AuditEvent) -> None:
        if self._uow is not None:
            with self._uow() as uow:
                uow.record(event)

    def _where(self) -> str:
        return str(getattr(self.store, "path", self.store.name))


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br>")
    )
