"""Two business databases for the connected-systems request tests.

`shop`: a `customers` table in a second SQLite file of the test's tmp_path (erase = delete).
`orders`: an `orders` table in a PostgreSQL schema of the test's own (erase = mask).
Each holds two rows of the customer asked about (their email in two letter cases) and one row
of another customer. A table is created only when the test says so, so a test can start with
the file or the table missing and create it later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tutela.connectors import ConnectorSettings

MASK = "[erased]"


def cases(email: str) -> tuple[str, str]:
    """The email as it is stored twice in each business table: mixed case, then lower."""
    local, _, domain = email.partition("@")
    return f"{local[:1].upper()}{local[1:]}@{domain.upper()}", email.lower()


@dataclass
class BusinessDb:
    """One business database: what its connector is configured with, and an engine to look."""

    name: str  # the connector's name
    table: str
    url: str
    schema: str | None
    engine: sa.Engine
    columns: tuple[str, ...]
    erase: str

    def spec(self, **overrides: Any) -> ConnectorSettings:
        values: dict[str, Any] = {
            "name": self.name,
            "url": self.url,
            "schema": self.schema,
            "table": self.table,
            "identity_column": "email",
            "identity_field": "email",
            "columns": list(self.columns),
            "erase": self.erase,
        }
        return ConnectorSettings.model_validate({**values, **overrides})

    def create(
        self, customer: dict[str, Any], other: dict[str, Any], *, table: str | None = None
    ) -> None:
        """The table (named `table` if given, e.g. to rename it later) with the rows."""
        metadata = sa.MetaData(schema=self.schema)
        created = sa.Table(
            table or self.table,
            metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("email", sa.String(200)),
            sa.Column("name", sa.Text),
            *(sa.Column(c, sa.Text) for c in self.columns if c not in ("email", "name")),
        )
        metadata.create_all(self.engine)
        mixed, lower = cases(customer["email"])
        extra = [c for c in self.columns if c not in ("email", "name")]
        people = [(mixed, customer), (lower, customer), (other["email"], other)]
        rows = [
            {
                "id": n,
                "email": email,
                "name": person["name"],
                **{c: f"{c} {n}" for c in extra},
            }
            for n, (email, person) in enumerate(people, start=1)
        ]
        with self.engine.begin() as conn:
            conn.execute(created.insert(), rows)

    def rename(self, old: str) -> None:
        prefix = f'"{self.schema}".' if self.schema else ""
        with self.engine.begin() as conn:
            conn.exec_driver_sql(f'ALTER TABLE {prefix}"{old}" RENAME TO "{self.table}"')

    def rows(self) -> list[dict[str, Any]]:
        table = sa.Table(self.table, sa.MetaData(), schema=self.schema, autoload_with=self.engine)
        with self.engine.connect() as conn:
            result = conn.execute(sa.select(table).order_by(table.c.id))
            return [dict(r._mapping) for r in result]

    def matching(self, email: str) -> int:
        """Rows whose email matches `email` in any letter case."""
        return sum(
            1 for r in self.rows() if r["email"] and r["email"].casefold() == email.casefold()
        )
