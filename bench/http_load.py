"""HTTP load: requests/s and latency of `tutela serve` over loopback, next to a bare FastAPI
endpoint served the same way in the same run.

    python bench/http_load.py                    # 3 rounds of 4 s per measure, both backends
    python bench/http_load.py --quick            # 2 rounds of 1.5 s, under a minute
    python bench/http_load.py --backend sqlite --json

Each server is a real `tutela serve --workers 2` (uvicorn, uvloop, httptools) on a fresh home
seeded with a few thousand customers through the SDK (not timed), on SQLite (WAL) and on
PostgreSQL (a fresh schema per run, from `TUTELA_BENCH_POSTGRES_URL`). One client process, apart
from the servers, keeps a fixed number of HTTP/1.1 connections busy for a fixed time (on uvloop)
with `GET /v1/subjects/{id}?purpose=order_fulfilment`, or `POST /v1/subjects`, or the bare
endpoint; the start of each measure is warm-up and not counted.

Measures come in rounds: the bare endpoint, GET and POST, one after the other (in reverse order
every other round). Each round's ratio compares measures taken seconds apart, and the figure
judged against the target is the median of the rounds' ratios: this machine's speed drifts by
as much as ±20% within minutes, which one baseline measured at the start would fold into every
ratio. The requests/s, latencies and CPU shown are over all rounds.

The client is a lean HTTP/1.1 client on asyncio (keep-alive, Content-Length framing, requests
encoded up front). `--client httpx2` uses `httpx2.AsyncClient` instead (one per connection),
but it costs about 3 ms of CPU per request on a small machine: it saturates its core at a few
hundred requests/s, so the bare baseline then measures the client, not the server, and every
ratio is flattered. The table shows the CPU used by the servers, the client and everything else
(PostgreSQL, other processes) during each measure; a busy machine shows up there.

Why a baseline: absolute rates depend on the machine, and here the client and both servers
share its CPUs. The bare app (`_bare_app.py`: one endpoint returning a small JSON object) is
served the same way (uvicorn, uvloop, httptools, 2 workers, each on a socket of its own) and
driven by the same client, so the ratio is what Tutela's own work per request costs. Targets:
GET >= 35% and POST >= 20% of the bare endpoint's requests/s, with no errors (transport errors
or unexpected statuses).

The per-key rate limit is raised for the run (`TUTELA_API_RATE_LIMIT`): its default, 6000 a
minute per key and server process, would otherwise be what is measured. The servers' access
log (stdout) goes to /dev/null. Exit status 0 whether or not targets are met; 1 if a server
does not start; 2 if `--require-postgres` is given and PostgreSQL is unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import (
    AbstractAsyncContextManager,
    ExitStack,
    asynccontextmanager,
    contextmanager,
    suppress,
)
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any, cast

import httpx2
from rich.console import Console
from rich.table import Table

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
    status_markup,
    tutela_home,
)

BENCH_DIR = Path(__file__).resolve().parent
HOST = "127.0.0.1"
WORKERS = 2
PURPOSE = "order_fulfilment"
RATE_LIMIT = "100000000/minute"
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
CLIENTS = {"raw": "a lean asyncio client", "httpx2": "httpx2.AsyncClient per connection"}
TARGETS = {"get": 0.35, "post": 0.20}
"""Minimum requests/s as a fraction of the bare endpoint's, measured in the same run."""


@dataclass(frozen=True)
class Sizes:
    rounds: int  # each round measures the bare endpoint, GET and POST once
    seconds: float  # measured, per figure and round
    warmup: float  # before each measure, not counted
    seeded: int  # customers stored before the servers start (read by GET)
    bodies: int  # distinct customers POSTed (cycled)
    concurrency: int  # connections kept busy by the client


FULL = Sizes(rounds=3, seconds=4.0, warmup=1.0, seeded=5_000, bodies=2_000, concurrency=32)
QUICK = Sizes(rounds=2, seconds=1.5, warmup=0.5, seeded=2_000, bodies=1_000, concurrency=32)


# -- the client (runs in a process of its own) -------------------------------------------


@dataclass(frozen=True)
class Load:
    """One measure: `concurrency` connections sending requests back to back."""

    base_url: str
    paths: Sequence[str]  # cycled
    bodies: Sequence[bytes]  # cycled; empty for GET
    headers: Mapping[str, str]
    expect: int  # the status every response must have
    client: str  # "raw" or "httpx2"
    concurrency: int
    seconds: float
    warmup: float


@dataclass(frozen=True)
class LoadResult:
    timing: Timing  # responses with the expected status completed inside the measured window
    errors: Mapping[str, int]  # transport errors and unexpected statuses, warm-up included
    sent: int
    client_cpu: float  # the client process's CPU time over wall time (1.0 = one core)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


class ResponseError(Exception):
    """The server answered something this client cannot frame, or closed the connection."""


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection carrying one request at a time.

    Only what the two servers send is understood: responses framed by Content-Length. That
    costs a few dozen microseconds of CPU per request, against milliseconds for httpx2, and
    the CPU the client does not burn is left to the servers it shares the machine with.
    """

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._waiter: asyncio.Future[int] | None = None
        self.closed = False

    @classmethod
    async def open(cls, host: str, port: int) -> _Connection:
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_connection(cls, host, port)
        return protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(ResponseError("connection closed by the server"))

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self._waiter is None or self._waiter.done():
            return
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        lines = self._buffer[:end].decode("latin-1").split("\r\n")
        length: int | None = None
        close = False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection":
                close = value.strip().lower() == "close"
        if length is None:
            self._waiter.set_exception(ResponseError("response without Content-Length"))
            return
        if len(self._buffer) < end + 4 + length:
            return
        del self._buffer[: end + 4 + length]
        self._waiter.set_result(int(lines[0].split(" ", 2)[1]))
        if close:
            self.close()

    async def request(self, data: bytes, timeout: float) -> int:
        """Send one request; the response's status."""
        if self.closed or self._transport is None:
            raise ResponseError("connection closed")
        self._waiter = asyncio.get_running_loop().create_future()
        self._transport.write(data)
        async with asyncio.timeout(timeout):
            return await self._waiter

    def close(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.close()


def run_load(load: Load) -> LoadResult:
    """Drive one load to completion (in the client process), on uvloop when it is there."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(_drive(load))
    return uvloop.run(_drive(load))


async def _drive(load: Load) -> LoadResult:
    clock = time.perf_counter
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    sent = 0
    turn = itertools.count()
    send = _raw_sender(load) if load.client == "raw" else _httpx2_sender(load)
    started, cpu_started = clock(), time.process_time()
    window_start = started + load.warmup
    window_end = window_start + load.seconds

    async def user() -> None:
        nonlocal sent
        async with send() as request:
            while clock() < window_end:
                n = next(turn)
                before = clock()
                sent += 1
                try:
                    status = await request(n)
                except (OSError, TimeoutError, ResponseError, httpx2.HTTPError) as exc:
                    errors[type(exc).__name__] += 1
                    await asyncio.sleep(0.01)  # do not spin on a refused connection
                    continue
                after = clock()
                if status != load.expect:
                    errors[f"HTTP {status}"] += 1
                elif window_start <= after <= window_end:
                    latencies.append(after - before)

    await asyncio.gather(*(user() for _ in range(load.concurrency)))
    wall, cpu = clock() - started, time.process_time() - cpu_started
    return LoadResult(
        Timing(len(latencies), load.seconds, latencies), dict(errors), sent, cpu / wall
    )


Request = Callable[[int], Awaitable[int]]
"""Send request number `n` (paths and bodies are cycled); the response's status."""

TIMEOUT_S = 30.0


def _raw_sender(load: Load) -> Callable[[], AbstractAsyncContextManager[Request]]:
    """Per user: one `_Connection`, reopened after an error; requests encoded up front."""
    url = httpx2.URL(load.base_url)
    host, port = url.host, url.port or 80
    common = f"Host: {host}:{port}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in load.headers.items())
    if load.bodies:
        path = load.paths[0]
        encoded = [
            (
                f"POST {path} HTTP/1.1\r\n{common}Content-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            + body
            for body in load.bodies
        ]
    else:
        encoded = [f"GET {path} HTTP/1.1\r\n{common}\r\n".encode() for path in load.paths]

    @asynccontextmanager
    async def user() -> AsyncIterator[Request]:
        connection: _Connection | None = None

        async def request(n: int) -> int:
            nonlocal connection
            if connection is None or connection.closed:
                connection = await _Connection.open(host, port)
            try:
                return await connection.request(encoded[n % len(encoded)], TIMEOUT_S)
            except BaseException:
                connection.close()
                raise

        try:
            yield request
        finally:
            if connection is not None:
                connection.close()

    return user


def _httpx2_sender(load: Load) -> Callable[[], AbstractAsyncContextManager[Request]]:
    """Per user: an `httpx2.AsyncClient` of its own (one shared pool of 32 connections spends
    its time in the pool's bookkeeping and collapses to a few hundred requests/s)."""
    headers = dict(load.headers)
    if load.bodies:
        headers["content-type"] = "application/json"
    limits = httpx2.Limits(max_connections=1, max_keepalive_connections=1)

    @asynccontextmanager
    async def user() -> AsyncIterator[Request]:
        async with httpx2.AsyncClient(
            base_url=load.base_url,
            headers=headers,
            http1=True,
            http2=False,
            limits=limits,
            timeout=httpx2.Timeout(TIMEOUT_S),
        ) as client:

            async def request(n: int) -> int:
                if load.bodies:
                    body = load.bodies[n % len(load.bodies)]
                    response = await client.post(load.paths[0], content=body)
                else:
                    response = await client.get(load.paths[n % len(load.paths)])
                return response.status_code

            yield request

    return user


def _client_ready() -> None:
    """Submitted once at start: the client process imports everything before any measure."""


# -- servers -----------------------------------------------------------------------------


class ServerFailedError(RuntimeError):
    """A server did not start (or not in time); the message ends with its stderr."""


@dataclass
class Served:
    name: str
    base_url: str
    stderr_path: Path
    problems: int = field(default=0)  # tracebacks and error lines in its stderr, after the run

    def worker_pids(self) -> list[int]:
        text = self.stderr_path.read_text("utf-8", errors="replace")
        return [int(pid) for pid in re.findall(r"Started server process \[(\d+)\]", text)]


@dataclass(frozen=True)
class CpuUse:
    """Cores busy during a measure (1.0 = one core): the server's workers, the whole machine."""

    servers: float
    machine: float


def _process_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of all CPUs since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def drive(client: Executor, served: Served, load: Load) -> tuple[LoadResult, CpuUse | None]:
    """Run `load` in the client process; with the CPU the servers and the machine used
    meanwhile (Linux `/proc`; None elsewhere)."""
    pids = served.worker_pids()
    try:
        before = ([_process_ticks(p) for p in pids], _machine_ticks(), time.monotonic())
    except (OSError, ValueError, IndexError):
        return client.submit(run_load, load).result(), None
    result = client.submit(run_load, load).result()
    try:
        after = ([_process_ticks(p) for p in pids], _machine_ticks(), time.monotonic())
    except (OSError, ValueError, IndexError):
        return result, None
    tick = os.sysconf("SC_CLK_TCK")
    wall = after[2] - before[2]
    servers = (sum(after[0]) - sum(before[0])) / tick / wall
    busy, total = after[1][0] - before[1][0], after[1][1] - before[1][1]
    machine = busy / total * (os.cpu_count() or 1) if total else 0.0
    return result, CpuUse(servers, machine)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def server_env(database_url: str | None) -> dict[str, str]:
    """The shell's environment without its `TUTELA_*`, plus what this run sets."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUTELA_")}
    env["TUTELA_API_RATE_LIMIT"] = RATE_LIMIT
    if database_url is not None:
        env["TUTELA_DATABASE_URL"] = database_url
    return env


@contextmanager
def serving(
    name: str, command: Sequence[str], env: Mapping[str, str], ready_path: str, logs: Path
) -> Iterator[Served]:
    """Run a uvicorn server (`--workers 2`) until the block ends; ready once `ready_path`
    answers 200 and every worker has started. Stopped with SIGINT, killed if it hangs."""
    port = int(command[command.index("--port") + 1])
    served = Served(name, f"http://{HOST}:{port}", logs / f"{name}.stderr")
    with served.stderr_path.open("wb") as err:
        proc = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=err, env=dict(env), start_new_session=True
        )
    try:
        _wait_ready(proc, served, ready_path)
        yield served
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=STOP_TIMEOUT_S)
        text = served.stderr_path.read_text("utf-8", errors="replace")
        served.problems = text.count("Traceback") + sum(map(_is_error, text.splitlines()))


def _is_error(line: str) -> bool:
    """An error line of uvicorn's plain log (the bare app) or of Tutela's JSON log."""
    if line.startswith("ERROR"):
        return True
    if not line.startswith("{"):
        return False
    with suppress(ValueError):
        return json.loads(line).get("level") in ("ERROR", "CRITICAL")
    return False


def _wait_ready(proc: subprocess.Popen[bytes], served: Served, ready_path: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    answered = False
    while time.monotonic() < deadline:
        stderr = served.stderr_path.read_text("utf-8", errors="replace")
        if proc.poll() is not None:
            raise ServerFailedError(f"{served.name} exited ({proc.returncode}):\n{stderr}")
        if not answered:
            with suppress(httpx2.HTTPError):
                answered = httpx2.get(served.base_url + ready_path, timeout=2).status_code == 200
        if answered and stderr.count("Application startup complete") >= WORKERS:
            return
        time.sleep(0.1)
    raise ServerFailedError(
        f"{served.name} not ready in {READY_TIMEOUT_S:.0f} s:\n"
        + served.stderr_path.read_text("utf-8", errors="replace")
    )


# -- the measures ------------------------------------------------------------------------


@contextmanager
def serving_bare(logs: Path) -> Iterator[Served]:
    """The bare endpoint, served for the whole run (measured in every round)."""
    port = free_port()
    command = [sys.executable, str(BENCH_DIR / "_bare_app.py"), "--host", HOST]
    command += ["--port", str(port), "--workers", str(WORKERS)]
    with serving("bare", command, server_env(None), "/ping", logs) as served:
        yield served


@dataclass
class Rounds:
    """One backend's measures, round by round: the bare endpoint, GET and POST."""

    measured: dict[str, list[Measured]] = field(
        default_factory=lambda: {"bare": [], "get": [], "post": []}
    )

    def ratios(self, key: str) -> list[float]:
        """`key`'s requests/s over the bare endpoint's, per round."""
        return [
            m[0].timing.rate / b[0].timing.rate
            for m, b in zip(self.measured[key], self.measured["bare"], strict=True)
            if b[0].timing.rate > 0
        ]

    def combined(self, key: str) -> Measured:
        return combine(self.measured[key])


def measure_tutela(
    client: Executor,
    kind: str,
    database_url: str | None,
    name: str,
    bare: Served,
    seeded: Sequence[dict[str, Any]],
    bodies: Sequence[bytes],
    sizes: Sizes,
    log: Console,
) -> tuple[Rounds, Served]:
    """Seed a fresh home through the SDK, serve it, then measure round by round: the bare
    endpoint, GET and POST (in reverse order every other round), so each ratio compares
    measures taken seconds apart."""
    with tutela_home(database_url) as vault:
        log.print(f"{name}: seeding {len(seeded):,} customers through the SDK …")
        ids: list[str] = []
        for batch in chunks(seeded, 1_000):
            ids.extend(vault.add_many(batch))
        _, key = vault.create_api_key(name="http-load", role="admin")
        home = vault.settings.home
        vault.close()  # the servers own the home now

        command = [sys.executable, "-m", "tutela", "serve", "--home", str(home)]
        command += ["--host", HOST, "--port", str(free_port()), "--workers", str(WORKERS)]
        paths = [f"/v1/subjects/{i}?purpose={PURPOSE}" for i in ids]
        random.Random(SEED).shuffle(paths)
        headers = {"authorization": f"Bearer {key}"}
        env = server_env(database_url)
        shape = (kind, sizes.concurrency, sizes.seconds, sizes.warmup)
        with serving(name, command, env, "/readyz", home.parent) as served:
            loads = {
                "bare": (bare, Load(bare.base_url, ("/ping",), (), {}, 200, *shape)),
                "get": (served, Load(served.base_url, paths, (), headers, 200, *shape)),
                "post": (
                    served,
                    Load(served.base_url, ("/v1/subjects",), bodies, headers, 201, *shape),
                ),
            }
            rounds = Rounds()
            each = sizes.warmup + sizes.seconds
            for number in range(sizes.rounds):
                log.print(f"{name}: round {number + 1} of {sizes.rounds}, {3 * each:.1f} s …")
                order = ("bare", "get", "post") if number % 2 == 0 else ("post", "get", "bare")
                for measure in order:
                    server, load = loads[measure]
                    rounds.measured[measure].append(drive(client, server, load))
    return rounds, served


Measured = tuple[LoadResult, CpuUse | None]


def combine(measures: Sequence[Measured]) -> Measured:
    """Several rounds of one measure as one: counts, latencies and errors added up, CPU use
    averaged."""
    results = [m[0] for m in measures]
    timing = Timing(
        sum(r.timing.count for r in results),
        sum(r.timing.seconds for r in results),
        [x for r in results for x in r.timing.latencies],
    )
    errors: Counter[str] = Counter()
    for r in results:
        errors.update(r.errors)
    n = len(results)
    result = LoadResult(
        timing, dict(errors), sum(r.sent for r in results), sum(r.client_cpu for r in results) / n
    )
    cpus = [m[1] for m in measures if m[1] is not None]
    if len(cpus) < n:  # not read for some round (no /proc)
        return result, None
    return result, CpuUse(sum(c.servers for c in cpus) / n, sum(c.machine for c in cpus) / n)


# -- reporting ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    measured: Measured
    target_ratio: float | None = None  # of the baseline's requests/s
    baseline: float | None = None  # the bare endpoint's requests/s over the same rounds
    ratios: Sequence[float] = ()  # requests/s over the bare endpoint's, round by round

    @property
    def result(self) -> LoadResult:
        return self.measured[0]

    @property
    def cpu(self) -> CpuUse | None:
        return self.measured[1]

    @property
    def other_cpu(self) -> float | None:
        """Cores busy with neither the servers' workers nor the client (PostgreSQL, others)."""
        if self.cpu is None:
            return None
        return max(0.0, self.cpu.machine - self.cpu.servers - self.result.client_cpu)

    @property
    def rate(self) -> float:
        return self.result.timing.rate

    @property
    def ratio(self) -> float | None:
        """The median of the rounds' ratios: each compares measures taken seconds apart, so
        the machine's drift over the run (often ±20% here) cancels out of it."""
        if self.ratios:
            return statistics.median(self.ratios)
        return self.rate / self.baseline if self.baseline else None

    @property
    def target(self) -> float | None:
        if self.target_ratio is None or self.baseline is None:
            return None
        return self.target_ratio * self.baseline

    @property
    def passed(self) -> bool | None:
        if self.target_ratio is None or self.ratio is None:
            return None
        return self.ratio >= self.target_ratio and self.result.error_count == 0

    def as_json(self) -> dict[str, Any]:
        timing = self.result.timing
        p50, p99 = timing.percentile(50), timing.percentile(99)
        return {
            "requests_per_s": round(self.rate, 1),
            "count": timing.count,
            "seconds": timing.seconds,
            "p50_ms": None if p50 is None else round(p50 * 1e3, 2),
            "p99_ms": None if p99 is None else round(p99 * 1e3, 2),
            "errors": self.result.error_count,
            "error_kinds": dict(self.result.errors),
            "sent": self.result.sent,
            "cpu_cores": {
                "servers": None if self.cpu is None else round(self.cpu.servers, 2),
                "client": round(self.result.client_cpu, 2),
                "other": None if self.other_cpu is None else round(self.other_cpu, 2),
                "machine": None if self.cpu is None else round(self.cpu.machine, 2),
            },
            "target_ratio": self.target_ratio,
            "target": None if self.target is None else round(self.target, 1),
            "ratio_to_baseline": None if self.ratio is None else round(self.ratio, 3),
            "ratios_per_round": [round(r, 3) for r in self.ratios],
            "passed": self.passed,
        }


def render(console: Console, title: str, figures: Sequence[Figure], caption: str) -> None:
    table = Table(title=title, caption=caption, title_justify="left")
    for name, justify in (
        ("Measure", "left"),
        ("Requests/s", "right"),
        ("Target", "right"),
        ("vs bare", "right"),
        ("p50", "right"),
        ("p99", "right"),
        ("Errors", "right"),
        ("CPU srv/cli/other", "right"),
        ("Status", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for fig in figures:
        status = status_markup(fig.passed, "baseline")
        timing = fig.result.timing
        table.add_row(
            fig.label,
            f"{fig.rate:,.0f}",
            "-" if fig.target is None else f"≥ {fig.target:,.0f} ({fig.target_ratio:.0%})",
            "-" if fig.ratio is None else f"{fig.ratio:.0%}",
            _ms(timing.percentile(50)),
            _ms(timing.percentile(99)),
            f"{fig.result.error_count:,}"
            if not fig.result.error_count
            else f"[bold red]{fig.result.error_count:,}[/bold red]",
            _cores(fig),
            status,
        )
    console.print(table)


def _cores(fig: Figure) -> str:
    client = f"{fig.result.client_cpu:.2f}"
    if fig.cpu is None or fig.other_cpu is None:
        return f"-/{client}/-"
    return f"{fig.cpu.servers:.2f}/{client}/{fig.other_cpu:.2f}"


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:,.1f} ms"


# -- main --------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    description = __doc__.split("\n\n")[0] if __doc__ else None
    parser = bench_parser(description, "2 rounds of 1.5 s per measure; under a minute")
    parser.add_argument(
        "--client",
        choices=("raw", "httpx2"),
        default="raw",
        help="load generator: a lean HTTP/1.1 client (default) or httpx2.AsyncClient",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = QUICK if args.quick else FULL
    out = make_console()
    log = Console(stderr=True, highlight=False)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    result: dict[str, Any] = {
        **run_facts("http_load", args.quick),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "workers": WORKERS,
        "sizes": asdict(sizes),
        "rate_limit": RATE_LIMIT,
        "client": args.client,
        "targets": TARGETS,
        "backends": {},
    }

    pg_url = postgres_url()
    if not keep_reachable_backends(
        backends, require_postgres=args.require_postgres, out=out, log=log, result=result
    ):
        return 2

    if not backends:
        out.print("nothing left to measure")
        result["passed"] = None
        if args.json:
            emit_json(result)
        return 0

    out.print(
        f"tutela {result['revision'] or '(revision unknown)'}, Python {result['python']}, "
        f"{result['cpus']} CPUs, load average {result['load_average'][0]:.2f} at start"
        + (f", PostgreSQL {result['postgres_version']}" if "postgres" in backends else "")
    )
    out.print(
        f"[bold]Note:[/bold] one client process ({CLIENTS[args.client]}, HTTP/1.1, uvloop, "
        f"{sizes.concurrency} "
        f"connections) and the {WORKERS} server workers share these {result['cpus']} CPUs; "
        f"the CPU columns show who used them (in cores). "
        f"{sizes.rounds} rounds of {sizes.seconds:g} s per measure, each after "
        f"{sizes.warmup:g} s of warm-up; "
        f"rate limit raised to {RATE_LIMIT}."
    )
    customers = generate_customers(sizes.seeded + sizes.bodies)
    seeded = customers[: sizes.seeded]
    bodies = [json.dumps(c, separators=(",", ":")).encode() for c in customers[sizes.seeded :]]

    with (
        ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as client,
        scratch_dir("tutela-http-") as logs,
        ExitStack() as stack,
    ):
        client.submit(_client_ready).result()
        try:
            bare = stack.enter_context(serving_bare(logs))
        except ServerFailedError as exc:
            log.print(f"[bold red]error:[/bold red] {exc}")
            return 1

        for backend in backends:
            name = "SQLite (WAL)" if backend == "sqlite" else "PostgreSQL"
            try:
                if backend == "sqlite":
                    rounds, served = measure_tutela(
                        client, args.client, None, backend, bare, seeded, bodies, sizes, log
                    )
                else:
                    with postgres_schema(pg_url, prefix="bench_http") as url:
                        rounds, served = measure_tutela(
                            client, args.client, url, backend, bare, seeded, bodies, sizes, log
                        )
            except PostgresUnavailableError as exc:
                if args.require_postgres:
                    log.print(f"[bold red]error:[/bold red] PostgreSQL failed: {exc}")
                    return 2
                out.print(f"[yellow]PostgreSQL failed: {exc} — skipping it[/yellow]")
                result["backends"][backend] = {"skipped": str(exc)}
                continue
            except ServerFailedError as exc:
                log.print(f"[bold red]error:[/bold red] {exc}")
                return 1
            bare_fig = Figure("bare", "bare FastAPI GET /ping (baseline)", rounds.combined("bare"))
            baseline = bare_fig.rate
            figures = [
                bare_fig,
                Figure(
                    "get",
                    f"GET /v1/subjects/{{id}}?purpose={PURPOSE}",
                    rounds.combined("get"),
                    TARGETS["get"],
                    baseline,
                    rounds.ratios("get"),
                ),
                Figure(
                    "post",
                    "POST /v1/subjects",
                    rounds.combined("post"),
                    TARGETS["post"],
                    baseline,
                    rounds.ratios("post"),
                ),
            ]
            caption = (
                f"{len(seeded):,} customers seeded; {WORKERS} workers; {sizes.rounds} rounds of "
                f"the bare endpoint, GET and POST; 'vs bare' is the median of the rounds' "
                f"ratios, and the targets are of it, with zero errors; CPU in cores: the "
                f"servers' workers / the client / everything else (PostgreSQL, other processes)"
                + (
                    f"; [red]{served.problems} error(s) in the server log[/red]"
                    if served.problems
                    else ""
                )
            )
            title = f"tutela serve on {name}{' (quick)' if args.quick else ''}"
            render(out, title, figures, caption)
            verdicts = [f.passed for f in figures if f.passed is not None]
            result["backends"][backend] = {
                "baseline": bare_fig.as_json(),
                "figures": {f.key: f.as_json() for f in figures if f.key != "bare"},
                "server_problems": served.problems,
                "passed": all(verdicts) and served.problems == 0,
            }
        stack.close()  # stop the bare server: its log is read when it stops
        result["bare_server_problems"] = bare.problems

    measured = [b for b in result["backends"].values() if "passed" in b]
    result["passed"] = all(b["passed"] for b in measured) if measured else None
    if args.json:
        emit_json(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
