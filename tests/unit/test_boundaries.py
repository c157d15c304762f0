"""Township boundaries: names and codes, repairs, clipping, and which township each cell is in."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Polygon, box

from geo.boundaries import assign_townships, validate_boundaries
from tests.unit._demand_files import BEIJING_BOX, DONGSHENG_BOX, KANGBASHI_BOX, to_gcj02, vector_bytes


def _towns(names, boxes, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"名称": names, **cols}, geometry=[box(*b) for b in boxes], crs=4326)


def test_codes_matched_by_name_or_made_and_said_so(tmp_path: Path) -> None:
    gdf = _towns(["交通街道", "新区街道"], [DONGSHENG_BOX, (109.90, 39.79, 109.94, 39.83)])
    result = validate_boundaries(vector_bytes(gdf, "geojson", tmp_path), file_name="t.geojson")
    assert not result.has_errors
    assert result.townships["code"].tolist() == ["150602001", "150602B01"]
    assert result.townships["adcode"].tolist() == [150602, 150602]
    made = [i for i in result.issues if i.code == "code_made"]
    assert made and "新区街道" in made[0].message_zh and "150602B01" in made[0].message_en
    assert result.name_column == "名称" and result.code_column == ""


def test_gcj02_boundaries_and_self_intersections(tmp_path: Path) -> None:
    lon0, lat0, lon1, lat1 = KANGBASHI_BOX
    bowtie = Polygon([(lon0, lat0), (lon1, lat1), (lon1, lat0), (lon0, lat1)])
    gdf = gpd.GeoDataFrame(
        {"XZQMC": ["康新街道", "蝴蝶"], "XZQDM": ["150603001", "150603999"]},
        geometry=[box(*DONGSHENG_BOX), bowtie],
        crs=4326,
    )
    result = validate_boundaries(
        vector_bytes(to_gcj02(gdf), "gpkg", tmp_path), file_name="t.gpkg", crs="gcj02"
    )
    assert not result.has_errors, [i.text() for i in result.issues]
    assert result.code_column == "XZQDM" and result.crs == "gcj02"
    # Back in WGS84 within a metre or so of the drawn box.
    first = result.townships.set_index("code").loc["150603001", "geometry"]
    assert np.allclose(first.bounds, DONGSHENG_BOX, atol=2e-5)
    assert any(i.code == "repaired" and i.where == "要素 2 feature 2" for i in result.issues)


def test_outside_and_overlapping_townships(tmp_path: Path) -> None:
    gdf = _towns(
        ["甲", "乙", "丙"],
        [DONGSHENG_BOX, (109.98, 39.80, 110.02, 39.84), BEIJING_BOX],
        code=["150602901", "150602902", "110101001"],
    )
    result = validate_boundaries(vector_bytes(gdf, "geojson", tmp_path), file_name="t.geojson")
    assert not result.has_errors
    assert result.townships["code"].tolist() == ["150602901", "150602902"]
    codes = {i.code for i in result.issues}
    assert {"outside_ordos", "overlap"} <= codes
    only_beijing = validate_boundaries(
        vector_bytes(gdf.iloc[[2]], "geojson", tmp_path), file_name="b.geojson"
    )
    assert only_beijing.has_errors and only_beijing.issues[-1].code == "outside_ordos"
    assert "covers no part of Ordos" in only_beijing.issues[-1].message_en


def test_blank_names_and_points_are_refused(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"name": ["", "乙"]},
        geometry=[box(*DONGSHENG_BOX), box(*KANGBASHI_BOX).centroid],
        crs=4326,
    )
    result = validate_boundaries(vector_bytes(gdf, "geojson", tmp_path), file_name="t.geojson")
    codes = [(i.where, i.code) for i in result.issues if i.severity == "error"]
    assert ("要素 1 feature 1", "blank_name") in codes and ("要素 2 feature 2", "not_polygon") in codes
    assert result.townships.empty
    assert validate_boundaries(b"not a map", file_name="x.csv").has_errors


def test_assign_townships_prefers_polygons_then_free_modelled_seats() -> None:
    cells = pd.DataFrame(
        {
            "lon": [109.97, 109.999, 109.50, 109.78],
            "lat": [39.81, 39.81, 39.80, 39.60],
            "adcode": [150602, 150602, 150602, 150603],
            "township_code": ["150602001", "150602002", "150602001", ""],
        }
    )
    towns = gpd.GeoDataFrame(
        {"code": ["150602001"], "adcode": [150602]}, geometry=[box(109.95, 39.79, 109.998, 39.83)], crs=4326
    )
    seats = pd.DataFrame(
        {
            "code": ["150602001", "150602101", "150603001"],
            "adcode": [150602, 150602, 150603],
            "lon": [109.97, 109.5, 109.78],
            "lat": [39.81, 39.8, 39.6],
        }
    )
    codes = assign_townships(cells, towns, seats=seats).tolist()
    # Inside; 85 m from the edge (a sliver); far away with a code that now has a polygon → nearest free
    # seat of its district; a cell without a code → its district's seat.
    assert codes == ["150602001", "150602001", "150602101", "150603001"]
    assert assign_townships(cells, None, seats=seats).tolist() == [
        "150602001",
        "150602002",
        "150602001",
        "150603001",
    ]
