"""Cryptography: envelope encryption, blind indexes and the key-encryption keyring.

Safe entry points: `DataKey` (seal/open field values), `BlindIndex`, `Signer`, `KeyProvider` and its
implementations, `random_id`, `new_secret`. The raw primitives are in `_hazmat`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from functools import lru_cache

from tutela.core.crypto import _hazmat
from tutela.core.crypto.blind_index import BlindIndex
from tutela.core.crypto.envelope import DataKey, dek_aad
from tutela.core.crypto.keyring import (
    EnvKeyProvider,
    FileKeyProvider,
    KeyProvider,
    generate_key_text,
)
from tutela.core.crypto.signing import Signer, signature_valid

_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"


def random_id(prefix: str) -> str:
    """An opaque random identifier (128 bits, lowercase base32 without padding), e.g.
    ``sub_…``. Written out with integer shifts: `base64.b32encode` is pure Python and costs
    several times more on this path, taken once per stored customer."""
    n = int.from_bytes(_hazmat.random_bytes(16), "big") << 2  # 26 digits of 5 bits
    digits = [_BASE32[(n >> shift) & 31] for shift in range(125, -1, -5)]
    return f"{prefix}_{''.join(digits)}"


def is_random_id(text: str, prefix: str) -> bool:
    """Whether `text` has the shape of a `random_id(prefix)`."""
    return _id_shape(prefix).fullmatch(text) is not None


def new_subject_id() -> str:
    return random_id("sub")


def is_subject_id(text: str) -> bool:
    """Whether `text` has the shape of a subject id (others cannot exist: no need to ask)."""
    return is_random_id(text, "sub")


@lru_cache(maxsize=16)
def _id_shape(prefix: str) -> re.Pattern[str]:
    return re.compile(rf"{re.escape(prefix)}_[a-z2-7]{{26}}")


def random_digits(count: int) -> str:
    """A uniformly random string of decimal digits (one-time codes)."""
    return "".join(str(secrets.randbelow(10)) for _ in range(count))


def new_secret() -> bytes:
    """A fresh 256-bit secret for a data, index or audit key."""
    return _hazmat.random_bytes(_hazmat.KEY_BYTES)


def bearer_token() -> str:
    """A 256-bit secret for a link or a session cookie, URL-safe base64 without padding."""
    return secrets.token_urlsafe(_hazmat.KEY_BYTES)


def token_digest(token: str) -> bytes:
    """What is stored of a bearer token: its SHA-256 (the token is random, so no key is
    needed, and a copy of the database opens nothing)."""
    return hashlib.sha256(token.encode()).digest()


def token_key(token: str, purpose: str) -> bytes:
    """A 256-bit key only the holder of `token` can derive (seals what a link delivers)."""
    return mac(token.encode(), b"tutela.token-key\x00" + purpose.encode())


KeyedMac = _hazmat.KeyedMac


def mac(key: bytes, message: bytes) -> bytes:
    """HMAC-SHA256, for the audit chain and other keyed digests."""
    return _hazmat.hmac_sha256(key, message)


__all__ = [
    "BlindIndex",
    "DataKey",
    "EnvKeyProvider",
    "FileKeyProvider",
    "KeyProvider",
    "KeyedMac",
    "Signer",
    "bearer_token",
    "dek_aad",
    "generate_key_text",
    "is_random_id",
    "is_subject_id",
    "mac",
    "new_secret",
    "new_subject_id",
    "random_digits",
    "random_id",
    "signature_valid",
    "token_digest",
    "token_key",
]
