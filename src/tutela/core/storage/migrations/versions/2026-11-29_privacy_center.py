"""Privacy center: one-time download packages, sign-in challenges and sessions.

Revision ID: 2026_11_29_privacy_center
Revises: 2026_11_29_rights
Create Date: 2026-11-29 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_29_privacy_center"
down_revision: str | None = "2026_11_29_rights"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rights_download",
        sa.Column("token_digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.String(length=40), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("token_digest", name=op.f("pk_rights_download")),
    )
    op.create_index(op.f("ix_rights_download_subject_id"), "rights_download", ["subject_id"])
    op.create_index(op.f("ix_rights_download_expires_at"), "rights_download", ["expires_at"])
    op.create_table(
        "portal_challenge",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("email_digest", sa.LargeBinary(length=16), nullable=False),
        sa.Column("email_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("code_mac", sa.LargeBinary(length=32), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_challenge")),
    )
    op.create_table(
        "portal_session",
        sa.Column("token_digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("subject_id", sa.String(length=40), nullable=True),
        sa.Column("email_digest", sa.LargeBinary(length=16), nullable=True),
        sa.Column("email_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("actor_id", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_digest", name=op.f("pk_portal_session")),
    )
    op.create_index(op.f("ix_portal_session_expires_at"), "portal_session", ["expires_at"])
    op.create_index(op.f("ix_rights_request_email_digest"), "rights_request", ["email_digest"])


def downgrade() -> None:
    op.drop_index(op.f("ix_rights_request_email_digest"), table_name="rights_request")
    op.drop_index(op.f("ix_portal_session_expires_at"), table_name="portal_session")
    op.drop_table("portal_session")
    op.drop_table("portal_challenge")
    op.drop_index(op.f("ix_rights_download_expires_at"), table_name="rights_download")
    op.drop_index(op.f("ix_rights_download_subject_id"), table_name="rights_download")
    op.drop_table("rights_download")
