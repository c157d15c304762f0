"""The shared finder map in Chromium: a resident's overlay is drawn on it, follows the search and stays
one layer when the map behind it changes."""

from __future__ import annotations

from typing import Any

import pytest

from ui.i18n import CATALOG

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000


def test_the_residents_overlay_follows_the_search(browser: Any, app_url: str) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1800}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{app_url}/find", wait_until="domcontentloaded")
        page.wait_for_selector("iframe[title*='st_folium']", timeout=TIMEOUT_MS)
        frame = page.frame_locator("iframe[title*='st_folium']").first
        frame.locator(".marker-cluster").first.wait_for(timeout=TIMEOUT_MS)
        assert frame.locator(".carecircle-legend").count() == 0  # no resident yet: no overlay

        page.get_by_text("输入地名", exact=True).click()
        box = page.get_by_label(CATALOG["place_query"]["zh"])
        box.fill("康巴什")
        box.press("Enter")
        page.get_by_role("button", name="使用此位置").click()
        page.get_by_text("附近设施(按时间排序)").wait_for(timeout=TIMEOUT_MS)
        legend = frame.locator(".carecircle-legend", has_text="15分钟可达范围")
        legend.wait_for(timeout=TIMEOUT_MS)
        # the reach and the lines to the results are drawn (canvas renderer: one canvas in the pane)
        assert frame.locator(".leaflet-overlay-pane canvas").count() >= 1

        # Another need: another shared map behind the same resident's overlay, drawn once.
        page.get_by_label("需要什么服务").click()
        page.get_by_role("option", name="托育/儿童(全部)").click()
        page.wait_for_timeout(3000)
        frame = page.frame_locator("iframe[title*='st_folium']").first
        frame.locator(".carecircle-legend", has_text="15分钟可达范围").wait_for(timeout=TIMEOUT_MS)
        assert frame.locator(".carecircle-legend", has_text="15分钟可达范围").count() == 1
        assert errors == [], errors
    finally:
        context.close()
