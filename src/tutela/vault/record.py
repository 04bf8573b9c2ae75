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

from tutela.core.crypto import DataKey
from tutela.errors import DecryptionFailed

FORMAT_V1 = 1
MANIFEST = "#fields"
_LEN = struct.Struct(">I")


def pack(sealed: Mapping[str, bytes]) -> bytes:
    """Pack field ciphertexts (field names sorted, so equal maps pack equally)."""
    parts = [bytes([FORMAT_V1])]
    for field in sorted(sealed):
        name = field.encode()
        blob = sealed[field]
        parts += [bytes([len(name)]), name, _LEN.pack(len(blob)), blob]
    return b"".join(parts)


def unpack(packed: bytes) -> dict[str, bytes]:
    """Inverse of `pack`; a malformed record is a `DecryptionFailed` like any tampering."""
    if not packed or packed[0] != FORMAT_V1:
        raise DecryptionFailed()
    out: dict[str, bytes] = {}
    pos, end = 1, len(packed)
    try:
        while pos < end:
            size = packed[pos]
            name = packed[pos + 1 : pos + 1 + size].decode()
            pos += 1 + size
            length = int.from_bytes(packed[pos : pos + 4], "big")
            pos += 4
            if pos + length > end:
                raise ValueError("truncated")
            out[name] = packed[pos : pos + length]
            pos += length
    except (ValueError, IndexError, UnicodeDecodeError):
        raise DecryptionFailed() from None
    return out


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
