"""`fake`: a realistic stand-in from Faker, the same for the same value under one key.

Faker is seeded per value from HMAC(key, type || normalised value), so a customer's email is
replaced by one fake address everywhere (files, tables, runs) and by an unrelated one under
another recipient's key. Phones keep their digit count, separators and country code; card
numbers keep their length, separators and brand prefix and stay Luhn-valid; IBANs keep their
country and layout with valid check digits; dates keep their format. Fake emails use the
reserved ``example.*`` domains, so nothing is ever sent to a real person.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections.abc import Callable
from typing import Any

from pydantic import Field, field_validator

from tutela.core.crypto import KeyedMac
from tutela.core.crypto.deterministic import subkey
from tutela.deid.operators import _dates
from tutela.deid.operators._normalize import message, normalise
from tutela.deid.operators._spec import OperatorType, Options

_FIRST_DAY = dt.date(1940, 1, 1).toordinal()
_LAST_DAY = dt.date(2020, 12, 31).toordinal()
_ATTEMPTS = 8


class FakeOptions(Options):
    """`locale`: a Faker locale (`en_GB`, `de_DE`, `fr_FR`…)."""

    locale: str = Field("en_US", min_length=2, max_length=16)
    day_first: bool = True

    @field_validator("locale")
    @classmethod
    def _known(cls, locale: str) -> str:
        from faker.config import AVAILABLE_LOCALES

        if locale not in AVAILABLE_LOCALES:
            raise ValueError("is not a locale Faker knows (e.g. en_US, en_GB, de_DE)")
        return locale


class Fake:
    name = "fake"

    def __init__(self, options: FakeOptions, key: bytes) -> None:
        from faker import Faker

        self.locale = options.locale
        self.day_first = options.day_first
        self._faker: Any = Faker(options.locale)
        self._mac = KeyedMac(subkey(key, "fake"))
        self._lock = threading.Lock()  # one seeded Faker: one value at a time

    def apply(self, value: str, entity_type: str) -> str:
        kind = entity_type.upper()
        seed = int.from_bytes(self._mac.digest(message(value, kind))[:16], "big")
        original = normalise(value, kind)
        with self._lock:
            self._faker.seed_instance(seed)
            rng: random.Random = self._faker.random
            make = _GENERATORS.get(kind, _generic)
            for _ in range(_ATTEMPTS):
                result = make(self, value, rng)
                if normalise(result, kind) != original:
                    return result
        return result

    # -- generators needing the instance's options ------------------------------------------

    def _date(self, value: str, rng: random.Random) -> str:
        written = _dates.parse(value, day_first=self.day_first)
        day = dt.date.fromordinal(rng.randint(_FIRST_DAY, _LAST_DAY))
        return day.isoformat() if written is None else written.render(day)


def _email(fake: Fake, value: str, rng: random.Random) -> str:
    f = fake._faker
    return f"{f.user_name()}{rng.randrange(1000)}@{f.safe_domain_name()}"


def _phone(fake: Fake, value: str, rng: random.Random) -> str:
    digits = [c for c in value if _is_digit(c)]
    keep = _phone_prefix(value.strip(), digits)
    return _refill(value, digits[:keep] + [str(rng.randrange(10)) for _ in digits[keep:]])


def _phone_prefix(text: str, digits: list[str]) -> int:
    """Leading digits a fake phone keeps: the country code (``+44``), else a national trunk
    ``0`` and the digit after it (``07…``), else the first digit."""
    if text.startswith(("+", "00")):
        import phonenumbers

        try:
            code = phonenumbers.parse("+" + "".join(digits).removeprefix("00"), None).country_code
        except phonenumbers.NumberParseException:
            code = None
        lead = 2 if text.startswith("00") else 0
        return lead + (len(str(code)) if code else 1)
    return 2 if digits[:1] == ["0"] else 1


def _card(fake: Fake, value: str, rng: random.Random) -> str:
    digits = [c for c in value if _is_digit(c)]
    keep = _brand_prefix(digits)
    if len(digits) < keep + 2:
        return _generic(fake, value, rng)
    body = digits[:keep] + [str(rng.randrange(10)) for _ in range(len(digits) - keep - 1)]
    return _refill(value, [*body, luhn_digit(body)])


def _brand_prefix(digits: list[str]) -> int:
    """How many leading digits name the card brand (Visa 4, Amex 34/37, Mastercard 51-55 and
    2221-2720, Discover 6011/644-649/65, JCB 3528-3589, Diners 300-305/36/38/39)."""
    head = "".join(digits[:4])
    n4 = int(head) if len(head) == 4 else -1
    if head.startswith("4"):
        return 1
    if 2221 <= n4 <= 2720 or 3528 <= n4 <= 3589 or head.startswith("6011"):
        return 4
    if head[:3] in {"300", "301", "302", "303", "304", "305", *(str(n) for n in range(644, 650))}:
        return 3
    if head[:2] in {"34", "37", "51", "52", "53", "54", "55", "65", "36", "38", "39", "62"}:
        return 2
    return 1


def luhn_digit(body: list[str]) -> str:
    """The Luhn check digit to append to `body`."""
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def _iban(fake: Fake, value: str, rng: random.Random) -> str:
    compact = [c.upper() for c in value if c.isascii() and c.isalnum()]
    if len(compact) < 5 or not "".join(compact[:2]).isalpha():
        return _generic(fake, value, rng)
    bban = [_like(c, rng) for c in compact[4:]]
    country = "".join(compact[:2])
    rearranged = "".join(bban) + country + "00"
    number = int("".join(str(int(c, 36)) for c in rearranged))
    check = f"{98 - number % 97:02d}"
    return _refill(value, [*country, *check, *bban], _ascii_alnum)


def _generic(fake: Fake, value: str, rng: random.Random) -> str:
    """Same shape: each digit a random digit, each letter a random letter of its case."""
    return "".join(_like(c, rng) for c in value)


def _ascii_alnum(c: str) -> bool:
    return c.isascii() and c.isalnum()


def _is_digit(c: str) -> bool:
    return "0" <= c <= "9"


def _like(c: str, rng: random.Random) -> str:
    if _is_digit(c):
        return str(rng.randrange(10))
    if c.isalpha() and c.isascii():
        letter = chr(ord("a") + rng.randrange(26))
        return letter.upper() if c.isupper() else letter
    return c


def _refill(value: str, chars: list[str], pick: Callable[[str], bool] | None = None) -> str:
    """`value` with its digits (or the characters `pick` selects) replaced, in order, by
    `chars` (case kept); everything else stays where it was."""
    out, it = [], iter(chars)
    for c in value:
        if (pick or _is_digit)(c):
            new = next(it, c)
            out.append(new.lower() if c.islower() else new)
        else:
            out.append(c)
    return "".join(out)


def _address(fake: Fake, value: str, rng: random.Random) -> str:
    return ", ".join(str(fake._faker.address()).splitlines())


def _simple(method: str) -> Callable[[Fake, str, random.Random], str]:
    return lambda fake, _value, _rng: str(getattr(fake._faker, method)())


def _ip(fake: Fake, value: str, rng: random.Random) -> str:
    return str(fake._faker.ipv6() if ":" in value else fake._faker.ipv4())


_GENERATORS: dict[str, Callable[[Fake, str, random.Random], str]] = {
    "EMAIL_ADDRESS": _email,
    "EMAIL": _email,
    "PHONE_NUMBER": _phone,
    "PHONE": _phone,
    "CREDIT_CARD": _card,
    "IBAN_CODE": _iban,
    "IBAN": _iban,
    "PERSON": _simple("name"),
    "NAME": _simple("name"),
    "FIRST_NAME": _simple("first_name"),
    "LAST_NAME": _simple("last_name"),
    "ADDRESS": _address,
    "STREET_ADDRESS": _simple("street_address"),
    "LOCATION": _simple("city"),
    "CITY": _simple("city"),
    "POSTCODE": _simple("postcode"),
    "ZIP_CODE": _simple("postcode"),
    "ORGANIZATION": _simple("company"),
    "COMPANY": _simple("company"),
    "URL": _simple("url"),
    "IP_ADDRESS": _ip,
    "DATE_TIME": Fake._date,
    "DATE_OF_BIRTH": Fake._date,
}

TYPE = OperatorType("fake", FakeOptions, Fake, keyed=True)
