"""The hard negatives of an evaluation text: values that look like personal data and are
not — order, invoice, ticket and tracking ids, 16-digit numbers failing Luhn, version strings,
prices, log timestamps, UUIDs."""

from __future__ import annotations

import random
import string
import uuid
from datetime import datetime, timedelta

from stdnum import luhn

_CURRENCY = {
    "en_US": ("${v}", ",", "."),
    "en_GB": ("£{v}", ",", "."),
    "de_DE": ("{v} €", ".", ","),
    "fr_FR": ("{v} €", " ", ","),
    "es_ES": ("{v} €", ".", ","),
    "it_IT": ("€ {v}", ".", ","),
    "nl_NL": ("€ {v}", ".", ","),
}
_EPOCH = datetime(2024, 1, 1)  # log timestamps are written without a zone
_SHORT_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def group(digits: str, sizes: tuple[int, ...], sep: str) -> str:
    """`digits` cut into groups of `sizes` (the rest in one more group), joined by `sep`."""
    out, at = [], 0
    for size in sizes:
        if at >= len(digits):
            break
        out.append(digits[at : at + size])
        at += size
    if at < len(digits):
        out.append(digits[at:])
    return sep.join(out)


class Negatives:
    """Makers of hard negatives, mixed into `Values` (which sets `locale` and `rng`)."""

    locale: str
    rng: random.Random

    def _digits(self, count: int) -> str:
        return self.rng.choice("123456789") + "".join(
            self.rng.choice(string.digits) for _ in range(count - 1)
        )

    def order_number(self) -> str:
        return self.rng.choice(
            (
                f"ORD-{self.rng.randint(2019, 2026)}-{self._digits(6)}",
                f"{self._digits(3)}-{self._digits(7)}-{self._digits(7)}",
                self._digits(10),
                self._digits(8),
                f"SO{self._digits(9)}",
            )
        )

    def invoice_id(self) -> str:
        year = self.rng.randint(2019, 2026)
        return self.rng.choice(
            (
                f"INV-{year}-{self._digits(5)}",
                f"{year}/{self._digits(4)}",
                f"RE-{self._digits(6)}",
                f"F{year}{self._digits(6)}",
            )
        )

    def ticket_id(self) -> str:
        return self.rng.choice(
            (f"TCK-{self._digits(6)}", f"SUP-{self._digits(5)}", self._digits(7))
        )

    def tracking_id(self) -> str:
        alnum = string.ascii_uppercase + string.digits
        return self.rng.choice(
            (
                "1Z" + "".join(self.rng.choice(alnum) for _ in range(6)) + self._digits(10),  # UPS
                group("94" + self._digits(20), (4,) * 6, " "),  # USPS, 22 digits
                self._digits(10),  # DHL Express
                self._digits(12),  # FedEx
                "".join(self.rng.choice(string.ascii_uppercase) for _ in range(2))
                + self._digits(9)
                + self.rng.choice(("GB", "DE", "FR", "NL")),  # UPU S10
            )
        )

    def non_luhn_16(self) -> str:
        """16 digits with a card-like prefix whose check digit is wrong."""
        prefix = self.rng.choice(("4", "5", "37", "6011"))
        body = prefix + "".join(self.rng.choice(string.digits) for _ in range(15 - len(prefix)))
        good = luhn.calc_check_digit(body)
        digits = body + self.rng.choice([d for d in string.digits if d != good])
        return digits if self.rng.random() < 0.6 else group(digits, (4, 4, 4, 4), " ")

    def version(self) -> str:
        a, b, c = self.rng.randint(0, 12), self.rng.randint(0, 40), self.rng.randint(0, 200)
        return self.rng.choice(
            (
                f"v{a}.{b}.{c}",
                f"{a}.{b}.{c}",
                f"{a}.{b}.{c}.{self.rng.randint(1, 250)}",
                f"{a}.{b}.{c}-rc.{self.rng.randint(1, 9)}",
                f"{a}.{b}.{c}+build.{self._digits(4)}",
            )
        )

    def price(self) -> str:
        template, thousands, decimal = _CURRENCY[self.locale]
        amount = self.rng.choice((self.rng.randint(1, 99), self.rng.randint(100, 9999)))
        whole = f"{amount:,}".replace(",", thousands)
        return template.format(v=f"{whole}{decimal}{self.rng.randint(0, 99):02d}")

    def log_timestamp(self) -> str:
        # Fixed window, not "the last two years": the same seed must give the same text on
        # every day it is run.
        moment = _EPOCH + timedelta(seconds=self.rng.randrange(2 * 365 * 86_400))
        ms, mon = self.rng.randint(0, 999), _SHORT_MONTHS[moment.month - 1]
        return self.rng.choice(
            (
                moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms:03d}Z",
                moment.strftime("%Y-%m-%d %H:%M:%S") + f",{ms:03d}",
                f"{moment.day:02d}/{mon}/{moment.year}:{moment:%H:%M:%S} +0000",
                f"{mon} {moment.day:2d} {moment:%H:%M:%S}",
                moment.strftime("%Y-%m-%d %H:%M:%S"),
            )
        )

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
