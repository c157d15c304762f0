"""Demand import: rasters, polygons and points in several CRS into H3 cells; bad files as bilingual issues."""

from __future__ import annotations

import io
import zipfile

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon, box

from geo import io as gio
from geo.demand import DemandLimits, DemandSettings, largest_remainder, validate_demand
from tests.unit._demand_files import (
    BEIJING_BOX,
    DONGSHENG_BOX,
    KANGBASHI_BOX,
    both_languages,
    polygons_frame,
    raster_bytes,
    raster_over,
    to_gcj02,
    vector_bytes,
)

DONGSHENG, KANGBASHI = 150602, 150603


@pytest.fixture(scope="module")
def districts() -> gpd.GeoDataFrame:
    return gio.read_districts()


@pytest.fixture(scope="module")
def census() -> pd.DataFrame:
    return gio.read_census()


def _check(data: bytes, name: str, districts: gpd.GeoDataFrame, census: pd.DataFrame, **settings: object):
    weights = settings.pop("weights", None)
    return validate_demand(
        data,
        file_name=name,
        settings=DemandSettings(**settings),  # type: ignore[arg-type]
        districts=districts,
        census=census,
        weights=weights,  # type: ignore[arg-type]
        weights_name="weights.tif" if weights is not None else "",
    )


def _errors(result) -> list:
    return [i for i in result.issues if i.severity == "error"]


# --- rasters ------------------------------------------------------------------------------------


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:3857", "EPSG:4490", "EPSG:32649"])
def test_raster_in_any_crs_keeps_its_people_in_the_right_district(crs, districts, census) -> None:
    data, total = raster_over(DONGSHENG_BOX, crs=crs, pixel_m=250.0)
    result = _check(data, "pop.tif", districts, census, resolution=9)
    assert not result.has_errors, [i.text() for i in result.issues]
    assert result.kind == "raster" and result.crs == crs
    assert result.people_in_file == pytest.approx(total, rel=1e-6)
    assert result.people_outside == 0
    # Whole people per cell, adding up to the file's total (to rounding of the total itself).
    assert int(result.cells["pop_total"].sum()) == round(total)
    assert set(result.cells["adcode"]) == {DONGSHENG}
    row = result.districts.set_index("adcode").loc[DONGSHENG]
    assert row["people_in_file"] == pytest.approx(total, rel=1e-6)
    assert row["ages_60plus_from"] == "census" and row["ages_0_3_from"] == "census"
    # 60+ from Dongsheng's census share (11.58 %).
    assert int(result.cells["pop_60plus"].sum()) == pytest.approx(0.1158 * total, abs=2)
    assert all(h3.get_resolution(c) == 9 for c in result.cells["cell_id"])


def test_coarse_raster_pixels_are_split_over_cells_by_area(districts, census) -> None:
    # 1 km pixels against resolution-10 cells (about 0.015 km²): each pixel's people spread over ~70 cells.
    lon0, lat1 = 109.95, 39.83
    pixel = 0.0117  # about 1 km north-south
    values = np.array([[1000.0, 0.0], [0.0, 500.0]])
    data = raster_bytes(values, crs="EPSG:4326", origin=(lon0, lat1), pixel=pixel)
    result = _check(data, "coarse.tif", districts, census, resolution=10)
    assert not result.has_errors, [i.text() for i in result.issues]
    assert int(result.cells["pop_total"].sum()) == 1500
    assert len(result.cells) > 100
    # People stay on their own pixel: the cells of the empty pixels' quarter hold nobody but edge cells.
    top_left = box(lon0, lat1 - pixel, lon0 + pixel, lat1)
    bottom_right = box(lon0 + pixel, lat1 - 2 * pixel, lon0 + 2 * pixel, lat1 - pixel)
    pts = shapely.points(result.cells["lon"], result.cells["lat"])
    in_tl = result.cells.loc[shapely.contains(top_left, pts), "pop_total"].sum()
    in_br = result.cells.loc[shapely.contains(bottom_right, pts), "pop_total"].sum()
    assert in_tl == pytest.approx(1000, rel=0.05)
    assert in_br == pytest.approx(500, rel=0.05)


def test_raster_age_bands_are_used_instead_of_census_shares(districts, census) -> None:
    bands = np.stack([np.full((10, 10), 10.0), np.full((10, 10), 3.0), np.full((10, 10), 0.5)])
    data = raster_bytes(bands, crs="EPSG:4326", origin=(109.96, 39.82), pixel=0.001)
    result = _check(data, "ages.tif", districts, census, age60_column="2", age0_3_column="3")
    assert not result.has_errors
    assert int(result.cells["pop_60plus"].sum()) == 300
    assert int(result.cells["pop_0_3"].sum()) == 50
    assert result.districts["ages_60plus_from"].tolist() == ["file"]
    assert not [i for i in result.issues if i.code == "ages_from_census"]


def test_raster_nodata_is_skipped(districts, census) -> None:
    values = np.full((10, 10), 4.0)
    values[:5] = -99999.0
    data = raster_bytes(values, crs="EPSG:4326", origin=(109.96, 39.82), pixel=0.001)
    result = _check(data, "pop.tif", districts, census)
    assert not result.has_errors
    assert int(result.cells["pop_total"].sum()) == 200


# --- polygons -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "crs"), [("geojson", "EPSG:4326"), ("gpkg", "EPSG:3857"), ("zip", "EPSG:32649")]
)
def test_polygons_in_each_format_land_in_their_districts(fmt, crs, districts, census, tmp_path) -> None:
    gdf = polygons_frame([DONGSHENG_BOX, KANGBASHI_BOX], [12_000, 3_000], code=["A1", "B2"]).to_crs(crs)
    result = _check(vector_bytes(gdf, fmt, tmp_path), f"villages.{fmt}", districts, census, resolution=9)
    assert not result.has_errors, [i.text() for i in result.issues]
    assert result.kind == "polygons" and result.crs == crs
    by = result.cells.groupby("adcode")["pop_total"].sum()
    assert by.to_dict() == {DONGSHENG: 12_000, KANGBASHI: 3_000}
    table = result.districts.set_index("adcode")
    assert table.loc[DONGSHENG, "people_in_file"] == pytest.approx(12_000)
    assert table.loc[KANGBASHI, "pop_total"] == 3_000


def test_gcj02_polygons_with_crs_option_match_the_wgs84_file(districts, census, tmp_path) -> None:
    wgs = polygons_frame([DONGSHENG_BOX], [9_000])
    plain = _check(vector_bytes(wgs, "geojson", tmp_path), "a.geojson", districts, census, resolution=8)
    shifted = vector_bytes(to_gcj02(wgs), "geojson", tmp_path)
    converted = _check(shifted, "b.geojson", districts, census, resolution=8, crs="gcj02")
    unconverted = _check(shifted, "b.geojson", districts, census, resolution=8)
    assert converted.crs == "gcj02"
    a = plain.cells.set_index("cell_id")["pop_total"]
    b = converted.cells.set_index("cell_id")["pop_total"]
    assert set(a.index) == set(b.index)
    assert (a - b.reindex(a.index)).abs().max() <= 1
    # Read as WGS84, the ~500 m offset moves people between cells.
    c = unconverted.cells.set_index("cell_id")["pop_total"]
    assert (a - c.reindex(a.index).fillna(0)).abs().sum() > 100


def test_polygon_ages_from_columns_and_census_elsewhere(districts, census, tmp_path) -> None:
    gdf = polygons_frame([DONGSHENG_BOX, KANGBASHI_BOX], [1000, 2000], old=[150, None], small=[30, None])
    data = vector_bytes(gdf, "geojson", tmp_path)
    result = _check(data, "v.geojson", districts, census, age60_column="old", age0_3_column="small")
    assert not result.has_errors
    by = result.cells.groupby("adcode")[["pop_60plus", "pop_0_3"]].sum()
    assert by.loc[DONGSHENG, "pop_60plus"] == 150 and by.loc[DONGSHENG, "pop_0_3"] == 30
    # Kangbashi's blank ages come from its census share (8.78 % aged 60+).
    assert by.loc[KANGBASHI, "pop_60plus"] == pytest.approx(0.0878 * 2000, abs=1)
    table = result.districts.set_index("adcode")
    assert table.loc[DONGSHENG, "ages_60plus_from"] == "file"
    assert table.loc[KANGBASHI, "ages_60plus_from"] == "census"
    census_notes = [i for i in result.issues if i.code == "ages_from_census"]
    assert census_notes and all(
        "康巴什区" in i.message_zh and "Kangbashi" in i.message_en for i in census_notes
    )
    assert any(i.code == "age_blank" for i in result.issues)


def test_people_outside_ordos_are_clipped_and_counted(districts, census, tmp_path) -> None:
    inside = polygons_frame([DONGSHENG_BOX], [4000])
    outside = polygons_frame([BEIJING_BOX], [6000])
    gdf = pd.concat([inside, outside], ignore_index=True)
    result = _check(
        vector_bytes(gpd.GeoDataFrame(gdf, crs=4326), "geojson", tmp_path), "v.geojson", districts, census
    )
    assert not result.has_errors
    assert result.people_in_file == 10_000
    assert result.people_outside == pytest.approx(6000)
    assert int(result.cells["pop_total"].sum()) == 4000
    warnings = [i for i in result.issues if i.code == "outside_ordos"]
    assert any(i.where.startswith("要素 2") for i in warnings)
    assert any("6,000" in i.message_zh and "6,000" in i.message_en for i in warnings)


def test_dasymetric_weights_put_people_where_the_weights_are(districts, census, tmp_path) -> None:
    gdf = polygons_frame([DONGSHENG_BOX], [10_000])
    # Weights only on the box's western half.
    lon0, _, lon1, lat1 = DONGSHENG_BOX
    values = np.zeros((40, 50))
    values[:, :25] = 1.0
    pixel = (lon1 - lon0) / 50
    weights = raster_bytes(values, crs="EPSG:4326", origin=(lon0, lat1), pixel=pixel)
    by_area = _check(vector_bytes(gdf, "geojson", tmp_path), "v.geojson", districts, census, resolution=9)
    dasy = _check(
        vector_bytes(gdf, "geojson", tmp_path), "v.geojson", districts, census, resolution=9, weights=weights
    )
    assert not dasy.has_errors, [i.text() for i in dasy.issues]
    mid = (lon0 + lon1) / 2
    west = lambda r: r.cells.loc[r.cells["lon"] < mid, "pop_total"].sum()  # noqa: E731
    assert int(dasy.cells["pop_total"].sum()) == 10_000
    assert west(by_area) == pytest.approx(5000, rel=0.08)
    assert west(dasy) > 9_500


# --- points -------------------------------------------------------------------------------------


def test_points_with_residents_and_households(districts, census) -> None:
    text = "小区名称,经度,纬度,常住人口\n东胜一号院,109.9800,39.8100,1200\n康巴什花园,109.7800,39.6050,800\n"
    result = _check(text.encode("utf-8"), "compounds.csv", districts, census)
    assert not result.has_errors
    assert result.cells.groupby("adcode")["pop_total"].sum().to_dict() == {DONGSHENG: 1200, KANGBASHI: 800}
    households = "name,lon,lat,households\nA,109.98,39.81,100\nB,109.99,39.815,40\n"
    missing = _check(households.encode(), "h.csv", districts, census)
    assert [i.code for i in _errors(missing)] == ["no_household_size"]
    assert both_languages(_errors(missing)[0].message_zh + _errors(missing)[0].message_en)
    sized = _check(households.encode(), "h.csv", districts, census, household_size=2.5)
    assert int(sized.cells["pop_total"].sum()) == 350


def test_points_in_gcj02_are_converted(districts, census) -> None:
    from geo.crs import wgs84_to_gcj02

    lon, lat = wgs84_to_gcj02(109.9800, 39.8100)
    text = f"name,lon,lat,pop\nA,{lon:.7f},{lat:.7f},500\n"
    result = _check(text.encode(), "p.csv", districts, census, crs="gcj02", resolution=10)
    assert result.cells["cell_id"].tolist() == [h3.latlng_to_cell(39.8100, 109.9800, 10)]


# --- bad files: each a clear message in both languages, no cells -----------------------------------


def _bad(result, code: str) -> None:
    errors = _errors(result)
    assert result.has_errors and result.cells.empty
    assert code in [e.code for e in errors], [e.text() for e in result.issues]
    for e in errors:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in e.message_zh)
        assert any(ch.isalpha() and ch.isascii() for ch in e.message_en)


def test_empty_and_all_zero_rasters(districts, census) -> None:
    _bad(_check(b"", "pop.tif", districts, census), "empty_file")
    zeros = raster_bytes(np.zeros((5, 5)), crs="EPSG:4326", origin=(109.96, 39.82), pixel=0.001)
    _bad(_check(zeros, "pop.tif", districts, census), "no_people")


def test_all_nodata_raster(districts, census) -> None:
    data = raster_bytes(np.full((5, 5), -99999.0), crs="EPSG:4326", origin=(109.96, 39.82), pixel=0.001)
    result = _check(data, "pop.tif", districts, census)
    _bad(result, "all_nodata")
    assert "-99999" in _errors(result)[0].message_en


def test_raster_with_wrong_or_no_crs(districts, census) -> None:
    # Degrees declared as Web Mercator metres.
    wrong = raster_bytes(np.ones((5, 5)), crs="EPSG:3857", origin=(109.96, 39.82), pixel=0.001)
    result = _check(wrong, "pop.tif", districts, census)
    _bad(result, "crs_mismatch")
    assert "EPSG:3857" in _errors(result)[0].message_en and "--crs" in _errors(result)[0].message_zh
    # The same raster with the right CRS given reads fine.
    fixed = _check(wrong, "pop.tif", districts, census, crs="EPSG:4326")
    assert not fixed.has_errors and int(fixed.cells["pop_total"].sum()) == 25
    none = raster_bytes(np.ones((5, 5)), crs=None, origin=(109.96, 39.82), pixel=0.001)
    _bad(_check(none, "pop.tif", districts, census), "no_crs")
    _bad(_check(none, "pop.tif", districts, census, crs="EPSG:99999999"), "bad_crs")


def test_negative_counts(districts, census, tmp_path) -> None:
    values = np.ones((5, 5))
    values[2, 3] = -4
    result = _check(
        raster_bytes(values, crs="EPSG:4326", origin=(109.96, 39.82), pixel=0.001), "p.tif", districts, census
    )
    _bad(result, "negative_count")
    assert "row 2, col 3" in _errors(result)[0].where
    gdf = polygons_frame([DONGSHENG_BOX, KANGBASHI_BOX], [100, -5])
    result = _check(vector_bytes(gdf, "geojson", tmp_path), "v.geojson", districts, census)
    _bad(result, "negative_count")
    assert _errors(result)[0].where == "要素 2 feature 2"


def test_non_numeric_counts(districts, census, tmp_path) -> None:
    gdf = polygons_frame([DONGSHENG_BOX, KANGBASHI_BOX], ["1,200", "很多"])
    result = _check(vector_bytes(gdf, "geojson", tmp_path), "v.geojson", districts, census)
    _bad(result, "not_numeric")
    assert [e.where for e in _errors(result)] == ["要素 2 feature 2"]  # "1,200" is a number
    assert _errors(result)[0].value == "很多"
    csv = "name,lon,lat,pop\nA,109.98,39.81,abc\n"
    _bad(_check(csv.encode(), "p.csv", districts, census), "not_numeric")


def test_duplicate_polygon_ids(districts, census, tmp_path) -> None:
    gdf = polygons_frame([DONGSHENG_BOX, KANGBASHI_BOX, DONGSHENG_BOX], [1, 2, 3], code=["V1", "V2", "V1"])
    result = _check(vector_bytes(gdf, "geojson", tmp_path), "v.geojson", districts, census)
    _bad(result, "duplicate_id")
    error = _errors(result)[0]
    assert error.where == "要素 3 feature 3" and "V1" in error.message_zh and "feature 1" in error.message_en


def test_self_intersecting_polygons_repaired_or_refused(districts, census, tmp_path) -> None:
    lon0, lat0, lon1, lat1 = DONGSHENG_BOX
    bowtie = Polygon([(lon0, lat0), (lon1, lat1), (lon1, lat0), (lon0, lat1)])
    gdf = gpd.GeoDataFrame({"人口": [1000]}, geometry=[bowtie], crs=4326)
    repaired = _check(vector_bytes(gdf, "geojson", tmp_path), "v.geojson", districts, census)
    assert not repaired.has_errors
    note = [i for i in repaired.issues if i.code == "repaired"]
    assert note and "已自动修复" in note[0].message_zh and "repaired" in note[0].message_en
    assert int(repaired.cells["pop_total"].sum()) == 1000
    # A ring that doubles back on itself encloses nothing: refused.
    flat = Polygon([(lon0, lat0), (lon1, lat1), (lon0, lat0), (lon1, lat1)])
    gdf = gpd.GeoDataFrame({"人口": [1000]}, geometry=[flat], crs=4326)
    result = _check(vector_bytes(gdf, "geojson", tmp_path), "v.geojson", districts, census)
    _bad(result, "refused")
    assert (
        "无法修复" in _errors(result)[0].message_zh and "cannot be repaired" in _errors(result)[0].message_en
    )


def test_a_file_covering_no_part_of_ordos(districts, census, tmp_path) -> None:
    data, _ = raster_over(BEIJING_BOX, crs="EPSG:4326", pixel_m=500)
    result = _check(data, "beijing.tif", districts, census)
    _bad(result, "outside_ordos")
    assert "116.3" in _errors(result)[0].message_en and "鄂尔多斯" in _errors(result)[0].message_zh
    gdf = polygons_frame([BEIJING_BOX], [1000])
    _bad(_check(vector_bytes(gdf, "gpkg", tmp_path), "v.gpkg", districts, census), "outside_ordos")
    csv = "name,lon,lat,pop\nA,116.4,39.9,10\n"
    _bad(_check(csv.encode(), "p.csv", districts, census), "outside_ordos")


def test_unknown_format_and_missing_columns(districts, census, tmp_path) -> None:
    _bad(_check(b"\x00\x01\x02garbage", "x.bin", districts, census), "unknown_format")
    gdf = polygons_frame([DONGSHENG_BOX], [10]).rename(columns={"人口": "value"})
    result = _check(vector_bytes(gdf, "geojson", tmp_path), "v.geojson", districts, census)
    _bad(result, "no_count_column")
    assert "value" in _errors(result)[0].message_en
    ok = _check(vector_bytes(gdf, "geojson", tmp_path), "v.geojson", districts, census, count_column="value")
    assert not ok.has_errors
    _bad(
        _check(vector_bytes(gdf, "geojson", tmp_path), "v.geojson", districts, census, count_column="pop"),
        "missing_column",
    )


# --- limits -------------------------------------------------------------------------------------


def test_limits_are_checked_before_reading(districts, census, tmp_path) -> None:
    small = DemandLimits(max_pixels=99, max_features=1, max_rows=1, max_cells=10, max_zip_ratio=5.0)
    raster = raster_bytes(np.ones((10, 10)), crs="EPSG:4326", origin=(109.96, 39.82), pixel=0.001)
    _bad(validate_demand(raster, file_name="p.tif", settings=DemandSettings(limits=small)), "too_many_pixels")
    gdf = polygons_frame([DONGSHENG_BOX, KANGBASHI_BOX], [1, 2])
    result = validate_demand(
        vector_bytes(gdf, "gpkg", tmp_path), file_name="v.gpkg", settings=DemandSettings(limits=small)
    )
    _bad(result, "too_many_features")
    one = polygons_frame([DONGSHENG_BOX], [1])
    result = validate_demand(
        vector_bytes(one, "geojson", tmp_path), file_name="v.geojson", settings=DemandSettings(limits=small)
    )
    _bad(result, "too_many_cells")
    assert "--resolution 8" in _errors(result)[0].message_en
    csv = b"name,lon,lat,pop\nA,109.98,39.81,1\nB,109.98,39.81,1\n"
    _bad(validate_demand(csv, file_name="p.csv", settings=DemandSettings(limits=small)), "too_many_rows")
    # A zip whose members expand far more than they compress: refused from its directory.
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.shp", b"\0" * 5_000_000)
    result = validate_demand(bomb.getvalue(), file_name="a.zip", settings=DemandSettings(limits=small))
    _bad(result, "unreadable")
    assert "zip bomb" in _errors(result)[0].message_en and "压缩炸弹" in _errors(result)[0].message_zh
    big = DemandLimits(max_bytes=10)
    result = validate_demand(raster, file_name="p.tif", settings=DemandSettings(limits=big))
    _bad(result, "too_large")


def test_validation_never_raises_on_junk(districts, census) -> None:
    for junk in (
        b"{",
        b'{"type": "FeatureCollection"}',
        b"II*\x00garbage",
        b"PK\x03\x04zz",
        b"SQLite format 3\x00x",
    ):
        result = _check(junk, "junk", districts, census)
        assert result.has_errors and result.cells.empty


# --- rounding -----------------------------------------------------------------------------------


def test_largest_remainder_keeps_group_totals() -> None:
    values = np.array([0.4, 0.4, 0.4, 1.6, 2.5, 0.5])
    groups = np.array([1, 1, 1, 2, 2, 2])
    out = largest_remainder(values, groups)
    assert out[:3].sum() == 1 and out[3:].sum() == 5
    assert np.all(np.abs(out - values) < 1)


def test_bad_resolution_is_refused() -> None:
    from geo.errors import DataError

    with pytest.raises(DataError, match="8、9 或 10") as info:
        DemandSettings(resolution=7)
    assert "8, 9 or 10" in str(info.value)


def test_resolution_8_and_10_cells(districts, census, tmp_path) -> None:
    gdf = polygons_frame([KANGBASHI_BOX], [5000])
    data = vector_bytes(gdf, "geojson", tmp_path)
    r8 = _check(data, "v.geojson", districts, census, resolution=8)
    r10 = _check(data, "v.geojson", districts, census, resolution=10)
    assert int(r8.cells["pop_total"].sum()) == int(r10.cells["pop_total"].sum()) == 5000
    assert len(r10.cells) > 30 * len(r8.cells)
    # Every res-10 cell's parent is one of the res-8 cells (same area covered).
    parents = {h3.cell_to_parent(c, 8) for c in r10.cells["cell_id"]}
    assert parents <= set(r8.cells["cell_id"])
