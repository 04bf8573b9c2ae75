"""The chain head checkpointed outside the database, so deleting the newest entries shows.

The head file holds the highest sequence number and its MAC known to have been committed. It is
updated after each commit under an exclusive `flock`, only ever forwards, with one fixed-size
`pwrite` (no rename), which keeps the per-transaction cost to a few microseconds.
"""

from __future__ import annotations

import fcntl
import os
import threading
from dataclasses import dataclass
from pathlib import Path

_RECORD = "tutela-audit-head/1 {seq:020d} {mac}\n"
_RECORD_LEN = len(_RECORD.format(seq=0, mac="0" * 64))


@dataclass(frozen=True)
class Head:
    seq: int
    mac: bytes


class HeadFile:
    """A checkpoint of the chain head in one small file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        # flock excludes other processes only: threads share the descriptor, so they take
        # this lock too.
        self._lock = threading.Lock()

    def _open(self) -> int:
        if self._fd is None:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            if self._fd is None:
                self._fd = fd
            else:  # another thread opened it meanwhile
                os.close(fd)
        return self._fd

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def read(self) -> Head | None:
        """The checkpointed head; None if the file does not exist."""
        if self._fd is None and not self.path.exists():
            return None
        return _parse(os.pread(self._open(), _RECORD_LEN, 0))

    def advance(self, head: Head) -> None:
        """Record `head` unless a later one is already recorded (another process got there)."""
        with self._lock:
            self._advance(head)

    def _advance(self, head: Head) -> None:
        fd = self._open()
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            raw = os.pread(fd, _RECORD_LEN, 0)
            current = _parse(raw) if raw else None  # empty: just created by this call
            if current is None or head.seq > current.seq:
                record = _RECORD.format(seq=head.seq, mac=head.mac.hex()).encode()
                os.pwrite(fd, record, 0)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def reset(self, head: Head) -> None:
        """Overwrite unconditionally (a restored or re-created database)."""
        fd = self._open()
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, _RECORD.format(seq=head.seq, mac=head.mac.hex()).encode(), 0)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


def _parse(raw: bytes) -> Head | None:
    """None for a file never written; `Head(-1, b"")` for one whose content is damaged."""
    try:
        label, seq, mac = raw.decode().split()
        if label != "tutela-audit-head/1":
            raise ValueError(label)
        return Head(int(seq), bytes.fromhex(mac))
    except ValueError:
        # An unreadable checkpoint is itself a sign of tampering: report it as head 'unknown'.
        return Head(-1, b"")
