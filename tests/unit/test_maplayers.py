"""geo.maplayers: a fixed base with swappable layer groups, panes in a fixed order, the swipe."""

from __future__ import annotations

import json
import re

import folium

from geo import io as gio
from geo import maplayers, maps


def _js(element: folium.Map) -> str:
    return element.get_root().render()


def test_panes_stack_the_layers_so_none_hides_another() -> None:
    order = sorted(maplayers.PANES, key=maplayers.PANES.get)
    assert order.index("cc-choropleth") < order.index("cc-bands") < order.index("cc-gaps")
    assert maplayers.PANES["cc-gaps"] < 400 < maplayers.PANES["cc-sites"]  # outlines over gaps, sites on top
    m = maplayers.layered_base(basemap="none")
    page = _js(m)
    assert "createPane" in page and '"cc-choropleth": 350' in page
    assert '"preferCanvas": false' in page  # SVG: each pane keeps its own tooltips
    assert "leaflet.markercluster.js" in page  # loaded up front for a cluster layer added later


def test_every_swappable_layer_can_be_removed() -> None:
    # streamlit-folium removes the old groups before adding new ones; a layer without onRemove throws
    # ("t.onRemove is not a function") and the new layers never appear.
    fg = maplayers.group("x", basemap="none")
    maplayers.FitOnce("city", [[37.5, 106.7], [40.9, 111.5]]).add_to(fg)
    maplayers.ZoomFade("cc-choropleth").add_to(fg)
    maplayers.Swipe(left_label="现状", right_label="情景", aria="a").add_to(fg)
    maplayers.MapNote("数据版本 1").add_to(fg)
    maps.add_legend(fg, [maps.legend_html("t", [("#fff", "x")])])
    m = maplayers.layered_base(basemap="none")
    fg.add_to(m)
    page = _js(m)
    layers = re.findall(r"L\.Layer\.extend\(\{(.*?)\n\s*\}\);", page, re.S)
    assert len(layers) == 5
    for body in layers:
        assert "onAdd" in body and "onRemove" in body, body[:200]


def test_the_base_does_not_change_with_the_layers() -> None:
    from streamlit_folium import _get_map_string

    districts = maps.display_districts(gio.read_districts())

    def base() -> folium.Map:
        m = maplayers.layered_base(basemap="none")
        maps.add_districts(m, districts, basemap="none", lang="zh", fit=False)
        return m

    def normalised(m: folium.Map) -> str:
        return re.sub(r"_[a-z0-9]{32}", "", _get_map_string(m))

    first, second = base(), base()
    fg = maplayers.group("gaps", basemap="none")
    maplayers.FitOnce("150602", [[39.6, 109.8], [40.0, 110.2]]).add_to(fg)
    assert normalised(first) == normalised(second)  # same component: the view is kept


def test_swipe_clips_the_left_and_right_panes() -> None:
    m = maplayers.layered_base(basemap="none")
    fg = maplayers.group("fit", basemap="none")
    maplayers.Swipe(left_label="现状", right_label="情景", aria="拖动").add_to(fg)
    fg.add_to(m)
    page = _js(m)
    assert '["cc-left-gaps", "cc-left-sites"]' in page and '["cc-right-gaps", "cc-right-sites"]' in page
    assert "style.clip" in page and "width:44px;height:44px" in page  # a touch-sized handle
    assert json.dumps("现状") in page


def test_points_are_escaped_and_shifted_for_the_basemap() -> None:
    rows = maplayers.point_rows(
        [109.78], [39.61], basemap="gaode", colour="#f00", tooltips=["<img src=x onerror=alert(1)>"]
    )
    assert rows[0][3] == "&lt;img src=x onerror=alert(1)&gt;"
    glon, glat = maps.to_display(109.78, 39.61, basemap="gaode")
    assert rows[0][:2] == [round(float(glat), 6), round(float(glon), 6)]


def test_standalone_export_holds_base_groups_and_note() -> None:
    m = maplayers.layered_base(basemap="none")
    fg = maplayers.group("note", basemap="none")
    maplayers.MapNote("设施数据第 3 版 · 步行 15 分钟 · 模拟数据").add_to(fg)
    page = maplayers.standalone(m, [fg])
    assert maps.external_urls(page) == [] and "<script src=" not in page
    assert "carecircle-note" in page and json.dumps("设施数据第 3 版")[1:-1] in page
