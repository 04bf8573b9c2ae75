"""The figures of one anonymization run, gathered for a report: the transformation, utility,
risk before and after, and the sizes of the released equivalence classes.

This module only collects numbers (and serialises them to JSON); the HTML rendering lives in
`tutela.web.anonymize_report`, outside the service layer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from tutela.anonymize.risk import DEFAULT_THRESHOLD, RiskReport, assess_risk, class_size_histogram

if TYPE_CHECKING:
    import polars as pl

    from tutela.anonymize.result import Metrics, Result, SearchStats


@dataclass(frozen=True)
class ColumnLevel:
    """The generalization of one quasi-identifier: its level, out of the hierarchy's height
    (None when unknown, or for local recoding where each class has its own level)."""

    column: str
    level: int | None
    height: int | None


@dataclass(frozen=True)
class SizeBucket:
    """Equivalence classes whose size is in `low..high` (inclusive), and their records."""

    low: int
    high: int
    classes: int
    records: int

    @property
    def label(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}\N{EN DASH}{self.high}"


@dataclass(frozen=True)
class AnonymizationReport:
    """Everything a reader needs to judge one release.

    Attributes:
        source: the input's name (a file name), if any.
        models: the privacy models satisfied, e.g. "5-anonymity".
        metric: the metric the search minimised.
        method: "optimal" or "mondrian".
        suppression_limit: the share of records that was allowed to be suppressed.
        levels: the transformation, one entry per quasi-identifier in order.
        metrics: the utility of the release.
        risk_before: re-identification risk of the input over the quasi-identifiers.
        risk_after: the same for the released records.
        class_sizes: `(size, classes)` pairs of the released table, smallest size first.
        search: lattice size and transformations evaluated (None for Mondrian).
        k: the k of k-anonymity asked for, if any (classes below it are marked).
    """

    source: str | None
    models: str
    metric: str
    method: str
    suppression_limit: float
    levels: tuple[ColumnLevel, ...]
    metrics: Metrics
    risk_before: RiskReport
    risk_after: RiskReport
    class_sizes: tuple[tuple[int, int], ...]
    search: SearchStats | None = None
    k: int | None = None

    def size_buckets(self) -> list[SizeBucket]:
        """Class sizes in powers of two (1, 2, 3-4, 5-8, ...), up to the largest class; empty
        buckets below it are kept so the histogram's axis has no gaps."""
        if not self.class_sizes:
            return []
        largest = self.class_sizes[-1][0]
        bounds: list[tuple[int, int]] = [(1, 1)]
        high = 1
        while high < largest:
            bounds.append((high + 1, high * 2))
            high *= 2
        buckets = []
        for low, top in bounds:
            inside = [(s, c) for s, c in self.class_sizes if low <= s <= top]
            buckets.append(
                SizeBucket(low, top, sum(c for _, c in inside), sum(s * c for s, c in inside))
            )
        return buckets

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of the whole report."""
        return {
            "source": self.source,
            "models": self.models,
            "metric": self.metric,
            "method": self.method,
            "suppression_limit": self.suppression_limit,
            "levels": {c.column: c.level for c in self.levels},
            "heights": {c.column: c.height for c in self.levels},
            "metrics": {
                **asdict(self.metrics),
                "loss_per_attribute": dict(self.metrics.loss_per_attribute),
            },
            "risk_before": self.risk_before.as_dict(),
            "risk_after": self.risk_after.as_dict(),
            "class_sizes": [{"size": s, "classes": c} for s, c in self.class_sizes],
            "search": None if self.search is None else asdict(self.search),
            "k": self.k,
        }


def build_report(
    original: pl.DataFrame,
    result: Result,
    *,
    heights: Mapping[str, int] | None = None,
    suppression_limit: float = 0.0,
    threshold: float = DEFAULT_THRESHOLD,
    source: str | None = None,
    risk_before: RiskReport | None = None,
    k: int | None = None,
) -> AnonymizationReport:
    """Gather the report of `result`, the anonymization of `original`.

    Args:
        original: the input table (for the risk before).
        result: what `anonymize` returned.
        heights: each quasi-identifier's hierarchy height, to show a level out of its range.
        suppression_limit: the share of records the run was allowed to suppress.
        threshold: the risk threshold for "records at risk".
        source: the input's name for the report's title.
        risk_before: the input's risk if already computed (saves a second group-by).
        k: the k asked for, to mark smaller classes in the histogram.

    Returns:
        The report; risk after is measured on the released records only.
    """
    quasi: Sequence[str] = result.quasi
    before = risk_before or assess_risk(original, quasi, threshold=threshold)
    after = assess_risk(result.table, quasi, threshold=threshold)
    levels = tuple(
        ColumnLevel(
            column,
            None if result.levels is None else result.levels.get(column),
            None if heights is None else heights.get(column),
        )
        for column in quasi
    )
    sizes = tuple(class_size_histogram(result.table, quasi)) if result.table.height else ()
    return AnonymizationReport(
        source=source,
        models=result.models,
        metric=result.metric,
        method=result.method,
        suppression_limit=suppression_limit,
        levels=levels,
        metrics=result.metrics,
        risk_before=before,
        risk_after=after,
        class_sizes=sizes,
        search=result.search,
        k=k,
    )
