"""The customer emails: both parts, escaped HTML, every placeholder filled, the right words."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from tutela.datamap.spec import Controller
from tutela.outreach import Message, messages
from tutela.outreach.messages import REQUEST_TYPES

TO = "ada@example.com"
PLACEHOLDER = re.compile(r"\$(?:[_a-z][_a-z0-9]*|\{)", re.IGNORECASE)


def _all(controller: Controller) -> list[Message]:
    expires = datetime(2026, 3, 4, 15, 30, tzinfo=UTC)
    built = [
        messages.verification_code(controller, TO, "123456", 15),
        messages.request_completed(controller, TO, "req_1", "erasure", None, None),
        messages.request_completed(
            controller, TO, "req_1", "portability", "https://x.example/d?t=1", None
        ),
    ]
    for kind in REQUEST_TYPES:
        built += [
            messages.request_received(controller, TO, "req_1", kind, date(2026, 3, 31)),
            messages.request_completed(
                controller, TO, "req_1", kind, "https://x.example/d?t=1&u=2", expires
            ),
            messages.request_rejected(controller, TO, "req_1", kind, "We could not verify you."),
        ]
    return built


def test_every_message_has_both_parts_and_no_placeholder_left(controller: Controller) -> None:
    minimal = Controller(name="Shop", contact="privacy@shop.example")  # no DPO, no authority
    for message in _all(controller) + _all(minimal):
        assert message.to == TO
        assert message.subject and "\n" not in message.subject
        assert message.text.strip() and message.html.strip()
        assert message.html.lstrip().startswith("<!DOCTYPE html>")
        for part in (message.subject, message.text, message.html):
            assert not PLACEHOLDER.search(part), (message.kind, part)


def test_values_are_escaped_in_html_and_raw_in_text() -> None:
    evil = '<script>alert("x")</script> & Sons'
    controller = Controller(
        name=evil, contact="<b>contact</b>@x.example", dpo="<i>dpo</i>", supervisory_authority=evil
    )
    for message in [
        *_all(controller),
        messages.request_rejected(controller, TO, "<req>", "access", "<img src=x onerror=y>"),
    ]:
        assert "<script>" not in message.html
        assert "<b>" not in message.html and "<i>" not in message.html
        assert "<img" not in message.html and "<req>" not in message.html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Sons" in message.html
        assert evil in message.text
        assert evil in message.subject  # a header, shown as text by mail clients
    rejected = messages.request_rejected(controller, TO, "<req>", "access", "<img src=x>")
    assert "<img src=x>" in rejected.text and "&lt;img src=x&gt;" in rejected.html


def test_a_line_break_in_the_controller_name_stays_out_of_the_subject() -> None:
    controller = Controller(name="Acme\r\nBcc: eve@example.com", contact="p@acme.example")
    message = messages.verification_code(controller, TO, "123456", 10)
    assert message.subject == "Your verification code for Acme Bcc: eve@example.com"


def test_verification_code_says_what_it_is_and_nothing_personal(controller: Controller) -> None:
    message = messages.verification_code(controller, TO, "482913", 15)
    assert message.kind == "verification_code"
    for part in (message.text, message.html):
        assert "482913" in part
        assert "15 minutes" in part
        assert "did not ask" in part
        assert TO not in part
    assert "482913" not in message.subject  # never on a lock screen preview of the subject


def test_request_received_names_the_request_and_the_due_date(controller: Controller) -> None:
    message = messages.request_received(controller, TO, "req_7", "rectification", date(2026, 3, 31))
    for part in (message.text, message.html):
        assert "req_7" in part
        assert "31 March 2026" in part
        assert "correct your personal data" in part


def test_completed_with_a_link_says_it_works_once_and_when_it_expires(
    controller: Controller,
) -> None:
    expires = datetime(2026, 3, 4, 16, 30, tzinfo=timezone(timedelta(hours=1)))
    url = "https://privacy.acme.example/download/tok?a=1&b=2"
    message = messages.request_completed(controller, TO, "req_7", "access", url, expires)
    assert url in message.text
    assert 'href="https://privacy.acme.example/download/tok?a=1&amp;b=2"' in message.html
    for part in (message.text, message.html):
        assert "works once" in part
        assert "4 March 2026 at 15:30 UTC" in part


def test_completed_without_a_link_has_no_download_section(controller: Controller) -> None:
    message = messages.request_completed(controller, TO, "req_7", "erasure", None, None)
    for part in (message.text, message.html):
        assert "We have deleted your personal data" in part
        assert "Download" not in part and "href" not in part


def test_a_download_link_must_be_http(controller: Controller) -> None:
    with pytest.raises(ValueError, match="http"):
        messages.request_completed(controller, TO, "r", "access", "javascript:alert(1)", None)


def test_rejected_names_the_reason_and_the_supervisory_authority(controller: Controller) -> None:
    message = messages.request_rejected(controller, TO, "req_7", "erasure", "Open invoice.")
    assert controller.supervisory_authority is not None
    for part in (message.text, message.html.replace("&#x27;", "'")):
        assert "Open invoice." in part
        assert "lodge a complaint" in part
        assert controller.supervisory_authority in part


def test_rejected_without_an_authority_uses_the_generic_words() -> None:
    controller = Controller(name="Shop", contact="privacy@shop.example")
    message = messages.request_rejected(controller, TO, "req_7", "access", "No such account.")
    assert "your data protection supervisory authority" in message.text
    assert "your data protection supervisory authority" in message.html


def test_the_footer_names_the_contact_and_the_dpo(controller: Controller) -> None:
    message = messages.request_received(controller, TO, "req_7", "access", date(2026, 3, 31))
    for part in (message.text, message.html):
        assert "privacy@acme.example" in part
        assert "Dana Protect" in part


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("access", "request for access to your personal data"),
        ("portability", "request for a portable copy of your personal data"),
        ("rectification", "request to correct your personal data"),
        ("erasure", "request to delete your personal data"),
        ("restriction", "request to restrict the processing of your personal data"),
        ("objection", "objection to the processing of your personal data"),
    ],
)
def test_request_types_in_human_words(controller: Controller, kind: str, words: str) -> None:
    message = messages.request_received(controller, TO, "req_7", kind, date(2026, 3, 31))
    assert f"your {words}" in message.text


def test_an_unknown_request_type_is_refused(controller: Controller) -> None:
    with pytest.raises(ValueError, match="unknown request type"):
        messages.request_received(controller, TO, "req_7", "delete", date(2026, 3, 31))
