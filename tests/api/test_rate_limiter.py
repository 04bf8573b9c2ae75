"""The per-key sliding-window budget, on a clock the test moves."""

from __future__ import annotations

import pytest

from tutela.api.auth import KeyRateLimiter, RateLimited


class Clock:
    def __init__(self, now: float = 6_000.0) -> None:  # the start of a one-minute window
        self.now = now

    def __call__(self) -> float:
        return self.now


def spend(limiter: KeyRateLimiter, key: str, times: int) -> int:
    """How many of `times` hits were allowed."""
    allowed = 0
    for _ in range(times):
        try:
            limiter.check(key)
        except RateLimited:
            continue
        allowed += 1
    return allowed


def test_a_budget_is_spent_per_key() -> None:
    limiter = KeyRateLimiter("5/minute", clock=Clock())
    assert spend(limiter, "a", 8) == 5
    assert spend(limiter, "b", 5) == 5


def test_a_refusal_says_when_to_retry_and_the_hit_then_fits() -> None:
    clock = Clock()
    limiter = KeyRateLimiter("5/minute", clock=clock)
    spend(limiter, "a", 5)
    with pytest.raises(RateLimited) as refused:
        limiter.check("a")
    assert 1 <= refused.value.retry_after <= 60
    clock.now += refused.value.retry_after - 1
    with pytest.raises(RateLimited):
        limiter.check("a")
    clock.now += 1 + 12  # the 5 hits now weigh 4 (a fifth into the next window)
    limiter.check("a")


def test_the_previous_window_still_weighs_on_the_next() -> None:
    clock = Clock()
    limiter = KeyRateLimiter("10/minute", clock=clock)
    assert spend(limiter, "a", 10) == 10
    clock.now += 60 + 15  # a quarter into the next window: 3/4 of the 10 still count
    assert spend(limiter, "a", 10) == 2
    clock.now += 60 * 2  # two idle windows: a full budget again
    assert spend(limiter, "a", 12) == 10


def test_idle_callers_are_forgotten() -> None:
    clock = Clock()
    limiter = KeyRateLimiter("10/minute", clock=clock)
    for n in range(100):
        limiter.check(f"client-{n}")
    clock.now += 60 * 3
    limiter.check("another")
    assert len(limiter._counts) == 1
