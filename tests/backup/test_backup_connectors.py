"""An erasure request carried out in the vault and the connected business databases, then an
older backup restored: the customer is erased again in the vault, and in every connected
table too — even when the business has restored its own databases to before the erasure."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from backup_support import Home, state

from tutela import Tutela
from tutela.connectors import ConnectorSettings
from tutela.rights.service import Status
from tutela.testing import OutboxMailer, PiiCanary

MASK = "[erased]"
MINIMAL = ("email", "phone", "loyalty_id")  # nothing a legal obligation keeps: erased whole


class Business:
    """One table of a business database holding customers by email."""

    def __init__(self, name: str, url: str, schema: str | None, erase: str) -> None:
        self.name, self.url, self.schema, self.erase = name, url, schema, erase
        self.engine = sa.create_engine(url)
        self.table = sa.Table(
            "customers",
            sa.MetaData(schema=schema),
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("email", sa.String(200)),
            sa.Column("name", sa.Text),
        )

    def spec(self) -> ConnectorSettings:
        return ConnectorSettings.model_validate(
            {
                "name": self.name,
                "url": self.url,
                "schema": self.schema,
                "table": "customers",
                "identity_column": "email",
                "identity_field": "email",
                "columns": ["email", "name"],
                "erase": self.erase,
            }
        )

    def load(self, *people: dict[str, Any]) -> None:
        """(Re)create the table with these people's rows: as restored from the business's
        own backup."""
        self.table.drop(self.engine, checkfirst=True)
        self.table.create(self.engine)
        with self.engine.begin() as conn:
            conn.execute(
                self.table.insert(),
                [{"id": n, "email": p["email"], "name": p["name"]} for n, p in enumerate(people)],
            )

    def matching(self, email: str) -> int:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(self.table.c.email)).scalars()
            return sum(1 for e in rows if e and e.casefold() == email.casefold())

    def rows(self) -> int:
        with self.engine.connect() as conn:
            return len(conn.execute(sa.select(self.table)).all())


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Business]:
    business = Business("shop", f"sqlite:///{tmp_path / 'shop.db'}", None, "delete")
    yield business
    business.engine.dispose()


@pytest.fixture
def orders(postgres_admin: sa.Engine) -> Iterator[Business]:
    schema = f"orders_{secrets.token_hex(6)}"
    with postgres_admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = postgres_admin.url.render_as_string(hide_password=False)
    business = Business("orders", url, schema, "mask")
    yield business
    business.engine.dispose()
    with postgres_admin.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


def test_restoring_a_backup_from_before_an_erasure_request_erases_everywhere_again(
    home: Home, canary: PiiCanary, shop: Business, orders: Business
) -> None:
    ada, bob = canary.customer(0), canary.customer(1)
    outbox = OutboxMailer()
    home.settings = home.settings.model_copy(update={"connectors": [shop.spec(), orders.spec()]})
    tutela: Tutela = home.init(mailer=outbox)
    subject = tutela.add({k: ada[k] for k in MINIMAL})
    other = tutela.add(bob)
    for business in (shop, orders):
        business.load(ada, bob, ada)
    made = tutela.backups.create()
    created = tutela.requests.create("erasure", ada["email"])
    waiting = tutela.requests.verify(created.id, outbox.codes_for(ada["email"])[-1])
    done = tutela.requests.approve(waiting.id)
    assert done.status is Status.COMPLETED
    assert (shop.matching(ada["email"]), orders.matching(ada["email"])) == (0, 0)
    home.close()
    # the business also goes back to its own backups from before the erasure
    for business in (shop, orders):
        business.load(ada, bob, ada)
    assert (shop.matching(ada["email"]), orders.matching(ada["email"])) == (2, 2)

    report = Tutela.restore_backup(home.settings, made.name, force=True)

    assert report.subjects_erased == 1
    assert {(c.name, c.ok, c.failed) for c in report.connectors} == {
        ("shop", 1, 0),
        ("orders", 1, 0),
    }
    tutela = home.open(mailer=outbox)
    assert state(tutela, [subject])[subject] == "erased"
    assert state(tutela, [other])[other] != "erased"
    # no trace of her in any connected table; the other customer's rows are untouched
    assert (shop.matching(ada["email"]), orders.matching(ada["email"])) == (0, 0)
    assert (shop.matching(bob["email"]), orders.matching(bob["email"])) == (1, 1)
    assert (shop.rows(), orders.rows()) == (1, 3)
    assert not canary.leaks([repr(report)])
