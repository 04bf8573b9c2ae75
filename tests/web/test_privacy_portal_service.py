"""Regression tests for the privacy center's service layer (`tutela.rights.portal`): sign-in
starts, a forged non-ASCII CSRF token is refused, requests follow a corrected email, and "who
accessed my data" words every action."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tutela import Settings, Tutela
from tutela.rights.portal import Session
from tutela.rights.service import RequestType
from tutela.testing import OutboxMailer, PiiCanary


@pytest.fixture
def outbox() -> OutboxMailer:
    return OutboxMailer()


@pytest.fixture
def tutela(settings: Settings, outbox: OutboxMailer) -> Iterator[Tutela]:
    with Tutela.init(settings=settings, mailer=outbox) as opened:
        yield opened


def signed_in(tutela: Tutela, outbox: OutboxMailer, email: str) -> Session:
    challenge = tutela.portal.start_sign_in(email)
    _, token = tutela.portal.finish_sign_in(challenge, outbox.codes_for(email)[-1])
    session = tutela.portal.customer(token)
    assert session is not None
    return session


def test_a_sign_in_can_start(tutela: Tutela, outbox: OutboxMailer) -> None:
    challenge = tutela.portal.start_sign_in("someone@example.com")
    assert challenge.startswith("sig_")
    assert len(outbox.codes_for("someone@example.com")) == 1


def test_a_non_ascii_csrf_token_is_refused(
    tutela: Tutela, outbox: OutboxMailer, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = signed_in(tutela, outbox, "someone@example.com")
    assert tutela.portal.portal.csrf_valid(session, "é" * len(session.csrf)) is False


def test_requests_after_correcting_the_email_still_reach_the_customer(
    tutela: Tutela, outbox: OutboxMailer, canary: PiiCanary, monkeypatch: pytest.MonkeyPatch
) -> None:
    values = canary.customer()
    subject_id = tutela.add(values)
    session = signed_in(tutela, outbox, values["email"])
    tutela.portal.correct(session, {"email": "new.address@example.com"})
    view, zipped = tutela.portal.submit(session, RequestType.PORTABILITY)
    assert view.subject_id == subject_id
    assert zipped is not None
    assert len(tutela.portal.my_requests(session)) == 2


def test_who_accessed_my_data_names_every_action_in_plain_words(
    tutela: Tutela, outbox: OutboxMailer, canary: PiiCanary, monkeypatch: pytest.MonkeyPatch
) -> None:
    values = canary.customer()
    subject_id = tutela.add(values)
    tutela.consents.grant(subject_id, "newsletter")
    session = signed_in(tutela, outbox, values["email"])
    tutela.portal.choose(session, {"newsletter": False})
    said = {a.what for a in tutela.portal.access_history(session)}
    raw = {w for w in said if "_" in w or w.startswith(("subject ", "portal ", "consent "))}
    assert not raw, said
