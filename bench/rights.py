"""Rights requests: how long Tutela takes to fulfil one customer's access export and erasure,
in the vault alone and with two connected databases, next to the same lookup done by hand.

    python bench/rights.py                  # 100,000 customers, 200 requests each, both backends
    python bench/rights.py --quick          # 10,000 customers, 25 requests each; under a minute
    python bench/rights.py --backend sqlite --json

Each backend gets a fresh home loaded with the customers (`add_many`, 1,000 a call) and two
"other databases" the business keeps, each with one row per customer matched on email: a
`customers` table (email UNIQUE; erase = delete) and an `orders` table (email indexed; erase =
mask). On SQLite they are two SQLite files; on PostgreSQL one fresh schema holding both tables.

One request is timed per customer, every customer a different one (erasure removes them):

- access: `requests.create` and the emailed code (not timed), then `requests.verify`, timed,
  which fulfils it (vault export, connectors, zip, one-time download, completion email);
- erasure: `create`, `verify` (not timed, the request waits for staff), then
  `requests.approve`, timed, which fulfils it (connectors first, then the vault).

Each is run vault only, then with the two connectors (the home reopened with them configured,
their tables reflected before the clock starts), after a few untimed warm-up requests. p50, p99
and max are wall clock (`time.perf_counter_ns`) per call. Targets, on both backends: access p99
under 100 ms vault only and under 250 ms with two connectors; erasure is reported without one.

Why a baseline: absolute times depend on the machine, so the run also times by hand (`sqlite3`,
AES-256-GCM) what a fulfilment cannot avoid: the email's HMAC blind index looked up, the
customer's wrapped key and 8 sealed fields read by primary key, 9 AES-GCM decryptions; and, for
the connector figures, the same plus one indexed point read in each of two tables. The ratio
(fulfilment p50 / baseline p50) is Tutela's own overhead, comparable across machines.

PostgreSQL comes from `TUTELA_BENCH_POSTGRES_URL` (default
`postgresql+psycopg://postgres@127.0.0.1:5432/test`); every run works in fresh schemas dropped
at the end. Exit status 0 whether or not targets are met (2 if `--require-postgres` is given and
PostgreSQL is unreachable).
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
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy import create_engine

from _common import (
    SEED,
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
    run_facts,
    scratch_dir,
)
from tutela import Settings, Tutela
from tutela.connectors.settings import ConnectorSettings
from tutela.rights.service import Status
from tutela.testing import OutboxMailer

TARGETS_MS = {"access_vault": 100.0, "access_connectors": 250.0}
MEASURES = (
    ("access_vault", "access", False),
    ("erasure_vault", "erasure", False),
    ("access_connectors", "access", True),
    ("erasure_connectors", "erasure", True),
)
PURPOSE, ROLE = "order_fulfilment", "admin"
_EPOCH = datetime(2020, 1, 1)


@dataclass(frozen=True)
class Sizes:
    """How much work each measurement does."""

    customers: int
    requests: int  # timed requests per measure, each a different customer
    warmup: int  # untimed requests per measure before the clock starts
    baseline_reads: int
    batch: int


FULL = Sizes(customers=100_000, requests=200, warmup=3, baseline_reads=5_000, batch=1_000)
QUICK = Sizes(customers=10_000, requests=25, warmup=2, baseline_reads=2_000, batch=1_000)


# -- the two other databases ------------------------------------------------------------------

_CONNECTOR_DDL = {
    "customers": (
        """CREATE TABLE customers (
        id INTEGER PRIMARY KEY,
        email VARCHAR(254) NOT NULL UNIQUE,
        name VARCHAR(200) NOT NULL,
        city VARCHAR(100),
        created_at TIMESTAMP NOT NULL)""",
    ),
    "orders": (
        """CREATE TABLE orders (
        id INTEGER PRIMARY KEY,
        order_ref VARCHAR(20) NOT NULL UNIQUE,
        email VARCHAR(254) NOT NULL,
        shipping_address VARCHAR(400),
        total_pence INTEGER,
        placed_at TIMESTAMP)""",
        "CREATE INDEX orders_email ON orders (email)",
    ),
}
_TABLE_COLUMNS = {
    "customers": ("id", "email", "name", "city", "created_at"),
    "orders": ("id", "order_ref", "email", "shipping_address", "total_pence", "placed_at"),
}


def connector_rows(customers: Sequence[dict[str, Any]]) -> dict[str, list[tuple[Any, ...]]]:
    """One `customers` row and one `orders` row per vault customer, matched on email."""
    rng = random.Random(SEED + 3)
    shop, orders = [], []
    for i, c in enumerate(customers):
        lines = c["address"].splitlines()
        city = lines[-2] if len(lines) > 1 else None
        created = _EPOCH + timedelta(minutes=i)
        shop.append((i + 1, c["email"], c["name"], city, created))
        placed = created + timedelta(days=rng.randint(0, 400))
        line = ", ".join(lines)
        orders.append((i + 1, f"ORD-{i:08d}", c["email"], line, rng.randint(500, 50_000), placed))
    return {"customers": shop, "orders": orders}


def load_connector_tables(
    url: str, rows: dict[str, list[tuple[Any, ...]]], advance: Callable[[int], None]
) -> None:
    """Create both tables at `url` and fill them (COPY on PostgreSQL), then ANALYZE."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for table, table_rows in rows.items():
                for ddl in _CONNECTOR_DDL[table]:
                    conn.exec_driver_sql(ddl)
                columns = _TABLE_COLUMNS[table]
                for part in chunks(table_rows, 10_000):
                    if engine.dialect.name == "postgresql":
                        _copy(conn.connection.driver_connection, table, columns, part)
                    else:
                        marks = ", ".join("?" for _ in columns)
                        conn.exec_driver_sql(
                            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                            list(part),
                        )
                    advance(len(part))
            conn.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()


def _copy(driver: Any, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    with driver.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)


def connector_specs(shop_url: str, orders_url: str) -> list[ConnectorSettings]:
    return [
        ConnectorSettings(
            name="shop",
            url=shop_url,
            table="customers",
            identity_column="email",
            identity_field="email",
            columns=("email", "name", "city", "created_at"),
            erase="delete",
        ),
        ConnectorSettings(
            name="orders",
            url=orders_url,
            table="orders",
            identity_column="email",
            identity_field="email",
            columns=("email", "shipping_address", "total_pence", "placed_at"),
            erase="mask",
        ),
    ]


# -- baseline: the same lookup by hand ---------------------------------------------------------


@dataclass(frozen=True)
class Baseline:
    vault: Timing
    connectors: Timing


_BASELINE_SCHEMA = """
CREATE TABLE subject (id TEXT PRIMARY KEY, wrapped BLOB NOT NULL);
CREATE TABLE blind (digest BLOB PRIMARY KEY, subject_id TEXT NOT NULL);
CREATE TABLE value (
    subject_id TEXT NOT NULL, field TEXT NOT NULL, ct BLOB NOT NULL,
    PRIMARY KEY (subject_id, field));
"""
_BASELINE_READ = (
    "SELECT s.wrapped, v.field, v.ct FROM subject s JOIN value v ON v.subject_id = s.id "
    "WHERE s.id = ?"
)


def _seal(cipher: AESGCM, value: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + cipher.encrypt(nonce, value, aad)


def _blind(key: bytes, email: str) -> bytes:
    return hmac.new(key, b"email\x00" + email.lower().encode(), hashlib.sha256).digest()


def run_baseline(
    customers: Sequence[dict[str, Any]],
    connector_data: dict[str, list[tuple[Any, ...]]],
    emails: Sequence[str],
    db_path: Path,
    advance: Callable[[int], None],
) -> Baseline:
    """Seal every customer into a bare `sqlite3` file (with the two connector tables), then
    time looking customers up by email and decrypting all their fields."""
    master, index_key = AESGCM(os.urandom(32)), os.urandom(32)
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.executescript(_BASELINE_SCHEMA)
        for ddl in (d for table in _CONNECTOR_DDL.values() for d in table):
            conn.execute(ddl)
        conn.execute("BEGIN")
        for part in chunks(customers, 10_000):
            subjects, blinds, values = [], [], []
            for row in part:
                sid = os.urandom(16).hex()
                dek = os.urandom(32)
                subjects.append((sid, _seal(master, dek, sid.encode())))
                blinds.append((_blind(index_key, row["email"]), sid))
                cipher = AESGCM(dek)
                for name, value in row.items():
                    plain = json.dumps(value, separators=(",", ":")).encode()
                    values.append((sid, name, _seal(cipher, plain, f"{sid}\x00{name}".encode())))
            conn.executemany("INSERT INTO subject VALUES (?, ?)", subjects)
            conn.executemany("INSERT INTO blind VALUES (?, ?)", blinds)
            conn.executemany("INSERT INTO value VALUES (?, ?, ?)", values)
            advance(len(part))
        for table, rows in connector_data.items():
            marks = ", ".join("?" for _ in _TABLE_COLUMNS[table])
            conn.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        conn.execute("COMMIT")
        conn.execute("ANALYZE")

        def vault(email: str) -> dict[str, Any]:
            found = conn.execute(
                "SELECT subject_id FROM blind WHERE digest = ?", (_blind(index_key, email),)
            ).fetchone()
            sid = found[0]
            rows = conn.execute(_BASELINE_READ, (sid,)).fetchall()
            wrapped = rows[0][0]
            cipher = AESGCM(master.decrypt(wrapped[:12], wrapped[12:], sid.encode()))
            return {
                name: json.loads(cipher.decrypt(ct[:12], ct[12:], f"{sid}\x00{name}".encode()))
                for _, name, ct in rows
            }

        def with_connectors(email: str) -> None:
            vault(email)
            for sql in (
                "SELECT email, name, city, created_at FROM customers WHERE email = ?",
                "SELECT email, shipping_address, total_pence, placed_at FROM orders "
                "WHERE email = ?",
            ):
                if not conn.execute(sql, (email,)).fetchall():
                    raise AssertionError("baseline connector read found nothing")

        if vault(customers[0]["email"]) != customers[0]:
            raise AssertionError("baseline read back different values")
        return Baseline(time_ns(emails, vault), time_ns(emails, with_connectors))
    finally:
        conn.close()


def time_ns(items: Sequence[str], call: Callable[[str], object]) -> Timing:
    clock = time.perf_counter_ns
    latencies: list[float] = []
    for item in items:
        before = clock()
        call(item)
        latencies.append((clock() - before) / 1e9)
    return Timing(len(latencies), sum(latencies), latencies)


# -- Tutela ------------------------------------------------------------------------------------


class Desk:
    """One open home and its outbox: files requests and times the fulfilling call."""

    def __init__(self, tutela: Tutela, mailer: OutboxMailer) -> None:
        self.tutela, self.mailer = tutela, mailer

    def _code(self, email: str) -> str:
        codes = self.mailer.codes_for(email)
        self.mailer.messages.clear()
        return codes[-1]

    def access(self, email: str) -> tuple[int, dict[str, Any]]:
        requests = self.tutela.requests
        view = requests.create("access", email)
        code = self._code(email)
        before = time.perf_counter_ns()
        done = requests.verify(view.id, code)
        elapsed = time.perf_counter_ns() - before
        self.mailer.messages.clear()
        _expect(done.status is Status.COMPLETED, f"access ended {done.status}")
        return elapsed, done.outcome

    def erasure(self, email: str) -> tuple[int, dict[str, Any]]:
        requests = self.tutela.requests
        view = requests.create("erasure", email)
        waiting = requests.verify(view.id, self._code(email))
        _expect(waiting.status is Status.AWAITING_APPROVAL, f"erasure was {waiting.status}")
        before = time.perf_counter_ns()
        done = requests.approve(view.id)
        elapsed = time.perf_counter_ns() - before
        self.mailer.messages.clear()
        _expect(done.status is Status.COMPLETED, f"erasure ended {done.status}")
        return elapsed, done.outcome


def _expect(ok: bool, message: str) -> None:
    if not ok:
        raise AssertionError(message)


def measure(desk: Desk, kind: str, emails: Sequence[str], warmup: int, connectors: int) -> Timing:
    """Warm up on the first `warmup` emails, then time one request for each of the rest."""
    call = desk.access if kind == "access" else desk.erasure
    latencies: list[float] = []
    for n, email in enumerate(emails):
        elapsed, outcome = call(email)
        systems = outcome.get("systems", [])
        _expect(len(systems) == connectors, f"{len(systems)} systems reported")
        _expect(all(s["ok"] and s["rows"] == 1 for s in systems), f"a system failed: {systems}")
        if kind == "access":
            _expect(len(outcome["fields"]) == 8, f"exported {outcome['fields']}")
        else:
            _expect("erased" in outcome, f"erasure outcome {sorted(outcome)}")
        if n >= warmup:
            latencies.append(elapsed / 1e9)
    # Outside the clock: the last one erased must be gone from the vault's index.
    if kind == "erasure":
        left = desk.tutela.find("email", emails[-1], purpose=PURPOSE, role=ROLE)
        _expect(not left, "an erased customer is still found by email")
    return Timing(len(latencies), sum(latencies), latencies)


@dataclass(frozen=True)
class Target:
    """Where one backend's vault and connector tables live."""

    database_url: str | None  # None: the home's own SQLite file
    shop_url: str
    orders_url: str


def run_backend(
    target: Target,
    customers: Sequence[dict[str, Any]],
    connector_data: dict[str, list[tuple[Any, ...]]],
    emails: dict[str, list[str]],
    sizes: Sizes,
    log: Console,
    name: str,
) -> tuple[dict[str, Timing], dict[str, float]]:
    """Load a fresh home and the connector tables, then the four measures."""
    loads: dict[str, float] = {}
    mailer = OutboxMailer()
    with scratch_dir() as root:
        home = root / "home"
        settings = Settings.load(home, environ={}, database_url=target.database_url)
        with Tutela.init(home, settings=settings, mailer=mailer) as tutela:
            with _progress(log) as progress:
                started = time.perf_counter()
                task = progress.add_task(f"{name}: connector tables", total=2 * len(customers))
                for url, table in ((target.shop_url, "customers"), (target.orders_url, "orders")):
                    load_connector_tables(
                        url, {table: connector_data[table]}, lambda n: progress.advance(task, n)
                    )
                loads["connector_tables_s"] = time.perf_counter() - started
                started = time.perf_counter()
                task = progress.add_task(f"{name}: vault add_many", total=len(customers))
                for batch in chunks(customers, sizes.batch):
                    tutela.add_many(batch)
                    progress.advance(task, len(batch))
                loads["vault_s"] = time.perf_counter() - started
            timings = _measures(Desk(tutela, mailer), emails, sizes, log, name, connectors=0)

        # The same home reopened with the two connectors configured.
        with_connectors = Settings.load(
            home,
            environ={},
            database_url=target.database_url,
            connectors=connector_specs(target.shop_url, target.orders_url),
        )
        with Tutela.open(settings=with_connectors, mailer=mailer) as tutela:
            checked = tutela.connectors.check()  # reflect the tables before any clock starts
            _expect(all(o.ok for o in checked), f"connector check: {checked}")
            timings |= _measures(Desk(tutela, mailer), emails, sizes, log, name, connectors=2)
    return timings, loads


@contextmanager
def _progress(log: Console) -> Iterator[Progress]:
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=log,
        transient=False,
    )
    with progress:
        yield progress


def _measures(
    desk: Desk,
    emails: dict[str, list[str]],
    sizes: Sizes,
    log: Console,
    name: str,
    *,
    connectors: int,
) -> dict[str, Timing]:
    found: dict[str, Timing] = {}
    for key, kind, with_connectors in MEASURES:
        if with_connectors != bool(connectors):
            continue
        log.print(f"{name}: {sizes.requests} {kind} requests, {connectors} connectors …")
        found[key] = measure(desk, kind, emails[key], sizes.warmup, connectors)
    return found


def _sqlite_target(root: Path) -> Target:
    return Target(None, f"sqlite:///{root / 'shop.db'}", f"sqlite:///{root / 'orders.db'}")


# -- reporting ---------------------------------------------------------------------------------


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1e3, 3)


def figures(timings: dict[str, Timing], baseline: Baseline) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for key, _, with_connectors in MEASURES:
        t = timings[key]
        base = (baseline.connectors if with_connectors else baseline.vault).percentile(50)
        p50, p99 = t.percentile(50), t.percentile(99)
        target = TARGETS_MS.get(key)
        out[key] = {
            "count": t.count,
            "p50_ms": _ms(p50),
            "p99_ms": _ms(p99),
            "max_ms": _ms(max(t.latencies)),
            "mean_ms": _ms(t.seconds / t.count),
            "target_p99_ms": target,
            "passed": None if target is None or p99 is None else p99 * 1e3 < target,
            "ratio_p50_to_baseline": round(p50 / base, 1) if p50 and base else None,
        }
    return out


def render(out: Console, title: str, results: dict[str, dict[str, dict[str, Any]]]) -> None:
    table = Table(
        title=title,
        title_justify="left",
        caption="ratio: fulfilment p50 / baseline p50 (vault, or vault + 2 tables)",
    )
    for column in ("Backend", "Request", "Systems"):
        table.add_column(column)
    for column in ("n", "p50", "p99", "max", "Target p99", "vs baseline"):
        table.add_column(column, justify="right")
    table.add_column("Status")
    for backend, measures in results.items():
        for key, kind, with_connectors in MEASURES:
            f = measures[key]
            status = {
                None: "[dim]no target[/dim]",
                True: "[green]PASS[/green]",
                False: "[bold red]MISS[/bold red]",
            }[f["passed"]]
            table.add_row(
                backend,
                kind,
                "vault + 2 connectors" if with_connectors else "vault only",
                str(f["count"]),
                f"{f['p50_ms']:,.1f} ms",
                f"{f['p99_ms']:,.1f} ms",
                f"{f['max_ms']:,.1f} ms",
                "-" if f["target_p99_ms"] is None else f"< {f['target_p99_ms']:,.0f} ms",
                f"{f['ratio_p50_to_baseline']:,.0f}x",
                status,
            )
    out.print(table)


# -- command line ------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    description = __doc__.splitlines()[0] if __doc__ else None
    parser = bench_parser(description, "10,000 customers, 25 requests each; under a minute")
    parser.add_argument("--requests", type=int, help="timed requests per measure")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    begun = time.perf_counter()
    args = parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.requests:
        sizes = Sizes(**(asdict(sizes) | {"requests": args.requests}))
    out = make_console()
    log = Console(stderr=True, highlight=False)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    result: dict[str, Any] = {
        **run_facts("rights", args.quick),
        "seed": SEED,
        "sizes": asdict(sizes),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "targets_p99_ms": TARGETS_MS,
        "backends": {},
    }
    pg_url = postgres_url()
    if not keep_reachable_backends(
        backends, require_postgres=args.require_postgres, out=out, log=log, result=result
    ):
        return 2
    out.print(
        f"tutela {result['revision'] or '(revision unknown)'}, Python {result['python']}, "
        f"SQLite {result['sqlite']}, {os.cpu_count()} CPUs, "
        f"load average {result['load_average'][0]:.2f} at start"
        + (f", PostgreSQL {result['postgres_version']}" if "postgres" in backends else "")
    )

    per_measure = sizes.warmup + sizes.requests
    with _progress(log) as progress:
        progress.add_task(f"generating {sizes.customers:,} customers (seed {SEED})", total=None)
        customers = generate_customers(sizes.customers)
        connector_data = connector_rows(customers)
    picks = random.Random(SEED + 4).sample(range(len(customers)), per_measure * len(MEASURES))
    emails = {
        key: [customers[i]["email"] for i in picks[n * per_measure : (n + 1) * per_measure]]
        for n, (key, _, _) in enumerate(MEASURES)
    }

    with scratch_dir() as work, _progress(log) as progress:
        task = progress.add_task("baseline: sealing with sqlite3", total=len(customers))
        sample = random.Random(SEED + 5).choices(
            [c["email"] for c in customers], k=sizes.baseline_reads
        )
        baseline = run_baseline(
            customers,
            connector_data,
            sample,
            work / "baseline.db",
            lambda n: progress.advance(task, n),
        )
    result["baseline"] = {
        name: {"count": t.count, "p50_ms": _ms(t.percentile(50)), "p99_ms": _ms(t.percentile(99))}
        for name, t in (("vault", baseline.vault), ("connectors", baseline.connectors))
    }
    out.print(
        "[bold]Baseline[/bold] (sqlite3 + AES-256-GCM by hand: blind-index lookup, 8 fields "
        f"decrypted): p50 {result['baseline']['vault']['p50_ms']:.3f} ms; with 2 indexed "
        f"connector reads: p50 {result['baseline']['connectors']['p50_ms']:.3f} ms"
    )

    tables: dict[str, dict[str, dict[str, Any]]] = {}
    for backend in backends:
        started = time.perf_counter()
        try:
            if backend == "sqlite":
                with scratch_dir() as root:
                    timings, loads = run_backend(
                        _sqlite_target(root),
                        customers,
                        connector_data,
                        emails,
                        sizes,
                        log,
                        backend,
                    )
            else:
                with (
                    postgres_schema(pg_url, prefix="bench_rights") as vault_url,
                    postgres_schema(pg_url, prefix="bench_shop") as shop_url,
                ):
                    target = Target(vault_url, shop_url, shop_url)
                    timings, loads = run_backend(
                        target, customers, connector_data, emails, sizes, log, backend
                    )
        except PostgresUnavailableError as exc:
            if args.require_postgres:
                log.print(f"[bold red]error:[/bold red] PostgreSQL failed: {exc}")
                return 2
            out.print(f"[yellow]PostgreSQL failed: {exc} — skipping it[/yellow]")
            result["backends"][backend] = {"skipped": str(exc)}
            continue
        measures = figures(timings, baseline)
        tables["SQLite" if backend == "sqlite" else "PostgreSQL"] = measures
        verdicts = [m["passed"] for m in measures.values() if m["passed"] is not None]
        result["backends"][backend] = {
            "load_seconds": {k: round(v, 2) for k, v in loads.items()},
            "seconds": round(time.perf_counter() - started, 1),
            "measures": measures,
            "passed": all(verdicts),
        }
        out.print(
            f"{backend}: loaded {len(customers):,} customers into the vault in "
            f"{loads['vault_s']:.1f} s, {2 * len(customers):,} connector rows in "
            f"{loads['connector_tables_s']:.1f} s; backend total "
            f"{result['backends'][backend]['seconds']:.0f} s"
        )

    if tables:
        title = (
            f"Rights requests — {sizes.customers:,} customers, {sizes.requests} requests each"
            + (" (quick)" if args.quick else "")
        )
        render(out, title, tables)
    ran = [b for b in result["backends"].values() if "passed" in b]
    result["passed"] = all(b["passed"] for b in ran) if ran else None
    result["elapsed_s"] = round(time.perf_counter() - begun, 1)
    out.print(f"elapsed {result['elapsed_s']:.0f} s")
    if args.json:
        emit_json(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
