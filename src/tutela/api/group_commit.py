"""Group commit for the HTTP service: the vault calls made in one turn of the event loop run
together, as one transaction, when that turn ends.

Each request's call otherwise takes the write lock (SQLite) or the audit chain's lock
(PostgreSQL), appends to the chain and commits on its own. On SQLite the loop is blocked
meanwhile, and with several server processes the workers mostly wait for each other's lock;
on PostgreSQL every request pays a commit and queues for the chain. Run together, a turn's
calls share one lock hold, one audit append and one commit; on SQLite the lock is free while
the loop parses and answers requests, so the workers overlap. The group runs on the loop for
SQLite (short local calls) and in the thread pool for PostgreSQL. A request is answered only
after the commit that holds its work (`Tutela.run_together`); a call that fails fails alone
(it runs under a savepoint).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from tutela._facade import Tutela
from tutela.core.uow import Outcome

T = TypeVar("T")
_Pending = list[tuple[Callable[[], Any], "asyncio.Future[Outcome[Any]]"]]


@dataclass
class _Queue:
    """One event loop's calls waiting for their group, and whether a group is under way."""

    vault: Tutela
    pending: _Pending = field(default_factory=list)
    scheduled: bool = False  # a flush is due at the end of this turn
    # A group is in the thread pool; the next waits for it (two at once measured no faster:
    # the chain's lock serialises their appends and commits anyway).
    running: bool = False


class GroupCommitter:
    """Collects calls per event loop and runs them as one group when the loop's turn ends;
    while a group runs in the thread pool, the calls that arrive meanwhile wait to form the
    next one (so groups grow as the database slows)."""

    def __init__(self) -> None:
        # Per loop: a test client may drive the app from more than one.
        self._queues: dict[asyncio.AbstractEventLoop, _Queue] = {}
        self._tasks: set[asyncio.Task[None]] = set()  # the loop holds tasks only weakly

    async def run(self, vault: Tutela, call: Callable[[], T]) -> T:
        """`call()` (a facade call that opens one unit of work), run with the turn's others."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome[Any]] = loop.create_future()
        queue = self._queues.get(loop)
        if queue is None:
            queue = self._queues[loop] = _Queue(vault)
        queue.pending.append((call, future))
        self._schedule(loop, queue)
        outcome: Outcome[T] = await future
        return outcome.unwrap()

    def _schedule(self, loop: asyncio.AbstractEventLoop, queue: _Queue) -> None:
        if queue.pending and not (queue.scheduled or queue.running):
            queue.scheduled = True
            # Callbacks scheduled now run after every task already ready in this turn.
            loop.call_soon(self._flush, loop, queue)

    def _flush(self, loop: asyncio.AbstractEventLoop, queue: _Queue) -> None:
        queue.scheduled = False
        pending, queue.pending = queue.pending, []
        if queue.vault.inline_io:
            _settle(pending, _run(queue.vault, pending))
            self._forget_if_idle(loop, queue)
            return
        queue.running = True
        task = loop.create_task(self._flush_in_thread(loop, queue, pending))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _flush_in_thread(
        self, loop: asyncio.AbstractEventLoop, queue: _Queue, pending: _Pending
    ) -> None:
        try:
            outcomes = await run_in_threadpool(_run, queue.vault, pending)
        except BaseException:  # cancelled (the server is stopping): so are its requests
            for _, future in pending:
                future.cancel()
            raise
        finally:
            queue.running = False
        _settle(pending, outcomes)
        self._schedule(loop, queue)
        self._forget_if_idle(loop, queue)

    def _forget_if_idle(self, loop: asyncio.AbstractEventLoop, queue: _Queue) -> None:
        if not (queue.pending or queue.scheduled or queue.running):
            self._queues.pop(loop, None)


def _run(vault: Tutela, pending: _Pending) -> list[Outcome[Any]]:
    try:
        return vault.run_together([call for call, _ in pending])
    except Exception as exc:  # the shared commit failed: none of the calls took effect
        return [Outcome(None, exc)] * len(pending)


def _settle(pending: _Pending, outcomes: list[Outcome[Any]]) -> None:
    for (_, future), outcome in zip(pending, outcomes, strict=True):
        if not future.done():  # a cancelled request (client gone) is not answered
            future.set_result(outcome)
