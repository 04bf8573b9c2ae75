"""The privacy center's pages over HTTP (`/privacy/…`), on both backends: sign-in by emailed
code (the same page for known and unknown addresses, locked after five wrong codes, rate
limited), the session cookie, CSRF on every form, and each page doing what it says through
the services: my data, download, correct, choices, delete, object or restrict, requests, who
accessed my data, and the emailed one-time download link. No personal value may reach a log,
an error page or the audit rows (the PII canary).

(Named `test_privacy_pages.py`: the tests have no packages, so a second
`test_privacy_center.py`, beside the browser test's, could not be collected.)
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from collections.abc import Callable
from datetime import timedelta
from html import escape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from privacy_pages_support import (
    CHOOSABLE,
    COOKIE,
    KEPT,
    PAGES,
    POSTS,
    challenge_of,
    csrf_of,
    masked,
    page_problems,
    set_cookie_headers,
    sign_in,
    start,
    verify,
)

from tutela import Tutela
from tutela.clock import FrozenClock
from tutela.errors import ProcessingRestricted
from tutela.rights.service import Status
from tutela.testing import OutboxMailer, PiiCanary
from tutela.web.pages import site_stylesheet

# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _quiet_test_client(caplog: pytest.LogCaptureFixture) -> None:
    """The test client's own log lines quote URLs; what matters is what the server logs."""
    caplog.set_level(logging.WARNING, logger="httpx2")


@pytest.fixture
def customer(tutela: Tutela, canary: PiiCanary) -> tuple[str, dict[str, Any]]:
    """A customer with a value in every field of the example data map (canary values)."""
    values = canary.customer() | {
        "date_of_birth": "1984-06-02",
        "marketing_preferences": ["email", "post"],
        "country": "GB",
    }
    return tutela.add(values), values


@pytest.fixture
def csrf(client: TestClient, outbox: OutboxMailer, customer: tuple[str, dict[str, Any]]) -> str:
    """`client` signed in as `customer`; the session's CSRF token."""
    return sign_in(client, outbox, customer[1]["email"])


def ledger(tutela: Tutela, subject_id: str) -> list[tuple[str, str, str]]:
    return [(e.purpose, e.action, e.method) for e in tutela.consents.history(subject_id)]


# -- sign-in -----------------------------------------------------------------------------------


def test_sign_in_answers_the_same_for_known_and_unknown_addresses(
    client: TestClient, outbox: OutboxMailer, customer: tuple[str, dict[str, Any]]
) -> None:
    email = customer[1]["email"]
    _, known = start(client, email)
    _, unknown = start(client, "nobody.here@example.com")
    assert known.status_code == unknown.status_code == 200
    assert masked(known.text).encode() == masked(unknown.text).encode()
    assert challenge_of(known.text) != challenge_of(unknown.text)
    assert "we sent a 6-digit code to the address you entered" in known.text.lower()
    assert email not in known.text
    assert len(outbox.codes_for(email)) == len(outbox.codes_for("nobody.here@example.com")) == 1


def test_a_malformed_email_shows_the_form_again_naming_the_field(
    client: TestClient, outbox: OutboxMailer
) -> None:
    _, response = start(client, "not-an-address")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "Email address: enter an email address" in response.text
    assert 'aria-invalid="true"' in response.text
    assert outbox.messages == []


def test_the_session_cookie_is_http_only_lax_and_scoped_to_the_privacy_center(
    client: TestClient, client_with: Callable[..., TestClient], outbox: OutboxMailer
) -> None:
    token, page = start(client, "someone@example.com")
    code = outbox.codes_for("someone@example.com")[-1]
    response = verify(client, token, challenge_of(page.text), code)
    assert response.status_code == 303
    (cookie,) = [c for c in set_cookie_headers(response) if c.startswith(f"{COOKIE}=")]
    attributes = {a.strip().split("=")[0].lower(): a for a in cookie.split(";")[1:]}
    assert "httponly" in attributes
    assert attributes["samesite"].strip().lower() == "samesite=lax"
    assert attributes["path"].strip() == "Path=/privacy"
    assert "secure" not in attributes  # cookie_secure is off by default

    secure = client_with(base_url="https://testserver", cookie_secure=True)
    token, page = start(secure, "someone@example.com")
    code = outbox.codes_for("someone@example.com")[-1]
    response = verify(secure, token, challenge_of(page.text), code)
    (cookie,) = [c for c in set_cookie_headers(response) if c.startswith(f"{COOKIE}=")]
    assert "secure" in cookie.lower().replace("samesite", "")


def test_five_wrong_codes_lock_the_sign_in(
    client: TestClient, outbox: OutboxMailer, customer: tuple[str, dict[str, Any]]
) -> None:
    email = customer[1]["email"]
    token, page = start(client, email)
    challenge, code = challenge_of(page.text), outbox.codes_for(email)[-1]
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        response = verify(client, token, challenge, wrong)
        assert response.status_code == 422
        assert "That code is not right" in response.text
        assert challenge_of(response.text) == challenge
    locked = verify(client, token, challenge, wrong)
    assert locked.status_code == 422
    assert "too many wrong codes; start again" in locked.text
    assert 'name="code"' not in locked.text
    # Even the right code no longer works: a new one must be asked for.
    after = verify(client, token, challenge, code)
    assert after.status_code == 422 and "too many wrong codes" in after.text
    assert not [c for c in set_cookie_headers(after) if c.startswith(f"{COOKIE}=")]
    assert client.get("/privacy/me", follow_redirects=False).status_code == 303


def test_an_expired_code_asks_to_start_again(
    client: TestClient, outbox: OutboxMailer, clock: FrozenClock
) -> None:
    token, page = start(client, "late@example.com")
    clock.advance(timedelta(minutes=11))
    response = verify(
        client, token, challenge_of(page.text), outbox.codes_for("late@example.com")[-1]
    )
    assert response.status_code == 422
    assert "expired" in response.text and 'href="/privacy/"' in response.text


def test_sign_in_is_rate_limited_per_client_address(
    client_with: Callable[..., TestClient], outbox: OutboxMailer
) -> None:
    limited = client_with(api_public_rate_limit="2/minute")
    for _ in range(2):
        assert start(limited, "someone@example.com")[1].status_code == 200
    token, response = start(limited, "someone@example.com")
    assert response.status_code == 429
    assert response.headers["content-type"].startswith("text/html")
    assert int(response.headers["retry-after"]) >= 1
    assert "Too many" in response.text
    assert len(outbox.messages) == 2
    assert verify(limited, token, "sig_x", "123456").status_code == 429


def test_signing_in_opens_my_data_and_signing_out_ends_the_session(
    client: TestClient, csrf: str, tutela: Tutela
) -> None:
    assert client.get("/privacy/", follow_redirects=False).headers["location"] == "/privacy/me"
    response = client.post("/privacy/sign-out", data={"csrf": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/privacy/?done=signed-out"
    assert any(c.startswith(f'{COOKIE}=""') for c in set_cookie_headers(response))
    page = client.get("/privacy/?done=signed-out")
    assert "You have signed out." in page.text
    assert client.get("/privacy/me", follow_redirects=False).status_code == 303


# -- sessions and CSRF -------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_a_session(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/privacy/"


def test_a_session_ends_after_the_idle_time(
    client: TestClient, csrf: str, clock: FrozenClock
) -> None:
    assert client.get("/privacy/me", follow_redirects=False).status_code == 200
    clock.advance(timedelta(minutes=31))  # session_idle_minutes: 30
    response = client.get("/privacy/me", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/privacy/"
    assert any(c.startswith(f'{COOKIE}=""') for c in set_cookie_headers(response))


@pytest.mark.parametrize("path", POSTS)
def test_posts_without_the_sessions_csrf_token_are_refused(
    client: TestClient,
    new_client: Callable[[], TestClient],
    csrf: str,
    outbox: OutboxMailer,
    tutela: Tutela,
    customer: tuple[str, dict[str, Any]],
    path: str,
) -> None:
    other_csrf = sign_in(new_client(), outbox, "someone.else@example.com")
    assert other_csrf != csrf
    subject_id, values = customer
    before = (ledger(tutela, subject_id), len(tutela.requests.listing()))
    form = {
        "field": "name",
        "value": "Changed Name",
        "purpose": ["newsletter", "analytics"],
        "confirm": "yes",
        "choice": "objection",
    }
    for token in (None, "", other_csrf, "é" * 64, csrf[:-1]):
        data = form if token is None else {**form, "csrf": token}
        response = client.post(path, data=data, follow_redirects=False)
        assert response.status_code == 403, (token, response.text)
        assert response.headers["content-type"].startswith("text/html")
        assert "nothing was done" in response.text
    assert (ledger(tutela, subject_id), len(tutela.requests.listing())) == before
    assert tutela.read(subject_id, ["name"], purpose="order_fulfilment", role="support") == {
        "name": values["name"]
    }
    assert client.get("/privacy/me", follow_redirects=False).status_code == 200  # still in


@pytest.mark.parametrize("path", ["/privacy/sign-in", "/privacy/verify"])
def test_the_sign_in_forms_need_their_token(
    client: TestClient, new_client: Callable[[], TestClient], outbox: OutboxMailer, path: str
) -> None:
    token = csrf_of(client.get("/privacy/").text)  # its cookie is set now
    for presented in (None, "x" * 43, "é" * 43, token[:-1]):
        data = {"email": "someone@example.com", "challenge": "sig_x", "code": "123456"}
        if presented is not None:
            data["csrf"] = presented
        response = client.post(path, data=data)
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("text/html")
    assert outbox.messages == []
    # A page of another site posts without the cookie (SameSite=Lax): refused too.
    stranger = new_client().post(path, data={"csrf": token, "email": "someone@example.com"})
    assert stranger.status_code == 403
    assert start(client, "someone@example.com")[1].status_code == 200  # the real form works


def test_posts_without_a_session_go_to_sign_in(client: TestClient, tutela: Tutela) -> None:
    for path in POSTS:
        response = client.post(path, data={"csrf": "x"}, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/privacy/"
    assert tutela.requests.listing() == []


# -- the pages ---------------------------------------------------------------------------------


def test_my_data_shows_each_value_with_its_purposes_basis_and_retention(
    client: TestClient, csrf: str, customer: tuple[str, dict[str, Any]]
) -> None:
    page = client.get("/privacy/me").text
    _, values = customer
    for name, value in values.items():
        shown = ", ".join(value) if isinstance(value, list) else value
        if name == "phone":
            continue  # stored in E.164, as written here
        assert escape(str(shown)) in page, name
    for label in ("Email", "Date of birth", "Loyalty ID", "Marketing preferences"):
        assert f">{label}</h2>" in page
    assert "Deliver orders, handle returns and answer customer questions" in page
    assert "needed to carry out our contract with you" in page
    assert "your consent (you can withdraw it at any time)" in page
    assert "required by law" in page and "Kept for 10 years" in page
    for path in ("/privacy/download", "/privacy/consents", "/privacy/delete", "/privacy/history"):
        assert f'href="{path}"' in page
    assert 'action="/privacy/sign-out"' in page and 'href="/privacy/notice"' in page


def test_a_customer_about_whom_nothing_is_held_is_told_so(
    client: TestClient, outbox: OutboxMailer
) -> None:
    sign_in(client, outbox, "stranger@example.com")
    assert "We hold no personal data" in client.get("/privacy/me").text
    assert "no choices to make" in client.get("/privacy/consents").text
    assert "nothing to correct" in client.get("/privacy/correct").text


@pytest.mark.parametrize("path", ["/privacy/", *PAGES])
def test_every_page_is_accessible_and_has_no_inline_code(
    client: TestClient,
    new_client: Callable[[], TestClient],
    outbox: OutboxMailer,
    customer: tuple[str, dict[str, Any]],
    path: str,
) -> None:
    if path != "/privacy/":
        sign_in(client, outbox, customer[1]["email"])
        client.get("/privacy/download")  # something in the history and requests
        client.post("/privacy/download", data={"csrf": csrf_of(client.get("/privacy/me").text)})
    response = client.get(path)
    assert response.status_code == 200
    assert page_problems(response.text) == []
    assert response.headers["cache-control"] == "no-store"
    assert "style-src 'self'" in response.headers["content-security-policy"]
    assert '<link rel="stylesheet" href="/privacy/static/site.css">' in response.text


def test_the_stylesheet_is_served_with_a_cache_header(client: TestClient) -> None:
    response = client.get("/privacy/static/site.css")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/css; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert response.text == site_stylesheet()
    assert ":focus-visible" in response.text
    again = client.get(
        "/privacy/static/site.css", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304


def test_download_hands_over_a_zip_with_every_held_field(
    client: TestClient, csrf: str, customer: tuple[str, dict[str, Any]], tutela: Tutela
) -> None:
    subject_id, values = customer
    response = client.post("/privacy/download", data={"csrf": csrf})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == 'attachment; filename="my-data.zip"'
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        document = json.loads(archive.read("data.json"))
    assert set(document["data"]) == set(tutela.datamap.fields)
    held = tutela.read(subject_id, ["email"], purpose="order_fulfilment", role="admin")
    assert document["data"]["email"] == held["email"] == values["email"]
    assert document["data"]["marketing_preferences"] == ["email", "post"]
    assert document["subject_id"] == subject_id
    (done,) = tutela.requests.listing()
    assert (done.type.value, done.status) == ("portability", Status.COMPLETED)


def test_a_bad_correction_is_refused_naming_the_field_and_nothing_changes(
    client: TestClient, csrf: str, customer: tuple[str, dict[str, Any]], tutela: Tutela
) -> None:
    subject_id, values = customer
    form = client.get("/privacy/correct?field=phone").text
    assert 'type="tel"' in form and 'name="field" value="phone"' in form
    response = client.post(
        "/privacy/correct", data={"csrf": csrf, "field": "phone", "value": "call me maybe"}
    )
    assert response.status_code == 422
    assert "Phone is not a parseable phone number. Nothing was changed." in response.text
    stored = tutela.read(subject_id, ["phone"], purpose="order_fulfilment", role="support")
    assert stored["phone"].endswith(values["phone"][-4:])
    assert tutela.requests.listing() == []  # not even a rectification request was kept

    unknown = client.post(
        "/privacy/correct", data={"csrf": csrf, "field": "shoe_size", "value": "9"}
    )
    assert unknown.status_code == 422 and "nothing was changed" in unknown.text


def test_a_correction_is_saved_and_said_so(
    client: TestClient, csrf: str, customer: tuple[str, dict[str, Any]], tutela: Tutela
) -> None:
    subject_id, _ = customer
    response = client.post(
        "/privacy/correct",
        data={"csrf": csrf, "field": "name", "value": "Ada Lovelace"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/privacy/me?done=corrected"
    assert "Ada" not in response.headers["location"]
    assert "Your correction was saved." in client.get(response.headers["location"]).text
    assert tutela.read(subject_id, ["name"], purpose="order_fulfilment", role="support") == {
        "name": "Ada Lovelace"
    }
    several = client.post(
        "/privacy/correct",
        data={"csrf": csrf, "field": "marketing_preferences", "value": ["sms", "post"]},
        follow_redirects=False,
    )
    assert several.status_code == 303
    assert '<p class="value">post, sms</p>' in client.get("/privacy/me").text
    assert len(tutela.requests.listing()) == 2
    for corrected in tutela.requests.listing():
        assert corrected.type.value == "rectification" and corrected.status is Status.COMPLETED


def test_choices_record_consent_and_objection_in_the_ledger(
    client: TestClient, csrf: str, customer: tuple[str, dict[str, Any]], tutela: Tutela
) -> None:
    subject_id, _ = customer
    page = client.get("/privacy/consents").text
    for purpose in CHOOSABLE:
        assert f'name="purpose" value="{purpose}"' in page
    assert "order_fulfilment" not in page and "tax_records" not in page
    assert "you may object" in page and "your consent; you can withdraw it" in page
    # Grant the newsletter; untick fraud prevention (an objection); a purpose that is not
    # the customer's choice is ignored.
    response = client.post(
        "/privacy/consents",
        data={"csrf": csrf, "purpose": ["newsletter", "order_fulfilment"]},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert sorted(ledger(tutela, subject_id)) == [
        ("fraud_prevention", "withdraw", "web_form"),
        ("newsletter", "grant", "web_form"),
    ]
    assert "Your choices were saved." in client.get(response.headers["location"]).text
    # Withdrawing the newsletter writes one more event; what did not change writes none.
    client.post("/privacy/consents", data={"csrf": csrf, "purpose": []})
    assert sorted(ledger(tutela, subject_id))[-1] == ("newsletter", "withdraw", "web_form")
    assert len(ledger(tutela, subject_id)) == 3


def test_delete_says_what_is_kept_and_why_then_waits_for_approval(
    client: TestClient, csrf: str, customer: tuple[str, dict[str, Any]], tutela: Tutela
) -> None:
    subject_id, _ = customer
    page = client.get("/privacy/delete").text
    for label in KEPT.values():
        assert (
            f"<strong>{label}</strong>: Keep invoices as tax law requires (kept for 10 years)"
            in page
        )
    assert "Date of birth, Email, Loyalty ID, Marketing preferences, Phone" in page
    assert "A member of our staff reviews each deletion request" in page
    assert 'type="checkbox" id="confirm" name="confirm"' in page

    unconfirmed = client.post("/privacy/delete", data={"csrf": csrf})
    assert unconfirmed.status_code == 422 and "Tick “I understand”" in unconfirmed.text
    assert tutela.requests.listing() == []

    response = client.post("/privacy/delete", data={"csrf": csrf, "confirm": "yes"})
    assert response.status_code == 200
    assert "Waiting for approval by our staff" in response.text
    (waiting,) = tutela.requests.listing()
    assert waiting.status is Status.AWAITING_APPROVAL and waiting.subject_id == subject_id

    done = tutela.requests.approve(waiting.id)
    assert done.status is Status.COMPLETED
    assert set(done.outcome["kept"]) == set(KEPT)
    with pytest.raises(ProcessingRestricted):
        tutela.read(subject_id, ["email"], purpose="order_fulfilment", role="support")
    assert client.get("/privacy/me", follow_redirects=False).status_code == 303  # signed out


def test_delete_without_approval_erases_at_once_and_signs_out(
    client_with: Callable[..., TestClient],
    outbox: OutboxMailer,
    customer: tuple[str, dict[str, Any]],
    tutela: Tutela,
) -> None:
    client = client_with(requests_need_approval=[])
    csrf = sign_in(client, outbox, customer[1]["email"])
    assert "Your data is erased as soon as you confirm" in client.get("/privacy/delete").text
    response = client.post("/privacy/delete", data={"csrf": csrf, "confirm": "yes"})
    assert response.status_code == 200
    assert "Done" in response.text and "You have been signed out." in response.text
    assert "Kept because the law requires it: Address, Country, Name." in response.text
    assert 'action="/privacy/sign-out"' not in response.text
    assert any(c.startswith(f'{COOKIE}=""') for c in set_cookie_headers(response))


@pytest.mark.parametrize(
    ("choice", "outcome"),
    [
        ("objection", "Stopped: Analytics, Fraud prevention, Newsletter, Personalised ads."),
        ("restriction", "Processing restricted: your data is only kept for Tax records."),
    ],
)
def test_object_or_restrict_submits_that_request(
    client: TestClient, csrf: str, tutela: Tutela, choice: str, outcome: str
) -> None:
    page = client.get("/privacy/object-restrict").text
    assert "Object to processing" in page and "Restrict processing" in page
    bad = client.post("/privacy/object-restrict", data={"csrf": csrf, "choice": "erasure"})
    assert bad.status_code == 422 and tutela.requests.listing() == []
    response = client.post("/privacy/object-restrict", data={"csrf": csrf, "choice": choice})
    assert response.status_code == 200
    assert outcome in response.text
    (made,) = tutela.requests.listing()
    assert made.type.value == choice and made.status is Status.COMPLETED
    requests_page = client.get("/privacy/requests").text
    assert outcome in requests_page
    assert "2026-02-28" in requests_page  # due date: one month from 31 January


def test_my_requests_and_who_accessed_my_data(
    client: TestClient, csrf: str, tutela: Tutela, customer: tuple[str, dict[str, Any]]
) -> None:
    subject_id, _ = customer
    client.post("/privacy/download", data={"csrf": csrf})
    with pytest.raises(Exception):  # noqa: B017 - a refused read: the history shows it
        tutela.read(subject_id, ["email"], purpose="newsletter", role="marketing")
    requests_page = client.get("/privacy/requests").text
    assert "Copy of your data" in requests_page and "Done" in requests_page
    assert "2026-01-31 09:00 UTC" in requests_page
    history = client.get("/privacy/history").text
    assert "who accessed" in history.lower() and "newest first" in history
    rows = history.split("<tbody>")[1].split("<tr")[1:]
    assert "Refused" in rows[0] and "Newsletter" in rows[0]  # the newest: the refused read
    assert "our staff or systems (role: marketing)" in rows[0]
    assert any("copied for you" in r and ">you<" in r for r in rows)
    assert "our staff or systems (role: admin)" in rows[-1]  # the oldest: the customer added
    assert all('<th scope="row"><time datetime="2026-01-31T09:00:00+00:00">' in r for r in rows)


# -- the emailed one-time download link --------------------------------------------------------


def test_the_emailed_link_works_once_and_looking_does_not_use_it(
    new_client: Callable[[], TestClient],
    tutela: Tutela,
    outbox: OutboxMailer,
    customer: tuple[str, dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, values = customer
    created = tutela.requests.create("access", values["email"])
    tutela.requests.verify(created.id, outbox.codes_for(values["email"])[-1])
    (token,) = outbox.download_tokens_for(values["email"])
    browser, scanner = new_client(), new_client()
    url = f"/privacy/download/{token}"
    assert scanner.get(url).status_code == 200  # a mail scanner opens the link first
    page = browser.get(url)
    assert page.status_code == 200
    assert "Download my data" in page.text and 'method="post"' in page.text
    assert tutela.requests.download_ready(token)

    refused = browser.post(url, data={})  # without the form's token
    assert refused.status_code == 403 and tutela.requests.download_ready(token)
    response = browser.post(url, data={"csrf": csrf_of(page.text)})
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="my-data.zip"'
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert json.loads(archive.read("data.json"))["data"]["email"] == values["email"]

    again = browser.post(url, data={"csrf": csrf_of(page.text)})
    assert again.status_code == 410
    assert "no longer works" in again.text and "sign in to the privacy center" in again.text
    assert browser.get(url).status_code == 410
    assert browser.get("/privacy/download/unknown-token-abcdefghijklmnop").status_code == 410
    assert token not in caplog.text
    assert any('"route": "/privacy/download/{token}"' in r.getMessage() for r in caplog.records)


# -- no personal value leaks -------------------------------------------------------------------


def test_no_personal_value_in_logs_or_error_pages(
    client: TestClient,
    new_client: Callable[[], TestClient],
    csrf: str,
    outbox: OutboxMailer,
    customer: tuple[str, dict[str, Any]],
    canary: PiiCanary,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, values = customer
    errors = [
        client.post("/privacy/consents", data={"csrf": "forged"}),
        client.get("/privacy/correct?field=" + values["loyalty_id"]),
        client.post("/privacy/correct", data={"csrf": csrf, "field": values["name"], "value": "x"}),
        client.get(f"/privacy/download/{values['loyalty_id']}0123456789abcdefghijklmn"),
        client.post("/privacy/delete", data={"csrf": csrf}),
    ]
    stranger = new_client()
    token = csrf_of(stranger.get("/privacy/").text)
    errors.append(stranger.post("/privacy/sign-in", data={"csrf": "no", "email": values["email"]}))
    bad_email = values["email"].replace("@", " at ")
    malformed = stranger.post("/privacy/sign-in", data={"csrf": token, "email": bad_email})
    assert malformed.status_code == 422 and f'value="{escape(bad_email)}"' in malformed.text
    assert [r.status_code for r in errors] == [403, 404, 422, 410, 422, 403]
    for response in errors:
        assert response.headers["content-type"].startswith("text/html")
        assert not canary.leaks([response.text]), response.request.url.path
    assert not canary.leaks([caplog.text, *(r.getMessage() for r in caplog.records)])
    assert bad_email not in caplog.text
