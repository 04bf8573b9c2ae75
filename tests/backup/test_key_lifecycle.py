"""Key escrow (Shamir shares of the KEK) and key retirement with backups in the store."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from backup_support import Home, state

from tutela import Tutela, errors
from tutela._backups import Backups
from tutela.config import BackupKeep
from tutela.core.crypto import escrow
from tutela.testing import PiiCanary


def test_any_three_of_five_shares_recover_the_key_and_two_do_not() -> None:
    material = bytes(range(32))
    shares = escrow.split(4, material, shares=5, threshold=3)

    assert len(shares) == 5
    assert all(len(s.split()) >= 20 for s in shares)  # printable words
    for chosen in itertools.combinations(shares, 3):
        recovered = escrow.combine(list(chosen))
        assert (recovered.version, recovered.material) == (4, material)
    for chosen in itertools.combinations(shares, 2):
        with pytest.raises(errors.EscrowFailed, match="2 share\\(s\\) given, 3 needed"):
            escrow.combine(list(chosen))


def test_shares_of_different_keys_or_mistyped_words_fail_without_quoting_them() -> None:
    first = escrow.split(1, bytes(32), shares=5, threshold=3)
    other = escrow.split(1, bytes(range(32)), shares=5, threshold=3)
    words = first[0].split()
    words[4] = "zzzz"

    with pytest.raises(errors.EscrowFailed) as mixed:
        escrow.combine([first[0], first[1], other[2]])
    with pytest.raises(errors.EscrowFailed) as typo:
        escrow.combine([" ".join(words), first[1], first[2]])
    for raised in (mixed, typo):
        assert not any(w in str(raised.value).split() for w in first[0].split())
    with pytest.raises(errors.EscrowFailed, match="threshold"):
        escrow.split(1, bytes(32), shares=2, threshold=3)


def test_a_lost_key_file_is_rebuilt_from_three_shares_and_the_home_opens(
    home: Home, canary: PiiCanary
) -> None:
    tutela = home.init()
    subject = tutela.add(canary.customer(0))
    before = state(tutela, [subject])
    version, shares = tutela.backups.export_key_shares(shares=5, threshold=3)
    home.close()
    home.settings.key_file.unlink()

    with pytest.raises(errors.EscrowFailed):
        Backups.recover_key(home.settings, shares[:2])
    assert not home.settings.key_file.exists()
    assert Backups.recover_key(home.settings, [shares[4], shares[0], shares[2]]) == (version, True)
    assert Backups.recover_key(home.settings, shares[1:4]) == (version, False)

    assert state(home.open(), [subject]) == before


def test_retire_refuses_while_a_retained_backup_needs_the_version_then_list_says_so(
    home: Home, canary: PiiCanary
) -> None:
    home.settings = home.settings.model_copy(
        update={"backup_keep": BackupKeep(daily=1, weekly=0, monthly=0)}
    )
    tutela = home.init()
    tutela.add(canary.customer(0))
    old = tutela.backups.create()
    tutela.rotate_keys()  # every data key now under v2; v1 still opens the old backup

    with pytest.raises(errors.KeyVersionInUse, match="retained backup") as refused:
        tutela.retire_key(1)
    assert old.name in str(refused.value)

    home.clock.advance(timedelta(days=1))
    new = tutela.backups.create()  # under v2; the policy now keeps only this one
    tutela.retire_key(1)

    listed = {i.name: i for i in tutela.backups.list_backups()}
    assert listed[new.name].status == "complete"
    assert listed[old.name].status == "key missing"
    assert "retired" in (listed[old.name].problem or "")
    assert not listed[old.name].retained
    with pytest.raises(errors.BackupKeyMissing, match="missing"):
        Tutela.restore_backup(home.settings, old.name, to=f"sqlite:///{home.settings.home}/x.db")
    assert tutela.backups.verify(new.name).ok


def test_retire_still_refuses_while_a_data_key_needs_the_version(home: Home) -> None:
    tutela = home.init()
    tutela.add({"email": "someone@example.com"})
    tutela.keys.new_version()
    with pytest.raises(errors.KeyVersionInUse):
        tutela.retire_key(1)
    assert isinstance(tutela, Tutela)
