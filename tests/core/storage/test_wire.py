"""PostgreSQL's hot statements at the protocol level (`wire`): values go and come back as
psycopg's cursors would carry them, a block's statements go in one write, statements are
prepared once per connection (and afresh when the server forgot them), psycopg sees the
transaction they began, an error aborts the rest of its block and leaves the connection usable,
and a connection lost mid-block is never reused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from psycopg.pq import TransactionStatus

from tutela.core.storage import wire
from tutela.core.storage.engine import create_engine_for
from tutela.core.storage.raw import RawInsert, RawStatement, committing

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])

_metadata = sa.MetaData()
_table = sa.Table(
    "wire_probe",
    _metadata,
    sa.Column("n", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("label", sa.String(64)),
    sa.Column("blob", sa.LargeBinary),
    sa.Column("at", sa.DateTime(timezone=True)),
)
_INSERT = RawInsert(sa.insert(_table))
_ALL = RawStatement(
    sa.select(_table.c.n, _table.c.label, _table.c.blob, _table.c.at).order_by(_table.c.n)
)
_ANY = RawStatement(
    sa.select(_table.c.n).where(
        _table.c.label == sa.any_(sa.bindparam("labels", type_=sa.ARRAY(sa.String)))
    )
)
_COUNT = RawStatement(sa.select(sa.func.count()).select_from(_table))
_PREPARED = sa.text("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'tutela_%'")


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_engine_for(database_url)
    _metadata.create_all(engine)
    yield engine
    engine.dispose()


def _row(n: int, label: str | None = "x", blob: bytes | None = b"") -> dict[str, Any]:
    return {
        "n": n,
        "label": label,
        "blob": blob,
        "at": datetime(2026, 11, 30, 9, n % 60, tzinfo=UTC),
    }


def _count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(_table)).scalar_one())


def _stored_ns(engine: sa.Engine) -> list[int]:
    with engine.connect() as conn:
        return [row[0] for row in _ALL.rows(conn)]


def test_values_come_back_as_they_went(engine: sa.Engine) -> None:
    rows = [
        _row(1, "plain", b"\x00\x01\xff"),
        _row(2**40, "quotes ' \" \\ and ünïcode", b""),
        _row(3, None, None),
    ]
    with engine.begin() as conn:
        _INSERT.run_many(conn, rows)
        back = _ALL.rows(conn)
        found = _ANY.rows(conn, {"labels": ["plain", "quotes ' \" \\ and ünïcode", "none"]})
    got = [dict(zip(("n", "label", "blob", "at"), r, strict=True)) for r in back]
    assert got == sorted(rows, key=lambda r: r["n"])
    assert sorted(n for (n,) in found) == [1, 2**40]


def test_a_block_is_one_write_and_statements_are_prepared_once(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[int] = []
    flush = wire._Wire.flush

    def flush_counted(self: wire._Wire, *, commit: bool = False) -> list[Any]:
        writes.append(1)
        return flush(self, commit=commit)

    monkeypatch.setattr(wire._Wire, "flush", flush_counted)
    with engine.connect() as conn:
        for first in (0, 10):
            conn.begin()
            with committing(conn):
                _INSERT.run(conn, _row(first))
                _INSERT.run_many(conn, [_row(first + 1), _row(first + 2)])
            conn.commit()
        prepared = conn.execute(_PREPARED).scalar_one()
    assert len(writes) == 2  # BEGIN, three rows in two statements and COMMIT: one write each
    assert prepared == 2  # the one-row and the two-row INSERT, prepared by the first block
    assert _count(engine) == 6


def test_psycopg_sees_the_transaction_a_statement_began(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        conn.begin()
        _INSERT.run(conn, _row(1))
        driver: Any = conn.connection.driver_connection
        assert driver.info.transaction_status == TransactionStatus.INTRANS
        conn.execute(sa.insert(_table).values(_row(2)))  # psycopg's own, same transaction
        conn.rollback()
    assert _count(engine) == 0


def test_a_core_statement_inside_a_block_runs_after_what_the_block_queued(
    engine: sa.Engine,
) -> None:
    with engine.connect() as conn:
        conn.begin()
        with committing(conn):
            _INSERT.run(conn, _row(1))
            seen = conn.execute(sa.select(sa.func.count()).select_from(_table)).scalar_one()
        conn.commit()
    assert seen == 1


def test_an_error_aborts_the_rest_of_its_block_and_the_connection_recovers(
    engine: sa.Engine,
) -> None:
    with engine.connect() as conn:
        conn.begin()
        with pytest.raises(psycopg.errors.UniqueViolation), committing(conn):
            _INSERT.run(conn, _row(1))
            _INSERT.run(conn, _row(1))
            _INSERT.run(conn, _row(2))
        conn.rollback()
        assert not conn.invalidated
        conn.begin()
        with committing(conn):
            _INSERT.run(conn, _row(3))
        conn.commit()
    assert _stored_ns(engine) == [3]


def test_a_statement_postgres_refused_is_prepared_again_once_it_can_be(
    engine: sa.Engine,
) -> None:
    later = sa.Table("wire_later", sa.MetaData(), sa.Column("n", sa.Integer))
    select_later = RawStatement(sa.select(later.c.n))
    with engine.connect() as conn, pytest.raises(psycopg.errors.UndefinedTable):
        select_later.rows(conn)
    later.create(engine)
    with engine.connect() as conn:
        assert select_later.rows(conn) == []


def test_statements_the_server_forgot_are_prepared_afresh(engine: sa.Engine) -> None:
    """Each block is a pooled connection's use; the pool hands the same one back (LIFO)."""
    pids = set()
    with engine.connect() as conn:
        pids.add(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
        assert _COUNT.rows(conn) == [(0,)]
        conn.commit()
        conn.exec_driver_sql("DEALLOCATE ALL")  # as a pooler or a DISCARD ALL would
    with engine.connect() as conn, pytest.raises(psycopg.errors.InvalidSqlStatementName):
        _COUNT.rows(conn)  # one failure, then the connection prepares its statements afresh
    with engine.connect() as conn:
        pids.add(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
        assert _COUNT.rows(conn) == [(0,)]
    assert len(pids) == 1


def test_statements_stay_prepared_through_rollbacks_and_core_statements(
    engine: sa.Engine,
) -> None:
    """psycopg would DEALLOCATE ALL after a rollback once it had prepared statements of its own
    (after five runs of one): the engine tells it to prepare none."""
    with engine.connect() as conn:
        for _ in range(8):
            conn.execute(sa.select(sa.func.count()).select_from(_table)).scalar_one()
        assert _COUNT.rows(conn) == [(0,)]
        conn.rollback()
        conn.execute(sa.text("DROP TABLE IF EXISTS wire_nothing"))
        conn.rollback()
        assert _COUNT.rows(conn) == [(0,)]
        assert conn.execute(_PREPARED).scalar_one() == 1


def test_a_connection_lost_mid_block_is_never_reused(
    engine: sa.Engine, postgres_admin: sa.Engine
) -> None:
    with engine.connect() as conn:
        conn.begin()
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        with postgres_admin.connect() as admin:
            admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(psycopg.OperationalError), committing(conn):
            _INSERT.run(conn, _row(1))
        assert conn.invalidated
    assert _count(engine) == 0  # and the pool hands out a working connection


def test_a_value_that_cannot_be_sent_leaves_the_connection_usable(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        conn.begin()
        with pytest.raises(psycopg.ProgrammingError):
            _INSERT.run(conn, {**_row(1), "label": object()})
        assert not conn.invalidated
        _INSERT.run(conn, _row(2))
        conn.commit()
    assert _stored_ns(engine) == [2]


def test_a_transaction_begun_here_has_the_isolation_and_access_mode_asked_for(
    engine: sa.Engine,
) -> None:
    """A backup reads one REPEATABLE READ, READ ONLY snapshot; its first statement may be one
    sent from here, so the BEGIN sent with it must say so."""
    with engine.connect() as plain:
        conn = plain.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            assert _COUNT.rows(conn) == [(0,)]
            with engine.begin() as other:
                _INSERT.run(other, _row(1))
            assert _COUNT.rows(conn) == [(0,)]  # the snapshot taken by its first statement
            with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
                _INSERT.run(conn, _row(2))
    assert _count(engine) == 1
