"""`tutela share PARTNER` and `tutela share log` run for real as subprocesses, on SQLite and
PostgreSQL: the export's files, the register, and refusals with one error line."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from test_cli import Cli, error_line

import tutela
from tutela import Settings, Tutela
from tutela.deid.keys import create_key_file
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


PARTNERS = """
partners:
  lab_a:
    purpose: analytics
    fields: [email, date_of_birth, country]
    policy:
      columns:
        email: {operator: pseudonymize}
    model:
      k: 2
      quasi_identifiers: [date_of_birth, country]
      suppression: 0.5
      hierarchies:
        date_of_birth: {date: [year, decade]}
        country: country.csv
    recipient_key: lab-a-2026
"""


@pytest.fixture
def shop(home: Cli, canary: PiiCanary) -> Cli:
    """The CLI's home with partner lab_a, a de-identification key and 8 consenting
    customers (created in-process)."""
    example = Path(tutela.__file__).parent / "examples" / "datamap.yaml"
    (home.home / "datamap.yaml").write_text(example.read_text("utf-8") + PARTNERS, "utf-8")
    (home.home / "country.csv").write_text("GB;Europe;*\nFR;Europe;*\nUS;America;*\n")
    create_key_file(home.home / "deid.key")
    settings = Settings.load(home.home, environ={}, database_url=home.database_url)
    with Tutela.open(settings=settings) as opened:
        for n in range(8):
            values = canary.customer(n)
            subject_id = opened.add(
                {
                    "email": values["email"],
                    "date_of_birth": f"19{70 + n}-05-0{1 + n}",
                    "country": ("GB", "FR", "US")[n % 3],
                }
            )
            opened.consents.grant(subject_id, "analytics")
    return home


def test_share_writes_the_export_and_the_log_lists_it(shop: Cli, tmp_path: Path) -> None:
    out = tmp_path / "export"
    result = shop.json("share", "lab_a", "--out", str(out))
    assert (result["partner"], result["purpose"], result["subjects"]) == ("lab_a", "analytics", 8)
    assert result["rows"] == 8 - result["suppressed"]
    assert sorted(p.name for p in out.iterdir()) == ["data.csv", "manifest.json", "report.html"]
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    for entry in manifest["files"]:
        assert hashlib.sha256((out / entry["name"]).read_bytes()).hexdigest() == entry["sha256"]
    assert manifest["model"]["satisfied"] == "2-anonymity"

    parquet = tmp_path / "parquet"
    text = shop.ok("share", "export", "lab_a", "--out", str(parquet), "--format", "parquet")
    assert f"written to {parquet}" in text.stdout
    assert (parquet / "data.parquet").is_file()

    log = shop.json("share", "log")["exports"]
    assert [(e["partner"], e["format"], e["subjects"]) for e in log] == [
        ("lab_a", "csv", 8),
        ("lab_a", "parquet", 8),
    ]
    assert log[0]["id"] == result["id"]
    assert (
        log[0]["manifest_sha256"]
        == hashlib.sha256((out / "manifest.json").read_bytes()).hexdigest()
    )
    assert "lab_a" in shop.ok("share", "log").stdout


def test_share_refuses_an_unknown_partner_and_a_used_directory(shop: Cli, tmp_path: Path) -> None:
    unknown = shop("share", "nobody", "--out", str(tmp_path / "x"))
    assert unknown.returncode == 1
    assert error_line(unknown) == "error: partner 'nobody' is not declared in the data map"

    used = tmp_path / "used"
    used.mkdir()
    (used / "keep.txt").write_text("x")
    refused = shop("share", "lab_a", "--out", str(used))
    assert refused.returncode == 1
    assert "the directory is not empty" in error_line(refused)
    assert shop.json("share", "log")["exports"] == []
