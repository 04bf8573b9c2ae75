"""Stored data map versions: every map ever applied, named by content hash."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tutela.core.storage.base import Base


class DataMapVersion(Base):
    __tablename__ = "datamap_version"

    version: Mapped[str] = mapped_column(String(16), primary_key=True)
    document: Mapped[str] = mapped_column(Text)  # the YAML as applied
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
