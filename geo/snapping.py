"""Snapping points to the nearest street segment: an exact nearest-segment index over metric arrays.

:class:`SegmentIndex` registers every segment in the cells of a uniform grid it passes through and
answers each point with a compiled ring search around the point's cell (:mod:`geo._snapgrid`): the
rings grow until the best distance found is smaller than the distance to the edge of the searched
block, so the answer is exact, also for a village far from every imported street. The distance and
the position along the chosen segment are then computed here with numpy, the same way for every
point. Equally near segments (a point nearest to a junction) go to the lowest segment index.

Building the grid is two linear passes over the segments, so it is built when a network is opened
and nothing of it is kept on disk. The previous index (a KD-tree over sample points every 40 m, then
exact distances to the candidates in numpy) is kept in ``tests/unit/test_snapping.py`` as the
reference the grid is checked against.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class SegmentIndex:
    """Exact nearest segment for metric points.

    Parameters
    ----------
    pa, pb : numpy.ndarray
        ``(n_segments, 2)`` metric coordinates (metres) of each segment's two ends.
    """

    def __init__(self, pa: FloatArray, pb: FloatArray) -> None:
        from geo._snapgrid import SegmentGrid  # numba: loaded only when a network is opened

        self._pa = np.ascontiguousarray(pa, dtype=np.float64)
        self._pb = np.ascontiguousarray(pb, dtype=np.float64)
        self._grid = SegmentGrid(self._pa, self._pb)

    @property
    def n_segments(self) -> int:
        """Number of segments indexed."""
        return len(self._pa)

    @property
    def cell_m(self) -> float:
        """Side of the grid's cells in metres."""
        return float(self._grid.cell_m)

    def distance(self, xy: FloatArray, seg: IntArray) -> tuple[FloatArray, FloatArray]:
        """Distance (metres) from points to segments (broadcast) and the position along each (0–1)."""
        pa, pb = self._pa[seg], self._pb[seg]
        ab = pb - pa
        denom = np.einsum("...k,...k->...", ab, ab)
        t = np.clip(np.einsum("...k,...k->...", xy - pa, ab) / np.where(denom > 0, denom, 1.0), 0.0, 1.0)
        off = pa + ab * t[..., None] - xy
        return np.sqrt(np.einsum("...k,...k->...", off, off)), t

    def nearest(self, xy: FloatArray) -> tuple[IntArray, FloatArray, FloatArray]:
        """Nearest segment, distance (metres) and position along it (0–1) for ``(m, 2)`` metric points.

        With no segment at all, the segment is -1 and the distance infinite.
        """
        xy = np.ascontiguousarray(xy, dtype=np.float64).reshape(-1, 2)
        m = len(xy)
        if m == 0 or self.n_segments == 0:
            return np.full(m, -1, dtype=np.int64), np.full(m, np.inf), np.zeros(m)
        seg = self._grid.nearest(xy)
        dist, frac = self.distance(xy, seg)
        return seg, dist, frac
