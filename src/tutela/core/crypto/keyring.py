"""Key-encryption keys (KEKs): the `KeyProvider` protocol and its local implementations.

A provider wraps and unwraps small secrets (data keys, the blind-index and audit keys) under a
versioned KEK and never hands the KEK out, so a KMS (e.g. HashiCorp Vault Transit) fits the
same protocol. Two local providers ship:

* `FileKeyProvider`: a JSON key file in the home, created 0600, refused if group/other can read it.
* `EnvKeyProvider`: keys from `TUTELA_MASTER_KEY` as ``VERSION:BASE64[,VERSION:BASE64…]``;
  the highest version wraps new keys, the others still unwrap.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
import os
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from tutela.core.crypto import _hazmat
from tutela.errors import (
    ConfigError,
    CryptoError,
    KeyFileInsecure,
    KeyMismatch,
    KeysManagedElsewhere,
)

KEY_FILE_FORMAT = "tutela-keyring/1"


@runtime_checkable
class KeyProvider(Protocol):
    """Holds versioned KEKs and wraps/unwraps secrets with them."""

    name: str

    def current_version(self) -> int:
        """The version that wraps new secrets."""
        ...

    def versions(self) -> Sequence[int]:
        """Every version that can still unwrap, ascending."""
        ...

    def wrap(self, secret: bytes, aad: bytes) -> tuple[int, bytes]:
        """Wrap `secret` under the current version; returns (version, wrapped)."""
        ...

    def unwrap(self, version: int, wrapped: bytes, aad: bytes) -> bytes:
        """Unwrap; `KeyMismatch` if the version is unknown, `DecryptionFailed` if it fails."""
        ...

    def new_version(self) -> int:
        """Create a new current version (rotation); returns it."""
        ...

    def retire(self, version: int) -> None:
        """Forget a version that no longer wraps anything."""
        ...


def generate_key_text() -> str:
    """A new random 256-bit KEK, base64-encoded, for `TUTELA_MASTER_KEY` or a KMS import."""
    return base64.b64encode(_hazmat.random_bytes(_hazmat.KEY_BYTES)).decode()


class _LocalProvider:
    """Shared wrap/unwrap for providers that hold KEK material in this process."""

    name = "local"

    def __init__(self, keys: dict[int, bytes]) -> None:
        self._keys = dict(keys)
        self._ciphers = {v: _hazmat.aead(k) for v, k in keys.items()}

    def current_version(self) -> int:
        return max(self._keys)

    def versions(self) -> Sequence[int]:
        return sorted(self._keys)

    def wrap(self, secret: bytes, aad: bytes) -> tuple[int, bytes]:
        version = self.current_version()
        nonce = _hazmat.random_bytes(_hazmat.NONCE_BYTES)
        return version, _hazmat.seal_with_nonce(self._ciphers[version], nonce, secret, aad)

    def unwrap(self, version: int, wrapped: bytes, aad: bytes) -> bytes:
        cipher = self._ciphers.get(version)
        if cipher is None:
            raise KeyMismatch(f"key-encryption key version {version} is not in the keyring")
        return _hazmat.open_sealed(cipher, wrapped, aad)

    def _add(self, version: int, material: bytes) -> None:
        self._keys[version] = material
        self._ciphers[version] = _hazmat.aead(material)

    def escrow_material(self, version: int) -> bytes:
        """DANGER: the raw KEK of `version`, for key escrow (`tutela keys export`, which
        splits it into Shamir shares) and nothing else.

        Raises:
            KeyMismatch: the version is not in the keyring.
        """
        material = self._keys.get(version)
        if material is None:
            raise KeyMismatch(f"key-encryption key version {version} is not in the keyring")
        return material

    def _drop(self, version: int) -> None:
        if version == self.current_version():
            raise CryptoError(f"key version {version} is current and cannot be retired")
        if version not in self._keys:
            raise KeyMismatch(f"key-encryption key version {version} is not in the keyring")
        del self._keys[version]
        del self._ciphers[version]


class FileKeyProvider(_LocalProvider):
    """KEKs in a JSON key file that only its owner may read.

    Several processes may share the file (workers of one server): each notices when another
    rotated or retired a version (the file changed) and reloads, so a data key wrapped under a
    version created elsewhere still opens, and new keys are wrapped under the newest version.
    """

    name = "file"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp = _stamp(path)
        super().__init__(_read_key_file(path))

    @classmethod
    def create(cls, path: Path) -> FileKeyProvider:
        """Write a new key file (mode 0600, never overwriting) with one fresh KEK."""
        material = _hazmat.random_bytes(_hazmat.KEY_BYTES)
        _write_key_file(path, {1: material}, exclusive=True)
        return cls(path)

    def wrap(self, secret: bytes, aad: bytes) -> tuple[int, bytes]:
        self._refresh()
        return super().wrap(secret, aad)

    def unwrap(self, version: int, wrapped: bytes, aad: bytes) -> bytes:
        if version not in self._ciphers:
            self._refresh()
        return super().unwrap(version, wrapped, aad)

    def new_version(self) -> int:
        with _locked(self.path):
            self._refresh()
            version = self.current_version() + 1
            self._add(version, _hazmat.random_bytes(_hazmat.KEY_BYTES))
            _write_key_file(self.path, self._keys, exclusive=False)
            self._stamp = _stamp(self.path)
        return version

    def retire(self, version: int) -> None:
        with _locked(self.path):
            self._refresh()
            self._drop(version)
            _write_key_file(self.path, self._keys, exclusive=False)
            self._stamp = _stamp(self.path)

    @classmethod
    def recover(cls, path: Path, version: int, material: bytes) -> tuple[FileKeyProvider, bool]:
        """Put a KEK rebuilt from escrow shares back: into a new key file if there is none,
        else beside the versions the file holds. Returns (provider, added): `added` is False
        when the file already held that exact key.

        Raises:
            KeyMismatch: the file holds a different key under that version.
        """
        if len(material) != _hazmat.KEY_BYTES or version < 1:
            raise ConfigError("a recovered key must be a 256-bit key with a version >= 1")
        if not path.exists():
            _write_key_file(path, {version: material}, exclusive=True)
            return cls(path), True
        with _locked(path):
            keys = _read_key_file(path)
            held = keys.get(version)
            if held is not None:
                if held != material:
                    raise KeyMismatch(f"key file {path} holds a different key as version {version}")
                return cls(path), False
            keys[version] = material
            _write_key_file(path, keys, exclusive=False)
        return cls(path), True

    def _refresh(self) -> None:
        stamp = _stamp(self.path)
        if stamp != self._stamp:
            keys = _read_key_file(self.path)
            self._keys = dict(keys)
            self._ciphers = {v: _hazmat.aead(k) for v, k in keys.items()}
            self._stamp = stamp


def _stamp(path: Path) -> tuple[int, int, int]:
    """What changes when the key file is rewritten (it is replaced, so the inode changes)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ConfigError(f"key file {path} not found") from None
    return (info.st_ino, info.st_mtime_ns, info.st_size)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialise rotations and retirements across processes sharing the key file."""
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class EnvKeyProvider(_LocalProvider):
    """KEKs given in the environment (`TUTELA_MASTER_KEY`); rotation happens there."""

    name = "env"

    def __init__(self, spec: str) -> None:
        super().__init__(parse_master_key(spec))

    def new_version(self) -> int:
        raise KeysManagedElsewhere(
            "keys come from TUTELA_MASTER_KEY: add a new version there "
            "(tutela keys generate prints one) and run 'tutela keys rotate --rewrap-only'"
        )

    def retire(self, version: int) -> None:
        raise KeysManagedElsewhere(
            f"keys come from TUTELA_MASTER_KEY: remove version {version} from it instead"
        )


def parse_master_key(spec: str) -> dict[int, bytes]:
    """Parse ``VERSION:BASE64[,…]`` (or one bare BASE64 key, version 1).

    Raises:
        ConfigError: malformed; the message never repeats the key text.
    """
    keys: dict[int, bytes] = {}
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    if not parts:
        raise ConfigError("TUTELA_MASTER_KEY is empty")
    for index, part in enumerate(parts):
        version_text, sep, key_text = part.rpartition(":")
        if not sep:
            version_text, key_text = "1", part
        try:
            version = int(version_text)
            material = base64.b64decode(key_text, validate=True)
        except (ValueError, binascii.Error):
            raise ConfigError(
                f"TUTELA_MASTER_KEY entry {index + 1} is not VERSION:BASE64"
            ) from None
        if version < 1 or len(material) != _hazmat.KEY_BYTES or version in keys:
            raise ConfigError(
                f"TUTELA_MASTER_KEY entry {index + 1} needs a unique version >= 1 "
                "and a base64 256-bit key"
            )
        keys[version] = material
    return keys


def check_private(path: Path) -> None:
    """Refuse a key file that is missing or that anyone but its owner may read.

    Raises:
        ConfigError: missing. KeyFileInsecure: group or others can read it.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ConfigError(f"key file {path} not found") from None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileInsecure(
            f"key file {path} is readable by group or others (mode "
            f"{stat.S_IMODE(info.st_mode):o}); run 'chmod 600 {path}'"
        )


def _read_key_file(path: Path) -> dict[int, bytes]:
    check_private(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("format") != KEY_FILE_FORMAT:
            raise ValueError("format")
        keys = {
            int(v): base64.b64decode(entry["material"], validate=True)
            for v, entry in document["keys"].items()
        }
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        raise ConfigError(f"key file {path} is not a Tutela key file") from None
    if not keys or any(len(k) != _hazmat.KEY_BYTES for k in keys.values()):
        raise ConfigError(f"key file {path} holds no valid key")
    return keys


def _write_key_file(path: Path, keys: dict[int, bytes], *, exclusive: bool) -> None:
    """Write atomically with mode 0600 from the first byte (never chmod after writing)."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    document = {
        "format": KEY_FILE_FORMAT,
        "keys": {
            str(v): {"material": base64.b64encode(k).decode(), "written_at": now}
            for v, k in sorted(keys.items())
        },
    }
    data = json.dumps(document, indent=2).encode()
    target = path if exclusive else path.with_name(path.name + ".tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    if not exclusive and target.exists():
        target.unlink()
    fd = os.open(target, flags, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    if not exclusive:
        os.replace(target, path)
