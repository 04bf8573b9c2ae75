"""Shipped test helpers: a frozen clock, an in-memory key provider, an outbox mailer, fake
customers and the PII canary that proves no personal value leaks into logs, errors or the
audit log.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tutela.backup.store import MemoryBackupStore
from tutela.clock import FrozenClock
from tutela.core.crypto import new_secret
from tutela.core.crypto.keyring import _LocalProvider
from tutela.outreach.mailer import Message


class InMemoryKeyProvider(_LocalProvider):
    """KEKs that live only in this process; rotation and retirement work as with a file."""

    name = "memory"

    def __init__(self) -> None:
        super().__init__({1: new_secret()})

    def new_version(self) -> int:
        version = self.current_version() + 1
        self._add(version, new_secret())
        return version

    def retire(self, version: int) -> None:
        self._drop(version)


def fake_customers(count: int, *, seed: int = 7, locale: str = "en_GB") -> Iterator[dict[str, Any]]:
    """Plausible customers for the example data map: every value valid for its field type.

    Emails are made unique by numbering; phone numbers are drawn until one is valid.
    """
    import phonenumbers
    from faker import Faker

    fake = Faker(locale)
    fake.seed_instance(seed)
    rng = random.Random(seed)  # noqa: S311 - reproducible fake data, not secrets
    for n in range(count):
        phone = fake.phone_number()
        while not phonenumbers.is_valid_number(phonenumbers.parse(phone, "GB")):
            phone = fake.phone_number()
        first, last = fake.first_name(), fake.last_name()
        yield {
            "email": f"{first}.{last}.{n}@{fake.free_email_domain()}".lower(),
            "name": f"{first} {last}",
            "phone": phone,
            "address": fake.address().replace("\n", ", "),
            "date_of_birth": fake.date_of_birth(minimum_age=18, maximum_age=90).isoformat(),
            "loyalty_id": f"L{rng.randrange(10**9):09d}",
            "marketing_preferences": sorted(
                rng.sample(["email", "sms", "post"], rng.randint(0, 3))
            ),
            "country": "GB",
        }


@dataclass
class PiiCanary:
    """Unique, recognisable personal values to seed; `leaks` finds any of them in text.

    Every canary value carries a random token, so a hit can only be a leak of the seed itself.
    """

    token: str = field(default_factory=lambda: new_secret().hex()[:10])
    values: list[str] = field(default_factory=list)

    def customer(self, n: int = 0) -> dict[str, Any]:
        """A valid customer whose every text value contains the canary token."""
        t = self.token
        record = {
            "email": f"canary.{t}.{n}@example.com",
            "name": f"Canary{t}{n} Person",
            "phone": f"+4479{(int(t[:8], 16) + n) % 10**8:08d}",
            "address": f"{n} Canary{t} Street, London",
            "loyalty_id": f"C{t}{n}",
        }
        self.values.extend(str(v) for v in record.values())
        return record

    def leaks(self, texts: Iterable[str]) -> list[str]:
        """Canary values (or the token) found in any of `texts`."""
        found = []
        for text in texts:
            lowered = text.lower()
            if self.token in lowered:
                found.append(self.token)
            found.extend(v for v in self.values if v.lower() in lowered)
        return sorted(set(found))


class OutboxMailer:
    """The in-memory twin of `tutela.outreach.Mailer`: keeps every sent `Message` in order."""

    name = "outbox"
    _CODE = re.compile(r"^[ \t]*(\d{6})[ \t]*$", re.MULTILINE)  # the code's line holds only it
    _LINK = re.compile(r"/privacy/download/([A-Za-z0-9_-]{20,})")

    def __init__(self) -> None:
        self.messages: list[Message] = []

    def send(self, message: Message) -> None:
        self.messages.append(message)

    def last_to(self, address: str) -> Message:
        """The latest message sent to `address` (compared case-insensitively).

        Raises:
            LookupError: nothing was sent to that address.
        """
        for message in reversed(self.messages):
            if message.to.casefold() == address.casefold():
                return message
        raise LookupError(f"no message sent to that address ({len(self.messages)} sent in all)")

    def codes_for(self, address: str) -> list[str]:
        """The 6-digit codes of the verification messages sent to `address`, oldest first."""
        return [
            match
            for message in self.messages
            if message.kind == "verification_code" and message.to.casefold() == address.casefold()
            for match in self._CODE.findall(message.text)
        ]

    def download_tokens_for(self, address: str) -> list[str]:
        """The tokens of the one-time download links sent to `address`, oldest first."""
        return [
            match
            for message in self.messages
            if message.kind == "request_completed" and message.to.casefold() == address.casefold()
            for match in self._LINK.findall(message.text)
        ]


__all__ = [
    "FrozenClock",
    "InMemoryKeyProvider",
    "MemoryBackupStore",
    "OutboxMailer",
    "PiiCanary",
    "fake_customers",
]
