"""The one place that puts a folium map into a Streamlit page.

Turning a folium map into what the ``st_folium`` component draws (rendering every layer's template,
serialising its GeoJSON, renaming variables, hashing) costs far more than the rest of a page. Here it
is done once per map: :func:`prepare` gives a :class:`PreparedMap`, plain strings that any number of
sessions and reruns show with :func:`show_map` for the cost of sending them. What differs per person
(a home point, its 15-minute reach, lines to the results) goes in an *overlay* (:func:`prepare_overlay`):
a small script the component adds to the map it already shows, so the large part stays one identical
message (the browser keeps it and the server sends a reference) and the map is not rebuilt in the
browser either.

The component is streamlit-folium's own (``streamlit_folium._component_func``, the version pinned in
``requirements.txt``), called with the arguments ``st_folium`` would compute.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from textwrap import dedent
from typing import Any

import folium
import streamlit as st
import streamlit_folium as sf
from branca.element import Element, MacroElement

from geo.maps import add_interaction, display_to_wgs84
from ui.i18n import t

OVERLAY_NAME = "feature_group_overlay"
"""The overlay's variable name in the browser (stable, so the same overlay is the same text)."""


@dataclass(frozen=True)
class PreparedMap:
    """A folium map as the ``st_folium`` component's arguments: immutable strings, safe to share.

    Attributes
    ----------
    script, header, html
        The Leaflet script, the page header (styles) and the map's HTML.
    map_id
        The map's variable name in the script.
    digest
        SHA-256 of the script with folium's random ids taken out: the component's identity, so the
        browser keeps its map while only the overlay or the view changes.
    css_links, js_links
        The vendored assets the map needs (served by the app).
    bounds
        ``[[south, west], [north, east]]`` of the layers (display coordinates).
    zoom
        The initial zoom.
    """

    script: str
    header: str
    html: str
    map_id: str
    digest: str
    css_links: tuple[str, ...]
    js_links: tuple[str, ...]
    bounds: tuple[tuple[float | None, float | None], tuple[float | None, float | None]]
    zoom: int | None

    @property
    def size_bytes(self) -> int:
        """About how many bytes the map adds to a page."""
        return len(self.script) + len(self.header) + len(self.html)


@dataclass(frozen=True)
class MapView:
    """A prepared (shared) map with what one session adds: an overlay script and where to look."""

    prepared: PreparedMap
    overlay: str | None = None
    center_latlng: tuple[float, float] | None = None
    zoom: int | None = None


def _elements(element: Element) -> Iterator[Element]:
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _elements(child)


def prepare(m: folium.Map) -> PreparedMap:
    """Render ``m`` once into component arguments (what ``st_folium`` does on every call).

    ``m`` is used up: rendering renames its layers, so build a fresh map for each call. The app's map
    behaviour (:func:`geo.maps.add_interaction`) is added here, with its hint in the current language.
    """
    add_interaction(m, touch_hint=t("map_touch_hint"))
    # Rendering the figure lets layers compute what they draw and fills the header (as st_folium does).
    m.get_root().render()
    html = sf._get_html(m)
    header = sf._get_header(m)
    script = sf._get_map_string(m)
    css: list[str] = []
    js: list[str] = []
    for element in _elements(m):
        css.extend(href for _, href in getattr(element, "default_css", []))
        js.extend(src for _, src in getattr(element, "default_js", []))
    try:
        (south, west), (north, east) = m.get_bounds()
    except (AttributeError, TypeError, ValueError):
        south = west = north = east = None
    zoom = m.options.get("zoom")
    return PreparedMap(
        script=script,
        header=header,
        html=html,
        map_id=sf.get_full_id(m),
        digest=sf.generate_js_hash(script, None, False),
        css_links=tuple(dict.fromkeys(css)),
        js_links=tuple(dict.fromkeys(js)),
        bounds=((south, west), (north, east)),
        zoom=int(zoom) if isinstance(zoom, int | float) else None,
    )


def prepare_overlay(group: MacroElement, *, to_back: Sequence[Element] = ()) -> str:
    """The script that adds ``group`` (built per person: a home marker, a reach area …) to a shown map.

    Parameters
    ----------
    group
        A fresh :class:`geo.maps.LayerGroup` (or folium feature group) holding the layers.
    to_back
        Layers of ``group`` to draw beneath the map's own layers (an area that must not cover the
        facility markers and catch their clicks).
    """
    holder = folium.Map(tiles=None)  # a group renders only inside a map
    group._id = "overlay"
    group.add_to(holder)
    group.render()
    text = dedent(sf.generate_leaflet_string(group, base_id="overlay")).replace(
        sf.get_full_id(holder), "map_div"
    )
    back = "".join(f"{layer.get_name()}.bringToBack();\n" for layer in to_back)
    return (
        f"{text}\nmap_div.addLayer({OVERLAY_NAME});\n{back}"
        f"window.feature_group = window.feature_group || [];\nwindow.feature_group.push({OVERLAY_NAME});\n"
    )


def _defaults(prepared: PreparedMap, returned_objects: Sequence[str]) -> dict[str, Any]:
    (south, west), (north, east) = prepared.bounds
    every: dict[str, Any] = {
        "last_clicked": None,
        "last_object_clicked": None,
        "last_object_clicked_tooltip": None,
        "bounds": {
            "_southWest": {"lat": south, "lng": west},
            "_northEast": {"lat": north, "lng": east},
        },
        "zoom": prepared.zoom,
    }
    return {k: v for k, v in every.items() if k in returned_objects}


def show_map(
    m: folium.Map | PreparedMap | MapView,
    *,
    key: str,
    height: int = 520,
    returned_objects: Sequence[str] = (),
    overlay: str | None = None,
    center_latlng: tuple[float, float] | None = None,
    zoom: int | None = None,
) -> dict[str, Any]:
    """Draw a map at full width; only the objects named in ``returned_objects`` trigger a rerun.

    Panning and zooming never rerun the script: ``returned_objects`` is empty by default and the
    finder asks only for ``last_clicked``. Every map has the app's map behaviour
    (:func:`geo.maps.add_interaction`, added by :func:`prepare`): presses land where they are made,
    one finger scrolls the page on a phone, 44 px buttons.

    Parameters
    ----------
    m
        A prepared map (shared, cached), one with a session's overlay and view (:class:`MapView`),
        or a folium map (prepared here, once).
    key
        The widget key; the component's identity also follows the map's content.
    overlay
        Script of :func:`prepare_overlay` drawn on top (replaced, not rebuilt, when it changes).
    center_latlng, zoom
        Move the view (display coordinates, Leaflet's lat, lng order) without rebuilding the map.
    """
    if isinstance(m, MapView):
        overlay = m.overlay if overlay is None else overlay
        center_latlng = m.center_latlng if center_latlng is None else center_latlng
        zoom = m.zoom if zoom is None else zoom
        m = m.prepared
    prepared = m if isinstance(m, PreparedMap) else prepare(m)
    component_key = hashlib.sha256(f"{prepared.digest}|{key}".encode()).hexdigest()

    def on_change() -> None:
        st.session_state[key] = st.session_state.get(component_key, {})

    result = sf._component_func(
        script=prepared.script,
        header=prepared.header,
        html=prepared.html,
        id=prepared.map_id,
        key=component_key,
        height=height,
        width=None,
        returned_objects=list(returned_objects),
        default=_defaults(prepared, returned_objects),
        zoom=zoom,
        center=list(center_latlng) if center_latlng is not None else None,
        feature_group=overlay,
        return_on_hover=False,
        layer_control=None,
        pixelated=False,
        css_links=list(prepared.css_links),
        js_links=list(prepared.js_links),
        on_change=on_change,
        wrap_longitude=False,
    )
    return result or {}


def clicked_lonlat(result: dict[str, Any], *, basemap: str) -> tuple[float, float] | None:
    """The WGS84 lon, lat of the last click (shifted back from GCJ-02 on the AutoNavi basemap)."""
    clicked = result.get("last_clicked")
    if not clicked:
        return None
    # Leaflet gives lat, lng; we want lon, lat
    return display_to_wgs84(float(clicked["lng"]), float(clicked["lat"]), basemap=basemap)
