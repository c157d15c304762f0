"""Road graphs from OpenStreetMap ways: the routing rules and the pure array builder.

Pipeline: a reader in :mod:`geo._osm` turns a user's ``.osm.pbf``, ``.osm`` or ``.graphml`` file into
:class:`geo._osm.RawWays`; the pure builder :func:`build_network` turns them into a
:class:`RoadNetwork` (CSR arrays). :mod:`geo.network_files` keeps networks on disk and
:mod:`geo.network_model` answers travel-time questions on them.

Road rules (all in :func:`way_access`, settings in module constants):

* Which ``highway`` classes each profile may use: :data:`HIGHWAY_CLASSES` and their default access.
  Walking and cycling never use ``motorway``/``motorway_link`` or ways tagged ``motorroad=yes``
  (expressways, 城市快速路, forbid pedestrians and bicycles); driving never uses footways, paths,
  steps, cycleways, pedestrian streets. ``access=no`` closes a way to all, ``access=private`` to cars
  only (gated residential compounds, 小区, are walked by their residents); ``foot``, ``bicycle``,
  ``motor_vehicle``/``motorcar`` override. ``area=yes`` ways (squares) are dropped.
* One-way streets bind driving only: ``oneway=yes|true|1`` (forward), ``-1|reverse`` (backward),
  ``junction=roundabout|circular`` and ``highway=motorway`` are one-way unless ``oneway=no``.
  Walking and cycling use every street both ways.
* Edge length: great-circle distance (sphere of radius 6,371,009 m, as osmnx) between consecutive
  nodes. Walking and cycling minutes = length ÷ the mode's ``speed_m_per_min``; driving minutes use
  the mode's speed for the road class (urban or rural table), capped by a tagged ``maxspeed``.
* Components: the builder keeps the largest *weakly* connected component of all usable roads; the
  travel model then keeps, for its profile, the largest *strongly* connected component (for walking
  and cycling, where every edge runs both ways, strong and weak are the same), so every snapped point
  can reach and be reached from every other.

The rules are applied once per distinct combination of routing tags (a city has a few hundred), not
once per way, so building stays an array computation however many ways a file holds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from geo._osm import RawWays
from geo.errors import DataError

if TYPE_CHECKING:
    from geo.travel import Mode

__all__ = [
    "BIKE",
    "DRIVE",
    "EARTH_RADIUS_M",
    "HIGHWAY_CLASSES",
    "PROFILE_BITS",
    "WALK",
    "NetworkInfo",
    "RoadNetwork",
    "build_network",
    "edge_minutes",
    "parse_maxspeed_kmh",
    "way_access",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
UInt8Array = npt.NDArray[np.uint8]

FORMAT_NAME: Final[str] = "carecircle-road-network"
FORMAT_VERSION: Final[int] = 1
EARTH_RADIUS_M: Final[float] = 6_371_009.0

WALK: Final[int] = 1
BIKE: Final[int] = 2
DRIVE: Final[int] = 4
PROFILE_BITS: Final[dict[str, int]] = {"walk": WALK, "bike": BIKE, "drive": DRIVE}
_ALL: Final[int] = WALK | BIKE | DRIVE

# highway class -> profiles allowed by default. The position in this tuple is the stored class code,
# so append new classes at the end only (the saved files record the tuple too).
_CLASS_ACCESS: Final[dict[str, int]] = {
    "motorway": DRIVE,
    "motorway_link": DRIVE,
    "trunk": _ALL,
    "trunk_link": _ALL,
    "primary": _ALL,
    "primary_link": _ALL,
    "secondary": _ALL,
    "secondary_link": _ALL,
    "tertiary": _ALL,
    "tertiary_link": _ALL,
    "unclassified": _ALL,
    "residential": _ALL,
    "living_street": _ALL,
    "service": _ALL,
    "road": _ALL,
    "track": _ALL,
    "pedestrian": WALK | BIKE,
    "footway": WALK,
    "path": WALK | BIKE,
    "steps": WALK,
    "cycleway": WALK | BIKE,
    "bridleway": WALK,
    "corridor": WALK,
}
HIGHWAY_CLASSES: Final[tuple[str, ...]] = tuple(_CLASS_ACCESS)
"""OSM ``highway`` values imported, in class-code order; ways of any other value are skipped."""
_CLASS_CODE: Final[dict[str, int]] = {name: i for i, name in enumerate(HIGHWAY_CLASSES)}
_DRIVE_CLASSES: Final[frozenset[str]] = frozenset(k for k, v in _CLASS_ACCESS.items() if v & DRIVE)

_NO: Final[frozenset[str]] = frozenset({"no"})
_NO_CARS: Final[frozenset[str]] = frozenset({"no", "private"})
_YES: Final[frozenset[str]] = frozenset({"yes", "designated", "permissive", "destination"})


# --------------------------------------------------------------------------------------------
# Tags


def way_access(tags: Mapping[str, str]) -> tuple[int, int, int]:
    """Interpret a way's OSM tags for routing.

    Parameters
    ----------
    tags : mapping
        The way's tags (``highway`` and any of ``oneway``, ``junction``, ``access``, ``foot``,
        ``bicycle``, ``motor_vehicle``, ``motorcar``, ``motorroad``, ``area``).

    Returns
    -------
    class_code : int
        Index into :data:`HIGHWAY_CLASSES`, or -1 when the way is not a road we route on.
    access : int
        Bit mask of the profiles that may use it (:data:`WALK`, :data:`BIKE`, :data:`DRIVE`).
    oneway : int
        1 one-way in the way's node order, -1 one-way against it, 0 both ways (drive only).
    """
    highway = tags.get("highway", "")
    code = _CLASS_CODE.get(highway, -1)
    if code < 0 or tags.get("area") == "yes":
        return -1, 0, 0
    mask = _CLASS_ACCESS[highway]
    access = tags.get("access")
    if access in _NO:
        mask = 0
    elif access == "private":
        mask &= ~DRIVE
    foot = tags.get("foot")
    if foot in _NO:
        mask &= ~WALK
    elif foot in _YES:
        mask |= WALK
    bicycle = tags.get("bicycle")
    if bicycle in _NO:
        mask &= ~BIKE
    elif bicycle in _YES:
        mask |= BIKE
    motor = tags.get("motor_vehicle", tags.get("motorcar"))
    if motor in _NO_CARS:
        mask &= ~DRIVE
    elif motor in _YES and highway in _DRIVE_CLASSES:
        mask |= DRIVE
    if tags.get("motorroad") == "yes":
        mask &= ~(WALK | BIKE)
    oneway_tag = tags.get("oneway", "").strip().lower()
    if oneway_tag in {"yes", "true", "1"}:
        oneway = 1
    elif oneway_tag in {"-1", "reverse"}:
        oneway = -1
    elif oneway_tag in {"no", "false", "0"}:
        oneway = 0
    elif tags.get("junction") in {"roundabout", "circular"} or highway == "motorway":
        oneway = 1  # implied one-way (OSM wiki: roundabouts and motorways)
    else:
        oneway = 0  # includes "reversible"/"alternating": open both ways at some time, as osmnx does
    return code, mask, oneway


_SPEED_RE: Final[re.Pattern[str]] = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$")


def parse_maxspeed_kmh(value: str | None) -> float:
    """An OSM ``maxspeed`` value in km/h, or NaN when absent or not numeric (e.g. ``"CN:urban"``).

    ``"50"``, ``"50 km/h"``, ``"30 mph"``; for ``"50;60"`` the first value.
    """
    if not value:
        return math.nan
    match = _SPEED_RE.match(value.split(";")[0])
    if match is None:
        return math.nan
    speed = float(match.group(1))
    unit = match.group(2)
    if unit == "mph":
        speed *= 1.609344
    elif unit == "knots":
        speed *= 1.852
    return speed if speed > 0 else math.nan


# --------------------------------------------------------------------------------------------
# The network


@dataclass(frozen=True)
class NetworkInfo:
    """Metadata of a saved road network.

    Attributes
    ----------
    name : str
        Display name (defaults to the source file's name).
    source_name : str
        File name of the imported OSM file.
    sha256 : str
        SHA-256 of the source file (hex); the network's key.
    created_at : str
        ISO 8601 UTC time of the import.
    n_nodes, n_edges : int
        Node count and directed edge count.
    bbox : tuple of float
        ``(west, south, east, north)`` in WGS84 degrees.
    path : pathlib.Path or None
        The ``.npz`` file, when saved.
    """

    name: str
    source_name: str
    sha256: str
    created_at: str
    n_nodes: int
    n_edges: int
    bbox: tuple[float, float, float, float]
    path: Path | None = None

    def to_json(self) -> dict[str, object]:
        """The metadata JSON (without the path)."""
        return {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "name": self.name,
            "source_name": self.source_name,
            "sha256": self.sha256,
            "created_at": self.created_at,
            "n_nodes": self.n_nodes,
            "n_edges": self.n_edges,
            "bbox": list(self.bbox),
            "highway_classes": list(HIGHWAY_CLASSES),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object], *, path: Path | None = None) -> NetworkInfo:
        """Metadata from its JSON form; :class:`DataError` when it is not a network of this format."""
        if data.get("format") != FORMAT_NAME or data.get("format_version") != FORMAT_VERSION:
            msg = (
                f"{path}: not a {FORMAT_NAME} v{FORMAT_VERSION} file "
                f"(format {data.get('format')!r} v{data.get('format_version')!r}); re-import the OSM file"
            )
            raise DataError(msg)
        bbox = tuple(float(v) for v in data["bbox"])  # type: ignore[attr-defined]
        return cls(
            name=str(data["name"]),
            source_name=str(data["source_name"]),
            sha256=str(data["sha256"]),
            created_at=str(data["created_at"]),
            n_nodes=int(data["n_nodes"]),  # type: ignore[call-overload]
            n_edges=int(data["n_edges"]),  # type: ignore[call-overload]
            bbox=(bbox[0], bbox[1], bbox[2], bbox[3]),
            path=path,
        )


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A directed road graph in CSR form with every profile's access on each edge.

    Edge ``e`` runs from node ``i`` to node ``indices[e]`` for ``indptr[i] <= e < indptr[i + 1]``.
    A two-way street is two edges; a one-way street is an edge in its direction open to every
    allowed profile plus, if walking or cycling may use it, a reverse edge without :data:`DRIVE`.

    Attributes
    ----------
    node_id : numpy.ndarray of int64
        OSM node ids (negative for vertices added from GraphML edge geometries).
    node_lon, node_lat : numpy.ndarray of float64
        WGS84 coordinates in degrees.
    indptr : numpy.ndarray of int64, shape (n_nodes + 1,)
    indices : numpy.ndarray of int32, shape (n_edges,)
        Head node of each edge.
    length_m : numpy.ndarray of float64
        Edge length in metres.
    highway_code : numpy.ndarray of uint8
        Index into :data:`HIGHWAY_CLASSES`.
    access : numpy.ndarray of uint8
        Bit mask of :data:`WALK`, :data:`BIKE`, :data:`DRIVE`.
    maxspeed_kmh : numpy.ndarray of float32
        Tagged speed limit, NaN when untagged.
    info : NetworkInfo
    """

    node_id: IntArray
    node_lon: FloatArray
    node_lat: FloatArray
    indptr: IntArray
    indices: Int32Array
    length_m: FloatArray
    highway_code: UInt8Array
    access: UInt8Array
    maxspeed_kmh: npt.NDArray[np.float32]
    info: NetworkInfo

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_id)

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return len(self.indices)

    def tails(self) -> IntArray:
        """Tail (source) node of every edge."""
        return np.repeat(np.arange(self.n_nodes, dtype=np.int64), np.diff(self.indptr))

    def __repr__(self) -> str:
        return f"RoadNetwork({self.info.name!r}, {self.n_nodes:,} nodes, {self.n_edges:,} edges)"


ARRAY_FIELDS: Final[tuple[str, ...]] = (
    "node_id",
    "node_lon",
    "node_lat",
    "indptr",
    "indices",
    "length_m",
    "highway_code",
    "access",
    "maxspeed_kmh",
)


def _haversine_m(lon1: FloatArray, lat1: FloatArray, lon2: FloatArray, lat2: FloatArray) -> FloatArray:
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi = phi2 - phi1
    dlmb = np.radians(lon2 - lon1)
    h = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def build_network(
    raw: RawWays,
    *,
    source_name: str,
    sha256: str,
    name: str | None = None,
    created_at: str | None = None,
) -> RoadNetwork:
    """Build a :class:`RoadNetwork` from raw ways and nodes (pure: no file access).

    Parameters
    ----------
    raw : geo._osm.RawWays
        Ways with their tags and the WGS84 coordinates of their nodes.
    source_name : str
        Name of the source file, kept in the metadata.
    sha256 : str
        SHA-256 of the source file (hex).
    name : str, optional
        Display name; the source name by default.
    created_at : str, optional
        ISO time stamp; now (UTC) by default.

    Returns
    -------
    RoadNetwork
        The largest weakly connected component of the usable roads (see the module docstring).

    Raises
    ------
    DataError
        If a way references a node without coordinates, or no usable road remains.
    """
    n_ways = raw.n_ways
    # The rules once per distinct tag combination, then spread to the ways by index.
    n_sets = len(raw.tag_sets)
    set_codes = np.empty(n_sets, dtype=np.int16)
    set_masks = np.empty(n_sets, dtype=np.uint8)
    set_dirs = np.empty(n_sets, dtype=np.int8)
    set_maxspeed = np.empty(n_sets, dtype=np.float32)
    for i, tags in enumerate(raw.tag_sets):
        set_codes[i], set_masks[i], set_dirs[i] = way_access(tags)
        set_maxspeed[i] = parse_maxspeed_kmh(tags.get("maxspeed"))
    codes, masks = set_codes[raw.way_tag_set], set_masks[raw.way_tag_set]
    dirs, maxspeed = set_dirs[raw.way_tag_set], set_maxspeed[raw.way_tag_set]

    way_len = np.diff(raw.way_indptr)
    way_of_pos = np.repeat(np.arange(n_ways, dtype=np.int64), way_len)
    pos = np.flatnonzero(way_of_pos[:-1] == way_of_pos[1:])
    way = way_of_pos[pos]
    keep = masks[way] != 0
    pos, way = pos[keep], way[keep]

    order = np.argsort(raw.node_id, kind="stable") if raw.way_node_index is None else np.empty(0, np.int64)
    sorted_ids = raw.node_id[order]

    def _index(ids: IntArray) -> IntArray:
        at = np.searchsorted(sorted_ids, ids)
        at_c = np.minimum(at, max(len(sorted_ids) - 1, 0))
        missing = (
            (at >= len(sorted_ids)) | (sorted_ids[at_c] != ids)
            if len(sorted_ids)
            else np.ones_like(ids, bool)
        )
        if missing.any():
            msg = f"way references node {int(ids[np.argmax(missing)])} that has no coordinates in the file"
            raise DataError(msg)
        return order[at_c].astype(np.int64)

    if raw.way_node_index is not None and len(raw.way_node_index) == len(raw.way_node_id):
        a, b = raw.way_node_index[pos], raw.way_node_index[pos + 1]
    else:
        a = _index(raw.way_node_id[pos])
        b = _index(raw.way_node_id[pos + 1])
    proper = a != b  # repeated node refs give zero-length self loops
    a, b, way = a[proper], b[proper], way[proper]
    seg_len = _haversine_m(raw.node_lon[a], raw.node_lat[a], raw.node_lon[b], raw.node_lat[b])

    m, d = masks[way], dirs[way]
    no_drive = np.uint8(~DRIVE & 0xFF)
    fwd_mask = np.where(d == -1, m & no_drive, m).astype(np.uint8)
    back_mask = np.where(d == 1, m & no_drive, m).astype(np.uint8)
    u = np.concatenate([a, b])
    v = np.concatenate([b, a])
    acc = np.concatenate([fwd_mask, back_mask])
    code = np.concatenate([codes[way], codes[way]]).astype(np.uint8)
    length = np.concatenate([seg_len, seg_len])
    speed = np.concatenate([maxspeed[way], maxspeed[way]])
    usable = acc != 0
    u, v, acc, code, length, speed = (
        u[usable],
        v[usable],
        acc[usable],
        code[usable],
        length[usable],
        speed[usable],
    )
    if len(u) == 0:
        msg = f"{source_name}: no usable roads (no way with a supported highway class); is this an OSM road file?"
        raise DataError(msg)

    # Compact the node set to the largest weakly connected component.
    # u and v index the raw node arrays: a mask and a running count renumber them without sorting.
    is_used = np.zeros(len(raw.node_id), dtype=bool)
    is_used[u] = True
    is_used[v] = True
    used = np.flatnonzero(is_used)
    renumber = np.cumsum(is_used) - 1
    uc, vc = renumber[u], renumber[v]
    graph = sp.csr_matrix((np.ones(len(uc), dtype=np.int8), (uc, vc)), shape=(len(used), len(used)))
    _, labels = connected_components(graph, directed=True, connection="weak")
    biggest = np.argmax(np.bincount(labels))
    node_keep = labels == biggest
    new_index = np.cumsum(node_keep) - 1
    e_keep = node_keep[uc]
    uc, vc = new_index[uc[e_keep]], new_index[vc[e_keep]]
    acc, code, length, speed = acc[e_keep], code[e_keep], length[e_keep], speed[e_keep]
    nodes = used[node_keep]

    # Drop exact duplicates (the same street read twice, e.g. both directions of a GraphML pair) and
    # order edges by tail then head.
    n = len(nodes)
    if n < 60_000_000:  # one int64 key per edge (tail, head, class, access) fits: two sort keys, not five
        key = ((uc.astype(np.int64) * n + vc) * 256 + code) * 8 + acc
        sort = np.lexsort((length, key))
    else:  # pragma: no cover - larger than any one region's network
        sort = np.lexsort((length, acc, code, vc, uc))
    uc, vc, acc, code, length, speed = uc[sort], vc[sort], acc[sort], code[sort], length[sort], speed[sort]
    first = np.ones(len(uc), dtype=bool)
    first[1:] = (uc[1:] != uc[:-1]) | (vc[1:] != vc[:-1]) | (acc[1:] != acc[:-1]) | (code[1:] != code[:-1])
    uc, vc, acc, code, length, speed = (
        uc[first],
        vc[first],
        acc[first],
        code[first],
        length[first],
        speed[first],
    )

    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(uc, minlength=n), out=indptr[1:])
    lon, lat = raw.node_lon[nodes], raw.node_lat[nodes]
    info = NetworkInfo(
        name=name or source_name,
        source_name=source_name,
        sha256=sha256,
        created_at=created_at or datetime.now(UTC).isoformat(timespec="microseconds"),
        n_nodes=n,
        n_edges=len(vc),
        bbox=(float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())),
    )
    return RoadNetwork(
        node_id=raw.node_id[nodes].astype(np.int64),
        node_lon=lon.astype(np.float64),
        node_lat=lat.astype(np.float64),
        indptr=indptr,
        indices=vc.astype(np.int32),
        length_m=length.astype(np.float64),
        highway_code=code,
        access=acc,
        maxspeed_kmh=speed.astype(np.float32),
        info=info,
    )


# --------------------------------------------------------------------------------------------
# Travel times


def _class_speed_kmh(table: Mapping[str, float], other: Mapping[str, float], highway: str) -> float:
    if highway in table:
        return float(table[highway])
    if highway in other:
        return float(other[highway])
    parent = highway.removesuffix("_link")
    if parent in table:
        return float(table[parent])
    if not table:
        msg = f"drive mode has no speed table (speed_kmh_by_highway) for road class {highway!r}"
        raise DataError(msg)
    return float(min(table.values()))  # unknown class: the slowest speed, a cautious guess


def edge_minutes(network: RoadNetwork, mode: Mode, *, rural: bool = False) -> FloatArray:
    """Travel minutes of every edge for a mode (whether the profile may use it or not).

    Walking and cycling: length ÷ ``mode.speed_m_per_min``. Driving: length ÷ the class speed from
    ``mode.speed_kmh_by_highway`` (``rural_speed_kmh_by_highway`` when ``rural``), capped by a
    tagged ``maxspeed``; classes missing from the table use the other table, then the parent class
    of a ``*_link``, then the table's slowest speed.
    """
    if mode.network_profile != "drive":
        return network.length_m / mode.speed_m_per_min
    table, other = (
        (mode.rural_speed_kmh_by_highway, mode.speed_kmh_by_highway)
        if rural
        else (mode.speed_kmh_by_highway, mode.rural_speed_kmh_by_highway)
    )
    class_kmh = np.array([_class_speed_kmh(table, other, hw) for hw in HIGHWAY_CLASSES], dtype=np.float64)
    kmh = class_kmh[network.highway_code]
    tagged = network.maxspeed_kmh.astype(np.float64)
    kmh = np.where(np.isfinite(tagged), np.minimum(kmh, tagged), kmh)
    return network.length_m / (kmh * 1000.0 / 60.0)
