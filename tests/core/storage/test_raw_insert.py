"""Hot-path writes straight on the driver, on both backends: `RawInsert.run_many` stores every
row exactly once whatever the count (on PostgreSQL in few statements), and a bad row fails the
whole call; `committing` ends a transaction, beginning it too where nothing has yet, and a
failure inside it leaves nothing stored and the connection as it was."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tutela.core.storage import raw, wire
from tutela.core.storage.engine import create_engine_for
from tutela.core.storage.raw import RawInsert, before_begin, committing

_metadata = sa.MetaData()
_table = sa.Table(
    "raw_insert_probe",
    _metadata,
    sa.Column("n", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("label", sa.String(32)),
    sa.Column("blob", sa.LargeBinary),
    sa.Column("at", sa.DateTime(timezone=True)),
)
_INSERT = RawInsert(sa.insert(_table))
_START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path, database_url: str | None) -> Iterator[sa.Engine]:
    engine = create_engine_for(database_url or f"sqlite:///{tmp_path / 'raw.db'}")
    _metadata.create_all(engine)
    yield engine
    engine.dispose()


def _rows(count: int, first: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "n": first + i,
            "label": None if i % 3 == 0 else f"row {first + i}",
            "blob": bytes([i % 256]) * (i % 5),
            "at": _START + timedelta(seconds=i),
        }
        for i in range(count)
    ]


def _stored(engine: sa.Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        result = conn.execute(sa.select(_table).order_by(_table.c.n))
        return [
            {**row._asdict(), "blob": bytes(row.blob), "at": row.at.replace(tzinfo=UTC)}
            for row in result
        ]


@pytest.mark.parametrize("count", [0, 1, 2, 3, 31, 32, 33, 70])
def test_every_row_is_stored_once(engine: sa.Engine, count: int) -> None:
    rows = _rows(count)
    with engine.begin() as conn:
        _INSERT.run_many(conn, rows)
    assert _stored(engine) == rows


def test_rows_sent_in_a_pipeline_are_stored(engine: sa.Engine) -> None:
    rows = _rows(45)
    with engine.begin() as conn, committing(conn):
        _INSERT.run_many(conn, rows[:20])
        _INSERT.run_many(conn, rows[20:])
    assert _stored(engine) == rows


def test_statements_sent(engine: sa.Engine, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL: 70 rows in four statements (32 + 32 + 4 + 2), in one write (one round trip);
    SQLite: one executemany."""
    sent: list[str] = []
    if backend == "postgresql":
        queue, flush = wire._Wire.queue, wire._Wire.flush

        def queue_noted(self: wire._Wire, sql: bytes, values: list[Any]) -> None:
            sent.append("statement")
            queue(self, sql, values)

        def flush_noted(self: wire._Wire, *, commit: bool = False) -> list[Any]:
            sent.append("write")
            return flush(self, commit=commit)

        monkeypatch.setattr(wire._Wire, "queue", queue_noted)
        monkeypatch.setattr(wire._Wire, "flush", flush_noted)
    else:
        driver_cursor = raw._cursor
        monkeypatch.setattr(raw, "_cursor", lambda conn: _Recording(driver_cursor(conn), sent))
    with engine.begin() as conn, committing(conn):
        _INSERT.run_many(conn, _rows(70))
    expected = ["statement"] * 4 + ["write"] if backend == "postgresql" else ["executemany"]
    assert sent == expected
    assert len(_stored(engine)) == 70


def test_a_bad_row_stores_none_of_the_call(engine: sa.Engine) -> None:
    rows = _rows(40)
    rows[35]["n"] = rows[3]["n"]  # a duplicate key in the second chunk
    # Straight from the driver, as every `RawStatement` error is (the unit of work expects it).
    with pytest.raises(engine.dialect.loaded_dbapi.IntegrityError), engine.begin() as conn:
        _INSERT.run_many(conn, rows)
    assert _stored(engine) == []


class _Recording:
    """A driver cursor that notes each call that runs a statement."""

    def __init__(self, cursor: Any, sent: list[str]) -> None:
        self._cursor = cursor
        self._sent = sent

    def execute(self, sql: str, params: Any = None) -> Any:
        self._sent.append("execute")
        return self._cursor.execute(sql, params)

    def executemany(self, sql: str, params: Any) -> Any:
        self._sent.append("executemany")
        return self._cursor.executemany(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


# -- committing: the transaction's last block, its BEGIN sent with it where none was sent ----


def test_reads_before_begin_then_a_committing_block(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        _INSERT.run_many(conn, _rows(3))
    with engine.connect() as conn:
        conn.begin()
        with before_begin(conn):
            seen = conn.execute(sa.select(sa.func.count()).select_from(_table)).scalar_one()
        with committing(conn):
            _INSERT.run_many(conn, _rows(2, first=seen))
        conn.commit()
    assert [r["n"] for r in _stored(engine)] == [0, 1, 2, 3, 4]


def test_a_failed_committing_block_stores_nothing_and_leaves_the_connection_as_it_was(
    engine: sa.Engine,
) -> None:
    rows = _rows(4)
    rows[3]["n"] = 0  # a duplicate key: the block fails when its results come back
    with engine.connect() as conn:
        driver: Any = conn.connection.driver_connection
        conn.begin()
        with pytest.raises(engine.dialect.loaded_dbapi.IntegrityError), committing(conn):
            _INSERT.run_many(conn, rows)
        conn.rollback()
        # Back in transaction mode: two statements are one transaction again, all or nothing.
        assert not getattr(driver, "autocommit", False)
        with pytest.raises(engine.dialect.loaded_dbapi.IntegrityError), conn.begin():
            _INSERT.run_many(conn, _rows(1, first=10))
            _INSERT.run_many(conn, _rows(1, first=10))
    assert _stored(engine) == []


def test_a_connection_that_breaks_while_reading_before_begin_is_never_reused(
    engine: sa.Engine, backend: str
) -> None:
    """On PostgreSQL the driver must go back to transaction mode after `before_begin`; one that
    broke meanwhile cannot, and is invalidated rather than returned to the pool in autocommit.
    (On SQLite the block changes nothing, so there is nothing to break.)"""
    with engine.connect() as conn:
        conn.begin()
        failed = False
        try:
            with before_begin(conn):
                conn.execute(sa.select(sa.func.count()).select_from(_table))
                if backend == "postgresql":
                    conn.connection.driver_connection.close()  # type: ignore[union-attr]
        except engine.dialect.loaded_dbapi.OperationalError:
            failed = True
        assert failed == conn.invalidated == (backend == "postgresql")
    with engine.connect() as conn:  # the pool hands out a working connection
        assert conn.execute(sa.select(sa.func.count()).select_from(_table)).scalar_one() == 0
