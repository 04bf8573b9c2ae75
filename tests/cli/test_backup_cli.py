"""`tutela backup …` and `tutela keys export|recover|retire`, run as subprocesses on SQLite and
PostgreSQL: JSON for scripts, exit 1 with a one-line reason (never a traceback) for a damaged
backup, a foreign keyring or a target holding data, and no personal value in any output."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tutela import Settings, Tutela
from tutela.testing import PiiCanary


@dataclass
class Cli:
    home: Path
    canary: PiiCanary
    env: dict[str, str]

    def __call__(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "tutela", *args, "--home", str(self.home)],
            capture_output=True,
            text=True,
            env=self.env,
            input=stdin,
            timeout=180,
            check=False,
        )
        leaks = self.canary.leaks([proc.stdout, proc.stderr])
        assert not leaks, f"canary value(s) leaked: {leaks}"
        assert "Traceback" not in proc.stderr, proc.stderr
        return proc

    def ok(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        proc = self(*args, stdin=stdin)
        assert proc.returncode == 0, proc.stderr
        return proc

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json").stdout)

    def fails(self, *args: str, stdin: str | None = None) -> str:
        proc = self(*args, stdin=stdin)
        assert proc.returncode == 1, (proc.stdout, proc.stderr)
        return " ".join(proc.stderr.split())


@pytest.fixture
def seeded(settings: Settings, canary: PiiCanary) -> list[str]:
    with Tutela.init(settings=settings) as tutela:
        return [tutela.add(canary.customer(n)) for n in range(3)]


@pytest.fixture
def cli(settings: Settings, canary: PiiCanary, seeded: list[str]) -> Cli:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(settings.home.parent), "COLUMNS": "200"}
    if settings.database_url is not None:
        env["TUTELA_DATABASE_URL"] = settings.database_url.get_secret_value()
    return Cli(settings.home, canary, env)


def test_create_list_verify_and_restore_replaying_an_erasure(
    cli: Cli, settings: Settings, seeded: list[str]
) -> None:
    made = cli.json("backup", "create")
    assert made["rows"]["subject"] == 3
    listed = cli.json("backup", "list")
    assert listed["alert"] is None
    [entry] = listed["backups"]
    assert (entry["name"], entry["status"], entry["verified_at"]) == (
        made["name"],
        "complete",
        None,
    )
    assert cli.json("backup", "verify")["ok"] is True  # the newest by default
    assert cli.json("backup", "list")["backups"][0]["verified_ok"] is True
    cli.ok("subject", "erase", seeded[0])

    refused = cli.fails("backup", "restore", made["name"])
    assert "--force" in refused
    restored = cli.json("backup", "restore", made["name"], "--force")

    assert restored["subjects_erased"] == 1
    assert restored["rows"]["subject"] == 3
    assert cli.json("audit", "verify")["ok"] is True
    with Tutela.open(settings=settings) as tutela, tutela.unit_of_work() as uow:
        assert tutela.vault.is_erased(uow, seeded[0])
        assert not tutela.vault.is_erased(uow, seeded[1])
    people = cli.ok("backup", "list").stdout
    assert made["name"] in people and "complete" in people


def test_verify_names_the_damaged_chunk_and_exits_1(cli: Cli, settings: Settings) -> None:
    made = cli.json("backup", "create")
    path = settings.resolved_backup_dir / made["name"]
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 3] ^= 0x01
    path.write_bytes(bytes(blob))

    reason = cli.fails("backup", "verify", str(path))

    assert "backup verification failed" in reason
    assert "chunk" in reason or "manifest" in reason
    assert made["name"] in reason


def test_a_foreign_keyring_fails_clearly(
    cli: Cli, settings: Settings, tmp_path: Path, canary: PiiCanary
) -> None:
    made = cli.json("backup", "create")
    other = Settings.load(tmp_path / "other", environ={}, database_url=None)
    Tutela.init(settings=other).close()
    foreign = Cli(
        other.home, canary, {**cli.env, "TUTELA_DATABASE_URL": other.resolved_database_url}
    )
    path = str(settings.resolved_backup_dir / made["name"])

    reason = foreign.fails("backup", "restore", path, "--force")

    assert "key-encryption key that sealed it is missing" in reason
    assert "verification failed" in foreign.fails("backup", "verify", path)


def test_keys_export_and_recover_from_three_of_five_shares(cli: Cli, settings: Settings) -> None:
    exported = cli.json("keys", "export", "--shares", "5", "--threshold", "3")
    shares = exported["shares"]
    assert (exported["version"], exported["threshold"], len(shares)) == (1, 3, 5)
    printed = cli.ok("keys", "export").stdout
    assert "share 5 of 5" in printed
    key = settings.key_file.read_bytes()
    settings.key_file.unlink()

    reason = cli.fails("keys", "recover", stdin="\n".join(shares[:2]) + "\n")
    assert "2 share(s) given, 3 needed" in reason
    assert not settings.key_file.exists()
    recovered = cli.json("keys", "recover", "--shares-file", _write(settings, shares[2:]))

    assert recovered == {"version": 1, "added": True}
    assert (
        json.loads(settings.key_file.read_text())["keys"]["1"]["material"]
        == json.loads(key)["keys"]["1"]["material"]
    )
    assert cli.json("audit", "verify")["ok"] is True  # the home opens with the recovered key
    text = cli.ok("keys", "recover", "--print", stdin="\n".join(shares[1:4]) + "\n").stdout
    assert text.startswith("1:")


def test_the_worker_takes_a_verified_backup_when_one_is_due(cli: Cli) -> None:
    proc = cli.ok("worker", "--once", "--interval", "60")
    lines = proc.stderr.strip().splitlines()
    assert any(" backup: tutela-" in line and "written and verified" in line for line in lines)
    again = cli.ok("worker", "--once", "--interval", "60")
    assert " backup: " not in again.stderr  # not due again for backup_interval_hours
    assert len(cli.json("backup", "list")["backups"]) == 1


def _write(settings: Settings, shares: list[str]) -> str:
    path = settings.home.parent / "shares.txt"
    path.write_text("\n".join(shares) + "\n")
    return str(path)
