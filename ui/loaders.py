"""Shared, read-only data of the published version and the computations made from it.

Everything heavy is built once per server process and data version and shared by every session: the
facility table, the published demand and township layers, district outlines, travel models, the
gazetteer, the provenance block, coverage results, isochrones and the prepared maps (``ui.mapbuild``). One :class:`Published` snapshot per
version lives in ``st.cache_resource``; what is made from it on demand is kept in the snapshot's
bounded memos, each built by one thread while others asking for the same thing wait for it.

Shared tables are handed out as shallow copies: with pandas' copy-on-write a page that changes its
copy changes only its own, never the shared table, and the copy costs microseconds
(``st.cache_data`` would pickle and unpickle the whole table on every call of every rerun).

The data version is read from the store at most every :data:`DATA_VERSION_TTL_S` seconds per process,
and at once after this process publishes or restores (:func:`data_published`), so a version published
elsewhere (the CLI, another server) shows within seconds and a rerun costs no database round trip.
``docs/serving.md`` has the whole picture and the measurements behind it.
"""

from __future__ import annotations

import copy
import gc
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import streamlit as st

from geo import coverage as cov
from geo import hexagons, maps
from geo import io as gio
from geo.classes import gap_indicator
from geo.demand_store import DemandLayers, load_layers, sample_version
from geo.geocode import Gazetteer, build_gazetteer
from geo.isochrones import isochrones
from geo.models import default_model
from geo.places import cell_places, township_centres
from geo.provenance import data_block as build_data_block
from geo.store import FacilityStore, database_url, network_dir, open_store
from geo.texts import text
from geo.travel import StraightLineModel, TravelModel, get_mode

DATA_VERSION_TTL_S: Final[float] = 2.0
"""Seconds a process trusts the data version it read last (a version published elsewhere shows within
this time plus one rerun; well inside the 10 s several servers must agree within)."""

T = TypeVar("T")
Frame = TypeVar("Frame", pd.DataFrame, gpd.GeoDataFrame)


class VersionClock:
    """A value read at most once every ``ttl_s`` seconds, shared by every thread of the process.

    Parameters
    ----------
    read
        Reads the current value (a database query).
    ttl_s
        How long a value read is trusted, in seconds.
    clock
        Monotonic time in seconds (a parameter so tests can move time).
    """

    def __init__(
        self, read: Callable[[], str], *, ttl_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._read = read
        self._ttl_s = float(ttl_s)
        self._clock = clock
        self._read_lock = threading.Lock()  # one query at a time
        self._state_lock = threading.Lock()  # never held during a query, so invalidate() never waits
        self._value: str | None = None
        self._read_at = -math.inf
        self._generation = 0
        self.reads = 0

    def get(self) -> str:
        """The value, read anew when the last read is older than ``ttl_s`` or was invalidated."""
        value = self._value
        if value is not None and self._clock() - self._read_at < self._ttl_s:
            return value
        with self._read_lock:
            if self._value is not None and self._clock() - self._read_at < self._ttl_s:
                return self._value
            generation, started = self._generation, self._clock()
            value = self._read()
            with self._state_lock:
                self.reads += 1
                self._value = value
                # A publish while the query ran may be missing from its answer: read again next time.
                self._read_at = started if generation == self._generation else -math.inf
            return value

    def invalidate(self) -> None:
        """Make the next :meth:`get` read the value (after this process changed it)."""
        with self._state_lock:
            self._generation += 1
            self._read_at = -math.inf


class Memo:
    """Values built on demand and kept, at most ``max_entries`` per kind (least recently used go first).

    Thread-safe: a value is built by one thread while others asking for the same key wait for it;
    different keys build in parallel. Values must be treated as read-only by whoever gets them.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tables: dict[str, OrderedDict[Hashable, Any]] = {}
        self._building: dict[tuple[str, Hashable], threading.Lock] = {}
        self.builds: dict[str, int] = {}

    def get(self, kind: str, key: Hashable, build: Callable[[], T], *, max_entries: int) -> T:
        """The value of ``(kind, key)``, built with ``build()`` the first time."""
        with self._lock:
            table = self._tables.setdefault(kind, OrderedDict())
            if key in table:
                table.move_to_end(key)
                return table[key]  # type: ignore[no-any-return]
            building = self._building.setdefault((kind, key), threading.Lock())
        with building:
            with self._lock:
                if key in table:  # built by another thread while this one waited
                    return table[key]  # type: ignore[no-any-return]
            try:
                value = build()
            finally:
                with self._lock:
                    self._building.pop((kind, key), None)
            with self._lock:
                table[key] = value
                self.builds[kind] = self.builds.get(kind, 0) + 1
                while len(table) > max_entries:
                    table.popitem(last=False)
            return value

    def clear(self) -> None:
        """Forget every value."""
        with self._lock:
            self._tables.clear()


@dataclass(frozen=True)
class Static:
    """Data shipped with the app (``datasets/``), the same for every published version."""

    districts: gpd.GeoDataFrame  # simplified for drawing
    district_names: pd.DataFrame  # adcode, name
    townships: pd.DataFrame  # the statistics list (code, name, adcode): names while none are imported
    modelled_townships: int  # how many township seats are modelled
    township_seats: pd.DataFrame | None  # code, lon, lat: where gaps are named from, if shipped


class Published:
    """What every session shares for one published data version: the facilities and a memo of
    everything made from them (see the module docstring).

    Parameters
    ----------
    version
        The key of :func:`data_version` (store URL, facility version, demand and township layers,
        road networks).
    facilities
        The published facilities of that version.
    layers
        The published demand and township layers (the modelled sample and seats until real ones
        are imported), or None when there is no demand at all.
    static
        The shipped reference data.
    """

    def __init__(
        self, version: str, facilities: pd.DataFrame, layers: DemandLayers | None, static: Static
    ) -> None:
        self.version = version
        self.facilities = facilities
        self.layers = layers
        self.static = static
        self.memo = Memo()

    @property
    def cells(self) -> pd.DataFrame | None:
        """Demand cells of the published layer with their townships, or None."""
        return self.layers.cells if self.layers is not None else None

    @property
    def townships(self) -> pd.DataFrame:
        """Township codes and names: imported boundaries' first, then the statistics list's."""
        return self.layers.townships if self.layers is not None else self.static.townships

    @property
    def network_key(self) -> str:
        """The road-network part of the version key."""
        return self.version.rpartition("|network=")[2]


@st.cache_resource(show_spinner=False)
def _store(url: str) -> FacilityStore:
    return open_store(url)


def store() -> FacilityStore:
    """The facility store of ``$DATABASE_URL`` (else ``data/carecircle.db``), created on first use."""
    return _store(database_url())


def _network_key() -> str:
    """Changes when a road network is imported or replaced (file names and modification times)."""
    folder = network_dir()
    if not folder.is_dir():
        return "none"
    return ";".join(f"{p.name}:{p.stat().st_mtime_ns}" for p in sorted(folder.iterdir())) or "none"


_CLOCKS: dict[str, VersionClock] = {}
_CLOCKS_LOCK = threading.Lock()


def _clock(url: str) -> VersionClock:
    # A module-level registry rather than st.cache_resource: this runs on every rerun, and a cache
    # lookup (argument hashing) costs more than the clock itself.
    found = _CLOCKS.get(url)
    if found is not None:
        return found
    with _CLOCKS_LOCK:
        if url not in _CLOCKS:
            facility_store = _store(url)

            def read() -> str:
                # Facilities (number and publish time), demand and township layers, road networks.
                return f"{facility_store.data_version()}|network={_network_key()}"

            _CLOCKS[url] = VersionClock(read, ttl_s=DATA_VERSION_TTL_S)
        return _CLOCKS[url]


def data_version() -> str:
    """The cache key of the published data and the road network (changes with every publish, restore
    or network import), so cached tables, models and maps never outlive what they were made from.

    Read from the store at most every :data:`DATA_VERSION_TTL_S` seconds per process."""
    return _clock(database_url()).get()


_VERSION_RE: Final = re.compile(r"#v(\d+)@")


def version_number(version: str) -> int | None:
    """The published version number in a key of :func:`data_version` (None for an empty store)."""
    match = _VERSION_RE.search(version)
    return int(match.group(1)) if match else None


@st.cache_resource(show_spinner=False)
def _static() -> Static:
    full = gio.read_districts()
    return Static(
        districts=maps.display_districts(full),
        district_names=full[["adcode", "name"]].copy(),
        townships=gio.read_townships(),
        modelled_townships=len(gio.read_modelled_townships()),
        township_seats=gio.read_township_seats(),
    )


def _load_layers() -> DemandLayers | None:
    try:
        return load_layers(store().engine)
    except FileNotFoundError:  # no demand imported and the shipped sample missing
        return None


@st.cache_resource(show_spinner=False, max_entries=2)
def _published(version: str) -> Published:
    # Read after the key, so the snapshot is never older than its key says (at worst newer, and the
    # next read of the key then names it).
    return Published(version, store().facilities(version_number(version)), _load_layers(), _static())


_current: tuple[str, Published] | None = None
_heap_frozen = False


def _freeze_long_lived_heap() -> None:
    """Once per server process: keep what is loaded for good out of the garbage collector's passes.

    The imported libraries and the shared data are some 180,000 objects that live as long as the
    process; a full collection walks all of them, which took 0.3–0.8 s of CPU here, at unpredictable
    reruns. After the first snapshot they are moved to the permanent generation (``gc.freeze``), so a
    full collection looks only at what sessions create. Not in tests (no server runtime).
    """
    global _heap_frozen
    if _heap_frozen or not st.runtime.exists():
        return
    _heap_frozen = True
    gc.collect()
    gc.freeze()


def published_at(version: str) -> Published:
    """The shared snapshot of ``version`` (a key of :func:`data_version`)."""
    global _current
    last = _current
    if last is not None and last[0] == version:
        return last[1]  # the rerun's usual case: no cache lookup at all
    snapshot = _published(version=version)
    _current = (version, snapshot)
    _freeze_long_lived_heap()
    return snapshot


def published() -> Published:
    """The shared snapshot of the newest published version."""
    return published_at(data_version())


def _view(frame: Frame) -> Frame:
    """A copy-on-write view of a shared table: changes to it never reach the shared one."""
    return frame.copy(deep=False)


def facilities_at(version: str) -> pd.DataFrame:
    """The facilities of the published ``version`` (a key from :func:`data_version`)."""
    return _view(published_at(version).facilities)


def facilities() -> tuple[str, pd.DataFrame]:
    """``(data version, facilities of the newest version)``."""
    snapshot = published()
    return snapshot.version, _view(snapshot.facilities)


def facilities_of_types(version: str, types: tuple[str, ...]) -> pd.DataFrame:
    """The facilities of ``version`` whose type is one of ``types`` (any status), in store order."""
    snapshot = published_at(version)

    def build() -> pd.DataFrame:
        return snapshot.facilities[snapshot.facilities["type"].isin(types)].copy()

    return _view(snapshot.memo.get("facilities_of_types", tuple(types), build, max_entries=64))


def open_facilities(version: str, types: tuple[str, ...]) -> pd.DataFrame:
    """The open facilities of ``types`` in ``version`` (:func:`geo.coverage.select_facilities`), picked
    once per version and types and shared."""
    return _view(_open_facilities(published_at(version), types))


def _open_facilities(snapshot: Published, types: tuple[str, ...]) -> pd.DataFrame:
    def build() -> pd.DataFrame:
        return cov.select_facilities(snapshot.facilities, list(types))

    return snapshot.memo.get("open_facilities", tuple(types), build, max_entries=64)


def districts() -> gpd.GeoDataFrame:
    """District outlines simplified for drawing (adcode, name, name_en, geometry)."""
    return _view(published().static.districts)


def layers() -> DemandLayers | None:
    """The published demand and township layers (the modelled sample and seats until real ones are
    imported), or None when there is no demand at all. Shared: treat as read-only."""
    return published().layers


def boundaries(version: str | None = None) -> gpd.GeoDataFrame | None:
    """Imported township polygons (``code, name, adcode, area_km2, geometry``) of ``version`` (a key
    of :func:`data_version`; default: the newest), or None."""
    current = (published() if version is None else published_at(version)).layers
    return _view(current.boundaries) if current is not None and current.boundaries is not None else None


def townships() -> pd.DataFrame:
    """Township codes and names (``code, name, adcode``): imported boundaries' first, then the
    statistics list's."""
    return _view(published().townships)


def cells() -> pd.DataFrame | None:
    """Demand cells of the published layer with their townships, or None when there is none."""
    demand = published().cells
    return None if demand is None else _view(demand)


def data_block() -> dict[str, Any]:
    """What each layer is and whether it is modelled (:func:`geo.provenance.data_block`)."""
    snapshot = published()

    def build() -> dict[str, Any]:
        number = version_number(snapshot.version)
        current = snapshot.layers
        return build_data_block(
            facilities_info=store().version_info(number) if number is not None else None,
            facilities=snapshot.facilities,
            demand_info=current.demand if current is not None else sample_version(),
            boundary_info=current.boundary if current is not None else None,
            model=_model_of(snapshot, "walk").describe(),
            modelled_townships=snapshot.static.modelled_townships,
        )

    return copy.deepcopy(snapshot.memo.get("data_block", None, build, max_entries=1))


@st.cache_resource(show_spinner=False, max_entries=8)
def _travel_model(mode: str, network_key: str) -> TravelModel:
    return default_model(get_mode(mode), network_dir=network_dir())


def _model_of(snapshot: Published, mode: str) -> TravelModel:
    # Models depend on the road network only, so a new facility version reuses the loaded network.
    def build() -> TravelModel:
        return _travel_model(mode=mode, network_key=snapshot.network_key)

    return snapshot.memo.get("travel_model", mode, build, max_entries=8)


def travel_model(mode: str) -> TravelModel:
    """The travel model for a mode preset: the road network when one is imported, else straight line."""
    return _model_of(published(), mode)


def gazetteer(version: str) -> Gazetteer:
    """The offline gazetteer including the facilities of ``version`` (shared; read-only)."""
    snapshot = published_at(version)

    def build() -> Gazetteer:
        return build_gazetteer(snapshot.facilities, cells=snapshot.cells)

    return snapshot.memo.get("gazetteer", None, build, max_entries=1)


DRAWING_TOLERANCE_M: Final[float] = 10.0
"""How far a drawn straight-line isochrone may stray from the true circle (the map then simplifies
areas to about 30 m anyway)."""


def drawing_quad_segs(model: StraightLineModel, largest_budget_min: float) -> int:
    """Segments per quarter circle that keep a drawn straight-line isochrone of ``largest_budget_min``
    within :data:`DRAWING_TOLERANCE_M` of the true circle (2 to 32)."""
    radius_m = model.mode.reach_m(largest_budget_min)
    ratio = max(0.0, 1.0 - DRAWING_TOLERANCE_M / radius_m) if radius_m > 0 else 0.0
    return int(np.clip(math.ceil(math.pi / (4.0 * math.acos(ratio))), 2, 32))


class _CirclesForDrawing:
    """The straight-line model drawing its circles with as few segments as :data:`DRAWING_TOLERANCE_M`
    allows: a 15-minute walk needs 5 per quarter circle instead of 32, which makes the union of
    hundreds of circles several times cheaper with no visible difference."""

    def __init__(self, model: StraightLineModel, largest_budget_min: float) -> None:
        self.name = model.name
        self.mode = model.mode
        self._model = model
        self.quad_segs = drawing_quad_segs(model, largest_budget_min)

    def isochrones(self, origins_lonlat: np.ndarray, *, budgets_min: Sequence[float]) -> list[Any]:
        return self._model.isochrones(origins_lonlat, budgets_min=budgets_min, quad_segs=self.quad_segs)


def isochrone_bands(
    version: str, points: tuple[tuple[float, float], ...], mode: str, budgets_min: tuple[float, ...]
) -> gpd.GeoDataFrame:
    """Isochrones of a set of WGS84 points (facilities or a resident's home), for drawing."""
    snapshot = published_at(version)

    def build() -> gpd.GeoDataFrame:
        origins = np.asarray(points, dtype=float).reshape(-1, 2)
        model: Any = _model_of(snapshot, mode)
        if isinstance(model, StraightLineModel) and budgets_min:
            model = _CirclesForDrawing(model, max(budgets_min))
        return isochrones(model, origins, budgets_min=budgets_min)

    key = (tuple(points), mode, tuple(budgets_min))
    return _view(snapshot.memo.get("isochrones", key, build, max_entries=256))


def reach_area(version: str, home_lonlat: tuple[float, float], mode: str, minutes: float) -> Any:
    """The area (WGS84 polygon) reachable from one point within ``minutes`` by ``mode``."""
    snapshot = published_at(version)

    def build() -> Any:
        origin = np.asarray(home_lonlat, dtype=float).reshape(1, 2)
        area = _model_of(snapshot, mode).isochrones(origin, budgets_min=[float(minutes)])[0]
        return area if area.is_valid else shapely.make_valid(area)

    key = (tuple(home_lonlat), mode, float(minutes))
    return snapshot.memo.get("reach", key, build, max_entries=256)


def _area_keys(snapshot: Published, cells: pd.DataFrame, by: cov.AreaGrain) -> cov.AreaKeys:
    """The rows of the area tables of ``snapshot``'s ``cells`` (they do not change with the controls)."""

    def build() -> cov.AreaKeys:
        names = snapshot.static.district_names if by == "district" else snapshot.townships
        return cov.area_keys(cells, by=by, names=names)

    return snapshot.memo.get("area_keys", by, build, max_entries=2)


def _facility_townships(snapshot: Published, cells: pd.DataFrame, types: tuple[str, ...]) -> pd.Series:
    """The township of each open facility of ``types`` (:func:`geo.coverage.facility_townships`)."""

    def build() -> pd.Series:
        fac = _open_facilities(snapshot, types)
        return cov.facility_townships(fac, cells, townships=snapshot.townships)

    return snapshot.memo.get("facility_townships", tuple(types), build, max_entries=64)


def _bundle(
    snapshot: Published, types: tuple[str, ...], mode: str, budget_min: float, target: str
) -> dict[str, Any]:
    def build() -> dict[str, Any]:
        demand = snapshot.cells
        if demand is None:
            msg = "no demand cells"
            raise FileNotFoundError(msg)
        kinds = list(types)
        # The open facilities of the types, once (each step below would select them again from all).
        fac = _open_facilities(snapshot, types)
        model = _model_of(snapshot, mode)
        tiers = tuple(sorted({round(budget_min / 3, 6), round(2 * budget_min / 3, 6), budget_min}))
        access = cov.cell_access(demand, fac, model, types=kinds, budget_min=budget_min, tiers_min=tiers)
        fca = cov.two_step_fca(demand, fac, model, types=kinds, budget_min=budget_min, demand_col=target)
        names = snapshot.static.district_names
        towns = snapshot.townships
        by_district = cov.area_table(
            demand,
            access,
            fac,
            by="district",
            types=kinds,
            names=names,
            fca=fca,
            keys=_area_keys(snapshot, demand, "district"),
        )
        by_township = cov.area_table(
            demand,
            access,
            fac,
            by="township",
            types=kinds,
            names=towns,
            fca=fca,
            keys=_area_keys(snapshot, demand, "township"),
            facility_codes=_facility_townships(snapshot, demand, types),
        )
        gaps = cov.gap_list(demand, access, target=target, top=50, districts=names, townships=towns)
        uncovered = pd.DataFrame(
            {
                "cell_id": demand["cell_id"],
                "adcode": demand["adcode"],
                "uncovered": np.where(access["covered"].to_numpy(bool), 0, demand[target].to_numpy()),
            }
        )
        return {
            "key": (snapshot.version, tuple(types), mode, float(budget_min), target),
            "access": access,
            "districts": by_district,
            "townships": by_township,
            "totals": cov.area_totals(by_district, fca_target=target),
            "gaps": gaps,
            "uncovered": uncovered,
            "model": model.describe(),
        }

    key = (tuple(types), mode, float(budget_min), target)
    return snapshot.memo.get("coverage", key, build, max_entries=32)


def coverage_bundle(
    version: str, types: tuple[str, ...], mode: str, budget_min: float, target: str
) -> dict[str, Any]:
    """Everything the coverage page shows for one set of controls (computed once, shared).

    Returns
    -------
    dict
        ``access`` (per cell), ``districts`` and ``townships`` (area tables with 2SFCA columns),
        ``totals`` (city row), ``gaps`` (top 50 uncovered cells), ``uncovered`` (cell_id and uncovered
        target people), ``model`` (``describe()`` of the travel model), ``key`` (version and controls,
        for what is made from the bundle). Tables are copy-on-write views and the dicts copies, so a
        page may change what it gets.
    """
    shared = _bundle(published_at(version), types, mode, budget_min, target)
    return {
        key: _view(value)
        if isinstance(value, pd.DataFrame)
        else dict(value)
        if isinstance(value, dict)
        else value
        for key, value in shared.items()
    }


def uncovered_hexagons(
    version: str,
    types: tuple[str, ...],
    mode: str,
    budget_min: float,
    target: str,
    district: int,
    basemap: str,
    lang: str,
) -> list[hexagons.HexClass]:
    """Hexagons of the uncovered target people (optionally of one district) in fixed classes, named
    by township and settlement in ``lang``.

    Shared between sessions: draw them, do not change them."""
    snapshot = published_at(version)

    def build() -> tuple[hexagons.HexClass, ...]:
        uncovered = _bundle(snapshot, types, mode, budget_min, target)["uncovered"]
        if district:
            uncovered = uncovered.loc[uncovered["adcode"] == district]
        uncovered = uncovered.loc[uncovered["uncovered"] > 0]
        named = snapshot.cells is not None and not uncovered.empty
        if named:
            # Coarsen first (a drawn hexagon is named after its cell with the most people), then name
            # only the hexagons drawn, from the names kept for this version.
            uncovered = hexagons.coarsen_cells(
                uncovered.assign(place=uncovered["cell_id"]),
                value_col="uncovered",
                max_cells=hexagons.MAX_HEXAGONS,
                label_col="place",
            )
            uncovered["place"] = cell_names(snapshot, uncovered["place"].tolist(), lang)
        return tuple(
            hexagons.hexagon_classes(
                uncovered,
                value_col="uncovered",
                indicator=gap_indicator(target),
                basemap=basemap,
                density_unit=text("density_unit", lang),
                max_cells=None if named else hexagons.MAX_HEXAGONS,  # None: coarsened above
                label_col="place" if named else None,
                tooltip=text("hex_tip", lang, place="{place}", people="{people}", density="{density}"),
                kept=snapshot.memo.get("hexagon_shapes", basemap, dict, max_entries=4),
            )
        )

    key = (tuple(types), mode, float(budget_min), target, district, basemap, lang)
    return list(snapshot.memo.get("hexagons", key, build, max_entries=32))


def cell_names(snapshot: Published, cell_ids: Sequence[str], lang: str) -> list[str]:
    """Place names (:func:`geo.places.cell_places`) of demand cells of ``snapshot`` in ``lang``.

    A cell's name does not depend on the controls, so each is made once per version and language and
    kept for every session and combination; only cells not named before are named here.
    """
    known: dict[str, str] = snapshot.memo.get("cell_names", lang, dict, max_entries=2)
    missing = [c for c in dict.fromkeys(cell_ids) if c not in known]
    if missing:
        chosen = _cells_by_id(snapshot).loc[missing].reset_index()
        names = cell_places(
            chosen,
            lang=lang,
            townships=snapshot.townships,
            centres=_township_centres(snapshot),
            districts=snapshot.static.districts,
        )
        # Sessions naming the same cells at once write the same names: no lock needed.
        known.update(zip(missing, names.tolist(), strict=True))
    return [known[c] for c in cell_ids]


def place_names(version: str, cell_ids: Sequence[str], lang: str) -> list[str]:
    """Place names of demand cells of data ``version`` in ``lang`` (:func:`cell_names`, shared)."""
    return cell_names(published_at(version), cell_ids, lang)


def _cells_by_id(snapshot: Published) -> pd.DataFrame:
    """The demand cells indexed by ``cell_id`` (one row per cell), once per version."""

    def build() -> pd.DataFrame:
        cells = snapshot.cells if snapshot.cells is not None else pd.DataFrame({"cell_id": []})
        indexed = cells.set_index("cell_id")
        return indexed.loc[~indexed.index.duplicated()]

    return snapshot.memo.get("cells_by_id", None, build, max_entries=1)


def _township_centres(snapshot: Published) -> pd.DataFrame:
    """Where each township's settlements are named from (its seat, else its cells' centre), once per
    version."""

    def build() -> pd.DataFrame:
        current = snapshot.layers
        if current is None or current.cells is None:
            return pd.DataFrame()
        return township_centres(current.cells, snapshot.static.township_seats, polygons=current.boundaries)

    return snapshot.memo.get("township_centres", None, build, max_entries=1)


def township_centres_now() -> pd.DataFrame:
    """:func:`geo.places.township_centres` of the newest version (shared; read-only)."""
    return _township_centres(published())


def township_seats() -> pd.DataFrame | None:
    """Township seats (``code, lon, lat``) for naming gaps by their bearing from the seat, if shipped."""
    seats = published().static.township_seats
    return None if seats is None else _view(seats)


def memo_of(version: str) -> Memo:
    """The shared memo of data ``version`` (thread-safe: a job in another thread may fill it)."""
    return published_at(version).memo


def shared(kind: str, version: str, key: Hashable, build: Callable[[], T], *, max_entries: int) -> T:
    """A value made from the data of ``version`` by ``build()``, kept and shared by all sessions
    (e.g. the prepared maps of ``ui.mapbuild``). Treat it as read-only."""
    return memo_of(version).get(kind, key, build, max_entries=max_entries)


def data_published() -> None:
    """After this process published or restored a version: read the version at once on the next
    rerun and drop what was made for older versions (other servers notice within
    :data:`DATA_VERSION_TTL_S`)."""
    global _current
    _clock(database_url()).invalidate()
    _current = None
    _published.clear()
