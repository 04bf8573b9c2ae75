"""Data-subject requests, their timeline and identity verification codes; restriction of
processing on subjects.

Revision ID: 2026_11_29_rights
Revises: 2026_11_29_consent
Create Date: 2026-11-29 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_29_rights"
down_revision: str | None = "2026_11_29_consent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("subject", sa.Column("restricted_to", sa.Text(), nullable=True))
    op.create_table(
        "rights_request",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("regime", sa.String(length=8), nullable=False),
        sa.Column("jurisdiction", sa.String(length=8), nullable=True),
        sa.Column("email_digest", sa.LargeBinary(length=16), nullable=False),
        sa.Column("email_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("subject_id", sa.String(length=40), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("latest_extension", sa.Date(), nullable=False),
        sa.Column("acknowledge_by", sa.Date(), nullable=True),
        sa.Column("extension_reason", sa.Text(), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_request")),
    )
    op.create_index(op.f("ix_rights_request_status_due_on"), "rights_request", ["status", "due_on"])
    op.create_table(
        "rights_request_event",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_rights_request_event")),
    )
    op.create_index(
        op.f("ix_rights_request_event_request_id_seq"),
        "rights_request_event",
        ["request_id", "seq"],
    )
    op.create_table(
        "rights_verification",
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("code_mac", sa.LargeBinary(length=32), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_rights_verification")),
    )


def downgrade() -> None:
    with op.batch_alter_table("subject") as batch:
        batch.drop_column("restricted_to")
    op.drop_table("rights_verification")
    op.drop_index(op.f("ix_rights_request_event_request_id_seq"), table_name="rights_request_event")
    op.drop_table("rights_request_event")
    op.drop_index(op.f("ix_rights_request_status_due_on"), table_name="rights_request")
    op.drop_table("rights_request")
