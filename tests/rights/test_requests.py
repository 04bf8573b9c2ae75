"""Data-subject requests end to end through `tutela.requests`, on SQLite and PostgreSQL: legal
deadlines and extensions at a moved clock, staff approval and rejection, what erasure, objection
and restriction do to the subject, the access export, the emails the requester gets, and the
timeline and audit trail of every step.

The clock starts on Saturday 31 January 2026, 09:00 UTC (see conftest.py). The example data
map's tax_records purpose (legal obligation) keeps name, address and country.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tutela import Settings, Tutela, errors
from tutela.actor import Actor
from tutela.clock import FrozenClock
from tutela.rights.service import RequestView, Status
from tutela.testing import OutboxMailer, PiiCanary

Verified = Callable[..., RequestView]

SUPPORT = Actor("agent-7", "support")  # may write subjects, but not handle requests
TAX_FIELDS = {"name", "address", "country"}
EXTRA = {"date_of_birth": "1980-05-17", "country": "GB", "marketing_preferences": ["email"]}


def customer(canary: PiiCanary, n: int = 1, *extra: str) -> dict[str, Any]:
    """A canary customer (email, name, phone, address, loyalty_id) plus the `extra` fields."""
    record: dict[str, Any] = canary.customer(n)
    record.update({name: EXTRA[name] for name in extra})
    return record


def move_to(clock: FrozenClock, when: datetime) -> None:
    clock.advance(when - clock.now())


def on(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def sealed_email(tutela: Tutela, request_id: str) -> bytes | None:
    with tutela.engine.connect() as conn:
        value = conn.execute(
            sa.text("SELECT email_sealed FROM rights_request WHERE id = :r"), {"r": request_id}
        ).scalar_one()
    return None if value is None else bytes(value)


def kinds(outbox: OutboxMailer) -> list[str]:
    return [m.kind for m in outbox.messages]


def held(tutela: Tutela, subject_id: str) -> frozenset[str] | None:
    """The fields the subject holds values for, or None once it was erased whole."""
    with tutela.unit_of_work() as uow:
        if tutela.vault.is_erased(uow, subject_id):
            return None
        return tutela.vault.held_fields(uow, subject_id)


def ids(views: list[RequestView]) -> list[str]:
    return [v.id for v in views]


def no_leak(canary: PiiCanary, error: pytest.ExceptionInfo[BaseException]) -> None:
    assert not canary.leaks([str(error.value), repr(error.value)])


# -- deadlines ----------------------------------------------------------------------------------


@pytest.mark.parametrize("jurisdiction", [None, "DE", "GB"])
def test_a_gdpr_request_received_on_31_january_is_due_on_28_february(
    desk: Tutela, canary: PiiCanary, jurisdiction: str | None
) -> None:
    view = desk.requests.create("access", customer(canary)["email"], jurisdiction=jurisdiction)

    assert view.regime == "gdpr"
    assert view.received_at == on("2026-01-31", 9)
    assert view.due_on == date(2026, 2, 28)
    assert view.latest_extension == date(2026, 4, 30)  # three months in all
    assert view.acknowledge_by is None
    assert desk.requests.show(view.id).due_on == date(2026, 2, 28)


def test_a_ccpa_request_is_due_in_45_days_and_acknowledged_within_10_business_days(
    desk: Tutela, canary: PiiCanary
) -> None:
    view = desk.requests.create("access", customer(canary)["email"], jurisdiction="US-CA")

    assert view.regime == "ccpa"
    assert view.due_on == date(2026, 3, 17)  # 31 January + 45 days
    assert view.latest_extension == date(2026, 5, 1)  # + 45 more
    assert view.acknowledge_by == date(2026, 2, 13)  # ten weekdays after Saturday 31 January


@pytest.mark.parametrize(
    ("jurisdiction", "maximum"), [(None, date(2026, 4, 30)), ("US-CA", date(2026, 5, 1))]
)
def test_extending_moves_the_due_date_to_the_legal_maximum_and_records_the_reason(
    desk: Tutela,
    outbox: OutboxMailer,
    clock: FrozenClock,
    canary: PiiCanary,
    verified: Verified,
    jurisdiction: str | None,
    maximum: date,
) -> None:
    person = customer(canary)
    desk.add(person)
    request = verified("rectification", person["email"], jurisdiction)
    move_to(clock, on("2026-02-10"))

    extended = desk.requests.extend(request.id, "records held in three systems")

    assert extended.due_on == maximum
    assert extended.extension_reason == "records held in three systems"
    assert extended.status is Status.IN_PROGRESS  # an extension changes no status
    last = desk.requests.show(request.id).timeline[-1]
    assert (last.at, last.status, last.actor) == (on("2026-02-10"), "in_progress", "sdk")
    assert "records held in three systems" in last.note
    told = outbox.last_to(person["email"])  # within the first period, with the reason
    assert told.kind == "request_extended"
    assert "records held in three systems" in told.text
    assert f"{maximum.day} " in told.text


def test_a_request_is_extended_only_once(
    desk: Tutela, canary: PiiCanary, verified: Verified
) -> None:
    person = customer(canary)
    desk.add(person)
    request = verified("rectification", person["email"])
    desk.requests.extend(request.id, "complex request")

    with pytest.raises(errors.RequestStateInvalid) as refused:
        desk.requests.extend(request.id, "still complex")

    no_leak(canary, refused)
    view = desk.requests.show(request.id)
    assert (view.due_on, view.extension_reason) == (date(2026, 4, 30), "complex request")
    assert sum(e.note.startswith("extended") for e in view.timeline) == 1


def test_extending_is_allowed_on_the_due_day_and_refused_after_it(
    desk: Tutela, clock: FrozenClock, canary: PiiCanary
) -> None:
    on_time = desk.requests.create("access", customer(canary, 1)["email"])
    too_late = desk.requests.create("access", customer(canary, 2)["email"])

    move_to(clock, on("2026-02-28", 23))
    assert desk.requests.extend(on_time.id, "many records").due_on == date(2026, 4, 30)

    move_to(clock, on("2026-03-01", 0))
    with pytest.raises(errors.RequestStateInvalid):
        desk.requests.extend(too_late.id, "many records")
    assert desk.requests.show(too_late.id).due_on == date(2026, 2, 28)


def test_an_empty_reason_neither_extends_a_request_nor_allows_a_second_extension(
    desk: Tutela, canary: PiiCanary, verified: Verified
) -> None:
    person = customer(canary)
    desk.add(person)
    request = verified("rectification", person["email"])
    with pytest.raises(errors.ReasonRequired):
        desk.requests.extend(request.id, "  ")
    desk.requests.extend(request.id, "complex request")
    with pytest.raises(errors.RequestStateInvalid):
        desk.requests.extend(request.id, "a second extension")


def test_a_closed_request_cannot_be_extended(
    desk: Tutela, canary: PiiCanary, verified: Verified
) -> None:
    person = customer(canary)
    desk.add(person)
    request = verified("rectification", person["email"])
    desk.requests.complete(request.id, "address corrected")

    with pytest.raises(errors.RequestStateInvalid):
        desk.requests.extend(request.id, "too late")


def test_overdue_lists_open_requests_late_or_due_within_seven_days(
    desk: Tutela, clock: FrozenClock, canary: PiiCanary, verified: Verified
) -> None:
    gdpr = desk.requests.create("access", customer(canary, 1)["email"])  # due 28 February
    ccpa = desk.requests.create("access", customer(canary, 2)["email"], jurisdiction="US-CA")
    closed = verified("access", "nobody.held@example.org")  # due 28 February, but answered
    assert desk.requests.show(closed.id).status is Status.COMPLETED

    assert desk.requests.overdue() == []
    assert ids(desk.requests.overdue(within_days=30)) == [gdpr.id]
    move_to(clock, on("2026-02-20"))  # 8 days left
    assert desk.requests.overdue() == []
    move_to(clock, on("2026-02-21"))  # 7 days left
    assert ids(desk.requests.overdue()) == [gdpr.id]
    move_to(clock, on("2026-03-01"))  # a day late
    (late,) = desk.requests.overdue()
    assert (late.id, late.days_left(clock.now().date())) == (gdpr.id, -1)
    move_to(clock, on("2026-03-10"))  # the CCPA one has 7 days left
    assert ids(desk.requests.overdue()) == [gdpr.id, ccpa.id]


def test_an_extended_request_leaves_the_overdue_list(
    desk: Tutela, clock: FrozenClock, canary: PiiCanary
) -> None:
    request = desk.requests.create("access", customer(canary)["email"])
    move_to(clock, on("2026-02-25"))
    assert ids(desk.requests.overdue()) == [request.id]

    desk.requests.extend(request.id, "many records")

    assert desk.requests.overdue() == []
    move_to(clock, on("2026-04-24"))
    assert ids(desk.requests.overdue()) == [request.id]


# -- approval -----------------------------------------------------------------------------------


def test_an_erasure_waits_for_staff_approval_before_anything_is_erased(
    desk: Tutela, outbox: OutboxMailer, canary: PiiCanary, verified: Verified
) -> None:
    person = customer(canary)
    subject = desk.add(person)

    waiting = verified("erasure", person["email"])

    assert waiting.status is Status.AWAITING_APPROVAL
    assert waiting.subject_id == subject
    assert held(desk, subject) == {"email", "name", "phone", "address", "loyalty_id"}
    assert ids(desk.requests.listing(statuses=[Status.AWAITING_APPROVAL])) == [waiting.id]
    assert kinds(outbox) == ["verification_code", "request_received"]

    approved = desk.requests.approve(waiting.id)

    assert approved.status is Status.COMPLETED
    assert held(desk, subject) == {"name", "address"}
    assert kinds(outbox)[-1] == "request_completed"


def test_erasure_is_fulfilled_at_once_when_no_approval_is_configured(
    settings: Settings, clock: FrozenClock, outbox: OutboxMailer, canary: PiiCanary
) -> None:
    unattended = settings.model_copy(update={"requests_need_approval": []})
    with Tutela.init(settings=unattended, clock=clock, mailer=outbox) as home:
        person = customer(canary, 1, "marketing_preferences")
        subject = home.add(person)
        created = home.requests.create("erasure", person["email"])

        done = home.requests.verify(created.id, outbox.codes_for(person["email"])[0])

        assert done.status is Status.COMPLETED
        assert held(home, subject) == {"name", "address"}
        assert home.verify_audit().ok


def test_rejecting_closes_the_request_with_the_reason_and_tells_the_requester(
    desk: Tutela, clock: FrozenClock, outbox: OutboxMailer, canary: PiiCanary, verified: Verified
) -> None:
    person = customer(canary)
    subject = desk.add(person)
    waiting = verified("erasure", person["email"])
    move_to(clock, on("2026-02-02"))

    rejected = desk.requests.reject(waiting.id, "an open dispute over an unpaid order")

    assert rejected.status is Status.REJECTED
    assert rejected.closed_at == on("2026-02-02")
    assert rejected.outcome == {"reason": "an open dispute over an unpaid order"}
    last = desk.requests.show(waiting.id).timeline[-1]
    assert (last.status, last.note) == ("rejected", "an open dispute over an unpaid order")
    assert kinds(outbox) == ["verification_code", "request_received", "request_rejected"]
    rejection = outbox.messages[-1]
    assert rejection.to == person["email"]
    assert "an open dispute over an unpaid order" in rejection.text
    assert held(desk, subject) == {"email", "name", "phone", "address", "loyalty_id"}
    assert sealed_email(desk, waiting.id) is None


def test_a_closed_request_cannot_be_approved_or_rejected(
    desk: Tutela, canary: PiiCanary, verified: Verified
) -> None:
    desk.add(customer(canary, 1))
    desk.add(customer(canary, 2))
    approved = verified("erasure", customer(canary, 1)["email"])
    desk.requests.approve(approved.id)
    rejected = verified("erasure", customer(canary, 2)["email"])
    desk.requests.reject(rejected.id, "duplicate of an earlier request")

    for request_id in (approved.id, rejected.id):
        with pytest.raises(errors.RequestStateInvalid) as refused:
            desk.requests.approve(request_id)
        no_leak(canary, refused)
        with pytest.raises(errors.RequestStateInvalid):
            desk.requests.reject(request_id, "again")
    assert desk.requests.show(approved.id).status is Status.COMPLETED
    assert desk.requests.show(rejected.id).status is Status.REJECTED


def test_an_unverified_request_cannot_be_approved(desk: Tutela, canary: PiiCanary) -> None:
    person = customer(canary)
    desk.add(person)
    created = desk.requests.create("erasure", person["email"])

    with pytest.raises(errors.RequestStateInvalid):
        desk.requests.approve(created.id)
    assert desk.requests.show(created.id).status is Status.RECEIVED


def test_an_unknown_request_id_is_not_found(desk: Tutela) -> None:
    with pytest.raises(errors.RequestNotFound):
        desk.requests.approve("req_nosuchrequest")
    with pytest.raises(errors.RequestNotFound):
        desk.requests.show("req_nosuchrequest")


STAFF_STEPS: dict[str, Callable[[Tutela, str], object]] = {
    "request.approve": lambda t, r: t.requests.approve(r, actor=SUPPORT),
    "request.reject": lambda t, r: t.requests.reject(r, "no", actor=SUPPORT),
    "request.extend": lambda t, r: t.requests.extend(r, "busy", actor=SUPPORT),
    "request.complete": lambda t, r: t.requests.complete(r, "done", actor=SUPPORT),
    "request.retry": lambda t, r: t.requests.retry(r, actor=SUPPORT),
    "request.show": lambda t, r: t.requests.show(r, actor=SUPPORT),
    "request.list": lambda t, r: t.requests.listing(actor=SUPPORT),
    "request.lift_restriction": lambda t, r: t.requests.lift_restriction(
        t.requests.show(r).subject_id or "", actor=SUPPORT
    ),
}


def test_a_role_without_requests_manage_is_refused_every_staff_step_and_each_is_audited(
    desk: Tutela, canary: PiiCanary, verified: Verified
) -> None:
    person = customer(canary)
    desk.add(person)
    waiting = verified("erasure", person["email"])

    for action, step in STAFF_STEPS.items():
        with pytest.raises(errors.NotPermitted) as refused:
            step(desk, waiting.id)
        assert refused.value.permission == "requests.manage", action
        no_leak(canary, refused)
    with pytest.raises(errors.NotPermitted):
        desk.requests.overdue(actor=SUPPORT)

    denials = [
        e.event
        for e in desk.audit_entries()
        if e.event.outcome == "denied" and e.event.role == "support"
    ]
    assert [d.action for d in denials] == [*STAFF_STEPS, "request.list"]
    assert {d.actor for d in denials} == {"agent-7"}
    view = desk.requests.show(waiting.id)
    assert (view.status, view.extension_reason) == (Status.AWAITING_APPROVAL, None)


# -- erasure ------------------------------------------------------------------------------------


def test_erasure_keeps_only_what_tax_law_needs_names_it_and_erases_the_rest(
    desk: Tutela, canary: PiiCanary, verified: Verified
) -> None:
    person = customer(canary, 1, "date_of_birth", "country", "marketing_preferences")
    subject = desk.add(person)
    desk.consents.grant(subject, "newsletter")
    for_tax = desk.read(subject, purpose="tax_records", role="finance")
    waiting = verified("erasure", person["email"])

    done = desk.requests.approve(waiting.id)

    assert done.outcome == {
        "erased": ["date_of_birth", "email", "loyalty_id", "marketing_preferences", "phone"],
        "kept": {f: ["tax_records"] for f in TAX_FIELDS},
        "systems": [],
    }
    assert held(desk, subject) == TAX_FIELDS
    # Finance still reads what the law makes them keep, exactly as it was.
    assert desk.read(subject, purpose="tax_records", role="finance") == for_tax
    assert set(for_tax) == TAX_FIELDS
    # The erased values are gone and the shop can no longer find the customer by them.
    assert desk.find("email", person["email"], purpose="order_fulfilment", role="admin") == []
    assert desk.find("phone", person["phone"], purpose="order_fulfilment", role="admin") == []
    with desk.engine.connect() as conn:
        ledger = set(
            conn.execute(
                sa.text("SELECT field FROM field_erasure WHERE subject_id = :s"), {"s": subject}
            ).scalars()
        )
    assert set(done.outcome["erased"]) <= ledger
    # Every choosable use stops: the newsletter grant is withdrawn.
    choices = {s.purpose: s.active for s in desk.consents.status(subject)}
    assert choices == dict.fromkeys(
        ("fraud_prevention", "newsletter", "analytics", "personalised_ads"), False
    )
    with pytest.raises(errors.AccessDenied):
        desk.read(subject, purpose="newsletter", role="marketing")


def test_values_kept_after_erasure_serve_the_legal_obligation_only(
    desk: Tutela, canary: PiiCanary, verified: Verified
) -> None:
    person = customer(canary, 1, "country")
    subject = desk.add(person)
    desk.requests.approve(verified("erasure", person["email"]).id)

    with pytest.raises(errors.AccessDenied) as refused:
        desk.read(subject, ["name", "address"], purpose="order_fulfilment", role="support")

    no_leak(canary, refused)
    assert isinstance(refused.value, errors.ProcessingRestricted)


def test_lifting_a_restriction_does_not_reopen_values_kept_after_erasure(
    desk: Tutela, canary: PiiCanary, verified: Verified
) -> None:
    person = customer(canary, 1, "country")
    subject = desk.add(person)
    desk.requests.approve(verified("erasure", person["email"]).id)

    with pytest.raises(errors.RequestStateInvalid):
        desk.requests.lift_restriction(subject)

    with pytest.raises(errors.AccessDenied):
        desk.read(subject, ["name", "address"], purpose="order_fulfilment", role="support")


def test_a_subject_holding_nothing_a_legal_obligation_needs_is_erased_whole(
    desk: Tutela, canary: PiiCanary, verified: Verified
) -> None:
    person = customer(canary)
    subject = desk.add({k: person[k] for k in ("email", "phone", "loyalty_id")})
    waiting = verified("erasure", person["email"])

    done = desk.requests.approve(waiting.id)

    assert done.outcome == {"erased": "all", "kept": {}, "systems": []}
    assert held(desk, subject) is None
    for purpose, role in (("order_fulfilment", "admin"), ("tax_records", "finance")):
        with pytest.raises(errors.SubjectErased) as gone:
            desk.read(subject, purpose=purpose, role=role)
        no_leak(canary, gone)
    with desk.engine.connect() as conn:
        ledger = set(conn.execute(sa.text("SELECT subject_id FROM erasure")).scalars())
    assert subject in ledger
    assert desk.find("email", person["email"], purpose="order_fulfilment", role="admin") == []


# -- objection and restriction ------------------------------------------------------------------


def test_an_objection_stops_legitimate_interest_and_consented_uses(
    desk: Tutela, outbox: OutboxMailer, canary: PiiCanary, verified: Verified
) -> None:
    person = customer(canary, 1, "date_of_birth", "marketing_preferences")
    subject = desk.add(person)
    desk.consents.grant(subject, "newsletter")
    assert desk.read(subject, ["email"], purpose="fraud_prevention", role="fraud")
    assert desk.read(subject, ["email"], purpose="newsletter", role="marketing")

    done = verified("objection", person["email"])  # no approval needed by default

    assert done.status is Status.COMPLETED
    assert done.outcome["withdrawn"] == [
        "analytics",
        "fraud_prevention",
        "newsletter",
        "personalised_ads",
    ]
    assert done.outcome["erased"] == ["marketing_preferences"]  # only the newsletter used it
    for purpose, role in (("fraud_prevention", "fraud"), ("newsletter", "marketing")):
        with pytest.raises(errors.ConsentNotActive) as refused:
            desk.read(subject, purpose=purpose, role=role)
        no_leak(canary, refused)
    # The contract is not something one objects to: orders can still be delivered.
    assert desk.read(subject, ["email"], purpose="order_fulfilment", role="support")
    assert kinds(outbox) == ["verification_code", "request_received", "request_completed"]


def test_a_restriction_limits_reads_to_legal_obligations_until_staff_lift_it(
    desk: Tutela, canary: PiiCanary, verified: Verified
) -> None:
    person = customer(canary, 1, "country")
    subject = desk.add(person)

    done = verified("restriction", person["email"])

    assert done.status is Status.COMPLETED
    assert done.outcome == {"allowed": ["tax_records"]}
    with pytest.raises(errors.ProcessingRestricted) as refused:
        desk.read(subject, purpose="order_fulfilment", role="support")
    no_leak(canary, refused)
    assert set(desk.read(subject, purpose="tax_records", role="finance")) == TAX_FIELDS
    assert held(desk, subject) == {"email", "name", "phone", "address", "loyalty_id", "country"}

    desk.requests.lift_restriction(subject)

    assert desk.read(subject, ["email"], purpose="order_fulfilment", role="admin") == {
        "email": person["email"]
    }


def test_a_rectification_stays_in_progress_until_staff_complete_it(
    desk: Tutela, outbox: OutboxMailer, canary: PiiCanary, verified: Verified
) -> None:
    person = customer(canary)
    desk.add(person)
    request = verified("rectification", person["email"])
    assert request.status is Status.IN_PROGRESS
    assert ids(desk.requests.listing(statuses=[Status.IN_PROGRESS])) == [request.id]

    done = desk.requests.complete(request.id, "address corrected")

    assert done.status is Status.COMPLETED
    assert done.outcome == {"note": "address corrected"}
    assert kinds(outbox)[-1] == "request_completed"
    with pytest.raises(errors.RequestStateInvalid):
        desk.requests.complete(request.id, "again")


# -- access and portability ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["access", "portability"])
def test_the_export_holds_every_value_its_uses_the_consents_and_the_accesses(
    desk: Tutela, outbox: OutboxMailer, canary: PiiCanary, verified: Verified, kind: str
) -> None:
    person = customer(canary, 1, "date_of_birth", "country", "marketing_preferences")
    subject = desk.add(person)
    desk.consents.grant(subject, "newsletter")
    desk.consents.grant(subject, "analytics")
    desk.consents.withdraw(subject, "analytics")
    desk.read(subject, ["email", "phone"], purpose="order_fulfilment", role="support")
    stored: dict[str, Any] = {}
    for purpose in ("order_fulfilment", "fraud_prevention", "newsletter", "tax_records"):
        stored.update(desk.read(subject, purpose=purpose, role="admin"))
    request = verified(kind, person["email"])
    assert request.status is Status.COMPLETED  # fulfilled at once: a link is emailed

    assert kinds(outbox)[-1] == "request_completed"
    [token] = outbox.download_tokens_for(person["email"])
    request_id, zipped = desk.requests.download(token)
    assert request_id == request.id
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        document = json.loads(archive.read("data.json"))
        data_csv = archive.read("data.csv").decode()
        assert {"README.txt", "uses.csv", "consents.csv", "access_history.csv"} <= set(
            archive.namelist()
        )
    stored = {k: v.isoformat() if isinstance(v, date) else v for k, v in stored.items()}
    assert document["request_id"] == request.id
    assert document["subject_id"] == subject
    assert document["data"] == stored
    assert set(document["data"]) == set(person)
    assert document["controller"]["name"] == desk.datamap.controller.name
    for name, uses in document["uses"].items():
        expected = [
            {
                "purpose": p,
                "legal_basis": spec.basis.value,
                "recipients": list(spec.recipients),
                "retention": spec.retention,
            }
            for p, spec in desk.datamap.purposes.items()
            if name in spec.fields
        ]
        assert uses == expected, name
    assert set(document["uses"]) == set(person)
    assert {"purpose": "tax_records", "legal_basis": "legal_obligation"}.items() <= (
        document["uses"]["name"][-1].items()
    )
    assert [(c["purpose"], c["action"]) for c in document["consents"]] == [
        ("newsletter", "grant"),
        ("analytics", "grant"),
        ("analytics", "withdraw"),
    ]
    assert all(c["receipt_id"] for c in document["consents"])
    accesses = [(a["role"], a["action"], a["purpose"]) for a in document["access_history"]]
    assert ("support", "subject.read", "order_fulfilment") in accesses
    assert accesses[0] == ("admin", "subject.add", None)
    support_read = next(a for a in document["access_history"] if a["role"] == "support")
    assert support_read["fields"] == ["email", "phone"]
    assert support_read["outcome"] == "ok"

    for name in person:
        assert f"\n{name}," in data_csv
    closed = desk.requests.show(request.id)
    assert closed.outcome["fields"] == sorted(person)
    assert closed.outcome["systems"] == []
    assert closed.outcome["download_expires_at"]
    with pytest.raises(errors.DownloadUnavailable) as again:
        desk.requests.download(token)  # the link works once
    no_leak(canary, again)


def test_a_download_link_expires_and_an_erasure_removes_a_pending_one(
    desk: Tutela, outbox: OutboxMailer, canary: PiiCanary, verified: Verified, clock: FrozenClock
) -> None:
    first, second = customer(canary, 1), customer(canary, 2)
    desk.add(first)
    desk.add(second)
    verified("access", first["email"])
    [late] = outbox.download_tokens_for(first["email"])
    assert desk.requests.download_ready(late)

    clock.advance(timedelta(hours=desk.settings.download_hours, seconds=1))
    assert not desk.requests.download_ready(late)
    assert desk.requests.purge()["downloads"] == 1
    with pytest.raises(errors.DownloadUnavailable):
        desk.requests.download(late)

    verified("access", second["email"])
    [pending] = outbox.download_tokens_for(second["email"])
    desk.requests.approve(verified("erasure", second["email"]).id)
    with pytest.raises(errors.DownloadUnavailable):
        desk.requests.download(pending)


# -- emails, timeline and audit -----------------------------------------------------------------


def test_the_requester_is_emailed_at_each_step_and_their_email_dropped_on_close(
    desk: Tutela, outbox: OutboxMailer, canary: PiiCanary
) -> None:
    person = customer(canary)
    desk.add(person)

    created = desk.requests.create("rectification", person["email"])
    assert kinds(outbox) == ["verification_code"]
    sealed = sealed_email(desk, created.id)
    assert sealed is not None
    assert person["email"].encode() not in sealed

    desk.requests.verify(created.id, outbox.codes_for(person["email"])[0])
    assert kinds(outbox) == ["verification_code", "request_received"]
    received = outbox.messages[-1]
    assert created.id in received.text
    assert "28 February 2026" in received.text
    assert sealed_email(desk, created.id) is not None  # still needed to tell them the end

    desk.requests.complete(created.id, "phone number corrected")
    assert kinds(outbox) == ["verification_code", "request_received", "request_completed"]
    assert {m.to for m in outbox.messages} == {person["email"]}
    assert sealed_email(desk, created.id) is None


def test_every_step_is_in_the_timeline_and_the_audit_chain(
    desk: Tutela, clock: FrozenClock, outbox: OutboxMailer, canary: PiiCanary
) -> None:
    person = customer(canary, 1, "country")
    desk.add(person)
    created = desk.requests.create("erasure", person["email"])
    clock.advance(timedelta(minutes=2))
    desk.requests.verify(created.id, outbox.codes_for(person["email"])[0])
    move_to(clock, on("2026-02-03"))
    desk.requests.extend(created.id, "awaiting the accounts team")
    move_to(clock, on("2026-02-04"))
    desk.requests.approve(created.id, actor=Actor("dpo-1", "admin"))

    timeline = desk.requests.show(created.id).timeline

    assert [(e.at, e.status, e.actor) for e in timeline] == [
        (on("2026-01-31", 9), "received", "public"),
        (on("2026-01-31", 9) + timedelta(minutes=2), "verified", "public"),
        (on("2026-01-31", 9) + timedelta(minutes=2), "awaiting_approval", "public"),
        (on("2026-02-03"), "awaiting_approval", "sdk"),
        (on("2026-02-04"), "in_progress", "dpo-1"),
        (on("2026-02-04"), "completed", "dpo-1"),
    ]
    assert "awaiting the accounts team" in timeline[3].note
    steps = [
        (e.event.action, e.event.actor)
        for e in desk.audit_entries()
        if e.event.action.startswith("request.") and created.id in (e.event.detail or "")
    ]
    assert steps == [
        ("request.received", "public"),
        ("request.verified", "public"),
        ("request.awaiting_approval", "public"),
        ("request.awaiting_approval", "sdk"),
        ("request.in_progress", "dpo-1"),
        ("request.completed", "dpo-1"),
    ]
    report = desk.verify_audit()
    assert report.ok, report.reason
