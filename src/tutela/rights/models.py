"""Data-subject requests, their timeline and their identity verification codes.

No column holds a personal value in the clear: the requester's email is sealed under the
requests key (and cleared when the request closes) and matched through a keyed digest.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tutela.core.storage.base import Base


class RightsRequest(Base):
    __tablename__ = "rights_request"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24))
    regime: Mapped[str] = mapped_column(String(8))
    jurisdiction: Mapped[str | None] = mapped_column(String(8))
    email_digest: Mapped[bytes] = mapped_column(LargeBinary(16))
    email_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    subject_id: Mapped[str | None] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_on: Mapped[date] = mapped_column(Date)
    latest_extension: Mapped[date] = mapped_column(Date)
    acknowledge_by: Mapped[date | None] = mapped_column(Date)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(Text)  # JSON: ids, field names, reasons

    __table_args__ = (Index(None, "status", "due_on"),)


class RightsRequestEvent(Base):
    """One step of a request's timeline (status change, extension, note)."""

    __tablename__ = "rights_request_event"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index(None, "request_id", "seq"),)


class VerificationCode(Base):
    """A one-time code proving control of the requester's email: only its keyed MAC."""

    __tablename__ = "rights_verification"

    request_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code_mac: Mapped[bytes] = mapped_column(LargeBinary(32))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer)
    locked: Mapped[bool] = mapped_column(Boolean)
