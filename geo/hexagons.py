"""H3 hexagons on the maps: people summed over coarser cells and drawn in fixed density classes.

* :func:`coarsen_cells` sums a value over H3 parents until at most :data:`MAX_HEXAGONS` remain (on
  uint64 indexes, :func:`h3_ints`, :func:`h3_parents`); a coarser hexagon keeps the label of its child
  with the largest value.
* :func:`hexagon_classes` makes the hexagons of each class of a density indicator
  (:mod:`geo.classes`) as GeoJSON text in display coordinates, with escaped tooltips; the shape and
  area of a hexagon can be kept by the caller (:data:`HexShapes`), so a cell's are worked out once.
* :func:`add_hexagon_classes` and :func:`add_hexagons` draw them on a folium map (:mod:`geo.maps`).

Pure (no streamlit): the app caches what these return.
"""

from __future__ import annotations

import json
import re
from collections.abc import MutableMapping, Sequence
from typing import Any, Final, NamedTuple

import folium
import h3
import numpy as np
import pandas as pd
from branca.element import MacroElement

from geo import classes
from geo.maps import DISPLAY_DECIMALS, _basemap_of, _GeoJsonLayer, _script_safe, esc, to_display

MAX_HEXAGONS: Final[int] = 2500
"""The most hexagons a map draws of one layer (:func:`coarsen_cells`, :func:`hexagon_classes`)."""


def coarsen_cells(
    cells: pd.DataFrame, *, value_col: str, max_cells: int = MAX_HEXAGONS, label_col: str | None = None
) -> pd.DataFrame:
    """Sum a value over H3 parents until at most ``max_cells`` cells remain (keeps the map small).

    Parameters
    ----------
    cells
        ``cell_id`` (H3 index string) and ``value_col``.
    value_col
        The column to sum.
    max_cells
        Largest number of hexagons to draw.
    label_col
        Optional text column; a parent keeps the label of its child with the largest value.

    Returns
    -------
    DataFrame
        ``cell_id, value_col`` (and ``label_col``) with cells of one resolution, zero and NaN values
        dropped.
    """
    kept = cells[value_col].fillna(0).to_numpy(float) > 0
    ids = cells["cell_id"].to_numpy()[kept]
    values = cells[value_col].to_numpy(float)[kept]
    labels = cells[label_col].to_numpy()[kept] if label_col else None
    codes, values, labels, first = _merge_cells(h3_ints(ids), values, labels)

    def frame(ids: np.ndarray, values: np.ndarray, labels: np.ndarray | None) -> pd.DataFrame:
        data: dict[str, Any] = {"cell_id": ids, value_col: values}
        if label_col and labels is not None:
            data[label_col] = labels
        return pd.DataFrame(data)

    if len(codes) <= max_cells:
        return frame(ids[first].astype(object), values, labels)  # the ids as given, one per cell
    res = h3.get_resolution(str(ids[0]))
    # Parents by the index's bits: the coarsest level needed is found without an h3 call per cell and
    # level, then the cells are merged level by level (the label of the top cell carries up).
    final = coarse_resolution(codes, res, max_cells=max_cells)
    for level in range(res - 1, final - 1, -1):
        codes, values, labels, _ = _merge_cells(h3_parents(codes, level), values, labels)
    return frame(np.array([format(x, "x") for x in codes.tolist()], dtype=object), values, labels)


def _merge_cells(
    codes: np.ndarray, values: np.ndarray, labels: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    """Sum ``values`` per H3 index (``codes``, uint64; returned in ascending order); each index keeps
    the label of its row with the largest value (the first such row on ties). The last item is the
    first row of each index."""
    unique, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    sums = np.bincount(inverse, weights=values, minlength=len(unique))
    if labels is None:
        return unique, sums, None, first
    order = np.lexsort((np.arange(len(values)), -values, inverse))
    grouped = inverse[order]
    top = order[np.r_[True, grouped[1:] != grouped[:-1]]] if len(order) else order
    return unique, sums, labels[top], first


_HEX_VALUE: Final[np.ndarray] = np.full(256, 255, dtype=np.uint64)
_HEX_VALUE[np.frombuffer(b"0123456789abcdef", dtype=np.uint8)] = np.arange(16, dtype=np.uint64)
_HEX_VALUE[np.frombuffer(b"ABCDEF", dtype=np.uint8)] = np.arange(10, 16, dtype=np.uint64)


def h3_ints(cell_ids: Sequence[str] | np.ndarray) -> np.ndarray:
    """H3 index strings as uint64 indexes (as ``int(id, 16)``), 15 hex digits parsed at once."""
    ids = np.asarray(cell_ids, dtype=object)
    if len(ids) == 0:
        return np.empty(0, dtype=np.uint64)
    try:
        raw = np.array(ids, dtype="S16").view(np.uint8).reshape(-1, 16)
    except (UnicodeEncodeError, ValueError, TypeError):
        raw = None
    if raw is not None and not raw[:, 15].any():
        digits = _HEX_VALUE[raw[:, :15]]
        if not (digits == 255).any():
            out = np.zeros(len(ids), dtype=np.uint64)
            for k in range(15):
                out = (out << np.uint64(4)) | digits[:, k]
            return out
    # Another length or a character that is not a hex digit: one at a time (raises on what is no index).
    return np.array([int(str(c), 16) for c in ids.tolist()], dtype=np.uint64)


def coarse_resolution(cells: np.ndarray, res: int, *, max_cells: int) -> int:
    """The finest resolution at or below ``res`` where ``cells`` (H3 indexes as uint64, of resolution
    ``res``) have at most ``max_cells`` parents (0 at the coarsest): what :func:`coarsen_cells` draws."""
    while len(np.unique(h3_parents(cells, res))) > max_cells and res > 0:
        res -= 1
    return res


def h3_parents(cells: np.ndarray, res: int) -> np.ndarray:
    """The parents at resolution ``res`` of H3 cell indexes (uint64, finer than ``res``): the
    resolution field set and the finer digits 7, as the H3 index format defines."""
    out = (cells & ~np.uint64(0xF << 52)) | np.uint64(res << 52)
    return out | np.uint64((1 << (3 * (15 - res))) - 1)


def _display_rings(cell_ids: Sequence[str], *, basemap: str) -> list[list[list[float]]]:
    """Closed boundary rings (lon, lat in display coordinates, 5 decimals) of H3 cells, in one pass."""
    rings: list[list[list[float]]] = []
    if not cell_ids:
        return rings
    boundaries = [h3.cell_to_boundary(c) for c in cell_ids]
    sizes = np.fromiter((len(b) for b in boundaries), dtype=np.int64, count=len(boundaries))
    # Hexagons all have six corners; the odd pentagon goes through the same steps in its own group.
    by_size: dict[int, list[int]] = {}
    for i, size in enumerate(sizes.tolist()):
        by_size.setdefault(size, []).append(i)
    out: list[list[list[float]] | None] = [None] * len(boundaries)
    for size, members in by_size.items():
        # h3 gives (lat, lng) pairs; GeoJSON wants lon, lat
        latlng = np.asarray([boundaries[i] for i in members], dtype=np.float64).reshape(-1, size, 2)
        x, y = to_display(latlng[:, :, 1].ravel(), latlng[:, :, 0].ravel(), basemap=basemap)
        coords = np.stack([np.atleast_1d(x), np.atleast_1d(y)], axis=-1).reshape(-1, size, 2)
        closed = np.concatenate([coords, coords[:, :1]], axis=1).round(DISPLAY_DECIMALS)
        for i, ring in zip(members, closed.tolist(), strict=True):
            out[i] = ring
    return [ring for ring in out if ring is not None]


class HexClass(NamedTuple):
    """One class of hexagons, ready to draw (:func:`hexagon_classes`)."""

    colour: str
    text: str
    """Legend text."""
    geojson: str
    """The hexagons as a compact GeoJSON FeatureCollection in display coordinates, safe in a script."""
    n_hexagons: int
    """Number of hexagons."""


HexShapes = MutableMapping[str, tuple[str, float]]
"""Hexagons already drawn on one basemap: H3 id -> (GeoJSON Polygon text, area in km²)."""

MAX_KEPT_HEXAGONS: Final[int] = 100_000
"""A :data:`HexShapes` store is emptied before it would hold more hexagons than this."""


def _hexagon_shapes(
    cell_ids: list[str], *, basemap: str, kept: HexShapes | None
) -> tuple[list[str], np.ndarray]:
    """The GeoJSON Polygon text (display coordinates) and area (km²) of each H3 cell.

    Hexagons in ``kept`` are taken from it; the others are made and added to it (it may be shared
    between threads: it is read once and only written with whole entries).
    """
    found: dict[str, tuple[str, float] | None] = (
        {c: kept.get(c) for c in cell_ids} if kept is not None else dict.fromkeys(cell_ids)
    )
    missing = [c for c, shape in found.items() if shape is None]
    if missing:
        # One serialisation for all rings: numbers only, so the text splits exactly between rings.
        rings = json.dumps(_display_rings(missing, basemap=basemap), separators=(",", ":"))[3:-3].split(
            "]],[["
        )
        fresh = {
            c: ('{"type":"Polygon","coordinates":[[[' + ring + "]]]}", h3.cell_area(c, unit="km^2"))
            for c, ring in zip(missing, rings, strict=True)
        }
        found.update(fresh)
        if kept is not None:
            if len(kept) + len(fresh) > MAX_KEPT_HEXAGONS:
                kept.clear()
            kept.update(fresh)
    made = {c: shape for c, shape in found.items() if shape is not None}
    return [made[c][0] for c in cell_ids], np.array([made[c][1] for c in cell_ids], dtype=np.float64)


_JSON_ESCAPED: Final[re.Pattern[str]] = re.compile(r'["\\\x00-\x1f]')
"""Characters ``json.dumps(..., ensure_ascii=False)`` writes otherwise than as they are."""


def hexagon_classes(
    cells: pd.DataFrame,
    *,
    value_col: str,
    indicator: str = "uncovered_density_pop_total",
    basemap: str = "osm",
    max_cells: int | None = MAX_HEXAGONS,
    density_unit: str = "",
    label_col: str | None = None,
    tooltip: str = "{place}: {people} ({density})",
    kept: HexShapes | None = None,
) -> list[HexClass]:
    """H3 hexagons of ``value_col`` people in the fixed classes of ``indicator``, ready to draw.

    The hexagons are coloured by people per km² (:mod:`geo.classes`), so a colour means the same
    density at any H3 resolution and in any view. Pure and picklable (GeoJSON text, no objects to
    walk), so the app caches it; :func:`add_hexagon_classes` draws the result.

    Parameters
    ----------
    cells
        ``cell_id`` (H3), ``value_col`` and optionally ``label_col`` (a place name per cell).
    value_col
        The people shading the hexagons; zero cells are dropped.
    indicator
        A density indicator of :data:`geo.classes.INDICATORS`.
    basemap
        Basemap code (decides the display shift).
    max_cells
        At most this many hexagons (coarser H3 parents when there are more; see :func:`coarsen_cells`);
        None: ``cells`` are drawn as given (one row per hexagon, as :func:`coarsen_cells` returns them).
    density_unit
        Unit after the class bounds in the legend (``人/平方公里`` …).
    label_col
        Place names; a coarser hexagon takes the name of its cell with the most people.
    tooltip
        Tooltip template with ``{place}``, ``{people}`` and ``{density}`` (escaped here).
    kept
        Optional store of hexagons already made for ``basemap`` (:data:`HexShapes`), so a cell's shape
        and area are worked out once; the caller keeps one per data version and basemap.

    Returns
    -------
    list of HexClass
        Every class of the indicator, from the lowest up (empty classes included, so the legend is the
        same in every view).
    """
    if max_cells is None:
        data = cells.loc[cells[value_col].fillna(0).to_numpy(float) > 0]
    else:
        data = coarsen_cells(cells, value_col=value_col, max_cells=max_cells, label_col=label_col)
    items = classes.legend_items(indicator, density_unit=density_unit)
    collections: list[list[str]] = [[] for _ in items]
    if not data.empty:
        values = data[value_col].to_numpy(float)
        shapes, areas = _hexagon_shapes(data["cell_id"].astype(str).tolist(), basemap=basemap, kept=kept)
        density = values / np.where(areas > 0, areas, np.nan)
        klass = classes.classify(indicator, density)
        drawn = np.flatnonzero(klass >= 0)
        # Plain Python values: formatting thousands of numpy scalars one by one is slow.
        places = data[label_col].astype(str).to_numpy()[drawn].tolist() if label_col else [""] * len(drawn)
        people = np.rint(values[drawn]).astype(np.int64).tolist()
        per_km2 = np.rint(density[drawn]).astype(np.int64).tolist()
        said = [
            tooltip.format(place=place, people=f"{n:,}", density=f"{d:,} {density_unit}".strip())
            for place, n, d in zip(places, people, per_km2, strict=True)
        ]
        tips = _escaped_each([tip.lstrip(": ") for tip in said])
        # Escaped tips rarely hold anything JSON must escape; then quoting them is their JSON text.
        quoted = (
            [json.dumps(tip, ensure_ascii=False) for tip in tips]
            if _JSON_ESCAPED.search("".join(tips))
            else ['"' + tip + '"' for tip in tips]
        )
        for i, tip, k in zip(drawn.tolist(), quoted, klass[drawn].tolist(), strict=True):
            collections[k].append(
                '{"type":"Feature","properties":{"tip":' + tip + '},"geometry":' + shapes[i] + "}"
            )
    return [
        HexClass(
            colour,
            text,
            _script_safe('{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"),
            len(features),
        )
        for (colour, text), features in zip(items, collections, strict=True)
    ]


def add_hexagon_classes(
    m: MacroElement, classes_: Sequence[HexClass], *, pane: str | None = None
) -> list[tuple[str, str]]:
    """Draw :func:`hexagon_classes` output, one GeoJSON layer (one style) per class; returns legend items.

    The tooltip of each hexagon is its place and people (``properties.tip``, escaped when made).
    """
    for found in classes_:
        if not found.n_hexagons:
            continue
        colour = found.colour
        style = {"color": colour, "weight": 1, "opacity": 0.9, "fillColor": colour, "fillOpacity": 0.8}
        _GeoJsonLayer(found.geojson, style=style, pane=pane, feature_tips=True).add_to(m)
    return [(found.colour, found.text) for found in classes_]


def add_hexagons(
    m: folium.Map,
    cells: pd.DataFrame,
    *,
    value_col: str,
    indicator: str = "uncovered_density_pop_total",
    basemap: str | None = None,
    max_cells: int = MAX_HEXAGONS,
    density_unit: str = "",
) -> list[tuple[str, str]]:
    """H3 hexagons shaded by ``value_col`` people per km² in fixed classes; returns the legend items.

    ``basemap`` decides the display shift; default: the one the map was made with.
    """
    basemap = _basemap_of(m, basemap)
    found = hexagon_classes(
        cells,
        value_col=value_col,
        indicator=indicator,
        basemap=basemap,
        max_cells=max_cells,
        density_unit=density_unit,
    )
    return add_hexagon_classes(m, found)


def _escaped_each(texts: list[str]) -> list[str]:
    """:func:`esc` of each text. It replaces character by character, so the texts are escaped at
    once, joined by a character it keeps (each on its own if one of them holds that character)."""
    if not texts:
        return []
    parts = esc("\x00".join(texts)).split("\x00")
    return parts if len(parts) == len(texts) else [esc(t) for t in texts]
