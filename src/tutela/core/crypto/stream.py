"""Authenticated chunked encryption for one stream (a backup file): AES-256-GCM under a fresh
key per stream, each chunk bound to its position and to the stream's header.

The nonce of chunk *i* is *i* itself (96 bits, big-endian). That is safe only because every
stream gets its own random key (`StreamKey.generate`), never reused for a second stream; the
associated data binds the chunk index, the chunk's kind (data or the final manifest) and a
digest of the stream header, so chunks cannot be reordered, swapped between kinds or spliced
in from another stream. A chunk that fails to open raises the opaque `DecryptionFailed`; the
caller knows which chunk it asked for and names it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tutela.core.crypto import _hazmat
from tutela.errors import DecryptionFailed

_LABEL = b"tutela.stream.v1\x00"
LAST_INDEX = (1 << 64) - 1  # reserved for the final (manifest) chunk
OVERHEAD = _hazmat.NONCE_BYTES + _hazmat.TAG_BYTES


@dataclass(frozen=True)
class StreamKey:
    """The key of one stream. `material` is wrapped by the keyring and stored with the
    stream; it is never used for anything else."""

    material: bytes = field(repr=False)

    @classmethod
    def generate(cls) -> StreamKey:
        return cls(_hazmat.random_bytes(_hazmat.KEY_BYTES))

    def cipher(self, header_digest: bytes) -> ChunkCipher:
        return ChunkCipher(_hazmat.aead(self.material), header_digest)


class ChunkCipher:
    """Seals and opens the chunks of one stream."""

    def __init__(self, cipher: AESGCM, header_digest: bytes) -> None:
        self._cipher = cipher
        self._header = header_digest

    def _aad(self, index: int, kind: int) -> bytes:
        return _LABEL + self._header + index.to_bytes(8, "big") + bytes([kind])

    def seal(self, index: int, kind: int, plaintext: bytes) -> bytes:
        """`nonce || ciphertext || tag` of chunk `index` (0 <= index <= LAST_INDEX)."""
        nonce = index.to_bytes(_hazmat.NONCE_BYTES, "big")
        return _hazmat.seal_with_nonce(self._cipher, nonce, plaintext, self._aad(index, kind))

    def open(self, index: int, kind: int, sealed: bytes) -> bytes:
        """Inverse of `seal`; `DecryptionFailed` if the chunk was changed or misplaced."""
        expected = index.to_bytes(_hazmat.NONCE_BYTES, "big")
        if sealed[: _hazmat.NONCE_BYTES] != expected:
            raise DecryptionFailed()
        return _hazmat.open_sealed(self._cipher, sealed, self._aad(index, kind))
