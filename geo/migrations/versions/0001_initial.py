"""The schema of version 1: versions, facility_rows and users.

Exactly what ``metadata.create_all`` made before migrations existed, spelled out so that later
changes to ``geo.store`` or ``geo.schema`` never change this revision. Databases made by version 1
are recognised and stamped at this revision (``geo.migrate``).

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "versions",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("user_name", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("file_name", sa.Text, nullable=False, server_default=""),
        sa.Column("sha256", sa.Text, nullable=False, server_default=""),
        sa.Column("mode", sa.Text, nullable=False, server_default=""),
        sa.Column("restored_from", sa.Integer, nullable=True),
        sa.Column("added", sa.Integer, nullable=False),
        sa.Column("changed", sa.Integer, nullable=False),
        sa.Column("removed", sa.Integer, nullable=False),
        sa.Column("unchanged", sa.Integer, nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
    )
    op.create_table(
        "facility_rows",
        sa.Column(
            "version", sa.Integer, sa.ForeignKey("versions.version", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("facility_id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=True),
        sa.Column("category", sa.Text, nullable=True),
        sa.Column("type", sa.Text, nullable=True),
        sa.Column("district_adcode", sa.BigInteger, nullable=True),
        sa.Column("township", sa.Text, nullable=True),
        sa.Column("address", sa.Text, nullable=True),
        sa.Column("lon", sa.Float, nullable=True),
        sa.Column("lat", sa.Float, nullable=True),
        sa.Column("capacity", sa.BigInteger, nullable=True),
        sa.Column("capacity_unit", sa.Text, nullable=True),
        sa.Column("available_places", sa.BigInteger, nullable=True),
        sa.Column("opening_hours", sa.Text, nullable=True),
        sa.Column("phone", sa.Text, nullable=True),
        sa.Column("services", sa.Text, nullable=True),
        sa.Column("status", sa.Text, nullable=True),
        sa.Column("updated_at", sa.Text, nullable=True),
        sa.Column("source", sa.Text, nullable=True),
    )
    op.create_table(
        "users",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_failed_at", sa.Text, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("users")
    op.drop_table("facility_rows")
    op.drop_table("versions")
