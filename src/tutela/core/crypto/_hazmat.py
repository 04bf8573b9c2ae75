"""HAZARDOUS MATERIALS: raw AES-256-GCM, AES-SIV, HKDF and HMAC with caller-chosen nonces
and labels.

Misuse (a repeated nonce, a missing associated-data binding) silently breaks confidentiality.
Use `tutela.core.crypto.envelope` instead: it draws nonces itself and binds subject, field and
key version (and `tutela.core.crypto.deterministic` for de-identification tokens). This
module exists so the envelope format has one definition that known-answer
tests can pin with fixed nonces.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tutela.errors import DecryptionFailed

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16


def random_bytes(n: int) -> bytes:
    """Cryptographically secure random bytes; the project's one source of randomness."""
    return os.urandom(n)


def aead(key: bytes) -> AESGCM:
    """An AES-256-GCM instance; callers keep it to avoid rebuilding the key schedule."""
    if len(key) != KEY_BYTES:
        raise ValueError("AES-256-GCM needs a 32-byte key")
    return AESGCM(key)


def seal_with_nonce(cipher: AESGCM, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """`nonce || ciphertext || tag`. The nonce MUST never repeat under one key."""
    return nonce + cipher.encrypt(nonce, plaintext, aad)


def open_sealed(cipher: AESGCM, blob: bytes, aad: bytes) -> bytes:
    """Inverse of `seal_with_nonce`; every failure is the same `DecryptionFailed`."""
    if len(blob) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionFailed()
    try:
        return cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
    except (InvalidTag, ValueError, OverflowError):
        raise DecryptionFailed() from None


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    """HMAC-SHA256 of `message` (one-shot: no HMAC object per call)."""
    return hmac.digest(key, message, hashlib.sha256)


class KeyedMac:
    """HMAC-SHA256 under one key, with the keyed state prepared once.

    Each digest copies the prepared state instead of keying afresh: several times cheaper
    for the short messages of blind indexes and audit entries.
    """

    def __init__(self, key: bytes) -> None:
        self._prepared = hmac.new(key, digestmod=hashlib.sha256)

    def digest(self, message: bytes) -> bytes:
        state = self._prepared.copy()
        state.update(message)
        return state.digest()


# -- de-identification: deterministic encryption and key derivation -------------------------
# AES-SIV is deterministic by design (equal plaintexts under one key give equal ciphertexts),
# which is what lets an encrypted column still be joined on; it must never be used where that
# equality itself is a secret. Use `tutela.core.crypto.deterministic` instead of these.

SIV_KEY_BYTES = 64  # AES-256-SIV: two AES-256 keys


def siv(key: bytes) -> AESSIV:
    """An AES-256-SIV instance (RFC 5297)."""
    if len(key) != SIV_KEY_BYTES:
        raise ValueError("AES-256-SIV needs a 64-byte key")
    return AESSIV(key)


def siv_seal(cipher: AESSIV, plaintext: bytes, aad: bytes) -> bytes:
    """`tag || ciphertext`; deterministic: the same plaintext and aad give the same output."""
    return cipher.encrypt(plaintext, [aad])


def siv_open(cipher: AESSIV, blob: bytes, aad: bytes) -> bytes:
    """Inverse of `siv_seal`; every failure is the same `DecryptionFailed`."""
    if len(blob) <= TAG_BYTES:
        raise DecryptionFailed()
    try:
        return cipher.decrypt(blob, [aad])
    except (InvalidTag, ValueError, OverflowError):
        raise DecryptionFailed() from None


def hkdf_sha256(key: bytes, info: bytes, length: int) -> bytes:
    """HKDF-SHA256 (RFC 5869) without salt: independent subkeys of one high-entropy key."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(key)
