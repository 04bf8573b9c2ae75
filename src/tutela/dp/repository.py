"""All SQL of the privacy-budget ledger."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from tutela.core.storage.base import table_of
from tutela.core.storage.raw import as_datetime
from tutela.dp.models import PrivacyBudget, PrivacyBudgetSpend

_budget = table_of(PrivacyBudget)
_spend = table_of(PrivacyBudgetSpend)


@dataclass(frozen=True)
class BudgetRow:
    id: str
    budget_key: str
    recipient: str
    epsilon: float
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class SpendRow:
    seq: int
    at: datetime
    actor: str
    epsilon: float
    delta: float
    queries: tuple[str, ...]


def _aware(value: Any) -> datetime:
    at = as_datetime(value)
    assert at is not None  # NOT NULL column
    return at


def _budget_row(r: Any) -> BudgetRow:
    m = r._mapping
    return BudgetRow(
        id=m["id"],
        budget_key=m["budget_key"],
        recipient=m["recipient"],
        epsilon=float(m["epsilon"]),
        created_at=_aware(m["created_at"]),
        created_by=m["created_by"],
    )


def lock_budget(conn: Connection, key: str, recipient: str) -> BudgetRow | None:
    """The ledger's budget row, locked until the transaction ends (PostgreSQL `FOR UPDATE`;
    a SQLite transaction already holds the write lock), so two spends queue."""
    row = conn.execute(
        select(_budget)
        .where(_budget.c.budget_key == key, _budget.c.recipient == recipient)
        .with_for_update()
    ).first()
    return _budget_row(row) if row is not None else None


def find_budget(conn: Connection, key: str, recipient: str) -> BudgetRow | None:
    row = conn.execute(
        select(_budget).where(_budget.c.budget_key == key, _budget.c.recipient == recipient)
    ).first()
    return _budget_row(row) if row is not None else None


def create_budget(
    conn: Connection,
    *,
    budget_id: str,
    key: str,
    recipient: str,
    epsilon: float,
    at: datetime,
    actor: str,
) -> None:
    """Insert a budget unless one exists for the key and recipient (a concurrent first spend
    may have created it: the caller then locks and reads that one)."""
    values = {
        "id": budget_id,
        "budget_key": key,
        "recipient": recipient,
        "epsilon": epsilon,
        "created_at": at,
        "created_by": actor,
    }
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.execute(postgresql.insert(_budget).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        conn.execute(sqlite.insert(_budget).values(values).on_conflict_do_nothing())
    else:
        conn.execute(insert(_budget).values(values))


def spent(conn: Connection, budget_id: str) -> float:
    total = conn.execute(
        select(func.coalesce(func.sum(_spend.c.epsilon), 0.0)).where(
            _spend.c.budget_id == budget_id
        )
    ).scalar_one()
    return float(total)


def add_spend(
    conn: Connection,
    budget_id: str,
    *,
    at: datetime,
    actor: str,
    epsilon: float,
    delta: float,
    queries: Sequence[str],
) -> None:
    conn.execute(
        insert(_spend).values(
            budget_id=budget_id,
            at=at,
            actor=actor,
            epsilon=epsilon,
            delta=delta,
            queries=json.dumps(list(queries)),
        )
    )


def budgets(conn: Connection) -> list[tuple[BudgetRow, float]]:
    """Every budget with its spent epsilon, by key then recipient."""
    total = (
        select(_spend.c.budget_id, func.sum(_spend.c.epsilon).label("spent"))
        .group_by(_spend.c.budget_id)
        .subquery()
    )
    rows = conn.execute(
        select(_budget, func.coalesce(total.c.spent, 0.0).label("spent"))
        .outerjoin(total, total.c.budget_id == _budget.c.id)
        .order_by(_budget.c.budget_key, _budget.c.recipient)
    )
    return [(_budget_row(r), float(r._mapping["spent"])) for r in rows]


def spends(conn: Connection, budget_id: str) -> list[SpendRow]:
    rows = conn.execute(
        select(_spend).where(_spend.c.budget_id == budget_id).order_by(_spend.c.seq)
    )
    return [
        SpendRow(
            seq=r.seq,
            at=_aware(r.at),
            actor=r.actor,
            epsilon=float(r.epsilon),
            delta=float(r.delta),
            queries=tuple(json.loads(r.queries)),
        )
        for r in rows
    ]
