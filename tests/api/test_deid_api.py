"""`POST /v1/deid:analyze` and `POST /v1/deid:redact`: findings without values, redaction by
an inline or named policy, keyed operators with the home's key only, and the usual refusals
(401, 403 audited, 422 that never echoes the text)."""

from __future__ import annotations

from typing import Any

from api_support import Key, assert_problem, bearer, entries_after, last_seq
from fastapi.testclient import TestClient

from tutela import Tutela
from tutela.deid.keys import HOME_KEY_FILE, create_key_file
from tutela.testing import PiiCanary

ANALYZE, REDACT = "/v1/deid:analyze", "/v1/deid:redact"


def note(record: dict[str, Any]) -> str:
    return f"Please call {record['name']} back: {record['email']}, thanks."


def test_analyze_reports_types_offsets_and_scores_never_values(
    client: TestClient, keys: dict[str, Key], canary: PiiCanary
) -> None:
    record = canary.customer()
    text = note(record)
    response = client.post(ANALYZE, json={"text": text}, headers=keys["support"].headers)
    assert response.status_code == 200, response.text
    findings = response.json()["findings"]
    email = next(f for f in findings if f["entity_type"] == "EMAIL_ADDRESS")
    assert text[email["start"] : email["end"]] == record["email"]
    assert set(email) == {"entity_type", "start", "end", "score", "recognizer"}
    assert not canary.leaks([response.text])


def test_analyze_takes_a_threshold_and_a_type_filter(
    client: TestClient, keys: dict[str, Key], canary: PiiCanary
) -> None:
    text = note(canary.customer())
    headers = keys["admin"].headers
    only = client.post(ANALYZE, json={"text": text, "entities": ["PERSON"]}, headers=headers)
    assert {f["entity_type"] for f in only.json()["findings"]} <= {"PERSON"}
    none = client.post(ANALYZE, json={"text": "born 05/03/1984", "threshold": 1.0}, headers=headers)
    assert none.json()["findings"] == []


def test_redact_with_the_default_policy_replaces_every_type(
    client: TestClient, keys: dict[str, Key], canary: PiiCanary
) -> None:
    record = canary.customer()
    response = client.post(REDACT, json={"text": note(record)}, headers=keys["support"].headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "<EMAIL_ADDRESS>" in body["text"]
    assert record["email"] not in response.text
    assert body["findings"]


def test_redact_with_an_inline_policy(client: TestClient, keys: dict[str, Key]) -> None:
    policy = {"entities": {"EMAIL_ADDRESS": {"operator": "mask", "keep_last": 4}}}
    response = client.post(
        REDACT,
        json={"text": "write to ada@example.com", "policy": policy},
        headers=keys["support"].headers,
    )
    assert response.json()["text"] == "write to ***********.com"


def test_keyed_operators_use_the_home_key_and_are_refused_without_it(
    client: TestClient, keys: dict[str, Key], tutela: Tutela
) -> None:
    policy = {"recipient": "partner", "default": {"operator": "pseudonymize"}}
    body = {"text": "write to ada@example.com", "policy": policy}
    refused = assert_problem(client.post(REDACT, json=body, headers=keys["admin"].headers), 422)
    assert "default: operator 'pseudonymize' needs a key" in refused["detail"]
    assert "tutela deid-key new" in refused["detail"]

    create_key_file(tutela.settings.home / HOME_KEY_FILE)
    first = client.post(REDACT, json=body, headers=keys["admin"].headers)
    second = client.post(REDACT, json=body, headers=keys["support"].headers)
    assert first.status_code == 200, first.text
    assert first.json()["text"] == second.json()["text"]
    assert first.json()["text"].startswith("write to EMAIL_ADDRESS_")


def test_named_policies_come_from_the_home(
    client: TestClient, keys: dict[str, Key], tutela: Tutela
) -> None:
    directory = tutela.settings.home / "policies"
    directory.mkdir()
    (directory / "partner.yaml").write_text("default: {operator: redact}\n")
    headers = keys["support"].headers
    named = client.post(
        REDACT, json={"text": "x ada@example.com", "policy": "partner"}, headers=headers
    )
    assert named.json()["text"] == "x "
    missing = client.post(REDACT, json={"text": "x", "policy": "nope"}, headers=headers)
    assert "no policy named 'nope'" in assert_problem(missing, 422)["detail"]
    (directory / "default.yaml").write_text("default: {operator: replace, template: '#'}\n")
    default = client.post(REDACT, json={"text": "x ada@example.com"}, headers=headers)
    assert default.json()["text"] == "x #"


def test_an_invalid_inline_policy_is_422_naming_the_location_not_the_value(
    client: TestClient, keys: dict[str, Key], canary: PiiCanary
) -> None:
    secret = canary.customer()["email"]
    for policy, where in [
        (
            {"entities": {"PHONE_NUMBER": {"operator": "mask", "keep_last": -1}}},
            "entities.PHONE_NUMBER.keep_last",
        ),
        ({"allow": [secret * 50]}, "allow[0]"),
        ({"entities": {secret: {"operator": "keep"}}}, "entities (a name)"),
        ({"recognizers": [{"name": "x", "entity_type": "X", "regex": "a+"}]}, "recognizers"),
    ]:
        response = client.post(
            REDACT, json={"text": secret, "policy": policy}, headers=keys["support"].headers
        )
        body = assert_problem(response, 422)
        assert where in body["detail"]
        assert not canary.leaks([response.text])


def test_a_bad_body_is_422_without_echoing_it(
    client: TestClient, keys: dict[str, Key], canary: PiiCanary
) -> None:
    secret = canary.customer()["email"]
    headers = keys["support"].headers
    for body in (
        {"text": secret, "extra": secret},
        {"text": secret, "threshold": 2},
        {"text": secret, "threshold": True},
        {"text": [secret]},
        {"text": secret, "entities": [secret]},
        {"text": secret, "policy": 42},
    ):
        response = client.post(
            ANALYZE if "policy" not in body else REDACT, json=body, headers=headers
        )
        assert_problem(response, 422)
        assert not canary.leaks([response.text])


def test_without_a_key_401_and_without_the_permission_403_audited(
    client: TestClient, keys: dict[str, Key], tutela: Tutela, canary: PiiCanary
) -> None:
    body = {"text": note(canary.customer())}
    for path in (ANALYZE, REDACT):
        assert_problem(client.post(path, json=body), 401)
        assert_problem(client.post(path, json=body, headers=bearer("tk_nope")), 401)
        before = last_seq(tutela)
        denied = client.post(path, json=body, headers=keys["marketing"].headers)
        assert_problem(denied, 403)
        assert not canary.leaks([denied.text])
        [entry] = entries_after(tutela, before)
        assert (entry.event.action, entry.event.outcome, entry.event.role) == (
            f"deid.{path.rpartition(':')[2]}",
            "denied",
            "marketing",
        )


def test_allowed_calls_leave_no_audit_entry_and_no_text_in_logs(
    client: TestClient, keys: dict[str, Key], tutela: Tutela, canary: PiiCanary
) -> None:
    """The access log names the route template only; the `canary` fixture checks every log
    record for the text sent."""
    before = last_seq(tutela)
    for path in (ANALYZE, REDACT):
        response = client.post(
            path, json={"text": note(canary.customer())}, headers=keys["admin"].headers
        )
        assert response.status_code == 200
    assert entries_after(tutela, before) == []
