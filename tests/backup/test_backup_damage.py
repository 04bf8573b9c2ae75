"""A damaged, truncated, interrupted or foreign backup is named as such, never restored, and
never shown as complete."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from backup_support import Home

from tutela import Settings, Tutela, errors
from tutela._backups import Backups
from tutela.backup.container import ContainerReader
from tutela.testing import PiiCanary, fake_customers


def _made(home: Home, canary: PiiCanary, customers: int = 300) -> tuple[Tutela, Path]:
    tutela = home.init()
    tutela.add(canary.customer(0))
    tutela.add_many(list(fake_customers(customers)))
    made = tutela.backups.create()
    return tutela, home.settings.resolved_backup_dir / made.name


def test_a_flipped_byte_fails_verify_naming_its_chunk(home: Home, canary: PiiCanary) -> None:
    tutela, path = _made(home, canary)
    reader = ContainerReader(tutela.backups.store, path.name, tutela.keys)
    assert len(reader.chunks) >= 3
    second = reader.chunks[1]
    assert tutela.backups.verify(path.name).ok

    blob = bytearray(path.read_bytes())
    blob[second.offset + 4 + second.length // 2] ^= 0x10
    path.write_bytes(bytes(blob))

    report = tutela.backups.verify(path.name)
    assert not report.ok
    assert f"chunk 2 of {len(reader.chunks)}" in (report.problem or "")
    assert not canary.leaks([report.problem or ""])
    with pytest.raises(errors.BackupDamaged, match="chunk 2 of"):
        Tutela.restore_backup(home.settings, path.name, to=f"sqlite:///{path.parent / 'x.db'}")
    assert not (path.parent / "x.db").exists()
    listed = {i.name: i for i in tutela.backups.list_backups()}
    assert listed[path.name].verified_ok is False


@pytest.mark.parametrize("cut", ["tail", "half", "header"])
def test_a_truncated_backup_fails_clearly(home: Home, canary: PiiCanary, cut: str) -> None:
    tutela, path = _made(home, canary, customers=50)
    blob = path.read_bytes()
    keep = {"tail": len(blob) - 7, "half": len(blob) // 2, "header": 20}[cut]
    path.write_bytes(blob[:keep])

    report = tutela.backups.verify(path.name)

    assert not report.ok
    assert "truncated" in (report.problem or "")
    assert path.name in (report.problem or "")
    [info] = [i for i in tutela.backups.list_backups() if i.name == path.name]
    assert info.status == "damaged"


def test_a_backup_opened_with_another_keyring_fails_naming_the_key(
    home: Home, canary: PiiCanary, tmp_path: Path
) -> None:
    _, path = _made(home, canary, customers=20)
    stranger = Settings.load(tmp_path / "stranger", environ={})
    Tutela.init(settings=stranger).close()

    report = Backups.from_settings(stranger).verify(str(path))
    with pytest.raises(errors.BackupKeyMissing) as raised:
        Tutela.restore_backup(stranger, str(path), force=True)

    assert not report.ok
    for text in (report.problem or "", str(raised.value)):
        assert "key-encryption key" in text
        assert "missing" in text
        assert path.name in text
    with Tutela.open(settings=stranger) as untouched:  # the target was not changed
        assert untouched.verify_audit().ok


def test_a_backup_whose_data_keys_need_a_missing_version_names_it(
    home: Home, canary: PiiCanary
) -> None:
    tutela = home.init()
    tutela.add(canary.customer(0))
    tutela.keys.new_version()  # v2 wraps the backup key; the data keys are still under v1
    made = tutela.backups.create()
    reader = ContainerReader(tutela.backups.store, made.name, tutela.keys)
    assert (reader.kek_version, reader.manifest["kek_versions"]) == (2, [1, 2])
    tutela.keys.retire(1)  # lost, as a key is when nobody kept it

    with pytest.raises(errors.BackupKeyMissing, match=r"version\(s\) 1, which this keyring"):
        Tutela.restore_backup(home.settings, made.name, force=True)
    [info] = tutela.backups.list_backups()
    assert info.status == "key missing"
    assert "1" in (info.problem or "")


_SLOW_BACKUP = textwrap.dedent(
    """
    import sys, time
    from tutela import Tutela
    from tutela.backup import store

    real = store._FileWriter.write

    def slow(self, data):
        real(self, data)
        print("wrote", flush=True)
        time.sleep(0.2)

    store._FileWriter.write = slow
    with Tutela.open(sys.argv[1]) as tutela:
        tutela.backups.create()
    print("finished", flush=True)
    """
)


def test_kill_9_during_create_leaves_nothing_that_lists_as_complete(
    home: Home, canary: PiiCanary, backend: str
) -> None:
    tutela, first = _made(home, canary, customers=200)
    home.close()
    env = {**os.environ, "TUTELA_DATABASE_URL": home.settings.resolved_database_url}
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_BACKUP, str(home.settings.home)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        for _ in range(3):  # the header and two chunks are on disk
            assert proc.stdout.readline().strip() == "wrote"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL

    listed = Backups.from_settings(home.settings).list_backups()
    complete = [i.name for i in listed if i.status == "complete"]
    assert complete == [first.name]
    [partial] = [i for i in listed if i.status == "incomplete"]
    assert partial.name != first.name
    assert not (home.settings.resolved_backup_dir / partial.name).exists()
    # prune removes interrupted writes once they are a day old, never a running one
    assert Backups.from_settings(home.settings).prune() == []
    orphans = list(home.settings.home.glob(".tutela-snapshot-*"))
    assert len(orphans) == (1 if backend == "sqlite" else 0)
    tutela = home.open()  # the killed process left no lock behind
    assert tutela.backups.create().name != first.name
    # nor, once another backup ran, the copy of the database it was reading from
    assert list(home.settings.home.glob(".tutela-snapshot-*")) == []
