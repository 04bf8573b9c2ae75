"""The `BackupStore` protocol: the local directory and the in-memory twin behave alike — a
write is visible only once committed, a failed or interrupted one never lists as a backup."""

from __future__ import annotations

from pathlib import Path

import pytest
from backup_support import Home

from tutela import errors
from tutela.backup import BackupStore, LocalDirectoryStore, MemoryBackupStore
from tutela.testing import PiiCanary


@pytest.fixture(params=["directory", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BackupStore:
    if request.param == "directory":
        return LocalDirectoryStore(tmp_path / "store")
    return MemoryBackupStore()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_backup_round_trips_through_either_store(
    home: Home, canary: PiiCanary, store: BackupStore
) -> None:
    tutela = home.init()
    tutela.add(canary.customer(0))
    backups = tutela.backups.in_store(store)

    made = backups.create()
    assert isinstance(store, BackupStore)
    assert [o.name for o in store.objects()] == [made.name]
    assert backups.verify(made.name).ok
    [info] = backups.list_backups()
    assert (info.name, info.status, info.verified_ok) == (made.name, "complete", True)


def test_a_write_that_fails_midway_is_never_listed(store: BackupStore) -> None:
    with pytest.raises(RuntimeError), store.writer("tutela-x.tbk") as out:
        out.write(b"half a backup")
        raise RuntimeError("the disk filled up")
    assert store.objects() == []
    with store.writer("tutela-y.tbk") as out:
        out.write(b"0123456789")
    assert [o.name for o in store.objects()] == ["tutela-y.tbk"]
    assert store.read("tutela-y.tbk", 3, 4) == b"3456"
    assert store.read("tutela-y.tbk", 8, 100) == b"89"
    with pytest.raises(errors.BackupNotFound):
        store.size("tutela-z.tbk")
    store.delete("tutela-y.tbk")
    assert store.objects() == []
