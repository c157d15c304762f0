"""Road networks on disk: ``<sha256>.npz`` arrays (no pickle) plus ``<sha256>.json`` metadata.

A network is keyed by the SHA-256 of the OSM file it was imported from. Next to it this module keeps
what is derived from a network and slow to rebuild, keyed by the same hash (see
:func:`load_snap_index` / :func:`save_snap_index`), so a one-shot command does not rebuild it on
every call.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from geo._osm import read_road_file
from geo.errors import DataError
from geo.roads import ARRAY_FIELDS, NetworkInfo, RoadNetwork, build_network

if TYPE_CHECKING:
    from geo.network_index import ProfileIndex

__all__ = [
    "DEFAULT_NETWORK_DIR",
    "file_sha256",
    "import_network",
    "latest_network",
    "list_networks",
    "load_network",
    "load_profile_index",
    "profile_index_path",
    "save_network",
    "save_profile_index",
]

DEFAULT_NETWORK_DIR: Final[Path] = Path("data/networks")
"""Where ``python -m geo network import`` saves networks unless told otherwise (next to the database)."""


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
    arrays = {key: getattr(network, key) for key in ARRAY_FIELDS}
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
            arrays = {key: data[key] for key in ARRAY_FIELDS}
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


def profile_index_path(network_path: str | Path, profile: str) -> Path:
    """Where the profile index of the network saved at ``network_path`` is kept: ``<sha256>.<profile>.index.npz``."""
    p = Path(network_path)
    return p.with_name(f"{p.stem}.{profile}.index.npz")


def load_profile_index(network_path: str | Path, network: RoadNetwork, profile: str) -> ProfileIndex | None:
    """The kept :class:`~geo.network_index.ProfileIndex` of a saved network, or None.

    None when there is none yet, or when it cannot be read or does not fit the network (another
    version, another network): the caller then builds it (and may save it).
    """
    from geo.network_index import index_from_arrays  # scipy.spatial and pyproj: only when used

    path = profile_index_path(network_path, profile)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError, KeyError):
        return None
    return index_from_arrays(arrays, network, profile)


def save_profile_index(network_path: str | Path, index: ProfileIndex) -> Path | None:
    """Keep a profile index next to its network (atomically); None when the folder is not writable.

    A read-only network folder is not an error: the index is then rebuilt on every use.
    """
    from geo.network_index import index_arrays

    path = profile_index_path(network_path, index.profile)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
    try:
        arrays: dict[str, Any] = index_arrays(index)
        np.savez(tmp, **arrays)
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)
        return None
    return path
