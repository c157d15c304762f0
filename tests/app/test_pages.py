"""Every page through Streamlit's AppTest: runs cleanly, key widgets, language switch, finder order."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from geo.crs import to_metric
from geo.store import FacilityStore
from geo.travel import MODES
from tests.app._data import HOME_LONLAT, HOSTILE_NAME, publish_hostile
from ui import state

PAGES = ("app_pages/map.py", "app_pages/find.py", "app_pages/coverage.py")
TITLES = {
    "app_pages/map.py": ("设施地图", "Facility map"),
    "app_pages/find.py": ("找服务", "Find services"),
    "app_pages/coverage.py": ("覆盖分析", "Coverage"),
}


def _markdown(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_in_chinese_then_english(app: Callable[[str], AppTest], page: str) -> None:
    at = app(page)
    assert not at.exception, [e.message for e in at.exception]
    zh, en = TITLES[page]
    assert at.title[0].value == zh
    # the modelled-sample note is visible on every page while the shipped sample is loaded
    assert any("模拟样本" in w.value for w in at.warning)

    if page == "app_pages/map.py":
        at.sidebar.radio(key=state.LANG).set_value("en").run()
    else:
        # AppTest (1.67) drops the entry file's sidebar widgets from its tree after switch_page, so the
        # radio cannot be clicked there; set its session-state key instead (what the radio writes).
        at.session_state[state.LANG] = "en"
        at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == en
    assert any("modelled sample" in w.value for w in at.warning)
    assert not any("⟦" in m for m in _markdown(at)), "a catalog key is missing"


def test_map_page_filter_and_counts(app: Callable[[str], AppTest]) -> None:
    at = app("app_pages/map.py")
    assert at.sidebar.multiselect(key=state.MAP_CATEGORIES).value == ["elderly", "child"]
    counts = at.dataframe[0].value
    total_label = "合计"
    all_count = int(counts.loc[total_label, total_label])
    assert len(counts) == 10  # 9 districts + total
    at.sidebar.multiselect(key=state.MAP_CATEGORIES).set_value(["child"]).run()
    child = at.dataframe[0].value
    assert 0 < int(child.loc[total_label, total_label]) < all_count
    assert "村养老服务站" not in "".join(child.columns)


def _result_names(at: AppTest) -> list[str]:
    names = []
    for body in _markdown(at):
        match = re.match(r"^\*\*(\d+)\. (.*)\*\*", body)
        if match:
            names.append(re.sub(r"\\(.)", r"\1", match.group(2)))
    return names


def test_finder_by_coordinates_lists_nearest_first(
    app: Callable[[str], AppTest], store: FacilityStore
) -> None:
    at = app("app_pages/find.py")
    assert at.info[0].value.startswith("请先设置您的位置")
    at.radio(key=state.FIND_HOW).set_value("coords").run()
    at.selectbox(key=state.FIND_NEED).set_value("child").run()
    at.radio(key=state.FIND_MODE).set_value("walk").run()
    at.text_input(key=state.FIND_COORDS).input(f"{HOME_LONLAT[0]}, {HOME_LONLAT[1]}").run()
    at.button[0].click().run()
    assert not at.exception, [e.message for e in at.exception]
    names = _result_names(at)
    assert len(names) >= 3

    # Oracle: straight-line minutes by brute force over every open child facility.
    fac = store.facilities()
    fac = fac[(fac["category"] == "child") & fac["status"].isin(["open", ""])]
    hx, hy = to_metric(*HOME_LONLAT)
    fx, fy = to_metric(fac["lon"].to_numpy(float), fac["lat"].to_numpy(float))
    mode = MODES["walk"]
    minutes = np.hypot(fx - hx, fy - hy) * mode.detour_factor / mode.speed_m_per_min
    expected = fac.assign(minutes=minutes).query("minutes <= 60").sort_values(["minutes", "name"])
    assert names == expected["name"].head(len(names)).tolist()


def test_finder_by_place_name(app: Callable[[str], AppTest]) -> None:
    at = app("app_pages/find.py")
    at.radio(key=state.FIND_HOW).set_value("place").run()
    at.text_input(key=state.FIND_QUERY).input("康巴什").run()
    assert at.selectbox(key=state.FIND_PICK).options
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state[state.HOME] is not None
    assert _result_names(at)


def test_finder_rejects_coordinates_outside_ordos(app: Callable[[str], AppTest]) -> None:
    at = app("app_pages/find.py")
    at.radio(key=state.FIND_HOW).set_value("coords").run()
    at.text_input(key=state.FIND_COORDS).input("116.4, 39.9").run()
    at.button[0].click().run()
    assert at.error and "鄂尔多斯" in at.error[0].value
    assert state.HOME not in at.session_state


def test_finder_escapes_hostile_names(app: Callable[[str], AppTest], store: FacilityStore) -> None:
    publish_hostile(store)
    at = app("app_pages/find.py")
    at.radio(key=state.FIND_HOW).set_value("coords").run()
    at.selectbox(key=state.FIND_NEED).set_value("nursery").run()
    at.text_input(key=state.FIND_COORDS).input(f"{HOME_LONLAT[0]}, {HOME_LONLAT[1]}").run()
    at.button[0].click().run()
    assert HOSTILE_NAME in _result_names(at)
    bodies = "\n".join(b for b in _markdown(at) if not b.startswith("<style>"))  # the fixed style sheets
    # Markdown shows a backslash-escaped "<" as text: no unescaped "<" may reach st.markdown
    assert re.search(r"(?<!\\)<", bodies) is None
    assert r"\<img src=x onerror=alert\(1\)\>" in bodies


def test_coverage_controls_tables_and_model_note(app: Callable[[str], AppTest]) -> None:
    at = app("app_pages/coverage.py")
    assert at.sidebar.multiselect(key=state.COV_TYPES).value == ["community_station"]
    assert "直线距离" in at.info[0].value  # the model in use is always visible
    assert len(at.metric) == 3
    shares = [m.value for m in at.metric]
    at.sidebar.select_slider(key=state.COV_BUDGET).set_value(30.0).run()
    assert not at.exception
    wider = [m.value for m in at.metric]
    # a larger budget never covers fewer people
    assert all(float(w.rstrip("%")) >= float(s.rstrip("%")) for s, w in zip(shares, wider, strict=True))
    at.sidebar.selectbox(key=state.COV_DISTRICT).set_value(150603).run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 1  # the district table keeps the chosen district
    at.sidebar.multiselect(key=state.COV_TYPES).set_value([]).run()
    assert at.info[-1].value == "请至少选择一种设施类型。"
