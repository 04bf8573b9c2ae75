"""Who is calling: the bearer API key, authenticated per request, and its rate limit."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from limits import parse as parse_limit
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from tutela._facade import Tutela
from tutela.actor import Actor
from tutela.api.group_commit import GroupCommitter
from tutela.errors import ApiKeyAmbiguous, ApiKeyMissing
from tutela.vault.service import Record

T = TypeVar("T")


class RateLimited(Exception):
    """A key (or a public client address) went over its request budget; `retry_after` is in
    whole seconds."""

    def __init__(
        self, retry_after: int, detail: str = "this API key made too many requests"
    ) -> None:
        self.retry_after = retry_after
        self.detail = detail
        super().__init__("rate limit exceeded")


class KeyRateLimiter:
    """A sliding-window budget per API key (or per client address for the public endpoints),
    e.g. ``6000/minute`` in the `limits` notation, per process.

    The sliding-window counter of `limits`: the count of the current fixed window plus the
    previous window's count weighted by how much of it still overlaps the sliding window. Kept
    here as three numbers per caller because `limits`' in-memory storage starts a timer thread
    every 10 ms under load and cost more per request than reading a customer's values.
    Callers idle for two windows are dropped, so the table stays as small as the live callers.
    """

    def __init__(
        self,
        spec: str,
        *,
        who: str = "this API key",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        limit = parse_limit(spec)
        self._clock = clock
        self._amount = limit.amount
        self._window = float(limit.get_expiry())
        self._who = who
        # caller -> [window number, hits in it, hits in the window before]
        self._counts: dict[str, list[int]] = {}
        self._swept = 0
        self._lock = threading.Lock()

    def check(self, key_id: str) -> None:
        """Spend one unit of `key_id`'s budget, or raise `RateLimited` (spending nothing)."""
        now = self._clock()
        window = int(now // self._window)
        with self._lock:
            if window > self._swept + 1:
                self._sweep(window)
            counts = self._counts.get(key_id)
            if counts is None or counts[0] < window - 1:
                counts = self._counts[key_id] = [window, 0, 0]
            elif counts[0] == window - 1:
                counts[:] = [window, 0, counts[1]]
            elapsed = now / self._window - window  # share of the current window gone by
            weighted = counts[2] * (1.0 - elapsed) + counts[1]
            if weighted + 1 > self._amount:
                wait = self._window * _windows_to_wait(self._amount, counts[1], counts[2], elapsed)
                raise RateLimited(max(1, math.ceil(wait)), f"{self._who} made too many requests")
            counts[1] += 1

    def _sweep(self, window: int) -> None:
        self._counts = {k: c for k, c in self._counts.items() if c[0] >= window - 1}
        self._swept = window


def _windows_to_wait(amount: int, current: int, previous: int, elapsed: float) -> float:
    """The soonest (in windows) one more hit can fit, as `limits` reports it: when enough of
    the previous window's weight has faded, or else when this window ends (from then on this
    window's hits fade too)."""
    room = amount - 1 - current
    if room >= 0 and previous > 0:
        return max(0.0, 1.0 - room / previous - elapsed)
    return 1.0 - elapsed


async def tutela_of(request: Request) -> Tutela:
    vault: Tutela = request.app.state.tutela
    return vault


async def call(vault: Tutela, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run a vault call: on the event loop for SQLite (short local calls, serialised by the
    database anyway: a thread hop would cost more than the call), in the thread pool for a
    database across the network."""
    if vault.inline_io:
        return fn(*args, **kwargs)
    return await run_in_threadpool(fn, *args, **kwargs)


@dataclass(frozen=True)
class Caller:
    """Who calls (the key's actor) and the vault they call: one dependency per route."""

    actor: Actor
    vault: Tutela
    group: GroupCommitter

    async def call_together(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Like `call`, for the short audited calls every request makes (read, add, update,
        find), each opening one unit of work: the calls made in one turn of the event loop
        share one transaction (`group_commit`)."""
        return await self.group.run(self.vault, partial(fn, *args, **kwargs))

    async def read_together(
        self, subject_id: str, fields: Sequence[str] | None, *, purpose: str
    ) -> Record:
        """`Tutela.read` as the actor, in the turn's group (`call_together`), which loads the
        records of all the reads it holds in one query."""
        call = partial(
            self.vault.read,
            subject_id,
            fields,
            purpose=purpose,
            role=self.actor.role,
            actor_id=self.actor.id,
        )
        return await self.group.run(self.vault, call, reads=subject_id)


class KeyLookups:
    """The database lookups of API keys under way, so concurrent requests with one key share
    one.

    The key cache (`Tutela.recently_authenticated`) keeps a key for a second; when it lapses,
    every request already waiting with that key misses it at once. Each would otherwise take
    a pooled connection in a thread of its own, and a busy client's burst outgrew the pool:
    the server opened and closed database connections, each a new PostgreSQL backend, every
    second. Now the first miss looks the key up and the rest await its answer (or its error).
    The lookup runs as a task of its own, so a request that is cancelled meanwhile (its
    client gone) cancels only its own wait.
    """

    def __init__(self) -> None:
        # Keyed by the loop too: a test client may drive the app from more than one. The key
        # text is held only while its lookup runs (the request holds it anyway).
        self._running: dict[tuple[asyncio.AbstractEventLoop, str], asyncio.Task[Actor]] = {}

    async def authenticate(self, vault: Tutela, key_text: str) -> Actor:
        """The key's actor, from the one lookup of `key_text` under way (started if none is)."""
        if vault.inline_io:  # SQLite: the lookup runs on the loop, nothing waits alongside
            return vault.authenticate(key_text)
        loop = asyncio.get_running_loop()
        slot = (loop, key_text)
        lookup = self._running.get(slot)
        if lookup is None:
            lookup = loop.create_task(run_in_threadpool(vault.authenticate, key_text))
            self._running[slot] = lookup
            lookup.add_done_callback(partial(self._ended, slot))
        return await asyncio.shield(lookup)

    def _ended(
        self, slot: tuple[asyncio.AbstractEventLoop, str], lookup: asyncio.Task[Actor]
    ) -> None:
        self._running.pop(slot, None)
        if not lookup.cancelled():
            lookup.exception()  # seen, even if every request waiting for it went away


class ApiKeyAuth(HTTPBearer):
    """The bearer API key as one dependency: it reads the header itself (rather than taking
    HTTPBearer's credentials as a sub-dependency, which FastAPI would solve separately on
    every request) and is still declared in the OpenAPI document as the bearer scheme."""

    async def __call__(self, request: HTTPConnection) -> Caller:  # type: ignore[override]
        """Authenticate the bearer key and spend one unit of its rate budget."""
        scheme, key_text = get_authorization_scheme_param(request.headers.get("authorization"))
        if scheme.lower() != "bearer" or not key_text:
            raise ApiKeyMissing()
        if len(request.headers.getlist("authorization")) > 1:
            raise ApiKeyAmbiguous()
        vault: Tutela = request.app.state.tutela
        actor = vault.recently_authenticated(key_text)
        if actor is None:
            actor = await request.app.state.key_lookups.authenticate(vault, key_text)
        request.scope.setdefault("state", {})["key_id"] = actor.id
        request.app.state.rate_limiter.check(actor.id)
        return Caller(actor, vault, request.app.state.group_commit)


current_caller = ApiKeyAuth(
    scheme_name="HTTPBearer", description="An API key from `tutela apikey create`."
)
# The OpenAPI security requirement of a route that calls `current_caller` itself.
BEARER: list[dict[str, list[str]]] = [{"HTTPBearer": []}]


async def public_tutela(request: Request) -> Tutela:
    """A caller without a key (a privacy center, a contact form): spend one unit of the
    client address's budget, kept apart from the keys' budgets."""
    host = request.client.host if request.client else "unknown"
    request.app.state.public_rate_limiter.check(host)
    vault: Tutela = request.app.state.tutela
    return vault


CallerDep = Annotated[Caller, Depends(current_caller)]
PublicDep = Annotated[Tutela, Depends(public_tutela)]
VaultDep = Annotated[Tutela, Depends(tutela_of)]
