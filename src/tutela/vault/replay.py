"""Replaying an erasure ledger onto a restored database, so nobody erased after a backup was
taken comes back with it.

A ledger entry is (subject id, field, erased at): field None for a whole subject; or a
permanent restriction (subject id, purposes, restricted at) made by an erasure that kept
values a legal obligation needs. Replaying applies what the database's own ledger lacks: a
whole subject is crypto-shredded and deleted as `erase` does (its connected-system identities
handed to a callback first, while they can still be read); fields are erased for good as
`erase_fields` does (the rest re-keyed); then restrictions are set again (the latest of a
subject wins); entries of subjects the database does not hold are only entered in its ledger,
so the next backup carries them. Everything happens on the caller's connection, inside its
transaction.
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


@dataclass(frozen=True, order=True)
class Restricted:
    """One ledger entry: a subject restricted for good to some purposes (names only)."""

    at: datetime
    subject_id: str
    purposes: tuple[str, ...]  # sorted


Entry = Erased | Restricted


def order(item: Entry) -> tuple[datetime, str, int, str]:
    """A total order over both kinds of entry (erasures before restrictions at one time)."""
    if isinstance(item, Restricted):
        return (item.at, item.subject_id, 2, ",".join(item.purposes))
    return (item.at, item.subject_id, 0 if item.field is None else 1, item.field or "")


@dataclass(frozen=True)
class ReplayReport:
    subjects_erased: tuple[str, ...] = ()
    fields_erased: dict[str, tuple[str, ...]] = field(default_factory=dict)
    recorded: int = 0  # entries only entered in the ledger (nothing held to erase)
    restricted: dict[str, tuple[str, ...]] = field(default_factory=dict)


def entry(subject_id: str, at: Any, field_name: str | None = None) -> Erased:
    """A ledger entry with its time as an aware UTC datetime, whatever the engine gave."""
    when = as_datetime(at)
    assert when is not None
    return Erased(when, subject_id, field_name)


def restriction(subject_id: str, at: Any, purposes: Iterable[str]) -> Restricted:
    """A restriction entry with its time as an aware UTC datetime and its purposes sorted."""
    when = as_datetime(at)
    assert when is not None
    return Restricted(when, subject_id, tuple(sorted(set(purposes))))


def read_ledger(conn: Connection, *, restrictions: bool = True) -> set[Entry]:
    """The ledgers of the database: whole subjects, single fields and (unless `restrictions`
    is false: a database older than the restriction ledger) permanent restrictions."""
    entries: set[Entry] = {entry(sid, at) for sid, at in repository.erasure_ledger(conn)}
    entries |= {entry(sid, at, f) for sid, f, at in repository.field_erasures(conn)}
    if restrictions:
        entries |= {restriction(sid, at, p) for sid, p, at in repository.restrictions(conn)}
    return entries


def ledger_of(conn: Connection, subject_ids: Collection[str]) -> set[Entry]:
    """The ledger entries of some subjects (what one unit of work just erased)."""
    ids = list(subject_ids)
    entries: set[Entry] = {entry(sid, at) for sid, at in repository.erasures_of(conn, ids)}
    entries |= {entry(sid, at, f) for sid, f, at in repository.field_erasures_of(conn, ids)}
    entries |= {restriction(sid, at, p) for sid, p, at in repository.restrictions(conn, ids)}
    return entries


def replay(
    conn: Connection,
    keys: KeyProvider,
    entries: Iterable[Entry],
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
    gone = {e.subject_id for e in present if isinstance(e, Erased) and e.field is None}
    todo: dict[str, list[Erased]] = defaultdict(list)
    limits: dict[str, list[Restricted]] = defaultdict(list)
    for item in sorted(set(entries) - present, key=order):
        if isinstance(item, Restricted):
            limits[item.subject_id].append(item)
            continue
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
    restricted = _restrict(conn, limits, present)
    recorded += sum(len(items) for sid, items in limits.items() if sid not in restricted)
    return ReplayReport(tuple(erased), trimmed, recorded, restricted)


def _restrict(
    conn: Connection, limits: dict[str, list[Restricted]], present: set[Entry]
) -> dict[str, tuple[str, ...]]:
    """Enter the restriction entries in the ledger and set each held subject's latest
    restriction (after field erasures, on what they kept); returns what was set."""
    done: dict[str, tuple[str, ...]] = {}
    if not limits:
        return done
    known: dict[str, list[Restricted]] = defaultdict(list)
    for e in present:
        if isinstance(e, Restricted) and e.subject_id in limits:
            known[e.subject_id].append(e)
    for sid, items in limits.items():
        repository.add_restrictions(conn, [(sid, e.purposes, e.at) for e in items])
        if repository.load_records(conn, [sid]).get(sid) is None:
            continue  # erased whole, or never held here: only recorded
        latest = max([*items, *known[sid]], key=order)
        repository.set_restriction(conn, sid, frozenset(latest.purposes), latest.at)
        done[sid] = latest.purposes
    return done


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
