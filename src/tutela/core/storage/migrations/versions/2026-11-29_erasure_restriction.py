"""The restriction ledger: permanent restrictions made by erasures that kept values a legal
obligation needs, replayed on restore like the erasure ledger.

Revision ID: 2026_11_29_erasure_restriction
Revises: 2026_11_29_privacy_budget
Create Date: 2026-11-29 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_29_erasure_restriction"
down_revision: str | None = "2026_11_29_privacy_budget"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erasure_restriction",
        sa.Column("subject_id", sa.String(length=40), nullable=False),
        sa.Column("restricted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purposes", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("subject_id", "restricted_at", name=op.f("pk_erasure_restriction")),
    )


def downgrade() -> None:
    op.drop_table("erasure_restriction")
