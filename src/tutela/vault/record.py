"""The sealed record: all of a subject's field ciphertexts in one stored value.

Each field is still sealed on its own (`DataKey.seal`, with subject, field and key version bound
as associated data), so a ciphertext moved to another field or subject fails to open. Packing
them into one value keeps a customer to one row: one insert to write, one row to read.

Format (version 1)::

    0x01 || repeated( len(field) u8 || field (UTF-8) || len(ciphertext) u32 BE || ciphertext )
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

from tutela.errors import DecryptionFailed

FORMAT_V1 = 1
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
    view, pos, end = memoryview(packed), 1, len(packed)
    try:
        while pos < end:
            size = view[pos]
            name = bytes(view[pos + 1 : pos + 1 + size]).decode()
            pos += 1 + size
            (length,) = _LEN.unpack_from(view, pos)
            pos += _LEN.size
            if pos + length > end:
                raise ValueError("truncated")
            out[name] = bytes(view[pos : pos + length])
            pos += length
    except (ValueError, IndexError, UnicodeDecodeError, struct.error):
        raise DecryptionFailed() from None
    return out
