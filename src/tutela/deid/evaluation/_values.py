"""The personal data an evaluation text is made of, valid per locale: checksummed ids,
numbers `phonenumbers` accepts, Luhn-valid cards of every brand, whole postal addresses."""

from __future__ import annotations

import ipaddress
import random
import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import phonenumbers
from stdnum import iban, luhn
from stdnum.de import idnr
from stdnum.es import dni, nie
from stdnum.fr import nir
from stdnum.it import codicefiscale
from stdnum.nl import bsn
from stdnum.us import ssn

from tutela.deid.evaluation._negatives import Negatives, group

REGIONS = {
    "en_US": "US",
    "en_GB": "GB",
    "de_DE": "DE",
    "fr_FR": "FR",
    "es_ES": "ES",
    "it_IT": "IT",
    "nl_NL": "NL",
}
"""The locales texts are written for, with the phone region of each."""

NATIONAL_ID = {
    "en_US": "US_SSN",
    "en_GB": "UK_NINO",
    "de_DE": "DE_TAX_ID",
    "fr_FR": "FR_NIR",
    "es_ES": "ES_NIF",
    "it_IT": "IT_FISCAL_CODE",
    "nl_NL": "NL_BSN",
}
"""The national identifier each locale's customers quote."""

GUEST_LOCALES = ("pl_PL", "pt_PT", "sv_SE", "tr_TR", "en_IN", "cs_CZ", "fi_FI", "hu_HU")
"""Where the names of some customers come from (names only: their messages stay local)."""
GUEST_SHARE = 0.2

# (brand, prefixes, lengths). Mastercard's 2-series (2221-2720) is listed as its own brand so
# the set always holds some.
_CARD_BRANDS: tuple[tuple[str, tuple[str, ...], tuple[int, ...]], ...] = (
    ("visa", ("4",), (16, 16, 16, 13, 19)),
    ("mastercard", ("51", "52", "53", "54", "55"), (16,)),
    ("mastercard-2", tuple(str(p) for p in range(2221, 2721)), (16,)),
    ("amex", ("34", "37"), (15,)),
    ("discover", ("6011", "644", "645", "646", "647", "648", "649", "65"), (16,)),
    ("jcb", tuple(str(p) for p in range(3528, 3590)), (16,)),
    ("diners", ("300", "301", "302", "303", "304", "305", "36", "38"), (14,)),
    ("maestro", ("5018", "5020", "5038", "6304", "6759", "6761", "6763"), (12, 16, 19)),
    ("unionpay", ("62",), (16,)),
)
CARD_BRANDS = tuple(b[0] for b in _CARD_BRANDS)

_NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
_NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"
_NINO_BAD_PREFIXES = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}

_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre "
    "dicembre",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
}
_SHORT_MONTHS = [m[:3] for m in _MONTHS["en"].split()]

_TITLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # (female, male)
    "en_US": (("Ms.", "Mrs.", "Dr.", "Miss"), ("Mr.", "Dr.")),
    "en_GB": (("Ms", "Mrs", "Dr", "Miss"), ("Mr", "Dr")),
    "de_DE": (("Frau", "Frau Dr."), ("Herr", "Herr Dr.")),
    "fr_FR": (("Mme", "Madame", "Mlle"), ("M.", "Monsieur")),
    "es_ES": (("Sra.", "Dña.", "Doña"), ("Sr.", "D.", "Don")),
    "it_IT": (("Sig.ra", "Dott.ssa", "Signora"), ("Sig.", "Dott.", "Signor")),
    "nl_NL": (("mevr.", "Mevrouw"), ("dhr.", "De heer")),
}


_FIRST_BIRTHDAY = date(1935, 1, 1)
_BIRTHDAYS = (date(2007, 12, 31) - _FIRST_BIRTHDAY).days


@dataclass(frozen=True)
class Person:
    """One person in a text: the pieces greetings, labels and sign-offs are made of."""

    first: str
    last: str
    title: str
    female: bool
    middle: str = ""  # an initial ("J.") some people write between first and last name

    @property
    def full(self) -> str:
        return (
            f"{self.first} {self.middle} {self.last}"
            if self.middle
            else f"{self.first} {self.last}"
        )


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum() or ch in ".-")


class Values(Negatives):
    """Makes the values for one locale, from a seeded `random.Random` and a seeded Faker.

    Every maker returns a string that is valid for its type (checked here, so a Faker change
    cannot slip an invalid id into the labelled set).
    """

    def __init__(
        self, locale: str, fake: Any, rng: random.Random, guests: Sequence[Any] = ()
    ) -> None:
        self.locale = locale
        self.region = REGIONS[locale]
        self.lang = locale[:2]
        self.fake = fake
        self.rng = rng
        self.guests = guests

    # -- people and places ----------------------------------------------------------------

    def person(self) -> Person:
        female = self.rng.random() < 0.5
        # Some customers' names come from other countries' name lists, so a recognizer that
        # only knows the seven locales' lists cannot find every name by lookup.
        fake = self.fake
        if self.guests and self.rng.random() < GUEST_SHARE:
            fake = self.rng.choice(self.guests)
        first = fake.first_name_female() if female else fake.first_name_male()
        last = fake.last_name()
        middle = f"{self.rng.choice(string.ascii_uppercase)}." if self.rng.random() < 0.08 else ""
        title = self.rng.choice(_TITLES[self.locale][0 if female else 1])
        return Person(first, last, title, female, middle if self.lang == "en" else "")

    def email(self, person: Person | None = None) -> str:
        if person is None or self.rng.random() < 0.4:
            return str(self.rng.choice((self.fake.email, self.fake.free_email))())
        first = _ascii(person.first.split()[0]) or "customer"
        last = _ascii(person.last) or "mail"
        local = self.rng.choice(
            (
                f"{first}.{last}",
                f"{first[0]}{last}",
                f"{first}_{last}{self.rng.randint(1, 99)}",
                f"{first}.{last}+{self.rng.choice(('shop', 'news', 'orders'))}",
            )
        )
        domain = self.rng.choice((self.fake.free_email_domain(), self.fake.domain_name()))
        return f"{local}@{domain}"

    def street_address(self) -> str:
        return " ".join(str(self.fake.street_address()).replace("\n", ", ").split())

    def address(self, *, multiline: bool) -> str:
        """A whole postal address: street, postcode and city (and state in the US)."""
        street, city = self.street_address(), str(self.fake.city())
        sep = "\n" if multiline else ", "
        if self.locale == "en_US":
            return f"{street}{sep}{city}, {self.fake.state_abbr()} {self.fake.postcode()}"
        if self.locale == "en_GB":
            tail = (
                f"{city}{sep}{self.fake.postcode()}"
                if multiline
                else f"{city} {self.fake.postcode()}"
            )
            return f"{street}{sep}{tail}"
        postcode = str(self.fake.postcode())
        if self.locale == "nl_NL" and len(postcode) == 6 and self.rng.random() < 0.7:
            postcode = f"{postcode[:4]} {postcode[4:]}"
        return f"{street}{sep}{postcode} {city}"

    def city(self) -> str:
        return str(self.fake.city())

    def country(self) -> str:
        return str(self.fake.country())

    # -- numbers and ids ------------------------------------------------------------------

    def phone(self) -> str:
        """A valid number for the locale's region, national or international, in the
        spellings people use (spaces, dashes, dots, brackets, 00 prefix)."""
        number = None
        for _ in range(20):
            try:
                parsed = phonenumbers.parse(str(self.fake.phone_number()), self.region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(parsed):
                # Through E.164 to drop extensions and keep Italy's leading zero.
                e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
                number = phonenumbers.parse(e164)
                break
        if number is None:
            number = phonenumbers.example_number(self.region)
            assert number is not None
        fmt = phonenumbers.PhoneNumberFormat
        national = phonenumbers.format_number(number, fmt.NATIONAL)
        international = phonenumbers.format_number(number, fmt.INTERNATIONAL)
        styles = [national, international, phonenumbers.format_number(number, fmt.E164)]
        if self.region == "US":
            digits = str(number.national_number)
            styles += [
                f"{digits[:3]}-{digits[3:6]}-{digits[6:]}",
                f"{digits[:3]}.{digits[3:6]}.{digits[6:]}",
                f"+1-{digits[:3]}-{digits[3:6]}-{digits[6:]}",
            ]
        else:
            cc, rest = international.split(" ", 1)
            styles += [f"00{cc[1:]} {rest}"]
            if self.region in {"GB", "DE", "NL"}:
                styles.append(f"{cc} (0){rest}")
            if self.region == "FR":
                styles.append(national.replace(" ", "."))
        return self.rng.choice(styles)

    def card(self, brand: str | None = None) -> str:
        """A Luhn-valid card number of `brand` (default: any), plain, spaced or dashed."""
        name, prefixes, lengths = (
            next(b for b in _CARD_BRANDS if b[0] == brand)
            if brand
            else self.rng.choice(_CARD_BRANDS)
        )
        prefix, length = self.rng.choice(prefixes), self.rng.choice(lengths)
        body = prefix + "".join(
            self.rng.choice(string.digits) for _ in range(length - len(prefix) - 1)
        )
        return self._format_card(body + luhn.calc_check_digit(body), name)

    def _format_card(self, digits: str, brand: str) -> str:
        style = self.rng.choice(("plain", "spaced", "spaced", "dashed"))
        if style == "plain":
            return digits
        sizes: tuple[int, ...] = {"amex": (4, 6, 5), "diners": (4, 6, 4)}.get(brand, (4,) * 5)
        if len(digits) == 13:
            sizes = (4, 3, 3, 3)
        return group(digits, sizes, " " if style == "spaced" else "-")

    def iban(self) -> str:
        while True:
            value = str(self.fake.iban())
            if iban.is_valid(value):
                break
        return group(value, (4,) * 9, " ") if self.rng.random() < 0.6 else value

    def national_id(self) -> tuple[str, str]:
        """(entity type, value) of the locale's national identifier."""
        entity = NATIONAL_ID[self.locale]
        return entity, getattr(self, f"_{entity.lower()}")()

    def _us_ssn(self) -> str:
        while not ssn.is_valid(value := str(self.fake.ssn())):
            pass
        r = self.rng.random()
        return value if r < 0.75 else value.replace("-", " ") if r < 0.9 else value.replace("-", "")

    def _uk_nino(self) -> str:
        while (
            prefix := self.rng.choice(_NINO_FIRST) + self.rng.choice(_NINO_SECOND)
        ) in _NINO_BAD_PREFIXES:
            pass
        digits = "".join(self.rng.choice(string.digits) for _ in range(6))
        suffix = self.rng.choice("ABCD")
        if self.rng.random() < 0.5:
            return f"{prefix}{digits}{suffix}"
        return f"{prefix} {digits[:2]} {digits[2:4]} {digits[4:]} {suffix}"

    def _fr_nir(self) -> str:
        while not nir.is_valid(value := str(self.fake.ssn())):
            pass
        return nir.format(value) if self.rng.random() < 0.5 else value

    def _de_tax_id(self) -> str:
        while True:
            head = self.rng.choice("123456789") + "".join(
                self.rng.choice(string.digits) for _ in range(9)
            )
            for check in string.digits:
                if idnr.is_valid(head + check):
                    value = head + check
                    return idnr.format(value) if self.rng.random() < 0.4 else value

    def _es_nif(self) -> str:
        if self.rng.random() < 0.75:
            digits = f"{self.rng.randrange(10**8):08d}"
            value = digits + dni.calc_check_digit(digits)
            assert dni.is_valid(value)
        else:
            digits = self.rng.choice("XYZ") + f"{self.rng.randrange(10**7):07d}"
            value = digits + nie.calc_check_digit(digits)
            assert nie.is_valid(value)
        return f"{value[:-1]}-{value[-1]}" if self.rng.random() < 0.25 else value

    def _it_fiscal_code(self) -> str:
        while not codicefiscale.is_valid(value := str(self.fake.ssn())):
            pass
        return value

    def _nl_bsn(self) -> str:
        while not bsn.is_valid(value := str(self.fake.ssn())):
            pass
        return bsn.format(value) if self.rng.random() < 0.3 else value

    def ip(self) -> str:
        r = self.rng.random()
        if r < 0.55:
            return str(self.fake.ipv4_public())
        if r < 0.75:
            return str(self.fake.ipv4_private())
        address = ipaddress.IPv6Address(self.rng.getrandbits(128))
        return address.exploded if r < 0.85 else address.compressed

    def url(self) -> str:
        base = str(self.fake.url()).rstrip("/")
        r = self.rng.random()
        if r < 0.3:
            return base + "/"
        if r < 0.7:
            return f"{base}/{self.fake.uri_path()}"
        if r < 0.9:
            return f"{base}/account?id={self.rng.randint(1000, 999999)}&ref={self.fake.word()}"
        return f"www.{self.fake.domain_name()}/{self.fake.uri_path()}"

    def date(self) -> str:
        """A date of birth (or other personal date) as people write it in the locale."""
        day = _FIRST_BIRTHDAY + timedelta(days=self.rng.randrange(_BIRTHDAYS))
        d, m, y = day.day, day.month, day.year
        month = _MONTHS[self.lang].split()[m - 1]
        options = [day.isoformat()]
        if self.locale == "en_US":
            options += [
                f"{m:02d}/{d:02d}/{y}",
                f"{month} {d}, {y}",
                f"{_SHORT_MONTHS[m - 1]} {d}, {y}",
            ]
        elif self.lang == "en":
            options += [
                f"{d:02d}/{m:02d}/{y}",
                f"{d} {month} {y}",
                f"{d} {_SHORT_MONTHS[m - 1]} {y}",
            ]
        elif self.lang == "de":
            options += [f"{d:02d}.{m:02d}.{y}", f"{d}. {month} {y}", f"{d}.{m}.{y}"]
        elif self.lang == "nl":
            options += [f"{d:02d}-{m:02d}-{y}", f"{d} {month} {y}"]
        elif self.lang == "es":
            options += [f"{d:02d}/{m:02d}/{y}", f"{d} de {month} de {y}"]
        else:
            options += [f"{d:02d}/{m:02d}/{y}", f"{d} {month} {y}"]
        return self.rng.choice(options)
