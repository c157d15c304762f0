"""``python -m geo db …``: the database itself — schema migrations and status.

``db upgrade`` applies the migrations in ``geo/migrations`` (SQLite and PostgreSQL); ``init`` and every
command that opens the store do the same, so running it by hand is for operators who want to see it
happen (or to upgrade before starting the app servers of a city deployment).
"""

from __future__ import annotations

import argparse
from typing import Any

from geo import gis, migrate
from geo.store import FacilityStore, open_store

__all__ = ["register"]


def _describe(store: FacilityStore) -> str:
    kind = store.engine.dialect.name
    return f"{store.url} ({kind})"


def _cmd_upgrade(args: argparse.Namespace) -> int:
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


def register(subparsers: Any) -> None:
    """Add ``db upgrade`` and ``db status`` to the ``python -m geo`` parser."""
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
