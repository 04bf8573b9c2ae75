"""Where backups live: the `BackupStore` protocol, a local directory, and an in-memory twin.

The protocol is what an object store offers, so an S3-compatible store fits it unchanged:
objects are listed, read with ranged reads (the manifest sits at the end of a backup), written
in one stream that only becomes visible when committed (a local rename; S3's completed
multipart upload), and deleted. A backup that was not committed (the process was killed) is
never listed as a backup; a local directory keeps it under a `.partial` name that `partials`
shows and `prune` removes.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from tutela.errors import BackupFailed, BackupNotFound

PARTIAL = ".partial"


@dataclass(frozen=True)
class StoredObject:
    name: str
    size: int
    modified: datetime


class ObjectWriter(Protocol):
    """A stream of bytes that becomes the object only on `commit`."""

    def write(self, data: bytes) -> None: ...

    def tell(self) -> int: ...


@runtime_checkable
class BackupStore(Protocol):
    """Objects by name: list, ranged read, committed write, delete."""

    name: str

    def objects(self) -> list[StoredObject]:
        """Committed objects, any order."""
        ...

    def partials(self) -> list[StoredObject]:
        """Writes that never committed (killed), by their final name."""
        ...

    def size(self, name: str) -> int:
        """Raises `BackupNotFound`."""
        ...

    def read(self, name: str, offset: int, length: int) -> bytes:
        """Up to `length` bytes from `offset` (fewer at the end). Raises `BackupNotFound`."""
        ...

    def writer(self, name: str) -> AbstractContextManager[ObjectWriter]:
        """`with store.writer(name) as out:` — committed when the block ends without error,
        discarded otherwise."""
        ...

    def delete(self, name: str) -> None:
        """Remove a committed object or a partial write; absent is fine."""
        ...


class _FileWriter:
    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self._written = 0

    def write(self, data: bytes) -> None:
        self._handle.write(data)
        self._written += len(data)

    def tell(self) -> int:
        return self._written


class LocalDirectoryStore:
    """Backups as files in one directory (created 0700; files 0600).

    A write goes to `NAME.partial`, is fsynced, then renamed to `NAME` and the directory
    fsynced: a backup is either complete under its name or not there.
    """

    name = "directory"

    def __init__(self, path: Path) -> None:
        self.path = path

    def _ensure(self) -> None:
        try:
            self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise BackupFailed(
                f"cannot create the backup directory {self.path}: {exc.strerror}"
            ) from None

    def _file(self, name: str) -> Path:
        if not name or "/" in name or name.startswith(".") or name.endswith(PARTIAL):
            raise BackupNotFound(f"'{name}' is not a backup name")
        return self.path / name

    def _objects(self, partial: bool) -> list[StoredObject]:
        if not self.path.is_dir():
            return []
        found = []
        try:
            for entry in os.scandir(self.path):
                if not entry.is_file() or entry.name.startswith("."):
                    continue
                if entry.name.endswith(PARTIAL) != partial:
                    continue
                info = entry.stat()
                name = entry.name[: -len(PARTIAL)] if partial else entry.name
                found.append(
                    StoredObject(name, info.st_size, datetime.fromtimestamp(info.st_mtime, UTC))
                )
        except OSError as exc:
            raise BackupFailed(f"cannot list the backups in {self.path}: {exc.strerror}") from None
        return found

    def objects(self) -> list[StoredObject]:
        return self._objects(partial=False)

    def partials(self) -> list[StoredObject]:
        return self._objects(partial=True)

    def size(self, name: str) -> int:
        try:
            return self._file(name).stat().st_size
        except FileNotFoundError:
            raise BackupNotFound(f"no backup '{name}' in {self.path}") from None
        except OSError as exc:
            raise BackupFailed(
                f"cannot read backup '{name}' in {self.path}: {exc.strerror}"
            ) from None

    def read(self, name: str, offset: int, length: int) -> bytes:
        try:
            with self._file(name).open("rb") as handle:
                handle.seek(offset)
                return handle.read(length)
        except FileNotFoundError:
            raise BackupNotFound(f"no backup '{name}' in {self.path}") from None
        except OSError as exc:
            raise BackupFailed(
                f"cannot read backup '{name}' in {self.path}: {exc.strerror}"
            ) from None

    @contextmanager
    def writer(self, name: str) -> Iterator[ObjectWriter]:
        target = self._file(name)
        self._ensure()
        partial = target.with_name(target.name + PARTIAL)
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise BackupFailed(f"cannot write in {self.path}: {exc.strerror}") from None
        committed = False
        try:
            with os.fdopen(fd, "wb", buffering=1 << 20) as handle:
                yield _FileWriter(handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, target)
            _fsync_dir(self.path)
            committed = True
        except OSError as exc:
            raise BackupFailed(
                f"cannot write backup '{name}' in {self.path}: {exc.strerror}"
            ) from None
        finally:
            if not committed:
                partial.unlink(missing_ok=True)

    def delete(self, name: str) -> None:
        try:
            self._file(name).unlink(missing_ok=True)
            (self.path / (name + PARTIAL)).unlink(missing_ok=True)
        except OSError as exc:
            raise BackupFailed(
                f"cannot delete backup '{name}' in {self.path}: {exc.strerror}"
            ) from None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class MemoryBackupStore:
    """The in-memory twin, for tests: the same visibility rules as a real store."""

    name = "memory"

    def __init__(self) -> None:
        self.stored: dict[str, tuple[bytes, datetime]] = {}
        self.partial: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def objects(self) -> list[StoredObject]:
        with self._lock:
            return [StoredObject(n, len(d), at) for n, (d, at) in self.stored.items()]

    def partials(self) -> list[StoredObject]:
        with self._lock:
            now = datetime.now(UTC)
            return [StoredObject(n, len(d), now) for n, d in self.partial.items()]

    def size(self, name: str) -> int:
        return len(self._get(name))

    def _get(self, name: str) -> bytes:
        with self._lock:
            found = self.stored.get(name)
        if found is None:
            raise BackupNotFound(f"no backup '{name}' in memory")
        return found[0]

    def read(self, name: str, offset: int, length: int) -> bytes:
        return self._get(name)[offset : offset + length]

    @contextmanager
    def writer(self, name: str) -> Iterator[ObjectWriter]:
        buffer = io.BytesIO()
        out = _FileWriter(buffer)
        try:
            yield out
            with self._lock:
                self.stored[name] = (buffer.getvalue(), datetime.now(UTC))
        except BaseException:
            with self._lock:
                self.partial[name] = buffer.getvalue()
            raise

    def delete(self, name: str) -> None:
        with self._lock:
            self.stored.pop(name, None)
            self.partial.pop(name, None)

    def corrupt(self, name: str, offset: int, data: bytes | None = None) -> None:
        """Flip a byte (or overwrite from `offset`), for tests of damaged backups."""
        with self._lock:
            blob, at = self.stored[name]
            patch = data if data is not None else bytes([blob[offset] ^ 0x01])
            self.stored[name] = (blob[:offset] + patch + blob[offset + len(patch) :], at)
