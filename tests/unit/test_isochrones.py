"""Tests of geo.isochrones: the GeoDataFrame and GeoJSON shapes around a travel model."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely

from geo.errors import DataError
from geo.isochrones import ISOCHRONE_COLUMNS, isochrones, to_feature_collection
from geo.travel import MODES, StraightLineModel

ORIGINS = np.array([[109.95, 39.80], [109.97, 39.81], [109.951, 39.801]])


def test_geodataframe_shape_and_nesting() -> None:
    model = StraightLineModel(MODES["elderly_walk"])
    gdf = isochrones(model, ORIGINS, budgets_min=[5, 10, 15])
    assert tuple(gdf.columns) == ISOCHRONE_COLUMNS
    assert gdf.crs.to_epsg() == 4326
    assert gdf["minutes"].tolist() == [5.0, 10.0, 15.0]
    assert set(gdf["mode"]) == {"elderly_walk"}
    assert set(gdf["model"]) == {"straight_line"}
    assert (gdf["speed_m_per_min"] == 48.0).all()
    assert gdf.is_valid.all()
    assert gdf.geometry[2].covers(gdf.geometry[1])
    assert gdf.geometry[1].covers(gdf.geometry[0])
    # Two origins 150 m apart merge into one piece at 5 minutes; the third stands alone.
    assert gdf.geometry[0].geom_type == "MultiPolygon"
    assert len(gdf.geometry[0].geoms) == 2


def test_single_point_origin() -> None:
    gdf = isochrones(StraightLineModel(MODES["walk"]), np.array([109.95, 39.80]), budgets_min=[10])
    assert gdf.geometry[0].contains(shapely.Point(109.95, 39.80))


def test_feature_collection() -> None:
    model = StraightLineModel(MODES["walk"])
    gdf = isochrones(model, ORIGINS[:1], budgets_min=[5, 7.5])
    fc = to_feature_collection(gdf, model_block=model.describe())
    text = json.dumps(fc, allow_nan=False)
    back = json.loads(text)
    assert back["type"] == "FeatureCollection"
    assert [f["properties"] for f in back["features"]] == [
        {"minutes": 5, "mode": "walk", "speed_m_per_min": 60.0, "model": "straight_line"},
        {"minutes": 7.5, "mode": "walk", "speed_m_per_min": 60.0, "model": "straight_line"},
    ]
    assert back["features"][0]["geometry"]["type"] == "Polygon"
    assert back["model"]["detour_factor"] == 1.3
    assert shapely.geometry.shape(back["features"][1]["geometry"]).covers(
        shapely.geometry.shape(back["features"][0]["geometry"])
    )


@pytest.mark.parametrize("budgets", [[], [-5], [float("nan")]])
def test_bad_budgets(budgets: list[float]) -> None:
    with pytest.raises(DataError):
        isochrones(StraightLineModel(MODES["walk"]), ORIGINS, budgets_min=budgets)
