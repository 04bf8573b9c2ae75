"""One spelling per value before keyed operators see it, so ``Ada@X.com`` and ``ada@x.com``
give one pseudonym (and one fake). `encrypt` does not normalise: it must give back the
value exactly as written."""

from __future__ import annotations

import re
import unicodedata

EMAIL_TYPES = frozenset({"EMAIL_ADDRESS", "EMAIL"})
PHONE_TYPES = frozenset({"PHONE_NUMBER", "PHONE"})
COMPACT_TYPES = frozenset(
    {"CREDIT_CARD", "IBAN_CODE", "IBAN", "US_SSN", "UK_NINO", "NATIONAL_ID", "POSTCODE"}
)
_NOT_PHONE = re.compile(r"[^\d+]")
_SEPARATORS = re.compile(r"[\s\-./]")


def normalise(value: str, entity_type: str) -> str:
    """Case and whitespace folded for every type; emails lower-cased whole; phones reduced to
    digits (and a leading ``+``); card, account and id numbers without separators."""
    text = unicodedata.normalize("NFKC", value).strip()
    if entity_type in EMAIL_TYPES:
        return "".join(text.split()).casefold()
    if entity_type in PHONE_TYPES:
        digits = _NOT_PHONE.sub("", text)
        return ("+" if digits.startswith("+") else "") + digits.replace("+", "")
    if entity_type in COMPACT_TYPES:
        return _SEPARATORS.sub("", text).upper()
    return " ".join(text.split()).casefold()


def message(value: str, entity_type: str) -> bytes:
    """What a keyed operator hashes: the type, then the normalised value."""
    return entity_type.encode() + b"\x00" + normalise(value, entity_type).encode()
