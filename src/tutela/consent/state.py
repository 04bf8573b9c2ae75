"""The consent state the vault asks at read time, derived from the ledger's latest events."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection

from tutela.consent import repository
from tutela.datamap import DataMap, LegalBasis


class Action(StrEnum):
    GRANT = "grant"
    WITHDRAW = "withdraw"  # for a legitimate-interest purpose: the customer objects


class Method(StrEnum):
    """How a choice reached Tutela."""

    WEB_FORM = "web_form"
    API = "api"
    IMPORT = "import"
    GPC_SIGNAL = "gpc_signal"  # a Global Privacy Control signal (Sec-GPC: 1)
    STAFF = "staff"


class ConsentState:
    """Implements the vault's `ConsentCheck`: read from the database on every call, so a
    withdrawal applies to the very next read in every process."""

    def __init__(self, datamap: DataMap) -> None:
        self._basis = {name: spec.basis for name, spec in datamap.purposes.items()}

    def active(self, conn: Connection, subject_id: str, purpose: str, at: datetime) -> bool:
        """Consent purposes: the latest event is a grant. Legitimate interests: the latest
        event is not an objection. Other bases do not depend on the customer's choice."""
        basis = self._basis.get(purpose)
        if basis is None:
            return False
        if basis not in {LegalBasis.CONSENT, LegalBasis.LEGITIMATE_INTERESTS}:
            return True
        return is_active(basis, repository.latest_action(conn, subject_id, purpose))


def is_active(basis: LegalBasis, latest_action: str | None) -> bool:
    """The one rule: consent needs a grant as the latest event; a legitimate interest holds
    unless the latest event is an objection; other bases are not the customer's choice."""
    if basis is LegalBasis.CONSENT:
        return latest_action == Action.GRANT
    if basis is LegalBasis.LEGITIMATE_INTERESTS:
        return latest_action != Action.WITHDRAW
    return True
