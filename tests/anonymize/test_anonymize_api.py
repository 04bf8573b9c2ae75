"""The public API: hand-computed metrics and models, `evaluate`, Mondrian, and its errors."""

from __future__ import annotations

import math
import subprocess
import sys
from typing import Any

import numpy as np
import polars as pl
import pytest
from anonymize_support import Spec, check_release

from tutela.anonymize import (
    AnonymizationInvalid,
    Hierarchy,
    NoSolution,
    ValueNotInHierarchy,
    anonymize,
    evaluate,
)
from tutela.anonymize._classes import Classes
from tutela.anonymize.errors import AnonymizationError
from tutela.errors import TutelaError, ValidationFailed

ABCD = Hierarchy.from_rows(
    [["a", "AB", "*"], ["b", "AB", "*"], ["c", "CD", "*"], ["d", "CD", "*"]], source="abcd"
)
TABLE = pl.DataFrame({"q": ["a", "a", "b", "c"], "n": [1, 2, 3, 4]})


def test_metrics_by_hand() -> None:
    result = evaluate(
        TABLE, quasi=["q"], hierarchies={"q": ABCD}, levels={"q": 1}, k=2, suppression=0.25
    )
    m = result.metrics
    assert result.suppressed_rows == (3,)
    assert result.table.to_dict(as_series=False) == {"q": ["AB", "AB", "AB"], "n": [1, 2, 3]}
    # Loss: AB covers 2 of 4 leaves; S = 3 * 0.5 + 1 suppressed = 2.5; x = (2.5 - 1) / 3.
    assert m.loss == pytest.approx(0.5)
    assert m.loss_per_attribute == {"q": pytest.approx(0.5)}
    assert m.precision == pytest.approx(1 - (3 * 0.5 + 1) / 4)
    assert m.discernibility == 3**2 + 1 * 4
    assert (m.classes, m.avg_class_size, m.c_avg) == (1, 3.0, 1.5)
    assert (m.suppressed, m.suppressed_share, m.records, m.height) == (1, 0.25, 4, 1)
    # Pr[a | AB] = 2/3 twice, Pr[b | AB] = 1/3, suppressed c: Pr[c | *] = 1/4.
    nue = -2 * math.log2(2 / 3) - math.log2(1 / 3) - math.log2(1 / 4)
    assert m.non_uniform_entropy == pytest.approx(nue)
    assert m.non_uniform_entropy_normalized == pytest.approx(nue / 6)


def test_the_search_prefers_suppression_when_it_costs_less() -> None:
    result = anonymize(TABLE, quasi=["q"], hierarchies={"q": ABCD}, k=2, suppression=0.25)
    assert result.levels == {"q": 1}
    strict = anonymize(TABLE, quasi=["q"], hierarchies={"q": ABCD}, k=2)
    assert strict.levels == {"q": 2}
    assert strict.metrics.loss == pytest.approx(1.0)
    assert strict.models == "2-anonymity"
    assert strict.metric == "loss"


def classes(ids: list[int], sensitive: list[int], card: int) -> Classes:
    return Classes(
        np.array(ids), max(ids) + 1, np.ones(len(ids), dtype=np.int64), np.array(sensitive), card
    )


def test_earth_movers_distance_by_hand() -> None:
    from tutela.anonymize.models import TCloseness

    overall = np.full(3, 1 / 3)
    one = classes([0], [0], 3)  # a class holding only the smallest value
    assert TCloseness(0.5, "ordered", overall).emd(one)[0] == pytest.approx(0.5)
    assert TCloseness(0.5, "equal", overall).emd(one)[0] == pytest.approx(2 / 3)
    spread = classes([0, 0, 0], [0, 1, 2], 3)
    assert TCloseness(0.0, "ordered", overall).emd(spread)[0] == pytest.approx(0.0)


def test_l_diversity_variants_by_hand() -> None:
    from tutela.anonymize.models import (
        DistinctLDiversity,
        EntropyLDiversity,
        RecursiveCLDiversity,
    )

    # class 0: values 0,0,0,1 (r = 3, 1); class 1: values 0,1 (r = 1, 1)
    c = classes([0, 0, 0, 0, 1, 1], [0, 0, 0, 1, 0, 1], 2)
    assert DistinctLDiversity(2).violating(c).tolist() == [False, False]
    assert DistinctLDiversity(3).violating(c).tolist() == [True, True]
    # entropy of (3/4, 1/4) = 0.562 < log 2 = 0.693; of (1/2, 1/2) = log 2 exactly
    assert EntropyLDiversity(2).violating(c).tolist() == [True, False]
    # recursive (c,2): r1 < c * r2: 3 < 2 * 1 fails, 1 < 2 * 1 holds; with c = 4 both hold
    assert RecursiveCLDiversity(2.0, 2).violating(c).tolist() == [True, False]
    assert RecursiveCLDiversity(4.0, 2).violating(c).tolist() == [False, False]


def test_ordered_t_closeness_is_chosen_for_numeric_sensitive_columns() -> None:
    table = pl.DataFrame({"q": ["a", "b", "c", "d"], "income": [10, 20, 30, 40]})
    result = anonymize(table, quasi=["q"], hierarchies={"q": ABCD}, t=0.4, sensitive="income")
    assert "ordered distance" in result.models
    # {10,20} vs uniform over 4 values: cumulative |1/4|+|2/4|+|1/4| over 3 = 1/3 <= 0.4
    assert result.levels == {"q": 1}
    check_release(
        table,
        result,
        Spec(["q"], t=0.4, ordered=True, sensitive="income"),
        {"q": {r[0]: list(r) for r in ABCD.rows}},
    )


def test_no_solution_is_a_typed_error_with_the_share_needed() -> None:
    with pytest.raises(NoSolution) as info:
        anonymize(TABLE, quasi=["q"], hierarchies={"q": ABCD}, k=5)
    assert isinstance(info.value, AnonymizationError)
    assert isinstance(info.value, TutelaError)
    assert info.value.required_share == 1.0
    assert "5-anonymity" in str(info.value)


def test_evaluate_reports_a_node_needing_too_much_suppression() -> None:
    with pytest.raises(NoSolution) as info:
        evaluate(TABLE, quasi=["q"], hierarchies={"q": ABCD}, levels={"q": 0}, k=2)
    assert info.value.required_share == 0.5


BAD: list[tuple[dict[str, Any], str]] = [
    ({"k": 0}, "k"),
    ({"k": True}, "k"),
    ({"l": 2}, "sensitive"),
    ({"l": 0, "sensitive": "n"}, "l"),
    ({"l": 2, "l_variant": "recursive", "sensitive": "n"}, "c"),
    ({"c": 2.0}, "c"),
    ({"l_variant": "fuzzy"}, "l_variant"),
    ({"t": 1.5, "sensitive": "n"}, "t"),
    ({"t": 0.2, "sensitive": "n", "t_distance": "far"}, "t_distance"),
    ({"sensitive": "q"}, "q"),
    ({"sensitive": "missing"}, "missing"),
    ({"suppression": 1.0}, "suppression"),
    ({"suppression": -0.1}, "suppression"),
    ({"metric": "beauty"}, "metric"),
    ({"method": "magic"}, "method"),
    ({"quasi": []}, "quasi"),
    ({"quasi": ["q", "q"]}, "quasi"),
    ({"quasi": ["q", "n"]}, "n"),  # no hierarchy for n
    ({"method": "mondrian", "suppression": 0.1}, "suppression"),
]


@pytest.mark.parametrize(("change", "field"), BAD)
def test_invalid_requests_name_the_setting(change: dict[str, Any], field: str) -> None:
    kwargs: dict[str, Any] = {"quasi": ["q"], "hierarchies": {"q": ABCD}, "k": 1, **change}
    with pytest.raises(AnonymizationInvalid) as info:
        anonymize(TABLE, **kwargs)
    assert isinstance(info.value, ValidationFailed)
    assert info.value.field == field


def test_evaluate_rejects_levels_outside_the_hierarchy() -> None:
    with pytest.raises(AnonymizationInvalid, match=r"0\.\.2") as info:
        evaluate(TABLE, quasi=["q"], hierarchies={"q": ABCD}, levels={"q": 3})
    assert info.value.field == "q"


def test_an_empty_table_is_rejected() -> None:
    with pytest.raises(AnonymizationInvalid, match="no rows"):
        anonymize(TABLE.head(0), quasi=["q"], hierarchies={"q": ABCD})


def test_nulls_in_a_quasi_identifier_are_values_without_a_row() -> None:
    table = pl.DataFrame({"q": ["a", None, None]})
    with pytest.raises(ValueNotInHierarchy) as info:
        anonymize(table, quasi=["q"], hierarchies={"q": ABCD})
    assert info.value.rows == 2


def test_other_metrics_can_be_minimised() -> None:
    for metric in ("precision", "height", "discernibility", "avg_class_size", "entropy"):
        result = anonymize(
            TABLE, quasi=["q"], hierarchies={"q": ABCD}, k=2, suppression=0.25, metric=metric
        )  # type: ignore[arg-type]
        assert result.metric == metric
        assert result.metrics.suppressed <= 1


def test_mondrian_on_numeric_data_needs_no_hierarchy() -> None:
    rng = np.random.default_rng(7)
    n = 400
    table = pl.DataFrame(
        {
            "age": rng.integers(18, 90, n),
            "income": rng.normal(50_000, 15_000, n).round(2),
            "zip": rng.integers(1000, 1100, n),
            "disease": rng.choice(["flu", "cold", "none", "asthma"], n),
        }
    )
    quasi = ["age", "income", "zip"]
    result = anonymize(
        table, quasi=quasi, hierarchies={}, k=5, l=2, sensitive="disease", method="mondrian"
    )
    check_release(table, result, Spec(quasi, k=5, l=2, sensitive="disease"))
    assert result.method == "mondrian"
    assert result.levels is None
    assert result.search is None
    assert result.metrics.height is None
    assert result.metrics.classes >= 20  # local recoding keeps many small classes
    assert result.metrics.loss < 0.5


def test_mondrian_needs_hierarchies_for_categorical_columns() -> None:
    with pytest.raises(AnonymizationInvalid) as info:
        anonymize(TABLE, quasi=["q"], hierarchies={}, k=2, method="mondrian")
    assert info.value.field == "q"


def test_importing_the_package_loads_neither_polars_nor_numpy() -> None:
    code = "import sys, tutela.anonymize; print('polars' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_a_lattice_too_large_to_search_is_refused() -> None:
    deep = Hierarchy.from_rows(
        [[str(i), *(f"{i >> j}" for j in range(1, 6)), "*"] for i in range(64)]
    )
    quasi = [f"q{i}" for i in range(9)]  # 7 ** 9 = 40 million transformations
    table = pl.DataFrame({q: ["1", "2"] for q in quasi})
    with pytest.raises(AnonymizationInvalid, match="mondrian") as info:
        anonymize(table, quasi=quasi, hierarchies=dict.fromkeys(quasi, deep), k=2)
    assert info.value.field == "quasi"
