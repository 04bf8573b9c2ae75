"""The optimal search: checked releases on the Adult sample, exhaustive search on small real
lattices, and the cases where monotonicity must not be assumed (models under suppression)."""

from __future__ import annotations

import math
from typing import Any

import polars as pl
import pytest
from anonymize_support import ADULT, ADULT_QI, Spec, check_release, exhaustive, read_arx

from tutela.anonymize import Hierarchy, anonymize
from tutela.anonymize.lattice import Lattice


@pytest.fixture(scope="module")
def adult() -> pl.DataFrame:
    return pl.read_csv(ADULT / "adult_head2000.csv", separator=";")


@pytest.fixture(scope="module")
def adult_hierarchies() -> dict[str, Hierarchy]:
    return {q: Hierarchy.read_csv(ADULT / f"adult_hierarchy_{q}.csv") for q in ADULT_QI}


@pytest.fixture(scope="module")
def adult_rows() -> dict[str, Any]:
    return {q: read_arx(ADULT / f"adult_hierarchy_{q}.csv") for q in ADULT_QI}


@pytest.mark.parametrize("l", [None, 2])
@pytest.mark.parametrize("suppression", [0.0, 0.05])
@pytest.mark.parametrize("k", [2, 5, 10, 100])
def test_adult_sample_releases_pass_the_checker(
    adult: pl.DataFrame,
    adult_hierarchies: dict[str, Hierarchy],
    adult_rows: dict[str, Any],
    k: int,
    suppression: float,
    l: int | None,  # noqa: E741
) -> None:
    sensitive = "salary-class" if l else None
    result = anonymize(
        adult,
        quasi=ADULT_QI,
        hierarchies=adult_hierarchies,
        k=k,
        l=l,
        sensitive=sensitive,
        suppression=suppression,
    )
    spec = Spec(ADULT_QI, k=k, l=l, sensitive=sensitive, suppression=suppression)
    check_release(adult, result, spec, adult_rows)
    assert result.search is not None
    assert result.search.lattice_size == 5 * 2 * 2 * 3 * 4 * 3 * 3 * 3
    assert result.search.evaluated < result.search.lattice_size


SMALL_QI = ["age", "sex", "race", "marital-status"]  # 5 * 2 * 2 * 3 = 60 nodes


@pytest.mark.parametrize(
    ("k", "suppression", "l", "metric"),
    [
        (5, 0.0, None, "loss"),
        (10, 0.05, None, "loss"),
        (5, 0.02, 2, "loss"),
        (3, 0.01, None, "discernibility"),
        (5, 0.0, None, "entropy"),
        (4, 0.03, None, "precision"),
    ],
)
def test_optimal_equals_exhaustive_on_a_small_adult_lattice(
    adult: pl.DataFrame,
    adult_hierarchies: dict[str, Hierarchy],
    adult_rows: dict[str, Any],
    k: int,
    suppression: float,
    l: int | None,  # noqa: E741
    metric: Any,
) -> None:
    table = adult.head(600)
    sensitive = "salary-class" if l else None
    spec = Spec(SMALL_QI, k=k, l=l, sensitive=sensitive, suppression=suppression)
    truth = exhaustive(table, spec, adult_rows, metric)
    assert truth is not None
    result = anonymize(
        table,
        quasi=SMALL_QI,
        hierarchies=adult_hierarchies,
        k=k,
        l=l,
        sensitive=sensitive,
        suppression=suppression,
        metric=metric,
    )
    check_release(table, result, spec, adult_rows)
    value = {
        "loss": result.metrics.loss,
        "discernibility": result.metrics.discernibility,
        "entropy": result.metrics.non_uniform_entropy,
        "precision": 1 - result.metrics.precision,
    }[metric]
    assert math.isclose(value, truth[0], rel_tol=1e-9)
    assert tuple(result.levels[q] for q in SMALL_QI) in truth[1]


def _two_level(leaves: int, grouped: bool) -> list[list[str]]:
    if grouped:
        return [[str(j), f"g{j % 2}", "*"] for j in range(leaves)]
    return [[str(j), "*"] for j in range(leaves)]


# Under suppression, entropy and recursive l-diversity and t-closeness are not monotone: a
# node can be anonymous while its generalization is not (a diverse class merges with a
# suppressed one). Pruning by tagging would miss the optimum in each of these tables.
NOT_MONOTONE = [
    pytest.param(
        {"q0": ["1", "1", "2"], "s": ["x", "y", "x"]},
        {"q0": _two_level(3, False)},
        {"l": 2, "l_variant": "entropy", "suppression": 1 / 3},
        id="entropy",
    ),
    pytest.param(
        {
            "q0": ["2", "2", "0", "2", "1", "1"],
            "q1": ["0", "1", "0", "0", "2", "0"],
            "s": ["y", "x", "x", "y", "y", "x"],
        },
        {"q0": _two_level(3, False), "q1": _two_level(3, True)},
        {"l": 2, "l_variant": "entropy", "suppression": 0.5},
        id="entropy-2qi",
    ),
    pytest.param(
        {
            "q0": ["1", "0", "0", "0", "0", "0"],
            "q1": ["1", "1", "0", "0", "0", "0"],
            "s": ["x", "x", "y", "x", "z", "y"],
        },
        {"q0": _two_level(2, True), "q1": _two_level(2, True)},
        {"l": 2, "l_variant": "recursive", "c": 1.0, "suppression": 0.34},
        id="recursive",
    ),
    pytest.param(
        {
            "q0": ["0", "1", "1", "2", "2", "0", "0", "0", "1", "1"],
            "q1": ["1", "1", "0", "0", "0", "1", "0", "1", "1", "1"],
            "s": ["x", "y", "y", "z", "x", "y", "y", "y", "y", "x"],
        },
        {"q0": _two_level(3, False), "q1": _two_level(2, False)},
        {"t": 0.1, "t_distance": "equal", "suppression": 0.5},
        id="t-closeness",
    ),
]


@pytest.mark.parametrize(("data", "rows", "models"), NOT_MONOTONE)
def test_models_that_are_not_monotone_under_suppression_are_searched_in_full(
    data: dict[str, list[str]], rows: dict[str, list[list[str]]], models: dict[str, Any]
) -> None:
    table = pl.DataFrame(data)
    quasi = [c for c in data if c != "s"]
    spec = Spec(
        quasi,
        l=models.get("l"),
        l_variant=models.get("l_variant", "distinct"),
        c=models.get("c"),
        t=models.get("t"),
        sensitive="s",
        suppression=models["suppression"],
    )
    as_dicts = {q: {r[0]: r for r in rs} for q, rs in rows.items()}
    truth = exhaustive(table, spec, as_dicts, "loss")
    assert truth is not None
    hierarchies = {q: Hierarchy.from_rows(r) for q, r in rows.items()}
    result = anonymize(table, quasi=quasi, hierarchies=hierarchies, sensitive="s", **models)
    check_release(table, result, spec, as_dicts)
    assert math.isclose(result.metrics.loss, truth[0], rel_tol=1e-9)


def test_lattice_order_and_neighbours() -> None:
    lattice = Lattice((2, 1))
    assert lattice.size == 6
    assert lattice.nodes.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1], [2, 0], [2, 1]]
    assert lattice.index([1, 1]) == 3
    assert lattice.up(lattice.index([1, 0])) == [lattice.index([2, 0]), lattice.index([1, 1])]
    assert lattice.successors(2).tolist() == [False, False, True, True, True, True]
    assert lattice.predecessors(3).tolist() == [True, True, True, True, False, False]
    assert lattice.up(lattice.top) == []
