"""``python -m geo coverage`` and ``python -m geo isochrones`` (DESIGN.md, "Command line").

Both say which travel model ran: the JSON and GeoJSON outputs carry the model block, and a note on
stderr names the model for the CSV output too. With a saved road network (``python -m geo network
import``) the network model runs, else the straight-line one.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo.cli_args import budget_list, check_point_in_ordos, positive_minutes
from geo.errors import CareCircleError, DataError, NotFoundError
from geo.modes import MODES, TYPE_DEFAULTS, get_mode

if TYPE_CHECKING:
    import pandas as pd

    from geo.demand_store import DemandLayers
    from geo.published import Published, VersionInfo
    from geo.store import FacilityStore
    from geo.travel import TravelModel


def register(subparsers: Any) -> None:
    """Add the ``coverage`` and ``isochrones`` sub-commands to the ``python -m geo`` parser."""
    p = subparsers.add_parser(
        "coverage",
        help="share of people within M minutes of a facility type, per banner or township",
        description=(
            "Coverage of demand cells (the modelled sample until a real layer is imported with `geo demand "
            "import`) by the open facilities "
            "of the given types: people, 60+ and 0-3 covered, facility counts, capacity per 1,000 and "
            "capacity-aware (2SFCA) access, per banner/district or township."
        ),
    )
    p.add_argument(
        "--type", required=True, metavar="TYPE[,TYPE…]", help="facility type code(s) or Chinese labels"
    )
    p.add_argument("--minutes", required=True, type=float, metavar="M", help="time budget in minutes")
    p.add_argument(
        "--mode", choices=tuple(MODES), default=None, help="travel mode (default: the type's default)"
    )
    p.add_argument("--by", choices=("district", "township"), default="district")
    p.add_argument(
        "--target",
        choices=("total", "60plus", "0_3"),
        default=None,
        help="demand for the capacity-aware columns (default: 60plus for elderly types, 0_3 for child types)",
    )
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument(
        "--save",
        action="store_true",
        help="keep this analysis in the store, per cell (`geo analyses`; the gis_coverage view in PostGIS)",
    )
    p.add_argument("--name", default=None, metavar="TEXT", help="a name for the saved analysis")
    p.add_argument("--user", metavar="NAME", default=None, help="who saves it (default: the login name)")
    _add_model_options(p)
    p.set_defaults(handler=cmd_coverage)

    p = subparsers.add_parser(
        "isochrones",
        help="areas reachable within 5, 10, 15 … minutes as GeoJSON",
        description="One feature per budget with properties minutes, mode, speed_m_per_min, model (WGS84).",
    )
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--facility", metavar="ID", help="a published facility's facility_id")
    where.add_argument(
        "--lon", type=float, metavar="X", help="WGS84 longitude of a point in Ordos (with --lat)"
    )
    p.add_argument("--lat", type=float, metavar="Y", help="WGS84 latitude of a point in Ordos (with --lon)")
    p.add_argument(
        "--minutes", default="5,10,15", metavar="5,10,15", help="comma-separated budgets in minutes"
    )
    p.add_argument(
        "--mode", choices=tuple(MODES), default=None, help="travel mode (default: walk, or the type's)"
    )
    p.add_argument(
        "--out", type=Path, default=None, metavar="FILE.geojson", help="write here instead of stdout"
    )
    _add_model_options(p)
    p.set_defaults(handler=cmd_isochrones)


def _add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--network-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder of imported road networks (default: networks/ next to the database)",
    )
    p.add_argument("--straight-line", action="store_true", help="ignore any road network")


def _model(args: argparse.Namespace, mode_name: str) -> TravelModel:
    from geo.models import default_model

    network_dir: Path | None = None
    if not args.straight_line:
        network_dir = args.network_dir
        if network_dir is not None and not Path(network_dir).is_dir():
            # A folder named on the command line that is not there is a slip, not "no networks".
            msg = (
                f"--network-dir:文件夹 {network_dir} 不存在。 / "
                f"--network-dir: the folder {network_dir} does not exist."
            )
            raise DataError(msg)
        if network_dir is None:
            # Where ``python -m geo network import`` saves: networks/ next to the SQLite file.
            from geo.paths import network_dir as database_network_dir

            network_dir = database_network_dir(getattr(args, "database", None))
    model = default_model(get_mode(mode_name), network_dir=network_dir)
    print(f"模型 / model: {_describe_text(model)}", file=sys.stderr)
    fallback = getattr(model, "fallback", None)
    if fallback is not None:
        print(f"注意 / note: {fallback.text()}", file=sys.stderr)
    return model


def _describe_text(model: TravelModel) -> str:
    return ", ".join(f"{k}={v}" for k, v in model.describe().items() if k != "fallback")


def _store(args: argparse.Namespace | None) -> FacilityStore:
    """The store of this command run, opened (and its schema checked) once however often it is read."""
    from geo.store import open_store

    url = getattr(args, "database", None)
    if args is None:
        return open_store(url)
    store: FacilityStore | None = getattr(args, "_opened_store", None)
    if store is None:
        store = open_store(url)
        args._opened_store = store
    return store


def _published(args: argparse.Namespace | None) -> Published | None:
    """The newest published version as ``geo.published`` reads it, without SQLAlchemy, once per
    command run; None where that path does not apply (then the store is opened as usual)."""
    if args is None:
        return None
    if not hasattr(args, "_published"):
        from geo.paths import database_url
        from geo.published import read_published

        args._published = read_published(database_url(getattr(args, "database", None)))
    quick: Published | None = args._published
    return quick


def _facilities(args: argparse.Namespace) -> pd.DataFrame:
    quick = _published(args)
    if quick is not None:
        facilities = quick.facilities.copy()
        facilities.attrs["version"] = quick.info.version
        return facilities
    store = _store(args)
    version = store.current_version()
    facilities = store.facilities(version)
    facilities.attrs["version"] = version
    return facilities


def _version_info(args: argparse.Namespace, version: int) -> VersionInfo:
    quick = _published(args)
    if quick is not None and quick.info.version == version:
        return quick.info
    return _store(args).version_info(version)


def _layers(args: argparse.Namespace | None = None) -> DemandLayers:
    """The published demand and boundary layers (the modelled sample and seats while none)."""
    quick = _published(args)
    if quick is not None and quick.demand_version is None and quick.boundary_version is None:
        from geo.demand_layers import sample_layers

        layers = sample_layers()
    else:
        from geo.demand_store import load_layers

        layers = load_layers(_store(args).engine)
    info = layers.demand
    if info.kind == "sample":
        print(
            "需求网格为模拟样本 / demand cells: the modelled sample (datasets/population_cells.csv)",
            file=sys.stderr,
        )
    else:
        modelled = f", {info.modelled_share:.1%} 模拟 modelled" if info.modelled else ""
        print(
            f"需求网格 / demand cells: 版本 version {info.version} ({info.file_name}, {info.kind}, "
            f"H3 res {info.resolution}, {info.cells:,} cells{modelled})",
            file=sys.stderr,
        )
    return layers


def _cells(args: argparse.Namespace | None = None) -> pd.DataFrame:
    return _layers(args).cells


def _names(by: str, layers: DemandLayers) -> pd.DataFrame:
    from geo import io as gio

    if by == "district":
        return gio.read_district_names()
    return layers.townships


def data_block(
    args: argparse.Namespace,
    layers: DemandLayers,
    model: TravelModel,
    facilities: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """The ``"data"`` block of the outputs: what each layer is and whether it is modelled.

    ``facilities`` is the table the command used (from ``_facilities``, its version in
    ``attrs["version"]``); without it the newest version is read.
    """
    from geo import io as gio
    from geo.provenance import data_block as block

    if facilities is None or "version" not in facilities.attrs:
        facilities = _facilities(args)
    version = facilities.attrs["version"]
    return block(
        facilities_info=_version_info(args, version) if version is not None else None,
        facilities=facilities,
        demand_info=layers.demand,
        boundary_info=layers.boundary,
        model=model.describe(),
        modelled_townships=None if layers.boundary is not None else len(gio.read_modelled_townships()),
    )


def cmd_coverage(args: argparse.Namespace) -> int:
    """Handler of ``python -m geo coverage``; returns the exit code."""
    import pandas as pd

    from geo import coverage as cov

    try:
        types = cov.parse_types(args.type)
        budget = positive_minutes(args.minutes)
        mode_name = args.mode or TYPE_DEFAULTS[types[0]][0]
        model = _model(args, mode_name)
        layers = _layers(args)
        facilities = _facilities(args)
        report = cov.coverage_report(
            layers.cells,
            facilities,
            model,
            types=types,
            budget_min=budget,
            by=args.by,
            names=_names(args.by, layers),
            target=args.target,
        )
        report["data"] = data_block(args, layers, model, facilities)
        if args.save:
            from geo.cli_analyses import save_coverage

            info = layers.demand
            layers.cells.attrs.update(
                source="modelled sample (datasets/population_cells.csv)"
                if info.kind == "sample"
                else f"demand version {info.version} ({info.file_name}, {info.kind})",
                modelled=info.modelled,
            )
            save_coverage(
                args,
                cells=layers.cells,
                facilities=facilities,
                model=model,
                types=types,
                budget_min=budget,
                report=report,
            )
    except CareCircleError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 1
    if args.format == "json":
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=1, allow_nan=False) + "\n")
    else:
        rows = pd.DataFrame(report["rows"])
        sys.stdout.buffer.write(rows.to_csv(index=False, lineterminator="\n").encode("utf-8-sig"))
        sys.stdout.flush()
    return 0


def cmd_isochrones(args: argparse.Namespace) -> int:
    """Handler of ``python -m geo isochrones``; returns the exit code."""
    import numpy as np

    from geo.isochrones import isochrones, to_feature_collection

    try:
        budgets = budget_list(args.minutes)
        if args.facility is not None:
            facilities = _facilities(args)
            match = facilities.loc[facilities["facility_id"].astype(str) == str(args.facility)]
            if match.empty:
                msg = (
                    f"没有编号为 {args.facility!r} 的已发布设施。 / "
                    f"There is no published facility with facility_id {args.facility!r}."
                )
                raise NotFoundError(msg)
            if args.lat is not None:
                msg = (
                    "--lat 只能与 --lon 一起使用,不能与 --facility 一起用。 / "
                    "--lat goes with --lon, not with --facility."
                )
                raise DataError(msg)
            row = match.iloc[0]
            origin = np.array([[float(row["lon"]), float(row["lat"])]])
            mode_name = args.mode or TYPE_DEFAULTS.get(str(row["type"]), ("walk", 15.0))[0]
        else:
            lon, lat = check_point_in_ordos(args.lon, args.lat)
            origin = np.array([[lon, lat]])
            mode_name = args.mode or "walk"
        model = _model(args, mode_name)
        gdf = isochrones(model, origin, budgets_min=budgets)
        collection = to_feature_collection(gdf, model_block=model.describe())
    except CareCircleError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 1
    if args.out is not None:
        from geo import io as gio

        gio.write_json(args.out, collection)
        print(f"已写入 / written: {args.out} ({len(budgets)} features)", file=sys.stderr)
    else:
        sys.stdout.write(json.dumps(collection, ensure_ascii=False) + "\n")
    return 0
