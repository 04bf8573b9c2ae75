"""Fixtures of the page tests (privacy center and admin): a home on a frozen clock whose
email lands in an outbox, the app over it, and browsers (test clients) with their own
cookies.

The clock starts on Saturday 31 January 2026, 09:00 UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tutela import Settings, Tutela
from tutela.api import create_app
from tutela.clock import FrozenClock
from tutela.testing import OutboxMailer, PiiCanary

T0 = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def outbox() -> OutboxMailer:
    return OutboxMailer()


@pytest.fixture
def tutela(
    settings: Settings, clock: FrozenClock, outbox: OutboxMailer, canary: PiiCanary
) -> Iterator[Tutela]:
    """A fresh home on the frozen clock, its mail in `outbox`; when the test ends no canary
    value may be in its audit rows and the chain must verify."""
    with Tutela.init(settings=settings, clock=clock, mailer=outbox) as opened:
        yield opened
        leaks = canary.leaks(repr(e) for e in opened.audit_entries())
        assert not leaks, f"{len(leaks)} canary value(s) leaked into audit rows"
        assert opened.verify_audit().ok


@pytest.fixture
def app(settings: Settings, tutela: Tutela) -> FastAPI:
    return create_app(settings, vault=tutela)


@pytest.fixture
def new_client(app: FastAPI) -> Iterator[Callable[[], TestClient]]:
    """`new_client()`: another browser (its own cookies) on the same app."""
    with ExitStack() as stack:
        yield lambda: stack.enter_context(TestClient(app, raise_server_exceptions=False))


@pytest.fixture
def client(new_client: Callable[[], TestClient]) -> TestClient:
    return new_client()


@pytest.fixture
def client_with(
    settings: Settings,
    database_url: str | None,
    clock: FrozenClock,
    outbox: OutboxMailer,
    tutela: Tutela,
) -> Iterator[Callable[..., TestClient]]:
    """`client_with(cookie_secure=True, …)`: a client of the same home opened again with some
    settings changed (same clock and outbox)."""
    with ExitStack() as stack:

        def make(base_url: str = "http://testserver", **overrides: Any) -> TestClient:
            custom = Settings.load(
                settings.home, environ={}, database_url=database_url, **overrides
            )
            opened = stack.enter_context(Tutela.open(settings=custom, clock=clock, mailer=outbox))
            app = create_app(custom, vault=opened)
            client = TestClient(app, base_url=base_url, raise_server_exceptions=False)
            return stack.enter_context(client)

        yield make
