"""Re-identification risk (`tutela.anonymize.risk`): hand-computed examples, properties, and
Pitman's estimate against ARX's figure for FARS."""

from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutela.anonymize.errors import AnonymizationInvalid
from tutela.anonymize.risk import (
    AttackerRisk,
    _digamma,
    _trigamma,
    assess_risk,
    class_size_histogram,
    pitman_uniqueness,
)

QI = ("a", "b")


def table(rows: list[tuple[str | None, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        {"a": [r[0] for r in rows], "b": [r[1] for r in rows], "other": range(len(rows))},
        schema={"a": pl.String, "b": pl.Int64, "other": pl.Int64},
    )


# Classes of 3, 2 and 1 records: (x,1) x3, (y,1) x2, (z,2) x1.
SAMPLE = table([("x", 1)] * 3 + [("y", 1)] * 2 + [("z", 2)])


def test_prosecutor_by_hand() -> None:
    report = assess_risk(SAMPLE, QI)
    assert (report.records, report.classes) == (6, 3)
    # Risks 1/3 (3 records), 1/2 (2 records), 1 (1 record).
    assert report.prosecutor == AttackerRisk(highest=1.0, average=0.5, at_risk=1.0)
    assert report.sample_uniques == 1
    assert report.sample_uniqueness == pytest.approx(1 / 6)
    assert report.marketer == pytest.approx(3 / 6)
    # Without a population, the table is the population.
    assert report.journalist == report.prosecutor
    assert not report.population_given
    assert report.population_uniqueness is None


@pytest.mark.parametrize(
    ("threshold", "share"),
    [(0.2, 1.0), (1 / 3, 3 / 6), (0.4, 3 / 6), (0.5, 1 / 6), (0.99, 1 / 6), (1.0, 0.0)],
)
def test_records_at_risk_are_strictly_above_the_threshold(threshold: float, share: float) -> None:
    assert assess_risk(SAMPLE, QI, threshold=threshold).prosecutor.at_risk == pytest.approx(share)


def test_journalist_and_marketer_with_a_population() -> None:
    population = table([("x", 1)] * 6 + [("y", 1)] * 2 + [("z", 2)] * 4 + [("w", 3)] * 10)
    report = assess_risk(SAMPLE, QI, population=population, threshold=0.2)
    # Population class sizes 6, 2, 4: risks 1/6 (3 records), 1/2 (2), 1/4 (1).
    mean = (3 / 6 + 2 / 2 + 1 / 4) / 6
    assert report.journalist.highest == pytest.approx(0.5)
    assert report.journalist.average == pytest.approx(mean)
    assert report.journalist.at_risk == pytest.approx(3 / 6)  # the 1/2 and 1/4 records
    assert report.marketer == pytest.approx(mean)
    assert report.population_given
    # Prosecutor risk does not depend on the population.
    assert report.prosecutor == assess_risk(SAMPLE, QI).prosecutor


def test_a_class_missing_from_the_population_counts_its_own_records() -> None:
    population = table([("x", 1)] * 6 + [("y", 1)] * 2 + [("w", 3)] * 10)
    report = assess_risk(SAMPLE, QI, population=population)
    assert report.journalist.highest == 1.0  # (z, 2): F = max(0, f) = 1


def test_nulls_form_their_own_class_and_join_the_population() -> None:
    frame = table([(None, 1), (None, 1), ("x", 1)])
    population = table([(None, 1)] * 4 + [("x", 1)] * 4)
    report = assess_risk(frame, QI, population=population)
    assert report.classes == 2
    assert report.prosecutor.highest == 1.0
    assert report.journalist.highest == pytest.approx(0.25)


def test_histogram_of_class_sizes() -> None:
    frame = table([("x", 1)] * 3 + [("y", 1)] * 3 + [("z", 2)] + [("v", 2)] * 2)
    assert class_size_histogram(frame, QI) == [(1, 1), (2, 1), (3, 2)]


def test_an_empty_table_has_no_risk() -> None:
    report = assess_risk(SAMPLE.clear(), QI)
    assert report.records == 0
    assert report.prosecutor == AttackerRisk(0.0, 0.0, 0.0)
    assert report.sample_uniqueness == 0.0


def test_as_dict_is_plain_json() -> None:
    data = assess_risk(SAMPLE, QI, population_size=1000).as_dict()
    assert data["prosecutor"] == {"highest": 1.0, "average": 0.5, "at_risk": 1.0}
    assert data["quasi_identifiers"] == ["a", "b"]
    assert data["sample_uniques"] == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"quasi_identifiers": ("a", "missing")}, "missing"),
        ({"quasi_identifiers": ()}, "quasi_identifiers"),
        ({"threshold": 0.0}, "threshold"),
        ({"threshold": 1.5}, "threshold"),
        ({"population_size": 3}, "population_size"),
        ({"population": table([("x", 1)])}, "population"),
    ],
)
def test_invalid_requests_name_the_setting(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"quasi_identifiers": QI, **kwargs}
    with pytest.raises(AnonymizationInvalid) as caught:
        assess_risk(SAMPLE, **args)  # type: ignore[arg-type]
    assert caught.value.field == field


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("pqrs"), st.integers(0, 3)), min_size=1, max_size=60))
def test_prosecutor_properties(rows: list[tuple[str, int]]) -> None:
    frame = table(list(rows))
    report = assess_risk(frame, QI, threshold=0.3)
    sizes: dict[tuple[str, int], int] = {}
    for row in rows:
        sizes[row] = sizes.get(row, 0) + 1
    assert report.classes == len(sizes)
    assert report.prosecutor.highest == pytest.approx(1 / min(sizes.values()))
    assert report.prosecutor.average == pytest.approx(len(sizes) / len(rows))
    risky = sum(f for f in sizes.values() if 1 / f > 0.3)
    assert report.prosecutor.at_risk == pytest.approx(risky / len(rows))
    assert report.sample_uniques == sum(1 for f in sizes.values() if f == 1)
    assert report.marketer == pytest.approx(report.prosecutor.average)


# -- Pitman ------------------------------------------------------------------------------

# Frequencies of class sizes of FARS over its 8 quasi-identifiers (100,937 records, 60,806
# classes; /work/shared/data/fars). ARX 3.9.2 puts Pitman's population uniqueness for the USA
# population at 8.5 % and the sample uniqueness at 49.3 % (the data's README).
FARS_FREQUENCIES = {
    1: 49763, 2: 4313, 3: 2110, 4: 1339, 5: 855, 6: 531, 7: 416, 8: 282, 9: 229, 10: 187,
    11: 133, 12: 115, 13: 91, 14: 67, 15: 50, 16: 39, 17: 30, 18: 24, 19: 21, 20: 17, 21: 19,
    22: 15, 23: 16, 24: 11, 25: 7, 26: 17, 27: 6, 28: 9, 29: 16, 30: 12, 31: 4, 32: 5, 33: 3,
    34: 8, 35: 6, 36: 2, 37: 3, 38: 2, 39: 3, 40: 3, 41: 5, 42: 1, 43: 2, 44: 1, 45: 3, 46: 3,
    50: 1, 52: 2, 53: 1, 55: 1, 57: 1, 59: 1, 79: 1, 108: 1, 144: 1, 155: 1, 192: 1,
}  # fmt: skip
USA = 317_238_626  # ARX's population model for the USA


def test_pitman_matches_arx_on_fars() -> None:
    assert sum(s * c for s, c in FARS_FREQUENCIES.items()) == 100_937
    estimate = pitman_uniqueness(FARS_FREQUENCIES, USA)
    assert estimate is not None
    assert estimate.share == pytest.approx(0.085, abs=0.0005)
    # The maximum-likelihood parameters (checked against a direct numerical maximisation).
    assert estimate.theta == pytest.approx(4097.96, rel=1e-4)
    assert estimate.alpha == pytest.approx(0.780697, rel=1e-5)


def test_pitman_uses_the_population_table_size_by_default() -> None:
    # Frequencies {1: 20, 2: 1, 3: 1, 5: 1}: 30 records in 23 classes.
    rows = [("x", i) for i in range(20)] + [("y", 1)] * 5 + [("y", 2)] * 3 + [("y", 3)] * 2
    population = table(rows * 50)
    report = assess_risk(table(rows), QI, population=population)
    estimate = report.population_uniqueness
    assert estimate is not None
    assert estimate.population == 1500
    direct = pitman_uniqueness({1: 20, 2: 1, 3: 1, 5: 1}, 1500)
    assert direct is not None
    assert estimate.uniques == pytest.approx(direct.uniques)
    assert 0 < estimate.share < 1
    assert report.as_dict()["population_uniqueness"]["model"] == "pitman"


@pytest.mark.parametrize("frequencies", [{2: 3}, {1: 3}, {1: 5, 2: 3, 3: 1}, {}])
def test_pitman_gives_no_estimate_when_the_model_does_not_fit(
    frequencies: dict[int, int],
) -> None:
    # No uniques; all unique; the likelihood peaks at alpha = 0 (Ewens, not Pitman); empty.
    assert pitman_uniqueness(frequencies, 10_000) is None


def test_special_functions() -> None:
    euler = 0.5772156649015329
    assert _digamma(1.0) == pytest.approx(-euler, abs=1e-12)
    assert _digamma(0.5) == pytest.approx(-euler - 2 * math.log(2), abs=1e-12)
    assert _digamma(1e6) == pytest.approx(math.log(1e6) - 0.5e-6, abs=1e-12)
    assert _trigamma(1.0) == pytest.approx(math.pi**2 / 6, abs=1e-12)
    assert _trigamma(0.5) == pytest.approx(math.pi**2 / 2, abs=1e-11)
