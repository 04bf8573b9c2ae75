"""The consent ledger table: append-only events, never updated or deleted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tutela.core.storage.base import Base


class ConsentEvent(Base):
    """One grant or withdrawal by one subject for one purpose, with its signed receipt.

    The current state of a (subject, purpose) is its latest event. `evidence` is a keyed hash
    of what the request looked like (address, user agent), never the raw values.
    """

    __tablename__ = "consent_event"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    receipt_id: Mapped[str] = mapped_column(String(40), unique=True)
    subject_id: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(String(63))
    action: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    datamap_version: Mapped[str] = mapped_column(String(16))
    notice_version: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(16))
    collector: Mapped[str] = mapped_column(String(64))
    evidence: Mapped[bytes | None] = mapped_column(LargeBinary(16))
    receipt: Mapped[str] = mapped_column(Text)  # the signed receipt, canonical JSON

    __table_args__ = (
        Index(None, "subject_id", "purpose", "seq"),
        Index(None, "notice_version"),
    )
