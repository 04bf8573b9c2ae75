"""Helpers shared by the API tests (imported by name: the tests have no packages)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx2

from tutela import Tutela

ROLES = ("admin", "support", "marketing", "analyst", "fraud", "finance", "collector")
PROBLEM = "application/problem+json"


@dataclass(frozen=True)
class Key:
    """An issued API key: its id (what the audit log names) and its text (the secret)."""

    id: str
    text: str
    role: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.text)


def bearer(text: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {text}"}


def issue(tutela: Tutela, role: str, **kwargs: Any) -> Key:
    info, text = tutela.create_api_key(name=f"test-{role}", role=role, **kwargs)
    return Key(info.id, text, role)


def assert_problem(response: httpx2.Response, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status; returns its body."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["type"].startswith("urn:tutela:problem:")
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def last_seq(tutela: Tutela) -> int:
    return max((e.seq for e in tutela.audit_entries()), default=0)


def entries_after(tutela: Tutela, seq: int) -> list[Any]:
    return list(tutela.audit_entries(after=seq))
