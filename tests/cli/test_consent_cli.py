"""`tutela consent …` run for real as a subprocess, on SQLite and PostgreSQL: grant, withdraw,
status, history, stale and verify; a withdrawal made by one OS process applies to the very
next read of another that is already running. Every call's output is checked for canaries.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from test_cli import Cli, error_line, parallel

from tutela import Settings, Tutela, errors
from tutela.testing import PiiCanary


@pytest.fixture
def home(tmp_path: Path, database_url: str | None, canary: PiiCanary) -> Cli:
    """A runner for a home created in-process, on the test's backend."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUTELA_")}
    if database_url is not None:
        env["TUTELA_DATABASE_URL"] = database_url
    runner = Cli(tmp_path / "home", canary, env, database_url)
    Tutela.init(settings=_settings(runner)).close()
    return runner


def _settings(cli: Cli) -> Settings:
    return Settings.load(cli.home, environ={}, database_url=cli.database_url)


def _customer(canary: PiiCanary, n: int = 0) -> dict[str, Any]:
    return {**canary.customer(n), "marketing_preferences": ["sms"]}


def test_grant_status_withdraw_and_history(home: Cli, canary: PiiCanary) -> None:
    (sid,) = home.seed(_customer(canary))
    granted = home.json("consent", "grant", sid, "newsletter")
    receipt = granted["receipt"]
    assert granted["subject_id"] == receipt["subject_id"] == sid
    assert (receipt["action"], receipt["method"]) == ("grant", "staff")
    assert receipt["collector"].startswith("cli:")
    assert granted["erased_fields"] == []

    status = home.json("consent", "status", sid)
    states = {p["purpose"]: p for p in status["purposes"]}
    assert set(states) == {"fraud_prevention", "newsletter", "analytics", "personalised_ads"}
    assert states["newsletter"]["active"] and not states["newsletter"]["stale"]
    assert states["newsletter"]["last"]["receipt_id"] == receipt["receipt_id"]
    assert not states["analytics"]["active"]

    withdrawn = home.ok("consent", "withdraw", sid, "newsletter", "--method", "api").stdout
    assert "newsletter: consent withdrawn (receipt rcpt_" in withdrawn
    assert "erased fields no other purpose needs: marketing_preferences" in withdrawn

    history = home.json("consent", "history", sid)
    assert [(e["action"], e["method"]) for e in history["events"]] == [
        ("grant", "staff"),
        ("withdraw", "api"),
    ]
    assert history["events"][0]["receipt_id"] == receipt["receipt_id"]
    for event in history["events"]:
        assert event["notice_version"] == status["notice_version"]
        assert len(event["datamap_version"]) == 16


def test_verify_exits_0_for_a_genuine_receipt_and_1_for_any_change(
    home: Cli, canary: PiiCanary, tmp_path: Path
) -> None:
    (sid,) = home.seed(canary.customer())
    with Tutela.open(settings=_settings(home)) as tutela:
        receipt = tutela.consents.grant(sid, "analytics")
    files = {
        "genuine": receipt,
        "changed-action": {**receipt, "action": "withdraw"},
        "no-signature": {k: v for k, v in receipt.items() if k != "signature"},
        "unknown-kid": {**receipt, "signature": {**receipt["signature"], "kid": "0" * 16}},
        "garbage-base64": {**receipt, "signature": {**receipt["signature"], "value": "%%%"}},
    }
    paths = {}
    for name, document in files.items():
        paths[name] = tmp_path / f"{name}.json"
        paths[name].write_text(json.dumps(document, indent=2))
    paths["not-json"] = tmp_path / "not-json.json"
    paths["not-json"].write_text("{ this is not json")

    def verify(name: str) -> Any:
        as_json = () if name == "changed-action" else ("--json",)
        return home("consent", "verify", str(paths[name]), *as_json)

    names = list(paths)
    results = dict(zip(names, parallel(*(lambda n=n: verify(n) for n in names)), strict=True))
    assert results["genuine"].returncode == 0, results["genuine"].stderr
    assert json.loads(results["genuine"].stdout) == {
        "valid": True,
        "reason": "signature valid",
        "receipt_id": receipt["receipt_id"],
    }
    assert results["changed-action"].returncode == 1
    assert "the signature does not match the receipt" in results["changed-action"].stdout
    for name, reason in {
        "no-signature": "the receipt carries no Ed25519 signature",
        "unknown-kid": "the receipt was signed with an unknown key",
        "garbage-base64": None,  # "not base64url" or "does not match", as it decodes
    }.items():
        assert results[name].returncode == 1, name
        answer = json.loads(results[name].stdout)
        assert (answer["valid"], answer["receipt_id"]) == (False, receipt["receipt_id"])
        assert reason is None or answer["reason"] == reason
    assert results["not-json"].returncode == 1
    assert "not readable JSON" in error_line(results["not-json"])


def test_a_withdrawal_by_another_process_denies_the_next_read_here(
    home: Cli, canary: PiiCanary
) -> None:
    """A running instance (think: an API worker) and a `tutela consent withdraw` run by an
    operator: the running instance's next read is refused, with no restart."""
    record = canary.customer()
    with Tutela.open(settings=_settings(home)) as running:
        sid = running.add(record)
        running.consents.grant(sid, "newsletter")
        assert running.read(sid, ["email"], purpose="newsletter", role="marketing") == {
            "email": record["email"]
        }
        home.ok("consent", "withdraw", sid, "newsletter")
        with pytest.raises(errors.ConsentNotActive):
            running.read(sid, ["email"], purpose="newsletter", role="marketing")
        home.ok("consent", "grant", sid, "newsletter")
        assert running.read(sid, ["email"], purpose="newsletter", role="marketing")


def test_a_withdrawal_here_denies_the_next_read_by_another_process(
    home: Cli, canary: PiiCanary
) -> None:
    # marketing_preferences: the one value here that is not a canary (output is checked).
    read = ("--purpose", "newsletter", "--role", "marketing", "--fields", "marketing_preferences")
    with Tutela.open(settings=_settings(home)) as running:
        sid = running.add(_customer(canary))
        running.consents.grant(sid, "newsletter")
        assert home.json("subject", "get", sid, *read)["values"] == {
            "marketing_preferences": ["sms"]
        }
        running.consents.withdraw(sid, "newsletter")
        refused = home("subject", "get", sid, *read)
        assert refused.returncode == 1
        assert "no active consent for purpose 'newsletter'" in error_line(refused)
        entry = list(running.audit_entries())[-1].event
        assert (entry.action, entry.outcome, entry.detail) == (
            "subject.read",
            "denied",
            "ConsentNotActive",
        )
        assert entry.actor.startswith("cli:")


def test_stale_lists_exactly_the_consents_given_under_an_older_notice(
    home: Cli, canary: PiiCanary
) -> None:
    granted, withdrew = home.seed(canary.customer(0), canary.customer(1))
    with Tutela.open(settings=_settings(home)) as tutela:
        tutela.consents.record(granted, {"newsletter": True, "analytics": True})
        tutela.consents.grant(withdrew, "newsletter")
        tutela.consents.withdraw(withdrew, "newsletter")
        old = tutela.consents.notice_version
        assert tutela.consents.stale() == []

    datamap = home.home / "datamap.yaml"
    text = datamap.read_text("utf-8")
    datamap.write_text(text.replace("in aggregate", "in aggregate, never one by one"))

    stale = home.json("consent", "stale")
    assert stale["notice_version"] != old
    assert sorted(stale["stale"], key=lambda r: r["purpose"]) == [
        {"subject_id": granted, "purpose": "analytics", "notice_version": old},
        {"subject_id": granted, "purpose": "newsletter", "notice_version": old},
    ]
    home.ok("consent", "grant", granted, "analytics")
    assert home.json("consent", "stale")["stale"] == [
        {"subject_id": granted, "purpose": "newsletter", "notice_version": old}
    ]


def test_refusals_exit_1_with_one_line_and_record_nothing(home: Cli, canary: PiiCanary) -> None:
    (sid,) = home.seed(canary.customer())
    unknown = "sub_" + "a" * 26
    contract, purpose, subject, method = parallel(
        lambda: home("consent", "withdraw", sid, "order_fulfilment"),
        lambda: home("consent", "grant", sid, "telepathy"),
        lambda: home("consent", "grant", unknown, "newsletter"),
        lambda: home("consent", "grant", sid, "newsletter", "--method", "carrier_pigeon"),
    )
    assert "rests on 'contract'" in error_line(contract)
    assert "'telepathy' is not declared" in error_line(purpose)
    assert f"subject '{unknown}' not found" in error_line(subject)
    assert "unknown method 'carrier_pigeon'" in error_line(method)
    for proc in (contract, purpose, subject, method):
        assert proc.returncode == 1
    with Tutela.open(settings=_settings(home)) as tutela:
        assert tutela.consents.history(sid) == []
