"""``python -m geo analyses …`` and the ``--save`` of ``python -m geo coverage``: saved coverage runs.

A planner saves a coverage analysis to keep it with its parameters (``coverage … --save --name
TEXT``); the newest one is what GIS users see in the ``gis_coverage`` view where PostGIS is
installed (``docs/gis.md``). ``analyses list`` shows them all, ``analyses export`` writes one as CSV
(UTF-8 with BOM), ``analyses delete`` removes one.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from geo.analyses import AnalysisInfo
    from geo.travel import TravelModel

__all__ = ["register", "save_coverage"]


def _default_user() -> str:
    from geo.cli_data import _default_user as default_user

    return default_user()


def save_coverage(
    args: argparse.Namespace,
    *,
    cells: pd.DataFrame,
    facilities: pd.DataFrame,
    model: TravelModel,
    types: list[str],
    budget_min: float,
    report: dict[str, Any],
) -> AnalysisInfo:
    """Keep a coverage run of ``python -m geo coverage --save`` in the store; prints its number."""
    from geo import analyses
    from geo import coverage as cov
    from geo.store import open_store

    target = cov.parse_target(args.target) if args.target is not None else cov.default_target(types)
    access = cov.cell_access(cells, facilities, model, types=types, budget_min=budget_min)
    fca = cov.two_step_fca(cells, facilities, model, types=types, budget_min=budget_min, demand_col=target)
    info = analyses.save(
        open_store(getattr(args, "database", None)),
        analyses.cell_results(cells, access, fca),
        user_name=args.user or _default_user(),
        name=args.name or "",
        types=types,
        budget_min=budget_min,
        mode=str(model.describe().get("mode", args.mode or "")),
        target=target,
        facilities_version=int(facilities.attrs["version"]),
        model=report["model"],
        demand_source=str(cells.attrs.get("source", "")),
        demand_modelled=bool(cells.attrs.get("modelled", False)),
        totals=report["totals"],
    )
    print(
        f"已保存分析 {info.analysis_id}({info.cells} 个网格) / saved analysis {info.analysis_id} "
        f"({info.cells} cells; the gis_coverage view shows the newest where PostGIS is installed)",
        file=sys.stderr,
    )
    return info


def _cmd_list(args: argparse.Namespace) -> int:
    from geo import analyses
    from geo.store import open_store

    saved = analyses.list_saved(open_store(args.database))
    if not saved:
        print("还没有保存的分析;用 `python -m geo coverage … --save` 保存。 / No saved analysis yet.")
        return 0
    print(
        "编号 id\t时间 saved\t用户 user\t名称 name\t类型 types\t分钟 minutes\t方式 mode\t对象 target\t设施版本 version\t网格 cells"
    )
    for a in saved:
        print(
            f"{a.analysis_id}\t{a.created_at}\t{a.user_name}\t{a.name or '-'}\t{a.types}\t{a.budget_min:g}\t"
            f"{a.mode}\t{a.target}\t{a.facilities_version}\t{a.cells}"
        )
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from geo import analyses
    from geo.store import open_store

    store = open_store(args.database)
    info = analyses.info(store, args.id)
    frame = analyses.cells(store, info.analysis_id)
    if args.format == "json":
        payload = {
            "analysis": {k: v for k, v in info.__dict__.items() if not k.endswith("_json")},
            "model": json.loads(info.model_json),
            "totals": json.loads(info.totals_json),
            "cells": json.loads(
                frame.drop(columns="boundary_wkt").to_json(orient="records", force_ascii=False)
            ),
        }
        sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
        return 0
    frame.insert(0, "analysis_id", info.analysis_id)
    frame["demand_modelled"] = info.demand_modelled
    sys.stdout.buffer.write(frame.to_csv(index=False, lineterminator="\n").encode("utf-8-sig"))
    sys.stdout.flush()
    return 0


def _cmd_delete(args: argparse.Namespace) -> int:
    from geo import analyses
    from geo.store import open_store

    analyses.delete(open_store(args.database), args.id)
    print(f"已删除分析 {args.id} / deleted analysis {args.id}")
    return 0


def register(subparsers: Any) -> None:
    """Add ``analyses list|export|delete`` to the ``python -m geo`` parser."""
    p = subparsers.add_parser("analyses", help="saved coverage analyses (coverage … --save)")
    sub = p.add_subparsers(dest="analyses_command", metavar="ACTION", required=True)
    q = sub.add_parser("list", help="every saved analysis with its parameters, newest first")
    q.set_defaults(handler=_cmd_list)
    q = sub.add_parser("export", help="one saved analysis per demand cell (CSV, UTF-8 with BOM; or JSON)")
    q.add_argument("id", metavar="ID", type=int, nargs="?", default=None, help="default: the newest")
    q.add_argument("--format", choices=("csv", "json"), default="csv")
    q.set_defaults(handler=_cmd_export)
    q = sub.add_parser("delete", help="delete a saved analysis")
    q.add_argument("id", metavar="ID", type=int)
    q.set_defaults(handler=_cmd_delete)
