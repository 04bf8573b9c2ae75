"""`tutela requests …` run for real as a subprocess (SQLite): intake with the code read from
the outbox directory, verification, listing, the emailed answer and a rejection."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from tutela import Settings, Tutela


def _run(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUTELA_")}
    env["TUTELA_MAIL_OUTBOX_DIR"] = str(home / "outbox")
    proc = subprocess.run(
        [sys.executable, "-m", "tutela", *args, "--home", str(home)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def _json(home: Path, *args: str) -> Any:
    return json.loads(_run(home, *args, "--json").stdout)


def _code(home: Path) -> str:
    latest = max((home / "outbox").glob("*-verification_code-*.eml"))
    body = message_from_bytes(latest.read_bytes(), policy=policy.default).get_body(
        preferencelist=("plain",)
    )
    found = re.search(r"\b\d{6}\b", body.get_content() if body else "")
    assert found is not None
    return found.group()


def test_an_access_request_from_intake_to_its_answer(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Tutela.init(settings=Settings.load(home, environ={})) as tutela:
        tutela.add({"email": "ada@example.com", "name": "Ada"})

    created = _json(home, "requests", "create", "--type", "access", "--email", "ada@example.com")
    assert created["status"] == "received"
    assert "ada@example.com" not in json.dumps(created)

    wrong = _run(home, "requests", "verify", created["id"], "000000", check=False)
    assert wrong.returncode == 1
    assert "verification wrong" in wrong.stderr

    verified = _json(home, "requests", "verify", created["id"], _code(home))
    assert verified["status"] == "completed"  # answered at once by a one-time link
    listed = _json(home, "requests", "list", "--status", "completed")
    assert [r["id"] for r in listed] == [created["id"]]
    answer = max((home / "outbox").glob("*-request_completed-*.eml"))
    body = message_from_bytes(answer.read_bytes(), policy=policy.default).get_body(
        preferencelist=("plain",)
    )
    assert body is not None
    assert "/privacy/download/" in body.get_content()
    nothing = _json(home, "requests", "retry", "--all")
    assert nothing == {"retried": {}}
    shown = _json(home, "requests", "show", created["id"])
    assert shown["status"] == "completed"
    assert [e["status"] for e in shown["timeline"]] == [
        "received",
        "verified",
        "in_progress",
        "completed",
    ]


def test_a_rejection_needs_a_reason_and_closes_the_request(tmp_path: Path) -> None:
    home = tmp_path / "home"
    Tutela.init(settings=Settings.load(home, environ={})).close()
    created = _json(home, "requests", "create", "--type", "erasure", "--email", "x@example.com")

    blank = _run(home, "requests", "reject", created["id"], "--reason", " ", check=False)
    assert blank.returncode == 1
    assert "reason is required" in blank.stderr

    rejected = _json(home, "requests", "reject", created["id"], "--reason", "duplicate request")
    assert rejected["status"] == "rejected"
    assert rejected["timeline"][-1]["note"] == "duplicate request"
    assert _json(home, "requests", "overdue") == []
