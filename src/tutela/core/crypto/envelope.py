"""Envelope encryption of field values: AES-256-GCM under a per-subject data key (DEK).

Field ciphertext format (version 1)::

    0x01 || nonce (12 bytes) || AES-256-GCM(ciphertext || tag)

with associated data ``"tutela.field.v1" 0x00 subject_id 0x00 field 0x00 dek_version (4 bytes,
big-endian)``, so a ciphertext copied to another subject, another field or read under another
key version fails to open. DEKs are wrapped by the key-encryption key (see `keyring`) with the
subject id and DEK version bound in the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tutela.core.crypto import _hazmat
from tutela.errors import DecryptionFailed

FORMAT_V1 = b"\x01"
_FIELD_LABEL = b"tutela.field.v1\x00"
_DEK_LABEL = b"tutela.dek.v1\x00"


def _aad_parts(subject_id: str, dek_version: int) -> tuple[bytes, bytes]:
    """The field AAD around the field name: the same for every field of a key."""
    return _FIELD_LABEL + subject_id.encode() + b"\x00", b"\x00" + dek_version.to_bytes(4, "big")


def dek_aad(subject_id: str, dek_version: int) -> bytes:
    """Associated data that binds a wrapped DEK to its subject."""
    return _DEK_LABEL + subject_id.encode() + b"\x00" + dek_version.to_bytes(4, "big")


@dataclass(frozen=True)
class DataKey:
    """One subject's unwrapped data key. Lives in memory only for the operation using it."""

    subject_id: str
    version: int
    material: bytes = field(repr=False)
    _cipher: AESGCM = field(init=False, repr=False, compare=False)
    _aad: tuple[bytes, bytes] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_cipher", _hazmat.aead(self.material))
        # A record seals and opens many fields under one key: build the shared AAD parts once.
        object.__setattr__(self, "_aad", _aad_parts(self.subject_id, self.version))

    def field_aad(self, field_name: str) -> bytes:
        """Associated data that binds a field ciphertext to its place (module docstring)."""
        head, tail = self._aad
        return head + field_name.encode() + tail

    @classmethod
    def generate(cls, subject_id: str, version: int = 1) -> DataKey:
        return cls(subject_id, version, _hazmat.random_bytes(_hazmat.KEY_BYTES))

    def seal(self, field_name: str, plaintext: bytes) -> bytes:
        """Encrypt one field value with a fresh random nonce."""
        nonce = _hazmat.random_bytes(_hazmat.NONCE_BYTES)
        return seal_field_with_nonce(self, field_name, plaintext, nonce)

    def seal_many(self, plaintexts: Mapping[str, bytes]) -> dict[str, bytes]:
        """Seal several fields; one call for all their random nonces."""
        size = _hazmat.NONCE_BYTES
        pool = _hazmat.random_bytes(size * len(plaintexts))
        return {
            name: seal_field_with_nonce(self, name, text, pool[i * size : (i + 1) * size])
            for i, (name, text) in enumerate(plaintexts.items())
        }

    def open(self, field_name: str, blob: bytes) -> bytes:
        """Decrypt one field value; `DecryptionFailed` for any mismatch or tampering."""
        if blob[:1] != FORMAT_V1:
            raise DecryptionFailed()
        return _hazmat.open_sealed(self._cipher, blob[1:], self.field_aad(field_name))


def seal_field_with_nonce(key: DataKey, field_name: str, plaintext: bytes, nonce: bytes) -> bytes:
    """The deterministic core of `DataKey.seal`, exposed for known-answer tests only."""
    aad = key.field_aad(field_name)
    return FORMAT_V1 + _hazmat.seal_with_nonce(key._cipher, nonce, plaintext, aad)
