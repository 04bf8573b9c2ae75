"""Helpers of the privacy-center page tests (imported by name: the tests have no packages):
signing in through the forms with the code from the outbox, reading a page's tokens, masking
them to compare pages, and an HTML check of what every page promises (one `<h1>`, a label
for every input, headers with a scope, no inline style or script).

The clock starts on Saturday 31 January 2026, 09:00 UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser

import httpx2
from fastapi.testclient import TestClient

from tutela.testing import OutboxMailer

T0 = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
COOKIE = "tutela_privacy"
FORM_COOKIE = "tutela_privacy_form"
PAGES = (
    "/privacy/me",
    "/privacy/download",
    "/privacy/correct",
    "/privacy/correct?field=name",
    "/privacy/correct?field=marketing_preferences",
    "/privacy/consents",
    "/privacy/delete",
    "/privacy/object-restrict",
    "/privacy/requests",
    "/privacy/history",
)
POSTS = (
    "/privacy/sign-out",
    "/privacy/download",
    "/privacy/correct",
    "/privacy/consents",
    "/privacy/delete",
    "/privacy/object-restrict",
)
CHOOSABLE = {"fraud_prevention", "newsletter", "analytics", "personalised_ads"}
KEPT = {"name": "Name", "address": "Address", "country": "Country"}  # tax_records keeps them


def csrf_of(html: str) -> str:
    """The CSRF token the page's forms carry (the same in every form of a page)."""
    tokens = set(re.findall(r'name="csrf" value="([^"]*)"', html))
    assert len(tokens) == 1, tokens
    return tokens.pop()


def challenge_of(html: str) -> str:
    found = re.findall(r'name="challenge" value="([^"]*)"', html)
    assert len(found) == 1, found
    return found[0]


def masked(html: str) -> str:
    """The page with its challenge id and CSRF token blanked (they are random per visit)."""
    html = re.sub(r'(name="challenge" value=")[^"]*"', r'\1…"', html)
    return re.sub(r'(name="csrf" value=")[^"]*"', r'\1…"', html)


def start(client: TestClient, email: str) -> tuple[str, httpx2.Response]:
    """Open the sign-in page and post the email; returns the form token and the code page."""
    token = csrf_of(client.get("/privacy/").text)
    return token, client.post("/privacy/sign-in", data={"csrf": token, "email": email})


def verify(client: TestClient, token: str, challenge: str, code: str) -> httpx2.Response:
    return client.post(
        "/privacy/verify",
        data={"csrf": token, "challenge": challenge, "code": code},
        follow_redirects=False,
    )


def sign_in(client: TestClient, outbox: OutboxMailer, email: str) -> str:
    """Sign in through the forms with the code emailed; returns the session's CSRF token."""
    token, page = start(client, email)
    assert page.status_code == 200, page.text
    response = verify(client, token, challenge_of(page.text), outbox.codes_for(email)[-1])
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/privacy/me"
    return csrf_of(client.get("/privacy/me").text)


def set_cookie_headers(response: httpx2.Response) -> list[str]:
    return [v for k, v in response.headers.multi_items() if k.lower() == "set-cookie"]


@dataclass
class PageCheck(HTMLParser):
    """What a page's HTML holds that accessibility and the CSP care about."""

    h1: int = 0
    headings: list[int] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)  # ids of inputs needing a label
    unlabelled: int = 0
    labels: set[str] = field(default_factory=set)
    th_without_scope: int = 0
    inline: list[str] = field(default_factory=list)
    skip_link: bool = False

    def __post_init__(self) -> None:
        HTMLParser.__init__(self)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
            self.h1 += tag == "h1"
        if tag in {"input", "select", "textarea"} and a.get("type") not in {"hidden", "submit"}:
            if a.get("id"):
                self.inputs.append(a["id"] or "")
            else:
                self.unlabelled += 1
        if tag == "label" and a.get("for"):
            self.labels.add(a["for"] or "")
        if tag == "th" and not a.get("scope"):
            self.th_without_scope += 1
        if tag in {"script", "style"} or "style" in a or any(k.startswith("on") for k in a):
            self.inline.append(tag)
        if tag == "a" and a.get("href") == "#main" and "skip" in (a.get("class") or ""):
            self.skip_link = True

    def problems(self) -> list[str]:
        found = []
        if self.h1 != 1:
            found.append(f"{self.h1} h1 elements")
        if any(b > a + 1 for a, b in zip(self.headings, self.headings[1:], strict=False)):
            found.append(f"headings skip a level: {self.headings}")
        missing = [i for i in self.inputs if i not in self.labels]
        if missing or self.unlabelled:
            found.append(f"inputs without a label: {missing} (+{self.unlabelled} without id)")
        if self.th_without_scope:
            found.append(f"{self.th_without_scope} th without scope")
        if self.inline:
            found.append(f"inline script or style: {self.inline}")
        if not self.skip_link:
            found.append("no skip link")
        return found


def page_problems(html: str) -> list[str]:
    check = PageCheck()
    check.feed(html)
    return check.problems()
