"""Retention of backups, the scheduled run (create + verify + prune) and its alert, and the
erasure ledger's file copy."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from backup_support import Home

from tutela.actor import Actor
from tutela.backup import LedgerFile
from tutela.backup.policy import Keep, to_keep
from tutela.testing import OutboxMailer, PiiCanary


def test_the_policy_keeps_the_newest_of_each_day_week_and_month() -> None:
    start = datetime(2026, 1, 1, 2, 0, tzinfo=UTC)
    # two backups a day for 400 days
    stamps = [
        (start + timedelta(days=d, hours=h), f"b{d:03d}-{h}") for d in range(400) for h in (0, 12)
    ]
    kept = to_keep(stamps, Keep(daily=7, weekly=4, monthly=6))

    newest_day = (start + timedelta(days=399)).date()
    days = {date.fromordinal(newest_day.toordinal() - n) for n in range(7)}
    assert {n for n in kept if n.endswith("-12")} >= {
        f"b{(d - start.date()).days:03d}-12" for d in days
    }
    assert all(n.endswith("-12") for n in kept)  # always the newest of its day
    assert 7 <= len(kept) <= 7 + 4 + 6
    assert stamps[-1][1] in kept
    assert to_keep(stamps, Keep(0, 0, 0)) == {stamps[-1][1]}  # the newest, whatever happens
    assert to_keep([], Keep()) == set()


def test_a_scheduled_run_creates_verifies_and_prunes(home: Home, canary: PiiCanary) -> None:
    from tutela.config import BackupKeep

    home.settings = home.settings.model_copy(
        update={"backup_keep": BackupKeep(daily=2, weekly=0, monthly=0)}
    )
    tutela = home.init()
    tutela.add(canary.customer(0))
    names = []
    for _ in range(4):
        run = tutela.backups.run_scheduled()
        assert run.ok, run.problem
        assert run.created is not None and run.verified is not None and run.verified.ok
        names.append(run.created.name)
        home.clock.advance(timedelta(days=1))

    listed = tutela.backups.list_backups()
    assert [i.name for i in listed] == names[:1:-1]
    assert all(i.verified_ok and i.status == "complete" for i in listed)
    assert tutela.backups.alert() is None


def test_a_failed_scheduled_backup_is_an_alert_not_a_log_line(
    home: Home, canary: PiiCanary
) -> None:
    blocker = home.settings.home.parent / "not-a-directory"
    blocker.write_text("")
    home.settings = home.settings.model_copy(
        update={"backup_dir": blocker, "backup_alert_to": "ops@example.com"}
    )
    outbox = OutboxMailer()
    tutela = home.init(mailer=outbox)
    tutela.add(canary.customer(0))

    run = tutela.backups.run_scheduled(actor=Actor("worker", "admin"))

    assert not run.ok
    alert = tutela.backups.alert()
    assert alert is not None and alert["problem"] == run.problem
    [message] = outbox.messages
    assert message.to == "ops@example.com"
    assert "FAILED" in message.subject
    failed = [e for e in tutela.audit_entries() if e.event.action == "backup.failed"]
    assert len(failed) == 1 and failed[0].event.outcome == "error"
    assert not canary.leaks([message.text, run.problem or ""])

    home.settings = home.settings.model_copy(update={"backup_dir": None})
    tutela = home.open(mailer=outbox)
    assert tutela.backups.run_scheduled().ok
    assert tutela.backups.alert() is None  # a good run clears it


def test_every_committed_erasure_is_copied_to_the_ledger_file(
    home: Home, canary: PiiCanary
) -> None:
    tutela = home.init()
    one, two = tutela.add(canary.customer(0)), tutela.add(canary.customer(1))
    ledger = LedgerFile(home.settings.resolved_erasure_ledger_file)
    assert ledger.read() == set()

    tutela.erase(one)
    with tutela.unit_of_work() as uow:
        tutela.vault.erase_fields(uow, two, ["phone", "loyalty_id"], Actor("t", "admin"), why="x")

    entries = ledger.read()
    assert {(e.subject_id, e.field) for e in entries} == {
        (one, None),
        (two, "phone"),
        (two, "loyalty_id"),
    }
    text = home.settings.resolved_erasure_ledger_file.read_text()
    assert not canary.leaks([text])
    # a torn last line (a crash mid-append) is ignored, and the next append starts afresh
    with home.settings.resolved_erasure_ledger_file.open("a") as handle:
        handle.write('{"s":"sub_torn","f":nu')
    assert ledger.read() == entries
    tutela.backups.create()  # syncs the database's ledger into the file (nothing missing)
    assert ledger.read() == entries
