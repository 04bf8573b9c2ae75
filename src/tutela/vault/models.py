"""Vault tables: subjects with their wrapped data key and sealed record, blind indexes, the
erasure ledger and system keys. No column ever holds a plaintext personal value.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from tutela.core.storage.base import Base


class Subject(Base):
    """A customer: opaque id, data key (DEK) wrapped by the KEK, and their sealed values."""

    __tablename__ = "subject"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    dek_version: Mapped[int] = mapped_column(Integer)
    kek_version: Mapped[int] = mapped_column(Integer)
    wrapped_dek: Mapped[bytes] = mapped_column(LargeBinary)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)  # see vault/record.py
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    # On SQLite, a table keyed by a text id is otherwise two b-trees (rowid + key): one here
    # halves the pages each write touches.
    __table_args__ = ({"sqlite_with_rowid": False},)


class BlindIndexEntry(Base):
    """Keyed HMAC of a searchable field's normalised value: equality search, no decryption."""

    __tablename__ = "blind_index"

    subject_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("subject.id", ondelete="CASCADE"), primary_key=True
    )
    field: Mapped[str] = mapped_column(String(63), primary_key=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary(32))

    __table_args__ = (Index(None, "field", "digest"), {"sqlite_with_rowid": False})


class Erasure(Base):
    """The erasure ledger: ids only. Restores replay it so an erased customer stays erased."""

    __tablename__ = "erasure"

    subject_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SystemKey(Base):
    """Secrets other than DEKs (blind-index key, audit key), wrapped by the KEK."""

    __tablename__ = "system_key"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    kek_version: Mapped[int] = mapped_column(Integer)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
