"""Travel-time models: one interface, a straight-line model and (in ``geo.network``) a road-network model.

Both models answer the same three questions, so coverage, siting and the app never care which one ran:

* :meth:`TravelModel.nearest` — for each target (a demand cell, a resident's point) the minutes to the
  nearest origin (a facility) within a budget, and which origin;
* :meth:`TravelModel.od_matrix` — the sparse origin × target matrix of minutes for the pairs within a
  budget (two-step floating catchment, siting);
* :meth:`TravelModel.isochrones` — the area reachable within each budget, for drawing.

The straight-line model is the default while no road network is loaded: the metric (transverse
Mercator, :data:`geo.crs.ORDOS_METRIC_CRS`) distance times a detour factor, divided by the speed of the
mode. The detour factor turns a crow-flies distance into a plausible path length; it is a setting of
the mode, like the speed.

Sparse matrices and zero minutes
--------------------------------
``od_matrix`` stores only the pairs within the budget. A pair whose travel time is exactly zero (a
facility on top of a cell) would be an explicit zero that many sparse operations silently drop, so both
models store ``max(minutes, OD_ZERO_MIN)``: the sparsity structure *is* the reachability mask, and the
stored minutes are exact for every pair except the coincident ones (off by at most ``OD_ZERO_MIN``,
6 microseconds).
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from geo.crs import from_metric, to_metric
from geo.errors import DataError
from geo.modes import MODES as MODES
from geo.modes import NETWORK_PROFILES as NETWORK_PROFILES
from geo.modes import RURAL_SPEED_KMH_BY_HIGHWAY as RURAL_SPEED_KMH_BY_HIGHWAY
from geo.modes import TYPE_DEFAULTS as TYPE_DEFAULTS
from geo.modes import URBAN_SPEED_KMH_BY_HIGHWAY as URBAN_SPEED_KMH_BY_HIGHWAY
from geo.modes import Mode as Mode
from geo.modes import get_mode as get_mode

if TYPE_CHECKING:
    import scipy.sparse as sp
    from shapely.geometry.base import BaseGeometry

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

OD_ZERO_MIN: Final[float] = 1e-7
"""Minutes stored in an OD matrix for a pair whose travel time is zero (see the module docstring)."""


@dataclass(frozen=True)
class NearestResult:
    """The nearest origin for each target.

    Attributes
    ----------
    minutes
        Travel minutes to the nearest origin, ``np.inf`` when none is within the budget.
    origin
        Index of the nearest origin (into the origins array), ``-1`` when none is within the budget.
    reason
        Optional per-target text saying why a target is unreachable (e.g. ``"snap distance 812 m > 500 m"``);
        empty strings for reachable targets. ``None`` when the model never gives reasons.
    """

    minutes: FloatArray
    origin: IntArray
    reason: npt.NDArray[np.str_] | None = None

    @property
    def reached(self) -> npt.NDArray[np.bool_]:
        """Boolean mask of the targets that have an origin within the budget."""
        return self.origin >= 0


@dataclass(frozen=True)
class OdPairs:
    """The reachable pairs of an OD matrix as three parallel arrays, in row-major order.

    The same entries, in the same order, as the CSR matrix of :meth:`TravelModel.od_matrix`: by
    origin, and within an origin in the matrix's stored order (by target for the straight-line
    model). Sums over them with :func:`numpy.bincount` therefore add the same numbers in the same
    order as SciPy's sparse products, to the last bit.

    Attributes
    ----------
    origin, target
        Row (origin) and column (target) index of each pair.
    minutes
        Travel minutes of each pair (zeros stored as :data:`OD_ZERO_MIN`).
    shape
        ``(n_origins, n_targets)``.
    """

    origin: IntArray
    target: IntArray
    minutes: FloatArray
    shape: tuple[int, int]

    def to_csr(self) -> sp.csr_matrix:
        """The pairs as a SciPy CSR matrix (indices sorted within each row when the pairs are)."""
        import scipy.sparse as sp

        indptr = np.zeros(self.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.origin, minlength=self.shape[0]), out=indptr[1:])
        return sp.csr_matrix((self.minutes, self.target, indptr), shape=self.shape)


@runtime_checkable
class TravelModel(Protocol):
    """What every travel-time model answers; coverage and siting depend only on this."""

    name: str
    mode: Mode

    def describe(self) -> dict[str, object]:
        """The ``"model"`` block of the JSON outputs: name, mode, speed_m_per_min and parameters."""
        ...

    def nearest(
        self, origins_lonlat: np.ndarray, targets_lonlat: np.ndarray, *, budget_min: float
    ) -> NearestResult:
        """Minutes from the nearest origin to each target, bounded by ``budget_min``."""
        ...

    def od_matrix(
        self, origins_lonlat: np.ndarray, targets_lonlat: np.ndarray, *, budget_min: float
    ) -> sp.csr_matrix:
        """Sparse n_origins × n_targets minutes for pairs within ``budget_min`` (zeros as ``OD_ZERO_MIN``)."""
        ...

    def isochrones(self, origins_lonlat: np.ndarray, *, budgets_min: Sequence[float]) -> list[BaseGeometry]:
        """One valid (Multi)Polygon in WGS84 per budget, in the given order, nested."""
        ...


def od_pairs(
    model: TravelModel, origins_lonlat: np.ndarray, targets_lonlat: np.ndarray, *, budget_min: float
) -> OdPairs:
    """The entries of ``model.od_matrix`` as :class:`OdPairs`, in the matrix's row-major order.

    A model that lists the pairs itself (``od_pairs``, as :class:`StraightLineModel` does) is asked
    directly, so a straight-line run needs no SciPy; any other model's matrix is read out.
    """
    direct = getattr(model, "od_pairs", None)
    if callable(direct):
        pairs: OdPairs = direct(origins_lonlat, targets_lonlat, budget_min=budget_min)
        return pairs
    return pairs_of_matrix(model.od_matrix(origins_lonlat, targets_lonlat, budget_min=budget_min))


def pairs_of_matrix(matrix: sp.spmatrix) -> OdPairs:
    """The stored entries of an OD matrix as :class:`OdPairs`, in its CSR row-major order."""
    od = matrix.tocsr()
    rows = np.repeat(np.arange(od.shape[0], dtype=np.int64), np.diff(od.indptr))
    return OdPairs(
        rows, od.indices.astype(np.int64), np.asarray(od.data, dtype=np.float64), (od.shape[0], od.shape[1])
    )


def as_lonlat(points: npt.ArrayLike, *, what: str = "points") -> FloatArray:
    """Check and return an ``(n, 2)`` float array of WGS84 lon, lat.

    Raises
    ------
    DataError
        When the array is not ``(n, 2)`` or holds non-finite or out-of-range coordinates.
    """
    arr = np.asarray(points, dtype=np.float64)
    if arr.ndim == 1 and arr.size == 0:
        arr = arr.reshape(0, 2)
    if arr.ndim == 1 and arr.size == 2:
        arr = arr.reshape(1, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        msg = f"{what}: expected an (n, 2) array of lon, lat, got shape {arr.shape}"
        raise DataError(msg)
    if not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr).all(axis=1))[0])
        msg = f"{what}: row {bad} has a missing or non-finite coordinate {arr[bad].tolist()}"
        raise DataError(msg)
    if arr.size and (np.abs(arr[:, 0]).max() > 180 or np.abs(arr[:, 1]).max() > 90):
        msg = f"{what}: coordinates must be WGS84 lon (±180), lat (±90) in degrees"
        raise DataError(msg)
    return arr


def check_budget(budget_min: float) -> float:
    """Return ``budget_min`` as a float after checking it is a finite number ≥ 0."""
    value = float(budget_min)
    if not (math.isfinite(value) and value >= 0):
        msg = f"budget_min must be a finite number of minutes ≥ 0, got {budget_min!r}"
        raise DataError(msg)
    return value


# The metric coordinates of the last few large point sets (e.g. the demand cells, asked for by
# the nearest-facility pass and the 2SFCA of every coverage run), keyed by their content.
_METRIC_MEMO: OrderedDict[bytes, FloatArray] = OrderedDict()
_METRIC_MEMO_LOCK = threading.Lock()
_METRIC_MEMO_MIN_POINTS: Final[int] = 2_000


def _metric_xy(lonlat: FloatArray) -> FloatArray:
    if len(lonlat) == 0:
        return np.empty((0, 2), dtype=np.float64)
    key = b""
    if len(lonlat) >= _METRIC_MEMO_MIN_POINTS:
        data = np.ascontiguousarray(lonlat, dtype=np.float64)
        key = hashlib.blake2b(data.tobytes(), digest_size=20).digest() + str(data.shape).encode()
        with _METRIC_MEMO_LOCK:
            if key in _METRIC_MEMO:
                _METRIC_MEMO.move_to_end(key)
                return _METRIC_MEMO[key]
    x_m, y_m = to_metric(lonlat[:, 0], lonlat[:, 1])
    xy = np.column_stack([np.atleast_1d(x_m), np.atleast_1d(y_m)])
    if key:
        xy.flags.writeable = False  # shared between callers
        with _METRIC_MEMO_LOCK:
            _METRIC_MEMO[key] = xy
            while len(_METRIC_MEMO) > 4:
                _METRIC_MEMO.popitem(last=False)
    return xy


# Pairs of points within a radius by a grid of radius-sized squares (numpy only): every pair within
# the radius lies in the same or a neighbouring square. Used while the candidate pairs stay few;
# beyond that, or for a grid too fine to key, the models fall back to SciPy's KD-tree (loaded then):
# the answers are the same pairs and distances.
_GRID_MAX_CANDIDATES: Final[int] = 4_000_000


def _pairs_within(
    origins: FloatArray, targets: FloatArray, radius_m: float
) -> tuple[IntArray, IntArray, FloatArray] | None:
    """Every (origin, target) pair at most ``radius_m`` apart, with its distance in metres.

    ``None`` when more than ``_GRID_MAX_CANDIDATES`` pairs would have to be compared (then a KD-tree
    is the better tool).
    """
    max_candidates = _GRID_MAX_CANDIDATES
    cell = float(radius_m)
    if not cell > 0.0:
        return None
    lo = np.minimum(origins.min(axis=0), targets.min(axis=0))
    o_cell = np.floor((origins - lo) / cell).astype(np.int64)
    t_cell = np.floor((targets - lo) / cell).astype(np.int64)
    height = int(max(o_cell[:, 1].max(), t_cell[:, 1].max())) + 3
    width = int(max(o_cell[:, 0].max(), t_cell[:, 0].max())) + 3
    if width * height >= 2**62:
        return None
    o_key = (o_cell[:, 0] + 1) * height + (o_cell[:, 1] + 1)
    order = np.argsort(o_key, kind="stable")
    sorted_keys = o_key[order]
    t_key = (t_cell[:, 0] + 1) * height + (t_cell[:, 1] + 1)
    spans = []
    total = 0
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            key = t_key + dx * height + dy
            start = np.searchsorted(sorted_keys, key, side="left")
            count = np.searchsorted(sorted_keys, key, side="right") - start
            total += int(count.sum())
            if total > max_candidates:
                return None
            spans.append((start, count))
    parts_i, parts_j, parts_d = [], [], []
    for start, count in spans:
        n = int(count.sum())
        if n == 0:
            continue
        j = np.repeat(np.arange(len(targets), dtype=np.int64), count)
        offset = np.arange(n, dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
        i = order[np.repeat(start, count) + offset]
        dx, dy = origins[i, 0] - targets[j, 0], origins[i, 1] - targets[j, 1]
        d = np.sqrt(dx * dx + dy * dy)  # as the KD-tree computes it, so both agree to the last bit
        keep = d <= radius_m
        parts_i.append(i[keep])
        parts_j.append(j[keep])
        parts_d.append(d[keep])
    if not parts_i:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64)
    return np.concatenate(parts_i), np.concatenate(parts_j), np.concatenate(parts_d)


@dataclass(frozen=True)
class ModelFallback:
    """Why an imported road network was not used, so straight lines were.

    Attributes
    ----------
    code
        ``no_overlap`` (no saved network overlaps the demand area) or ``unreadable`` (saved network
        files that cannot be loaded, e.g. from an older version).
    network
        The network (display name or file) that was passed over.
    zh, en
        The reason in Chinese and in English, for people.
    """

    code: str
    network: str
    zh: str
    en: str

    def text(self) -> str:
        """The bilingual sentence, ``"中文 / English"``."""
        return f"{self.zh} / {self.en}"

    def to_json(self) -> dict[str, str]:
        """The ``"fallback"`` entry of the model block."""
        return {"code": self.code, "network": self.network, "zh": self.zh, "en": self.en}


class StraightLineModel:
    """Travel minutes = metric distance × detour factor ÷ speed.

    Distances are Euclidean in :data:`geo.crs.ORDOS_METRIC_CRS` (scale error below 0.07 % over the
    city); nearest and bounded queries use a KD-tree, so the cost is O((n + m) log n), not O(n · m).

    Parameters
    ----------
    mode
        The mode whose ``speed_m_per_min`` and ``detour_factor`` are used.
    fallback
        Set when an imported road network was passed over (:func:`geo.models.default_model`): why.
        :meth:`describe` then carries it as ``"fallback"``, so every output says so.
    """

    name: str = "straight_line"

    def __init__(self, mode: Mode, *, fallback: ModelFallback | None = None) -> None:
        self.mode = mode
        self.fallback = fallback

    def __repr__(self) -> str:
        return f"StraightLineModel(mode={self.mode.name!r})"

    def describe(self) -> dict[str, object]:
        """The ``"model"`` block of DESIGN.md's JSON outputs."""
        return {
            "name": self.name,
            "mode": self.mode.name,
            "speed_m_per_min": round(self.mode.speed_m_per_min, 6),
            "detour_factor": self.mode.detour_factor,
            **({"fallback": self.fallback.to_json()} if self.fallback is not None else {}),
        }

    def minutes_for_m(self, distance_m: npt.ArrayLike) -> FloatArray:
        """Travel minutes for crow-flies distances in metres."""
        return np.asarray(distance_m, dtype=np.float64) * self.mode.detour_factor / self.mode.speed_m_per_min

    def nearest(
        self, origins_lonlat: np.ndarray, targets_lonlat: np.ndarray, *, budget_min: float
    ) -> NearestResult:
        """Minutes from the nearest origin to each target within ``budget_min``.

        Parameters
        ----------
        origins_lonlat, targets_lonlat
            ``(n, 2)`` and ``(m, 2)`` arrays of WGS84 lon, lat in degrees.
        budget_min
            Largest travel time in minutes; a target exactly at the budget counts as reached.

        Returns
        -------
        NearestResult
            ``minutes`` (``inf`` when unreachable) and ``origin`` index (``-1``) per target.
        """
        budget = check_budget(budget_min)
        origins = _metric_xy(as_lonlat(origins_lonlat, what="origins"))
        targets = _metric_xy(as_lonlat(targets_lonlat, what="targets"))
        minutes = np.full(len(targets), np.inf)
        origin = np.full(len(targets), -1, dtype=np.int64)
        if len(origins) == 0 or len(targets) == 0:
            return NearestResult(minutes, origin)
        # Search a hair beyond the radius (cKDTree's bound is strict), then apply the budget on minutes.
        radius_m = self.mode.reach_m(budget) * (1 + 1e-9) + 1e-9
        pairs = _pairs_within(origins, targets, radius_m)
        if pairs is None:
            from scipy.spatial import cKDTree

            dist_m, idx = cKDTree(origins).query(targets, k=1, distance_upper_bound=radius_m)
        else:
            # The nearest origin of each target (the lowest index among equally near ones).
            i, j, d = pairs
            first = np.lexsort((i, d, j))
            j_sorted = j[first]
            head = first[np.flatnonzero(np.r_[True, j_sorted[1:] != j_sorted[:-1]])] if len(first) else first
            dist_m = np.full(len(targets), np.inf)
            idx = np.full(len(targets), len(origins), dtype=np.int64)
            dist_m[j[head]] = d[head]
            idx[j[head]] = i[head]
        found = np.isfinite(dist_m)
        mins = self.minutes_for_m(dist_m[found])
        ok = mins <= budget
        where = np.flatnonzero(found)[ok]
        minutes[where] = mins[ok]
        origin[where] = idx[found][ok]
        return NearestResult(minutes, origin)

    def od_matrix(
        self, origins_lonlat: np.ndarray, targets_lonlat: np.ndarray, *, budget_min: float
    ) -> sp.csr_matrix:
        """Sparse n_origins × n_targets travel minutes for the pairs within ``budget_min``.

        Zero minutes are stored as :data:`OD_ZERO_MIN`, so every stored entry is a reachable pair.
        """
        return self.od_pairs(origins_lonlat, targets_lonlat, budget_min=budget_min).to_csr()

    def od_pairs(
        self, origins_lonlat: np.ndarray, targets_lonlat: np.ndarray, *, budget_min: float
    ) -> OdPairs:
        """The entries of :meth:`od_matrix` as arrays, by origin then target, without SciPy (while
        the grid search applies; see :func:`_pairs_within`)."""
        budget = check_budget(budget_min)
        origins = _metric_xy(as_lonlat(origins_lonlat, what="origins"))
        targets = _metric_xy(as_lonlat(targets_lonlat, what="targets"))
        shape = (len(origins), len(targets))
        if len(origins) == 0 or len(targets) == 0:
            return OdPairs(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64), shape)
        radius_m = self.mode.reach_m(budget) * (1 + 1e-9) + 1e-9
        found = _pairs_within(origins, targets, radius_m)
        if found is None:
            from scipy.spatial import cKDTree

            pairs = cKDTree(origins).sparse_distance_matrix(
                cKDTree(targets), max_distance=radius_m, output_type="ndarray"
            )
            found = (pairs["i"].astype(np.int64), pairs["j"].astype(np.int64), pairs["v"])
        i, j, dist_m = found
        mins = self.minutes_for_m(dist_m)
        keep = mins <= budget
        i, j = i[keep], j[keep]
        order = np.lexsort((j, i))
        return OdPairs(i[order], j[order], np.maximum(mins[keep], OD_ZERO_MIN)[order], shape)

    def isochrones(
        self, origins_lonlat: np.ndarray, *, budgets_min: Sequence[float], quad_segs: int = 32
    ) -> list[BaseGeometry]:
        """Union of circles of radius speed × minutes ÷ detour around the origins, per budget.

        Built in the metric CRS and transformed back to WGS84 vertex by vertex. Each polygon is unioned
        with those of the smaller budgets, so nesting holds exactly after the transformation.

        Parameters
        ----------
        origins_lonlat
            ``(n, 2)`` WGS84 lon, lat in degrees.
        budgets_min
            Budgets in minutes, any order; the result follows this order.
        quad_segs
            Segments per quarter circle of each buffer.

        Returns
        -------
        list of shapely geometries
            One valid (Multi)Polygon per budget (empty when there are no origins or the budget is 0).
        """
        import shapely

        budgets = [check_budget(b) for b in budgets_min]
        xy = _metric_xy(as_lonlat(origins_lonlat, what="origins"))
        points = shapely.points(xy) if len(xy) else np.empty(0, dtype=object)
        by_budget: dict[float, BaseGeometry] = {}
        previous: BaseGeometry = shapely.Polygon()
        for budget in sorted(set(budgets)):
            radius_m = self.mode.reach_m(budget)
            if len(points) == 0 or radius_m <= 0:
                metric = shapely.Polygon()
            else:
                metric = shapely.union_all(shapely.buffer(points, radius_m, quad_segs=quad_segs))
            geom = shapely.transform(metric, _metric_to_lonlat)
            geom = shapely.make_valid(shapely.union(geom, previous)) if not previous.is_empty else geom
            by_budget[budget] = geom
            previous = geom
        return [by_budget[b] for b in budgets]


def _metric_to_lonlat(coords: FloatArray) -> FloatArray:
    lon, lat = from_metric(coords[:, 0], coords[:, 1])
    return np.column_stack([np.atleast_1d(lon), np.atleast_1d(lat)])
