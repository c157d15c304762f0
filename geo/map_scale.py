"""What a map draws when the inputs are large: aggregates of what is shown, never of what is counted.

At city scale (10,000 facilities, 200,000 demand cells) drawing every facility with its popup, every
hexagon and full-detail isochrones makes a map of many megabytes that the browser and the app's
rerun both pay for. The figures of the coverage page come from the full data (``geo.coverage``);
only the drawing is reduced here, above thresholds given by :class:`DrawLimits`:

* facilities: above ``max_facility_markers``, one circle per H3 cell (the finest resolution from 9
  down that gives at most that many circles), at the mean position of its facilities, sized and
  labelled by their exact count;
* hexagons (uncovered people): summed over coarser H3 parents above ``max_hexagons``
  (:func:`geo.hexagons.coarsen_cells`, which keeps every person);
* isochrone bands: simplified with a tolerance doubled from ``isochrone_tolerance_deg`` until the
  bands hold at most ``max_isochrone_vertices`` vertices.

Each reduction is described by a :class:`Drawn` record, so the map's legend and the page can say
what the map shows. Pure: no streamlit here, and nothing is read from disk.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import folium
import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template

from geo import hexagons, maps

__all__ = [
    "DrawLimits",
    "Drawn",
    "add_facility_groups",
    "add_isochrone_display",
    "facility_groups",
    "gap_cells_drawn",
    "isochrone_display",
]

FINEST_FACILITY_RESOLUTION: Final[int] = 9
COARSEST_RESOLUTION: Final[int] = 4
MAX_TOLERANCE_DEG: Final[float] = 0.02
M_PER_DEG_LAT: Final[float] = 111_195.0
MIXED_COLOUR: Final[str] = "#444444"
"""Colour of a circle holding facilities of more than one type."""


@dataclass(frozen=True)
class DrawLimits:
    """Largest amounts drawn in full detail on one map.

    Attributes
    ----------
    max_facility_markers
        Most facility markers (each with its popup); above it facilities are drawn as counts per H3 cell.
    max_hexagons
        Most hexagons of uncovered people (coarser H3 parents above it); the default of
        :func:`geo.hexagons.hexagon_classes`.
    max_isochrone_vertices
        Most vertices of all isochrone bands together; above it they are simplified further.
    isochrone_tolerance_deg
        Simplification tolerance (degrees) always applied to isochrone bands (about 30 m).
    """

    max_facility_markers: int = 1_000
    max_hexagons: int = hexagons.MAX_HEXAGONS
    max_isochrone_vertices: int = 20_000
    isochrone_tolerance_deg: float = 0.0003


BandShape = tuple[int, float, str, tuple[float, float, float, float]]
"""One drawn reach band: (rank from the smallest budget, minutes, GeoJSON geometry text, bounds)."""


@dataclass(frozen=True)
class Drawn:
    """What one layer of a map shows.

    Attributes
    ----------
    layer
        ``facilities``, ``gaps`` or ``isochrones``.
    n_items
        How many items the layer stands for (facilities, demand cells with uncovered people, bands).
    n_drawn
        How many shapes are drawn.
    aggregated
        Whether the shapes are aggregates (or simplified further than usual) rather than the items.
    resolution
        H3 resolution of the aggregates (None when not aggregated into cells).
    source_resolution
        H3 resolution of the items (demand cells), when they are cells.
    tolerance_m
        Simplification tolerance of isochrone bands (metres, approximate), else 0.
    """

    layer: str
    n_items: int
    n_drawn: int
    aggregated: bool
    resolution: int | None = None
    source_resolution: int | None = None
    tolerance_m: float = 0.0


def facility_groups(facilities: pd.DataFrame, *, max_markers: int) -> tuple[pd.DataFrame, Drawn]:
    """Facilities as drawn: themselves, or counted per H3 cell when there are more than ``max_markers``.

    Parameters
    ----------
    facilities
        ``lon``, ``lat`` (WGS84) and ``type`` of the facilities to draw.
    max_markers
        Most markers to draw.

    Returns
    -------
    (DataFrame, Drawn)
        When not aggregated, ``facilities`` unchanged. Otherwise one row per H3 cell with
        ``cell_id``, ``lon``, ``lat`` (mean of its facilities), ``count`` and ``types`` (a dict
        type → count), largest count first; the counts add up to ``len(facilities)``.
    """
    n = len(facilities)
    if n <= max_markers:
        return facilities, Drawn("facilities", n, n, aggregated=False)
    lon = facilities["lon"].to_numpy(float)
    lat = facilities["lat"].to_numpy(float)
    types = facilities["type"].astype(str).to_numpy()
    # h3 takes lat, lng
    cells = np.array(
        [h3.latlng_to_cell(y, x, FINEST_FACILITY_RESOLUTION) for x, y in zip(lon, lat, strict=True)]
    )
    res = FINEST_FACILITY_RESOLUTION
    while len(np.unique(cells)) > max_markers and res > COARSEST_RESOLUTION:
        res -= 1
        parents = {c: h3.cell_to_parent(c, res) for c in np.unique(cells)}
        cells = np.array([parents[c] for c in cells])
    frame = pd.DataFrame({"cell_id": cells, "lon": lon, "lat": lat, "type": types})
    grouped = frame.groupby("cell_id", sort=True)
    out = grouped.agg(lon=("lon", "mean"), lat=("lat", "mean"), count=("type", "size")).reset_index()
    type_counts: dict[str, dict[str, int]] = {}
    for cell, code in zip(cells.tolist(), types.tolist(), strict=True):
        counts = type_counts.setdefault(str(cell), {})
        counts[str(code)] = counts.get(str(code), 0) + 1
    out = out.assign(types=pd.Series([type_counts[str(c)] for c in out["cell_id"]], dtype=object))
    out = out.sort_values(["count", "cell_id"], ascending=[False, True]).reset_index(drop=True)
    return out, Drawn("facilities", n, len(out), aggregated=True, resolution=res)


class _FacilityGroups(MacroElement):
    """Circles of facility counts, from one JSON array (no per-circle folium element)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function() {
            var layer = L.featureGroup();
            {{ this.rows|tojson }}.forEach(function (row) {
                L.circleMarker([row[0], row[1]], {
                    radius: row[2], color: '#ffffff', weight: 1.5, fillColor: row[3], fillOpacity: 0.85
                }).bindTooltip(row[4]).addTo(layer);
            });
            layer.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}"""
    )

    def __init__(self, rows: list[list[Any]]) -> None:
        super().__init__()
        self._name = "FacilityGroups"
        self.rows = rows


def add_facility_groups(
    m: folium.Map | folium.FeatureGroup,
    groups: pd.DataFrame,
    *,
    basemap: str,
    label: Callable[[int, Mapping[str, int]], str],
) -> None:
    """Draw :func:`facility_groups` aggregates: one circle per cell, area growing with the count.

    Parameters
    ----------
    groups
        The aggregated table of :func:`facility_groups`.
    basemap
        Basemap code (decides the display shift).
    label
        Tooltip text (plain, escaped here) of a circle from its count and its counts per type.
    """
    if groups.empty:
        return
    x, y = maps.to_display(groups["lon"].to_numpy(float), groups["lat"].to_numpy(float), basemap=basemap)
    rows = []
    for gx, gy, count, types in zip(
        np.atleast_1d(x), np.atleast_1d(y), groups["count"], groups["types"], strict=True
    ):
        colour = maps.TYPE_COLOURS.get(next(iter(types)), MIXED_COLOUR) if len(types) == 1 else MIXED_COLOUR
        radius = round(min(4.0 + 2.0 * float(np.sqrt(count)), 20.0), 1)
        rows.append(
            [round(float(gy), 6), round(float(gx), 6), radius, colour, maps.esc(label(int(count), types))]
        )
    _FacilityGroups(rows).add_to(m)


def gap_cells_drawn(uncovered: pd.DataFrame, *, value_col: str, max_cells: int) -> Drawn:
    """What :func:`geo.hexagons.hexagon_classes` draws of ``uncovered`` with the same ``max_cells``.

    Parameters
    ----------
    uncovered
        ``cell_id`` (H3) and ``value_col`` per demand cell.
    """
    kept = uncovered.loc[uncovered[value_col].fillna(0) > 0, "cell_id"].drop_duplicates()
    if kept.empty:
        return Drawn("gaps", 0, 0, aggregated=False)
    source = h3.get_resolution(str(kept.iloc[0]))
    n_cells = len(kept)
    if n_cells <= max_cells:
        return Drawn("gaps", n_cells, n_cells, aggregated=False, resolution=source, source_resolution=source)
    # The resolution and count hexagons.coarsen_cells reaches, without summing anything.
    ints = hexagons.h3_ints(kept.to_numpy())
    res = hexagons.coarse_resolution(ints, source, max_cells=max_cells)
    n_drawn = len(np.unique(hexagons.h3_parents(ints, res)))
    return Drawn("gaps", n_cells, n_drawn, aggregated=True, resolution=res, source_resolution=source)


def _simplify(geom: Any, tolerance_deg: float) -> Any:
    """Douglas-Peucker (fast); the topology-preserving variant only where that leaves an invalid shape."""
    if geom is None:
        return None
    quick = shapely.simplify(geom, tolerance_deg, preserve_topology=False)
    return quick if quick.is_valid and not quick.is_empty else shapely.simplify(geom, tolerance_deg)


def _vertices(geoms: Sequence[Any]) -> int:
    return int(sum(shapely.get_num_coordinates(g) for g in geoms if g is not None))


def isochrone_display(
    bands: gpd.GeoDataFrame, *, basemap: str, limits: DrawLimits
) -> tuple[list[BandShape], Drawn]:
    """Isochrone bands simplified for drawing, in display coordinates, smallest budget first.

    The tolerance starts at ``limits.isochrone_tolerance_deg`` and doubles (up to about 2 km)
    until all bands together have at most ``limits.max_isochrone_vertices`` vertices. Pure and
    picklable, so the app caches it; :func:`add_isochrone_display` draws it.

    Returns
    -------
    (list of (rank, minutes, GeoJSON geometry text, bounds), Drawn)
        ``rank`` is the band's place from the smallest budget (its colour); ``bounds`` are
        ``(west, south, east, north)``; empty bands are left out.
    """
    ordered = bands.sort_values("minutes").reset_index(drop=True)
    geoms = list(ordered.geometry)
    tolerance = limits.isochrone_tolerance_deg
    simplified = [_simplify(g, tolerance) for g in geoms]
    while _vertices(simplified) > limits.max_isochrone_vertices and tolerance < MAX_TOLERANCE_DEG:
        tolerance *= 2
        simplified = [_simplify(g, tolerance) for g in geoms]
    out = []
    for rank, (minutes, geom) in enumerate(zip(ordered["minutes"], simplified, strict=True)):
        if geom is None or geom.is_empty:
            continue
        shown = shapely.set_precision(maps.shift_geometry(geom, basemap), 1e-5)
        # GeoJSON text written by GEOS (compact, shortest digits): no Python walk over the vertices.
        west, south, east, north = (float(b) for b in shown.bounds)
        out.append((rank, float(minutes), str(shapely.to_geojson(shown)), (west, south, east, north)))
    drawn = Drawn(
        "isochrones",
        len(geoms),
        len(out),
        aggregated=tolerance > limits.isochrone_tolerance_deg,
        tolerance_m=tolerance * M_PER_DEG_LAT,
    )
    return out, drawn


def add_isochrone_display(
    m: folium.Map | folium.FeatureGroup,
    shapes: Sequence[BandShape],
    *,
    label: Callable[[float], str],
    pane: str | None = None,
) -> None:
    """Draw :func:`isochrone_display` bands, largest first so smaller ones sit on top (as
    :func:`geo.maps.add_isochrones` does, with the same colours)."""
    for rank, minutes, geometry, bounds in sorted(shapes, key=lambda s: -s[0]):
        colour = maps.BAND_COLOURS[min(rank, len(maps.BAND_COLOURS) - 1)]
        style = {"color": colour, "weight": 1, "fillColor": colour, "fillOpacity": 0.35}
        maps.add_geometry(m, geometry, bounds=bounds, style=style, tooltip=label(minutes), pane=pane)
