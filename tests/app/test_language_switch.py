"""Switching the language keeps every choice and relabels it in the new language in the browser.

Streamlit keeps the value of a radio, select box or multiselect as its *label*. After a language switch
the browser still holds the old label, so unless the app sends the value again a sidebar shows Chinese
chips in English, or a radio with nothing selected. A widget whose labels change with the language
must therefore receive its value again (``set_value``) with the label in the new language.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from ui import state
from ui.i18n import RELABELLED_KEYS

_KINDS = ("radio", "selectbox", "multiselect", "select_slider")


def _labels(at: AppTest) -> dict[str, list[str]]:
    """The option labels of every keyed choice widget on the page."""
    out: dict[str, list[str]] = {}
    for kind in _KINDS:
        for widget in getattr(at, kind):
            if widget.key and widget.key != state.LANG:
                out[widget.key] = list(widget.options)
    return out


def test_map_page_choices_are_kept_and_sent_again_in_english(app: Callable[[str], AppTest]) -> None:
    at = app("app_pages/map.py")
    at.sidebar.multiselect(key=state.MAP_CATEGORIES).set_value(["child"]).run()
    at.sidebar.radio(key=state.BASEMAP).set_value("none").run()
    at.sidebar.radio(key=state.LANG).set_value("en").run()
    assert not at.exception, [e.message for e in at.exception]

    categories = at.sidebar.multiselect(key=state.MAP_CATEGORIES)
    assert categories.value == ["child"]
    assert categories.proto.set_value, "the browser would keep showing the Chinese chip"
    assert list(categories.proto.raw_values) == ["Children"]
    basemap = at.sidebar.radio(key=state.BASEMAP)
    assert basemap.value == "none"
    assert basemap.proto.set_value, "the browser would show no basemap selected"
    assert basemap.proto.raw_value == "No basemap (offline)"


def _page_labels(app: Callable[[str], AppTest], page: str, lang: str) -> dict[str, list[str]]:
    at = app(page)
    at.session_state[state.LANG] = lang
    at.run()
    found = _labels(at)
    if page == "app_pages/find.py":  # the place matches and the coordinate system show on demand
        at.radio(key=state.FIND_HOW).set_value("place").run()
        at.text_input(key=state.FIND_QUERY).input("康巴什").run()
        found |= _labels(at)
        at.radio(key=state.FIND_HOW).set_value("coords").run()
        found |= _labels(at)
    assert not at.exception, [e.message for e in at.exception]
    return found


def test_every_widget_whose_labels_change_is_relabelled(app: Callable[[str], AppTest]) -> None:
    for page in ("app_pages/map.py", "app_pages/find.py", "app_pages/coverage.py", "app_pages/plan.py"):
        zh, en = _page_labels(app, page, "zh"), _page_labels(app, page, "en")
        changed = {key for key in zh.keys() & en.keys() if zh[key] != en[key]}
        assert changed, page
        assert changed <= set(RELABELLED_KEYS), (page, changed - set(RELABELLED_KEYS))


def test_coverage_tables_name_districts_in_english(app: Callable[[str], AppTest]) -> None:
    at = app("app_pages/coverage.py")
    at.session_state[state.LANG] = "en"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    by_district, fca, gaps = at.dataframe[0].value, at.dataframe[2].value, at.dataframe[3].value
    assert "Dongsheng District" in by_district["Name"].tolist()
    assert "Dongsheng District" in fca["Name"].tolist()
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for column in (by_district["Name"], fca["Name"]):
        assert not any(cjk.search(str(v)) for v in column), column.tolist()
    # a gap is named district first (in English), then its township (a Chinese proper name) and settlement
    english = tuple(at.dataframe[0].value["Name"])
    assert all(str(place).startswith(english) for place in gaps["Place"]), gaps["Place"].tolist()
    assert all(re.search(r"(urban area|town centre|village area)", str(p)) for p in gaps["Place"])


def test_empty_choice_widgets_prompt_in_the_page_language(app: Callable[[str], AppTest]) -> None:
    # Without a placeholder the browser shows Streamlit's English "Choose options" on a Chinese page.
    for page in ("app_pages/map.py", "app_pages/coverage.py", "app_pages/plan.py"):
        for lang, script in (("zh", re.compile(r"[\u4e00-\u9fff]")), ("en", re.compile(r"^[ -~]+$"))):
            at = app(page)
            at.session_state[state.LANG] = lang
            if page == "app_pages/plan.py":  # the empty choices are in the scenario section
                at.session_state["plan_section"] = "scenarios"
            at.run()
            widgets = list(at.multiselect) + [s for s in at.selectbox if not s.proto.HasField("default")]
            assert widgets, page
            for widget in widgets:
                assert script.search(widget.proto.placeholder), (page, lang, widget.key)


def test_gap_cells_are_named_by_township_and_settlement_not_h3_ids(app: Callable[[str], AppTest]) -> None:
    at = app("app_pages/coverage.py")
    gaps = at.dataframe[3].value
    assert "网格编号(H3)" not in gaps.columns and "单元编号" not in gaps.columns
    for place in gaps["位置"]:
        assert re.search(r"· (城区|镇区|乡村)", place), place
        assert not re.search(r"[0-9a-f]{15}", place)
