"""Dataset anonymization: privacy models, generalization hierarchies, optimal search, utility.

A table is anonymized by generalizing its quasi-identifiers along hierarchies (ARX CSV files,
or numeric bands / date units declared in YAML) and, within a limit, suppressing records, so
that every equivalence class (rows equal on all quasi-identifiers) satisfies the privacy
models: k-anonymity, l-diversity (distinct, entropy, recursive (c,l)) and t-closeness
(equal-distance EMD for categorical, ordered-distance EMD for numeric sensitive values).

    from tutela.anonymize import Hierarchy, anonymize

    hierarchies = {q: Hierarchy.read_csv(f"adult_hierarchy_{q}.csv") for q in quasi}
    result = anonymize(table, quasi=quasi, hierarchies=hierarchies, k=5, suppression=0.05)
    result.table, result.levels, result.metrics.loss

`method="optimal"` (default) searches the lattice of full-domain generalizations for the
transformation that minimises the chosen metric (ARX's *Loss* by default), pruning with the
monotonicity of the models (as ARX's Flash does) and with a lower bound of the metric; the
answer is the global optimum. `method="mondrian"` is local recoding (LeFevre's Mondrian),
for numeric-heavy tables. Polars is imported when a function runs, not when this package is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from tutela.anonymize._types import METRICS, LVariant, Method, MetricName, TDistance
from tutela.anonymize.errors import (
    AnonymizationError,
    AnonymizationInvalid,
    HierarchyInvalid,
    NoSolution,
    ValueNotInHierarchy,
)
from tutela.anonymize.hierarchy import (
    Bands,
    DateHierarchy,
    Hierarchy,
    HierarchySource,
    Interval,
    IntervalHierarchy,
)
from tutela.anonymize.hierarchy_yaml import hierarchies_from_yaml
from tutela.anonymize.result import Metrics, Result, SearchStats

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "METRICS",
    "AnonymizationError",
    "AnonymizationInvalid",
    "Bands",
    "DateHierarchy",
    "Hierarchy",
    "HierarchyInvalid",
    "HierarchySource",
    "Interval",
    "IntervalHierarchy",
    "LVariant",
    "Method",
    "MetricName",
    "Metrics",
    "NoSolution",
    "Result",
    "SearchStats",
    "TDistance",
    "ValueNotInHierarchy",
    "anonymize",
    "evaluate",
    "hierarchies_from_yaml",
]


def anonymize(
    table: pl.DataFrame,
    *,
    quasi: Sequence[str],
    hierarchies: Mapping[str, HierarchySource],
    k: int = 1,
    l: int | None = None,  # noqa: E741 - the model's own name
    l_variant: LVariant = "distinct",
    c: float | None = None,
    t: float | None = None,
    t_distance: TDistance = "auto",
    sensitive: str | None = None,
    suppression: float = 0.0,
    metric: MetricName = "loss",
    method: Method = "optimal",
) -> Result:
    """Anonymize `table` so every equivalence class meets the privacy models.

    Args:
        table: the input; one row per individual.
        quasi: quasi-identifier columns (at least one). Their values are matched to the
            hierarchy leaves as strings (an integer 39 matches the leaf "39").
        hierarchies: one per quasi-identifier: a `Hierarchy` (e.g. an ARX CSV file), or an
            `IntervalHierarchy` / `DateHierarchy` built on the column's values. For
            `method="mondrian"` a numeric quasi-identifier may have none (ranges are used).
        k: every class holds at least k records (k >= 1; 1 means no k-anonymity).
        l: with `sensitive`, every class holds l "well-represented" sensitive values.
        l_variant: "distinct" (at least l distinct values), "entropy" (entropy of the values
            >= log l) or "recursive" (recursive (c,l): r_1 < c (r_l + ... + r_m)).
        c: the c of recursive (c,l)-diversity (required for it, > 0).
        t: with `sensitive`, the EMD between each class's sensitive distribution and the
            table's is at most t (0 <= t <= 1).
        t_distance: "equal" (equal-distance EMD, categorical), "ordered" (ordered-distance
            EMD over the sorted values, numeric) or "auto" (ordered for numeric columns).
        sensitive: the sensitive column (needed for l and t; not a quasi-identifier).
        suppression: share of records that may be removed, 0 <= suppression < 1. Records of
            classes that violate a model are suppressed if their share stays within it.
        metric: what the optimal search minimises, one of `METRICS` ("loss" by default).
        method: "optimal" (full-domain, globally optimal) or "mondrian" (local recoding;
            optimises nothing globally and does not suppress).

    Returns:
        The released table, the transformation (levels), its metrics and search statistics.

    Raises:
        AnonymizationInvalid: a setting is out of range, or a column is missing or unusable.
        HierarchyInvalid: a hierarchy spec cannot be built on the column.
        ValueNotInHierarchy: a quasi-identifier value has no hierarchy row (names the column).
        NoSolution: no transformation satisfies the models within the suppression limit.
    """
    from tutela.anonymize._engine import run

    return run(
        table,
        quasi=quasi,
        hierarchies=hierarchies,
        k=k,
        l=l,
        l_variant=l_variant,
        c=c,
        t=t,
        t_distance=t_distance,
        sensitive=sensitive,
        suppression=suppression,
        metric=metric,
        method=method,
    )


def evaluate(
    table: pl.DataFrame,
    *,
    quasi: Sequence[str],
    hierarchies: Mapping[str, HierarchySource],
    levels: Mapping[str, int],
    k: int = 1,
    l: int | None = None,  # noqa: E741 - the model's own name
    l_variant: LVariant = "distinct",
    c: float | None = None,
    t: float | None = None,
    t_distance: TDistance = "auto",
    sensitive: str | None = None,
    suppression: float = 0.0,
) -> Result:
    """Apply one full-domain transformation (`levels` per quasi-identifier) and measure it.

    Same arguments and semantics as `anonymize`, without the search: classes that violate a
    model are suppressed if their share stays within `suppression`.

    Raises:
        AnonymizationInvalid: as for `anonymize`, or a level outside a hierarchy's height.
        NoSolution: this transformation needs more suppression than allowed.
    """
    from tutela.anonymize._engine import run_levels

    return run_levels(
        table,
        quasi=quasi,
        hierarchies=hierarchies,
        levels=levels,
        k=k,
        l=l,
        l_variant=l_variant,
        c=c,
        t=t,
        t_distance=t_distance,
        sensitive=sensitive,
        suppression=suppression,
    )
