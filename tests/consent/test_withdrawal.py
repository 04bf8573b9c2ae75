"""What a withdrawal does to the data, on SQLite and PostgreSQL: fields that no purpose with
a valid basis still needs are erased at once (dropped, the rest re-sealed under a new data
key, entered in the field-erasure ledger, their blind-index rows removed); fields a contract
or another active purpose needs are kept; an objection to a `keep_until_retention` purpose
erases nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from tutela import Settings, Tutela, errors
from tutela.home import example_datamap
from tutela.testing import PiiCanary

PREFERENCES = ["email", "sms"]


def _customer(canary: PiiCanary, n: int = 0) -> dict[str, Any]:
    return {**canary.customer(n), "marketing_preferences": PREFERENCES}


def _row(tutela: Tutela, sid: str) -> dict[str, Any]:
    with tutela.engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT dek_version, kek_version, wrapped_dek, sealed, digests "
                "FROM subject WHERE id = :sid"
            ),
            {"sid": sid},
        ).mappings()
        (found,) = list(row)
        return {k: bytes(v) if isinstance(v, memoryview) else v for k, v in found.items()}


def _field_erasures(tutela: Tutela) -> list[tuple[str, str]]:
    with tutela.engine.connect() as conn:
        query = sa.text("SELECT subject_id, field FROM field_erasure ORDER BY field")
        return [(r[0], r[1]) for r in conn.execute(query)]


def _index_fields(tutela: Tutela, sid: str) -> set[str]:
    with tutela.engine.connect() as conn:
        query = sa.text("SELECT field FROM blind_index WHERE subject_id = :sid")
        return {r[0] for r in conn.execute(query, {"sid": sid})}


def _held(tutela: Tutela, sid: str) -> frozenset[str]:
    with tutela.unit_of_work() as uow:
        return tutela.vault.held_fields(uow, sid)


# -- the example data map ----------------------------------------------------------------------


def test_withdrawing_the_newsletter_erases_its_own_field_and_keeps_the_contracts(
    tutela: Tutela, canary: PiiCanary
) -> None:
    """marketing_preferences serves only the newsletter: gone, re-keyed, in the ledger.
    email and name also serve order_fulfilment (a contract): kept and still readable."""
    record = _customer(canary)
    sid = tutela.add(record)
    tutela.consents.grant(sid, "newsletter")
    assert tutela.read(sid, ["marketing_preferences"], purpose="newsletter", role="marketing")
    before = _row(tutela, sid)

    done = tutela.consents.withdraw(sid, "newsletter")

    assert done.erased_fields == ("marketing_preferences",)
    assert _held(tutela, sid) == frozenset(record) - {"marketing_preferences"}
    assert _field_erasures(tutela) == [(sid, "marketing_preferences")]
    after = _row(tutela, sid)
    assert after["dek_version"] == before["dek_version"] + 1
    assert after["wrapped_dek"] != before["wrapped_dek"]  # the old data key is overwritten
    assert after["sealed"] != before["sealed"]
    # The record still opens (manifest and tags check) for every other field.
    assert tutela.read(sid, purpose="order_fulfilment", role="admin") == {
        k: record[k] for k in ("email", "name", "phone", "address", "loyalty_id")
    }
    assert tutela.read(sid, ["email"], purpose="fraud_prevention", role="fraud") == {
        "email": record["email"]
    }
    audit = [e.event for e in tutela.audit_entries() if e.event.action == "subject.erase_fields"]
    assert [(e.subject_id, e.fields, e.detail) for e in audit] == [
        (sid, ("marketing_preferences",), "consent.withdraw")
    ]
    # Granting again does not bring the value back.
    tutela.consents.grant(sid, "newsletter")
    assert tutela.read(sid, purpose="newsletter", role="marketing") == {
        "email": record["email"],
        "name": record["name"],
    }


def test_an_old_copy_of_the_record_does_not_open_under_the_new_key(
    tutela: Tutela, canary: PiiCanary
) -> None:
    """A backup or replica copy of the sealed record from before the withdrawal holds the
    erased value under the old data key, which no longer exists: it cannot be opened."""
    sid = tutela.add(_customer(canary))
    old_sealed = _row(tutela, sid)["sealed"]
    tutela.consents.withdraw(sid, "newsletter")
    with tutela.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE subject SET sealed = :sealed WHERE id = :sid"),
            {"sealed": old_sealed, "sid": sid},
        )
    with pytest.raises(errors.DecryptionFailed):
        tutela.read(sid, ["email"], purpose="order_fulfilment", role="admin")


def test_the_rekeyed_record_takes_new_values(tutela: Tutela, canary: PiiCanary) -> None:
    record = _customer(canary)
    sid = tutela.add(record)
    tutela.consents.withdraw(sid, "newsletter")
    tutela.consents.grant(sid, "newsletter")
    tutela.update(sid, {"marketing_preferences": ["post"]})
    assert tutela.read(sid, ["marketing_preferences"], purpose="newsletter", role="admin") == {
        "marketing_preferences": ["post"]
    }
    assert tutela.read(sid, ["name"], purpose="order_fulfilment", role="admin") == {
        "name": record["name"]
    }


def test_an_objection_to_fraud_prevention_erases_nothing(tutela: Tutela, canary: PiiCanary) -> None:
    """fraud_prevention keeps its data until retention runs out (disputes): the objection
    stops its use, not the data."""
    record = {**_customer(canary), "date_of_birth": "1980-02-29"}
    sid = tutela.add(record)
    before = _row(tutela, sid)
    done = tutela.consents.withdraw(sid, "fraud_prevention")
    assert done.erased_fields == ()
    assert _row(tutela, sid) == before
    assert _field_erasures(tutela) == []
    assert _held(tutela, sid) == frozenset(record)


def test_fields_kept_until_retention_after_an_objection_survive_another_withdrawal(
    tutela: Tutela, canary: PiiCanary
) -> None:
    sid = tutela.add({**_customer(canary), "date_of_birth": "1980-02-29"})
    tutela.consents.grant(sid, "analytics")
    tutela.consents.withdraw(sid, "fraud_prevention")
    done = tutela.consents.withdraw(sid, "analytics")
    assert "date_of_birth" in _held(tutela, sid)
    assert done.erased_fields == ()


def test_withdrawing_when_no_erasable_field_is_held_rekeys_nothing(
    tutela: Tutela, canary: PiiCanary
) -> None:
    """A customer without marketing preferences, and a visitor with no values at all."""
    sid = tutela.add(canary.customer())
    visitor = tutela.consents.record(None, {"newsletter": True}).subject_id
    rows = {s: _row(tutela, s) for s in (sid, visitor)}
    for subject in (sid, visitor):
        assert tutela.consents.withdraw(subject, "newsletter").erased_fields == ()
        assert _row(tutela, subject) == rows[subject]
    assert _held(tutela, visitor) == frozenset()
    assert _field_erasures(tutela) == []


def test_withdrawing_analytics_keeps_fields_that_other_bases_need(
    tutela: Tutela, canary: PiiCanary
) -> None:
    """analytics uses email, date_of_birth, country and loyalty_id: each also serves a
    contract, a legal obligation or an unobjected legitimate interest."""
    record = {**_customer(canary), "date_of_birth": "1980-02-29", "country": "GB"}
    sid = tutela.add(record)
    tutela.consents.grant(sid, "analytics")
    assert tutela.consents.withdraw(sid, "analytics").erased_fields == ()
    assert _held(tutela, sid) == frozenset(record)


def test_no_personal_value_in_the_erasure_trail(tutela: Tutela, canary: PiiCanary) -> None:
    sid = tutela.add(_customer(canary))
    done = tutela.consents.withdraw(sid, "newsletter")
    with tutela.engine.connect() as conn:
        ledger = conn.execute(sa.text("SELECT * FROM field_erasure")).all()
        events = conn.execute(sa.text("SELECT * FROM consent_event")).all()
    assert canary.leaks([repr(done), repr(ledger), repr(events)]) == []


# -- a data map where an erased field is searchable and shared by two consents ----------------


@pytest.fixture
def shared_phone(settings: Settings, tmp_path: Path, canary: PiiCanary) -> Iterator[Tutela]:
    """The example map with `phone` (searchable) used only by newsletter and personalised_ads
    (both consent-based): it goes when the last of the two is withdrawn."""
    doc = yaml.safe_load(example_datamap())
    doc["purposes"]["order_fulfilment"]["fields"].remove("phone")
    doc["purposes"]["fraud_prevention"]["fields"].remove("phone")
    doc["purposes"]["newsletter"]["fields"].append("phone")
    doc["purposes"]["personalised_ads"]["fields"].append("phone")
    path = tmp_path / "shared-phone.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    with Tutela.init(settings=settings, datamap=path) as opened:
        yield opened
        assert canary.leaks(repr(e) for e in opened.audit_entries()) == []


def test_a_field_goes_only_when_the_last_purpose_needing_it_is_withdrawn(
    shared_phone: Tutela, canary: PiiCanary
) -> None:
    tutela = shared_phone
    record = _customer(canary)
    sid = tutela.add(record)
    tutela.consents.record(sid, {"newsletter": True, "personalised_ads": True})
    assert tutela.consents.withdraw(sid, "newsletter").erased_fields == ("marketing_preferences",)
    assert "phone" in _held(tutela, sid)
    assert tutela.read(sid, ["phone"], purpose="personalised_ads", role="marketing") == {
        "phone": record["phone"]
    }
    assert tutela.consents.withdraw(sid, "personalised_ads").erased_fields == ("phone",)
    assert "phone" not in _held(tutela, sid)
    assert _field_erasures(tutela) == [(sid, "marketing_preferences"), (sid, "phone")]
    assert _row(tutela, sid)["dek_version"] == 3  # one new data key per erasure


def test_erased_searchable_fields_leave_the_blind_index(
    shared_phone: Tutela, canary: PiiCanary
) -> None:
    tutela = shared_phone
    record, other = _customer(canary, 0), _customer(canary, 1)
    sid, kept = tutela.add(record), tutela.add(other)
    for subject in (sid, kept):
        tutela.consents.grant(subject, "newsletter")
    assert tutela.find("phone", record["phone"], purpose="newsletter", role="admin") == [sid]
    assert _index_fields(tutela, sid) == {"email", "phone", "loyalty_id"}

    assert tutela.consents.withdraw(sid, "newsletter").erased_fields == (
        "marketing_preferences",
        "phone",
    )

    assert _index_fields(tutela, sid) == {"email", "loyalty_id"}  # email: order_fulfilment
    assert _index_fields(tutela, kept) == {"email", "phone", "loyalty_id"}
    tutela.consents.grant(sid, "newsletter")
    assert tutela.find("phone", record["phone"], purpose="newsletter", role="admin") == []
    assert tutela.find("phone", other["phone"], purpose="newsletter", role="admin") == [kept]
    assert tutela.find("email", record["email"], purpose="order_fulfilment", role="admin") == [sid]
