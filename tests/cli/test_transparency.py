"""`tutela notice` and `tutela ropa` on SQLite and PostgreSQL.

What the documents say is tested in tests/transparency; here: each command prints exactly what
the renderer makes of the home's current notice or ROPA, writes `--output` files with a status
line on stderr, and refuses what it cannot do with a clear message and exit code. Successful
runs are in-process (Typer's runner); the failures run `python -m tutela` for real, so the
exit code and message come from the entry point's error table.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tutela import Settings, Tutela
from tutela.cli.app import app
from tutela.web.render import render_notice, render_ropa


class Cli:
    """Runs `tutela … --home HOME` with no TUTELA_* variable from the developer's shell."""

    def __init__(self, home: Path, database_url: str | None) -> None:
        self.home = home
        self.database_url = database_url
        self.env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("TUTELA_")}
        if database_url is not None:
            self.env["TUTELA_DATABASE_URL"] = database_url

    def settings(self) -> Settings:
        return Settings.load(self.home, environ={}, database_url=self.database_url)

    def ok(self, *args: str) -> Result:
        """In-process; the command must succeed."""
        result = CliRunner().invoke(
            app, [*args, "--home", str(self.home)], env=self.env, catch_exceptions=False
        )
        assert result.exit_code == 0, result.stderr
        return result

    def process(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`python -m tutela` in a subprocess, through the entry point's error handling."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("TUTELA_")}
        env.update({k: v for k, v in self.env.items() if v is not None})
        return subprocess.run(
            [sys.executable, "-m", "tutela", *args, "--home", str(self.home)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )


@pytest.fixture
def cli(tmp_path: Path, database_url: str | None) -> Cli:
    runner = Cli(tmp_path / "home", database_url)
    Tutela.init(settings=runner.settings()).close()
    return runner


def test_notice_prints_each_format_of_the_current_notice(cli: Cli) -> None:
    """HTML by default; every format is what the renderer makes of the home's notice (a
    standalone page: the stylesheet embedded, nothing fetched)."""
    html = cli.ok("notice")
    with Tutela.open(settings=cli.settings()) as tutela:
        notice = tutela.privacy_notice()
    assert html.stdout == render_notice(notice, "html")
    assert "<style>" in html.stdout
    assert cli.ok("notice", "--format", "html", "--lang", "en").stdout == html.stdout
    assert cli.ok("notice", "--format", "md").stdout == render_notice(notice, "md")
    as_json = json.loads(cli.ok("notice", "-f", "json").stdout)
    assert as_json == notice.as_dict()
    assert as_json["version"] == notice.version
    assert html.stderr == ""


def test_notice_output_file_and_status_on_stderr(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "notice.md"
    result = cli.ok("notice", "--format", "md", "--output", str(target))
    assert result.stdout == ""
    with Tutela.open(settings=cli.settings()) as tutela:
        notice = tutela.privacy_notice()
    assert target.read_text("utf-8") == render_notice(notice, "md")
    assert result.stderr.strip() == f"privacy notice version {notice.version} written to {target}"


def test_a_changed_data_map_changes_the_printed_notice(cli: Cli) -> None:
    before = json.loads(cli.ok("notice", "--format", "json").stdout)
    datamap = cli.settings().datamap_file
    datamap.write_text(
        datamap.read_text("utf-8").replace(
            "Detect and prevent payment fraud", "Detect and prevent card fraud"
        ),
        "utf-8",
    )
    after = json.loads(cli.ok("notice", "--format", "json").stdout)
    assert after["version"] != before["version"]
    assert after["datamap_version"] != before["datamap_version"]
    with Tutela.open(settings=cli.settings()) as tutela:
        assert [v.version for v in tutela.notice_versions()] == [
            before["version"],
            after["version"],
        ]


def test_ropa_prints_csv_by_default_and_json_and_html(cli: Cli) -> None:
    with Tutela.open(settings=cli.settings()) as tutela:
        records = tutela.ropa()
        purposes = list(tutela.datamap.purposes)
    as_csv = cli.ok("ropa").stdout_bytes.decode("utf-8")
    assert as_csv == render_ropa(records, "csv")
    rows = list(csv.DictReader(io.StringIO(as_csv, newline="")))
    assert [r["Purpose"] for r in rows] == purposes
    assert {"Legal basis", "Retention", "Security measures"} <= set(rows[0])
    assert json.loads(cli.ok("ropa", "--format", "json").stdout) == records.as_dict()
    assert cli.ok("ropa", "--format", "html").stdout == render_ropa(records, "html")


def test_ropa_output_file(cli: Cli, tmp_path: Path) -> None:
    """The file keeps the CSV line ends and parses back, one row per purpose."""
    target = tmp_path / "ropa.csv"
    result = cli.ok("ropa", "-o", str(target))
    assert result.stdout == ""
    assert "records of processing" in result.stderr and str(target) in result.stderr
    assert b"\r\n" in target.read_bytes()
    with target.open(newline="", encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == 6


def test_notice_in_an_unsupported_language_fails_clearly(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "notice.html"
    proc = cli.process("notice", "--lang", "fr", "--output", str(target))
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.strip() == (
        "error: the privacy notice is not available in language 'fr' (supported: en)"
    )
    assert not target.exists()


def test_an_unwritable_output_fails_clearly(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "ropa.csv"
    proc = cli.process("ropa", "--output", str(target))
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip() == f"error: cannot write {target}"


def test_an_unknown_format_is_a_usage_error(cli: Cli) -> None:
    for args, bad in ((("notice", "--format", "pdf"), "pdf"), (("ropa", "-f", "xlsx"), "xlsx")):
        result = CliRunner().invoke(app, [*args, "--home", str(cli.home)], env=cli.env)
        assert result.exit_code == 2
        assert bad in result.stderr
