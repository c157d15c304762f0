"""``python -m geo nearby``: the resident's search for scripts and the city's other systems.

It prints exactly what the finder page shows for the same input, because both call
:func:`geo.finder.find_services` on a place resolved by :func:`geo.geocode.search_places` (``--place``)
or checked by :func:`geo.geocode.check_lonlat` (``--lon``/``--lat``).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

from geo.cli_coverage import _add_model_options, _model
from geo.errors import CareCircleError, DataError
from geo.options import FINDER_MODES, RESULTS_LIMIT, SEARCH_MIN, SUPPORTED_CRS

if TYPE_CHECKING:
    import pandas as pd

    from geo.finder import Found
    from geo.gazetteer import Place

CSV_COLUMNS = (
    "rank",
    "facility_id",
    "name",
    "type",
    "type_label",
    "minutes",
    "distance_m",
    "open_now",
    "opening_hours",
    "hours_text",
    "available_places",
    "capacity",
    "capacity_unit",
    "phone",
    "address",
    "lon",
    "lat",
)

NOTES = {
    "swapped": "已按「纬度, 经度」读取输入的坐标 / the coordinates were read as latitude, longitude",
    "online_failed": "在线地名服务无法连接,已使用离线地名库 / the online geocoder could not be reached; "
    "offline gazetteer used",
    "online_outside": "在线地名服务的结果不在鄂尔多斯市,已使用离线地名库 / the online geocoder's answer lies "
    "outside Ordos; offline gazetteer used",
    "online_none": "在线地名服务没有找到,已使用离线地名库 / the online geocoder found nothing; offline "
    "gazetteer used",
}


def register(subparsers: Any) -> None:
    """Add the ``nearby`` sub-command to the ``python -m geo`` parser."""
    p = subparsers.add_parser(
        "nearby",
        help="services near a place, nearest first (what the finder page shows)",
        description=(
            "Resolve a place (name in Chinese, pinyin or English, or coordinates) and list the open "
            "facilities of a type reachable within 60 minutes: minutes, distance, open now, free places, "
            "phone and navigation links. The same answer as the finder page."
        ),
    )
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--place", metavar="TEXT", help="place name or 'lon, lat' text (either order)")
    where.add_argument("--lon", type=float, metavar="X", help="longitude (with --lat)")
    p.add_argument("--lat", type=float, metavar="Y", help="latitude (with --lon)")
    p.add_argument("--crs", choices=SUPPORTED_CRS, default="wgs84", help="CRS of the coordinates")
    p.add_argument(
        "--type", required=True, metavar="TYPE", help="elderly, child, a type code or its Chinese label"
    )
    p.add_argument("--mode", choices=FINDER_MODES, default="walk")
    p.add_argument("--limit", type=int, default=RESULTS_LIMIT, metavar="N", help="most facilities listed")
    p.add_argument("--at", metavar="'YYYY-MM-DD HH:MM'", help="Ordos time for 'open now' (default: now)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of labels and hours")
    p.add_argument("--format", choices=("csv", "json"), default="json")
    _add_model_options(p)
    p.set_defaults(handler=cmd_nearby)


def _when(text: str | None) -> datetime:
    from geo.hours import ordos_now

    if not text:
        return ordos_now()
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        msg = f"--at 应为「YYYY-MM-DD HH:MM」,收到 {text!r}。 / --at must look like '2026-11-30 10:00', got {text!r}."
        raise DataError(msg) from None


def _place(args: argparse.Namespace, facilities: pd.DataFrame) -> Place:
    from geo.gazetteer import Place
    from geo.geocode import check_lonlat, search_places, settings_from_env

    if args.place is None:
        if args.lat is None:
            msg = "--lon 需要同时给出 --lat。 / --lon needs --lat."
            raise DataError(msg)
        found = check_lonlat(args.lon, args.lat, crs=args.crs, allow_swap=False)
        return Place(
            f"{found.lon:.5f}, {found.lat:.5f}", found.lon, found.lat, "coordinates", match="coordinates"
        )
    from geo import io as gio
    from geo.gazetteer import build_gazetteer

    cells_path = gio.DATASETS_DIR / gio.CELLS_FILE
    cells = gio.read_population_cells(cells_path) if cells_path.is_file() else None
    result = search_places(
        args.place, build_gazetteer(facilities, cells=cells), settings=settings_from_env(), crs=args.crs
    )
    if result.error:
        # typed coordinates that cannot be used: say which problem, as check_lonlat does
        from geo.geocode import read_coordinates

        read_coordinates(args.place, crs=args.crs)
    for note in result.notes:
        print(f"注意 / note: {NOTES[note]}", file=sys.stderr)
    if not result.places:
        msg = (
            f"没有找到「{args.place}」。离线地名库包含旗区、乡镇街道苏木、设施名称中的社区和嘎查村、设施名称和地址;"
            "不含小区、商场和街道门牌。请换个说法或输入坐标。 / "
            f"Nothing found for {args.place!r}. The offline gazetteer holds districts, townships, the communities "
            "and villages named by facilities, facility names and addresses; not residential compounds, shops "
            "or streets. Try other words or give coordinates."
        )
        raise DataError(msg)
    return result.places[0]


def _csv(found: Found) -> bytes:
    import pandas as pd

    from geo.navigation import APPS

    place = found.place_record()
    rows = []
    for rec in found.rows:
        row = {f"place_{k}": place[k] for k in ("name", "kind", "lon", "lat")}
        row.update({k: rec[k] for k in CSV_COLUMNS})
        row.update({f"{app}_url": rec["navigation"][app] for app in APPS})
        rows.append(row)
    columns = (
        [f"place_{k}" for k in ("name", "kind", "lon", "lat")]
        + list(CSV_COLUMNS)
        + [f"{a}_url" for a in APPS]
    )
    return pd.DataFrame(rows, columns=columns).to_csv(index=False, lineterminator="\n").encode("utf-8-sig")


def result_json(found: Found, *, data_block: dict[str, Any]) -> dict[str, Any]:
    """The JSON document of ``nearby``: the place, what was asked, the model, the data and the rows."""
    return {
        "place": found.place_record(),
        "need": found.need,
        "mode": found.mode,
        "budget_min": found.budget_min,
        "lang": found.lang,
        "model": found.model,
        "data": data_block,
        "facilities": found.rows,
    }


def cmd_nearby(args: argparse.Namespace) -> int:
    """Handler of ``python -m geo nearby``; returns the exit code."""
    from geo.finder import find_services, parse_need
    from geo.schema import MODELLED_SOURCE_PREFIX
    from geo.store import open_store

    try:
        if args.limit < 1:
            msg = f"--limit 应为正整数,收到 {args.limit}。 / --limit must be a positive whole number, got {args.limit}."
            raise DataError(msg)
        need = parse_need(args.type)
        when = _when(args.at)
        store = open_store(getattr(args, "database", None))
        facilities = store.facilities()
        place = _place(args, facilities)
        model = _model(args, args.mode)
        found = find_services(
            facilities,
            place,
            model,
            need=need,
            mode=args.mode,
            now=when,
            lang=args.lang,
            budget_min=SEARCH_MIN,
            limit=args.limit,
        )
    except CareCircleError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 1
    modelled = bool(facilities["source"].astype(str).str.startswith(MODELLED_SOURCE_PREFIX).any())
    if modelled:
        print("设施为模拟样本数据 / facilities: the modelled sample", file=sys.stderr)
    if not found.rows:
        print(
            f"{int(SEARCH_MIN)} 分钟内没有此类设施 / none within {int(SEARCH_MIN)} minutes",
            file=sys.stderr,
        )
    if args.format == "json":
        block = {"facilities": {"version": store.current_version(), "modelled": modelled}}
        sys.stdout.write(
            json.dumps(result_json(found, data_block=block), ensure_ascii=False, indent=1) + "\n"
        )
    else:
        sys.stdout.buffer.write(_csv(found))
        sys.stdout.flush()
    return 0
