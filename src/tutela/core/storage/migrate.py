"""Apply and inspect Alembic migrations programmatically (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

_SCRIPTS = Path(__file__).with_name("migrations")


def _config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s")
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> list[str]:
    """Apply pending migrations; returns the revisions applied."""
    before = current_revision(engine)
    command.upgrade(_config(engine), "head")
    script = ScriptDirectory.from_config(_config(engine))
    applied = []
    for rev in script.walk_revisions(base="base", head="heads"):
        if rev.revision == before:
            break
        applied.append(rev.revision)
    return list(reversed(applied))


def upgrade_connection(conn: Connection, revision: str = "head") -> None:
    """Apply migrations up to `revision` on `conn`, inside its open transaction (a restore
    builds a schema and fills it in one transaction; PostgreSQL's DDL is transactional)."""
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.attributes["connection"] = conn
    command.upgrade(config, revision)


def known_revision(revision: str) -> bool:
    """Whether this release's migrations include `revision` (a backup's schema)."""
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    try:
        return ScriptDirectory.from_config(config).get_revision(revision) is not None
    except Exception:  # alembic raises several kinds for an unknown or malformed id
        return False


def connection_revision(conn: Connection) -> str | None:
    """The schema revision seen by `conn` (inside its transaction)."""
    return MigrationContext.configure(conn).get_current_revision()


def current_revision(engine: Engine) -> str | None:
    # A plain connection, not our BEGIN IMMEDIATE transaction: this only reads.
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    return ScriptDirectory.from_config(config).get_current_head()


def is_current(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()
