"""选址与情景 · Sites & scenarios through Streamlit's AppTest: suggestions, scenario edits, files, report."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo import scenarios as sc
from geo.report import cjk_font_path
from geo.store import open_store
from ui import plan_ui

PAGE = "app_pages/plan.py"


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


def test_page_runs_and_suggests_sites(app: Callable[[str], AppTest]) -> None:
    at = app(PAGE)
    _ok(at)
    assert at.title[0].value == "选址与情景"
    assert any("模拟样本" in w.value for w in at.warning)
    for key in (plan_ui.PLAN_TYPE, plan_ui.PLAN_MODE):
        assert at.sidebar.selectbox(key=key) is not None
    assert at.number_input(key=plan_ui.PLAN_N).value == 5
    assert at.radio(key=plan_ui.PLAN_SOLVER).value == "greedy"
    assert not at.dataframe or "序号" not in at.dataframe[0].value.columns  # nothing suggested yet

    at.sidebar.selectbox(key=plan_ui.PLAN_TYPE).set_value("community_station").run()
    at.sidebar.radio(key=plan_ui.PLAN_TARGET).set_value("pop_60plus").run()
    at.number_input(key=plan_ui.PLAN_N).set_value(3).run()
    at.button(key=plan_ui.PLAN_RUN).click().run()
    _ok(at)
    table = at.dataframe[0].value
    assert list(table.columns)[:3] == ["序号", "旗区", "乡镇街道"]
    assert table["序号"].tolist() == [1, 2, 3]
    assert table["新增覆盖人数"].is_monotonic_decreasing
    assert (table["累计覆盖率"] > 0).all() and (table["累计覆盖率"] <= 1).all()
    args, result = at.session_state[plan_ui.PLAN_RESULT]
    assert args[1:6] == ("community_station", 3, 15.0, "pop_60plus", "walk")
    csv = pd.read_csv(io.BytesIO(result["csv"]), encoding="utf-8-sig")
    assert list(csv.columns) == [
        "rank",
        "lon",
        "lat",
        "district_adcode",
        "township",
        "gain",
        "cumulative_covered",
        "cumulative_share",
    ]
    assert b'"FeatureCollection"' in result["geojson"]

    # English as well: no catalog key missing
    at.session_state["lang"] = "en"
    at.run()
    _ok(at)
    assert at.title[0].value == "Sites & scenarios"
    assert not any("⟦" in m.value for m in at.markdown)
    assert "Rank" in at.dataframe[0].value.columns


def test_scenario_edit_save_reopen_compare_and_report(
    app: Callable[[str], AppTest], db_url: str, tmp_path: Path
) -> None:
    at = app(PAGE)
    at.sidebar.selectbox(key=plan_ui.PLAN_TYPE).set_value("community_station").run()
    at.text_input(key=plan_ui.PLAN_SCENARIO_NAME).set_value("东胜加密").run()
    # add a station by coordinates (what a map click fills in)
    at.number_input(key=plan_ui.PLAN_LON).set_value(109.98).run()
    at.number_input(key=plan_ui.PLAN_LAT).set_value(39.83).run()
    at.button(key=plan_ui.PLAN_ADD).click().run()
    _ok(at)
    scenario = at.session_state[plan_ui.PLAN_SCENARIO]
    assert scenario.name == "东胜加密" and [e.action for e in scenario.edits] == ["add"]
    shares = [m.value for m in at.metric]
    deltas = [m.delta for m in at.metric]
    assert len(shares) == 3 and all(d.startswith("+") for d in deltas)

    # close an existing station
    published = open_store(db_url).facilities()
    first = published[(published["type"] == "community_station") & (published["status"] == "open")]
    at.selectbox(key=plan_ui.PLAN_PICK).set_value(str(first["facility_id"].iloc[0])).run()
    at.button(key=plan_ui.PLAN_CLOSE).click().run()
    _ok(at)
    assert [e.action for e in at.session_state[plan_ui.PLAN_SCENARIO].edits] == ["add", "close"]

    # save next to the test database, then reopen after clearing
    at.button(key=plan_ui.PLAN_SAVE).click().run()
    _ok(at)
    saved = Path(db_url.removeprefix("sqlite:///")).parent / "scenarios" / "东胜加密.json"
    assert saved.is_file()
    assert sc.load_scenario(saved) == at.session_state[plan_ui.PLAN_SCENARIO]
    at.button(key=plan_ui.PLAN_CLEAR).click().run()
    assert at.session_state[plan_ui.PLAN_SCENARIO].edits == ()
    at.selectbox(key=plan_ui.PLAN_OPEN_PICK).set_value("东胜加密").run()
    at.button(key=plan_ui.PLAN_OPEN).click().run()
    _ok(at)
    assert len(at.session_state[plan_ui.PLAN_SCENARIO].edits) == 2

    # compare the edited scenario with the base
    at.multiselect(key=plan_ui.PLAN_COMPARE).set_value([plan_ui.CURRENT, "东胜加密"]).run()
    _ok(at)
    table = at.dataframe[-1].value
    assert len(table) == 10  # city + 9 districts
    assert "东胜加密 · 新增覆盖" in table.columns and "东胜加密 (2) · 净变化" in table.columns

    # the report of one district, with the scenario applied
    at.selectbox(key=plan_ui.PLAN_REPORT_SCOPE).set_value(150602).run()
    at.toggle(key=plan_ui.PLAN_REPORT_SCENARIO).set_value(True).run()
    at.button(key=plan_ui.PLAN_REPORT_BUILD).click().run()
    _ok(at)
    report = at.session_state[plan_ui.PLAN_REPORT]
    assert report["title"].startswith("东胜区")
    assert report["html"].startswith(b"<!DOCTYPE html>") and b"data:image/png;base64," in report["html"]
    if cjk_font_path() is not None:
        assert report["pdf"].startswith(b"%PDF-")
    else:
        pytest.skip("no CJK font: the page shows the bilingual error instead of the PDF")


def test_suggestion_table_in_english_with_shares_as_percent(app: Callable[[str], AppTest]) -> None:
    at = app(PAGE)
    at.session_state["lang"] = "en"
    at.run()
    at.number_input(key=plan_ui.PLAN_N).set_value(2).run()
    at.button(key=plan_ui.PLAN_RUN).click().run()
    _ok(at)
    table = at.dataframe[0]
    assert table.value["District"].tolist()
    assert not any(re.search(r"[\u4e00-\u9fff]", d) for d in table.value["District"]), table.value["District"]
    config = json.loads(table.proto.columns)
    assert config["Covered share"]["type_config"]["format"] == "percent"
