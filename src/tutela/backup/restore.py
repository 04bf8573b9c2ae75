"""Restoring a backup, and verifying one by restoring it into a scratch database.

A restore is all or nothing. On PostgreSQL it runs in one transaction: the old tables are
dropped (with `force`), the schema is built at the backup's revision, the rows are copied in,
the schema is brought to this release's head, the audit chain is verified, the erasure ledger
is replayed and a restore entry is appended — then one commit. On SQLite the same happens in
a new file beside the target, which replaces the target only once complete.

The ledger replayed is the newer of the backup's and the current one — the target's own (if
it is overwritten) together with the file copy kept outside the database: whatever the backup
lacks is applied, so nobody erased after the backup was taken comes back, in the vault or, if
the business restored its own databases too, in the connected systems; and values an erasure
kept for a legal obligation are restricted to it again.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack
import zstandard
from sqlalchemy import Connection

from tutela.actor import Actor
from tutela.backup import repository
from tutela.backup.container import ContainerReader
from tutela.backup.ledger import LedgerFile
from tutela.backup.models import ConnectorReplay, RestoreReport, VerifyReport
from tutela.backup.store import BackupStore
from tutela.clock import Clock
from tutela.connectors import Connectors
from tutela.core.audit import AuditEvent, AuditLog, Head, HeadFile
from tutela.core.audit import repository as audit_repository
from tutela.core.audit.chain import ChainVerifier
from tutela.core.crypto import KeyProvider
from tutela.core.storage import create_engine_for, is_sqlite, migrate
from tutela.core.storage.engine import write_lock_for
from tutela.errors import (
    AuditChainBroken,
    BackupDamaged,
    BackupFailed,
    BackupKeyMissing,
    BackupTargetNotEmpty,
    TutelaError,
)
from tutela.vault import keys as vault_keys
from tutela.vault import replay
from tutela.vault.replay import Entry

logger = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
RESTORE_ACTOR = Actor("system:restore", "admin")


@dataclass
class _Applied:
    rows: dict[str, int]
    report: replay.ReplayReport
    head: Head | None
    ledger: set[Entry]
    source: str
    entries: int
    connectors: tuple[ConnectorReplay, ...]


class Restorer:
    """Opens, verifies and restores backups of one store with one keyring."""

    def __init__(
        self, store: BackupStore, keys: KeyProvider, clock: Clock, ledger: LedgerFile
    ) -> None:
        self.store, self.keys, self.clock, self.ledger = store, keys, clock, ledger

    def open(self, name: str) -> ContainerReader:
        """The backup, opened and checked as far as it can be without reading its chunks.

        Raises:
            BackupNotFound, BackupDamaged, BackupKeyMissing, BackupFailed (made by a newer
            release whose schema this one does not know).
        """
        reader = ContainerReader(self.store, name, self.keys)
        reader.check_layout()
        manifest = reader.manifest
        missing = set(manifest.get("kek_versions", ())) - set(self.keys.versions())
        if missing:
            versions = ", ".join(str(v) for v in sorted(missing))
            raise BackupKeyMissing(
                f"backup '{name}': its data keys are wrapped under key-encryption key "
                f"version(s) {versions}, which this keyring does not hold (retired since, or "
                "another home's keyring; 'tutela keys recover' brings a version back from its "
                "escrow shares)"
            )
        revision = manifest.get("schema_revision")
        if not revision or not migrate.known_revision(revision):
            raise BackupFailed(
                f"backup '{name}' has schema revision {revision!r}, unknown to this release: "
                "restore it with the release that made it, or a newer one"
            )
        return reader

    # -- verify ----------------------------------------------------------------------------

    def verify(
        self, name: str, *, workdir: Path | None = None, progress: Progress | None = None
    ) -> VerifyReport:
        """Check every chunk and the manifest, restore into a scratch SQLite database, compare
        row counts and verify the audit chain. Never raises for a bad backup: the report
        names the first problem."""
        chunks = 0
        try:
            reader = self.open(name)
            chunks = len(reader.chunks)
            with tempfile.TemporaryDirectory(prefix="tutela-verify-", dir=workdir) as scratch:
                engine = create_engine_for(f"sqlite:///{Path(scratch) / 'trial.db'}")
                try:
                    with engine.connect() as conn:
                        conn.begin()
                        rows = self._load(conn, reader, progress)
                        self._verify_chain(conn, reader)
                        conn.rollback()
                finally:
                    engine.dispose()
        except TutelaError as exc:
            return VerifyReport(name, False, str(exc), chunks=chunks)
        return VerifyReport(name, True, rows=rows, chunks=chunks)

    # -- restore ---------------------------------------------------------------------------

    def restore(
        self,
        name: str,
        url: str,
        *,
        force: bool = False,
        connectors: Connectors | None = None,
        head_file: HeadFile | None = None,
        actor: Actor = RESTORE_ACTOR,
        progress: Progress | None = None,
    ) -> RestoreReport:
        """Restore backup `name` into the database at `url`, then replay the erasure ledger.

        Args:
            head_file: the audit head checkpoint of the home that uses the target (reset to
                the restored chain); None leaves every checkpoint alone.

        Raises:
            BackupTargetNotEmpty: the target holds Tutela tables and `force` is not set.
            BackupNotFound, BackupDamaged, BackupKeyMissing, BackupFailed, AuditChainBroken:
                nothing was changed.
        """
        reader = self.open(name)
        engine = create_engine_for(url)
        try:
            if is_sqlite(engine):
                applied = self._restore_sqlite(
                    engine,
                    reader,
                    force=force,
                    connectors=connectors,
                    actor=actor,
                    progress=progress,
                )
            else:
                with engine.connect() as conn, conn.begin():
                    current = self._take_over(conn, force=force, drop=True)
                    applied = self._apply(
                        conn, reader, current, connectors=connectors, actor=actor, progress=progress
                    )
        finally:
            engine.dispose()
        try:
            self.ledger.sync(applied.ledger)
        except BackupFailed as exc:  # restored and committed: the next backup syncs it
            logger.error("after the restore: %s", exc)
        if head_file is not None and applied.head is not None:
            head_file.reset(applied.head)
        trimmed = applied.report.fields_erased
        return RestoreReport(
            name=name,
            rows=applied.rows,
            subjects_erased=len(applied.report.subjects_erased),
            fields_erased=sum(len(f) for f in trimmed.values()),
            ledger_recorded=applied.report.recorded,
            subjects_restricted=len(applied.report.restricted),
            ledger_source=applied.source,
            audit_entries=applied.entries,
            connectors=applied.connectors,
            head_reset=head_file is not None,
        )

    def _take_over(self, conn: Connection, *, force: bool, drop: bool) -> set[Entry]:
        """The target's own ledger, before its tables go (refused without `force`); `drop`
        drops them in the caller's transaction."""
        existing = repository.existing_tables(conn)
        if existing and not force:
            raise BackupTargetNotEmpty(
                "the target database already holds Tutela data: restore over it with --force "
                "(its erasure ledger is replayed onto the restored data)"
            )
        current: set[Entry] = set()
        if {"erasure", "field_erasure"} <= existing:
            current = replay.read_ledger(conn, restrictions="erasure_restriction" in existing)
        if drop:
            repository.drop_tables(conn, existing)
        return current

    def _restore_sqlite(
        self,
        engine: Any,
        reader: ContainerReader,
        *,
        force: bool,
        connectors: Connectors | None,
        actor: Actor,
        progress: Progress | None,
    ) -> _Applied:
        path = Path(engine.url.database)
        current: set[Entry] = set()
        if path.exists() and path.stat().st_size:
            with engine.connect() as conn:
                current = self._take_over(conn, force=force, drop=False)
        engine.dispose()
        staging = path.with_name(path.name + ".restoring")
        _remove_sqlite(staging)
        staged = create_engine_for(f"sqlite:///{staging}")
        try:
            with staged.connect() as conn:
                conn.begin()
                applied = self._apply(
                    conn, reader, current, connectors=connectors, actor=actor, progress=progress
                )
                conn.commit()
            staged.dispose()
            repository.sqlite_fold(staging)
            lock = write_lock_for(engine)
            if lock is not None:
                with lock:
                    _remove_sqlite(path, keep_main=True)
                    os.replace(staging, path)
                lock.close()
            else:
                os.replace(staging, path)
        finally:
            staged.dispose()
            _remove_sqlite(staging)
        return applied

    def _apply(
        self,
        conn: Connection,
        reader: ContainerReader,
        current: set[Entry],
        *,
        connectors: Connectors | None,
        actor: Actor,
        progress: Progress | None,
    ) -> _Applied:
        rows = self._load(conn, reader, progress)
        audit_key = self._verify_chain(conn, reader)
        in_backup = replay.read_ledger(conn)
        newer = (current | self.ledger.read()) - in_backup
        tally: dict[str, list[int]] = {}
        errors: dict[str, set[str]] = {}

        def erase_elsewhere(subject_id: str, identities: dict[str, str]) -> None:
            assert connectors is not None
            for outcome in connectors.erase(identities):
                counts = tally.setdefault(outcome.name, [0, 0])
                counts[0 if outcome.ok else 1] += 1
                if outcome.error:
                    errors.setdefault(outcome.name, set()).add(outcome.error)

        report = replay.replay(
            conn,
            self.keys,
            newer,
            identity_fields=connectors.identity_fields if connectors else (),
            before_erase=erase_elsewhere if connectors and len(connectors) else None,
        )
        detail = "replayed from the erasure ledger after a restore"
        events = [
            AuditEvent(
                actor=actor.id,
                role=actor.role,
                action="subject.erase",
                subject_id=sid,
                detail=detail,
            )
            for sid in report.subjects_erased
        ]
        events += [
            AuditEvent(
                actor=actor.id,
                role=actor.role,
                action="subject.erase_fields",
                subject_id=sid,
                fields=fields,
                detail=detail,
            )
            for sid, fields in sorted(report.fields_erased.items())
        ]
        events += [
            AuditEvent(
                actor=actor.id,
                role=actor.role,
                action="subject.restrict",
                subject_id=sid,
                detail=f"{detail} allowed: {','.join(purposes) or 'none'}"[:256],
            )
            for sid, purposes in sorted(report.restricted.items())
        ]
        events.append(
            AuditEvent(
                actor=actor.id,
                role=actor.role,
                action="backup.restore",
                detail=(
                    f"{reader.name}; ledger replayed: {len(report.subjects_erased)} subject(s), "
                    f"{sum(len(f) for f in report.fields_erased.values())} field(s), "
                    f"{len(report.restricted)} restriction(s), "
                    f"{report.recorded} entry(ies) recorded"
                )[:256],
            )
        )
        audit = AuditLog(audit_key, HeadFile(Path(os.devnull)), self.clock)
        head = audit.append(conn, events)
        source = "current" if newer else "backup"
        return _Applied(
            rows=rows,
            report=report,
            head=head,
            ledger=replay.read_ledger(conn),
            source=source,
            entries=len(events),
            connectors=tuple(
                ConnectorReplay(n, c[0], c[1], tuple(sorted(errors.get(n, ()))))
                for n, c in sorted(tally.items())
            ),
        )

    def _load(
        self, conn: Connection, reader: ContainerReader, progress: Progress | None
    ) -> dict[str, int]:
        """Build the schema at the backup's revision, copy every chunk in, check the counts,
        bring the schema to this release's head."""
        manifest = reader.manifest
        repository.prepare_target(conn)
        migrate.upgrade_connection(conn, manifest["schema_revision"])
        tables = {t["name"]: t for t in manifest["tables"]}
        loaded = dict.fromkeys(tables, 0)
        total = int(manifest.get("rows_total", sum(t["rows"] for t in tables.values())))
        decompressor = zstandard.ZstdDecompressor()
        done = 0
        if progress:
            progress(0, total)
        for chunk, plain in reader.read_chunks():
            where = f"backup '{reader.name}' chunk {chunk.index + 1} of {len(reader.chunks)}"
            try:
                table, rows = msgpack.unpackb(
                    decompressor.decompress(plain), raw=False, use_list=False
                )
            except (zstandard.ZstdError, ValueError, TypeError, msgpack.ExtraData):
                raise BackupDamaged(f"{where} does not decode") from None
            if table != chunk.table or table not in tables or len(rows) != chunk.rows:
                raise BackupDamaged(f"{where} does not hold what the manifest says")
            repository.load(conn, table, tables[table]["columns"], rows)
            loaded[table] += len(rows)
            done += len(rows)
            if progress:
                progress(done, total)
        for name, spec in tables.items():
            if loaded[name] != spec["rows"]:
                raise BackupDamaged(
                    f"backup '{reader.name}': table {name} has {loaded[name]} rows, "
                    f"the manifest says {spec['rows']}"
                )
            if repository.count_rows(conn, name) != spec["rows"]:
                raise BackupDamaged(f"backup '{reader.name}': table {name} did not load whole")
        repository.finish_target(conn, list(tables))
        migrate.upgrade_connection(conn, "head")
        return loaded

    def _verify_chain(self, conn: Connection, reader: ContainerReader) -> bytes:
        """Verify the restored audit chain against its key and the manifest's head; returns
        the audit key."""
        try:
            system = vault_keys.load_system_keys(conn, self.keys)
        except TutelaError as exc:
            raise BackupKeyMissing(f"backup '{reader.name}': {exc}") from None
        verifier = ChainVerifier(system.audit_key)
        for item in audit_repository.iter_entries(conn):
            if not verifier.feed(item):
                break
        if verifier.broken:
            seq, reason = verifier.broken
            raise AuditChainBroken(f"backup '{reader.name}': audit entry {seq} {reason}")
        head = reader.manifest.get("audit_head", {})
        if verifier.last_seq != head.get("seq") or verifier.last_mac.hex() != head.get("mac"):
            raise BackupDamaged(
                f"backup '{reader.name}': the audit chain ends at entry {verifier.last_seq}, "
                f"the manifest says {head.get('seq')}"
            )
        return system.audit_key


def _remove_sqlite(path: Path, *, keep_main: bool = False) -> None:
    for suffix in ("-wal", "-shm", "-journal") if keep_main else ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
