"""`tutela dp` and `tutela dp-budgets` run for real as subprocesses, on SQLite and
PostgreSQL: noisy answers within the budget, then a refusal (exit 1) that spends nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from test_cli import Cli, error_line

from tutela import Settings, Tutela
from tutela.testing import PiiCanary


@pytest.fixture
def home(tmp_path: Path, database_url: str | None, canary: PiiCanary) -> Cli:
    """A runner for a home created in-process, on the test's backend."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUTELA_")}
    if database_url is not None:
        env["TUTELA_DATABASE_URL"] = database_url
    runner = Cli(tmp_path / "home", canary, env, database_url)
    settings = Settings.load(runner.home, environ={}, database_url=database_url)
    Tutela.init(settings=settings).close()
    return runner


QUERY = ("--budget-key", "orders", "--query", "count", "-q", "mean amount bounds 0..1000")


def _orders(tmp_path: Path, canary: PiiCanary) -> Path:
    path = tmp_path / "orders.csv"
    lines = ["email,amount,country"]
    lines += [f"{canary.customer(n)['email']},{n * 7},{'GB' if n % 3 else 'FR'}" for n in range(40)]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def test_dp_answers_within_the_budget_and_refuses_beyond_it(
    home: Cli, tmp_path: Path, canary: PiiCanary
) -> None:
    orders = _orders(tmp_path, canary)
    first = home.json("dp", str(orders), *QUERY, "--epsilon", "0.6", "--budget", "1")
    assert (first["budget_key"], first["recipient"]) == ("orders", "internal")
    assert (first["spent"], first["budget"]) == (0.6, 1.0)
    assert [r["kind"] for r in first["releases"]] == ["count", "mean"]
    assert all(r["mechanism"] == "laplace" for r in first["releases"])

    refused = home("dp", str(orders), *QUERY, "--epsilon", "0.6")
    assert refused.returncode == 1
    assert "privacy budget 'orders'" in error_line(refused)
    assert "nothing was released or spent" in error_line(refused)
    assert refused.stdout == ""

    as_json = home("dp", str(orders), *QUERY, "--epsilon", "0.6", "--json")
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["error"]["type"] == "PrivacyBudgetExceeded"

    text = home.ok(
        "dp",
        str(orders),
        "--budget-key",
        "orders",
        "-q",
        "count by country in GB,FR",
        "--epsilon",
        "0.4",
    ).stdout
    assert "count by country in GB,FR: GB=" in text
    assert "1 of 1 used, 0 left" in text

    (budget,) = home.json("dp-budgets")["budgets"]
    assert (budget["budget_key"], budget["spent"], budget["remaining"]) == ("orders", 1.0, 0.0)


def test_dp_refuses_a_malformed_query_naming_its_position(
    home: Cli, tmp_path: Path, canary: PiiCanary
) -> None:
    orders = _orders(tmp_path, canary)
    proc = home(
        "dp",
        str(orders),
        "--budget-key",
        "orders",
        "--budget",
        "1",
        "--epsilon",
        "0.5",
        "-q",
        "count",
        "-q",
        "count by country",
    )
    assert proc.returncode == 1
    assert error_line(proc).startswith("error: query[1]: a histogram declares its categories")
    assert home.json("dp-budgets")["budgets"] == []


def test_dp_reads_a_semicolon_separated_table_as_arx_writes_them(
    home: Cli, tmp_path: Path, canary: PiiCanary
) -> None:
    orders = _orders(tmp_path, canary)
    semicolons = tmp_path / "orders-semicolons.csv"
    semicolons.write_text(orders.read_text("utf-8").replace(",", ";"), "utf-8")
    answer = home.json("dp", str(semicolons), *QUERY, "--epsilon", "0.5", "--budget", "1")
    assert [r["kind"] for r in answer["releases"]] == ["count", "mean"]
