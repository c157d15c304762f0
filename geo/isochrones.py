"""Reachable-area polygons (isochrones) for drawing: one per time budget, nested, in WGS84.

The numbers of the coverage model come from the demand cells, not from these polygons; the polygons
show where a facility (or a set of facilities, or a resident's point) reaches within 5, 10, 15 … minutes.
Each travel model builds its own shapes (:meth:`geo.travel.TravelModel.isochrones`): circles of radius
speed × minutes ÷ detour for the straight-line model, buffered reached edges for the network model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import mapping

from geo.errors import DataError
from geo.travel import TravelModel, as_lonlat, check_budget

ISOCHRONE_COLUMNS = ("minutes", "mode", "speed_m_per_min", "model", "geometry")


def isochrones(
    model: TravelModel, origins_lonlat: np.ndarray, *, budgets_min: Sequence[float]
) -> gpd.GeoDataFrame:
    """Isochrone polygons of a set of origins, one row per budget.

    Parameters
    ----------
    model
        The travel model that decides the shapes.
    origins_lonlat
        ``(n, 2)`` WGS84 lon, lat of the facilities or the point the areas are reached from.
    budgets_min
        Travel-time budgets in minutes (e.g. ``[5, 10, 15]``); rows follow this order.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``minutes, mode, speed_m_per_min, model, geometry`` in EPSG:4326; geometries are
        valid and nested (a larger budget's area covers a smaller one's).

    Raises
    ------
    DataError
        When no budget is given, a budget is negative or not finite, or the origins are malformed.
    """
    budgets = [check_budget(b) for b in budgets_min]
    if not budgets:
        msg = "isochrones: give at least one budget in minutes, e.g. 5,10,15"
        raise DataError(msg)
    origins = as_lonlat(origins_lonlat, what="origins")
    geoms = model.isochrones(origins, budgets_min=budgets)
    geoms = [g if g.is_valid else shapely.make_valid(g) for g in geoms]
    return gpd.GeoDataFrame(
        {
            "minutes": budgets,
            "mode": [model.mode.name] * len(budgets),
            "speed_m_per_min": [float(model.mode.speed_m_per_min)] * len(budgets),
            "model": [model.name] * len(budgets),
        },
        geometry=geoms,
        crs="EPSG:4326",
    )


def to_feature_collection(
    gdf: gpd.GeoDataFrame, *, model_block: dict[str, object] | None = None
) -> dict[str, Any]:
    """Isochrones as a GeoJSON FeatureCollection, one feature per budget.

    Parameters
    ----------
    gdf
        The result of :func:`isochrones`.
    model_block
        Optional ``model.describe()`` added as a top-level ``"model"`` member so the file says how it was
        made (GeoJSON readers ignore unknown members).

    Returns
    -------
    dict
        ``{"type": "FeatureCollection", "features": [...]}``; each feature's properties are ``minutes``,
        ``mode``, ``speed_m_per_min`` and ``model``.
    """
    features = []
    for row in gdf.itertuples(index=False):
        minutes = float(row.minutes)
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "minutes": int(minutes) if minutes.is_integer() else minutes,
                    "mode": str(row.mode),
                    "speed_m_per_min": round(float(row.speed_m_per_min), 6),
                    "model": str(row.model),
                },
                "geometry": mapping(row.geometry),
            }
        )
    out: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if model_block is not None:
        out["model"] = model_block
    return out
