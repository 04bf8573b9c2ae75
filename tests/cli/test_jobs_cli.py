"""`tutela sweep` and `tutela worker`, run for real as subprocesses on SQLite and PostgreSQL.

The subprocesses run on the real clock, so the home is seeded in-process on a frozen clock set
years back: a customer collected 11 years ago has outlived every purpose, one collected 7
years ago has outlived order_fulfilment (6 years) but not tax_records (10). Every call's
stdout and stderr are checked for canary values.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tutela import Settings, Tutela, errors
from tutela.clock import FrozenClock
from tutela.core.storage.jobs import job_lock
from tutela.testing import PiiCanary

T = TypeVar("T")
SUMMARY_KEYS = {
    "at",
    "dry_run",
    "subjects_checked",
    "subjects_erased",
    "subjects_trimmed",
    "fields_erased",
    "expiries",
}


@dataclass
class Cli:
    """Runs `tutela` against one home; fails the test if a canary value shows in its output."""

    home: Path
    canary: PiiCanary
    env: dict[str, str] = field(default_factory=dict)

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "tutela", *args, "--home", str(self.home)]

    def check(self, *texts: str) -> None:
        leaks = self.canary.leaks(texts)
        assert not leaks, f"canary value(s) leaked: {leaks}"

    def __call__(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            self.command(*args),
            capture_output=True,
            text=True,
            env={**self.env, **(env or {})},
            timeout=120,
            check=False,
        )
        self.check(proc.stdout, proc.stderr)
        return proc

    def ok(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        proc = self(*args, env=env)
        assert proc.returncode == 0, proc.stderr
        return proc

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json").stdout)

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(*args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
        )


@dataclass(frozen=True)
class Seeded:
    """The seeded subjects, and what a sweep now must do to each."""

    old: str  # collected 11 years ago: erased whole
    middle: str  # 7 years ago: email, loyalty_id, phone erased; name, address, country kept
    fresh: str  # today: untouched
    visitor: str  # refused analytics, holds nothing: erased whole

    @property
    def expected(self) -> dict[str, tuple[list[str], bool]]:
        return {
            self.old: (["address", "country", "email", "loyalty_id", "name", "phone"], True),
            self.middle: (["email", "loyalty_id", "phone"], False),
            self.visitor: ([], True),
        }


def _expiries(report: dict[str, Any]) -> dict[str, tuple[list[str], bool]]:
    return {e["subject_id"]: (e["fields"], e["whole_subject"]) for e in report["expiries"]}


@pytest.fixture
def seeded(settings: Settings, canary: PiiCanary) -> Seeded:
    now = datetime.now(UTC)
    clock = FrozenClock(now - timedelta(days=11 * 366))
    with Tutela.init(settings=settings, clock=clock) as shop:
        old = shop.add({**canary.customer(1), "country": "GB"})
        visitor = shop.consents.record(None, {"analytics": False}).subject_id
        clock.advance(now - timedelta(days=7 * 366) - clock.now())
        middle = shop.add({**canary.customer(2), "country": "GB"})
        clock.advance(now - clock.now())
        fresh = shop.add(canary.customer(3))
    return Seeded(old, middle, fresh, visitor)


@pytest.fixture
def cli(settings: Settings, database_url: str | None, canary: PiiCanary) -> Cli:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUTELA_")}
    if database_url is not None:
        env["TUTELA_DATABASE_URL"] = database_url
    return Cli(settings.home, canary, env)


@pytest.fixture
def opened(settings: Settings, seeded: Seeded) -> Iterator[Tutela]:
    """The seeded home opened in-process on the real clock, to look at what the CLI did."""
    with Tutela.open(settings=settings) as shop:
        yield shop


def _held(shop: Tutela, subject_id: str) -> frozenset[str] | None:
    with shop.unit_of_work() as uow:
        if shop.vault.is_erased(uow, subject_id):
            return None
        return shop.vault.held_fields(uow, subject_id)


def _erasing_actions(shop: Tutela) -> list[tuple[str | None, str]]:
    return sorted(
        (e.event.subject_id, e.event.action)
        for e in shop.audit_entries()
        if e.event.action in {"subject.erase", "subject.erase_fields"}
    )


def parallel(*calls: Callable[[], T]) -> list[T]:
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result() for future in futures]


def test_sweep_json_reports_what_it_erased_and_erases_it(
    cli: Cli, seeded: Seeded, opened: Tutela
) -> None:
    report = cli.json("sweep")

    assert set(report) == SUMMARY_KEYS
    assert datetime.fromisoformat(report["at"]).tzinfo is not None
    assert report["dry_run"] is False
    assert (report["subjects_checked"], report["subjects_erased"]) == (4, 2)
    assert (report["subjects_trimmed"], report["fields_erased"]) == (1, 9)
    assert all(set(e) == {"subject_id", "fields", "whole_subject"} for e in report["expiries"])
    assert _expiries(report) == seeded.expected

    assert _held(opened, seeded.old) is None
    assert _held(opened, seeded.visitor) is None
    assert _held(opened, seeded.middle) == {"name", "address", "country"}
    assert _held(opened, seeded.fresh) == {"email", "name", "phone", "address", "loyalty_id"}
    with pytest.raises(errors.SubjectErased):
        opened.read(seeded.old, purpose="tax_records", role="admin")
    assert _erasing_actions(opened) == sorted(
        [
            (seeded.old, "subject.erase"),
            (seeded.visitor, "subject.erase"),
            (seeded.middle, "subject.erase_fields"),
        ]
    )
    verified = cli.ok("audit", "verify").stdout
    assert "chain intact" in verified

    again = cli.json("sweep")
    assert (again["subjects_checked"], again["expiries"]) == (2, [])


def test_sweep_dry_run_reports_the_same_and_changes_nothing(
    cli: Cli, seeded: Seeded, opened: Tutela
) -> None:
    # One after the other: two sweeps at once would see one skipped (the job runs once).
    dry = cli.json("sweep", "--dry-run")
    text = cli.ok("sweep", "--dry-run").stdout

    assert dry["dry_run"] is True
    assert _expiries(dry) == seeded.expected
    assert "4 subjects checked: would erase 2 subjects and 9 values of 1 others" in text
    assert _held(opened, seeded.old) == {
        "email",
        "name",
        "phone",
        "address",
        "loyalty_id",
        "country",
    }
    assert _held(opened, seeded.visitor) == frozenset()
    assert opened.read(seeded.middle, ["email"], purpose="order_fulfilment", role="admin")
    assert _erasing_actions(opened) == []
    sweeps = [e.event.detail for e in opened.audit_entries() if e.event.action == "retention.sweep"]
    assert sweeps == ["dry run: 4 checked, 2 erased, 1 trimmed, 9 fields"] * 2

    real = cli.json("sweep")
    assert real["dry_run"] is False
    assert real["expiries"] == dry["expiries"]


def test_sweep_text_output_names_each_subject_in_full(cli: Cli, seeded: Seeded) -> None:
    text = cli.ok("sweep", "--dry-run", env={"COLUMNS": "80"}).stdout
    assert "4 subjects checked" in text
    missing = [sid for sid in seeded.expected if sid not in text]
    assert not missing, f"subject ids not shown in full:\n{text}"


def test_sweep_and_worker_skip_while_another_process_holds_the_job(
    cli: Cli, seeded: Seeded, opened: Tutela
) -> None:
    with job_lock(opened.engine, "retention-sweep") as held:
        assert held
        skipped, worker = parallel(
            lambda: cli.json("sweep"), lambda: cli.ok("worker", "--once", "--interval", "1")
        )
        text = cli.ok("sweep").stdout
    assert skipped == {"skipped": "another process is sweeping"}
    assert "sweep skipped: another worker is running it" in worker.stderr
    assert "another process is sweeping now; nothing done" in text
    assert _held(opened, seeded.old) is not None
    assert _erasing_actions(opened) == []
    assert not [e for e in opened.audit_entries() if e.event.action == "retention.sweep"]

    assert _expiries(cli.json("sweep")) == seeded.expected


def test_sweeps_started_together_erase_each_subject_once(
    cli: Cli, seeded: Seeded, opened: Tutela
) -> None:
    """Two `sweep` and two `worker --once` at the same moment: each sweeps or skips, none
    fails, and together they erase exactly what expired, each subject once."""
    runs = parallel(
        *(lambda: cli.ok("sweep", "--json") for _ in range(2)),
        *(lambda: cli.ok("worker", "--once") for _ in range(2)),
    )

    reports = [json.loads(r.stdout) for r in runs[:2]]
    combined: dict[str, tuple[list[str], bool]] = {}
    for report in reports:
        if "skipped" in report:
            continue
        found = _expiries(report)
        assert not set(found) & set(combined), "a subject was erased by two sweeps"
        combined.update(found)
    assert set(combined) <= set(seeded.expected)
    assert all(combined[sid] == seeded.expected[sid] for sid in combined)
    assert all(" sweep" in r.stderr for r in runs[2:])
    assert _erasing_actions(opened) == sorted(
        [
            (seeded.old, "subject.erase"),
            (seeded.visitor, "subject.erase"),
            (seeded.middle, "subject.erase_fields"),
        ]
    )
    assert opened.verify_audit().ok


def test_worker_once_sweeps_logs_to_stderr_and_exits_0(
    cli: Cli, seeded: Seeded, opened: Tutela
) -> None:
    proc = cli.ok("worker", "--once", "--interval", "60")

    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert lines[0] == "worker started: jobs every 60 s"
    assert lines[1].endswith(" sweep: 4 checked, 2 erased, 9 values erased")
    assert lines[2].endswith(
        " requests: 0 retried (0 still waiting); expired removed: 0 downloads, "
        "0 sessions, 0 sign-in codes"
    )
    assert datetime.fromisoformat(lines[1].split(" ")[0]).tzinfo is not None
    assert lines[-1] == "worker stopped"
    assert _held(opened, seeded.middle) == {"name", "address", "country"}
    assert _held(opened, seeded.old) is None


def _read_until(proc: subprocess.Popen[str], wanted: str) -> list[str]:
    """stderr lines up to and including the first that contains `wanted`."""
    assert proc.stderr is not None
    lines = []
    for line in proc.stderr:
        lines.append(line.rstrip("\n"))
        if wanted in line:
            return lines
    raise AssertionError(f"the worker ended without printing {wanted!r}: {lines}")


def test_workers_stop_cleanly_on_sigterm_or_ctrl_c(cli: Cli, seeded: Seeded) -> None:
    """Three workers on one home: one signalled as soon as it starts, two while they wait
    for their next turn (after sweeping or skipping); each logs 'worker stopped', exits 0."""
    plan = [
        ("worker started", signal.SIGTERM),
        (" sweep", signal.SIGTERM),
        (" sweep", signal.SIGINT),
    ]
    workers = [cli.start("worker", "--interval", "3600") for _ in plan]
    try:
        readers = [
            lambda w=w, m=m: _read_until(w, m) for w, (m, _) in zip(workers, plan, strict=True)
        ]
        seen = parallel(*readers)
        for worker, (_, signum) in zip(workers, plan, strict=True):
            worker.send_signal(signum)
        ended = [worker.communicate(timeout=30) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    for worker, lines, (out, rest) in zip(workers, seen, ended, strict=True):
        cli.check(out, rest, *lines)
        assert worker.returncode == 0, rest
        assert lines[0] == "worker started: jobs every 3600 s"
        assert rest.strip().splitlines()[-1] == "worker stopped"
        assert "Traceback" not in rest
