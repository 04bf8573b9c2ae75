"""All SQL of the vault. Takes and returns plain values; ORM objects never leave."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, String, any_, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from tutela.core.storage.base import table_of
from tutela.core.storage.raw import RawInsert, RawStatement, as_datetime
from tutela.core.uow import UnitOfWork
from tutela.vault.models import (
    BlindIndexEntry,
    Erasure,
    ErasureRestriction,
    FieldErasure,
    Subject,
    SystemKey,
)

_subject = table_of(Subject)
_index = table_of(BlindIndexEntry)
_erasure = table_of(Erasure)
_system = table_of(SystemKey)
_field_erasure = table_of(FieldErasure)
_restriction = table_of(ErasureRestriction)


@dataclass(frozen=True)
class KeyRow:
    """A subject's wrapped data key."""

    subject_id: str
    dek_version: int
    kek_version: int
    wrapped_dek: bytes


@dataclass(frozen=True)
class SealedRecord:
    """A subject's wrapped key, packed sealed values and packed blind-index digests."""

    key: KeyRow
    sealed: bytes
    digests: bytes
    # Processing restricted (GDPR Art. 18, or values kept after an erasure request): only
    # these purposes may read; None when unrestricted.
    restricted_to: frozenset[str] | None = None


# Statements on hot paths run straight on the driver (see core/storage/raw.py).
_RECORD_COLUMNS = select(
    _subject.c.id,
    _subject.c.dek_version,
    _subject.c.kek_version,
    _subject.c.wrapped_dek,
    _subject.c.sealed,
    _subject.c.digests,
    _subject.c.restricted_to,
)
_RECORD_ONE = RawStatement(_RECORD_COLUMNS.where(_subject.c.id == bindparam("id")))
# Batch reads look ids up this many at a time, straight on the driver (the last chunk padded
# with an id no subject has): SQLAlchemy's expanding IN and its result rows cost as much as the
# lookup itself. PostgreSQL takes them all at once, as one array parameter.
_CHUNK = 100
_RECORD_CHUNK = RawStatement(
    _RECORD_COLUMNS.where(_subject.c.id.in_([bindparam(f"id{i}") for i in range(_CHUNK)]))
)
_RECORD_ANY = RawStatement(
    _RECORD_COLUMNS.where(_subject.c.id == any_(bindparam("ids", type_=ARRAY(String))))
)
_FIND = RawStatement(
    select(_index.c.subject_id, _subject.c.restricted_to)
    .join(_subject, _subject.c.id == _index.c.subject_id)
    .where(_index.c.field == bindparam("field"), _index.c.digest == bindparam("digest"))
    .order_by(_index.c.subject_id)
)
_INSERT_SUBJECT = RawInsert(insert(_subject))
_INSERT_INDEX = RawInsert(insert(_index))
_UPDATE_SEALED = (
    update(_subject)
    .where(_subject.c.id == bindparam("sid"))
    .values(sealed=bindparam("sealed"), digests=bindparam("digests"), updated_at=bindparam("at"))
)
_DELETE_INDEX = RawStatement(
    delete(_index).where(
        _index.c.field == bindparam("field"),
        _index.c.digest == bindparam("digest"),
        _index.c.subject_id == bindparam("sid"),
    )
)


def add_subjects(
    uow: UnitOfWork, subjects: Sequence[Mapping[str, Any]], index: Sequence[Mapping[str, Any]]
) -> None:
    """New subjects and their blind-index rows (inside a group, with the group's others)."""
    uow.insert(_INSERT_SUBJECT, subjects)
    uow.insert(_INSERT_INDEX, index)


def insert_subjects(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Rows of `subject` (id, dek_version, kek_version, wrapped_dek, sealed, created/updated)."""
    _INSERT_SUBJECT.run_many(conn, rows)


def insert_index(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Rows of `blind_index` (subject_id, field, digest)."""
    _INSERT_INDEX.run_many(conn, rows)


def replace_sealed(
    conn: Connection,
    subject_id: str,
    *,
    sealed: bytes,
    digests: bytes,
    at: datetime,
    index_removed: Mapping[str, bytes],
    index_added: Mapping[str, bytes],
) -> None:
    """Store a subject's new record and digests, and move their blind-index entries."""
    conn.execute(
        _UPDATE_SEALED, {"sid": subject_id, "sealed": sealed, "digests": digests, "at": at}
    )
    delete_index(conn, subject_id, index_removed)
    insert_index(
        conn, [{"subject_id": subject_id, "field": f, "digest": d} for f, d in index_added.items()]
    )


def delete_index(conn: Connection, subject_id: str, digests: Mapping[str, bytes]) -> None:
    """Remove a subject's blind-index entries, addressed by (field, digest)."""
    if digests:
        _DELETE_INDEX.run_many(
            conn, [{"field": f, "digest": d, "sid": subject_id} for f, d in digests.items()]
        )


def load_records(conn: Connection, subject_ids: Sequence[str]) -> dict[str, SealedRecord]:
    """Keys and sealed records of the given subjects (on SQLite one query per 100 ids, on
    PostgreSQL one in all); absent ids are left out."""
    rows: list[Any]
    if len(subject_ids) == 1:
        rows = _RECORD_ONE.rows(conn, {"id": subject_ids[0]})
    elif conn.dialect.name == "postgresql":
        rows = _RECORD_ANY.rows(conn, {"ids": list(subject_ids)})
    else:
        rows = []
        for start in range(0, len(subject_ids), _CHUNK):
            chunk = subject_ids[start : start + _CHUNK]
            params = {f"id{i}": chunk[i] if i < len(chunk) else "" for i in range(_CHUNK)}
            rows += _RECORD_CHUNK.rows(conn, params)
    return {
        sid: SealedRecord(
            KeyRow(sid, dek_version, kek_version, bytes(wrapped)),
            bytes(sealed),
            bytes(digests),
            None if restricted is None else frozenset(filter(None, restricted.split(","))),
        )
        for sid, dek_version, kek_version, wrapped, sealed, digests, restricted in rows
    }


def set_restriction(
    conn: Connection, subject_id: str, allowed: frozenset[str] | None, at: datetime
) -> None:
    """Restrict a subject's processing to `allowed` purposes (None lifts the restriction)."""
    value = None if allowed is None else ",".join(sorted(allowed))
    conn.execute(
        update(_subject)
        .where(_subject.c.id == subject_id)
        .values(restricted_to=value, updated_at=at)
    )


def find_by_index(conn: Connection, field: str, digest: bytes) -> list[str]:
    return list(find_with_restrictions(conn, field, digest))


def find_with_restrictions(
    conn: Connection, field: str, digest: bytes
) -> dict[str, frozenset[str] | None]:
    """Subjects with this blind-index digest, each with the purposes its restriction still
    allows (None: unrestricted), in one query."""
    return {
        sid: None if restricted is None else frozenset(filter(None, restricted.split(",")))
        for sid, restricted in _FIND.rows(conn, {"field": field, "digest": digest})
    }


def erased_among(conn: Connection, subject_ids: Sequence[str]) -> set[str]:
    query = select(_erasure.c.subject_id).where(_erasure.c.subject_id.in_(list(subject_ids)))
    return set(conn.execute(query).scalars())


def erase(conn: Connection, subject_id: str, digests: Mapping[str, bytes], at: datetime) -> None:
    """Delete the sealed record with the wrapped key, and its blind-index entries; enter the
    id in the erasure ledger."""
    delete_index(conn, subject_id, digests)
    conn.execute(delete(_subject).where(_subject.c.id == subject_id))
    conn.execute(insert(_erasure).values(subject_id=subject_id, erased_at=at))


def rekey(
    conn: Connection,
    subject_id: str,
    *,
    key: KeyRow,
    sealed: bytes,
    digests: bytes,
    at: datetime,
    erased_fields: Sequence[str],
    index_removed: Mapping[str, bytes],
) -> None:
    """Store a subject's record re-sealed under a new data key without `erased_fields`: the
    old key is overwritten, so old copies of those values can no longer be opened."""
    conn.execute(
        update(_subject)
        .where(_subject.c.id == subject_id)
        .values(
            dek_version=key.dek_version,
            kek_version=key.kek_version,
            wrapped_dek=key.wrapped_dek,
            sealed=sealed,
            digests=digests,
            updated_at=at,
        )
    )
    delete_index(conn, subject_id, index_removed)
    if erased_fields:
        conn.execute(
            insert(_field_erasure),
            [{"subject_id": subject_id, "field": f, "erased_at": at} for f in erased_fields],
        )


def field_erasures(conn: Connection) -> list[tuple[str, str, datetime]]:
    """The field-erasure ledger in order: (subject_id, field, erased_at)."""
    rows = conn.execute(
        select(
            _field_erasure.c.subject_id, _field_erasure.c.field, _field_erasure.c.erased_at
        ).order_by(_field_erasure.c.erased_at, _field_erasure.c.subject_id)
    )
    return [(r[0], r[1], r[2]) for r in rows]


def subject_batch(conn: Connection, after: str, limit: int) -> list[tuple[str, datetime, bytes]]:
    """Subjects in id order after `after`: (id, created_at, sealed) — for sweeps that need
    which fields a subject holds (the packed names are readable without a key)."""
    rows = conn.execute(
        select(_subject.c.id, _subject.c.created_at, _subject.c.sealed)
        .where(_subject.c.id > after)
        .order_by(_subject.c.id)
        .limit(limit)
    )
    return [(r[0], _aware(r[1]), bytes(r[2])) for r in rows]


def _aware(value: Any) -> datetime:
    at = as_datetime(value)
    assert at is not None  # NOT NULL column
    return at


def erasure_ledger(conn: Connection) -> list[tuple[str, datetime]]:
    rows = conn.execute(
        select(_erasure.c.subject_id, _erasure.c.erased_at).order_by(_erasure.c.erased_at)
    )
    return [(r[0], r[1]) for r in rows]


def count_subjects(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(_subject)).scalar_one())


# -- keys ----------------------------------------------------------------------------------


def insert_system_key(conn: Connection, name: str, kek_version: int, wrapped: bytes) -> None:
    conn.execute(insert(_system).values(name=name, kek_version=kek_version, wrapped=wrapped))


def system_keys(conn: Connection) -> dict[str, tuple[int, bytes]]:
    rows = conn.execute(select(_system.c.name, _system.c.kek_version, _system.c.wrapped))
    return {r[0]: (r[1], bytes(r[2])) for r in rows}


def update_system_key(conn: Connection, name: str, kek_version: int, wrapped: bytes) -> None:
    conn.execute(
        update(_system)
        .where(_system.c.name == name)
        .values(kek_version=kek_version, wrapped=wrapped)
    )


def keys_not_under(conn: Connection, kek_version: int, limit: int) -> list[KeyRow]:
    """Up to `limit` data keys wrapped under another KEK version, locked until the transaction
    ends (PostgreSQL): a subject re-keyed meanwhile keeps its new key, not this old one."""
    query = (
        select(
            _subject.c.id, _subject.c.dek_version, _subject.c.kek_version, _subject.c.wrapped_dek
        )
        .where(_subject.c.kek_version != kek_version)
        .order_by(_subject.c.id)
        .limit(limit)
        .with_for_update()
    )
    return [KeyRow(r[0], r[1], r[2], bytes(r[3])) for r in conn.execute(query)]


def count_keys_not_under(conn: Connection, kek_version: int) -> int:
    query = select(func.count()).select_from(_subject).where(_subject.c.kek_version != kek_version)
    return int(conn.execute(query).scalar_one())


def rewrap(conn: Connection, rows: Sequence[tuple[str, int, bytes]]) -> None:
    """Store re-wrapped keys: (subject_id, kek_version, wrapped_dek)."""
    if not rows:
        return
    stmt = (
        update(_subject)
        .where(_subject.c.id == bindparam("sid"))
        .values(kek_version=bindparam("kv"), wrapped_dek=bindparam("wd"))
    )
    conn.execute(stmt, [{"sid": s, "kv": v, "wd": w} for s, v, w in rows])


def kek_versions_in_use(conn: Connection) -> dict[int, int]:
    """How many wrapped secrets (DEKs and system keys) each KEK version still wraps."""
    counts: dict[int, int] = {}
    for version, n in conn.execute(
        select(_subject.c.kek_version, func.count()).group_by(_subject.c.kek_version)
    ):
        counts[version] = counts.get(version, 0) + int(n)
    for version, n in conn.execute(
        select(_system.c.kek_version, func.count()).group_by(_system.c.kek_version)
    ):
        counts[version] = counts.get(version, 0) + int(n)
    return counts


# -- erasure ledger replay (after a restore) ------------------------------------------------


def erasures_of(conn: Connection, subject_ids: Sequence[str]) -> list[tuple[str, datetime]]:
    """Erasure-ledger rows of the given subjects: (subject_id, erased_at)."""
    rows = conn.execute(
        select(_erasure.c.subject_id, _erasure.c.erased_at).where(
            _erasure.c.subject_id.in_(list(subject_ids))
        )
    )
    return [(r[0], r[1]) for r in rows]


def field_erasures_of(
    conn: Connection, subject_ids: Sequence[str]
) -> list[tuple[str, str, datetime]]:
    """Field-erasure-ledger rows of the given subjects: (subject_id, field, erased_at)."""
    rows = conn.execute(
        select(
            _field_erasure.c.subject_id, _field_erasure.c.field, _field_erasure.c.erased_at
        ).where(_field_erasure.c.subject_id.in_(list(subject_ids)))
    )
    return [(r[0], r[1], r[2]) for r in rows]


def add_erasures(conn: Connection, rows: Sequence[tuple[str, datetime]]) -> None:
    """Enter ids in the erasure ledger (replayed entries of subjects not held here)."""
    if rows:
        conn.execute(insert(_erasure), [{"subject_id": s, "erased_at": at} for s, at in rows])


def add_field_erasures(conn: Connection, rows: Sequence[tuple[str, str, datetime]]) -> None:
    """Enter (subject_id, field, erased_at) rows in the field-erasure ledger."""
    if rows:
        conn.execute(
            insert(_field_erasure),
            [{"subject_id": s, "field": f, "erased_at": at} for s, f, at in rows],
        )


def restrictions(
    conn: Connection, subject_ids: Sequence[str] | None = None
) -> list[tuple[str, tuple[str, ...], datetime]]:
    """Restriction-ledger rows (of the given subjects, or all): (subject_id, purposes,
    restricted_at)."""
    query = select(
        _restriction.c.subject_id, _restriction.c.purposes, _restriction.c.restricted_at
    ).order_by(_restriction.c.restricted_at, _restriction.c.subject_id)
    if subject_ids is not None:
        query = query.where(_restriction.c.subject_id.in_(list(subject_ids)))
    return [(r[0], _purposes(r[1]), r[2]) for r in conn.execute(query)]


def add_restrictions(
    conn: Connection, rows: Sequence[tuple[str, Collection[str], datetime]]
) -> None:
    """Enter (subject_id, purposes, restricted_at) rows in the restriction ledger: permanent
    restrictions made by erasures that kept values a legal obligation needs."""
    if rows:
        conn.execute(
            insert(_restriction),
            [
                {"subject_id": s, "purposes": ",".join(sorted(p)), "restricted_at": at}
                for s, p, at in rows
            ],
        )


def restricted_for_good(conn: Connection, subject_id: str) -> bool:
    """Whether the subject is in the restriction ledger."""
    query = select(_restriction.c.subject_id).where(_restriction.c.subject_id == subject_id)
    return conn.execute(query.limit(1)).first() is not None


def _purposes(value: str) -> tuple[str, ...]:
    return tuple(sorted(filter(None, value.split(","))))
