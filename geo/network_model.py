"""The road-network travel model: snapping, bounded searches and isochrones on a :class:`RoadNetwork`.

:class:`NetworkTravelModel` answers the :class:`geo.travel.TravelModel` questions:

* ``nearest`` / ``node_minutes`` — one multi-source pass of ``scipy.sparse.csgraph.dijkstra
  (min_only=True, limit=budget)`` over the profile's graph plus one virtual node per origin;
* ``od_matrix`` — one bounded search per origin in the compiled kernel of :mod:`geo._kernel`
  (sparse results, parallel over batches of origins);
* ``od_matrix_and_nearest`` — both answers at one budget from the kernel's searches alone (what
  coverage with 2SFCA asks for);
* ``isochrones`` — the reached streets buffered and unioned, nested across budgets.

Points are snapped by :class:`geo.snapping.SegmentIndex`.
"""

from __future__ import annotations

import hashlib
import math
import threading
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra

from geo._links import Links
from geo.errors import CareCircleWarning, DataError
from geo.network_index import ProfileIndex, build_profile_index, projection
from geo.roads import PROFILE_BITS, RoadNetwork, edge_minutes
from geo.travel import OD_ZERO_MIN, Mode, NearestResult, as_lonlat, check_budget

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

__all__ = ["ISOCHRONE_BUFFER_M", "NetworkTravelModel"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

ISOCHRONE_BUFFER_M: Final[dict[str, float]] = {"walk": 50.0, "bike": 75.0, "drive": 100.0}
"""Half-width in metres of the band drawn around reached streets in isochrones, per profile: about a
city block's frontage on foot (buildings along a street are reached from it) and the wider setbacks
along arterial and rural roads by car."""

NESTING_EPS_DEG: Final[float] = 1e-8  # ~1 mm: how far an isochrone may be grown to contain the smaller ones
_SNAP_CACHE_ENTRIES: Final[int] = 4  # snapped point sets kept per model


def _partial(frac: FloatArray, minutes: FloatArray) -> FloatArray:
    """``frac × minutes`` where the direction is open; 0 at ``frac == 0`` even when it is not."""
    with np.errstate(invalid="ignore"):
        out = frac * minutes
    return np.where(np.isfinite(minutes), out, np.where(frac == 0, 0.0, np.inf))


class NetworkTravelModel:
    """Travel times on a road network: the :class:`geo.travel.TravelModel` of ``name == "network"``.

    Origins and targets are snapped to the nearest point of the nearest usable street segment
    (Euclidean in a metric CRS); the time along that segment to its ends is counted, the
    off-street snap distance is not. A point farther than ``max_snap_m`` from every street is
    unreachable, with the reason. Times from many origins come from one multi-source Dijkstra pass
    (``scipy.sparse.csgraph.dijkstra(min_only=True, limit=budget)``) over the edge graph plus one
    virtual node per origin joined to its segment's ends by the partial edge costs.

    Parameters
    ----------
    network : RoadNetwork
    mode : geo.travel.Mode
        Speeds and ``network_profile`` (``walk``, ``bike`` or ``drive``).
    max_snap_m : float
        Largest distance in metres from a point to a street for it to be snapped.
    rural : bool
        Drive only: use the mode's rural speed table instead of the urban one.

    index : geo.network_index.ProfileIndex, optional
        The profile's index of this network (from :func:`geo.network_files.load_profile_index`); built
        here when not given (the costly part at a million nodes).

    Notes
    -----
    The metric CRS is :data:`geo.crs.ORDOS_METRIC_CRS` for networks centred in Ordos; elsewhere (the
    test extracts) a transverse Mercator centred on the network, so snap distances stay true.
    """

    name: str = "network"

    def __init__(
        self,
        network: RoadNetwork,
        mode: Mode,
        *,
        max_snap_m: float = 500.0,
        rural: bool = False,
        index: ProfileIndex | None = None,
    ) -> None:
        if not (math.isfinite(max_snap_m) and max_snap_m > 0):
            msg = f"max_snap_m must be a positive number of metres, got {max_snap_m!r}"
            raise DataError(msg)
        if mode.network_profile not in PROFILE_BITS:
            msg = f"mode {mode.name!r} has unknown network_profile {mode.network_profile!r}"
            raise DataError(msg)
        if index is not None and (
            index.network_sha256 != network.info.sha256 or index.profile != mode.network_profile
        ):
            msg = (
                f"index: built for network {index.network_sha256[:10]}… profile {index.profile!r}; "
                f"expected {network.info.sha256[:10]}… profile {mode.network_profile!r}"
            )
            raise DataError(msg)
        self.network = network
        self.mode = mode
        self.max_snap_m = float(max_snap_m)
        self.rural = rural
        self.buffer_m = ISOCHRONE_BUFFER_M[mode.network_profile]
        self.profile_index = (
            index if index is not None else build_profile_index(network, mode.network_profile)
        )
        idx = self.profile_index
        n = network.n_nodes
        self._n = n
        self.n_component_nodes = idx.n_component_nodes

        u = network.tails()[idx.edge]
        v = network.indices[idx.edge].astype(np.int64)
        w = edge_minutes(network, mode, rural=rural)[idx.edge]
        # Undirected segments with the minutes in each direction (inf where closed).
        self._seg_a, self._seg_b = idx.seg_a, idx.seg_b
        self._w_fwd = np.full(len(idx.seg_a), np.inf)
        self._w_back = np.full(len(idx.seg_a), np.inf)
        is_fwd = u < v
        np.minimum.at(self._w_fwd, idx.seg_of_edge[is_fwd], w[is_fwd])
        np.minimum.at(self._w_back, idx.seg_of_edge[~is_fwd], w[~is_fwd])
        # Keep the fastest of parallel edges. The index keeps edges sorted by (tail, head).
        key = u * n + v
        if len(key) > 1 and np.any(key[1:] < key[:-1]):
            sort = np.argsort(key, kind="stable")
            u, v, w, key = u[sort], v[sort], w[sort], key[sort]
        starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]])) if len(key) else key
        if len(starts) < len(key):
            w = np.minimum.reduceat(w, starts)
            u, v = u[starts], v[starts]
        self._indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(u, minlength=n), out=self._indptr[1:])
        self._indices = v.astype(np.int32)
        self._weights = w

        self._fwd, self._inv = projection(network)
        self._xy = idx.xy
        self._index = idx.snap
        self._snap_cache: OrderedDict[bytes, tuple[IntArray, FloatArray, FloatArray]] = OrderedDict()
        self._snap_lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"NetworkTravelModel({self.network!r}, mode={self.mode.name!r}, max_snap_m={self.max_snap_m:g})"
        )

    def describe(self) -> dict[str, object]:
        """The ``"model"`` block of DESIGN.md's JSON outputs."""
        out: dict[str, object] = {
            "name": self.name,
            "mode": self.mode.name,
            "network_profile": self.mode.network_profile,
            "speed_m_per_min": round(self.mode.speed_m_per_min, 6),
            "network_sha256": self.network.info.sha256,
            "network_name": self.network.info.name,
            "max_snap_m": self.max_snap_m,
        }
        if self.mode.network_profile == "drive":
            out["speed_kmh_by_highway"] = dict(
                self.mode.rural_speed_kmh_by_highway if self.rural else self.mode.speed_kmh_by_highway
            )
            out["rural"] = self.rural
        return out

    # ---- snapping ---------------------------------------------------------------------------

    def _metric(self, lonlat: FloatArray) -> FloatArray:
        if len(lonlat) == 0:
            return np.empty((0, 2))
        x, y = self._fwd(lonlat[:, 0], lonlat[:, 1])
        return np.column_stack([np.atleast_1d(np.asarray(x, dtype=np.float64)), np.atleast_1d(np.asarray(y))])

    def snap(self, points_lonlat: np.ndarray) -> tuple[IntArray, FloatArray, FloatArray]:
        """Snap points to the nearest street segment of the model's profile.

        The last few answers are kept (keyed by the points' bytes), so asking twice for the same
        demand cells, as coverage does for the nearest facility and for 2SFCA, snaps them once.

        Parameters
        ----------
        points_lonlat : numpy.ndarray
            ``(n, 2)`` WGS84 lon, lat in degrees.

        Returns
        -------
        segment : numpy.ndarray of int64
            Segment index, -1 where the nearest street is farther than ``max_snap_m``.
        fraction : numpy.ndarray of float64
            Position along the segment from its first to its second node (0–1).
        distance_m : numpy.ndarray of float64
            Distance to the nearest street in metres (also where it exceeds ``max_snap_m``).
        """
        pts = np.ascontiguousarray(as_lonlat(points_lonlat, what="points"))
        key = hashlib.sha256(pts.tobytes()).digest() + len(pts).to_bytes(8, "little")
        with self._snap_lock:
            hit = self._snap_cache.get(key)
            if hit is not None:
                self._snap_cache.move_to_end(key)
                return hit[0].copy(), hit[1].copy(), hit[2].copy()
        seg, frac, dist = self._snap_metric(self._metric(pts))
        with self._snap_lock:
            self._snap_cache[key] = (seg, frac, dist)
            while len(self._snap_cache) > _SNAP_CACHE_ENTRIES:
                self._snap_cache.popitem(last=False)
        return seg.copy(), frac.copy(), dist.copy()

    def _snap_metric(self, xy: FloatArray) -> tuple[IntArray, FloatArray, FloatArray]:
        m = len(xy)
        if m == 0:
            return np.full(0, -1, dtype=np.int64), np.zeros(0), np.full(0, np.inf)
        seg, dist, frac = self._index.nearest(xy)
        # A point on a node must sit exactly at the segment's end, or a one-way segment would make it
        # leave through the far end only.
        frac = np.where(frac < 1e-9, 0.0, np.where(frac > 1.0 - 1e-9, 1.0, frac))
        seg = np.where(dist <= self.max_snap_m, seg, -1)
        return seg, frac, dist

    def _snap_reasons(self, dist: FloatArray, seg: IntArray) -> npt.NDArray[np.object_]:
        reason = np.full(len(seg), "", dtype=object)
        far = np.flatnonzero(seg < 0)
        if len(far):
            # One text per distinct whole number of metres (thousands of cells share a few hundred).
            metres, which = np.unique(np.round(dist[far]), return_inverse=True)
            texts = np.array(
                [f"snap distance {m:.0f} m > {self.max_snap_m:g} m" for m in metres], dtype=object
            )
            reason[far] = texts[which]
        return reason

    def _snap_origins(self, origins_lonlat: np.ndarray) -> tuple[IntArray, FloatArray, IntArray]:
        seg, frac, dist = self.snap(origins_lonlat)
        bad = np.flatnonzero(seg < 0)
        if len(bad):
            listed = ", ".join(f"#{i} ({dist[i]:.0f} m)" for i in bad[:5])
            more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
            warnings.warn(
                f"{len(bad)} origin(s) farther than {self.max_snap_m:g} m from any {self.mode.network_profile} "
                f"road are left out: {listed}{more}",
                CareCircleWarning,
                stacklevel=3,
            )
        ok = np.flatnonzero(seg >= 0)
        return seg[ok], frac[ok], ok

    # ---- Dijkstra ---------------------------------------------------------------------------

    def _graph_with_sources(self, seg: IntArray, frac: FloatArray) -> tuple[sp.csr_matrix, IntArray]:
        """The edge graph plus one virtual node per origin (rows n…n+k-1) joined to its segment ends."""
        n, k = self._n, len(seg)
        heads = np.column_stack([self._seg_b[seg], self._seg_a[seg]])
        costs = np.column_stack([_partial(1.0 - frac, self._w_fwd[seg]), _partial(frac, self._w_back[seg])])
        open_ = np.isfinite(costs)
        extra_ptr = self._indptr[-1] + np.cumsum(open_.sum(axis=1))
        indptr = np.concatenate([self._indptr, extra_ptr])
        indices = np.concatenate([self._indices, heads[open_].astype(np.int32)])
        data = np.concatenate([self._weights, costs[open_]])
        graph = sp.csr_matrix((data, indices, indptr), shape=(n + k, n + k))
        return graph, np.arange(n, n + k)

    def _target_minutes(
        self, dist: FloatArray, seg: IntArray, frac: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Minutes to points on segments via the segments' first and second node."""
        via_a = dist[..., self._seg_a[seg]] + _partial(frac, self._w_fwd[seg])
        via_b = dist[..., self._seg_b[seg]] + _partial(1.0 - frac, self._w_back[seg])
        return via_a, via_b

    def _direct(self, o_frac: FloatArray, o_seg: IntArray, t_frac: FloatArray) -> FloatArray:
        """Minutes from origins to targets on the same segment, without leaving it."""
        ahead = t_frac >= o_frac
        return np.where(
            ahead,
            _partial(t_frac - o_frac, self._w_fwd[o_seg]),
            _partial(o_frac - t_frac, self._w_back[o_seg]),
        )

    def node_minutes(self, origins_lonlat: np.ndarray, *, budget_min: float) -> tuple[FloatArray, IntArray]:
        """Minutes from the nearest origin to every network node, in one bounded multi-source pass.

        Parameters
        ----------
        origins_lonlat : numpy.ndarray
            ``(n, 2)`` WGS84 lon, lat in degrees.
        budget_min : float
            Largest travel time in minutes.

        Returns
        -------
        minutes : numpy.ndarray of float64
            Per node of :attr:`network`, ``inf`` beyond the budget (and off the profile's component).
        origin : numpy.ndarray of int64
            Index of the nearest origin per node, -1 where none is within the budget.
        """
        budget = check_budget(budget_min)
        origins = as_lonlat(origins_lonlat, what="origins")
        minutes = np.full(self._n, np.inf)
        origin = np.full(self._n, -1, dtype=np.int64)
        if len(origins) == 0:
            return minutes, origin
        o_seg, o_frac, o_index = self._snap_origins(origins)
        if len(o_seg) == 0:
            return minutes, origin
        graph, sources = self._graph_with_sources(o_seg, o_frac)
        dist, _, src = dijkstra(graph, indices=sources, min_only=True, limit=budget, return_predecessors=True)
        minutes = dist[: self._n]
        reached = np.isfinite(minutes)
        origin[reached] = o_index[src[: self._n][reached] - self._n]
        return minutes, origin

    def nearest(
        self, origins_lonlat: np.ndarray, targets_lonlat: np.ndarray, *, budget_min: float
    ) -> NearestResult:
        """Minutes from the nearest origin to each target along the network, within ``budget_min``.

        One multi-source Dijkstra pass bounded by the budget gives every node its nearest origin.

        Parameters
        ----------
        origins_lonlat, targets_lonlat : numpy.ndarray
            ``(n, 2)`` and ``(m, 2)`` WGS84 lon, lat in degrees.
        budget_min : float
            Largest travel time in minutes (inclusive).

        Returns
        -------
        geo.travel.NearestResult
            ``minutes`` (inf when unreachable), ``origin`` (-1) and ``reason`` per target: empty when
            reached, ``"snap distance 812 m > 500 m"`` or ``"no origin within 15 min"`` otherwise.
        """
        budget = check_budget(budget_min)
        origins = as_lonlat(origins_lonlat, what="origins")
        t_seg, t_frac, t_dist = self.snap(as_lonlat(targets_lonlat, what="targets"))
        m = len(t_seg)
        minutes = np.full(m, np.inf)
        origin = np.full(m, -1, dtype=np.int64)
        reason = self._snap_reasons(t_dist, t_seg)
        o_seg, o_frac, o_index = self._snap_origins(origins)
        snapped = np.flatnonzero(t_seg >= 0)
        if len(o_seg) and len(snapped):
            graph, sources = self._graph_with_sources(o_seg, o_frac.astype(np.float64))
            dist, _, src = dijkstra(
                graph, indices=sources, min_only=True, limit=budget, return_predecessors=True
            )
            seg, frac = t_seg[snapped], t_frac[snapped]
            via_a, via_b = self._target_minutes(dist, seg, frac)
            best = np.minimum(via_a, via_b)
            best_src = np.where(via_a <= via_b, src[self._seg_a[seg]], src[self._seg_b[seg]])
            # Origins on the target's own segment may reach it without passing a node.
            order = np.argsort(o_seg, kind="stable")
            sorted_seg = o_seg[order]
            lo = np.searchsorted(sorted_seg, seg, side="left")
            hi = np.searchsorted(sorted_seg, seg, side="right")
            for j in np.flatnonzero(hi > lo):
                cand = order[lo[j] : hi[j]]
                direct = self._direct(o_frac[cand], o_seg[cand], np.full(len(cand), frac[j]))
                c = int(np.argmin(direct))
                if direct[c] < best[j]:
                    best[j] = direct[c]
                    best_src[j] = self._n + cand[c]
            ok = best <= budget
            hit = snapped[ok]
            minutes[hit] = best[ok]
            origin[hit] = o_index[best_src[ok] - self._n]
        unreached = (origin < 0) & (t_seg >= 0)
        reason[unreached] = f"no origin within {budget:g} min"
        return NearestResult(minutes, origin, reason.astype(str))

    def od_matrix(
        self, origins_lonlat: np.ndarray, targets_lonlat: np.ndarray, *, budget_min: float
    ) -> sp.csr_matrix:
        """Sparse n_origins × n_targets network minutes for the pairs within ``budget_min``.

        One bounded Dijkstra per origin in the compiled kernel of :mod:`geo._kernel`, parallel over
        batches of origins: each search settles only the nodes within the budget and reads only the
        targets attached to them, so the cost follows the pairs within the budget, not origins ×
        nodes or origins × targets. Zero minutes are stored as :data:`geo.travel.OD_ZERO_MIN`;
        origins or targets beyond ``max_snap_m`` get no entries (origins with a
        :class:`~geo.errors.CareCircleWarning`).
        """
        matrix, _ = self._many_to_many(origins_lonlat, targets_lonlat, budget_min=budget_min, nearest=False)
        return matrix

    def od_matrix_and_nearest(
        self, origins_lonlat: np.ndarray, targets_lonlat: np.ndarray, *, budget_min: float
    ) -> tuple[sp.csr_matrix, NearestResult]:
        """:meth:`od_matrix` and :meth:`nearest` at the same budget, from one set of searches.

        The nearest origin of each target is read off the same bounded searches that fill the
        matrix, instead of a second (multi-source) pass. The minutes are those :meth:`nearest`
        gives (the least over the matrix's pairs, zero kept as zero); among equally near origins
        the lowest-numbered one is named. The reasons are :meth:`nearest`'s.

        Parameters
        ----------
        origins_lonlat, targets_lonlat : numpy.ndarray
            ``(n, 2)`` and ``(m, 2)`` WGS84 lon, lat in degrees.
        budget_min : float
            Largest travel time in minutes (inclusive), of both answers.

        Returns
        -------
        matrix : scipy.sparse.csr_matrix
            As :meth:`od_matrix`.
        nearest : geo.travel.NearestResult
            As :meth:`nearest`.
        """
        matrix, near = self._many_to_many(origins_lonlat, targets_lonlat, budget_min=budget_min, nearest=True)
        assert near is not None
        return matrix, near

    def _many_to_many(
        self, origins_lonlat: np.ndarray, targets_lonlat: np.ndarray, *, budget_min: float, nearest: bool
    ) -> tuple[sp.csr_matrix, NearestResult | None]:
        budget = check_budget(budget_min)
        origins = as_lonlat(origins_lonlat, what="origins")
        t_seg, t_frac, t_dist = self.snap(as_lonlat(targets_lonlat, what="targets"))
        shape = (len(origins), len(t_seg))
        minutes = np.full(shape[1], np.inf)
        origin = np.full(shape[1], -1, dtype=np.int64)

        def answer(matrix: sp.csr_matrix) -> tuple[sp.csr_matrix, NearestResult | None]:
            if not nearest:
                return matrix, None
            reason = self._snap_reasons(t_dist, t_seg)
            reason[(origin < 0) & (t_seg >= 0)] = f"no origin within {budget:g} min"
            return matrix, NearestResult(minutes, origin, reason.astype(str))

        if shape[0] == 0 or shape[1] == 0:
            return answer(sp.csr_matrix(shape, dtype=np.float64))
        o_seg, o_frac, o_index = self._snap_origins(origins)
        if len(o_seg) == 0:
            return answer(sp.csr_matrix(shape, dtype=np.float64))
        from geo import _kernel  # numba: loaded only when a network search runs

        attachments = self._target_attachments(t_seg, t_frac)
        if len(o_seg) > int((t_seg >= 0).sum()):
            # Few targets for many origins (siting: every candidate against the cells still uncovered):
            # one reverse pass from the targets finds the origins that reach any, and only they search.
            keep = np.flatnonzero(self._reach_any(o_seg, o_frac, t_seg, t_frac, attachments, budget))
            o_seg, o_frac, o_index = o_seg[keep], o_frac[keep], o_index[keep]
        search: dict[str, Any] = {
            "indptr": self._indptr,
            "indices": self._indices,
            "weights": self._weights,
            "starts": self._origin_starts(o_seg, o_frac),
            "attachments": attachments,
            "direct": self._direct_pairs(o_seg, o_frac, t_seg, t_frac),
            "n_targets": len(t_seg),
            "budget_min": budget,
            "zero_min": OD_ZERO_MIN,
            "order": _kernel.spatial_order(self._xy[self._seg_a[o_seg]]),
        }
        if nearest:
            rows, cols, vals, near_min, near_org = _kernel.bounded_many_to_many_nearest(**search)
            reached = near_org >= 0
            minutes[reached] = near_min[reached]
            origin[reached] = o_index[near_org[reached]]
        else:
            rows, cols, vals = _kernel.bounded_many_to_many(**search)
        matrix = sp.csr_matrix((vals, (o_index[rows], cols)), shape=shape)
        matrix.sort_indices()
        return answer(matrix)

    def _reach_any(
        self,
        o_seg: IntArray,
        o_frac: FloatArray,
        t_seg: IntArray,
        t_frac: FloatArray,
        attachments: Links,
        budget: float,
    ) -> npt.NDArray[np.bool_]:
        """Which origins have any target within ``budget`` (exact: one bounded pass on the reverse graph).

        A virtual node joined to every node that has targets attached, at the time from that node to
        its nearest attached target, is the source of one Dijkstra over the reversed edges: it gives
        every node the time to its nearest target. An origin reaches a target within the budget if
        and only if one of its start nodes does after its partial cost, or a target on its own
        segment is within the budget.
        """
        n = self._n
        att_node = np.repeat(np.arange(n), np.diff(attachments.ptr))
        to_target = np.full(n, np.inf)
        np.minimum.at(to_target, att_node, attachments.cost)
        has = np.flatnonzero(np.isfinite(to_target))
        tails = np.repeat(np.arange(n), np.diff(self._indptr))
        reverse = sp.csr_matrix(
            (
                np.concatenate([self._weights, to_target[has]]),
                (
                    np.concatenate([self._indices.astype(np.int64), np.full(len(has), n)]),
                    np.concatenate([tails, has]),
                ),
            ),
            shape=(n + 1, n + 1),
        )
        to_nearest = dijkstra(reverse, indices=n, limit=budget)[:n]
        starts = self._origin_starts(o_seg, o_frac)
        owner = np.repeat(np.arange(len(o_seg)), np.diff(starts.ptr))
        best = np.full(len(o_seg), np.inf)
        np.minimum.at(best, owner, starts.cost + to_nearest[starts.item])
        ok = best <= budget
        direct = self._direct_pairs(o_seg, o_frac, t_seg, t_frac)
        ok[np.repeat(np.arange(len(o_seg)), np.diff(direct.ptr))[direct.cost <= budget]] = True
        return ok

    def _origin_starts(self, o_seg: IntArray, o_frac: FloatArray) -> Links:
        """Per origin, the two ends of its segment and the partial minutes to each (CSR by origin)."""
        heads = np.column_stack([self._seg_b[o_seg], self._seg_a[o_seg]])
        costs = np.column_stack(
            [_partial(1.0 - o_frac, self._w_fwd[o_seg]), _partial(o_frac, self._w_back[o_seg])]
        )
        open_ = np.isfinite(costs)
        ptr = np.zeros(len(o_seg) + 1, dtype=np.int64)
        np.cumsum(open_.sum(axis=1), out=ptr[1:])
        return Links(ptr, heads[open_].astype(np.int32), costs[open_].astype(np.float64))

    def _target_attachments(self, t_seg: IntArray, t_frac: FloatArray) -> Links:
        """Per node, the snapped targets on its segments and the partial minutes from it (CSR by node)."""
        snapped = np.flatnonzero(t_seg >= 0)
        seg, frac = t_seg[snapped], t_frac[snapped]
        node = np.concatenate([self._seg_a[seg], self._seg_b[seg]])
        target = np.concatenate([snapped, snapped])
        cost = np.concatenate([_partial(frac, self._w_fwd[seg]), _partial(1.0 - frac, self._w_back[seg])])
        ok = np.isfinite(cost)
        node, target, cost = node[ok], target[ok], cost[ok]
        order = np.argsort(node, kind="stable")
        ptr = np.zeros(self._n + 1, dtype=np.int64)
        np.cumsum(np.bincount(node, minlength=self._n), out=ptr[1:])
        return Links(ptr, target[order].astype(np.int32), cost[order].astype(np.float64))

    def _direct_pairs(
        self, o_seg: IntArray, o_frac: FloatArray, t_seg: IntArray, t_frac: FloatArray
    ) -> Links:
        """Targets on an origin's own segment and the minutes along it (CSR by origin)."""
        snapped = np.flatnonzero(t_seg >= 0)
        order = np.argsort(t_seg[snapped], kind="stable")
        by_seg = snapped[order]
        sorted_seg = t_seg[by_seg]
        lo = np.searchsorted(sorted_seg, o_seg, side="left")
        hi = np.searchsorted(sorted_seg, o_seg, side="right")
        counts = hi - lo
        origin = np.repeat(np.arange(len(o_seg)), counts)
        at = np.repeat(lo - (np.cumsum(counts) - counts), counts) + np.arange(int(counts.sum()))
        target = by_seg[at]
        cost = self._direct(o_frac[origin], o_seg[origin], t_frac[target])
        ok = np.isfinite(cost)
        ptr = np.zeros(len(o_seg) + 1, dtype=np.int64)
        np.cumsum(np.bincount(origin[ok], minlength=len(o_seg)), out=ptr[1:])
        return Links(ptr, target[ok].astype(np.int32), cost[ok].astype(np.float64))

    # ---- isochrones -------------------------------------------------------------------------

    def _reached_pieces(
        self, dist: FloatArray, budget: float, o_seg: IntArray, o_frac: FloatArray
    ) -> tuple[FloatArray, FloatArray, IntArray]:
        """Reached intervals ``[start, end]`` (fractions) of segments within ``budget`` minutes."""
        with np.errstate(invalid="ignore", divide="ignore"):
            da, db = dist[self._seg_a], dist[self._seg_b]
            fa = np.where(da <= budget, np.clip((budget - da) / self._w_fwd, 0.0, 1.0), -1.0)
            fb = np.where(db <= budget, np.clip((budget - db) / self._w_back, 0.0, 1.0), -1.0)
            fa = np.where(np.isnan(fa), 0.0, fa)
            fb = np.where(np.isnan(fb), 0.0, fb)
        whole = (fa >= 0) & (fb >= 0) & (fa + fb >= 1.0)
        from_a = (fa >= 0) & ~whole
        from_b = (fb >= 0) & ~whole
        idx_w, idx_a, idx_b = np.flatnonzero(whole), np.flatnonzero(from_a), np.flatnonzero(from_b)
        start = np.concatenate([np.zeros(len(idx_w)), np.zeros(len(idx_a)), 1.0 - fb[idx_b]])
        end = np.concatenate([np.ones(len(idx_w)), fa[idx_a], np.ones(len(idx_b))])
        segs = np.concatenate([idx_w, idx_a, idx_b])
        # Along the origins' own segments, from the origin point itself.
        with np.errstate(invalid="ignore", divide="ignore"):
            ahead = np.where(
                np.isfinite(self._w_fwd[o_seg]), np.minimum(1.0, o_frac + budget / self._w_fwd[o_seg]), o_frac
            )
            behind = np.where(
                np.isfinite(self._w_back[o_seg]),
                np.maximum(0.0, o_frac - budget / self._w_back[o_seg]),
                o_frac,
            )
        start = np.concatenate([start, behind])
        end = np.concatenate([end, ahead])
        segs = np.concatenate([segs, o_seg])
        return start, end, segs

    def isochrones(self, origins_lonlat: np.ndarray, *, budgets_min: Sequence[float]) -> list[BaseGeometry]:
        """Areas reachable from any origin within each budget, for drawing.

        The reached streets (whole segments, plus the reachable part of each last segment,
        interpolated linearly) are buffered by :data:`ISOCHRONE_BUFFER_M` for the profile and unioned
        in the metric CRS; holes and separate pieces are kept. Each area is transformed to WGS84,
        made valid and unioned with the areas of the smaller budgets, so nesting is exact.

        Parameters
        ----------
        origins_lonlat : numpy.ndarray
            ``(n, 2)`` WGS84 lon, lat in degrees.
        budgets_min : sequence of float
            Budgets in minutes, any order; the result follows this order.

        Returns
        -------
        list of shapely geometries
            One valid (Multi)Polygon per budget in WGS84 (empty when nothing is reached).
        """
        budgets = [check_budget(b) for b in budgets_min]
        origins = as_lonlat(origins_lonlat, what="origins")
        o_seg, o_frac = (np.empty(0, np.int64), np.empty(0))
        if len(origins):
            o_seg, o_frac, _ = self._snap_origins(origins)
        if len(o_seg) == 0 or not budgets:
            return [shapely.MultiPolygon() for _ in budgets]
        graph, sources = self._graph_with_sources(o_seg, o_frac)
        dist = dijkstra(graph, indices=sources, min_only=True, limit=max(budgets))[: self._n]
        by_budget: dict[float, BaseGeometry] = {}
        previous: BaseGeometry = shapely.MultiPolygon()
        for budget in sorted(set(budgets)):
            start, end, segs = self._reached_pieces(dist, budget, o_seg, o_frac)
            pa, pb = self._xy[self._seg_a[segs]], self._xy[self._seg_b[segs]]
            p0 = pa + (pb - pa) * start[:, None]
            p1 = pa + (pb - pa) * end[:, None]
            lines = shapely.linestrings(np.stack([p0, p1], axis=1))
            # Buffer each piece, then union: GEOS buffers a MultiLineString of thousands of overlapping
            # parts ~100x slower than it unions their buffers.
            metric = shapely.union_all(shapely.buffer(lines, self.buffer_m, quad_segs=4))
            geom = shapely.transform(metric, self._to_lonlat)
            geom = _polygonal(shapely.make_valid(geom))
            if not previous.is_empty:
                # A plain union can leave the smaller area outside the larger by 1e-20 deg² of rounding;
                # unioning a 1 mm (NESTING_EPS_DEG) outset of it makes `covers` hold exactly.
                grown = shapely.buffer(previous, NESTING_EPS_DEG, quad_segs=2)
                geom = _polygonal(shapely.make_valid(shapely.union(geom, grown)))
            by_budget[budget] = geom
            previous = geom
        return [by_budget[b] for b in budgets]

    def _to_lonlat(self, coords: FloatArray) -> FloatArray:
        lon, lat = self._inv(coords[:, 0], coords[:, 1])
        return np.column_stack(
            [np.atleast_1d(np.asarray(lon, dtype=np.float64)), np.atleast_1d(np.asarray(lat))]
        )


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """The polygonal part of a geometry (make_valid can return collections with stray lines)."""
    if geom.geom_type in {"Polygon", "MultiPolygon"}:
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in {"Polygon", "MultiPolygon"}]
    if not parts:
        return shapely.MultiPolygon()
    return shapely.union_all(parts)
