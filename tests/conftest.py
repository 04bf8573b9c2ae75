"""Fixtures shared by the whole suite: both database backends, a fresh home, the PII canary.

Every test that takes `backend` (directly or through `tutela`/`settings`) runs twice: on the
home's SQLite file and on PostgreSQL, each PostgreSQL test in a schema of its own. PostgreSQL
being unreachable is a failure, not a skip.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hypothesis import settings as hypothesis_settings

from tutela import Settings, Tutela
from tutela.testing import PiiCanary

# Property tests explore new examples on every local run; CI (`HYPOTHESIS_PROFILE=ci`, set by
# `.ci/run`) replays a fixed set, so a landing is never decided by a lucky draw. A failure
# found locally goes into a test of its own.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
hypothesis_settings.register_profile("explore", print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "explore"))

POSTGRES_URL = os.environ.get(
    "TUTELA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[sa.Engine]:
    engine = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError:
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES_URL} (set TUTELA_TEST_POSTGRES_URL); "
            "run scripts/ensure-postgres",
            pytrace=False,
        )
    yield engine
    engine.dispose()


@pytest.fixture
def end_pooled_sessions(postgres_admin: sa.Engine) -> Callable[[sa.Engine, int], list[int]]:
    """`end_pooled_sessions(engine, n)`: fill `engine`'s pool with `n` connections, then end
    their PostgreSQL sessions as a restart does (`pg_terminate_backend`); returns their pids
    once the server has closed them all. Only those sessions: other tests run alongside."""

    def end(engine: sa.Engine, count: int) -> list[int]:
        with ExitStack() as stack:
            conns = [stack.enter_context(engine.connect()) for _ in range(count)]
            pids = [int(c.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()) for c in conns]
        alive = sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:p)")
        with postgres_admin.connect() as admin:
            admin.execute(
                sa.text("SELECT pg_terminate_backend(p) FROM unnest(:p) AS p"), {"p": pids}
            )
            deadline = time.monotonic() + 10
            while admin.execute(alive, {"p": pids}).scalar_one():
                assert time.monotonic() < deadline, "the server did not end the sessions"
                time.sleep(0.02)
        return pids

    return end


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for SQLite (the home's own file); a private schema's URL for PostgreSQL."""
    if backend == "sqlite":
        yield None
        return
    admin: sa.Engine = request.getfixturevalue("postgres_admin")
    schema = f"t_{secrets.token_hex(6)}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Settings:
    """Settings for a not-yet-created home on the test's backend (ignores TUTELA_* vars)."""
    return Settings.load(tmp_path / "home", environ={}, database_url=database_url)


@pytest.fixture
def tutela(settings: Settings, canary: PiiCanary) -> Iterator[Tutela]:
    """A fresh home with the example shop data map; its audit rows are checked for canaries."""
    with Tutela.init(settings=settings) as opened:
        yield opened
        leaks = canary.leaks(repr(e) for e in opened.audit_entries())
        assert not leaks, f"{len(leaks)} canary value(s) leaked into audit rows"


@pytest.fixture
def canary(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> Iterator[PiiCanary]:
    """Unique personal values to seed; the test fails if any shows in logs or output.

    The `tutela` fixture also checks every audit row of its home against it.
    """
    caplog.set_level(logging.DEBUG)
    seeded = PiiCanary()
    yield seeded
    if not seeded.values:
        return
    out, err = capsys.readouterr()
    texts = [out, err, caplog.text, *(r.getMessage() for r in caplog.records)]
    texts += [str(r.exc_info[1]) for r in caplog.records if r.exc_info and r.exc_info[1]]
    leaks = seeded.leaks(texts)
    assert not leaks, f"{len(leaks)} canary value(s) leaked into logs or output"
