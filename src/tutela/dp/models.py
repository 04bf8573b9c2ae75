"""The privacy-budget ledger: one budget per dataset key and recipient, and its append-only
spend events (never updated or deleted). Holds names and epsilons, never a value."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Double, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tutela.core.storage.base import Base


class PrivacyBudget(Base):
    """The total epsilon a recipient may spend on one dataset, fixed when created."""

    __tablename__ = "privacy_budget"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    budget_key: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(64))
    epsilon: Mapped[float] = mapped_column(Double)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(128))

    __table_args__ = (UniqueConstraint("budget_key", "recipient"),)


class PrivacyBudgetSpend(Base):
    """One release paid from a budget: its epsilon (and delta) and the queries' labels."""

    __tablename__ = "privacy_budget_spend"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    budget_id: Mapped[str] = mapped_column(String(40), ForeignKey("privacy_budget.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    epsilon: Mapped[float] = mapped_column(Double)
    delta: Mapped[float] = mapped_column(Double)
    queries: Mapped[str] = mapped_column(Text)  # JSON list of labels ("mean amount")

    __table_args__ = (Index(None, "budget_id", "seq"),)
