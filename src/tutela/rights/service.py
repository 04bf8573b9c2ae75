"""Data-subject requests (GDPR Art. 12, 15-21; CCPA): received, verified by a one-time code
sent to the requester's email, approved where staff must approve, fulfilled, closed on time.

Lifecycle: received → verified → (awaiting_approval) → in_progress → completed | rejected.
Every change is a timeline event and an audit entry (ids and statuses, never values). A
request answers the same whether or not its email belongs to a customer: nothing is looked
up before the requester proves they control the address.

Fulfilment once verified (and approved): erasure erases every value no legal obligation
still needs (those are kept, named in the outcome, and restricted to that obligation);
restriction limits reads to legal-obligation purposes until staff lift it; objection
withdraws every legitimate-interest purpose and every consent; access and portability are
answered with the export (`export`), which closes them; rectification is carried out by staff
(the new values come from the customer) and closed with `complete`.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from tutela.actor import Actor
from tutela.clock import Clock
from tutela.consent.service import ConsentLedger
from tutela.core.audit import AuditEvent, AuditLog
from tutela.core.crypto import DataKey, mac, random_digits, random_id
from tutela.core.uow import UnitOfWork
from tutela.datamap import DataMap, LegalBasis, Permission, require
from tutela.errors import (
    ReasonRequired,
    RequestNotFound,
    RequestStateInvalid,
    RequestTypeUnknown,
    SubjectError,
)
from tutela.outreach import messages
from tutela.outreach.mailer import Mailer
from tutela.rights import repository
from tutela.rights.deadlines import deadlines, regime_for
from tutela.rights.repository import EventRow, RequestRow
from tutela.vault import Vault

CODE_DIGITS = 6
CODE_MINUTES = 10
MAX_ATTEMPTS = 5
PUBLIC = Actor("public", "requester")


class RequestType(StrEnum):
    ACCESS = "access"
    PORTABILITY = "portability"
    RECTIFICATION = "rectification"
    ERASURE = "erasure"
    RESTRICTION = "restriction"
    OBJECTION = "objection"


class Status(StrEnum):
    RECEIVED = "received"
    VERIFIED = "verified"
    AWAITING_APPROVAL = "awaiting_approval"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    REJECTED = "rejected"


OPEN = (Status.RECEIVED, Status.VERIFIED, Status.AWAITING_APPROVAL, Status.IN_PROGRESS)


class Verification(StrEnum):
    """The outcome of presenting a code."""

    VERIFIED = "verified"
    WRONG = "wrong"
    EXPIRED = "expired"
    LOCKED = "locked"  # too many wrong codes: make a new request


@dataclass(frozen=True)
class RequestView:
    """A request as staff see it (no personal value: the email stays sealed)."""

    id: str
    type: RequestType
    status: Status
    regime: str
    subject_id: str | None
    received_at: datetime
    due_on: date
    latest_extension: date
    acknowledge_by: date | None
    extension_reason: str | None
    verified_at: datetime | None
    closed_at: datetime | None
    outcome: dict[str, Any]
    timeline: list[EventRow] = field(default_factory=list)

    def days_left(self, today: date) -> int:
        return (self.due_on - today).days


def _view(row: RequestRow, timeline: list[EventRow] | None = None) -> RequestView:
    return RequestView(
        id=row.id,
        type=RequestType(row.type),
        status=Status(row.status),
        regime=row.regime,
        subject_id=row.subject_id,
        received_at=row.received_at,
        due_on=row.due_on,
        latest_extension=row.latest_extension,
        acknowledge_by=row.acknowledge_by,
        extension_reason=row.extension_reason,
        verified_at=row.verified_at,
        closed_at=row.closed_at,
        outcome=json.loads(row.outcome) if row.outcome else {},
        timeline=timeline or [],
    )


class RightsDesk:
    """The rights service. Every method runs in the caller's unit of work."""

    def __init__(
        self,
        datamap: DataMap,
        vault: Vault,
        ledger: ConsentLedger,
        *,
        audit: AuditLog,
        requests_key: bytes,
        mailer: Mailer,
        clock: Clock,
        notice_version: Callable[[], str],
        needs_approval: frozenset[RequestType] = frozenset({RequestType.ERASURE}),
    ) -> None:
        self.datamap = datamap
        self._vault = vault
        self._ledger = ledger
        self._audit = audit
        self._key = requests_key
        self._notice_version = notice_version
        self._mailer = mailer
        self._clock = clock
        self.needs_approval = needs_approval

    # -- intake and verification -----------------------------------------------------------

    def create(
        self,
        uow: UnitOfWork,
        request_type: str,
        email: str,
        *,
        jurisdiction: str | None = None,
        actor: Actor = PUBLIC,
    ) -> RequestView:
        """Receive a request and email a one-time code to `email` (sent before the request
        is stored: if the email cannot be sent, nothing is kept).

        Raises:
            ValidationFailed: `email` is not an email address; RequestTypeUnknown; MailNotSent.
        """
        kind = _request_type(request_type)
        digest = self._vault.identity_digest("email", email)
        now = self._clock.now()
        request_id = random_id("req")
        limits = deadlines(regime_for(jurisdiction), now)
        code = random_digits(CODE_DIGITS)
        repository.insert_request(
            uow.conn,
            {
                "id": request_id,
                "type": kind.value,
                "status": Status.RECEIVED.value,
                "regime": limits.regime.value,
                "jurisdiction": (jurisdiction or None) and jurisdiction[:8].upper(),
                "email_digest": digest,
                "email_sealed": self._sealer(request_id).seal("email", email.strip().encode()),
                "received_at": now,
                "due_on": limits.due,
                "latest_extension": limits.latest_extension,
                "acknowledge_by": limits.acknowledge_by,
            },
        )
        repository.put_code(
            uow.conn,
            request_id,
            self._code_mac(request_id, code),
            now + timedelta(minutes=CODE_MINUTES),
        )
        self._step(uow, request_id, Status.RECEIVED, actor, f"{kind.value} request received")
        self._mailer.send(
            messages.verification_code(self.datamap.controller, email.strip(), code, CODE_MINUTES)
        )
        return self._get(uow, request_id, timeline=True)

    def verify(
        self, uow: UnitOfWork, request_id: str, code: str, *, actor: Actor = PUBLIC
    ) -> Verification:
        """Check a code. A wrong code is counted (and the count is kept even though the
        caller reports a failure); the fifth locks the request. On success the request
        moves on, and is fulfilled at once unless staff must approve it."""
        row = self._row(uow, request_id)
        stored = repository.code(uow.conn, request_id)
        if row.status != Status.RECEIVED or stored is None:
            raise RequestStateInvalid(request_id, row.status, "verify")
        if stored.locked:
            return Verification.LOCKED
        if self._clock.now() > stored.expires_at:
            return Verification.EXPIRED
        if not hmac.compare_digest(stored.code_mac, self._code_mac(request_id, code.strip())):
            lock = stored.attempts + 1 >= MAX_ATTEMPTS
            repository.count_attempt(uow.conn, request_id, lock=lock)
            note = "wrong code; locked" if lock else "wrong code"
            uow.record(self._event(actor, "request.verify", request_id, "denied", note))
            return Verification.LOCKED if lock else Verification.WRONG
        repository.drop_code(uow.conn, request_id)
        subjects = self._vault.identify(uow, "email", row.email_digest)
        now = self._clock.now()
        repository.update_request(
            uow.conn,
            request_id,
            {
                "status": Status.VERIFIED.value,
                "verified_at": now,
                "subject_id": subjects[0] if len(subjects) == 1 else None,
            },
        )
        self._step(uow, request_id, Status.VERIFIED, actor, "email verified by one-time code")
        self._notify_received(uow, request_id)
        if len(subjects) > 1:
            self._set(
                uow,
                request_id,
                Status.IN_PROGRESS,
                actor,
                "several customers share this email: staff choose whose request it is",
            )
        elif RequestType(row.type) in self.needs_approval:
            self._set(uow, request_id, Status.AWAITING_APPROVAL, actor, "waiting for staff")
        else:
            self._start(uow, request_id, actor)
        return Verification.VERIFIED

    # -- staff -----------------------------------------------------------------------------

    def approve(self, uow: UnitOfWork, request_id: str, actor: Actor) -> RequestView:
        self._require(uow, actor, "request.approve")
        row = self._row(uow, request_id)
        if row.status != Status.AWAITING_APPROVAL:
            raise RequestStateInvalid(request_id, row.status, "approve")
        self._start(uow, request_id, actor, "approved")
        return self._get(uow, request_id, timeline=True)

    def reject(self, uow: UnitOfWork, request_id: str, reason: str, actor: Actor) -> RequestView:
        """Refuse a request (e.g. manifestly unfounded); the requester is told why and of
        their right to complain."""
        self._require(uow, actor, "request.reject")
        if not reason.strip():
            raise ReasonRequired("reject")
        row = self._row(uow, request_id)
        if row.status not in OPEN:
            raise RequestStateInvalid(request_id, row.status, "reject")
        self._close(
            uow, row, status=Status.REJECTED, actor=actor, note=reason, outcome={"reason": reason}
        )
        email = self._email(row)
        if email:
            self._mailer.send(
                messages.request_rejected(
                    self.datamap.controller, email, request_id, row.type, reason
                )
            )
        return self._get(uow, request_id, timeline=True)

    def extend(self, uow: UnitOfWork, request_id: str, reason: str, actor: Actor) -> RequestView:
        """Move the due date to the furthest the law allows, with the reason recorded.

        Raises:
            RequestStateInvalid: closed, already extended, or too late to extend (an
            extension must be announced within the first period).
        """
        self._require(uow, actor, "request.extend")
        row = self._row(uow, request_id)
        today = self._clock.now().date()
        if not reason.strip():
            raise ReasonRequired("extend")
        if row.status not in OPEN or row.extension_reason is not None or today > row.due_on:
            raise RequestStateInvalid(request_id, row.status, "extend")
        repository.update_request(
            uow.conn,
            request_id,
            {"due_on": row.latest_extension, "extension_reason": reason},
        )
        self._step(uow, request_id, Status(row.status), actor, f"extended: {reason}")
        return self._get(uow, request_id, timeline=True)

    def complete(self, uow: UnitOfWork, request_id: str, note: str, actor: Actor) -> RequestView:
        """Close a request staff carried out themselves (rectification, restriction)."""
        self._require(uow, actor, "request.complete")
        row = self._row(uow, request_id)
        if row.status != Status.IN_PROGRESS:
            raise RequestStateInvalid(request_id, row.status, "complete")
        self._finish(uow, row, actor, note, {"note": note})
        return self._get(uow, request_id, timeline=True)

    def export(self, uow: UnitOfWork, request_id: str, actor: Actor) -> dict[str, Any]:
        """The answer to an access or portability request: every value, each field's
        purposes, legal bases, recipients and retention, the consent history and who
        accessed the data. Closes the request.

        Raises:
            RequestStateInvalid: not an access or portability request in progress.
        """
        self._require(uow, actor, "request.export")
        row = self._row(uow, request_id)
        kind = RequestType(row.type)
        if kind not in (RequestType.ACCESS, RequestType.PORTABILITY):
            raise RequestStateInvalid(request_id, row.status, "export")
        if row.status != Status.IN_PROGRESS:
            raise RequestStateInvalid(request_id, row.status, "export")
        try:
            document = self._export(uow, row, actor)
        except SubjectError:  # erased meanwhile: there is nothing left to give
            document = {"request_id": row.id, "subject_id": row.subject_id, "data": {}}
            self._finish(uow, row, actor, "no data held (erased)", {"fields": []})
            return document
        self._finish(uow, row, actor, "export delivered", {"fields": sorted(document["data"])})
        return document

    def lift_restriction(self, uow: UnitOfWork, subject_id: str, actor: Actor) -> None:
        """End a restriction of processing (the customer is told before it is lifted,
        Art. 18(3): that is the caller's step)."""
        self._require(uow, actor, "request.lift_restriction")
        if repository.completed_of(uow.conn, subject_id, RequestType.ERASURE.value):
            # Values kept after an erasure serve the legal obligation only, for good.
            raise RequestStateInvalid(subject_id, "erased but for legal obligations", "lift")
        self._vault.restrict(uow, subject_id, None, _system(actor), why="lifted by staff")

    def get(self, uow: UnitOfWork, request_id: str, actor: Actor) -> RequestView:
        self._require(uow, actor, "request.show")
        return self._get(uow, request_id, timeline=True)

    def listing(
        self, uow: UnitOfWork, actor: Actor, *, statuses: Sequence[Status] | None = None
    ) -> list[RequestView]:
        self._require(uow, actor, "request.list")
        return [_view(r) for r in repository.listing(uow.conn, statuses=statuses)]

    def due_soon(self, uow: UnitOfWork, actor: Actor, *, within_days: int = 7) -> list[RequestView]:
        """Open requests that are late or due within `within_days`, most urgent first."""
        today = self._clock.now().date()
        return [
            v for v in self.listing(uow, actor, statuses=OPEN) if v.days_left(today) <= within_days
        ]

    # -- internals -------------------------------------------------------------------------

    def _start(self, uow: UnitOfWork, request_id: str, actor: Actor, note: str = "") -> None:
        self._set(uow, request_id, Status.IN_PROGRESS, actor, note or "started")
        row = self._row(uow, request_id)
        if row.subject_id is None:
            self._finish(uow, row, actor, "no data is held about this email", {"subject": None})
            return
        kind = RequestType(row.type)
        if kind is RequestType.ERASURE:
            self._finish(uow, row, actor, "erased", self._erase(uow, row, actor))
        elif kind is RequestType.OBJECTION:
            self._finish(uow, row, actor, "objection applied", self._object(uow, row, actor))
        elif kind is RequestType.RESTRICTION:
            allowed = self._legal_obligations()
            self._vault.restrict(uow, row.subject_id, allowed, _system(actor), why=row.id)
            self._finish(
                uow, row, actor, "processing restricted until lifted", {"allowed": sorted(allowed)}
            )

    def _erase(self, uow: UnitOfWork, row: RequestRow, actor: Actor) -> dict[str, Any]:
        """Erase everything except what a legal obligation still needs, which is kept and
        named with its purposes (GDPR Art. 17(3)(b))."""
        assert row.subject_id is not None
        held = self._vault.held_fields(uow, row.subject_id)
        kept = {
            f: sorted(
                n
                for n, p in self.datamap.purposes.items()
                if p.basis is LegalBasis.LEGAL_OBLIGATION and f in p.fields
            )
            for f in held
        }
        kept = {f: purposes for f, purposes in kept.items() if purposes}
        if not kept:
            self._vault.erase(uow, row.subject_id, _system(actor), why=row.id)
            return {"erased": "all", "kept": {}}
        gone = sorted(held - set(kept))
        self._vault.erase_fields(uow, row.subject_id, gone, _system(actor), why=row.id)
        # The values kept may serve their legal obligation and nothing else.
        allowed = frozenset(p for purposes in kept.values() for p in purposes)
        self._vault.restrict(uow, row.subject_id, allowed, _system(actor), why=row.id)
        # What is kept serves the legal obligation only: every choosable use stops.
        self._ledger.record(
            uow,
            row.subject_id,
            {n: False for n, p in self.datamap.purposes.items() if p.withdrawable},
            actor=_system(actor),
            method="staff",
            notice_version=self._notice_version(),
        )
        return {"erased": gone, "kept": kept}

    def _legal_obligations(self) -> frozenset[str]:
        """Purposes that still apply during a restriction: storage for legal obligations."""
        return frozenset(
            n for n, p in self.datamap.purposes.items() if p.basis is LegalBasis.LEGAL_OBLIGATION
        )

    def _object(self, uow: UnitOfWork, row: RequestRow, actor: Actor) -> dict[str, Any]:
        assert row.subject_id is not None
        purposes = {n: False for n, p in self.datamap.purposes.items() if p.withdrawable}
        done = self._ledger.record(
            uow,
            row.subject_id,
            purposes,
            actor=_system(actor),
            method="staff",
            notice_version=self._notice_version(),
        )
        return {"withdrawn": sorted(purposes), "erased": list(done.erased_fields)}

    def _export(self, uow: UnitOfWork, row: RequestRow, actor: Actor) -> dict[str, Any]:
        assert row.subject_id is not None
        sid = row.subject_id
        data = self._vault.export(uow, sid, actor, why=row.id)
        uses = {
            f: [
                {
                    "purpose": n,
                    "legal_basis": p.basis.value,
                    "recipients": list(p.recipients),
                    "retention": p.retention,
                }
                for n, p in self.datamap.purposes.items()
                if f in p.fields
            ]
            for f in data
        }
        history = self._ledger.history(uow, sid, _system(actor))
        accesses = [
            {
                "at": e.at.isoformat(),
                "role": e.event.role,
                "action": e.event.action,
                "purpose": e.event.purpose,
                "fields": list(e.event.fields),
                "outcome": e.event.outcome,
            }
            for e in self._audit.entries(uow.conn, subject_id=sid)
        ]
        return {
            "request_id": row.id,
            "controller": self.datamap.controller.model_dump(mode="json"),
            "subject_id": sid,
            "data": data,
            "uses": uses,
            "source": "provided by you or collected while you used our services",
            "consents": [
                {
                    "purpose": e.purpose,
                    "action": e.action,
                    "at": e.at.isoformat(),
                    "method": e.method,
                    "receipt_id": e.receipt_id,
                }
                for e in history
            ],
            "access_history": accesses,
        }

    def _notify_received(self, uow: UnitOfWork, request_id: str) -> None:
        row = self._row(uow, request_id)
        email = self._email(row)
        if email:
            self._mailer.send(
                messages.request_received(
                    self.datamap.controller, email, request_id, row.type, row.due_on
                )
            )

    def _finish(
        self, uow: UnitOfWork, row: RequestRow, actor: Actor, note: str, outcome: dict[str, Any]
    ) -> None:
        email = self._email(row)
        self._close(uow, row, status=Status.COMPLETED, actor=actor, note=note, outcome=outcome)
        if email:
            self._mailer.send(
                messages.request_completed(
                    self.datamap.controller, email, row.id, row.type, None, None
                )
            )

    def _close(
        self,
        uow: UnitOfWork,
        row: RequestRow,
        *,
        status: Status,
        actor: Actor,
        note: str,
        outcome: dict[str, Any],
    ) -> None:
        """Close a request; the requester's sealed email is dropped (kept no longer)."""
        repository.update_request(
            uow.conn,
            row.id,
            {
                "status": status.value,
                "closed_at": self._clock.now(),
                "outcome": json.dumps(outcome, sort_keys=True),
                "email_sealed": None,
            },
        )
        self._step(uow, row.id, status, actor, note)

    def _set(
        self, uow: UnitOfWork, request_id: str, status: Status, actor: Actor, note: str
    ) -> None:
        repository.update_request(uow.conn, request_id, {"status": status.value})
        self._step(uow, request_id, status, actor, note)

    def _step(
        self, uow: UnitOfWork, request_id: str, status: Status, actor: Actor, note: str
    ) -> None:
        repository.add_event(
            uow.conn,
            request_id,
            at=self._clock.now(),
            status=status.value,
            actor=actor.id,
            note=note,
        )
        uow.record(self._event(actor, f"request.{status.value}", request_id, "ok", note))

    @staticmethod
    def _event(actor: Actor, action: str, request_id: str, outcome: str, note: str) -> AuditEvent:
        return AuditEvent(
            actor=actor.id,
            role=actor.role,
            action=action,
            outcome=outcome,
            detail=f"{request_id} {note}"[:256],
        )

    def _require(self, uow: UnitOfWork, actor: Actor, action: str) -> None:
        require(uow, self.datamap, actor, Permission.REQUESTS_MANAGE, action)

    def _row(self, uow: UnitOfWork, request_id: str) -> RequestRow:
        row = repository.get(uow.conn, request_id)
        if row is None:
            raise RequestNotFound(request_id)
        return row

    def _get(self, uow: UnitOfWork, request_id: str, *, timeline: bool = False) -> RequestView:
        row = self._row(uow, request_id)
        return _view(row, repository.events(uow.conn, request_id) if timeline else None)

    def _sealer(self, request_id: str) -> DataKey:
        return DataKey(request_id, 1, self._key)

    def _email(self, row: RequestRow) -> str | None:
        if row.email_sealed is None:
            return None
        return self._sealer(row.id).open("email", row.email_sealed).decode()

    def _code_mac(self, request_id: str, code: str) -> bytes:
        return mac(
            self._key, b"tutela.request-code\x00" + request_id.encode() + b"\x00" + code.encode()
        )


def _system(actor: Actor) -> Actor:
    """Service steps act with full rights on behalf of the staff member or requester."""
    return Actor(actor.id, "admin")


def _request_type(text: str) -> RequestType:
    try:
        return RequestType(text)
    except ValueError:
        raise RequestTypeUnknown(text, [t.value for t in RequestType]) from None
