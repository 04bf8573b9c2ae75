"""The audit log is tamper-evident: any edit, deletion or reordering of `audit_entry` rows made
behind Tutela's back (raw SQL), and any damage to the head checkpoint, makes `verify_audit` fail
and name the first broken entry. Known-answer vectors pin the canonical entry format.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from tutela import Settings, Tutela, errors
from tutela.core.audit.chain import GENESIS, AuditEvent, canonical_bytes, entry_mac, link
from tutela.testing import PiiCanary

VECTORS = Path(__file__).parents[2] / "vectors" / "audit_chain.json"
_COLUMNS = (
    "at",
    "actor",
    "role",
    "action",
    "subject_id",
    "fields",
    "purpose",
    "outcome",
    "detail",
    "prev_mac",
    "mac",
)


def _seed(tutela: Tutela, canary: PiiCanary) -> int:
    """Adds, a read and a denial; returns the number of entries (all verified)."""
    ids = [tutela.add(canary.customer(n)) for n in range(3)]
    tutela.read(ids[0], ["email"], purpose="order_fulfilment", role="support")
    with pytest.raises(errors.RoleNotAllowed):
        tutela.read(ids[1], purpose="order_fulfilment", role="marketing")
    report = tutela.verify_audit()
    assert report.ok, report
    return report.entries


def _sql(tutela: Tutela, statement: str, **params: object) -> None:
    with tutela.engine.begin() as conn:
        conn.execute(sa.text(statement), params)


def test_a_clean_log_verifies_with_its_count(tutela: Tutela, canary: PiiCanary) -> None:
    """The baseline every tamper test relies on: an untouched log is ok, head at the last seq."""
    entries = _seed(tutela, canary)
    report = tutela.verify_audit()
    seqs = [e.seq for e in tutela.audit_entries()]
    assert (report.ok, report.entries, report.first_broken) == (True, len(seqs), None)
    assert seqs == list(range(1, entries + 1))
    assert report.head_seq == entries


@pytest.mark.parametrize(
    ("column", "value"),
    [("outcome", "denied"), ("purpose", "fraud_prevention"), ("actor", "someone_else")],
)
def test_editing_an_old_entry_names_it(
    tutela: Tutela, canary: PiiCanary, column: str, value: str
) -> None:
    """Changing any audited column of entry 3 breaks its MAC, so verification stops at 3."""
    _seed(tutela, canary)
    _sql(tutela, f"UPDATE audit_entry SET {column} = :v WHERE seq = 3", v=value)
    report = tutela.verify_audit()
    assert (report.ok, report.first_broken, report.entries) == (False, 3, 2)
    assert "edited" in (report.reason or "")


def test_editing_the_timestamp_of_an_entry_names_it(tutela: Tutela, canary: PiiCanary) -> None:
    """Back-dating an entry is an edit too: the time is part of the MAC."""
    _seed(tutela, canary)
    with tutela.engine.begin() as conn:
        at = conn.execute(sa.text("SELECT at FROM audit_entry WHERE seq = 4")).scalar_one()
        if isinstance(at, str):  # SQLite keeps the text SQLAlchemy wrote
            at = datetime.fromisoformat(at)
        conn.execute(
            sa.text("UPDATE audit_entry SET at = :at WHERE seq = 4"),
            {"at": at.replace(year=at.year - 1)},
        )
    report = tutela.verify_audit()
    assert (report.ok, report.first_broken) == (False, 4)


def test_deleting_a_middle_entry_names_the_missing_seq(tutela: Tutela, canary: PiiCanary) -> None:
    """A gap in the sequence is reported at the first missing number."""
    _seed(tutela, canary)
    _sql(tutela, "DELETE FROM audit_entry WHERE seq = 4")
    report = tutela.verify_audit()
    assert (report.ok, report.first_broken, report.entries) == (False, 4, 3)
    assert "missing" in (report.reason or "")


def test_swapping_two_entries_is_detected_at_the_first(tutela: Tutela, canary: PiiCanary) -> None:
    """Reordering (entries 3 and 4 exchange everything but seq) breaks the link at 3."""
    _seed(tutela, canary)
    cols = ", ".join(_COLUMNS)
    with tutela.engine.begin() as conn:
        rows = {
            r.seq: r._mapping
            for r in conn.execute(
                sa.text(f"SELECT seq, {cols} FROM audit_entry WHERE seq IN (3, 4)")
            )
        }
        assignments = ", ".join(f"{c} = :{c}" for c in _COLUMNS)
        update = sa.text(f"UPDATE audit_entry SET {assignments} WHERE seq = :seq")
        conn.execute(update, {**{c: rows[4][c] for c in _COLUMNS}, "seq": 3})
        conn.execute(update, {**{c: rows[3][c] for c in _COLUMNS}, "seq": 4})
    report = tutela.verify_audit()
    assert (report.ok, report.first_broken, report.entries) == (False, 3, 2)


@pytest.mark.parametrize("deleted", [1, 2, "all"])
def test_deleting_the_newest_entries_is_caught_by_the_head_file(
    tutela: Tutela, canary: PiiCanary, deleted: int | str
) -> None:
    """Truncating the tail leaves a valid chain; only the head checkpoint shows it is short."""
    total = _seed(tutela, canary)
    keep = 0 if deleted == "all" else total - int(deleted)
    _sql(tutela, "DELETE FROM audit_entry WHERE seq > :keep", keep=keep)
    report = tutela.verify_audit()
    assert (report.ok, report.first_broken, report.entries) == (False, keep + 1, keep)
    assert report.head_seq == total
    assert "deleted" in (report.reason or "")


@pytest.mark.parametrize("garbage", [b"garbage\n", b"tutela-audit-head/1 12 zz\n", b"\x00" * 8])
def test_a_garbled_head_file_is_detected(
    tutela: Tutela, settings: Settings, canary: PiiCanary, garbage: bytes
) -> None:
    """An unreadable checkpoint is itself a sign of tampering, not an empty log."""
    total = _seed(tutela, canary)
    settings.audit_head_file.write_bytes(garbage)
    report = tutela.verify_audit()
    assert not report.ok
    assert report.first_broken == total + 1
    assert "head" in (report.reason or "")


@pytest.mark.parametrize("how", ["emptied", "removed"])
def test_removing_the_head_file_with_the_tail_is_detected(
    tutela: Tutela, settings: Settings, canary: PiiCanary, how: str
) -> None:
    """A home always has a checkpoint once initialised: its absence must not read as 'fine'."""
    total = _seed(tutela, canary)
    _sql(tutela, "DELETE FROM audit_entry WHERE seq > :keep", keep=total - 2)
    if how == "emptied":
        settings.audit_head_file.write_bytes(b"")
    else:
        settings.audit_head_file.unlink()
    with Tutela.open(settings=settings) as fresh:  # a new process would see the same
        report = fresh.verify_audit()
    assert not report.ok
    assert report.first_broken == total - 1


def test_a_head_file_with_a_foreign_mac_is_detected(
    tutela: Tutela, settings: Settings, canary: PiiCanary
) -> None:
    """A well-formed checkpoint whose MAC is not the one at its seq names that entry."""
    total = _seed(tutela, canary)
    record = f"tutela-audit-head/1 {total:020d} {'ab' * 32}\n"
    settings.audit_head_file.write_text(record)
    report = tutela.verify_audit()
    assert (report.ok, report.first_broken) == (False, total)


def _cli_verify(settings: Settings, database_url: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUTELA_")}
    if database_url is not None:
        env["TUTELA_DATABASE_URL"] = database_url
    command = [sys.executable, "-m", "tutela", "audit", "verify", "--home", str(settings.home)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_cli_verify_exits_1_and_names_the_entry_after_tampering(
    tutela: Tutela, settings: Settings, database_url: str | None, canary: PiiCanary
) -> None:
    """`tutela audit verify` is the operator's check: 0 on a clean log, 1 naming the break."""
    total = _seed(tutela, canary)
    clean = _cli_verify(settings, database_url)
    assert clean.returncode == 0, clean.stderr
    assert f"{total} entries" in clean.stdout
    # Hide the denial (the newest entry) by turning it into a success.
    _sql(tutela, "UPDATE audit_entry SET outcome = 'ok' WHERE seq = :seq", seq=total)
    broken = _cli_verify(settings, database_url)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert f"at entry {total}" in broken.stderr
    assert not canary.leaks([clean.stdout, clean.stderr, broken.stdout, broken.stderr])


# -- known-answer vectors ------------------------------------------------------------------


def _vectors() -> dict:  # type: ignore[type-arg]
    return json.loads(VECTORS.read_text("utf-8"))


def test_chain_vectors_match_the_implementation() -> None:
    """A change to the canonical JSON, the label or the chaining breaks every existing log:
    these fixed entries and MACs must keep coming out the same."""
    vectors = _vectors()
    key = bytes.fromhex(vectors["key"])
    assert GENESIS.hex() == vectors["genesis"]
    computed = []
    seq, prev = 0, GENESIS
    for batch in vectors["batches"]:
        at = datetime.fromisoformat(batch["at"])
        events = [
            AuditEvent(**{**e, "fields": tuple(e.get("fields", ()))}) for e in batch["events"]
        ]
        for entry in link(key, seq, prev, at, events):
            computed.append(entry)
            seq, prev = entry.seq, entry.mac
    expected = vectors["entries"]
    assert len(computed) == len(expected) == 5
    for entry, want in zip(computed, expected, strict=True):
        assert entry.seq == want["seq"]
        canonical = canonical_bytes(entry.seq, entry.at, entry.event)
        assert canonical.decode() == want["canonical"]
        assert entry.prev_mac.hex() == want["prev_mac"]
        assert entry.mac.hex() == want["mac"]
        assert entry_mac(key, entry.prev_mac, entry.seq, entry.at, entry.event) == entry.mac


def test_chain_vectors_follow_the_documented_formula() -> None:
    """Independently of the code: mac_n = HMAC-SHA256(key, label 0x00 || mac_{n-1} || canonical)."""
    vectors = _vectors()
    key = bytes.fromhex(vectors["key"])
    prev = bytes.fromhex(vectors["genesis"])
    for want in vectors["entries"]:
        assert bytes.fromhex(want["prev_mac"]) == prev
        message = b"tutela.audit.v1\x00" + prev + want["canonical"].encode()
        prev = hmac.new(key, message, hashlib.sha256).digest()
        assert prev.hex() == want["mac"]
