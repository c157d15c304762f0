"""ui helpers that run outside a page: Markdown escaping, exports, the larger-text option."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo import maps
from geo.store import open_store
from ui import mapbuild, state, widgets
from ui.i18n import fixed_lang


@pytest.mark.parametrize(
    "text", ["<img src=x onerror=alert(1)>", "[click](javascript:alert(1))", ":red[x]", "**b** $x$ `c`"]
)
def test_md_escape_leaves_no_live_markup(text: str) -> None:
    out = widgets.md_escape(text)
    for ch in "<>[]()*`$:":
        assert ch not in out.replace("\\" + ch, "")


def test_html_export_is_offline_and_in_the_fixed_language(db_url: str) -> None:
    facilities = open_store(db_url).facilities().head(30)
    with fixed_lang("en"):
        make = mapbuild.html_export(
            lambda: mapbuild.facility_map(facilities, basemap="none", lang="en"),
            lambda: "published facility version 1 · Note: facilities are modelled",
        )
    page = make().decode("utf-8")  # runs like a download: outside the script, language fixed before
    assert maps.external_urls(page) == []
    assert "<script src=" not in page
    assert "Facility types" in page
    assert "carecircle-note" in page and "published facility version 1" in page  # the file says what it shows


def test_larger_text_option(app: Callable[[str], AppTest]) -> None:
    at = app("app_pages/find.py")
    at.toggle(key=state.LARGE_TEXT).set_value(True).run()  # on the page itself, not in the sidebar
    assert not at.exception
    assert any("font-size: 1.25rem" in m.value for m in at.markdown)
    assert at.query_params["text"] in ("large", ["large"])  # remembered in the link
    at.switch_page("app_pages/coverage.py").run()
    assert at.toggle(key=state.LARGE_TEXT).value
    assert any("font-size: 1.25rem" in m.value for m in at.markdown)


def _click_script() -> None:
    from ui import location

    # Two taps handed over by the map before the run (its change callback), then the run under it.
    on_tap = location.tap_handler("none")
    on_tap({"last_clicked": {"lat": 30.27, "lng": 120.15}})  # Hangzhou: outside Ordos
    dongsheng = {"last_clicked": {"lat": 39.82, "lng": 109.98}}
    on_tap(dongsheng)
    location.after_tap(dongsheng, "none")


def test_a_map_click_outside_ordos_is_refused() -> None:
    at = AppTest.from_function(_click_script).run()
    assert not at.exception
    assert [w.value for w in at.warning] == ["点击的位置不在鄂尔多斯市范围内,请在市内点选。"]
    assert at.session_state[state.HOME] == (109.98, 39.82)


def test_the_app_looks_for_networks_where_the_cli_saves_them(db_url: str) -> None:
    from geo.store import network_dir
    from ui import loaders

    assert loaders._network_key() == "none"
    folder = network_dir(db_url)  # where `python -m geo network import` saves for this database
    folder.mkdir(parents=True)
    (folder / "abc.npz").write_bytes(b"")
    assert loaders._network_key().startswith("abc.npz:")


def test_model_note_says_why_the_network_was_not_used() -> None:
    from geo.travel import MODES, ModelFallback, StraightLineModel

    reason = ModelFallback(
        code="no_overlap", network="x.osm", zh="路网与需求区域不重叠", en="does not overlap"
    )
    description = StraightLineModel(MODES["walk"], fallback=reason).describe()
    with fixed_lang("zh"):
        zh = widgets.model_note(description)
    with fixed_lang("en"):
        en = widgets.model_note(description)
    assert "未使用已导入的路网" in zh and "路网与需求区域不重叠" in zh and "does not overlap" not in zh
    assert "was not used" in en and "does not overlap" in en and "不重叠" not in en
    plain = widgets.model_note(StraightLineModel(MODES["walk"]).describe())
    assert "未使用已导入的路网" not in plain and "was not used" not in plain


def _provenance_script() -> None:
    import streamlit as st

    from geo import context as cx
    from ui import downloads, loaders

    _, facilities = loaders.facilities()
    ctx = downloads.context(
        facilities=facilities, mode="walk", budget_min=15, types=("community_station",), scope="全市"
    )
    st.text(cx.readme_text(ctx, "zh"))
    st.text(cx.readme_text(ctx, "en"))
    bundle = loaders.coverage_bundle(
        loaders.data_version(), ("community_station",), "walk", 15.0, "pop_60plus"
    )
    st.text("|".join(bundle["townships"].query("pop_total > 0")["name"].astype(str)))
    from ui import mapbuild

    built = mapbuild.coverage_map(
        loaders.data_version(),
        types=("community_station",),
        mode="walk",
        budget_min=15.0,
        target="pop_60plus",
        district=0,
        layers=("choropleth", "gaps"),
        basemap="none",
        lang="zh",
    )
    names = [g.layer_name for g in built.groups]
    st.text(",".join(names) + "\n" + built.html())


def test_downloads_state_the_imported_layers_and_tables_use_their_townships(
    db_url: str, tmp_path: Path
) -> None:
    from geo.cli import main
    from tests.unit.test_cli_demand import _towns, _villages

    assert main(["init"]) == 0
    assert main(["demand", "import", str(_villages(tmp_path)), "--age60-column", "老年人口"]) == 0
    assert main(["boundaries", "import", str(_towns(tmp_path)), "--level", "township"]) == 0
    at = AppTest.from_function(_provenance_script, default_timeout=120).run()
    assert not at.exception
    zh, en, townships, outlines = (t.value for t in at.text)
    groups, page = outlines.split("\n", 1)
    assert "townships" in groups.split(",")  # outlined on the coverage map, a layer of its own
    assert "西城街道 (150602901)" in page and "康巴什街道 (150603901)" in page
    assert (
        "导入的人口数据第 2 版：villages.gpkg" in zh
        and "导入的乡镇边界第 1 版：towns.geojson，3 个乡镇街道" in zh
    )
    assert "各数据层 · 人口（需求）：真实：导入" in zh and "各数据层 · 边界：真实：导入" in zh
    assert "设施为模拟数据" in zh and "人口（需求）为模拟" not in zh
    assert (
        "imported population version 2: villages.gpkg" in en
        and "Data layers · Road network: not loaded" in en
    )
    assert set(townships.split("|")) == {"西城街道", "东城街道", "康巴什街道"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_tables_are_shown_as_the_page_values_under_page_headers(lang: str) -> None:
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    from geo import fmt
    from ui import tables

    frame = pd.DataFrame(
        {
            "adcode": [150602, 150603],
            "name": ["东胜区", None],
            "pop_total": [1000, 0],
            "pop_total_covered_share": [0.25, np.nan],
            "capacity": [12.5, 0.0],
            "minutes": [3.0, np.inf],
        }
    )
    frame.attrs = {"by": "district", "types": ["community_station"]}
    with fixed_lang(lang):
        got = tables.shown(frame)
        labels = {c: tables.column_label(c) for c in frame.columns}
    # What converting the page's frame would give, without pandas' own schema notes.
    want = pa.Table.from_pandas(fmt.for_page(frame).rename(columns=labels), preserve_index=False)
    assert got.table.equals(want.replace_schema_metadata(None))
    assert got.table.column(labels["pop_total_covered_share"]).to_pylist() == [25.0, None]
    assert set(got.config) == {labels[c] for c in frame.columns if fmt.printf(fmt.kind_of(c))}
