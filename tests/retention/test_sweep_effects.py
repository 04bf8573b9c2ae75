"""What a sweep leaves behind, on SQLite and PostgreSQL: a dry run changes nothing, a second
run changes nothing more, each changed subject has one audit entry (and the run a summary),
and an erased value cannot be opened again, not even from an old copy of its ciphertext.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from retention_support import (
    BASE,
    SECOND,
    customer,
    entries,
    erasure_ledger,
    expired,
    field_erasure_ledger,
    held,
    move_to,
)

from tutela import Settings, Tutela, errors
from tutela.clock import FrozenClock
from tutela.core.crypto import DataKey, dek_aad
from tutela.testing import PiiCanary
from tutela.vault import record

Y6 = datetime(2032, 1, 1, tzinfo=UTC)  # order_fulfilment (P6Y) ends for T0's customers
ERASING = ("subject.erase", "subject.erase_fields")


def _seed(shop: Tutela, clock: FrozenClock, canary: PiiCanary) -> tuple[str, str, str, str]:
    """At T0: a customer who will be trimmed at 6 years, one holding only an email (erased
    whole then), one created later (untouched), and a visitor who refused analytics."""
    trimmed = shop.add(customer(canary, 1, "date_of_birth", "marketing_preferences"))
    whole = shop.add({"email": canary.customer(2)["email"]})
    visitor = shop.consents.record(None, {"analytics": False}).subject_id
    move_to(clock, datetime(2030, 1, 1, tzinfo=UTC))
    untouched = shop.add(customer(canary, 3))
    return trimmed, whole, visitor, untouched


EXPECTED_AT_Y6 = {
    "trimmed": (
        ("date_of_birth", "email", "loyalty_id", "marketing_preferences", "phone"),
        False,
    ),
    "whole": (("email",), True),
    "visitor": ((), True),
}


def _expected(trimmed: str, whole: str, visitor: str) -> dict[str, tuple[tuple[str, ...], bool]]:
    ids = {"trimmed": trimmed, "whole": whole, "visitor": visitor}
    return {ids[k]: v for k, v in EXPECTED_AT_Y6.items()}


def _dek_versions(shop: Tutela) -> dict[str, int]:
    with shop.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, dek_version FROM subject"))
        return {r[0]: r[1] for r in rows}


def _last_seq(shop: Tutela) -> int:
    return list(shop.audit_entries())[-1].seq


def test_a_dry_run_reports_the_same_expiries_and_changes_nothing(
    shop: Tutela, clock: FrozenClock, canary: PiiCanary
) -> None:
    trimmed, whole, visitor, untouched = _seed(shop, clock, canary)
    ids = (trimmed, whole, visitor, untouched)
    move_to(clock, Y6 + SECOND)
    holdings = {sid: held(shop, sid) for sid in ids}
    values = shop.read_many(ids, purpose="order_fulfilment", role="admin")
    versions = _dek_versions(shop)
    seq = _last_seq(shop)

    dry = shop.sweep(dry_run=True)

    new = [e.event for e in shop.audit_entries(after=seq)]
    assert [(e.action, e.actor, e.detail) for e in new] == [
        ("retention.sweep", "system:retention", "dry run: 4 checked, 2 erased, 1 trimmed, 6 fields")
    ]
    assert dry.dry_run
    assert expired(dry) == _expected(trimmed, whole, visitor)
    assert (dry.subjects_checked, dry.subjects_erased, dry.subjects_trimmed) == (4, 2, 1)
    assert {sid: held(shop, sid) for sid in ids} == holdings
    assert shop.read_many(ids, purpose="order_fulfilment", role="admin") == values
    assert _dek_versions(shop) == versions
    assert erasure_ledger(shop) == set()
    assert field_erasure_ledger(shop) == set()
    assert not entries(shop, *ERASING)

    real = shop.sweep()
    assert not real.dry_run
    assert expired(real) == expired(dry)


def test_a_second_sweep_at_the_same_time_erases_nothing(
    shop: Tutela, clock: FrozenClock, canary: PiiCanary
) -> None:
    trimmed, whole, visitor, untouched = _seed(shop, clock, canary)
    move_to(clock, Y6 + SECOND)
    first = shop.sweep()
    assert expired(first) == _expected(trimmed, whole, visitor)
    state = (held(shop, trimmed), held(shop, untouched), _dek_versions(shop))
    ledgers = (erasure_ledger(shop), field_erasure_ledger(shop))
    seq = _last_seq(shop)

    second = shop.sweep()

    assert second.expiries == []
    assert second.subjects_checked == 2  # the erased ones are gone
    assert (held(shop, trimmed), held(shop, untouched), _dek_versions(shop)) == state
    assert (erasure_ledger(shop), field_erasure_ledger(shop)) == ledgers
    new = [e.event for e in shop.audit_entries(after=seq)]
    assert [(e.action, e.detail) for e in new] == [
        ("retention.sweep", "2 checked, 0 erased, 0 trimmed, 0 fields")
    ]


def test_each_changed_subject_gets_one_audit_entry_and_the_run_a_summary(
    shop: Tutela, clock: FrozenClock, canary: PiiCanary
) -> None:
    """subject.erase for the whole, subject.erase_fields (naming the fields) for the trimmed,
    each with detail 'retention'; then one retention.sweep; the chain verifies; no value."""
    trimmed, whole, visitor, untouched = _seed(shop, clock, canary)
    move_to(clock, Y6 + SECOND)
    seq = _last_seq(shop)

    report = shop.sweep()

    new = list(shop.audit_entries(after=seq))
    changes = sorted(
        (e.event.subject_id or "", e.event.action, tuple(e.event.fields)) for e in new[:-1]
    )
    assert changes == sorted(
        [
            (trimmed, "subject.erase_fields", EXPECTED_AT_Y6["trimmed"][0]),
            (whole, "subject.erase", ()),
            (visitor, "subject.erase", ()),
        ]
    )
    for entry in new[:-1]:
        assert (entry.event.actor, entry.event.role) == ("system:retention", "admin")
        assert (entry.event.detail, entry.event.outcome) == ("retention", "ok")
    summary = new[-1].event
    assert (summary.action, summary.subject_id) == ("retention.sweep", None)
    assert summary.detail == "4 checked, 2 erased, 1 trimmed, 6 fields"
    assert all(e.at == Y6 + SECOND for e in new)
    assert not [e for e in entries(shop, *ERASING) if e.event.subject_id == untouched]
    assert shop.verify_audit().ok
    assert not canary.leaks([repr(report), *(repr(e) for e in new)])


def test_erased_values_cannot_be_opened_again(
    shop: Tutela, clock: FrozenClock, canary: PiiCanary, settings: Settings, backend: str
) -> None:
    """A field erasure re-keys the subject: the data key version goes up, the ledger lists
    (subject, field), the old ciphertexts do not open under the new key, the blind index
    forgets the erased values, and (SQLite) neither the old key nor the old ciphertexts are
    left in the database files."""
    given = customer(canary, 1, "date_of_birth")
    sid = shop.add(given)
    with shop.engine.connect() as conn:
        old_version, old_wrapped, old_sealed = conn.execute(
            sa.text("SELECT dek_version, wrapped_dek, sealed FROM subject WHERE id = :id"),
            {"id": sid},
        ).one()
    old_blobs = record.unpack(bytes(old_sealed))
    gone = ("date_of_birth", "email", "loyalty_id", "phone")
    move_to(clock, Y6 + SECOND)

    assert expired(shop.sweep()) == {sid: (gone, False)}

    assert held(shop, sid) == BASE - set(gone)
    assert field_erasure_ledger(shop) == {(sid, f) for f in gone}
    with shop.engine.connect() as conn:
        version, kek_version, wrapped, sealed = conn.execute(
            sa.text(
                "SELECT dek_version, kek_version, wrapped_dek, sealed FROM subject WHERE id = :id"
            ),
            {"id": sid},
        ).one()
        index_rows = conn.execute(
            sa.text("SELECT count(*) FROM blind_index WHERE subject_id = :id"), {"id": sid}
        ).scalar_one()
    assert version == old_version + 1
    assert bytes(wrapped) != bytes(old_wrapped)
    assert index_rows == 0  # email, phone and loyalty_id were its only searchable fields
    assert shop.find("email", given["email"], purpose="order_fulfilment", role="admin") == []

    material = shop.keys.unwrap(kek_version, bytes(wrapped), dek_aad(sid, version))
    current = DataKey(sid, version, material)
    assert current.open("name", record.unpack(bytes(sealed))["name"])  # the probe works
    for key in (current, DataKey(sid, old_version, material)):
        for field in gone:
            with pytest.raises(errors.DecryptionFailed):
                key.open(field, old_blobs[field])

    if backend == "sqlite":
        files = b"".join(
            p.read_bytes() for p in Path(settings.home).iterdir() if p.name.startswith("tutela.db")
        )
        secrets = [bytes(old_wrapped), *(old_blobs[f] for f in gone)]
        left = [n for n, s in enumerate(secrets) for f in (s, s[:16], s[-16:]) if f in files]
        assert not left, f"erased bytes still on disk (secret #): {left}"
