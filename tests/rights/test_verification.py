"""Proving control of the requester's email with a one-time code, on SQLite and PostgreSQL: the
emailed code verifies; wrong codes are counted (and the count survives a restart) until the
fifth locks the request; a code expires after 10 minutes; a request answers the same whether or
not its email belongs to a customer; the code is kept only as a keyed MAC."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tutela import Settings, Tutela, errors
from tutela.clock import FrozenClock
from tutela.rights.service import RequestView, Status
from tutela.testing import OutboxMailer, PiiCanary

UNKNOWN = "nobody.at.all@example.org"


def wrong(code: str) -> str:
    """A code that is certainly not `code` (its last digit changed)."""
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def refused(tutela: Tutela, request_id: str, code: str) -> str:
    """Present a code that must fail; returns the outcome the error names."""
    with pytest.raises(errors.VerificationFailed) as failed:
        tutela.requests.verify(request_id, code)
    assert failed.value.request_id == request_id
    return failed.value.outcome


def denied_attempts(tutela: Tutela, request_id: str) -> list[str]:
    """The audit details of refused codes for this request."""
    return [
        e.event.detail or ""
        for e in tutela.audit_entries()
        if e.event.action == "request.verify"
        and e.event.outcome == "denied"
        and request_id in (e.event.detail or "")
    ]


# -- the code verifies --------------------------------------------------------------------------


def test_the_emailed_code_verifies_the_request_and_records_when(
    desk: Tutela, outbox: OutboxMailer, clock: FrozenClock, canary: PiiCanary
) -> None:
    customer = canary.customer(1)
    desk.add(customer)
    created = desk.requests.create("rectification", customer["email"])
    assert created.status is Status.RECEIVED
    assert [m.kind for m in outbox.messages] == ["verification_code"]
    (code,) = outbox.codes_for(customer["email"])

    clock.advance(timedelta(minutes=9))  # still within the 10 minutes
    view = desk.requests.verify(created.id, code)

    assert view.verified_at == clock.now()
    assert view.status is Status.IN_PROGRESS  # rectification: staff carry it out
    assert [(e.status, e.actor) for e in view.timeline][:2] == [
        ("received", "public"),
        ("verified", "public"),
    ]


def test_a_code_works_only_once(desk: Tutela, outbox: OutboxMailer, canary: PiiCanary) -> None:
    customer = canary.customer(1)
    desk.add(customer)
    created = desk.requests.create("rectification", customer["email"])
    (code,) = outbox.codes_for(customer["email"])
    desk.requests.verify(created.id, code)

    with pytest.raises(errors.RequestStateInvalid):
        desk.requests.verify(created.id, code)


def test_verifying_an_unknown_request_is_refused(desk: Tutela) -> None:
    with pytest.raises(errors.RequestNotFound):
        desk.requests.verify("req_doesnotexist", "123456")


# -- wrong, locked, expired ---------------------------------------------------------------------


def test_a_wrong_code_is_refused_and_counted(
    desk: Tutela, outbox: OutboxMailer, canary: PiiCanary
) -> None:
    customer = canary.customer(1)
    desk.add(customer)
    created = desk.requests.create("access", customer["email"])
    (code,) = outbox.codes_for(customer["email"])

    assert refused(desk, created.id, wrong(code)) == "wrong"

    assert desk.requests.show(created.id).status is Status.RECEIVED
    with desk.engine.connect() as conn:
        attempts = conn.execute(
            sa.text("SELECT attempts, locked FROM rights_verification WHERE request_id = :r"),
            {"r": created.id},
        ).one()
    assert (attempts[0], bool(attempts[1])) == (1, False)
    assert len(denied_attempts(desk, created.id)) == 1
    # Still verifiable with the right code after one mistake.
    assert desk.requests.verify(created.id, code).status is Status.COMPLETED


def test_wrong_tries_are_kept_across_a_restart_and_the_fifth_locks(
    desk: Tutela,
    reopen: Callable[[], Tutela],
    outbox: OutboxMailer,
    canary: PiiCanary,
) -> None:
    customer = canary.customer(1)
    desk.add(customer)
    created = desk.requests.create("access", customer["email"])
    (code,) = outbox.codes_for(customer["email"])
    bad = wrong(code)
    assert [refused(desk, created.id, bad) for _ in range(2)] == ["wrong", "wrong"]

    again = reopen()

    assert [refused(again, created.id, bad) for _ in range(3)] == ["wrong", "wrong", "locked"]
    assert len(denied_attempts(again, created.id)) == 5
    assert denied_attempts(again, created.id)[-1].endswith("wrong code; locked")


def test_the_code_and_the_requesters_email_still_work_after_a_restart(
    desk: Tutela, reopen: Callable[[], Tutela], outbox: OutboxMailer, canary: PiiCanary
) -> None:
    customer = canary.customer(1)
    subject = desk.add(customer)
    created = desk.requests.create("rectification", customer["email"])
    (code,) = outbox.codes_for(customer["email"])

    view = reopen().requests.verify(created.id, code)

    assert (view.status, view.subject_id) == (Status.IN_PROGRESS, subject)
    assert outbox.last_to(customer["email"]).kind == "request_received"


def test_a_locked_request_refuses_even_the_right_code(
    desk: Tutela, outbox: OutboxMailer, canary: PiiCanary
) -> None:
    customer = canary.customer(1)
    subject = desk.add(customer)
    created = desk.requests.create("erasure", customer["email"])
    (code,) = outbox.codes_for(customer["email"])
    outcomes = [refused(desk, created.id, wrong(code)) for _ in range(5)]
    assert outcomes == ["wrong"] * 4 + ["locked"]

    with pytest.raises(errors.VerificationFailed) as failed:
        desk.requests.verify(created.id, code)

    assert failed.value.outcome == "locked"
    assert not canary.leaks([str(failed.value)])
    view = desk.requests.show(created.id)
    assert view.status is Status.RECEIVED
    assert view.verified_at is None
    assert view.subject_id is None  # nothing was looked up for an unproven email
    assert [m.kind for m in outbox.messages] == ["verification_code"]
    assert desk.read(subject, ["email"], purpose="order_fulfilment", role="admin") == {
        "email": customer["email"]
    }


def test_a_code_expires_after_ten_minutes(
    desk: Tutela, outbox: OutboxMailer, clock: FrozenClock, canary: PiiCanary
) -> None:
    customer = canary.customer(1)
    desk.add(customer)
    created = desk.requests.create("access", customer["email"])
    (code,) = outbox.codes_for(customer["email"])

    clock.advance(timedelta(minutes=11))

    assert refused(desk, created.id, code) == "expired"
    view = desk.requests.show(created.id)
    assert view.status is Status.RECEIVED
    assert view.verified_at is None
    assert [m.kind for m in outbox.messages] == ["verification_code"]


# -- the same answer for a known and an unknown email -------------------------------------------


def _shape(view: RequestView) -> dict[str, object]:
    """A view without what differs between any two requests (its id, the timeline's notes)."""
    data = asdict(view)
    data.pop("id")
    data["timeline"] = [(e["at"], e["status"], e["actor"]) for e in data["timeline"]]
    return data


def test_creating_answers_the_same_for_a_known_and_an_unknown_email(
    desk: Tutela, outbox: OutboxMailer, canary: PiiCanary
) -> None:
    customer = canary.customer(1)
    desk.add(customer)

    known = desk.requests.create("erasure", customer["email"])
    unknown = desk.requests.create("erasure", UNKNOWN)

    assert _shape(known) == _shape(unknown)
    assert known.subject_id is None
    assert _shape(desk.requests.show(known.id)) == _shape(desk.requests.show(unknown.id))
    to_known, to_unknown = outbox.messages
    assert (to_known.kind, to_known.to) == ("verification_code", customer["email"])
    assert (to_unknown.kind, to_unknown.to) == ("verification_code", UNKNOWN)
    assert to_known.subject == to_unknown.subject
    assert len(outbox.codes_for(customer["email"])) == len(outbox.codes_for(UNKNOWN)) == 1
    entries = [e.event for e in desk.audit_entries() if e.event.action.startswith("request.")]
    assert [(e.action, e.actor, e.role, e.subject_id) for e in entries] == [
        ("request.received", "public", "requester", None)
    ] * 2


def test_an_unknown_email_verifies_and_is_told_no_data_is_held(
    desk: Tutela, outbox: OutboxMailer
) -> None:
    created = desk.requests.create("access", UNKNOWN)
    view = desk.requests.verify(created.id, outbox.codes_for(UNKNOWN)[0])

    assert view.status is Status.COMPLETED
    assert view.subject_id is None
    assert view.outcome["subject"] is None
    assert view.outcome["fields"] == []
    assert [m.kind for m in outbox.messages] == [
        "verification_code",
        "request_received",
        "request_completed",
    ]
    assert {m.to for m in outbox.messages} == {UNKNOWN}
    assert [e.status for e in view.timeline] == [
        "received",
        "verified",
        "in_progress",
        "completed",
    ]


def test_an_unknown_email_erasure_waits_for_approval_like_a_known_one(
    desk: Tutela, outbox: OutboxMailer, canary: PiiCanary
) -> None:
    customer = canary.customer(1)
    desk.add(customer)
    known = desk.requests.create("erasure", customer["email"])
    unknown = desk.requests.create("erasure", UNKNOWN)

    after_known = desk.requests.verify(known.id, outbox.codes_for(customer["email"])[0])
    after_unknown = desk.requests.verify(unknown.id, outbox.codes_for(UNKNOWN)[0])

    assert after_known.status is after_unknown.status is Status.AWAITING_APPROVAL
    assert desk.requests.approve(unknown.id).outcome == {"subject": None, "systems": []}


# -- the code is never kept or logged in the clear ----------------------------------------------


def _rows_mentioning(tutela: Tutela, text: str) -> list[str]:
    """Tables with a row whose any column (text or bytes) contains `text`."""
    needle = text.encode()
    found = []
    with tutela.engine.connect() as conn:
        for table in sa.inspect(conn).get_table_names():
            for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')):
                for value in row:
                    raw = (
                        bytes(value)
                        if isinstance(value, bytes | bytearray | memoryview)
                        else str(value).encode()
                    )
                    if needle in raw:
                        found.append(table)
    return found


def test_the_code_is_stored_only_as_a_mac_and_never_audited_or_logged(
    desk: Tutela,
    outbox: OutboxMailer,
    settings: Settings,
    canary: PiiCanary,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    customer = canary.customer(1)
    desk.add(customer)
    created = desk.requests.create("rectification", customer["email"])
    (code,) = outbox.codes_for(customer["email"])
    refused(desk, created.id, wrong(code))

    with desk.engine.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT code_mac FROM rights_verification WHERE request_id = :r"),
            {"r": created.id},
        ).scalar_one()
    assert len(bytes(stored)) == 32
    assert code.encode() not in bytes(stored)
    assert _rows_mentioning(desk, code) == []
    if settings.resolved_database_url.startswith("sqlite"):
        for path in settings.home.iterdir():  # the database, its WAL, the audit head
            if path.is_file():
                assert code.encode() not in path.read_bytes(), path.name
    assert not any(code in repr(e) for e in desk.audit_entries())
    assert code not in caplog.text

    desk.requests.verify(created.id, code)
    with desk.engine.connect() as conn:
        left = conn.execute(
            sa.text("SELECT count(*) FROM rights_verification WHERE request_id = :r"),
            {"r": created.id},
        ).scalar_one()
    assert left == 0  # a used code is dropped
    assert not any(code in repr(e) for e in desk.audit_entries())


class _BrokenMailer:
    name = "broken"

    def send(self, message: object) -> None:
        raise errors.MailNotSent("the mail server refused the connection")


def test_nothing_is_kept_when_the_code_cannot_be_sent(
    settings: Settings, clock: FrozenClock, canary: PiiCanary
) -> None:
    customer = canary.customer(1)
    with Tutela.init(settings=settings, clock=clock, mailer=_BrokenMailer()) as home:
        with pytest.raises(errors.MailNotSent) as failed:
            home.requests.create("access", customer["email"])

        assert not canary.leaks([str(failed.value)])
        assert home.requests.listing() == []
        with home.engine.connect() as conn:
            codes = conn.execute(sa.text("SELECT count(*) FROM rights_verification")).scalar_one()
        assert codes == 0


def test_an_invalid_email_is_refused_without_repeating_it(
    desk: Tutela, outbox: OutboxMailer, canary: PiiCanary
) -> None:
    not_an_email = f"not-an-email-{canary.token}"
    canary.values.append(not_an_email)

    with pytest.raises(errors.ValidationFailed) as failed:
        desk.requests.create("access", not_an_email)

    assert not canary.leaks([str(failed.value), repr(failed.value)])
    assert outbox.messages == []
    assert desk.requests.listing() == []


def test_an_unknown_request_type_is_refused_and_nothing_is_sent(
    desk: Tutela, outbox: OutboxMailer, canary: PiiCanary
) -> None:
    customer = canary.customer(1)
    with pytest.raises(errors.RequestTypeUnknown) as failed:
        desk.requests.create("deletion", customer["email"])

    assert not canary.leaks([str(failed.value)])
    assert outbox.messages == []
    assert desk.requests.listing() == []
