"""Fixtures for the data-subject request tests: a home on a frozen clock the test moves, whose
emails land in an outbox, and that a test may close and open again (to show what persists).

The clock starts on Saturday 31 January 2026, 09:00 UTC: a GDPR request received then is due
on 28 February (there is no 31 February), a CCPA one 45 days later on 17 March.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from tutela import Settings, Tutela
from tutela.clock import FrozenClock
from tutela.rights.service import RequestView
from tutela.testing import OutboxMailer, PiiCanary

T0 = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
STAFF_ROLE = "admin"


@dataclass
class _Home:
    settings: Settings
    clock: FrozenClock
    outbox: OutboxMailer
    current: Tutela

    def reopen(self) -> Tutela:
        """Close the home and open it again on the same database, clock and outbox."""
        self.current.close()
        self.current = Tutela.open(settings=self.settings, clock=self.clock, mailer=self.outbox)
        return self.current


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def outbox() -> OutboxMailer:
    return OutboxMailer()


@pytest.fixture
def _home(
    settings: Settings, clock: FrozenClock, outbox: OutboxMailer, canary: PiiCanary
) -> Iterator[_Home]:
    home = _Home(
        settings, clock, outbox, Tutela.init(settings=settings, clock=clock, mailer=outbox)
    )
    try:
        yield home
        entries = list(home.current.audit_entries())
        leaks = canary.leaks(repr(e) for e in entries)
        assert not leaks, f"{len(leaks)} canary value(s) leaked into audit rows"
        assert home.current.verify_audit().ok
    finally:
        home.current.close()


@pytest.fixture
def desk(_home: _Home) -> Tutela:
    """A fresh home with the example shop data map, a frozen clock (`clock`) and an outbox
    (`outbox`). When the test ends, no canary value may be in its audit rows and its audit
    chain must verify."""
    return _home.current


@pytest.fixture
def reopen(_home: _Home) -> Callable[[], Tutela]:
    """Close `desk` and return the home opened again (the teardown checks the new one)."""
    return _home.reopen


@pytest.fixture
def verified(
    _home: _Home,
) -> Callable[..., RequestView]:
    """`verified(type, email, jurisdiction=None)`: a request created and verified with the
    code from the outbox; returns its view after verification (with the timeline)."""

    def make(request_type: str, email: str, jurisdiction: str | None = None) -> RequestView:
        requests = _home.current.requests
        created = requests.create(request_type, email, jurisdiction=jurisdiction)
        return requests.verify(created.id, _home.outbox.codes_for(email)[-1])

    return make
