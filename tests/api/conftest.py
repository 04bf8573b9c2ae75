"""Fixtures for the HTTP API: the app over the test's home (both backends; its mail goes to
an in-memory outbox), an in-process client, a client with changed settings, one API key per
role. Plain helpers (problem+json
assertions, audit rows) are in `api_support.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from api_support import ROLES, Key, issue
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tutela import Settings, Tutela
from tutela.api import create_app
from tutela.testing import OutboxMailer, PiiCanary


@pytest.fixture
def outbox() -> OutboxMailer:
    """Every email the test's home sends (codes of data-subject requests)."""
    return OutboxMailer()


@pytest.fixture
def tutela(settings: Settings, canary: PiiCanary, outbox: OutboxMailer) -> Iterator[Tutela]:
    """The suite's fresh home (see tests/conftest.py), sending its email to `outbox`."""
    with Tutela.init(settings=settings, mailer=outbox) as opened:
        yield opened
        leaks = canary.leaks(repr(e) for e in opened.audit_entries())
        assert not leaks, f"{len(leaks)} canary value(s) leaked into audit rows"


@pytest.fixture
def app(settings: Settings, tutela: Tutela) -> FastAPI:
    return create_app(settings, vault=tutela)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """In-process client; server errors come back as responses, not exceptions."""
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def client_with(
    settings: Settings, tutela: Tutela, database_url: str | None
) -> Iterator[Callable[..., TestClient]]:
    """`client_with(api_max_body_bytes=2048, …)`: a client of an app over the same home with
    some settings changed."""
    with ExitStack() as stack:

        def make(**overrides: Any) -> TestClient:
            custom = Settings.load(
                settings.home, environ={}, database_url=database_url, **overrides
            )
            app = create_app(custom, vault=tutela)
            return stack.enter_context(TestClient(app, raise_server_exceptions=False))

        yield make


@pytest.fixture
def keys(tutela: Tutela) -> dict[str, Key]:
    """One active key per role of the example data map (and `admin`)."""
    return {role: issue(tutela, role) for role in ROLES}
