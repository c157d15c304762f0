"""The planner's pages in Debian's Chromium: boxes show what is computed, maps keep their view.

Pressing where a person presses: the sidebar's select boxes and radios, the map's zoom buttons, a
click on the map, the swipe handle. Then the server log is read for Streamlit's warning about widgets
given a value twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

TIMEOUT_MS = 90_000
DUPLICATE_WARNING = "was created with a default value but also had its value set"


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    yield context.new_page()
    context.close()


def _open(page: Any, app_url: str, path: str) -> None:
    page.goto(f"{app_url}/{path}", wait_until="domcontentloaded")
    page.wait_for_selector("h1", timeout=TIMEOUT_MS)
    _settle(page)


def _settle(page: Any) -> None:
    """Wait until the script run an action started has finished and the page has drawn."""
    page.wait_for_timeout(400)  # the rerun request reaches the server
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=TIMEOUT_MS)
    page.wait_for_timeout(700)


def _choose(page: Any, label: str, option: str) -> None:
    page.get_by_label(label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()
    _settle(page)
    if page.get_by_role("listbox").count():  # a list still open would make the rest of the page inert
        page.keyboard.press("Escape")


def _select_text(page: Any, label: str) -> str:
    """What a select box shows (its combobox input's value)."""
    return str(page.get_by_label(label, exact=True).input_value())


def _model_note(page: Any) -> str:
    return page.get_by_text("出行模型").first.inner_text()


def _map_frames(page: Any) -> list[Any]:
    page.wait_for_selector("iframe[title*='st_folium']", timeout=TIMEOUT_MS)
    frames = [f for f in page.frames if "st_folium" in f.url]
    for frame in frames:
        frame.wait_for_function("window.map && window.feature_group", timeout=TIMEOUT_MS)
    return frames


def _view(frame: Any) -> tuple[int, float, float]:
    return frame.evaluate("[window.map.getZoom(), window.map.getCenter().lat, window.map.getCenter().lng]")


def _zoom_in(page: Any, nth: int, times: int) -> None:
    map_frame = page.frame_locator("iframe[title*='st_folium']").nth(nth)
    for _ in range(times):
        map_frame.locator(".leaflet-control-zoom-in").click()
        page.wait_for_timeout(500)
    page.wait_for_timeout(800)


def test_plan_controls_show_what_the_page_computes(page: Any, app_url: str) -> None:
    _open(page, app_url, "plan")
    _choose(page, "设施类型", "养老院")
    assert "驾车" in _select_text(page, "出行方式")
    assert page.get_by_text("30 分钟", exact=True).first.is_visible()
    assert "驾车" in _model_note(page) and "667 米/分钟" in _model_note(page)
    _choose(page, "设施类型", "社区养老服务站")
    assert "步行" in _select_text(page, "出行方式")
    assert "60 米/分钟" in _model_note(page)
    # the first and the next computation both use walking
    for _ in range(2):
        page.get_by_role("button", name="计算选址建议").click()
        _settle(page)
        page.get_by_text("方法 ").first.wait_for(timeout=TIMEOUT_MS)
        assert "步行" in _select_text(page, "出行方式") and "60 米/分钟" in _model_note(page)
    assert page.locator('[data-testid="stDataFrame"]').first.is_visible()  # the suggested sites


def test_scenario_map_keeps_its_view_and_the_swipe_compares(page: Any, app_url: str, artifacts: Path) -> None:
    _open(page, app_url, "plan")
    page.get_by_text("情景分析", exact=True).click()
    _settle(page)
    iframe = page.locator("iframe[title*='st_folium']").first
    iframe.scroll_into_view_if_needed()
    (scenario_map,) = _map_frames(page)
    _zoom_in(page, 0, 3)
    zoom, lat, lon = _view(scenario_map)
    assert zoom == 10
    box = iframe.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # choose a point
    _settle(page)
    assert _view(scenario_map)[0] == zoom
    page.get_by_role("button", name="在此新增").click()
    _settle(page)
    page.get_by_text("情景与现状对比").wait_for(timeout=TIMEOUT_MS)
    frames = _map_frames(page)
    assert _view(frames[0]) == pytest.approx((zoom, lat, lon), abs=1e-6)  # only the layers changed
    compare = frames[1]
    page.locator("iframe[title*='st_folium']").nth(1).scroll_into_view_if_needed()
    handle = compare.locator(".cc-swipe")
    handle.wait_for(timeout=TIMEOUT_MS)
    before = compare.evaluate("window.map.getPane('cc-left-gaps').style.clip")
    frame_box = page.locator("iframe[title*='st_folium']").nth(1).bounding_box()
    x, y = frame_box["x"] + frame_box["width"] / 2, frame_box["y"] + frame_box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 150, y, steps=8)
    page.mouse.up()
    page.wait_for_timeout(500)
    assert compare.evaluate("window.ccSwipeValue") < 0.45
    assert compare.evaluate("window.map.getPane('cc-left-gaps').style.clip") != before
    assert page.locator('[data-testid="stDataFrame"]').count() >= 2  # the edits and the before/after table
    page.screenshot(path=str(artifacts / "plan_compare.png"), full_page=True)


def test_coverage_map_keeps_its_view_and_no_layer_hides_another(page: Any, app_url: str) -> None:
    _open(page, app_url, "coverage")
    (frame,) = _map_frames(page)
    # at city zoom the gap hexagons are drawn over the district colours: at the centre of each of the
    # largest hexagons the topmost thing is the hexagon (or a facility marker), never a district fill
    hits = frame.evaluate(
        """() => [...window.map.getPane('cc-gaps').querySelectorAll('path')]
            .map(p => p.getBoundingClientRect())
            .sort((a, b) => b.width * b.height - a.width * a.height).slice(0, 25)
            .map(r => document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2))
            .map(el => el && el.closest('.leaflet-pane') ? el.closest('.leaflet-pane').className : '')"""
    )
    assert hits and not [h for h in hits if "cc-choropleth" in h], hits
    assert sum("leaflet-cc-gaps-pane" in h for h in hits) >= len(hits) // 2, hits
    assert float(frame.evaluate("window.map.getPane('cc-choropleth').style.opacity")) == 1.0
    _zoom_in(page, 0, 4)
    view = _view(frame)
    assert float(frame.evaluate("window.map.getPane('cc-choropleth').style.opacity")) < 0.5
    page.get_by_text("全部人口", exact=True).first.click()  # a new target group: new layers, same view
    _settle(page)
    frame.wait_for_function("document.querySelector('.carecircle-legend').innerText.includes('全部人口')")
    assert _view(frame) == pytest.approx(view, abs=1e-6)


def test_scenario_on_a_phone(phone: Any, app_url: str, artifacts: Path) -> None:
    _open(phone, app_url, "plan")
    phone.get_by_text("情景分析", exact=True).click()
    _settle(phone)
    for label, value in (("经度", "109.93"), ("纬度", "39.79")):
        box = phone.get_by_label(label)
        box.fill(value)
        box.press("Enter")
        _settle(phone)
    phone.get_by_role("button", name="在此新增").click()
    _settle(phone)
    phone.get_by_text("情景与现状对比").wait_for(timeout=TIMEOUT_MS)
    deltas = phone.locator('[data-testid="stMetricDelta"]').all_inner_texts()
    assert len(deltas) == 3 and all("个百分点" in d for d in deltas), deltas
    compare = _map_frames(phone)[1]
    phone.locator("iframe[title*='st_folium']").nth(1).scroll_into_view_if_needed()
    handle = compare.evaluate(
        """() => { const r = document.querySelector('.cc-swipe'); const s = getComputedStyle(r, '::-webkit-slider-thumb');
                  return [parseFloat(s.width), parseFloat(s.height)]; }"""
    )
    assert handle[0] >= 44 and handle[1] >= 44  # a touch-sized handle
    assert phone.evaluate("document.documentElement.scrollWidth") <= 400  # no sideways scrolling
    phone.locator('[data-testid="stDataFrame"]').last.scroll_into_view_if_needed()
    phone.wait_for_timeout(800)
    phone.screenshot(path=str(artifacts / "plan_phone.png"))


def test_no_widget_value_warnings_in_the_server_log(page: Any, app_url: str, server_log: Path) -> None:
    # The cases that used to warn: a choice sent again after a language switch, and the plan page's
    # type changing the mode, budget and added-facility type.
    _open(page, app_url, "")  # the facility map is the default page
    page.get_by_text("English", exact=True).click()
    _settle(page)
    page.get_by_text("中文", exact=True).click()
    _settle(page)
    _open(page, app_url, "plan")
    _choose(page, "设施类型", "托育机构")
    page.get_by_text("情景分析", exact=True).click()
    _settle(page)
    _choose(page, "设施类型", "养老院")
    page.get_by_text("English", exact=True).click()
    _settle(page)
    log = server_log.read_text(encoding="utf-8", errors="replace")
    assert DUPLICATE_WARNING not in log, [line for line in log.splitlines() if DUPLICATE_WARNING in line]
