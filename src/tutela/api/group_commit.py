"""Group commit for the HTTP service: the vault calls made in one turn of the event loop run
together, as one transaction, when that turn ends.

Each request's call otherwise takes the write lock (SQLite) or the audit chain's lock
(PostgreSQL), appends to the chain and commits on its own. Run together, a turn's calls share
one lock hold, one audit append and one commit. A request is answered only after the commit
that holds its work (`Tutela.run_together`); a call that fails fails alone (it runs under a
savepoint).

On SQLite a group runs on the event loop (short local calls), but the loop never waits for the
write lock: when another server process holds it, a thread waits instead and hands the lock to
the loop, which meanwhile goes on parsing and answering requests; the calls that arrive while
it waits join the group. On PostgreSQL a group runs in the thread pool.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from tutela._facade import Tutela
from tutela.core.storage.engine import WriteLock
from tutela.core.uow import Outcome

T = TypeVar("T")
# Each call, the subject whose record it reads (if it reads one), and its caller's future.
_Pending = list[tuple[Callable[[], Any], str | None, "asyncio.Future[Outcome[Any]]"]]


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

    async def run(self, vault: Tutela, call: Callable[[], T], *, reads: str | None = None) -> T:
        """`call()` (a facade call that opens one unit of work), run with the turn's others.

        `reads`: the subject whose record the call reads; the group loads the records of all
        its calls' subjects in one query before they run.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome[Any]] = loop.create_future()
        queue = self._queues.get(loop)
        if queue is None:
            queue = self._queues[loop] = _Queue(vault)
        queue.pending.append((call, reads, future))
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
        if queue.vault.inline_io:
            lock = queue.vault.write_lock
            if lock is None or lock.try_acquire():
                self._run_on_loop(loop, queue, lock)
            else:
                self._start(loop, queue, self._flush_when_locked(loop, queue, lock))
            return
        pending, queue.pending = queue.pending, []
        self._start(loop, queue, self._flush_in_thread(loop, queue, pending))

    def _start(
        self,
        loop: asyncio.AbstractEventLoop,
        queue: _Queue,
        work: Coroutine[Any, Any, None],
    ) -> None:
        queue.running = True
        task = loop.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _run_on_loop(
        self, loop: asyncio.AbstractEventLoop, queue: _Queue, lock: WriteLock | None
    ) -> None:
        """Run every pending call now, on the loop; `lock` (if any) is held and released."""
        pending, queue.pending = queue.pending, []
        try:
            outcomes = _run(queue.vault, pending, lock_held=lock is not None)
        finally:
            if lock is not None:
                lock.release()
        _settle(pending, outcomes)
        self._schedule(loop, queue)
        self._forget_if_idle(loop, queue)

    async def _flush_when_locked(
        self, loop: asyncio.AbstractEventLoop, queue: _Queue, lock: WriteLock
    ) -> None:
        failure: Exception | None = None
        try:
            await _acquire_off_loop(loop, lock)
        except asyncio.CancelledError:  # the server is stopping: so are the waiting requests
            for _, _, future in queue.pending:
                future.cancel()
            queue.pending = []
            raise
        except Exception as exc:  # the lock could not be taken: the waiting calls fail with it
            failure = exc
        finally:
            queue.running = False
        if failure is None:
            self._run_on_loop(loop, queue, lock)
            return
        pending, queue.pending = queue.pending, []
        _settle(pending, [Outcome(None, failure)] * len(pending))
        self._forget_if_idle(loop, queue)

    async def _flush_in_thread(
        self, loop: asyncio.AbstractEventLoop, queue: _Queue, pending: _Pending
    ) -> None:
        try:
            outcomes = await run_in_threadpool(_run, queue.vault, pending)
        except BaseException:  # cancelled (the server is stopping): so are its requests
            for _, _, future in pending:
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


async def _acquire_off_loop(loop: asyncio.AbstractEventLoop, lock: WriteLock) -> None:
    """Wait for `lock` in a thread. If the waiter is cancelled, the lock is released as soon
    as the thread gets it, so it is never left held."""
    acquired = loop.run_in_executor(None, lock.acquire)
    try:
        await asyncio.shield(acquired)
    except asyncio.CancelledError:
        acquired.add_done_callback(
            lambda done: None if done.cancelled() or done.exception() else lock.release()
        )
        raise


def _run(vault: Tutela, pending: _Pending, *, lock_held: bool = False) -> list[Outcome[Any]]:
    calls = [call for call, _, _ in pending]
    reading = [subject for _, subject, _ in pending if subject is not None]
    try:
        return vault.run_together(calls, lock_held=lock_held, reading=reading)
    except Exception as exc:  # the shared commit failed: none of the calls took effect
        return [Outcome(None, exc)] * len(pending)


def _settle(pending: _Pending, outcomes: list[Outcome[Any]]) -> None:
    for (_, _, future), outcome in zip(pending, outcomes, strict=True):
        if not future.done():  # a cancelled request (client gone) is not answered
            future.set_result(outcome)
