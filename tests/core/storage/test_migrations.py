"""Schema migrations keep every row, on both backends; on SQLite the subject table is an
ordinary rowid table (see vault/models.py for why)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from tutela.core.storage import migrate
from tutela.core.storage.engine import create_engine_for

BEFORE_ROWID = "2026_11_29_erasure_restriction"
SCRIPTS = Path(migrate.__file__).with_name("migrations")


@pytest.fixture
def engine(tmp_path: Path, database_url: str | None) -> Iterator[sa.Engine]:
    url = database_url or f"sqlite:///{tmp_path / 'tutela.db'}"
    engine = create_engine_for(url)
    yield engine
    engine.dispose()


def _alembic(conn: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["connection"] = conn
    return config


def _subject_rows(engine: sa.Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        query = "SELECT id, sealed, digests, restricted_to FROM subject ORDER BY id"
        return [tuple(r) for r in conn.execute(sa.text(query))]


def _without_rowid(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        ddl = conn.execute(sa.text("SELECT sql FROM sqlite_master WHERE name = 'subject'"))
        return "WITHOUT ROWID" in ddl.scalar_one().upper()


def test_subject_rows_survive_the_rowid_rebuild_both_ways(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        migrate.upgrade_connection(conn, BEFORE_ROWID)
        now = datetime(2026, 11, 29, tzinfo=UTC)
        for n, restricted in enumerate((None, "tax_records")):
            conn.execute(
                sa.text(
                    "INSERT INTO subject (id, dek_version, kek_version, wrapped_dek, sealed, "
                    "digests, created_at, updated_at, restricted_to) "
                    "VALUES (:id, 1, 1, :w, :s, :d, :at, :at, :r)"
                ),
                {
                    "id": f"sub_{n:026d}",
                    "w": b"\x01" * 60,
                    "s": bytes([n]) * 600,
                    "d": b"\x02" * 84,
                    "r": restricted,
                    "at": now,
                },
            )
    before = _subject_rows(engine)
    if engine.dialect.name == "sqlite":
        assert _without_rowid(engine)

    with engine.begin() as conn:
        command.upgrade(_alembic(conn), "head")
    assert _subject_rows(engine) == before
    if engine.dialect.name == "sqlite":
        assert not _without_rowid(engine)

    with engine.begin() as conn:
        command.downgrade(_alembic(conn), BEFORE_ROWID)
    assert _subject_rows(engine) == before
    if engine.dialect.name == "sqlite":
        assert _without_rowid(engine)
