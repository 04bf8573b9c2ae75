"""Run-once locks for background jobs: with several workers, a job runs in one at a time.

On PostgreSQL a session-level advisory lock (released by the server if the worker dies); on
SQLite an exclusive `flock` on a file beside the database (released by the kernel likewise).
Both are tried without waiting: a worker that finds the job running skips this turn.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

from tutela.core.storage.engine import is_sqlite


@contextmanager
def job_lock(engine: Engine, name: str) -> Iterator[bool]:
    """Yields True if this process now holds the job `name` (run it), False if another does."""
    if is_sqlite(engine):
        database = engine.url.database
        if not database or database == ":memory:":
            yield True  # one process by construction
            return
        fd = os.open(Path(f"{database}.job-{name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
        return
    with engine.connect() as conn:
        # Advisory locks are per database; several homes may share one in their own schemas.
        key = conn.execute(
            text("SELECT hashtextextended('tutela.job/' || current_schema() || '/' || :n, 0)"),
            {"n": name},
        ).scalar_one()
        held = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        conn.commit()
        try:
            yield held
        finally:
            if held:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
