"""Shared helpers for the scripts in `bench/`: test data, timing, scratch Tutela homes and
PostgreSQL schemas, and reporting (a Rich table per run, one JSON object for machines).

The benchmarks are scripts, not tests: they import this module as `_common` because Python puts
the script's own directory on `sys.path`. Everything that costs time but is not what a
benchmark measures (Faker, phone-number checks, schema set-up) lives here and runs before any
clock starts.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import phonenumbers
from faker import Faker
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from tutela import Settings, Tutela

T = TypeVar("T")

SEED = 20_261_129
"""Fixed seed: every run generates the same customers, so runs are comparable."""

POSTGRES_URL_ENV = "TUTELA_BENCH_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# The shipped example data map (src/tutela/examples/datamap.yaml): 8 fields, 3 searchable.
FIELDS = (
    "email",
    "name",
    "phone",
    "address",
    "date_of_birth",
    "loyalty_id",
    "marketing_preferences",
    "country",
)
SEARCHABLE = ("email", "phone", "loyalty_id")

_COUNTRIES = ("GB", "GB", "GB", "GB", "IE", "FR", "DE", "NL", "ES", "US")
_PREFERENCES = ("email", "sms", "post")
# UK mobile numbers +44 7400 000000 onwards are all valid for `phonenumbers` (checked below),
# unlike the Ofcom drama range (+44 7700 900xxx), which has only 1,000 numbers and is invalid.
_FIRST_MOBILE = 7_400_000_000
_MAX_CUSTOMERS = 10_000_000


# -- data --------------------------------------------------------------------------------


def generate_customers(count: int, *, seed: int = SEED) -> list[dict[str, Any]]:
    """`count` customers with every field of the example data map, all valid and unique.

    Emails, phone numbers and loyalty ids embed the row number, so searchable values are unique
    and `find` has exactly one answer. Names, addresses and birth dates come from Faker (en_GB).

    Raises:
        ValueError: a generated phone number is not valid (the numbering plan changed).
    """
    if not 0 <= count <= _MAX_CUSTOMERS:
        raise ValueError(f"count must be between 0 and {_MAX_CUSTOMERS:,}")
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    customers: list[dict[str, Any]] = []
    for i in range(count):
        first, last = fake.first_name(), fake.last_name()
        local = "".join(ch for ch in f"{first}.{last}".lower() if ch.isalnum() or ch == ".")
        mobile = _FIRST_MOBILE + i
        phone = f"+44 {mobile // 1_000_000} {mobile % 1_000_000:06d}"
        customers.append(
            {
                "email": f"{local}.{i}@shop.example",
                "name": f"{first} {last}",
                "phone": phone,
                "address": fake.address(),
                "date_of_birth": fake.date_of_birth(minimum_age=18, maximum_age=90).isoformat(),
                "loyalty_id": f"L{i:06d}",
                "marketing_preferences": sorted(rng.sample(_PREFERENCES, rng.randint(0, 3))),
                "country": rng.choice(_COUNTRIES),
            }
        )
    _check_phones(customers)
    return customers


def _check_phones(customers: Sequence[dict[str, Any]]) -> None:
    # Tutela rejects a whole batch for one invalid number; fail here, with a clearer message.
    for row in customers:
        if not phonenumbers.is_valid_number(phonenumbers.parse(row["phone"], "GB")):
            raise ValueError(f"generated phone number {row['phone']} is not valid")


def chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    """`items` cut into consecutive slices of at most `size`."""
    return [items[i : i + size] for i in range(0, len(items), size)]


# -- timing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """How long `count` units of work took, with the latency of each call made."""

    count: int
    seconds: float
    latencies: Sequence[float] = field(default=(), repr=False)

    @property
    def rate(self) -> float:
        """Units per second over the whole run (not the mean of per-call rates)."""
        return self.count / self.seconds if self.seconds > 0 else math.inf

    def percentile(self, pct: float) -> float | None:
        """Latency (seconds) of one call at percentile `pct`, nearest-rank."""
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        rank = max(1, math.ceil(pct / 100 * len(ordered)))
        return ordered[rank - 1]


def time_calls(
    items: Iterable[T], call: Callable[[T], object], *, units: int | None = None
) -> Timing:
    """Call `call(item)` for each item, timing each call and the whole loop.

    Args:
        units: how many units of work the calls do in total (records in batches); default one
            per call.
    """
    clock = time.perf_counter
    latencies: list[float] = []
    started = clock()
    for item in items:
        before = clock()
        call(item)
        latencies.append(clock() - before)
    seconds = clock() - started
    return Timing(len(latencies) if units is None else units, seconds, latencies)


# -- figures and reporting ---------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One measured rate, with the target it must meet and the baseline it is compared to.

    `target` is an absolute minimum rate (a relative target is resolved by the caller, so the
    report shows the number that was actually required).
    """

    key: str
    label: str
    timing: Timing
    unit: str
    target: float | None = None
    target_text: str = ""
    baseline: float | None = None

    @property
    def value(self) -> float:
        return self.timing.rate

    @property
    def ratio_to_target(self) -> float | None:
        return self.value / self.target if self.target else None

    @property
    def ratio_to_baseline(self) -> float | None:
        return self.value / self.baseline if self.baseline else None

    @property
    def passed(self) -> bool | None:
        """None when there is no target to pass."""
        return None if self.target is None else self.value >= self.target

    def as_json(self) -> dict[str, Any]:
        p50, p99 = self.timing.percentile(50), self.timing.percentile(99)
        return {
            "value": round(self.value, 1),
            "unit": self.unit,
            "count": self.timing.count,
            "seconds": round(self.timing.seconds, 4),
            "p50_us": None if p50 is None else round(p50 * 1e6, 1),
            "p99_us": None if p99 is None else round(p99 * 1e6, 1),
            "target": None if self.target is None else round(self.target, 1),
            "ratio_to_target": _round(self.ratio_to_target),
            "ratio_to_baseline": _round(self.ratio_to_baseline),
            "passed": self.passed,
        }


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _latency(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds >= 0.1:
        return f"{seconds * 1e3:,.0f} ms"
    if seconds >= 0.001:
        return f"{seconds * 1e3:,.2f} ms"
    return f"{seconds * 1e6:,.0f} µs"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def render_table(
    console: Console, title: str, figures: Sequence[Figure], *, caption: str = ""
) -> None:
    """Print the figures as one Rich table: value, target, ratios, latencies and verdict."""
    table = Table(title=title, caption=caption or None, title_justify="left")
    table.add_column("Measure")
    table.add_column("Result", justify="right")
    table.add_column("Target", justify="right")
    table.add_column("vs target", justify="right")
    table.add_column("vs baseline", justify="right")
    table.add_column("p50", justify="right")
    table.add_column("p99", justify="right")
    table.add_column("Status")
    for fig in figures:
        status = status_markup(fig.passed, "no target")
        table.add_row(
            fig.label,
            f"{fig.value:,.0f} {fig.unit}",
            fig.target_text or ("-" if fig.target is None else f"≥ {fig.target:,.0f}"),
            _ratio(fig.ratio_to_target),
            _ratio(fig.ratio_to_baseline),
            _latency(fig.timing.percentile(50)),
            _latency(fig.timing.percentile(99)),
            status,
        )
    console.print(table)


def make_console() -> Console:
    """Console for tables on stdout; wide enough not to wrap when stdout is a pipe or file."""
    return Console(width=None if sys.stdout.isatty() else 160, highlight=False)


def emit_json(payload: dict[str, Any]) -> None:
    """The machine-readable result: one JSON object on one line, the last line of stdout.

    Plain `print`, not Rich, so nothing wraps, colours or reflows it.
    """
    sys.stdout.flush()
    print(json.dumps(payload, separators=(",", ":"), allow_nan=False), flush=True)


def source_revision() -> str | None:
    """The git commit of the code measured, with `+dirty` if `src/` has uncommitted changes.

    Figures are only comparable between runs of the same code, and the tree changes often;
    None when git (or the repository) is not there.
    """
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+dirty" if dirty else head


# -- scratch homes and databases ---------------------------------------------------------


@contextmanager
def scratch_dir(prefix: str = "tutela-bench-") -> Iterator[Path]:
    """A temporary directory, removed afterwards whatever happens."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def tutela_home(database_url: str | None = None) -> Iterator[Tutela]:
    """A fresh Tutela home with the example data map, in a temporary directory.

    `database_url=None` means the home's own SQLite file. The environment is passed in empty,
    so `TUTELA_*` variables of the shell running the benchmark cannot change what is measured.
    """
    with scratch_dir() as root:
        home = root / "home"
        settings = Settings.load(home, environ={}, database_url=database_url)
        tutela = Tutela.init(home, settings=settings)
        try:
            yield tutela
        finally:
            tutela.close()


class PostgresUnavailableError(RuntimeError):
    """PostgreSQL could not be reached (or refused us) with the URL given."""


def postgres_url() -> str:
    """The server to benchmark against, from `TUTELA_BENCH_POSTGRES_URL`."""
    return os.environ.get(POSTGRES_URL_ENV) or DEFAULT_POSTGRES_URL


def redact(url: str) -> str:
    """The URL with any password hidden, for printing."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<malformed URL>"


def probe_postgres(url: str, *, timeout_s: int = 3) -> str:
    """The server's version string; raises `PostgresUnavailableError` with the reason if it fails.

    A short connect timeout, so a missing server costs seconds, not the driver's default wait.
    """
    try:
        engine = create_engine(_admin_url(url), connect_args={"connect_timeout": timeout_s})
        try:
            with engine.connect() as conn:
                return str(conn.execute(text("SHOW server_version")).scalar_one())
        finally:
            engine.dispose()
    except (SQLAlchemyError, ValueError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise PostgresUnavailableError(reason) from None


@contextmanager
def postgres_schema(url: str, *, prefix: str = "bench") -> Iterator[str]:
    """A fresh schema `<prefix>_<random>` on the server; yields a URL whose connections use it.

    Each run gets its own schema so runs never see each other's rows (or an old migration), and
    the schema is dropped afterwards even when the benchmark fails. The URL carries
    `options=-csearch_path=<schema>`, so Tutela needs no schema support of its own.
    """
    schema = f"{prefix}_{secrets.token_hex(4)}"
    admin = create_engine(_admin_url(url), connect_args={"connect_timeout": 5})
    try:
        try:
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        except SQLAlchemyError as exc:
            raise PostgresUnavailableError(str(getattr(exc, "orig", None) or exc).strip()) from None
        try:
            yield _with_search_path(url, schema)
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        admin.dispose()


def _admin_url(url: str) -> URL:
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _with_search_path(url: str, schema: str) -> str:
    parsed = make_url(url)
    existing = parsed.query.get("options")
    if isinstance(existing, tuple):
        existing = " ".join(existing)
    option = f"-csearch_path={schema}"
    options = f"{existing} {option}" if existing else option
    return parsed.update_query_dict({"options": options}).render_as_string(hide_password=False)


def bench_parser(description: str | None, quick_help: str) -> argparse.ArgumentParser:
    """The options every bench script takes: --quick, --json, --backend, --require-postgres."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument(
        "--json", action="store_true", help="also print all figures as one JSON object, last line"
    )
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--require-postgres",
        action="store_true",
        help="fail (exit 2) instead of skipping PostgreSQL when it cannot be reached",
    )
    return parser


def run_facts(benchmark: str, quick: bool) -> dict[str, Any]:
    """What every result records about its run: which code, how loaded the machine was."""
    return {
        "benchmark": benchmark,
        "quick": quick,
        "revision": source_revision(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def keep_reachable_backends(
    backends: list[str],
    *,
    require_postgres: bool,
    out: Console,
    log: Console,
    result: dict[str, Any],
) -> bool:
    """Drop PostgreSQL from `backends` (noting why in `result`) if it cannot be reached.

    Returns False when PostgreSQL is required and unreachable: the script should exit 2.
    """
    if "postgres" not in backends:
        return True
    url = postgres_url()
    try:
        result["postgres_version"] = probe_postgres(url)
    except PostgresUnavailableError as exc:
        message = f"PostgreSQL at {redact(url)} is not reachable: {exc}"
        if require_postgres:
            log.print(f"[bold red]error:[/bold red] {message}")
            return False
        out.print(f"[yellow]{message} — skipping PostgreSQL[/yellow]")
        backends.remove("postgres")
        result["backends"]["postgres"] = {"skipped": str(exc)}
    return True


def status_markup(passed: bool | None, without_target: str) -> str:
    """PASS / FAIL / a dim label for a figure without a target, as Rich markup."""
    if passed is None:
        return f"[dim]{without_target}[/dim]"
    return "[green]PASS[/green]" if passed else "[bold red]FAIL[/bold red]"
