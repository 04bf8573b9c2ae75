"""The admin pages under /admin, in process (FastAPI's TestClient), on SQLite and PostgreSQL:
signing in with an API key (good, bad, revoked, expired, rate-limited) and the session cookie;
the request queue with its urgency labels and deadline chart; one request with its timeline and
the staff actions (approve, reject, extend, complete, retry) behind CSRF tokens and the role's
permission; idle sessions; and no personal value on any page.

The clock starts on Saturday 31 January 2026, 09:00 UTC (see admin_support.py).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from admin_support import (
    COOKIE,
    MANAGER_ROLE,
    NO_REQUESTS_ROLE,
    Key,
    assert_accessible_page,
    csrf_of,
    issue,
    queue_order,
    queue_rows,
    received,
    set_cookie_header,
    sign_in,
    signed_in,
    table_rows,
    verified,
)
from fastapi.testclient import TestClient

from tutela import Settings, Tutela
from tutela.api import create_app
from tutela.clock import FrozenClock
from tutela.rights.service import Status
from tutela.testing import OutboxMailer, PiiCanary
from tutela.web.deadline_chart import BUCKETS, EMPTY_TEXT, bucket_counts, deadline_chart

# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def manager(tutela: Tutela) -> Key:
    return issue(tutela, MANAGER_ROLE)


@pytest.fixture
def staff(client: TestClient, manager: Key) -> TestClient:
    """`client`, signed in with a key whose role handles requests."""
    return signed_in(client, manager)


def awaiting_erasure(tutela: Tutela, outbox: OutboxMailer, canary: PiiCanary, n: int = 1) -> str:
    """A canary customer's verified erasure request, waiting for staff approval."""
    person = canary.customer(n)
    tutela.add(person)
    view = verified(tutela, outbox, "erasure", person["email"])
    assert view.status is Status.AWAITING_APPROVAL
    return view.id


def post_action(
    client: TestClient, request_id: str, action: str, csrf: str | None = None, **fields: str
) -> Any:
    """Post an action form, with the CSRF token of the request's page unless one is given."""
    if csrf is None:
        csrf = csrf_of(client.get(f"/admin/requests/{request_id}").text)
    data = {"csrf": csrf, **fields} if csrf else fields
    return client.post(f"/admin/requests/{request_id}/{action}", data=data, follow_redirects=False)


# -- signing in ----------------------------------------------------------------------------------


def test_admin_home_sends_a_visitor_to_sign_in_and_staff_to_the_queue(
    client: TestClient, manager: Key
) -> None:
    first = client.get("/admin/", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/admin/sign-in"

    form = client.get("/admin/sign-in")
    assert form.status_code == 200
    assert 'type="password"' in form.text and 'name="api_key"' in form.text
    assert form.headers["content-security-policy"].startswith("default-src 'none'")
    assert_accessible_page(form.text)

    signed_in(client, manager)
    assert client.get("/admin/", follow_redirects=False).headers["location"] == "/admin/requests"
    assert client.get("/admin/sign-in", follow_redirects=False).status_code == 303


def test_a_good_key_gets_a_session_cookie_that_is_not_the_key(
    client: TestClient, tutela: Tutela, manager: Key
) -> None:
    response = sign_in(client, manager)

    assert response.status_code == 303
    assert response.headers["location"] == "/admin/requests"
    cookie = set_cookie_header(response)
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    assert "Path=/admin" in cookie
    assert "Secure" not in cookie  # cookie_secure is off by default (plain-HTTP demo)
    assert manager.text not in cookie
    assert manager.text.split("_")[-1] not in cookie
    queue = client.get("/admin/requests")
    assert queue.status_code == 200
    assert manager.id in queue.text  # who is signed in
    assert manager.text not in queue.text
    signs = [e for e in tutela.audit_entries() if e.event.action == "admin.sign_in"]
    assert [(e.event.actor, e.event.role) for e in signs] == [(manager.id, MANAGER_ROLE)]


def test_the_cookie_is_secure_where_settings_say_so(
    client_with: Callable[..., TestClient], manager: Key
) -> None:
    response = sign_in(client_with(cookie_secure=True), manager)
    assert response.status_code == 303
    assert "Secure" in set_cookie_header(response)


def _expired(tutela: Tutela, clock: FrozenClock) -> Key:
    key = issue(tutela, MANAGER_ROLE, expires_in=timedelta(hours=1))
    clock.advance(timedelta(hours=2))
    return key


def _revoked(tutela: Tutela, clock: FrozenClock) -> Key:
    key = issue(tutela, MANAGER_ROLE)
    tutela.revoke_api_key(key.id)
    return key


def _unknown(tutela: Tutela, clock: FrozenClock) -> Key:
    real = issue(tutela, MANAGER_ROLE)
    return Key(real.id, real.text[:-4] + ("aaaa" if not real.text.endswith("aaaa") else "bbbb"), "")


@pytest.mark.parametrize("make_key", [_unknown, _revoked, _expired], ids=lambda f: f.__name__[1:])
def test_a_bad_revoked_or_expired_key_is_not_accepted(
    client: TestClient,
    tutela: Tutela,
    clock: FrozenClock,
    make_key: Callable[[Tutela, FrozenClock], Key],
) -> None:
    key = make_key(tutela, clock)

    response = sign_in(client, key)

    assert response.status_code == 401
    assert "key not accepted" in response.text
    assert 'name="api_key"' in response.text  # the form again
    assert key.text not in response.text  # never echoed back
    assert not [k for k, _ in response.headers.multi_items() if k.lower() == "set-cookie"]
    assert client.get("/admin/requests", follow_redirects=False).status_code == 303
    assert not [e for e in tutela.audit_entries() if e.event.action == "admin.sign_in"]


def test_an_empty_key_is_not_accepted(client: TestClient) -> None:
    response = client.post("/admin/sign-in", data={})
    assert response.status_code == 401
    assert "key not accepted" in response.text


def test_sign_in_attempts_are_rate_limited_per_client_address(
    client_with: Callable[..., TestClient], manager: Key
) -> None:
    limited = client_with(api_public_rate_limit="2/minute")
    assert sign_in(limited, "tutela_nope").status_code == 401
    assert sign_in(limited, "tutela_nope").status_code == 401

    refused = sign_in(limited, manager)

    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert "Too many sign-in attempts" in refused.text
    assert not [k for k, _ in refused.headers.multi_items() if k.lower() == "set-cookie"]


def test_a_sign_in_posted_from_another_site_is_refused(client: TestClient, manager: Key) -> None:
    response = client.post(
        "/admin/sign-in",
        data={"api_key": manager.text},
        headers={"Sec-Fetch-Site": "cross-site"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert not [k for k, _ in response.headers.multi_items() if k.lower() == "set-cookie"]


def test_signing_out_ends_the_session(staff: TestClient) -> None:
    token = staff.cookies.get(COOKIE)
    csrf = csrf_of(staff.get("/admin/requests").text)

    out = staff.post("/admin/sign-out", data={"csrf": csrf}, follow_redirects=False)

    assert out.status_code == 303
    assert out.headers["location"] == "/admin/sign-in?out=1"
    assert staff.cookies.get(COOKIE) is None
    staff.cookies.set(COOKIE, token or "", path="/admin")  # the old cookie no longer works
    after = staff.get("/admin/requests", follow_redirects=False)
    assert after.status_code == 303
    assert after.headers["location"].startswith("/admin/sign-in")


def test_signing_out_needs_the_csrf_token(staff: TestClient) -> None:
    out = staff.post("/admin/sign-out", data={}, follow_redirects=False)
    assert out.status_code == 403
    assert staff.get("/admin/requests").status_code == 200  # still signed in


def test_an_idle_session_ends_and_sends_staff_back_to_sign_in(
    staff: TestClient, clock: FrozenClock, settings: Settings
) -> None:
    clock.advance(timedelta(minutes=settings.session_idle_minutes - 1))
    assert staff.get("/admin/requests").status_code == 200  # in use: kept alive
    clock.advance(timedelta(minutes=settings.session_idle_minutes + 1))

    response = staff.get("/admin/requests", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/admin/sign-in?ended=1"
    page = staff.get(response.headers["location"])
    assert "Your session ended" in page.text
    assert 'name="api_key"' in page.text


def test_revoking_the_key_ends_its_admin_sessions(
    staff: TestClient, tutela: Tutela, manager: Key
) -> None:
    assert staff.get("/admin/requests").status_code == 200
    tutela.revoke_api_key(manager.id)

    after = staff.get("/admin/requests", follow_redirects=False)

    assert after.status_code == 303
    assert after.headers["location"].startswith("/admin/sign-in")


def test_a_role_without_requests_manage_signs_in_but_may_not_see_the_queue(
    client: TestClient, tutela: Tutela, outbox: OutboxMailer, canary: PiiCanary
) -> None:
    request_id = awaiting_erasure(tutela, outbox, canary)
    signed_in(client, issue(tutela, NO_REQUESTS_ROLE))

    queue = client.get("/admin/requests")
    detail = client.get(f"/admin/requests/{request_id}")

    for page in (queue, detail):
        assert page.status_code == 403
        assert "requests.manage" in page.text
        assert request_id not in page.text
        assert_accessible_page(page.text)
    # nor act, even with a valid token of its own session
    csrf = csrf_of(queue.text)
    assert post_action(client, request_id, "approve", csrf).status_code == 403
    assert tutela.requests.show(request_id).status is Status.AWAITING_APPROVAL
    denied = [e for e in tutela.audit_entries() if e.event.outcome == "denied"]
    assert {e.event.action for e in denied} >= {"request.list", "request.show", "request.approve"}


# -- the queue -------------------------------------------------------------------------------------


def test_the_queue_labels_late_and_due_soon_requests_most_urgent_first(
    client: TestClient, manager: Key, tutela: Tutela, clock: FrozenClock, canary: PiiCanary
) -> None:
    emails = [canary.customer(n)["email"] for n in range(5)]
    on_time = received(tutela, "access", emails[0], jurisdiction="US-CA")  # due 17 March
    late = received(tutela, "erasure", emails[1])  # due 28 February
    clock.advance(timedelta(days=25))  # 25 February
    soon = received(tutela, "objection", emails[2])  # due 25 March
    closed = received(tutela, "restriction", emails[3])
    tutela.requests.reject(closed.id, "manifestly unfounded")
    clock.advance(timedelta(days=23))  # 20 March
    later = received(tutela, "access", emails[4])  # due 20 April
    today = clock.now().date()
    staff = signed_in(client, manager)

    response = staff.get("/admin/requests")

    assert response.status_code == 200
    rows = queue_rows(response.text)
    assert set(rows) == {on_time.id, late.id, soon.id, later.id}  # open ones only
    expected = {}
    for view in (on_time, late, soon, later):
        left = (view.due_on - today).days
        expected[view.id] = "late" if left < 0 else "soon" if left <= 7 else ""
        assert str(left) in rows[view.id][1][6]
    assert expected == {on_time.id: "late", late.id: "late", soon.id: "soon", later.id: ""}
    for request_id, label in expected.items():
        css, cells = rows[request_id]
        assert css == label
        days = cells[6]
        assert ("late" in days) is (label == "late")
        assert ("due soon" in days) is (label == "soon")
    assert queue_order(response.text) == [late.id, on_time.id, soon.id, later.id]
    assert_accessible_page(response.text)

    everything = staff.get("/admin/requests?status=all")
    assert closed.id in queue_rows(everything.text)
    assert queue_order(everything.text)[-1] == closed.id  # closed ones last
    rejected = staff.get("/admin/requests?status=rejected")
    assert list(queue_rows(rejected.text)) == [closed.id]
    assert staff.get("/admin/requests?status=nonsense").status_code == 422


def test_the_deadline_chart_counts_open_requests_by_days_left(
    client: TestClient, manager: Key, tutela: Tutela, clock: FrozenClock, canary: PiiCanary
) -> None:
    assert EMPTY_TEXT in signed_in(client, manager).get("/admin/requests").text

    received(tutela, "access", canary.customer(1)["email"])  # due 28 February
    received(tutela, "access", canary.customer(2)["email"])
    clock.advance(timedelta(days=20))  # 20 February
    received(tutela, "access", canary.customer(3)["email"])  # due 20 March: 28 days left
    clock.advance(timedelta(days=10))  # 2 March: the first two are late by 2 days

    html = signed_in(client, manager).get("/admin/requests").text

    svg = re.search(r"<svg.*?</svg>", html, re.S)
    assert svg is not None
    chart = ET.fromstring(svg.group(0))
    assert chart.get("role") == "img"
    labelled = (chart.get("aria-labelledby") or "").split()
    ns = "{http://www.w3.org/2000/svg}"
    assert [chart.find(f"{ns}title").get("id"), chart.find(f"{ns}desc").get("id")] == labelled
    desc = chart.find(f"{ns}desc").text or ""
    assert "3 open requests" in desc and "late: 2" in desc and "15\N{EN DASH}30 days: 1" in desc
    numbers = {cells[0]: cells[1] for _, cells in table_rows(html) if len(cells) == 2}
    assert numbers == {
        "Days left": "Open requests",  # the header row
        "Late": "2",
        "0\N{EN DASH}7 days": "0",
        "8\N{EN DASH}14 days": "0",
        "15\N{EN DASH}30 days": "1",
        "31+ days": "0",
    }
    assert ' style="' not in html


# -- one request -----------------------------------------------------------------------------------


def test_approving_an_erasure_from_the_page_carries_it_out(
    staff: TestClient, tutela: Tutela, outbox: OutboxMailer, canary: PiiCanary, manager: Key
) -> None:
    request_id = awaiting_erasure(tutela, outbox, canary)
    detail = staff.get(f"/admin/requests/{request_id}")
    assert detail.status_code == 200
    assert f'action="/admin/requests/{request_id}/approve"' in detail.text
    assert f'action="/admin/requests/{request_id}/complete"' not in detail.text
    assert_accessible_page(detail.text)

    done = post_action(staff, request_id, "approve")

    assert done.status_code == 303
    assert done.headers["location"] == f"/admin/requests/{request_id}?done=approved"
    view = tutela.requests.show(request_id)
    assert view.status is Status.COMPLETED
    assert manager.id in [e.actor for e in view.timeline]
    after = staff.get(done.headers["location"])
    assert "Request approved." in after.text
    timeline = [cells for _, cells in table_rows(after.text) if len(cells) == 4]
    assert ["erased" in " ".join(c) for c in timeline][-1]
    assert any(manager.id in cells for cells in timeline)
    assert "/approve" not in after.text  # nothing left to do
    assert [e.event.actor for e in tutela.audit_entries() if e.event.action == "request.completed"]
    assert_accessible_page(after.text)

    again = post_action(staff, request_id, "approve", csrf_of(after.text))
    assert again.status_code == 409
    assert "cannot approve" in again.text
    assert "Traceback" not in again.text


def test_rejecting_needs_a_reason(
    staff: TestClient, tutela: Tutela, outbox: OutboxMailer, canary: PiiCanary
) -> None:
    request_id = awaiting_erasure(tutela, outbox, canary)

    blank = post_action(staff, request_id, "reject", reason="   ")

    assert blank.status_code == 422
    assert "a reason is required to reject a request" in blank.text
    assert 'name="reason"' in blank.text  # the forms again
    assert tutela.requests.show(request_id).status is Status.AWAITING_APPROVAL

    done = post_action(staff, request_id, "reject", reason="manifestly unfounded")

    assert done.status_code == 303
    view = tutela.requests.show(request_id)
    assert view.status is Status.REJECTED
    assert view.outcome == {"reason": "manifestly unfounded"}
    page = staff.get(done.headers["location"]).text
    assert "Request rejected" in page
    assert "manifestly unfounded" in page


def test_extending_and_completing_from_the_page(
    staff: TestClient, tutela: Tutela, outbox: OutboxMailer, canary: PiiCanary
) -> None:
    person = canary.customer(1)
    tutela.add(person)
    view = verified(tutela, outbox, "rectification", person["email"])
    assert view.status is Status.IN_PROGRESS

    extended = post_action(staff, view.id, "extend", reason="complex request")
    assert extended.status_code == 303
    assert tutela.requests.show(view.id).due_on == view.latest_extension
    page = staff.get(extended.headers["location"]).text
    assert "Due date extended." in page
    assert "/extend" not in page  # once only
    assert "complex request" in page

    completed = post_action(staff, view.id, "complete", note="address corrected by phone")
    assert completed.status_code == 303
    assert tutela.requests.show(view.id).status is Status.COMPLETED
    assert "address corrected by phone" in staff.get(completed.headers["location"]).text


def test_an_action_without_the_csrf_token_is_refused_and_does_nothing(
    staff: TestClient, tutela: Tutela, outbox: OutboxMailer, canary: PiiCanary
) -> None:
    request_id = awaiting_erasure(tutela, outbox, canary)

    refused = post_action(staff, request_id, "approve", csrf="")

    assert refused.status_code == 403
    assert "nothing was done" in refused.text
    assert tutela.requests.show(request_id).status is Status.AWAITING_APPROVAL
    wrong = post_action(staff, request_id, "reject", csrf="0" * 64, reason="x")
    assert wrong.status_code == 403
    assert tutela.requests.show(request_id).status is Status.AWAITING_APPROVAL


def test_another_sessions_csrf_token_is_refused(
    staff: TestClient,
    new_client: Callable[[], TestClient],
    tutela: Tutela,
    outbox: OutboxMailer,
    canary: PiiCanary,
) -> None:
    request_id = awaiting_erasure(tutela, outbox, canary)
    other = signed_in(new_client(), issue(tutela, MANAGER_ROLE))
    their_token = csrf_of(other.get(f"/admin/requests/{request_id}").text)
    assert their_token != csrf_of(staff.get(f"/admin/requests/{request_id}").text)

    refused = post_action(staff, request_id, "approve", their_token)

    assert refused.status_code == 403
    assert tutela.requests.show(request_id).status is Status.AWAITING_APPROVAL


def test_an_unknown_request_is_a_404_page(staff: TestClient) -> None:
    for path in ("/admin/requests/req_nope", "/admin/requests/" + "x" * 300):
        response = staff.get(path)
        assert response.status_code == 404
        assert "Request not found" in response.text
        assert response.headers["content-type"].startswith("text/html")
    csrf = csrf_of(staff.get("/admin/requests").text)
    assert post_action(staff, "req_nope", "approve", csrf).status_code == 404
    assert post_action(staff, "req_nope", "frobnicate", csrf).status_code == 404


def test_pages_without_a_session_send_to_sign_in_and_posts_do_nothing(
    client: TestClient, tutela: Tutela, outbox: OutboxMailer, canary: PiiCanary
) -> None:
    request_id = awaiting_erasure(tutela, outbox, canary)
    for path in ("/admin/requests", f"/admin/requests/{request_id}"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/admin/sign-in"
    posted = client.post(
        f"/admin/requests/{request_id}/approve", data={"csrf": "x"}, follow_redirects=False
    )
    assert posted.status_code == 303
    assert tutela.requests.show(request_id).status is Status.AWAITING_APPROVAL


def test_the_stylesheet_is_served_and_linked(staff: TestClient) -> None:
    css = staff.get("/admin/static/admin.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert ".bar-late" in css.text
    assert (
        '<link rel="stylesheet" href="/admin/static/admin.css">'
        in staff.get("/admin/requests").text
    )
    cached = staff.get("/admin/static/admin.css", headers={"If-None-Match": css.headers["etag"]})
    assert cached.status_code == 304


# -- a request held because a connected database failed ------------------------------------------


@pytest.fixture
def shop_db(tmp_path: Path) -> str:
    """A business database whose customers table does not exist yet (a connector fails)."""
    return f"sqlite:///{tmp_path / 'shop.db'}"


def test_a_request_held_for_a_failed_database_is_flagged_and_can_be_retried(
    settings: Settings,
    database_url: str | None,
    clock: FrozenClock,
    outbox: OutboxMailer,
    canary: PiiCanary,
    shop_db: str,
) -> None:
    connector = {
        "name": "shop",
        "url": shop_db,
        "table": "customers",
        "identity_column": "email",
        "identity_field": "email",
        "columns": ["email"],
        "erase": "delete",
    }
    custom = Settings.load(
        settings.home, environ={}, database_url=database_url, connectors=[connector]
    )
    with Tutela.init(settings=custom, clock=clock, mailer=outbox) as home:
        request_id = awaiting_erasure(home, outbox, canary)
        home.requests.approve(request_id)
        held = home.requests.show(request_id)
        assert held.status is Status.IN_PROGRESS and held.outcome["retry"] is True
        with TestClient(create_app(custom, vault=home), raise_server_exceptions=False) as client:
            signed_in(client, issue(home, MANAGER_ROLE))
            queue = queue_rows(client.get("/admin/requests").text)
            assert "held for retry" in queue[request_id][1][7]
            detail = client.get(f"/admin/requests/{request_id}").text
            assert "Connected databases" in detail
            assert "failed" in detail
            assert f'action="/admin/requests/{request_id}/retry"' in detail

            still = post_action(client, request_id, "retry")  # the table is still missing
            assert still.status_code == 303
            assert home.requests.show(request_id).outcome.get("retry") is True

            engine = sa.create_engine(shop_db)
            with engine.begin() as conn:
                conn.exec_driver_sql("CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT)")
            engine.dispose()
            done = post_action(client, request_id, "retry")
            assert done.status_code == 303
            assert home.requests.show(request_id).status is Status.COMPLETED
            assert "Fulfilment run again." in client.get(done.headers["location"]).text


# -- no personal value on any page ---------------------------------------------------------------


def test_no_page_shows_a_requesters_email_or_any_personal_value(
    staff: TestClient,
    client: TestClient,
    tutela: Tutela,
    outbox: OutboxMailer,
    canary: PiiCanary,
) -> None:
    pending = awaiting_erasure(tutela, outbox, canary, 1)
    approved = awaiting_erasure(tutela, outbox, canary, 2)
    rejected = awaiting_erasure(tutela, outbox, canary, 3)
    opened = received(tutela, "access", canary.customer(4)["email"]).id
    pages = []
    pages.append(post_action(staff, approved, "approve"))
    pages.append(post_action(staff, rejected, "reject", reason="duplicate of an earlier one"))
    pages.append(post_action(staff, pending, "reject", reason=" "))  # 422 page
    for status in ("open", "all", *(s.value for s in Status)):
        pages.append(staff.get(f"/admin/requests?status={status}"))
    for request_id in (pending, approved, rejected, opened, "req_unknown"):
        pages.append(staff.get(f"/admin/requests/{request_id}"))
        pages.append(staff.get(f"/admin/requests/{request_id}?done=approved"))
    pages.append(staff.get("/admin/sign-in"))
    pages.append(sign_in(client, "tutela_wrong"))

    texts = [p.text for p in pages] + [str(p.headers) for p in pages]
    assert len(texts) > 20
    assert canary.leaks(texts) == []


# -- the chart function ----------------------------------------------------------------------------


def test_chart_buckets_have_exact_boundaries() -> None:
    counts = bucket_counts([-30, -1, 0, 7, 8, 14, 15, 30, 31, 400])
    assert [(b.key, n) for b, n in counts] == [
        ("late", 2),
        ("week", 2),
        ("fortnight", 2),
        ("month", 2),
        ("later", 2),
    ]
    assert [b for b, _ in bucket_counts([])] == list(BUCKETS)


def test_chart_is_valid_accessible_svg_with_counts_and_classes() -> None:
    svg = deadline_chart([-3, -1, 2, 20, 20, 20, 90])
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    assert root.get("role") == "img"
    title, desc = root.find(f"{ns}title"), root.find(f"{ns}desc")
    assert title is not None and desc is not None
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert desc.text == (
        "7 open requests by days left: late: 2, 0\N{EN DASH}7 days: 1, "
        "8\N{EN DASH}14 days: 0, 15\N{EN DASH}30 days: 3, 31+ days: 1."
    )
    bars = {r.get("class"): int(r.get("width") or 0) for r in root.iter(f"{ns}rect")}
    assert bars["bar bar-month"] > bars["bar bar-late"] > bars["bar bar-week"] > 0
    assert bars["bar bar-fortnight"] == 0
    counts = [t.text for t in root.iter(f"{ns}text") if t.get("class") == "count"]
    assert counts == ["2", "1", "0", "3", "1"]
    assert "style=" not in svg


def test_chart_escapes_its_text() -> None:
    svg = deadline_chart([1], title='<script>alert("x")</script> & more')
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg and "&amp; more" in svg
    assert ET.fromstring(svg).find("{http://www.w3.org/2000/svg}title").text.startswith("<script>")
    with pytest.raises(ValueError, match="chart_id"):
        deadline_chart([1], chart_id='x" onload="alert(1)')


def test_an_empty_chart_says_there_are_no_open_requests() -> None:
    svg = deadline_chart([])
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.find(f"{ns}desc").text == "No open requests."
    assert EMPTY_TEXT in [t.text for t in root.iter(f"{ns}text")]
    assert all(r.get("width") == "0" for r in root.iter(f"{ns}rect"))
