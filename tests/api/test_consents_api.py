"""The consent endpoints, on SQLite and PostgreSQL: the banner's configuration, choices of new
visitors and known subjects, Global Privacy Control, the public collector key and its limits,
refusals that write nothing, stale consents, receipts and their public verification; and a
withdrawal answered by one worker of a real two-worker server applying to every next read.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
import sqlalchemy as sa
from api_support import Key, assert_problem, entries_after, last_seq
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient
from test_server_concurrency import Server

from tutela import Settings, Tutela
from tutela.api import create_app
from tutela.consent import receipts as receipt_format
from tutela.testing import PiiCanary

WEB_FORM = {"method": "web_form"}
GPC = {"Sec-GPC": "1"}


def _ledger(tutela: Tutela) -> list[dict[str, Any]]:
    with tutela.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM consent_event ORDER BY seq")).mappings()
        return [dict(r) for r in rows]


def _events(tutela: Tutela, sid: str) -> list[tuple[str, str, str]]:
    return [(e.purpose, e.action, e.method) for e in tutela.consents.history(sid)]


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _choose(
    client: TestClient, key: Key, choices: dict[str, bool], sid: str | None = None, **extra: Any
) -> httpx2.Response:
    headers = {**key.headers, **extra.pop("headers", {})}
    body = {"choices": choices, **WEB_FORM, **extra}
    url = f"/v1/subjects/{sid}/consents" if sid else "/v1/consents"
    answer: httpx2.Response = client.post(url, json=body, headers=headers)
    return answer


# -- the banner's configuration ----------------------------------------------------------------


def test_config_offers_the_purposes_a_customer_can_choose(
    client: TestClient, tutela: Tutela, keys: dict[str, Key]
) -> None:
    answer = client.get("/v1/consents/config", headers=keys["collector"].headers)
    assert answer.status_code == 200
    config = answer.json()
    assert config["notice_version"] == tutela.consents.notice_version
    assert config["controller"]["name"] == tutela.datamap.controller.name
    offers = {p["name"]: p for p in config["purposes"]}
    assert set(offers) == {"newsletter", "analytics", "personalised_ads"}
    assert offers["personalised_ads"]["sale_or_share"] is True
    assert {p["basis"] for p in offers.values()} == {"consent"}
    assert all(p["categories"] and not p["active_by_default"] for p in offers.values())
    assert config["gpc"] is False
    signalled = client.get("/v1/consents/config", headers={**keys["collector"].headers, **GPC})
    assert signalled.json()["gpc"] is True


# -- recording ---------------------------------------------------------------------------------


def test_a_new_visitor_gets_a_subject_with_no_values_and_a_receipt_per_choice(
    client: TestClient, tutela: Tutela, keys: dict[str, Key]
) -> None:
    answer = _choose(client, keys["collector"], {"newsletter": True, "analytics": False})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    sid = body["subject_id"]
    assert body["gpc_honoured"] is False
    assert body["notice_version"] == tutela.consents.notice_version
    assert [(r["purposes"][0]["purpose"], r["action"]) for r in body["receipts"]] == [
        ("newsletter", "grant"),
        ("analytics", "withdraw"),
    ]
    assert {r["collector"] for r in body["receipts"]} == {keys["collector"].id}
    assert _events(tutela, sid) == [
        ("newsletter", "grant", "web_form"),
        ("analytics", "withdraw", "web_form"),
    ]
    with tutela.unit_of_work() as uow:
        assert tutela.vault.held_fields(uow, sid) == frozenset()
    staff = keys["support"].headers
    history = client.get(f"/v1/subjects/{sid}/consents/history", headers=staff).json()
    assert [e["receipt_id"] for e in history["events"]] == [
        r["receipt_id"] for r in body["receipts"]
    ]
    stored = client.get(f"/v1/subjects/{sid}/consents/receipts", headers=staff).json()
    assert stored == body["receipts"]


def test_a_withdrawal_through_the_api_denies_the_next_read_through_the_api(
    client: TestClient, tutela: Tutela, keys: dict[str, Key], canary: PiiCanary
) -> None:
    sid = tutela.add({**canary.customer(), "marketing_preferences": ["post"]})
    read = f"/v1/subjects/{sid}"
    marketing = {"params": {"purpose": "newsletter"}, "headers": keys["marketing"].headers}
    assert _choose(client, keys["support"], {"newsletter": True}, sid).status_code == 200
    assert client.get(read, **marketing).status_code == 200
    withdrawn = _choose(client, keys["support"], {"newsletter": False}, sid)
    assert withdrawn.json()["erased_fields"] == ["marketing_preferences"]
    body = assert_problem(client.get(read, **marketing), 403)
    assert body["type"] == "urn:tutela:problem:consent-not-active"
    states = client.get(f"/v1/subjects/{sid}/consents", headers=keys["support"].headers).json()
    (newsletter,) = [p for p in states["purposes"] if p["purpose"] == "newsletter"]
    assert newsletter["active"] is False
    assert newsletter["last"]["action"] == "withdraw"
    assert canary.leaks([withdrawn.text, json.dumps(states)]) == []


# -- Global Privacy Control --------------------------------------------------------------------


def test_gpc_withdraws_every_sold_or_shared_purpose_whatever_the_choice(
    client: TestClient, tutela: Tutela, keys: dict[str, Key]
) -> None:
    answer = _choose(
        client,
        keys["collector"],
        {"newsletter": True, "personalised_ads": True},
        headers=GPC,
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["gpc_honoured"] is True
    assert _events(tutela, body["subject_id"]) == [
        ("newsletter", "grant", "web_form"),
        ("personalised_ads", "withdraw", "gpc_signal"),
    ]
    (signal,) = [r for r in body["receipts"] if r["method"] == "gpc_signal"]
    assert tutela.consents.verify(signal).valid
    states = {s.purpose: s.active for s in tutela.consents.status(body["subject_id"])}
    assert (states["newsletter"], states["personalised_ads"]) == (True, False)


def test_a_gpc_signal_alone_is_a_complete_request(
    client: TestClient, tutela: Tutela, keys: dict[str, Key]
) -> None:
    answer = _choose(client, keys["collector"], {}, headers=GPC)
    assert answer.status_code == 201, answer.text
    assert _events(tutela, answer.json()["subject_id"]) == [
        ("personalised_ads", "withdraw", "gpc_signal")
    ]


def test_a_repeated_gpc_signal_adds_no_duplicate_event(
    client: TestClient, tutela: Tutela, keys: dict[str, Key]
) -> None:
    first = _choose(client, keys["collector"], {"newsletter": True}, headers=GPC).json()
    sid, proof = first["subject_id"], first["receipts"][0]["receipt_id"]
    again = _choose(client, keys["collector"], {"analytics": True}, sid, proof=proof, headers=GPC)
    assert again.status_code == 200, again.text
    assert again.json()["gpc_honoured"] is True
    assert [(r["purposes"][0]["purpose"], r["method"]) for r in again.json()["receipts"]] == [
        ("analytics", "web_form")
    ]
    staff = _choose(client, keys["support"], {"analytics": False}, sid, headers=GPC)
    assert staff.json()["gpc_honoured"] is True
    assert [e for e in _events(tutela, sid) if e[2] == "gpc_signal"] == [
        ("personalised_ads", "withdraw", "gpc_signal")
    ]


def test_a_grant_after_gpc_and_a_new_signal_records_a_new_opt_out(
    client: TestClient, tutela: Tutela, keys: dict[str, Key]
) -> None:
    """The duplicate check is against the latest event: an opt-in in between is overridden
    again by the next signal."""
    sid = _choose(client, keys["support"], {"newsletter": True}, headers=GPC).json()["subject_id"]
    assert _choose(client, keys["support"], {"personalised_ads": True}, sid).status_code == 200
    assert (
        _choose(client, keys["support"], {"newsletter": True}, sid, headers=GPC).status_code == 200
    )
    assert [e for e in _events(tutela, sid) if e[0] == "personalised_ads"] == [
        ("personalised_ads", "withdraw", "gpc_signal"),
        ("personalised_ads", "grant", "web_form"),
        ("personalised_ads", "withdraw", "gpc_signal"),
    ]


@pytest.mark.parametrize("header", [None, "0", "yes", ""])
def test_without_a_gpc_signal_the_choice_stands(
    client: TestClient, tutela: Tutela, keys: dict[str, Key], header: str | None
) -> None:
    headers = {} if header is None else {"Sec-GPC": header}
    answer = _choose(client, keys["collector"], {"personalised_ads": True}, headers=headers)
    assert answer.status_code == 201, answer.text
    assert answer.json()["gpc_honoured"] is False
    assert _events(tutela, answer.json()["subject_id"]) == [
        ("personalised_ads", "grant", "web_form")
    ]


# -- the collector key -------------------------------------------------------------------------


@pytest.fixture
def visitor(client: TestClient, keys: dict[str, Key]) -> tuple[str, str]:
    """A visitor created by the widget: (subject id, the receipt id its cookie keeps)."""
    body = _choose(client, keys["collector"], {"newsletter": True}).json()
    return body["subject_id"], body["receipts"][0]["receipt_id"]


def test_a_collector_cannot_read_consent(
    client: TestClient, tutela: Tutela, keys: dict[str, Key], visitor: tuple[str, str]
) -> None:
    sid, _ = visitor
    key = keys["collector"]
    for path in ("", "/history", "/receipts"):
        before = last_seq(tutela)
        body = assert_problem(
            client.get(f"/v1/subjects/{sid}/consents{path}", headers=key.headers), 403
        )
        assert body["type"] == "urn:tutela:problem:not-permitted"
        assert [(e.event.actor, e.event.outcome) for e in entries_after(tutela, before)] == [
            (key.id, "denied")
        ]
    assert_problem(client.get("/v1/consents/stale", headers=key.headers), 403)


def test_a_collector_changes_a_subject_only_with_one_of_its_receipt_ids(
    client: TestClient, tutela: Tutela, keys: dict[str, Key], visitor: tuple[str, str]
) -> None:
    sid, proof = visitor
    second = _choose(client, keys["collector"], {"analytics": True}).json()
    other, other_proof = second["subject_id"], second["receipts"][0]["receipt_id"]
    ledger = _ledger(tutela)
    key = keys["collector"]

    for wrong in (None, other_proof, "rcpt_" + "a" * 26):
        extra = {} if wrong is None else {"proof": wrong}
        body = assert_problem(_choose(client, key, {"newsletter": False}, sid, **extra), 403)
        assert body["type"] == "urn:tutela:problem:consent-proof-required"
    assert _ledger(tutela) == ledger

    changed = _choose(client, key, {"newsletter": False}, sid, proof=proof)
    assert changed.status_code == 200, changed.text
    assert _events(tutela, sid)[-1] == ("newsletter", "withdraw", "web_form")
    assert _events(tutela, other) == [("analytics", "grant", "web_form")]


def test_a_collector_refused_for_want_of_proof_is_audited(
    client: TestClient, tutela: Tutela, keys: dict[str, Key], visitor: tuple[str, str]
) -> None:
    sid, _ = visitor
    before = last_seq(tutela)
    assert_problem(_choose(client, keys["collector"], {"newsletter": False}, sid), 403)
    assert [
        (e.event.actor, e.event.action, e.event.outcome, e.event.subject_id)
        for e in entries_after(tutela, before)
    ] == [(keys["collector"].id, "consent.record", "denied", sid)]


@pytest.mark.parametrize(
    ("choices", "method", "kind", "named"),
    [
        ({"newsletter": True}, "staff", "consent-request-invalid", "'staff'"),
        ({"newsletter": True}, "api", "consent-request-invalid", "'api'"),
        ({"order_fulfilment": True}, "web_form", "purpose-not-withdrawable", "order_fulfilment"),
        ({"fraud_prevention": False}, "web_form", "purpose-not-withdrawable", "fraud_prevention"),
    ],
)
def test_a_collector_records_only_web_form_choices_of_choosable_purposes(
    client: TestClient,
    tutela: Tutela,
    keys: dict[str, Key],
    visitor: tuple[str, str],
    choices: dict[str, bool],
    method: str,
    kind: str,
    named: str,
) -> None:
    sid, proof = visitor
    ledger = _ledger(tutela)
    for target in (None, sid):
        extra = {"proof": proof} if target else {}
        answer = client.post(
            f"/v1/subjects/{target}/consents" if target else "/v1/consents",
            json={"choices": choices, "method": method, **extra},
            headers=keys["collector"].headers,
        )
        body = assert_problem(answer, 422)
        assert body["type"] == f"urn:tutela:problem:{kind}"
        assert named in body["detail"]
    assert _ledger(tutela) == ledger


# -- refusals write nothing --------------------------------------------------------------------

UNKNOWN = "sub_" + "a" * 26


@pytest.mark.parametrize(
    ("target", "body", "status", "kind", "named"),
    [
        ("subject", {"choices": {"telepathy": True}}, 422, "purpose-not-in-data-map", "telepathy"),
        ("subject", {"choices": {}}, 422, "consent-request-invalid", "no choice"),
        ("new", {"choices": {}}, 422, "consent-request-invalid", "no choice"),
        ("unknown", {"choices": {"newsletter": True}}, 404, "subject-not-found", None),
        ("erased", {"choices": {"newsletter": True}}, 404, "subject-not-found", None),
        (
            "subject",
            {"choices": {"newsletter": True}, "notice_version": "0123456789abcdef"},
            422,
            "consent-request-invalid",
            "never published",
        ),
        (
            "new",
            {"choices": {"newsletter": True}, "notice_version": "0123456789abcdef"},
            422,
            "consent-request-invalid",
            "never published",
        ),
        ("subject", {"choices": {"newsletter": True}, "note": "x"}, 422, "request-invalid", None),
        (
            "subject",
            {"choices": {"newsletter": True}, "method": "fax"},
            422,
            "request-invalid",
            None,
        ),
        (
            "subject",
            {"choices": {"order_fulfilment": False}},
            422,
            "purpose-not-withdrawable",
            None,
        ),
        ("subject", {"choices": ["newsletter"]}, 422, "request-invalid", None),
    ],
    ids=[
        "unknown-purpose",
        "empty-choices",
        "empty-choices-new-visitor",
        "unknown-subject",
        "erased-subject",
        "unpublished-notice",
        "unpublished-notice-new-visitor",
        "unknown-member",
        "unknown-method",
        "contract-purpose",
        "choices-not-an-object",
    ],
)
def test_a_bad_request_is_refused_and_writes_nothing(
    client: TestClient,
    tutela: Tutela,
    keys: dict[str, Key],
    canary: PiiCanary,
    target: str,
    body: dict[str, Any],
    status: int,
    kind: str,
    named: str | None,
) -> None:
    sid = tutela.add(canary.customer(0))
    erased = tutela.add(canary.customer(1))
    tutela.erase(erased)
    url = {
        "subject": f"/v1/subjects/{sid}/consents",
        "unknown": f"/v1/subjects/{UNKNOWN}/consents",
        "erased": f"/v1/subjects/{erased}/consents",
        "new": "/v1/consents",
    }[target]
    ledger, before, subjects = _ledger(tutela), last_seq(tutela), _subject_count(tutela)
    answer = client.post(url, json=body, headers=keys["admin"].headers)
    problem = assert_problem(answer, status)
    assert problem["type"] == f"urn:tutela:problem:{kind}"
    if named:
        assert named in problem["detail"]
    assert _ledger(tutela) == ledger
    assert entries_after(tutela, before) == []
    assert _subject_count(tutela) == subjects
    assert canary.leaks([answer.text]) == []


def _subject_count(tutela: Tutela) -> int:
    with tutela.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM subject")).scalar_one())


def test_an_unknown_member_is_named_by_pointer_and_its_value_never_echoed(
    client: TestClient, tutela: Tutela, keys: dict[str, Key], canary: PiiCanary
) -> None:
    record = canary.customer()
    sid = tutela.add(record)
    body = {"choices": {"newsletter": True}, "email": record["email"]}
    answer = client.post(f"/v1/subjects/{sid}/consents", json=body, headers=keys["admin"].headers)
    problem = assert_problem(answer, 422)
    assert [e["pointer"] for e in problem["errors"]] == ["/email"]
    assert canary.leaks([answer.text]) == []
    assert _ledger(tutela) == []


@pytest.mark.parametrize("value", ["yes", 1, "false"])
def test_a_choice_that_is_not_a_json_boolean_is_refused(
    client: TestClient, tutela: Tutela, keys: dict[str, Key], canary: PiiCanary, value: object
) -> None:
    sid = tutela.add(canary.customer())
    body = {"choices": {"newsletter": value}}
    answer = client.post(f"/v1/subjects/{sid}/consents", json=body, headers=keys["admin"].headers)
    assert answer.status_code == 422
    assert _ledger(tutela) == []


# -- stale consents ----------------------------------------------------------------------------


def test_stale_lists_the_consents_given_under_an_older_notice(
    tutela: Tutela,
    settings: Settings,
    database_url: str | None,
    keys: dict[str, Key],
    canary: PiiCanary,
) -> None:
    granted, withdrew = tutela.add(canary.customer(0)), tutela.add(canary.customer(1))
    tutela.consents.grant(granted, "newsletter")
    tutela.consents.grant(withdrew, "analytics")
    tutela.consents.withdraw(withdrew, "analytics")
    old = tutela.consents.notice_version
    path = settings.datamap_file
    path.write_text(path.read_text("utf-8").replace("in aggregate", "in aggregate only"))
    reopened_settings = Settings.load(settings.home, environ={}, database_url=database_url)
    with (
        Tutela.open(settings=reopened_settings) as reopened,
        TestClient(create_app(reopened_settings, vault=reopened)) as client,
    ):
        headers = keys["support"].headers
        stale = client.get("/v1/consents/stale", headers=headers).json()
        assert stale == {
            "notice_version": reopened.consents.notice_version,
            "stale": [{"subject_id": granted, "purpose": "newsletter", "notice_version": old}],
        }
        assert stale["notice_version"] != old
        status = client.get(f"/v1/subjects/{granted}/consents", headers=headers).json()
        assert [p["stale"] for p in status["purposes"] if p["purpose"] == "newsletter"] == [True]
        config = client.get("/v1/consents/config", headers=headers).json()
        assert config["notice_version"] == stale["notice_version"]
        regrant = client.post(
            f"/v1/subjects/{granted}/consents",
            json={"choices": {"newsletter": True}, "notice_version": config["notice_version"]},
            headers=headers,
        )
        assert regrant.status_code == 200, regrant.text
        assert client.get("/v1/consents/stale", headers=headers).json()["stale"] == []


# -- receipts: public key and verification -----------------------------------------------------


def test_the_public_key_is_published_without_a_key_and_verifies_receipts(
    client: TestClient, tutela: Tutela, keys: dict[str, Key]
) -> None:
    receipt = _choose(client, keys["collector"], {"newsletter": True}).json()["receipts"][0]
    published = client.get("/v1/consents/public-key")
    assert published.status_code == 200
    key = published.json()
    assert key == tutela.consents.public_key()
    assert key["kid"] == receipt["signature"]["kid"]
    Ed25519PublicKey.from_public_bytes(_unb64url(key["public_key"])).verify(
        _unb64url(receipt["signature"]["value"]), receipt_format.canonical(receipt)
    )


def test_verify_is_public_and_fails_any_changed_receipt(
    client: TestClient, keys: dict[str, Key]
) -> None:
    receipt = _choose(client, keys["collector"], {"analytics": True}).json()["receipts"][0]
    genuine = client.post("/v1/consents:verify", json=receipt)
    assert genuine.status_code == 200
    assert genuine.json() == {
        "valid": True,
        "reason": "signature valid",
        "receipt_id": receipt["receipt_id"],
        "kid": receipt["signature"]["kid"],
    }
    spoilt = {
        "changed purpose": {**receipt, "purposes": [{**receipt["purposes"][0], "purpose": "x"}]},
        "changed action": {**receipt, "action": "withdraw"},
        "changed timestamp": {**receipt, "timestamp": receipt["timestamp"].replace(":", ";", 1)},
        "no signature": {k: v for k, v in receipt.items() if k != "signature"},
        "unknown kid": {**receipt, "signature": {**receipt["signature"], "kid": "f" * 16}},
        "garbage base64": {**receipt, "signature": {**receipt["signature"], "value": "!!!!"}},
    }
    for name, document in spoilt.items():
        answer = client.post("/v1/consents:verify", json=document)
        assert answer.status_code == 200, name
        assert answer.json()["valid"] is False, name


def test_verify_refuses_a_body_that_is_not_a_json_object(client: TestClient) -> None:
    for content in (b"[1, 2]", b"not json", b'"receipt"'):
        answer = client.post(
            "/v1/consents:verify", content=content, headers={"Content-Type": "application/json"}
        )
        assert_problem(answer, 422)


def test_evidence_is_a_keyed_hash_of_the_request_never_its_user_agent(
    client: TestClient, tutela: Tutela, keys: dict[str, Key], canary: PiiCanary
) -> None:
    agent = f"Mozilla/5.0 (CanaryOS {canary.token}) Gecko/20100101"
    canary.values.append(agent)
    headers = {"User-Agent": agent}
    first = _choose(client, keys["collector"], {"newsletter": True}, headers=headers).json()
    second = _choose(client, keys["collector"], {"analytics": True}, headers=headers).json()
    other = _choose(client, keys["collector"], {"analytics": True}).json()
    evidence = first["receipts"][0]["evidence"]
    assert len(bytes.fromhex(evidence)) == 16
    assert second["receipts"][0]["evidence"] == evidence
    assert other["receipts"][0]["evidence"] != evidence
    rows = _ledger(tutela)
    assert bytes(rows[0]["evidence"]).hex() == evidence
    texts = [json.dumps(first), json.dumps(second), repr(rows)]
    texts += [repr(e) for e in tutela.audit_entries()]
    assert canary.leaks(texts) == []
    assert "CanaryOS" not in "".join(texts)


# -- a real server with two workers ------------------------------------------------------------


@pytest.fixture
def served(
    tutela: Tutela, settings: Settings, database_url: str | None, tmp_path: Path
) -> Iterator[tuple[Server, dict[str, str]]]:
    """`tutela serve --workers 2` over the test's home, with a support and a marketing key
    (the server of tests/api/test_server_concurrency.py)."""
    keys = {
        role: tutela.create_api_key(name=f"served-{role}", role=role)[1]
        for role in ("support", "marketing")
    }
    tutela.close()
    server = Server(settings.home, database_url, tmp_path / "logs")
    server.start()
    try:
        server.wait_ready()
        yield server, keys
    finally:
        server.kill()


@pytest.mark.slow
def test_a_withdrawal_through_one_worker_denies_the_next_read_on_every_worker(
    served: tuple[Server, dict[str, str]], canary: PiiCanary
) -> None:
    """Each request on a fresh connection, so either worker may answer: after the withdrawal
    no read succeeds, and after a new grant every read does."""
    server, keys = served
    support = {"Authorization": f"Bearer {keys['support']}"}
    marketing = {"Authorization": f"Bearer {keys['marketing']}"}
    base = server.base_url

    def fresh(method: str, path: str, **kwargs: Any) -> httpx2.Response:
        with httpx2.Client(base_url=base, timeout=20) as one_off:
            return one_off.request(method, path, **kwargs)

    created = fresh("POST", "/v1/subjects", json=canary.customer(), headers=support)
    assert created.status_code == 201, created.text
    sid = created.json()["id"]

    def choose(granted: bool) -> None:
        answer = fresh(
            "POST",
            f"/v1/subjects/{sid}/consents",
            json={"choices": {"newsletter": granted}},
            headers=support,
        )
        assert answer.status_code == 200, answer.text

    def reads(count: int) -> list[httpx2.Response]:
        read = {"params": {"purpose": "newsletter"}, "headers": marketing}
        return [fresh("GET", f"/v1/subjects/{sid}", **read) for _ in range(count)]

    choose(True)
    assert {r.status_code for r in reads(6)} == {200}
    choose(False)
    refused = reads(12)
    assert {r.status_code for r in refused} == {403}
    assert {r.json()["type"] for r in refused} == {"urn:tutela:problem:consent-not-active"}
    choose(True)
    assert {r.status_code for r in reads(6)} == {200}

    assert server.stop() == 0
    stderr = server.stderr()
    assert len(server.worker_pids()) == 2, stderr
    assert "Traceback" not in stderr
    assert canary.leaks([stderr, server.stdout()]) == []
