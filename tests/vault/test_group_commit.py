"""Group commit (`Tutela.run_together`), on SQLite and PostgreSQL: calls share one transaction
and one audit append, and a call that fails leaves nothing behind but its audited denial."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from tutela import Actor, Tutela, errors
from tutela.testing import PiiCanary
from tutela.vault import repository

ADMIN = Actor("sdk", "admin")


def _entries_after(tutela: Tutela, seq: int) -> list:  # type: ignore[type-arg]
    return [e for e in tutela.audit_entries() if e.seq > seq]


def _last_seq(tutela: Tutela) -> int:
    return list(tutela.audit_entries())[-1].seq


def test_calls_run_together_are_appended_and_committed_as_one(
    tutela: Tutela, canary: PiiCanary
) -> None:
    first = tutela.add(canary.customer())
    before = _last_seq(tutela)
    records = [canary.customer(n) for n in range(1, 4)]
    outcomes = tutela.run_together(
        [
            *(lambda r=r: tutela.add(r) for r in records),
            lambda: tutela.read(first, ["email"], purpose="order_fulfilment", role="admin"),
        ]
    )
    ids = [o.unwrap() for o in outcomes[:3]]
    assert len(set(ids)) == 3
    assert outcomes[3].unwrap().keys() == {"email"}
    entries = _entries_after(tutela, before)
    assert [e.event.action for e in entries] == ["subject.add"] * 3 + ["subject.read"]
    assert len({e.at for e in entries}) == 1  # linked in one append
    assert tutela.verify_audit().ok
    for sid, record in zip(ids, records, strict=True):
        assert tutela.read(sid, ["email"], purpose="order_fulfilment", role="admin") == {
            "email": record["email"]
        }


def test_a_failing_call_leaves_nothing_but_its_denial_and_the_others_stand(
    tutela: Tutela, canary: PiiCanary
) -> None:
    kept, undone = canary.customer(1), canary.customer(2)

    def writes_then_fails() -> None:
        with tutela.unit_of_work() as uow:
            tutela.vault.add(uow, undone, ADMIN)
            raise RuntimeError("stopped after writing")

    before = _last_seq(tutela)
    outcomes = tutela.run_together(
        [
            writes_then_fails,
            lambda: tutela.read("sub_unknown", purpose="order_fulfilment", role="admin"),
            lambda: tutela.add(kept),
            lambda: tutela.add({**canary.customer(3), "email": "not an address"}),
        ]
    )
    assert isinstance(outcomes[0].error, RuntimeError)
    assert isinstance(outcomes[1].error, errors.SubjectNotFound)
    assert isinstance(outcomes[3].error, errors.ValidationFailed)
    with pytest.raises(RuntimeError):
        outcomes[0].unwrap()
    kept_id = outcomes[2].unwrap()

    def find(email: str) -> list[str]:
        return tutela.find("email", email, purpose="order_fulfilment", role="admin")

    assert find(kept["email"]) == [kept_id]
    assert find(undone["email"]) == []  # its savepoint was rolled back
    entries = _entries_after(tutela, before)
    assert [(e.event.action, e.event.outcome) for e in entries][:2] == [
        ("subject.read", "denied"),
        ("subject.add", "ok"),
    ]
    assert tutela.verify_audit().ok


def test_units_after_a_group_are_on_their_own_again(tutela: Tutela, canary: PiiCanary) -> None:
    tutela.run_together([lambda: tutela.add(canary.customer())])
    before = _last_seq(tutela)
    sid = tutela.add(canary.customer())
    with pytest.raises(errors.ValidationFailed):
        tutela.add({**canary.customer(), "email": "not an address"})
    entries = _entries_after(tutela, before)
    assert [e.event.subject_id for e in entries] == [sid]


def test_a_call_that_loses_the_shared_transaction_fails_the_whole_group(
    tutela: Tutela, canary: PiiCanary
) -> None:
    def ends_the_transaction() -> None:
        with tutela.unit_of_work() as uow:
            uow.conn.connection.driver_connection.rollback()  # type: ignore[union-attr]
            raise RuntimeError("the database gave up")

    _assert_the_group_fails_whole(tutela, canary, ends_the_transaction)
    assert tutela.add(canary.customer(3))  # the home works on


def _assert_the_group_fails_whole(
    tutela: Tutela, canary: PiiCanary, failing: Callable[[], None]
) -> None:
    """`failing` between two adds: the group raises, and neither add (before or after the
    failure) left anything behind."""
    records = [canary.customer(1), canary.customer(2)]
    calls = [lambda: tutela.add(records[0]), failing, lambda: tutela.add(records[1])]
    with pytest.raises(Exception):  # noqa: B017 (the driver's own error, which varies)
        tutela.run_together(calls)
    for record in records:
        assert tutela.find("email", record["email"], purpose="order_fulfilment", role="admin") == []
    assert tutela.verify_audit().ok


def test_a_reading_call_that_fails_in_the_database_fails_the_whole_group(
    tutela: Tutela, canary: PiiCanary
) -> None:
    # Reads run without a savepoint of their own; a failed statement may have ended
    # (SQLite) or aborted (PostgreSQL) the shared transaction, so nobody's work can stand.
    def read_fails_in_the_database() -> None:
        with tutela.unit_of_work(reads_only=True) as uow:
            uow.conn.exec_driver_sql("SELECT missing_column FROM subject")

    _assert_the_group_fails_whole(tutela, canary, read_fails_in_the_database)


def test_rows_held_back_for_the_group_go_in_at_its_end_or_not_at_all(
    tutela: Tutela, canary: PiiCanary
) -> None:
    # New subjects' rows wait for the group's end (one executemany per table); if that
    # insert fails, no call of the group took effect.
    existing = tutela.add(canary.customer())
    first = canary.customer(1)
    clash = {"subject_id": existing, "field": "email", "digest": bytes(32)}

    def holds_back_a_row() -> None:
        with tutela.unit_of_work() as uow:
            uow.insert(repository._INSERT_INDEX, [clash])

    calls = [lambda: tutela.add(first), holds_back_a_row, holds_back_a_row]
    with pytest.raises(Exception):  # noqa: B017 (the driver's unique violation, which varies)
        tutela.run_together(calls)
    assert tutela.find("email", first["email"], purpose="order_fulfilment", role="admin") == []
    assert tutela.verify_audit().ok

    records = [canary.customer(n) for n in (2, 3)]
    added = tutela.run_together([lambda r=r: tutela.add(r) for r in records])
    for record, outcome in zip(records, added, strict=True):
        found = tutela.find("email", record["email"], purpose="order_fulfilment", role="admin")
        assert found == [outcome.unwrap()]


def _counting_record_loads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many ids each record query of the vault asked for, in order."""
    sizes: list[int] = []
    load = repository.load_records

    def counted(conn: Any, subject_ids: Sequence[str]) -> Any:
        sizes.append(len(subject_ids))
        return load(conn, subject_ids)

    monkeypatch.setattr(repository, "load_records", counted)
    return sizes


def test_a_group_loads_the_records_its_calls_read_in_one_query(
    tutela: Tutela, canary: PiiCanary, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept, erased = tutela.add(canary.customer(1)), tutela.add(canary.customer(2))
    tutela.erase(erased)
    sizes = _counting_record_loads(monkeypatch)
    reading = [kept, erased, "not an id", kept]

    outcomes = tutela.run_together(
        [
            lambda s=s: tutela.read(s, ["email"], purpose="order_fulfilment", role="admin")
            for s in reading
        ],
        reading=reading,
    )
    assert sizes == [2]  # the two well-formed ids, once each; no query per call
    assert outcomes[0].unwrap() == outcomes[3].unwrap() == {"email": canary.customer(1)["email"]}
    assert isinstance(outcomes[1].error, errors.SubjectErased)  # absent, then the ledger says why
    assert isinstance(outcomes[2].error, errors.SubjectNotFound)


def test_what_a_group_read_ahead_gives_way_to_its_first_write(
    tutela: Tutela, canary: PiiCanary, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tutela.add(canary.customer(1)), tutela.add(canary.customer(2))
    sizes = _counting_record_loads(monkeypatch)
    changed = canary.customer(3)["email"]

    def read(subject_id: str) -> Any:
        return tutela.read(subject_id, ["email"], purpose="order_fulfilment", role="admin")

    def erase_second() -> None:
        with tutela.unit_of_work() as uow:
            tutela.vault.erase(uow, second, ADMIN)

    outcomes = tutela.run_together(
        [
            lambda: read(first),
            lambda: tutela.update(first, {"email": changed}),
            lambda: read(first),
            erase_second,
            lambda: read(second),
        ],
        reading=[first, first, second],
    )
    assert outcomes[0].unwrap() == {"email": canary.customer(1)["email"]}
    assert outcomes[2].unwrap() == {"email": changed}  # read from the database, not ahead
    assert isinstance(outcomes[4].error, errors.SubjectErased)
    assert sizes[0] == 2 and len(sizes) > 1  # read ahead once, then per call after the write
    assert tutela.verify_audit().ok


def test_a_unit_that_reads_before_its_transaction_gives_its_connection_back_as_it_found_it(
    tutela: Tutela, canary: PiiCanary
) -> None:
    """A unit that only reads runs its reads before its transaction begins (on PostgreSQL the
    driver is in autocommit meanwhile). Failed or not, its connection must go back to the pool
    in transaction mode, or the next unit that gets it would not be all or nothing."""
    first = tutela.add(canary.customer())
    drivers = []
    for fails in (False, True):
        with contextlib.suppress(RuntimeError), tutela.unit_of_work(reads_only=True) as uow:
            drivers.append(uow.conn.connection.driver_connection)
            tutela.vault.read(uow, first, purpose="order_fulfilment", actor=ADMIN)
            if fails:
                raise RuntimeError("stopped after reading")
    assert [getattr(d, "autocommit", False) for d in drivers] == [False, False]
    assert tutela.verify_audit().ok
