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

    __table_args__ = (Index(None, "status", "due_on"), Index(None, "email_digest"))


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


class RightsDownload(Base):
    """An answer to an access or portability request waiting to be fetched, once.

    The package is sealed under a key derived from the link's secret, which only the
    customer's email holds: the database alone cannot open it. The row is deleted when the
    link is used, when it expires, or when the customer is erased.
    """

    __tablename__ = "rights_download"

    token_digest: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str | None] = mapped_column(String(40))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (Index(None, "subject_id"), Index(None, "expires_at"))


class PortalChallenge(Base):
    """A privacy-center sign-in waiting for its one-time code (only the code's MAC)."""

    __tablename__ = "portal_challenge"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    email_digest: Mapped[bytes] = mapped_column(LargeBinary(16))
    email_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    code_mac: Mapped[bytes] = mapped_column(LargeBinary(32))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer)
    locked: Mapped[bool] = mapped_column(Boolean)


class PortalSession(Base):
    """A signed-in customer (or staff member, `kind` = "staff"). The cookie holds a random
    token; only its SHA-256 is stored, so a copy of the table opens no session."""

    __tablename__ = "portal_session"

    token_digest: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    subject_id: Mapped[str | None] = mapped_column(String(40))
    email_digest: Mapped[bytes | None] = mapped_column(LargeBinary(16))
    email_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    actor_id: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index(None, "expires_at"),)
