"""The consent widget end to end: a shop on another origin embeds `/consent.js` with one
script tag; headless Chromium clicks through it; the consent ledger and the first-party
cookie show what was recorded. Both database backends."""

from __future__ import annotations

import time
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx2
import pytest
from browser_support import Site
from playwright.sync_api import Locator, Page, expect

pytestmark = pytest.mark.slow

CHOOSABLE = {"newsletter", "analytics", "personalised_ads"}  # the example shop's data map
SALE_OR_SHARE = "personalised_ads"
GPC_TEXT = (
    "Your browser's Global Privacy Control signal was honoured: we do not sell or share your data"
)
MAX_WIDGET_BYTES = 15_000
SIX_MONTHS_S = 180 * 24 * 3600


# --- helpers ----------------------------------------------------------------------------------


def banner(page: Page) -> Locator:
    return page.locator("#tutela-consent section")


def dialog(page: Page) -> Locator:
    return page.get_by_role("dialog", name="Privacy choices")


def reopen_button(page: Page) -> Locator:
    return page.locator("#tutela-consent .fab")


def consent_cookie(page: Page) -> dict[str, Any]:
    """The widget's cookie: its attributes, and its value parsed (s, r, v, y, n)."""
    found = [c for c in page.context.cookies() if c["name"] == "tutela_consent"]
    assert len(found) == 1, page.context.cookies()
    cookie = dict(found[0])
    cookie["parsed"] = {k: v[0] for k, v in parse_qs(cookie["value"]).items()}
    return cookie


def ledger(site: Site, subject_id: str) -> list[tuple[str, str, str]]:
    return [(e.purpose, e.action, e.method) for e in site.vault.consents.history(subject_id)]


def events(page: Page, count: int) -> list[dict[str, Any]]:
    """The `tutela:consent` events the shop saw, once there are `count` of them."""
    page.wait_for_function("n => window.tutelaEvents.length >= n", arg=count)
    seen: list[dict[str, Any]] = page.evaluate("window.tutelaEvents")
    assert len(seen) == count, seen
    return seen


def assert_no_csp_violations(page: Page) -> None:
    assert page.evaluate("window.cspViolations") == []


def focused_inside(locator: Locator) -> bool:
    return bool(locator.evaluate("el => el.contains(el.getRootNode().activeElement)"))


def tab_to(page: Page, target: Locator, limit: int = 15) -> int:
    """Press Tab until `target` has focus; returns how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if target.evaluate("el => el.getRootNode().activeElement === el"):
            return presses
    pytest.fail(f"Tab never reached {target} in {limit} presses")


def looks(button: Locator) -> dict[str, Any]:
    """Size and computed style of a button: what makes it more or less prominent."""
    style: dict[str, Any] = button.evaluate(
        """b => { const s = getComputedStyle(b); return {
            color: s.color, background: s.backgroundColor, font: s.font, weight: s.fontWeight,
            padding: s.padding, border: s.border, radius: s.borderRadius }; }"""
    )
    box = button.bounding_box()
    assert box is not None
    style["size"] = (round(box["width"]), round(box["height"]))
    return style


def assert_equally_prominent(scope: Locator) -> None:
    accept = looks(scope.get_by_role("button", name="Accept all"))
    reject = looks(scope.get_by_role("button", name="Reject all"))
    assert accept == reject
    assert accept["background"] not in {"rgba(0, 0, 0, 0)", "transparent"}  # styled, not bare


# --- tests ------------------------------------------------------------------------------------


def test_reject_all_is_recorded_remembered_and_announced(site: Site, new_page: Any) -> None:
    page: Page = new_page()
    page.goto(site.shop.url)
    expect(banner(page)).to_be_visible()
    expect(banner(page)).to_contain_text("Example Shop Ltd would like your consent")
    expect(banner(page).get_by_role("link", name="Privacy notice")).to_have_attribute(
        "href", f"{site.api}/privacy/notice"
    )
    assert_equally_prominent(banner(page))
    site.screenshot(page, "banner")

    banner(page).get_by_role("button", name="Reject all").click()
    expect(banner(page)).to_be_hidden()
    expect(reopen_button(page)).to_be_visible()

    cookie = consent_cookie(page)
    value = cookie["parsed"]
    subject_id, receipt_id = value["s"], value["r"]
    assert value["v"] == site.vault.consents.notice_version
    assert set(value["n"].split(",")) == CHOOSABLE and "y" not in value
    assert cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    assert cookie["domain"] == "127.0.0.1" and not cookie["httpOnly"]  # the shop's own host
    assert cookie["expires"] - time.time() > SIX_MONTHS_S - 3600

    assert {p.name for p in site.vault.consents.choosable()} == CHOOSABLE
    assert sorted(ledger(site, subject_id)) == sorted(
        (purpose, "withdraw", "web_form") for purpose in CHOOSABLE
    )
    receipts = {e.receipt_id for e in site.vault.consents.history(subject_id)}
    assert receipt_id in receipts

    (event,) = events(page, 1)
    assert event == {"choices": dict.fromkeys(CHOOSABLE, False), "receiptId": receipt_id}

    page.reload()
    expect(reopen_button(page)).to_be_visible()  # the widget has loaded and checked the cookie
    expect(banner(page)).to_be_hidden()
    assert page.evaluate("window.TutelaConsent.choices()") == dict.fromkeys(CHOOSABLE, False)
    assert len(site.vault.consents.history(subject_id)) == len(CHOOSABLE)  # nothing re-sent
    assert_no_csp_violations(page)


def test_one_purpose_switched_on_then_changed_by_the_returning_visitor(
    site: Site, new_page: Any
) -> None:
    page: Page = new_page()
    page.goto(site.shop.url)
    banner(page).get_by_role("button", name="Manage choices").click()
    expect(dialog(page)).to_be_visible()
    for purpose in CHOOSABLE:
        expect(
            dialog(page).get_by_role("switch", name=purpose.replace("_", " "))
        ).not_to_be_checked()
    newsletter = dialog(page).get_by_role("switch", name="Newsletter")
    newsletter.check()
    expect(dialog(page)).to_contain_text("Send the newsletter to customers who asked for it")
    expect(dialog(page)).to_contain_text("Data used: ")
    assert_equally_prominent(dialog(page))
    site.screenshot(page, "dialog")
    dialog(page).get_by_role("button", name="Save choices").click()
    expect(dialog(page)).to_be_hidden()
    expect(banner(page)).to_be_hidden()

    subject_id = consent_cookie(page)["parsed"]["s"]
    assert sorted(ledger(site, subject_id)) == sorted(
        [("newsletter", "grant", "web_form")]
        + [(p, "withdraw", "web_form") for p in CHOOSABLE - {"newsletter"}]
    )
    assert consent_cookie(page)["parsed"]["y"] == "newsletter"
    (event,) = events(page, 1)
    assert event["choices"] == {p: p == "newsletter" for p in CHOOSABLE}

    # A returning visitor: the same subject, proved by the receipt id in the cookie.
    page.reload()
    reopen_button(page).click()
    expect(newsletter).to_be_checked()
    newsletter.uncheck()
    dialog(page).get_by_role("switch", name="Analytics").check()
    dialog(page).get_by_role("button", name="Save choices").click()
    expect(dialog(page)).to_be_hidden()
    (event,) = events(page, 1)  # a new page load: one event since
    assert event["choices"] == {p: p == "analytics" for p in CHOOSABLE}
    after = consent_cookie(page)["parsed"]
    assert after["s"] == subject_id and after["y"] == "analytics"
    history = ledger(site, subject_id)
    assert ("newsletter", "withdraw", "web_form") in history[len(CHOOSABLE) :]
    assert ("analytics", "grant", "web_form") in history[len(CHOOSABLE) :]
    assert after["r"] in {e.receipt_id for e in site.vault.consents.history(subject_id)}
    assert_no_csp_violations(page)


def test_global_privacy_control_is_honoured_and_shown(site: Site, new_page: Any) -> None:
    page: Page = new_page(extra_http_headers={"Sec-GPC": "1"})
    page.goto(site.shop.url)
    expect(banner(page)).to_be_visible()
    expect(banner(page).get_by_text(GPC_TEXT)).to_be_visible()
    site.screenshot(page, "gpc-banner")
    banner(page).get_by_role("button", name="Accept all").click()
    expect(banner(page)).to_be_hidden()

    subject_id = consent_cookie(page)["parsed"]["s"]
    history = ledger(site, subject_id)
    assert (SALE_OR_SHARE, "withdraw", "gpc_signal") in history
    assert not [e for e in history if e[0] == SALE_OR_SHARE and e[1] == "grant"]
    for purpose in CHOOSABLE - {SALE_OR_SHARE}:
        assert (purpose, "grant", "web_form") in history
    assert SALE_OR_SHARE in consent_cookie(page)["parsed"]["n"].split(",")
    (event,) = events(page, 1)
    assert event["choices"][SALE_OR_SHARE] is False

    reopen_button(page).click()
    ads = dialog(page).get_by_role("switch", name="Personalised ads")
    expect(ads).not_to_be_checked()
    expect(ads).to_be_disabled()
    notice = dialog(page).get_by_text(GPC_TEXT)
    expect(notice).to_be_visible()
    # The notice sits with the sale/share purpose and describes its switch.
    assert ads.evaluate(
        "(el, text) => el.getAttribute('aria-describedby').split(' ')"
        ".some(id => el.getRootNode().getElementById(id).textContent === text)",
        GPC_TEXT,
    )
    expect(dialog(page).get_by_role("switch", name="Newsletter")).to_be_checked()
    site.screenshot(page, "gpc-dialog")
    assert_no_csp_violations(page)


def test_a_returning_visitor_sending_gpc_is_opted_out_of_what_they_allowed(
    site: Site, new_page: Any
) -> None:
    page: Page = new_page()
    page.goto(site.shop.url)
    banner(page).get_by_role("button", name="Accept all").click()
    expect(banner(page)).to_be_hidden()
    subject_id = consent_cookie(page)["parsed"]["s"]
    assert (SALE_OR_SHARE, "grant", "web_form") in ledger(site, subject_id)

    page.set_extra_http_headers({"Sec-GPC": "1"})
    page.reload()
    expect(reopen_button(page)).to_be_visible()
    deadline = time.monotonic() + 10
    while (SALE_OR_SHARE, "withdraw", "gpc_signal") not in ledger(site, subject_id):
        assert time.monotonic() < deadline, ledger(site, subject_id)
        page.wait_for_timeout(100)
    assert consent_cookie(page)["parsed"]["s"] == subject_id  # the same visitor
    reopen_button(page).click()
    expect(dialog(page).get_by_role("switch", name="Personalised ads")).not_to_be_checked()
    expect(dialog(page).get_by_role("switch", name="Newsletter")).to_be_checked()

    page.reload()  # once opted out, a further visit records nothing more
    expect(reopen_button(page)).to_be_visible()
    page.wait_for_timeout(300)
    gpc_events = [e for e in ledger(site, subject_id) if e[2] == "gpc_signal"]
    assert gpc_events == [(SALE_OR_SHARE, "withdraw", "gpc_signal")]
    assert_no_csp_violations(page)


def test_a_new_notice_version_asks_again(site: Site, new_page: Any) -> None:
    page: Page = new_page()
    page.goto(site.shop.url)
    banner(page).get_by_role("button", name="Reject all").click()
    expect(reopen_button(page)).to_be_visible()
    before = consent_cookie(page)

    # The choice was made under an older notice: the widget must ask again.
    older = dict(before["parsed"], v="0" * 16)
    page.context.add_cookies(
        [
            {
                "name": "tutela_consent",
                "value": urlencode(older),
                "url": site.shop.url,  # host-only, like the widget's own cookie
                "sameSite": "Lax",
                "expires": before["expires"],
            }
        ]
    )
    page.reload()
    expect(banner(page)).to_be_visible()
    expect(banner(page)).to_contain_text("Our privacy notice has changed")
    banner(page).get_by_role("button", name="Accept all").click()
    expect(banner(page)).to_be_hidden()

    after = consent_cookie(page)["parsed"]
    assert after["s"] == before["parsed"]["s"]  # the same visitor, not a new subject
    assert after["v"] == site.vault.consents.notice_version
    assert set(after["y"].split(",")) == CHOOSABLE
    assert sorted(ledger(site, after["s"])[len(CHOOSABLE) :]) == sorted(
        (p, "grant", "web_form") for p in CHOOSABLE
    )


def test_keyboard_and_a_320px_screen(site: Site, new_page: Any) -> None:
    page: Page = new_page(viewport={"width": 320, "height": 640})
    page.goto(site.shop.url)
    expect(banner(page)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert_equally_prominent(banner(page))
    site.screenshot(page, "banner-320")

    accept = banner(page).get_by_role("button", name="Accept all")
    manage = banner(page).get_by_role("button", name="Manage choices")
    tab_to(page, accept)
    assert tab_to(page, banner(page).get_by_role("button", name="Reject all"), limit=1) == 1
    assert tab_to(page, manage, limit=1) == 1
    page.keyboard.press("Enter")

    box = dialog(page)
    expect(box).to_be_visible()
    expect(box).to_have_attribute("aria-modal", "true")
    labelled_by = box.get_attribute("aria-labelledby")
    expect(box.locator(f"#{labelled_by}")).to_have_text("Privacy choices")
    assert focused_inside(box)
    for purpose in ("Newsletter", "Analytics", "Personalised ads"):
        switch = box.get_by_role("switch", name=purpose)  # a labelled checkbox, role switch
        expect(switch).to_have_attribute("type", "checkbox")
    # Tab cycles inside the dialog, both ways.
    for _ in range(12):
        page.keyboard.press("Tab")
        assert focused_inside(box)
    for _ in range(12):
        page.keyboard.press("Shift+Tab")
        assert focused_inside(box)
    # Space toggles a switch from the keyboard.
    tab_to(page, box.get_by_role("switch", name="Analytics"))
    page.keyboard.press("Space")
    expect(box.get_by_role("switch", name="Analytics")).to_be_checked()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    site.screenshot(page, "dialog-320")

    page.keyboard.press("Escape")
    expect(box).to_be_hidden()
    assert manage.evaluate("el => el.getRootNode().activeElement === el")  # focus went back
    expect(banner(page)).to_be_visible()  # closing is not choosing
    assert page.evaluate("window.TutelaConsent.choices()") is None
    assert [c for c in page.context.cookies() if c["name"] == "tutela_consent"] == []

    page.evaluate("window.TutelaConsent.open()")
    expect(box).to_be_visible()
    assert focused_inside(box)
    assert_no_csp_violations(page)


def test_the_served_file_is_small_cacheable_and_embeddable(site: Site) -> None:
    url = f"{site.api}/consent.js"
    response = httpx2.get(url)
    assert response.status_code == 200
    shipped = resources.files("tutela.web").joinpath("static/consent.js").read_bytes()
    assert response.content == shipped
    assert len(response.content) < MAX_WIDGET_BYTES, len(response.content)
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers.get_list("cache-control") == ["public, max-age=300"]
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    assert response.headers["x-content-type-options"] == "nosniff"
    etag = response.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')

    for given in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = httpx2.get(url, headers={"If-None-Match": given})
        assert again.status_code == 304, given
        assert again.content == b""
        assert again.headers["etag"] == etag
    assert httpx2.get(url, headers={"If-None-Match": '"other"'}).status_code == 200

    text = shipped.decode()
    assert "innerHTML" not in text and "insertAdjacentHTML" not in text
    assert "document.write" not in text and "eval(" not in text
    assert text.lstrip().startswith("/*!") and '"use strict";' in text
