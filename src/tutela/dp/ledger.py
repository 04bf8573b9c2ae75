"""The privacy-budget ledger's rules: a budget per dataset key and recipient, spent only while
it lasts.

A ledger is created by its first spend, which must say the total epsilon; the total is fixed
from then on. Each spend is an append-only event; what is spent is their sum, read under the
budget row's lock, so two spends at once cannot both pass a check that only one of them fits.
A spend beyond the budget is refused, audited as a denial, and leaves nothing behind. Audit
entries name the key, the recipient and epsilons, never a value or a query's categories.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tutela.actor import Actor
from tutela.clock import Clock
from tutela.core.audit import AuditEvent
from tutela.core.crypto import random_id
from tutela.core.uow import UnitOfWork
from tutela.dp import repository
from tutela.dp.errors import (
    BudgetConflict,
    BudgetError,
    BudgetNotSet,
    DpQueryInvalid,
    PrivacyBudgetExceeded,
)

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@:-]{0,63}")
# Epsilons are floats: a budget of 1.0 spent as 0.1 + 0.2 + 0.7 must not be refused for the
# last 1e-16 of rounding.
TOLERANCE = 1e-9
ACTION = "dp.spend"


@dataclass(frozen=True)
class BudgetStatus:
    """A ledger's total and what has been spent of it."""

    key: str
    recipient: str
    budget: float
    spent: float
    created_at: datetime

    @property
    def remaining(self) -> float:
        return max(self.budget - self.spent, 0.0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "budget_key": self.key,
            "recipient": self.recipient,
            "budget": self.budget,
            "spent": self.spent,
            "remaining": self.remaining,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class Spend:
    """One spend event of a ledger."""

    at: datetime
    actor: str
    epsilon: float
    delta: float
    queries: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "actor": self.actor,
            "epsilon": self.epsilon,
            "delta": self.delta,
            "queries": list(self.queries),
        }


def check_name(value: str, where: str) -> str:
    """A budget key or recipient name, or `DpQueryInvalid` naming `where`."""
    if NAME.fullmatch(value) is None:
        raise DpQueryInvalid(where, f"must match {NAME.pattern}")
    return value


def check_epsilon(value: float, where: str) -> float:
    if not (math.isfinite(value) and value > 0):
        raise DpQueryInvalid(where, "must be a positive number")
    return float(value)


class BudgetLedger:
    """Budgets and their spends, in the caller's unit of work."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def check(
        self,
        uow: UnitOfWork,
        key: str,
        recipient: str,
        epsilon: float,
        *,
        budget: float | None,
        actor: Actor,
    ) -> None:
        """Refuse now, before any work, a spend that `spend` would refuse (audited).

        Raises:
            BudgetNotSet, BudgetConflict, PrivacyBudgetExceeded.
        """
        row = repository.find_budget(uow.conn, key, recipient)
        spent = repository.spent(uow.conn, row.id) if row is not None else 0.0
        self._verdict(
            uow,
            key=key,
            recipient=recipient,
            epsilon=epsilon,
            budget=budget,
            row=row,
            spent=spent,
            actor=actor,
        )

    def spend(
        self,
        uow: UnitOfWork,
        key: str,
        recipient: str,
        epsilon: float,
        *,
        delta: float = 0.0,
        budget: float | None,
        actor: Actor,
        queries: Sequence[str],
    ) -> BudgetStatus:
        """Record a spend of `epsilon` (creating the ledger with `budget` on first use).

        Raises:
            BudgetNotSet: no ledger yet and no `budget`.
            BudgetConflict: `budget` differs from the ledger's.
            PrivacyBudgetExceeded: the spend does not fit; nothing is recorded.
        """
        conn = uow.conn
        now = self._clock.now()
        row = repository.lock_budget(conn, key, recipient)
        created = False
        if row is None and budget is not None:
            new_id = random_id("bud")
            repository.create_budget(
                conn,
                budget_id=new_id,
                key=key,
                recipient=recipient,
                epsilon=budget,
                at=now,
                actor=actor.id,
            )
            row = repository.lock_budget(conn, key, recipient)
            created = row is not None and row.id == new_id  # not a concurrent first spend's
        spent = repository.spent(conn, row.id) if row is not None else 0.0
        self._verdict(
            uow,
            key=key,
            recipient=recipient,
            epsilon=epsilon,
            budget=budget,
            row=row,
            spent=spent,
            actor=actor,
        )
        assert row is not None  # a missing ledger is refused by the verdict
        if created:
            uow.record(
                AuditEvent(
                    actor=actor.id,
                    role=actor.role,
                    action="dp.budget",
                    detail=_detail(key, recipient, f"created with epsilon {row.epsilon:g}"),
                )
            )
        repository.add_spend(
            conn, row.id, at=now, actor=actor.id, epsilon=epsilon, delta=delta, queries=queries
        )
        total = spent + epsilon
        uow.record(
            AuditEvent(
                actor=actor.id,
                role=actor.role,
                action=ACTION,
                detail=_detail(
                    key,
                    recipient,
                    f"epsilon {epsilon:g} delta {delta:g}; spent {total:g} of {row.epsilon:g}",
                ),
            )
        )
        return BudgetStatus(key, recipient, row.epsilon, total, row.created_at)

    def status(self, uow: UnitOfWork, key: str, recipient: str) -> BudgetStatus | None:
        row = repository.find_budget(uow.conn, key, recipient)
        if row is None:
            return None
        spent = repository.spent(uow.conn, row.id)
        return BudgetStatus(key, recipient, row.epsilon, spent, row.created_at)

    def listing(self, uow: UnitOfWork) -> list[BudgetStatus]:
        return [
            BudgetStatus(r.budget_key, r.recipient, r.epsilon, spent, r.created_at)
            for r, spent in repository.budgets(uow.conn)
        ]

    def history(self, uow: UnitOfWork, key: str, recipient: str) -> list[Spend]:
        row = repository.find_budget(uow.conn, key, recipient)
        if row is None:
            return []
        return [
            Spend(s.at, s.actor, s.epsilon, s.delta, s.queries)
            for s in repository.spends(uow.conn, row.id)
        ]

    @staticmethod
    def _verdict(
        uow: UnitOfWork,
        *,
        key: str,
        recipient: str,
        epsilon: float,
        budget: float | None,
        row: repository.BudgetRow | None,
        spent: float,
        actor: Actor,
    ) -> None:
        refusal: BudgetError | None = None
        if row is None and budget is None:
            refusal = BudgetNotSet(key, recipient)
        elif row is not None and budget is not None and not _same(budget, row.epsilon):
            refusal = BudgetConflict(key, recipient, row.epsilon, budget)
        else:
            total = row.epsilon if row is not None else budget
            assert total is not None
            if spent + epsilon > total + TOLERANCE:
                refusal = PrivacyBudgetExceeded(
                    key, recipient, epsilon=epsilon, spent=spent, budget=total
                )
        if refusal is not None:
            uow.record_always(
                AuditEvent(
                    actor=actor.id,
                    role=actor.role,
                    action=ACTION,
                    outcome="denied",
                    detail=_detail(key, recipient, f"{type(refusal).__name__} epsilon {epsilon:g}"),
                )
            )
            raise refusal


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b))


def _detail(key: str, recipient: str, text: str) -> str:
    return f"budget {key} recipient {recipient}: {text}"[:256]
