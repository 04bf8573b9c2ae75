"""Published privacy notice versions: every notice ever shown, named by content hash."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tutela.core.storage.base import Base


class NoticeVersion(Base):
    __tablename__ = "notice_version"

    version: Mapped[str] = mapped_column(String(16), primary_key=True)
    datamap_version: Mapped[str] = mapped_column(String(16))
    document: Mapped[str] = mapped_column(Text)  # the notice's canonical JSON
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
