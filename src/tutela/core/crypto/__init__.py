"""Cryptography: envelope encryption, blind indexes and the key-encryption keyring.

Safe entry points: `DataKey` (seal/open field values), `BlindIndex`, `Signer`, `KeyProvider` and its
implementations, `random_id`, `new_secret`. The raw primitives are in `_hazmat`.
"""

from __future__ import annotations

import base64

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


def random_id(prefix: str) -> str:
    """An opaque random identifier (128 bits, lowercase base32), e.g. ``sub_…``."""
    raw = base64.b32encode(_hazmat.random_bytes(16)).decode().rstrip("=").lower()
    return f"{prefix}_{raw}"


def new_secret() -> bytes:
    """A fresh 256-bit secret for a data, index or audit key."""
    return _hazmat.random_bytes(_hazmat.KEY_BYTES)


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
    "dek_aad",
    "generate_key_text",
    "mac",
    "new_secret",
    "random_id",
    "signature_valid",
]
