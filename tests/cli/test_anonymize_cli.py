"""`tutela anonymize` and `tutela risk`.

A tiny table whose optimum is worked out by hand (below), written with its hierarchies into
tmp_path, and the 40-record Adult sample in `tests/data/adult/` for `risk`. Runs are
in-process (Typer's runner) with no TUTELA_* variable from the developer's shell. Error
messages name columns, never values.

Hand computation (8 records, age in {21, 25, 34, 38}, sex in {M, F}, every pair once):
- k=2: (age 1, sex 0) gives 4 classes of 2; (age 0, sex 1) too. ARX's Loss: age at level 1
  puts each record in a group of 2 of 4 leaves, x_age = (8*2/4 - 2) / (8 - 2) = 1/3; sex at
  level 1, x_sex = 1. Loss = sqrt((1 + 1/3)(1 + 0)) - 1 = 0.1547 beats sqrt(2) - 1 = 0.4142.
- k=3: needs classes of 4: (age 2, sex 0) Loss sqrt(2) - 1 = 0.4142 beats (age 1, sex 1)
  sqrt(8/3) - 1 = 0.633.
- k=9: impossible without suppression (8 records).
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tutela.cli.app import app

DATA = Path(__file__).resolve().parent.parent / "data" / "adult" / "adult_head40.csv"
ROWS = [
    ("21", "M", "flu"),
    ("25", "M", "cold"),
    ("34", "F", "flu"),
    ("38", "F", "cold"),
    ("21", "F", "flu"),
    ("25", "F", "cold"),
    ("34", "M", "flu"),
    ("38", "M", "cold"),
]
ADULT_QI = (
    "age",
    "sex",
    "race",
    "marital-status",
    "education",
    "native-country",
    "workclass",
    "occupation",
)
AGE = "21;20-29;*\n25;20-29;*\n34;30-39;*\n38;30-39;*\n"
SEX = "M;*\nF;*\n"


def invoke(*args: str) -> Result:
    clean: dict[str, str | None] = {k: None for k in os.environ if k.startswith("TUTELA_")}
    return CliRunner().invoke(app, list(args), env=clean)


def write_table(path: Path, rows: list[tuple[str, ...]]) -> Path:
    path.write_text("age;sex;disease\n" + "".join(";".join(r) + "\n" for r in rows))
    return path


@pytest.fixture
def hierarchies(tmp_path: Path) -> Path:
    folder = tmp_path / "hierarchies"
    folder.mkdir()
    (folder / "age.csv").write_text(AGE)  # named by the column
    (folder / "tiny_hierarchy_sex.csv").write_text(SEX)  # named as ARX does
    return folder


@pytest.fixture
def table(tmp_path: Path) -> Path:
    return write_table(tmp_path / "people.csv", ROWS)


def run(table: Path, hierarchies: Path, out: Path, *extra: str) -> Result:
    return invoke(
        "anonymize",
        str(table),
        "--quasi",
        "age,sex",
        "--hierarchies",
        str(hierarchies),
        "--out",
        str(out),
        *extra,
    )


def read_rows(path: Path) -> list[list[str]]:
    with path.open(newline="") as handle:
        return list(csv.reader(handle, delimiter=";"))


def test_k2_picks_the_hand_computed_optimum(table: Path, hierarchies: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    result = run(table, hierarchies, out, "--k", "2", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["levels"] == {"age": 1, "sex": 0}
    assert data["metrics"]["loss"] == pytest.approx(math.sqrt(4 / 3) - 1, abs=1e-9)
    assert data["metrics"]["suppressed"] == 0
    assert data["risk_before"]["prosecutor"]["highest"] == 1.0
    assert data["risk_after"]["prosecutor"]["highest"] == 0.5
    assert data["risk_after"]["sample_uniques"] == 0
    rows = read_rows(out)  # written with the input's separator
    assert rows[0] == ["age", "sex", "disease"]
    assert [tuple(r) for r in rows[1:]] == [
        ("20-29", "M", "flu"),
        ("20-29", "M", "cold"),
        ("30-39", "F", "flu"),
        ("30-39", "F", "cold"),
        ("20-29", "F", "flu"),
        ("20-29", "F", "cold"),
        ("30-39", "M", "flu"),
        ("30-39", "M", "cold"),
    ]


def test_k3_and_the_reports(table: Path, hierarchies: Path, tmp_path: Path) -> None:
    out, report, html = tmp_path / "o.csv", tmp_path / "r.json", tmp_path / "r.html"
    result = run(table, hierarchies, out, "--k", "3", "--report", str(report), "--html", str(html))
    assert result.exit_code == 0, result.stderr
    assert "3-anonymity" in result.stdout
    assert "8 record(s) written" in result.stdout
    data = json.loads(report.read_text())
    assert data["levels"] == {"age": 2, "sex": 0}
    assert data["heights"] == {"age": 2, "sex": 1}
    assert data["metrics"]["loss"] == pytest.approx(math.sqrt(2) - 1, abs=1e-9)
    assert data["class_sizes"] == [{"size": 4, "classes": 2}]
    page = html.read_text()
    assert page.startswith("<!doctype html>")
    assert page.count("<svg") == 3
    assert "<script" not in page


def test_distinct_l_diversity(table: Path, hierarchies: Path, tmp_path: Path) -> None:
    result = run(
        table, hierarchies, tmp_path / "o.csv", "--k", "2", "--sensitive", "disease", "--l", "2"
    )
    assert result.exit_code == 0, result.stderr
    assert "2-diversity" in result.stdout


def test_no_solution_exits_1(table: Path, hierarchies: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    result = run(table, hierarchies, out, "--k", "9")
    assert result.exit_code == 1
    assert "no transformation satisfies" in result.stderr
    assert not out.exists()


def test_a_value_without_hierarchy_row_names_the_column(tmp_path: Path, hierarchies: Path) -> None:
    table = write_table(tmp_path / "t.csv", [*ROWS, ("97", "M", "flu")])
    result = run(table, hierarchies, tmp_path / "o.csv", "--k", "2")
    assert result.exit_code == 1
    message = " ".join(result.stderr.split())
    assert "'age'" in message
    assert "97" not in result.stderr + result.stdout


def test_a_missing_hierarchy_file_names_the_column(table: Path, tmp_path: Path) -> None:
    folder = tmp_path / "only-age"
    folder.mkdir()
    (folder / "age.csv").write_text(AGE)
    result = run(table, folder, tmp_path / "o.csv", "--k", "2")
    assert result.exit_code == 1
    assert "column 'sex': no hierarchy file" in " ".join(result.stderr.split())


def test_an_unknown_quasi_identifier_is_refused(table: Path, hierarchies: Path) -> None:
    result = invoke("risk", str(table), "--quasi", "age,zip")
    assert result.exit_code == 1
    assert "column 'zip' is not in the table" in " ".join(result.stderr.split())


def test_l_without_sensitive_is_a_usage_error(
    table: Path, hierarchies: Path, tmp_path: Path
) -> None:
    result = run(table, hierarchies, tmp_path / "o.csv", "--k", "2", "--l", "2")
    assert result.exit_code == 2
    assert "--sensitive" in result.stderr


def test_risk_of_the_adult_sample_matches_a_direct_count() -> None:
    quasi = ["sex", "race", "marital-status"]
    with DATA.open(newline="") as handle:
        records = list(csv.DictReader(handle, delimiter=";"))
    sizes = Counter(tuple(r[q] for q in quasi) for r in records)
    result = invoke("risk", str(DATA), "--quasi", ",".join(quasi), "--threshold", "0.1", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    n = len(records)
    assert data["records"] == n == 40
    assert data["classes"] == len(sizes)
    assert data["prosecutor"]["highest"] == pytest.approx(1 / min(sizes.values()))
    assert data["prosecutor"]["average"] == pytest.approx(len(sizes) / n)
    assert data["prosecutor"]["at_risk"] == pytest.approx(
        sum(f for f in sizes.values() if 1 / f > 0.1) / n
    )
    assert data["sample_uniques"] == sum(1 for f in sizes.values() if f == 1)
    assert data["journalist"] == data["prosecutor"]
    assert data["marketer"] == pytest.approx(len(sizes) / n)


def test_risk_with_a_population_for_people(table: Path, tmp_path: Path) -> None:
    population = write_table(tmp_path / "population.csv", ROWS * 4)
    result = invoke("risk", str(table), "--quasi", "age,sex", "--population", str(population))
    assert result.exit_code == 0, result.stderr
    text = " ".join(re.sub("[│┃]", " ", result.stdout).split())
    assert "8 records" in text
    assert "journalist: highest 25.00%" in text  # each class has 4 records in the population
    assert "prosecutor: highest 100.00%" in text
    assert "population uniques (Pitman" not in text  # every record unique: no estimate


def test_adult_sample_with_arx_hierarchies(tmp_path: Path) -> None:
    """The 2,000-record Adult sample and ARX's files (`adult_hierarchy_<column>.csv`): the
    output is 5-anonymous, within the limit, and each row is its input generalized."""
    source = DATA.parent / "adult_head2000.csv"
    quasi = ADULT_QI
    out = tmp_path / "out.csv"
    result = invoke(
        "anonymize",
        str(source),
        "--quasi",
        ",".join(quasi),
        "--k",
        "5",
        "--suppression",
        "0.05",
        "--hierarchies",
        str(DATA.parent),
        "--out",
        str(out),
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    levels = data["levels"]
    tables = {
        q: {
            row[0]: row
            for row in csv.reader(
                (DATA.parent / f"adult_hierarchy_{q}.csv").read_text().splitlines(),
                delimiter=";",
            )
        }
        for q in quasi
    }
    with source.open(newline="") as handle:
        records = list(csv.DictReader(handle, delimiter=";"))
    with out.open(newline="") as handle:
        released = list(csv.DictReader(handle, delimiter=";"))
    suppressed = len(records) - len(released)
    assert suppressed == data["metrics"]["suppressed"] <= 0.05 * len(records)
    sizes = Counter(tuple(r[q] for q in quasi) for r in released)
    assert min(sizes.values()) >= 5
    expected = Counter(
        (*(tables[q][r[q]][levels[q]] for q in quasi), r["salary-class"]) for r in records
    )
    got = Counter((*(r[q] for q in quasi), r["salary-class"]) for r in released)
    assert not got - expected  # every released row is an input row, generalized
    assert data["risk_after"]["prosecutor"]["highest"] <= 0.2
