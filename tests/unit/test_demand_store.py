"""Demand and boundary layers in the store: replace, patch, history, restore, nothing stored on failure."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from geo import io as gio
from geo.boundaries import validate_boundaries
from geo.demand import DemandSettings, validate_demand
from geo.demand_store import layer_store, load_layers
from geo.errors import ConflictError, DataError, NotFoundError
from geo.store import FacilityStore, open_store
from tests.unit._demand_files import DONGSHENG_BOX, KANGBASHI_BOX, polygons_frame, raster_over, vector_bytes

DONGSHENG = 150602


@pytest.fixture
def store(any_db_url: str):
    """A store on SQLite and on PostgreSQL, holding the shipped sample as facility version 1."""
    s = open_store(any_db_url)
    yield s
    s.engine.dispose()


@pytest.fixture(scope="module")
def dongsheng_raster():
    data, total = raster_over(DONGSHENG_BOX, crs="EPSG:4326", pixel_m=300.0, value=20.0)
    return validate_demand(data, file_name="dongsheng.tif"), total


def test_the_sample_is_the_demand_until_an_import(store: FacilityStore) -> None:
    layers = layer_store(store.engine)
    assert layers.demand_version() is None
    info = layers.demand_info()
    assert info.kind == "sample" and info.modelled and info.modelled_share == 1.0
    sample = gio.read_population_cells()
    assert int(layers.demand()["pop_total"].sum()) == int(sample["pop_total"].sum())
    assert layers.demand_history() == []


def test_replace_records_the_sample_first_and_restore_returns_to_it(store, dongsheng_raster) -> None:
    result, total = dongsheng_raster
    layers = layer_store(store.engine)
    key = store.data_version()
    info = layers.publish_demand(result, mode="replace", user_name="wang", base_version=None)
    assert info.version == 2 and info.action == "import" and info.kind == "raster"
    assert not info.modelled and info.pop_total == round(total)
    assert [v.version for v in layers.demand_history()] == [2, 1]
    assert layers.demand_history()[1].kind == "sample"
    assert store.data_version() != key
    cells = layers.demand()
    assert set(cells["adcode"]) == {DONGSHENG}
    assert cells["modelled_people"].sum() == 0
    key = store.data_version()
    back = layers.restore_demand(1, user_name="wang")
    assert back.version == 3 and back.restored_from == 1 and back.modelled
    assert int(layers.demand()["pop_total"].sum()) == int(gio.read_population_cells()["pop_total"].sum())
    assert store.data_version() != key


def test_patch_replaces_only_inside_the_files_extent(store, dongsheng_raster) -> None:
    result, total = dongsheng_raster
    layers = layer_store(store.engine)
    sample = layers.demand()
    info = layers.publish_demand(result, mode="patch", user_name="li", base_version=None)
    cells = layers.demand()
    lon0, lat0, lon1, lat1 = DONGSHENG_BOX
    far = (
        (cells["lon"] < lon0 - 0.02)
        | (cells["lon"] > lon1 + 0.02)
        | (cells["lat"] < lat0 - 0.02)
        | (cells["lat"] > lat1 + 0.02)
    )
    far_sample = (
        (sample["lon"] < lon0 - 0.02)
        | (sample["lon"] > lon1 + 0.02)
        | (sample["lat"] < lat0 - 0.02)
        | (sample["lat"] > lat1 + 0.02)
    )
    # Away from the file, the layer is the sample, cell for cell.
    assert cells.loc[far, "pop_total"].sum() == sample.loc[far_sample, "pop_total"].sum()
    inside = (
        (cells["lon"] > lon0 + 0.01)
        & (cells["lon"] < lon1 - 0.01)
        & (cells["lat"] > lat0 + 0.01)
        & (cells["lat"] < lat1 - 0.01)
    )
    assert (cells.loc[inside, "modelled_people"] == 0).all()
    assert info.modelled and 0 < info.modelled_share < 1
    assert info.mode == "patch"
    # The people in the box are the file's now; the rest of the city keeps the sample's.
    assert info.pop_total == pytest.approx(
        sample["pop_total"].sum() - _sample_people_in(sample, result.extent) + round(total), rel=1e-4
    )


def _sample_people_in(sample, extent) -> float:
    from geo.demand import cell_share_inside

    share = cell_share_inside(sample["cell_id"].tolist(), extent)
    return float((sample["pop_total"] * share).sum())


def test_patch_at_another_resolution_is_refused_and_nothing_is_stored(store) -> None:
    data, _ = raster_over(DONGSHENG_BOX, crs="EPSG:4326", pixel_m=300.0)
    result = validate_demand(data, file_name="p.tif", settings=DemandSettings(resolution=10))
    layers = layer_store(store.engine)
    with pytest.raises(DataError) as info:
        layers.publish_demand(result, mode="patch", user_name="x", base_version=None)
    assert "--resolution 9" in str(info.value) and "分辨率" in str(info.value)
    assert layers.demand_version() is None and layers.demand_history() == []


def test_a_file_with_errors_is_never_stored(store, tmp_path: Path) -> None:
    gdf = polygons_frame([DONGSHENG_BOX], [-5])
    result = validate_demand(vector_bytes(gdf, "geojson", tmp_path), file_name="bad.geojson")
    layers = layer_store(store.engine)
    key = store.data_version()
    with pytest.raises(DataError, match="nothing was published"):
        layers.publish_demand(result, mode="replace", user_name="x", base_version=None)
    assert layers.demand_version() is None and store.data_version() == key


def test_a_stale_preview_conflicts(store, dongsheng_raster) -> None:
    result, _ = dongsheng_raster
    layers = layer_store(store.engine)
    layers.publish_demand(result, mode="replace", user_name="a", base_version=None)
    with pytest.raises(ConflictError) as info:
        layers.publish_demand(result, mode="replace", user_name="b", base_version=None)
    assert "预览" in str(info.value) and "preview" in str(info.value)
    assert [v.version for v in layers.demand_history()] == [2, 1]
    with pytest.raises(NotFoundError):
        layers.restore_demand(9, user_name="a")


def test_gis_views_show_the_newest_layers_with_geometry(
    pg_url: str, dongsheng_raster, tmp_path: Path
) -> None:
    import sqlalchemy as sa
    from shapely.geometry import box

    store = open_store(pg_url)
    try:
        layers = layer_store(store.engine)
        result, total = dongsheng_raster
        layers.publish_demand(result, mode="replace", user_name="gis", base_version=None)
        towns = gpd.GeoDataFrame(
            {"name": ["东城街道"], "code": ["150602901"]}, geometry=[box(*DONGSHENG_BOX)], crs=4326
        )
        checked = validate_boundaries(vector_bytes(towns, "geojson", tmp_path), file_name="t.geojson")
        layers.publish_boundaries(checked, user_name="gis", base_version=None)
        with store.engine.connect() as conn:
            has_postgis = conn.execute(
                sa.text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")
            ).scalar()
            views = set(
                conn.execute(sa.text("SELECT viewname FROM pg_views WHERE viewname LIKE 'gis_%'")).scalars()
            )
            if not has_postgis:  # plain PostgreSQL: the GIS views are skipped (geo.gis)
                assert not views & {"gis_demand_cells", "gis_townships"}
                return
            row = conn.execute(
                sa.text("SELECT count(*), sum(pop_total), min(version) FROM gis_demand_cells")
            ).one()
            assert row == (len(result.cells), round(total), 2)
            town = conn.execute(sa.text("SELECT code, name FROM gis_townships")).one()
            assert tuple(town) == ("150602901", "东城街道")
            srid = conn.execute(sa.text("SELECT DISTINCT ST_SRID(geom) FROM gis_demand_cells")).scalar()
            kind = conn.execute(sa.text("SELECT GeometryType(geom) FROM gis_townships")).scalar()
            inside = conn.execute(
                sa.text(
                    "SELECT count(*) FROM gis_demand_cells c JOIN gis_townships t ON ST_Within(c.geom, t.geom)"
                )
            ).scalar()
            assert srid == 4326 and kind == "MULTIPOLYGON" and 0 < inside <= row[0]
    finally:
        store.engine.dispose()


def test_boundaries_publish_restore_and_assign_cells(store, tmp_path: Path) -> None:
    towns = gpd.GeoDataFrame(
        {"name": ["交通街道", "康新街道"], "code": ["150602001", "150603001"]},
        geometry=gpd.GeoSeries.from_xy([0, 0], [0, 0]).buffer(1),
        crs=4326,
    )
    from shapely.geometry import box

    towns = towns.set_geometry([box(*DONGSHENG_BOX), box(*KANGBASHI_BOX)], crs=4326)
    result = validate_boundaries(vector_bytes(towns, "geojson", tmp_path), file_name="towns.geojson")
    assert not result.has_errors, [i.text() for i in result.issues]
    layers = layer_store(store.engine)
    key = store.data_version()
    info = layers.publish_boundaries(result, user_name="zhao", base_version=None)
    assert info.version == 1 and info.features == 2
    assert store.data_version() != key
    stored = layers.boundaries()
    assert stored is not None and stored["code"].tolist() == ["150602001", "150603001"]
    assert np.allclose(stored["area_km2"], result.townships.sort_values("code")["area_km2"], rtol=1e-6)
    loaded = load_layers(store.engine)
    cells = loaded.cells
    in_box = (cells["lon"].between(DONGSHENG_BOX[0], DONGSHENG_BOX[2])) & cells["lat"].between(
        DONGSHENG_BOX[1], DONGSHENG_BOX[3]
    )
    assert (cells.loc[in_box, "township_code"] == "150602001").all()
    outside = cells.loc[~in_box & (cells["adcode"] == DONGSHENG)]
    # Elsewhere in Dongsheng the modelled seats stand in, never the imported township.
    assert outside["township_code"].ne("").all()
    import shapely

    gap = shapely.distance(box(*DONGSHENG_BOX), shapely.points(outside["lon"], outside["lat"]))
    far = outside.loc[gap > 0.01]  # more than ~850 m from the township
    assert (far["township_code"] != "150602001").all()
    assert loaded.townships.loc[loaded.townships["code"] == "150602001", "name"].tolist() == ["交通街道"]
    again = layers.publish_boundaries(result, user_name="zhao", base_version=1)
    restored = layers.restore_boundaries(1, user_name="zhao")
    assert (again.version, restored.version, restored.restored_from) == (2, 3, 1)
    with pytest.raises(ConflictError):
        layers.publish_boundaries(result, user_name="zhao", base_version=1)
