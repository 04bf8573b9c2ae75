"""Group commit for the HTTP service on SQLite: the vault calls made in one turn of the event
loop run together, as one transaction, at the end of that turn.

Each request's call otherwise takes the home's write lock, appends to the audit chain and
commits on its own, with the loop blocked meanwhile; with several server processes, the
workers then mostly wait for each other's lock. Run together, a turn's calls share one lock
hold, one audit append and one commit, and the lock is free while the loop parses and answers
requests, so the workers overlap. A request is answered only after the commit that holds its
work (`Tutela.run_together`); a call that fails fails alone (it runs under a savepoint).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from tutela._facade import Tutela
from tutela.core.uow import Outcome

T = TypeVar("T")
_Pending = list[tuple[Callable[[], Any], "asyncio.Future[Outcome[Any]]"]]


class GroupCommitter:
    """Collects calls per event loop and runs them when the loop's current turn ends."""

    def __init__(self) -> None:
        # Per loop: a test client may drive the app from more than one.
        self._pending: dict[asyncio.AbstractEventLoop, tuple[Tutela, _Pending]] = {}

    async def run(self, vault: Tutela, call: Callable[[], T]) -> T:
        """`call()` (a facade call that opens one unit of work), run with the turn's others."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome[Any]] = loop.create_future()
        entry = self._pending.get(loop)
        if entry is None:
            entry = self._pending[loop] = (vault, [])
            # Callbacks scheduled now run after every task already ready in this turn.
            loop.call_soon(self._flush, loop)
        entry[1].append((call, future))
        outcome: Outcome[T] = await future
        return outcome.unwrap()

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        vault, pending = self._pending.pop(loop)
        try:
            outcomes = vault.run_together([call for call, _ in pending])
        except Exception as exc:  # the shared commit failed: none of the calls took effect
            outcomes = [Outcome(None, exc)] * len(pending)
        for (_, future), outcome in zip(pending, outcomes, strict=True):
            if not future.done():  # a cancelled request (client gone) is not answered
                future.set_result(outcome)
