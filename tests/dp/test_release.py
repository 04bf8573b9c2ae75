"""Releases through OpenDP: every kind of query under both mechanisms, close to the truth
when epsilon is large, and only noisy answers and declared parameters in what comes back."""

from __future__ import annotations

import pytest

from tutela.dp import Mechanism, parse_query
from tutela.dp.mechanisms import OTHER, release

AMOUNTS = [float(n % 100) for n in range(400)]  # true sum 19800, mean 49.5
COUNTRIES = ["GB"] * 200 + ["FR"] * 120 + ["XX"] * 80


@pytest.mark.parametrize("mechanism", list(Mechanism))
def test_every_query_kind_is_released_near_the_truth_with_a_large_epsilon(
    mechanism: Mechanism,
) -> None:
    delta = 1e-6 if mechanism is Mechanism.GAUSSIAN else 0.0
    opts = {"epsilon": 50.0, "mechanism": mechanism, "delta": delta}

    count = release(parse_query("count"), [""] * 400, **opts)  # type: ignore[arg-type]
    total = release(parse_query("sum a bounds 0..100"), AMOUNTS, **opts)  # type: ignore[arg-type]
    mean = release(parse_query("mean a bounds 0..100"), AMOUNTS, **opts)  # type: ignore[arg-type]
    hist = release(parse_query("count by c in GB,FR"), COUNTRIES, **opts)  # type: ignore[arg-type]

    # Four times the 95% bound: a miss has a probability far below one in a million.
    assert count.accuracy is not None and total.accuracy is not None
    assert abs(count.value - 400) <= 4 * count.accuracy  # type: ignore[operator]
    assert abs(total.value - 19_800) <= 4 * total.accuracy  # type: ignore[operator]
    assert 40 <= mean.value <= 60  # type: ignore[operator]
    assert isinstance(hist.value, dict) and list(hist.value) == ["GB", "FR", OTHER]
    assert hist.accuracy is not None
    for name, truth in (("GB", 200), ("FR", 120), (OTHER, 80)):
        assert abs(hist.value[name] - truth) <= 4 * hist.accuracy
    for r in (count, total, mean, hist):
        assert (r.epsilon, r.mechanism, r.delta) == (50.0, mechanism.value, delta)
        assert r.scale > 0


def test_values_outside_the_bounds_are_clamped() -> None:
    huge = [1e9] * 10
    total = release(
        parse_query("sum a bounds 0..10"), huge, epsilon=100.0, mechanism=Mechanism.LAPLACE
    )
    assert total.accuracy is not None
    assert abs(total.value - 100) <= 4 * total.accuracy  # type: ignore[operator]


def test_a_smaller_epsilon_means_more_noise() -> None:
    query = parse_query("sum a bounds 0..100")
    tight = release(query, AMOUNTS, epsilon=2.0, mechanism=Mechanism.LAPLACE)
    loose = release(query, AMOUNTS, epsilon=0.5, mechanism=Mechanism.LAPLACE)
    assert loose.scale == pytest.approx(4 * tight.scale, rel=1e-3)
