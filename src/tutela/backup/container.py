"""The backup file format (version 1): an encrypted stream of authenticated chunks.

    header   "TUTELABK" | format u16 | wrapped-key length u16 | wrapped backup key
             | SHA-256(previous header bytes)[:16]
    chunks   repeated( length u32 | nonce | AES-256-GCM(zstd(msgpack([table, rows]))) | tag )
    manifest length u32 | the same, sealed as the final chunk (JSON: counts, chunk hashes, …)
    trailer  manifest offset u64 | manifest length u32 | "TUTBKEND"

Only the format version can be read without the key: the backup key is random per backup and
wrapped by the keyring's current key-encryption key (the version is not written down: a reader
tries the keyring's versions). Every chunk is bound to its index and to the header, so a
flipped bit, a swapped or dropped chunk, or a truncated file is found and named. A backup is
written under a temporary name and committed only after the trailer (see `store`).
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from tutela.backup.store import BackupStore, ObjectWriter
from tutela.core.crypto import KeyProvider
from tutela.core.crypto.stream import LAST_INDEX, OVERHEAD, ChunkCipher, StreamKey
from tutela.errors import BackupDamaged, BackupKeyMissing, DecryptionFailed, KeyMismatch

MAGIC = b"TUTELABK"
END = b"TUTBKEND"
FORMAT_VERSION = 1
_FIXED = struct.Struct(">8sHH")
_CHECK = 16
_LEN = struct.Struct(">I")
_TRAILER = struct.Struct(">QI8s")
KIND_DATA, KIND_MANIFEST = 0, 1
_KEY_AAD = b"tutela.backup.key.v1\x00"
MAX_CHUNK = 256 << 20  # a sanity bound on a chunk's stated length


@dataclass(frozen=True)
class Chunk:
    """Where a sealed chunk is and what it holds (from the manifest)."""

    index: int
    offset: int
    length: int
    sha256: str
    table: str
    rows: int

    def as_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "offset": self.offset,
            "length": self.length,
            "sha256": self.sha256,
            "table": self.table,
            "rows": self.rows,
        }


def _key_aad(version: int) -> bytes:
    return _KEY_AAD + MAGIC + version.to_bytes(2, "big")


class ContainerWriter:
    """Writes one backup: header at once, then `add` chunks, then `finish` with a manifest."""

    def __init__(self, out: ObjectWriter, keys: KeyProvider) -> None:
        key = StreamKey.generate()
        self.kek_version, wrapped = keys.wrap(key.material, _key_aad(FORMAT_VERSION))
        fixed = _FIXED.pack(MAGIC, FORMAT_VERSION, len(wrapped)) + wrapped
        header = fixed + hashlib.sha256(fixed).digest()[:_CHECK]
        self._out = out
        out.write(header)
        self._cipher = key.cipher(hashlib.sha256(header).digest())
        self.chunks: list[Chunk] = []

    def add(self, plaintext: bytes, table: str, rows: int) -> None:
        index = len(self.chunks)
        sealed = self._cipher.seal(index, KIND_DATA, plaintext)
        offset = self._out.tell()
        self._out.write(_LEN.pack(len(sealed)) + sealed)
        digest = hashlib.sha256(sealed).hexdigest()
        self.chunks.append(Chunk(index, offset, len(sealed), digest, table, rows))

    def finish(self, manifest: dict[str, Any]) -> None:
        document = {**manifest, "chunks": [c.as_json() for c in self.chunks]}
        sealed = self._cipher.seal(LAST_INDEX, KIND_MANIFEST, json.dumps(document).encode())
        offset = self._out.tell()
        self._out.write(_LEN.pack(len(sealed)) + sealed)
        self._out.write(_TRAILER.pack(offset, len(sealed), END))


class ContainerReader:
    """Opens one backup: checks the header, finds the key, reads and checks the manifest.

    Raises (from the constructor):
        BackupNotFound; BackupDamaged (not a backup, damaged header, truncated, manifest that
        does not authenticate); BackupKeyMissing (no key in the keyring opens it).
    """

    def __init__(self, store: BackupStore, name: str, keys: KeyProvider) -> None:
        self.store, self.name = store, name
        self.size = store.size(name)
        head = store.read(name, 0, _FIXED.size)
        if len(head) < _FIXED.size or head[:8] != MAGIC:
            raise self._damaged("is not a Tutela backup (no backup header)")
        _, self.format_version, wrapped_len = _FIXED.unpack(head)
        if self.format_version != FORMAT_VERSION:
            raise BackupDamaged(
                f"backup '{name}' is format version {self.format_version}; this release reads "
                f"version {FORMAT_VERSION}"
            )
        rest = store.read(name, _FIXED.size, wrapped_len + _CHECK)
        if len(rest) < wrapped_len + _CHECK:
            raise self._damaged("is truncated inside its header")
        wrapped, check = rest[:wrapped_len], rest[wrapped_len:]
        if hashlib.sha256(head + wrapped).digest()[:_CHECK] != check:
            raise self._damaged("has a damaged header")
        header = head + rest
        self.header_size = len(header)
        self.kek_version, material = self._unwrap(keys, wrapped)
        self._cipher: ChunkCipher = StreamKey(material).cipher(hashlib.sha256(header).digest())
        self.manifest = self._read_manifest()
        self.chunks = [Chunk(**c) for c in self.manifest["chunks"]]

    def _damaged(self, what: str) -> BackupDamaged:
        return BackupDamaged(f"backup '{self.name}' {what}")

    def _unwrap(self, keys: KeyProvider, wrapped: bytes) -> tuple[int, bytes]:
        for version in sorted(keys.versions(), reverse=True):
            try:
                return version, keys.unwrap(version, wrapped, _key_aad(self.format_version))
            except (DecryptionFailed, KeyMismatch):
                continue
        held = ", ".join(str(v) for v in keys.versions()) or "none"
        raise BackupKeyMissing(
            f"backup '{self.name}': the key-encryption key that sealed it is missing — none "
            f"of the keyring's versions ({held}) opens it; it was retired since, or the "
            "backup belongs to another home's keyring (recover the key with "
            "'tutela keys recover')"
        )

    def _read_manifest(self) -> dict[str, Any]:
        if self.size < self.header_size + _TRAILER.size:
            raise self._damaged("is truncated: it ends before its manifest")
        tail = self.store.read(self.name, self.size - _TRAILER.size, _TRAILER.size)
        offset, length, end = _TRAILER.unpack(tail)
        if end != END:
            raise self._damaged("is truncated or incomplete: its trailer is missing")
        if (
            offset < self.header_size
            or length > MAX_CHUNK
            or offset + _LEN.size + length != self.size - _TRAILER.size
        ):
            raise self._damaged("has a damaged trailer")
        framed = self.store.read(self.name, offset, _LEN.size + length)
        if _LEN.unpack(framed[: _LEN.size])[0] != length:
            raise self._damaged("has a damaged manifest (length field)")
        try:
            body = self._cipher.open(LAST_INDEX, KIND_MANIFEST, framed[_LEN.size :])
        except DecryptionFailed:
            raise self._damaged("has a damaged manifest: it does not authenticate") from None
        manifest: dict[str, Any] = json.loads(body)
        return manifest

    def read_chunk(self, chunk: Chunk) -> bytes:
        """The plaintext of one chunk, after checking its place, hash and tag."""
        total = len(self.chunks)
        where = f"chunk {chunk.index + 1} of {total} (bytes {chunk.offset}..)"
        framed = self.store.read(self.name, chunk.offset, _LEN.size + chunk.length)
        if len(framed) < _LEN.size + chunk.length:
            raise self._damaged(f"is truncated in {where}")
        if _LEN.unpack(framed[: _LEN.size])[0] != chunk.length:
            raise self._damaged(f"has a damaged {where}: its length field changed")
        sealed = framed[_LEN.size :]
        if hashlib.sha256(sealed).hexdigest() != chunk.sha256:
            raise self._damaged(f"has a damaged {where}: its hash does not match the manifest")
        try:
            return self._cipher.open(chunk.index, KIND_DATA, sealed)
        except DecryptionFailed:
            raise self._damaged(f"has a damaged {where}: it does not authenticate") from None

    def read_chunks(self, chunks: Sequence[Chunk] | None = None) -> Iterator[tuple[Chunk, bytes]]:
        for chunk in self.chunks if chunks is None else chunks:
            yield chunk, self.read_chunk(chunk)

    def check_layout(self) -> None:
        """The chunks tile the file from the header to the manifest, in index order."""
        position = self.header_size
        for expected, chunk in enumerate(self.chunks):
            if chunk.index != expected or chunk.offset != position:
                raise self._damaged(f"has a manifest that misplaces chunk {expected + 1}")
            position += _LEN.size + chunk.length
        if position + _LEN.size + OVERHEAD > self.size:
            raise self._damaged("is truncated")
