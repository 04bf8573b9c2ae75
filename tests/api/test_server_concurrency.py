"""`tutela serve` for real: two worker processes, eight concurrent clients, then the books.

The server runs as `python -m tutela serve --workers 2` on 127.0.0.1, on the home's SQLite file
and on PostgreSQL. Clients write canary customers (and read some back) for a few seconds, then
the server is stopped and everything it acknowledged is checked through the SDK: each id reads
back with the values sent, every write left exactly one `subject.add` audit entry, the chain
verifies, nothing failed with a 5xx or a dropped connection, and the access log is one JSON
object per request with route templates only (no subject id, no personal value).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tutela import Settings, Tutela
from tutela.testing import PiiCanary

pytestmark = pytest.mark.slow

HOST = "127.0.0.1"
WORKERS = 2
CLIENTS = 8
LOAD_SECONDS = 3.0
MAX_WRITES_PER_CLIENT = 150  # bounds the run (and the canary scans) on a fast machine
READ_EVERY = 4  # every 4th write is read back at once
RECONNECT_EVERY = 20  # new connections, so the kernel spreads clients over both workers
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0
PURPOSE = "order_fulfilment"
LOG_FIELDS = {"event", "request_id", "key_id", "method", "route", "status", "duration_ms"}
ROUTES = {"/readyz", "/v1/subjects", "/v1/subjects/{subject_id}"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def cpu_ticks(pid: int) -> int | None:
    """User + system CPU time of a process in clock ticks (Linux `/proc`); None elsewhere."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after "(comm)", which may hold spaces
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)


@dataclass
class Server:
    """`tutela serve` in a subprocess of its own session; output goes to files."""

    home: Path
    database_url: str | None
    logs: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def stdout_path(self) -> Path:
        return self.logs / "server.stdout"

    @property
    def stderr_path(self) -> Path:
        return self.logs / "server.stderr"

    def stdout(self) -> str:
        return self.stdout_path.read_text("utf-8", errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text("utf-8", errors="replace")

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TUTELA_")}
        if self.database_url is not None:
            env["TUTELA_DATABASE_URL"] = self.database_url
        command = [sys.executable, "-m", "tutela", "serve", "--home", str(self.home)]
        command += ["--host", HOST, "--port", str(self.port), "--workers", str(WORKERS)]
        self.logs.mkdir(parents=True, exist_ok=True)
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.proc = subprocess.Popen(
                command, stdout=out, stderr=err, env=env, start_new_session=True
            )

    def wait_ready(self) -> None:
        """Until /readyz answers 200 and every worker has finished its start-up."""
        assert self.proc is not None
        deadline = time.monotonic() + READY_TIMEOUT_S
        ready = False
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(
                    f"server exited ({self.proc.returncode}) before it was ready:\n{self.stderr()}"
                )
            if not ready:
                with contextlib.suppress(httpx2.TransportError):
                    ready = httpx2.get(f"{self.base_url}/readyz", timeout=2).status_code == 200
            if ready and self.stderr().count("Application startup complete.") >= WORKERS:
                return
            time.sleep(0.1)
        pytest.fail(f"server not ready within {READY_TIMEOUT_S:.0f} s:\n{self.stderr()}")

    def worker_pids(self) -> list[int]:
        return [int(p) for p in re.findall(r"Started server process \[(\d+)\]", self.stderr())]

    def stop(self) -> int:
        """SIGINT (Ctrl+C), as an operator would; the exit status. Kills it if it hangs."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=STOP_TIMEOUT_S)
                pytest.fail(f"server ignored SIGINT for {STOP_TIMEOUT_S:.0f} s:\n{self.stderr()}")
        return int(self.proc.returncode)

    def kill(self) -> None:
        """Last resort in teardown: the whole session (the server and its workers)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=STOP_TIMEOUT_S)


@dataclass
class ClientLog:
    """What one client sent and what came back."""

    acked: dict[str, str] = field(default_factory=dict)  # subject id -> email sent
    writes: Counter[int] = field(default_factory=Counter)  # status -> count
    reads: Counter[int] = field(default_factory=Counter)
    read_mismatches: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # transport errors (no response)


def run_client(
    number: int,
    base_url: str,
    key: str,
    canary: PiiCanary,
    start: threading.Barrier,
    log: ClientLog,
) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    start.wait()
    deadline = time.monotonic() + LOAD_SECONDS
    client = httpx2.Client(base_url=base_url, headers=headers, timeout=20)
    try:
        for k in range(MAX_WRITES_PER_CLIENT):
            if time.monotonic() >= deadline:
                break
            if k and k % RECONNECT_EVERY == 0:
                client.close()
                client = httpx2.Client(base_url=base_url, headers=headers, timeout=20)
            customer = canary.customer(number * MAX_WRITES_PER_CLIENT + k)
            try:
                response = client.post("/v1/subjects", json=customer)
            except httpx2.TransportError as exc:
                log.errors.append(f"POST: {type(exc).__name__}")
                continue
            log.writes[response.status_code] += 1
            if response.status_code != 201:
                continue
            subject_id = response.json()["id"]
            log.acked[subject_id] = customer["email"]
            if k % READ_EVERY:
                continue
            try:
                read = client.get(f"/v1/subjects/{subject_id}", params={"purpose": PURPOSE})
            except httpx2.TransportError as exc:
                log.errors.append(f"GET: {type(exc).__name__}")
                continue
            log.reads[read.status_code] += 1
            if read.status_code == 200 and read.json()["id"] != subject_id:
                log.read_mismatches.append(subject_id)
    finally:
        client.close()


@pytest.fixture
def server(
    tutela: Tutela, settings: Settings, database_url: str | None, tmp_path: Path
) -> Iterator[tuple[Server, dict[str, str]]]:
    """A served home with an admin key and a support key (made through the SDK, then closed)."""
    admin, admin_key = tutela.create_api_key(name="load-admin", role="admin")
    support, support_key = tutela.create_api_key(name="load-support", role="support")
    tutela.close()
    served = Server(settings.home, database_url, tmp_path / "logs")
    served.start()
    try:
        served.wait_ready()
        yield served, {admin.id: admin_key, support.id: support_key}
    finally:
        served.kill()


def test_two_workers_under_concurrent_writes_lose_nothing(
    server: tuple[Server, dict[str, str]], settings: Settings, canary: PiiCanary
) -> None:
    served, keys = server
    workers = served.worker_pids()
    assert len(workers) == WORKERS, served.stderr()
    cpu_before = {pid: cpu_ticks(pid) for pid in workers}

    key_texts = list(keys.values())
    logs = [ClientLog() for _ in range(CLIENTS)]
    barrier = threading.Barrier(CLIENTS)
    threads = [
        threading.Thread(
            target=run_client,
            args=(n, served.base_url, key_texts[n % 2], canary, barrier, logs[n]),
            name=f"client-{n}",
        )
        for n in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=LOAD_SECONDS + 60)
    assert not any(t.is_alive() for t in threads), "a client hung"

    cpu_after = {pid: cpu_ticks(pid) for pid in workers}
    exit_status = served.stop()
    stderr = served.stderr()

    acked: dict[str, str] = {}
    writes: Counter[int] = Counter()
    reads: Counter[int] = Counter()
    for log in logs:
        acked.update(log.acked)
        writes.update(log.writes)
        reads.update(log.reads)
    errors = [e for log in logs for e in log.errors]
    mismatches = [m for log in logs for m in log.read_mismatches]

    # The clients' view: every request answered, every write stored, every read right.
    assert not errors, f"{len(errors)} request(s) got no response: {Counter(errors)}\n{stderr}"
    assert not [s for s in (*writes, *reads) if s >= 500], f"5xx: {writes=} {reads=}\n{stderr}"
    assert set(writes) == {201}, f"writes: {dict(writes)}"
    assert set(reads) == {200}, f"reads: {dict(reads)}"
    assert not mismatches
    assert len(acked) == writes[201], "two writes were acknowledged with the same id"
    assert len(acked) >= CLIENTS * 5, f"only {len(acked)} writes in {LOAD_SECONDS} s"
    assert exit_status == 0, f"server exit status {exit_status}:\n{stderr}"
    assert "Traceback" not in stderr, stderr
    assert not canary.leaks([stderr]), "canary value in the server's stderr"
    # The server's own messages (uvicorn's, the supervisor's, Tutela's): one JSON object each.
    server_lines = [json.loads(line) for line in stderr.splitlines()]
    assert {frozenset(e) for e in server_lines} == {
        frozenset({"time", "level", "logger", "message"})
    }
    assert any(e["message"] == "Application startup complete." for e in server_lines)

    # Both workers did work (a worker that served requests burns well over 0.1 s of CPU).
    if None not in cpu_before.values() and None not in cpu_after.values():
        used = {pid: (cpu_after[pid] or 0) - (cpu_before[pid] or 0) for pid in workers}
        tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        idle = [pid for pid, ticks in used.items() if ticks < tick // 10]
        assert not idle, f"worker(s) {idle} served nothing (CPU ticks used: {used})"

    # The books: each acknowledged write is there, audited once, and the chain holds.
    with Tutela.open(settings=settings) as vault:
        added = [e for e in vault.audit_entries() if e.event.action == "subject.add"]
        assert len(added) == len(acked)
        assert {e.event.subject_id for e in added} == set(acked)
        assert {e.event.actor for e in added} == set(keys), "writes audited under other actors"
        records = vault.read_many(list(acked), purpose=PURPOSE, role="admin")
        assert set(records) == set(acked), f"{len(set(acked) - set(records))} ids unreadable"
        wrong = [i for i, email in acked.items() if records[i]["email"] != email]
        assert not wrong, f"{len(wrong)} subject(s) read back with another's values"
        report = vault.verify_audit()
        assert report.ok, report

    # The access log: one JSON object per request, route templates only, no personal data.
    lines = served.stdout().splitlines()
    entries: list[dict[str, Any]] = []
    for line in lines:
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"access log line is not JSON: {line[:200]!r}")
    fields = {frozenset(e) for e in entries}
    assert fields == {frozenset(LOG_FIELDS)}, (
        f"access log fields changed (review for PII): {fields}"
    )
    routes = Counter(e["route"] for e in entries)
    assert set(routes) <= ROUTES, f"unexpected routes in the access log: {set(routes) - ROUTES}"
    assert not [e for e in entries if any(i in str(e["route"]) for i in acked)]
    served_writes = [e for e in entries if e["route"] == "/v1/subjects" and e["status"] == 201]
    assert len(served_writes) == len(acked), "access log lines do not match the writes"
    assert routes["/v1/subjects/{subject_id}"] == sum(reads.values())
    assert {e["key_id"] for e in entries if e["route"] != "/readyz"} <= set(keys)
    leaks = canary.leaks(["\n".join(lines)])
    assert not leaks, f"{len(leaks)} canary value(s) in the access log"


def _established_per_worker(port: int, workers: list[int]) -> dict[int, int]:
    """Connections to `port` held open by each worker process (Linux `/proc`)."""
    inodes: dict[str, int] = {}
    for pid in workers:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes[target[8:-1]] = pid
    held = dict.fromkeys(workers, 0)
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        columns = line.split()
        local_port = int(columns[1].split(":")[1], 16)
        if local_port == port and columns[3] == "01" and columns[9] in inodes:  # ESTABLISHED
            held[inodes[columns[9]]] += 1
    return held


@pytest.mark.parametrize("backend", ["sqlite"])
def test_each_worker_listens_on_its_own_socket_and_the_port_is_not_shared_twice(
    server: tuple[Server, dict[str, str]], settings: Settings
) -> None:
    """Keep-alive connections opened at once spread over both workers (each has a socket of
    its own: the kernel balances them), and a second server cannot join the same port."""
    served, _ = server
    workers = served.worker_pids()
    assert len(workers) == WORKERS, served.stderr()
    connections = [socket.create_connection((HOST, served.port)) for _ in range(32)]
    try:
        for conn in connections:  # a request on each, so each has been accepted
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: tutela.test\r\n\r\n")
        for conn in connections:
            assert conn.recv(4096).startswith(b"HTTP/1.1 200")
        held = _established_per_worker(served.port, workers)
    finally:
        for conn in connections:
            conn.close()
    # Binomially 16 each; below 4 on either side has odds of about one in a million.
    assert sum(held.values()) == 32 and min(held.values()) >= 4, held

    command = [sys.executable, "-m", "tutela", "serve", "--home", str(settings.home)]
    command += ["--host", HOST, "--port", str(served.port), "--workers", "2"]
    second = subprocess.run(
        command,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 1
    assert "cannot listen on" in second.stderr and "in use" in second.stderr
    assert served.stop() == 0, served.stderr()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_worker_that_dies_is_replaced(server: tuple[Server, dict[str, str]]) -> None:
    served, _ = server
    first, second = served.worker_pids()
    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline and len(served.worker_pids()) < WORKERS + 1:
        time.sleep(0.1)
    replacement = served.worker_pids()[-1]
    assert replacement not in (first, second), served.stderr()
    while time.monotonic() < deadline and served.stderr().count("startup complete") <= WORKERS:
        time.sleep(0.1)
    for _ in range(8):  # fresh connections reach both the old worker and the new one
        assert httpx2.get(f"{served.base_url}/healthz", timeout=5).status_code == 200
    assert f"Worker [{first}] exited" in served.stderr()
    assert served.stop() == 0, served.stderr()
