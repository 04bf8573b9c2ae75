"""The data-subject request endpoints, on SQLite and PostgreSQL: public intake that answers
alike for known and unknown addresses, verification by the emailed code, the staff desk
(admin only in the example data map; refusals audited), the export, the public rate limit,
and problem bodies that never carry the email or the code.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

import httpx2
import pytest
from api_support import Key, assert_problem, entries_after, last_seq
from fastapi.testclient import TestClient

from tutela import Tutela, errors
from tutela.outreach.messages import Message
from tutela.testing import OutboxMailer, PiiCanary

CREATE = "/v1/public/requests"


def _create(client: TestClient, kind: str, email: str, **extra: Any) -> httpx2.Response:
    response: httpx2.Response = client.post(CREATE, json={"type": kind, "email": email, **extra})
    return response


def _verify(client: TestClient, request_id: str, code: str) -> httpx2.Response:
    response: httpx2.Response = client.post(
        f"/v1/public/requests/{request_id}:verify", json={"code": code}
    )
    return response


def _verified(client: TestClient, outbox: OutboxMailer, kind: str, email: str) -> str:
    """A request of `kind` for `email`, verified with the code the outbox received."""
    request_id: str = _create(client, kind, email).json()["id"]
    assert _verify(client, request_id, outbox.codes_for(email)[-1]).status_code == 200
    return request_id


def _clean(response: httpx2.Response, canary: PiiCanary, *secrets: str) -> None:
    assert not canary.leaks([response.text]), response.text
    for secret in secrets:
        assert secret not in response.text


# -- public intake and verification -------------------------------------------------------------


def test_intake_answers_alike_for_a_known_and_an_unknown_email(
    client: TestClient, tutela: Tutela, outbox: OutboxMailer, canary: PiiCanary
) -> None:
    """Same status, same keys, same message; no subject id; a code goes to both addresses
    (nothing is looked up before the requester proves they hold the address)."""
    known = canary.customer(0)
    sid = tutela.add(known)
    unknown = canary.customer(1)["email"]
    answers = [_create(client, "access", email) for email in (known["email"], unknown)]
    assert [a.status_code for a in answers] == [202, 202]
    bodies = [a.json() for a in answers]
    assert set(bodies[0]) == set(bodies[1]) == {"id", "status", "due_on", "message"}
    assert bodies[0]["message"] == bodies[1]["message"]
    assert bodies[0]["message"].startswith("If this address is known to us")
    assert [b["status"] for b in bodies] == ["received", "received"]
    assert bodies[0]["due_on"] == bodies[1]["due_on"]
    for answer in answers:
        assert sid not in answer.text
        _clean(answer, canary)
    assert len(outbox.codes_for(known["email"])) == len(outbox.codes_for(unknown)) == 1


def test_the_emailed_code_verifies_and_the_request_moves_on(
    client: TestClient, tutela: Tutela, outbox: OutboxMailer, canary: PiiCanary
) -> None:
    record = canary.customer()
    sid = tutela.add(record)
    request_id = _create(client, "access", record["email"], jurisdiction="US-CA").json()["id"]
    answer = _verify(client, request_id, outbox.codes_for(record["email"])[-1])
    assert answer.status_code == 200
    assert answer.json() == {"id": request_id, "status": "completed"}  # answered by a link
    view = tutela.requests.show(request_id)
    assert (view.subject_id, view.regime) == (sid, "ccpa")
    # a code works once: the request is no longer waiting for one
    assert_problem(_verify(client, request_id, outbox.codes_for(record["email"])[-1]), 409)


def test_a_wrong_code_is_422_naming_the_outcome_and_the_fifth_locks(
    client: TestClient, outbox: OutboxMailer, canary: PiiCanary
) -> None:
    email = canary.customer()["email"]
    request_id = _create(client, "erasure", email).json()["id"]
    code = outbox.codes_for(email)[-1]
    wrong = "000000" if code != "000000" else "111111"
    outcomes = []
    for _ in range(5):
        answer = _verify(client, request_id, wrong)
        body = assert_problem(answer, 422)
        assert body["type"] == "urn:tutela:problem:verification-failed"
        outcomes.append(body["detail"].rsplit(" ", 1)[1])
        _clean(answer, canary, code, wrong)
    assert outcomes == ["wrong"] * 4 + ["locked"]
    # locked: even the right code no longer works
    answer = _verify(client, request_id, code)
    assert assert_problem(answer, 422)["detail"].endswith("verification locked")
    _clean(answer, canary, code)


def test_intake_refuses_bad_input_without_echoing_it(client: TestClient, canary: PiiCanary) -> None:
    email = canary.customer()["email"]
    bad_email = email.replace("@", " at ")
    answer = _create(client, "access", bad_email)
    assert_problem(answer, 422)
    _clean(answer, canary, bad_email)
    answer = _create(client, "telepathy", email)
    assert_problem(answer, 422)
    _clean(answer, canary)
    assert_problem(client.post(CREATE, json={"type": "access"}), 422)
    assert_problem(_verify(client, "req_unknown", "123456"), 404)


def test_a_mail_failure_is_502_and_names_no_address(
    client: TestClient,
    tutela: Tutela,
    outbox: OutboxMailer,
    canary: PiiCanary,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(message: Message) -> None:
        raise errors.MailNotSent("the mail server refused the connection")

    monkeypatch.setattr(outbox, "send", refuse)
    email = canary.customer()["email"]
    answer = _create(client, "access", email)
    assert_problem(answer, 502)
    _clean(answer, canary)
    assert tutela.requests.listing() == []  # nothing is kept when the code cannot be sent


def test_the_public_endpoints_are_rate_limited_per_client_address(
    client_with: Callable[..., TestClient], keys: dict[str, Key], canary: PiiCanary
) -> None:
    client = client_with(api_public_rate_limit="2/minute")
    email = canary.customer()["email"]
    assert [_create(client, "access", email).status_code for _ in range(2)] == [202, 202]
    limited = _create(client, "access", email)
    body = assert_problem(limited, 429)
    assert int(limited.headers["Retry-After"]) >= 1
    assert "client address" in body["detail"]
    assert_problem(_verify(client, "req_unknown", "123456"), 429)
    _clean(limited, canary)
    # the staff desk spends the key's budget, not the address's
    assert client.get("/v1/requests", headers=keys["admin"].headers).status_code == 200


# -- the staff desk -----------------------------------------------------------------------------


def test_staff_list_show_and_overdue(
    client: TestClient, keys: dict[str, Key], outbox: OutboxMailer, canary: PiiCanary
) -> None:
    admin = keys["admin"].headers
    received = _create(client, "access", canary.customer(0)["email"]).json()["id"]
    verified = _verified(client, outbox, "access", canary.customer(1)["email"])  # no customer
    everything = client.get("/v1/requests", headers=admin)
    assert everything.status_code == 200
    assert {r["id"] for r in everything.json()["requests"]} == {received, verified}
    only = client.get("/v1/requests", params={"status": ["received", "rejected"]}, headers=admin)
    assert [r["id"] for r in only.json()["requests"]] == [received]
    assert_problem(client.get("/v1/requests", params={"status": "lost"}, headers=admin), 422)

    shown = client.get(f"/v1/requests/{verified}", headers=admin).json()
    assert shown["status"] == "completed"  # nothing held about an unknown email
    assert shown["outcome"]["subject"] is None
    assert shown["outcome"]["fields"] == []
    assert [e["status"] for e in shown["timeline"]] == [
        "received",
        "verified",
        "in_progress",
        "completed",
    ]
    soon = client.get("/v1/requests:overdue", params={"within_days": 40}, headers=admin)
    assert [r["id"] for r in soon.json()["requests"]] == [received]
    later = client.get("/v1/requests:overdue", headers=admin)
    assert later.json()["requests"] == []
    assert_problem(client.get("/v1/requests/req_unknown", headers=admin), 404)
    _clean(everything, canary)
    _clean(later, canary)


def test_staff_approve_reject_extend_complete(
    client: TestClient,
    tutela: Tutela,
    keys: dict[str, Key],
    outbox: OutboxMailer,
    canary: PiiCanary,
) -> None:
    admin = keys["admin"].headers
    erased = canary.customer(0)
    sid = tutela.add(erased)
    erasure = _verified(client, outbox, "erasure", erased["email"])
    approved = client.post(f"/v1/requests/{erasure}:approve", headers=admin)
    assert approved.status_code == 200
    assert approved.json()["status"] == "completed"
    assert approved.json()["subject_id"] == sid
    assert_problem(client.post(f"/v1/requests/{erasure}:approve", headers=admin), 409)

    fixed = canary.customer(1)
    tutela.add(fixed)
    rectification = _verified(client, outbox, "rectification", fixed["email"])
    extended = client.post(
        f"/v1/requests/{rectification}:extend", json={"reason": "complex"}, headers=admin
    )
    assert extended.status_code == 200
    assert extended.json()["extension_reason"] == "complex"
    assert extended.json()["due_on"] == extended.json()["latest_extension"]
    again = client.post(
        f"/v1/requests/{rectification}:extend", json={"reason": "more"}, headers=admin
    )
    assert_problem(again, 409)
    done = client.post(
        f"/v1/requests/{rectification}:complete", json={"note": "name corrected"}, headers=admin
    )
    assert done.status_code == 200
    assert done.json()["outcome"] == {"note": "name corrected"}

    other = _create(client, "objection", canary.customer(2)["email"]).json()["id"]
    assert_problem(
        client.post(f"/v1/requests/{other}:reject", json={"reason": " "}, headers=admin), 422
    )
    rejected = client.post(
        f"/v1/requests/{other}:reject", json={"reason": "manifestly unfounded"}, headers=admin
    )
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["outcome"] == {"reason": "manifestly unfounded"}
    assert outbox.last_to(canary.customer(2)["email"]).kind == "request_rejected"
    for answer in (approved, extended, done, rejected):
        _clean(answer, canary)


def test_a_portability_request_is_answered_by_a_one_time_link(
    client: TestClient,
    tutela: Tutela,
    keys: dict[str, Key],
    outbox: OutboxMailer,
    canary: PiiCanary,
) -> None:
    admin = keys["admin"].headers
    record = canary.customer()
    tutela.add(record)
    request_id = _verified(client, outbox, "portability", record["email"])
    shown = client.get(f"/v1/requests/{request_id}", headers=admin).json()
    assert shown["status"] == "completed"
    assert shown["outcome"]["fields"] == sorted(record)
    [token] = outbox.download_tokens_for(record["email"])
    _, zipped = tutela.requests.download(token)
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        document = json.loads(archive.read("data.json"))
    assert document["data"]["email"] == record["email"]
    # Nothing is waiting on a failed system, so there is nothing to retry.
    assert_problem(client.post(f"/v1/requests/{request_id}:retry", headers=admin), 409)


def test_lifting_a_restriction(
    client: TestClient,
    tutela: Tutela,
    keys: dict[str, Key],
    outbox: OutboxMailer,
    canary: PiiCanary,
) -> None:
    admin = keys["admin"].headers
    record = canary.customer()
    sid = tutela.add(record)
    _verified(client, outbox, "restriction", record["email"])
    read = {"purpose": "order_fulfilment"}
    assert_problem(client.get(f"/v1/subjects/{sid}", params=read, headers=admin), 403)
    lifted = client.post(f"/v1/subjects/{sid}:lift-restriction", headers=admin)
    assert lifted.status_code == 204
    assert client.get(f"/v1/subjects/{sid}", params=read, headers=admin).status_code == 200
    assert_problem(client.post("/v1/subjects/sub_unknown:lift-restriction", headers=admin), 404)


STAFF_CALLS: list[tuple[str, str, dict[str, Any] | None, str]] = [
    ("GET", "/v1/requests", None, "request.list"),
    ("GET", "/v1/requests:overdue", None, "request.list"),
    ("GET", "/v1/requests/{id}", None, "request.show"),
    ("POST", "/v1/requests/{id}:approve", None, "request.approve"),
    ("POST", "/v1/requests/{id}:reject", {"reason": "no"}, "request.reject"),
    ("POST", "/v1/requests/{id}:extend", {"reason": "busy"}, "request.extend"),
    ("POST", "/v1/requests/{id}:complete", {"note": "done"}, "request.complete"),
    ("POST", "/v1/requests/{id}:retry", None, "request.retry"),
    ("POST", "/v1/subjects/{sid}:lift-restriction", None, "request.lift_restriction"),
]


def test_a_support_key_is_refused_every_staff_call_and_each_refusal_is_audited(
    client: TestClient,
    tutela: Tutela,
    keys: dict[str, Key],
    outbox: OutboxMailer,
    canary: PiiCanary,
) -> None:
    record = canary.customer()
    sid = tutela.add(record)
    request_id = _verified(client, outbox, "erasure", record["email"])  # awaiting approval
    support = keys["support"]
    for method, path, body, action in STAFF_CALLS:
        url = path.replace("{id}", request_id).replace("{sid}", sid)
        before = last_seq(tutela)
        answer = client.request(method, url, json=body, headers=support.headers)
        assert_problem(answer, 403)
        _clean(answer, canary)
        audited = [
            (e.event.actor, e.event.action, e.event.outcome) for e in entries_after(tutela, before)
        ]
        assert audited == [(support.id, action, "denied")], (path, audited)
    assert tutela.requests.show(request_id).status.value == "awaiting_approval"
