"""Demand and township layers: versioned H3 demand cells and township polygons, and GIS views.

Tables ``demand_versions`` / ``demand_cells`` (a snapshot of every cell per version) and
``boundary_versions`` / ``boundary_polygons`` (WGS84 polygons as WKT). Where PostGIS is installed,
``geo.gis`` gives both tables a generated ``geom`` column and the views ``gis_demand_cells`` and
``gis_townships`` that QGIS opens.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "demand_versions",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("user_name", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("file_name", sa.Text, nullable=False, server_default=""),
        sa.Column("sha256", sa.Text, nullable=False, server_default=""),
        sa.Column("mode", sa.Text, nullable=False, server_default=""),
        sa.Column("kind", sa.Text, nullable=False, server_default=""),
        sa.Column("crs", sa.Text, nullable=False, server_default=""),
        sa.Column("resolution", sa.Integer, nullable=False),
        sa.Column("restored_from", sa.Integer, nullable=True),
        sa.Column("cells", sa.Integer, nullable=False),
        sa.Column("pop_total", sa.BigInteger, nullable=False),
        sa.Column("pop_60plus", sa.BigInteger, nullable=False),
        sa.Column("pop_0_3", sa.BigInteger, nullable=False),
        sa.Column("modelled_people", sa.BigInteger, nullable=False),
        sa.Column("people_outside", sa.Float, nullable=False, server_default="0"),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
    )
    op.create_table(
        "demand_cells",
        sa.Column(
            "version",
            sa.Integer,
            sa.ForeignKey("demand_versions.version", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("cell_id", sa.Text, primary_key=True),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("adcode", sa.Integer, nullable=False),
        sa.Column("township_code", sa.Text, nullable=False, server_default=""),
        sa.Column("settlement", sa.Text, nullable=False, server_default=""),
        sa.Column("pop_total", sa.BigInteger, nullable=False),
        sa.Column("pop_60plus", sa.BigInteger, nullable=False),
        sa.Column("pop_0_3", sa.BigInteger, nullable=False),
        sa.Column("modelled_people", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_table(
        "boundary_versions",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("user_name", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("file_name", sa.Text, nullable=False, server_default=""),
        sa.Column("sha256", sa.Text, nullable=False, server_default=""),
        sa.Column("crs", sa.Text, nullable=False, server_default=""),
        sa.Column("name_column", sa.Text, nullable=False, server_default=""),
        sa.Column("code_column", sa.Text, nullable=False, server_default=""),
        sa.Column("restored_from", sa.Integer, nullable=True),
        sa.Column("features", sa.Integer, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
    )
    op.create_table(
        "boundary_polygons",
        sa.Column(
            "version",
            sa.Integer,
            sa.ForeignKey("boundary_versions.version", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("adcode", sa.Integer, nullable=False),
        sa.Column("area_km2", sa.Float, nullable=False),
        sa.Column("geometry_wkt", sa.Text, nullable=False),
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":  # the PostGIS views over these tables (geo.gis)
        op.execute("DROP VIEW IF EXISTS gis_townships")
        op.execute("DROP VIEW IF EXISTS gis_demand_cells")
    op.drop_table("boundary_polygons")
    op.drop_table("boundary_versions")
    op.drop_table("demand_cells")
    op.drop_table("demand_versions")
