"""``python -m geo db …``: the database itself — schema migrations, status, backups.

``db upgrade`` applies the migrations in ``geo/migrations`` (SQLite and PostgreSQL); ``init`` and every
command that opens the store do the same, so running it by hand is for operators who want to see it
happen (or to upgrade before starting the app servers of a city deployment). ``db backup`` and
``db restore-backup`` are documented in ``docs/backup.md``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo.paths import database_url

if TYPE_CHECKING:
    from geo.store import FacilityStore

__all__ = ["register"]


def _describe(store: FacilityStore) -> str:
    kind = store.engine.dialect.name
    return f"{store.url} ({kind})"


def _cmd_upgrade(args: argparse.Namespace) -> int:
    from geo import migrate
    from geo.store import open_store

    store = open_store(args.database, create=False)
    result = migrate.upgrade(store.engine, enable_postgis=args.enable_postgis)
    if result.stamped_v1:
        print(
            f"识别到无迁移记录的第 1 版数据库,已标记为 {migrate.V1_REVISION} / recognised a database of "
            f"version 1 without migrations; stamped at revision {migrate.V1_REVISION} (no rows touched)"
        )
    if result.migrated:
        before = result.before or "空 empty"
        print(
            f"数据库结构已从 {before} 升级到 {result.after} / schema upgraded from "
            f"{result.before or 'an empty database'} to revision {result.after}: {_describe(store)}"
        )
    else:
        print(
            f"数据库结构已是最新({result.after}) / schema already at revision {result.after}: {_describe(store)}"
        )
    for note in result.notes:
        print(note)
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from geo import gis, migrate
    from geo.store import open_store

    store = open_store(args.database, create=False)
    head = migrate.head_revision()
    with store.engine.connect() as conn:
        current = migrate.current_revision(conn)
    state = "最新 up to date" if current == head else "需要升级 needs `python -m geo db upgrade`"
    print(f"数据库 database: {_describe(store)}")
    print(f"结构版本 schema revision: {current or '-'} (程序最新 program head: {head}) — {state}")
    print(f"已发布版本 published version: {store.current_version() if current else '-'}")
    with store.engine.connect() as conn:
        for note in gis.describe(conn):
            print(note)
    return 0


def _cmd_backup(args: argparse.Namespace) -> int:
    from geo import backup, db

    url = database_url(args.database)
    info = backup.backup(url, Path(args.file), force=args.force)
    print(
        f"已备份 {info.versions} 个版本到 {info.path}({info.bytes:,} 字节) / backed up {info.versions} versions "
        f"of {db.display_url(url)} to {info.path} ({info.bytes:,} bytes, {info.kind})"
    )
    return 0


def _cmd_restore_backup(args: argparse.Namespace) -> int:
    from geo import backup, db

    url = database_url(args.database)
    info = backup.restore(url, Path(args.file), replace=args.replace)
    print(
        f"已从 {info.path} 恢复 {info.versions} 个版本 / restored {info.versions} versions from {info.path} "
        f"into {db.display_url(url)}"
    )
    return 0


def register(subparsers: Any) -> None:
    """Add ``db upgrade``, ``db status``, ``db backup`` and ``db restore-backup`` to the parser."""
    p = subparsers.add_parser("db", help="the database: schema migrations, status")
    sub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    q = sub.add_parser(
        "upgrade",
        help="apply schema migrations (SQLite and PostgreSQL)",
        description=(
            "应用数据库结构迁移。Apply the schema migrations to $DATABASE_URL (or --database). Safe to run "
            "from several machines at once; a database of version 1 is recognised and kept."
        ),
    )
    q.add_argument(
        "--enable-postgis",
        action="store_true",
        help="create the PostGIS extension if the database lacks it (needs the right to; docs/gis.md)",
    )
    q.set_defaults(handler=_cmd_upgrade)
    q = sub.add_parser("status", help="schema revision of the database and of the program")
    q.set_defaults(handler=_cmd_status)
    q = sub.add_parser(
        "backup",
        help="write a backup of the store (SQLite: online backup; PostgreSQL: pg_dump)",
        description=(
            "备份数据库(全部版本、账户、保存的分析)。Back up the whole store while it is in use: SQLite "
            "with the online backup API (a .db file), PostgreSQL with pg_dump --format=custom (a .dump file)."
        ),
    )
    q.add_argument("file", metavar="FILE")
    q.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    q.set_defaults(handler=_cmd_backup)
    q = sub.add_parser(
        "restore-backup",
        help="restore a backup into an empty database (or over one with --replace)",
        description=(
            "从备份恢复数据库。Restore a `db backup` file into $DATABASE_URL (or --database): the same kind "
            "of store, empty unless --replace; the schema is upgraded afterwards."
        ),
    )
    q.add_argument("file", metavar="FILE")
    q.add_argument("--replace", action="store_true", help="overwrite a store that holds data")
    q.set_defaults(handler=_cmd_restore_backup)
