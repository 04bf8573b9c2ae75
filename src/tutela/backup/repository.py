"""All SQL of backups: a consistent snapshot to read from, and a target to load into.

The logical format is engine-neutral: each row is a tuple of integers, text, bytes and
NULLs, with timestamps as UTC text ``YYYY-MM-DD HH:MM:SS.ffffff``, dates as ``YYYY-MM-DD``
and booleans as 0/1. SQLite already stores them so (it is SQLAlchemy's own text form);
PostgreSQL's are converted by the snapshot query, and read back by the target in a session
whose time zone is UTC. Rows move on the driver's cursor (`executemany`, PostgreSQL `COPY`):
SQLAlchemy statements per row would dominate the time.

Snapshots: on SQLite the online backup API copies the live database, in one step, into a
private file (writers are not blocked in WAL mode) and the dump reads that; on PostgreSQL
every table is read in one REPEATABLE READ, READ ONLY transaction.
"""

from __future__ import annotations

import importlib
import os
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Uuid,
    create_engine,
    func,
    inspect,
    select,
)
from sqlalchemy.pool import NullPool

from tutela.core.audit import repository as audit_repository
from tutela.core.storage import migrate
from tutela.core.storage.base import metadata
from tutela.errors import BackupFailed

SQLITE_TIME = "YYYY-MM-DD HH24:MI:SS.US"
SNAPSHOT_PREFIX = ".tutela-snapshot-"
ALEMBIC_TABLE = "alembic_version"


@dataclass(frozen=True)
class TableSpec:
    """A table as the logical format sees it: column names and their kinds (i integer,
    b boolean, f float, n decimal as text, j JSON as text, u UUID as text, s text, x bytes,
    t timestamp, d date)."""

    name: str
    columns: tuple[str, ...]
    kinds: str


def tables() -> list[TableSpec]:
    """Every table of the schema, parents before children."""
    importlib.import_module("tutela._models")  # registers every model on the metadata
    return [_spec(t) for t in metadata.sorted_tables]


def _kind(column_type: Any) -> str:
    for kind, types in (
        ("b", (Boolean,)),
        ("t", (DateTime,)),
        ("d", (Date,)),
        ("i", (Integer,)),
        ("f", (Float,)),
        ("n", (Numeric,)),
        ("j", (JSON,)),
        ("u", (Uuid,)),
        ("x", (LargeBinary,)),
        ("s", (String,)),
    ):
        if isinstance(column_type, types):
            return kind
    raise BackupFailed(f"column type {type(column_type).__name__} has no backup format")


def _spec(table: Table) -> TableSpec:
    return TableSpec(
        table.name,
        tuple(c.name for c in table.columns),
        "".join(_kind(c.type) for c in table.columns),
    )


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# -- reading: a snapshot ---------------------------------------------------------------------


class Snapshot:
    """One consistent view of the database, open for reading."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name

    def count(self, table: str) -> int:
        return int(
            self.conn.execute(select(func.count()).select_from(metadata.tables[table])).scalar_one()
        )

    def revision(self) -> str | None:
        return migrate.connection_revision(self.conn)

    def audit_head(self) -> tuple[int, bytes]:
        return audit_repository.last_link(self.conn)

    def batches(self, spec: TableSpec, size: int) -> Iterator[list[Any]]:
        """The table's rows in the logical format, `size` at a time (the caller may change
        `size` between batches through the generator's `send`)."""
        driver = self.conn.connection.driver_connection
        assert driver is not None
        if self.dialect == "postgresql":
            cursor = driver.cursor(name=f"tutela_backup_{spec.name}")
            columns = ", ".join(
                _pg_select(c, k) for c, k in zip(spec.columns, spec.kinds, strict=True)
            )
        else:
            cursor = driver.cursor()
            columns = ", ".join(_q(c) for c in spec.columns)
        try:
            cursor.execute(f"SELECT {columns} FROM {_q(spec.name)}")  # noqa: S608 (names from the metadata)
            while True:
                rows = cursor.fetchmany(size)
                if not rows:
                    return
                asked = yield rows
                if asked:
                    size = asked
        finally:
            cursor.close()


def _pg_select(column: str, kind: str) -> str:
    if kind == "t":
        return f"to_char({_q(column)} AT TIME ZONE 'UTC', '{SQLITE_TIME}')"
    if kind == "d":
        return f"to_char({_q(column)}, 'YYYY-MM-DD')"
    if kind == "b":
        return f"{_q(column)}::int"
    if kind in "nju":  # exact decimals, JSON documents and UUIDs travel as their text
        return f"{_q(column)}::text"
    return _q(column)


@contextmanager
def snapshot(engine: Engine, workdir: Path | None = None) -> Iterator[Snapshot]:
    """A consistent snapshot of the live database, taken while it keeps serving."""
    if engine.dialect.name == "sqlite":
        with _sqlite_copy(engine, workdir) as copy:
            reader = create_engine(f"sqlite:///{copy}", poolclass=NullPool)
            try:
                with reader.connect() as conn:
                    yield Snapshot(conn)
            finally:
                reader.dispose()
        return
    with engine.connect() as plain:
        conn = plain.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            yield Snapshot(conn)


@contextmanager
def _sqlite_copy(engine: Engine, workdir: Path | None) -> Iterator[Path]:
    database = engine.url.database
    if not database:
        raise BackupFailed("the SQLite database has no file to back up")
    where = workdir or Path(database).parent
    _remove_orphans(where)
    fd, name = tempfile.mkstemp(prefix=f"{SNAPSHOT_PREFIX}{os.getpid()}-", suffix=".db", dir=where)
    os.close(fd)
    copy = Path(name)
    try:
        source = sqlite3.connect(database, timeout=30)
        target = sqlite3.connect(copy)
        try:
            source.backup(target)  # all pages in one step: one consistent read transaction
            target.execute("PRAGMA journal_mode = DELETE")  # read it without -wal/-shm files
        finally:
            target.close()
            source.close()
        yield copy
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)


def _remove_orphans(where: Path) -> None:
    """Delete snapshot copies left by a backup process that was killed (its pid is gone)."""
    for path in where.glob(f"{SNAPSHOT_PREFIX}*"):
        try:
            pid = int(path.name[len(SNAPSHOT_PREFIX) :].split("-", 1)[0])
            os.kill(pid, 0)
        except ProcessLookupError:
            path.unlink(missing_ok=True)
        except (ValueError, PermissionError, OSError):
            continue


# -- writing: a restore target ---------------------------------------------------------------


def existing_tables(conn: Connection) -> set[str]:
    """Tutela tables (and Alembic's) that exist in the target's schema."""
    tables()
    known = set(metadata.tables) | {ALEMBIC_TABLE}
    return known & set(inspect(conn).get_table_names())


def drop_tables(conn: Connection, names: set[str]) -> None:
    """Drop Tutela's tables (a forced restore over existing data, in its transaction),
    children before the parents their foreign keys point at."""
    ordered = [t.name for t in reversed(metadata.sorted_tables) if t.name in names]
    ordered += sorted(names - set(ordered))
    for name in ordered:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {_q(name)}")


def prepare_target(conn: Connection) -> None:
    """Session settings the loader relies on (PostgreSQL: timestamps read as UTC)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")


def load(conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Any]) -> None:
    """Insert rows of the logical format into `table` (which must have those columns)."""
    driver = conn.connection.driver_connection
    assert driver is not None
    names = ", ".join(_q(c) for c in columns)
    if conn.dialect.name == "postgresql":
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY {_q(table)} ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    cursor = driver.cursor()
    try:
        cursor.executemany(f"INSERT INTO {_q(table)} ({names}) VALUES ({marks})", rows)  # noqa: S608
    finally:
        cursor.close()


def finish_target(conn: Connection, loaded: Sequence[str]) -> None:
    """After loading: PostgreSQL's serial columns continue after the highest value."""
    if conn.dialect.name != "postgresql":
        return
    for name in loaded:
        table = metadata.tables[name]
        for column in table.primary_key.columns:
            if column.autoincrement is True:
                table_name, column_name = _q(name), _q(column.name)
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table_name}', '{column.name}'), "  # noqa: S608
                    f"COALESCE((SELECT max({column_name}) FROM {table_name}), 1), "
                    f"(SELECT count(*) FROM {table_name}) > 0)"
                )


def count_rows(conn: Connection, table: str) -> int:
    return int(conn.execute(select(func.count()).select_from(metadata.tables[table])).scalar_one())


def sqlite_fold(path: Path) -> None:
    """Leave a SQLite file self-contained (no WAL beside it) before it is moved into place."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
    finally:
        conn.close()
