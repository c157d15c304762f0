"""Compiled nearest-segment search over a uniform grid (private to :mod:`geo.snapping`).

Every segment is registered in each grid cell it passes through (a compressed list of segments per
cell). A query walks square rings of cells outward from its own cell, measuring the exact
point-to-segment distance of every segment registered there, and stops as soon as the best distance
found is smaller than the distance from the point to the edge of the block of cells already walked:
every segment not yet seen lies wholly outside that block, so none of them can be nearer. The answer
is exact; ties go to the lowest segment index. A point far outside the network starts at the first
ring that touches the grid, so it costs the rings between that and the nearest street, not the empty
space before it.

Building the grid is two linear passes over the segments (about a tenth of a second for two million
segments), so it is built when a network is opened rather than kept on disk. Queries run in batches
on a thread pool; the kernels release the GIL (``nogil=True``).
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Final

import numba
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]

CELLS_PER_SEGMENT: Final[float] = 0.25  # about four segments per grid cell on a street grid
MAX_CELLS: Final[int] = 1 << 24  # grid cells at most, whatever the extent
_EPS_CELL: Final[float] = 1e-7  # registration margin, in cells (rounding never drops a cell)
_MIN_BATCH: Final[int] = 4096  # fewest query points per kernel call


@numba.njit(cache=True, nogil=True)
def _register(
    ax: FloatArray,
    ay: FloatArray,
    bx: FloatArray,
    by: FloatArray,
    nx: int,
    ny: int,
    cell_seg: Int32Array,
    counts: IntArray,
    fill: bool,
) -> None:
    """Count (``fill`` false) or write (``fill`` true) the cells each segment passes through.

    Coordinates are in cell units (0 … nx, 0 … ny). When writing, ``counts`` holds each cell's next
    free slot in ``cell_seg``.
    """
    eps = _EPS_CELL
    for s in range(len(ax)):
        x0, y0, x1, y1 = ax[s], ay[s], bx[s], by[s]
        ylo = min(y0, y1)
        yhi = max(y0, y1)
        j0 = max(0, math.floor(ylo - eps))
        j1 = min(ny - 1, math.floor(yhi + eps))
        for j in range(j0, j1 + 1):
            if y1 == y0:
                xa, xb = x0, x1
            else:
                ya = max(ylo, float(j))
                yb = min(yhi, float(j + 1))
                xa = x0 + (x1 - x0) * (ya - y0) / (y1 - y0)
                xb = x0 + (x1 - x0) * (yb - y0) / (y1 - y0)
            i0 = max(0, math.floor(min(xa, xb) - eps))
            i1 = min(nx - 1, math.floor(max(xa, xb) + eps))
            for i in range(i0, i1 + 1):
                c = j * nx + i
                if fill:
                    cell_seg[counts[c]] = s
                    counts[c] += 1
                else:
                    counts[c] += 1


@numba.njit(cache=True, nogil=True, inline="always")
def _seg_distance(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:
    """Distance from a point to a segment, with the same arithmetic as ``SegmentIndex.distance``."""
    abx = bx - ax
    aby = by - ay
    denom = abx * abx + aby * aby
    t = ((px - ax) * abx + (py - ay) * aby) / (denom if denom > 0 else 1.0)
    t = min(max(t, 0.0), 1.0)
    ox = ax + abx * t - px
    oy = ay + aby * t - py
    return math.sqrt(ox * ox + oy * oy)


@numba.njit(cache=True, nogil=True, inline="always")
def _scan_cell(
    c: int,
    px: float,
    py: float,
    pax: FloatArray,
    pay: FloatArray,
    pbx: FloatArray,
    pby: FloatArray,
    cell_ptr: IntArray,
    cell_seg: Int32Array,
    best_d: float,
    best_s: int,
) -> tuple[float, int]:
    for e in range(cell_ptr[c], cell_ptr[c + 1]):
        s = cell_seg[e]
        d = _seg_distance(px, py, pax[s], pay[s], pbx[s], pby[s])
        if d < best_d or (d == best_d and s < best_s):
            best_d = d
            best_s = s
    return best_d, best_s


@numba.njit(cache=True, nogil=True)
def _nearest_batch(
    qx: FloatArray,
    qy: FloatArray,
    first: int,
    last: int,
    pax: FloatArray,
    pay: FloatArray,
    pbx: FloatArray,
    pby: FloatArray,
    cell_ptr: IntArray,
    cell_seg: Int32Array,
    x0: float,
    y0: float,
    cell_m: float,
    nx: int,
    ny: int,
    out_seg: IntArray,
) -> None:
    """Nearest segment (lowest index among equals) of query points ``first … last - 1``."""
    slack = 1e-6 + 2.0 * _EPS_CELL * cell_m  # segments may be registered this far outside a cell
    for q in range(first, last):
        px = qx[q]
        py = qy[q]
        gx = (px - x0) / cell_m
        gy = (py - y0) / cell_m
        cx = math.floor(gx)
        cy = math.floor(gy)
        best_d = np.inf
        best_s = -1
        # The first ring that touches the grid: the rings inside it hold no cell.
        r = max(0, -cx, cx - (nx - 1), -cy, cy - (ny - 1))
        if r > 0:
            # Outside the grid: a first answer from the grid cells nearest to the point, so that the
            # rings below skip every cell farther than it.
            kx = min(max(cx, 0), nx - 1)
            ky = min(max(cy, 0), ny - 1)
            for j in range(max(0, ky - 1), min(ny - 1, ky + 1) + 1):
                for i in range(max(0, kx - 1), min(nx - 1, kx + 1) + 1):
                    best_d, best_s = _scan_cell(
                        j * nx + i, px, py, pax, pay, pbx, pby, cell_ptr, cell_seg, best_d, best_s
                    )
        while True:
            xlo = max(0, cx - r)
            xhi = min(nx - 1, cx + r)
            ylo = max(0, cy - r)
            yhi = min(ny - 1, cy + r)
            for j in range(ylo, yhi + 1):
                edge_row = j == cy - r or j == cy + r
                dy = max(y0 + j * cell_m - py, py - (y0 + (j + 1) * cell_m), 0.0)
                i = xlo
                while i <= xhi:
                    if edge_row or i == cx - r or i == cx + r:
                        dx = max(x0 + i * cell_m - px, px - (x0 + (i + 1) * cell_m), 0.0)
                        if math.sqrt(dx * dx + dy * dy) <= best_d + slack:
                            best_d, best_s = _scan_cell(
                                j * nx + i, px, py, pax, pay, pbx, pby, cell_ptr, cell_seg, best_d, best_s
                            )
                        i += 1
                    elif i < cx + r:
                        i = cx + r  # inside the ring: jump to its right side
                    else:
                        i += 1
            # Every segment not yet seen lies outside the block of rings 0 … r.
            if cx - r <= 0 and cx + r >= nx - 1 and cy - r <= 0 and cy + r >= ny - 1:
                break
            bound = cell_m * min(gx - (cx - r), (cx + r + 1) - gx, gy - (cy - r), (cy + r + 1) - gy)
            if best_s >= 0 and best_d < bound - slack:
                break
            r += 1
        out_seg[q] = best_s


def worker_count() -> int:
    """Threads for the queries: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


class SegmentGrid:
    """A uniform grid over segments for exact nearest-segment queries.

    Parameters
    ----------
    pa, pb : numpy.ndarray
        ``(n_segments, 2)`` metric coordinates (metres) of each segment's two ends.
    """

    def __init__(self, pa: FloatArray, pb: FloatArray) -> None:
        n_seg = len(pa)
        self._pax = np.ascontiguousarray(pa[:, 0], dtype=np.float64)
        self._pay = np.ascontiguousarray(pa[:, 1], dtype=np.float64)
        self._pbx = np.ascontiguousarray(pb[:, 0], dtype=np.float64)
        self._pby = np.ascontiguousarray(pb[:, 1], dtype=np.float64)
        if n_seg == 0:
            self.x0 = self.y0 = 0.0
            self.cell_m, self.nx, self.ny = 1.0, 1, 1
            self.cell_ptr = np.zeros(2, dtype=np.int64)
            self.cell_seg = np.empty(0, dtype=np.int32)
            return
        xmin = float(min(self._pax.min(), self._pbx.min()))
        xmax = float(max(self._pax.max(), self._pbx.max()))
        ymin = float(min(self._pay.min(), self._pby.min()))
        ymax = float(max(self._pay.max(), self._pby.max()))
        width, height = max(xmax - xmin, 1.0), max(ymax - ymin, 1.0)
        cells = min(float(MAX_CELLS), max(1.0, CELLS_PER_SEGMENT * n_seg))
        cell_m = max(math.sqrt(width * height / cells), 1.0)
        while (math.floor(width / cell_m) + 1) * (math.floor(height / cell_m) + 1) > MAX_CELLS:
            cell_m *= 1.25
        self.x0, self.y0, self.cell_m = xmin, ymin, cell_m
        self.nx = math.floor(width / cell_m) + 1
        self.ny = math.floor(height / cell_m) + 1
        gax, gay = (self._pax - xmin) / cell_m, (self._pay - ymin) / cell_m
        gbx, gby = (self._pbx - xmin) / cell_m, (self._pby - ymin) / cell_m
        counts = np.zeros(self.nx * self.ny, dtype=np.int64)
        dummy = np.empty(0, dtype=np.int32)
        _register(gax, gay, gbx, gby, self.nx, self.ny, dummy, counts, False)
        self.cell_ptr = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=self.cell_ptr[1:])
        self.cell_seg = np.empty(int(self.cell_ptr[-1]), dtype=np.int32)
        slot = self.cell_ptr[:-1].copy()
        _register(gax, gay, gbx, gby, self.nx, self.ny, self.cell_seg, slot, True)

    def nearest(self, xy: FloatArray, *, workers: int | None = None) -> IntArray:
        """Index of the nearest segment (lowest among equals) of ``(m, 2)`` metric points; -1 if none.

        ``workers`` threads (default: the cores this process may run on) share the points.
        """
        if workers is None:
            workers = worker_count()
        m = len(xy)
        out = np.full(m, -1, dtype=np.int64)
        if m == 0 or len(self.cell_seg) == 0:
            return out
        qx = np.ascontiguousarray(xy[:, 0], dtype=np.float64)
        qy = np.ascontiguousarray(xy[:, 1], dtype=np.float64)
        args = (
            self._pax, self._pay, self._pbx, self._pby, self.cell_ptr, self.cell_seg,
            float(self.x0), float(self.y0), float(self.cell_m), int(self.nx), int(self.ny), out,
        )  # fmt: skip
        size = max(_MIN_BATCH, -(-m // (4 * max(1, workers))))
        bounds = [(s, min(s + size, m)) for s in range(0, m, size)]
        if workers <= 1 or len(bounds) == 1:
            for a, b in bounds:
                _nearest_batch(qx, qy, a, b, *args)
        else:
            with ThreadPoolExecutor(max_workers=min(workers, len(bounds))) as pool:
                list(pool.map(lambda ab: _nearest_batch(qx, qy, ab[0], ab[1], *args), bounds))
        return out


def warm() -> None:
    """Compile the grid kernels now (or load them from numba's cache)."""
    pa = np.array([[0.0, 0.0], [0.0, 10.0]])
    pb = np.array([[10.0, 0.0], [10.0, 10.0]])
    SegmentGrid(pa, pb).nearest(np.array([[5.0, 3.0], [50.0, 50.0]]))
