"""Who is calling: the bearer API key, authenticated per request, and its rate limit."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from limits import parse as parse_limit
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter
from starlette.concurrency import run_in_threadpool

from tutela._facade import Tutela
from tutela.actor import Actor
from tutela.errors import ApiKeyMissing

T = TypeVar("T")
bearer = HTTPBearer(auto_error=False, description="An API key from `tutela apikey create`.")


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
    """A sliding-window budget per API key (or per client address for the public endpoints)
    (`limits`), e.g. ``6000/minute``, per process.

    The sliding-window counter costs the same whatever the budget, unlike a moving window
    that keeps every hit.
    """

    def __init__(self, spec: str, *, who: str = "this API key") -> None:
        self._limit = parse_limit(spec)
        self._limiter = SlidingWindowCounterRateLimiter(MemoryStorage())
        self._who = who

    def check(self, key_id: str) -> None:
        if not self._limiter.hit(self._limit, key_id):
            reset, _ = self._limiter.get_window_stats(self._limit, key_id)
            raise RateLimited(
                max(1, int(reset - time.time()) + 1), f"{self._who} made too many requests"
            )


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


async def current_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    """Authenticate the bearer key and spend one unit of its rate budget."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiKeyMissing()
    vault: Tutela = request.app.state.tutela
    actor = await call(vault, vault.authenticate, credentials.credentials)
    request.scope.setdefault("state", {})["key_id"] = actor.id
    request.app.state.rate_limiter.check(actor.id)
    return Caller(actor, vault)


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
