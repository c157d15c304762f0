"""geo.maps: offline assets, escaping, display shift for GCJ-02, hexagons, size of the map HTML."""

from __future__ import annotations

import json
import re

import h3
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import hexagons, maps
from geo import io as gio
from geo.crs import from_wgs84
from geo.errors import DataError
from geo.isochrones import isochrones
from geo.travel import MODES, StraightLineModel

HOSTILE = "<img src=x onerror=alert(1)>`${x}`\\"


@pytest.fixture(scope="module")
def facilities() -> pd.DataFrame:
    return gio.read_facilities_csv(gio.DATASETS_DIR / gio.FACILITIES_SAMPLE_FILE)


@pytest.fixture(scope="module")
def districts() -> pd.DataFrame:
    return maps.display_districts(gio.read_districts())


def _scripts_and_styles(page: str) -> list[str]:
    return re.findall(r'<(?:script[^>]*\ssrc|link[^>]*\shref)="([^"]+)"', page)


def test_esc_makes_text_inert_in_html_and_template_literals() -> None:
    out = maps.esc(HOSTILE)
    assert "<" not in out and ">" not in out and "`" not in out and "$" not in out and "\\" not in out
    assert maps.esc(None) == "" and maps.esc(float("nan")) == ""


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_esc_never_lets_markup_through(text: str) -> None:
    out = maps.esc(text)
    assert not set("<>`$\\\"'{}") & set(out)


@pytest.mark.parametrize("basemap", ["none", "osm", "gaode"])
def test_every_asset_is_served_by_the_app(
    basemap: str, facilities: pd.DataFrame, districts: pd.DataFrame
) -> None:
    m = maps.base_map(basemap=basemap)
    maps.add_districts(m, districts, basemap=basemap)
    maps.add_facilities(m, facilities, basemap=basemap)
    maps.add_legend(m, [maps.facility_legend(["nursery"], title="t")])
    maps.add_locate_control(m, title="locate", texts={k: k for k in maps.LOCATE_TEXTS})
    maps.add_interaction(m, touch_hint="two fingers")
    page = m.get_root().render()
    links = _scripts_and_styles(page)
    assert links, "the map must link Leaflet"
    assert all(link.startswith("/app/static/") for link in links), links
    assert maps.external_urls(page) == []
    for link in links:
        assert (maps.STATIC_DIR / link.removeprefix("/app/static/")).is_file()
    tiles = re.findall(r"https?://[^\"'\s]*\{z\}[^\"'\s]*", page)
    if basemap == "none":
        assert tiles == []
    else:
        assert [u.replace("\\u0026", "&") for u in tiles] == [maps.BASEMAPS[basemap].tiles_url]


def test_no_jquery_bootstrap_or_icon_fonts(facilities: pd.DataFrame) -> None:
    m = maps.base_map(basemap="none")
    maps.add_facilities(m, facilities)
    page = m.get_root().render().lower()
    for name in ("jquery", "bootstrap", "awesome", "glyphicons", "d3"):
        assert f"{name}" not in " ".join(_scripts_and_styles(page))


def test_standalone_html_inlines_assets(facilities: pd.DataFrame, districts: pd.DataFrame) -> None:
    m = maps.base_map(basemap="none")
    maps.add_districts(m, districts)
    maps.add_facilities(m, facilities.head(20))
    page = maps.standalone_html(m)
    assert _scripts_and_styles(page) == []
    assert "L.markerClusterGroup" in page and "L.Map" in page.replace("L.map", "L.Map")
    assert "data:image/png;base64," in page  # Leaflet's layer icons inlined from its CSS


def test_hostile_text_is_escaped_in_popups_tooltips_and_legend(facilities: pd.DataFrame) -> None:
    evil = facilities.head(1).copy()
    evil["name"], evil["address"], evil["phone"] = HOSTILE, HOSTILE, HOSTILE
    m = maps.base_map(basemap="none")
    maps.add_facilities(m, evil)
    maps.add_home(m, (109.78, 39.61), label=HOSTILE, destinations=evil)
    maps.add_legend(m, [maps.legend_html(HOSTILE, [("#fff", HOSTILE)])])
    page = m.get_root().render()
    assert "<img src=x" not in page
    assert "${x}" not in page
    # the popup still says what the name is, as text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.replace("\\u0026", "&")


def test_template_syntax_in_data_is_not_run_on_the_server(facilities: pd.DataFrame) -> None:
    # Branca compiles rendered layer scripts as Jinja templates: data must never be evaluated there.
    payload = '{{ "INJ" ~ "ECTED" }}{% if 1 %}{{ "TEMPL" ~ "ATE_RAN" }}{% endif %}{# c #}'
    evil = facilities.head(1).copy()
    evil["name"], evil["address"] = payload, payload
    m = maps.base_map(basemap="none")
    maps.add_facilities(m, evil)
    maps.add_home(m, (109.78, 39.61), label=payload, destinations=evil)
    maps.add_legend(m, [maps.legend_html(payload, [("#fff", payload)])])
    page = m.get_root().render()
    assert "INJECTED" not in page and "TEMPLATE_RAN" not in page
    # the text is still there, shown as typed
    assert "&#123;&#123; &quot;INJ&quot; ~ &quot;ECTED&quot; &#125;&#125;" in page.replace("\\u0026", "&")


def test_popup_phone_is_a_tel_link() -> None:
    html = maps.facility_popup({"name": "站", "type": "nursery", "phone": "0477-123 4567"})
    assert 'href="tel:04771234567"' in html


def test_gaode_basemap_shifts_data_and_clicks_come_back(facilities: pd.DataFrame) -> None:
    lon, lat = 109.78, 39.61
    glon, glat = maps.to_display(lon, lat, basemap="gaode")
    assert (glon, glat) == pytest.approx(from_wgs84(lon, lat, crs="gcj02"))
    assert maps.to_display(lon, lat, basemap="osm") == (lon, lat)
    back = maps.display_to_wgs84(glon, glat, basemap="gaode")
    assert back == pytest.approx((lon, lat), abs=1e-8)
    m = maps.base_map(basemap="gaode")
    maps.add_facilities(m, facilities.head(1))  # the layer takes the basemap from the map
    page = m.get_root().render()
    row = facilities.iloc[0]
    shifted = from_wgs84(row["lon"], row["lat"], crs="gcj02")
    assert f"{round(float(shifted[1]), 6)}" in page


def test_unknown_basemap() -> None:
    with pytest.raises(DataError, match="basemap"):
        maps.base_map(basemap="google")


def test_h3_ints_read_every_index_as_int_does() -> None:
    cells = [h3.latlng_to_cell(39.6 + i * 0.01, 109.7, res) for i in range(20) for res in (0, 5, 9, 15)]
    cells += [c.upper() for c in cells[:5]]
    assert hexagons.h3_ints(cells).tolist() == [int(c, 16) for c in cells]
    assert hexagons.h3_ints([*cells[:1], "8a"]).tolist() == [int(cells[0], 16), 0x8A]  # another length
    wide = "８" + cells[0][1:]  # a full-width digit: read as int() reads it
    assert hexagons.h3_ints([cells[0], wide]).tolist() == [int(cells[0], 16)] * 2
    assert hexagons.h3_ints([]).dtype == np.uint64
    for bad in ("8928308280fffffg", "8928308280ffffg", "not a cell"):
        with pytest.raises(ValueError):
            hexagons.h3_ints([cells[0], bad])


def test_coarsen_cells_keeps_the_total_and_the_limit() -> None:
    cells = [h3.latlng_to_cell(39.6 + i * 0.004, 109.7 + j * 0.004, 9) for i in range(30) for j in range(30)]
    frame = pd.DataFrame({"cell_id": cells, "v": np.arange(len(cells)) % 7})
    out = hexagons.coarsen_cells(frame, value_col="v", max_cells=100)
    assert len(out) <= 100
    assert out["v"].sum() == frame["v"].sum()
    assert (out["v"] > 0).all()


def _coarsen_by_groupby(cells: pd.DataFrame, max_cells: int) -> pd.DataFrame:
    """The plain pandas way: sum per parent level by level, a parent named after its largest child."""

    def merge(frame: pd.DataFrame) -> pd.DataFrame:
        summed = frame.groupby("cell_id", as_index=False, sort=True).agg({"v": "sum"})
        top = frame.sort_values("v", ascending=False, kind="mergesort").drop_duplicates("cell_id")
        return summed.merge(top[["cell_id", "name"]], on="cell_id", how="left")

    out = merge(cells.loc[cells["v"] > 0])
    res = h3.get_resolution(out["cell_id"].iloc[0])
    while len(out) > max_cells:
        res -= 1
        out = merge(out.assign(cell_id=[h3.cell_to_parent(c, res) for c in out["cell_id"]]))
    return out


@pytest.mark.parametrize("max_cells", [5000, 120, 10])
def test_coarsen_cells_names_each_hexagon_after_its_largest_cell(max_cells: int) -> None:
    rng = np.random.default_rng(7)
    cells = [h3.latlng_to_cell(39.6 + i * 0.003, 109.7 + j * 0.003, 9) for i in range(40) for j in range(40)]
    cells += cells[:300]  # the same cell twice: summed
    values = rng.integers(0, 50, len(cells)).astype(float)
    values[::13] = 7.0  # ties: the first row's name wins
    frame = pd.DataFrame({"cell_id": cells, "v": values, "name": [f"n{i}" for i in range(len(cells))]})
    got = hexagons.coarsen_cells(frame, value_col="v", max_cells=max_cells, label_col="name")
    want = _coarsen_by_groupby(frame, max_cells)
    assert got["cell_id"].tolist() == want["cell_id"].tolist()
    assert got["name"].tolist() == want["name"].tolist()
    np.testing.assert_allclose(got["v"].to_numpy(), want["v"].to_numpy(), rtol=1e-12)
    assert got["v"].sum() == pytest.approx(values.sum())


def test_hexagon_classes_cover_every_value_once() -> None:
    cells = [h3.latlng_to_cell(39.6 + i * 0.003, 109.7, 9) for i in range(40)]
    frame = pd.DataFrame({"cell_id": cells, "v": np.arange(1, 41)})
    classes = hexagons.hexagon_classes(frame, value_col="v", max_cells=1000)
    collections = [json.loads(c.geojson) for c in classes]
    assert [len(fc["features"]) for fc in collections] == [c.n_hexagons for c in classes]
    assert sum(c.n_hexagons for c in classes) == len(set(cells))
    ring = collections[0]["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1]
    assert 109.6 < ring[0][0] < 109.8 and 39.5 < ring[0][1] < 39.8  # lon, lat order


def test_hexagons_kept_per_basemap_draw_the_same_and_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    cells = list(dict.fromkeys(h3.latlng_to_cell(39.6 + i * 0.003, 109.7, 9) for i in range(45)))[:40]
    frame = pd.DataFrame({"cell_id": cells, "v": np.arange(1, 41), "place": ["<b>&"] * 40})
    fresh = hexagons.hexagon_classes(frame, value_col="v", label_col="place", basemap="gaode")
    kept: hexagons.HexShapes = {}
    first = hexagons.hexagon_classes(
        frame.head(25), value_col="v", label_col="place", basemap="gaode", kept=kept
    )
    assert len(kept) == 25 and sum(c.n_hexagons for c in first) == 25
    # The other 15 are made, the first 25 taken from the store: the same text as made from scratch.
    assert (
        hexagons.hexagon_classes(frame, value_col="v", label_col="place", basemap="gaode", kept=kept) == fresh
    )
    assert len(kept) == 40
    # Nothing from data can close the script the collection is written into.
    assert all("<" not in c.geojson and "&" not in c.geojson for c in fresh)
    monkeypatch.setattr(hexagons, "MAX_KEPT_HEXAGONS", 30)
    other = [h3.latlng_to_cell(39.7 + i * 0.003, 109.9, 9) for i in range(10)]
    hexagons.hexagon_classes(
        pd.DataFrame({"cell_id": other, "v": 5}), value_col="v", basemap="gaode", kept=kept
    )
    assert set(kept) == set(other)


def test_share_colours() -> None:
    assert maps.share_colour(0.0) == maps.SHARE_COLOURS[0]
    assert maps.share_colour(1.0) == maps.SHARE_COLOURS[-1]
    assert maps.share_colour(0.5) == maps.SHARE_COLOURS[2]
    assert maps.share_colour(float("nan")) == "#bbbbbb"


def test_full_coverage_map_stays_under_3_mb(facilities: pd.DataFrame, districts: pd.DataFrame) -> None:
    cells = gio.read_population_cells()
    model = StraightLineModel(MODES["walk"])
    chosen = facilities[facilities["category"] == "child"]
    bands = isochrones(model, chosen[["lon", "lat"]].to_numpy(float), budgets_min=[5, 10, 15])
    m = maps.base_map(basemap="osm")
    maps.add_districts(m, districts, fill_colours={int(a): "#1a9641" for a in districts["adcode"]})
    maps.add_isochrones(m, bands)
    hexagons.add_hexagons(m, cells.assign(v=cells["pop_total"]), value_col="v")
    maps.add_facilities(m, facilities)
    assert maps.map_size_bytes(m) < 3_000_000


@pytest.mark.parametrize("basemap", ["none", "osm"])
def test_map_sets_max_zoom_for_marker_cluster(basemap: str) -> None:
    # Leaflet.markercluster throws "Map has no maxZoom specified" on a map without tiles otherwise.
    assert re.search(r'"maxZoom": \d+', maps.base_map(basemap=basemap).get_root().render())


def test_hexagons_take_the_basemap_from_the_map() -> None:
    # Like every other layer, hexagons on an AutoNavi map are shifted to GCJ-02 without being told.
    cell = h3.latlng_to_cell(39.61, 109.78, 9)
    m = maps.base_map(basemap="gaode")
    hexagons.add_hexagons(m, pd.DataFrame({"cell_id": [cell], "v": [5]}), value_col="v")
    page = m.get_root().render()
    lat, lon = h3.cell_to_boundary(cell)[0]
    glon, glat = from_wgs84(lon, lat, crs="gcj02")
    assert f"{round(float(glon), 5)}" in page
    assert f"{round(float(glat), 5)}" in page
    assert f"{round(float(lon), 5)}" not in page


def test_scale_bar_is_metric_only() -> None:
    page = maps.base_map(basemap="none").get_root().render()
    assert "L.control.scale({metric: true, imperial: false})" in page
    assert "L.control.scale()" not in page


def test_interaction_is_added_once_and_its_text_escaped() -> None:
    m = maps.base_map(basemap="none")
    maps.add_interaction(m, touch_hint=HOSTILE)
    maps.add_interaction(m, touch_hint="again")
    page = m.get_root().render()
    assert page.count("CareCircle.setup(") == 1
    assert "again" not in page and "<img" not in page
    assert "/app/static/carecircle/carecircle.js" in page


def test_locate_control_needs_every_message_and_knows_gcj02() -> None:
    m = maps.base_map(basemap="none")
    with pytest.raises(DataError, match="outside"):
        maps.add_locate_control(m, title="t", texts={"denied": "x"})
    texts = {k: f"{k} {HOSTILE}" for k in maps.LOCATE_TEXTS}
    maps.add_locate_control(m, title=HOSTILE, texts=texts)
    page = m.get_root().render()
    assert "CareCircle.locate(" in page and '"gcj02": false' in page and "<img" not in page
    gaode = maps.base_map(basemap="gaode")
    maps.add_locate_control(gaode, title="t", texts={k: k for k in maps.LOCATE_TEXTS})
    assert '"gcj02": true' in gaode.get_root().render()


def test_facility_rows_made_earlier_draw_the_same_layer(facilities: pd.DataFrame) -> None:
    chosen = facilities.head(40)
    rows = maps.facility_rows(chosen, basemap="gaode", lang="en", labels={"address": "Address"})
    drawn, given = maps.base_map(basemap="gaode"), maps.base_map(basemap="gaode")
    maps.add_facilities(drawn, chosen, lang="en", labels={"address": "Address"})
    maps.add_facilities(given, chosen, rows=rows)
    (cluster_a,) = [c for c in drawn._children.values() if isinstance(c, maps._FacilityCluster)]
    (cluster_b,) = [c for c in given._children.values() if isinstance(c, maps._FacilityCluster)]
    assert cluster_a.data == cluster_b.data == rows
    assert len(rows) == 40 and rows[0][3].startswith("<b>")


def test_an_area_is_drawn_beneath_with_an_escaped_tooltip() -> None:
    m = maps.base_map(basemap="none")
    assert maps.add_area(m, shapely.Polygon(), colour="#1a9850", tooltip="x") is None
    circle = shapely.Point(109.78, 39.61).buffer(0.01)
    layer = maps.add_area(m, circle, colour="#1a9850", tooltip=HOSTILE)
    assert layer is not None
    page = m.get_root().render()
    assert f"{layer.get_name()}.bindTooltip" in page
    assert "<img src=x" not in page and "${x}" not in page
    coords = re.findall(r"\[(\d+\.\d+),(\d+\.\d+)\]", page)
    assert coords and all(len(lon.split(".")[1]) <= maps.DISPLAY_DECIMALS for lon, _ in coords)


def test_a_layer_group_brings_its_legend_with_it() -> None:
    group = maps.LayerGroup()
    maps.add_legend(group, [maps.legend_html("15 分钟", [("#1a9850", "15 分钟")], shape="square")])
    m = maps.base_map(basemap="none")
    group.add_to(m)
    page = m.get_root().render()
    assert "L.featureGroup()" in page
    # the legend is a layer of the group that adds its control to the map while the group is on it
    (legend,) = [c for c in group._children.values() if isinstance(c, maps._Legend)]
    assert f"{group.get_name()}.addLayer({legend.get_name()});" in page
    assert "onAdd: function (map) { legend.addTo(map); }" in page and "legend.remove()" in page


@given(st.lists(st.text(alphabet="a中<>&\"'{}`$\\\x00 ;#", max_size=8), max_size=6))
def test_texts_escaped_at_once_as_each_on_its_own(texts: list[str]) -> None:
    assert hexagons._escaped_each(texts) == [maps.esc(t) for t in texts]
