"""Layers that can be swapped on a live map, and the pieces that keep a map readable (no streamlit).

The app's planning maps are a fixed *base* (tiles, district outlines, panes) plus *groups* of layers
(``folium.FeatureGroup``) that change with the controls. The app hands the groups to
``streamlit-folium`` separately, so a rerun replaces the layers and leaves the view — zoom and
centre — where the user put it; a download puts base and groups together (:func:`standalone`).

Panes stack the layers in a fixed order (:data:`PANES`): district colours at the bottom, then the
reach bands, the uncovered hexagons, and outlines and facilities on top, so no layer hides another at
city zoom; :class:`ZoomFade` lightens the district colours as the user zooms in, where the detail
layers matter more. The maps of :func:`layered_base` draw vectors as SVG, so every pane keeps its own
tooltips (one canvas per pane would let the top canvas take every mouse event).

:class:`Swipe` compares two states on one map: the panes ``cc-left-*`` show left of a divider the user
drags, the panes ``cc-right-*`` right of it. :class:`FitOnce` moves the view once per key (when the
district chosen changes, not on every rerun). :class:`MapNote` writes a line of context (data version,
model, modelled data) into a corner of an exported map.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

import folium
import numpy as np
from branca.element import MacroElement
from jinja2 import Template

from geo import maps

__all__ = [
    "PANES",
    "FitOnce",
    "MapNote",
    "Points",
    "Swipe",
    "ZoomFade",
    "group",
    "layered_base",
    "standalone",
]

PANES: Final[dict[str, int]] = {
    "cc-choropleth": 350,
    "cc-bands": 370,
    "cc-gaps": 390,
    # the comparison (swipe) map: each side's gaps and sites
    "cc-left-gaps": 391,
    "cc-right-gaps": 392,
    "cc-left-sites": 610,
    "cc-right-sites": 611,
    # scenario edits and suggested sites, above the facility markers (markerPane is 600)
    "cc-sites": 620,
}
"""Pane name → CSS z-index (Leaflet: tiles 200, overlays 400, markers 600, tooltips 650)."""

LEFT_PANES: Final[tuple[str, ...]] = ("cc-left-gaps", "cc-left-sites")
RIGHT_PANES: Final[tuple[str, ...]] = ("cc-right-gaps", "cc-right-sites")


class _Panes(MacroElement):
    _template = Template(
        """{% macro script(this, kwargs) %}
        (function (map) {
            var panes = {{ this.panes|tojson }};
            Object.keys(panes).forEach(function (name) {
                var pane = map.getPane(name) || map.createPane(name);
                pane.style.zIndex = String(panes[name]);
            });
        })({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "Panes"
        self.panes = PANES


def layered_base(
    *, basemap: str, center_lonlat: tuple[float, float] | None = None, zoom_start: int = 7
) -> folium.Map:
    """A :func:`geo.maps.base_map` with the panes of :data:`PANES`, SVG vectors and the cluster assets.

    Marker-cluster scripts are linked up front: a live map loads its scripts once, when it is first
    drawn, and the facility layer may only be switched on later.
    """
    kwargs: dict[str, Any] = {"basemap": basemap, "zoom_start": zoom_start}
    if center_lonlat is not None:
        kwargs["center_lonlat"] = center_lonlat
    m = maps.base_map(**kwargs)
    m.options["prefer_canvas"] = False
    m.default_js = [*m.default_js, *maps._links(maps._CLUSTER_JS, maps.ASSET_URL_PREFIX)]
    m.default_css = [*m.default_css, *maps._links(maps._CLUSTER_CSS, maps.ASSET_URL_PREFIX)]
    _Panes().add_to(m)
    return m


def group(name: str, *, basemap: str) -> folium.FeatureGroup:
    """A feature group whose layers added through :mod:`geo.maps` are drawn for ``basemap``."""
    fg = folium.FeatureGroup(name=name, control=False)
    fg.carecircle_basemap = basemap  # type: ignore[attr-defined]  # read by geo.maps._basemap_of
    return fg


def standalone(base: folium.Map, groups: Iterable[folium.FeatureGroup]) -> str:
    """Base and groups as one self-contained HTML page (:func:`geo.maps.standalone_html`)."""
    for fg in groups:
        fg.add_to(base)
    return maps.standalone_html(base)


class ZoomFade(MacroElement):
    """Sets a pane's opacity by zoom level: ``full`` up to ``from_zoom``, ``faded`` from ``to_zoom``."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var Fade = L.Layer.extend({
                onAdd: function (map) {
                    this._map = map;
                    map.on('zoomend', this._apply, this);
                    this._apply();
                },
                onRemove: function (map) {
                    map.off('zoomend', this._apply, this);
                    var pane = map.getPane({{ this.pane|tojson }});
                    if (pane) { pane.style.opacity = ''; }
                },
                _apply: function () {
                    var pane = this._map.getPane({{ this.pane|tojson }});
                    if (!pane) { return; }
                    var z = this._map.getZoom(), a = {{ this.from_zoom }}, b = {{ this.to_zoom }};
                    var t = Math.min(1, Math.max(0, (z - a) / Math.max(1, b - a)));
                    pane.style.opacity = String({{ this.full }} + t * ({{ this.faded }} - {{ this.full }}));
                }
            });
            return new Fade();
        })();
        {{ this._parent.get_name() }}.addLayer({{ this.get_name() }});
        {% endmacro %}"""
    )

    def __init__(
        self, pane: str, *, from_zoom: int = 8, to_zoom: int = 11, full: float = 1.0, faded: float = 0.35
    ) -> None:
        super().__init__()
        self._name = "ZoomFade"
        self.pane = pane
        self.from_zoom, self.to_zoom = int(from_zoom), int(to_zoom)
        self.full, self.faded = float(full), float(faded)


class FitOnce(MacroElement):
    """Fits the view to bounds the first time ``key`` is seen by this map (not on every layer swap)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var Fit = L.Layer.extend({
                onAdd: function (map) {
                    if (map._ccFitKey === {{ this.key|tojson }}) { return; }
                    var fit = function () {
                        map._ccFitKey = {{ this.key|tojson }};
                        map.fitBounds({{ this.bounds|tojson }});
                    };
                    // a map in a hidden container has no size yet: fit once it has one
                    if (map.getSize().x > 0) { fit(); } else { map.once('resize', fit); }
                },
                onRemove: function () {}
            });
            return new Fit();
        })();
        {{ this._parent.get_name() }}.addLayer({{ this.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self, key: str, bounds_latlon: Sequence[Sequence[float]]) -> None:
        super().__init__()
        self._name = "FitOnce"
        self.key = str(key)
        self.bounds = [[float(v) for v in corner] for corner in bounds_latlon]


class Points(MacroElement):
    """Circle markers in a pane, each with its colour, radius and an (already escaped) tooltip.

    ``rows`` are ``[lat, lon, fill colour, tooltip html, radius px, stroke colour]`` in display
    coordinates; folium's ``CircleMarker`` cannot be put in a pane.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup();
        {{ this.rows|tojson }}.forEach(function (r) {
            L.circleMarker([r[0], r[1]], {
                pane: {{ this.pane|tojson }}, radius: r[4], color: r[5], weight: 2,
                fillColor: r[2], fillOpacity: 0.95
            }).bindTooltip(r[3]).addTo({{ this.get_name() }});
        });
        {{ this._parent.get_name() }}.addLayer({{ this.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self, rows: Sequence[Sequence[Any]], *, pane: str) -> None:
        super().__init__()
        self._name = "Points"
        self.pane = pane
        self.rows = [list(r) for r in rows]


def point_rows(
    lon: Any,
    lat: Any,
    *,
    basemap: str,
    colour: str,
    tooltips: Sequence[str],
    radius: int = 7,
    stroke: str = "#ffffff",
) -> list[list[Any]]:
    """Rows for :class:`Points` from WGS84 coordinates (shifted for the basemap); tooltips are escaped."""
    x, y = maps.to_display(np.asarray(lon, float), np.asarray(lat, float), basemap=basemap)
    return [
        [round(float(b), 6), round(float(a), 6), colour, maps.esc(tip), radius, stroke]
        for a, b, tip in zip(np.atleast_1d(x), np.atleast_1d(y), tooltips, strict=True)
    ]


class Swipe(MacroElement):
    """A divider the user drags across the map: the ``cc-left-*`` panes left of it, ``cc-right-*`` right.

    The position is kept across layer swaps of the same page. The handle is 44 px wide for touch
    (WCAG 2.2 target size); dragging it does not pan the map.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var LEFT = {{ this.left|tojson }}, RIGHT = {{ this.right|tojson }};
            var css = '.cc-swipe{position:absolute;top:0;bottom:0;left:0;width:100%;margin:0;z-index:800;'
                + '-webkit-appearance:none;appearance:none;background:transparent;pointer-events:none;height:100%}'
                + '.cc-swipe::-webkit-slider-thumb{-webkit-appearance:none;appearance:none;width:44px;height:44px;'
                + 'border-radius:22px;background:#fff;border:3px solid #2b6cb0;'
                + 'box-shadow:0 1px 4px rgba(0,0,0,.4);cursor:ew-resize;pointer-events:auto}'
                + '.cc-swipe::-moz-range-thumb{width:44px;height:44px;border-radius:22px;background:#fff;'
                + 'border:3px solid #2b6cb0;cursor:ew-resize;pointer-events:auto}'
                + '.cc-swipe-line{position:absolute;top:0;bottom:0;width:3px;margin-left:-1px;background:#2b6cb0;'
                + 'z-index:790;pointer-events:none}'
                + '.cc-swipe-label{position:absolute;top:8px;z-index:795;background:rgba(255,255,255,.92);'
                + 'padding:3px 8px;border-radius:4px;font:13px/1.4 sans-serif;box-shadow:0 1px 3px rgba(0,0,0,.3)}';
            var Swipe = L.Layer.extend({
                onAdd: function (map) {
                    this._map = map;
                    if (!document.getElementById('cc-swipe-css')) {
                        var style = document.createElement('style');
                        style.id = 'cc-swipe-css';
                        style.innerHTML = css;
                        document.head.appendChild(style);
                    }
                    var box = map.getContainer();
                    this._line = L.DomUtil.create('div', 'cc-swipe-line', box);
                    this._leftLabel = L.DomUtil.create('div', 'cc-swipe-label', box);
                    this._leftLabel.style.left = '52px';  // right of the zoom buttons
                    this._leftLabel.textContent = {{ this.left_label|tojson }};
                    this._rightLabel = L.DomUtil.create('div', 'cc-swipe-label', box);
                    this._rightLabel.style.right = '8px';
                    this._rightLabel.textContent = {{ this.right_label|tojson }};
                    var range = this._range = L.DomUtil.create('input', 'cc-swipe', box);
                    range.type = 'range'; range.min = 0; range.max = 1; range.step = 0.001;
                    range.value = (typeof window.ccSwipeValue === 'number') ? window.ccSwipeValue : 0.5;
                    range.setAttribute('aria-label', {{ this.aria|tojson }});
                    L.DomEvent.disableClickPropagation(range);
                    var stop = function () { map.dragging.disable(); };
                    var go = function () { map.dragging.enable(); };
                    L.DomEvent.on(range, 'mousedown touchstart pointerdown', stop);
                    L.DomEvent.on(range, 'mouseup touchend pointerup', go);
                    L.DomEvent.on(range, 'input change', this._update, this);
                    map.on('move zoom resize', this._update, this);
                    this._update();
                },
                onRemove: function (map) {
                    map.off('move zoom resize', this._update, this);
                    [this._range, this._line, this._leftLabel, this._rightLabel].forEach(function (el) {
                        if (el) { L.DomUtil.remove(el); }
                    });
                    LEFT.concat(RIGHT).forEach(function (name) {
                        var pane = map.getPane(name);
                        if (pane) { pane.style.clip = ''; }
                    });
                },
                _update: function () {
                    var map = this._map;
                    var value = parseFloat(this._range.value);
                    window.ccSwipeValue = value;
                    var size = map.getSize();
                    var nw = map.containerPointToLayerPoint([0, 0]);
                    var se = map.containerPointToLayerPoint(size);
                    var x = nw.x + size.x * value;
                    var left = 'rect(' + [nw.y, x, se.y, nw.x].join('px,') + 'px)';
                    var right = 'rect(' + [nw.y, se.x, se.y, x].join('px,') + 'px)';
                    LEFT.forEach(function (name) { var p = map.getPane(name); if (p) { p.style.clip = left; } });
                    RIGHT.forEach(function (name) { var p = map.getPane(name); if (p) { p.style.clip = right; } });
                    this._line.style.left = (size.x * value) + 'px';
                }
            });
            return new Swipe();
        })();
        {{ this._parent.get_name() }}.addLayer({{ this.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self, *, left_label: str, right_label: str, aria: str) -> None:
        super().__init__()
        self._name = "Swipe"
        self.left, self.right = list(LEFT_PANES), list(RIGHT_PANES)
        self.left_label, self.right_label, self.aria = left_label, right_label, aria


class MapNote(MacroElement):
    """A line of plain text in a corner of the map (data version, model, modelled note)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var note = L.control({position: {{ this.position|tojson }}});
            note.onAdd = function () {
                var div = L.DomUtil.create('div', 'carecircle-note');
                div.style.cssText = 'background:rgba(255,255,255,0.92);padding:4px 8px;border-radius:4px;'
                    + 'font:11px/1.4 sans-serif;max-width:420px;box-shadow:0 1px 3px rgba(0,0,0,0.3)';
                div.textContent = {{ this.text|tojson }};
                return div;
            };
            var Holder = L.Layer.extend({
                onAdd: function (map) { note.addTo(map); },
                onRemove: function () { note.remove(); }
            });
            return new Holder();
        })();
        {{ this._parent.get_name() }}.addLayer({{ this.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self, text: str, *, position: str = "bottomleft") -> None:
        super().__init__()
        self._name = "MapNote"
        self.text = str(text)
        self.position = position


def bounds_latlon(
    lon_min: float, lat_min: float, lon_max: float, lat_max: float, *, basemap: str
) -> list[list[float]]:
    """Leaflet bounds ``[[south, west], [north, east]]`` of a WGS84 box, shifted for the basemap."""
    (x0, x1), (y0, y1) = maps.to_display(
        np.array([lon_min, lon_max]), np.array([lat_min, lat_max]), basemap=basemap
    )
    return [[float(y0), float(x0)], [float(y1), float(x1)]]
