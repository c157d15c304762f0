"""The app in Debian's Chromium: maps render offline, clicks find services, hostile names stay text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.app._data import HOSTILE_NAME

pytestmark = pytest.mark.browser

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
MAP_TIMEOUT_MS = 60_000


class Session:
    """A page plus what it requested outside the app and any JavaScript dialogs it opened."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.external: list[str] = []
        self.dialogs: list[str] = []
        page.route("**/*", self._route)
        page.on("dialog", self._dialog)

    def _route(self, route: Any) -> None:
        url = route.request.url
        host = urlparse(url).hostname
        if url.startswith(("data:", "blob:", "about:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def map_frame(self) -> Any:
        """The streamlit-folium iframe, once Leaflet has drawn in it."""
        self.page.wait_for_selector("iframe[title*='st_folium']", timeout=MAP_TIMEOUT_MS)
        frame = self.page.frame_locator("iframe[title*='st_folium']").first
        frame.locator(".leaflet-container").wait_for(timeout=MAP_TIMEOUT_MS)
        return frame


@pytest.fixture
def session(browser: Any, app_url: str) -> Iterator[Session]:
    context = browser.new_context(viewport={"width": 1400, "height": 1800}, locale="zh-CN")
    yield Session(context.new_page())
    context.close()


def _open(session: Session, app_url: str, path: str = "") -> None:
    session.page.goto(f"{app_url}/{path}", wait_until="domcontentloaded")
    session.page.wait_for_selector("h1", timeout=MAP_TIMEOUT_MS)


def test_direct_link_first_request_runs_the_whole_app(session: Session, app_url: str) -> None:
    # The first request this server sees is a page's own address: the entry file must still run
    # (navigation in Chinese and the language switch), not the page file alone.
    _open(session, app_url, "data")
    session.page.get_by_text("语言 / Language").wait_for(timeout=MAP_TIMEOUT_MS)
    assert session.page.get_by_role("link", name="覆盖分析").count() == 1
    assert session.page.get_by_text("streamlit app").count() == 0


def test_facility_map_renders_offline(session: Session, app_url: str, artifacts: Path) -> None:
    _open(session, app_url)
    frame = session.map_frame()
    frame.locator(".marker-cluster").first.wait_for(timeout=MAP_TIMEOUT_MS)
    assert frame.locator(".marker-cluster").count() > 3
    assert frame.locator(".leaflet-overlay-pane path, .leaflet-overlay-pane canvas").count() > 0
    assert frame.locator(".carecircle-legend").count() == 1
    session.page.get_by_text("模拟样本数据").first.wait_for()
    session.page.wait_for_timeout(1000)
    session.page.screenshot(path=str(artifacts / "map.png"), full_page=True)
    assert session.external == [], session.external
    assert session.dialogs == []


def test_no_page_requests_anything_outside_the_app(session: Session, app_url: str) -> None:
    for path in ("map", "find", "coverage", "plan"):
        _open(session, app_url, path)
        session.map_frame()
        session.page.wait_for_timeout(1500)
    _open(session, app_url, "data")
    session.page.wait_for_timeout(1500)
    assert session.external == [], session.external


def test_osm_basemap_only_adds_its_tile_server(session: Session, app_url: str) -> None:
    _open(session, app_url)
    session.map_frame()
    session.page.get_by_text("OpenStreetMap(WGS84)").click()
    session.page.wait_for_timeout(3000)
    session.map_frame()
    hosts = {urlparse(u).hostname for u in session.external}
    assert hosts == {"tile.openstreetmap.org"}, session.external


def test_english_switch(session: Session, app_url: str) -> None:
    _open(session, app_url, "find")
    session.page.get_by_text("English", exact=True).click()
    session.page.get_by_role("heading", name="Find services").wait_for(timeout=MAP_TIMEOUT_MS)
    session.page.get_by_text("Facility map").first.click()
    session.page.get_by_role("heading", name="Facility map").wait_for(timeout=MAP_TIMEOUT_MS)


def _set_place(session: Session, query: str) -> None:
    page = session.page
    page.get_by_text("输入地名", exact=True).click()
    box = page.get_by_label(re.compile("地名、乡镇"))
    box.fill(query)
    box.press("Enter")
    page.get_by_role("button", name="使用此位置").click()
    page.get_by_text("附近设施(按时间排序)").wait_for(timeout=MAP_TIMEOUT_MS)


def test_clicking_the_finder_map_lists_nearby_facilities(
    session: Session, app_url: str, artifacts: Path
) -> None:
    _open(session, app_url, "find")
    _set_place(session, "康巴什")
    session.page.get_by_text("当前位置:康巴什区").wait_for(timeout=MAP_TIMEOUT_MS)
    session.map_frame()
    box = session.page.locator("iframe[title*='st_folium']").first.bounding_box()
    assert box is not None
    # Click a little north-east of the current point: the home moves there and the list is redone.
    session.page.mouse.click(box["x"] + box["width"] / 2 + 60, box["y"] + box["height"] / 2 - 40)
    session.page.get_by_text("当前位置:我的位置").wait_for(timeout=MAP_TIMEOUT_MS)
    session.page.get_by_text("附近设施(按时间排序)").wait_for(timeout=MAP_TIMEOUT_MS)
    cards = session.page.get_by_text("约 ", exact=False)
    assert cards.count() >= 1
    session.map_frame()
    session.page.wait_for_timeout(1500)
    session.page.screenshot(path=str(artifacts / "find.png"), full_page=True)
    assert session.external == [] and session.dialogs == []


_OPEN_HOSTILE_POPUP = """
() => {
  let hit = null;
  window.map.eachLayer(layer => {
    if (layer instanceof L.MarkerClusterGroup) {
      layer.eachLayer(marker => {
        const popup = marker.getPopup();
        if (popup && String(popup.getContent()).includes('onerror')) { hit = marker; }
      });
    }
  });
  if (!hit) { return null; }
  L.popup().setLatLng(hit.getLatLng()).setContent(hit.getPopup().getContent()).openOn(window.map);
  L.tooltip({permanent: true}).setLatLng(hit.getLatLng())
    .setContent(hit.getTooltip().getContent()).addTo(window.map);
  return true;
}
"""


def test_hostile_facility_name_stays_text(session: Session, app_url: str, artifacts: Path) -> None:
    _open(session, app_url, "find")
    page = session.page
    page.get_by_label("需要什么服务").click()
    page.get_by_role("option", name="托育机构").click()
    _set_place(session, "康巴什")
    page.get_by_text(HOSTILE_NAME).first.wait_for(timeout=MAP_TIMEOUT_MS)  # the result card, as text
    session.map_frame()
    map_frame = next(f for f in page.frames if "st_folium" in f.url)
    assert map_frame.evaluate(_OPEN_HOSTILE_POPUP) is True
    content = map_frame.locator(".leaflet-popup-content")
    content.wait_for()
    assert HOSTILE_NAME in content.inner_text()
    assert map_frame.locator(".leaflet-popup-content img, .leaflet-tooltip img").count() == 0
    assert HOSTILE_NAME in map_frame.locator(".leaflet-tooltip").last.inner_text()
    page.wait_for_timeout(1500)
    page.screenshot(path=str(artifacts / "hostile.png"), full_page=True)
    assert session.dialogs == []


def test_coverage_page_and_phone_layout(browser: Any, app_url: str, artifacts: Path) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1800})
    session = Session(context.new_page())
    _open(session, app_url, "coverage")
    frame = session.map_frame()
    frame.locator(".carecircle-legend").wait_for(timeout=MAP_TIMEOUT_MS)
    session.page.get_by_text("出行模型").first.wait_for()
    session.page.wait_for_timeout(1500)
    session.page.screenshot(path=str(artifacts / "coverage.png"), full_page=True)
    context.close()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    session = Session(phone.new_page())
    _open(session, app_url, "find")
    _set_place(session, "东胜")
    session.map_frame()
    width = session.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400  # no sideways scrolling on a phone
    session.page.get_by_text("附近设施(按时间排序)").scroll_into_view_if_needed()
    session.page.wait_for_timeout(1000)
    session.page.screenshot(path=str(artifacts / "find_phone.png"))
    assert session.external == [] and session.dialogs == []
    phone.close()
