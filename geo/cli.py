"""``python -m geo``: every batch job the pages offer, for scripts and data staff.

Exit codes: 0 on success, 1 when the input is bad (after printing what is wrong, in Chinese and
English, on stderr), 2 on wrong usage, 130 when interrupted (Ctrl-C).
Each command group lives in its own module with a ``register(subparsers)`` function.

Building the parser loads no heavy module (numpy, pandas, the geometry stack, scipy, numba,
SQLAlchemy, argon2 …): the command modules import those inside their handlers, so ``--help`` and
usage errors answer at once and each command pays only for what it uses
(``tests/unit/test_cli_startup.py`` checks this).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from geo.errors import CareCircleError
from geo.paths import database_url

# Command groups, each a module with ``register(subparsers)``.
COMMAND_MODULES = (
    "geo.cli_network",
    "geo.cli_coverage",
    "geo.cli_data",
    "geo.cli_users",
    "geo.cli_siting",
    "geo.cli_db",
    "geo.cli_finder",
    "geo.cli_report",
    "geo.cli_demand",
    "geo.cli_analyses",
)

# The module of each command, so that a run of one command imports and builds only its group
# (``tests/unit/test_cli_startup.py`` checks this against what the modules register). A command
# missing here still works: the whole parser is built for it.
COMMANDS: dict[str, str] = {
    "network": "geo.cli_network",
    "coverage": "geo.cli_coverage",
    "isochrones": "geo.cli_coverage",
    "import": "geo.cli_data",
    "quality": "geo.cli_data",
    "history": "geo.cli_data",
    "restore": "geo.cli_data",
    "users": "geo.cli_users",
    "suggest": "geo.cli_siting",
    "db": "geo.cli_db",
    "nearby": "geo.cli_finder",
    "report": "geo.cli_report",
    "demand": "geo.cli_demand",
    "boundaries": "geo.cli_demand",
    "analyses": "geo.cli_analyses",
}

Handler = Callable[[argparse.Namespace], int]


class CommandParser(argparse.ArgumentParser):
    """The parser of ``python -m geo`` and of each command (argparse gives sub-parsers its class).

    ``describe`` is a function giving the description, called only when the help is shown: for texts
    that quote settings of modules too heavy to load just to build the parser (file limits).
    """

    def __init__(self, *args: Any, describe: Callable[[], str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._describe = describe

    def format_help(self) -> str:
        if self._describe is not None:
            self.description, self._describe = self._describe(), None
        return super().format_help()


def _cmd_init(args: argparse.Namespace) -> int:
    from geo.store import open_store

    store = open_store(args.database, create=False)
    info = store.init_from_datasets()
    if info is None:
        print(f"数据库已有数据,未改动 / database already initialised, left as is: {store.url}")
    else:
        print(
            f"已创建数据库并发布版本 {info.version}({info.total} 个设施,模拟样本) / "
            f"created {store.url}, published version {info.version} with {info.total} facilities "
            "(modelled sample)"
        )
    return 0


def _cmd_facilities(args: argparse.Namespace) -> int:
    from geo import io as gio
    from geo.store import open_store

    store = open_store(args.database)
    df = store.facilities(args.version)
    if args.format == "csv":
        sys.stdout.buffer.write(gio.facilities_csv_bytes(df))
    else:
        sys.stdout.write(json.dumps(gio.facilities_geojson(df), ensure_ascii=False) + "\n")
    return 0


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with every command group registered, or only the group of ``command``
    (see :data:`COMMANDS`; the parser then parses and explains that command as the whole one does).
    """
    parser = CommandParser(
        prog="python -m geo",
        description="CareCircle Ordos 暖城一刻钟服务圈 — facilities, travel times and coverage.",
        epilog=f"Database: $DATABASE_URL or {database_url()}",
    )
    parser.add_argument(
        "--database", metavar="URL", default=None, help="database URL (default: $DATABASE_URL)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("init", help="create the database from datasets/ if it is empty")
    p.set_defaults(handler=_cmd_init)

    p = sub.add_parser("facilities", help="export the published facilities")
    p.add_argument("--format", choices=("csv", "geojson"), default="csv")
    p.add_argument("--version", type=int, default=None, help="a published version (default: newest)")
    p.set_defaults(handler=_cmd_facilities)

    if command in COMMANDS:
        groups: Sequence[str] = (COMMANDS[command],)
    elif command in sub.choices:
        groups = ()  # init and facilities, registered above
    else:
        groups = COMMAND_MODULES
    for name in groups:
        importlib.import_module(name).register(sub)
    return parser


def _command_in(argv: Sequence[str]) -> str | None:
    """The command a command line names, when nothing but ``--database URL`` comes before it."""
    k = 0
    while k < len(argv):
        word = argv[k]
        if word == "--database":
            k += 2
        elif word.startswith("--database="):
            k += 1
        elif word.startswith("-"):
            return None  # --help, or a slip the whole parser explains
        else:
            return word
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(_command_in(argv))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors and 0 on --help
        return int(exc.code or 0)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("\n已中断,未完成的操作没有保存。 / Interrupted; nothing unfinished was saved.", file=sys.stderr)
        return 130
    except CareCircleError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # e.g. --out or --report in a folder that does not exist
        where = f" {exc.filename}" if exc.filename else ""
        print(
            f"错误 / error: 无法读写文件{where}:{exc.strerror or exc}。 / "
            f"Cannot read or write{where}: {exc.strerror or exc}.",
            file=sys.stderr,
        )
        return 1
    except Exception as exc:
        if not _is_database_failure(exc):
            raise
        from geo.db import explain

        # The database failed mid-command (server stopped, connection lost).
        print(f"错误 / error: {explain(exc, database_url(args.database))}", file=sys.stderr)
        return 1


def _is_database_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLAlchemy's ``DBAPIError``. Only a command that loaded SQLAlchemy can
    raise one, so SQLAlchemy is not imported here to find out."""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    return sa_exc is not None and isinstance(exc, sa_exc.DBAPIError)
