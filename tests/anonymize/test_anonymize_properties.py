"""Property tests on random small tables: every result passes the independent checker, and
the optimal search finds the same optimum as an exhaustive search of the lattice."""

from __future__ import annotations

import math
from typing import Any

import polars as pl
import pytest
from anonymize_support import Spec, check_release, exhaustive, result_value
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tutela.anonymize import METRICS, Hierarchy, NoSolution, anonymize

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def hierarchy_rows(draw: st.DrawFn, name: str) -> list[list[str]]:
    """A random valid hierarchy: leaves, 0-2 intermediate levels, then `*`."""
    leaves = draw(st.integers(1, 5))
    height = draw(st.integers(1, 3))
    groups = list(range(leaves))
    columns = [[str(i) for i in range(leaves)]]
    for level in range(1, height):
        count = draw(st.integers(1, max(1, len(set(groups)))))
        parent = {g: draw(st.integers(0, count - 1)) for g in sorted(set(groups))}
        groups = [parent[g] for g in groups]
        columns.append([f"{name}{level}.{g}" for g in groups])
    columns.append(["*"] * leaves)
    return [list(row) for row in zip(*columns, strict=True)]


@st.composite
def problems(draw: st.DrawFn) -> tuple[pl.DataFrame, Spec, dict[str, list[list[str]]], str]:
    m = draw(st.integers(1, 3))
    quasi = [f"q{i}" for i in range(m)]
    rows = {q: draw(hierarchy_rows(q)) for q in quasi}
    n = draw(st.integers(1, 24))
    data: dict[str, Any] = {}
    for i, q in enumerate(quasi):
        leaves = [int(r[0]) for r in rows[q]]
        column = draw(st.lists(st.sampled_from(leaves), min_size=n, max_size=n))
        data[q] = column if i == 0 else [str(v) for v in column]  # q0 stays an integer
    ordered = draw(st.booleans())
    values = draw(st.integers(1, 4))
    pool: list[Any] = list(range(values)) if ordered else ["a", "b", "c", "d"][:values]
    data["s"] = draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))
    data["other"] = list(range(n))
    l_variant = draw(st.sampled_from(["distinct", "entropy", "recursive"]))
    l = draw(st.one_of(st.none(), st.integers(1, 3)))  # noqa: E741
    spec = Spec(
        quasi=quasi,
        k=draw(st.integers(1, 4)),
        l=l,
        l_variant=l_variant,
        c=draw(st.sampled_from([0.5, 1.0, 2.0, 3.0])) if l and l_variant == "recursive" else None,
        t=draw(st.one_of(st.none(), st.sampled_from([0.0, 0.1, 0.25, 0.5, 1.0]))),
        ordered=ordered,
        sensitive="s",
        suppression=draw(st.sampled_from([0.0, 0.0, 0.1, 0.25, 0.5])),
    )
    return pl.DataFrame(data), spec, rows, draw(st.sampled_from(METRICS))


def run(table: pl.DataFrame, spec: Spec, rows: dict[str, list[list[str]]], metric: Any) -> Any:
    return anonymize(
        table,
        quasi=spec.quasi,
        hierarchies={q: Hierarchy.from_rows(r) for q, r in rows.items()},
        k=spec.k,
        l=spec.l,
        l_variant=spec.l_variant,  # type: ignore[arg-type]
        c=spec.c,
        t=spec.t,
        t_distance="ordered" if spec.ordered else "equal",
        sensitive=spec.sensitive,
        suppression=spec.suppression,
        metric=metric,
    )


@SETTINGS
@given(problems())
def test_optimal_search_equals_exhaustive_search_and_passes_the_checker(problem: Any) -> None:
    table, spec, rows, metric = problem
    as_dicts = {q: {r[0]: r for r in rs} for q, rs in rows.items()}
    truth = exhaustive(table, spec, as_dicts, metric)
    event("no solution" if truth is None else f"solved, suppression {spec.suppression}")
    if truth is None:
        with pytest.raises(NoSolution):
            run(table, spec, rows, metric)
        return
    best, nodes = truth
    result = run(table, spec, rows, metric)
    event(f"suppressed some: {result.metrics.suppressed > 0}")
    check_release(table, result, spec, as_dicts)
    got = result_value(metric, result.metrics)
    assert math.isclose(got, best, rel_tol=1e-9, abs_tol=1e-9)
    assert tuple(result.levels[q] for q in spec.quasi) in nodes  # ties allowed


@settings(max_examples=60, deadline=None)
@given(problems())
def test_mondrian_results_pass_the_checker(problem: Any) -> None:
    table, spec, rows, _ = problem
    spec = Spec(**{**spec.__dict__, "suppression": 0.0})
    as_dicts = {q: {r[0]: r for r in rs} for q, rs in rows.items()}
    try:
        result = anonymize(
            table,
            quasi=spec.quasi,
            hierarchies={q: Hierarchy.from_rows(r) for q, r in rows.items()},
            k=spec.k,
            l=spec.l,
            l_variant=spec.l_variant,  # type: ignore[arg-type]
            c=spec.c,
            t=spec.t,
            t_distance="ordered" if spec.ordered else "equal",
            sensitive=spec.sensitive,
            method="mondrian",
        )
    except NoSolution:
        # Mondrian fails only if the whole table, as one class, violates the models.
        values = table["s"].to_list()
        from anonymize_support import class_ok, distribution

        assert not class_ok(values, spec, distribution(values))
        return
    check_release(table, result, spec, as_dicts)
    assert result.metrics.suppressed == 0


def test_mondrian_counts_the_classes_a_reader_sees() -> None:
    """Two partitions released under the same labels ("0", "*") are one class to a reader:
    the metrics count them as one (found by the property test above)."""
    table = pl.DataFrame(
        {"q0": [0, 0, 0, 0], "q1": ["0", "1", "2", "3"], "s": ["a"] * 4, "other": [0, 1, 2, 3]}
    )
    rows = {
        "q0": [["0", "*"]],
        "q1": [["0", "*"], ["1", "*"], ["2", "*"], ["3", "*"]],
    }
    spec = Spec(quasi=["q0", "q1"], k=2, sensitive="s")
    result = anonymize(
        table,
        quasi=spec.quasi,
        hierarchies={q: Hierarchy.from_rows(r) for q, r in rows.items()},
        k=2,
        sensitive="s",
        method="mondrian",
    )
    check_release(table, result, spec, {q: {r[0]: r for r in rs} for q, rs in rows.items()})
    assert result.metrics.classes == 1
