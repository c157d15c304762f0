"""Make the version-1 store dumps the migration tests start from (``v1_store.sqlite.sql``,
``v1_store.postgresql.sql``), with the code of version 1 — before migrations existed.

The dumps are committed; this script records how they were made. Run it against a checkout of the
last commit without ``geo/migrations`` (51cd298), from that checkout, with psycopg installed::

    PYTHONPATH=/path/to/v1-checkout python tests/data/make_v1_stores.py OUT_DIR POSTGRESQL_ADMIN_URL

It publishes three facilities (version 1), an upsert that changes one and adds one (version 2), a
restore of version 1 (version 3), and one data-staff account, on SQLite and on PostgreSQL, then
dumps both as SQL text (``sqlite3 iterdump``; ``pg_dump --inserts --no-owner --no-privileges``,
without psql's meta-commands).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from geo import auth
from geo import io as gio
from geo.schema import COLUMN_NAMES
from geo.store import open_store


def facilities(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    records = [
        {
            "facility_id": fid,
            "name": name,
            "category": "elderly",
            "type": "community_station",
            "district_adcode": "150602",
            "township": "交通街道",
            "address": f"{name}路1号",
            "lon": f"{109.95 + k * 0.01:.6f}",
            "lat": "39.81",
            "capacity": str(capacity),
            "capacity_unit": "beds",
            "available_places": "",
            "opening_hours": "Mo-Fr 08:00-18:00",
            "phone": "0477-8000000",
            "services": "助餐;日间照料",
            "status": "open",
            "updated_at": "2025-01-01",
            "source": "v1 fixture",
        }
        for k, (fid, name, capacity) in enumerate(rows)
    ]
    return gio.coerce_facilities(pd.DataFrame(records, columns=list(COLUMN_NAMES), dtype=object))


def fill(url: str) -> None:
    store = open_store(url, create=False)
    store.create_schema()
    v1 = facilities([("V1-A", "甲站", 10), ("V1-B", "乙站", 20), ("V1-C", "丙站", 30)])
    store.publish(
        v1, user_name="system", action="init", base_version=None, file_name="v1.csv", sha256="a" * 64
    )
    v2 = facilities([("V1-A", "甲站", 15), ("V1-B", "乙站", 20), ("V1-C", "丙站", 30), ("V1-D", "丁站", 5)])
    store.publish(
        v2,
        user_name="wang",
        action="import",
        base_version=1,
        file_name="v2.csv",
        sha256="b" * 64,
        mode="upsert",
    )
    store.restore(1, user_name="li")
    auth.add_user(store, "wang", "a long enough secret", role="editor")
    store.engine.dispose()


def main(out: Path, admin_url: str) -> None:
    sqlite_file = out / "v1.db"
    sqlite_file.unlink(missing_ok=True)
    fill(f"sqlite:///{sqlite_file}")
    with sqlite3.connect(sqlite_file) as conn:
        (out / "v1_store.sqlite.sql").write_text("\n".join(conn.iterdump()) + "\n", encoding="utf-8")
    for leftover in out.glob("v1.db*"):
        leftover.unlink()

    admin = sa.create_engine(
        admin_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.exec_driver_sql("DROP DATABASE IF EXISTS carecircle_v1")
        conn.exec_driver_sql("CREATE DATABASE carecircle_v1")
    target = admin_url.rsplit("/", 1)[0] + "/carecircle_v1"
    fill(target.replace("postgresql://", "postgresql+psycopg://"))
    dump = subprocess.run(
        ["pg_dump", "--inserts", "--no-owner", "--no-privileges", "--dbname", target],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    # Without psql's meta-commands (\restrict …), so that a driver can run the script as it is.
    lines = [line for line in dump.splitlines() if not line.startswith("\\")]
    (out / "v1_store.postgresql.sql").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with admin.connect() as conn:
        conn.exec_driver_sql("DROP DATABASE carecircle_v1")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
