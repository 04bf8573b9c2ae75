"""What an attacker holding the storage sees: no personal value in the database files (SQLite)
or a `pg_dump` (PostgreSQL); a ciphertext moved to another subject or field does not open;
an erased subject leaves no row, and on SQLite not even its ciphertext bytes, behind.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tutela import Settings, Tutela, errors
from tutela.testing import PiiCanary, fake_customers
from tutela.vault import record

SEEDED = 1_000
BATCH = 250
MIN_LENGTH = 6  # shorter values ('GB', choice words) occur by chance in any file
_PRINTABLE_RUN = re.compile(rb"[\x20-\x7e]{%d,}" % MIN_LENGTH)
_BYTEA = re.compile(rb"\\\\x([0-9a-f]+)")


def _strings(data: bytes) -> bytes:
    """The printable-ASCII runs of `data` (like `strings`), one per line.

    Every ASCII value of at least MIN_LENGTH characters found in `data` lies inside one of
    them, so searching this much smaller text is exact for such values, and fast.
    """
    return b"\n".join(_PRINTABLE_RUN.findall(data))


def _values(rows: Iterable[dict[str, Any]]) -> set[str]:
    found: set[str] = set()
    for row in rows:
        for value in row.values():
            items = value if isinstance(value, list) else [value]
            found.update(str(v) for v in items if len(str(v)) >= MIN_LENGTH)
    return found


def _leaked(values: set[str], raw: bytes) -> list[str]:
    """Values found in `raw` (case-insensitively): printable ones via `_strings`, others
    byte for byte as UTF-8."""
    lowered = raw.lower()
    strings = _strings(lowered)
    # Every MIN_LENGTH-gram of a value that occurs is in this set: a cheap, exact pre-filter
    # that spares a full scan for nearly every value.
    grams = {strings[i : i + MIN_LENGTH] for i in range(len(strings) - MIN_LENGTH + 1)}
    hits = []
    for value in values:
        needle = value.lower().encode()
        if not (value.isascii() and value.isprintable()):
            found = needle in lowered
        else:
            ends = (needle[:MIN_LENGTH], needle[-MIN_LENGTH:])
            found = all(g in grams for g in ends) and needle in strings
        if found:
            hits.append(value)
    return hits


def _seed(tutela: Tutela, canary: PiiCanary) -> tuple[list[str], set[str]]:
    """1,000 fake customers and a few canaries; returns their ids and every value, as given
    and as stored (normalised)."""
    given = [*fake_customers(SEEDED), *(canary.customer(n) for n in range(3))]
    ids: list[str] = []
    for start in range(0, len(given), BATCH):
        ids += tutela.add_many(given[start : start + BATCH])
    stored = []
    for purpose in ("order_fulfilment", "fraud_prevention", "tax_records"):
        stored += tutela.read_many(ids, purpose=purpose, role="admin").values()
    assert len(stored) == 3 * len(given)
    return ids, _values(given) | _values(stored)


def _home_files(settings: Settings) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(settings.home.iterdir()) if p.is_file()}


def _pg_dump(database_url: str) -> bytes:
    url = make_url(database_url)
    schema = str(url.query["options"]).split("search_path=", 1)[1]  # the test's own schema
    executable = shutil.which("pg_dump") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"), reverse=True)), None
    )
    assert executable, "pg_dump not found"
    env = {**os.environ, "PGPASSWORD": url.password or ""}
    command = [
        executable,
        "-h",
        url.host or "127.0.0.1",
        "-p",
        str(url.port or 5432),
        "-U",
        url.username or "postgres",
        f"--schema={schema}",
        url.database or "test",
    ]
    done = subprocess.run(command, env=env, capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert b"CREATE TABLE" in done.stdout and b"COPY " in done.stdout  # it dumped our tables
    return done.stdout


def test_no_seeded_value_is_stored_in_plaintext(
    tutela: Tutela, settings: Settings, database_url: str | None, canary: PiiCanary
) -> None:
    """Every value is sealed before it reaches storage: none of 1,000 customers' values shows
    in any file of the home, nor (PostgreSQL) in a dump, as text or as hex-encoded bytea."""
    ids, values = _seed(tutela, canary)
    assert len(values) > 5 * SEEDED  # the check below has something to find
    probe = sorted(values)[0]
    if database_url is None:
        live = _home_files(settings)  # with the WAL still in use
        tutela.close()
        files = {f"{name} (open)": data for name, data in live.items()}
        files.update(_home_files(settings))
        planted = files["tutela.db"] + b"\x00\x9f" + probe.upper().encode() + b"\xff"
        assert _leaked(values, planted) == [probe]  # the matcher does find a value
        leaks = {name: _leaked(values, data) for name, data in files.items()}
        assert not any(leaks.values()), {n: len(v) for n, v in leaks.items() if v}
        return
    _, control = _sealed(tutela, ids[0])
    tutela.close()
    dump = _pg_dump(database_url)
    # Each bytea literal decoded at both nibble offsets: a value's hex anywhere inside it
    # shows as that value's bytes in one of the two.
    bytea = [
        bytes.fromhex(digits[: len(digits) // 2 * 2].decode())
        for literal in _BYTEA.findall(dump)
        for digits in (literal, literal[1:])
    ]
    assert control in b"\n".join(bytea)  # sealed records were dumped and decoded
    assert _leaked(values, bytea[0] + probe.encode()) == [probe]
    assert not _leaked(values, _BYTEA.sub(b"", dump)), "plain text in the dump"
    assert not _leaked(values, b"\n".join(bytea)), "hex-encoded in a bytea column"
    assert not canary.leaks([dump.decode()])
    assert not [v for v in canary.values if v.encode().hex() in dump.decode()]


def _sealed(tutela: Tutela, subject_id: str) -> tuple[bytes, bytes]:
    with tutela.engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT wrapped_dek, sealed FROM subject WHERE id = :id"), {"id": subject_id}
        ).one()
    return bytes(row[0]), bytes(row[1])


def _store(tutela: Tutela, subject_id: str, **columns: bytes) -> None:
    sets = ", ".join(f"{c} = :{c}" for c in columns)
    with tutela.engine.begin() as conn:
        changed = conn.execute(
            sa.text(f"UPDATE subject SET {sets} WHERE id = :id"), {**columns, "id": subject_id}
        )
        assert changed.rowcount == 1


@pytest.mark.parametrize("move", ["to_other_subject", "to_other_field", "whole_row"])
def test_a_moved_ciphertext_does_not_open(tutela: Tutela, canary: PiiCanary, move: str) -> None:
    """Ciphertexts are bound to their subject, field and key: put anywhere else (by raw SQL)
    they fail to open with `DecryptionFailed`, and no value comes back."""
    victim, target = tutela.add(canary.customer(0)), tutela.add(canary.customer(1))
    victim_key, victim_sealed = _sealed(tutela, victim)
    _, target_sealed = _sealed(tutela, target)
    theirs, ours = record.unpack(victim_sealed), record.unpack(target_sealed)
    if move == "to_other_subject":  # the victim's email placed in the target's record
        _store(tutela, target, sealed=record.pack({**ours, "email": theirs["email"]}))
        reader, field = target, "email"
    elif move == "to_other_field":  # the victim's email placed under their own name
        _store(tutela, victim, sealed=record.pack({**theirs, "name": theirs["email"]}))
        reader, field = victim, "name"
    else:  # the victim's wrapped key and record, both copied onto the target
        _store(tutela, target, wrapped_dek=victim_key, sealed=victim_sealed)
        reader, field = target, "email"
    with pytest.raises(errors.DecryptionFailed) as raised:
        tutela.read(reader, [field], purpose="order_fulfilment", role="admin")
    with pytest.raises(errors.DecryptionFailed):
        tutela.read_many([victim, target], [field], purpose="order_fulfilment", role="admin")
    assert not canary.leaks([str(raised.value), repr(raised.value)])
    untouched = victim if reader == target else target
    assert tutela.read(untouched, ["phone"], purpose="order_fulfilment", role="admin")


def _rows_of(tutela: Tutela, subject_id: str) -> dict[str, int]:
    with tutela.engine.connect() as conn:
        return {
            table: conn.execute(
                sa.text(f"SELECT count(*) FROM {table} WHERE {column} = :id"), {"id": subject_id}
            ).scalar_one()
            for table, column in (
                ("subject", "id"),
                ("blind_index", "subject_id"),
                ("erasure", "subject_id"),
            )
        }


def _fragments(blob: bytes) -> list[bytes]:
    """The whole blob and its first and last 16 bytes: a partial remnant counts too."""
    return [blob, blob[:16], blob[-16:]]


@pytest.mark.parametrize("change", ["field_removed", "field_added"])
def test_removing_or_adding_a_field_ciphertext_is_detected_and_audited(
    tutela: Tutela, canary: PiiCanary, change: str
) -> None:
    """The sealed manifest binds the record's set of fields; a failed open is audited."""
    victim = tutela.add(canary.customer(0))
    donor = tutela.add(canary.customer(1))
    with tutela.engine.connect() as conn:
        rows = dict(conn.execute(sa.text("SELECT id, sealed FROM subject")).all())
    ours = record.unpack(bytes(rows[victim]))
    if change == "field_removed":
        del ours["phone"]
    else:
        ours["date_of_birth"] = record.unpack(bytes(rows[donor]))["email"]
    _store(tutela, victim, sealed=record.pack(ours))
    with pytest.raises(errors.DecryptionFailed):
        tutela.read(victim, ["email"], purpose="order_fulfilment", role="admin")
    last = list(tutela.audit_entries())[-1].event
    assert (last.subject_id, last.outcome, last.detail) == (victim, "error", "DecryptionFailed")


def test_erasure_removes_rows_and_on_sqlite_the_bytes(
    tutela: Tutela, settings: Settings, database_url: str | None, canary: PiiCanary
) -> None:
    """After `erase` the subject has no row but its ledger entry, reads say `SubjectErased`,
    and (SQLite) neither its wrapped key nor any of its ciphertexts or blind-index digests
    remain in the database file or its WAL."""
    ids = [tutela.add(canary.customer(n)) for n in range(40)]
    erased = ids[17]
    wrapped, sealed = _sealed(tutela, erased)
    with tutela.engine.connect() as conn:
        digests = [
            bytes(d)
            for d in conn.execute(
                sa.text("SELECT digest FROM blind_index WHERE subject_id = :id"), {"id": erased}
            ).scalars()
        ]
    assert len(digests) == 3  # email, phone, loyalty_id
    secrets = [wrapped, *record.unpack(sealed).values(), *digests]
    if database_url is None:
        before = b"".join(_home_files(settings).values())
        assert all(f in before for s in secrets for f in _fragments(s))  # the probe works

    tutela.erase(erased)

    assert _rows_of(tutela, erased) == {"subject": 0, "blind_index": 0, "erasure": 1}
    with pytest.raises(errors.SubjectErased):
        tutela.read(erased, purpose="order_fulfilment", role="admin")
    assert tutela.read(ids[18], ["email"], purpose="order_fulfilment", role="admin")
    if database_url is None:
        files = {
            name: data
            for name, data in _home_files(settings).items()
            if name.startswith("tutela.db")
        }
        assert "tutela.db" in files
        remaining = [
            (name, n)
            for name, data in files.items()
            for n, s in enumerate(secrets)
            if any(f in data for f in _fragments(s))
        ]
        assert not remaining, f"erased bytes still on disk (file, secret #): {remaining}"
