"""Pairs of facilities marked "not a duplicate" by data staff.

Kept with the version they were published with, so that the possible-duplicate warning of the pair
does not come back on later imports.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "duplicate_marks",
        sa.Column("id_a", sa.Text, primary_key=True),
        sa.Column("id_b", sa.Text, primary_key=True),
        sa.Column(
            "version", sa.Integer, sa.ForeignKey("versions.version", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("user_name", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("duplicate_marks")
