"""Who is calling: the bearer API key, authenticated per request, and its rate limit."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from limits import parse as parse_limit
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from tutela._facade import Tutela
from tutela.actor import Actor
from tutela.errors import ApiKeyMissing

bearer = HTTPBearer(auto_error=False, description="An API key from `tutela apikey create`.")


class RateLimited(Exception):
    """A key went over its request budget; `retry_after` is in whole seconds."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__("rate limit exceeded")


class KeyRateLimiter:
    """A moving-window budget per API key (`limits`), e.g. ``6000/minute``, per process."""

    def __init__(self, spec: str) -> None:
        self._limit = parse_limit(spec)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, key_id: str) -> None:
        if not self._limiter.hit(self._limit, key_id):
            reset, _ = self._limiter.get_window_stats(self._limit, key_id)
            raise RateLimited(max(1, int(reset - time.time()) + 1))


def tutela_of(request: Request) -> Tutela:
    vault: Tutela = request.app.state.tutela
    return vault


def current_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    """The key's actor; every `/v1` route depends on this."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiKeyMissing()
    actor = tutela_of(request).authenticate(credentials.credentials)
    request.scope.setdefault("state", {})["key_id"] = actor.id
    request.app.state.rate_limiter.check(actor.id)
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]
VaultDep = Annotated[Tutela, Depends(tutela_of)]
