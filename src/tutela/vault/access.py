"""Who may read what: the purpose, role and field checks, the consent hook, and the grant
that records the outcome in the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection

from tutela.actor import Actor
from tutela.core.audit import UNDECLARED, AuditEvent
from tutela.core.uow import UnitOfWork
from tutela.datamap import DataMap, LegalBasis
from tutela.errors import AccessDenied, DataMapError, FieldNotAllowedForPurpose, RoleNotAllowed


class ConsentCheck(Protocol):
    """Answers, at read time, whether a subject's data may be used for a purpose that the
    customer controls: consent is active (basis `consent`), or the customer has not objected
    (basis `legitimate_interests`)."""

    def active(self, conn: Connection, subject_id: str, purpose: str, at: datetime) -> bool: ...


@dataclass(frozen=True)
class Grant:
    """What an authorised (or refused) request may touch, and how to audit it."""

    actor: Actor
    action: str
    purpose: str
    fields: tuple[str, ...]
    needs_consent: bool  # ask the consent check (consent, or no objection) per subject

    def event(
        self, subject_id: str | None, outcome: str, reason: Exception | str | None = None
    ) -> AuditEvent:
        detail = reason if isinstance(reason, str) or reason is None else type(reason).__name__
        return AuditEvent(
            actor=self.actor.id,
            role=self.actor.role,
            action=self.action,
            outcome=outcome,
            subject_id=subject_id,
            fields=self.fields,
            purpose=self.purpose,
            detail=detail,
        )


def authorize(
    uow: UnitOfWork,
    datamap: DataMap,
    actor: Actor,
    *,
    action: str,
    purpose: str,
    fields: Sequence[str] | None,
    subject_id: str | None = None,
) -> Grant:
    """Check purpose, role and fields; a refusal is audited and raised."""
    requested = tuple(fields) if fields else ()
    try:
        spec = datamap.purpose(purpose)
        if actor.role not in spec.roles:
            raise RoleNotAllowed(actor.role, purpose)
        chosen = requested or spec.fields
        for name in chosen:
            datamap.field(name)
            if name not in spec.fields:
                raise FieldNotAllowedForPurpose(name, purpose)
    except (DataMapError, AccessDenied) as denial:
        # Names the caller made up are not recorded: they may be anything, personal data
        # included, and audit entries are never erased.
        refused = Grant(
            actor,
            action,
            purpose if purpose in datamap.purposes else UNDECLARED,
            tuple(name if name in datamap.fields else UNDECLARED for name in requested),
            needs_consent=False,
        )
        uow.record_always(refused.event(subject_id, "denied", denial))
        raise
    return Grant(actor, action, purpose, tuple(chosen), spec.basis in _CUSTOMER_CONTROLLED)


# Purposes whose use the consent check decides for each subject.
_CUSTOMER_CONTROLLED = frozenset({LegalBasis.CONSENT, LegalBasis.LEGITIMATE_INTERESTS})
