"""Hierarchies: ARX's files load unchanged; YAML bands, intervals and dates; malformed input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from anonymize_support import ADULT, read_arx

from tutela.anonymize import (
    Bands,
    DateHierarchy,
    Hierarchy,
    HierarchyInvalid,
    Interval,
    IntervalHierarchy,
    ValueNotInHierarchy,
    anonymize,
    hierarchies_from_yaml,
)

# Heights from the ARX README (levels above the original value).
ADULT_HEIGHTS = {
    "age": 4,
    "education": 3,
    "marital-status": 2,
    "native-country": 2,
    "occupation": 2,
    "workclass": 2,
    "race": 1,
    "sex": 1,
    "salary-class": 1,
}


@pytest.mark.parametrize("column", sorted(ADULT_HEIGHTS))
def test_arx_adult_hierarchy_files_load_unchanged(column: str) -> None:
    path = ADULT / f"adult_hierarchy_{column}.csv"
    hierarchy = Hierarchy.read_csv(path)
    expected = read_arx(path)
    assert hierarchy.height == ADULT_HEIGHTS[column]
    assert [list(row) for row in hierarchy.rows] == list(expected.values())
    assert hierarchy.leaves == tuple(expected)
    for leaf, row in expected.items():
        for level, value in enumerate(row):
            assert hierarchy.generalize(leaf, level) == value
    assert set(hierarchy.level(hierarchy.height)) == {"*"}


def test_the_age_hierarchy_covers_1_to_100_and_matches_integer_data() -> None:
    age = Hierarchy.read_csv(ADULT / "adult_hierarchy_age.csv")
    assert age.leaves == tuple(str(i) for i in range(1, 101))
    assert age.generalize("39", 1) == "35-39"
    table = pl.DataFrame({"age": [39, 39, 41, 44]})
    result = anonymize(table, quasi=["age"], hierarchies={"age": age}, k=2)
    assert result.table["age"].to_list() == ["35-39", "35-39", "40-44", "40-44"]


def test_quoted_fields_and_blank_lines() -> None:
    text = 'a;"x;y";*\r\n\r\nb;"x;y";*\r\n'
    hierarchy = Hierarchy.from_csv_text(text)
    assert hierarchy.rows == (("a", "x;y", "*"), ("b", "x;y", "*"))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "no rows"),
        ("a;x;*\nb;*\n", "row 2 has 2 columns"),
        ("a;x;*\na;y;*\n", "row 2 repeats the leaf of row 1"),
        ("a;x;p;*\nb;x;q;*\n", "row 2: a value at level 1 generalizes to two"),
    ],
)
def test_malformed_hierarchies_are_rejected_with_the_row(text: str, fragment: str) -> None:
    with pytest.raises(HierarchyInvalid) as info:
        Hierarchy.from_csv_text(text, source="h.csv")
    assert fragment in str(info.value)
    assert "h.csv" in str(info.value)


def test_a_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(HierarchyInvalid, match=r"nope\.csv"):
        Hierarchy.read_csv(tmp_path / "nope.csv")


def test_a_value_without_a_row_names_the_column_never_the_value() -> None:
    canary = "Zq7-unlisted-canary"
    table = pl.DataFrame({"job": ["a", canary, "a"]})
    hierarchy = Hierarchy.from_rows([["a", "*"], ["b", "*"]])
    with pytest.raises(ValueNotInHierarchy) as info:
        anonymize(table, quasi=["job"], hierarchies={"job": hierarchy}, k=2)
    assert info.value.field == "job"
    assert info.value.rows == 1
    assert canary not in str(info.value)
    assert canary not in repr(info.value.args)


def test_numeric_bands_and_intervals_from_yaml() -> None:
    specs = hierarchies_from_yaml(
        """
        age:
          numeric:
            - {band: 5}
            - {band: 10}
            - intervals: [[0, 40], [40, 200, "40+"]]
        """
    )
    ages = pl.Series("age", [17, 23, 39, 40, 90])
    hierarchy = specs["age"].build("age", ages)
    assert hierarchy.height == 4
    assert hierarchy.generalize("23", 1) == "20-24"
    assert hierarchy.generalize("23", 2) == "20-29"
    assert hierarchy.generalize("23", 3) == "0-39"
    assert hierarchy.generalize("90", 3) == "40+"
    assert hierarchy.generalize("90", 4) == "*"


def test_float_bands_are_half_open_and_labelled_as_such() -> None:
    hierarchy = IntervalHierarchy((Bands(0.5),)).build("x", pl.Series([0.2, 0.7, 1.0]))
    assert hierarchy.level(1) == ("[0, 0.5)", "[0.5, 1)", "[1, 1.5)")


def test_intervals_must_nest() -> None:
    spec = IntervalHierarchy(
        ((Interval(0, 10), Interval(10, 20)), (Interval(0, 5), Interval(5, 20)))
    )
    with pytest.raises(HierarchyInvalid, match="level 1 generalizes to two"):
        spec.build("x", pl.Series([1, 7, 12]))


def test_a_value_outside_every_interval_names_the_column() -> None:
    spec = IntervalHierarchy(((Interval(0, 10),),))
    with pytest.raises(ValueNotInHierarchy) as info:
        spec.build("score", pl.Series([1, 11, 11]))
    assert (info.value.field, info.value.rows) == ("score", 2)


def test_dates_from_yaml() -> None:
    specs = hierarchies_from_yaml({"joined": {"date": ["month", "quarter", "year", "decade"]}})
    values = pl.Series([dt.date(2024, 2, 29), dt.date(2019, 12, 31)])
    hierarchy = specs["joined"].build("joined", values)
    assert hierarchy.rows == (
        ("2024-02-29", "2024-02", "2024-Q1", "2024", "2020s", "*"),
        ("2019-12-31", "2019-12", "2019-Q4", "2019", "2010s", "*"),
    )
    table = pl.DataFrame({"joined": values})
    result = anonymize(table, quasi=["joined"], hierarchies=specs, k=2)
    assert result.levels == {"joined": 5}


def test_a_date_hierarchy_needs_a_date_column() -> None:
    with pytest.raises(HierarchyInvalid, match="Date"):
        DateHierarchy(("year",)).build("joined", pl.Series(["2024-01-01"]))


def test_yaml_may_point_to_arx_files_relative_to_itself(tmp_path: Path) -> None:
    (tmp_path / "h").mkdir()
    (tmp_path / "h" / "sex.csv").write_text("Male;*\nFemale;*\n")
    document = tmp_path / "hierarchies.yaml"
    document.write_text("hierarchies:\n  sex: h/sex.csv\n")
    specs = hierarchies_from_yaml(document)
    assert isinstance(specs["sex"], Hierarchy)
    assert specs["sex"].leaves == ("Male", "Female")


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ("age: {numeric: []}", "hierarchies: age.numeric"),
        ("age: {numeric: [{band: -1}]}", "hierarchies: age.numeric[0]"),
        ("age: {numeric: [{intervals: [[5, 1]]}]}", "hierarchies: age.numeric[0].intervals[0]"),
        ("age: {date: [fortnight]}", "hierarchies: age.date"),
        ("age: {weird: 1}", "hierarchies: age"),
        ("- a\n- b", "hierarchies"),
        ("age: [unclosed", "hierarchies"),
    ],
)
def test_bad_yaml_says_where(document: str, where: str) -> None:
    with pytest.raises(HierarchyInvalid) as info:
        hierarchies_from_yaml(document)
    assert info.value.field == where


def test_a_leaf_listed_twice_on_identical_rows_is_read_once_as_arx_does() -> None:
    hierarchy = Hierarchy.from_csv_text("98;90-99;*\n99;90-99;*\n99;90-99;*\n")
    assert len(hierarchy.rows) == 2
    with pytest.raises(HierarchyInvalid):
        Hierarchy.from_csv_text("98;90-99;*\n99;90-99;*\n99;80-99;*\n")
