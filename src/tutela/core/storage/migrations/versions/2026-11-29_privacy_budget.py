"""Privacy-budget ledger (differential privacy) and the register of partner shares.

Revision ID: 2026_11_29_privacy_budget
Revises: 2026_11_29_privacy_center
Create Date: 2026-11-29 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_29_privacy_budget"
down_revision: str | None = "2026_11_29_privacy_center"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "privacy_budget",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("budget_key", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=64), nullable=False),
        sa.Column("epsilon", sa.Double(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_budget")),
        sa.UniqueConstraint(
            "budget_key", "recipient", name=op.f("uq_privacy_budget_budget_key_recipient")
        ),
    )
    op.create_table(
        "privacy_budget_spend",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("budget_id", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("epsilon", sa.Double(), nullable=False),
        sa.Column("delta", sa.Double(), nullable=False),
        sa.Column("queries", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["budget_id"],
            ["privacy_budget.id"],
            name=op.f("fk_privacy_budget_spend_budget_id_privacy_budget"),
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_privacy_budget_spend")),
    )
    op.create_index(
        op.f("ix_privacy_budget_spend_budget_id_seq"),
        "privacy_budget_spend",
        ["budget_id", "seq"],
    )
    op.create_table(
        "share_export",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("partner", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("subjects", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("models", sa.Text(), nullable=False),
        sa.Column("datamap_version", sa.String(length=16), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("destination", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_export")),
    )
    op.create_index(op.f("ix_share_export_partner_at"), "share_export", ["partner", "at"])
    op.create_index(op.f("ix_share_export_at"), "share_export", ["at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_share_export_at"), table_name="share_export")
    op.drop_index(op.f("ix_share_export_partner_at"), table_name="share_export")
    op.drop_table("share_export")
    op.drop_index(op.f("ix_privacy_budget_spend_budget_id_seq"), table_name="privacy_budget_spend")
    op.drop_table("privacy_budget_spend")
    op.drop_table("privacy_budget")
