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
answered with a zip the customer fetches once through an emailed link that expires;
rectification is carried out with the customer's new values (`rectify`, which the privacy
center calls) or by staff, who close it with `complete`.

The business's other databases (`connectors`) are part of every fulfilment: access collects
from each, erasure applies to each before the vault (their rows are matched by the identity the
vault still holds). A connector that fails leaves the request in progress with the per-system
report; `retry` (staff, or the worker) runs it again, and nothing is reported done that was not.
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
from tutela.connectors import ConnectorOutcome, Connectors
from tutela.consent.service import ConsentLedger
from tutela.core.audit import AuditEvent, AuditLog
from tutela.core.crypto import (
    DataKey,
    bearer_token,
    mac,
    random_digits,
    random_id,
    token_digest,
)
from tutela.core.uow import UnitOfWork
from tutela.datamap import DataMap, LegalBasis, Permission, require
from tutela.errors import (
    DownloadUnavailable,
    ReasonRequired,
    RequestNotFound,
    RequestStateInvalid,
    RequestTypeUnknown,
    SubjectError,
)
from tutela.outreach import messages
from tutela.outreach.mailer import Mailer
from tutela.rights import package, repository
from tutela.rights.deadlines import deadlines, regime_for
from tutela.rights.repository import DownloadRow, EventRow, RequestRow
from tutela.vault import Vault

CODE_DIGITS = 6
CODE_MINUTES = 10
MAX_ATTEMPTS = 5
DOWNLOAD_PATH = "/privacy/download/"
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
        connectors: Connectors | None = None,
        public_url: str = "http://127.0.0.1:8000",
        download_hours: int = 168,
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
        self.connectors = connectors or Connectors([])
        self._public_url = public_url.rstrip("/")
        self._download_hours = download_hours

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
        request_id = self._receive(uow, kind, email, jurisdiction, actor)
        now = self._clock.now()
        code = random_digits(CODE_DIGITS)
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
        self._after_verification(uow, request_id, actor, "email verified by one-time code")
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
        email = self._email(row)
        if email:  # the customer must hear of it within the first period
            self._mailer.send(
                messages.request_extended(
                    self.datamap.controller,
                    email,
                    request_id,
                    row.type,
                    row.latest_extension,
                    reason,
                )
            )
        return self._get(uow, request_id, timeline=True)

    def complete(self, uow: UnitOfWork, request_id: str, note: str, actor: Actor) -> RequestView:
        """Close a request staff carried out themselves (rectification, restriction)."""
        self._require(uow, actor, "request.complete")
        row = self._row(uow, request_id)
        if row.status != Status.IN_PROGRESS:
            raise RequestStateInvalid(request_id, row.status, "complete")
        self._finish(uow, row, actor, note, {"note": note})
        return self._get(uow, request_id, timeline=True)

    def retry(self, uow: UnitOfWork, request_id: str, actor: Actor) -> RequestView:
        """Run again a fulfilment a connected system failed (the worker does this too)."""
        self._require(uow, actor, "request.retry")
        row = self._row(uow, request_id)
        if row.status != Status.IN_PROGRESS or not _outcome(row).get("retry"):
            raise RequestStateInvalid(request_id, row.status, "retry")
        self._fulfil(uow, row, actor)
        return self._get(uow, request_id, timeline=True)

    def held(self, uow: UnitOfWork, actor: Actor) -> list[str]:
        """Requests in progress waiting for a retry, oldest first."""
        self._require(uow, actor, "request.list")
        rows = repository.listing(uow.conn, statuses=[Status.IN_PROGRESS.value])
        return [r.id for r in rows if _outcome(r).get("retry")]

    def submit_verified(
        self,
        uow: UnitOfWork,
        request_type: str,
        email: str,
        actor: Actor,
        *,
        jurisdiction: str | None = None,
    ) -> tuple[RequestView, bytes | None]:
        """A request from a customer whose email is already proven (signed in to the privacy
        center with a one-time code): received and verified at once, then approved or
        fulfilled like any other. An access or portability answer is returned as the zip
        itself instead of a link."""
        kind = _request_type(request_type)
        request_id = self._receive(uow, kind, email, jurisdiction, actor)
        self._step(uow, request_id, Status.RECEIVED, actor, f"{kind.value} request received")
        answer = self._after_verification(
            uow, request_id, actor, "email proven at privacy-center sign-in", send_link=False
        )
        return self._get(uow, request_id, timeline=True), answer

    def rectify(
        self, uow: UnitOfWork, email: str, values: dict[str, Any], actor: Actor
    ) -> RequestView:
        """A signed-in customer corrects their data (Art. 16): recorded as a rectification
        request, carried out at once, validated like any write (a bad value writes nothing).

        Raises:
            ValidationFailed, FieldNotInDataMap: the new values (naming the field).
        """
        request_id = self._receive(uow, RequestType.RECTIFICATION, email, None, actor)
        self._step(uow, request_id, Status.RECEIVED, actor, "rectification request received")
        row = self._row(uow, request_id)
        subjects = self._vault.identify(uow, "email", row.email_digest)
        if len(subjects) != 1:
            raise RequestStateInvalid(request_id, "without a single customer", "rectify")
        repository.update_request(
            uow.conn,
            request_id,
            {
                "status": Status.IN_PROGRESS.value,
                "verified_at": row.received_at,
                "subject_id": subjects[0],
            },
        )
        self._step(uow, request_id, Status.IN_PROGRESS, actor, "email proven at sign-in")
        self._vault.update(uow, subjects[0], values, _system(actor))
        self._finish(
            uow, self._row(uow, request_id), actor, "corrected", {"fields": sorted(values)}
        )
        return self._get(uow, request_id, timeline=True)

    def of_requester(
        self, uow: UnitOfWork, email: str, subject_id: str | None
    ) -> list[RequestView]:
        """A requester's own requests (the privacy center lists them to the signed-in
        customer): from their email, or about them as a customer; newest first."""
        digest = self._vault.identity_digest("email", email)
        return [_view(r) for r in repository.of_requester(uow.conn, digest, subject_id)]

    def download_ready(self, uow: UnitOfWork, token: str) -> bool:
        """Whether a download link still works (looking does not use it up: mail scanners
        open links, so the page asks for a click before handing the file over)."""
        found = repository.peek_download(uow.conn, token_digest(token))
        return found is not None and found.expires_at > self._clock.now()

    def download(self, uow: UnitOfWork, token: str) -> tuple[str, bytes]:
        """Hand over an answer once: the package is deleted as it is read.

        Returns:
            The request id and the zip.

        Raises:
            DownloadUnavailable: used, expired or unknown (the same answer for each).
        """
        found = repository.take_download(uow.conn, token_digest(token))
        if found is None or found.expires_at <= self._clock.now():
            raise DownloadUnavailable()
        zipped = package.open_sealed(token, found.request_id, found.sealed)
        uow.record(
            AuditEvent(
                actor="requester",
                role="requester",
                action="request.download",
                subject_id=found.subject_id,
                detail=found.request_id,
            )
        )
        return found.request_id, zipped

    def purge(self, uow: UnitOfWork) -> dict[str, int]:
        """Delete download packages, sign-in codes and sessions past their expiry."""
        now = self._clock.now()
        return {
            "downloads": repository.drop_downloads(uow.conn, expired_before=now),
            "challenges": repository.drop_challenges(uow.conn, expired_before=now),
            "sessions": repository.drop_sessions(uow.conn, expired_before=now),
        }

    def lift_restriction(self, uow: UnitOfWork, subject_id: str, actor: Actor) -> None:
        """End a restriction of processing (the customer is told before it is lifted,
        Art. 18(3): that is the caller's step)."""
        self._require(uow, actor, "request.lift_restriction")
        # The restriction ledger answers too after a restore of a backup older than the request.
        if repository.completed_of(
            uow.conn, subject_id, RequestType.ERASURE.value
        ) or self._vault.restricted_for_good(uow, subject_id):
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

    def _receive(
        self,
        uow: UnitOfWork,
        kind: RequestType,
        email: str,
        jurisdiction: str | None,
        actor: Actor,
    ) -> str:
        digest = self._vault.identity_digest("email", email)
        now = self._clock.now()
        request_id = random_id("req")
        limits = deadlines(regime_for(jurisdiction), now)
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
        return request_id

    def _after_verification(
        self, uow: UnitOfWork, request_id: str, actor: Actor, how: str, *, send_link: bool = True
    ) -> bytes | None:
        """The requester proved their email: find whose data it is, then wait for staff or
        fulfil at once. Returns an access or portability answer when `send_link` is off."""
        row = self._row(uow, request_id)
        subjects = self._vault.identify(uow, "email", row.email_digest)
        repository.update_request(
            uow.conn,
            request_id,
            {
                "status": Status.VERIFIED.value,
                "verified_at": self._clock.now(),
                "subject_id": subjects[0] if len(subjects) == 1 else None,
            },
        )
        self._step(uow, request_id, Status.VERIFIED, actor, how)
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
            return self._start(uow, request_id, actor, send_link=send_link)
        return None

    def _start(
        self,
        uow: UnitOfWork,
        request_id: str,
        actor: Actor,
        note: str = "",
        *,
        send_link: bool = True,
    ) -> bytes | None:
        self._set(uow, request_id, Status.IN_PROGRESS, actor, note or "started")
        return self._fulfil(uow, self._row(uow, request_id), actor, send_link=send_link)

    def _fulfil(
        self, uow: UnitOfWork, row: RequestRow, actor: Actor, *, send_link: bool = True
    ) -> bytes | None:
        """Carry out a request in progress, in the vault and every connected system."""
        kind = RequestType(row.type)
        if kind in (RequestType.ACCESS, RequestType.PORTABILITY):
            return self._deliver(uow, row, actor, send_link=send_link)
        if kind is RequestType.ERASURE:
            self._erase_everywhere(uow, row, actor)
        elif row.subject_id is None:
            self._finish(uow, row, actor, "no data is held about this email", {"subject": None})
        elif kind is RequestType.OBJECTION:
            self._finish(uow, row, actor, "objection applied", self._object(uow, row, actor))
        elif kind is RequestType.RESTRICTION:
            allowed = self._legal_obligations()
            self._vault.restrict(uow, row.subject_id, allowed, _system(actor), why=row.id)
            self._finish(
                uow, row, actor, "processing restricted until lifted", {"allowed": sorted(allowed)}
            )
        return None  # rectification: staff carry it out with the customer's new values

    def _deliver(
        self, uow: UnitOfWork, row: RequestRow, actor: Actor, *, send_link: bool
    ) -> bytes | None:
        """Gather the answer from the vault and every connected system; send a one-time
        link to it (or return it, to a signed-in customer)."""
        outcomes = self.connectors.collect(self._identities(uow, row, actor))
        report = _report(outcomes)
        if any(not o.ok for o in outcomes):
            self._hold(uow, row, actor, report)
            return None
        try:
            document = self._document(uow, row, actor) if row.subject_id else None
        except SubjectError:  # erased meanwhile: nothing is held in the vault
            document = None
        if document is None:
            document = {"request_id": row.id, "subject_id": row.subject_id, "data": {}}
        document["systems"] = {o.name: o.data for o in outcomes}
        zipped = package.build(document)
        outcome: dict[str, Any] = {"fields": sorted(document["data"]), "systems": report}
        if row.subject_id is None:
            outcome["subject"] = None  # nothing held in the vault under this email
        if not send_link:
            self._finish(uow, row, actor, "answer handed over at the privacy center", outcome)
            return zipped
        token = bearer_token()
        expires = self._clock.now() + timedelta(hours=self._download_hours)
        repository.put_download(
            uow.conn,
            token_digest(token),
            DownloadRow(row.id, row.subject_id, expires, package.seal(token, row.id, zipped)),
        )
        outcome["download_expires_at"] = expires.isoformat()
        link = (f"{self._public_url}{DOWNLOAD_PATH}{token}", expires)
        self._finish(uow, row, actor, "answer sent as a one-time download link", outcome, link)
        return None

    def _erase_everywhere(self, uow: UnitOfWork, row: RequestRow, actor: Actor) -> None:
        """Connected systems first (their rows are found by the identity the vault still
        holds), then the vault; a failure anywhere keeps the request open."""
        outcomes = self.connectors.erase(self._identities(uow, row, actor))
        report = _report(outcomes, earlier=_outcome(row).get("systems", []))
        if any(not o.ok for o in outcomes):
            self._hold(uow, row, actor, report)
            return
        if row.subject_id is None or self._vault.is_erased(uow, row.subject_id):
            outcome: dict[str, Any] = {"subject": None, "systems": report}
            self._finish(uow, row, actor, "no data is held in the vault", outcome)
            return
        outcome = self._erase(uow, row, actor)
        outcome["systems"] = report
        # Nothing of theirs stays reachable: pending downloads and open sessions go too.
        repository.drop_downloads(uow.conn, subject_id=row.subject_id)
        repository.drop_sessions(uow.conn, subject_id=row.subject_id)
        self._finish(uow, row, actor, "erased", outcome)

    def _identities(self, uow: UnitOfWork, row: RequestRow, actor: Actor) -> dict[str, str]:
        """The values connected systems are matched on: the requester's proven email, and
        the subject's other identity fields from the vault."""
        wanted = self.connectors.identity_fields
        if not wanted:
            return {}
        found: dict[str, str] = {}
        if row.subject_id is not None and wanted - {"email"}:
            try:
                values = self._vault.export(uow, row.subject_id, actor, why=row.id, fields=wanted)
            except SubjectError:
                values = {}
            found.update({f: str(v) for f, v in values.items() if v is not None})
        email = self._email(row)
        if "email" in wanted and email:
            found["email"] = email
        return found

    def _hold(
        self, uow: UnitOfWork, row: RequestRow, actor: Actor, report: list[dict[str, Any]]
    ) -> None:
        failed = ", ".join(r["name"] for r in report if not r["ok"])
        repository.update_request(
            uow.conn, row.id, {"outcome": json.dumps({"systems": report, "retry": True})}
        )
        self._step(uow, row.id, Status.IN_PROGRESS, actor, f"not done: {failed} failed; retrying")

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
        self._vault.restrict(uow, row.subject_id, allowed, _system(actor), why=row.id, lasting=True)
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

    def _document(self, uow: UnitOfWork, row: RequestRow, actor: Actor) -> dict[str, Any]:
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

    def _finish(  # noqa: PLR0917 - the link is for access answers only
        self,
        uow: UnitOfWork,
        row: RequestRow,
        actor: Actor,
        note: str,
        outcome: dict[str, Any],
        link: tuple[str, datetime] | None = None,
    ) -> None:
        email = self._email(row)
        self._close(uow, row, status=Status.COMPLETED, actor=actor, note=note, outcome=outcome)
        if email:
            url, expires = link or (None, None)
            self._mailer.send(
                messages.request_completed(
                    self.datamap.controller, email, row.id, row.type, url, expires
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


def _outcome(row: RequestRow) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(row.outcome) if row.outcome else {}
    return loaded


def _report(
    outcomes: Sequence[ConnectorOutcome], *, earlier: Sequence[dict[str, Any]] = ()
) -> list[dict[str, Any]]:
    """What each connected system did, for the request's outcome (no values). `earlier`:
    the report of a failed attempt, whose erased rows still count once the retry succeeds."""
    before = {r["name"]: r["rows"] for r in earlier if r.get("ok")}
    return [
        {
            "name": o.name,
            "ok": o.ok,
            "action": o.action,
            "rows": o.rows + before.get(o.name, 0),
            "error": o.error,
        }
        for o in outcomes
    ]


def _system(actor: Actor) -> Actor:
    """Service steps act with full rights on behalf of the staff member or requester."""
    return Actor(actor.id, "admin")


def _request_type(text: str) -> RequestType:
    try:
        return RequestType(text)
    except ValueError:
        raise RequestTypeUnknown(text, [t.value for t in RequestType]) from None
