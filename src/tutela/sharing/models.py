"""The share register: one row per export to a partner. Counts and names, never a subject id
or a value."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tutela.core.storage.base import Base


class ShareExport(Base):
    __tablename__ = "share_export"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    partner: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    subjects: Mapped[int] = mapped_column(Integer)  # eligible subjects read for the export
    rows: Mapped[int] = mapped_column(Integer)  # subjects shared: rows written after suppression
    fields: Mapped[str] = mapped_column(Text)  # JSON list of field names
    format: Mapped[str] = mapped_column(String(8))
    models: Mapped[str] = mapped_column(Text)  # the privacy models met, e.g. "5-anonymity"
    datamap_version: Mapped[str] = mapped_column(String(16))
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    destination: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index(None, "partner", "at"), Index(None, "at"))
