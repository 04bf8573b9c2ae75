"""`tutela scan | redact | reveal | deid-key new`, in process (Typer's runner) and once as a
real subprocess. Matched values never reach the output unless `--show-values` asks."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from tutela.cli import deid as deid_cli
from tutela.cli.app import app
from tutela.errors import ConfigError
from tutela.testing import PiiCanary

runner = CliRunner()
NO_KEY_ENV: dict[str, str | None] = {"TUTELA_DEID_KEY": None}
POLICY = """
recipient: partner
entities:
  EMAIL_ADDRESS: {operator: pseudonymize}
  PHONE_NUMBER: {operator: mask, keep_last: 4}
  EMPLOYEE_ID: {operator: encrypt}
deny: [{term: "Project Falcon", entity_type: PROJECT}]
recognizers:
  - {name: employee_id, entity_type: EMPLOYEE_ID, regex: "EMP-\\\\d{6}", validator: luhn}
"""


def run(*args: str, stdin: str | None = None, env: dict[str, str | None] | None = None) -> Result:
    return runner.invoke(app, list(args), input=stdin, env={**NO_KEY_ENV, **(env or {})})


def everything(result: Result) -> str:
    return result.stdout + result.stderr


@pytest.fixture
def record(canary: PiiCanary) -> dict[str, Any]:
    return canary.customer()


@pytest.fixture
def text_file(tmp_path: Path, record: dict[str, Any]) -> Path:
    path = tmp_path / "note.txt"
    path.write_text(
        f"Customer wrote from {record['email']}.\nEmployee EMP-000018 on Project Falcon.\n"
        "Nothing else here.\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY, encoding="utf-8")
    return path


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "deid.key"
    assert run("deid-key", "new", str(path)).exit_code == 0
    return path


# -- scan -------------------------------------------------------------------------------------


def test_scan_exits_1_when_something_is_found_and_0_when_not(
    text_file: Path, record: dict[str, Any], canary: PiiCanary
) -> None:
    found = run("scan", str(text_file))
    assert found.exit_code == 1, everything(found)
    assert "EMAIL_ADDRESS" in found.stdout
    assert "1 finding(s)" in found.stdout
    assert not canary.leaks([everything(found)])
    clean = run("scan", "-", stdin="Nothing personal in here.\n")
    assert clean.exit_code == 0
    assert "no personal data found" in clean.stdout


def test_scan_json_gives_offsets_scores_and_recognizers_but_no_values(
    text_file: Path, record: dict[str, Any], canary: PiiCanary
) -> None:
    result = run("scan", str(text_file), "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    text = text_file.read_text(encoding="utf-8")
    [finding] = data["findings"]
    assert set(finding) == {"entity_type", "start", "end", "score", "recognizer"}
    assert text[finding["start"] : finding["end"]] == record["email"]
    assert (finding["entity_type"], finding["recognizer"]) == ("EMAIL_ADDRESS", "email")
    assert data["counts"] == {"EMAIL_ADDRESS": 1}
    assert not canary.leaks([everything(result)])


def test_show_values_prints_them_only_when_asked(text_file: Path, record: dict[str, Any]) -> None:
    result = run("scan", str(text_file), "--json", "--show-values")
    assert json.loads(result.stdout)["findings"][0]["value"] == record["email"]
    table = run("scan", str(text_file), "--show-values")
    assert record["email"] in table.stdout


def test_threshold_and_policy_change_what_is_found(text_file: Path, policy_file: Path) -> None:
    strict = run("scan", str(text_file), "--threshold", "1.0", "--json")
    assert json.loads(strict.stdout)["findings"] == []
    assert strict.exit_code == 0
    with_policy = run("scan", str(text_file), "--policy", str(policy_file), "--json")
    types = [f["entity_type"] for f in json.loads(with_policy.stdout)["findings"]]
    assert types == ["EMAIL_ADDRESS", "EMPLOYEE_ID", "PROJECT"]
    only = run("scan", str(text_file), "--policy", str(policy_file), "-e", "PROJECT", "--json")
    assert [f["entity_type"] for f in json.loads(only.stdout)["findings"]] == ["PROJECT"]


def test_an_invalid_policy_is_exit_2_naming_the_location(tmp_path: Path, text_file: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("entities: {PHONE_NUMBER: {operator: mask, keep_last: -1}}\n")
    result = run("scan", str(text_file), "--policy", str(bad))
    assert result.exit_code == 2
    assert "entities.PHONE_NUMBER.keep_last: must be >= 0" in result.stderr


def test_scan_jsonl_answers_one_line_per_input_in_order(canary: PiiCanary) -> None:
    people = [canary.customer(n) for n in range(1, 4)]
    lines = [
        json.dumps({"id": 1, "text": f"mail {people[0]['email']}"}),
        json.dumps({"text": "nothing here"}),
        "",
        json.dumps({"text": f"{people[1]['email']} and {people[2]['email']}"}),
    ]
    result = run("scan", "--jsonl", "-", stdin="\n".join(lines) + "\n")
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [len(o["findings"]) for o in out] == [1, 0, 2]
    assert out[0]["findings"][0] == {
        "entity_type": "EMAIL_ADDRESS",
        "start": 5,
        "end": 5 + len(people[0]["email"]),
        "score": 1.0,
        "recognizer": "email",
    }
    assert not canary.leaks([everything(result)])


def test_scan_jsonl_names_a_bad_line_and_exits_2(canary: PiiCanary) -> None:
    secret = canary.customer()["email"]
    for bad in (f"{{'text': '{secret}'}}", json.dumps({"body": secret}), json.dumps([secret])):
        stdin = json.dumps({"text": "fine"}) + "\n" + bad + "\n"
        result = run("scan", "--jsonl", "-", stdin=stdin)
        assert result.exit_code == 2
        assert "line 2:" in result.stderr
        assert result.stdout.count("\n") == 1  # the good first line was answered
        assert not canary.leaks([everything(result)])


def test_large_inputs_are_read_in_blocks_with_offsets_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deid_cli, "BLOCK_CHARS", 50)
    monkeypatch.setattr(deid_cli, "PROGRESS_BYTES", 100)
    lines = [f"line {n} has nobody{n}@example.com in it\n" for n in range(40)]
    path = tmp_path / "big.txt"
    path.write_text("".join(lines), encoding="utf-8")
    result = run("scan", str(path), "--json")
    text = path.read_text(encoding="utf-8")
    found = json.loads(result.stdout)["findings"]
    assert [text[f["start"] : f["end"]] for f in found] == [
        f"nobody{n}@example.com" for n in range(40)
    ]


# -- redact, reveal, keys ---------------------------------------------------------------------


def test_redact_follows_the_policy_and_reveal_gives_encrypted_values_back(
    tmp_path: Path,
    text_file: Path,
    policy_file: Path,
    key_file: Path,
    record: dict[str, Any],
    canary: PiiCanary,
) -> None:
    out = tmp_path / "out.txt"
    result = run(
        "redact",
        str(text_file),
        "--policy",
        str(policy_file),
        "--key-file",
        str(key_file),
        "-o",
        str(out),
    )
    assert result.exit_code == 0, everything(result)
    assert "1 EMAIL_ADDRESS, 1 EMPLOYEE_ID, 1 PROJECT" in result.stderr
    redacted = out.read_text(encoding="utf-8")
    assert not canary.leaks([redacted, everything(result)])
    assert "EMP-000018" not in redacted and "Falcon" not in redacted
    assert "EMAIL_ADDRESS_" in redacted and "enc:v1:" in redacted and "<PROJECT>" in redacted
    assert redacted.endswith("Nothing else here.\n")

    again = run(
        "redact",
        "-",
        "--policy",
        str(policy_file),
        "--key-file",
        str(key_file),
        stdin=text_file.read_text(encoding="utf-8"),
    )
    assert again.stdout == redacted  # deterministic under one key

    revealed = run("reveal", str(out), "--key-file", str(key_file), "--policy", str(policy_file))
    assert revealed.exit_code == 0, everything(revealed)
    assert "EMP-000018" in revealed.stdout
    assert "1 token(s) decrypted" in revealed.stderr

    other_key = tmp_path / "other.key"
    run("deid-key", "new", str(other_key))
    refused = run("reveal", str(out), "--key-file", str(other_key), "--recipient", "partner")
    assert refused.exit_code == 1
    assert "could not be decrypted" in refused.stderr
    assert refused.stdout == redacted


def test_the_key_can_come_from_the_environment(
    text_file: Path, policy_file: Path, key_file: Path
) -> None:
    with_file = run(
        "redact", str(text_file), "--policy", str(policy_file), "--key-file", str(key_file)
    )
    env = {"TUTELA_DEID_KEY": key_file.read_text().strip()}
    with_env = run("redact", str(text_file), "--policy", str(policy_file), env=env)
    assert with_env.exit_code == 0
    assert with_env.stdout == with_file.stdout
    bad = run(
        "redact",
        str(text_file),
        "--policy",
        str(policy_file),
        env={"TUTELA_DEID_KEY": "not base64!"},
    )
    assert bad.exit_code == 2
    assert "TUTELA_DEID_KEY is not a base64" in bad.stderr
    assert "not base64!" not in everything(bad)


def test_keyed_operators_without_a_key_are_refused_before_any_output(
    tmp_path: Path, text_file: Path, policy_file: Path
) -> None:
    out = tmp_path / "out.txt"
    result = run("redact", str(text_file), "--policy", str(policy_file), "-o", str(out))
    assert result.exit_code == 2
    assert "entities.EMAIL_ADDRESS: operator 'pseudonymize' needs a key" in result.stderr
    assert "--key-file" in result.stderr
    assert not out.exists()
    assert run("reveal", str(text_file)).exit_code == 2


def test_redact_refuses_to_overwrite_its_input(text_file: Path, policy_file: Path) -> None:
    simple = text_file.with_name("simple.yaml")
    simple.write_text("default: {operator: redact}\n")
    before = text_file.read_bytes()
    result = run("redact", str(text_file), "--policy", str(simple), "-o", str(text_file))
    assert result.exit_code == 2
    assert text_file.read_bytes() == before


def test_deid_key_new_writes_a_private_key_once(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    result = run("deid-key", "new", str(path))
    assert result.exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(base64.b64decode(path.read_text())) == 64
    assert path.read_text().strip() not in result.stdout
    before = path.read_bytes()
    again = run("deid-key", "new", str(path))
    assert isinstance(again.exception, ConfigError)  # exit 1 through the CLI's error table
    assert path.read_bytes() == before


def test_a_key_file_others_can_read_is_refused(
    text_file: Path, policy_file: Path, key_file: Path
) -> None:
    os.chmod(key_file, 0o644)
    result = run(
        "redact", str(text_file), "--policy", str(policy_file), "--key-file", str(key_file)
    )
    assert result.exit_code == 2
    assert "chmod 600" in result.stderr


def test_scan_through_the_real_entry_point(text_file: Path, canary: PiiCanary) -> None:
    """`python -m tutela scan`: registered, exit code 1, no value on either stream."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUTELA_")}
    proc = subprocess.run(
        [sys.executable, "-m", "tutela", "scan", str(text_file), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["counts"] == {"EMAIL_ADDRESS": 1}
    assert not canary.leaks([proc.stdout, proc.stderr])
