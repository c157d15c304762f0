"""``python -m geo report``: the planning report for the city or one district, as PDF, DOCX or HTML.

The report describes the published facilities, demand and township boundaries (``$DATABASE_URL`` or
``data/carecircle.db``; the modelled sample and seats while none are imported) and states each layer's
version, source and whether it is modelled, as ``geo coverage`` does; with
``--scenario FILE.json`` (the format the app saves, :mod:`geo.scenarios`) it adds the scenario's edits
and before/after figures. Bad input — an unknown adcode or type, a scenario file that is not valid
(the message names the line and column, or the edit), an output path that cannot be written — exits 1
with a message in Chinese and English and writes nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from geo.cli_args import positive_minutes
from geo.cli_coverage import _add_model_options, _layers, _model, data_block
from geo.errors import CareCircleError, DataError
from geo.modes import MODES, TYPE_DEFAULTS
from geo.options import LANGS

FORMATS = ("pdf", "docx", "html")


def register(subparsers: Any) -> None:
    """Add the ``report`` sub-command to the ``python -m geo`` parser."""
    p = subparsers.add_parser(
        "report",
        help="planning report for the city or a district (PDF, DOCX or HTML, Chinese or English)",
        description=(
            "The planning report of the published facilities: key findings against the 15-minute goal, "
            "coverage per district and township, maps, gaps, suggested sites, an optional scenario and "
            "a methods appendix, in one language."
        ),
    )
    p.add_argument(
        "--scope", required=True, metavar="city|ADCODE", help="city, or a district's 6-digit adcode"
    )
    p.add_argument(
        "--type", required=True, metavar="TYPE[,TYPE…]", help="facility type code(s) or Chinese labels"
    )
    p.add_argument(
        "--minutes", type=float, default=None, metavar="M", help="time budget (default: the type's)"
    )
    p.add_argument("--mode", choices=tuple(MODES), default=None, help="travel mode (default: the type's)")
    p.add_argument("--scenario", type=Path, default=None, metavar="FILE.json", help="a saved scenario")
    p.add_argument(
        "--target",
        choices=("total", "60plus", "0_3"),
        default=None,
        help="whose gaps and suggestions (default: 60plus for elderly types, 0_3 for child types)",
    )
    p.add_argument("--new", type=int, default=5, metavar="N", help="suggested new sites (0: none)")
    p.add_argument("--solver", choices=("greedy", "exact"), default="greedy")
    p.add_argument("--lang", required=True, choices=LANGS, help="the report's language")
    p.add_argument("--format", required=True, choices=FORMATS)
    p.add_argument("--out", required=True, type=Path, metavar="FILE", help="where to write the report")
    _add_model_options(p)
    p.set_defaults(handler=cmd_report)


def _scope(text: str) -> int | None:
    value = str(text).strip().lower()
    if value in ("city", "全市", "150600"):
        return None
    if not value.isdigit() or len(value) != 6:
        msg = (
            f"--scope 应为 city(全市)或 6 位行政区划代码,收到 {text!r}。 / "
            f"--scope: expected city or a 6-digit adcode, got {text!r}."
        )
        raise DataError(msg)
    return int(value)


def check_out(path: Path) -> None:
    """Refuse an output path whose folder is missing or not writable, or that is a folder itself."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        msg = f"--out {path} 是文件夹,请给出文件名。 / --out {path} is a folder; give a file name."
        raise DataError(msg)
    if not folder.is_dir():
        msg = f"--out:文件夹 {folder} 不存在。 / --out: the folder {folder} does not exist."
        raise DataError(msg)
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        msg = f"--out:无法写入 {path}(没有权限)。 / --out: cannot write {path} (permission denied)."
        raise DataError(msg)


def _write(path: Path, data: bytes) -> None:
    """Write next to the target and rename, so a failed run never leaves half a report."""
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent if str(path.parent) else ".")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        umask = os.umask(0)  # mkstemp makes the file private; give it the usual permissions
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cmd_report(args: argparse.Namespace) -> int:
    """Handler of ``python -m geo report``; returns the exit code."""
    from geo import io as gio
    from geo import report as rp
    from geo.coverage import parse_types
    from geo.scenarios import load_scenario
    from geo.store import open_store

    try:
        check_out(args.out)
        district = _scope(args.scope)
        types = parse_types(args.type)
        mode_name = args.mode or TYPE_DEFAULTS[types[0]][0]
        budget = positive_minutes(args.minutes) if args.minutes is not None else TYPE_DEFAULTS[types[0]][1]
        if args.new < 0:
            msg = f"--new 不能为负,收到 {args.new}。 / --new must be 0 or more, got {args.new}."
            raise DataError(msg)
        scenario = load_scenario(args.scenario) if args.scenario is not None else None
        districts = gio.read_districts()
        rp.check_district(districts, district)
        if args.format == "pdf" and rp.cjk_font_path() is None:
            raise CareCircleError(rp.NO_FONT_MESSAGE)
        settings = rp.ReportSettings(
            types=tuple(types),
            budget_min=budget,
            lang=args.lang,
            target=args.target,
            district=district,
            n_suggestions=args.new,
            solver=args.solver,
        )
        store = open_store(getattr(args, "database", None))
        model = _model(args, mode_name)
        layers = _layers(args)
        data = rp.ReportData(
            cells=layers.cells,
            facilities=store.facilities(),
            model=model,
            districts=districts,
            townships=layers.townships,
            township_seats=gio.read_township_seats(),
            boundaries=layers.boundaries,
            version=store.current_version(),
            data=data_block(args, layers, model),
        )
        content = rp.build_content(data, settings, scenario=scenario)
        payload = rp.render(content, args.format)
        _write(args.out, payload)
    except CareCircleError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 1
    print(
        f"已写入 / written: {args.out} ({len(payload):,} bytes, {args.format}, {args.lang})", file=sys.stderr
    )
    return 0
