"""SQLite: the subject table becomes an ordinary rowid table.

A WITHOUT ROWID b-tree stores whole rows in its interior pages as well as its leaves; with
sealed records of about 800 bytes that gave a fan-out of a few rows per page and a random
write to a deep tree for every new subject. As a rowid table, rows are appended and only the
primary-key index (the random ids) is written at random. PostgreSQL is unchanged.

Revision ID: 2026_11_29_subject_rowid
Revises: 2026_11_29_erasure_restriction
Create Date: 2026-11-29 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_29_subject_rowid"
down_revision: str | None = "2026_11_29_erasure_restriction"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COPY = (
    "INSERT INTO subject_rebuilt (id, dek_version, kek_version, wrapped_dek, sealed, digests, "
    "restricted_to, created_at, updated_at) "
    "SELECT id, dek_version, kek_version, wrapped_dek, sealed, digests, restricted_to, "
    "created_at, updated_at FROM subject ORDER BY created_at, id"
)


def _rebuild(*, with_rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.create_table(
        "subject_rebuilt",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("dek_version", sa.Integer(), nullable=False),
        sa.Column("kek_version", sa.Integer(), nullable=False),
        sa.Column("wrapped_dek", sa.LargeBinary(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("digests", sa.LargeBinary(), nullable=False),
        sa.Column("restricted_to", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject")),
        sqlite_with_rowid=with_rowid,
    )
    # Oldest first, so existing rows keep roughly the order new ones are appended in.
    op.execute(_COPY)
    op.drop_table("subject")
    op.rename_table("subject_rebuilt", "subject")


def upgrade() -> None:
    _rebuild(with_rowid=True)


def downgrade() -> None:
    _rebuild(with_rowid=False)
