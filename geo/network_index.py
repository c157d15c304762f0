"""What a travel profile needs from a road network, built once per network and kept.

For one profile (walk, bike or drive) the network model needs: the edges that profile may use in its
largest strongly connected component, the undirected street segments they form, the nodes' metric
coordinates and the snapping index over the segments (:class:`geo.snapping.SegmentIndex`). None of
it depends on speeds, so one :class:`ProfileIndex` serves every mode of the profile. Building it is
the costly part of opening a network (seconds at a million nodes); :mod:`geo.network_files` keeps it
next to the network, keyed by the network's SHA-256, so a one-shot command loads it instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import scipy
import scipy.sparse as sp
from pyproj import Transformer
from scipy.sparse.csgraph import connected_components

from geo.crs import ORDOS_BOUNDS, from_metric, to_metric
from geo.errors import DataError
from geo.roads import PROFILE_BITS, RoadNetwork
from geo.snapping import SegmentIndex

__all__ = [
    "INDEX_VERSION",
    "ProfileIndex",
    "build_profile_index",
    "index_arrays",
    "index_from_arrays",
    "projection",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]

INDEX_VERSION: Final[int] = 2
"""Bumped whenever what is stored changes; a stored index of another version is rebuilt."""

_TREE_FIELDS: Final[tuple[str, ...]] = (
    "tree_buffer",
    "tree_data",
    "tree_n",
    "tree_m",
    "tree_leafsize",
    "tree_maxes",
    "tree_mins",
    "tree_indices",
)


def projection(network: RoadNetwork) -> tuple[Callable[..., tuple], Callable[..., tuple]]:
    """Forward and inverse metric projection for a network (lon, lat ↔ metres).

    :data:`geo.crs.ORDOS_METRIC_CRS` for networks centred in Ordos; elsewhere (test extracts) a
    transverse Mercator centred on the network, so snap distances stay true.
    """
    lon0 = 0.5 * (network.info.bbox[0] + network.info.bbox[2])
    lat0 = 0.5 * (network.info.bbox[1] + network.info.bbox[3])
    west, south, east, north = ORDOS_BOUNDS
    if west <= lon0 <= east and south <= lat0 <= north:
        return to_metric, from_metric
    local = f"+proj=tmerc +lon_0={lon0} +lat_0={lat0} +ellps=WGS84 +units=m"
    fwd = Transformer.from_crs("EPSG:4326", local, always_xy=True)
    inv = Transformer.from_crs(local, "EPSG:4326", always_xy=True)
    return fwd.transform, inv.transform


@dataclass(frozen=True, eq=False)
class ProfileIndex:
    """A profile's usable part of a network, its segments and its snapping index.

    Attributes
    ----------
    network_sha256 : str
        The network it was built from.
    profile : str
        ``walk``, ``bike`` or ``drive``.
    edge : numpy.ndarray of int32
        Network edge indices the profile may use inside its largest strongly connected component,
        ascending (so still ordered by tail, then head).
    n_component_nodes : int
        Nodes in that component.
    seg_a, seg_b : numpy.ndarray of int32
        Undirected segments (node ``seg_a < seg_b``) formed by those edges.
    seg_of_edge : numpy.ndarray of int32
        The segment of each edge in ``edge``.
    xy : numpy.ndarray of float64, shape (n_nodes, 2)
        Metric coordinates of every network node (metres, see :func:`projection`).
    snap : geo.snapping.SegmentIndex
        Nearest-segment index over the segments.
    """

    network_sha256: str
    profile: str
    edge: Int32Array
    n_component_nodes: int
    seg_a: Int32Array
    seg_b: Int32Array
    seg_of_edge: Int32Array
    xy: FloatArray
    snap: SegmentIndex


def build_profile_index(network: RoadNetwork, profile: str) -> ProfileIndex:
    """Build the :class:`ProfileIndex` of a network for one profile.

    Raises
    ------
    DataError
        When the profile is unknown or no road of the network is usable by it.
    """
    if profile not in PROFILE_BITS:
        msg = f"unknown network profile {profile!r}; expected one of {', '.join(PROFILE_BITS)}"
        raise DataError(msg)
    n = network.n_nodes
    usable = np.flatnonzero((network.access & PROFILE_BITS[profile]) != 0)
    if len(usable) == 0:
        msg = f"network {network.info.name!r} has no road usable by {profile}"
        raise DataError(msg)
    u = network.tails()[usable]
    v = network.indices[usable].astype(np.int64)
    # Largest strongly connected component of this profile's graph.
    g = sp.csr_matrix((np.ones(len(u), dtype=np.int8), (u, v)), shape=(n, n))
    _, labels = connected_components(g, directed=True, connection="strong")
    touched = np.zeros(n, dtype=bool)
    touched[u] = True
    touched[v] = True
    counts = np.bincount(labels[touched], minlength=labels.max() + 1)
    in_lcc = labels == np.argmax(counts)
    keep = in_lcc[u] & in_lcc[v]
    edge, u, v = usable[keep], u[keep], v[keep]
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    keys, seg_of_edge = np.unique(lo * n + hi, return_inverse=True)
    seg_a, seg_b = keys // n, keys % n
    fwd, _ = projection(network)
    x, y = fwd(network.node_lon, network.node_lat)
    xy = np.column_stack([np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)])
    return ProfileIndex(
        network_sha256=network.info.sha256,
        profile=profile,
        edge=edge.astype(np.int32),
        n_component_nodes=int(in_lcc.sum()),
        seg_a=seg_a.astype(np.int32),
        seg_b=seg_b.astype(np.int32),
        seg_of_edge=seg_of_edge.astype(np.int32).ravel(),
        xy=xy,
        snap=SegmentIndex(xy[seg_a], xy[seg_b]),
    )


def index_arrays(index: ProfileIndex) -> dict[str, np.ndarray]:
    """The arrays that :func:`index_from_arrays` needs (for an ``.npz`` without pickle)."""
    sample_seg, state = index.snap.state()
    tree = dict(zip(_TREE_FIELDS, state[: len(_TREE_FIELDS)], strict=True))
    if any(part is not None for part in state[len(_TREE_FIELDS) :]):  # periodic boxes: never ours
        msg = "cannot store a periodic KD-tree"
        raise DataError(msg)
    return {
        "index_version": np.array(INDEX_VERSION),
        "scipy_version": np.array(scipy.__version__),
        "network_sha256": np.array(index.network_sha256),
        "profile": np.array(index.profile),
        "n_component_nodes": np.array(index.n_component_nodes),
        "edge": index.edge,
        "seg_a": index.seg_a,
        "seg_b": index.seg_b,
        "seg_of_edge": index.seg_of_edge,
        "xy": index.xy,
        "sample_seg": sample_seg.astype(np.int32),
        **{key: np.asarray(value) for key, value in tree.items()},
    }


def index_from_arrays(
    arrays: Mapping[str, np.ndarray], network: RoadNetwork, profile: str
) -> ProfileIndex | None:
    """The :class:`ProfileIndex` stored by :func:`index_arrays`, or None when it does not fit.

    It does not fit when it was written by another index version or scipy version, for another
    network or profile, or when its arrays disagree with the network's sizes; the caller rebuilds.
    """
    try:
        if (
            int(arrays["index_version"]) != INDEX_VERSION
            or str(arrays["scipy_version"]) != scipy.__version__
            or str(arrays["network_sha256"]) != network.info.sha256
            or str(arrays["profile"]) != profile
        ):
            return None
        edge, seg_a, seg_b = arrays["edge"], arrays["seg_a"], arrays["seg_b"]
        seg_of_edge, xy, sample_seg = arrays["seg_of_edge"], arrays["xy"], arrays["sample_seg"]
        n, n_seg = network.n_nodes, len(seg_a)
        consistent = (
            xy.shape == (n, 2)
            and len(seg_b) == n_seg
            and len(seg_of_edge) == len(edge)
            and (len(edge) == 0 or (int(edge.max()) < network.n_edges and int(edge.min()) >= 0))
            and (n_seg == 0 or (int(seg_of_edge.max()) < n_seg and int(max(seg_a.max(), seg_b.max())) < n))
            and (len(sample_seg) == 0 or int(sample_seg.max()) < n_seg)
            and int(arrays["tree_n"]) == len(sample_seg)
        )
        if not consistent:
            return None
        state = (
            arrays["tree_buffer"],
            arrays["tree_data"],
            int(arrays["tree_n"]),
            int(arrays["tree_m"]),
            int(arrays["tree_leafsize"]),
            arrays["tree_maxes"],
            arrays["tree_mins"],
            arrays["tree_indices"],
            None,
            None,
        )
        snap = SegmentIndex(xy[seg_a], xy[seg_b], sample_seg=sample_seg, tree_state=state)
    except (KeyError, ValueError, TypeError):
        return None
    return ProfileIndex(
        network_sha256=network.info.sha256,
        profile=profile,
        edge=edge,
        n_component_nodes=int(arrays["n_component_nodes"]),
        seg_a=seg_a,
        seg_b=seg_b,
        seg_of_edge=seg_of_edge,
        xy=xy,
        snap=snap,
    )
