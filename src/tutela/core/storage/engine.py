"""Engines for SQLite (embedded default) and PostgreSQL, set up the way the vault needs them.

SQLite runs in WAL mode with `secure_delete` on (erased rows are zeroed, not left in free
pages) and every transaction `BEGIN IMMEDIATE`, because every operation ends in an audit append:
taking the write lock up front avoids the deadlock of two readers upgrading at once.
"""

from __future__ import annotations

import fcntl
import logging
import os
import select
import sqlite3
import threading
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError

from tutela.core.storage import wire
from tutela.errors import ConfigError

logger = logging.getLogger(__name__)

UNAVAILABLE: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.TimeoutError,
    psycopg.OperationalError,
    sqlite3.OperationalError,
)
"""Errors saying the database cannot serve just now, not that the request or the code is
wrong: unreachable or restarting, a connection lost, a lock or statement timeout, a
transaction the server aborted (deadlock, serialization), the pool exhausted. Trying again
shortly is the remedy. Raw statements (`raw.py`, `wire.py`) raise the driver's own class, the
rest SQLAlchemy's."""


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def create_engine_for(
    url: str,
    *,
    sqlite_synchronous: str = "NORMAL",
    busy_timeout_ms: int = 30_000,
    sqlite_cache_mb: int = 64,
) -> Engine:
    """Build the engine for `url` (SQLite file or PostgreSQL via psycopg 3).

    Raises:
        ConfigError: the URL is malformed or names an unsupported database.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError("database URL is malformed") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url, sqlite_synchronous, busy_timeout_ms, sqlite_cache_mb)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        # No pre-ping (a round trip per operation): `_replace_closed` looks at the socket.
        # psycopg prepares nothing of its own: after each ROLLBACK it would DEALLOCATE ALL,
        # the hot statements `wire` keeps prepared too (their plans are the ones worth keeping).
        engine = create_engine(
            parsed,
            pool_recycle=1800,
            pool_size=5,
            max_overflow=5,
            pool_use_lifo=True,
            connect_args={"prepare_threshold": None},
        )
        wire.keep_order(engine)
        _replace_closed(engine)
        return engine
    raise ConfigError(f"unsupported database '{backend}': use SQLite or PostgreSQL")


def _replace_closed(engine: Engine) -> None:
    """Hand out only pooled connections the server has not closed.

    A restart, a failover or an ended session (`pg_terminate_backend`, an idle timeout) leaves
    pooled connections whose server is gone: the next operation on each would fail, and with
    it a whole group of requests. The server says so on the socket before closing it, and an
    idle session is sent nothing else unasked (Tutela listens on no channel), so a socket with
    input waiting at checkout holds such a notice or the end of the stream: the pool replaces
    the connection. One `poll` with no wait, where a pre-ping would be a round trip.
    """

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, _record: object, _proxy: object) -> None:
        if dbapi_conn.closed or _has_input(dbapi_conn.pgconn.socket):
            raise DisconnectionError("the server closed the connection")


def _has_input(fd: int) -> bool:
    """Whether `fd` has something to read (or is at its end) right now."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


def _sqlite_engine(url: str, synchronous: str, busy_timeout_ms: int, cache_mb: int) -> Engine:
    if url in ("sqlite://", "sqlite:///:memory:"):
        raise ConfigError("in-memory SQLite is not supported: use a database file or PostgreSQL")
    # The pool keeps connections and their page caches; LIFO hands out the warmest one.
    engine = create_engine(url, pool_use_lifo=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        # Let us issue BEGIN ourselves (pysqlite would otherwise defer it).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA synchronous = {synchronous}")
        cursor.execute("PRAGMA secure_delete = ON")
        # Checkpoints run in the background (`WalCheckpointer`); this only bounds the WAL if
        # nothing checkpoints for a long while.
        cursor.execute(f"PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT_PAGES}")
        cursor.execute("PRAGMA foreign_keys = ON")
        # The default 2 MB page cache thrashes once the indexes outgrow it (random ids).
        cursor.execute(f"PRAGMA cache_size = {-1024 * int(cache_mb)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Straight on the driver: this runs once per operation (see raw.py for why).
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE")

    return engine


AUTOCHECKPOINT_PAGES = 16_384


class WriteLock:
    """Serialises this home's SQLite writers: threads by a mutex, processes by `flock`.

    Waiting writers are woken the moment the lock is free, where SQLite's own busy handler
    sleeps 1, 2, 5 … 100 ms between tries: under concurrent requests that sleep, not the
    work, would set the pace. The lock belongs to the process, not to a thread: one thread
    may wait for it and another release it (the HTTP service waits off its event loop).
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._mutex = threading.Lock()
        self._fd: int | None = None

    def acquire(self) -> None:
        """Wait until this process holds the lock."""
        self._mutex.acquire()
        try:
            fcntl.flock(self._file(), fcntl.LOCK_EX)
        except BaseException:
            self._mutex.release()
            raise

    def try_acquire(self) -> bool:
        """Take the lock if it is free now; never waits."""
        if not self._mutex.acquire(blocking=False):
            return False
        try:
            fcntl.flock(self._file(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._mutex.release()
            return False
        except BaseException:
            self._mutex.release()
            raise
        return True

    def release(self) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._mutex.release()

    def __enter__(self) -> WriteLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _file(self) -> int:
        if self._fd is None:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._fd

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def write_lock_for(engine: Engine) -> WriteLock | None:
    """The lock for a SQLite file engine (next to the database file); None otherwise."""
    if not is_sqlite(engine) or not engine.url.database:
        return None
    return WriteLock(Path(engine.url.database + ".lock"))


class WalCheckpointer:
    """Folds the SQLite WAL back into the database from a background thread.

    Otherwise the write that crosses the auto-checkpoint threshold pays for the whole
    checkpoint (and its fsync): a latency spike for one unlucky request. PASSIVE checkpoints
    never wait for readers or writers.
    """

    def __init__(self, engine: Engine, interval_s: float = 0.5) -> None:
        self._engine = engine
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if is_sqlite(self._engine) and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="tutela-wal", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                _pragma(self._engine, "PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:
                logger.debug("background WAL checkpoint failed", exc_info=True)


def _pragma(engine: Engine, statement: str) -> None:
    # Outside any transaction (a checkpoint cannot run inside one): the raw connection is in
    # autocommit mode because `_on_connect` cleared pysqlite's isolation level.
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(statement)
        cursor.close()
    finally:
        raw.close()


def checkpoint_sqlite(engine: Engine) -> None:
    """Fold the WAL back into the database file and truncate it (after an erasure).

    With `secure_delete` on, this is what makes erased bytes leave the files on disk.
    """
    if is_sqlite(engine):
        _pragma(engine, "PRAGMA wal_checkpoint(TRUNCATE)")
