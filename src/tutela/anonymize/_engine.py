"""Runs an anonymization: checks the request, encodes the table, searches, builds the Result."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from tutela.anonymize._classes import Classes
from tutela.anonymize._encode import Encoded, encode
from tutela.anonymize._types import METRICS, LVariant, Method, MetricName, TDistance
from tutela.anonymize.errors import AnonymizationInvalid, NoSolution
from tutela.anonymize.hierarchy import Hierarchy, HierarchySource
from tutela.anonymize.lattice import Lattice
from tutela.anonymize.metrics import Measures
from tutela.anonymize.models import (
    DistinctLDiversity,
    EntropyLDiversity,
    KAnonymity,
    PrivacyModel,
    RecursiveCLDiversity,
    TCloseness,
    violating,
)
from tutela.anonymize.result import Result, SearchStats
from tutela.anonymize.search import Evaluation, optimal

MAX_LATTICE = 2_000_000  # transformations; the search keeps a levels row per node
_L_VARIANTS = ("distinct", "entropy", "recursive")
_T_DISTANCES = ("auto", "equal", "ordered")


@dataclass(frozen=True)
class Request:
    """A checked request: the privacy models and the limit, before any data is encoded."""

    quasi: tuple[str, ...]
    k: int
    l: int | None  # noqa: E741
    l_variant: LVariant
    c: float | None
    t: float | None
    ordered: bool
    sensitive: str | None
    suppression: float
    limit: int  # records that may be suppressed

    def models(self, overall: np.ndarray | None) -> tuple[PrivacyModel, ...]:
        """The privacy models to enforce (k-anonymity first)."""
        models: list[PrivacyModel] = [KAnonymity(self.k)]
        if self.l is not None:
            if self.l_variant == "distinct":
                models.append(DistinctLDiversity(self.l))
            elif self.l_variant == "entropy":
                models.append(EntropyLDiversity(self.l))
            else:
                models.append(RecursiveCLDiversity(float(self.c or 0.0), self.l))
        if self.t is not None and overall is not None:
            distance: Literal["equal", "ordered"] = "ordered" if self.ordered else "equal"
            models.append(TCloseness(self.t, distance, overall))
        return tuple(models)

    def describe(self, models: Sequence[PrivacyModel]) -> str:
        """E.g. `5-anonymity, distinct 2-diversity of 'salary-class'`."""
        return ", ".join(model.describe(self.sensitive) for model in models)


def check(
    table: pl.DataFrame,
    *,
    quasi: Sequence[str],
    k: int,
    l: int | None,  # noqa: E741
    l_variant: str,
    c: float | None,
    t: float | None,
    t_distance: str,
    sensitive: str | None,
    suppression: float,
) -> Request:
    """Check every setting against the table's columns.

    Raises:
        AnonymizationInvalid: naming the setting or column at fault.
    """
    _check_columns(table, quasi, sensitive)
    in_range = isinstance(t, int | float) and 0 <= t <= 1
    rules: list[tuple[str, str, Callable[[], bool]]] = [
        ("k", "k must be an integer >= 1", lambda: not _is_int(k) or k < 1),
        ("l", "l must be an integer >= 1", lambda: l is not None and (not _is_int(l) or l < 1)),
        ("l_variant", f"use one of {', '.join(_L_VARIANTS)}", lambda: l_variant not in _L_VARIANTS),
        (
            "c",
            "recursive (c,l)-diversity needs c > 0",
            lambda: l_variant == "recursive" and l is not None and (c is None or not c > 0),
        ),
        (
            "c",
            "c applies to recursive (c,l)-diversity only",
            lambda: c is not None and (l is None or l_variant != "recursive"),
        ),
        ("t", "t must lie between 0 and 1", lambda: t is not None and not in_range),
        (
            "t_distance",
            f"use one of {', '.join(_T_DISTANCES)}",
            lambda: t_distance not in _T_DISTANCES,
        ),
        (
            "sensitive",
            "l-diversity and t-closeness need a sensitive column",
            lambda: (l is not None or t is not None) and sensitive is None,
        ),
        (
            "suppression",
            "suppression must be >= 0 and < 1",
            lambda: not (isinstance(suppression, int | float) and 0 <= suppression < 1),
        ),
    ]
    for field, message, broken in rules:
        if broken():
            raise AnonymizationInvalid(field, message)
    ordered = False
    if sensitive is not None:
        dtype = table.schema[sensitive]
        ordered = t_distance == "ordered" or (
            t_distance == "auto" and (dtype.is_numeric() or dtype.is_temporal())
        )
    limit = math.floor(suppression * table.height + 1e-9)
    return Request(
        tuple(quasi),
        int(k),
        None if l is None else int(l),
        l_variant,  # type: ignore[arg-type]
        c,
        t,
        ordered,
        sensitive,
        float(suppression),
        limit,
    )


def _check_columns(table: pl.DataFrame, quasi: Sequence[str], sensitive: str | None) -> None:
    if not isinstance(table, pl.DataFrame):
        raise AnonymizationInvalid("table", "expected a polars DataFrame")
    if table.height == 0:
        raise AnonymizationInvalid("table", "the table has no rows")
    if isinstance(quasi, str) or not quasi:
        raise AnonymizationInvalid("quasi", "name at least one quasi-identifier column")
    if len(set(quasi)) != len(quasi):
        raise AnonymizationInvalid("quasi", "a quasi-identifier is listed twice")
    for column in [*quasi, *([sensitive] if sensitive is not None else [])]:
        if column not in table.columns:
            raise AnonymizationInvalid(column, "no such column in the table")
    if sensitive is not None and sensitive in quasi:
        raise AnonymizationInvalid(sensitive, "the sensitive column is also a quasi-identifier")


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def build_hierarchies(
    table: pl.DataFrame, quasi: Sequence[str], hierarchies: Mapping[str, HierarchySource]
) -> tuple[Hierarchy, ...]:
    """Each quasi-identifier's hierarchy, built on its column where it is a recipe.

    Raises:
        AnonymizationInvalid: a quasi-identifier has no hierarchy.
    """
    out = []
    for column in quasi:
        source = hierarchies.get(column)
        if source is None:
            raise AnonymizationInvalid(column, "no hierarchy given for this quasi-identifier")
        out.append(source.build(column, table.get_column(column)))
    return tuple(out)


class Problem:
    """An encoded table with its models, ready to evaluate any node of its lattice."""

    def __init__(self, table: pl.DataFrame, request: Request, hierarchies: tuple[Hierarchy, ...]):
        self.table = table
        self.request = request
        self.encoded: Encoded = encode(
            table, request.quasi, hierarchies, request.sensitive, request.ordered
        )
        self.models = request.models(self.encoded.overall)
        self.lattice = Lattice(tuple(h.height for h in hierarchies))
        if self.lattice.size > MAX_LATTICE:
            raise AnonymizationInvalid(
                "quasi",
                f"the lattice has {self.lattice.size} transformations, more than {MAX_LATTICE}: "
                "use fewer quasi-identifiers or levels, or method='mondrian'",
            )
        self.measures = Measures(self.encoded)
        self.monotone = request.limit == 0 or all(
            model.monotone_with_suppression for model in self.models
        )

    def classify(self, levels: Sequence[int]) -> tuple[Classes, np.ndarray, int]:
        """The node's classes, which violate the models, and the records they hold."""
        classes = self.encoded.classes(levels)
        bad = violating(self.models, classes)
        return classes, bad, int(classes.sizes[bad].sum())

    def no_solution(self) -> NoSolution:
        """The error for a request no node meets (with the share the top node needs)."""
        _, _, violators = self.classify(self.lattice.nodes[self.lattice.top].tolist())
        share = violators / self.encoded.records
        return NoSolution(self.request.describe(self.models), self.request.suppression, share)

    def result(
        self, levels: Sequence[int], metric: str, search: SearchStats | None = None
    ) -> Result:
        """Release the table under `levels` (violating classes suppressed) and measure it."""
        classes, bad, _ = self.classify(levels)
        enc = self.encoded
        suppressed = bad[classes.ids][enc.row]
        columns = []
        for a, (column, level) in enumerate(zip(enc.quasi, levels, strict=True)):
            hierarchy = enc.hierarchies[a]
            codes = enc.generalized[a][level][enc.row]
            labels = pl.Series(column, hierarchy.labels[level], dtype=pl.String)
            columns.append(labels.gather(codes))
        released = self.table.with_columns(columns).filter(pl.Series(~suppressed))
        return Result(
            table=released,
            quasi=enc.quasi,
            levels=dict(zip(enc.quasi, map(int, levels), strict=True)),
            metrics=self.measures.metrics(levels, classes, bad, self.request.k),
            suppressed_rows=tuple(int(i) for i in np.flatnonzero(suppressed)),
            method="optimal",
            models=self.request.describe(self.models),
            metric=metric,
            search=search,
        )


def run(
    table: pl.DataFrame,
    *,
    quasi: Sequence[str],
    hierarchies: Mapping[str, HierarchySource],
    k: int,
    l: int | None,  # noqa: E741
    l_variant: LVariant,
    c: float | None,
    t: float | None,
    t_distance: TDistance,
    sensitive: str | None,
    suppression: float,
    metric: MetricName,
    method: Method,
) -> Result:
    """`tutela.anonymize.anonymize` (see there)."""
    request = check(
        table,
        quasi=quasi,
        k=k,
        l=l,
        l_variant=l_variant,
        c=c,
        t=t,
        t_distance=t_distance,
        sensitive=sensitive,
        suppression=suppression,
    )
    if metric not in METRICS:
        raise AnonymizationInvalid("metric", f"use one of {', '.join(METRICS)}")
    if method == "mondrian":
        from tutela.anonymize.mondrian import mondrian

        return mondrian(table, request, hierarchies)
    if method != "optimal":
        raise AnonymizationInvalid("method", "use optimal or mondrian")
    problem = Problem(table, request, build_hierarchies(table, quasi, hierarchies))
    nodes = problem.lattice.nodes
    measures = problem.measures

    def evaluate(node: int) -> Evaluation:
        levels = nodes[node].tolist()
        classes, bad, violators = problem.classify(levels)
        if violators > request.limit:
            return Evaluation(False, math.inf)
        return Evaluation(True, measures.value(metric, levels, classes, bad, request.k))

    no_suppression = request.limit == 0
    outcome = optimal(
        problem.lattice,
        measures.lower_bounds(metric, nodes, request.k),
        evaluate,
        monotone=problem.monotone,
        metric_monotone=no_suppression or metric == "height",
        bound_exact=metric == "height"
        or (no_suppression and metric in ("loss", "precision", "entropy")),
    )
    if outcome.node is None:
        raise problem.no_solution()
    return problem.result(nodes[outcome.node].tolist(), metric, outcome.stats)


def run_levels(
    table: pl.DataFrame,
    *,
    quasi: Sequence[str],
    hierarchies: Mapping[str, HierarchySource],
    levels: Mapping[str, int],
    k: int,
    l: int | None,  # noqa: E741
    l_variant: LVariant,
    c: float | None,
    t: float | None,
    t_distance: TDistance,
    sensitive: str | None,
    suppression: float,
) -> Result:
    """`tutela.anonymize.evaluate` (see there)."""
    request = check(
        table,
        quasi=quasi,
        k=k,
        l=l,
        l_variant=l_variant,
        c=c,
        t=t,
        t_distance=t_distance,
        sensitive=sensitive,
        suppression=suppression,
    )
    built = build_hierarchies(table, quasi, hierarchies)
    vector = []
    for column, hierarchy in zip(quasi, built, strict=True):
        level = levels.get(column)
        if not _is_int(level) or not 0 <= level <= hierarchy.height:  # type: ignore[operator]
            raise AnonymizationInvalid(column, f"the level must lie in 0..{hierarchy.height}")
        vector.append(int(level))  # type: ignore[arg-type]
    problem = Problem(table, request, built)
    _, _, violators = problem.classify(vector)
    if violators > request.limit:
        raise NoSolution(
            problem.request.describe(problem.models),
            request.suppression,
            violators / problem.encoded.records,
        )
    return problem.result(vector, "none")
