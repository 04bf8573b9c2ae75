"""`SmtpMailer` against a real SMTP server on loopback: delivery, TLS, login, and failures that
become one `MailNotSent` naming the server, never the recipient or the content."""

from __future__ import annotations

import re
import socket
import traceback

import pytest
from outreach_support import LOOPBACK, PASSWORD, USER, Certificate, Server, free_port
from pydantic import SecretStr

from tutela.clock import FrozenClock
from tutela.datamap.spec import Controller
from tutela.errors import MailNotSent
from tutela.outreach import Message, SmtpMailer, messages
from tutela.testing import PiiCanary

SENDER = "Acme Privacy <privacy@acme.example>"
CODE = "482913"


def _mailer(port: int, **kwargs: object) -> SmtpMailer:
    options: dict[str, object] = {"security": "none", "sender": SENDER, "timeout": 5}
    options.update(kwargs)
    return SmtpMailer(LOOPBACK, port=port, **options)  # type: ignore[arg-type]


def _code_message(controller: Controller, to: str = "ada@example.com") -> Message:
    return messages.verification_code(controller, to, CODE, 15)


def _assert_clean(exc: MailNotSent, *secrets: str) -> None:
    """Neither the message nor the rendered traceback (chained causes included) leaks."""
    rendered = "".join(traceback.format_exception(exc))
    for secret in secrets:
        assert secret.lower() not in str(exc).lower()
        assert secret.lower() not in rendered.lower()


def test_delivers_text_and_html_with_headers(smtp_server: Server, controller: Controller) -> None:
    clock = FrozenClock()
    _mailer(smtp_server.port, clock=clock).send(_code_message(controller))

    [envelope] = smtp_server.inbox.envelopes
    assert envelope.mail_from == "privacy@acme.example"
    assert envelope.rcpt_tos == ["ada@example.com"]
    delivered = smtp_server.inbox.parsed()
    assert delivered["From"] == SENDER
    assert delivered["To"] == "ada@example.com"
    assert delivered["Subject"] == "Your verification code for Acme Shop Ltd"
    assert delivered["Date"].datetime == clock.now()
    assert re.fullmatch(r"<msg_[a-z2-7]{26}@acme\.example>", delivered["Message-ID"])
    assert delivered.get_content_type() == "multipart/alternative"
    text = delivered.get_body(("plain",))
    html = delivered.get_body(("html",))
    assert text is not None and html is not None
    assert re.findall(r"^\s*(\d{6})\s*$", text.get_content(), re.MULTILINE) == [CODE]  # type: ignore[attr-defined]
    assert CODE in html.get_content()  # type: ignore[attr-defined]


def test_each_send_gets_its_own_message_id(smtp_server: Server, controller: Controller) -> None:
    mailer = _mailer(smtp_server.port)
    mailer.send(_code_message(controller))
    mailer.send(_code_message(controller))
    first, second = smtp_server.inbox.parsed(0), smtp_server.inbox.parsed(1)
    assert first["Message-ID"] != second["Message-ID"]


def test_starttls_refused_when_the_server_does_not_offer_it(
    smtp_server: Server, controller: Controller
) -> None:
    """Never fall back to plain text: the message is not sent at all."""
    with pytest.raises(MailNotSent, match="does not offer STARTTLS") as caught:
        _mailer(smtp_server.port, security="starttls").send(_code_message(controller))
    assert f"{LOOPBACK}:{smtp_server.port}" in str(caught.value)
    assert smtp_server.inbox.envelopes == []


def test_connection_refused_names_the_server_not_the_recipient(controller: Controller) -> None:
    canary = PiiCanary()
    to = canary.customer()["email"]
    port = free_port()
    with pytest.raises(MailNotSent) as caught:
        _mailer(port).send(_code_message(controller, to))
    assert (
        str(caught.value)
        == f"mail not sent via {LOOPBACK}:{port}: connection refused (during connect)"
    )
    _assert_clean(caught.value, to, CODE)
    assert canary.leaks([str(caught.value)]) == []


def test_login_refused_when_the_server_offers_no_auth(
    smtp_server: Server, controller: Controller
) -> None:
    mailer = _mailer(smtp_server.port, username=USER, password=SecretStr(PASSWORD))
    with pytest.raises(MailNotSent, match=r"does not offer authentication") as caught:
        mailer.send(_code_message(controller))
    _assert_clean(caught.value, PASSWORD, "ada@example.com", CODE)
    assert smtp_server.inbox.envelopes == []


def test_starttls_then_login_delivers(
    starttls_server: Server, certificate: Certificate, controller: Controller
) -> None:
    mailer = _mailer(
        starttls_server.port,
        security="starttls",
        username=USER,
        password=SecretStr(PASSWORD),
        ssl_context=certificate.client_context(),
    )
    mailer.send(_code_message(controller))
    assert starttls_server.inbox.envelopes[0].rcpt_tos == ["ada@example.com"]


def test_wrong_password_is_an_authentication_failure(
    starttls_server: Server, certificate: Certificate, controller: Controller
) -> None:
    mailer = _mailer(
        starttls_server.port,
        security="starttls",
        username=USER,
        password=SecretStr("not-the-password"),
        ssl_context=certificate.client_context(),
    )
    with pytest.raises(MailNotSent, match="authentication failed") as caught:
        mailer.send(_code_message(controller))
    _assert_clean(caught.value, "not-the-password", "ada@example.com", CODE)


def test_an_untrusted_certificate_is_refused(
    starttls_server: Server, controller: Controller
) -> None:
    """The default context checks the certificate against the system's CAs."""
    with pytest.raises(MailNotSent, match="certificate was not accepted"):
        _mailer(starttls_server.port, security="starttls").send(_code_message(controller))
    assert starttls_server.inbox.envelopes == []


def test_implicit_tls_delivers(
    tls_server: Server, certificate: Certificate, controller: Controller
) -> None:
    mailer = _mailer(tls_server.port, security="tls", ssl_context=certificate.client_context())
    mailer.send(_code_message(controller))
    assert tls_server.inbox.parsed()["To"] == "ada@example.com"


@pytest.mark.parametrize("to", ["not-an-address", "ada@example.com\r\nBcc: eve@example.com", ""])
def test_a_malformed_recipient_is_refused_without_quoting_it(
    smtp_server: Server, controller: Controller, to: str
) -> None:
    with pytest.raises(MailNotSent, match="recipient address is not valid") as caught:
        _mailer(smtp_server.port).send(_code_message(controller, to))
    if to:
        _assert_clean(caught.value, to)
    assert smtp_server.inbox.envelopes == []


def test_a_subject_with_a_line_break_is_refused(smtp_server: Server) -> None:
    message = Message(
        to="ada@example.com", subject="Hi\r\nBcc: eve@example.com", text="t", html="h"
    )
    with pytest.raises(MailNotSent, match="header"):
        _mailer(smtp_server.port).send(message)
    assert smtp_server.inbox.envelopes == []


def test_login_needs_both_username_and_password() -> None:
    with pytest.raises(ValueError, match="username and a password"):
        SmtpMailer("mail.example", sender=SENDER, username=USER)


def test_repr_shows_no_password() -> None:
    mailer = SmtpMailer("mail.example", sender=SENDER, username=USER, password=SecretStr(PASSWORD))
    assert PASSWORD not in repr(mailer)
    assert PASSWORD not in repr(vars(mailer))


def test_a_server_that_never_answers_times_out(controller: Controller) -> None:
    """Accepts the connection (the kernel does) but never greets."""
    with socket.socket() as silent:
        silent.bind((LOOPBACK, 0))
        silent.listen()
        port = silent.getsockname()[1]
        with pytest.raises(MailNotSent, match=r"timed out \(during connect\)"):
            _mailer(port, timeout=0.5).send(_code_message(controller))
