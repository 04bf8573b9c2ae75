"""`tutela scan-table` and `tutela redact-table`.

Runs are in-process (Typer's runner) with no TUTELA_* variable from the developer's shell; one
runs `python -m tutela` for real, to see the entry point's exit code. No output, on stdout or
stderr, may show a value of the table (the PII canary).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner, Result

from tutela.cli.app import app
from tutela.deid.keys import create_key_file
from tutela.testing import PiiCanary

ROWS = 30


def invoke(*args: str, env: dict[str, str | None] | None = None) -> Result:
    clean: dict[str, str | None] = {k: None for k in os.environ if k.startswith("TUTELA_")}
    return CliRunner().invoke(app, list(args), env={**clean, **(env or {})})


@pytest.fixture
def table(tmp_path: Path, canary: PiiCanary) -> Path:
    """Customers whose personal values all carry the canary token."""
    people = [canary.customer(i) for i in range(ROWS)]
    frame = pl.DataFrame(
        {
            "id": list(range(ROWS)),
            "email": [p["email"] for p in people],
            "phone": [f"+44 7400 {i:06d}" for i in range(ROWS)],
            "amount": [f"{i * 1.25:.2f}" for i in range(ROWS)],
        }
    )
    path = tmp_path / "customers.csv"
    frame.write_csv(path)
    return path


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "deid.key"
    create_key_file(path)
    return path


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text("default: {operator: pseudonymize}\ncolumns:\n  amount: {operator: keep}\n")
    return path


def test_scan_table_prints_each_column_type_and_exits_1(table: Path) -> None:
    result = invoke("scan-table", str(table), "--sample", "30")

    assert result.exit_code == 1, result.stderr
    lines = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if "│" in line}
    assert "EMAIL_ADDRESS" in lines["email"] and "100%" in lines["email"]
    assert "PHONE_NUMBER" in lines["phone"]
    assert "EMAIL" not in lines["amount"] and "PHONE" not in lines["amount"]
    assert "2 of 4 column(s) hold personal data" in result.stdout


def test_scan_table_json(table: Path) -> None:
    result = invoke("scan-table", str(table), "--json")

    data = json.loads(result.stdout)
    assert data["file"] == str(table)
    types = {c["column"]: (c["kind"], c["type"]) for c in data["columns"]}
    assert types == {
        "id": ("none", None),
        "email": ("pii", "EMAIL_ADDRESS"),
        "phone": ("pii", "PHONE_NUMBER"),
        "amount": ("none", None),
    }
    assert {"confidence", "share", "sampled", "label"} <= set(data["columns"][1])


def test_scan_table_exits_0_when_nothing_is_personal(tmp_path: Path) -> None:
    path = tmp_path / "plain.jsonl"
    pl.DataFrame({"sku": ["A1", "B2"], "qty": [1, 2]}).write_ndjson(path)

    result = invoke("scan-table", str(path))

    assert result.exit_code == 0
    assert "0 of 2 column(s) hold personal data" in result.stdout


def test_redact_table_writes_the_copy_and_reports_each_column(
    table: Path, policy: Path, key: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.parquet"

    result = invoke(
        "redact-table",
        str(table),
        "--policy",
        str(policy),
        "--key-file",
        str(key),
        "--out",
        str(out),
        "--json",
    )

    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["rows"] == ROWS
    actions = {c["column"]: (c["action"], c["source"]) for c in report["columns"]}
    assert actions == {
        "id": ("keep", "classified"),
        "email": ("pseudonymize", "classified"),
        "phone": ("pseudonymize", "classified"),
        "amount": ("keep", "policy"),
    }
    written, original = pl.read_parquet(out), pl.read_csv(table, infer_schema=False)
    assert not set(written["email"]) & set(original["email"])
    assert written["amount"].to_list() == original["amount"].to_list()


def test_redact_table_key_from_the_environment_and_a_summary_table(
    table: Path, policy: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.csv"
    env_key = "A" * 86 + "=="  # base64 of 64 bytes

    result = invoke(
        "redact-table",
        str(table),
        "--policy",
        str(policy),
        "--out",
        str(out),
        env={"TUTELA_DEID_KEY": env_key},
    )

    assert result.exit_code == 0, result.stderr
    assert f"{ROWS} row(s) written to {out}" in result.stdout
    assert "pseudonymize" in result.stdout


def test_redact_table_without_a_key_refuses_before_writing(
    table: Path, policy: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.csv"

    result = invoke("redact-table", str(table), "--policy", str(policy), "--out", str(out))

    assert result.exit_code == 2
    assert "needs a key" in result.stderr
    assert not out.exists()


def test_redact_table_names_an_unknown_policy_column(
    table: Path, key: Path, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("columns:\n  e_mail: {operator: redact}\n")
    out = tmp_path / "out.csv"

    result = invoke(
        "redact-table",
        str(table),
        "--policy",
        str(policy),
        "--key-file",
        str(key),
        "--out",
        str(out),
    )

    assert result.exit_code == 2
    assert f"{table}: the policy names column 'e_mail', which is not in the table" in (
        " ".join(result.stderr.split())
    )
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("out", ".out"))) == []


def test_a_malformed_table_exits_2_from_the_entry_point(tmp_path: Path, canary: PiiCanary) -> None:
    secret = canary.customer(99)["email"]
    path = tmp_path / "bad.csv"
    path.write_text(f"id,email\n1,a@shop.example\n2,{secret},extra\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUTELA_")}

    done = subprocess.run(
        [sys.executable, "-m", "tutela", "scan-table", str(path), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )

    assert done.returncode == 2
    error = json.loads(done.stdout.strip().splitlines()[-1])["error"]
    assert error["message"] == f"{path}, line 3: 3 fields where the header has 2"
    assert not canary.leaks([done.stdout, done.stderr])
