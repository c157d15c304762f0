"""Data commands of ``python -m geo``: import, history, restore (accounts: ``geo.cli_users``).

``import`` validates a file row by row, prints the preview counts and publishes it as a new
version unless ``--dry-run``; the validation report goes to stderr (and to ``--report``); with
errors it changes nothing and exits 1.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from geo import io as gio
from geo.errors import DataError
from geo.importer import IMPORT_MODES, plan_import, publish_plan
from geo.store import FacilityStore, open_store
from geo.validate import MAX_BYTES, MAX_ROWS, ValidationResult, validate_bytes

__all__ = ["register"]

# Rows of the report printed on the terminal; the full report goes to --report.
_MAX_PRINTED_ISSUES = 200
_MAX_LISTED_IDS = 50


def _default_user() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _print_report(result: ValidationResult, *, file: Any) -> None:
    for issue in result.issues[:_MAX_PRINTED_ISSUES]:
        where = f"第 {issue.row} 行 row {issue.row}" if issue.row is not None else "文件 file"
        column = f" [{issue.column}]" if issue.column else ""
        print(
            f"{where}{column} {issue.severity} {issue.code}: {issue.message_zh} / {issue.message_en}",
            file=file,
        )
    hidden = len(result.issues) - _MAX_PRINTED_ISSUES
    if hidden > 0:
        print(f"…… 另有 {hidden} 条,见 --report / … {hidden} more, see --report", file=file)


def _read_districts() -> Any:
    try:
        return gio.read_districts()
    except Exception:  # the district check is a warning; without the file it is skipped
        return None


def _cmd_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        msg = f"无法读取文件 {path}:{exc.strerror}。 / Cannot read {path}: {exc.strerror}."
        raise DataError(msg) from exc
    result = validate_bytes(data, file_name=path.name, crs=args.crs, districts=_read_districts())
    if args.report:
        Path(args.report).write_bytes(result.report_csv_bytes())
    print(
        f"{path.name}: {result.n_rows} 行 rows, {result.n_errors} 个错误 errors, "
        f"{result.n_warnings} 个警告 warnings (encoding {result.encoding or '-'}, crs {args.crs})"
    )
    if result.has_errors:
        _print_report(result, file=sys.stderr)
        print("有错误,未做任何更改。 / There are errors; nothing was changed.", file=sys.stderr)
        return 1
    if result.issues:
        _print_report(result, file=sys.stderr)
    store = open_store(args.database)
    plan = plan_import(store, result, mode=args.mode)
    counts = plan.counts()
    print(
        f"预览 preview (基于版本 base version {plan.base_version}, mode {plan.mode}): "
        f"新增 added {counts['added']}, 修改 changed {counts['changed']}, 删除 removed {counts['removed']}, "
        f"未变 unchanged {counts['unchanged']}, 关闭 closed {counts['closed']}, 共 total {counts['total']}"
    )
    if plan.closed:
        shown = ", ".join(plan.closed[:_MAX_LISTED_IDS])
        more = len(plan.closed) - _MAX_LISTED_IDS
        tail = f" …(另 {more} 个 / {more} more)" if more > 0 else ""
        print(f"将标记为关闭 / will be closed ({len(plan.closed)}): {shown}{tail}")
    if args.dry_run:
        print("试运行,未发布。 / Dry run: nothing published.")
        return 0
    info = publish_plan(
        store, plan, user_name=args.user or _default_user(), file_name=path.name, sha256=result.sha256
    )
    print(f"已发布版本 {info.version} / published version {info.version} ({info.total} facilities)")
    return 0


def _audit_lines(store: FacilityStore) -> list[str]:
    lines = []
    for v in store.history():
        what = f"restore of {v.restored_from}" if v.restored_from is not None else v.action
        lines.append(
            f"{v.version}\t{v.created_at}\t{v.user_name}\t{what}\t{v.mode or '-'}\t{v.file_name or '-'}\t"
            f"{v.sha256[:12] or '-'}\t+{v.added} ~{v.changed} -{v.removed} ={v.unchanged}\t{v.total}"
        )
    return lines


def _cmd_history(args: argparse.Namespace) -> int:
    store = open_store(args.database)
    print(
        "版本 version\t时间 time\t用户 user\t操作 action\t方式 mode\t文件 file\tsha256\t"
        "增/改/删/未变 +~-=\t总数 total"
    )
    for line in _audit_lines(store):
        print(line)
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    store = open_store(args.database)
    info = store.restore(args.version, user_name=args.user or _default_user())
    print(
        f"已将版本 {args.version} 恢复为新版本 {info.version} / restored version {args.version} as version "
        f"{info.version} (+{info.added} ~{info.changed} -{info.removed})"
    )
    return 0


def register(subparsers: Any) -> None:
    """Add ``import``, ``history`` and ``restore`` to the ``python -m geo`` parser."""
    limits = f"limits: {MAX_BYTES // 1024**2} MB, {MAX_ROWS:,} rows"
    p = subparsers.add_parser(
        "import",
        help="validate a facility CSV/XLSX and publish it as a new version",
        description=(
            "导入设施表(CSV: UTF-8/GB18030, 逗号/制表符/分号; 或 XLSX)。Validate a facility file row by row, "
            f"preview and publish it as a new version ({limits}). Exit 1 with the report when it has errors."
        ),
    )
    p.add_argument("file", metavar="FILE", help="CSV or XLSX file")
    p.add_argument(
        "--crs", choices=("wgs84", "gcj02", "bd09"), default="wgs84", help="coordinate system of the file"
    )
    p.add_argument(
        "--mode",
        choices=IMPORT_MODES,
        default="upsert",
        help="upsert: add and update; replace: complete list",
    )
    p.add_argument("--dry-run", action="store_true", help="validate and preview only")
    p.add_argument(
        "--report", metavar="OUT.csv", default=None, help="write the validation report (CSV, UTF-8 BOM)"
    )
    p.add_argument("--user", metavar="NAME", default=None, help="name recorded in the audit line")
    p.set_defaults(handler=_cmd_import)

    p = subparsers.add_parser("history", help="list every published version with its audit line")
    p.set_defaults(handler=_cmd_history)

    p = subparsers.add_parser("restore", help="publish an earlier version again as a new version")
    p.add_argument("version", metavar="VERSION", type=int)
    p.add_argument("--user", metavar="NAME", default=None, help="name recorded in the audit line")
    p.set_defaults(handler=_cmd_restore)
