"""`pseudonymize`: a stable token from a keyed HMAC-SHA256 of the normalised value.

``EMAIL_ADDRESS_3f9a1c0b7d2e4a61``: the same value (as normalised) gives the same token
under one recipient's key, so joins and counts survive; another recipient's key gives
unrelated tokens. Never an unkeyed or salted hash: the first can be guessed back from a list
of likely values, the second breaks joins.
"""

from __future__ import annotations

from pydantic import Field

from tutela.core.crypto import KeyedMac
from tutela.core.crypto.deterministic import subkey
from tutela.deid.operators._normalize import message
from tutela.deid.operators._spec import OperatorType, Options


class PseudonymizeOptions(Options):
    """`length`: hex digits of the token (16 = 64 bits); `prefix`: default the entity type."""

    length: int = Field(16, ge=8, le=64)
    prefix: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9_.:-]*$")


class Pseudonymize:
    name = "pseudonymize"

    def __init__(self, options: PseudonymizeOptions, key: bytes) -> None:
        self.length = options.length
        self.prefix = options.prefix
        self._mac = KeyedMac(subkey(key, "pseudonymize"))

    def apply(self, value: str, entity_type: str) -> str:
        digest = self._mac.digest(message(value, entity_type)).hex()[: self.length]
        prefix = entity_type if self.prefix is None else self.prefix
        return f"{prefix}_{digest}" if prefix else digest


TYPE = OperatorType("pseudonymize", PseudonymizeOptions, Pseudonymize, keyed=True)
