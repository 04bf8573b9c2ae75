"""Helpers of the admin page tests (imported by name: the tests have no packages): API keys,
signing in through the form, reading a page's CSRF token, rows and labels, and requests made
through the SDK at a frozen clock.

The clock starts on Saturday 31 January 2026, 09:00 UTC: a GDPR request received then is due
on 28 February, a CCPA one (jurisdiction US-CA) on 17 March.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import httpx2
from fastapi.testclient import TestClient

from tutela import Tutela
from tutela.rights.service import RequestView
from tutela.testing import OutboxMailer

T0 = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
COOKIE = "tutela_admin"
MANAGER_ROLE = "admin"
NO_REQUESTS_ROLE = "support"  # a role of the example data map without requests.manage


@dataclass(frozen=True)
class Key:
    """An issued API key: its id (the audit log's actor) and its text (the secret)."""

    id: str
    text: str
    role: str


def issue(tutela: Tutela, role: str, **kwargs: Any) -> Key:
    info, text = tutela.create_api_key(name=f"admin-pages-{role}", role=role, **kwargs)
    return Key(info.id, text, role)


def sign_in(client: TestClient, key: Key | str) -> httpx2.Response:
    """Post the sign-in form (redirects not followed)."""
    text = key.text if isinstance(key, Key) else key
    return client.post("/admin/sign-in", data={"api_key": text}, follow_redirects=False)


def signed_in(client: TestClient, key: Key) -> TestClient:
    response = sign_in(client, key)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/admin/requests"
    return client


def csrf_of(html: str) -> str:
    """The CSRF token the page's forms carry (the same in every form of a page)."""
    tokens = set(re.findall(r'name="csrf" value="([^"]*)"', html))
    assert len(tokens) == 1, tokens
    return tokens.pop()


def set_cookie_header(response: httpx2.Response) -> str:
    (header,) = [v for k, v in response.headers.multi_items() if k.lower() == "set-cookie"]
    return header


def received(tutela: Tutela, request_type: str, email: str, **kwargs: Any) -> RequestView:
    """A request received (not yet verified: open, with its due date running)."""
    return tutela.requests.create(request_type, email, **kwargs)


def verified(
    tutela: Tutela, outbox: OutboxMailer, request_type: str, email: str, **kwargs: Any
) -> RequestView:
    """A request received and verified with the code from the outbox."""
    created = tutela.requests.create(request_type, email, **kwargs)
    return tutela.requests.verify(created.id, outbox.codes_for(email)[-1])


class _Rows(HTMLParser):
    """Each table row's cells as text; `th`/`td` alike."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[dict[str, str | None], list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append((dict(attrs), []))
        elif tag in {"td", "th"}:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "th"} and self._cell is not None and self.rows:
            self.rows[-1][1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html: str) -> list[tuple[dict[str, str | None], list[str]]]:
    """Every `<tr>` of the page: its attributes and its cells' text."""
    parser = _Rows()
    parser.feed(html)
    return parser.rows


def queue_rows(html: str) -> dict[str, tuple[str, list[str]]]:
    """The queue's rows by request id: the row's class and its cells."""
    found = {}
    for attrs, cells in table_rows(html):
        if cells and cells[0].startswith("req_"):
            found[cells[0]] = (attrs.get("class") or "", cells)
    return found


def queue_order(html: str) -> list[str]:
    return [cells[0] for _, cells in table_rows(html) if cells and cells[0].startswith("req_")]


class _Structure(HTMLParser):
    """What the accessibility checks need: h1 count, form fields and labels, inline styles."""

    def __init__(self) -> None:
        super().__init__()
        self.h1 = 0
        self.field_ids: list[str | None] = []
        self.label_fors: set[str] = set()
        self.inline: list[str] = []
        self.th_without_scope = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "h1":
            self.h1 += 1
        if tag in {"input", "textarea", "select"} and found.get("type") != "hidden":
            self.field_ids.append(found.get("id"))
        if tag == "label" and found.get("for"):
            self.label_fors.add(str(found["for"]))
        if "style" in found or tag in {"script", "style"}:
            self.inline.append(tag)
        if any(name.startswith("on") for name in found):
            self.inline.append(f"{tag} handler")
        if tag == "th" and "scope" not in found:
            self.th_without_scope += 1


def assert_accessible_page(html: str) -> None:
    """One h1; every field labelled; every header cell scoped; no inline style or script."""
    structure = _Structure()
    structure.feed(html)
    assert structure.h1 == 1, structure.h1
    for field_id in structure.field_ids:
        assert field_id and field_id in structure.label_fors, field_id
    assert structure.th_without_scope == 0
    assert structure.inline == []
