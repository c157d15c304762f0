"""The data page's population and township tab through AppTest: check, preview, publish, and the app using it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box
from streamlit.testing.v1 import AppTest

from geo import auth
from geo.demand_store import layer_store
from geo.store import FacilityStore
from tests.unit._demand_files import DONGSHENG_BOX, KANGBASHI_BOX, polygons_frame, vector_bytes
from ui import state

PAGE = "app_pages/data.py"
USER, PASSWORD = "zhao", "a long enough password"


@pytest.fixture
def editor(store: FacilityStore) -> FacilityStore:
    auth.add_user(store, USER, PASSWORD, role="editor")
    return store


def _login(at: AppTest) -> AppTest:
    at.text_input[0].input(USER)
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert not [u for u in at.file_uploader if str(u.key).startswith(state.DEMAND_UPLOAD)]  # drawn when open
    at.session_state[state.DATA_TAB] = "人口与乡镇边界"  # what a click on the tab does
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _uploader(at: AppTest, prefix: str):
    return next(u for u in at.file_uploader if str(u.key).startswith(prefix))


def _button(at: AppTest, key: str):
    return next(b for b in at.button if b.key == key)


def test_demand_file_is_checked_previewed_and_published(
    app: Callable[[str], AppTest], editor: FacilityStore, tmp_path: Path
) -> None:
    at = _login(app(PAGE))
    assert any("模拟样本" in c.value and "6,345" in c.value for c in at.caption)
    bad = polygons_frame([DONGSHENG_BOX], ["很多"])
    _uploader(at, state.DEMAND_UPLOAD).set_value(
        ("bad.geojson", vector_bytes(bad, "geojson", tmp_path), "application/json")
    )
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("错误" in e.value for e in at.error)
    assert not [b for b in at.button if b.key == state.DEMAND_PUBLISH]

    good = polygons_frame([DONGSHENG_BOX, KANGBASHI_BOX], [40_000, 10_000])
    _uploader(at, state.DEMAND_UPLOAD).set_value(
        ("villages.geojson", vector_bytes(good, "geojson", tmp_path), "application/json")
    )
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    preview = next(
        d.value for d in at.dataframe if "旗区" in d.value.columns and "文件人口" in d.value.columns
    )
    assert preview.set_index("旗区")["网格人口"].to_dict() == {"东胜区": 40_000, "康巴什区": 10_000}
    assert preview.set_index("旗区").loc["东胜区", "现有人口"] == 574_442
    assert {m.label for m in at.metric} >= {"网格", "人口", "模拟样本占比"}
    key = editor.data_version()
    _button(at, state.DEMAND_PUBLISH).click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("已发布需求版本 2" in s.value for s in at.success)
    assert editor.data_version() != key
    info = layer_store(editor.engine).demand_info()
    assert info.version == 2 and info.pop_total == 50_000 and not info.modelled


def test_boundaries_publish_and_coverage_names_the_layers(
    app: Callable[[str], AppTest], editor: FacilityStore, tmp_path: Path
) -> None:
    at = _login(app(PAGE))
    towns = gpd.GeoDataFrame(
        {"名称": ["东城街道"], "代码": ["150602901"]}, geometry=[box(*DONGSHENG_BOX)], crs=4326
    )
    _uploader(at, state.BOUNDARY_UPLOAD).set_value(
        ("towns.geojson", vector_bytes(towns, "geojson", tmp_path), "application/json")
    )
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    _button(at, state.BOUNDARY_PUBLISH).click().run()
    assert any("已发布乡镇边界版本 1" in s.value for s in at.success)

    at.switch_page("app_pages/coverage.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    notes = [w.value for w in at.warning if "模拟样本" in w.value]
    # Facilities and population are still the sample; the townships are not modelled any more.
    assert notes and "设施" in notes[0] and "人口需求" in notes[0] and "乡镇" not in notes[0]
    # The sources panel is Markdown with the file names escaped.
    sources = next(m.value for m in at.markdown if "towns\\.geojson" in m.value)
    assert "| 图层 |" in sources and "模拟样本" in sources
