"""Validate and normalise field values by their declared type, before anything is sealed.

Each type yields the value to store (JSON-compatible) and, for searchable fields, the text the
blind index is computed over. Reasons name the expected form, never the value.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from tutela.datamap.masking import JsonValue
from tutela.datamap.spec import FieldSpec, FieldType
from tutela.errors import ValidationFailed

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}")
_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n"}
# Plain ASCII addresses (dot-atom local part, LDH domain labels, alphabetic TLD) are by far the
# most common; for them email-validator's answer is known without running it (a property test
# holds the two equal). Anything else goes to email-validator.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_EMAIL = re.compile(
    rf"(?P<local>{_ATEXT}(?:\.{_ATEXT})*)@"
    r"(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?P<tld>[A-Za-z]{2,63}))"
)
_DEFAULT_MAX = {FieldType.NAME: 200, FieldType.ADDRESS: 1_000, FieldType.TEXT: 10_000}


@dataclass(frozen=True)
class Normalised:
    value: JsonValue
    index_text: str | None


class ValueRules:
    """Validation and normalisation for every field type, with its settings."""

    def __init__(self, phone_region: str = "GB") -> None:
        self.phone_region = phone_region

    def normalise(self, name: str, spec: FieldSpec, raw: object) -> Normalised:
        """Validate `raw` for field `name`.

        Raises:
            ValidationFailed: naming the field and the expected form.
        """
        value = _CONVERTERS[spec.type](self, name, spec, raw)
        index = index_text(spec, value) if spec.searchable else None
        return Normalised(value, index)


_LIST_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_LIST_DECODE = json.JSONDecoder().decode


def encode(value: JsonValue) -> bytes:
    """The plaintext that gets sealed: one type byte, then the value.

    ``s`` UTF-8 text, ``i`` decimal integer, ``t``/``f`` booleans, ``l`` a JSON list of
    strings, ``n`` null. Cheaper than JSON for the common case (a string) on every read.
    """
    if isinstance(value, str):
        return b"s" + value.encode()
    if isinstance(value, bool):
        return b"t" if value else b"f"
    if isinstance(value, int):
        return b"i" + str(value).encode()
    if isinstance(value, list):
        return b"l" + _LIST_ENCODER.encode(value).encode()
    return b"n"


def decode(plaintext: bytes) -> JsonValue:
    """Inverse of `encode`."""
    kind, body = plaintext[:1], plaintext[1:]
    if kind == b"s":
        return body.decode()
    if kind == b"i":
        return int(body)
    if kind == b"l":
        items: list[str] = _LIST_DECODE(body.decode())
        return items
    if kind in (b"t", b"f"):
        return kind == b"t"
    return None


def index_text(spec: FieldSpec, value: JsonValue) -> str:
    """The normalised text a blind index digests: equal meaning, equal digest."""
    if spec.type is FieldType.EMAIL:
        return str(value).strip().lower()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(sorted(value))
    if spec.type in (FieldType.NAME, FieldType.ADDRESS, FieldType.TEXT):
        return " ".join(unicodedata.normalize("NFKC", str(value)).casefold().split())
    return str(value)


def _text(name: str, spec: FieldSpec, raw: object, kind: str) -> str:
    if not isinstance(raw, str):
        raise ValidationFailed(name, f"must be a string ({kind})")
    text = raw.strip()
    if not text:
        raise ValidationFailed(name, "must not be empty")
    limit = spec.max_length or _DEFAULT_MAX.get(spec.type, 10_000)
    if len(text) > limit:
        raise ValidationFailed(name, f"is longer than {limit} characters")
    if _CONTROL.search(text):
        raise ValidationFailed(name, "contains control characters")
    if not text.isascii():  # ASCII always encodes; only other text can hold lone surrogates
        try:
            text.encode()
        except UnicodeEncodeError:
            raise ValidationFailed(name, "is not valid Unicode text") from None
    return text


def plain_email(text: str) -> str | None:
    """The normalised address if `text` is a plain ASCII address, else None (ask the library)."""
    match = _PLAIN_EMAIL.fullmatch(text)
    if (
        match is None
        or len(match["local"]) > 64
        or len(text) > 254
        or "--" in match["domain"]
        or match["tld"].lower() in SPECIAL_USE_DOMAIN_NAMES
    ):
        return None
    return f"{match['local']}@{match['domain'].lower()}"


def _email(rules: ValueRules, name: str, spec: FieldSpec, raw: object) -> JsonValue:
    text = _text(name, spec, raw, "an email address")
    plain = plain_email(text)
    if plain is not None:
        return plain
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise ValidationFailed(name, "is not a valid email address") from None
    return result.normalized


def _phone(rules: ValueRules, name: str, spec: FieldSpec, raw: object) -> JsonValue:
    text = _text(name, spec, raw, "a phone number")
    try:
        number = phonenumbers.parse(text, rules.phone_region)
    except phonenumbers.NumberParseException:
        raise ValidationFailed(name, "is not a parseable phone number") from None
    # A possible number (right length for its country code) is required; full validity against
    # the numbering plan would also refuse newly allocated ranges until the library updates.
    if not phonenumbers.is_possible_number(number):
        raise ValidationFailed(name, "is not a possible phone number for its country")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _plain(rules: ValueRules, name: str, spec: FieldSpec, raw: object) -> JsonValue:
    kinds = {FieldType.NAME: "a name", FieldType.ADDRESS: "an address", FieldType.TEXT: "text"}
    text = _text(name, spec, raw, kinds.get(spec.type, "text"))
    if spec.type is FieldType.NAME and "\n" in text:
        raise ValidationFailed(name, "must be on one line")
    return text


def _date(rules: ValueRules, name: str, spec: FieldSpec, raw: object) -> JsonValue:
    if isinstance(raw, date):
        return raw.isoformat()
    text = _text(name, spec, raw, "a date YYYY-MM-DD")
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValidationFailed(name, "is not a real date in the form YYYY-MM-DD") from None


def _identifier(rules: ValueRules, name: str, spec: FieldSpec, raw: object) -> JsonValue:
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    text = _text(name, spec, raw, "an identifier")
    if not _IDENTIFIER.fullmatch(text):
        raise ValidationFailed(
            name, "must be 1-128 letters, digits or . _ : / - starting with a letter or digit"
        )
    return text


def _integer(rules: ValueRules, name: str, spec: FieldSpec, raw: object) -> JsonValue:
    if isinstance(raw, bool):
        raise ValidationFailed(name, "must be an integer")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"\s*[-+]?\d{1,18}\s*", raw):
        return int(raw)
    raise ValidationFailed(name, "must be an integer")


def _boolean(rules: ValueRules, name: str, spec: FieldSpec, raw: object) -> JsonValue:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    raise ValidationFailed(name, "must be true or false")


def _choice(rules: ValueRules, name: str, spec: FieldSpec, raw: object) -> JsonValue:
    def allowed() -> str:
        return ", ".join(spec.choices)

    if spec.multiple:
        items = raw.split(";") if isinstance(raw, str) else raw
        if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
            raise ValidationFailed(name, f"must be a list of choices ({allowed()})")
        chosen = sorted({s for s in (i.strip() for i in items) if s})
        if any(c not in spec.choices for c in chosen):
            raise ValidationFailed(name, f"has a value that is not one of: {allowed()}")
        return chosen
    if not isinstance(raw, str) or raw.strip() not in spec.choices:
        raise ValidationFailed(name, f"must be one of: {allowed()}")
    return raw.strip()


_CONVERTERS = {
    FieldType.EMAIL: _email,
    FieldType.PHONE: _phone,
    FieldType.NAME: _plain,
    FieldType.TEXT: _plain,
    FieldType.ADDRESS: _plain,
    FieldType.DATE: _date,
    FieldType.IDENTIFIER: _identifier,
    FieldType.INTEGER: _integer,
    FieldType.BOOLEAN: _boolean,
    FieldType.CHOICE: _choice,
}
