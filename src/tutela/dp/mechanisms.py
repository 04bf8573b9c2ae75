"""Releasing one query with OpenDP: a stable transformation chained to a noise mechanism.

Each query is an OpenDP measurement over the rows of one column (symmetric distance: a
person adds or removes up to `contributions` rows). The noise scale is the smallest that
OpenDP proves meets the query's share of epsilon (binary search over the scale, checked with
the measurement's own privacy map), so the guarantee is OpenDP's, not a formula of ours.

- Laplace: pure epsilon-DP (discrete Laplace for counts).
- Gaussian: zero-concentrated DP converted to (epsilon, delta)-DP at the given delta.

A mean releases a noisy clamped sum and a noisy count, each with half of the query's epsilon
(and delta), composed by OpenDP; the mean is their quotient (post-processing). Counts are
floored at zero after the noise (post-processing too). OpenDP is imported when first used.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tutela.dp.errors import DpQueryInvalid
from tutela.dp.query import Query, QueryKind

OTHER = "(other)"  # the histogram cell of values not among the declared categories
ALPHA = 0.05  # accuracy is reported at 95% confidence


class Mechanism(StrEnum):
    LAPLACE = "laplace"
    GAUSSIAN = "gaussian"


@dataclass(frozen=True)
class Release:
    """What one query released, and how.

    Attributes:
        query: the query's canonical text.
        kind: count, histogram, sum or mean.
        column: the column read (None for a row count).
        value: the noisy answer: a number, or category → count for a histogram.
        epsilon, delta: what this query spent.
        mechanism: laplace or gaussian.
        scale: the noise scale (of the sum, for a mean).
        accuracy: with 95% confidence the noise is at most this (per cell of a histogram);
            None for a mean, whose error depends on the unreleased true count.
    """

    query: str
    kind: str
    column: str | None
    value: float | int | dict[str, int]
    epsilon: float
    delta: float
    mechanism: str
    scale: float
    accuracy: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "kind": self.kind,
            "column": self.column,
            "value": self.value,
            "epsilon": self.epsilon,
            "delta": self.delta,
            "mechanism": self.mechanism,
            "scale": self.scale,
            "accuracy95": self.accuracy,
        }


def release(
    query: Query,
    values: Sequence[Any],
    *,
    epsilon: float,
    mechanism: Mechanism,
    delta: float = 0.0,
    contributions: int = 1,
) -> Release:
    """Release `query` over `values` (the column's rows: floats for a sum or mean, strings
    for a histogram, anything for a count) with `epsilon` (and `delta` for Gaussian noise).

    Raises:
        DpQueryInvalid: OpenDP refuses the parameters (e.g. bounds too wide for floats).
    """
    import opendp.prelude as dp

    dp.enable_features("contrib")
    try:
        if query.kind is QueryKind.MEAN:
            return _mean(
                dp,
                query,
                values,
                epsilon=epsilon,
                mechanism=mechanism,
                delta=delta,
                contributions=contributions,
            )
        chain = _transformation(dp, query, mechanism)
        measurement, scale = _noised(
            dp,
            chain,
            epsilon=epsilon,
            mechanism=mechanism,
            delta=delta,
            contributions=contributions,
        )
        raw = measurement(list(values))
    except dp.OpenDPException as exc:
        raise DpQueryInvalid("query", f"OpenDP refused it ({exc.variant})") from None
    value: float | int | dict[str, int]
    if query.kind is QueryKind.HISTOGRAM:
        cells = [*query.categories, OTHER]
        value = {name: max(int(count), 0) for name, count in zip(cells, raw, strict=True)}
    elif query.kind is QueryKind.COUNT:
        value = max(int(raw), 0)
    else:
        value = float(raw)
    discrete = query.kind is not QueryKind.SUM
    return Release(
        query=query.text(),
        kind=query.kind.value,
        column=query.column,
        value=value,
        epsilon=epsilon,
        delta=delta if mechanism is Mechanism.GAUSSIAN else 0.0,
        mechanism=mechanism.value,
        scale=scale,
        accuracy=_accuracy(dp, scale, mechanism, discrete=discrete),
    )


def _mean(
    dp: Any,
    query: Query,
    values: Sequence[Any],
    *,
    epsilon: float,
    mechanism: Mechanism,
    delta: float,
    contributions: int,
) -> Release:
    assert query.bounds is not None
    total, scale = _noised(
        dp,
        _sum(dp, query.bounds),
        epsilon=epsilon / 2,
        mechanism=mechanism,
        delta=delta / 2,
        contributions=contributions,
    )
    count, _ = _noised(
        dp,
        _count(dp, float),
        epsilon=epsilon / 2,
        mechanism=mechanism,
        delta=delta / 2,
        contributions=contributions,
    )
    both = dp.c.make_composition([total, count])
    if not both.check(contributions, _distance(epsilon, mechanism, delta)):
        raise DpQueryInvalid("query", "OpenDP could not compose the mean within epsilon")
    noisy_sum, noisy_count = both(list(values))
    low, high = query.bounds
    mean = min(max(float(noisy_sum) / max(float(noisy_count), 1.0), low), high)
    return Release(
        query=query.text(),
        kind=query.kind.value,
        column=query.column,
        value=mean,
        epsilon=epsilon,
        delta=delta if mechanism is Mechanism.GAUSSIAN else 0.0,
        mechanism=mechanism.value,
        scale=scale,
        accuracy=None,
    )


def _transformation(dp: Any, query: Query, mechanism: Mechanism) -> Any:
    if query.kind is QueryKind.COUNT:
        return _count(dp, str)
    if query.kind is QueryKind.HISTOGRAM:
        # Laplace noise is calibrated to the L1 sensitivity of the cells, Gaussian to L2.
        metric = "L2Distance<int>" if mechanism is Mechanism.GAUSSIAN else "L1Distance<int>"
        return dp.t.make_count_by_categories(
            dp.vector_domain(dp.atom_domain(T=str)),
            dp.symmetric_distance(),
            categories=list(query.categories),
            null_category=True,
            MO=metric,
        )
    assert query.bounds is not None
    return _sum(dp, query.bounds)


def _count(dp: Any, kind: type) -> Any:
    atom = dp.atom_domain(T=float, nan=False) if kind is float else dp.atom_domain(T=kind)
    return dp.t.make_count(dp.vector_domain(atom), dp.symmetric_distance())


def _sum(dp: Any, bounds: tuple[float, float]) -> Any:
    domain = dp.vector_domain(dp.atom_domain(T=float, nan=False))
    clamp = dp.t.make_clamp(domain, dp.symmetric_distance(), bounds=bounds)
    return clamp >> dp.t.then_sum()


def _distance(epsilon: float, mechanism: Mechanism, delta: float) -> Any:
    return (epsilon, delta) if mechanism is Mechanism.GAUSSIAN else epsilon


def _noised(
    dp: Any,
    chain: Any,
    *,
    epsilon: float,
    mechanism: Mechanism,
    delta: float,
    contributions: int,
) -> tuple[Any, float]:
    """The chain with the smallest noise scale OpenDP proves meets `epsilon` (and `delta`)."""
    sensitivity = float(chain.map(contributions))
    make: Callable[[float], Any]
    if mechanism is Mechanism.LAPLACE:
        upper = 4 * sensitivity / epsilon + 1

        def make(scale: float) -> Any:
            return chain >> dp.m.then_laplace(scale)
    else:
        upper = 4 * sensitivity * math.sqrt(2 * math.log(1.25 / delta)) / epsilon + 1

        def make(scale: float) -> Any:
            noisy = chain >> dp.m.then_gaussian(scale)
            return dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(noisy), delta)

    distance = _distance(epsilon, mechanism, delta)
    scale = float(
        dp.binary_search_param(make, d_in=contributions, d_out=distance, bounds=(0.0, upper))
    )
    measurement = make(scale)
    if not measurement.check(contributions, distance):  # never trust a search blindly
        raise DpQueryInvalid("query", "OpenDP could not meet epsilon with any noise scale")
    return measurement, scale


def _accuracy(dp: Any, scale: float, mechanism: Mechanism, *, discrete: bool) -> float:
    if mechanism is Mechanism.LAPLACE:
        if discrete:
            return float(dp.discrete_laplacian_scale_to_accuracy(scale, ALPHA))
        return float(dp.laplacian_scale_to_accuracy(scale, ALPHA))
    if discrete:
        return float(dp.discrete_gaussian_scale_to_accuracy(scale, ALPHA))
    return float(dp.gaussian_scale_to_accuracy(scale, ALPHA))
