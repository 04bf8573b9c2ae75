"""PostgreSQL's connection pool: a connection whose session the server ended (a restart, a
failover, `pg_terminate_backend`, an idle timeout) is replaced when it is next checked out,
not handed to an operation that would fail with it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
import sqlalchemy as sa

from tutela.core.storage.engine import create_engine_for

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])

_PID = sa.text("SELECT pg_backend_pid()")


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_engine_for(database_url)
    yield engine
    engine.dispose()


def _pids(engine: sa.Engine, count: int) -> list[int]:
    """Check out `count` connections at once, note their server pids, return them to the pool."""
    with ExitStack() as stack:
        conns = [stack.enter_context(engine.connect()) for _ in range(count)]
        return [int(conn.execute(_PID).scalar_one()) for conn in conns]


EndSessions = Callable[[sa.Engine, int], list[int]]


def test_a_connection_whose_session_ended_is_replaced_at_checkout(
    engine: sa.Engine, end_pooled_sessions: EndSessions
) -> None:
    pids = end_pooled_sessions(engine, 3)

    after = _pids(engine, 3)  # every statement runs: none of them met a dead connection

    assert not set(after) & set(pids)


def test_a_restart_of_the_whole_pool_loses_no_operation(
    engine: sa.Engine, end_pooled_sessions: EndSessions
) -> None:
    """Every pooled connection ended at once (as a server restart does): each operation after
    it gets a live one, one after another, with no error in between."""
    end_pooled_sessions(engine, 5)

    for _ in range(10):
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT 1")).scalar_one() == 1


def test_a_live_idle_connection_is_kept(engine: sa.Engine) -> None:
    first = _pids(engine, 1)
    time.sleep(0.2)
    assert _pids(engine, 1) == first
