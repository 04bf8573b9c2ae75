"""Where the keyed operators get their keys: one master key, per-recipient keys derived from it.

A master key is 32 or 64 random bytes, base64, from a key file (`tutela deid-key new FILE`,
mode 0600; refused if group or others can read it) or from `TUTELA_DEID_KEY`. Each recipient
(the policy's `recipient`, e.g. `analytics-team`) gets its own key, derived from the master
with HKDF and the recipient's name, so pseudonyms given to two recipients cannot be linked.
There is no default key: without one, an operator that needs a key refuses to be built.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol, runtime_checkable

from tutela.core.crypto.deterministic import new_master_key, recipient_key
from tutela.core.crypto.keyring import check_private
from tutela.errors import ConfigError

DEID_KEY_ENV = "TUTELA_DEID_KEY"
HOME_KEY_FILE = "deid.key"  # the API server's key, in the Tutela home
DEFAULT_RECIPIENT = "default"
_MASTER_SIZES = (32, 64)


@runtime_checkable
class KeySource(Protocol):
    """Gives the key of a recipient, or None when it holds no key (`missing_hint` then says
    how to provide one)."""

    missing_hint: str

    def key(self, recipient: str) -> bytes | None:
        """The recipient's 64-byte key, or None."""
        ...


class MasterKey:
    """Per-recipient keys derived from one master key (HKDF-SHA256, recipient name as info)."""

    missing_hint = ""

    def __init__(self, master: bytes) -> None:
        if len(master) not in _MASTER_SIZES:
            raise ConfigError("a de-identification master key has 32 or 64 bytes")
        self._master = master
        self._derived: dict[str, bytes] = {}

    def key(self, recipient: str) -> bytes:
        derived = self._derived.get(recipient)
        if derived is None:
            derived = self._derived[recipient] = recipient_key(self._master, recipient)
        return derived

    def __repr__(self) -> str:
        return "MasterKey(<secret>)"


class NoKey:
    """No key at all: keyed operators refuse with `hint`."""

    def __init__(self, hint: str = f"give --key-file FILE or set {DEID_KEY_ENV}") -> None:
        self.missing_hint = hint

    def key(self, recipient: str) -> bytes | None:
        return None


def parse_key_text(text: str, source: str) -> MasterKey:
    """A master key from its base64 text (standard or URL-safe alphabet).

    Raises:
        ConfigError: not base64 of 32 or 64 bytes; the message names `source`, never the text.
    """
    cleaned = "".join(text.split())
    try:
        material = base64.b64decode(cleaned.replace("-", "+").replace("_", "/"), validate=True)
    except (ValueError, binascii.Error):
        raise ConfigError(f"{source} is not a base64 de-identification key") from None
    if len(material) not in _MASTER_SIZES:
        raise ConfigError(f"{source} must hold 32 or 64 bytes (base64)")
    return MasterKey(material)


def read_key_file(path: Path) -> MasterKey:
    """The master key in a key file that only its owner may read.

    Raises:
        ConfigError: missing or malformed. KeyFileInsecure: group or others can read it.
    """
    check_private(path)
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        raise ConfigError(f"key file {path} cannot be read as a key") from None
    return parse_key_text(text, f"key file {path}")


def create_key_file(path: Path) -> None:
    """Write a new random 64-byte master key, base64, with mode 0600 from the first byte.

    Raises:
        ConfigError: the file exists (never overwritten) or its directory does not.
    """
    data = base64.b64encode(new_master_key()) + b"\n"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigError(f"{path} already exists; refusing to overwrite a key") from None
    except FileNotFoundError:
        raise ConfigError(f"directory of {path} does not exist") from None
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def key_source(
    *, key_file: Path | None = None, environ: Mapping[str, str] | None = None
) -> KeySource:
    """The key file if given, else `TUTELA_DEID_KEY` from `environ`, else no key.

    Raises:
        ConfigError, KeyFileInsecure: the key given cannot be used.
    """
    if key_file is not None:
        return read_key_file(key_file)
    text = (environ or {}).get(DEID_KEY_ENV, "").strip()
    if text:
        return parse_key_text(text, DEID_KEY_ENV)
    return NoKey()


class _KeyFile:
    """A key file read when a key is first asked for (so a policy without keyed operators
    never depends on it)."""

    missing_hint = ""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._master: MasterKey | None = None

    def key(self, recipient: str) -> bytes:
        if self._master is None:
            self._master = read_key_file(self.path)
        return self._master.key(recipient)


def home_key_source(home: Path) -> KeySource:
    """The key of a server: `deid.key` in its home, if there is one (read when first used).

    Raises (when a key is asked for):
        ConfigError, KeyFileInsecure: the file cannot be used.
    """
    path = home / HOME_KEY_FILE
    if path.exists():
        return _KeyFile(path)
    return NoKey(
        "the server holds no de-identification key "
        f"(create one with 'tutela deid-key new <home>/{HOME_KEY_FILE}')"
    )
