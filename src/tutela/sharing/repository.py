"""All SQL of partner sharing: the share register, and which subjects a share may consider."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from tutela.core.storage.base import table_of
from tutela.core.storage.raw import as_datetime
from tutela.sharing.models import ShareExport
from tutela.vault.models import Subject

_export = table_of(ShareExport)
_subject = table_of(Subject)


@dataclass(frozen=True)
class ShareRecord:
    """One export in the register: what went to whom, when, under which version of the map."""

    id: str
    partner: str
    purpose: str
    at: datetime
    actor: str
    subjects: int
    rows: int
    fields: tuple[str, ...]
    format: str
    models: str
    datamap_version: str
    manifest_sha256: str
    destination: str

    def as_dict(self) -> dict[str, Any]:
        return {**vars(self), "at": self.at.isoformat(), "fields": list(self.fields)}


def unrestricted_subjects(conn: Connection, after: str, limit: int) -> list[str]:
    """A page of subject ids in id order after `after`, leaving out every subject whose
    processing is restricted (whatever purposes the restriction still allows): a restricted
    customer's data is never handed to a partner. Erased subjects have no row at all."""
    rows = conn.execute(
        select(_subject.c.id)
        .where(_subject.c.id > after, _subject.c.restricted_to.is_(None))
        .order_by(_subject.c.id)
        .limit(limit)
    )
    return [r[0] for r in rows]


def restricted_among(conn: Connection, subject_ids: Sequence[str]) -> set[str]:
    """Which of `subject_ids` are restricted now (re-checked after reading, in the same
    transaction as the read)."""
    if not subject_ids:
        return set()
    rows = conn.execute(
        select(_subject.c.id).where(
            _subject.c.id.in_(list(subject_ids)), _subject.c.restricted_to.is_not(None)
        )
    )
    return {r[0] for r in rows}


def insert_export(conn: Connection, row: ShareRecord) -> None:
    conn.execute(
        insert(_export).values(
            id=row.id,
            partner=row.partner,
            purpose=row.purpose,
            at=row.at,
            actor=row.actor,
            subjects=row.subjects,
            rows=row.rows,
            fields=json.dumps(list(row.fields)),
            format=row.format,
            models=row.models,
            datamap_version=row.datamap_version,
            manifest_sha256=row.manifest_sha256,
            destination=row.destination,
        )
    )


def exports(conn: Connection, *, partner: str | None = None) -> list[ShareRecord]:
    """The register, oldest first (of one partner, if given)."""
    query = select(_export).order_by(_export.c.at, _export.c.id)
    if partner is not None:
        query = query.where(_export.c.partner == partner)
    return [_row(r) for r in conn.execute(query)]


def _row(r: Any) -> ShareRecord:
    m = r._mapping
    at = as_datetime(m["at"])
    assert at is not None  # NOT NULL column
    return ShareRecord(
        **{
            **m,
            "at": at,
            "fields": tuple(json.loads(m["fields"])),
        }
    )
