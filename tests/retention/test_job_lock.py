"""The run-once job lock, on SQLite (flock beside the database file) and PostgreSQL (advisory
lock): a job held by one engine or process is refused to every other until released, also
when the holder fails or dies; `run_exclusive` skips the work while another holds the job.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tutela import Settings, Tutela
from tutela.core.storage import create_engine_for
from tutela.core.storage.jobs import job_lock

JOB = "retention-sweep"
HOLDER = """
import sys
from tutela.core.storage import create_engine_for
from tutela.core.storage.jobs import job_lock

engine = create_engine_for(sys.argv[1])
with job_lock(engine, sys.argv[2]) as held:
    print("held" if held else "refused", flush=True)
    sys.stdin.read()  # until the test closes our stdin
"""


@pytest.fixture
def other_engine(tutela: Tutela, settings: Settings) -> Iterator[sa.Engine]:
    """A second engine on the same database: another pool, other connections."""
    engine = create_engine_for(settings.resolved_database_url)
    yield engine
    engine.dispose()


def _free(engine: sa.Engine, name: str = JOB) -> bool:
    with job_lock(engine, name) as held:
        return held


def test_a_held_job_is_refused_to_another_engine_until_released(
    tutela: Tutela, other_engine: sa.Engine
) -> None:
    with job_lock(tutela.engine, JOB) as first:
        assert first
        with job_lock(other_engine, JOB) as second:
            assert not second
        assert _free(other_engine, "another-job")  # locks are per job name
        assert not _free(other_engine)  # a refusal does not disturb the holder
    assert _free(other_engine)
    assert _free(tutela.engine)


def test_run_exclusive_skips_the_work_while_another_holds_the_job(
    tutela: Tutela, other_engine: sa.Engine
) -> None:
    calls: list[str] = []

    def work() -> str:
        calls.append("ran")
        return "done"

    with job_lock(other_engine, JOB) as held:
        assert held
        assert tutela.run_exclusive(JOB, work) == (False, None)
    assert calls == []
    assert tutela.run_exclusive(JOB, work) == (True, "done")
    assert calls == ["ran"]


def test_a_job_that_fails_releases_its_lock(tutela: Tutela, other_engine: sa.Engine) -> None:
    def boom() -> None:
        raise RuntimeError("job failed")

    with pytest.raises(RuntimeError, match="job failed"):
        tutela.run_exclusive(JOB, boom)
    assert _free(other_engine)


def _wait_until_free(engine: sa.Engine, seconds: float = 30) -> bool:
    """Whether the job becomes free within `seconds` (a dead holder's database session is
    cleaned up by the server shortly after the process dies, not at the same instant)."""
    deadline = time.monotonic() + seconds
    while not _free(engine):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize("ending", ["released", "killed"])
def test_a_job_held_by_another_process_is_refused_until_it_lets_go_or_dies(
    tutela: Tutela, settings: Settings, ending: str
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, settings.resolved_database_url, JOB],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("TUTELA_")},
    )
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "held"
        assert not _free(tutela.engine)
        assert tutela.run_exclusive(JOB, tutela.sweep) == (False, None)
        if ending == "released":
            holder.stdin.close()
            assert holder.wait(timeout=30) == 0
        else:
            holder.send_signal(signal.SIGKILL)
            assert holder.wait(timeout=30) == -signal.SIGKILL
        assert _wait_until_free(tutela.engine)
        ran, report = tutela.run_exclusive(JOB, tutela.sweep)
        assert ran and report is not None
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_a_job_lock_of_one_home_does_not_block_the_same_job_of_another_home(
    tutela: Tutela,
    tmp_path: Path,
    backend: str,
    request: pytest.FixtureRequest,
) -> None:
    """Two homes on one database server (PostgreSQL: two schemas of one database, as this
    suite runs them) each sweep on their own."""
    other_url: str | None = None
    schema = f"t_{secrets.token_hex(6)}"
    admin: sa.Engine | None = None
    if backend == "postgresql":
        admin = request.getfixturevalue("postgres_admin")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        url = str(tutela.settings.resolved_database_url)
        other_url = url.rsplit("search_path%3D", 1)[0] + f"search_path%3D{schema}"
        assert other_url != url
    try:
        other_settings = Settings.load(tmp_path / "other", environ={}, database_url=other_url)
        with Tutela.init(settings=other_settings) as other, job_lock(tutela.engine, JOB) as held:
            assert held
            ran, report = other.run_exclusive(JOB, other.sweep)
            assert ran and report is not None
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
