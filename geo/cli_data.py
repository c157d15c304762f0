"""Data commands of ``python -m geo``: import, quality, history, restore (accounts: ``geo.cli_users``).

``import`` reads the file within the size limit (regular files only), validates it row by row
against the published version (duplicates included), prints the report on stderr (and to
``--report``) and the preview counts on stdout, and publishes it as a new version unless
``--dry-run``; with errors it changes nothing and exits 1.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo.errors import DataError
from geo.options import IMPORT_MODES

if TYPE_CHECKING:
    import pandas as pd

    from geo.store import FacilityStore
    from geo.validate import ValidationResult

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
    from geo import io as gio

    try:
        return gio.read_districts()
    except Exception:  # the district check is a warning; without the file it is skipped
        return None


def _parse_merges(pairs: list[str]) -> dict[str, str]:
    merges: dict[str, str] = {}
    for text in pairs:
        file_id, sep, published_id = text.partition("=")
        if not sep or not file_id.strip() or not published_id.strip():
            msg = (
                f"--merge 的格式应为 文件中的编号=已发布编号,收到 {text!r}。 / "
                f"--merge takes FILE_ID=PUBLISHED_ID, got {text!r}."
            )
            raise DataError(msg)
        merges[file_id.strip()] = published_id.strip()
    return merges


def _parse_pairs(pairs: list[str]) -> set[tuple[str, str]]:
    marks: set[tuple[str, str]] = set()
    for text in pairs:
        a, sep, b = text.partition(",")
        if not sep or not a.strip() or not b.strip() or a.strip() == b.strip():
            msg = (
                f"--not-duplicate 的格式应为 编号1,编号2(两个不同的编号),收到 {text!r}。 / "
                f"--not-duplicate takes ID_A,ID_B (two different ids), got {text!r}."
            )
            raise DataError(msg)
        first, second = sorted((a.strip(), b.strip()))
        marks.add((first, second))
    return marks


def _cmd_import(args: argparse.Namespace) -> int:
    from geo.importer import plan_import, publish_plan
    from geo.safeio import read_limited
    from geo.store import open_store
    from geo.validate import MAX_BYTES, validate_bytes

    path = Path(args.file)
    # At most the limit + 1 bytes, and only from a regular file: /dev/zero or a FIFO fail at once.
    data = read_limited(path, max_bytes=MAX_BYTES, what=path.name)
    merges = _parse_merges(args.merge or [])
    marks = _parse_pairs(args.not_duplicate or [])
    store = open_store(args.database)
    published = store.facilities() if store.current_version() is not None else None
    result = validate_bytes(
        data,
        file_name=path.name,
        crs=args.crs,
        districts=_read_districts(),
        published=published,
        dismissed=store.duplicate_marks() | marks,
    )
    if args.report:
        Path(args.report).write_bytes(result.report_csv_bytes())
    # The validation report goes to stderr (as every problem does); the preview to stdout.
    print(
        f"{path.name}: {result.n_rows} 行 rows, {result.n_errors} 个错误 errors, "
        f"{result.n_warnings} 个警告 warnings (encoding {result.encoding or '-'}, crs {args.crs})",
        file=sys.stderr,
    )
    if result.issues:
        _print_report(result, file=sys.stderr)
    if result.has_errors:
        print("有错误,未做任何更改。 / There are errors; nothing was changed.", file=sys.stderr)
        return 1
    plan = plan_import(store, result, mode=args.mode, merges=merges)
    counts = plan.counts()
    print(
        f"预览 preview (基于版本 base version {plan.base_version}, mode {plan.mode}): "
        f"新增 added {counts['added']}, 修改 changed {counts['changed']}, 删除 removed {counts['removed']}, "
        f"未变 unchanged {counts['unchanged']}, 关闭 closed {counts['closed']}, 共 total {counts['total']}"
    )
    for file_id, published_id in plan.merged.items():
        print(f"已合并 / merged: {file_id} → {published_id}")
    if plan.closed:
        shown = ", ".join(plan.closed[:_MAX_LISTED_IDS])
        more = len(plan.closed) - _MAX_LISTED_IDS
        tail = f" …(另 {more} 个 / {more} more)" if more > 0 else ""
        print(f"将标记为关闭 / will be closed ({len(plan.closed)}): {shown}{tail}")
    if args.dry_run:
        print("试运行,未发布。 / Dry run: nothing published.")
        return 0
    info = publish_plan(
        store,
        plan,
        user_name=args.user or _default_user(),
        file_name=path.name,
        sha256=result.sha256,
        not_duplicates=marks,
    )
    print(f"已发布版本 {info.version} / published version {info.version} ({info.total} facilities)")
    return 0


def _parse_day(text: str) -> date:
    from geo.cell_parse import parse_date

    day = parse_date(text)
    if day is None:
        msg = f"日期 {text!r} 无法识别;请写成 年-月-日。 / Cannot read the date {text!r}; write YYYY-MM-DD."
        raise DataError(msg)
    return day


def _cmd_quality(args: argparse.Namespace) -> int:
    if args.max_age_months < 1:
        msg = (
            f"--max-age-months 至少为 1,收到 {args.max_age_months}。 / "
            f"--max-age-months must be at least 1, got {args.max_age_months}."
        )
        raise DataError(msg)
    from geo import io as gio
    from geo.quality import PROBLEMS, QualitySettings, quality_report
    from geo.store import open_store

    store = open_store(args.database)
    version = args.version or store.current_version()
    settings = QualitySettings(args.max_age_months, _parse_day(args.as_of) if args.as_of else None)
    report = quality_report(store.facilities(version), settings)
    table = report.facilities if args.table == "facilities" else report.by_district
    if args.format == "csv":
        sys.stdout.buffer.write(gio.facilities_csv_bytes(table))
        return 0
    payload = {
        "version": version,
        "settings": {"max_age_months": settings.max_age_months, "as_of": str(report.settings.today)},
        "checked": report.checked,
        "counts": report.counts(),
        "problems": {
            code: {
                "zh": zh.format(months=settings.max_age_months),
                "en": en.format(months=settings.max_age_months),
            }
            for code, (zh, en) in PROBLEMS.items()
        },
        "by_district": _records(report.by_district),
        "facilities": _records(report.facilities),
    }
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=1) + "\n")
    return 0


def _json_value(value: Any) -> Any:
    import pandas as pd

    if isinstance(value, str | bool) or value is None:
        return value
    if pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value  # numpy scalars -> Python numbers


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _json_value(v) for k, v in r.items()} for r in frame.to_dict(orient="records")]


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
    from geo.store import open_store

    store = open_store(args.database)
    print(
        "版本 version\t时间 time\t用户 user\t操作 action\t方式 mode\t文件 file\tsha256\t"
        "增/改/删/未变 +~-=\t总数 total"
    )
    for line in _audit_lines(store):
        print(line)
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    from geo.store import open_store

    store = open_store(args.database)
    info = store.restore(args.version, user_name=args.user or _default_user())
    print(
        f"已将版本 {args.version} 恢复为新版本 {info.version} / restored version {args.version} as version "
        f"{info.version} (+{info.added} ~{info.changed} -{info.removed})"
    )
    return 0


def _import_description() -> str:
    from geo.validate import MAX_BYTES, MAX_ROWS

    limits = f"limits: {MAX_BYTES // 1024**2} MB, {MAX_ROWS:,} rows"
    return (
        "导入设施表(CSV: UTF-8/GB18030, 逗号/制表符/分号; 或 XLSX)。Validate a facility file row by row, "
        f"preview and publish it as a new version ({limits}). Exit 1 with the report when it has errors."
    )


def register(subparsers: Any) -> None:
    """Add ``import``, ``quality``, ``history`` and ``restore`` to the ``python -m geo`` parser."""
    p = subparsers.add_parser(
        "import",
        help="validate a facility CSV/XLSX and publish it as a new version",
        describe=_import_description,
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
    p.add_argument(
        "--merge",
        metavar="FILE_ID=PUBLISHED_ID",
        action="append",
        help="import the file's row FILE_ID as an update of the published PUBLISHED_ID (a duplicate "
        "entered under a new id); repeatable",
    )
    p.add_argument(
        "--not-duplicate",
        metavar="ID_A,ID_B",
        action="append",
        help="the two facilities are not the same: no possible-duplicate warning for the pair, now or in "
        "later imports (kept with the published version); repeatable",
    )
    p.add_argument("--user", metavar="NAME", default=None, help="name recorded in the audit line")
    p.set_defaults(handler=_cmd_import)

    p = subparsers.add_parser(
        "quality",
        help="data freshness and quality: facilities to follow up, counts per district",
        description=(
            "数据质量:列出超过指定月数未更新、缺少电话/开放时间/容量、空余名额大于容量、运营中但未报空余名额的设施。 "
            "Lists facilities (not closed) whose updated_at is older than --max-age-months, that lack a phone, "
            "opening hours or capacity, report more places available than capacity, or are open without "
            "reported places; with counts per district."
        ),
    )
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument(
        "--table",
        choices=("facilities", "districts"),
        default="facilities",
        help="csv only: the follow-up list (default) or the counts per district",
    )
    p.add_argument("--max-age-months", type=int, default=12, help="stale after this many months (default 12)")
    p.add_argument("--as-of", metavar="YYYY-MM-DD", default=None, help="reference date (default: today)")
    p.add_argument("--version", type=int, default=None, help="a published version (default: newest)")
    p.set_defaults(handler=_cmd_quality)

    p = subparsers.add_parser("history", help="list every published version with its audit line")
    p.set_defaults(handler=_cmd_history)

    p = subparsers.add_parser("restore", help="publish an earlier version again as a new version")
    p.add_argument("version", metavar="VERSION", type=int)
    p.add_argument("--user", metavar="NAME", default=None, help="name recorded in the audit line")
    p.set_defaults(handler=_cmd_restore)
