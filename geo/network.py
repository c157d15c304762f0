"""Road networks from OpenStreetMap as compact arrays, and the network travel-time model.

Pipeline: a reader in :mod:`geo._osm` turns a user's ``.osm.pbf``, ``.osm`` or ``.graphml`` file into
raw ways; the pure builder :func:`build_network` turns them into a :class:`RoadNetwork` (CSR arrays);
:func:`save_network` / :func:`load_network` keep it as an uncompressed ``.npz`` (no pickle) plus a
metadata JSON, keyed by the SHA-256 of the source file; :class:`NetworkTravelModel` answers the
:class:`geo.travel.TravelModel` questions on it with scipy's multi-source Dijkstra.

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
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import shapely
from pyproj import Transformer
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from geo._osm import RawWays, read_road_file
from geo.crs import ORDOS_BOUNDS, from_metric, to_metric
from geo.errors import CareCircleWarning, DataError
from geo.travel import OD_ZERO_MIN, Mode, NearestResult, as_lonlat, check_budget

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

__all__ = [
    "BIKE",
    "DEFAULT_NETWORK_DIR",
    "DRIVE",
    "HIGHWAY_CLASSES",
    "ISOCHRONE_BUFFER_M",
    "WALK",
    "NetworkInfo",
    "NetworkTravelModel",
    "RoadNetwork",
    "build_network",
    "edge_minutes",
    "file_sha256",
    "import_network",
    "latest_network",
    "list_networks",
    "load_network",
    "parse_maxspeed_kmh",
    "save_network",
    "way_access",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
UInt8Array = npt.NDArray[np.uint8]
BoolArray = npt.NDArray[np.bool_]

DEFAULT_NETWORK_DIR: Final[Path] = Path("data/networks")
"""Where ``python -m geo network import`` saves networks unless told otherwise (next to the database)."""

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

ISOCHRONE_BUFFER_M: Final[dict[str, float]] = {"walk": 50.0, "bike": 75.0, "drive": 100.0}
"""Half-width in metres of the band drawn around reached streets in isochrones, per profile: about a
city block's frontage on foot (buildings along a street are reached from it) and the wider setbacks
along arterial and rural roads by car."""

SNAP_SAMPLE_SPACING_M: Final[float] = 40.0  # spacing of the snapping index's sample points
SNAP_CANDIDATES: Final[int] = 8  # sample points checked first (then 4×, then an STRtree) per snapped point
NESTING_EPS_DEG: Final[float] = 1e-8  # ~1 mm: how far an isochrone may be grown to contain the smaller ones
_OD_CELLS_PER_CHUNK: Final[int] = 5_000_000  # dense cells per od_matrix chunk (40 MB per array)


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


_ARRAYS: Final[tuple[str, ...]] = (
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
    codes = np.empty(n_ways, dtype=np.int16)
    masks = np.empty(n_ways, dtype=np.uint8)
    dirs = np.empty(n_ways, dtype=np.int8)
    maxspeed = np.empty(n_ways, dtype=np.float32)
    for i, tags in enumerate(raw.way_tags):
        codes[i], masks[i], dirs[i] = way_access(tags)
        maxspeed[i] = parse_maxspeed_kmh(tags.get("maxspeed"))

    way_len = np.diff(raw.way_indptr)
    way_of_pos = np.repeat(np.arange(n_ways, dtype=np.int64), way_len)
    pos = np.flatnonzero(way_of_pos[:-1] == way_of_pos[1:])
    way = way_of_pos[pos]
    keep = masks[way] != 0
    pos, way = pos[keep], way[keep]

    order = np.argsort(raw.node_id, kind="stable")
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
    used, inverse = np.unique(np.concatenate([u, v]), return_inverse=True)
    uc, vc = inverse[: len(u)], inverse[len(u) :]
    graph = sp.csr_matrix((np.ones(len(uc)), (uc, vc)), shape=(len(used), len(used)))
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

    n = len(nodes)
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
# Files


def file_sha256(path: str | Path) -> str:
    """SHA-256 (hex) of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_network(network: RoadNetwork, directory: str | Path = DEFAULT_NETWORK_DIR) -> Path:
    """Save a network as ``<sha256>.npz`` (arrays, no pickle) and ``<sha256>.json`` (metadata).

    Parameters
    ----------
    network : RoadNetwork
    directory : str or pathlib.Path
        Folder for network files, created if missing.

    Returns
    -------
    pathlib.Path
        The ``.npz`` file.
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{network.info.sha256}.npz"
    meta = json.dumps(network.info.to_json(), ensure_ascii=False)
    arrays = {key: getattr(network, key) for key in _ARRAYS}
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, meta_json=np.array(meta), **arrays)
    tmp.replace(path)
    path.with_suffix(".json").write_text(meta + "\n", encoding="utf-8")
    return path


def load_network(path: str | Path) -> RoadNetwork:
    """Load a network saved by :func:`save_network`.

    Raises
    ------
    DataError
        If the file is missing, not a network file, or its arrays are inconsistent.
    """
    p = Path(path)
    if not p.is_file():
        msg = f"road network file not found: {p}"
        raise DataError(msg)
    try:
        with np.load(p, allow_pickle=False) as data:
            info = NetworkInfo.from_json(json.loads(str(data["meta_json"])), path=p)
            arrays = {key: data[key] for key in _ARRAYS}
    except (OSError, ValueError, KeyError) as exc:
        if isinstance(exc, DataError):
            raise
        msg = f"{p}: not a readable road network file ({exc}); re-import the OSM file"
        raise DataError(msg) from exc
    n = len(arrays["node_id"])
    if len(arrays["indptr"]) != n + 1 or int(arrays["indptr"][-1]) != len(arrays["indices"]):
        msg = f"{p}: inconsistent CSR arrays; re-import the OSM file"
        raise DataError(msg)
    return RoadNetwork(**arrays, info=info)


def list_networks(directory: str | Path = DEFAULT_NETWORK_DIR) -> list[NetworkInfo]:
    """Metadata of the networks saved in ``directory``, newest first (empty if none)."""
    folder = Path(directory)
    if not folder.is_dir():
        return []
    infos = []
    for meta_path in folder.glob("*.json"):
        npz = meta_path.with_suffix(".npz")
        if not npz.is_file():
            continue
        try:
            infos.append(NetworkInfo.from_json(json.loads(meta_path.read_text(encoding="utf-8")), path=npz))
        except (ValueError, KeyError, TypeError):
            continue  # not ours or from an older format: list_networks only lists what loads
    infos.sort(key=lambda info: info.created_at, reverse=True)
    return infos


def latest_network(directory: str | Path = DEFAULT_NETWORK_DIR) -> RoadNetwork | None:
    """The most recently imported network in ``directory``, or ``None`` when there is none."""
    infos = list_networks(directory)
    if not infos or infos[0].path is None:
        return None
    return load_network(infos[0].path)


def import_network(
    path: str | Path, *, directory: str | Path = DEFAULT_NETWORK_DIR, name: str | None = None
) -> tuple[RoadNetwork, Path]:
    """Read an OSM road file, build its network and save it.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.osm.pbf``, ``.osm`` (XML) or ``.graphml`` file.
    directory : str or pathlib.Path
        Folder for network files.
    name : str, optional
        Display name (default: the file name).

    Returns
    -------
    network : RoadNetwork
    saved : pathlib.Path
        The ``.npz`` file written.

    Raises
    ------
    DataError
        If the file is missing, unsupported, unreadable or holds no roads.
    """
    source = Path(path)
    raw = read_road_file(source)
    network = build_network(raw, source_name=source.name, sha256=file_sha256(source), name=name)
    saved = save_network(network, directory)
    return load_network(saved), saved


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


def _partial(frac: FloatArray, minutes: FloatArray) -> FloatArray:
    """``frac × minutes`` where the direction is open; 0 at ``frac == 0`` even when it is not."""
    with np.errstate(invalid="ignore"):
        out = frac * minutes
    return np.where(np.isfinite(minutes), out, np.where(frac == 0, 0.0, np.inf))


def _local_projection(lon0: float, lat0: float) -> tuple[Callable[..., tuple], Callable[..., tuple]]:
    fwd = Transformer.from_crs(
        "EPSG:4326", f"+proj=tmerc +lon_0={lon0} +lat_0={lat0} +ellps=WGS84 +units=m", always_xy=True
    )
    inv = Transformer.from_crs(
        f"+proj=tmerc +lon_0={lon0} +lat_0={lat0} +ellps=WGS84 +units=m", "EPSG:4326", always_xy=True
    )
    return fwd.transform, inv.transform


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

    Notes
    -----
    The metric CRS is :data:`geo.crs.ORDOS_METRIC_CRS` for networks centred in Ordos; elsewhere (the
    test extracts) a transverse Mercator centred on the network, so snap distances stay true.
    """

    name: str = "network"

    def __init__(
        self, network: RoadNetwork, mode: Mode, *, max_snap_m: float = 500.0, rural: bool = False
    ) -> None:
        if not (math.isfinite(max_snap_m) and max_snap_m > 0):
            msg = f"max_snap_m must be a positive number of metres, got {max_snap_m!r}"
            raise DataError(msg)
        if mode.network_profile not in PROFILE_BITS:
            msg = f"mode {mode.name!r} has unknown network_profile {mode.network_profile!r}"
            raise DataError(msg)
        self.network = network
        self.mode = mode
        self.max_snap_m = float(max_snap_m)
        self.rural = rural
        self.buffer_m = ISOCHRONE_BUFFER_M[mode.network_profile]
        n = network.n_nodes
        self._n = n

        bit = PROFILE_BITS[mode.network_profile]
        usable = (network.access & bit) != 0
        u = network.tails()[usable]
        v = network.indices[usable].astype(np.int64)
        w = edge_minutes(network, mode, rural=rural)[usable]
        if len(u) == 0:
            msg = f"network {network.info.name!r} has no road usable by {mode.network_profile}"
            raise DataError(msg)
        # Largest strongly connected component of this profile's graph.
        g = sp.csr_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
        _, labels = connected_components(g, directed=True, connection="strong")
        touched = np.zeros(n, dtype=bool)
        touched[u] = True
        touched[v] = True
        counts = np.bincount(labels[touched], minlength=labels.max() + 1)
        in_lcc = labels == np.argmax(counts)
        keep = in_lcc[u] & in_lcc[v]
        u, v, w = u[keep], v[keep], w[keep]
        # Keep the fastest of parallel edges. build_network stores edges sorted by (tail, head).
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
        self.n_component_nodes = int(in_lcc.sum())

        # Undirected segments with the minutes in each direction (inf where closed).
        lo, hi = np.minimum(u, v), np.maximum(u, v)
        keys, inv = np.unique(lo * n + hi, return_inverse=True)
        self._seg_a = keys // n
        self._seg_b = keys % n
        self._w_fwd = np.full(len(keys), np.inf)
        self._w_back = np.full(len(keys), np.inf)
        is_fwd = u < v
        np.minimum.at(self._w_fwd, inv[is_fwd], w[is_fwd])
        np.minimum.at(self._w_back, inv[~is_fwd], w[~is_fwd])

        # Metric coordinates and the segment index.
        lon0 = 0.5 * (network.info.bbox[0] + network.info.bbox[2])
        lat0 = 0.5 * (network.info.bbox[1] + network.info.bbox[3])
        west, south, east, north = ORDOS_BOUNDS
        if west <= lon0 <= east and south <= lat0 <= north:
            self._fwd, self._inv = to_metric, from_metric
        else:
            self._fwd, self._inv = _local_projection(lon0, lat0)
        x, y = self._fwd(network.node_lon, network.node_lat)
        self._xy = np.column_stack([np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)])
        # Snapping index: a KD-tree over points every SNAP_SAMPLE_SPACING_M along each segment finds
        # candidate segments (exactly: see `snap`); the STRtree over the segments is built only if a
        # point needs the slow path.
        pa, pb = self._xy[self._seg_a], self._xy[self._seg_b]
        seg_len_m = np.hypot(*(pb - pa).T)
        n_int = np.maximum(1, np.ceil(seg_len_m / SNAP_SAMPLE_SPACING_M)).astype(np.int64)
        # Samples at the centres of n_int equal pieces: every point of a segment is within half a
        # spacing of one of its samples, and shared end nodes are not sampled once per segment.
        sample_seg = np.repeat(np.arange(len(n_int)), n_int)
        start = np.cumsum(n_int) - n_int
        step = (np.arange(len(sample_seg)) - start[sample_seg] + 0.5) / n_int[sample_seg]
        self._sample_seg = sample_seg
        # An unbalanced tree builds 3× faster and queries about as fast on street samples.
        self._sample_tree = cKDTree(
            pa[sample_seg] + (pb - pa)[sample_seg] * step[:, None], balanced_tree=False, compact_nodes=False
        )
        self._strtree: shapely.STRtree | None = None

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
        pts = as_lonlat(points_lonlat, what="points")
        xy = self._metric(pts)
        m = len(xy)
        seg = np.full(m, -1, dtype=np.int64)
        frac = np.zeros(m)
        dist = np.full(m, np.inf)
        if m == 0:
            return seg, frac, dist
        seg, dist = self._nearest_segments(xy)
        pa, pb = self._xy[self._seg_a[seg]], self._xy[self._seg_b[seg]]
        ab = pb - pa
        denom = np.einsum("ij,ij->i", ab, ab)
        frac = np.clip(np.einsum("ij,ij->i", xy - pa, ab) / np.where(denom > 0, denom, 1.0), 0.0, 1.0)
        # A point on a node must sit exactly at the segment's end, or a one-way segment would make it
        # leave through the far end only.
        frac = np.where(frac < 1e-9, 0.0, np.where(frac > 1.0 - 1e-9, 1.0, frac))
        seg = np.where(dist <= self.max_snap_m, seg, -1)
        return seg, frac, dist

    def _candidates(self, xy: FloatArray, k: int) -> tuple[IntArray, FloatArray, BoolArray]:
        """Best of the segments of the k nearest sample points, and whether that is provably exact."""
        m = len(xy)
        k = min(k, self._sample_tree.n)
        d_s, i_s = self._sample_tree.query(xy, k=k)
        d_s, i_s = d_s.reshape(m, k), i_s.reshape(m, k)
        cand = self._sample_seg[i_s]
        pa, pb = self._xy[self._seg_a[cand]], self._xy[self._seg_b[cand]]
        ab = pb - pa
        denom = np.einsum("ijk,ijk->ij", ab, ab)
        t = np.clip(
            np.einsum("ijk,ijk->ij", xy[:, None, :] - pa, ab) / np.where(denom > 0, denom, 1.0), 0.0, 1.0
        )
        off = pa + ab * t[..., None] - xy[:, None, :]
        d_c = np.sqrt(np.einsum("ijk,ijk->ij", off, off))
        best = np.argmin(d_c, axis=1)
        rows = np.arange(m)
        # d_s[:, 0] ≥ the distance to the nearest segment, and every segment that close has a sample
        # within d_s[:, 0] + spacing / 2: if the k-th sample is farther, no candidate was missed.
        exact = (k == self._sample_tree.n) | (d_s[:, -1] > d_s[:, 0] + 0.5 * SNAP_SAMPLE_SPACING_M)
        return cand[rows, best], d_c[rows, best], exact

    def _nearest_segments(self, xy: FloatArray) -> tuple[IntArray, FloatArray]:
        """Exact nearest segment and distance (metres) for metric points."""
        m = len(xy)
        # Query in spatial blocks: neighbouring queries then walk the same KD-tree branches (3–5× faster).
        order = np.lexsort((np.floor(xy[:, 0] / 250.0), np.floor(xy[:, 1] / 250.0)))
        pts = xy[order]
        seg_o, dist_o, exact = self._candidates(pts, 8)
        todo = np.flatnonzero(~exact)
        if len(todo):
            s2, d2, e2 = self._candidates(pts[todo], 4 * SNAP_CANDIDATES)
            seg_o[todo], dist_o[todo] = s2, d2
            todo = todo[~e2]
        if len(todo):
            if self._strtree is None:
                coords = np.stack([self._xy[self._seg_a], self._xy[self._seg_b]], axis=1)
                self._strtree = shapely.STRtree(shapely.linestrings(coords))
            (q, s_idx), d = self._strtree.query_nearest(
                shapely.points(pts[todo]), return_distance=True, all_matches=False
            )
            seg_o[todo[q]] = s_idx
            dist_o[todo[q]] = d
        seg = np.empty(m, dtype=np.int64)
        dist = np.empty(m)
        seg[order] = seg_o
        dist[order] = dist_o
        return seg, dist

    def _snap_reasons(self, dist: FloatArray, seg: IntArray) -> npt.NDArray[np.object_]:
        reason = np.full(len(seg), "", dtype=object)
        for i in np.flatnonzero(seg < 0):
            reason[i] = f"snap distance {dist[i]:.0f} m > {self.max_snap_m:g} m"
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

        One bounded Dijkstra per origin, in chunks of rows so the dense temporaries stay small. Zero minutes
        are stored as :data:`geo.travel.OD_ZERO_MIN`; origins or targets beyond ``max_snap_m`` get
        no entries (origins with a :class:`~geo.errors.CareCircleWarning`).
        """
        budget = check_budget(budget_min)
        origins = as_lonlat(origins_lonlat, what="origins")
        t_seg, t_frac, _ = self.snap(as_lonlat(targets_lonlat, what="targets"))
        shape = (len(origins), len(t_seg))
        if shape[0] == 0 or shape[1] == 0:
            return sp.csr_matrix(shape, dtype=np.float64)
        o_seg, o_frac, o_index = self._snap_origins(origins)
        snapped = np.flatnonzero(t_seg >= 0)
        seg, frac = t_seg[snapped], t_frac[snapped]
        rows: list[IntArray] = []
        cols: list[IntArray] = []
        vals: list[FloatArray] = []
        # Virtual origin nodes only have out-edges, so one graph with all of them serves every chunk.
        graph, sources = self._graph_with_sources(o_seg, o_frac)
        chunk = max(1, _OD_CELLS_PER_CHUNK // (self._n + len(o_seg) + len(snapped)))
        for start in range(0, len(o_seg), chunk):
            part = slice(start, start + chunk)
            dist = dijkstra(graph, indices=sources[part], limit=budget)
            via_a, via_b = self._target_minutes(dist, seg, frac)
            best = np.minimum(via_a, via_b)
            same = o_seg[part][:, None] == seg[None, :]
            if same.any():
                oi, tj = np.nonzero(same)
                direct = self._direct(o_frac[part][oi], o_seg[part][oi], frac[tj])
                best[oi, tj] = np.minimum(best[oi, tj], direct)
            oi, tj = np.nonzero(best <= budget)
            rows.append(o_index[part][oi])
            cols.append(snapped[tj])
            vals.append(np.maximum(best[oi, tj], OD_ZERO_MIN))
        if not rows:
            return sp.csr_matrix(shape, dtype=np.float64)
        matrix = sp.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=shape
        )
        matrix.sort_indices()
        return matrix

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
