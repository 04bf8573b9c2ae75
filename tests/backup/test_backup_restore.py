"""Backup and restore on SQLite and PostgreSQL: nobody erased comes back, the target is never
overwritten by accident, a backup taken under writes is one point in time, and a backup moves
between engines.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from backup_support import PURPOSE, Home, actions, state, wipe

from tutela import Settings, Tutela, errors
from tutela.actor import Actor
from tutela.backup import LedgerFile
from tutela.backup.container import ContainerReader
from tutela.testing import PiiCanary, fake_customers

STAFF = Actor("sdk", "admin")


def _erase_fields(tutela: Tutela, subject_id: str, fields: list[str]) -> None:
    with tutela.unit_of_work() as uow:
        tutela.vault.erase_fields(uow, subject_id, fields, STAFF, why="test")


def test_a_customer_erased_after_the_backup_stays_erased_when_it_is_restored(
    home: Home, canary: PiiCanary
) -> None:
    tutela = home.init()
    ids = [tutela.add(canary.customer(n)) for n in range(4)]
    before = state(tutela, ids)
    made = tutela.backups.create()
    tutela.erase(ids[0])
    _erase_fields(tutela, ids[1], ["phone"])
    home.close()

    report = Tutela.restore_backup(home.settings, made.name, force=True)

    assert (report.subjects_erased, report.fields_erased) == (1, 1)
    assert report.ledger_source == "current"
    assert report.rows["subject"] == 4
    tutela = home.open()
    after = state(tutela, ids)
    assert after[ids[0]] == "erased"
    assert "phone" not in after[ids[1]]
    assert after[ids[1]] == {k: v for k, v in before[ids[1]].items() if k != "phone"}
    assert after[ids[2]] == before[ids[2]]
    assert after[ids[3]] == before[ids[3]]
    # the restored ledger holds the replayed entries too, so the next backup carries them
    with tutela.unit_of_work() as uow:
        assert tutela.vault.is_erased(uow, ids[0])
    done = actions(tutela)
    at = done.index("backup.restore")
    assert done[at - 2 : at] == ["subject.erase", "subject.erase_fields"]
    assert tutela.verify_audit().ok


def test_when_the_database_is_lost_the_ledger_kept_outside_it_is_replayed(
    home: Home, canary: PiiCanary
) -> None:
    tutela = home.init()
    ids = [tutela.add(canary.customer(n)) for n in range(3)]
    made = tutela.backups.create()
    tutela.erase(ids[2])
    ledger = LedgerFile(home.settings.resolved_erasure_ledger_file).read()
    assert {(e.subject_id, e.field) for e in ledger} == {(ids[2], None)}
    home.close()
    wipe(home.settings)

    report = Tutela.restore_backup(home.settings, made.name)  # empty target: no --force

    assert report.subjects_erased == 1
    tutela = home.open()
    assert state(tutela, ids)[ids[2]] == "erased"
    assert state(tutela, ids)[ids[0]] != "erased"


def test_a_restore_refuses_a_target_holding_data_without_force(
    home: Home, canary: PiiCanary
) -> None:
    tutela = home.init()
    first = tutela.add(canary.customer(0))
    made = tutela.backups.create()
    later = tutela.add(canary.customer(1))
    home.close()

    with pytest.raises(errors.BackupTargetNotEmpty, match="--force"):
        Tutela.restore_backup(home.settings, made.name)

    tutela = home.open()
    assert set(state(tutela, [first, later])) == {first, later}  # untouched
    assert state(tutela, [later])[later] != "erased"


def test_a_backup_under_concurrent_writes_is_one_point_in_time(
    home: Home,
    backend: str,
    new_database: Callable[[str], str],
    twin: Callable[[Settings, str], Settings],
) -> None:
    tutela = home.init()
    tutela.add_many(list(fake_customers(300)))
    stop = threading.Event()
    written: list[str] = []

    def write() -> None:
        customers = fake_customers(10_000, seed=11)
        while not stop.is_set():
            written.append(tutela.add(next(customers)))

    writer = threading.Thread(target=write)
    writer.start()
    try:
        made = tutela.backups.create()
    finally:
        stop.set()
        writer.join()
    assert written, "the writer never ran during the backup"

    restored = twin(home.settings, new_database(backend))
    report = Tutela.restore_backup(restored, str(home.settings.resolved_backup_dir / made.name))

    with Tutela.open(settings=restored) as copy:
        assert copy.verify_audit().ok
        adds = sum(1 for a in actions(copy) if a == "subject.add")
        with copy.unit_of_work() as uow:
            subjects = copy.vault.count(uow)
        # every subject committed before the snapshot, with its audit entry; none after
        assert subjects == adds == report.rows["subject"]
        assert 300 <= subjects < 300 + len(written) + 1
        assert report.rows["blind_index"] > 0


@pytest.mark.parametrize(("source", "target"), [("sqlite", "postgresql"), ("postgresql", "sqlite")])
def test_a_backup_restores_into_the_other_engine_with_the_same_reads(
    tmp_path: Path,
    source: str,
    target: str,
    canary: PiiCanary,
    new_database: Callable[[str], str],
    twin: Callable[[Settings, str], Settings],
) -> None:
    url = None if source == "sqlite" else new_database(source)
    settings = Settings.load(tmp_path / "home", environ={}, database_url=url)
    with Tutela.init(settings=settings) as tutela:
        ids = [tutela.add(canary.customer(n)) for n in range(3)]
        ids += tutela.add_many(list(fake_customers(40)))
        tutela.erase(ids[-1])
        _erase_fields(tutela, ids[1], ["loyalty_id"])
        before = state(tutela, ids)
        found = tutela.find("email", canary.customer(0)["email"], purpose=PURPOSE, role="admin")
        made = tutela.backups.create()
        audit = len(list(tutela.audit_entries()))

    moved = twin(settings, new_database(target))
    report = Tutela.restore_backup(moved, str(settings.resolved_backup_dir / made.name))

    assert report.subjects_erased == 0
    with Tutela.open(settings=moved) as copy:
        assert state(copy, ids) == before
        assert copy.find("email", canary.customer(0)["email"], purpose=PURPOSE, role="admin") == (
            found
        )
        assert copy.verify_audit().ok
        assert len(list(copy.audit_entries())) > audit
        # and back again, from the copy's own backup
        again = copy.backups.create()
    back = twin(settings, new_database(source))
    Tutela.restore_backup(back, str(moved.resolved_backup_dir / again.name))
    with Tutela.open(settings=back) as twice:
        assert state(twice, ids) == before
        assert twice.verify_audit().ok


def test_the_manifest_and_the_file_hold_no_personal_value(home: Home, canary: PiiCanary) -> None:
    tutela = home.init()
    for n in range(3):
        tutela.add(canary.customer(n))
    made = tutela.backups.create()
    path = home.settings.resolved_backup_dir / made.name
    raw = path.read_bytes()

    assert raw[:8] == b"TUTELABK"
    for value in [canary.token, *canary.values, "subject", "audit_entry", "order_fulfilment"]:
        assert value.encode() not in raw
    reader = ContainerReader(tutela.backups.store, made.name, tutela.keys)
    assert not canary.leaks([repr(reader.manifest)])
    assert reader.manifest["erasure_ledger"] == {"subjects": 0, "fields": 0, "file_entries": 0}
    assert {t["name"]: t["rows"] for t in reader.manifest["tables"]}["subject"] == 3
