"""Fixtures of the connector tests: a business database on SQLite and on PostgreSQL.

The SQLite database is a second file in the test's tmp_path (not a Tutela home); PostgreSQL
gets a uniquely named schema per test, dropped afterwards, so parallel runs never collide.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from connectors_support import Seeded, Store, create_customers

from tutela.testing import PiiCanary


@pytest.fixture
def pg_schema(postgres_admin: sa.Engine) -> Iterator[str]:
    schema = f"conn_{secrets.token_hex(6)}"
    with postgres_admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield schema
    with postgres_admin.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    engine = sa.create_engine(url)
    yield Store("sqlite", url, None, engine)
    engine.dispose()


@pytest.fixture
def pg_store(postgres_admin: sa.Engine, pg_schema: str) -> Store:
    url = postgres_admin.url.render_as_string(hide_password=False)
    return Store("postgresql", url, pg_schema, postgres_admin)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> Store:
    """The business database, once on each backend."""
    return request.getfixturevalue(f"{'pg' if request.param == 'postgresql' else 'sqlite'}_store")


@pytest.fixture
def seeded(store: Store, canary: PiiCanary) -> Seeded:
    return create_customers(store, canary)
