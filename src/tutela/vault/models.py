"""Vault tables: subjects with their wrapped data key and sealed record, blind indexes, the
erasure ledger and system keys. No column ever holds a plaintext personal value.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, LargeBinary, String, Text
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
    # This subject's blind-index digests (packed like `sealed`), so erasure and updates can
    # delete exactly their index entries without a second index on the subject id.
    digests: Mapped[bytes] = mapped_column(LargeBinary)
    # Purposes still allowed while processing is restricted (comma-separated; NULL: none).
    restricted_to: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    # An ordinary rowid table on SQLite, not WITHOUT ROWID: a sealed record is about 800
    # bytes, and a WITHOUT ROWID b-tree keeps whole rows in its interior pages too (SQLite
    # advises it only for rows under a twentieth of a page). Rows here are appended in rowid
    # order; only the small key index takes the random ids.


class BlindIndexEntry(Base):
    """Keyed HMAC of a searchable field's normalised value: equality search, no decryption.

    One b-tree keyed by what a search asks (field, digest); its entries are removed through
    the digests kept on the subject row, never by a scan.
    """

    __tablename__ = "blind_index"

    field: Mapped[str] = mapped_column(String(63), primary_key=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary(16), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(40), primary_key=True)

    __table_args__ = ({"sqlite_with_rowid": False},)


class Erasure(Base):
    """The erasure ledger: ids only. Restores replay it so an erased customer stays erased."""

    __tablename__ = "erasure"

    subject_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FieldErasure(Base):
    """The field-erasure ledger: which fields of which subject were erased, and when (ids and
    field names only). Restores replay it like the erasure ledger."""

    __tablename__ = "field_erasure"

    subject_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    field: Mapped[str] = mapped_column(String(63), primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)


class ErasureRestriction(Base):
    """The restriction ledger: subjects restricted for good, by an erasure that kept values a
    legal obligation needs, to those purposes (ids and purpose names only). Restores replay it
    like the erasure ledger, so the values kept never serve any other purpose again."""

    __tablename__ = "erasure_restriction"

    subject_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    restricted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    purposes: Mapped[str] = mapped_column(Text)  # comma-separated, sorted


class SystemKey(Base):
    """Secrets other than DEKs (blind-index key, audit key), wrapped by the KEK."""

    __tablename__ = "system_key"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    kek_version: Mapped[int] = mapped_column(Integer)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
