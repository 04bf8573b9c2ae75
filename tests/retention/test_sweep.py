"""What the retention sweep erases at a moved clock, on SQLite and PostgreSQL: exactly the
values no purpose keeps any longer, and subjects left with nothing, and nothing else.

Each boundary is crossed by sweeping one second before it (nothing changes) and one second
after it (exactly the expected fields go). Dates: customers are created at T0 = 2026-01-01.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from retention_support import (
    BASE,
    SECOND,
    T0,
    customer,
    erasure_ledger,
    expired,
    field_erasure_ledger,
    held,
    move_to,
    sweep_at,
)

import tutela as tutela_package
from tutela import Settings, Tutela, errors
from tutela.clock import FrozenClock
from tutela.retention import sweep as retention
from tutela.testing import PiiCanary

EXAMPLE_DATAMAP = Path(tutela_package.__file__).parent / "examples" / "datamap.yaml"

Y2 = datetime(2028, 1, 1, tzinfo=UTC)  # fraud_prevention (P2Y) ends for T0's customers
Y6 = datetime(2032, 1, 1, tzinfo=UTC)  # order_fulfilment (P6Y)
Y10 = datetime(2036, 1, 1, tzinfo=UTC)  # tax_records (P10Y)
GRANT = datetime(2027, 1, 1, tzinfo=UTC)  # when customers grant analytics
GRANT_P13M = datetime(2028, 2, 1, tzinfo=UTC)  # analytics (P13M from the grant) ends


def _values(shop: Tutela, sid: str) -> dict[str, object]:
    """Every value an admin reads for the non-consent purposes."""
    out: dict[str, object] = {}
    for purpose in ("order_fulfilment", "fraud_prevention", "tax_records"):
        out.update(shop.read(sid, purpose=purpose, role="admin"))
    return out


def test_each_field_goes_when_its_last_purpose_ends_then_the_whole_subject(
    shop: Tutela, clock: FrozenClock, canary: PiiCanary
) -> None:
    """Without consents: marketing_preferences goes at once (only newsletter uses it, and it
    holds nothing without a grant), date_of_birth after 2 years, email, phone and loyalty_id
    after 6, and after 10 the subject itself; a customer created a year later lags behind."""
    sid = shop.add(customer(canary, 1, "date_of_birth", "country", "marketing_preferences"))
    before = _values(shop, sid)
    move_to(clock, datetime(2027, 1, 1, tzinfo=UTC))
    later = shop.add(customer(canary, 2, "date_of_birth", "country"))

    assert sweep_at(shop, clock, datetime(2027, 1, 1, tzinfo=UTC)) == {
        sid: (("marketing_preferences",), False)
    }
    kept = BASE | {"date_of_birth", "country"}
    assert held(shop, sid) == kept
    assert held(shop, later) == kept

    assert sweep_at(shop, clock, Y2 - SECOND) == {}
    assert sweep_at(shop, clock, Y2 + SECOND) == {sid: (("date_of_birth",), False)}
    kept -= {"date_of_birth"}
    assert held(shop, sid) == kept
    assert held(shop, later) == kept | {"date_of_birth"}

    assert sweep_at(shop, clock, Y6 - SECOND) == {later: (("date_of_birth",), False)}
    assert sweep_at(shop, clock, Y6 + SECOND) == {sid: (("email", "loyalty_id", "phone"), False)}
    assert held(shop, sid) == {"name", "address", "country"}
    # What is left still reads as stored; the erased fields are simply absent.
    assert _values(shop, sid) == {k: before[k] for k in ("name", "address", "country")}
    assert held(shop, later) == kept

    assert sweep_at(shop, clock, Y10 - SECOND) == {later: (("email", "loyalty_id", "phone"), False)}
    assert sid not in erasure_ledger(shop)
    assert sweep_at(shop, clock, Y10 + SECOND) == {sid: (("address", "country", "name"), True)}
    assert held(shop, sid) is None
    assert erasure_ledger(shop) == {sid}
    with pytest.raises(errors.SubjectErased):
        shop.read(sid, purpose="tax_records", role="admin")
    assert held(shop, later) == {"name", "address", "country"}


def test_a_subject_whose_values_all_expired_is_erased_whole(
    shop: Tutela, clock: FrozenClock, canary: PiiCanary
) -> None:
    """A customer holding only email (order_fulfilment, 6 years) is erased whole, into the
    erasure ledger, while one with tax-record fields is only trimmed; the report counts both."""
    only_email = shop.add({"email": canary.customer(1)["email"]})
    trimmed = shop.add(customer(canary, 2))

    assert sweep_at(shop, clock, Y6 - SECOND) == {}
    move_to(clock, Y6 + SECOND)
    report = shop.sweep()
    assert expired(report) == {
        only_email: (("email",), True),
        trimmed: (("email", "loyalty_id", "phone"), False),
    }
    assert (report.subjects_checked, report.subjects_erased, report.subjects_trimmed) == (2, 1, 1)
    assert report.fields_erased == 4
    assert erasure_ledger(shop) == {only_email}
    assert field_erasure_ledger(shop) == {(trimmed, f) for f in ("email", "loyalty_id", "phone")}
    with pytest.raises(errors.SubjectErased):
        shop.read(only_email, purpose="order_fulfilment", role="admin")
    assert shop.read_many([only_email], purpose="order_fulfilment", role="admin") == {}
    assert shop.read(trimmed, purpose="tax_records", role="admin").keys() == {
        "name",
        "address",
    }


def test_a_field_several_purposes_use_survives_while_any_keeps_it(
    shop: Tutela, clock: FrozenClock, canary: PiiCanary
) -> None:
    """date_of_birth is used by fraud_prevention (2 years from collection) and analytics
    (13 months from the grant): granted after a year, it outlives fraud_prevention by a month."""
    granted = shop.add(customer(canary, 1, "date_of_birth", "country"))
    plain = shop.add(customer(canary, 2, "date_of_birth", "country"))
    move_to(clock, GRANT)
    shop.consents.grant(granted, "analytics")

    assert sweep_at(shop, clock, Y2 - SECOND) == {}
    assert sweep_at(shop, clock, Y2 + SECOND) == {plain: (("date_of_birth",), False)}
    assert "date_of_birth" in shop.read(granted, purpose="analytics", role="admin")

    assert sweep_at(shop, clock, GRANT_P13M - SECOND) == {}
    assert sweep_at(shop, clock, GRANT_P13M + SECOND) == {granted: (("date_of_birth",), False)}
    # The grant still stands, but analytics no longer keeps anything the others do not.
    assert shop.read(granted, purpose="analytics", role="admin").keys() == {
        "email",
        "country",
        "loyalty_id",
    }
    assert held(shop, granted) == held(shop, plain) == BASE | {"country"}


def test_a_recent_consent_keeps_shared_fields_past_the_contracts_retention(
    shop: Tutela, clock: FrozenClock, canary: PiiCanary
) -> None:
    """personalised_ads (1 year from the grant) uses email and loyalty_id: granted half a
    year before order_fulfilment ends, it keeps them half a year longer; phone goes on time."""
    sharing = shop.add(customer(canary, 1))
    plain = shop.add(customer(canary, 2))
    move_to(clock, datetime(2031, 7, 1, tzinfo=UTC))
    shop.consents.grant(sharing, "personalised_ads")
    end = datetime(2032, 7, 1, tzinfo=UTC)

    assert sweep_at(shop, clock, Y6 - SECOND) == {}
    assert sweep_at(shop, clock, Y6 + SECOND) == {
        sharing: (("phone",), False),
        plain: (("email", "loyalty_id", "phone"), False),
    }
    assert sweep_at(shop, clock, end - SECOND) == {}
    assert held(shop, sharing) == {"email", "loyalty_id", "name", "address"}
    assert sweep_at(shop, clock, end + SECOND) == {sharing: (("email", "loyalty_id"), False)}
    assert held(shop, sharing) == held(shop, plain) == {"name", "address"}


def test_retention_counted_from_consent_restarts_with_a_newer_grant(
    shop: Tutela, clock: FrozenClock, canary: PiiCanary
) -> None:
    """Granting analytics again half a year later moves its end by half a year."""
    once = shop.add(customer(canary, 1, "date_of_birth"))
    twice = shop.add(customer(canary, 2, "date_of_birth"))
    move_to(clock, GRANT)
    shop.consents.grant(once, "analytics")
    shop.consents.grant(twice, "analytics")
    move_to(clock, datetime(2027, 7, 1, tzinfo=UTC))
    shop.consents.grant(twice, "analytics")
    regranted_end = datetime(2028, 8, 1, tzinfo=UTC)

    assert sweep_at(shop, clock, GRANT_P13M - SECOND) == {}
    assert sweep_at(shop, clock, GRANT_P13M + SECOND) == {once: (("date_of_birth",), False)}
    assert "date_of_birth" in held(shop, twice)  # type: ignore[operator]
    assert sweep_at(shop, clock, regranted_end - SECOND) == {}
    assert sweep_at(shop, clock, regranted_end + SECOND) == {twice: (("date_of_birth",), False)}


def test_a_consent_purpose_keeps_its_fields_only_for_its_retention_after_the_grant(
    shop: Tutela, clock: FrozenClock, canary: PiiCanary
) -> None:
    """newsletter keeps marketing_preferences 2 years from the grant, even though the consent
    is never withdrawn; without a grant it keeps nothing from the start."""
    subscriber = shop.add(customer(canary, 1, "marketing_preferences"))
    never_asked = shop.add(customer(canary, 2, "marketing_preferences"))
    move_to(clock, datetime(2026, 6, 1, tzinfo=UTC))
    shop.consents.grant(subscriber, "newsletter")
    end = datetime(2028, 6, 1, tzinfo=UTC)

    assert sweep_at(shop, clock, clock.now()) == {never_asked: (("marketing_preferences",), False)}
    assert sweep_at(shop, clock, end - SECOND) == {}
    assert sweep_at(shop, clock, end + SECOND) == {subscriber: (("marketing_preferences",), False)}
    # name and email stay: order_fulfilment keeps them for 6 years from collection.
    assert held(shop, subscriber) == BASE


def test_a_withdrawn_consent_purpose_keeps_nothing(
    shop: Tutela, clock: FrozenClock, canary: PiiCanary
) -> None:
    """Withdrawing analytics erases nothing at once (fraud_prevention still needs
    date_of_birth), but when fraud_prevention ends the withdrawn grant keeps nothing, while
    the same grant not withdrawn keeps date_of_birth another month."""
    staying = shop.add(customer(canary, 1, "date_of_birth"))
    leaving = shop.add(customer(canary, 2, "date_of_birth"))
    move_to(clock, GRANT)
    shop.consents.grant(staying, "analytics")
    shop.consents.grant(leaving, "analytics")
    move_to(clock, datetime(2027, 6, 1, tzinfo=UTC))
    assert shop.consents.withdraw(leaving, "analytics").erased_fields == ()

    assert sweep_at(shop, clock, clock.now()) == {}
    assert sweep_at(shop, clock, Y2 - SECOND) == {}
    assert sweep_at(shop, clock, Y2 + SECOND) == {leaving: (("date_of_birth",), False)}
    assert held(shop, staying) == BASE | {"date_of_birth"}


def test_an_objection_to_fraud_prevention_keeps_its_fields_until_its_retention(
    shop: Tutela, clock: FrozenClock, canary: PiiCanary
) -> None:
    """fraud_prevention says keep_until_retention: after an objection date_of_birth stays
    until 2 years from collection, no sooner and no later than without the objection."""
    objecting = shop.add(customer(canary, 1, "date_of_birth"))
    move_to(clock, datetime(2026, 2, 1, tzinfo=UTC))
    later = shop.add(customer(canary, 2, "date_of_birth"))
    assert shop.consents.withdraw(objecting, "fraud_prevention").erased_fields == ()

    assert sweep_at(shop, clock, clock.now()) == {}
    assert held(shop, objecting) == BASE | {"date_of_birth"}
    assert sweep_at(shop, clock, Y2 - SECOND) == {}
    assert sweep_at(shop, clock, Y2 + SECOND) == {objecting: (("date_of_birth",), False)}
    assert held(shop, later) == BASE | {"date_of_birth"}
    with pytest.raises(errors.ConsentNotActive):  # the objection still bars the purpose
        shop.read(objecting, purpose="fraud_prevention", role="admin")


def test_a_visitor_without_values_is_kept_only_while_a_consent_is_active_and_in_force(
    shop: Tutela, clock: FrozenClock
) -> None:
    """A visitor who refused everything goes at the first sweep; one who granted analytics
    stays for its 13 months; one who granted the newsletter and withdrew goes after that."""
    refused = shop.consents.record(None, {"analytics": False}).subject_id
    granted = shop.consents.record(None, {"analytics": True}).subject_id
    withdrew = shop.consents.record(None, {"newsletter": True}).subject_id
    assert held(shop, refused) == held(shop, granted) == held(shop, withdrew) == frozenset()

    assert sweep_at(shop, clock, T0) == {refused: ((), True)}
    move_to(clock, datetime(2026, 3, 1, tzinfo=UTC))
    shop.consents.withdraw(withdrew, "newsletter")
    assert sweep_at(shop, clock, clock.now()) == {withdrew: ((), True)}

    end = datetime(2027, 2, 1, tzinfo=UTC)
    assert sweep_at(shop, clock, end - SECOND) == {}
    assert held(shop, granted) == frozenset()
    assert sweep_at(shop, clock, end + SECOND) == {granted: ((), True)}
    assert erasure_ledger(shop) == {refused, withdrew, granted}
    # The consent ledger outlives the subject: it is the proof of what they agreed to.
    assert [e.action for e in shop.consents.history(granted)] == ["grant"]


def test_the_sweep_pages_through_every_subject_in_batches(
    shop: Tutela, clock: FrozenClock, canary: PiiCanary
) -> None:
    """With batches of two, erasing whole subjects and trimming others mid-page skips none;
    progress runs from 0 to the total."""
    trimmed = [shop.add(customer(canary, n, "marketing_preferences")) for n in range(3)]
    kept = [shop.add(customer(canary, n)) for n in range(3, 5)]
    visitors = [shop.consents.record(None, {"analytics": False}).subject_id for _ in range(2)]
    calls: list[tuple[int, int]] = []

    report = retention.sweep(
        shop.unit_of_work,
        shop.vault,
        shop.consents.ledger,
        clock,
        batch_size=2,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert report.subjects_checked == 7
    assert expired(report) == {
        **{sid: (("marketing_preferences",), False) for sid in trimmed},
        **{sid: ((), True) for sid in visitors},
    }
    assert [e.subject_id for e in report.expiries] == sorted(trimmed + visitors)
    assert all(held(shop, sid) == BASE for sid in trimmed + kept)
    assert calls[0] == (0, 7)
    assert calls[-1] == (7, 7)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_a_consent_purpose_never_granted_keeps_nothing_even_if_it_keeps_after_withdrawal(
    settings: Settings, tmp_path: Path, canary: PiiCanary
) -> None:
    """The rule: 'a consent purpose keeps nothing without a grant'. The data map here lets
    newsletter keep its fields until retention after a withdrawal, counted from collection."""
    datamap = tmp_path / "datamap.yaml"
    text = EXAMPLE_DATAMAP.read_text()
    old = "    retention: P2Y\n    retention_from: consent\n    roles: [marketing, admin]\n"
    assert old in text
    datamap.write_text(
        text.replace(
            old,
            "    retention: P2Y\n    on_withdrawal: keep_until_retention\n"
            "    roles: [marketing, admin]\n",
        )
    )
    clock = FrozenClock(T0)
    with Tutela.init(settings=settings, datamap=datamap, clock=clock) as shop:
        never_asked = shop.add(customer(canary, 1, "marketing_preferences"))
        assert sweep_at(shop, clock, T0 + SECOND) == {
            never_asked: (("marketing_preferences",), False)
        }
