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

import h3
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.crs import to_metric
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


def hexagon_metric(cell: int) -> shapely.Polygon:
    """The outline of an H3 integer cell in the metric CRS of Ordos."""
    ring = h3.api.basic_int.cell_to_boundary(cell)  # (lat, lng) pairs
    lon = np.array([p[1] for p in ring])
    lat = np.array([p[0] for p in ring])
    x_m, y_m = to_metric(lon, lat)
    return shapely.Polygon(np.column_stack([x_m, y_m]))


def _metric(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda xy: np.column_stack(to_metric(xy[:, 0], xy[:, 1])))


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
    out_cells: list[IntArray] = []
    out_source: list[IntArray] = []
    out_share: list[FloatArray] = []
    by_area: list[int] = []
    covered = np.zeros(len(geoms_wgs84), dtype=np.float64)
    for i, geom in enumerate(geoms_wgs84):
        cells, fractions, area_m2 = _overlaps(geom, resolution)
        if cells.size == 0 or area_m2 <= 0.0:
            # A sliver smaller than anything measurable: its people go to the cell of a point on it.
            point = geom.representative_point()
            cells = latlng_cells([point.x], [point.y], resolution)
            fractions = np.ones(1)
            area_m2 = 0.0
        areas = fractions * np.array([h3.api.basic_int.cell_area(int(c), unit="m^2") for c in cells])
        covered[i] = float(areas.sum() / area_m2) if area_m2 > 0 else 1.0
        weight = areas
        if cell_weights is not None:
            w = cell_weights.reindex(cells).fillna(0.0).to_numpy(dtype=np.float64)
            dasy = fractions * np.clip(w, 0.0, None)
            if dasy.sum() > 0:
                weight = dasy
            else:
                by_area.append(i)
        share = weight / weight.sum() if weight.sum() > 0 else np.full(cells.size, 1.0 / cells.size)
        out_cells.append(cells)
        out_source.append(np.full(cells.size, i, dtype=np.int64))
        out_share.append(share)
    if not out_cells:
        empty = pd.DataFrame(
            {c: pd.Series(dtype=np.int64 if c in ("cell", "source") else float) for c in PIECE_COLUMNS}
        )
        return PolygonSpread(empty, by_area, covered)
    pieces = _pieces(np.concatenate(out_cells), np.concatenate(out_source), vals, np.concatenate(out_share))
    return PolygonSpread(pieces, by_area, covered)


def _overlaps(geom: BaseGeometry, resolution: int) -> tuple[IntArray, FloatArray, float]:
    """The cells a polygon overlaps, the share of each cell's area inside it, and its metric area."""
    shape = h3.geo_to_h3shape(geom)
    overlap = h3.h3shape_to_cells_experimental(shape, resolution, contain="overlap")
    full = set(h3.h3shape_to_cells_experimental(shape, resolution, contain="full"))
    cells = np.array([h3.str_to_int(c) for c in overlap], dtype=np.int64)
    fractions = np.ones(cells.size, dtype=np.float64)
    edge = np.array([c not in full for c in overlap], dtype=bool)
    geom_m = _metric(geom)
    if edge.any():
        hexes = [hexagon_metric(int(c)) for c in cells[edge]]
        hex_areas = shapely.area(hexes)
        inter = shapely.area(shapely.intersection(hexes, geom_m))
        fractions[edge] = np.clip(inter / hex_areas, 0.0, 1.0)
    keep = fractions > 0.0
    return cells[keep], fractions[keep], float(geom_m.area)
