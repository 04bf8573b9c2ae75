"""Concurrent requests with one API key share one database lookup of it (`KeyLookups`)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from tutela.actor import Actor
from tutela.api.auth import KeyLookups
from tutela.errors import ApiKeyInvalid


class SlowVault:
    """Looks keys up in a thread, as the service does on PostgreSQL, and holds each lookup
    until the test lets it go, so that every request is waiting meanwhile."""

    inline_io = False

    def __init__(self, valid: bool = True) -> None:
        self.calls = 0
        self.release = threading.Event()
        self._valid = valid

    def authenticate(self, key_text: str) -> Actor:
        self.calls += 1
        self.release.wait(timeout=5)
        if not self._valid:
            raise ApiKeyInvalid()
        return Actor(f"key_{key_text[:4]}", "support")


async def _ask(lookups: KeyLookups, vault: Any, keys: list[str]) -> list[Any]:
    asks = [asyncio.ensure_future(lookups.authenticate(vault, key)) for key in keys]
    await asyncio.sleep(0.05)  # every request is now waiting on its lookup
    vault.release.set()
    return await asyncio.gather(*asks, return_exceptions=True)


def test_concurrent_requests_with_one_key_share_one_lookup() -> None:
    vault = SlowVault()
    lookups = KeyLookups()
    actors = asyncio.run(_ask(lookups, vault, ["aaaa-secret"] * 12 + ["bbbb-secret"] * 3))
    assert vault.calls == 2  # one per key
    assert actors == [Actor("key_aaaa", "support")] * 12 + [Actor("key_bbbb", "support")] * 3


def test_a_refused_key_is_refused_to_every_waiting_request() -> None:
    vault = SlowVault(valid=False)
    results = asyncio.run(_ask(KeyLookups(), vault, ["cccc-wrong"] * 5))
    assert vault.calls == 1
    assert all(isinstance(r, ApiKeyInvalid) for r in results)


def test_a_lookup_that_ended_is_not_reused() -> None:
    """Only lookups under way are shared: the next miss (the cache lapsed, or the key was
    revoked meanwhile) asks the database again."""
    vault = SlowVault()
    vault.release.set()
    lookups = KeyLookups()

    async def twice() -> None:
        await lookups.authenticate(vault, "dddd-secret")
        await lookups.authenticate(vault, "dddd-secret")

    asyncio.run(twice())
    assert vault.calls == 2


def test_a_cancelled_request_leaves_the_others_their_answer() -> None:
    vault = SlowVault()
    lookups = KeyLookups()

    async def scenario() -> list[Any]:
        first = asyncio.ensure_future(lookups.authenticate(vault, "eeee-secret"))
        others = [
            asyncio.ensure_future(lookups.authenticate(vault, "eeee-secret")) for _ in range(3)
        ]
        await asyncio.sleep(0.05)
        first.cancel()  # the client that started the lookup went away
        await asyncio.sleep(0.01)
        vault.release.set()
        with pytest.raises(asyncio.CancelledError):
            await first
        return await asyncio.gather(*others)

    assert asyncio.run(scenario()) == [Actor("key_eeee", "support")] * 3
    assert vault.calls == 1
