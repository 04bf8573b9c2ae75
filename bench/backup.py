"""Backup and restore: how fast Tutela backs up and restores a vault of customers, next to the
bare cost of copying the same database's bytes safely.

    python bench/backup.py                  # 100,000 customers, SQLite and PostgreSQL
    python bench/backup.py --quick          # 10,000 customers, under a minute
    python bench/backup.py --backend sqlite --json

Each backend gets a fresh home loaded with the customers (`add_many`, 1,000 a call), then:

- backup: `tutela.backups.create()` — a consistent snapshot (SQLite online backup API, or one
  REPEATABLE READ transaction on PostgreSQL), dumped in the portable logical format,
  zstd-compressed, sealed in AES-256-GCM chunks, written and committed (fsync, rename);
- restore: `Tutela.restore_backup()` into an empty database of the same engine — schema built,
  rows copied in, audit chain verified, erasure ledger replayed, restore entry appended, one
  commit. The process is pinned to one CPU while it restores (the target: under 60 s for
  100,000 customers on one core).

Why a baseline: absolute speeds depend on the machine, so each run also does by hand what a
backup cannot avoid, on the same SQLite database: `sqlite3`'s online backup into a file, then
zstd (same level) and AES-256-GCM in 4 MiB chunks over its bytes, written to disk. Both are
reported in MB/s of the SQLite database file's size (the same numerator), so the ratio is
Tutela's own overhead (the logical format, the manifest, the checks). Target: backup at least
50% of the baseline's throughput. PostgreSQL figures are reported without targets.

PostgreSQL comes from `TUTELA_BENCH_POSTGRES_URL` (default
`postgresql+psycopg://postgres@127.0.0.1:5432/test`); every run works in fresh schemas dropped
at the end. Exit status 0 whether or not targets are met (2 if `--require-postgres` is given and
PostgreSQL is unreachable).
"""

from __future__ import annotations

import os
import platform
import shutil
import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import zstandard
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from rich.console import Console
from rich.table import Table

from _common import (
    SEED,
    bench_parser,
    chunks,
    emit_json,
    generate_customers,
    keep_reachable_backends,
    make_console,
    postgres_schema,
    postgres_url,
    run_facts,
    scratch_dir,
    status_markup,
)
from tutela import Settings, Tutela

BACKUP_SHARE_OF_BASELINE = 0.50
RESTORE_SECONDS = 60.0  # for 100,000 customers, on one core
CHUNK = 4 << 20
ZSTD_LEVEL = 3  # as tutela.backup.service
MB = 1_000_000


@dataclass(frozen=True)
class Sizes:
    customers: int
    batch: int


FULL = Sizes(customers=100_000, batch=1_000)
QUICK = Sizes(customers=10_000, batch=1_000)


@dataclass(frozen=True)
class Measured:
    seconds: float
    size: int  # bytes written


def baseline(database: Path, work: Path) -> Measured:
    """`sqlite3` online backup of the database + zstd + AES-256-GCM over its bytes."""
    copy, sealed = work / "baseline-copy.db", work / "baseline.bin"
    cipher = AESGCM(AESGCM.generate_key(bit_length=256))
    compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
    started = time.perf_counter()
    source, target = sqlite3.connect(database), sqlite3.connect(copy)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    written = 0
    with copy.open("rb") as src, sealed.open("wb") as out:
        index = 0
        while block := src.read(CHUNK):
            nonce = index.to_bytes(12, "big")
            blob = cipher.encrypt(nonce, compressor.compress(block), None)
            out.write(len(blob).to_bytes(4, "big") + nonce + blob)
            written += len(blob) + 16
            index += 1
        out.flush()
        os.fsync(out.fileno())
    seconds = time.perf_counter() - started
    copy.unlink()
    sealed.unlink()
    return Measured(seconds, written)


@contextmanager
def one_core() -> Iterator[int | None]:
    """Pin this process to one CPU (where the OS lets us) while the block runs."""
    if not hasattr(os, "sched_setaffinity"):
        yield None
        return
    before = os.sched_getaffinity(0)
    cpu = min(before)
    os.sched_setaffinity(0, {cpu})
    try:
        yield cpu
    finally:
        os.sched_setaffinity(0, before)


def twin(settings: Settings, root: Path, url: str | None) -> Settings:
    """A second home with the first one's data map and keyring, on `url` (default SQLite)."""
    root.mkdir(mode=0o700)
    shutil.copy(settings.datamap_file, root / "datamap.yaml")
    shutil.copy(settings.key_file, root / "keys.json")
    (root / "keys.json").chmod(0o600)
    return Settings.load(root, environ={}, database_url=url)


def database_size(tutela: Tutela) -> int:
    """Bytes of the database: the SQLite file after a checkpoint, or PostgreSQL's tables."""
    if tutela.engine.dialect.name == "sqlite":
        from tutela.core.storage.engine import checkpoint_sqlite

        checkpoint_sqlite(tutela.engine)
        return Path(tutela.engine.url.database or "").stat().st_size
    with tutela.engine.connect() as conn:
        return int(
            conn.exec_driver_sql(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind = 'r'"
            ).scalar_one()
        )


def run_backend(
    backend: str,
    customers: Sequence[dict[str, Any]],
    sizes: Sizes,
    work: Path,
    stack: ExitStack,
    log: Console,
) -> dict[str, Any]:
    pg = postgres_url()
    url = None
    if backend == "postgres":
        url = stack.enter_context(postgres_schema(pg, prefix="bench_backup"))
    settings = Settings.load(work / f"{backend}-home", environ={}, database_url=url)
    with Tutela.init(settings=settings) as tutela:
        started = time.perf_counter()
        for batch in chunks(customers, sizes.batch):
            tutela.add_many(batch)
        loaded = time.perf_counter() - started
        log.print(f"{backend}: loaded {len(customers):,} customers in {loaded:.1f} s")
        size = database_size(tutela)
        base = (
            baseline(Path(tutela.engine.url.database or ""), work) if backend == "sqlite" else None
        )
        started = time.perf_counter()
        made = tutela.backups.create()
        backup_s = time.perf_counter() - started
    path = settings.resolved_backup_dir / made.name
    target_url = None
    if backend == "postgres":
        target_url = stack.enter_context(postgres_schema(pg, prefix="bench_restore"))
    target = twin(settings, work / f"{backend}-restored", target_url)
    with one_core() as cpu:
        started = time.perf_counter()
        report = Tutela.restore_backup(target, str(path))
        restore_s = time.perf_counter() - started
    assert report.rows["subject"] == len(customers)
    return {
        "database_bytes": size,
        "backup_file_bytes": made.size,
        "logical_bytes": made.logical_bytes,
        "rows": sum(made.rows.values()),
        "backup_seconds": round(backup_s, 3),
        "backup_mb_s": round(size / MB / backup_s, 1),
        "restore_seconds": round(restore_s, 3),
        "restore_mb_s": round(size / MB / restore_s, 1),
        "restore_pinned_cpu": cpu,
        "baseline_seconds": None if base is None else round(base.seconds, 3),
        "baseline_mb_s": None if base is None else round(size / MB / base.seconds, 1),
        "baseline_file_bytes": None if base is None else base.size,
    }


def verdicts(figures: dict[str, Any], customers: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if figures.get("baseline_mb_s"):
        share = figures["backup_mb_s"] / figures["baseline_mb_s"]
        out["backup_vs_baseline"] = round(share, 3)
        out["backup_passed"] = share >= BACKUP_SHARE_OF_BASELINE
    # the restore target is for 100,000 customers; a smaller run is held to its share
    allowed = RESTORE_SECONDS * customers / FULL.customers
    out["restore_target_seconds"] = round(allowed, 1)
    out["restore_passed"] = figures["restore_seconds"] < allowed
    return out


def render(out: Console, backend: str, figures: dict[str, Any], verdict: dict[str, Any]) -> None:
    table = Table(title=f"Backup and restore — {backend}", title_justify="left")
    for column in ("Measure", "Seconds", "MB/s", "Target", "vs baseline", "Status"):
        table.add_column(column, justify="left" if column in ("Measure", "Status") else "right")
    if figures["baseline_mb_s"] is not None:
        table.add_row(
            "baseline: sqlite3 backup + zstd + AES-GCM",
            f"{figures['baseline_seconds']:.2f}",
            f"{figures['baseline_mb_s']:,.1f}",
            "-",
            "1.00x",
            "[dim]baseline[/dim]",
        )
    ratio = verdict.get("backup_vs_baseline")
    table.add_row(
        "tutela backup create",
        f"{figures['backup_seconds']:.2f}",
        f"{figures['backup_mb_s']:,.1f}",
        f"≥ {BACKUP_SHARE_OF_BASELINE:.0%} of baseline" if ratio is not None else "-",
        "-" if ratio is None else f"{ratio:.2f}x",
        status_markup(verdict.get("backup_passed"), "no target"),
    )
    table.add_row(
        "tutela backup restore (one core)",
        f"{figures['restore_seconds']:.2f}",
        f"{figures['restore_mb_s']:,.1f}",
        f"< {verdict['restore_target_seconds']:.0f} s",
        "-",
        status_markup(verdict["restore_passed"], "no target"),
    )
    out.print(table)
    out.print(
        f"  database {figures['database_bytes'] / MB:,.1f} MB, {figures['rows']:,} rows; "
        f"backup file {figures['backup_file_bytes'] / MB:,.1f} MB "
        f"(logical {figures['logical_bytes'] / MB:,.1f} MB before zstd)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = bench_parser(__doc__.splitlines()[0] if __doc__ else None, "10,000 customers")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    out = make_console()
    log = Console(stderr=True, highlight=False)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    result: dict[str, Any] = {
        **run_facts("backup", args.quick),
        "seed": SEED,
        "sizes": asdict(sizes),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "zstd_level": ZSTD_LEVEL,
        "backends": {},
    }
    if not keep_reachable_backends(
        backends, require_postgres=args.require_postgres, out=out, log=log, result=result
    ):
        return 2
    log.print(f"generating {sizes.customers:,} customers (seed {SEED})")
    customers = generate_customers(sizes.customers)
    for backend in backends:
        with scratch_dir() as work, ExitStack() as stack:
            figures = run_backend(backend, customers, sizes, work, stack, log)
        verdict = verdicts(figures, sizes.customers)
        result["backends"][backend] = {**figures, **verdict}
        render(out, backend, figures, verdict)
    if args.json:
        emit_json(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
