"""The finder as a resident meets it in Chromium, at desktop and phone sizes.

* A press on a map lands where it is made, also when the map sticks out below the screen (the
  point pressed is computed from the map itself; the location set must be within 50 m of it).
* The ◎ button sets the location in one tap, or says why it cannot.
* On a phone the results come before the map, text is at least 16 px, touch targets 44 px, a swipe
  over the map scrolls the page; a Lighthouse accessibility audit (mobile) prints its score.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from geo.io import REPO_ROOT
from tests.browser.test_app_browser import MAP_TIMEOUT_MS, Session

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
KANGBASHI = (109.78157, 39.6086)
LIGHTHOUSE = REPO_ROOT / "tests" / "browser" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"

# An integer page pixel near (lat, lon) where the map shows bare ground (no marker, control or
# shape under it), and the WGS84 point Leaflet puts there.
_BARE_POINT = """([lat, lon, boxX, boxY]) => {
  const map = window.map, r = map.getContainer().getBoundingClientRect();
  const base = map.latLngToContainerPoint(L.latLng(lat, lon));
  for (let ring = 0; ring < 240; ring += 6) {
    for (let a = 0; a < 360; a += 30) {
      const X = Math.round(boxX + r.left + base.x + ring * Math.cos(a * Math.PI / 180));
      const Y = Math.round(boxY + r.top + base.y + ring * Math.sin(a * Math.PI / 180));
      const x = X - boxX - r.left, y = Y - boxY - r.top;
      if (x < 60 || y < 60 || x > r.width - 60 || y > r.height - 60) { continue; }
      const el = document.elementFromPoint(x + r.left, y + r.top);
      if (el && map.getContainer().contains(el) && !el.closest(
          '.leaflet-marker-icon, .leaflet-control, .leaflet-interactive, .leaflet-popup, .leaflet-tooltip')) {
        const ll = map.containerPointToLatLng([x, y]);
        return [X, Y, ll.lng, ll.lat];
      }
    }
  }
  return null;
}"""


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance in metres between two WGS84 lon, lat points (equirectangular; exact enough here)."""
    dx = (a[0] - b[0]) * 111_320 * math.cos(math.radians((a[1] + b[1]) / 2))
    return math.hypot(dx, (a[1] - b[1]) * 110_574)


@pytest.fixture
def desktop(browser: Any) -> Iterator[Session]:
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    yield Session(context.new_page())
    context.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Session]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    yield Session(context.new_page())
    context.close()


def _open(session: Session, url: str) -> None:
    session.page.goto(url, wait_until="domcontentloaded")
    session.page.wait_for_selector("h1", timeout=MAP_TIMEOUT_MS)


def _map(session: Session, index: int = 0) -> tuple[Any, Any]:
    """(Playwright frame, iframe locator) of the index-th map once Leaflet has drawn it."""
    iframes = session.page.locator("iframe[title*='st_folium']")
    iframes.nth(index).wait_for(timeout=MAP_TIMEOUT_MS)
    session.page.frame_locator("iframe[title*='st_folium']").nth(index).locator(
        ".leaflet-container"
    ).wait_for(timeout=MAP_TIMEOUT_MS)
    session.page.wait_for_timeout(800)
    frames = [f for f in session.page.frames if "st_folium" in f.url]
    frame = frames[index]
    frame.wait_for_function("() => !!window.map")
    return frame, iframes.nth(index)


def _scroll_main(session: Session, dy: float) -> None:
    session.page.evaluate("(d) => document.querySelector('[data-testid=stMain]').scrollBy(0, d)", dy)
    session.page.wait_for_timeout(600)


def _press_with_map_below_the_screen(
    session: Session, frame: Any, iframe: Any, near_lonlat: tuple[float, float], *, touch: bool
) -> tuple[tuple[float, float], float]:
    """Zoom to 15 on a point, scroll until the map sticks out 125 px below the screen, press bare ground.

    Returns the WGS84 point pressed (computed from the map) and how far the map stuck out (px).
    """
    height = session.page.viewport_size["height"]
    frame.evaluate(
        "([lat, lon]) => window.map.setView([lat, lon], 15, {animate: false})", list(near_lonlat[::-1])
    )
    session.page.wait_for_timeout(500)
    box = iframe.bounding_box()
    found = frame.evaluate(_BARE_POINT, [near_lonlat[1], near_lonlat[0], box["x"], box["y"]])
    assert found is not None, "no bare map to press on"
    # the map's bottom edge 125 px below the screen, the point still on it
    _scroll_main(session, max(box["y"] + box["height"] - (height + 125), found[1] - (height - 60)))
    box = iframe.bounding_box()
    x, y, lon, lat = frame.evaluate(_BARE_POINT, [found[3], found[2], box["x"], box["y"]])
    below = box["y"] + box["height"] - height
    assert below > 50, "the map must stick out below the screen for this test"
    if touch:
        session.page.touchscreen.tap(x, y)
    else:
        session.page.mouse.click(x, y)
    return (lon, lat), below


def _home_from_page(session: Session) -> tuple[float, float]:
    text = session.page.get_by_text(re.compile(r"当前位置:我的位置")).first
    text.wait_for(timeout=MAP_TIMEOUT_MS)
    match = re.search(r"([\d.]+), ([\d.]+)\)", text.inner_text())
    assert match is not None
    return float(match.group(1)), float(match.group(2))


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_press_on_the_finder_map_lands_where_it_is_made(
    request: pytest.FixtureRequest, app_url: str, size: str
) -> None:
    session: Session = request.getfixturevalue(size)
    _open(session, f"{app_url}/find?place=Kangbashi&need=nursery")
    session.page.get_by_text("附近设施(按时间排序)").wait_for(timeout=MAP_TIMEOUT_MS)
    frame, iframe = _map(session)
    pressed, below = _press_with_map_below_the_screen(
        session, frame, iframe, (KANGBASHI[0] + 0.006, KANGBASHI[1] + 0.004), touch=size == "phone"
    )
    error_m = metres(_home_from_page(session), pressed)
    print(f"finder {size}: map {below:.0f} px below the screen, location set {error_m:.1f} m from the press")
    assert error_m < 50
    assert session.external == [] and session.dialogs == []


def test_a_press_on_the_scenario_map_lands_where_it_is_made(desktop: Session, app_url: str) -> None:
    _open(desktop, f"{app_url}/plan")
    desktop.page.get_by_text("情景分析", exact=True).click()  # the page shows one section at a time
    frame, iframe = _map(desktop, 0)
    iframe.scroll_into_view_if_needed()
    pressed, below = _press_with_map_below_the_screen(desktop, frame, iframe, KANGBASHI, touch=False)
    lon_box, lat_box = desktop.page.get_by_label("经度"), desktop.page.get_by_label("纬度")
    for _ in range(120):
        if lon_box.input_value() and lat_box.input_value():
            break
        desktop.page.wait_for_timeout(500)
    chosen = (float(lon_box.input_value()), float(lat_box.input_value()))
    error_m = metres(chosen, pressed)
    print(
        f"scenario map desktop: map {below:.0f} px below the screen, point set {error_m:.1f} m from the press"
    )
    assert error_m < 50


def test_locate_button_sets_the_location_in_one_tap(browser: Any, app_url: str) -> None:
    here = (109.9912, 39.8203)  # Dongsheng
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": here[0], "latitude": here[1], "accuracy": 10},
        permissions=["geolocation"],
    )
    session = Session(context.new_page())
    _open(session, f"{app_url}/find")
    frame, _ = _map(session)
    frame.locator(".carecircle-locate").tap()
    assert metres(_home_from_page(session), here) < 50
    session.page.get_by_text("附近设施(按时间排序)").wait_for(timeout=MAP_TIMEOUT_MS)
    assert session.dialogs == []
    context.close()


@pytest.mark.parametrize(
    ("permissions", "where", "message"),
    [
        ([], (109.99, 39.82), "浏览器没有允许定位"),
        (["geolocation"], (116.40, 39.90), "不在鄂尔多斯市范围内"),  # Beijing
    ],
)
def test_locate_button_says_why_not(
    browser: Any, app_url: str, permissions: list[str], where: tuple[float, float], message: str
) -> None:
    context = browser.new_context(
        viewport=DESKTOP,
        geolocation={"longitude": where[0], "latitude": where[1]},
        permissions=permissions,
    )
    session = Session(context.new_page())
    _open(session, f"{app_url}/find")
    frame, _ = _map(session)
    frame.locator(".carecircle-locate").click()
    frame.locator(".carecircle-map-message.visible").wait_for(timeout=MAP_TIMEOUT_MS)
    assert message in frame.locator(".carecircle-map-message").inner_text()
    session.page.wait_for_timeout(1500)
    assert session.page.get_by_text(re.compile("当前位置")).count() == 0  # nothing was set
    assert session.dialogs == []  # no alert() box
    context.close()


def _top_in_page(session: Session, selector: str) -> float:
    return float(
        session.page.evaluate(
            """(sel) => { const el = document.querySelector(sel);
                          const main = document.querySelector('[data-testid=stMain]');
                          return el ? el.getBoundingClientRect().top + main.scrollTop : -1; }""",
            selector,
        )
    )


def test_phone_results_first_readable_touchable_and_the_page_scrolls_over_the_map(
    phone: Session, app_url: str, artifacts: Path
) -> None:
    page = phone.page
    _open(phone, f"{app_url}/find")
    _map(phone)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(artifacts / "find_phone_before.png"))
    # set the place as a person does: tap "输入地名", type, press Enter, tap "使用此位置"
    page.get_by_text("输入地名", exact=True).tap()
    box = page.get_by_label(re.compile("地名、乡镇"))
    box.fill("康巴什")
    box.press("Enter")
    page.get_by_role("button", name="使用此位置").tap()
    page.get_by_text("附近设施(按时间排序)").wait_for(timeout=MAP_TIMEOUT_MS)
    frame, iframe = _map(phone)

    card_top = _top_in_page(phone, ".st-key-find_results strong")  # "1. name" heads the first card
    map_top = _top_in_page(phone, "iframe[title*='st_folium']")
    print(f"phone: first result card {card_top:.0f} px down the page, the map {map_top:.0f} px")
    assert 0 < card_top < map_top  # the list before the map
    assert card_top < 1200

    # Text at least 16 px; touch targets at least 44 x 44 px.
    sizes = page.evaluate(
        """() => Array.from(document.querySelectorAll('.st-key-find_results p, [data-testid=stCaptionContainer]'))
                 .map(e => parseFloat(getComputedStyle(e).fontSize))"""
    )
    assert sizes and min(sizes) >= 16, sizes
    targets = page.evaluate(
        """() => Array.from(document.querySelectorAll(
              '[data-testid=stMain] label[data-baseweb=radio], .st-key-find_results a, [data-testid=stMain] [data-testid=stToggle] label'))
              .map(e => { const r = e.getBoundingClientRect(); return [e.textContent.slice(0, 12), r.width, r.height]; })"""
    )
    small = [t for t in targets if t[1] < 44 or t[2] < 44]
    assert targets and not small, small
    buttons = frame.evaluate(
        """() => Array.from(document.querySelectorAll('.leaflet-control-zoom a, .carecircle-locate'))
                 .map(e => [e.getBoundingClientRect().width, e.getBoundingClientRect().height])"""
    )
    assert len(buttons) == 3 and all(w >= 44 and h >= 44 for w, h in buttons), buttons
    # numbered pins matching the numbered cards
    pins = sorted(int(p) for p in frame.locator(".carecircle-pin").all_inner_texts())
    cards = len(
        [s for s in page.locator(".st-key-find_results strong").all_inner_texts() if re.match(r"^\d+\. ", s)]
    )
    assert pins == list(range(1, cards + 1))

    page.evaluate("(y) => document.querySelector('[data-testid=stMain]').scrollTo(0, y - 120)", card_top)
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts / "find_phone_after.png"))  # the place and the first cards

    # A one-finger swipe over the map (back towards the list) scrolls the page and leaves the map.
    iframe.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    box = iframe.bounding_box()
    before_scroll = page.evaluate("document.querySelector('[data-testid=stMain]').scrollTop")
    centre = frame.evaluate("() => window.map.getCenter()")
    cdp = page.context.new_cdp_session(page)
    x, y0 = box["x"] + box["width"] / 2, box["y"] + 100
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y0}]})
    for step in range(1, 11):  # the finger moves 250 px down: the page should scroll back up
        cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y0 + 25 * step}]}
        )
        page.wait_for_timeout(16)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_timeout(800)
    after_scroll = page.evaluate("document.querySelector('[data-testid=stMain]').scrollTop")
    moved = frame.evaluate("() => window.map.getCenter()")
    print(f"phone swipe over the map: page scrolled {before_scroll - after_scroll:.0f} px")
    assert before_scroll - after_scroll > 100
    assert (moved["lat"], moved["lng"]) == pytest.approx((centre["lat"], centre["lng"]), abs=1e-9)
    assert phone.external == [] and phone.dialogs == []


def test_lighthouse_accessibility_of_the_finder_on_a_phone(app_url: str, artifacts: Path) -> None:
    if not LIGHTHOUSE.exists():
        pytest.skip("npm ci --prefix tests/browser/lighthouse installs Lighthouse (.ci/run does)")
    report = artifacts / "lighthouse_find.json"
    url = f"{app_url}/find?place=Kangbashi&need=nursery"
    env = {**os.environ, "CHROME_PATH": shutil.which("chromium") or "/usr/bin/chromium"}
    flags = "--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run"
    run = subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            "--only-categories=accessibility",
            "--form-factor=mobile",
            "--screenEmulation.mobile",
            "--max-wait-for-load=60000",
            f"--chrome-flags={flags}",
            "--output=json",
            f"--output-path={report}",
            "--quiet",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(report.read_text(encoding="utf-8"))
    category = result["categories"]["accessibility"]
    score = round(category["score"] * 100)
    below = []
    for ref in category["auditRefs"]:
        audit = result["audits"][ref["id"]]
        if ref["weight"] > 0 and audit["score"] is not None and audit["score"] < 1:
            below.append(f"{ref['id']} ({audit['title']})")
    print(f"Lighthouse accessibility (mobile) of /find: {score}; below 100: {', '.join(below) or 'none'}")
    # the audited page had the results on it, not a half-loaded app
    assert "附近设施" in json.dumps(result["audits"].get("heading-order", {})) or score > 0
    assert score >= 90, below
