"""选址与情景 · Sites & scenarios through Streamlit's AppTest.

The first tests are the cases of the planner's bug report: the page computes with exactly the mode
the box shows, mode and budget follow the facility type, an added facility is of the planned type, a
change with no effect says why. (Streamlit's warning about a widget given a value twice is only
raised by a running server: tests/browser/test_planner_browser.py reads the server log for it.)
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo import scenarios as sc
from geo.report import cjk_font_path
from geo.store import open_store
from ui import plan_ui, report_ui, scenario_ui

PAGE = "app_pages/plan.py"


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


def _section(at: AppTest, name: str) -> None:
    """Show a section of the page (suggestions, scenarios, report), as the segmented control does."""
    at.session_state[plan_ui.PLAN_SECTION] = name
    at.run()


def _note(at: AppTest) -> str:
    return next(i.value for i in at.info if "出行模型" in i.value or "Travel model" in i.value)


def test_mode_budget_target_and_added_type_follow_the_facility_type(app: Callable[[str], AppTest]) -> None:
    at = app(PAGE)
    _ok(at)
    # community stations are reached on foot
    assert at.sidebar.selectbox(key=plan_ui.PLAN_TYPE).value == "community_station"
    assert at.sidebar.selectbox(key=plan_ui.PLAN_MODE).value == "walk"
    assert "60 米/分钟" in _note(at)
    # a regional centre by car: the boxes show it and the page computes with it
    at.sidebar.selectbox(key=plan_ui.PLAN_TYPE).set_value("regional_center").run()
    _ok(at)
    mode = at.sidebar.selectbox(key=plan_ui.PLAN_MODE)
    assert mode.value == "drive" and "667 米/分钟" in _note(at)
    # back to community stations: walking again, sent to the browser (not only kept on the server)
    at.sidebar.selectbox(key=plan_ui.PLAN_TYPE).set_value("community_station").run()
    _ok(at)
    mode = at.sidebar.selectbox(key=plan_ui.PLAN_MODE)
    assert mode.value == "walk" and mode.proto.set_value, "the browser would keep showing 驾车"
    assert at.sidebar.select_slider(key=plan_ui.PLAN_BUDGET).value == 15.0
    assert at.sidebar.radio(key=plan_ui.PLAN_TARGET).value == "pop_60plus"
    _section(at, "scenarios")
    added = at.selectbox(key=plan_ui.PLAN_ADD_TYPE)
    assert added.value == "community_station"
    assert "60 米/分钟" in _note(at)
    _section(at, "suggest")
    # and the suggestions compute with walking 15 minutes, run after run
    at.number_input(key=plan_ui.PLAN_N).set_value(2).run()
    at.button(key=plan_ui.PLAN_RUN).click().run()
    at.sidebar.radio(key=plan_ui.PLAN_TARGET).set_value("pop_total").run()
    at.button(key=plan_ui.PLAN_RUN).click().run()
    _ok(at)
    args, _ = at.session_state[plan_ui.PLAN_RESULT]
    assert args[1:6] == ("community_station", 2, 15.0, "pop_total", "walk")
    # a nursing home: 30 minutes by car
    at.sidebar.selectbox(key=plan_ui.PLAN_TYPE).set_value("nursing_home").run()
    assert at.sidebar.selectbox(key=plan_ui.PLAN_MODE).value == "drive"
    assert at.sidebar.select_slider(key=plan_ui.PLAN_BUDGET).value == 30.0
    # the planner's own choice stays until the type changes again
    at.sidebar.selectbox(key=plan_ui.PLAN_MODE).set_value("bike").run()
    at.sidebar.radio(key=plan_ui.PLAN_TARGET).set_value("pop_total").run()
    assert at.sidebar.selectbox(key=plan_ui.PLAN_MODE).value == "bike"
    assert "200 米/分钟" in _note(at)


def test_adding_a_station_of_the_planned_type_counts(app: Callable[[str], AppTest]) -> None:
    at = app(PAGE)
    _section(at, "scenarios")
    at.sidebar.selectbox(key=plan_ui.PLAN_TYPE).set_value("regional_center").run()
    at.sidebar.selectbox(key=plan_ui.PLAN_TYPE).set_value("community_station").run()
    added = at.selectbox(key=plan_ui.PLAN_ADD_TYPE)
    assert added.value == "community_station" and added.proto.set_value  # the browser shows it too
    at.number_input(key=scenario_ui.PLAN_LON).set_value(109.93).run()
    at.number_input(key=scenario_ui.PLAN_LAT).set_value(39.79).run()
    at.button(key=scenario_ui.PLAN_ADD).click().run()
    _ok(at)
    scenario = at.session_state[scenario_ui.PLAN_SCENARIO]
    assert [e.facility_type for e in scenario.edits] == ["community_station"]
    deltas = [m.delta for m in at.metric]
    assert len(deltas) == 3 and all(re.fullmatch(r"\+\d+\.\d 个百分点", d) for d in deltas), deltas
    assert all(re.fullmatch(r"\d+\.\d%", m.value) for m in at.metric)


def test_an_edit_with_no_effect_says_why(app: Callable[[str], AppTest]) -> None:
    at = app(PAGE)
    _section(at, "scenarios")
    # another type than the one analysed
    at.selectbox(key=plan_ui.PLAN_ADD_TYPE).set_value("regional_center").run()
    assert any("不会计入覆盖率" in c.value for c in at.caption)
    at.number_input(key=scenario_ui.PLAN_LON).set_value(109.93).run()
    at.number_input(key=scenario_ui.PLAN_LAT).set_value(39.79).run()
    at.button(key=scenario_ui.PLAN_ADD).click().run()
    _ok(at)
    assert [m.delta for m in at.metric] == ["0.0 个百分点"] * 3
    assert any("这项调整的是区域养老服务中心" in i.value and "社区养老服务站" in i.value for i in at.info)
    # the planned type, next to an existing station: everyone there is covered already
    published = open_store_facilities(at)
    station = published[(published["type"] == "community_station") & (published["status"] == "open")].iloc[0]
    at.selectbox(key=plan_ui.PLAN_ADD_TYPE).set_value("community_station").run()
    at.number_input(key=scenario_ui.PLAN_LON).set_value(round(float(station["lon"]), 6)).run()
    at.number_input(key=scenario_ui.PLAN_LAT).set_value(round(float(station["lat"]), 6)).run()
    at.button(key=scenario_ui.PLAN_ADD).click().run()
    _ok(at)
    assert any("已被现有设施覆盖" in i.value for i in at.info), [i.value for i in at.info]


def open_store_facilities(at: AppTest) -> pd.DataFrame:
    from ui import loaders

    return loaders.store().facilities()


def test_suggestion_downloads_carry_their_context(app: Callable[[str], AppTest]) -> None:
    at = app(PAGE)
    at.number_input(key=plan_ui.PLAN_N).set_value(3).run()
    at.button(key=plan_ui.PLAN_RUN).click().run()
    _ok(at)
    table = at.dataframe[0].value
    assert list(table.columns)[:3] == ["序号", "旗区", "乡镇街道"]
    assert table["新增覆盖人数"].is_monotonic_decreasing
    _, result = at.session_state[plan_ui.PLAN_RESULT]
    from geo import context as cx
    from geo.cli_siting import suggestion_geojson

    ctx = cx.Context(
        data=cx.data_block(open_store_facilities(at), version=1, model_description={"mode": "walk"}),
        model={"mode": "walk", "name": "straight_line", "speed_m_per_min": 60.0, "detour_factor": 1.3},
        budget_min=15,
        types=("community_station",),
        scope="全市",
    )
    archive = zipfile.ZipFile(io.BytesIO(cx.zip_bytes(ctx, "zh", {"suggestions": result["table"]})))
    csv = pd.read_csv(io.BytesIO(archive.read("suggestions.csv")), encoding="utf-8-sig")
    assert "新增覆盖人数" in csv.columns and "README.txt" in archive.namelist()
    assert json.dumps(suggestion_geojson(result["found"], {}))  # the GeoJSON builds


def test_scenario_edit_save_reopen_compare(app: Callable[[str], AppTest], db_url: str) -> None:
    at = app(PAGE)
    _section(at, "scenarios")
    at.text_input(key=scenario_ui.PLAN_SCENARIO_NAME).set_value("东胜加密").run()
    at.number_input(key=scenario_ui.PLAN_LON).set_value(109.93).run()
    at.number_input(key=scenario_ui.PLAN_LAT).set_value(39.79).run()
    at.button(key=scenario_ui.PLAN_ADD).click().run()
    published = open_store(db_url).facilities()
    first = published[(published["type"] == "community_station") & (published["status"] == "open")]
    at.selectbox(key=scenario_ui.PLAN_PICK).set_value(str(first["facility_id"].iloc[0])).run()
    at.button(key=scenario_ui.PLAN_CLOSE).click().run()
    _ok(at)
    assert [e.action for e in at.session_state[scenario_ui.PLAN_SCENARIO].edits] == ["add", "close"]
    # the before/after table per district, the city total last
    before_after = next(d.value for d in at.dataframe if "现状覆盖率" in d.value.columns)
    assert len(before_after) == 10 and before_after.iloc[-1]["旗区"] == "全市合计"
    assert all(re.fullmatch(r"\d+\.\d%", v) for v in before_after["情景覆盖率"])
    assert all(re.fullmatch(r"([+-]\d+\.\d|0\.0) 个百分点", v) for v in before_after["变化"])
    # save next to the test database, clear, reopen
    at.button(key=scenario_ui.PLAN_SAVE).click().run()
    saved = Path(db_url.removeprefix("sqlite:///")).parent / "scenarios" / "东胜加密.json"
    assert sc.load_scenario(saved) == at.session_state[scenario_ui.PLAN_SCENARIO]
    at.button(key=scenario_ui.PLAN_CLEAR).click().run()
    assert at.session_state[scenario_ui.PLAN_SCENARIO].edits == ()
    at.selectbox(key=scenario_ui.PLAN_OPEN_PICK).set_value("东胜加密").run()
    at.button(key=scenario_ui.PLAN_OPEN).click().run()
    _ok(at)
    assert len(at.session_state[scenario_ui.PLAN_SCENARIO].edits) == 2
    at.multiselect(key=scenario_ui.PLAN_COMPARE).set_value([scenario_ui.CURRENT, "东胜加密"]).run()
    _ok(at)
    table = at.dataframe[-1].value
    assert len(table) == 10 and "东胜加密 · 新增覆盖" in table.columns


def test_report_in_the_page_language_with_the_scenario(app: Callable[[str], AppTest]) -> None:
    at = app(PAGE)
    _section(at, "scenarios")
    at.number_input(key=scenario_ui.PLAN_LON).set_value(109.93).run()
    at.number_input(key=scenario_ui.PLAN_LAT).set_value(39.79).run()
    at.button(key=scenario_ui.PLAN_ADD).click().run()
    at.session_state["lang"] = "en"
    _section(at, "report")
    at.selectbox(key=report_ui.REPORT_SCOPE).set_value(150602).run()
    at.radio(key=report_ui.REPORT_FORMAT).set_value("html").run()
    at.toggle(key=report_ui.REPORT_SCENARIO).set_value(True).run()
    at.button(key=report_ui.REPORT_BUILD).click().run()
    _ok(at)
    _, made = at.session_state[report_ui.REPORT]
    assert made["error"] == "" and made["title"].startswith("Dongsheng District")
    page = made["data"].decode("utf-8")
    assert '<html lang="en">' in page and "新情景" in page and "The scenario" in page
    assert made["file_name"].endswith(".html")
    # changing a setting makes the file stale
    at.sidebar.radio(key=plan_ui.PLAN_TARGET).set_value("pop_total").run()
    assert any("make the report again" in i.value for i in at.info)
    if cjk_font_path() is None:
        pytest.skip("no CJK font: the PDF is refused with a message")


def test_choices_are_kept_when_another_section_shows(app: Callable[[str], AppTest]) -> None:
    at = app(PAGE)
    at.number_input(key=plan_ui.PLAN_N).set_value(3).run()
    _section(at, "scenarios")
    at.text_input(key=scenario_ui.PLAN_SCENARIO_NAME).set_value("伊旗加密").run()
    _section(at, "report")
    _ok(at)
    assert any("伊旗加密" in toggle.label for toggle in at.toggle)  # the report offers the named scenario
    _section(at, "suggest")
    assert at.number_input(key=plan_ui.PLAN_N).value == 3
    _section(at, "scenarios")
    assert at.text_input(key=scenario_ui.PLAN_SCENARIO_NAME).value == "伊旗加密"
