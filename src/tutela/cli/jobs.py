"""`tutela sweep` and `tutela worker`: retention now, or background jobs on a schedule."""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime
from types import FrameType
from typing import Annotated

import typer
from rich.table import Table

from tutela._facade import Tutela
from tutela.cli._common import (
    ID_COLUMN,
    HomeOption,
    JsonOption,
    cli_actor,
    emit,
    open_home,
    progress,
    stderr,
    stdout,
)
from tutela.retention.sweep import SweepReport

SWEEP_JOB = "retention-sweep"
REQUESTS_JOB = "requests"
BACKUP_JOB = "backup"


def _request_jobs(tutela: Tutela) -> tuple[dict[str, str], dict[str, int]]:
    return tutela.requests.retry_held(actor=cli_actor("admin")), tutela.requests.purge()


def _summary(report: SweepReport) -> dict[str, object]:
    return {
        "at": report.at.isoformat(),
        "dry_run": report.dry_run,
        "subjects_checked": report.subjects_checked,
        "subjects_erased": report.subjects_erased,
        "subjects_trimmed": report.subjects_trimmed,
        "fields_erased": report.fields_erased,
        "expiries": [
            {"subject_id": e.subject_id, "fields": list(e.fields), "whole_subject": e.whole_subject}
            for e in report.expiries
        ],
    }


def sweep(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would be erased; change nothing.")
    ] = False,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Erase values whose every purpose's retention has passed, and subjects left with
    nothing; one audit entry per subject. Safe to run again."""
    with open_home(home) as tutela, progress("checking retention", None) as update:
        ran, report = tutela.run_exclusive(
            SWEEP_JOB, lambda: tutela.sweep(dry_run=dry_run, progress=update)
        )
    if not ran or report is None:
        emit(
            as_json,
            {"skipped": "another process is sweeping"},
            lambda: stdout.print("another process is sweeping now; nothing done"),
        )
        return

    def render() -> None:
        verb = "would erase" if dry_run else "erased"
        if report.expiries:
            table = Table(ID_COLUMN("subject"), "fields", "whole subject")
            for e in report.expiries[:50]:
                table.add_row(e.subject_id, ", ".join(e.fields), "yes" if e.whole_subject else "")
            stdout.print(table)
            if len(report.expiries) > 50:
                stdout.print(f"… and {len(report.expiries) - 50} more")
        stdout.print(
            f"{report.subjects_checked} subjects checked: {verb} {report.subjects_erased} "
            f"subjects and {report.fields_erased} values of {report.subjects_trimmed} others"
        )

    emit(as_json, _summary(report), render)


def _backup_job(tutela: Tutela, stamp: str) -> None:
    """Create + verify + prune when the newest backup is older than the interval; a failure
    is an alert (alert file, audit entry, email) and is shown in red here."""
    if not tutela.backups.due():
        return
    ran, run = tutela.run_exclusive(BACKUP_JOB, tutela.backups.run_scheduled)
    if not ran or run is None:
        stderr.print(f"{stamp} backup skipped: another worker is running it")
    elif run.ok and run.created is not None:
        stderr.print(
            f"{stamp} backup: {run.created.name} written and verified, {len(run.pruned)} pruned"
        )
    else:
        stderr.print(f"{stamp} [bold red]backup FAILED[/] (alert raised): {run.problem}")


def worker(
    interval: Annotated[
        float, typer.Option("--interval", min=1, help="Seconds between sweeps.")
    ] = 3600,
    once: Annotated[bool, typer.Option("--once", help="Run each job once, then exit.")] = False,
    backups: Annotated[
        bool,
        typer.Option(
            "--backups/--no-backups",
            help="Also back up (create, verify, prune) every backup_interval_hours.",
        ),
    ] = True,
    home: HomeOption = None,
) -> None:
    """Run background jobs on a schedule: the retention sweep, retries of requests a connected
    database failed, the purge of expired download links, sign-in codes and sessions, and
    backups (create, verify, prune) every backup_interval_hours.
    Several workers may run on one database: a job runs in one of them at a time. Stops
    cleanly on SIGTERM or Ctrl-C."""
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    with open_home(home) as tutela:
        stderr.print(f"worker started: jobs every {interval:g} s")
        while not stop.is_set():
            ran, report = tutela.run_exclusive(SWEEP_JOB, tutela.sweep)
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            if ran and report is not None:
                stderr.print(
                    f"{stamp} sweep: {report.subjects_checked} checked, "
                    f"{report.subjects_erased} erased, {report.fields_erased} values erased"
                )
            else:
                stderr.print(f"{stamp} sweep skipped: another worker is running it")
            ran, done = tutela.run_exclusive(REQUESTS_JOB, lambda: _request_jobs(tutela))
            if ran and done is not None:
                retried, purged = done
                still = sum(1 for status in retried.values() if status == "in_progress")
                stderr.print(
                    f"{stamp} requests: {len(retried)} retried ({still} still waiting); "
                    f"expired removed: {purged['downloads']} downloads, "
                    f"{purged['sessions']} sessions, {purged['challenges']} sign-in codes"
                )
            if backups:
                _backup_job(tutela, stamp)
            if once:
                break
            stop.wait(interval)
    stderr.print("worker stopped")
