"""`tutela connectors list | check`, run for real as a subprocess: the list never shows the URL's
password; check reports each connector and exits 1 when one of them fails."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from connectors_support import Store, create_customers

from tutela.testing import PiiCanary

PASSWORD = "Sekr1t-pw-42"  # trust auth ignores it: only its absence matters


def _tutela(home: Path, canary: PiiCanary, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUTELA_")}
    proc = subprocess.run(
        [sys.executable, "-m", "tutela", "connectors", *args, "--home", str(home)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert PASSWORD not in output
    assert not canary.leaks([output])
    return proc


def _write(home: Path, *entries: dict[str, Any]) -> Path:
    home.mkdir(exist_ok=True)
    blocks = []
    for entry in entries:
        lines = [f"{k} = {json.dumps(v)}" for k, v in entry.items() if v is not None]
        blocks.append("[[connectors]]\n" + "\n".join(lines))
    (home / "tutela.toml").write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return home


def _entry(store: Store, **changes: Any) -> dict[str, Any]:
    return store.spec(**changes).model_dump(mode="json", by_alias=True) | {
        "url": changes.get("url", store.url)
    }


def _with_password(url: str) -> str:
    return url.replace("postgres@", f"postgres:{PASSWORD}@", 1)


@pytest.mark.parametrize("as_json", [False, True])
def test_list_shows_each_connector_without_the_password(
    pg_store: Store, sqlite_store: Store, tmp_path: Path, canary: PiiCanary, as_json: bool
) -> None:
    assert "postgres@" in pg_store.url
    home = _write(
        tmp_path / "home",
        _entry(pg_store, name="crm", url=_with_password(pg_store.url), erase="null"),
        _entry(sqlite_store, name="shop"),
    )
    proc = _tutela(home, canary, "list", *(["--json"] if as_json else []))
    assert proc.returncode == 0, proc.stderr
    if as_json:
        crm, shop = json.loads(proc.stdout)["connectors"]
        assert crm["url"] == _with_password(pg_store.url).replace(PASSWORD, "***")
        assert (crm["name"], crm["table"], crm["identity_field"], crm["erase"]) == (
            "crm",
            f"{pg_store.schema}.customers",
            "email",
            "null",
        )
        assert (shop["name"], shop["table"], shop["url"]) == ("shop", "customers", sqlite_store.url)
    else:
        text = " ".join(proc.stdout.split())
        for expected in ("crm", "shop", "null", "delete", "email"):
            assert expected in text
        assert "***" in proc.stdout


def test_check_reports_each_connector_and_exits_1_when_one_fails(
    pg_store: Store, sqlite_store: Store, tmp_path: Path, canary: PiiCanary
) -> None:
    create_customers(pg_store, canary)
    create_customers(sqlite_store, canary)
    good = [
        _entry(pg_store, name="crm", url=_with_password(pg_store.url)),
        _entry(sqlite_store, name="shop"),
    ]
    healthy = _tutela(_write(tmp_path / "healthy", *good), canary, "check")
    assert healthy.returncode == 0, healthy.stderr
    assert [line.split() for line in healthy.stdout.splitlines()] == [
        ["ok", "crm"],
        ["ok", "shop"],
    ]

    broken = [
        *good,
        _entry(sqlite_store, name="gone", url=f"sqlite:///{tmp_path / 'none' / 'x.db'}"),
        _entry(sqlite_store, name="typo", columns=["email", "town"]),
    ]
    home = _write(tmp_path / "broken", *broken)
    proc = _tutela(home, canary, "check")
    assert proc.returncode == 1
    assert "failed  gone: unreachable" in proc.stdout
    assert "failed  typo: table or column missing: town" in proc.stdout
    assert "ok      shop" in proc.stdout
    as_json = _tutela(home, canary, "check", "--json")
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["connectors"] == [
        {"name": "crm", "ok": True, "error": None},
        {"name": "shop", "ok": True, "error": None},
        {"name": "gone", "ok": False, "error": "unreachable"},
        {"name": "typo", "ok": False, "error": "table or column missing: town"},
    ]


def test_without_connectors_both_commands_say_so(tmp_path: Path, canary: PiiCanary) -> None:
    home = tmp_path / "home"
    home.mkdir()
    for command in ("list", "check"):
        proc = _tutela(home, canary, command)
        assert proc.returncode == 0, proc.stderr
        assert "no connectors configured" in proc.stdout
