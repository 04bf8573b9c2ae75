"""`tutela.consents`: the consent part of the Python SDK, one unit of work per call."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tutela.actor import Actor
from tutela.consent.receipts import ReceiptCheck
from tutela.consent.repository import EventRow
from tutela.consent.service import ConsentLedger, PurposeState, Recorded
from tutela.core.uow import UnitOfWork
from tutela.datamap import PurposeSpec
from tutela.errors import ConsentRequestInvalid

SDK = "sdk"


@dataclass(frozen=True)
class ChoosablePurpose:
    """A purpose a consent banner offers, with what a customer needs to decide."""

    name: str
    spec: PurposeSpec
    categories: tuple[str, ...]  # data category keys of its fields


class Consents:
    """Grant, withdraw, inspect and verify consent. Reached as `Tutela(...).consents`."""

    def __init__(
        self,
        ledger: ConsentLedger,
        unit_of_work: Callable[[], UnitOfWork],
        notice_version: Callable[[], str],
        known_notice: Callable[[UnitOfWork, str], bool],
    ) -> None:
        self.ledger = ledger
        self._uow = unit_of_work
        self._notice_version = notice_version
        self._known_notice = known_notice

    @property
    def notice_version(self) -> str:
        """The version of the privacy notice customers are shown now."""
        return self._notice_version()

    def choosable(self) -> list[ChoosablePurpose]:
        datamap = self.ledger.datamap
        return [
            ChoosablePurpose(
                name,
                spec,
                tuple(dict.fromkeys(datamap.fields[f].category for f in spec.fields)),
            )
            for name, spec in datamap.purposes.items()
            if self.ledger.choosable(spec)
        ]

    def record(
        self,
        subject_id: str | None,
        choices: Mapping[str, bool],
        *,
        method: str = "api",
        actor: Actor | None = None,
        gpc: bool = False,
        proof: str | None = None,
        evidence: str | None = None,
        notice_version: str | None = None,
    ) -> Recorded:
        """Record choices (`True` grants, `False` withdraws); `subject_id` None creates a
        visitor subject. See `ConsentLedger.record`.

        Raises:
            ConsentRequestInvalid: also for a notice version Tutela never published.
        """
        with self._uow() as uow:
            version = notice_version or self.notice_version
            if version != self.notice_version and not self._known_notice(uow, version):
                raise ConsentRequestInvalid("unknown notice version: it was never published")
            return self.ledger.record(
                uow,
                subject_id,
                choices,
                actor=actor or Actor(SDK, "admin"),
                method=method,
                notice_version=version,
                gpc=gpc,
                proof=proof,
                evidence=evidence,
            )

    def grant(
        self, subject_id: str, purpose: str, *, method: str = "api", actor: Actor | None = None
    ) -> dict[str, Any]:
        """Record a grant; returns its signed receipt."""
        return self.record(subject_id, {purpose: True}, method=method, actor=actor).receipts[0]

    def withdraw(
        self, subject_id: str, purpose: str, *, method: str = "api", actor: Actor | None = None
    ) -> Recorded:
        """Record a withdrawal (an objection, for a legitimate interest); fields no other
        valid purpose needs are erased at once unless the purpose keeps them."""
        return self.record(subject_id, {purpose: False}, method=method, actor=actor)

    def status(self, subject_id: str, *, actor: Actor | None = None) -> list[PurposeState]:
        with self._uow() as uow:
            return self.ledger.status(
                uow, subject_id, actor or Actor(SDK, "admin"), self.notice_version
            )

    def history(self, subject_id: str, *, actor: Actor | None = None) -> list[EventRow]:
        with self._uow() as uow:
            return self.ledger.history(uow, subject_id, actor or Actor(SDK, "admin"))

    def receipts(self, subject_id: str, *, actor: Actor | None = None) -> list[dict[str, Any]]:
        with self._uow() as uow:
            return self.ledger.receipts(uow, subject_id, actor or Actor(SDK, "admin"))

    def stale(self, *, actor: Actor | None = None) -> list[EventRow]:
        """Active grants given under an older notice version: customers to ask again."""
        with self._uow() as uow:
            return self.ledger.stale(uow, actor or Actor(SDK, "admin"), self.notice_version)

    def verify(self, document: object) -> ReceiptCheck:
        """Check a signed receipt; a changed byte fails."""
        return self.ledger.verify(document)

    def public_key(self) -> dict[str, str]:
        """The receipt-signing public key, as published at `/v1/consents/public-key`."""
        (kid, raw), *_ = self.ledger.public_keys().items()
        return {
            "alg": "Ed25519",
            "kid": kid,
            "public_key": base64.urlsafe_b64encode(raw).decode().rstrip("="),
        }
