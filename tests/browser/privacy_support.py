"""Helpers of the privacy-center browser test (imported by name: the tests have no packages):
a real SMTP server on loopback (aiosmtpd) that keeps what it is sent, and the served Tutela
that sends its customer emails through it.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope
from browser_support import HOST, free_socket
from playwright.sync_api import Page

from tutela import Tutela

CODE = re.compile(r"^[ \t]*(\d{6})[ \t]*$", re.MULTILINE)  # the code's line holds only it
MAIL_TIMEOUT_S = 15.0


@dataclass
class MailCatcher:
    """An aiosmtpd handler keeping every message it accepts."""

    messages: list[EmailMessage] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if str(m["To"]).casefold() == address.casefold()]

    def code_for(self, address: str, *, after: int = 0) -> str:
        """The code of the first verification email to `address` beyond the first `after`
        messages to it, waiting for it to arrive."""
        deadline = time.monotonic() + MAIL_TIMEOUT_S
        with self._arrived:
            while True:
                for message in self.to(address)[after:]:
                    body = message.get_body(preferencelist=("plain",))
                    text = body.get_content().replace("\r\n", "\n") if body is not None else ""
                    found = CODE.findall(text)
                    if found:
                        return str(found[0])
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"no code was delivered in {MAIL_TIMEOUT_S} s", pytrace=False)
                self._arrived.wait(left)


@contextmanager
def mail_server() -> Iterator[tuple[int, MailCatcher]]:
    """A real SMTP server on a free loopback port; yields its port and what it received."""
    with free_socket() as sock:
        port = int(sock.getsockname()[1])  # released here: aiosmtpd binds it itself
    catcher = MailCatcher()
    controller = Controller(catcher, hostname=HOST, port=port)
    controller.start()
    try:
        yield port, catcher
    finally:
        controller.stop()


@dataclass
class BusinessDatabases:
    """The shop's own databases the privacy center reaches: a `customers` table in a second
    SQLite file and an `orders` table in a PostgreSQL schema, both matched on email."""

    shop: sa.Engine
    orders: sa.Engine
    schema: str

    def connectors(self) -> list[dict[str, Any]]:
        return [
            {
                "name": "shop",
                "url": self.shop.url.render_as_string(hide_password=False),
                "table": "customers",
                "identity_column": "email",
                "identity_field": "email",
                "columns": ["email", "name", "city"],
                "erase": "delete",
            },
            {
                "name": "orders",
                "url": self.orders.url.render_as_string(hide_password=False),
                "schema": self.schema,
                "table": "orders",
                "identity_column": "email",
                "identity_field": "email",
                "columns": ["email", "item"],
                "erase": "mask",
            },
        ]

    def create(self, email: str, other: str) -> None:
        """The customer's rows (their email in upper case in the shop) and another's."""
        with self.shop.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT, name TEXT, city TEXT)"
            )
            conn.exec_driver_sql(
                "INSERT INTO customers (email, name, city) VALUES (?, 'the customer', 'Leeds'),"
                " (?, 'someone else', 'York')",
                (email.upper(), other),
            )
        with self.orders.begin() as conn:
            conn.exec_driver_sql(
                f'CREATE TABLE "{self.schema}".orders '
                "(id SERIAL PRIMARY KEY, email TEXT, item TEXT)"
            )
            conn.exec_driver_sql(
                f'INSERT INTO "{self.schema}".orders (email, item) VALUES '
                "(%s, 'tea'), (%s, 'cake'), (%s, 'bread')",
                (email, email, other),
            )

    def matching(self, email: str) -> tuple[int, int]:
        """Rows still matching the email in the shop and in the orders."""
        with self.shop.connect() as conn:
            shop = conn.exec_driver_sql(
                "SELECT count(*) FROM customers WHERE lower(email) = ?", (email.lower(),)
            ).scalar_one()
        with self.orders.connect() as conn:
            orders = conn.exec_driver_sql(
                f'SELECT count(*) FROM "{self.schema}".orders WHERE lower(email) = %s',
                (email.lower(),),
            ).scalar_one()
        return int(shop), int(orders)


@dataclass
class PrivacySite:
    """The served Tutela, the SDK on the same home, the SMTP server's inbox, and the shop's
    own databases."""

    url: str
    vault: Tutela
    mail: MailCatcher
    backend: str
    artifacts: Path
    business: BusinessDatabases

    def screenshot(self, page: Page, name: str, *, full_page: bool = True) -> Path:
        path = self.artifacts / f"privacy-{name}-{self.backend}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path


def scroll_width(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))
