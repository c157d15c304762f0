"""``python -m geo suggest`` (DESIGN.md, "Command line"): where the next N facilities of a type should go.

Candidates are the centres of the populated demand cells (the modelled sample unless real cells are
loaded), less those closer than ``--min-separation-m`` to an open facility of the same type. The cost
matrix is the travel model's sparse OD matrix, so the whole city is solved at once. The table goes to
stdout (or ``--out``); the model, the solver's status and gap and the modelled-data note go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo.cli_args import count_at_least, number_in_range, positive_minutes
from geo.cli_coverage import _add_model_options, _facilities, _layers, _model
from geo.errors import CareCircleError, DataError
from geo.modes import MODES, TYPE_DEFAULTS

if TYPE_CHECKING:
    import pandas as pd

    from geo.siting import Suggestion


def register(subparsers: Any) -> None:
    """Add the ``suggest`` sub-command to the ``python -m geo`` parser."""
    p = subparsers.add_parser(
        "suggest",
        help="where N new facilities of a type cover the most people within M minutes (MCLP)",
        description=(
            "Maximal covering: choose N new sites among the populated demand cells (modelled sample unless "
            "real cells are loaded) so that the most target people not yet within M minutes of an open "
            "facility of the type are. Columns: rank, lon, lat, district_adcode, township, gain, "
            "cumulative_covered, cumulative_share."
        ),
    )
    p.add_argument("--type", required=True, metavar="TYPE", help="one facility type code or Chinese label")
    p.add_argument("--new", required=True, type=int, metavar="N", help="number of new sites")
    p.add_argument("--minutes", required=True, type=float, metavar="M", help="time budget in minutes")
    p.add_argument("--target", choices=("total", "60plus", "0_3"), default="total", help="whose coverage")
    p.add_argument(
        "--mode", choices=tuple(MODES), default=None, help="travel mode (default: the type's default)"
    )
    p.add_argument("--solver", choices=("greedy", "exact"), default="greedy")
    p.add_argument(
        "--time-limit", type=float, default=30.0, metavar="S", help="exact solver time limit (seconds)"
    )
    p.add_argument(
        "--min-separation-m",
        type=float,
        default=0.0,
        metavar="D",
        help="leave out candidates closer than D metres to an open facility of the type",
    )
    p.add_argument("--format", choices=("csv", "geojson"), default="csv")
    p.add_argument("--out", type=Path, default=None, metavar="FILE", help="write here instead of stdout")
    _add_model_options(p)
    p.set_defaults(handler=cmd_suggest)


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Send file descriptor 1 to stderr for a while: solvers print banners from C code."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
        os.dup2(2, 1)
    except (OSError, ValueError):  # no real descriptors (embedded use): nothing to protect
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def suggestion_geojson(suggestion: Suggestion, model_block: dict[str, object]) -> dict[str, Any]:
    """The suggestions as a GeoJSON FeatureCollection of points with the table's columns as properties.

    Parameters
    ----------
    suggestion : Suggestion
        Result of :func:`geo.siting.suggest_sites`.
    model_block : dict
        The travel model's ``describe()`` plus ``minutes``.

    Returns
    -------
    dict
        ``{"type": "FeatureCollection", "model": {...}, "siting": {...}, "features": [...]}`` (WGS84).
    """
    features = []
    for rec in suggestion.table.to_dict(orient="records"):
        props = {k: _plain(v) for k, v in rec.items()}
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [float(rec["lon"]), float(rec["lat"])]},
                "properties": props,
            }
        )
    res = suggestion.result
    siting = {
        **{k: _plain(v) for k, v in suggestion.settings.items()},
        "method": res.method,
        "status": res.status,
        "optimality_gap": res.optimality_gap,
        "baseline_covered": res.baseline_covered,
        "total_demand": res.total_demand,
        "note": res.note,
        "data": "modelled sample (datasets/population_cells.csv)",
    }
    return {"type": "FeatureCollection", "model": model_block, "siting": siting, "features": features}


def _plain(value: object) -> object:
    import numpy as np

    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def suggestion_csv_bytes(table: pd.DataFrame) -> bytes:
    """The ``suggest`` table as CSV in UTF-8 with BOM (Excel opens it right)."""
    return table.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")


def cmd_suggest(args: argparse.Namespace) -> int:
    """Handler of ``python -m geo suggest``; returns the exit code."""
    from geo.coverage import parse_target, parse_types
    from geo.siting import suggest_sites

    try:
        types = parse_types(args.type)
        if len(types) != 1:
            msg = (
                f"--type 只能给一种设施类型,收到 {args.type!r}。 / "
                f"--type: give one facility type, got {args.type!r}."
            )
            raise DataError(msg)
        parse_target(args.target)
        budget = positive_minutes(args.minutes)
        count_at_least(args.new, 1, option="--new", what_zh="新站点个数", what_en="new sites")
        number_in_range(
            args.time_limit,
            option="--time-limit",
            unit_zh="秒",
            unit_en="seconds",
            minimum=0,
            maximum=24 * 3600,
            above_minimum=True,
        )
        number_in_range(
            args.min_separation_m,
            option="--min-separation-m",
            unit_zh="米",
            unit_en="metres",
            minimum=0,
            maximum=100_000,
        )
        mode_name = args.mode or TYPE_DEFAULTS[types[0]][0]
        model = _model(args, mode_name)
        layers = _layers(args)
        cells = layers.cells
        with _stdout_to_stderr():
            suggestion = suggest_sites(
                cells,
                _facilities(args),
                model,
                facility_type=types[0],
                n_new=args.new,
                budget_min=budget,
                target=args.target,
                solver=args.solver,
                time_limit_s=args.time_limit,
                min_separation_m=args.min_separation_m,
                townships=layers.townships,
            )
    except CareCircleError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 1
    res = suggestion.result
    gap = "n/a (greedy)" if res.optimality_gap is None else f"{res.optimality_gap:.4%}"
    print(
        f"求解 / solver: {res.method}, status={res.status}, gap={gap}, {res.runtime_s:.2f} s, "
        f"{suggestion.settings['n_candidates']} candidates, {suggestion.settings['n_existing']} existing"
        + (f"; {res.note}" if res.note else ""),
        file=sys.stderr,
    )
    if args.format == "geojson":
        block = {**model.describe(), "minutes": budget}
        data = (json.dumps(suggestion_geojson(suggestion, block), ensure_ascii=False) + "\n").encode("utf-8")
    else:
        data = suggestion_csv_bytes(suggestion.table)
    if args.out is not None:
        Path(args.out).write_bytes(data)
        print(f"已写入 / written: {args.out} ({len(suggestion.table)} sites)", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0
