"""Saved coverage analyses: the parameters of each saved run and its result per demand cell.

``python -m geo coverage … --save`` writes one ``analyses`` row and one ``analysis_cells`` row per
demand cell; where PostGIS is installed the ``gis_coverage`` view shows the newest (``geo.gis``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analyses",
        sa.Column("analysis_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("user_name", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False, server_default=""),
        sa.Column("types", sa.Text, nullable=False),
        sa.Column("budget_min", sa.Float, nullable=False),
        sa.Column("mode", sa.Text, nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("facilities_version", sa.Integer, nullable=False),
        sa.Column("model_json", sa.Text, nullable=False),
        sa.Column("demand_source", sa.Text, nullable=False),
        sa.Column("demand_modelled", sa.Boolean, nullable=False),
        sa.Column("cells", sa.Integer, nullable=False),
        sa.Column("totals_json", sa.Text, nullable=False),
    )
    op.create_table(
        "analysis_cells",
        sa.Column(
            "analysis_id",
            sa.Integer,
            sa.ForeignKey("analyses.analysis_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("cell_id", sa.Text, primary_key=True),
        sa.Column("adcode", sa.BigInteger, nullable=True),
        sa.Column("township_code", sa.Text, nullable=True),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("boundary_wkt", sa.Text, nullable=True),
        sa.Column("pop_total", sa.Float, nullable=False),
        sa.Column("pop_60plus", sa.Float, nullable=False),
        sa.Column("pop_0_3", sa.Float, nullable=False),
        sa.Column("minutes", sa.Float, nullable=True),
        sa.Column("tier_min", sa.Float, nullable=True),
        sa.Column("covered", sa.Boolean, nullable=False),
        sa.Column("nearest_facility_id", sa.Text, nullable=True),
        sa.Column("access_per_1000", sa.Float, nullable=True),
        sa.Column("facilities_in_reach", sa.Integer, nullable=True),
        sa.Column("oversubscribed", sa.Boolean, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("analysis_cells")
    op.drop_table("analyses")
