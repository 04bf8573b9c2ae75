"""Key providers: the key file is private from its first byte, keys rotate and retire, a wrong
or malformed key is a clear error that never repeats key material.
"""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from tutela.core.crypto import EnvKeyProvider, FileKeyProvider, generate_key_text
from tutela.errors import (
    ConfigError,
    CryptoError,
    DecryptionFailed,
    KeyFileInsecure,
    KeyMismatch,
    KeysManagedElsewhere,
)
from tutela.testing import InMemoryKeyProvider


def test_key_file_is_created_0600_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    FileKeyProvider.create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        FileKeyProvider.create(path)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
def test_key_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "keys.json"
    FileKeyProvider.create(path)
    path.chmod(mode)
    with pytest.raises(KeyFileInsecure, match="chmod 600"):
        FileKeyProvider(path)


def test_corrupt_key_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text("{not json")
    path.chmod(0o600)
    with pytest.raises(ConfigError, match="not a Tutela key file"):
        FileKeyProvider(path)


def test_rotation_keeps_old_versions_until_retired(tmp_path: Path) -> None:
    provider = FileKeyProvider.create(tmp_path / "keys.json")
    version, wrapped = provider.wrap(b"secret", b"aad")
    assert version == 1
    assert provider.new_version() == 2
    reopened = FileKeyProvider(tmp_path / "keys.json")
    assert reopened.versions() == [1, 2]
    assert stat.S_IMODE((tmp_path / "keys.json").stat().st_mode) == 0o600
    assert reopened.unwrap(1, wrapped, b"aad") == b"secret"
    assert reopened.wrap(b"secret", b"aad")[0] == 2
    with pytest.raises(CryptoError, match="current"):
        reopened.retire(2)
    reopened.retire(1)
    with pytest.raises(KeyMismatch, match="version 1"):
        FileKeyProvider(tmp_path / "keys.json").unwrap(1, wrapped, b"aad")


def test_unwrap_with_other_key_or_aad_fails() -> None:
    one, other = InMemoryKeyProvider(), InMemoryKeyProvider()
    version, wrapped = one.wrap(b"secret", b"sub_a")
    with pytest.raises(DecryptionFailed):
        other.unwrap(version, wrapped, b"sub_a")
    with pytest.raises(DecryptionFailed):
        one.unwrap(version, wrapped, b"sub_b")


def test_env_provider_parses_versions_and_highest_is_current() -> None:
    k1, k2 = generate_key_text(), generate_key_text()
    provider = EnvKeyProvider(f"1:{k1}, 2:{k2}")
    assert provider.versions() == [1, 2]
    assert provider.current_version() == 2
    assert EnvKeyProvider(k1).versions() == [1]
    with pytest.raises(KeysManagedElsewhere, match="TUTELA_MASTER_KEY"):
        provider.new_version()
    with pytest.raises(KeysManagedElsewhere, match="remove version 1"):
        provider.retire(1)


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "1:not-base64!",
        "1:" + base64.b64encode(b"short").decode(),
        "0:" + base64.b64encode(bytes(32)).decode(),
        "x:" + base64.b64encode(bytes(32)).decode(),
    ],
)
def test_malformed_master_key_is_refused_without_echoing_it(spec: str) -> None:
    with pytest.raises(ConfigError) as raised:
        EnvKeyProvider(spec)
    secret_part = spec.partition(":")[2]
    assert not secret_part or secret_part not in str(raised.value)


def test_duplicate_versions_are_refused() -> None:
    key = generate_key_text()
    with pytest.raises(ConfigError, match="unique version"):
        EnvKeyProvider(f"1:{key},1:{key}")


def test_a_provider_sees_versions_another_process_created_and_retired(tmp_path: Path) -> None:
    """Workers share the key file: one rotates, the others open and wrap with the new key."""
    path = tmp_path / "keys.json"
    FileKeyProvider.create(path)
    worker, rotator = FileKeyProvider(path), FileKeyProvider(path)
    assert rotator.new_version() == 2
    version, wrapped = rotator.wrap(b"secret", b"aad")
    assert worker.unwrap(version, wrapped, b"aad") == b"secret"
    assert worker.wrap(b"other", b"aad")[0] == 2
    rotator.retire(1)
    assert FileKeyProvider(path).versions() == [2]
    assert worker.new_version() == 3  # sees version 2 before adding its own
