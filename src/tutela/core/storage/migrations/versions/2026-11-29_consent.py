"""Consent ledger, published privacy notices and the field-erasure ledger.

Revision ID: 2026_11_29_consent
Revises: 2026_11_29_api_keys
Create Date: 2026-11-29 11:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_29_consent"
down_revision: str | None = "2026_11_29_api_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consent_event",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("receipt_id", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.String(length=63), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("datamap_version", sa.String(length=16), nullable=False),
        sa.Column("notice_version", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("collector", sa.String(length=64), nullable=False),
        sa.Column("evidence", sa.LargeBinary(length=16), nullable=True),
        sa.Column("receipt", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_consent_event")),
        sa.UniqueConstraint("receipt_id", name=op.f("uq_consent_event_receipt_id")),
    )
    op.create_index(
        op.f("ix_consent_event_subject_id_purpose_seq"),
        "consent_event",
        ["subject_id", "purpose", "seq"],
    )
    op.create_index(op.f("ix_consent_event_notice_version"), "consent_event", ["notice_version"])
    op.create_table(
        "notice_version",
        sa.Column("version", sa.String(length=16), nullable=False),
        sa.Column("datamap_version", sa.String(length=16), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_notice_version")),
    )
    op.create_table(
        "field_erasure",
        sa.Column("subject_id", sa.String(length=40), nullable=False),
        sa.Column("field", sa.String(length=63), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subject_id", "field", "erased_at", name=op.f("pk_field_erasure")),
    )


def downgrade() -> None:
    op.drop_table("field_erasure")
    op.drop_table("notice_version")
    op.drop_index(op.f("ix_consent_event_notice_version"), table_name="consent_event")
    op.drop_index(op.f("ix_consent_event_subject_id_purpose_seq"), table_name="consent_event")
    op.drop_table("consent_event")
