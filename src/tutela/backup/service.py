"""Backups: take one while the vault keeps serving, list them, prune them, and tell which key
versions the retained ones still need.

Restoring and verifying are in `restore`. A backup is named for the moment it was taken
(`tutela-YYYYMMDDTHHMMSSZ-xxxxxx.tbk`), so listing and pruning need no key.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgpack
import zstandard

from tutela._version import __version__
from tutela.backup import repository
from tutela.backup.container import FORMAT_VERSION, ContainerReader, ContainerWriter
from tutela.backup.ledger import LedgerFile
from tutela.backup.models import BackupInfo, BackupResult
from tutela.backup.policy import Keep, to_keep
from tutela.backup.store import BackupStore
from tutela.clock import Clock
from tutela.core.crypto import KeyProvider, random_id
from tutela.errors import BackupError, BackupFailed, BackupKeyMissing, KeyVersionInUse
from tutela.vault import replay

Progress = Callable[[int, int], None]
SUFFIX = ".tbk"
VERIFIED = ".verified"
_NAME = re.compile(r"^tutela-(\d{8}T\d{6})Z-[a-z0-9]{6}\.tbk$")
TARGET_CHUNK = 4 << 20  # plaintext bytes per chunk, before compression
ZSTD_LEVEL = 3


def backup_name(at: datetime) -> str:
    stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
    return f"tutela-{stamp}Z-{random_id('b')[-6:]}{SUFFIX}"


def created_at(name: str) -> datetime | None:
    match = _NAME.match(name)
    if match is None:
        return None
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)


class BackupService:
    """Backups of one home, in one store, sealed under one keyring.

    Args:
        store: where backups are written and read.
        keys: the keyring; each backup's key is wrapped under its current version.
        clock: names and dates backups.
        ledger: the erasure ledger's file copy (brought up to date by every backup).
        workdir: where SQLite snapshots are staged (default: beside the database).
    """

    def __init__(
        self,
        store: BackupStore,
        keys: KeyProvider,
        clock: Clock,
        ledger: LedgerFile,
        *,
        workdir: Path | None = None,
    ) -> None:
        self.store = store
        self.keys = keys
        self.clock = clock
        self.ledger = ledger
        self.workdir = workdir

    # -- create --------------------------------------------------------------------------

    def create(
        self, engine: Any, *, datamap_version: str | None = None, progress: Progress | None = None
    ) -> BackupResult:
        """Take a consistent backup of the database behind `engine` and commit it to the
        store; the erasure ledger's file copy is first brought up to date.

        Raises:
            BackupFailed: the store or the database failed (nothing is left under the name).
        """
        with engine.connect() as conn:
            self.ledger.sync(replay.read_ledger(conn))
        now = self.clock.now()
        name = backup_name(now)
        specs = repository.tables()
        with repository.snapshot(engine, self.workdir) as snap:
            # Counting costs a scan of every table: only for a progress bar.
            totals = {s.name: snap.count(s.name) for s in specs} if progress else None
            head_seq, head_mac = snap.audit_head()
            manifest: dict[str, Any] = {
                "format": FORMAT_VERSION,
                "tutela_version": __version__,
                "created_at": now.astimezone(UTC).isoformat(),
                "engine": snap.dialect,
                "schema_revision": snap.revision(),
                "datamap_version": datamap_version,
                "audit_head": {"seq": head_seq, "mac": head_mac.hex()},
            }
            with self.store.writer(name) as out:
                writer = ContainerWriter(out, self.keys)
                dump = _Dump(writer, totals, progress)
                try:
                    for spec in specs:
                        dump.table(snap, spec)
                    dump.drain()
                finally:
                    dump.close()
                rows = {t["name"]: t["rows"] for t in dump.tables}
                manifest["tables"] = dump.tables
                manifest["rows_total"] = sum(rows.values())
                manifest["kek_versions"] = sorted({*dump.kek_versions, writer.kek_version})
                manifest["erasure_ledger"] = {
                    "subjects": rows.get("erasure", 0),
                    "fields": rows.get("field_erasure", 0),
                    "file_entries": len(self.ledger.read()),
                }
                writer.finish(manifest)
        return BackupResult(
            name=name,
            size=self.store.size(name),
            rows=rows,
            chunks=len(writer.chunks),
            kek_version=writer.kek_version,
            logical_bytes=dump.logical,
        )

    # -- list and prune ------------------------------------------------------------------

    def names(self) -> list[str]:
        """Committed backups, newest first."""
        found = [o.name for o in self.store.objects() if o.name.endswith(SUFFIX)]
        return sorted(found, key=lambda n: (created_at(n) or datetime.min.replace(tzinfo=UTC), n))[
            ::-1
        ]

    def retained(self, keep: Keep) -> set[str]:
        stamps = [(created_at(n) or datetime.min.replace(tzinfo=UTC), n) for n in self.names()]
        return to_keep(stamps, keep)

    def list_backups(self, keep: Keep) -> list[BackupInfo]:
        """Every backup with its status, newest first; interrupted writes last."""
        kept = self.retained(keep)
        sizes = {o.name: o for o in self.store.objects()}
        infos = []
        for name in self.names():
            stored = sizes[name]
            when = created_at(name) or stored.modified
            status: str = "complete"
            problem: str | None = None
            versions: tuple[int, ...] = ()
            rows: int | None = None
            try:
                reader = ContainerReader(self.store, name, self.keys)
                versions = tuple(sorted({reader.kek_version, *reader.manifest["kek_versions"]}))
                rows = int(reader.manifest.get("rows_total", 0))
                missing = set(versions) - set(self.keys.versions())
                if missing:
                    status = "key missing"
                    problem = f"needs key version(s) {_join(missing)}, retired since"
            except BackupKeyMissing:
                status, problem = "key missing", "cannot be opened: its key was retired"
            except BackupError as exc:
                status, problem = "damaged", str(exc)
            verified = self._verified(name)
            infos.append(
                BackupInfo(
                    name=name,
                    created_at=when,
                    size=stored.size,
                    status=status,
                    problem=problem,
                    verified_at=verified[0] if verified else None,
                    verified_ok=verified[1] if verified else None,
                    retained=name in kept,
                    kek_versions=versions,
                    rows=rows,
                )
            )
        for partial in self.store.partials():
            infos.append(
                BackupInfo(
                    name=partial.name,
                    created_at=created_at(partial.name) or partial.modified,
                    size=partial.size,
                    status="incomplete",
                    problem="never finished (interrupted): not a backup",
                )
            )
        return infos

    def prune(self, keep: Keep, *, dry_run: bool = False) -> list[str]:
        """Delete the backups the policy does not keep (and interrupted writes more than a
        day old); returns their names."""
        kept = self.retained(keep)
        doomed = [n for n in self.names() if n not in kept]
        now = self.clock.now()
        stale = [
            p.name for p in self.store.partials() if (now - p.modified).total_seconds() > 86_400
        ]
        if not dry_run:
            for name in doomed:
                self.store.delete(name)
                self.store.delete(name + VERIFIED)
            for name in stale:
                self.store.delete(name)
        return doomed + stale

    # -- verification status ---------------------------------------------------------------

    def mark_verified(self, name: str, ok: bool, problem: str | None) -> None:
        document = {
            "verified_at": self.clock.now().astimezone(UTC).isoformat(),
            "ok": ok,
            "problem": problem,
        }
        self.store.delete(name + VERIFIED)
        with self.store.writer(name + VERIFIED) as out:
            out.write(json.dumps(document).encode())

    def _verified(self, name: str) -> tuple[datetime, bool] | None:
        try:
            size = self.store.size(name + VERIFIED)
            document = json.loads(self.store.read(name + VERIFIED, 0, size))
            return datetime.fromisoformat(document["verified_at"]), bool(document["ok"])
        except (BackupError, ValueError, KeyError, TypeError):
            return None

    # -- keys ----------------------------------------------------------------------------

    def require_retirable(self, version: int, keep: Keep) -> None:
        """Refuse to retire a key version that a retained backup still needs.

        Raises:
            KeyVersionInUse: names how many retained backups need it, and the newest.
        """
        needing = []
        kept = self.retained(keep)
        for name in self.names():
            if name not in kept:
                continue
            try:
                reader = ContainerReader(self.store, name, self.keys)
            except BackupError:
                continue  # already unreadable: retiring changes nothing for it
            if version == reader.kek_version or version in reader.manifest["kek_versions"]:
                needing.append(name)
        if needing:
            raise KeyVersionInUse(
                f"key version {version} is still needed by {len(needing)} retained backup(s), "
                f"the newest '{needing[0]}': retiring it would make them unreadable; rotate "
                "keys, take new backups, and retire it once the retention policy has let the "
                "old ones go ('tutela backup prune')"
            )


class _Dump:
    """Reads a snapshot's tables in batches and hands each to a second thread, which
    compresses and seals it while the next batch is read (zstd, AES-GCM, hashing and the
    write release the GIL). Remembers what the manifest needs: rows per table and the key
    versions the data keys are wrapped under."""

    KEYED = frozenset({"subject", "system_key"})  # tables with a kek_version column

    def __init__(
        self, writer: ContainerWriter, totals: dict[str, int] | None, progress: Progress | None
    ) -> None:
        self._writer = writer
        self._compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tutela-backup")
        self._pending: deque[Future[None]] = deque()
        self._totals = totals
        self._total = sum(totals.values()) if totals else 0
        self._progress = progress
        self.done = 0
        self.logical = 0
        self.tables: list[dict[str, Any]] = []
        self.kek_versions: set[int] = set()
        if progress:
            progress(0, self._total)

    def table(self, snap: repository.Snapshot, spec: repository.TableSpec) -> None:
        written = 0
        keyed = spec.columns.index("kek_version") if spec.name in self.KEYED else None
        batches = snap.batches(spec, 2_000)
        rows = next(batches, None)
        while rows is not None:
            if keyed is not None:
                self.kek_versions.update(r[keyed] for r in rows)
            packed = msgpack.packb([spec.name, rows], use_bin_type=True)
            self._put(packed, spec.name, len(rows))
            self.logical += len(packed)
            written += len(rows)
            self.done += len(rows)
            if self._progress:
                self._progress(self.done, max(self._total, self.done))
            size = max(100, min(200_000, len(rows) * TARGET_CHUNK // len(packed)))
            rows = _send(batches, size)
        if self._totals is not None and written != self._totals[spec.name]:
            raise BackupFailed(f"table {spec.name} changed during the snapshot")
        self.tables.append(
            {"name": spec.name, "columns": list(spec.columns), "kinds": spec.kinds, "rows": written}
        )

    def _put(self, packed: bytes, table: str, rows: int) -> None:
        while len(self._pending) >= 2:  # bounded: two batches in memory at most
            self._pending.popleft().result()
        self._pending.append(self._pool.submit(self._seal, packed, table, rows))

    def _seal(self, packed: bytes, table: str, rows: int) -> None:
        self._writer.add(self._compressor.compress(packed), table, rows)

    def drain(self) -> None:
        while self._pending:
            self._pending.popleft().result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _send(batches: Any, size: int) -> Any:
    try:
        return batches.send(size)
    except StopIteration:
        return None


def _join(versions: set[int]) -> str:
    return ", ".join(str(v) for v in sorted(versions))
