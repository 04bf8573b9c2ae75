"""The API when the database fails under it: sessions the server ended (a restart, a failover)
cost no request, and a database that cannot be used just now answers 503 problem+json with
`Retry-After`, never a 500 and never the driver's message (it can quote statements and values).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import Any, NoReturn

import psycopg
import pytest
import sqlalchemy as sa
from api_support import Key, assert_problem
from fastapi.testclient import TestClient

from tutela import Tutela
from tutela.testing import PiiCanary

READ = "/v1/subjects/{}?purpose=order_fulfilment"


@pytest.mark.parametrize("backend", ["postgresql"])
def test_no_request_fails_after_the_server_ended_every_session(
    client: TestClient,
    tutela: Tutela,
    keys: dict[str, Key],
    canary: PiiCanary,
    end_pooled_sessions: Callable[[sa.Engine, int], list[int]],
) -> None:
    """As after a PostgreSQL restart: every pooled connection is dead, yet every read and
    write after it succeeds, and the audit chain still verifies."""
    sid = tutela.add(canary.customer())
    headers = keys["admin"].headers
    assert client.get(READ.format(sid), headers=headers).status_code == 200
    end_pooled_sessions(tutela.engine, 4)

    statuses = [client.get(READ.format(sid), headers=headers).status_code for _ in range(6)]
    created = client.post("/v1/subjects", json=canary.customer(1), headers=headers)
    assert (statuses, created.status_code) == ([200] * 6, 201)
    assert tutela.verify_audit().ok


def _raiser(exc: Exception) -> Callable[..., NoReturn]:
    def fail(*args: Any, **kwargs: Any) -> NoReturn:
        raise exc

    return fail


def _unavailable(kind: str, backend: str, secret: str) -> Exception:
    """A database failure of `kind` whose text quotes `secret`, as a driver's message can."""
    statement = f"SELECT * FROM subject WHERE email = '{secret}'"
    if kind == "driver":  # raised by a statement run straight on the driver (core/storage/raw.py)
        if backend == "sqlite":
            return sqlite3.OperationalError(f"database is locked: {statement}")
        return psycopg.OperationalError(f"terminating connection: {statement}")
    if kind == "sqlalchemy":
        return sa.exc.OperationalError(statement, {"email": secret}, Exception(secret))
    return sa.exc.TimeoutError(f"QueuePool limit reached while running {statement}")


@pytest.mark.parametrize("kind", ["driver", "sqlalchemy", "pool"])
def test_a_database_that_cannot_be_used_answers_503_with_retry_after(
    client: TestClient,
    tutela: Tutela,
    keys: dict[str, Key],
    canary: PiiCanary,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    backend: str,
    kind: str,
) -> None:
    sid = tutela.add(canary.customer())
    secret = canary.customer(1)["email"]
    canary.values.append(secret)
    error = _unavailable(kind, backend, secret)
    monkeypatch.setattr(tutela, "run_together", _raiser(error))
    monkeypatch.setattr(tutela, "add_many", _raiser(error))

    reads = [client.get(READ.format(sid), headers=keys["admin"].headers) for _ in range(2)]
    imported = client.post(
        "/v1/subjects:import", content=b'{"name": "Cy Example"}\n', headers=keys["admin"].headers
    )

    for response in (*reads, imported):
        body = assert_problem(response, 503)
        assert body["type"] == "urn:tutela:problem:database-unavailable"
        assert response.headers["retry-after"] == "2"
        assert response.headers["x-request-id"]
        assert canary.leaks([response.text]) == []
    logged = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert f"database unavailable ({type(error).__name__}) in request" in " ".join(logged)


def test_the_503_is_documented_on_every_route_that_needs_a_key(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    authenticated = [
        (f"{method.upper()} {path}", operation["responses"])
        for path, operations in paths.items()
        for method, operation in operations.items()
        if "401" in operation["responses"]
    ]
    assert len(authenticated) > 10
    assert [route for route, responses in authenticated if "503" not in responses] == []
