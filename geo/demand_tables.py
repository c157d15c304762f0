"""The tables of the demand and township layers (``geo.demand_store`` reads and writes them).

Part of the store's schema: they live on ``geo.store.metadata`` (``geo.store`` imports this module),
and revision ``0003`` of ``geo/migrations`` creates them.
"""

from __future__ import annotations

import sqlalchemy as sa

from geo.store import metadata

__all__ = ["boundary_polygons", "boundary_versions", "demand_cells", "demand_versions"]

demand_versions = sa.Table(
    "demand_versions",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("user_name", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),  # init | import | restore
    sa.Column("file_name", sa.Text, nullable=False, server_default=""),
    sa.Column("sha256", sa.Text, nullable=False, server_default=""),
    sa.Column("mode", sa.Text, nullable=False, server_default=""),  # replace | patch | ""
    sa.Column("kind", sa.Text, nullable=False, server_default=""),  # sample | raster | polygons | points
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

demand_cells = sa.Table(
    "demand_cells",
    metadata,
    sa.Column(
        "version", sa.Integer, sa.ForeignKey("demand_versions.version", ondelete="CASCADE"), primary_key=True
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

boundary_versions = sa.Table(
    "boundary_versions",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("user_name", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),  # import | restore
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

boundary_polygons = sa.Table(
    "boundary_polygons",
    metadata,
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
    sa.Column("geometry_wkt", sa.Text, nullable=False),  # WGS84 (EPSG:4326)
)
