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

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import shapely
from scipy.spatial import cKDTree

from geo.crs import from_metric, to_metric
from geo.errors import DataError
from geo.schema import FACILITY_TYPES

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

OD_ZERO_MIN: Final[float] = 1e-7
"""Minutes stored in an OD matrix for a pair whose travel time is zero (see the module docstring)."""

# Urban speeds (km/h) by OSM ``highway`` class for the drive profile of the network model. Typical
# free-flow speeds on Chinese urban roads in line with the design speeds of CJJ 37-2012 (城市道路工程
# 设计规范: expressway 60–100, arterial 40–60, sub-arterial 30–50, branch 20–40 km/h), lowered a
# little for junction delay. Settings, not facts: change them per deployment.
URBAN_SPEED_KMH_BY_HIGHWAY: Final[Mapping[str, float]] = {
    "motorway": 80.0,
    "motorway_link": 40.0,
    "trunk": 60.0,
    "trunk_link": 40.0,
    "primary": 50.0,
    "primary_link": 30.0,
    "secondary": 40.0,
    "secondary_link": 30.0,
    "tertiary": 30.0,
    "tertiary_link": 25.0,
    "unclassified": 25.0,
    "residential": 20.0,
    "living_street": 10.0,
    "service": 10.0,
    "road": 20.0,
}

# Rural speeds (km/h): the design speeds of JTG B01-2014 (公路工程技术标准: expressway 80–120, first
# class 60–100, second class 40–80, third class 30–40, fourth class 20–30 km/h) mapped onto the OSM
# classes; pastoral tracks (``track``) at a cautious 20 km/h.
RURAL_SPEED_KMH_BY_HIGHWAY: Final[Mapping[str, float]] = {
    "motorway": 100.0,
    "motorway_link": 50.0,
    "trunk": 80.0,
    "trunk_link": 50.0,
    "primary": 70.0,
    "primary_link": 40.0,
    "secondary": 60.0,
    "secondary_link": 40.0,
    "tertiary": 50.0,
    "tertiary_link": 30.0,
    "unclassified": 40.0,
    "residential": 30.0,
    "living_street": 15.0,
    "service": 15.0,
    "track": 20.0,
    "road": 30.0,
}


@dataclass(frozen=True)
class Mode:
    """A way of travelling and its speeds: a setting, never a constant buried in code.

    Parameters
    ----------
    name
        Preset name (``walk``, ``elderly_walk``, ``bike``, ``drive``) or a user's own.
    speed_m_per_min
        Average travel speed in metres per minute. The straight-line model uses it for every mode; the
        network model uses it for walking and cycling (driving uses the per-road-class speeds).
    detour_factor
        Path length divided by crow-flies distance, used by the straight-line model only (≥ 1).
    network_profile
        Which edges of a road network the mode may use: ``"walk"``, ``"bike"`` or ``"drive"``.
    speed_kmh_by_highway, rural_speed_kmh_by_highway
        Drive profile only: speed in km/h by OSM ``highway`` class in urban and in rural areas.
    """

    name: str
    speed_m_per_min: float
    detour_factor: float
    network_profile: str
    speed_kmh_by_highway: Mapping[str, float] = field(default_factory=dict, hash=False)
    rural_speed_kmh_by_highway: Mapping[str, float] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.speed_m_per_min) and self.speed_m_per_min > 0):
            msg = f"Mode {self.name!r}: speed_m_per_min must be positive, got {self.speed_m_per_min!r}"
            raise DataError(msg)
        if not (math.isfinite(self.detour_factor) and self.detour_factor >= 1.0):
            msg = f"Mode {self.name!r}: detour_factor must be ≥ 1, got {self.detour_factor!r}"
            raise DataError(msg)
        if self.network_profile not in NETWORK_PROFILES:
            msg = (
                f"Mode {self.name!r}: network_profile must be one of {', '.join(NETWORK_PROFILES)}, "
                f"got {self.network_profile!r}"
            )
            raise DataError(msg)

    @property
    def speed_kmh(self) -> float:
        """The straight-line speed in km/h."""
        return self.speed_m_per_min * 60.0 / 1000.0

    def reach_m(self, budget_min: float) -> float:
        """Crow-flies radius in metres reachable within ``budget_min`` in the straight-line model."""
        return self.speed_m_per_min * budget_min / self.detour_factor


NETWORK_PROFILES: Final[tuple[str, ...]] = ("walk", "bike", "drive")

# Detour factors: the ratio of network path length to straight-line distance. Studies of street
# networks put it around 1.2–1.4 for walking in cities and about 1.4 for driving (Boscoe, Henry &
# Zdeb 2012, "A nationwide comparison of driving distance versus straight-line distance to hospitals",
# Professional Geographer 64(2): 188–196, found a mean ratio of 1.417). We use 1.3 on foot and by bike
# and 1.4 by car; in Ordos' pastoral areas roads are sparse and the true factor can be higher, which is
# one reason to import a road network.
MODES: Final[dict[str, Mode]] = {
    # GB 50180-2018 (城市居住区规划设计标准) plans life circles with a walking speed of 60 m/min.
    "walk": Mode("walk", 60.0, 1.3, "walk"),
    # 0.8 m/s = 48 m/min: mean gait speed of women aged 65+ measured in the Health Survey for England
    # (men 0.9 m/s); Asher et al. 2012, "Most older pedestrians are unable to cross the road in time",
    # Age and Ageing 41(5): 690–694. We take the slower figure so a circle holds for most older people.
    "elderly_walk": Mode("elderly_walk", 48.0, 1.3, "walk"),
    # 12 km/h = 200 m/min: the low end of the 10–15 km/h usually assumed for everyday urban cycling,
    # as riders here include older people on tricycles and e-bikes are capped at 25 km/h (GB 17761).
    "bike": Mode("bike", 200.0, 1.3, "bike"),
    # 40 km/h ≈ 666.7 m/min straight-line average over a mix of urban streets (20–50 km/h) and rural
    # roads (40–70 km/h), including access and parking; the network model uses per-class speeds.
    "drive": Mode(
        "drive",
        40_000.0 / 60.0,
        1.4,
        "drive",
        speed_kmh_by_highway=URBAN_SPEED_KMH_BY_HIGHWAY,
        rural_speed_kmh_by_highway=RURAL_SPEED_KMH_BY_HIGHWAY,
    ),
}

# Default (mode, budget in minutes) per facility type. Neighbourhood services are reached on foot within
# the 15-minute life circle of GB 50180-2018; services meant for a whole village or township are reached
# by car in rural Ordos, where a 15-minute walk covers a fraction of a 嘎查. Nursing homes serve a whole
# banner, so 30 minutes by car. Settings: the UI and the CLI let the user change both.
TYPE_DEFAULTS: Final[dict[str, tuple[str, float]]] = {
    "community_station": ("walk", 15.0),
    "day_care": ("walk", 15.0),
    "canteen": ("walk", 15.0),
    "nursery": ("walk", 15.0),
    "children_home": ("walk", 15.0),
    "baby_station": ("walk", 15.0),
    "village_station": ("drive", 15.0),
    "regional_center": ("drive", 15.0),
    "demo_center": ("drive", 15.0),
    "nursing_home": ("drive", 30.0),
}
if set(TYPE_DEFAULTS) != set(FACILITY_TYPES):  # pragma: no cover - a programming error, caught on import
    raise RuntimeError("TYPE_DEFAULTS must name every facility type of geo.schema")


def get_mode(name: str) -> Mode:
    """The preset mode called ``name``.

    Raises
    ------
    DataError
        When ``name`` is not a preset; the message lists the presets.
    """
    try:
        return MODES[name]
    except KeyError:
        msg = f"未知出行方式 / unknown mode {name!r}; valid modes: {', '.join(MODES)}"
        raise DataError(msg) from None


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


def _metric_xy(lonlat: FloatArray) -> FloatArray:
    if len(lonlat) == 0:
        return np.empty((0, 2), dtype=np.float64)
    x_m, y_m = to_metric(lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([np.atleast_1d(x_m), np.atleast_1d(y_m)])


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
        # Query a hair beyond the radius (cKDTree's bound is strict), then apply the budget on minutes.
        radius_m = self.mode.reach_m(budget)
        dist_m, idx = cKDTree(origins).query(targets, k=1, distance_upper_bound=radius_m * (1 + 1e-9) + 1e-9)
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
        budget = check_budget(budget_min)
        origins = _metric_xy(as_lonlat(origins_lonlat, what="origins"))
        targets = _metric_xy(as_lonlat(targets_lonlat, what="targets"))
        shape = (len(origins), len(targets))
        if len(origins) == 0 or len(targets) == 0:
            return sp.csr_matrix(shape, dtype=np.float64)
        radius_m = self.mode.reach_m(budget)
        pairs = cKDTree(origins).sparse_distance_matrix(
            cKDTree(targets), max_distance=radius_m * (1 + 1e-9) + 1e-9, output_type="ndarray"
        )
        mins = self.minutes_for_m(pairs["v"])
        keep = mins <= budget
        data = np.maximum(mins[keep], OD_ZERO_MIN)
        matrix = sp.csr_matrix((data, (pairs["i"][keep], pairs["j"][keep])), shape=shape)
        matrix.sort_indices()
        return matrix

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
