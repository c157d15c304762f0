"""Spreading people onto H3 cells: points, raster samples and polygons (areal interpolation).

Pure functions: WGS84 coordinates and shapely geometries in, one row per (source, H3 cell) out.

* :func:`spread_points` — every point's people go to the H3 cell that holds it (a compound, or the
  centre of a raster pixel).
* :func:`subsample_offsets` — where a raster pixel is coarser than the cells, its people are split by
  area: the pixel is sampled on a k × k grid of equal parts, each carrying 1/k² of the people, and
  each part goes to the cell of its centre.
* :func:`spread_polygons` — each polygon's people go to the H3 cells it overlaps, in proportion to
  the area of the overlap (areal weighting) or, with cell weights from a raster or a building layer,
  to overlap share × the cell's weight (dasymetric mapping).

Cells fully inside a polygon are found by H3's own containment test and take their whole area; only
cells crossing the polygon's edge are intersected with shapely in a metric projection. This is the
areal weighting of ``tobler.area_weighted.area_interpolate`` (``w_ij = a_ij / Σ_k a_ik``), which
the tests use as the oracle, without intersecting the (many) interior cells one by one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import geopandas as gpd
import h3
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.crs import ORDOS_METRIC_CRS, to_metric
from geo.errors import DataError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

VALUE_COLUMNS: Final[tuple[str, ...]] = ("pop_total", "pop_60plus", "pop_0_3")
"""People per source: total, aged 60+ and aged 0–3 (NaN where the file does not say)."""

PIECE_COLUMNS: Final[tuple[str, ...]] = (
    "cell",
    "source",
    "pop_total",
    "a60",
    "a60_base",
    "a03",
    "a03_base",
)
"""Columns of a pieces table: H3 cell (int), source index, people, and for each age group the people
given by the file (``a60``, ``a03``) and the part of ``pop_total`` they were counted from (``*_base``)."""


def latlng_cells(lon: npt.ArrayLike, lat: npt.ArrayLike, resolution: int) -> IntArray:
    """The H3 cell (64-bit integer) holding each WGS84 point."""
    to_cell = h3.api.basic_int.latlng_to_cell
    lon_a = np.asarray(lon, dtype=np.float64).ravel()
    lat_a = np.asarray(lat, dtype=np.float64).ravel()
    # h3 takes latitude first.
    return np.fromiter(
        (to_cell(y, x, resolution) for x, y in zip(lon_a.tolist(), lat_a.tolist(), strict=True)),
        dtype=np.int64,
        count=lon_a.size,
    )


def cell_ids(cells: npt.ArrayLike) -> list[str]:
    """H3 integer cells as the hexadecimal strings stored in ``cell_id``."""
    return [h3.int_to_str(int(c)) for c in np.asarray(cells, dtype=np.int64).ravel()]


def cell_centres(cells: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """WGS84 ``lon, lat`` of the centre of each H3 integer cell."""
    to_latlng = h3.api.basic_int.cell_to_latlng
    pairs = [to_latlng(int(c)) for c in np.asarray(cells, dtype=np.int64).ravel()]
    lat = np.array([p[0] for p in pairs], dtype=np.float64)
    lon = np.array([p[1] for p in pairs], dtype=np.float64)
    return lon, lat


def cell_area_m2(resolution: int) -> float:
    """The average area of an H3 cell at ``resolution`` in square metres."""
    return float(h3.average_hexagon_area(resolution, unit="m^2"))


def _values(values: npt.ArrayLike, n: int) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 1:
        arr = np.column_stack([arr, np.full(arr.size, np.nan), np.full(arr.size, np.nan)])
    if arr.shape != (n, 3):
        msg = f"values must have shape ({n}, 3) for pop_total, pop_60plus, pop_0_3; got {arr.shape}"
        raise DataError(msg)
    return arr


def _pieces(cells: IntArray, source: IntArray, values: FloatArray, share: FloatArray) -> pd.DataFrame:
    """Pieces from per-piece cells, their source rows, the source values and each piece's share."""
    total = values[source, 0] * share
    a60 = values[source, 1]
    a03 = values[source, 2]
    known60 = ~np.isnan(a60)
    known03 = ~np.isnan(a03)
    return pd.DataFrame(
        {
            "cell": cells.astype(np.int64),
            "source": source.astype(np.int64),
            "pop_total": total,
            "a60": np.where(known60, np.nan_to_num(a60) * share, 0.0),
            "a60_base": np.where(known60, total, 0.0),
            "a03": np.where(known03, np.nan_to_num(a03) * share, 0.0),
            "a03_base": np.where(known03, total, 0.0),
        }
    )


def spread_points(
    lon: npt.ArrayLike, lat: npt.ArrayLike, values: npt.ArrayLike, *, resolution: int
) -> pd.DataFrame:
    """Each point's people to the H3 cell that holds it.

    Parameters
    ----------
    lon, lat
        WGS84 degrees, one per point.
    values
        ``(n, 3)`` people per point: total, 60+, 0–3 (NaN where unknown), or ``(n,)`` totals.
    resolution
        H3 resolution of the cells.

    Returns
    -------
    pandas.DataFrame
        One row per point in :data:`PIECE_COLUMNS`; ``source`` is the point's position.
    """
    lon_a = np.asarray(lon, dtype=np.float64).ravel()
    vals = _values(values, lon_a.size)
    cells = latlng_cells(lon_a, lat, resolution)
    idx = np.arange(lon_a.size, dtype=np.int64)
    return _pieces(cells, idx, vals, np.ones(lon_a.size))


def subsample_offsets(k: int) -> FloatArray:
    """Offsets of the centres of a k × k grid of equal parts of a unit pixel, from its centre.

    Returns
    -------
    numpy.ndarray
        ``(k*k, 2)`` offsets in pixel units (column, row), each in (-0.5, 0.5).
    """
    if k < 1:
        msg = f"k must be at least 1, got {k}"
        raise DataError(msg)
    steps = (np.arange(k, dtype=np.float64) + 0.5) / k - 0.5
    cols, rows = np.meshgrid(steps, steps)
    return np.column_stack([cols.ravel(), rows.ravel()])


def parts_per_side(pixel_area_m2: float, resolution: int) -> int:
    """How finely a raster pixel is split so that each part is a quarter of a cell or smaller.

    1 when the pixel is no larger than a cell (each pixel's people go to the cell of its centre).
    """
    cell = cell_area_m2(resolution)
    if not math.isfinite(pixel_area_m2) or pixel_area_m2 <= cell:
        return 1
    return math.ceil(2.0 * math.sqrt(pixel_area_m2 / cell))


@dataclass(frozen=True)
class PolygonSpread:
    """The result of :func:`spread_polygons`.

    Attributes
    ----------
    pieces
        One row per (polygon, H3 cell) in :data:`PIECE_COLUMNS`.
    by_area
        Positions of the polygons spread by area although weights were given (no weight inside them).
    covered_share
        Per polygon, the share of its area that the cells found cover (1.0 up to rounding).
    """

    pieces: pd.DataFrame
    by_area: list[int]
    covered_share: FloatArray


def hexagons_metric(cells: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """The outlines of H3 integer cells in the metric CRS of Ordos (one projection call for all)."""
    cell_list = [int(c) for c in np.asarray(cells, dtype=np.int64).ravel()]
    if not cell_list:
        return np.empty(0, dtype=object)
    boundary = h3.api.basic_int.cell_to_boundary
    rings = [boundary(c) for c in cell_list]  # (lat, lng) pairs; 6 per hexagon, 5 per pentagon
    counts = np.array([len(r) for r in rings], dtype=np.int64)
    flat = np.array([p for r in rings for p in r], dtype=np.float64)
    x_m, y_m = to_metric(flat[:, 1], flat[:, 0])
    ring_ids = np.repeat(np.arange(len(rings)), counts)
    return np.asarray(shapely.polygons(shapely.linearrings(np.column_stack([x_m, y_m]), indices=ring_ids)))


def hexagon_metric(cell: int) -> shapely.Polygon:
    """The outline of one H3 integer cell in the metric CRS of Ordos."""
    return hexagons_metric([cell])[0]


def spread_polygons(
    geoms_wgs84: Sequence[BaseGeometry],
    values: npt.ArrayLike,
    *,
    resolution: int,
    cell_weights: pd.Series | None = None,
) -> PolygonSpread:
    """Spread each polygon's people over the H3 cells it overlaps.

    Parameters
    ----------
    geoms_wgs84
        Valid polygons or multipolygons in WGS84.
    values
        ``(n, 3)`` people per polygon: total, 60+, 0–3 (NaN where unknown).
    resolution
        H3 resolution of the cells.
    cell_weights
        Optional dasymetric weights: a Series indexed by H3 integer cell (people or built-up area per
        cell from a raster or a building layer). A polygon's people then go to its cells in proportion
        to overlap share × weight; a polygon with no weight inside falls back to area (listed in
        ``by_area``).

    Returns
    -------
    PolygonSpread
        Each polygon's shares add up to 1, so the cells hold exactly the polygons' people.
    """
    vals = _values(values, len(geoms_wgs84))
    n = len(geoms_wgs84)
    if n == 0:
        empty = pd.DataFrame(
            {c: pd.Series(dtype=np.int64 if c in ("cell", "source") else float) for c in PIECE_COLUMNS}
        )
        return PolygonSpread(empty, [], np.zeros(0))
    # 1. Cells per polygon: those whose centre it holds (H3's polygon fill) and, near its edge, the
    #    cells of points sampled along the edge and their neighbours (exact shares come in step 2).
    source, cells, edge = _candidate_cells(geoms_wgs84, resolution)
    # 2. The share of each edge cell inside its polygon, all intersections at once in metres.
    fractions = np.ones(cells.size, dtype=np.float64)
    polys_m = np.asarray(_metric_all(geoms_wgs84), dtype=object)
    areas_m2 = shapely.area(polys_m)
    if edge.any():
        unique, inverse = np.unique(cells[edge], return_inverse=True)
        hexes = hexagons_metric(unique)
        inter = shapely.area(shapely.intersection(hexes[inverse], polys_m[source[edge]]))
        fractions[edge] = np.clip(inter / shapely.area(hexes)[inverse], 0.0, 1.0)
    keep = fractions > 0.0
    source, cells, fractions = source[keep], cells[keep], fractions[keep]
    # A polygon too thin to measure: its people go to the cell of a point on it.
    lost = np.setdiff1d(np.arange(n), source)
    if lost.size:
        points = [geoms_wgs84[int(i)].representative_point() for i in lost]
        source = np.concatenate([source, lost.astype(np.int64)])
        cells = np.concatenate(
            [cells, latlng_cells([p.x for p in points], [p.y for p in points], resolution)]
        )
        fractions = np.concatenate([fractions, np.ones(lost.size)])
    # 3. Weights: overlap area (areal weighting) or overlap share × the cell's weight (dasymetric).
    unique_cells, cell_index = np.unique(cells, return_inverse=True)
    cell_area = np.array([h3.api.basic_int.cell_area(int(c), unit="m^2") for c in unique_cells])
    area_w = fractions * cell_area[cell_index]
    weight = area_w
    by_area: list[int] = []
    if cell_weights is not None:
        w = np.clip(cell_weights.reindex(unique_cells).fillna(0.0).to_numpy(dtype=np.float64), 0.0, None)
        dasy = fractions * w[cell_index]
        dasy_sum = np.bincount(source, weights=dasy, minlength=n)
        no_weight = dasy_sum[source] <= 0
        weight = np.where(no_weight, area_w, dasy)
        by_area = sorted(set(source[no_weight].tolist()))
    totals = np.bincount(source, weights=weight, minlength=n)
    counts = np.bincount(source, minlength=n)
    share = np.where(
        totals[source] > 0, weight / np.where(totals[source] > 0, totals[source], 1.0), 1.0 / counts[source]
    )
    covered_area = np.bincount(source, weights=area_w, minlength=n)
    covered = np.where(areas_m2 > 0, covered_area / np.where(areas_m2 > 0, areas_m2, 1.0), 1.0)
    return PolygonSpread(_pieces(cells, source, vals, share), by_area, covered)


def _metric_all(geoms: Sequence[BaseGeometry]) -> list[BaseGeometry]:
    """Geometries projected to the metric CRS of Ordos in one call."""
    return list(gpd.GeoSeries(list(geoms), crs=4326).to_crs(ORDOS_METRIC_CRS))


def _candidate_cells(
    geoms_wgs84: Sequence[BaseGeometry], resolution: int
) -> tuple[IntArray, IntArray, npt.NDArray[np.bool_]]:
    """(polygon, cell) pairs covering every cell each polygon overlaps, and which pairs need a share.

    A cell wholly inside a polygon has its centre inside, so H3's centre-containment fill finds it. A
    cell the polygon's edge crosses either holds one of the points sampled along the edge every half
    cell edge, or neighbours a cell that does; those cells are "edge" pairs whose share step 2 measures
    (cells only touching from outside get 0 and are dropped). A polygon smaller than a cell is all edge.
    """
    spacing_deg = 0.5 * h3.average_hexagon_edge_length(resolution, unit="m") / 111_320.0
    boundaries = shapely.segmentize(shapely.boundary(np.asarray(geoms_wgs84, dtype=object)), spacing_deg)
    coords, owner = shapely.get_coordinates(boundaries, return_index=True)
    sampled = pd.DataFrame({"source": owner, "cell": latlng_cells(coords[:, 0], coords[:, 1], resolution)})
    sampled = sampled.drop_duplicates()
    disk = h3.api.basic_int.grid_disk
    near: dict[int, list[int]] = {}
    edge_source: list[int] = []
    edge_cell: list[int] = []
    for src, cell in zip(sampled["source"].tolist(), sampled["cell"].tolist(), strict=True):
        ring = near.get(cell)
        if ring is None:
            ring = near[cell] = list(disk(cell, 1))
        edge_source.extend([src] * len(ring))
        edge_cell.extend(ring)
    edges = pd.DataFrame({"source": edge_source, "cell": edge_cell}, dtype=np.int64).drop_duplicates()
    inner_source: list[int] = []
    inner_cell: list[int] = []
    fill = h3.api.basic_int.h3shape_to_cells
    for i, geom in enumerate(geoms_wgs84):
        for part in getattr(geom, "geoms", [geom]):
            shape = h3.LatLngPoly(
                [(y, x) for x, y in part.exterior.coords[:-1]],
                *[[(y, x) for x, y in hole.coords[:-1]] for hole in part.interiors],
            )
            found = fill(shape, resolution)
            inner_source.extend([i] * len(found))
            inner_cell.extend(found)
    inner = pd.DataFrame({"source": inner_source, "cell": inner_cell}, dtype=np.int64).drop_duplicates()
    inner = inner.merge(edges, how="left", indicator=True)
    inner = inner.loc[inner["_merge"] == "left_only", ["source", "cell"]]
    source = np.concatenate([inner["source"].to_numpy(np.int64), edges["source"].to_numpy(np.int64)])
    cells = np.concatenate([inner["cell"].to_numpy(np.int64), edges["cell"].to_numpy(np.int64)])
    edge = np.concatenate([np.zeros(len(inner), dtype=bool), np.ones(len(edges), dtype=bool)])
    order = np.lexsort((cells, source))
    return source[order], cells[order], edge[order]
