"""All SQL of the vault. Takes and returns plain values; ORM objects never leave."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, insert, select, update

from tutela.core.storage.base import table_of
from tutela.vault.models import Erasure, FieldValue, Subject, SystemKey

_subject = table_of(Subject)
_value = table_of(FieldValue)
_erasure = table_of(Erasure)
_system = table_of(SystemKey)


@dataclass(frozen=True)
class KeyRow:
    """A subject's wrapped data key."""

    subject_id: str
    dek_version: int
    kek_version: int
    wrapped_dek: bytes


@dataclass
class SealedRecord:
    """A subject's key and the sealed values asked for."""

    key: KeyRow
    sealed: dict[str, bytes]


def insert_subjects(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        conn.execute(insert(_subject), list(rows))


def insert_values(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        conn.execute(insert(_value), list(rows))


def delete_values(conn: Connection, subject_id: str, fields: Iterable[str]) -> None:
    conn.execute(
        delete(_value).where(_value.c.subject_id == subject_id, _value.c.field.in_(list(fields)))
    )


def touch(conn: Connection, subject_id: str, at: datetime) -> None:
    conn.execute(update(_subject).where(_subject.c.id == subject_id).values(updated_at=at))


_RECORDS = (
    select(
        _subject.c.id,
        _subject.c.dek_version,
        _subject.c.kek_version,
        _subject.c.wrapped_dek,
        _value.c.field,
        _value.c.ciphertext,
    )
    .select_from(
        _subject.outerjoin(
            _value,
            and_(
                _value.c.subject_id == _subject.c.id,
                _value.c.field.in_(bindparam("fields", expanding=True)),
            ),
        )
    )
    .where(_subject.c.id.in_(bindparam("ids", expanding=True)))
)


def load_records(
    conn: Connection, subject_ids: Sequence[str], fields: Sequence[str]
) -> dict[str, SealedRecord]:
    """Keys and sealed values of the given subjects, in one query; absent ids are left out."""
    records: dict[str, SealedRecord] = {}
    rows = conn.execute(_RECORDS, {"ids": list(subject_ids), "fields": list(fields) or [""]})
    for sid, dek_version, kek_version, wrapped, field, ciphertext in rows:
        record = records.get(sid)
        if record is None:
            record = records[sid] = SealedRecord(
                KeyRow(sid, dek_version, kek_version, bytes(wrapped)), {}
            )
        if field is not None:
            record.sealed[field] = bytes(ciphertext)
    return records


def find_by_index(conn: Connection, field: str, digest: bytes) -> list[str]:
    query = (
        select(_value.c.subject_id)
        .where(_value.c.field == field, _value.c.blind_index == digest)
        .order_by(_value.c.subject_id)
    )
    return list(conn.execute(query).scalars())


def erased_among(conn: Connection, subject_ids: Sequence[str]) -> set[str]:
    query = select(_erasure.c.subject_id).where(_erasure.c.subject_id.in_(list(subject_ids)))
    return set(conn.execute(query).scalars())


def subject_exists(conn: Connection, subject_id: str) -> bool:
    query = select(_subject.c.id).where(_subject.c.id == subject_id)
    return conn.execute(query).first() is not None


def erase(conn: Connection, subject_id: str, at: datetime) -> None:
    """Delete values and the wrapped key, and enter the id in the erasure ledger."""
    conn.execute(delete(_value).where(_value.c.subject_id == subject_id))
    conn.execute(delete(_subject).where(_subject.c.id == subject_id))
    conn.execute(insert(_erasure).values(subject_id=subject_id, erased_at=at))


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
    query = (
        select(
            _subject.c.id, _subject.c.dek_version, _subject.c.kek_version, _subject.c.wrapped_dek
        )
        .where(_subject.c.kek_version != kek_version)
        .order_by(_subject.c.id)
        .limit(limit)
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
