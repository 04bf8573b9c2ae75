"""Restoring a backup taken before an erasure that kept values for a legal obligation: the
permanent restriction is replayed from the ledger (the database's or the file kept outside
it), so the kept values serve that obligation only, on SQLite and PostgreSQL. Ledger files
written before restrictions were recorded still load.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from backup_support import Home, actions, wipe

from tutela import Tutela, errors
from tutela.backup import LedgerFile
from tutela.testing import OutboxMailer, PiiCanary
from tutela.vault.replay import Erased, Restricted

TAX = "tax_records"  # the example data map's legal-obligation purpose
KEPT = {"name", "address", "country"}


def _erasure_request(tutela: Tutela, outbox: OutboxMailer, email: str) -> None:
    created = tutela.requests.create("erasure", email)
    tutela.requests.verify(created.id, outbox.codes_for(email)[-1])
    tutela.requests.approve(created.id)


@pytest.mark.parametrize("database", ["kept", "lost"])
def test_values_kept_by_an_erasure_stay_restricted_after_an_older_backup_is_restored(
    home: Home, canary: PiiCanary, database: str
) -> None:
    outbox = OutboxMailer()
    tutela = home.init(mailer=outbox)
    person = {**canary.customer(1), "country": "GB"}
    subject = tutela.add(person)
    other = tutela.add(canary.customer(2))
    for_tax = tutela.read(subject, purpose=TAX, role="finance")
    assert set(for_tax) == KEPT
    made = tutela.backups.create()
    _erasure_request(tutela, outbox, person["email"])
    on_file = LedgerFile(home.settings.resolved_erasure_ledger_file).read()
    assert {e for e in on_file if isinstance(e, Restricted)} == {
        Restricted(home.clock.now(), subject, (TAX,))
    }
    home.close()
    if database == "lost":
        wipe(home.settings)  # only the ledger file outside the database remembers

    report = Tutela.restore_backup(home.settings, made.name, force=database == "kept")

    assert report.subjects_restricted == 1
    assert report.fields_erased == 3  # email, phone, loyalty_id
    tutela = home.open(mailer=outbox)
    with tutela.unit_of_work() as uow:
        assert tutela.vault.held_fields(uow, subject) == KEPT
    assert tutela.read(subject, purpose=TAX, role="finance") == for_tax
    with pytest.raises(errors.ProcessingRestricted):
        tutela.read(subject, ["name", "address"], purpose="order_fulfilment", role="support")
    with pytest.raises(errors.ProcessingRestricted):
        tutela.read(subject, ["country"], purpose="analytics", role="admin")
    assert tutela.find("email", person["email"], purpose="order_fulfilment", role="admin") == []
    # The erasure request is not in the old backup; the restriction ledger still refuses.
    with pytest.raises(errors.RequestStateInvalid):
        tutela.requests.lift_restriction(subject)
    with pytest.raises(errors.ProcessingRestricted):
        tutela.read(subject, ["name"], purpose="order_fulfilment", role="support")
    assert tutela.read(other, ["name"], purpose="order_fulfilment", role="support")
    done = actions(tutela)
    at = done.index("backup.restore")
    assert done[at - 2 : at] == ["subject.erase_fields", "subject.restrict"]
    # The restored database's ledger holds the restriction, so the next backup carries it.
    made_again = tutela.backups.create()
    home.close()
    again = Tutela.restore_backup(home.settings, made_again.name, force=True)
    assert (again.subjects_restricted, again.fields_erased) == (0, 0)
    tutela = home.open(mailer=outbox)
    with pytest.raises(errors.ProcessingRestricted):
        tutela.read(subject, ["name"], purpose="order_fulfilment", role="support")


def test_a_ledger_file_in_the_format_before_restrictions_still_loads_and_is_replayed(
    home: Home, canary: PiiCanary
) -> None:
    tutela = home.init()
    ids = [tutela.add(canary.customer(n)) for n in range(2)]
    made = tutela.backups.create()
    tutela.erase(ids[0])
    home.close()
    wipe(home.settings)
    path = home.settings.resolved_erasure_ledger_file
    at = home.clock.now().isoformat(timespec="microseconds")
    old = [
        {"s": ids[0], "f": None, "at": at},
        {"s": "sub_gone_before", "f": "phone", "at": "2026-01-05T10:00:00.000000+00:00"},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in old), encoding="utf-8")

    assert LedgerFile(path).read() == {
        Erased(home.clock.now(), ids[0]),
        Erased(datetime(2026, 1, 5, 10, tzinfo=UTC), "sub_gone_before", "phone"),
    }
    report = Tutela.restore_backup(home.settings, made.name)

    assert (report.subjects_erased, report.ledger_recorded, report.subjects_restricted) == (1, 1, 0)
    tutela = home.open()
    with tutela.unit_of_work() as uow:
        assert tutela.vault.is_erased(uow, ids[0])
        assert not tutela.vault.is_erased(uow, ids[1])


def test_a_restriction_line_reads_back_and_a_malformed_one_is_skipped(tmp_path: Path) -> None:
    ledger = LedgerFile(tmp_path / "ledger.jsonl")
    when = datetime(2026, 3, 2, 9, tzinfo=UTC)
    entries = {Erased(when, "sub_a", "phone"), Restricted(when, "sub_a", ("tax_records",))}
    assert ledger.append(entries) == 2
    lines = ledger.path.read_text(encoding="utf-8").splitlines()
    # A release that predates restrictions finds no "s" in a restriction line and skips it.
    assert [("s" in json.loads(line)) for line in lines] == [True, False]
    with ledger.path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"r": "sub_b", "p": "tax_records", "at": when.isoformat()}) + "\n")
    assert ledger.read() == entries
