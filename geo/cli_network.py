"""``python -m geo network …``: import, download and list road networks.

Exit codes: 0 on success, 1 when the input is bad or OpenStreetMap cannot be reached (the message,
in Chinese and English, goes to stderr), 2 on wrong usage.
"""

from __future__ import annotations

import argparse
import stat
import sys
from pathlib import Path

from geo.errors import DataError, NetworkUnavailableError

__all__ = ["register"]

_ROAD_SUFFIXES = (".pbf", ".osm", ".xml", ".osm.bz2", ".osm.gz", ".graphml")
_ROAD_FILES_ZH = "OSM 道路文件(.osm.pbf、.osm XML)或 osmnx 保存的 .graphml"
_ROAD_FILES_EN = "an OSM road file (.osm.pbf, .osm XML) or a .graphml saved by osmnx"
# Chinese for what the readers say in English, by a phrase of their message.
_READER_PROBLEMS_ZH = (
    ("no usable roads", "文件中没有可用的道路(没有受支持的 highway 类型)"),
    ("no x/y coordinates", "GraphML 节点缺少 x/y 坐标"),
    ("has no coordinates", "道路引用了文件中没有坐标的节点"),
)


def _check_road_file(path: Path) -> None:
    """Refuse, in both languages, a path that cannot be a road file: before any reader opens it
    (a FIFO or a device would block or never end)."""
    try:
        info = path.stat()
    except OSError as exc:
        msg = (
            f"找不到路网文件 {path}({exc.strerror})。 / Cannot find the road network file {path} "
            f"({exc.strerror})."
        )
        raise DataError(msg) from None
    if not stat.S_ISREG(info.st_mode):
        msg = f"{path} 不是普通文件(目录、管道或设备)。 / {path} is not a regular file (a folder, pipe or device)."
        raise DataError(msg)
    if not path.name.lower().endswith(_ROAD_SUFFIXES):
        msg = (
            f"不支持的路网文件 {path.name!r}:需要 {_ROAD_FILES_ZH}。 / "
            f"Unsupported road network file {path.name!r}: expected {_ROAD_FILES_EN}."
        )
        raise DataError(msg)


def _import_problem(path: Path, exc: DataError) -> DataError:
    """A reader's error about ``path`` said in both languages (kept as it is when it already is)."""
    detail = str(exc)
    if any("\u4e00" <= ch <= "\u9fff" for ch in detail):
        return DataError(f"路网文件 {path.name} / road network file {path.name}: {detail}")
    reason_zh = next(
        (zh for phrase, zh in _READER_PROBLEMS_ZH if phrase in detail),
        f"文件已损坏,或不是 {_ROAD_FILES_ZH}",
    )
    msg = f"无法导入路网文件 {path.name}:{reason_zh}。 / Cannot import the road network file {path.name}: {detail}"
    return DataError(msg)


def _directory(args: argparse.Namespace) -> Path:
    if args.dir is not None:
        return Path(args.dir)
    from geo.store import network_dir

    return network_dir(getattr(args, "database", None))


def _print_network(prefix: str, network_repr: str, saved: Path) -> None:
    print(f"{prefix} {network_repr} → {saved}")


def _cmd_import(args: argparse.Namespace) -> int:
    from geo.network_files import import_network

    source = Path(args.file)
    try:
        _check_road_file(source)
        try:
            network, saved = import_network(source, directory=_directory(args), name=args.name)
        except DataError as exc:
            raise _import_problem(source, exc) from exc
    except DataError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 1
    info = network.info
    w, s, e, n = info.bbox
    _print_network("已导入路网 / imported", repr(network), saved)
    print(f"sha256 {info.sha256}  bbox {w:.5f},{s:.5f},{e:.5f},{n:.5f}")
    return 0


def _parse_bbox(text: str) -> tuple[float, float, float, float]:
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 4 or not (parts[0] < parts[2] and parts[1] < parts[3]):
        msg = f"--bbox must be W,S,E,N in degrees with W < E and S < N, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return parts[0], parts[1], parts[2], parts[3]


def _cmd_download(args: argparse.Namespace) -> int:
    import tempfile

    from geo._osm import download_graphml
    from geo.network_files import import_network

    directory = _directory(args)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            label = args.place if args.place else "bbox_" + "_".join(f"{v:g}" for v in args.bbox)
            safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in label)[:60]
            graphml = download_graphml(
                Path(tmp) / f"{safe}.graphml",
                place=args.place,
                bbox=args.bbox,
                network_type=args.network_type,
            )
            network, saved = import_network(graphml, directory=directory, name=args.name or label)
    except NetworkUnavailableError as exc:
        print(f"错误 / error: {_offline_message(exc)}", file=sys.stderr)
        return 1
    except DataError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 1
    _print_network("已下载路网 / downloaded", repr(network), saved)
    return 0


def _offline_message(exc: NetworkUnavailableError) -> str:
    """What to say when OpenStreetMap cannot be reached: what to do, in both languages; the
    connection library's own words only as a short note at the end."""
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    detail = type(cause).__name__
    return (
        "无法连接 OpenStreetMap:本机可能没有联网,或 Overpass/Nominatim 服务不可用。请检查网络后重试,"
        "或在有网络的机器上下载 .osm.pbf 后用 `python -m geo network import FILE` 导入。 / "
        "Cannot reach OpenStreetMap: this machine may be offline, or the Overpass/Nominatim service is "
        "down. Check the internet connection and try again, or download an .osm.pbf elsewhere and load "
        f"it with `python -m geo network import FILE`. ({detail})"
    )


def _cmd_list(args: argparse.Namespace) -> int:
    from geo.network_files import list_networks

    directory = _directory(args)
    infos = list_networks(directory)
    if not infos:
        print(f"没有已导入的路网 / no road networks in {directory}")
        return 0
    print("created_at\tname\tnodes\tedges\tsha256\tfile")
    for info in infos:
        print(
            f"{info.created_at}\t{info.name}\t{info.n_nodes}\t{info.n_edges}\t{info.sha256[:12]}\t"
            f"{info.path.name if info.path else ''}"
        )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``network`` command and its ``import``, ``download`` and ``list`` sub-commands."""
    parser = subparsers.add_parser("network", help="import, download and list road networks (OpenStreetMap)")
    sub = parser.add_subparsers(dest="network_command", metavar="SUBCOMMAND", required=True)

    def add_dir(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--dir", default=None, help="folder for network files (default: networks/ next to the database)"
        )

    p = sub.add_parser("import", help="import an OSM file: .osm.pbf, .osm (XML) or .graphml")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--name", default=None, help="display name (default: the file name)")
    add_dir(p)
    p.set_defaults(handler=_cmd_import)

    p = sub.add_parser("download", help="download roads from OpenStreetMap through osmnx (needs internet)")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--place", default=None, help='a place name, e.g. "康巴什区, 鄂尔多斯市"')
    where.add_argument("--bbox", type=_parse_bbox, default=None, metavar="W,S,E,N", help="WGS84 degrees")
    p.add_argument("--network-type", choices=("walk", "drive", "all"), default="all")
    p.add_argument("--name", default=None, help="display name")
    add_dir(p)
    p.set_defaults(handler=_cmd_download)

    p = sub.add_parser("list", help="list the imported road networks, newest first")
    add_dir(p)
    p.set_defaults(handler=_cmd_list)
