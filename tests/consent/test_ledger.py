"""The consent ledger, on SQLite and PostgreSQL: an append-only history of grants and
withdrawals; the state every read asks (in this process or another) is the latest event;
bad requests write nothing; consents given under an older privacy notice are found again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tutela import Actor, Settings, Tutela, errors
from tutela.testing import FrozenClock, PiiCanary

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def frozen(settings: Settings, clock: FrozenClock, canary: PiiCanary) -> Iterator[Tutela]:
    """A fresh home on a frozen clock; its audit rows are checked for canaries."""
    with Tutela.init(settings=settings, clock=clock) as opened:
        yield opened
        leaks = canary.leaks(repr(e) for e in opened.audit_entries())
        assert not leaks, f"{len(leaks)} canary value(s) leaked into audit rows"


def _ledger(tutela: Tutela) -> list[dict[str, Any]]:
    with tutela.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM consent_event ORDER BY seq")).mappings()
        return [dict(r) for r in rows]


def _last_entry(tutela: Tutela) -> Any:
    return list(tutela.audit_entries())[-1]


def _denied(tutela: Tutela, purpose: str, role: str, sid: str, canary: PiiCanary) -> None:
    """The read raises ConsentNotActive, audited as a denial; the message holds no value."""
    with pytest.raises(errors.ConsentNotActive) as raised:
        tutela.read(sid, purpose=purpose, role=role)
    assert (raised.value.subject_id, raised.value.purpose) == (sid, purpose)
    assert canary.leaks([str(raised.value), repr(raised.value)]) == []
    entry = _last_entry(tutela).event
    assert (entry.action, entry.outcome, entry.subject_id, entry.purpose, entry.detail) == (
        "subject.read",
        "denied",
        sid,
        purpose,
        "ConsentNotActive",
    )


# -- the read-time check ---------------------------------------------------------------------


def test_withdrawal_denies_the_very_next_read_and_a_grant_allows_it_again(
    tutela: Tutela, canary: PiiCanary
) -> None:
    record = canary.customer()
    sid = tutela.add(record)
    _denied(tutela, "newsletter", "marketing", sid, canary)  # never granted
    tutela.consents.grant(sid, "newsletter")
    assert tutela.read(sid, ["email"], purpose="newsletter", role="marketing") == {
        "email": record["email"]
    }
    tutela.consents.withdraw(sid, "newsletter")
    _denied(tutela, "newsletter", "marketing", sid, canary)
    tutela.consents.grant(sid, "newsletter")
    assert tutela.read(sid, ["email"], purpose="newsletter", role="marketing") == {
        "email": record["email"]
    }
    assert _last_entry(tutela).event.outcome == "ok"


def test_withdrawing_one_purpose_leaves_the_others_as_they_were(
    tutela: Tutela, canary: PiiCanary
) -> None:
    sid = tutela.add(canary.customer())
    tutela.consents.record(sid, {"newsletter": True, "analytics": True})
    tutela.consents.withdraw(sid, "newsletter")
    _denied(tutela, "newsletter", "marketing", sid, canary)
    assert "email" in tutela.read(sid, purpose="analytics", role="analyst")
    assert "email" in tutela.read(sid, purpose="order_fulfilment", role="support")


def test_an_objection_to_a_legitimate_interest_denies_it_until_a_later_grant(
    tutela: Tutela, canary: PiiCanary
) -> None:
    """fraud_prevention needs no grant, but the customer may object (a withdrawal); a later
    grant lifts the objection."""
    record = canary.customer()
    sid = tutela.add(record)
    assert tutela.read(sid, ["email"], purpose="fraud_prevention", role="fraud") == {
        "email": record["email"]
    }
    objected = tutela.consents.withdraw(sid, "fraud_prevention")
    assert objected.receipts[0]["action"] == "withdraw"
    assert objected.receipts[0]["purposes"][0]["legal_basis"] == "legitimate_interests"
    _denied(tutela, "fraud_prevention", "fraud", sid, canary)
    tutela.consents.grant(sid, "fraud_prevention")
    assert tutela.read(sid, ["email"], purpose="fraud_prevention", role="fraud") == {
        "email": record["email"]
    }


def test_batch_reads_and_searches_leave_out_a_subject_who_withdrew(
    tutela: Tutela, canary: PiiCanary
) -> None:
    first, second = canary.customer(0), canary.customer(1)
    kept, withdrawn = tutela.add(first), tutela.add(second)
    for sid in (kept, withdrawn):
        tutela.consents.grant(sid, "newsletter")
    tutela.consents.withdraw(withdrawn, "newsletter")
    records = tutela.read_many([kept, withdrawn], ["email"], purpose="newsletter", role="admin")
    assert records == {kept: {"email": first["email"]}}
    outcomes = {
        e.event.subject_id: (e.event.outcome, e.event.detail)
        for e in list(tutela.audit_entries())[-2:]
    }
    assert outcomes == {kept: ("ok", None), withdrawn: ("denied", "ConsentNotActive")}
    assert tutela.find("email", second["email"], purpose="newsletter", role="admin") == []
    assert tutela.find("email", first["email"], purpose="newsletter", role="admin") == [kept]


def test_a_withdrawal_made_by_a_second_instance_applies_to_the_first_at_once(
    tutela: Tutela, settings: Settings, canary: PiiCanary
) -> None:
    """Two open homes on the same database (two workers): nothing is cached, so the first
    instance's next read sees the other's withdrawal, and its grant too."""
    sid = tutela.add(canary.customer())
    tutela.consents.grant(sid, "newsletter")
    assert tutela.read(sid, ["email"], purpose="newsletter", role="marketing")
    with Tutela.open(settings=settings) as second:
        second.consents.withdraw(sid, "newsletter")
        _denied(tutela, "newsletter", "marketing", sid, canary)
        second.consents.grant(sid, "newsletter")
        assert tutela.read(sid, ["email"], purpose="newsletter", role="marketing")
        tutela.consents.withdraw(sid, "newsletter")
        _denied(second, "newsletter", "marketing", sid, canary)


# -- the ledger ------------------------------------------------------------------------------


def test_history_lists_every_event_in_order_with_its_provenance(
    frozen: Tutela, clock: FrozenClock, canary: PiiCanary
) -> None:
    sid = frozen.add(canary.customer())
    frozen.consents.grant(sid, "newsletter", method="web_form")
    clock.advance(timedelta(days=3))
    frozen.consents.withdraw(sid, "newsletter", actor=Actor("cli:ops", "support"))
    clock.advance(timedelta(hours=5))
    frozen.consents.grant(sid, "newsletter", method="staff")
    events = frozen.consents.history(sid)
    assert [(e.purpose, e.action, e.method, e.collector, e.at) for e in events] == [
        ("newsletter", "grant", "web_form", "sdk", START),
        ("newsletter", "withdraw", "api", "cli:ops", START + timedelta(days=3)),
        ("newsletter", "grant", "staff", "sdk", START + timedelta(days=3, hours=5)),
    ]
    assert [e.seq for e in events] == sorted(e.seq for e in events)
    assert {e.notice_version for e in events} == {frozen.consents.notice_version}
    assert {e.datamap_version for e in events} == {frozen.datamap_version}
    assert [e.receipt_id for e in events] == [
        r["receipt_id"] for r in frozen.consents.receipts(sid)
    ]
    (newsletter,) = [s for s in frozen.consents.status(sid) if s.purpose == "newsletter"]
    assert newsletter.active
    assert newsletter.last is not None and newsletter.last.receipt_id == events[-1].receipt_id
    assert not newsletter.stale


def test_recording_appends_and_never_rewrites_earlier_events(
    tutela: Tutela, canary: PiiCanary
) -> None:
    sid = tutela.add(canary.customer())
    tutela.consents.grant(sid, "newsletter")
    tutela.consents.grant(sid, "analytics")
    before = _ledger(tutela)
    tutela.consents.withdraw(sid, "newsletter")
    tutela.consents.grant(sid, "newsletter")
    tutela.consents.grant(sid, "newsletter")  # a repeated grant is a new event too
    after = _ledger(tutela)
    assert after[: len(before)] == before
    assert len(after) == len(before) + 3
    assert [r["action"] for r in after[len(before) :]] == ["withdraw", "grant", "grant"]


def test_status_shows_every_purpose_the_customer_controls(
    tutela: Tutela, canary: PiiCanary
) -> None:
    """Only consent and legitimate-interest purposes (contract and legal obligation are not
    a choice); legitimate interests are active until an objection."""
    sid = tutela.add(canary.customer())
    tutela.consents.record(sid, {"analytics": True, "personalised_ads": False})
    states = {s.purpose: s for s in tutela.consents.status(sid)}
    assert set(states) == {"fraud_prevention", "newsletter", "analytics", "personalised_ads"}
    assert {name: s.active for name, s in states.items()} == {
        "fraud_prevention": True,
        "newsletter": False,
        "analytics": True,
        "personalised_ads": False,
    }
    assert states["fraud_prevention"].last is None
    assert states["newsletter"].last is None
    last = states["personalised_ads"].last
    assert last is not None and last.action == "withdraw"
    assert states["fraud_prevention"].basis.value == "legitimate_interests"
    entry = _last_entry(tutela).event
    assert (entry.action, entry.outcome, entry.subject_id) == ("consent.status", "ok", sid)


def test_history_survives_erasure_of_the_subject(tutela: Tutela, canary: PiiCanary) -> None:
    """The ledger holds no personal value and is the proof of what was agreed: it stays;
    recording or reading status for an erased subject is refused."""
    sid = tutela.add(canary.customer())
    tutela.consents.grant(sid, "newsletter")
    tutela.erase(sid)
    assert [e.action for e in tutela.consents.history(sid)] == ["grant"]
    assert len(tutela.consents.receipts(sid)) == 1
    with pytest.raises(errors.SubjectErased):
        tutela.consents.status(sid)
    with pytest.raises(errors.SubjectErased):
        tutela.consents.grant(sid, "newsletter")


def test_a_role_without_consent_permissions_can_neither_record_nor_read(
    tutela: Tutela, canary: PiiCanary
) -> None:
    sid = tutela.add(canary.customer())
    marketing = Actor("sdk:marketing", "marketing")
    with pytest.raises(errors.NotPermitted):
        tutela.consents.grant(sid, "newsletter", actor=marketing)
    denied = _last_entry(tutela).event
    assert (denied.action, denied.outcome, denied.role) == ("consent.record", "denied", "marketing")
    for read in (tutela.consents.status, tutela.consents.history, tutela.consents.receipts):
        with pytest.raises(errors.NotPermitted):
            read(sid, actor=marketing)
    with pytest.raises(errors.NotPermitted):
        tutela.consents.stale(actor=marketing)
    assert _ledger(tutela) == []


# -- bad requests write nothing ---------------------------------------------------------------

BAD: dict[str, tuple[Callable[[Tutela, str, str], Any], type[errors.TutelaError], str]] = {
    "unknown purpose": (
        lambda t, sid, _: t.consents.record(sid, {"newsletter": True, "telepathy": True}),
        errors.PurposeNotInDataMap,
        "telepathy",
    ),
    "empty choices": (
        lambda t, sid, _: t.consents.record(sid, {}),
        errors.ConsentRequestInvalid,
        "no choice",
    ),
    "contract purpose": (
        lambda t, sid, _: t.consents.withdraw(sid, "order_fulfilment"),
        errors.PurposeNotWithdrawable,
        "order_fulfilment",
    ),
    "legal obligation": (
        lambda t, sid, _: t.consents.record(sid, {"newsletter": True, "tax_records": False}),
        errors.PurposeNotWithdrawable,
        "tax_records",
    ),
    "unknown method": (
        lambda t, sid, _: t.consents.grant(sid, "newsletter", method="carrier_pigeon"),
        errors.ConsentRequestInvalid,
        "carrier_pigeon",
    ),
    "unknown subject": (
        lambda t, sid, _: t.consents.grant("sub_" + "a" * 26, "newsletter"),
        errors.SubjectNotFound,
        "sub_" + "a" * 26,
    ),
    "malformed subject id": (
        lambda t, sid, _: t.consents.grant("not-an-id", "newsletter"),
        errors.SubjectNotFound,
        "not-an-id",
    ),
    "erased subject": (
        lambda t, sid, erased: t.consents.grant(erased, "newsletter"),
        errors.SubjectErased,
        "was erased",
    ),
    "unpublished notice": (
        lambda t, sid, _: t.consents.record(
            sid, {"newsletter": True}, notice_version="0123456789abcdef"
        ),
        errors.ConsentRequestInvalid,
        "never published",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_request_is_refused_by_name_and_writes_nothing(
    tutela: Tutela, canary: PiiCanary, case: str
) -> None:
    attempt, error, named = BAD[case]
    sid = tutela.add(canary.customer(0))
    tutela.consents.grant(sid, "analytics")
    erased = tutela.add(canary.customer(1))
    tutela.erase(erased)
    ledger, audit = _ledger(tutela), list(tutela.audit_entries())
    with pytest.raises(error) as raised:
        attempt(tutela, sid, erased)
    assert named in str(raised.value)
    assert canary.leaks([str(raised.value)]) == []
    assert _ledger(tutela) == ledger
    assert list(tutela.audit_entries()) == audit
    assert [s.active for s in tutela.consents.status(sid) if s.purpose == "newsletter"] == [False]


def test_a_choice_may_name_any_notice_version_that_was_published(
    tutela: Tutela, settings: Settings, canary: PiiCanary
) -> None:
    """A banner shown before a notice change records under the version it showed."""
    sid = tutela.add(canary.customer())
    old = tutela.consents.notice_version
    _reword_newsletter(settings)
    with Tutela.open(settings=settings) as reopened:
        assert reopened.consents.notice_version != old
        done = reopened.consents.record(sid, {"newsletter": True}, notice_version=old)
        assert done.notice_version == old
        assert done.receipts[0]["notice"]["version"] == old
        assert reopened.consents.history(sid)[-1].notice_version == old


# -- stale consents --------------------------------------------------------------------------


def _reword_newsletter(settings: Settings) -> None:
    """A changed purpose description: a new data map version and so a new notice version."""
    path = settings.datamap_file
    text = path.read_text("utf-8")
    old = "Send the newsletter to customers who asked for it"
    assert old in text
    path.write_text(text.replace(old, "Send the weekly newsletter to customers who asked"))


def test_a_changed_notice_makes_active_grants_stale_until_granted_again(
    tutela: Tutela, settings: Settings, canary: PiiCanary
) -> None:
    granted, withdrew, regranted = (tutela.add(canary.customer(n)) for n in range(3))
    tutela.consents.record(granted, {"newsletter": True, "analytics": True})
    tutela.consents.grant(withdrew, "newsletter")
    tutela.consents.withdraw(withdrew, "newsletter")
    tutela.consents.grant(regranted, "analytics")
    tutela.consents.withdraw(regranted, "personalised_ads")  # a withdrawal is never stale
    old = tutela.consents.notice_version
    assert tutela.consents.stale() == []

    _reword_newsletter(settings)
    with Tutela.open(settings=settings) as reopened:
        assert reopened.notice.version == reopened.consents.notice_version != old
        assert reopened.datamap_version != tutela.datamap_version
        stale = reopened.consents.stale()
        assert sorted((r.subject_id, r.purpose) for r in stale) == sorted(
            [(granted, "newsletter"), (granted, "analytics"), (regranted, "analytics")]
        )
        assert {r.notice_version for r in stale} == {old}
        flags = {s.purpose: s.stale for s in reopened.consents.status(granted)}
        assert flags["newsletter"] and flags["analytics"]
        assert not flags["fraud_prevention"]

        reopened.consents.grant(granted, "newsletter")
        reopened.consents.withdraw(regranted, "analytics")
        assert [(r.subject_id, r.purpose) for r in reopened.consents.stale()] == [
            (granted, "analytics")
        ]
        entry = _last_entry(reopened).event
        assert (entry.action, entry.outcome) == ("consent.stale", "ok")

    # Reopening with the same data map publishes nothing new: nothing more goes stale.
    with Tutela.open(settings=settings) as again:
        assert [(r.subject_id, r.purpose) for r in again.consents.stale()] == [
            (granted, "analytics")
        ]
        again_version = again.consents.notice_version
    assert [n.version for n in tutela.notice_versions()] == [old, again_version]
