"""Erasure in the vault: whole subjects (crypto-shredding plus deletion), single fields
(re-keying the rest), and the page-by-page view of what each subject holds that retention
sweeps use. A part of `Vault`, kept in its own module."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from tutela.actor import Actor
from tutela.clock import Clock
from tutela.core.audit import AuditEvent
from tutela.core.crypto import DataKey, KeyProvider
from tutela.core.uow import UnitOfWork
from tutela.datamap import DataMap, Permission, require
from tutela.errors import TutelaError
from tutela.vault import record, rekey, repository


@dataclass(frozen=True)
class Holding:
    """Which fields a subject holds values for, and since when (no value is opened)."""

    subject_id: str
    created_at: datetime
    fields: frozenset[str]


class Erasure:
    """Erasure methods of `Vault` (which sets the attributes declared here)."""

    datamap: DataMap
    _keys: KeyProvider
    _clock: Clock

    if TYPE_CHECKING:  # defined by Vault

        def _load(self, uow: UnitOfWork, subject_id: str) -> repository.SealedRecord | None: ...

        def _missing(self, uow: UnitOfWork, subject_id: str) -> TutelaError: ...

        def _unwrap(self, key: repository.KeyRow) -> DataKey: ...

    def erase(
        self, uow: UnitOfWork, subject_id: str, actor: Actor, *, why: str | None = None
    ) -> None:
        """Crypto-shred and delete: the wrapped DEK and every value go in one transaction, and
        the id enters the erasure ledger. `why` is audited (e.g. ``retention``).

        Raises:
            SubjectNotFound, SubjectErased.
        """
        require(uow, self.datamap, actor, Permission.SUBJECTS_ERASE, "subject.erase")
        found = self._load(uow, subject_id)
        if found is None:
            raise self._missing(uow, subject_id)
        digests = record.unpack(found.digests)
        repository.erase(uow.conn, subject_id, digests, self._clock.now())
        uow.record(
            AuditEvent(
                actor=actor.id,
                role=actor.role,
                action="subject.erase",
                subject_id=subject_id,
                detail=why,
            )
        )

    def erase_fields(
        self, uow: UnitOfWork, subject_id: str, fields: Sequence[str], actor: Actor, *, why: str
    ) -> tuple[str, ...]:
        """Erase some fields for good (re-keying the rest; see `rekey`) and enter them in the
        field-erasure ledger. The caller decides that they must go (`why` is audited, e.g.
        ``consent.withdraw`` or ``retention``) and checks permissions. Returns the fields that
        were held and are now erased.

        Raises:
            SubjectNotFound, SubjectErased, DecryptionFailed.
        """
        found = self._load(uow, subject_id)
        if found is None:
            raise self._missing(uow, subject_id)
        erased = rekey.erase_fields(
            uow.conn,
            self._keys,
            found,
            self._unwrap(found.key),
            fields=fields,
            at=self._clock.now(),
        )
        if erased:
            uow.record(
                AuditEvent(
                    actor=actor.id,
                    role=actor.role,
                    action="subject.erase_fields",
                    subject_id=subject_id,
                    fields=erased,
                    detail=why,
                )
            )
        return erased

    def held_fields(self, uow: UnitOfWork, subject_id: str) -> frozenset[str]:
        """The fields a subject holds values for (nothing is decrypted).

        Raises:
            SubjectNotFound, SubjectErased.
        """
        found = self._load(uow, subject_id)
        if found is None:
            raise self._missing(uow, subject_id)
        return rekey.held_fields(found.sealed)

    def restrict(
        self,
        uow: UnitOfWork,
        subject_id: str,
        allowed: frozenset[str] | None,
        actor: Actor,
        *,
        why: str,
        lasting: bool = False,
    ) -> None:
        """Restrict the subject's processing to the `allowed` purposes (GDPR Art. 18), or
        lift the restriction with None. Checked on every read, find and batch read.

        Args:
            lasting: the restriction is for good (values an erasure kept for a legal
                obligation): it enters the restriction ledger, which restores replay.

        Raises:
            SubjectNotFound, SubjectErased.
        """
        if self._load(uow, subject_id) is None:
            raise self._missing(uow, subject_id)
        now = self._clock.now()
        repository.set_restriction(uow.conn, subject_id, allowed, now)
        if lasting and allowed is not None:
            repository.add_restrictions(uow.conn, [(subject_id, allowed, now)])
        uow.record(
            AuditEvent(
                actor=actor.id,
                role=actor.role,
                action="subject.restrict" if allowed is not None else "subject.unrestrict",
                subject_id=subject_id,
                detail=f"{why} allowed: {','.join(sorted(allowed or ())) or 'none'}"[:256],
            )
        )

    def restricted_for_good(self, uow: UnitOfWork, subject_id: str) -> bool:
        """Whether an erasure restricted the subject for good (see `restrict`'s `lasting`)."""
        return repository.restricted_for_good(uow.conn, subject_id)

    def holdings(self, uow: UnitOfWork, after: str, limit: int) -> list[Holding]:
        """A page of subjects in id order after `after`, with the fields each holds."""
        return [
            Holding(sid, created_at, rekey.held_fields(sealed))
            for sid, created_at, sealed in repository.subject_batch(uow.conn, after, limit)
        ]

    def count(self, uow: UnitOfWork) -> int:
        return repository.count_subjects(uow.conn)

    def is_erased(self, uow: UnitOfWork, subject_id: str) -> bool:
        return bool(repository.erased_among(uow.conn, [subject_id]))
