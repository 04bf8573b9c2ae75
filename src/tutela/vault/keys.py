"""Key lifecycle of the vault: system keys at init and open, KEK rotation and retirement.

Rotation re-wraps data keys and system keys under the new KEK version; field values are not
touched. It runs in batches, each its own transaction, and both versions unwrap meanwhile, so
reads keep working during a rotation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine

from tutela.core.crypto import KeyProvider, dek_aad, new_secret
from tutela.core.storage.jobs import job_lock
from tutela.errors import (
    DecryptionFailed,
    KeyMismatch,
    KeyRotationRunning,
    KeyVersionInUse,
    StorageError,
)
from tutela.vault import repository

INDEX_KEY = "blind_index"
AUDIT_KEY = "audit"
_SYSTEM_LABEL = b"tutela.system.v1\x00"

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SystemKeys:
    """Secrets the vault unwraps once when it opens."""

    index_key: bytes
    audit_key: bytes


@dataclass(frozen=True)
class RotationReport:
    kek_version: int
    rewrapped: int


def _system_aad(name: str) -> bytes:
    return _SYSTEM_LABEL + name.encode()


def create_system_keys(conn: Connection, provider: KeyProvider) -> SystemKeys:
    """Generate and store the blind-index and audit keys (at init)."""
    keys = {INDEX_KEY: new_secret(), AUDIT_KEY: new_secret()}
    for name, secret in keys.items():
        version, wrapped = provider.wrap(secret, _system_aad(name))
        repository.insert_system_key(conn, name, version, wrapped)
    return SystemKeys(keys[INDEX_KEY], keys[AUDIT_KEY])


def ensure_system_key(
    conn: Connection, provider: KeyProvider, name: str, make: Callable[[], bytes]
) -> bytes:
    """A named system secret, created with `make()` and stored wrapped the first time it is
    asked for (keys added by later releases appear in existing homes this way)."""
    stored = repository.system_keys(conn).get(name)
    if stored is not None:
        version, wrapped = stored
        return provider.unwrap(version, wrapped, _system_aad(name))
    secret = make()
    version, wrapped = provider.wrap(secret, _system_aad(name))
    repository.insert_system_key(conn, name, version, wrapped)
    return secret


def load_system_keys(conn: Connection, provider: KeyProvider) -> SystemKeys:
    """Unwrap the system keys, failing clearly if the KEK is not the one they were sealed with.

    Raises:
        KeyMismatch: the keyring does not hold the right key.
        StorageError: the database was never initialised.
    """
    stored = repository.system_keys(conn)
    if INDEX_KEY not in stored or AUDIT_KEY not in stored:
        raise StorageError("the database holds no Tutela keys: run 'tutela init'")
    secrets: dict[str, bytes] = {}
    for name, (version, wrapped) in stored.items():
        try:
            secrets[name] = provider.unwrap(version, wrapped, _system_aad(name))
        except DecryptionFailed:
            raise KeyMismatch(
                f"the key-encryption key (version {version}) does not match this database"
            ) from None
    return SystemKeys(secrets[INDEX_KEY], secrets[AUDIT_KEY])


def rotate(
    engine: Engine,
    provider: KeyProvider,
    *,
    rewrap_only: bool = False,
    batch_size: int = 1_000,
    progress: Progress | None = None,
) -> RotationReport:
    """Create a new KEK version (unless `rewrap_only`) and re-wrap every key under it.

    One rotation runs at a time, across processes and servers: two at once would each wrap
    under the newest version while waiting for every key to be under its own.

    Raises:
        KeyRotationRunning: another rotation holds the lock.
        KeysManagedElsewhere: the keys come from the environment (`rewrap_only` is the way).
    """
    with job_lock(engine, "key-rotation") as held:
        if not held:
            raise KeyRotationRunning("another key rotation is running: retry once it has finished")
        return _rotate(engine, provider, rewrap_only, batch_size, progress)


def _rotate(
    engine: Engine,
    provider: KeyProvider,
    rewrap_only: bool,
    batch_size: int,
    progress: Progress | None,
) -> RotationReport:
    version = provider.current_version() if rewrap_only else provider.new_version()

    def wrap(secret: bytes, aad: bytes) -> bytes:
        wrapped_under, wrapped = provider.wrap(secret, aad)
        if wrapped_under != version:  # a newer version appeared meanwhile: never loop on it
            raise KeyRotationRunning(
                f"key version {wrapped_under} appeared during the rotation to {version}: "
                "run 'tutela keys rotate --rewrap-only' to finish under it"
            )
        return wrapped

    with engine.begin() as conn:
        for name, (old, wrapped) in repository.system_keys(conn).items():
            if old != version:
                secret = provider.unwrap(old, wrapped, _system_aad(name))
                repository.update_system_key(conn, name, version, wrap(secret, _system_aad(name)))
        total = repository.count_keys_not_under(conn, version)
    done = 0
    if progress:
        progress(done, total)
    while True:
        with engine.begin() as conn:
            rows = repository.keys_not_under(conn, version, batch_size)
            if not rows:
                break
            updates = []
            for row in rows:
                aad = dek_aad(row.subject_id, row.dek_version)
                dek = provider.unwrap(row.kek_version, row.wrapped_dek, aad)
                updates.append((row.subject_id, version, wrap(dek, aad)))
            repository.rewrap(conn, updates)
        done += len(rows)
        if progress:
            progress(min(done, total), total)
    return RotationReport(version, done)


def retire(conn: Connection, provider: KeyProvider, version: int) -> None:
    """Forget a KEK version once nothing is wrapped under it.

    Raises:
        KeyVersionInUse: keys are still wrapped under `version` (run `keys rotate` first).
    """
    in_use = repository.kek_versions_in_use(conn).get(version, 0)
    if in_use:
        raise KeyVersionInUse(
            f"key version {version} still wraps {in_use} key(s): run 'tutela keys rotate' first"
        )
    provider.retire(version)
