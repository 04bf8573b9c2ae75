"""The sealed record: all of a subject's field ciphertexts in one stored value.

Each field is still sealed on its own (`DataKey.seal`, with subject, field and key version bound
as associated data), so a ciphertext moved to another field or subject fails to open. Packing
them into one value keeps a customer to one row: one insert to write, one row to read. A sealed
manifest (the sorted field names, under the reserved name `#fields`) makes removing or adding a
field's ciphertext detectable too.

Format (version 1)::

    0x01 || repeated( len(field) u8 || field (UTF-8) || len(ciphertext) u32 BE || ciphertext )
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from functools import lru_cache

from tutela.core.crypto import DataKey
from tutela.errors import DecryptionFailed

FORMAT_V1 = 1
MANIFEST = "#fields"
_LEN = struct.Struct(">I")


def pack(sealed: Mapping[str, bytes]) -> bytes:
    """Pack field ciphertexts (field names sorted, so equal maps pack equally)."""
    out = bytearray((FORMAT_V1,))
    for field in sorted(sealed):
        name = field.encode()
        blob = sealed[field]
        out.append(len(name))
        out += name
        out += _LEN.pack(len(blob))
        out += blob
    return bytes(out)


def unpack(packed: bytes) -> dict[str, bytes]:
    """Inverse of `pack`; a malformed record is a `DecryptionFailed` like any tampering."""
    if not packed or packed[0] != FORMAT_V1:
        raise DecryptionFailed()
    out: dict[str, bytes] = {}
    pos, end = 1, len(packed)
    try:
        while pos < end:
            size = packed[pos]
            name = _name(packed[pos + 1 : pos + 1 + size])
            pos += 1 + size
            (length,) = _LEN.unpack_from(packed, pos)
            pos += 4
            if pos + length > end:
                raise ValueError("truncated")
            out[name] = packed[pos : pos + length]
            pos += length
    except (ValueError, IndexError, UnicodeDecodeError, struct.error):
        raise DecryptionFailed() from None
    return out


@lru_cache(maxsize=256)
def _name(raw: bytes) -> str:
    """A field name's text (cached: a record holds the same few names as every other)."""
    return raw.decode()


def seal(
    dek: DataKey, plaintexts: Mapping[str, bytes], keep: Mapping[str, bytes] | None = None
) -> bytes:
    """Seal `plaintexts`, add the already-sealed fields in `keep`, seal the manifest, pack."""
    sealed = dict(keep or {})
    sealed.update(dek.seal_many(plaintexts))
    sealed[MANIFEST] = dek.seal(MANIFEST, ",".join(sorted(sealed)).encode())
    return pack(sealed)


def open_verified(dek: DataKey, packed: bytes) -> dict[str, bytes]:
    """The field ciphertexts of a record whose manifest matches its fields.

    Raises:
        DecryptionFailed: malformed record, wrong key, or fields added or removed.
    """
    sealed = unpack(packed)
    manifest = sealed.pop(MANIFEST, None)
    if manifest is None or dek.open(MANIFEST, manifest) != ",".join(sorted(sealed)).encode():
        raise DecryptionFailed()
    return sealed
