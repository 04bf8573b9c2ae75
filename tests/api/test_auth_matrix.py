"""Who may call what: every operation of the app's OpenAPI against every kind of credential
and every role of the example data map, on SQLite and PostgreSQL.

The expectation table is explicit (not derived from the data map), and the operations are
enumerated from `app.openapi()`: a route added without a row here fails these tests.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx2
import pytest
from api_support import ROLES, Key, assert_problem, bearer, entries_after, issue, last_seq
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tutela import Tutela
from tutela.testing import OutboxMailer, PiiCanary

WRITERS = frozenset({"support", "admin"})
ADMIN = frozenset({"admin"})
ANY_ROLE = frozenset(ROLES)
# consents.read and consents.write: support and admin; consents.collect: the public widget key.
CONSENT_STAFF = frozenset({"support", "admin"})
COLLECTING = frozenset({"support", "admin", "collector"})


@dataclass(frozen=True)
class Expect:
    """`allowed`: roles that succeed (None: public, no key needed); `ok`: their status;
    `action`: what the audit log records for the call, allowed or denied (None: nothing);
    `denied`: what it records for a refusal, when that differs from `action` (recording
    consent is refused as `consent.record` before it is known to be a grant or withdrawal)."""

    allowed: frozenset[str] | None
    ok: int
    action: str | None
    denied: str | None = None


EXPECTED: dict[tuple[str, str], Expect] = {
    ("POST", "/v1/subjects"): Expect(WRITERS, 201, "subject.add"),
    ("POST", "/v1/subjects:import"): Expect(WRITERS, 200, "subject.add"),
    ("PATCH", "/v1/subjects/{subject_id}"): Expect(WRITERS, 200, "subject.update"),
    ("DELETE", "/v1/subjects/{subject_id}"): Expect(ADMIN, 204, "subject.erase"),
    # read and find for purpose order_fulfilment: its roles are support and admin
    ("GET", "/v1/subjects/{subject_id}"): Expect(WRITERS, 200, "subject.read"),
    ("POST", "/v1/subjects:find"): Expect(WRITERS, 200, "subject.find"),
    ("GET", "/v1/datamap"): Expect(ANY_ROLE, 200, None),
    ("GET", "/v1/audit"): Expect(ADMIN, 200, "audit.read"),
    ("POST", "/v1/audit:verify"): Expect(ADMIN, 200, "audit.verify"),
    ("POST", "/v1/keys:rotate"): Expect(ADMIN, 200, "keys.rotate"),
    ("GET", "/v1/consents/config"): Expect(ANY_ROLE, 200, None),
    # a new visitor choosing the newsletter; the subject's own route by staff (a collector
    # needs proof: see KNOWN_SRC_BUGS)
    ("POST", "/v1/consents"): Expect(COLLECTING, 201, "consent.grant", "consent.record"),
    ("POST", "/v1/subjects/{subject_id}/consents"): Expect(
        CONSENT_STAFF, 200, "consent.grant", "consent.record"
    ),
    ("GET", "/v1/subjects/{subject_id}/consents"): Expect(CONSENT_STAFF, 200, "consent.status"),
    ("GET", "/v1/subjects/{subject_id}/consents/history"): Expect(
        CONSENT_STAFF, 200, "consent.history"
    ),
    ("GET", "/v1/subjects/{subject_id}/consents/receipts"): Expect(
        CONSENT_STAFF, 200, "consent.receipts"
    ),
    ("GET", "/v1/consents/stale"): Expect(CONSENT_STAFF, 200, "consent.stale"),
    ("GET", "/v1/consents/public-key"): Expect(None, 200, None),
    ("POST", "/v1/consents:verify"): Expect(None, 200, None),
    # data-subject requests: requests.manage (admin only in the example data map); reads
    # audit only a refusal; each step audits the status it leads to (an extension records the
    # status the request stays in)
    ("GET", "/v1/requests"): Expect(ADMIN, 200, None, "request.list"),
    ("GET", "/v1/requests:overdue"): Expect(ADMIN, 200, None, "request.list"),
    ("GET", "/v1/requests/{request_id}"): Expect(ADMIN, 200, None, "request.show"),
    ("POST", "/v1/requests/{request_id}:approve"): Expect(
        ADMIN, 200, "request.in_progress", "request.approve"
    ),
    ("POST", "/v1/requests/{request_id}:reject"): Expect(
        ADMIN, 200, "request.rejected", "request.reject"
    ),
    ("POST", "/v1/requests/{request_id}:extend"): Expect(
        ADMIN, 200, "request.received", "request.extend"
    ),
    ("POST", "/v1/requests/{request_id}:complete"): Expect(
        ADMIN, 200, "request.completed", "request.complete"
    ),
    # nothing waits on a failed connected system here: allowed, then refused as 409
    ("POST", "/v1/requests/{request_id}:retry"): Expect(ADMIN, 409, None, "request.retry"),
    ("POST", "/v1/subjects/{subject_id}:lift-restriction"): Expect(
        ADMIN, 204, "subject.unrestrict", "request.lift_restriction"
    ),
    # the public intake: no key, the audit names the `public` actor
    ("POST", "/v1/public/requests"): Expect(None, 202, "request.received"),
    ("POST", "/v1/public/requests/{request_id}:verify"): Expect(None, 200, "request.verified"),
    # de-identification (deid.use: support and admin): the matrix sends no body, so an
    # allowed call ends in 422; a use is not audited, a refusal is
    ("POST", "/v1/deid:analyze"): Expect(
        frozenset({"support", "admin"}), 422, None, "deid.analyze"
    ),
    ("POST", "/v1/deid:redact"): Expect(frozenset({"support", "admin"}), 422, None, "deid.redact"),
    ("GET", "/privacy/notice"): Expect(None, 200, None),
    ("GET", "/healthz"): Expect(None, 200, None),
    ("GET", "/readyz"): Expect(None, 200, None),
}


def operations(app: FastAPI) -> list[tuple[str, str]]:
    return [
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]


class Caller:
    """Sends one well-formed request per operation: a fresh subject for subject routes, canary
    values in every body (so any echo into logs or audit rows fails the test)."""

    def __init__(
        self, client: TestClient, tutela: Tutela, canary: PiiCanary, outbox: OutboxMailer
    ) -> None:
        self.client, self.tutela, self.canary, self.outbox = client, tutela, canary, outbox
        self._n = itertools.count()

    def request(self, path: str, email: str) -> str:
        """A data-subject request of the customer's email, in the status the step needs."""
        kind = {":approve": "erasure", ":complete": "rectification", ":retry": "access"}
        step = path.rpartition("}")[2]
        request_id = self.tutela.requests.create(kind.get(step, "access"), email).id
        if step in kind:  # verified: awaiting approval (erasure) or in progress
            self.tutela.requests.verify(request_id, self.outbox.codes_for(email)[-1])
        return request_id

    def customer(self) -> dict[str, Any]:
        return self.canary.customer(next(self._n))

    def prepare(self, method: str, path: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """URL and request arguments; the subject (if any) exists before the call."""
        record = self.customer()
        url = path.replace("{subject_id}", self.tutela.add(record))
        if "{request_id}" in path:
            url = url.replace("{request_id}", self.request(path, record["email"]))
        kwargs: dict[str, Any] = {}
        if (method, path) == ("POST", "/v1/subjects"):
            kwargs["json"] = self.customer()
        elif path == "/v1/subjects:import":
            lines = "\n".join(json.dumps(self.customer()) for _ in range(2))
            kwargs["content"] = lines.encode()
            kwargs["headers"] = {"Content-Type": "application/x-ndjson"}
        elif (method, path) == ("GET", "/v1/subjects/{subject_id}"):
            kwargs["params"] = {"purpose": "order_fulfilment"}
        elif method == "PATCH":
            kwargs["json"] = {"name": self.customer()["name"]}
        elif path == "/v1/subjects:find":
            value = record["email"]
            kwargs["json"] = {"field": "email", "value": value, "purpose": "order_fulfilment"}
        elif method == "POST" and path.endswith("/consents"):
            kwargs["json"] = {"choices": {"newsletter": True}, "method": "web_form"}
        elif path == "/v1/public/requests":
            kwargs["json"] = {"type": "access", "email": record["email"]}
        elif path.endswith(":verify") and "{request_id}" in path:
            kwargs["json"] = {"code": self.outbox.codes_for(record["email"])[-1]}
        elif path.endswith((":reject", ":extend")):
            kwargs["json"] = {"reason": "manifestly unfounded"}
        elif path.endswith(":complete"):
            kwargs["json"] = {"note": "rectified as asked"}
        elif path == "/v1/consents:verify":
            sid = self.tutela.add(self.customer())
            kwargs["json"] = self.tutela.consents.grant(sid, "newsletter")
        return url, kwargs, record

    def send(
        self, method: str, path: str, headers: dict[str, str]
    ) -> tuple[httpx2.Response, list[Any], dict[str, Any]]:
        """The response, the audit entries the call left, and the subject's record."""
        url, kwargs, record = self.prepare(method, path)
        before = last_seq(self.tutela)
        response = self.client.request(
            method, url, headers={**kwargs.pop("headers", {}), **headers}, **kwargs
        )
        return response, entries_after(self.tutela, before), record


@pytest.fixture
def caller(client: TestClient, tutela: Tutela, canary: PiiCanary, outbox: OutboxMailer) -> Caller:
    return Caller(client, tutela, canary, outbox)


def test_the_table_covers_every_operation_of_the_api(app: FastAPI) -> None:
    """A new route without an expectation here must fail the suite, not go untested."""
    assert set(operations(app)) == set(EXPECTED)


# -- no usable key ---------------------------------------------------------------------------


def _unknown_key() -> str:
    return f"tk_{'a' * 26}_{secrets.token_urlsafe(32)}"


def _wrong_secret(tutela: Tutela) -> str:
    real = issue(tutela, "admin").text
    return real.rsplit("_", 1)[0] + "_" + secrets.token_urlsafe(32)


def _expired(tutela: Tutela) -> str:
    key = issue(tutela, "admin", expires_in=timedelta(milliseconds=1))
    time.sleep(0.01)
    return key.text


def _revoked(tutela: Tutela) -> str:
    key = issue(tutela, "admin")
    tutela.revoke_api_key(key.id)
    return key.text


NO_KEY: dict[str, Callable[[Tutela], dict[str, str]]] = {
    "none": lambda t: {},
    "empty-bearer": lambda t: {"Authorization": "Bearer "},
    "other-scheme": lambda t: {"Authorization": f"Basic {issue(t, 'admin').text}"},
    "malformed": lambda t: bearer("not-a-tutela-key"),
    "unknown": lambda t: bearer(_unknown_key()),
    "wrong-secret": lambda t: bearer(_wrong_secret(t)),
    "expired": lambda t: bearer(_expired(t)),
    "revoked": lambda t: bearer(_revoked(t)),
}


@pytest.mark.parametrize("credential", list(NO_KEY))
def test_without_a_usable_key_every_v1_route_is_401_and_health_is_200(
    credential: str, app: FastAPI, caller: Caller, tutela: Tutela
) -> None:
    """No key, a bad one, an expired or a revoked one: 401 with a Bearer challenge on every
    `/v1` operation, and the call reaches nothing (no audit entry, nothing stored)."""
    headers = NO_KEY[credential](tutela)
    wrong = []
    for method, path in operations(app):
        response, entries, _ = caller.send(method, path, headers)
        expect = EXPECTED.get((method, path))
        if expect is None:
            wrong.append((method, path, "no expectation"))
        elif expect.allowed is None:
            if response.status_code != expect.ok:
                wrong.append((method, path, response.status_code))
        else:
            if response.status_code != 401:
                wrong.append((method, path, response.status_code))
                continue
            assert_problem(response, 401)
            assert response.headers["WWW-Authenticate"] == "Bearer"
            assert entries == [], (method, path, entries)
            secret = headers.get("Authorization", "").partition(" ")[2]
            assert not secret or secret not in response.text
    assert wrong == []


def test_malformed_unknown_and_wrong_secret_keys_get_one_answer(
    client: TestClient, tutela: Tutela
) -> None:
    """Nothing tells an attacker whether a key id exists or only its secret is wrong."""
    bodies = [
        client.get("/v1/datamap", headers=NO_KEY[kind](tutela)).json()
        for kind in ("malformed", "unknown", "wrong-secret")
    ]
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["type"] == "urn:tutela:problem:api-key-invalid"


def test_two_authorization_headers_are_refused_even_if_one_key_is_good(
    client: TestClient, keys: dict[str, Key]
) -> None:
    """A proxy and the service could each read a different one: neither is trusted."""
    good = keys["admin"].headers["Authorization"]
    for second in (good, "Bearer tk_unknown"):
        response = client.get(
            "/v1/datamap", headers=[("Authorization", good), ("Authorization", second)]
        )
        body = assert_problem(response, 401)
        assert body["type"] == "urn:tutela:problem:api-key-ambiguous"
    assert client.get("/v1/datamap", headers={"Authorization": good}).status_code == 200


# -- one key per role ------------------------------------------------------------------------


def _check_row(caller: Caller, key: Key, method: str, path: str) -> list[Any]:
    """What is wrong with one operation called with one role's key (empty: as expected).
    Allowed: the success status and audit entries naming the key id. Refused: 403
    problem+json and one `denied` audit entry for the key id, role and action."""
    response, entries, _ = caller.send(method, path, key.headers)
    expect = EXPECTED.get((method, path))
    if expect is None:
        return [(method, path, "no expectation")]
    for entry in entries:
        assert key.text not in repr(entry)
        assert key.text.split("_", 2)[2] not in repr(entry)
    if expect.allowed is None or key.role in expect.allowed:
        if response.status_code != expect.ok:
            return [(method, path, response.status_code, response.text)]
        # a public route ignores any key: its steps are the public requester's
        actor = "public" if expect.allowed is None else key.id
        assert all(e.event.actor == actor for e in entries), (method, path, entries)
        if expect.action:
            assert (expect.action, "ok") in {(e.event.action, e.event.outcome) for e in entries}
        return []
    if response.status_code != 403:
        return [(method, path, response.status_code, response.text)]
    assert_problem(response, 403)
    audited = [(e.event.actor, e.event.role, e.event.action, e.event.outcome) for e in entries]
    action = expect.denied or expect.action
    if audited != [(key.id, key.role, action, "denied")]:
        return [(method, path, "audited", audited)]
    return []


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_its_permissions_and_purposes_allow(
    role: str, app: FastAPI, caller: Caller, keys: dict[str, Key]
) -> None:
    """Allowed: the success status and audit entries naming the key id. Refused: 403
    problem+json and a `denied` audit entry for the key id, role and action."""
    key = keys[role]
    wrong = []
    for method, path in operations(app):
        wrong += _check_row(caller, key, method, path)
    assert wrong == []


def test_allowed_calls_record_the_key_id_never_the_key_text(
    client: TestClient, tutela: Tutela, keys: dict[str, Key], canary: PiiCanary
) -> None:
    """The audit actor of an API call is the key's id (`key_…`), so the log names who acted
    without holding a credential."""
    key = keys["support"]
    before = last_seq(tutela)
    created = client.post("/v1/subjects", json=canary.customer(), headers=key.headers)
    assert created.status_code == 201
    sid = created.json()["id"]
    read = client.get(
        f"/v1/subjects/{sid}", params={"purpose": "order_fulfilment"}, headers=key.headers
    )
    assert read.status_code == 200
    assert read.json()["values"]["email"].startswith("c***@")  # support's mask applies
    entries = entries_after(tutela, before)
    assert [(e.event.action, e.event.subject_id) for e in entries] == [
        ("subject.add", sid),
        ("subject.read", sid),
    ]
    assert {e.event.actor for e in entries} == {key.id}
    assert key.id.startswith("key_")
    assert all(key.text not in repr(e) for e in entries)


def test_a_revoked_key_stops_working_at_once(client: TestClient, tutela: Tutela) -> None:
    """Revocation takes effect on the next request (no cached authentication)."""
    key = issue(tutela, "admin")
    assert client.get("/v1/datamap", headers=key.headers).status_code == 200
    tutela.revoke_api_key(key.id)
    body = assert_problem(client.get("/v1/datamap", headers=key.headers), 401)
    assert body["type"] == "urn:tutela:problem:api-key-revoked"


def test_find_follows_the_roles_of_the_purpose_asked_for(
    client: TestClient, tutela: Tutela, keys: dict[str, Key], canary: PiiCanary
) -> None:
    """`:find` is gated by the purpose in the body: fraud may search for fraud_prevention but
    not for order_fulfilment, and support the other way round."""
    record = canary.customer()
    sid = tutela.add(record)

    def find(role: str, purpose: str) -> httpx2.Response:
        body = {"field": "email", "value": record["email"], "purpose": purpose}
        return client.post("/v1/subjects:find", json=body, headers=keys[role].headers)

    assert find("fraud", "fraud_prevention").json()["ids"] == [sid]
    assert find("support", "order_fulfilment").json()["ids"] == [sid]
    assert_problem(find("fraud", "order_fulfilment"), 403)
    assert_problem(find("support", "fraud_prevention"), 403)
    assert_problem(find("finance", "tax_records"), 403)  # email is not a tax_records field
