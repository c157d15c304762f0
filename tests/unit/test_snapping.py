"""The grid snapping index against the previous KD-tree index and against brute force.

``ReferenceIndex`` is the previous ``geo.snapping.SegmentIndex`` (a KD-tree over sample points every
40 m, exact distances to the segments of the nearest samples, then a ball query), kept here as the
reference. Where two segments are equally near (a point nearest to a junction) the two indexes may
name different segments; the distance and the snapped point are then the same.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from scipy.spatial import cKDTree

from geo import network as gn
from geo._snapgrid import SegmentGrid
from geo.snapping import SegmentIndex
from geo.travel import MODES
from tests.unit.test_network_model import points_in, synthetic_city

SPACING_M = 40.0


class ReferenceIndex:
    """The previous snapping index (KD-tree over segment samples), for comparison only."""

    def __init__(self, pa: np.ndarray, pb: np.ndarray) -> None:
        self._pa, self._pb = pa, pb
        seg_len_m = np.hypot(*(pb - pa).T)
        n_int = np.maximum(1, np.ceil(seg_len_m / SPACING_M)).astype(np.int64)
        self._sample_seg = np.repeat(np.arange(len(n_int)), n_int)
        start = np.cumsum(n_int) - n_int
        step = (np.arange(len(self._sample_seg)) - start[self._sample_seg] + 0.5) / n_int[self._sample_seg]
        samples = pa[self._sample_seg] + (pb - pa)[self._sample_seg] * step[:, None]
        self._tree = cKDTree(samples)

    def _distance(self, xy: np.ndarray, seg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pa, pb = self._pa[seg], self._pb[seg]
        ab = pb - pa
        denom = np.einsum("...k,...k->...", ab, ab)
        t = np.clip(np.einsum("...k,...k->...", xy - pa, ab) / np.where(denom > 0, denom, 1.0), 0.0, 1.0)
        off = pa + ab * t[..., None] - xy
        return np.sqrt(np.einsum("...k,...k->...", off, off)), t

    def _candidates(self, xy: np.ndarray, k: int) -> tuple[np.ndarray, ...]:
        k = min(k, self._tree.n)
        d_s, i_s = self._tree.query(xy, k=k)
        d_s, i_s = d_s.reshape(len(xy), k), i_s.reshape(len(xy), k)
        cand = self._sample_seg[i_s]
        d_c, _ = self._distance(xy[:, None, :], cand)
        best = np.argmin(d_c, axis=1)
        rows = np.arange(len(xy))
        exact = (k == self._tree.n) | (d_s[:, -1] > d_s[:, 0] + 0.5 * SPACING_M)
        return cand[rows, best], d_c[rows, best], d_s[:, 0], exact

    def nearest(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        seg, dist, d0, exact = self._candidates(xy, 8)
        todo = np.flatnonzero(~exact)
        if len(todo):
            s2, d2, _, e2 = self._candidates(xy[todo], 32)
            seg[todo], dist[todo] = s2, d2
            todo = todo[~e2]
        for i in todo:  # the ball of the nearest sample's distance
            found = np.array(self._tree.query_ball_point(xy[i], d0[i] + 0.5 * SPACING_M + 1e-6))
            cand = self._sample_seg[found]
            d_c, _ = self._distance(np.broadcast_to(xy[i], (len(cand), 2)), cand)
            pick = np.lexsort((cand, d_c))[0]
            seg[i], dist[i] = cand[pick], d_c[pick]
        _, frac = self._distance(xy, seg)
        return seg, dist, frac


def assert_same_snap(
    new: tuple[np.ndarray, ...], old: tuple[np.ndarray, ...], pa: np.ndarray, pb: np.ndarray
) -> None:
    """Same distances; where the segments differ, equally near and the same snapped point."""
    np.testing.assert_array_equal(new[1], old[1])
    differ = new[0] != old[0]
    p_new = pa[new[0]] + (pb - pa)[new[0]] * new[2][:, None]
    p_old = pa[old[0]] + (pb - pa)[old[0]] * old[2][:, None]
    np.testing.assert_allclose(p_new, p_old, rtol=0, atol=1e-6)
    assert differ.mean() < 0.5  # only junction ties may differ
    np.testing.assert_array_equal(new[2][~differ], old[2][~differ])


@pytest.fixture(scope="module")
def city_segments() -> tuple[np.ndarray, np.ndarray, gn.NetworkTravelModel]:
    model = gn.NetworkTravelModel(synthetic_city(45), MODES["walk"])
    return model._xy[model._seg_a], model._xy[model._seg_b], model


@pytest.mark.parametrize("margin_deg", [0.0, 0.005, 0.3])
def test_grid_equals_the_previous_index_on_the_city(
    city_segments: tuple[np.ndarray, np.ndarray, gn.NetworkTravelModel], margin_deg: float
) -> None:
    pa, pb, model = city_segments
    rng = np.random.default_rng(21)
    xy = model._metric(points_in(model.network, 3000, rng, margin_deg=margin_deg))
    assert_same_snap(SegmentIndex(pa, pb).nearest(xy), ReferenceIndex(pa, pb).nearest(xy), pa, pb)


def test_grid_equals_the_previous_index_on_nodes_and_segment_points(
    city_segments: tuple[np.ndarray, np.ndarray, gn.NetworkTravelModel],
) -> None:
    """Points exactly on nodes, on segments and at their midpoints: the worst cases for ties."""
    pa, pb, _ = city_segments
    rng = np.random.default_rng(22)
    pick = rng.integers(0, len(pa), 1000)
    on_seg = pa[pick] + (pb - pa)[pick] * rng.uniform(0, 1, (1000, 1))
    xy = np.vstack([pa[pick], pb[pick], on_seg, 0.5 * (pa[pick] + pb[pick])])
    new = SegmentIndex(pa, pb).nearest(xy)
    assert_same_snap(new, ReferenceIndex(pa, pb).nearest(xy), pa, pb)
    assert new[1].max() < 1e-6


def test_random_segments_against_brute_force() -> None:
    """Random segments of every length and direction (long rural roads, clusters, points far out)."""
    rng = np.random.default_rng(23)
    for n_seg, extent_m in [(1, 100.0), (2, 10.0), (50, 20_000.0), (1200, 5000.0)]:
        pa = rng.uniform(0, extent_m, (n_seg, 2))
        pb = pa + rng.normal(0, extent_m / 10, (n_seg, 2)) * rng.choice([0.01, 1.0, 5.0], (n_seg, 1))
        pb[: n_seg // 10] = pa[: n_seg // 10]  # degenerate segments (a point)
        xy = rng.uniform(-extent_m, 2 * extent_m, (800, 2))
        index = SegmentIndex(pa, pb)
        seg, dist, frac = index.nearest(xy)
        lines = shapely.linestrings(np.stack([pa, pb], axis=1))
        brute = shapely.distance(shapely.points(xy)[:, None], lines[None, :])
        np.testing.assert_allclose(dist, brute.min(axis=1), rtol=0, atol=1e-6)
        # The smallest distance in the index's own arithmetic; ties go to the lowest segment index.
        every, _ = index.distance(xy[:, None, :], np.arange(n_seg)[None, :])
        np.testing.assert_array_equal(seg, np.argmin(every, axis=1))
        ref = ReferenceIndex(pa, pb).nearest(xy)
        assert_same_snap((seg, dist, frac), ref, pa, pb)


def test_grid_parallel_equals_one_thread(
    city_segments: tuple[np.ndarray, np.ndarray, gn.NetworkTravelModel],
) -> None:
    pa, pb, model = city_segments
    xy = model._metric(points_in(model.network, 20_000, np.random.default_rng(24), margin_deg=0.02))
    grid = SegmentGrid(pa, pb)
    np.testing.assert_array_equal(grid.nearest(xy, workers=1), grid.nearest(xy, workers=2))


def test_empty_index() -> None:
    empty = np.empty((0, 2))
    seg, dist, frac = SegmentIndex(empty, empty).nearest(np.array([[1.0, 2.0]]))
    assert seg.tolist() == [-1] and np.isinf(dist).all() and frac.tolist() == [0.0]
