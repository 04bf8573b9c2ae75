"""The privacy center's service: customers sign in with a one-time code sent to their email,
then see, download, correct and delete their data, manage consents, object or restrict, and
see who accessed their data. Staff sign in to the admin pages with an API key.

Sessions are random bearer tokens kept in a cookie; only their SHA-256 is stored. They end
after `idle` without use and at most `SESSION_HOURS` after sign-in. Forms carry a CSRF token
derived from the session token, so a page of another site cannot post on the customer's
behalf. Sign-in answers the same whether or not the email belongs to a customer.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tutela import apikeys
from tutela.actor import Actor
from tutela.clock import Clock
from tutela.consent.service import ConsentLedger
from tutela.core.audit import AuditEvent, AuditLog
from tutela.core.crypto import DataKey, bearer_token, mac, random_digits, random_id, token_digest
from tutela.core.uow import UnitOfWork
from tutela.datamap import DATA_SUBJECT_ROLE, LegalBasis
from tutela.errors import SessionEnded, SubjectError
from tutela.outreach import messages
from tutela.outreach.mailer import Mailer
from tutela.rights import repository
from tutela.rights.repository import SessionRow
from tutela.rights.service import (
    CODE_DIGITS,
    CODE_MINUTES,
    MAX_ATTEMPTS,
    RequestType,
    RequestView,
    RightsDesk,
    Verification,
)
from tutela.vault import Vault

SESSION_HOURS = 8
CUSTOMER = "customer"
STAFF = "staff"


@dataclass(frozen=True)
class Session:
    """A signed-in customer or staff member."""

    token: str
    kind: str  # CUSTOMER or STAFF
    actor: Actor
    subject_id: str | None  # None: a customer about whom nothing is held
    email: str | None
    expires_at: datetime
    csrf: str


@dataclass(frozen=True)
class FieldUse:
    purpose: str
    description: str
    basis: LegalBasis
    retention: str


@dataclass(frozen=True)
class HeldField:
    name: str
    category: str
    value: Any
    uses: list[FieldUse]


@dataclass(frozen=True)
class Access:
    """One line of "who accessed my data"."""

    at: datetime
    by: str  # "you", "our staff (role: support)", "an automated process"
    what: str  # "read", "changed", "exported", …
    purpose: str | None
    fields: tuple[str, ...]
    refused: bool


@dataclass(frozen=True)
class Choice:
    purpose: str
    description: str
    basis: LegalBasis
    active: bool


_ACTIONS = {
    "subject.add": "recorded",
    "subject.read": "read",
    "subject.find": "looked up",
    "subject.update": "changed",
    "subject.export": "copied for you",
    "subject.erase": "erased",
    "subject.erase_fields": "erased",
    "subject.restrict": "restricted",
    "subject.unrestrict": "lifted the restriction",
    "consent.grant": "recorded your consent",
    "consent.withdraw": "recorded your withdrawal or objection",
    "consent.record": "recorded your consent choice",
    "consent.status": "checked your consent choices",
    "consent.history": "checked your consent history",
    "consent.receipts": "checked your consent receipts",
    "portal.sign_in": "signed in to the privacy center",
    "request.download": "downloaded (your answer)",
    "retention.sweep": "erased what was kept too long",
}


class Portal:
    """Sign-in, sessions and the customer's own views. Every method runs in the caller's
    unit of work."""

    def __init__(
        self,
        desk: RightsDesk,
        vault: Vault,
        ledger: ConsentLedger,
        *,
        audit: AuditLog,
        key: bytes,
        mailer: Mailer,
        clock: Clock,
        notice_version: Any,
        idle_minutes: int = 30,
    ) -> None:
        self.desk = desk
        self.datamap = desk.datamap
        self._vault = vault
        self._ledger = ledger
        self._audit = audit
        self._key = key
        self._mailer = mailer
        self._clock = clock
        self._notice_version = notice_version
        self._idle = timedelta(minutes=idle_minutes)

    # -- sign-in -----------------------------------------------------------------------------

    def start_sign_in(self, uow: UnitOfWork, email: str) -> str:
        """Email a one-time code; returns the challenge id the code is checked against.
        Done the same way for any well-formed address, known or not.

        Raises:
            ValidationFailed: not an email address; MailNotSent.
        """
        digest = self._vault.identity_digest("email", email)
        challenge_id = random_id("sig")
        code = random_digits(CODE_DIGITS)
        repository.put_challenge(
            uow.conn,
            {
                "id": challenge_id,
                "email_digest": digest,
                "email_sealed": self._sealer(challenge_id).seal("email", email.strip().encode()),
                "code_mac": self._code_mac(challenge_id, code),
                "expires_at": self._clock.now() + timedelta(minutes=CODE_MINUTES),
            },
        )
        self._mailer.send(
            messages.verification_code(self.datamap.controller, email.strip(), code, CODE_MINUTES)
        )
        return challenge_id

    def finish_sign_in(
        self, uow: UnitOfWork, challenge_id: str, code: str
    ) -> tuple[Verification, str | None]:
        """Check the code; on success a new session token (for the cookie).

        A wrong code is counted; the fifth locks the challenge (sign in again for a new code).
        Unknown challenges answer as expired.
        """
        found = repository.challenge(uow.conn, challenge_id)
        now = self._clock.now()
        if found is None or now > found.expires_at:
            return Verification.EXPIRED, None
        if found.locked:
            return Verification.LOCKED, None
        if not hmac.compare_digest(found.code_mac, self._code_mac(challenge_id, code.strip())):
            lock = found.attempts + 1 >= MAX_ATTEMPTS
            repository.count_challenge_attempt(uow.conn, challenge_id, lock=lock)
            uow.record(
                AuditEvent(
                    actor=CUSTOMER,
                    role=DATA_SUBJECT_ROLE,
                    action="portal.sign_in",
                    outcome="denied",
                    detail=f"{challenge_id} wrong code" + ("; locked" if lock else ""),
                )
            )
            return (Verification.LOCKED if lock else Verification.WRONG), None
        repository.drop_challenge(uow.conn, challenge_id)
        email = self._sealer(challenge_id).open("email", found.email_sealed).decode()
        subjects = self._vault.identify(uow, "email", found.email_digest)
        subject_id = subjects[0] if len(subjects) == 1 else None
        token = bearer_token()
        repository.put_session(
            uow.conn,
            token_digest(token),
            SessionRow(
                kind=CUSTOMER,
                subject_id=subject_id,
                email_digest=found.email_digest,
                email_sealed=self._session_sealer(token).seal("email", email.encode()),
                actor_id=CUSTOMER,
                role=DATA_SUBJECT_ROLE,
                created_at=now,
                seen_at=now,
                expires_at=now + timedelta(hours=SESSION_HOURS),
            ),
        )
        uow.record(
            AuditEvent(
                actor=CUSTOMER,
                role=DATA_SUBJECT_ROLE,
                action="portal.sign_in",
                subject_id=subject_id,
            )
        )
        return Verification.VERIFIED, token

    def staff_sign_in(self, uow: UnitOfWork, actor: Actor) -> str:
        """A session for a staff member whose API key the caller has checked."""
        now = self._clock.now()
        token = bearer_token()
        repository.put_session(
            uow.conn,
            token_digest(token),
            SessionRow(
                kind=STAFF,
                subject_id=None,
                email_digest=None,
                email_sealed=None,
                actor_id=actor.id,
                role=actor.role,
                created_at=now,
                seen_at=now,
                expires_at=now + timedelta(hours=SESSION_HOURS),
            ),
        )
        uow.record(AuditEvent(actor=actor.id, role=actor.role, action="admin.sign_in"))
        return token

    def session(self, uow: UnitOfWork, token: str | None, *, kind: str) -> Session | None:
        """The live session of a cookie, or None (unknown, expired, idle too long, or of the
        other kind). Using it keeps it alive."""
        if not token:
            return None
        digest = token_digest(token)
        row = repository.session(uow.conn, digest)
        now = self._clock.now()
        if row is None or row.kind != kind:
            return None
        ended = now >= row.expires_at or now - row.seen_at > self._idle
        if ended or (row.kind == STAFF and not apikeys.is_active(uow.conn, row.actor_id, now)):
            # A staff session lives no longer than the API key it was opened with.
            repository.drop_sessions(uow.conn, token_digest=digest)
            return None
        if now - row.seen_at > timedelta(minutes=1):  # not a write on every page
            repository.touch_session(uow.conn, digest, now)
        email = (
            self._session_sealer(token).open("email", row.email_sealed).decode()
            if row.email_sealed is not None
            else None
        )
        return Session(
            token=token,
            kind=row.kind,
            actor=Actor(row.actor_id, row.role),
            subject_id=row.subject_id,
            email=email,
            expires_at=min(row.expires_at, now + self._idle),
            csrf=self.csrf_token(token),
        )

    def sign_out(self, uow: UnitOfWork, token: str) -> None:
        repository.drop_sessions(uow.conn, token_digest=token_digest(token))

    def csrf_token(self, token: str) -> str:
        """The token forms of this session carry (bound to it: another session's fails)."""
        return mac(self._key, b"tutela.csrf\x00" + token.encode()).hex()

    def csrf_valid(self, session: Session, presented: str | None) -> bool:
        if not presented:
            return False
        return hmac.compare_digest(session.csrf.encode(), presented.encode("utf-8", "replace"))

    # -- the customer's own data -------------------------------------------------------------

    def my_data(self, uow: UnitOfWork, session: Session) -> list[HeldField]:
        """Each value held, with every purpose that uses it and its legal basis."""
        if session.subject_id is None:
            return []
        try:
            values = self._vault.export(
                uow, session.subject_id, session.actor, why="privacy center: my data"
            )
        except SubjectError:
            return []
        return [
            HeldField(
                name=name,
                category=self.datamap.fields[name].category,
                value=value,
                uses=[
                    FieldUse(n, p.description, p.basis, p.retention)
                    for n, p in self.datamap.purposes.items()
                    if name in p.fields
                ],
            )
            for name, value in values.items()
        ]

    def access_history(self, uow: UnitOfWork, session: Session, limit: int = 500) -> list[Access]:
        """Who touched the customer's data, newest first, in plain words."""
        if session.subject_id is None:
            return []
        entries = list(self._audit.entries(uow.conn, subject_id=session.subject_id))
        out = []
        for entry in reversed(entries[-limit:]):
            event = entry.event
            if event.actor == CUSTOMER:
                by = "you"
            elif event.actor in ("system", "requester", "public"):
                by = "an automated process"
            else:
                by = f"our staff or systems (role: {event.role or 'unknown'})"
            out.append(
                Access(
                    at=entry.at,
                    by=by,
                    what=_ACTIONS.get(event.action, event.action.replace(".", " ")),
                    purpose=event.purpose,
                    fields=tuple(event.fields),
                    refused=event.outcome != "ok",
                )
            )
        return out

    def choices(self, uow: UnitOfWork, session: Session) -> list[Choice]:
        """The purposes the customer controls (consent, objection) and whether each is on."""
        if session.subject_id is None:
            return []
        standings = self._ledger.standings(uow, [session.subject_id])
        return [
            Choice(name, spec.description, spec.basis, standings[session.subject_id, name].active)
            for name, spec in self.datamap.purposes.items()
            if spec.withdrawable
        ]

    def choose(self, uow: UnitOfWork, session: Session, choices: Mapping[str, bool]) -> None:
        """Record the customer's own consent choices (signed receipts, as any other)."""
        if session.subject_id is None or not choices:
            return
        self._ledger.record(
            uow,
            session.subject_id,
            choices,
            actor=session.actor,
            method="web_form",
            notice_version=self._notice_version(),
        )

    def kept_on_erasure(self) -> dict[str, list[str]]:
        """Fields an erasure keeps because a legal obligation needs them, with the purposes
        (what the delete page tells the customer before they confirm)."""
        kept: dict[str, list[str]] = {}
        for name, spec in self.datamap.purposes.items():
            if spec.basis is LegalBasis.LEGAL_OBLIGATION:
                for field_name in spec.fields:
                    kept.setdefault(field_name, []).append(name)
        return kept

    def submit(
        self, uow: UnitOfWork, session: Session, request_type: RequestType
    ) -> tuple[RequestView, bytes | None]:
        """A request from the signed-in customer (their email is proven)."""
        return self.desk.submit_verified(
            uow, request_type.value, self._email_now(uow, session), session.actor
        )

    def correct(self, uow: UnitOfWork, session: Session, values: dict[str, Any]) -> RequestView:
        """Rectify the customer's data; a new email also becomes the session's, so their
        next requests in this session are made (and answered) under it."""
        done = self.desk.rectify(uow, self._email_now(uow, session), values, session.actor)
        new_email = values.get("email")
        if isinstance(new_email, str) and new_email.strip():
            email = new_email.strip()
            repository.update_session(
                uow.conn,
                token_digest(session.token),
                {
                    "email_digest": self._vault.identity_digest("email", email),
                    "email_sealed": self._session_sealer(session.token).seal(
                        "email", email.encode()
                    ),
                },
            )
        return done

    def my_requests(self, uow: UnitOfWork, session: Session) -> list[RequestView]:
        return self.desk.of_requester(uow, self._email_now(uow, session), session.subject_id)

    # -- internals -----------------------------------------------------------------------------

    def _email_now(self, uow: UnitOfWork, session: Session) -> str:
        """The session's email as stored now (a correction in this session changes it)."""
        row = repository.session(uow.conn, token_digest(session.token))
        if row is None or row.email_sealed is None:
            raise SessionEnded()
        return self._session_sealer(session.token).open("email", row.email_sealed).decode()

    def _sealer(self, challenge_id: str) -> DataKey:
        return DataKey(challenge_id, 1, self._key)

    def _session_sealer(self, token: str) -> DataKey:
        # The session's email opens only with the cookie: the table alone reveals nothing.
        return DataKey("session", 1, mac(self._key, b"tutela.session\x00" + token.encode()))

    def _code_mac(self, challenge_id: str, code: str) -> bytes:
        return mac(
            self._key, b"tutela.sign-in-code\x00" + challenge_id.encode() + b"\x00" + code.encode()
        )
