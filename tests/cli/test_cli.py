"""The `tutela` command, run for real as a subprocess on SQLite and on PostgreSQL.

Each call is `python -m tutela …` with no TUTELA_* variable inherited from the developer's shell;
on PostgreSQL `TUTELA_DATABASE_URL` points at the test's private schema. Every call's stdout and
stderr are checked for canary values: the `canary` fixture only sees in-process output.
"""

from __future__ import annotations

import base64
import csv
import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa

import tutela
from tutela import Settings, Tutela
from tutela.core.crypto import generate_key_text
from tutela.testing import PiiCanary

EXAMPLE_DATAMAP = Path(tutela.__file__).parent / "examples" / "datamap.yaml"
SUPPORT = ("--purpose", "order_fulfilment", "--role", "support")
T = TypeVar("T")


@dataclass
class Cli:
    """Runs `tutela` against one home; fails the test if a canary value shows in its output."""

    home: Path
    canary: PiiCanary
    env: dict[str, str] = field(default_factory=dict)
    database_url: str | None = None

    def seed(self, *records: Mapping[str, Any]) -> list[str]:
        """Store customers through the SDK (in-process: no interpreter start-up to pay for)."""
        settings = Settings.load(self.home, environ={}, database_url=self.database_url)
        with Tutela.open(settings=settings) as opened:
            return [opened.add(r) for r in records]

    def __call__(
        self,
        *args: str,
        stdin: str | None = None,
        home: bool = True,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "tutela", *args]
        if home:
            command += ["--home", str(self.home)]
        proc = subprocess.run(
            command,
            input=stdin,
            capture_output=True,
            text=True,
            env={**self.env, **(env or {})},
            timeout=120,
            check=False,
        )
        leaks = self.canary.leaks([proc.stdout, proc.stderr])
        assert not leaks, f"canary value(s) leaked by 'tutela {' '.join(args)}': {leaks}"
        return proc

    def ok(self, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
        proc = self(*args, **kwargs)  # type: ignore[arg-type]
        assert proc.returncode == 0, proc.stderr
        return proc

    def json(self, *args: str, **kwargs: object) -> Any:
        return json.loads(self.ok(*args, "--json", **kwargs).stdout)


def parallel(*calls: Callable[[], T]) -> list[T]:
    """Run independent CLI calls at once: most of each is interpreter start-up."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result() for future in futures]


def error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The one-line error message on stderr (asserting there is exactly one line)."""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TUTELA_")}


@pytest.fixture
def cli(tmp_path: Path, database_url: str | None, canary: PiiCanary) -> Cli:
    """A runner for a not-yet-created home on the test's backend."""
    env = _clean_env()
    if database_url is not None:
        env["TUTELA_DATABASE_URL"] = database_url
    return Cli(tmp_path / "home", canary, env, database_url)


@pytest.fixture
def home(cli: Cli) -> Cli:
    """The runner, with its home created in-process (the `init` command has its own tests)."""
    settings = Settings.load(cli.home, environ={}, database_url=cli.database_url)
    Tutela.init(settings=settings).close()
    return cli


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))}


def test_init_creates_the_home_once_and_refuses_to_overwrite_it(cli: Cli) -> None:
    """init writes the data map, a 0600 key file and tutela.toml; a second init changes nothing."""
    data = cli.json("init")
    assert data["home"] == str(cli.home)
    assert re.fullmatch(r"[0-9a-f]{16}", data["datamap_version"])
    assert (cli.home / "datamap.yaml").read_text() == EXAMPLE_DATAMAP.read_text()
    assert stat.S_IMODE((cli.home / "keys.json").stat().st_mode) == 0o600
    assert (cli.home / "tutela.toml").is_file()
    assert stat.S_IMODE(cli.home.stat().st_mode) == 0o700
    # On PostgreSQL the subprocess honoured TUTELA_DATABASE_URL: no SQLite file in the home.
    assert (cli.home / "tutela.db").exists() == (cli.database_url is None)
    before = _snapshot(cli.home)

    again = cli("init")
    assert again.returncode == 1
    assert "already holds a Tutela home" in error_line(again)
    assert _snapshot(cli.home) == before


def test_init_with_an_invalid_datamap_leaves_nothing_behind(
    cli: Cli, tmp_path: Path, database_url: str | None
) -> None:
    """A bad map is refused before anything is created: no directory, no tables."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE_DATAMAP.read_text().replace("fields: [name, address", "fields: [fax"))
    proc = cli("init", "--datamap", str(bad))
    assert proc.returncode == 1
    assert "field 'fax' is not declared" in error_line(proc)
    assert not cli.home.exists()
    if database_url is not None:
        engine = sa.create_engine(database_url)
        try:
            assert sa.inspect(engine).get_table_names() == []
        finally:
            engine.dispose()


def test_add_get_find_update_erase(home: Cli, canary: PiiCanary, tmp_path: Path) -> None:
    """The everyday round trip: ids out, masked values for support, search, rectify, erase."""
    first, second = canary.customer(1), canary.customer(2)
    data_file = tmp_path / "second.json"
    data_file.write_text(json.dumps(second))
    added, from_file = parallel(
        lambda: home.json("subject", "add", stdin=json.dumps(first)),
        lambda: home.ok("subject", "add", "--data", str(data_file)),
    )
    sid, other = added["id"], from_file.stdout.strip()
    assert re.fullmatch(r"sub_[a-z0-9]+", sid)
    assert re.fullmatch(r"sub_[a-z0-9]+", other)
    assert other != sid

    email, phone = first["email"].upper(), second["phone"] + "\n"
    read, by_email, by_phone = parallel(
        lambda: home.json("subject", "get", sid, *SUPPORT, "--fields", "email,phone"),
        lambda: home.json("subject", "find", "--field", "email", "--value", email, *SUPPORT),
        lambda: home.json("subject", "find", "-f", "phone", "-v", "-", *SUPPORT, stdin=phone),
    )
    # Support sees email and phone masked; the leak check proves the plain values stay hidden.
    assert read == {
        "id": sid,
        "purpose": "order_fulfilment",
        "values": {
            "email": "c***@example.com",
            "phone": "*" * (len(first["phone"]) - 4) + first["phone"][-4:],
        },
    }
    assert by_email == {"field": "email", "ids": [sid]}
    assert by_phone == {"field": "phone", "ids": [other]}

    rectify = '{"name": "Renamed Person", "phone": null}'
    assert home.ok("subject", "update", sid, stdin=rectify).stdout.strip() == "updated"
    after = home.json("subject", "get", sid, *SUPPORT, "--fields", "name,phone")
    assert after["values"] == {"name": "Renamed Person"}

    assert home.ok("subject", "erase", sid).stdout.strip() == f"erased {sid}"
    gone = home("subject", "get", sid, *SUPPORT, "--fields", "email")
    assert gone.returncode == 1
    assert f"subject '{sid}' was erased" in error_line(gone)


def test_bad_input_and_denials_exit_1_with_one_safe_line(home: Cli, canary: PiiCanary) -> None:
    """Refusals name the field, role or purpose, never the value, and denials are audited."""
    [sid] = home.seed(canary.customer())
    invalid = canary.customer(1)
    invalid["email"] = invalid["name"]  # a tracked canary value that is not an email address

    bad_value, bad_json, denied, unknown, no_role = parallel(
        lambda: home("subject", "add", stdin=json.dumps(invalid)),
        lambda: home("subject", "add", stdin='{"email": '),
        lambda: home("subject", "get", sid, "-p", "order_fulfilment", "-r", "marketing", "--json"),
        lambda: home("subject", "get", sid, "--purpose", "no_such_purpose", "--role", "support"),
        lambda: home("subject", "get", sid, "--purpose", "order_fulfilment"),
    )
    assert bad_value.returncode == 1
    assert "field 'email'" in error_line(bad_value)
    assert bad_json.returncode == 1
    assert "standard input is not valid JSON" in error_line(bad_json)
    assert denied.returncode == 1
    assert "role 'marketing' may not use purpose 'order_fulfilment'" in error_line(denied)
    assert json.loads(denied.stdout)["error"]["type"] == "RoleNotAllowed"
    assert unknown.returncode == 1
    assert "purpose 'no_such_purpose' is not declared" in error_line(unknown)
    assert no_role.returncode == 2  # a usage error, not a refusal
    assert "--role" in no_role.stderr

    # --subject keeps only this subject's entries: not home.init nor the refused adds.
    entries = home.json("audit", "log", "--subject", sid)
    assert entries[0]["action"] == "subject.add"
    assert sorted((e["action"], e["outcome"], e["purpose"], e["detail"]) for e in entries[1:]) == [
        ("subject.read", "denied", "(undeclared)", "PurposeNotInDataMap"),
        ("subject.read", "denied", "order_fulfilment", "RoleNotAllowed"),
    ]


def _write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_import_is_all_or_nothing_unless_skip_invalid(
    home: Cli, canary: PiiCanary, tmp_path: Path
) -> None:
    """JSONL and CSV rows are stored; one bad row stores nothing; --skip-invalid keeps the good."""
    rows = [canary.customer(n) for n in range(1, 5)]
    jsonl = _write_jsonl(tmp_path / "good.jsonl", rows[:2])
    table = tmp_path / "good.csv"
    with table.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[2]))
        writer.writeheader()
        writer.writerows(rows[2:])
    good = canary.customer(5)
    bad_email = canary.customer(6)
    bad_email["email"] = bad_email["name"]
    mixed = _write_jsonl(
        tmp_path / "mixed.jsonl", [good, bad_email, {**canary.customer(7), "fax": "1"}]
    )

    from_jsonl, from_csv, refused = parallel(
        lambda: home.json("subject", "import", str(jsonl)),
        lambda: home.json("subject", "import", str(table)),
        lambda: home("subject", "import", str(mixed)),
    )
    assert from_jsonl == {"rows": 2, "stored": 2, "rejected": []}
    assert from_csv == {"rows": 2, "stored": 2, "rejected": []}
    assert refused.returncode == 1
    assert "row 2: field 'email'" in refused.stderr
    assert "row 3: field 'fax': is not declared" in refused.stderr
    assert "nothing stored" in refused.stderr

    proc = home("subject", "import", str(mixed), "--skip-invalid", "--json")
    assert proc.returncode == 1  # rejected rows still fail the command for scripts
    report = json.loads(proc.stdout)
    assert (report["rows"], report["stored"]) == (3, 1)
    assert [(r["row"], r["field"]) for r in report["rejected"]] == [(2, "email"), (3, "fax")]

    # Each stored customer has its add audited in the same transaction, so counting the adds
    # counts what was stored: 2 (JSONL) + 2 (CSV) + 0 (refused import) + 1 (--skip-invalid).
    adds = [e for e in home.json("audit", "log") if e["action"] == "subject.add"]
    assert len(adds) == 5


def test_keys_rotate_and_retire(home: Cli, canary: PiiCanary) -> None:
    """Rotation re-wraps under version 2 and reads still work; version 1 retires only after."""
    [sid] = home.seed(canary.customer())

    early = home("keys", "retire", "1")
    assert early.returncode == 1
    assert "run 'tutela keys rotate' first" in error_line(early)

    assert home.json("keys", "rotate") == {"kek_version": 2, "rewrapped": 1}
    assert home.json("keys", "retire", "1") == {"retired": 1}
    key_file = home.home / "keys.json"
    assert set(json.loads(key_file.read_text())["keys"]) == {"2"}
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    read = home.json("subject", "get", sid, *SUPPORT, "--fields", "email")
    assert read["values"] == {"email": "c***@example.com"}


def test_wrong_master_key_and_readable_key_file_are_refused(home: Cli, canary: PiiCanary) -> None:
    """A key that did not seal this database, or a key file others can read, stops every command;
    with the key file fixed, verify checks every entry of the log."""
    home.seed(canary.customer())
    wrong_key = generate_key_text()
    wrong, entries = parallel(
        lambda: home("audit", "verify", env={"TUTELA_MASTER_KEY": wrong_key}),
        lambda: home.json("audit", "log"),
    )
    assert wrong.returncode == 1
    assert "does not match this database" in error_line(wrong)
    assert wrong_key not in wrong.stdout + wrong.stderr

    key_file = home.home / "keys.json"
    key_file.chmod(0o644)
    proc = home("audit", "verify")
    assert proc.returncode == 1
    assert f"chmod 600 {key_file}" in error_line(proc)

    key_file.chmod(0o600)
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    assert entries[-1]["action"] == "subject.add"
    verified = home.ok("audit", "verify").stdout
    assert verified.strip() == f"audit log verified: {len(entries)} entries, chain intact"


def test_commands_that_need_no_home(tmp_path: Path, canary: PiiCanary) -> None:
    """keys generate, datamap check and --version work without a home or database."""
    cli = Cli(tmp_path / "unused", canary, _clean_env())
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE_DATAMAP.read_text().replace("retention: P13M", "retention: P2X"))
    key, as_json, valid, invalid, version = parallel(
        lambda: cli.ok("keys", "generate", home=False),
        lambda: cli.json("keys", "generate", home=False),
        lambda: cli.ok("datamap", "check", str(EXAMPLE_DATAMAP), home=False),
        lambda: cli("datamap", "check", str(bad), home=False),
        lambda: cli.ok("--version", home=False),
    )
    assert len(base64.b64decode(key.stdout.strip(), validate=True)) == 32
    assert len(base64.b64decode(as_json["key"], validate=True)) == 32
    assert as_json["key"] != key.stdout.strip()

    assert valid.stdout.strip() == f"{EXAMPLE_DATAMAP}: data map is valid"
    assert invalid.returncode == 1
    assert invalid.stderr.strip() == (
        f"{bad}: purposes.analytics.retention: is not an ISO 8601 duration such as P6Y or P90D"
    )

    assert version.stdout.strip() == f"tutela {tutela.__version__}"
    assert not (tmp_path / "unused").exists()


def test_apikey_create_list_revoke(home: Cli) -> None:
    """A key is printed once, listed without its secret, and revoked at once."""
    created = home.json("apikey", "create", "--name", "shop backend", "--role", "support")
    assert re.fullmatch(r"tk_[a-z2-7]{26}_[A-Za-z0-9_-]{43}", created["key"])
    assert created["id"].startswith("key_") and created["role"] == "support"
    timed = home.json("apikey", "create", "--name", "temp", "--role", "admin", "--expires", "90d")
    assert timed["expires_at"] is not None

    listed = home.ok("apikey", "list", "--json").stdout
    assert created["key"] not in listed and created["key"].split("_")[-1] not in listed
    statuses = {k["id"]: k["status"] for k in json.loads(listed)}
    assert statuses == {created["id"]: "active", timed["id"]: "active"}

    home.ok("apikey", "revoke", created["id"])
    statuses = {k["id"]: k["status"] for k in home.json("apikey", "list")}
    assert statuses[created["id"]] == "revoked"

    unknown_role, bad_expiry, never, forever, unknown_key = parallel(
        lambda: home("apikey", "create", "--name", "x", "--role", "nobody"),
        lambda: home("apikey", "create", "--name", "x", "--role", "admin", "--expires", "soon"),
        lambda: home("apikey", "create", "--name", "x", "--role", "admin", "--expires", "0d"),
        lambda: home("apikey", "create", "--name", "x", "--role", "admin", "--expires", "3661d"),
        lambda: home("apikey", "revoke", "key_nope"),
    )
    assert unknown_role.returncode == 1 and "'nobody'" in error_line(unknown_role)
    assert bad_expiry.returncode == 2
    for refused in (never, forever):  # 0d would have read as "never expires"
        assert refused.returncode == 1
        assert error_line(refused) == (
            "error: field 'expires': must be a positive lifetime of at most ten years"
        )
    assert unknown_key.returncode == 1 and "key_nope" in error_line(unknown_key)
    actions = [e["action"] for e in home.json("audit", "log", "--limit", "1000")]
    assert actions.count("apikey.create") == 2 and actions.count("apikey.revoke") == 1


@pytest.mark.parametrize("backend", ["postgresql"])
def test_an_unreachable_database_is_a_one_line_error(home: Cli) -> None:
    """No traceback, nothing from the driver (its text can quote statements): the kind of
    failure and what to check."""
    proc = home("audit", "verify", env={"TUTELA_DATABASE_URL": "postgresql://127.0.0.1:1/test"})
    assert proc.returncode == 1
    assert error_line(proc) == (
        "error: database error (OperationalError); is the database reachable? "
        "Set TUTELA_DEBUG=1 for details"
    )
