"""The one place that puts a folium map into a Streamlit page.

Turning a folium map into what the ``st_folium`` component draws (rendering every layer's template,
serialising its GeoJSON, renaming variables, hashing) costs far more than the rest of a page. Here it
is done once per map: :func:`prepare` gives a :class:`PreparedMap`, plain strings that any number of
sessions and reruns show with :func:`show_map` for the cost of sending them. What differs per person
(a home point, its 15-minute reach, lines to the results) goes in an *overlay* (:func:`prepare_overlay`):
a small script the component adds to the map it already shows, so the large part stays one identical
message (the browser keeps it and the server sends a reference) and the map is not rebuilt in the
browser either.

The planning maps work the same way at a larger scale: a base that never changes with the controls
and *layer groups* that do (:func:`prepare_layers`, shared too when they depend only on the data and
the controls). The component swaps the groups on the live map, so a rerun that changes only the
layers keeps the user's zoom and centre.

The component is streamlit-folium's own (``streamlit_folium._component_func``, the version pinned in
``requirements.txt``), called with the arguments ``st_folium`` would compute.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

import folium
import streamlit as st
import streamlit_folium as sf
from branca.element import Element, MacroElement

from geo.maps import add_interaction, display_to_wgs84
from ui.i18n import t


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
class PreparedLayers:
    """Layer groups as the script the component runs to add them to a shown map (and remove them
    when they change): immutable strings, safe to share.

    Attributes
    ----------
    script
        The groups' Leaflet script; each group pushes itself to ``window.feature_group``.
    css_links, js_links
        Assets the groups' layers declare (a live map loads its scripts once, when it is first drawn,
        so the base must link them already; see ``geo.maplayers.layered_base``).
    """

    script: str
    css_links: tuple[str, ...] = ()
    js_links: tuple[str, ...] = ()


NO_LAYERS: Final = PreparedLayers("")


@dataclass(frozen=True)
class MapView:
    """A prepared (shared) map with what goes on it: layer groups, a session's overlay script and
    where to look."""

    prepared: PreparedMap
    layers: PreparedLayers = NO_LAYERS
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
    css, js = _links(m)
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


def _links(element: Element) -> tuple[list[str], list[str]]:
    css: list[str] = []
    js: list[str] = []
    for each in _elements(element):
        css.extend(href for _, href in getattr(each, "default_css", []))
        js.extend(src for _, src in getattr(each, "default_js", []))
    return css, js


def _group_script(group: MacroElement, *, group_id: str, to_back: Sequence[Element] = ()) -> str:
    """The script that adds ``group`` to the shown map (``map_div``) and records it for removal."""
    holder = folium.Map(tiles=None)  # a group renders only inside a map
    group._id = group_id
    group.add_to(holder)
    group.render()
    # Not dedented: Leaflet does not mind the indentation, and the text holds the layers' data.
    text = sf.generate_leaflet_string(group, base_id=group_id).replace(sf.get_full_id(holder), "map_div")
    name = group.get_name()
    back = "".join(f"{layer.get_name()}.bringToBack();\n" for layer in to_back)
    return (
        f"{text}\nmap_div.addLayer({name});\n{back}"
        f"window.feature_group = window.feature_group || [];\nwindow.feature_group.push({name});\n"
    )


def prepare_layers(groups: Sequence[MacroElement]) -> PreparedLayers:
    """Layer groups (``folium.FeatureGroup``, :func:`geo.maplayers.group`) as the script that swaps
    them onto a shown map (what ``st_folium(feature_group_to_add=...)`` does on every call).

    The groups are used up: rendering renames their layers, so build fresh ones for each call.
    """
    parts: list[str] = []
    css: list[str] = []
    js: list[str] = []
    for idx, group in enumerate(groups):
        parts.append(_group_script(group, group_id=f"feature_group_{idx}"))
        more_css, more_js = _links(group)
        css += more_css
        js += more_js
    return PreparedLayers("".join(parts), tuple(dict.fromkeys(css)), tuple(dict.fromkeys(js)))


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
    return _group_script(group, group_id="overlay", to_back=to_back)


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
    layers: PreparedLayers | Sequence[MacroElement] = (),
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
    layers
        Layer groups swapped on the live map without redrawing it (prepared, or folium groups
        prepared here), so a rerun that changes only them keeps the user's zoom and centre: ``m``
        must then be the same base on every run.
    overlay
        Script of :func:`prepare_overlay` drawn on top (replaced, not rebuilt, when it changes).
    center_latlng, zoom
        Move the view (display coordinates, Leaflet's lat, lng order) without rebuilding the map.
    """
    if isinstance(m, MapView):
        layers = layers or m.layers
        overlay = m.overlay if overlay is None else overlay
        center_latlng = m.center_latlng if center_latlng is None else center_latlng
        zoom = m.zoom if zoom is None else zoom
        m = m.prepared
    prepared = m if isinstance(m, PreparedMap) else prepare(m)
    component_key = hashlib.sha256(f"{prepared.digest}|{key}".encode()).hexdigest()
    groups = layers if isinstance(layers, PreparedLayers) else prepare_layers(layers)
    feature_group = (groups.script + (overlay or "")) or None

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
        feature_group=feature_group,
        return_on_hover=False,
        layer_control=None,
        pixelated=False,
        css_links=list(dict.fromkeys([*prepared.css_links, *groups.css_links])),
        js_links=list(dict.fromkeys([*prepared.js_links, *groups.js_links])),
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
