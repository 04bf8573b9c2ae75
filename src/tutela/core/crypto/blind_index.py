"""Blind indexes: keyed HMAC-SHA256 of a normalised value, so equality search needs no decryption.

The digest binds the field name, so equal values in two fields do not correlate. It is the first
128 bits of the HMAC: ample against accidental collisions, and half the index to write and keep.
The key is separate from the KEK and does not change when the KEK rotates.
"""

from __future__ import annotations

from tutela.core.crypto import _hazmat

_LABEL = b"tutela.index.v1\x00"
DIGEST_BYTES = 16


class BlindIndex:
    """Computes blind-index digests under one key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != _hazmat.KEY_BYTES:
            raise ValueError("blind-index key must be 32 bytes")
        self._mac = _hazmat.KeyedMac(key)

    def digest(self, field_name: str, normalised: str) -> bytes:
        """HMAC-SHA256 over label, field name and the normalised value, truncated to 128 bits."""
        message = _LABEL + field_name.encode() + b"\x00" + normalised.encode()
        return self._mac.digest(message)[:DIGEST_BYTES]
