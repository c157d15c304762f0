"""User-supplied text shown back in Markdown elements (captions, notices) is escaped, not rendered."""

from __future__ import annotations

import re
from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from geo.store import FacilityStore
from tests.app._data import HOSTILE_NAME, publish_hostile
from ui import plan_ui, scenario_ui, state

_LIVE = re.compile(r"(?<!\\)[<*_\[`]")  # Markdown/HTML a Streamlit element would render


def _texts(elements: object) -> list[str]:
    return [e.value for e in elements]  # type: ignore[attr-defined]


def test_finder_location_label_and_query_are_escaped(
    app: Callable[[str], AppTest], store: FacilityStore
) -> None:
    publish_hostile(store)
    at = app("app_pages/find.py")
    at.radio(key=state.FIND_HOW).set_value("place").run()
    at.text_input(key=state.FIND_QUERY).input(HOSTILE_NAME).run()
    assert not at.exception, [e.message for e in at.exception]
    pick = at.selectbox(key=state.FIND_PICK)
    pick.set_value(next(i for i, label in enumerate(pick.options) if HOSTILE_NAME in label)).run()
    at.button[0].click().run()
    assert at.session_state[state.HOME_LABEL] == HOSTILE_NAME
    home = [c for c in _texts(at.caption) if "当前位置" in c]
    assert home and not _LIVE.search(home[0]), home

    at.text_input(key=state.FIND_QUERY).input("*无此地* [x](y) <b>").run()
    notes = [i for i in _texts(at.info) if "没有找到" in i]
    assert notes and not _LIVE.search(notes[0]), notes

    at.radio(key=state.FIND_HOW).set_value("coords").run()
    at.text_input(key=state.FIND_COORDS).input("<b>**1**</b>").run()
    at.button[0].click().run()
    assert at.error and not _LIVE.search(at.error[0].value), at.error[0].value


def test_saved_scenario_name_is_escaped(app: Callable[[str], AppTest]) -> None:
    at = app("app_pages/plan.py")
    at.session_state[plan_ui.PLAN_SECTION] = "scenarios"
    at.run()
    at.text_input(key=scenario_ui.PLAN_SCENARIO_NAME).input("<b>**情景**</b>").run()
    at.number_input(key=scenario_ui.PLAN_LON).set_value(109.78).run()
    at.number_input(key=scenario_ui.PLAN_LAT).set_value(39.61).run()
    at.button(key=scenario_ui.PLAN_ADD).click().run()
    at.button(key=scenario_ui.PLAN_SAVE).click().run()
    assert not at.exception, [e.message for e in at.exception]
    saved = [s for s in _texts(at.success) if "已保存" in s]
    assert saved and not _LIVE.search(saved[0]), saved
