"""Vault throughput: how fast Tutela imports, adds, reads and finds customers, next to the cost
of the bare cryptography and storage it is built on.

    python bench/vault_throughput.py                 # 100,000 customers, SQLite and PostgreSQL
    python bench/vault_throughput.py --quick         # 10,000 customers, under a minute
    python bench/vault_throughput.py --backend sqlite --json

Why a baseline: absolute rates depend on the machine, so each run also measures the same work
done by hand (8 fields sealed with AES-256-GCM under a per-customer key wrapped by a master key,
HMAC-SHA256 blind indexes for the 3 searchable fields, plain `sqlite3`). The ratio to that
baseline is what Tutela's own overhead (validation, SQLAlchemy, the audit chain, one
transaction per call) costs, and it is comparable across machines.

Targets apply on SQLite only; PostgreSQL figures are reported without targets. The absolute
targets (single add, reads, finds) hold for a machine whose baseline writes 29,000 and reads
51,000 customers/s on one core; each run scales them by its own baseline's speed against those
rates (writes for add, reads for the reads and finds), so a slower or faster machine asks for
the same overhead, and the table shows both numbers.

PostgreSQL comes from `TUTELA_BENCH_POSTGRES_URL` (default `postgresql+psycopg://postgres@127.0.0.1:5432/test`);
each run works in a fresh schema that is dropped at the end. The exit status is 0 whether or not
targets are met (2 if `--require-postgres` is given and PostgreSQL is unreachable).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import platform
import random
import sqlite3
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from rich.console import Console

from _common import (
    SEARCHABLE,
    SEED,
    Figure,
    PostgresUnavailableError,
    Timing,
    bench_parser,
    chunks,
    emit_json,
    generate_customers,
    keep_reachable_backends,
    make_console,
    postgres_schema,
    postgres_url,
    render_table,
    run_facts,
    scratch_dir,
    time_calls,
    tutela_home,
)
from tutela import Tutela

READ_FIELDS = ("email", "name", "phone", "address")
PURPOSE = "order_fulfilment"
ROLE = "admin"  # no masks for admin: reads measure decryption, not masking

# Targets on SQLite. Bulk import is relative: at least this share of the baseline's writes.
BULK_SHARE_OF_BASELINE = 0.40
# The others are rates on a machine whose baseline runs at REFERENCE_BASELINE (customers/s,
# one core); a run scales each by its own baseline (writes or reads) against that.
TARGETS = {"add": 2_000.0, "read": 5_000.0, "read_many": 20_000.0, "find": 5_000.0}
REFERENCE_BASELINE = {"written": 29_000.0, "read": 51_000.0}


@dataclass(frozen=True)
class Sizes:
    """How much work each measurement does."""

    customers: int
    batch: int
    adds: int
    reads: int
    batch_read_records: int
    finds: int
    baseline_reads: int


FULL = Sizes(
    customers=100_000,
    batch=1_000,
    adds=5_000,
    reads=10_000,
    batch_read_records=50_000,
    finds=10_000,
    baseline_reads=20_000,
)
QUICK = Sizes(
    customers=10_000,
    batch=1_000,
    adds=1_000,
    reads=2_000,
    batch_read_records=10_000,
    finds=2_000,
    baseline_reads=5_000,
)


# -- baseline: the same work by hand ------------------------------------------------------


@dataclass(frozen=True)
class Baseline:
    written: Timing
    read: Timing


_BASELINE_SCHEMA = """
CREATE TABLE customer (id TEXT PRIMARY KEY, wrapped BLOB NOT NULL);
CREATE TABLE value (
    customer_id TEXT NOT NULL,
    field TEXT NOT NULL,
    ct BLOB NOT NULL,
    idx BLOB,
    PRIMARY KEY (customer_id, field)
);
"""
_BASELINE_READ = (
    "SELECT c.wrapped, v.field, v.ct FROM customer c "
    "JOIN value v ON v.customer_id = c.id WHERE c.id = ?"
)


def _encode(value: Any) -> bytes:
    # The same plaintext encoding Tutela seals, so both sides encrypt the same bytes.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def run_baseline(customers: Sequence[dict[str, Any]], reads: int, db_path: Path) -> Baseline:
    """Seal and insert every customer in one transaction, then read some back by key.

    Deliberately without validation, audit or an ORM: it is the floor Tutela is measured from.
    """
    master = AESGCM(os.urandom(32))
    index_key = os.urandom(32)
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.executescript(_BASELINE_SCHEMA)
        ids: list[str] = []

        def write_all(rows: Sequence[dict[str, Any]]) -> None:
            customer_rows: list[tuple[str, bytes]] = []
            value_rows: list[tuple[str, str, bytes, bytes | None]] = []
            for row in rows:
                cid = os.urandom(16).hex()
                dek = os.urandom(32)
                nonce = os.urandom(12)
                customer_rows.append((cid, nonce + master.encrypt(nonce, dek, cid.encode())))
                cipher = AESGCM(dek)
                for name, value in row.items():
                    nonce = os.urandom(12)
                    aad = f"{cid}\x00{name}".encode()
                    sealed = nonce + cipher.encrypt(nonce, _encode(value), aad)
                    idx = None
                    if name in SEARCHABLE:
                        text = str(value).lower() if name == "email" else str(value)
                        message = f"{name}\x00{text}".encode()
                        idx = hmac.new(index_key, message, hashlib.sha256).digest()
                    value_rows.append((cid, name, sealed, idx))
                ids.append(cid)
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO customer VALUES (?, ?)", customer_rows)
            conn.executemany("INSERT INTO value VALUES (?, ?, ?, ?)", value_rows)
            conn.execute("COMMIT")

        written = time_calls([customers], write_all, units=len(customers))

        wanted = set(READ_FIELDS)

        def read_one(cid: str) -> dict[str, Any]:
            rows = conn.execute(_BASELINE_READ, (cid,)).fetchall()
            dek = master.decrypt(rows[0][0][:12], rows[0][0][12:], cid.encode())
            cipher = AESGCM(dek)
            return {
                name: json.loads(cipher.decrypt(ct[:12], ct[12:], f"{cid}\x00{name}".encode()))
                for _, name, ct in rows
                if name in wanted
            }

        picks = random.Random(SEED + 1).choices(ids, k=reads)
        read = time_calls(picks, read_one)
        if read_one(ids[0])["email"] != customers[0]["email"]:
            raise AssertionError("baseline read back the wrong value")
        return Baseline(written, read)
    finally:
        conn.close()


# -- Tutela --------------------------------------------------------------------------------


def run_tutela(
    tutela: Tutela, bulk: Sequence[dict[str, Any]], singles: Sequence[dict[str, Any]], sizes: Sizes
) -> dict[str, Timing]:
    """The five measurements, in order, on one fresh home. Each call is its own transaction."""
    rng = random.Random(SEED + 2)
    ids: list[str] = []
    timings: dict[str, Timing] = {}

    def import_batch(batch: Sequence[dict[str, Any]]) -> None:
        ids.extend(tutela.add_many(batch))

    timings["add_many"] = time_calls(chunks(bulk, sizes.batch), import_batch, units=len(bulk))
    _check_reads(tutela, ids, bulk)

    timings["add"] = time_calls(singles, tutela.add)

    def read(sid: str) -> None:
        tutela.read(sid, READ_FIELDS, purpose=PURPOSE, role=ROLE)

    timings["read"] = time_calls(rng.choices(ids, k=sizes.reads), read)

    records = min(sizes.batch_read_records, len(ids))
    batches = chunks(rng.sample(ids, records), sizes.batch)

    def read_many(batch: Sequence[str]) -> None:
        found = tutela.read_many(batch, READ_FIELDS, purpose=PURPOSE, role=ROLE)
        if len(found) != len(batch):
            raise AssertionError(f"read_many returned {len(found)} of {len(batch)} records")

    timings["read_many"] = time_calls(batches, read_many, units=records)

    def find(row: int) -> None:
        found = tutela.find("email", bulk[row]["email"], purpose=PURPOSE, role=ROLE)
        if found != [ids[row]]:
            raise AssertionError(f"find by email returned {found}, expected {ids[row]}")

    timings["find"] = time_calls(rng.choices(range(len(bulk)), k=sizes.finds), find)
    return timings


def _check_reads(tutela: Tutela, ids: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    # Outside the clock: a fast vault that returns the wrong values would be no result at all.
    for i in (0, len(ids) // 2, len(ids) - 1):
        record = tutela.read(ids[i], READ_FIELDS, purpose=PURPOSE, role=ROLE)
        if record["email"] != rows[i]["email"] or record["name"] != rows[i]["name"]:
            raise AssertionError(f"customer {i} read back different values")


def machine_speed(baseline: Baseline) -> dict[str, float]:
    """This run's baseline against the reference machine's, writes and reads apart."""
    return {
        "written": baseline.written.rate / REFERENCE_BASELINE["written"],
        "read": baseline.read.rate / REFERENCE_BASELINE["read"],
    }


def figures_for(timings: dict[str, Timing], baseline: Baseline, *, targets: bool) -> list[Figure]:
    """Rates with their targets (if `targets`, scaled to this run's machine) and ratios: writes
    against the baseline's writes, reads against its reads."""
    written, read = baseline.written.rate, baseline.read.rate
    speed = machine_speed(baseline)
    spec: list[tuple[str, str, str, str]] = [
        ("add_many", "bulk import (add_many, 1,000/call)", "customers/s", "written"),
        ("add", "single add", "customers/s", "written"),
        ("read", "single read (4 fields)", "reads/s", "read"),
        ("read_many", "batch read (read_many, 1,000/call)", "records/s", "read"),
        ("find", "find by email", "finds/s", "read"),
    ]
    figures = []
    for key, label, unit, side in spec:
        target, text = None, ""
        if targets and key == "add_many":
            target = BULK_SHARE_OF_BASELINE * written
            text = f"≥ {target:,.0f} (40% of baseline)"
        elif targets:
            target = TARGETS[key] * speed[side]
            text = f"≥ {target:,.0f} ({TARGETS[key]:,.0f} at {speed[side]:.2f}x)"
        base = written if side == "written" else read
        figures.append(Figure(key, label, timings[key], unit, target, text, base))
    return figures


# -- command line ----------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    description = __doc__.splitlines()[0] if __doc__ else None
    return bench_parser(description, "10,000 customers; under a minute").parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = QUICK if args.quick else FULL
    out = make_console()
    log = Console(stderr=True, highlight=False)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    result: dict[str, Any] = {
        **run_facts("vault_throughput", args.quick),
        "seed": SEED,
        "sizes": asdict(sizes),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "backends": {},
    }

    pg_url = postgres_url()
    if not keep_reachable_backends(
        backends, require_postgres=args.require_postgres, out=out, log=log, result=result
    ):
        return 2

    if not backends:
        out.print("nothing left to measure")
        if args.json:
            emit_json(result)
        return 0

    out.print(
        f"tutela {result['revision'] or '(revision unknown)'}, Python {result['python']}, "
        f"SQLite {result['sqlite']}, {os.cpu_count()} CPUs, "
        f"load average {result['load_average'][0]:.2f} at start"
        + (f", PostgreSQL {result['postgres_version']}" if "postgres" in backends else "")
    )
    log.print(f"generating {sizes.customers + sizes.adds:,} customers (seed {SEED}) …")
    customers = generate_customers(sizes.customers + sizes.adds)
    bulk, singles = customers[: sizes.customers], customers[sizes.customers :]

    with scratch_dir() as work:
        log.print(f"baseline: sealing and writing {len(bulk):,} customers with sqlite3 …")
        baseline = run_baseline(bulk, sizes.baseline_reads, work / "baseline.db")
    result["baseline"] = {
        "written_per_s": round(baseline.written.rate, 1),
        "read_per_s": round(baseline.read.rate, 1),
        "written_seconds": round(baseline.written.seconds, 4),
        "read_p50_us": round((baseline.read.percentile(50) or 0) * 1e6, 1),
    }
    out.print(
        f"[bold]Baseline[/bold] (raw AES-256-GCM + HMAC blind index + sqlite3, WAL, NORMAL): "
        f"{baseline.written.rate:,.0f} customers written/s, "
        f"{baseline.read.rate:,.0f} customers read/s (4 of 8 fields decrypted)"
    )

    runners: dict[str, Callable[[], dict[str, Timing]]] = {
        "sqlite": lambda: _run_on(None, bulk, singles, sizes, log, "sqlite"),
        "postgres": lambda: _run_on_postgres(pg_url, bulk, singles, sizes, log),
    }
    for backend in backends:
        try:
            timings = runners[backend]()
        except PostgresUnavailableError as exc:
            if args.require_postgres:
                log.print(f"[bold red]error:[/bold red] PostgreSQL failed: {exc}")
                return 2
            out.print(f"[yellow]PostgreSQL failed: {exc} — skipping it[/yellow]")
            result["backends"][backend] = {"skipped": str(exc)}
            continue
        on_sqlite = backend == "sqlite"
        figures = figures_for(timings, baseline, targets=on_sqlite)
        title = (
            f"Tutela on {'SQLite' if on_sqlite else 'PostgreSQL'} — "
            f"{sizes.customers:,} customers{' (quick)' if args.quick else ''}"
        )
        speed = machine_speed(baseline)
        caption = "ratios: writes vs baseline written/s, reads vs baseline read/s" + (
            f"; rate targets scaled by this run's baseline against "
            f"{REFERENCE_BASELINE['written']:,.0f} written/s ({speed['written']:.2f}x) and "
            f"{REFERENCE_BASELINE['read']:,.0f} read/s ({speed['read']:.2f}x)"
            if on_sqlite
            else "; PostgreSQL has no targets"
        )
        render_table(out, title, figures, caption=caption)
        verdicts = [f.passed for f in figures if f.passed is not None]
        result["backends"][backend] = {
            "figures": {f.key: f.as_json() for f in figures},
            "passed": all(verdicts) if verdicts else None,
        }
        if on_sqlite:
            result["reference_baseline"] = REFERENCE_BASELINE
            result["machine_speed"] = {k: round(v, 3) for k, v in speed.items()}
            result["unscaled_targets"] = TARGETS

    sqlite_result = result["backends"].get("sqlite", {})
    result["passed"] = sqlite_result.get("passed")
    if args.json:
        emit_json(result)
    return 0


def _run_on(
    database_url: str | None,
    bulk: Sequence[dict[str, Any]],
    singles: Sequence[dict[str, Any]],
    sizes: Sizes,
    log: Console,
    name: str,
) -> dict[str, Timing]:
    log.print(f"{name}: {len(bulk):,} imported, {len(singles):,} added, then reads and finds …")
    with tutela_home(database_url) as tutela:
        return run_tutela(tutela, bulk, singles, sizes)


def _run_on_postgres(
    url: str,
    bulk: Sequence[dict[str, Any]],
    singles: Sequence[dict[str, Any]],
    sizes: Sizes,
    log: Console,
) -> dict[str, Timing]:
    with postgres_schema(url) as schema_url:
        return _run_on(schema_url, bulk, singles, sizes, log, "postgres")


if __name__ == "__main__":
    sys.exit(main())
