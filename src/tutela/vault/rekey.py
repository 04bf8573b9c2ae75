"""Erasing some of a subject's fields for good: re-seal the rest under a new data key.

Deleting a field's ciphertext is not enough on its own: copies made before (a backup, a WAL
page, a replica) would still open under the subject's data key. So the remaining values move
to a fresh key and the old one is overwritten; an old copy of the erased value then has no key.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Connection

from tutela.core.crypto import DataKey, KeyProvider, dek_aad
from tutela.vault import record, repository


def held_fields(sealed: bytes) -> frozenset[str]:
    """Names of the fields a packed record holds (names are not secret; nothing is opened)."""
    return frozenset(record.unpack(sealed)) - {record.MANIFEST}


def erase_fields(
    conn: Connection,
    keys: KeyProvider,
    found: repository.SealedRecord,
    dek: DataKey,
    *,
    fields: Collection[str],
    at: datetime,
) -> tuple[str, ...]:
    """Drop `fields` from the record and re-key the rest; returns the fields erased.

    Raises:
        DecryptionFailed: the stored record does not open (nothing is changed).
    """
    subject_id = found.key.subject_id
    sealed = record.open_verified(dek, found.sealed)
    erased = tuple(sorted(f for f in fields if f in sealed))
    if not erased:
        return ()
    plaintexts = {name: dek.open(name, blob) for name, blob in sealed.items() if name not in erased}
    fresh = DataKey.generate(subject_id, dek.version + 1)
    kek_version, wrapped = keys.wrap(fresh.material, dek_aad(subject_id, fresh.version))
    digests = record.unpack(found.digests)
    removed = {name: digests.pop(name) for name in erased if name in digests}
    repository.rekey(
        conn,
        subject_id,
        key=repository.KeyRow(subject_id, fresh.version, kek_version, wrapped),
        sealed=record.seal(fresh, plaintexts),
        digests=record.pack(digests),
        at=at,
        erased_fields=erased,
        index_removed=removed,
    )
    return erased
