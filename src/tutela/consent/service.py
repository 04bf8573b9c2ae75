"""Recording consent: ledger events with signed receipts, Global Privacy Control, and the
erasure a withdrawal triggers. Reading it back: state, history, stale consents."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tutela.actor import Actor
from tutela.clock import Clock
from tutela.consent import receipts, repository
from tutela.consent.receipts import ReceiptCheck
from tutela.consent.repository import EventRow
from tutela.consent.state import Action, ConsentState, Method, is_active
from tutela.core.audit import AuditEvent
from tutela.core.crypto import Signer, mac, random_id
from tutela.core.uow import UnitOfWork
from tutela.datamap import DataMap, LegalBasis, OnWithdrawal, Permission, PurposeSpec, require
from tutela.errors import (
    ConsentProofRequired,
    ConsentRequestInvalid,
    NotPermitted,
    PurposeNotWithdrawable,
)
from tutela.vault import Vault

# What a public collector key may claim as the way a choice was made.
_COLLECTOR_METHODS = frozenset({Method.WEB_FORM, Method.GPC_SIGNAL})


@dataclass(frozen=True)
class Recorded:
    """The outcome of recording choices: the subject (new for a first-time visitor), one
    signed receipt per event, whether a GPC signal was honoured and what was erased."""

    subject_id: str
    notice_version: str
    receipts: list[dict[str, Any]]
    gpc_honoured: bool
    erased_fields: tuple[str, ...]


@dataclass(frozen=True)
class Standing:
    """A subject's standing for one purpose they control."""

    active: bool
    last_grant: datetime | None


@dataclass(frozen=True)
class PurposeState:
    """Where one purpose stands for one subject."""

    purpose: str
    basis: LegalBasis
    active: bool
    last: EventRow | None
    stale: bool  # active under an older notice version: ask again


class ConsentLedger:
    """The consent service. Every method runs in the caller's unit of work."""

    def __init__(
        self,
        datamap: DataMap,
        datamap_version: str,
        vault: Vault,
        *,
        state: ConsentState,
        signer: Signer,
        evidence_key: bytes,
        clock: Clock,
    ) -> None:
        self.datamap = datamap
        self._datamap_version = datamap_version
        self._vault = vault
        self._state = state
        self._signer = signer
        self._evidence_key = evidence_key
        self._clock = clock

    def choosable(self, spec: PurposeSpec) -> bool:
        """Purposes a consent banner offers: consent-based ones, and any sold or shared."""
        return spec.basis is LegalBasis.CONSENT or spec.sale_or_share

    # -- recording -----------------------------------------------------------------------

    def record(
        self,
        uow: UnitOfWork,
        subject_id: str | None,
        choices: Mapping[str, bool],
        *,
        actor: Actor,
        method: str,
        notice_version: str,
        gpc: bool = False,
        proof: str | None = None,
        evidence: str | None = None,
    ) -> Recorded:
        """Record a subject's choices (`True` grants, `False` withdraws or objects).

        With `subject_id` None a visitor subject is created first. With `gpc` (the request
        carried ``Sec-GPC: 1``) every sale-or-share purpose is withdrawn with method
        `gpc_signal`, whatever `choices` says. A withdrawal erases at once the fields that no
        purpose with a valid basis still needs, unless the purpose keeps them until retention.

        Raises:
            NotPermitted, ConsentProofRequired, PurposeNotInDataMap, PurposeNotWithdrawable,
            ConsentRequestInvalid, SubjectNotFound, SubjectErased.
        """
        collector = self._authorize(uow, actor)
        chosen = self._check_choices(choices, method, collector, gpc)
        if subject_id is None:
            subject_id = self._vault.add_visitor(uow, actor)
        else:
            self._vault.held_fields(uow, subject_id)  # SubjectNotFound / SubjectErased
            if collector:
                self._check_proof(uow, actor, subject_id, proof)

        latest = repository.latest_events(uow.conn, [subject_id])
        sold = {n for n, spec in self.datamap.purposes.items() if spec.sale_or_share}
        events: list[tuple[str, Action, Method]] = [
            (purpose, Action.GRANT if granted else Action.WITHDRAW, chosen[1])
            for purpose, granted in chosen[0].items()
            if not (gpc and purpose in sold)  # the signal overrides the choice
        ]
        honoured = False
        if gpc:
            for name in sold:
                honoured = True
                last = latest.get((subject_id, name))
                if last is None or (last.action, last.method) != (
                    Action.WITHDRAW,
                    Method.GPC_SIGNAL,
                ):
                    events.append((name, Action.WITHDRAW, Method.GPC_SIGNAL))

        now = self._clock.now()
        digest = mac(self._evidence_key, evidence.encode())[:16] if evidence else None
        rows, signed = [], []
        for purpose, action, how in events:
            facts = receipts.ReceiptFacts(
                receipt_id=random_id("rcpt"),
                at=now,
                subject_id=subject_id,
                purpose=purpose,
                action=action.value,
                method=how.value,
                collector=actor.id,
                datamap_version=self._datamap_version,
                notice_version=notice_version,
                evidence=digest.hex() if digest else None,
            )
            document = receipts.sign(receipts.build(self.datamap, facts), self._signer)
            signed.append(document)
            rows.append(
                {
                    "receipt_id": facts.receipt_id,
                    "subject_id": subject_id,
                    "purpose": purpose,
                    "action": facts.action,
                    "at": now,
                    "datamap_version": facts.datamap_version,
                    "notice_version": notice_version,
                    "method": facts.method,
                    "collector": actor.id,
                    "evidence": digest,
                    "receipt": json.dumps(document, sort_keys=True, separators=(",", ":")),
                }
            )
            uow.record(
                AuditEvent(
                    actor=actor.id,
                    role=actor.role,
                    action=f"consent.{facts.action}",
                    subject_id=subject_id,
                    purpose=purpose,
                    detail=f"{facts.method} {facts.receipt_id}",
                )
            )
        repository.insert_events(uow.conn, rows)
        withdrawn = [p for p, action, _ in events if action is Action.WITHDRAW]
        erased = self._erase_unneeded(uow, subject_id, withdrawn, actor)
        return Recorded(subject_id, notice_version, signed, honoured, erased)

    def _authorize(self, uow: UnitOfWork, actor: Actor) -> bool:
        """Whether the actor records as a public collector (True) or with full rights."""
        if self.datamap.allows(actor.role, Permission.CONSENTS_WRITE):
            return False
        if self.datamap.allows(actor.role, Permission.CONSENTS_COLLECT):
            return True
        require(uow, self.datamap, actor, Permission.CONSENTS_WRITE, "consent.record")
        raise NotPermitted(actor.role, Permission.CONSENTS_WRITE.value)  # pragma: no cover

    def _check_choices(
        self, choices: Mapping[str, bool], method: str, collector: bool, gpc: bool
    ) -> tuple[dict[str, bool], Method]:
        try:
            how = Method(method)
        except ValueError:
            known = ", ".join(m.value for m in Method)
            raise ConsentRequestInvalid(f"unknown method '{method}' ({known})") from None
        if collector and how not in _COLLECTOR_METHODS:
            raise ConsentRequestInvalid(f"a collector key records method 'web_form', not '{how}'")
        if not choices and not gpc:
            raise ConsentRequestInvalid("no choice given: name at least one purpose")
        for purpose in choices:
            spec = self.datamap.purpose(purpose)
            if not spec.withdrawable or (collector and not self.choosable(spec)):
                raise PurposeNotWithdrawable(purpose, spec.basis.value)
        return dict(choices), how

    def _check_proof(
        self, uow: UnitOfWork, actor: Actor, subject_id: str, proof: str | None
    ) -> None:
        found = repository.receipt(uow.conn, proof) if proof else None
        if found is None or found[0] != subject_id:
            denial = ConsentProofRequired(subject_id)
            uow.record_always(
                AuditEvent(
                    actor=actor.id,
                    role=actor.role,
                    action="consent.record",
                    outcome="denied",
                    subject_id=subject_id,
                    detail=type(denial).__name__,
                )
            )
            raise denial

    def _erase_unneeded(
        self, uow: UnitOfWork, subject_id: str, withdrawn: list[str], actor: Actor
    ) -> tuple[str, ...]:
        """Fields of erase-on-withdrawal purposes that no purpose with a valid basis uses."""
        candidates = {
            field
            for purpose in withdrawn
            if self.datamap.purposes[purpose].on_withdrawal is OnWithdrawal.ERASE
            for field in self.datamap.purposes[purpose].fields
        }
        if not candidates:
            return ()
        standings = self.standings(uow, [subject_id])
        needed = {
            field
            for name, spec in self.datamap.purposes.items()
            if self._keeps(spec, standings.get((subject_id, name)))
            for field in spec.fields
        }
        doomed = sorted(candidates - needed)
        if not doomed:
            return ()
        return self._vault.erase_fields(uow, subject_id, doomed, actor, why="consent.withdraw")

    @staticmethod
    def _keeps(spec: PurposeSpec, standing: Standing | None) -> bool:
        """Whether a purpose still keeps its fields for a subject (until retention, which the
        sweep enforces): a basis that is not the customer's choice, an active consent or
        unopposed legitimate interest, or a withdrawn one that keeps until retention."""
        if standing is None:  # no event: consent never given, legitimate interest unopposed
            return spec.basis is not LegalBasis.CONSENT
        if standing.active:
            return True
        if spec.on_withdrawal is not OnWithdrawal.KEEP_UNTIL_RETENTION:
            return False
        return spec.basis is not LegalBasis.CONSENT or standing.last_grant is not None

    # -- reading -------------------------------------------------------------------------

    def status(
        self, uow: UnitOfWork, subject_id: str, actor: Actor, notice_version: str
    ) -> list[PurposeState]:
        """Every purpose the customer controls, with its current state (audited).

        Raises:
            NotPermitted, SubjectNotFound, SubjectErased.
        """
        self._require_read(uow, actor, subject_id, "consent.status")
        latest = repository.latest_events(uow.conn, [subject_id])
        now = self._clock.now()
        out = []
        for name, spec in self.datamap.purposes.items():
            if not spec.withdrawable:
                continue
            last = latest.get((subject_id, name))
            active = self._state.active(uow.conn, subject_id, name, now)
            stale = bool(
                active
                and last is not None
                and last.action == Action.GRANT
                and last.notice_version != notice_version
            )
            out.append(PurposeState(name, spec.basis, active, last, stale))
        return out

    def history(self, uow: UnitOfWork, subject_id: str, actor: Actor) -> list[EventRow]:
        """Every event of a subject, oldest first (audited). Works for erased subjects too:
        the ledger holds no personal values and is the proof of what they agreed to."""
        self._require_read(uow, actor, subject_id, "consent.history", must_exist=False)
        return repository.history(uow.conn, subject_id)

    def receipts(self, uow: UnitOfWork, subject_id: str, actor: Actor) -> list[dict[str, Any]]:
        self._require_read(uow, actor, subject_id, "consent.receipts", must_exist=False)
        return [json.loads(doc) for doc in repository.receipts_of(uow.conn, subject_id)]

    def stale(self, uow: UnitOfWork, actor: Actor, notice_version: str) -> list[EventRow]:
        """Active grants given under an older notice: the customers to ask again."""
        require(uow, self.datamap, actor, Permission.CONSENTS_READ, "consent.stale")
        uow.record(AuditEvent(actor=actor.id, role=actor.role, action="consent.stale"))
        return repository.stale_grants(uow.conn, notice_version)

    def standings(
        self, uow: UnitOfWork, subject_ids: Sequence[str]
    ) -> dict[tuple[str, str], Standing]:
        """For each (subject, purpose) the customer controls: active now, and when last
        granted (what retention counted from consent starts at)."""
        latest = repository.latest_events(uow.conn, subject_ids)
        grants = repository.last_grants(uow.conn, subject_ids)
        out = {}
        for subject_id in subject_ids:
            for name, spec in self.datamap.purposes.items():
                if spec.withdrawable:
                    last = latest.get((subject_id, name))
                    out[subject_id, name] = Standing(
                        is_active(spec.basis, last.action if last else None),
                        grants.get((subject_id, name)),
                    )
        return out

    def public_keys(self) -> dict[str, bytes]:
        return {self._signer.key_id: self._signer.public_key}

    def verify(self, document: object) -> ReceiptCheck:
        return receipts.verify(document, self.public_keys())

    def _require_read(
        self,
        uow: UnitOfWork,
        actor: Actor,
        subject_id: str,
        action: str,
        *,
        must_exist: bool = True,
    ) -> None:
        require(uow, self.datamap, actor, Permission.CONSENTS_READ, action)
        if must_exist:
            self._vault.held_fields(uow, subject_id)
        uow.record(
            AuditEvent(actor=actor.id, role=actor.role, action=action, subject_id=subject_id)
        )
