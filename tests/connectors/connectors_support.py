"""A business database for the connector tests: a customers table on SQLite or PostgreSQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from tutela.connectors import ConnectorSettings
from tutela.testing import PiiCanary

COLLECTED = ("email", "name", "city", "born", "balance", "avatar", "joined")


@dataclass
class Store:
    """One business database: `url` and `schema` for the connector, `engine` to look inside."""

    backend: str
    url: str
    schema: str | None
    engine: sa.Engine

    def table(self, name: str = "customers") -> sa.Table:
        return sa.Table(name, sa.MetaData(), schema=self.schema, autoload_with=self.engine)

    def rows(self, name: str = "customers") -> list[dict[str, Any]]:
        table = self.table(name)
        with self.engine.connect() as conn:
            result = conn.execute(sa.select(table).order_by(*table.primary_key.columns))
            return [dict(r._mapping) for r in result]

    def matching(self, identity: str) -> int:
        """Rows whose email still matches the identity in any letter case."""
        table = self.table()
        where = sa.func.lower(table.c.email) == identity.lower()
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).where(where)).scalar_one())

    def execute(self, *statements: str) -> None:
        """Raw DDL; `{t}` stands for the schema prefix (`"schema".` or nothing)."""
        prefix = f'"{self.schema}".' if self.schema else ""
        with self.engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement.format(t=prefix))

    def spec(self, **overrides: Any) -> ConnectorSettings:
        values: dict[str, Any] = {
            "name": "shop",
            "url": self.url,
            "schema": self.schema,
            "table": "customers",
            "identity_column": "email",
            "identity_field": "email",
            "columns": list(COLLECTED),
            "erase": "delete",
        }
        return ConnectorSettings.model_validate({**values, **overrides})


@dataclass(frozen=True)
class Seeded:
    """The customer the tests ask about (two rows, in two letter cases) and another one."""

    identity: str  # the customer's email as the vault holds it (lower case)
    other: str


def create_customers(store: Store, canary: PiiCanary) -> Seeded:
    """The customers table, with the asked-about customer's two rows and another's one."""
    metadata = sa.MetaData(schema=store.schema)
    table = sa.Table(
        "customers",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(200)),
        sa.Column("name", sa.Text),
        sa.Column("city", sa.String(6)),
        sa.Column("born", sa.Date),
        sa.Column("balance", sa.Numeric(10, 2)),
        sa.Column("avatar", sa.LargeBinary),
        sa.Column("joined", sa.DateTime),
        sa.Column("visits", sa.Integer, nullable=False, server_default="0"),
        sa.Column("note", sa.Text),  # never configured: must never be collected
    )
    metadata.create_all(store.engine)
    ada, bob = canary.customer(0), canary.customer(1)
    note = f"note {ada['loyalty_id']}"
    canary.values.append(note)
    rows = [
        {
            "id": 1,
            "email": ada["email"].replace("canary", "Canary").replace("example", "Example"),
            "name": ada["name"],
            "city": "Leeds",
            "born": dt.date(1990, 5, 17),
            "balance": Decimal("12.50"),
            "avatar": b"\x00\xffpng",
            "joined": dt.datetime(2024, 1, 2, 3, 4, 5),
            "visits": 3,
            "note": note,
        },
        {"id": 2, "email": ada["email"], "name": ada["name"], "city": "York", "visits": 1},
        {"id": 3, "email": bob["email"], "name": bob["name"], "city": "Bath", "visits": 7},
    ]
    blank = dict.fromkeys(table.c.keys())
    with store.engine.begin() as conn:
        conn.execute(table.insert(), [{**blank, **row} for row in rows])
    return Seeded(identity=ada["email"], other=bob["email"])
