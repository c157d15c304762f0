"""The data staff page through AppTest: login gate, upload report, preview, publish, conflict, restore."""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Callable

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo import auth
from geo import io as gio
from geo.importer import IMPORT_MODES, plan_import
from geo.store import FacilityStore
from geo.validate import LIMITS_ZH, validate_bytes
from ui import data_ui, state
from ui.i18n import CATALOG

PAGE = "app_pages/data.py"
USER, PASSWORD = "alice", "correct horse battery"
WRONG_ZH = auth._FAILED_ZH


def _texts(elements: object) -> list[str]:
    return [e.value for e in elements]  # type: ignore[attr-defined]


def _login(at: AppTest, name: str = USER, password: str = PASSWORD) -> AppTest:
    at.text_input[0].input(name)
    at.text_input[1].input(password)
    at.button[0].click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _upload_bytes(store: FacilityStore) -> bytes:
    """Two rows: an existing facility with 5 more places, and a new facility 300 m from it."""
    current = store.facilities()
    changed = current.iloc[[0]].copy()
    changed["capacity"] = changed["capacity"] + 5
    added = changed.copy()
    added["facility_id"] = "NEW-0001"
    added["name"] = "新开日间照料中心<b>"
    added["lat"] = added["lat"] + 0.003
    return gio.facilities_csv_bytes(pd.concat([changed, added], ignore_index=True))


def _upload(at: AppTest, data: bytes, name: str = "bureau.csv") -> AppTest:
    at.file_uploader[0].set_value((name, data, "text/csv"))
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


PREVIEW_COUNTS = {"新增", "修改", "删除", "未变", "将关闭"}


def _metrics(at: AppTest) -> dict[str, int]:
    """The preview's counts (the quality tab has metrics of its own)."""
    return {m.label: int(m.value) for m in at.metric if m.label in PREVIEW_COUNTS}


@pytest.fixture
def editor(store: FacilityStore) -> FacilityStore:
    auth.add_user(store, USER, PASSWORD, role="editor")
    return store


def test_nothing_but_the_login_form_without_login(
    app: Callable[[str], AppTest], store: FacilityStore
) -> None:
    at = app(PAGE)
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == "数据管理"
    assert len(at.file_uploader) == 0
    assert [r.key for r in at.radio] == [state.LANG]  # the language switch only: neither CRS nor mode
    assert len(at.dataframe) == 0  # no history
    assert len(at.text_input) == 2
    assert at.text_input[1].proto.type == at.text_input[1].proto.PASSWORD


def test_wrong_unknown_and_limited_answer_alike(app: Callable[[str], AppTest], editor: FacilityStore) -> None:
    at = app(PAGE)
    _login(at, password="not the password")
    assert _texts(at.error) == [WRONG_ZH]
    assert len(at.file_uploader) == 0
    _login(at, name="nobody", password=PASSWORD)  # unknown name: the same answer
    assert _texts(at.error) == [WRONG_ZH]
    for attempt in ("still wrong", "wrong again", "and again"):
        _login(at, password=attempt)
    _login(at)  # this session is over its limit: even the right password gets the same answer
    assert _texts(at.error) == [WRONG_ZH]
    assert not any(re.search(r"\d+ ?(秒|s\b)", c) for c in _texts(at.caption) + _texts(at.error))
    assert len(at.file_uploader) == 0
    assert auth.get_user(editor, USER).failed_logins == 4
    # Counted on this session (AppTest has no client address), as geo.auth's tests check in full.
    held = auth.limited_now(editor)
    assert [r.scope for r in held] == ["session"] and held[0].count == auth.DEFAULT_POLICY.max_per_session


def test_a_user_name_in_session_state_alone_is_no_login(
    app: Callable[[str], AppTest], editor: FacilityStore
) -> None:
    at = app(PAGE)
    at.session_state[state.DATA_USER] = USER  # what a forged widget value could at most give
    at.run()
    assert len(at.file_uploader) == 0 and len(at.text_input) == 2


def test_login_shows_import_widgets_and_logout_hides_them(
    app: Callable[[str], AppTest], editor: FacilityStore
) -> None:
    at = _login(app(PAGE))
    assert at.session_state[state.DATA_USER] == USER
    assert len(at.file_uploader) == 1
    assert at.radio(key=state.DATA_CRS).options == ["WGS84(GPS、OSM)", "GCJ-02(高德、腾讯)", "BD-09(百度)"]
    assert at.radio(key=state.DATA_MODE).value == "upsert"
    assert len(at.dataframe) == 4  # quality: districts and list; history and the newest version
    assert [b.proto.label for b in at.get("download_button")] == [
        "CSV 模板(UTF-8 带 BOM)",
        "Excel 模板(XLSX)",
        "下载跟进清单(CSV)",
        "下载各旗区统计(CSV)",
        "导出 CSV(UTF-8 带 BOM)",
        "导出 Excel(XLSX)",
        "导出 GeoJSON",
    ]
    assert any(LIMITS_ZH in c for c in _texts(at.caption))  # the limits are stated
    at.radio(key=state.DATA_MODE).set_value("replace").run()
    assert any("已关闭" in c for c in _texts(at.caption))
    at.sidebar.button(key=state.DATA_LOGOUT).click().run()
    assert len(at.file_uploader) == 0
    assert state.DATA_USER not in at.session_state


def test_english_switch_changes_the_title(app: Callable[[str], AppTest], editor: FacilityStore) -> None:
    at = app(PAGE)
    at.session_state[state.LANG] = "en"  # AppTest drops the entry file's sidebar after switch_page
    at.run()
    assert at.title[0].value == "Data management"
    _login(at, password="nope")
    assert _texts(at.error) == [auth._FAILED_EN]
    _login(at)
    assert at.radio(key=state.DATA_MODE).options == ["Add and update (upsert)", "Complete replacement"]
    assert not any("⟦" in s for s in _texts(at.markdown) + _texts(at.caption))


def test_file_with_errors_shows_the_report_and_no_publish(
    app: Callable[[str], AppTest], editor: FacilityStore
) -> None:
    at = _login(app(PAGE))
    bad = "facility_id,name,type,lon,lat\nX-1,某养老院,no_such_type,39.6,109.8\n".encode()
    _upload(at, bad, "bad.csv")
    assert "错误" in at.error[0].value
    report = at.dataframe[0].value
    assert list(report.columns) == ["行号", "列", "代码", "级别", "内容", "说明与修改方法"]
    assert {"unknown_type", "lat_lon_swapped"} <= set(report["代码"])
    assert set(report["行号"].dropna()) == {1, 2}  # missing headers on row 1, bad values on row 2
    assert any("经纬度" in m or "纬度" in m for m in report["说明与修改方法"])
    assert all(b.key != state.DATA_PUBLISH for b in at.button)
    assert editor.current_version() == 1


def test_preview_publish_shows_the_new_version_everywhere(
    app: Callable[[str], AppTest], editor: FacilityStore
) -> None:
    data = _upload_bytes(editor)
    at = _upload(_login(app(PAGE)), data)
    counts = _metrics(at)
    assert counts == {"新增": 1, "修改": 1, "删除": 0, "未变": len(editor.facilities()) - 1}
    changes = _frame_with(at, "字段")
    assert changes[["字段", "原值", "新值"]].to_numpy().tolist() == [
        [
            "容量",
            str(editor.facilities()["capacity"].iloc[0]),
            str(editor.facilities()["capacity"].iloc[0] + 5),
        ]
    ]
    assert at.session_state[state.DATA_PLAN]["plan"].base_version == 1

    at.button(key=state.DATA_PUBLISH).click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("已发布版本 2" in s.value for s in at.success)
    info = editor.version_info(2)
    assert (info.user_name, info.action, info.file_name, info.added, info.changed) == (
        USER, "import", "bureau.csv", 1, 1,
    )  # fmt: skip
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert _metrics(at) == {}  # the uploader was cleared with the published file
    assert "NEW-0001" in set(editor.facilities()["facility_id"])
    at.switch_page("app_pages/map.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert "数据版本 2" in _texts(at.caption)


def _frame_with(at: AppTest, column: str) -> pd.DataFrame:
    frames = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(frames) == 1, "\n".join(str(list(d.value.columns)) for d in at.dataframe)
    return frames[0]


ADDED_COLUMNS = ["编号", "名称", "类型", "行政区划代码", "乡镇街道", "地址", "状态"]


def _added(at: AppTest) -> pd.DataFrame:
    frames = [d.value for d in at.dataframe if list(d.value.columns) == ADDED_COLUMNS]
    assert len(frames) == 1
    return frames[0]


def test_publish_after_someone_else_is_refused_then_repreviewed(
    app: Callable[[str], AppTest], editor: FacilityStore
) -> None:
    at = _upload(_login(app(PAGE)), _upload_bytes(editor))
    editor.restore(1, user_name="bob")  # another member of staff publishes version 2 meanwhile
    at.button(key=state.DATA_PUBLISH).click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("未发布" in e.value and "版本 2" in e.value for e in at.error)
    assert editor.current_version() == 2  # nothing written by the refused publish
    assert at.button(key=state.DATA_PUBLISH).disabled  # stale preview: re-preview first
    assert len(at.file_uploader) == 1 and _metrics(at)["新增"] == 1  # the file is kept
    at.button(key=state.DATA_REPREVIEW).click().run()
    assert at.session_state[state.DATA_PLAN]["plan"].base_version == 2
    assert not at.button(key=state.DATA_PUBLISH).disabled
    at.button(key=state.DATA_PUBLISH).click().run()
    assert editor.current_version() == 3
    assert editor.version_info(3).user_name == USER


def test_replace_mode_lists_the_facilities_to_be_closed(
    app: Callable[[str], AppTest], editor: FacilityStore
) -> None:
    at = _login(app(PAGE))
    at.radio(key=state.DATA_MODE).set_value("replace").run()
    _upload(at, _upload_bytes(editor))
    n_closed = len(editor.facilities()) - 1
    assert _metrics(at)["将关闭"] == n_closed
    assert any(f"以下 {n_closed} 个已发布设施" in w.value for w in at.warning)
    closed = [
        d.value
        for d in at.dataframe
        if list(d.value.columns) == ["编号", "名称", "类型", "行政区划代码", "乡镇街道", "地址", "状态"]
        and len(d.value) == n_closed
    ]
    assert len(closed) == 1 and set(closed[0]["状态"]) == {"closed"}


def test_restore_version_1_after_a_publish_is_version_3_with_the_user(
    app: Callable[[str], AppTest], editor: FacilityStore
) -> None:
    at = _upload(_login(app(PAGE)), _upload_bytes(editor))
    at.button(key=state.DATA_PUBLISH).click().run()
    assert editor.current_version() == 2
    history = _frame_with(at, "恢复自版本")
    assert history["版本"].tolist() == [2, 1]
    assert history["用户"].tolist()[0] == USER
    assert at.selectbox(key=data_ui.view_version_key(2)).value == 2
    at.selectbox(key=data_ui.view_version_key(2)).set_value(1).run()
    assert any(c == f"版本 1:{len(editor.facilities(1))} 个设施" for c in _texts(at.caption))
    at.button(key=state.DATA_RESTORE).click().run()
    assert editor.current_version() == 2  # only asked for a confirmation so far
    assert any("确定恢复版本 1" in w.value for w in at.warning)
    at.button(key=state.DATA_RESTORE_YES).click().run()
    assert not at.exception, [e.message for e in at.exception]
    info = editor.version_info(3)
    assert (info.action, info.restored_from, info.user_name) == ("restore", 1, USER)
    pd.testing.assert_frame_equal(editor.facilities(3), editor.facilities(1))
    assert any("已将版本 1 恢复为新版本 3" in s.value for s in at.success)
    assert at.selectbox(key=data_ui.view_version_key(3)).value == 3  # the history shows the new version


def test_keys_built_from_codes_exist() -> None:
    built = [
        *(f"import_mode_{m}" for m in IMPORT_MODES),
        *(f"sev_{s}" for s in ("error", "warning")),
        *(f"count_{c}" for c in ("added", "changed", "removed", "unchanged", "closed")),
        *(f"action_{a}" for a in ("init", "import", "restore")),
        *(f"hist_{c}" for c in history_columns()),
    ]
    assert [k for k in built if k not in CATALOG] == []
    fmt = string.Formatter()
    for key in built:
        assert not any(f for _, f, _, _ in fmt.parse(CATALOG[key]["zh"]) if f), key


def history_columns() -> list[str]:
    from geo.importer import history_frame

    return list(history_frame([]).columns)


def test_helpers_without_streamlit(store: FacilityStore) -> None:
    assert data_ui.safe_stem("../../月报 2025<script>.csv") == "月报_2025_script"
    assert data_ui.safe_stem("...") == "upload"
    result = validate_bytes(_upload_bytes(store), file_name="x.csv")
    assert not result.has_errors
    display = data_ui.changes_display(plan_import(store, result, mode="upsert"))
    assert list(display.columns) == ["编号", "名称", "字段", "原值", "新值"]
    assert all(isinstance(v, str) for v in display.to_numpy().ravel())


def test_footer_shows_the_version_number_not_the_cache_key(
    app: Callable[[str], AppTest], editor: FacilityStore
) -> None:
    at = _login(app(PAGE))
    footers = [c for c in _texts(at.caption) if c.startswith("数据版本")]
    assert footers == [f"数据版本 {editor.current_version()}"]


# --- issue 14: preview rows, duplicates, quality and the slips ------------------------------------------


def _again_bytes(store: FacilityStore) -> tuple[bytes, pd.Series]:
    """A published station entered again under a new id, 20 m from where it is."""
    station = store.facilities().iloc[0]
    again = store.facilities().iloc[[0]].copy()
    again["facility_id"] = "NEW-0009"
    again["lat"] = again["lat"] + 0.00018
    return gio.facilities_csv_bytes(again), station


def test_preview_tables_show_added_changed_closed_rows_and_filter(
    app: Callable[[str], AppTest], editor: FacilityStore
) -> None:
    at = _upload(_login(app(PAGE)), _upload_bytes(editor))
    added = _added(at)
    assert added["编号"].tolist() == ["NEW-0001"] and added["名称"].tolist() == ["新开日间照料中心<b>"]
    changes = _frame_with(at, "字段")
    assert changes["编号"].tolist() == [editor.facilities()["facility_id"].iloc[0]]
    at.text_input(key=state.DATA_PREVIEW_FILTER).input("NEW-0001").run()
    assert _added(at)["编号"].tolist() == ["NEW-0001"]
    assert _frame_with(at, "字段").empty  # no change matches the filter
    at.text_input(key=state.DATA_PREVIEW_FILTER).input("").run()
    at.multiselect(key=state.DATA_CHANGE_FIELDS).set_value(["容量"]).run()
    assert _frame_with(at, "字段")["字段"].tolist() == ["容量"]
    tabs = [tab.label for tab in at.tabs]
    assert "新增 1" in tabs and "修改 1" in tabs and "将关闭 0" in tabs


def test_full_messages_are_readable_and_formula_cells_are_warnings(
    app: Callable[[str], AppTest], editor: FacilityStore
) -> None:
    row = editor.facilities().iloc[[0]].copy()
    row["facility_id"] = "NEW-0002"
    row["name"] = '=HYPERLINK("http://example.invalid","点我")'
    row["lat"] = row["lat"] + 0.05
    at = _upload(_login(app(PAGE)), gio.facilities_csv_bytes(row))
    report = _frame_with(at, "说明与修改方法")
    formula = report[report["代码"] == "formula_cell"]
    assert len(formula) == 1 and formula["级别"].tolist() == ["警告"]
    message = formula["说明与修改方法"].iloc[0]
    assert message.endswith("请确认这是想要的内容。")  # the full text, not cut
    assert any(message in m.value for m in at.expander[0].markdown)  # readable in full, unwidened
    assert at.button(key=state.DATA_PUBLISH)  # a warning does not block the import


def test_duplicate_of_a_published_station_is_shown_then_merged_or_dismissed(
    app: Callable[[str], AppTest], editor: FacilityStore
) -> None:
    data, station = _again_bytes(editor)
    at = _upload(_login(app(PAGE)), data)
    shown = [m.value.replace("\\", "") for m in at.markdown]  # user text is shown escaped
    pair = [m for m in shown if "NEW-0009" in m and station["facility_id"] in m]
    assert len(pair) == 1 and "已发布设施" in pair[0] and "米" in pair[0]
    report = _frame_with(at, "说明与修改方法")
    assert "possible_duplicate" in set(report["代码"])
    assert _metrics(at)["新增"] == 1

    at.button(key=f"{state.DATA_MERGES}_0").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert _metrics(at)["新增"] == 0 and _metrics(at)["修改"] >= 0
    assert any("NEW-0009" in i.value.replace("\\", "") for i in at.info)
    at.button(key=f"{state.DATA_MERGES}_undo_0").click().run()
    assert _metrics(at)["新增"] == 1

    at.button(key=f"{state.DATA_NOT_DUPLICATE}_0").click().run()
    assert not at.exception, [e.message for e in at.exception]
    shown = [m.value.replace("\\", "") for m in at.markdown]
    assert not any("NEW-0009" in m and station["facility_id"] in m for m in shown)
    reports = [d.value for d in at.dataframe if "说明与修改方法" in d.value.columns]
    for report in reports:
        duplicates = report[report["代码"] == "possible_duplicate"]["说明与修改方法"]
        assert not any(station["facility_id"] in m for m in duplicates)
    assert _metrics(at)["新增"] == 1


def test_history_selector_names_the_new_version_right_after_publish(
    app: Callable[[str], AppTest], editor: FacilityStore
) -> None:
    at = _login(app(PAGE))
    assert at.selectbox(key=data_ui.view_version_key(1)).value == 1
    _upload(at, _upload_bytes(editor))
    at.button(key=state.DATA_PUBLISH).click().run()
    selector = at.selectbox(key=data_ui.view_version_key(2))
    assert selector.value == 2 and selector.options[0] == "版本 2"
    assert selector.index == 0
    assert any(c == f"版本 2:{len(editor.facilities(2))} 个设施" for c in _texts(at.caption))
    assert not any(s.key == data_ui.view_version_key(1) for s in at.selectbox)


def test_failed_login_keeps_the_user_name_and_clears_the_password(
    app: Callable[[str], AppTest], editor: FacilityStore
) -> None:
    at = _login(app(PAGE), password="not the password")
    assert _texts(at.error) == [WRONG_ZH]
    assert at.text_input[0].value == USER
    assert at.text_input[1].value == ""
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()
    assert at.session_state[state.DATA_USER] == USER


def test_quality_tab_lists_stale_facilities_with_a_configurable_age(
    app: Callable[[str], AppTest], editor: FacilityStore
) -> None:
    at = _login(app(PAGE))
    assert "数据质量" in [tab.label for tab in at.tabs]
    districts = _frame_with(at, "需跟进")
    assert districts["旗区"].tolist()[-1] == "合计"
    listed = _frame_with(at, "问题")
    assert len(listed) == districts["需跟进"].tolist()[-1]
    at.number_input(key=state.DATA_QUALITY_MONTHS).set_value(120).run()
    assert _frame_with(at, "需跟进")["需跟进"].tolist()[-1] < len(listed)
    at.multiselect(key=state.DATA_QUALITY_PROBLEMS).set_value(["missing_phone"]).run()
    assert all("缺少电话" in p for p in _frame_with(at, "问题")["问题"])
