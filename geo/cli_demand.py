"""``python -m geo demand …`` and ``python -m geo boundaries …``: the city's own population and townships.

``demand import`` reads a population raster (GeoTIFF), polygons with counts (GeoJSON, GeoPackage,
zipped Shapefile) or points (CSV) into H3 demand cells, prints the people per district before and
after, and publishes a new demand version unless ``--dry-run``. With errors it prints them on stderr,
changes nothing and exits 1. ``boundaries import`` does the same for township polygons.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo.cli_data import _default_user
from geo.options import BOUNDARY_LEVELS, DEMAND_MODES, RESOLUTIONS

if TYPE_CHECKING:
    import pandas as pd

    from geo.boundaries import BoundaryResult
    from geo.demand import DemandLimits, DemandResult, DemandSettings
    from geo.demand_store import DemandVersion, LayerStore

__all__ = ["register"]

_MAX_PRINTED_ISSUES = 200


def _read(path_text: str, limits: DemandLimits) -> tuple[bytes, str]:
    from geo.safeio import read_limited

    path = Path(path_text)
    return read_limited(path, max_bytes=limits.max_bytes, what=path.name), path.name


def _print_issues(issues: list[Any], *, file: Any) -> None:
    for issue in issues[:_MAX_PRINTED_ISSUES]:
        print(issue.text(), file=file)
    hidden = len(issues) - _MAX_PRINTED_ISSUES
    if hidden > 0:
        print(f"…… 另有 {hidden} 条,见 --report / … {hidden} more, see --report", file=file)


def district_lines(result: DemandResult, before: pd.DataFrame | None = None) -> list[str]:
    """The per-district table as tab-separated lines: in the file, in the new cells, ages' source."""
    lines = [
        "旗区 adcode\t名称 name\t文件人口 in file\t网格人口 cells\t60+\t0-3\t网格数 cells\t"
        "60+ 来源 from\t0-3 来源 from" + ("\t现有人口 now" if before is not None else "")
    ]
    now = before.set_index("adcode")["pop_total"] if before is not None else None
    for r in result.districts.to_dict(orient="records"):
        line = (
            f"{r['adcode']}\t{r['name']}\t{r['people_in_file']:,.0f}\t{r['pop_total']:,}\t{r['pop_60plus']:,}\t"
            f"{r['pop_0_3']:,}\t{r['cells']:,}\t{r['ages_60plus_from']}\t{r['ages_0_3_from']}"
        )
        if now is not None:
            line += f"\t{int(now.get(r['adcode'], 0)):,}"
        lines.append(line)
    return lines


def _settings(args: argparse.Namespace) -> DemandSettings:
    from geo.demand import DemandSettings

    return DemandSettings(
        resolution=args.resolution,
        crs=args.crs,
        count_column=args.count_column,
        age60_column=args.age60_column,
        age0_3_column=args.age0_3_column,
        household_size=args.household_size,
    )


def _cmd_demand_import(args: argparse.Namespace) -> int:
    from geo.demand import validate_demand
    from geo.demand_store import layer_store
    from geo.store import open_store

    settings = _settings(args)
    data, name = _read(args.file, settings.limits)
    weights = weights_name = None
    if args.weights:
        weights, weights_name = _read(args.weights, settings.limits)
    result = validate_demand(
        data, file_name=name, settings=settings, weights=weights, weights_name=weights_name or ""
    )
    if args.report:
        Path(args.report).write_bytes(result.report_csv_bytes())
    print(
        f"{name}: {result.kind or '-'}, crs {result.crs or '-'}, H3 res {result.resolution}, "
        f"文件人口 people in file {result.people_in_file:,.0f}, 鄂尔多斯以外 outside Ordos "
        f"{result.people_outside:,.0f}, {result.n_errors} 个错误 errors, {result.n_warnings} 个警告 warnings"
    )
    if result.has_errors:
        _print_issues([i for i in result.issues if i.severity == "error"], file=sys.stderr)
        print("有错误,未做任何更改。 / There are errors; nothing was changed.", file=sys.stderr)
        return 1
    _print_issues(result.issues, file=sys.stdout)
    store = layer_store(open_store(args.database).engine)
    base = store.demand_version()
    current = store.demand()
    preview = store.demand_preview(result, mode=args.mode)
    now = current.groupby("adcode")["pop_total"].sum().reset_index()
    for line in district_lines(result, now):
        print(line)
    print(
        f"预览 preview (基于需求版本 base demand version {base or 0}, mode {args.mode}): "
        f"网格 cells {len(current):,} → {len(preview):,}, 人口 people {int(current['pop_total'].sum()):,} → "
        f"{int(preview['pop_total'].sum()):,}"
    )
    if args.dry_run:
        print("试运行,未发布。 / Dry run: nothing published.")
        return 0
    info = store.publish_demand(
        result, mode=args.mode, user_name=args.user or _default_user(), base_version=base
    )
    print(
        f"已发布需求版本 {info.version} / published demand version {info.version} "
        f"({info.cells:,} cells, {info.pop_total:,} people)"
    )
    return 0


def _demand_line(v: DemandVersion) -> str:
    what = f"restore of {v.restored_from}" if v.restored_from is not None else v.action
    modelled = f"{v.modelled_share:.0%}" if v.modelled else "0%"
    return (
        f"{v.version}\t{v.created_at}\t{v.user_name}\t{what}\t{v.mode or '-'}\t{v.kind}\t{v.file_name or '-'}\t"
        f"{v.sha256[:12] or '-'}\t{v.crs or '-'}\t{v.resolution}\t{v.cells:,}\t{v.pop_total:,}\t{modelled}"
    )


def _cmd_demand_history(args: argparse.Namespace) -> int:
    from geo.demand_store import layer_store
    from geo.store import open_store

    store = layer_store(open_store(args.database).engine)
    print(
        "版本 version\t时间 time\t用户 user\t操作 action\t方式 mode\t类型 kind\t文件 file\tsha256\t坐标系 crs\t"
        "分辨率 res\t网格 cells\t人口 people\t模拟 modelled"
    )
    history = store.demand_history()
    for v in history:
        print(_demand_line(v))
    if not history:
        from geo.demand_store import sample_version

        print(_demand_line(sample_version()))
        print(
            "(尚未导入需求数据;当前需求为模拟样本。 / No demand imported yet; the demand is the modelled sample.)"
        )
    return 0


def _cmd_demand_restore(args: argparse.Namespace) -> int:
    from geo.demand_store import layer_store
    from geo.store import open_store

    store = layer_store(open_store(args.database).engine)
    info = store.restore_demand(args.version, user_name=args.user or _default_user())
    print(
        f"已将需求版本 {args.version} 恢复为新版本 {info.version} / restored demand version {args.version} as "
        f"version {info.version} ({info.cells:,} cells, {info.pop_total:,} people)"
    )
    return 0


def _boundary_lines(result: BoundaryResult) -> list[str]:
    lines = ["旗区 adcode\t乡镇数 townships\t面积 area km²"]
    for r in result.summary().to_dict(orient="records"):
        lines.append(f"{r['adcode']}\t{r['townships']}\t{r['area_km2']:,.1f}")
    return lines


def _cmd_boundaries_import(args: argparse.Namespace) -> int:
    from geo.boundaries import validate_boundaries
    from geo.demand import DemandLimits
    from geo.demand_store import layer_store
    from geo.store import open_store

    limits = DemandLimits()
    data, name = _read(args.file, limits)
    result = validate_boundaries(
        data,
        file_name=name,
        level=args.level,
        name_column=args.name_column,
        code_column=args.code_column,
        crs=args.crs,
    )
    print(
        f"{name}: {len(result.townships)} 个乡镇 townships, crs {result.crs or '-'}, "
        f"名称列 name column {result.name_column or '-'}, 代码列 code column {result.code_column or '-'}"
    )
    if result.has_errors:
        _print_issues([i for i in result.issues if i.severity == "error"], file=sys.stderr)
        print("有错误,未做任何更改。 / There are errors; nothing was changed.", file=sys.stderr)
        return 1
    _print_issues(result.issues, file=sys.stdout)
    for line in _boundary_lines(result):
        print(line)
    if args.dry_run:
        print("试运行,未发布。 / Dry run: nothing published.")
        return 0
    store: LayerStore = layer_store(open_store(args.database).engine)
    info = store.publish_boundaries(
        result, user_name=args.user or _default_user(), base_version=store.boundary_version()
    )
    print(
        f"已发布边界版本 {info.version} / published boundary version {info.version} ({info.features} townships)"
    )
    return 0


def _cmd_boundaries_history(args: argparse.Namespace) -> int:
    from geo.demand_store import layer_store
    from geo.store import open_store

    store = layer_store(open_store(args.database).engine)
    print("版本 version\t时间 time\t用户 user\t操作 action\t级别 level\t文件 file\tsha256\t乡镇 townships")
    history = store.boundary_history()
    for v in history:
        what = f"restore of {v.restored_from}" if v.restored_from is not None else v.action
        print(
            f"{v.version}\t{v.created_at}\t{v.user_name}\t{what}\t{v.level}\t{v.file_name}\t{v.sha256[:12]}\t"
            f"{v.features}"
        )
    if not history:
        print(
            "(尚未导入乡镇边界;乡镇为模拟的乡镇驻地。 / No boundaries imported yet; townships are the modelled seats.)"
        )
    return 0


def _cmd_boundaries_restore(args: argparse.Namespace) -> int:
    from geo.demand_store import layer_store
    from geo.store import open_store

    store = layer_store(open_store(args.database).engine)
    info = store.restore_boundaries(args.version, user_name=args.user or _default_user())
    print(
        f"已将边界版本 {args.version} 恢复为新版本 {info.version} / restored boundary version {args.version} "
        f"as version {info.version}"
    )
    return 0


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        msg = f"expected a number, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if not 0 < value <= 20:
        msg = f"expected people per household between 0 and 20, got {text}"
        raise argparse.ArgumentTypeError(msg)
    return value


def register(subparsers: Any) -> None:
    """Add ``demand`` and ``boundaries`` to the ``python -m geo`` parser."""
    p = subparsers.add_parser(
        "demand",
        help="import the city's population (raster, polygons, points) as H3 demand cells; history; restore",
        description=(
            "导入人口数据 · Demand: a population raster (GeoTIFF, any CRS), polygons with counts (GeoJSON, "
            "GeoPackage, zipped Shapefile) or points (CSV of residential compounds) into H3 demand cells, "
            "versioned like facilities. Until one is imported, demand is the modelled sample."
        ),
    )
    sub = p.add_subparsers(dest="demand_command", metavar="ACTION", required=True)
    q = sub.add_parser("import", help="check a population file and publish it as a new demand version")
    q.add_argument("file", metavar="FILE", help="GeoTIFF, GeoJSON, GeoPackage, zipped Shapefile or CSV")
    q.add_argument(
        "--crs",
        metavar="wgs84|gcj02|bd09|EPSG:n",
        default=None,
        help="coordinate system of the file (default: the file's own; CSV: wgs84)",
    )
    q.add_argument("--count-column", metavar="C", default=None, help="column (raster: band) of total people")
    q.add_argument(
        "--age60-column", metavar="C", default=None, help="column (raster: band) of people aged 60+"
    )
    q.add_argument(
        "--age0_3-column",
        dest="age0_3_column",
        metavar="C",
        default=None,
        help="column (raster: band) of children 0-3",
    )
    q.add_argument("--resolution", type=int, choices=RESOLUTIONS, default=9, help="H3 resolution (default 9)")
    q.add_argument(
        "--mode",
        choices=DEMAND_MODES,
        default="replace",
        help="replace: the file is the whole layer; patch: it replaces the layer inside its extent only",
    )
    q.add_argument(
        "--weights",
        metavar="FILE",
        default=None,
        help="polygons only: a raster or building layer to spread people by (dasymetric) instead of by area",
    )
    q.add_argument(
        "--household-size",
        type=_positive,
        default=None,
        metavar="N",
        help="points only: people per household when the file gives households",
    )
    q.add_argument("--dry-run", action="store_true", help="check and preview only")
    q.add_argument(
        "--report", metavar="FILE", default=None, help="write the issues and district totals (CSV)"
    )
    q.add_argument("--user", metavar="NAME", default=None, help="name recorded in the audit line")
    q.set_defaults(handler=_cmd_demand_import)
    q = sub.add_parser("history", help="list every demand version with its audit line")
    q.set_defaults(handler=_cmd_demand_history)
    q = sub.add_parser("restore", help="publish an earlier demand version again as a new version")
    q.add_argument("version", metavar="V", type=int)
    q.add_argument("--user", metavar="NAME", default=None)
    q.set_defaults(handler=_cmd_demand_restore)

    p = subparsers.add_parser(
        "boundaries",
        help="import township boundaries (polygons) for coverage by township, maps and reports",
        description=(
            "导入乡镇边界 · Township boundaries (GeoJSON, GeoPackage, zipped Shapefile). Coverage --by township, "
            "maps and reports then use these polygons and names; modelled seats remain where none is loaded."
        ),
    )
    sub = p.add_subparsers(dest="boundaries_command", metavar="ACTION", required=True)
    q = sub.add_parser("import", help="check a boundary file and publish it as a new boundary version")
    q.add_argument("file", metavar="FILE")
    q.add_argument("--level", choices=BOUNDARY_LEVELS, required=True)
    q.add_argument("--name-column", metavar="C", default=None, help="column of the township's name")
    q.add_argument("--code-column", metavar="C", default=None, help="column of the township's code")
    q.add_argument(
        "--crs", metavar="wgs84|gcj02|bd09|EPSG:n", default=None, help="when the file does not say"
    )
    q.add_argument("--dry-run", action="store_true", help="check only")
    q.add_argument("--user", metavar="NAME", default=None, help="name recorded in the audit line")
    q.set_defaults(handler=_cmd_boundaries_import)
    q = sub.add_parser("history", help="list every boundary version")
    q.set_defaults(handler=_cmd_boundaries_history)
    q = sub.add_parser("restore", help="publish an earlier boundary version again")
    q.add_argument("version", metavar="V", type=int)
    q.add_argument("--user", metavar="NAME", default=None)
    q.set_defaults(handler=_cmd_boundaries_restore)
