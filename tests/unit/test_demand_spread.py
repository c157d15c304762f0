"""Spreading people onto H3 cells: against tobler's areal interpolation, and invariants (Hypothesis)."""

from __future__ import annotations

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon, box

from geo.crs import ORDOS_METRIC_CRS
from geo.demand_spread import (
    parts_per_side,
    spread_points,
    spread_polygons,
    subsample_offsets,
)

RES = 9


def _cells(pieces: pd.DataFrame) -> pd.Series:
    return pieces.groupby("cell")["pop_total"].sum()


def test_points_go_to_the_cell_that_holds_them() -> None:
    pieces = spread_points([109.98, 109.98001], [39.81, 39.81001], [100.0, 50.0], resolution=10)
    cell = h3.str_to_int(h3.latlng_to_cell(39.81, 109.98, 10))
    assert _cells(pieces).to_dict() == {cell: 150.0}


def test_subsample_offsets_split_a_pixel_into_equal_parts() -> None:
    offsets = subsample_offsets(3)
    assert offsets.shape == (9, 2)
    assert np.allclose(offsets.mean(axis=0), 0.0)
    assert offsets.min() > -0.5 and offsets.max() < 0.5
    assert parts_per_side(100.0, 9) == 1  # a 10 m pixel is far smaller than a cell
    assert parts_per_side(1_000_000.0, 10) >= 16  # a 1 km pixel over ~0.015 km² cells


def test_polygon_spread_matches_tobler_area_interpolation() -> None:
    """Oracle: tobler's area_interpolate on the same H3 hexagons (projected) gives the same people."""
    from tobler.area_weighted import area_interpolate

    polys = [
        Polygon([(109.95, 39.79), (110.0, 39.80), (109.99, 39.83), (109.955, 39.82)]),
        box(109.97, 39.805, 109.985, 39.815),  # overlaps the first: each spreads on its own
    ]
    values = np.array([[7000.0, np.nan, np.nan], [1300.0, np.nan, np.nan]])
    ours = _cells(spread_polygons(polys, values, resolution=RES).pieces)

    cells = sorted(ours.index)
    hexes = [
        shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(h3.int_to_str(c))]) for c in cells
    ]
    target = gpd.GeoDataFrame({"cell": cells}, geometry=hexes, crs=4326).to_crs(ORDOS_METRIC_CRS)
    source = gpd.GeoDataFrame({"pop": values[:, 0]}, geometry=polys, crs=4326).to_crs(ORDOS_METRIC_CRS)
    theirs = area_interpolate(source, target, extensive_variables=["pop"])["pop"].to_numpy()
    assert ours.sum() == pytest.approx(8300.0)
    assert float(np.sum(theirs)) == pytest.approx(8300.0, rel=1e-5)
    # Interior cells take H3's geodesic area, edge cells the projected share: within a fraction of a person.
    assert np.abs(ours.reindex(cells).to_numpy() - theirs).max() < 0.5


def test_cell_weights_move_people_and_fall_back_to_area_without_weight() -> None:
    poly = box(109.95, 39.79, 110.0, 39.83)
    plain = spread_polygons([poly], np.array([[1000.0, np.nan, np.nan]]), resolution=RES)
    cells = _cells(plain.pieces)
    heavy = int(cells.index[0])
    weights = pd.Series({heavy: 10.0})
    dasy = spread_polygons([poly], np.array([[1000.0, np.nan, np.nan]]), resolution=RES, cell_weights=weights)
    got = _cells(dasy.pieces)
    assert got[got > 0].to_dict() == {heavy: pytest.approx(1000.0)}
    none = spread_polygons(
        [poly], np.array([[1000.0, np.nan, np.nan]]), resolution=RES, cell_weights=pd.Series({123: 1.0})
    )
    assert none.by_area == [0]
    assert _cells(none.pieces).sum() == pytest.approx(1000.0)


def test_a_sliver_smaller_than_a_cell_keeps_its_people() -> None:
    sliver = box(109.98, 39.81, 109.98001, 39.81001)
    spread = spread_polygons([sliver], np.array([[42.0, 5.0, 1.0]]), resolution=8)
    assert _cells(spread.pieces).sum() == pytest.approx(42.0)
    assert spread.pieces["a60"].sum() == pytest.approx(5.0)


@settings(max_examples=15, deadline=None)
@given(
    cut=st.floats(min_value=0.1, max_value=0.9),
    vertical=st.booleans(),
    total=st.integers(min_value=100, max_value=200_000),
)
def test_splitting_a_polygon_in_two_gives_the_same_cells(cut: float, vertical: bool, total: int) -> None:
    lon0, lat0, lon1, lat1 = 109.95, 39.79, 109.99, 39.82
    whole = box(lon0, lat0, lon1, lat1)
    if vertical:
        x = lon0 + cut * (lon1 - lon0)
        parts = [box(lon0, lat0, x, lat1), box(x, lat0, lon1, lat1)]
    else:
        y = lat0 + cut * (lat1 - lat0)
        parts = [box(lon0, lat0, lon1, y), box(lon0, y, lon1, lat1)]
    metric = gpd.GeoSeries(parts, crs=4326).to_crs(ORDOS_METRIC_CRS).area.to_numpy()
    shares = metric / metric.sum()
    one = _cells(spread_polygons([whole], np.array([[total, np.nan, np.nan]]), resolution=RES).pieces)
    values = np.column_stack([total * shares, np.full(2, np.nan), np.full(2, np.nan)])
    two = _cells(spread_polygons(parts, values, resolution=RES).pieces)
    assert set(one.index) == set(two.index)
    # Within rounding: the people of a cell differ by far less than one person per 1,000.
    assert np.abs(one - two.reindex(one.index)).max() <= max(1e-6 * total, 1e-6) + 1e-3 * one.max()
