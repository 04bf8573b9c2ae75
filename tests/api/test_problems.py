"""Errors and the HTTP envelope: every error is RFC 9457 problem+json that names fields by JSON
pointer and never quotes a value; body size and rate limits; security headers and request ids;
the offline docs under a strict CSP; the access log that holds no personal data.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from api_support import Key, assert_problem, entries_after, last_seq
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tutela import Settings, Tutela
from tutela.api.app import create_app
from tutela.testing import PiiCanary

# -- problem+json ----------------------------------------------------------------------------


def test_an_invalid_value_is_named_by_pointer_and_never_quoted(
    client: TestClient, keys: dict[str, Key], canary: PiiCanary
) -> None:
    """422 names the field (`/email`) and why; the rejected value and the others of the same
    body appear nowhere in the answer."""
    record = canary.customer()
    bad_email = f"canary.{canary.token}.at.example.com"
    canary.values.append(bad_email)
    response = client.post(
        "/v1/subjects", json={**record, "email": bad_email}, headers=keys["admin"].headers
    )
    body = assert_problem(response, 422)
    assert body["type"] == "urn:tutela:problem:validation-failed"
    assert [e["pointer"] for e in body["errors"]] == ["/email"]
    assert canary.leaks([response.text]) == []


def test_an_invalid_value_in_an_update_is_named_by_pointer_and_nothing_changes(
    client: TestClient, tutela: Tutela, keys: dict[str, Key], canary: PiiCanary
) -> None:
    """Rectification refuses a bad value the same way, and applies none of the update."""
    record = canary.customer()
    sid = tutela.add(record)
    bad_date = f"1990-{canary.token}"
    canary.values.append(bad_date)
    update = {"name": canary.customer(1)["name"], "date_of_birth": bad_date}
    response = client.patch(f"/v1/subjects/{sid}", json=update, headers=keys["admin"].headers)
    body = assert_problem(response, 422)
    assert [e["pointer"] for e in body["errors"]] == ["/date_of_birth"]
    assert canary.leaks([response.text]) == []
    assert tutela.read(sid, ["name"], purpose="order_fulfilment", role="admin") == {
        "name": record["name"]
    }


def test_a_body_that_breaks_the_schema_gets_a_pointer_per_problem(
    client: TestClient, keys: dict[str, Key], canary: PiiCanary
) -> None:
    """Missing, extra and mistyped members of a request body are each named by pointer, and
    the offending values are not echoed (FastAPI's default would include `input`)."""
    email = canary.customer()["email"]
    response = client.post(
        "/v1/subjects:find",
        json={"value": {"nested": email}, "purpose": "order_fulfilment", "extra": email},
        headers=keys["admin"].headers,
    )
    body = assert_problem(response, 422)
    assert body["type"] == "urn:tutela:problem:request-invalid"
    pointers = {(e["in"], e["pointer"]) for e in body["errors"]}
    assert {("body", "/field"), ("body", "/extra")} <= pointers
    assert any(p.startswith("/value") for _, p in pointers)
    assert canary.leaks([response.text]) == []


def test_query_problems_are_pointed_at_too(client: TestClient, keys: dict[str, Key]) -> None:
    """A missing or out-of-range query parameter is named with `in: query`."""
    body = assert_problem(client.get("/v1/audit?limit=0", headers=keys["admin"].headers), 422)
    assert [(e["in"], e["pointer"]) for e in body["errors"]] == [("query", "/limit")]
    body = assert_problem(client.get("/v1/subjects/sub_x", headers=keys["admin"].headers), 422)
    assert [(e["in"], e["pointer"]) for e in body["errors"]] == [("query", "/purpose")]


@pytest.mark.parametrize(
    ("content_type", "body", "pointers"),
    [
        ("application/json", b"", [("body", "")]),  # no body
        ("application/json", b'["a list"]', [("body", "")]),  # JSON, not an object
        ("text/plain", b'{"name": "Ada Lovelace"}', [("body", "")]),  # not a JSON media type
        ("application/json", b"{\xff}", None),  # not text at all
    ],
)
def test_a_create_body_must_be_a_json_object(
    client: TestClient,
    keys: dict[str, Key],
    content_type: str,
    body: bytes,
    pointers: list[tuple[str, str]] | None,
) -> None:
    """`POST /v1/subjects` reads its body in one step (`api/params.py`), with the answers a
    declared body gets; a `+json` media type is JSON too, and the key is checked first."""
    headers = {**keys["admin"].headers, "Content-Type": content_type}
    problem = assert_problem(client.post("/v1/subjects", content=body, headers=headers), 422)
    if pointers is not None:
        assert [(e["in"], e["pointer"]) for e in problem["errors"]] == pointers
    assert_problem(
        client.post("/v1/subjects", content=body, headers={"Content-Type": content_type}), 401
    )


def test_a_create_body_may_have_a_structured_json_media_type(
    client: TestClient, keys: dict[str, Key], canary: PiiCanary
) -> None:
    headers = {**keys["admin"].headers, "Content-Type": "application/vnd.shop+json; charset=utf-8"}
    response = client.post("/v1/subjects", content=json.dumps(canary.customer()), headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["id"].startswith("sub_")


def test_a_reads_parameters_are_checked_together_after_the_key(
    client: TestClient, keys: dict[str, Key], canary: PiiCanary
) -> None:
    """The read route checks its path and query in one step (`api/params.py`): each bad
    parameter is named by where it is, none is echoed, and a missing key still comes first."""
    email = canary.customer()["email"]
    url = f"/v1/subjects/{'s' * 65}?purpose=&fields={email * 200}&purpose="
    body = assert_problem(client.get(url, headers=keys["admin"].headers), 422)
    assert sorted((e["in"], e["pointer"]) for e in body["errors"]) == [
        ("path", "/subject_id"),
        ("query", "/fields"),
        ("query", "/purpose"),
    ]
    assert canary.leaks([json.dumps(body)]) == []
    assert_problem(client.get(url), 401)
    ok = client.get(
        "/v1/subjects/sub_x?purpose=nope&purpose=order_fulfilment", headers=keys["admin"].headers
    )
    assert_problem(ok, 404)  # the last of a repeated parameter counts, as elsewhere


def test_unparseable_json_is_refused_without_echoing_it(
    client: TestClient, keys: dict[str, Key], canary: PiiCanary
) -> None:
    """A truncated JSON body holding personal data: 422, and none of it comes back."""
    email = canary.customer()["email"]
    response = client.post(
        "/v1/subjects",
        content=f'{{"email": "{email}", "name": '.encode(),
        headers={**keys["admin"].headers, "Content-Type": "application/json"},
    )
    assert_problem(response, 422)
    assert canary.leaks([response.text]) == []


def test_an_import_with_bad_rows_names_each_and_stores_nothing(
    client: TestClient, tutela: Tutela, keys: dict[str, Key], canary: PiiCanary
) -> None:
    """All or nothing: every bad row is named by `/<row index>/<field>`; the good row is not
    stored (it cannot be found) and no `subject.add` is audited."""
    good = canary.customer(0)
    rows = [
        good,
        {**canary.customer(1), "email": f"x{canary.token}"},  # invalid value
        {**canary.customer(2), "fax": "1"},  # undeclared field
        {"name": canary.customer(3)["name"]},  # required email missing
    ]
    canary.values.append(f"x{canary.token}")
    before = last_seq(tutela)
    response = client.post(
        "/v1/subjects:import",
        content="\n".join(json.dumps(r) for r in rows).encode(),
        headers={**keys["admin"].headers, "Content-Type": "application/x-ndjson"},
    )
    body = assert_problem(response, 422)
    assert [e["pointer"] for e in body["errors"]] == ["/1/email", "/2/fax", "/3/email"]
    assert canary.leaks([response.text]) == []
    assert not [e for e in entries_after(tutela, before) if e.event.action == "subject.add"]
    assert tutela.find("email", good["email"], purpose="order_fulfilment", role="admin") == []


def test_an_import_line_that_is_not_a_json_object_is_named(
    client: TestClient, keys: dict[str, Key], canary: PiiCanary
) -> None:
    """A broken line is pointed at by its row index (blank lines are not rows)."""
    lines = [json.dumps(canary.customer(0)), "", "[1, 2]", "{not json"]
    response = client.post(
        "/v1/subjects:import", content="\n".join(lines).encode(), headers=keys["admin"].headers
    )
    body = assert_problem(response, 422)
    assert [e["pointer"] for e in body["errors"]] == ["/1", "/2"]


def test_erased_and_unknown_subjects_get_the_same_404(
    client: TestClient, tutela: Tutela, keys: dict[str, Key], canary: PiiCanary
) -> None:
    """Outside the vault an erased subject cannot be told from one that never existed, on
    read, update and erase alike."""
    erased = tutela.add(canary.customer())
    tutela.erase(erased)
    headers = keys["admin"].headers

    def answers(sid: str) -> list[tuple[int, Any]]:
        calls = [
            client.get(
                f"/v1/subjects/{sid}", params={"purpose": "order_fulfilment"}, headers=headers
            ),
            client.patch(f"/v1/subjects/{sid}", json={"country": "GB"}, headers=headers),
            client.delete(f"/v1/subjects/{sid}", headers=headers),
        ]
        for response in calls:
            assert_problem(response, 404)
        return [(r.status_code, r.json()) for r in calls]

    unknown = "sub_" + "a" * 26
    assert answers(erased) == answers(unknown)
    assert answers(unknown)[0][1]["type"] == "urn:tutela:problem:subject-not-found"


def test_unknown_paths_and_methods_are_problems_too(client: TestClient) -> None:
    """Routing errors use the same format; 405 keeps its `Allow` header."""
    assert_problem(client.get("/v1/nothing-here"), 404)
    assert_problem(client.get("/nothing-here"), 404)
    response = client.put("/v1/datamap")
    assert_problem(response, 405)
    assert response.headers["Allow"] == "GET"


# -- body size -------------------------------------------------------------------------------


def _customer_of_size(canary: PiiCanary, size: int) -> bytes:
    record = canary.customer()
    padded = {**record, "address": record["address"] + " " * size}
    return json.dumps(padded).encode()


@pytest.fixture
def small_body_client(client_with: Callable[..., TestClient]) -> TestClient:
    return client_with(api_max_body_bytes=2048, api_import_max_body_bytes=8192)


def test_a_body_over_the_limit_is_413_with_or_without_content_length(
    small_body_client: TestClient, tutela: Tutela, keys: dict[str, Key], canary: PiiCanary
) -> None:
    """Declared too large (Content-Length) or counted as it streams (chunked): 413 before
    anything is parsed or stored."""
    headers = {**keys["admin"].headers, "Content-Type": "application/json"}
    body = _customer_of_size(canary, 3000)
    before = last_seq(tutela)

    declared = small_body_client.post("/v1/subjects", content=body, headers=headers)
    assert_problem(declared, 413)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 256):
            yield body[start : start + 256]

    streamed = small_body_client.post("/v1/subjects", content=chunks(), headers=headers)
    assert "content-length" not in streamed.request.headers
    body_413 = assert_problem(streamed, 413)
    assert body_413["type"] == "urn:tutela:problem:content-too-large"
    assert entries_after(tutela, before) == []


def test_a_body_under_the_limit_passes_whole_even_when_chunked(
    small_body_client: TestClient, keys: dict[str, Key], canary: PiiCanary
) -> None:
    """The streamed-body check replays what it read: the app still sees the full body."""
    body = _customer_of_size(canary, 1000)
    headers = {**keys["admin"].headers, "Content-Type": "application/json"}

    def chunks() -> Iterator[bytes]:
        yield body[:500]
        yield body[500:]

    assert (
        small_body_client.post("/v1/subjects", content=chunks(), headers=headers).status_code == 201
    )
    assert small_body_client.post("/v1/subjects", content=body, headers=headers).status_code == 201


def test_import_has_its_own_larger_limit(
    small_body_client: TestClient, keys: dict[str, Key], canary: PiiCanary
) -> None:
    """`api_import_max_body_bytes` applies to `:import` only."""
    headers = keys["admin"].headers
    rows = [json.dumps(canary.customer(n)) for n in range(30)]
    fits = "\n".join(rows[:20]).encode()
    assert 2048 < len(fits) <= 8192
    response = small_body_client.post("/v1/subjects:import", content=fits, headers=headers)
    assert response.status_code == 200
    assert response.json()["stored"] == 20
    too_big = ("\n".join(rows) + " " * 8192).encode()
    assert_problem(
        small_body_client.post("/v1/subjects:import", content=too_big, headers=headers), 413
    )


# -- rate limit ------------------------------------------------------------------------------


def test_a_key_over_its_rate_limit_gets_429_and_others_do_not(
    client_with: Callable[..., TestClient], tutela: Tutela, keys: dict[str, Key]
) -> None:
    """The budget is per key: the sixth call of one key in a minute is refused with a
    `Retry-After`, while another key still gets through."""
    limited = client_with(api_rate_limit="5/minute")
    first, other = keys["admin"], keys["support"]
    statuses = [limited.get("/v1/datamap", headers=first.headers).status_code for _ in range(5)]
    assert statuses == [200] * 5
    refused = limited.get("/v1/datamap", headers=first.headers)
    body = assert_problem(refused, 429)
    assert body["type"] == "urn:tutela:problem:rate-limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 61
    assert limited.get("/v1/datamap", headers=other.headers).status_code == 200


# -- headers ---------------------------------------------------------------------------------


def test_v1_answers_carry_the_security_headers_and_a_request_id(
    client: TestClient, keys: dict[str, Key]
) -> None:
    """Successes and errors alike: no caching of personal data, no sniffing, a request id."""
    admin = keys["admin"].headers
    for response in (
        client.get("/v1/datamap", headers=admin),
        client.get("/v1/datamap"),
        client.get("/v1/subjects/sub_x", headers=admin),
        client.get("/v1/subjects/sub_x?purpose=order_fulfilment", headers=admin),
        client.get("/v1/nothing"),
    ):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


@pytest.mark.parametrize(
    ("given", "echoed"),
    [
        ("req-123.abc_DEF", True),
        ("has spaces in it", False),
        ("x" * 65, False),
        ("", False),
    ],
)
def test_a_well_formed_request_id_is_echoed_and_any_other_replaced(
    client: TestClient, given: str, echoed: bool
) -> None:
    """Echo lets callers correlate; a malformed id (which could smuggle text into logs) is
    replaced by a fresh one."""
    returned = client.get("/healthz", headers={"X-Request-ID": given}).headers["X-Request-ID"]
    if echoed:
        assert returned == given
    else:
        assert returned != given
        assert re.fullmatch(r"[0-9a-f]{32}", returned)


def test_an_unexpected_error_is_a_bare_500_problem_with_the_usual_headers(
    client: TestClient, tutela: Tutela, keys: dict[str, Key], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug must not change the envelope: 500 problem+json without detail, still no-store and
    with the request id the client can report."""

    def broken(*args: Any, **kwargs: Any) -> list[str]:
        raise RuntimeError("boom")

    monkeypatch.setattr(tutela, "find", broken)
    response = client.post(
        "/v1/subjects:find",
        json={"field": "email", "value": "a@example.com", "purpose": "order_fulfilment"},
        headers={**keys["admin"].headers, "X-Request-ID": "req-500"},
    )
    body = assert_problem(response, 500)
    assert "boom" not in response.text
    assert body["type"] == "urn:tutela:problem:internal-error"
    assert response.headers.get("X-Request-ID") == "req-500"
    assert response.headers.get("Cache-Control") == "no-store"


# -- docs and health -------------------------------------------------------------------------


def test_docs_are_served_offline_under_a_csp_without_unsafe_inline(client: TestClient) -> None:
    """The Swagger page loads its script and stylesheet from `/docs/static/`, and its one
    inline script is allowed by hash, not by 'unsafe-inline'."""
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert not re.search(r"(src|href)=\"(https?:)?//", page.text), "no CDN"
    assets = re.findall(r"(?:src|href)=\"(/[^\"]+)\"", page.text)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for asset in assets:
        assert asset.startswith("/docs/static/")
        assert client.get(asset).status_code == 200, asset
    for script in re.findall(r"<script>(.*?)</script>", page.text, flags=re.S):
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert client.get("/openapi.json").status_code == 200


def test_health_and_readiness_need_no_key(client: TestClient) -> None:
    """Probes run without credentials; readiness reports each check."""
    assert client.get("/healthz").json() == {"status": "ok", "checks": {}}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {"database": "ok", "schema": "ok", "keys": "ok"},
    }


# -- access log ------------------------------------------------------------------------------


def _access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "tutela.api.access"]


def test_the_access_log_has_one_json_line_per_request_and_no_personal_data(
    client: TestClient,
    tutela: Tutela,
    keys: dict[str, Key],
    canary: PiiCanary,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Request id, key id, route template, status and duration; never the subject id of the
    path, a query value, a body value or the key (body values are canaries: the `canary`
    fixture fails the test if any is logged anywhere)."""
    key = keys["support"]
    record = canary.customer()
    sid = tutela.add(record)
    caplog.clear()
    client.get(
        f"/v1/subjects/{sid}",
        params={"purpose": "order_fulfilment", "fields": "email,phone"},
        headers={**key.headers, "X-Request-ID": "req-log-1"},
    )
    client.patch(
        f"/v1/subjects/{sid}", json={"name": canary.customer(1)["name"]}, headers=key.headers
    )
    client.post(
        "/v1/subjects:find",
        json={"field": "email", "value": record["email"], "purpose": "order_fulfilment"},
        headers=key.headers,
    )
    client.get(f"/v1/subjects/{sid}", params={"purpose": "order_fulfilment"})  # no key
    client.get(f"/v1/{sid}")  # unmatched
    client.get("/openapi.json")  # a plain Starlette route, not an API route

    lines = _access_lines(caplog)
    assert [(x["method"], x["route"], x["status"], x["key_id"]) for x in lines] == [
        ("GET", "/v1/subjects/{subject_id}", 200, key.id),
        ("PATCH", "/v1/subjects/{subject_id}", 200, key.id),
        ("POST", "/v1/subjects:find", 200, key.id),
        ("GET", "/v1/subjects/{subject_id}", 401, None),
        ("GET", "unmatched", 404, None),
        ("GET", "/openapi.json", 200, None),
    ]
    assert lines[0]["request_id"] == "req-log-1"
    assert all(isinstance(x["duration_ms"], int | float) and x["duration_ms"] >= 0 for x in lines)
    text = "\n".join(r.getMessage() for r in caplog.records if r.name == "tutela.api.access")
    for secret in (sid, "order_fulfilment", "email,phone", key.text, key.text.split("_", 2)[2]):
        assert secret not in text
    assert canary.leaks([text]) == []


def test_the_access_log_line_of_a_refused_body_is_written(
    small_body_client: TestClient, keys: dict[str, Key], caplog: pytest.LogCaptureFixture
) -> None:
    """Requests stopped by the middleware (413) are logged like any other."""
    caplog.clear()
    small_body_client.post(
        "/v1/subjects", content=b"{}" + b" " * 4096, headers=keys["admin"].headers
    )
    assert [(x["route"], x["status"]) for x in _access_lines(caplog)] == [("unmatched", 413)]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_fastapi_telemetry_with_its_request_paths_is_off_unless_asked_for(
    settings: Settings,
) -> None:
    """Spans would carry paths, and paths hold subject ids: like the access log, they stay out
    of telemetry unless the operator turns it on."""
    off = create_app(settings)._telemetry  # FastAPI keeps its telemetry settings only here
    assert not (off["tracing"] or off["metrics"] or off["logs"])
    on = create_app(settings.model_copy(update={"api_telemetry": True}))._telemetry
    assert on["tracing"] and on["metrics"] and on["logs"]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_server_process_freezes_what_it_loaded_at_startup_and_a_test_app_does_not(
    settings: Settings, tutela: Tutela
) -> None:
    """A worker's startup heap (app, schemas, data map) is kept out of full collections."""
    before = gc.get_freeze_count()
    with TestClient(create_app(settings)) as client:  # opens the home itself, not a worker
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() == before
    try:
        with TestClient(create_app(settings, server_process=True)) as client:
            assert client.get("/healthz").status_code == 200
            assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()  # this test process goes on: let its objects be collected again


# -- regressions: inputs that once reached server errors or inconsistent answers ----------


def test_nul_characters_in_identifiers_are_client_errors(
    client: TestClient, keys: dict[str, Key], backend: str, request: pytest.FixtureRequest
) -> None:
    """A NUL in a subject id, purpose or audit filter is the client's mistake: 4xx (or an
    empty answer), never a 500, and a refused read must still be audited."""
    admin = keys["admin"].headers
    statuses = [
        client.delete("/v1/subjects/sub%00x", headers=admin).status_code,
        client.get("/v1/subjects/sub_x?purpose=order%00fulfilment", headers=admin).status_code,
        client.get("/v1/audit?subject=sub%00x", headers=admin).status_code,
    ]
    assert statuses == [404, 422, 200]


def test_text_that_is_not_valid_unicode_is_a_422(client: TestClient, keys: dict[str, Key]) -> None:
    """JSON can carry unpaired surrogates; as a value or as a field name they are invalid
    input, not a server error."""
    headers = {**keys["admin"].headers, "Content-Type": "application/json"}
    as_value = client.post(
        "/v1/subjects", content=b'{"email": "a@example.com", "name": "\\ud800"}', headers=headers
    )
    as_key = client.post(
        "/v1/subjects", content=b'{"email": "a@example.com", "\\ud800": "x"}', headers=headers
    )
    assert [e["pointer"] for e in assert_problem(as_value, 422)["errors"]] == ["/name"]
    assert_problem(as_key, 422)


def test_audit_times_carry_their_utc_offset(
    client: TestClient, keys: dict[str, Key], backend: str, request: pytest.FixtureRequest
) -> None:
    """`at` is an instant: without an offset a client cannot place it (PostgreSQL gives `Z`)."""
    entries = client.get("/v1/audit", headers=keys["admin"].headers).json()["entries"]
    assert entries
    assert all(datetime.fromisoformat(e["at"]).utcoffset() == timedelta(0) for e in entries)


def test_import_pointers_escape_field_names(client: TestClient, keys: dict[str, Key]) -> None:
    """A field named `a/b` is `/0/a~1b`, not the path `/0/a/b`."""
    response = client.post(
        "/v1/subjects:import",
        content=b'{"email": "a@example.com", "a/b": "x"}',
        headers=keys["admin"].headers,
    )
    assert [e["pointer"] for e in assert_problem(response, 422)["errors"]] == ["/0/a~1b"]


def test_an_undeclared_field_in_a_create_is_named_by_pointer(
    client: TestClient, keys: dict[str, Key]
) -> None:
    """Clients get one shape for every per-field problem."""
    response = client.post(
        "/v1/subjects", json={"email": "a@example.com", "fax": "1"}, headers=keys["admin"].headers
    )
    assert [e["pointer"] for e in assert_problem(response, 422).get("errors", [])] == ["/fax"]


def test_a_body_that_is_not_utf8_gets_a_documented_status(
    app: FastAPI, client: TestClient, keys: dict[str, Key]
) -> None:
    """Clients (and generated SDKs) can rely on the documented statuses only."""
    documented = app.openapi()["paths"]["/v1/subjects"]["post"]["responses"]
    response = client.post(
        "/v1/subjects",
        content=b'{"email": "\xff\xfe"}',
        headers={**keys["admin"].headers, "Content-Type": "application/json"},
    )
    assert_problem(response, response.status_code)
    assert str(response.status_code) in documented


def test_json_nested_beyond_the_decoder_is_a_422_not_a_crash(
    client: TestClient, keys: dict[str, Key]
) -> None:
    """The JSON decoder recurses once per level: a body nested deeper than Python's recursion
    limit is refused like any other undecodable body."""
    deep = "[" * 20_000 + "]" * 20_000
    created = client.post(
        "/v1/subjects",
        content=f'{{"name": {deep}}}',
        headers={**keys["admin"].headers, "content-type": "application/json"},
    )
    body = assert_problem(created, 422)
    assert body["type"] == "urn:tutela:problem:request-invalid"
    assert body["errors"] == [{"in": "body", "pointer": "", "detail": "JSON nested too deeply"}]

    imported = client.post(
        "/v1/subjects:import",
        content=f'{{"name": "Ann Example"}}\n{{"name": {deep}}}\n',
        headers=keys["admin"].headers,
    )
    body = assert_problem(imported, 422)
    assert body["errors"] == [{"pointer": "/1", "detail": "is nested too deeply"}]


def test_every_bad_field_of_a_body_gets_its_own_pointer(
    client: TestClient, keys: dict[str, Key], canary: PiiCanary
) -> None:
    """Undeclared fields first (the body's shape), then every invalid or missing value: a
    client fixes a request in one round, not one field per try."""
    headers = keys["admin"].headers
    typed = canary.customer()
    canary.values.append(typed["email"])
    undeclared = client.post(
        "/v1/subjects", json={"ssn": typed["email"], "dob": "1990", "name": "A"}, headers=headers
    )
    body = assert_problem(undeclared, 422)
    assert body["type"] == "urn:tutela:problem:field-not-in-data-map"
    assert [e["pointer"] for e in body["errors"]] == ["/ssn", "/dob"]

    invalid = client.post(
        "/v1/subjects",
        json={"name": "A", "phone": "no digits", "date_of_birth": "1990"},
        headers=headers,
    )
    body = assert_problem(invalid, 422)
    assert body["type"] == "urn:tutela:problem:validation-failed"
    assert {e["pointer"]: e["detail"] for e in body["errors"]} == {
        "/phone": "is not a parseable phone number",
        "/date_of_birth": "is not a real date in the form YYYY-MM-DD",
        "/email": "is required",
    }

    imported = client.post(
        "/v1/subjects:import",
        content=b'{"email": "a@shop.example"}\n{"email": "bad", "date_of_birth": "x"}\n',
        headers=headers,
    )
    body = assert_problem(imported, 422)
    assert [e["pointer"] for e in body["errors"]] == ["/1/email", "/1/date_of_birth"]
    assert body["detail"].startswith("1 row(s) rejected")
    assert canary.leaks([undeclared.text, invalid.text, imported.text]) == []


def test_a_bad_search_value_is_pointed_at_where_the_body_holds_it(
    client: TestClient, keys: dict[str, Key]
) -> None:
    headers = keys["admin"].headers
    find = {"field": "email", "purpose": "order_fulfilment"}
    wrong_form = client.post("/v1/subjects:find", json={**find, "value": "x"}, headers=headers)
    body = assert_problem(wrong_form, 422)
    assert body["errors"] == [{"pointer": "/value", "detail": "is not a valid email address"}]

    wrong_type = client.post("/v1/subjects:find", json={**find, "value": {}}, headers=headers)
    body = assert_problem(wrong_type, 422)
    assert {e["pointer"] for e in body["errors"]} == {"/value"}


@pytest.mark.parametrize("fields", [",,,", "email,,name", "email,", ""])
def test_a_field_list_with_an_empty_name_is_a_422_not_every_field(
    client: TestClient, tutela: Tutela, keys: dict[str, Key], canary: PiiCanary, fields: str
) -> None:
    sid = tutela.add(canary.customer())
    response = client.get(
        f"/v1/subjects/{sid}",
        params={"purpose": "order_fulfilment", "fields": fields},
        headers=keys["admin"].headers,
    )
    body = assert_problem(response, 422)
    assert [(e["in"], e["pointer"], e["detail"]) for e in body["errors"]] == [
        (
            "query",
            "/fields",
            "Value error, must list field names separated by commas, none of them empty",
        )
    ]
