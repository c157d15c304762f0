"""``python -m geo network …``: import, download and list road networks.

Exit codes: 0 on success, 1 when the input is bad or OpenStreetMap cannot be reached (the message,
in Chinese and English, goes to stderr), 2 on wrong usage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo.errors import DataError, NetworkUnavailableError

__all__ = ["register"]


def _directory(args: argparse.Namespace) -> Path:
    if args.dir is not None:
        return Path(args.dir)
    from geo.store import network_dir

    return network_dir(getattr(args, "database", None))


def _print_network(prefix: str, network_repr: str, saved: Path) -> None:
    print(f"{prefix} {network_repr} → {saved}")


def _cmd_import(args: argparse.Namespace) -> int:
    from geo.network_files import import_network

    try:
        network, saved = import_network(args.file, directory=_directory(args), name=args.name)
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
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 1
    except DataError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 1
    _print_network("已下载路网 / downloaded", repr(network), saved)
    return 0


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
