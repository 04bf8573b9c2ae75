"""Fixtures for backup tests: a home on the test's backend (SQLite or PostgreSQL) on a frozen
clock, extra databases to restore into, and homes that share the first one's keyring.

Every home opened through `home` is checked at the end: its audit chain verifies and no
canary value is in its audit rows.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from backup_support import POSTGRES_URL, Home

from tutela import Settings
from tutela.clock import FrozenClock
from tutela.testing import PiiCanary

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def home(settings: Settings, clock: FrozenClock, canary: PiiCanary) -> Iterator[Home]:
    """A fresh home (example shop data map) on the test's backend, not yet initialised."""
    made = Home(settings, clock, canary)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """`new_database(engine)`: the URL of an empty database on `sqlite` or `postgresql`."""
    schemas: list[str] = []

    def make(engine: str) -> str:
        if engine == "sqlite":
            return f"sqlite:///{tmp_path / f'target-{secrets.token_hex(4)}.db'}"
        admin: sa.Engine = request.getfixturevalue("postgres_admin")
        schema = f"t_{secrets.token_hex(6)}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        schemas.append(schema)
        separator = "&" if "?" in POSTGRES_URL else "?"
        return f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"

    yield make
    if schemas:
        admin = request.getfixturevalue("postgres_admin")
        with admin.connect() as conn:
            for schema in schemas:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def twin(tmp_path: Path) -> Callable[[Settings, str], Settings]:
    """`twin(settings, url)`: settings of a second home on the database at `url`, with the
    same data map and keyring as the first (as after moving the home to another server)."""

    def make(source: Settings, url: str) -> Settings:
        root = tmp_path / f"twin-{secrets.token_hex(4)}"
        root.mkdir(mode=0o700)
        shutil.copy(source.datamap_file, root / "datamap.yaml")
        shutil.copy(source.key_file, root / "keys.json")
        (root / "keys.json").chmod(0o600)
        return Settings.load(root, environ={}, database_url=url)

    return make
