"""Requests served in one turn of the event loop share one transaction (group commit), on the
loop for SQLite and in the thread pool for PostgreSQL; each still gets its own answer, a
refused one is refused alone, and the chain holds. On SQLite the loop never waits for another
process's write lock."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx2
import pytest
from api_support import Key, assert_problem, entries_after, last_seq
from fastapi import FastAPI

from tutela import Tutela
from tutela.core.storage.engine import WriteLock, write_lock_for
from tutela.testing import PiiCanary


def _client(app: FastAPI, *, raise_app_exceptions: bool = True) -> httpx2.AsyncClient:
    """An in-process client on the test's own event loop (the loop the groups form on)."""
    transport = httpx2.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
    return httpx2.AsyncClient(transport=transport, base_url="http://tutela.test")


async def _together(app: FastAPI, requests: list[tuple[str, str, dict]]) -> list[httpx2.Response]:  # type: ignore[type-arg]
    async with _client(app) as client:
        return await asyncio.gather(
            *(client.request(method, url, **kwargs) for method, url, kwargs in requests)
        )


def test_concurrent_requests_are_answered_each_and_committed_together(
    app: FastAPI, tutela: Tutela, keys: dict[str, Key], canary: PiiCanary, backend: str
) -> None:
    admin = keys["admin"].headers
    existing = tutela.add(canary.customer(0))
    before = last_seq(tutela)
    read = f"/v1/subjects/{existing}?purpose=order_fulfilment&fields=email"
    requests = [
        *(("POST", "/v1/subjects", {"json": canary.customer(n), "headers": admin}) for n in (1, 2)),
        ("GET", read, {"headers": admin}),
        ("GET", "/v1/subjects/sub_unknown?purpose=order_fulfilment", {"headers": admin}),
        ("POST", "/v1/subjects", {"json": {"email": "not an address"}, "headers": admin}),
        ("GET", read, {"headers": keys["marketing"].headers}),
    ]
    created_1, created_2, got, unknown, invalid, refused = asyncio.run(_together(app, requests))

    assert created_1.status_code == created_2.status_code == 201
    assert got.status_code == 200 and got.json()["values"] == {"email": canary.customer(0)["email"]}
    assert_problem(unknown, 404)
    assert_problem(invalid, 422)
    assert_problem(refused, 403)
    entries = entries_after(tutela, before)
    assert sorted((e.event.action, e.event.outcome) for e in entries) == [
        ("subject.add", "ok"),
        ("subject.add", "ok"),
        ("subject.read", "denied"),
        ("subject.read", "denied"),
        ("subject.read", "ok"),
    ]
    if backend == "sqlite":  # all reach the vault in one turn: one append, one commit
        assert len({e.at for e in entries}) == 1
    # (On PostgreSQL the keys are checked in the thread pool, so the requests reach the vault
    # over a few turns, and the groups are fewer than the requests but not always one.)
    assert tutela.verify_audit().ok
    for response, n in ((created_1, 1), (created_2, 2)):
        sid = response.json()["id"]
        values = tutela.read(sid, ["email"], purpose="order_fulfilment", role="admin")
        assert values == {"email": canary.customer(n)["email"]}


@pytest.fixture
def other_process(tutela: Tutela) -> Iterator[WriteLock]:
    """The home's write lock on an open file of its own: as another server process holds it."""
    lock = write_lock_for(tutela.engine)
    assert lock is not None
    yield lock
    lock.close()


@pytest.fixture
def read_url(tutela: Tutela, canary: PiiCanary) -> str:
    existing = tutela.add(canary.customer(0))
    return f"/v1/subjects/{existing}?purpose=order_fulfilment&fields=email"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_loop_keeps_answering_while_another_process_holds_the_write_lock(
    app: FastAPI,
    tutela: Tutela,
    keys: dict[str, Key],
    canary: PiiCanary,
    other_process: WriteLock,
    read_url: str,
) -> None:
    admin = keys["admin"].headers

    async def scenario() -> tuple[list[httpx2.Response], list[bool]]:
        async with _client(app) as client:
            assert (await client.get(read_url, headers=admin)).status_code == 200  # key known
            other_process.acquire()
            try:
                reads = [
                    asyncio.ensure_future(client.get(read_url, headers=admin)) for _ in range(3)
                ]
                health = await asyncio.wait_for(client.get("/healthz"), timeout=5)
                assert health.status_code == 200
                waiting = [not r.done() for r in reads]
            finally:
                other_process.release()
            return await asyncio.wait_for(asyncio.gather(*reads), timeout=10), waiting

    responses, waiting = asyncio.run(scenario())
    assert all(waiting)  # the reads waited for the lock while the loop answered /healthz
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert all(r.json()["values"] == {"email": canary.customer(0)["email"]} for r in responses)
    assert tutela.verify_audit().ok


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_request_given_up_while_its_group_waits_for_the_lock_leaves_the_lock_free(
    app: FastAPI, tutela: Tutela, keys: dict[str, Key], other_process: WriteLock, read_url: str
) -> None:
    admin = keys["admin"].headers

    async def scenario() -> bool:
        async with _client(app) as client:
            assert (await client.get(read_url, headers=admin)).status_code == 200
            other_process.acquire()
            given_up = asyncio.ensure_future(client.get(read_url, headers=admin))
            await asyncio.sleep(0.05)
            given_up.cancel()
            other_process.release()
            answered = await asyncio.wait_for(client.get(read_url, headers=admin), timeout=10)
            assert answered.status_code == 200
            return given_up.cancelled()

    assert asyncio.run(scenario())
    assert other_process.try_acquire()  # nothing kept the lock
    other_process.release()
    assert tutela.verify_audit().ok


@pytest.mark.parametrize("backend", ["sqlite"])
def test_if_the_lock_cannot_be_waited_for_the_waiting_requests_fail_and_later_ones_succeed(
    app: FastAPI,
    tutela: Tutela,
    keys: dict[str, Key],
    other_process: WriteLock,
    read_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin = keys["admin"].headers
    lock = tutela.write_lock
    assert lock is not None

    def broken_wait() -> None:
        raise OSError("the lock file is gone")

    async def scenario() -> tuple[int, int]:
        async with _client(app, raise_app_exceptions=False) as client:
            assert (await client.get(read_url, headers=admin)).status_code == 200
            other_process.acquire()
            with monkeypatch.context() as patch:
                patch.setattr(lock, "acquire", broken_wait)
                failed = await asyncio.wait_for(client.get(read_url, headers=admin), timeout=10)
            other_process.release()
            later = await asyncio.wait_for(client.get(read_url, headers=admin), timeout=10)
            return failed.status_code, later.status_code

    assert asyncio.run(scenario()) == (500, 200)
    assert tutela.verify_audit().ok
