"""Helpers for the retention tests: customers, moving the frozen clock, and seeing what a
subject still holds (field names only: nothing is decrypted) and what the ledgers recorded.

The example data map's purposes, and which fields each keeps for how long:

    order_fulfilment  contract, P6Y from collection     email name phone address loyalty_id
    fraud_prevention  legit. interests, P2Y, kept on    email phone address date_of_birth
                      objection until retention
    newsletter        consent, P2Y from the grant       email name marketing_preferences
    analytics         consent, P13M from the grant      email date_of_birth country loyalty_id
    personalised_ads  consent, P1Y from the grant       email loyalty_id
    tax_records       legal obligation, P10Y            name address country
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tutela import Tutela
from tutela.clock import FrozenClock
from tutela.core.audit import ChainedEntry
from tutela.retention.sweep import SweepReport
from tutela.testing import PiiCanary

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)


EXTRA = {"date_of_birth": "1980-05-17", "country": "GB", "marketing_preferences": ["email"]}


def customer(canary: PiiCanary, n: int, *extra: str) -> dict[str, Any]:
    """A canary customer: email, name, phone, address and loyalty_id, plus the `extra` fields
    named (date_of_birth, country, marketing_preferences) with fixed values."""
    record: dict[str, Any] = canary.customer(n)
    record.update({name: EXTRA[name] for name in extra})
    return record


BASE = frozenset({"email", "name", "phone", "address", "loyalty_id"})


def move_to(clock: FrozenClock, when: datetime) -> None:
    clock.advance(when - clock.now())


def held(tutela: Tutela, subject_id: str) -> frozenset[str] | None:
    """The fields the subject holds values for, or None once it was erased whole."""
    with tutela.unit_of_work() as uow:
        if tutela.vault.is_erased(uow, subject_id):
            return None
        return tutela.vault.held_fields(uow, subject_id)


def erasure_ledger(tutela: Tutela) -> set[str]:
    with tutela.engine.connect() as conn:
        return set(conn.execute(sa.text("SELECT subject_id FROM erasure")).scalars())


def field_erasure_ledger(tutela: Tutela) -> set[tuple[str, str]]:
    with tutela.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT subject_id, field FROM field_erasure"))
        return {(r[0], r[1]) for r in rows}


def entries(tutela: Tutela, *actions: str) -> list[ChainedEntry]:
    """Audit entries with one of the given actions, in order."""
    return [e for e in tutela.audit_entries() if e.event.action in actions]


Expired = dict[str, tuple[tuple[str, ...], bool]]


def expired(report: SweepReport) -> Expired:
    """A report's expiries as {subject id: (fields, whole subject)}."""
    return {e.subject_id: (e.fields, e.whole_subject) for e in report.expiries}


def sweep_at(tutela: Tutela, clock: FrozenClock, when: datetime, **kwargs: Any) -> Expired:
    """Move the clock to `when`, sweep, and return what the sweep erased."""
    move_to(clock, when)
    report = tutela.sweep(**kwargs)
    assert report.at == when
    return expired(report)
