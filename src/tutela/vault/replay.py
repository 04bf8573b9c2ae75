"""Replaying an erasure ledger onto a restored database, so nobody erased after a backup was
taken comes back with it.

A ledger entry is (subject id, field, erased at): field None for a whole subject. Replaying
applies what the database's own ledger lacks: a whole subject is crypto-shredded and deleted
as `erase` does (its connected-system identities handed to a callback first, while they can
still be read); fields are erased for good as `erase_fields` does (the rest re-keyed); entries
of subjects the database does not hold are only entered in its ledger, so the next backup
carries them. Everything happens on the caller's connection, inside its transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from tutela.core.crypto import DataKey, KeyProvider, dek_aad
from tutela.core.storage.raw import as_datetime
from tutela.vault import record, rekey, repository
from tutela.vault.values import decode

# Called with a subject's id and the values of its identity fields just before the subject is
# erased again (to erase its rows in connected systems); values never leave the process.
BeforeErase = Callable[[str, dict[str, str]], None]


@dataclass(frozen=True, order=True)
class Erased:
    """One ledger entry: ids, a field name and a time, never a value."""

    at: datetime
    subject_id: str
    field: str | None = None  # None: the whole subject


@dataclass(frozen=True)
class ReplayReport:
    subjects_erased: tuple[str, ...] = ()
    fields_erased: dict[str, tuple[str, ...]] = field(default_factory=dict)
    recorded: int = 0  # entries only entered in the ledger (nothing held to erase)


def entry(subject_id: str, at: Any, field_name: str | None = None) -> Erased:
    """A ledger entry with its time as an aware UTC datetime, whatever the engine gave."""
    when = as_datetime(at)
    assert when is not None
    return Erased(when, subject_id, field_name)


def read_ledger(conn: Connection) -> set[Erased]:
    """Both ledgers of the database: whole subjects and single fields."""
    entries = {entry(sid, at) for sid, at in repository.erasure_ledger(conn)}
    entries |= {entry(sid, at, f) for sid, f, at in repository.field_erasures(conn)}
    return entries


def ledger_of(conn: Connection, subject_ids: Collection[str]) -> set[Erased]:
    """The ledger entries of some subjects (what one unit of work just erased)."""
    ids = list(subject_ids)
    entries = {entry(sid, at) for sid, at in repository.erasures_of(conn, ids)}
    entries |= {entry(sid, at, f) for sid, f, at in repository.field_erasures_of(conn, ids)}
    return entries


def replay(
    conn: Connection,
    keys: KeyProvider,
    entries: Iterable[Erased],
    *,
    identity_fields: Collection[str] = (),
    before_erase: BeforeErase | None = None,
) -> ReplayReport:
    """Apply every entry the database's ledger lacks.

    Raises:
        KeyMismatch, DecryptionFailed: a data key or record of a subject to re-erase does not
            open with this keyring (nothing is changed if the caller rolls back).
    """
    present = read_ledger(conn)
    gone = {e.subject_id for e in present if e.field is None}
    todo: dict[str, list[Erased]] = defaultdict(list)
    for item in sorted(set(entries) - present):
        if item.field is None and item.subject_id in gone:
            continue  # erased once is erased: the time may differ only in precision
        todo[item.subject_id].append(item)
    erased: list[str] = []
    trimmed: dict[str, tuple[str, ...]] = {}
    recorded = 0
    for sid, items in todo.items():
        whole = [e for e in items if e.field is None]
        parts = [e for e in items if e.field is not None]
        found = repository.load_records(conn, [sid]).get(sid)
        if whole:
            at = whole[0].at
            if found is None:
                repository.add_erasures(conn, [(sid, at)])
                recorded += 1
            else:
                if before_erase is not None and identity_fields:
                    before_erase(sid, _identities(keys, found, identity_fields))
                repository.erase(conn, sid, record.unpack(found.digests), at)
                erased.append(sid)
            repository.add_field_erasures(conn, [(sid, e.field or "", e.at) for e in parts])
            continue
        done: list[str] = []
        for at, fields in _by_time(parts):
            held = rekey.held_fields(found.sealed) if found is not None else frozenset()
            if found is None or not held & set(fields):
                repository.add_field_erasures(conn, [(sid, f, at) for f in fields])
                recorded += len(fields)
                continue
            cut = rekey.erase_fields(
                conn, keys, found, _unwrap(keys, found.key), fields=fields, at=at
            )
            rest = [f for f in fields if f not in cut]
            repository.add_field_erasures(conn, [(sid, f, at) for f in rest])
            done.extend(cut)
            found = repository.load_records(conn, [sid]).get(sid)
        if done:
            trimmed[sid] = tuple(sorted(set(done)))
    return ReplayReport(tuple(erased), trimmed, recorded)


def _by_time(parts: list[Erased]) -> list[tuple[datetime, tuple[str, ...]]]:
    grouped: dict[datetime, list[str]] = defaultdict(list)
    for e in parts:
        assert e.field is not None
        grouped[e.at].append(e.field)
    return [(at, tuple(sorted(set(fields)))) for at, fields in sorted(grouped.items())]


def _unwrap(keys: KeyProvider, key: repository.KeyRow) -> DataKey:
    material = keys.unwrap(
        key.kek_version, key.wrapped_dek, dek_aad(key.subject_id, key.dek_version)
    )
    return DataKey(key.subject_id, key.dek_version, material)


def _identities(
    keys: KeyProvider, found: repository.SealedRecord, wanted: Collection[str]
) -> dict[str, str]:
    dek = _unwrap(keys, found.key)
    sealed = record.open_verified(dek, found.sealed)
    out: dict[str, str] = {}
    for name in wanted:
        blob = sealed.get(name)
        if blob is not None:
            value = decode(dek.open(name, blob))
            if value is not None:
                out[name] = str(value)
    return out
