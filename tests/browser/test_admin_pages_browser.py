"""The admin pages in real headless Chromium, on SQLite and PostgreSQL: staff sign in with an
API key, see the queue and its deadline chart, open a request, approve it and see the timeline
updated; keyboard only; and the queue at 320 px wide without horizontal scrolling.
Screenshots go to `.artifacts/browser/admin-*.png`.

(Named apart from tests/web/test_admin_pages.py: the test directories are not packages, so
two test modules may not share a name.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from browser_support import ApiServer
from playwright.sync_api import Page, expect

from tutela import Settings, Tutela
from tutela.clock import FrozenClock, SystemClock
from tutela.rights.service import Status
from tutela.testing import OutboxMailer, PiiCanary

pytestmark = pytest.mark.slow


@dataclass
class Admin:
    """Tutela served for real, an admin key, and the requests made before it started."""

    url: str
    key: str
    key_id: str
    vault: Tutela
    awaiting: str  # an erasure waiting for approval
    late: str
    backend: str
    artifacts: Path

    def screenshot(self, page: Page, name: str) -> Path:
        path = self.artifacts / f"admin-{name}-{self.backend}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def admin(
    settings: Settings,
    database_url: str | None,
    backend: str,
    artifacts: Path,
    tmp_path: Path,
    canary: PiiCanary,
) -> Iterator[Admin]:
    """A home with open requests received at different times (one late, one due soon, two
    later, one erasure awaiting approval), served on its own port."""
    served = Settings.load(
        settings.home, environ={}, database_url=database_url, mail_outbox_dir=tmp_path / "mail"
    )
    outbox = OutboxMailer()
    Tutela.init(settings=served, mailer=outbox).close()
    now = SystemClock().now()
    made: dict[str, str] = {}
    for name, days_ago, jurisdiction in (
        ("late", 40, None),
        ("soon", 26, None),
        ("later", 5, None),
        ("ccpa", 1, "US-CA"),
    ):
        with Tutela.open(
            settings=served, clock=FrozenClock(now - timedelta(days=days_ago)), mailer=outbox
        ) as past:
            made[name] = past.requests.create(
                "access", canary.customer(len(made))["email"], jurisdiction=jurisdiction
            ).id
    vault = Tutela.open(settings=served, mailer=outbox)
    person = canary.customer(9)
    vault.add(person)
    created = vault.requests.create("erasure", person["email"])
    awaiting = vault.requests.verify(created.id, outbox.codes_for(person["email"])[-1])
    assert awaiting.status is Status.AWAITING_APPROVAL
    info, key = vault.create_api_key(name="officer", role="admin")
    server = ApiServer(served)
    try:
        server.start()
        yield Admin(server.url, key, info.id, vault, awaiting.id, made["late"], backend, artifacts)
    finally:
        server.stop()
        vault.close()


def sign_in(page: Page, admin: Admin) -> None:
    page.goto(admin.url + "/admin/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff sign-in")
    page.get_by_label("API key").fill(admin.key)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(admin.url + "/admin/requests")


def no_horizontal_scroll(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_staff_sign_in_see_the_queue_and_approve_an_erasure(
    admin: Admin, new_page: Callable[..., Page], canary: PiiCanary
) -> None:
    page = new_page()
    sign_in(page, admin)

    expect(page.get_by_role("heading", level=1)).to_have_text("Data-subject requests")
    chart = page.get_by_role("img", name="Open requests by days left")
    expect(chart).to_be_visible()
    assert "5 open requests" in (chart.locator("desc").text_content() or "")
    late_row = page.locator("tr", has=page.get_by_role("link", name=admin.late))
    expect(late_row).to_contain_text("late")
    expect(page.locator("tr.soon")).to_have_count(1)
    expect(page.locator("tr.soon")).to_contain_text("due soon")
    bar = page.locator(".deadline-chart .bar-late")
    assert bar.evaluate("el => getComputedStyle(el).fill") not in {"", "none", "rgb(0, 0, 0)"}
    cookies = [c for c in page.context.cookies() if c["name"] == "tutela_admin"]
    assert len(cookies) == 1 and cookies[0]["httpOnly"] and cookies[0]["path"] == "/admin"
    assert admin.key not in cookies[0]["value"]
    no_horizontal_scroll(page, 1100)
    admin.screenshot(page, "queue")

    page.get_by_role("link", name=admin.awaiting).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(admin.awaiting)
    expect(page.get_by_role("button", name="Approve and carry out")).to_be_visible()
    page.get_by_role("button", name="Approve and carry out").click()

    expect(page.get_by_role("status")).to_have_text("Request approved.")
    timeline = page.get_by_role("table", name="Every step, oldest first")
    expect(timeline.locator("tbody tr").last).to_contain_text("erased")
    expect(timeline).to_contain_text(admin.key_id)
    expect(page.get_by_role("button", name="Approve and carry out")).to_have_count(0)
    assert admin.vault.requests.show(admin.awaiting).status is Status.COMPLETED
    admin.screenshot(page, "request-approved")
    assert not canary.leaks([page.content()])


def test_the_pages_work_with_the_keyboard_alone(
    admin: Admin, new_page: Callable[..., Page]
) -> None:
    page = new_page()
    page.goto(admin.url + "/admin/sign-in")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "api_key":
            break
    else:
        pytest.fail("Tab never reached the API key field")
    page.keyboard.type(admin.key)
    page.keyboard.press("Enter")
    expect(page).to_have_url(admin.url + "/admin/requests")

    link = page.get_by_role("link", name=admin.awaiting)
    for _ in range(60):
        page.keyboard.press("Tab")
        if link.evaluate("el => document.activeElement === el"):
            break
    else:
        pytest.fail("Tab never reached the request's link")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(admin.awaiting)
    reason = page.get_by_label("Reason for rejecting (required)")
    reason.focus()
    page.keyboard.type("duplicate of an earlier request")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Reject the request")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Request rejected")
    assert admin.vault.requests.show(admin.awaiting).status is Status.REJECTED


def test_the_queue_and_a_request_fit_320_pixels(
    admin: Admin, new_page: Callable[..., Page]
) -> None:
    page = new_page(viewport={"width": 320, "height": 640})
    sign_in(page, admin)

    expect(page.get_by_role("img", name="Open requests by days left")).to_be_visible()
    no_horizontal_scroll(page, 320)
    admin.screenshot(page, "queue-320")

    page.get_by_role("link", name=admin.awaiting).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(admin.awaiting)
    no_horizontal_scroll(page, 320)
    admin.screenshot(page, "request-320")
