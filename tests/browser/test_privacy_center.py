"""The privacy center end to end in headless Chromium: Tutela served for real, its codes sent
through a real SMTP server on loopback; a customer signs in with the code from the delivered
email, reads their data, downloads it, corrects a field, withdraws a consent, reads who
accessed their data, and deletes their account, which staff approve through the SDK. Every
page fits 320 px without scrolling sideways; sign-in works with the keyboard alone. Both
database backends; screenshots in `.artifacts/browser/privacy-*.png`."""

from __future__ import annotations

import io
import json
import logging
import re
import secrets
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from browser_support import ApiServer
from playwright.sync_api import Page, expect
from privacy_support import (
    BusinessDatabases,
    PrivacySite,
    mail_server,
    scroll_width,
)

from tutela import Settings, Tutela
from tutela.errors import FieldNotAllowedForPurpose, ProcessingRestricted
from tutela.rights.service import RequestType, Status
from tutela.testing import PiiCanary

pytestmark = pytest.mark.slow

NARROW = {"width": 320, "height": 640}
KEPT = {"name", "address", "country"}  # the example data map's tax records keep them
OTHER_EMAIL = "someone.else@example.org"


@pytest.fixture
def business(tmp_path: Path, postgres_admin: sa.Engine) -> Iterator[BusinessDatabases]:
    """The shop's own databases: a second SQLite file and a PostgreSQL schema of its own."""
    schema = f"shop_{secrets.token_hex(6)}"
    with postgres_admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    shop = sa.create_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    try:
        yield BusinessDatabases(shop, postgres_admin, schema)
    finally:
        shop.dispose()
        with postgres_admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def privacy_site(
    settings: Settings,
    database_url: str | None,
    backend: str,
    artifacts: Path,
    business: BusinessDatabases,
    caplog: pytest.LogCaptureFixture,
) -> Iterator[PrivacySite]:
    """A fresh home served on its own port, sending its email through a loopback SMTP server,
    reaching the shop's own databases through two connectors."""
    caplog.set_level(logging.WARNING, logger="mail.log")  # the test SMTP server's own log
    with mail_server() as (port, mail):
        served = Settings.load(
            settings.home,
            environ={},
            database_url=database_url,
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_security="none",
            mail_from="Example Shop Privacy <privacy@shop.example>",
            connectors=business.connectors(),
        )
        Tutela.init(settings=served).close()
        vault = Tutela.open(settings=served)
        server = ApiServer(served)
        try:
            server.start()
            yield PrivacySite(server.url, vault, mail, backend, artifacts, business)
        finally:
            server.stop()
            vault.close()


@pytest.fixture
def customer(privacy_site: PrivacySite, canary: PiiCanary) -> tuple[str, dict[str, Any]]:
    """A customer with a value in every field of the example data map, who gave consent to
    the newsletter."""
    values = canary.customer() | {
        "date_of_birth": "1979-11-23",
        "marketing_preferences": ["email", "sms"],
        "country": "GB",
    }
    subject_id = privacy_site.vault.add(values)
    privacy_site.vault.consents.grant(subject_id, "newsletter")
    privacy_site.business.create(values["email"], OTHER_EMAIL)
    return subject_id, values


def sign_in(page: Page, site: PrivacySite, email: str) -> None:
    already = len(site.mail.to(email))
    page.goto(f"{site.url}/privacy/")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    page.get_by_label("6-digit code").fill(site.mail.code_for(email, after=already))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{site.url}/privacy/me")


def go(page: Page, link: str) -> None:
    nav = page.get_by_role("navigation", name="Privacy center")
    nav.get_by_role("link", name=link, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def fits_narrow(page: Page, site: PrivacySite, name: str) -> None:
    """The page at 320 px: no sideways scroll; a screenshot."""
    wide = page.viewport_size
    page.set_viewport_size(NARROW)
    assert scroll_width(page) <= NARROW["width"], (name, scroll_width(page))
    site.screenshot(page, f"{name}-320")
    if wide is not None:
        page.set_viewport_size(wide)


def test_a_customer_manages_their_data_in_the_browser(
    privacy_site: PrivacySite,
    customer: tuple[str, dict[str, Any]],
    new_page: Callable[..., Page],
) -> None:
    site, (subject_id, values) = privacy_site, customer
    stored = site.vault.read(subject_id, purpose="order_fulfilment", role="admin")
    page = new_page()

    # Sign in with the code from the email the SMTP server received.
    page.goto(f"{site.url}/privacy/")
    site.screenshot(page, "sign-in")
    fits_narrow(page, site, "sign-in")
    page.get_by_label("Email address").fill(values["email"])
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_text("We sent a 6-digit code to the address you entered")).to_be_visible()
    site.screenshot(page, "code")
    (message,) = site.mail.to(values["email"])
    assert "verification code" in str(message["Subject"]).lower()
    page.get_by_label("6-digit code").fill(site.mail.code_for(values["email"]))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{site.url}/privacy/me")

    # My data: every value, with why it is held.
    expect(page.get_by_role("heading", level=1)).to_have_text("My data")
    main = page.locator("main")
    for value in (*values.values(), stored["phone"]):
        expect(main).to_contain_text(", ".join(value) if isinstance(value, list) else value)
    expect(main).to_contain_text("Keep invoices as tax law requires")
    site.screenshot(page, "me")
    fits_narrow(page, site, "me")

    # Download: the zip holds every value.
    go(page, "Download")
    site.screenshot(page, "download")
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download my data").click()
    download = downloading.value
    assert download.suggested_filename == "my-data.zip"
    with zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes())) as archive:
        document = json.loads(archive.read("data.json"))
        shop_csv = archive.read("systems/shop.csv").decode()
        orders_csv = archive.read("systems/orders.csv").decode()
    data = document["data"]
    assert set(data) == set(site.vault.datamap.fields)
    # What the shop's own databases hold about them is in the zip too, and nobody else's.
    assert [r["city"] for r in document["systems"]["shop"]] == ["Leeds"]
    assert sorted(r["item"] for r in document["systems"]["orders"]) == ["cake", "tea"]
    assert "Leeds" in shop_csv and "tea" in orders_csv
    assert OTHER_EMAIL not in shop_csv + orders_csv
    for name, value in values.items():
        assert data[name] == (stored["phone"] if name == "phone" else value), name

    # Correct the name.
    go(page, "My data")
    page.get_by_role("link", name="Correct Name", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Correct: Name")
    site.screenshot(page, "correct")
    fits_narrow(page, site, "correct")
    page.get_by_label("Name").fill("Grace Hopper")
    page.get_by_role("button", name="Save the correction").click()
    expect(page.get_by_role("status")).to_have_text("Your correction was saved.")
    expect(page.locator("#field-name + .value")).to_have_text("Grace Hopper")
    assert site.vault.read(subject_id, ["name"], purpose="order_fulfilment", role="admin") == {
        "name": "Grace Hopper"
    }

    # Withdraw the newsletter consent.
    go(page, "My choices")
    newsletter = page.get_by_label("Newsletter")
    expect(newsletter).to_be_checked()
    site.screenshot(page, "consents")
    fits_narrow(page, site, "consents")
    newsletter.uncheck()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_role("status")).to_have_text("Your choices were saved.")
    expect(page.get_by_label("Newsletter")).not_to_be_checked()
    last = site.vault.consents.history(subject_id)[-1]
    assert (last.purpose, last.action, last.method) == ("newsletter", "withdraw", "web_form")

    # Who accessed my data: the reads, the export, the correction and the consent.
    go(page, "Who accessed my data")
    rows = page.locator("tbody tr")
    assert rows.count() >= 5
    history = page.locator("tbody").inner_text()
    for what in ("\tyou\tcopied for you\t", "\tyou\tchanged\t", "\tyou\terased\t"):
        assert what in history, what
    assert re.search(r"\tyou\t[^\t]*\tNewsletter\t", history), history  # the withdrawal
    site.screenshot(page, "history")
    fits_narrow(page, site, "history")

    go(page, "My requests")
    expect(page.locator("tbody")).to_contain_text("Copy of your data")
    expect(page.locator("tbody")).to_contain_text("Corrected: Name.")
    site.screenshot(page, "requests")
    fits_narrow(page, site, "requests")

    go(page, "Object or restrict")
    site.screenshot(page, "object-restrict")
    fits_narrow(page, site, "object-restrict")

    # Delete: what is kept and why; confirmation required; staff approve.
    go(page, "Delete my data")
    for kept in ("Name", "Address", "Country"):
        expect(page.locator("main li").filter(has_text=f"{kept}:")).to_contain_text(
            "Keep invoices as tax law requires"
        )
    expect(page.get_by_text("A member of our staff reviews each deletion request")).to_be_visible()
    site.screenshot(page, "delete")
    fits_narrow(page, site, "delete")
    page.get_by_label(re.compile("^I understand")).check()
    page.get_by_role("button", name="Delete my data").click()
    expect(page.get_by_role("status")).to_contain_text("Waiting for approval by our staff")
    site.screenshot(page, "delete-submitted")

    (waiting,) = [r for r in site.vault.requests.listing() if r.type is RequestType.ERASURE]
    assert waiting.status is Status.AWAITING_APPROVAL and waiting.subject_id == subject_id
    assert site.business.matching(values["email"]) == (1, 2)
    done = site.vault.requests.approve(waiting.id)
    assert done.status is Status.COMPLETED
    assert set(done.outcome["kept"]) == KEPT
    # The shop's own databases hold no trace of them; the other customer is untouched.
    assert site.business.matching(values["email"]) == (0, 0)
    assert site.business.matching(OTHER_EMAIL) == (1, 1)
    assert [(s["name"], s["ok"]) for s in done.outcome["systems"]] == [
        ("shop", True),
        ("orders", True),
    ]
    # Every value but those the tax law keeps is gone from the vault for good.
    with site.vault.unit_of_work() as uow:
        assert site.vault.vault.held_fields(uow, subject_id) == KEPT

    # Erased: nothing but what the tax records need, and only for them; the session is over.
    for purpose, role in (("order_fulfilment", "admin"), ("fraud_prevention", "fraud")):
        with pytest.raises(ProcessingRestricted):
            site.vault.read(subject_id, purpose=purpose, role=role)
    with pytest.raises(FieldNotAllowedForPurpose):
        site.vault.read(subject_id, ["email"], purpose="tax_records", role="finance")
    kept = site.vault.read(subject_id, purpose="tax_records", role="finance")
    assert kept == {"name": "Grace Hopper", "address": values["address"], "country": "GB"}
    page.goto(f"{site.url}/privacy/me")
    expect(page).to_have_url(f"{site.url}/privacy/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your data with us")


def test_sign_in_works_with_the_keyboard_alone(
    privacy_site: PrivacySite, customer: tuple[str, dict[str, Any]], new_page: Callable[..., Page]
) -> None:
    site, (_, values) = privacy_site, customer
    page = new_page()
    page.goto(f"{site.url}/privacy/")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # visible once focused
    outline = skip.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline not in ("", "none"), outline
    tab_to(page, page.get_by_label("Email address"))
    page.keyboard.type(values["email"])
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    tab_to(page, page.get_by_label("6-digit code"))
    page.keyboard.type(site.mail.code_for(values["email"]))
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{site.url}/privacy/me")
    site.screenshot(page, "keyboard-signed-in")

    # The navigation and sign-out are reachable by Tab too.
    tab_to(page, page.get_by_role("link", name="Who accessed my data"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Who accessed my data")
    tab_to(page, page.get_by_role("button", name="Sign out"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("You have signed out.")


def tab_to(page: Page, target: Any, limit: int = 25) -> int:
    """Press Tab until `target` has focus; returns how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if target.evaluate("el => document.activeElement === el"):
            return presses
    pytest.fail(f"Tab never reached {target} in {limit} presses")
