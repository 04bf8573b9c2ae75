"""Keyed, deterministic transforms for de-identification: per-recipient key derivation,
labelled subkeys, and AES-256-SIV tokens that decrypt only with the recipient's key.

Deterministic on purpose: the same value under one key always gives the same output, so a
de-identified column can still be joined and counted. Different recipients get keys derived
from the master with their name, so their outputs cannot be linked to each other.
"""

from __future__ import annotations

from tutela.core.crypto import _hazmat

MASTER_KEY_BYTES = 64
RECIPIENT_KEY_BYTES = 64
_RECIPIENT_INFO = b"tutela.deid.recipient.v1\x00"
_SUBKEY_INFO = b"tutela.deid.subkey.v1\x00"


def new_master_key() -> bytes:
    """A fresh random 512-bit de-identification master key."""
    return _hazmat.random_bytes(MASTER_KEY_BYTES)


def recipient_key(master: bytes, recipient: str) -> bytes:
    """The 64-byte key of one recipient (HKDF of the master, the recipient name as info)."""
    return _hazmat.hkdf_sha256(
        master, _RECIPIENT_INFO + recipient.encode("utf-8"), RECIPIENT_KEY_BYTES
    )


def subkey(key: bytes, label: str, length: int = 32) -> bytes:
    """An independent subkey of a recipient key for one use (`pseudonymize`, `fake`, …), so
    no two operators ever share key material."""
    return _hazmat.hkdf_sha256(key, _SUBKEY_INFO + label.encode("utf-8"), length)


class DeterministicCipher:
    """AES-256-SIV under one 64-byte key: `seal` is deterministic, `open` authenticates.

    Raises (open):
        DecryptionFailed: for every way a token can fail (wrong key, altered, truncated).
    """

    KEY_BYTES = _hazmat.SIV_KEY_BYTES

    def __init__(self, key: bytes) -> None:
        self._cipher = _hazmat.siv(key)

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        return _hazmat.siv_seal(self._cipher, plaintext, aad)

    def open(self, blob: bytes, aad: bytes) -> bytes:
        return _hazmat.siv_open(self._cipher, blob, aad)
