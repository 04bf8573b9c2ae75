"""Fixtures for the retention tests: a home on a frozen clock the test moves (helpers are in
`retention_support.py`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from retention_support import T0

from tutela import Settings, Tutela
from tutela.clock import FrozenClock
from tutela.testing import PiiCanary


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def shop(settings: Settings, clock: FrozenClock, canary: PiiCanary) -> Iterator[Tutela]:
    """A fresh home with the example data map whose clock the test moves; its audit rows are
    checked for canary values, and its chain must verify, when the test ends."""
    with Tutela.init(settings=settings, clock=clock) as opened:
        yield opened
        entries = list(opened.audit_entries())
        leaks = canary.leaks(repr(e) for e in entries)
        assert not leaks, f"{len(leaks)} canary value(s) leaked into audit rows"
        assert opened.verify_audit().ok
