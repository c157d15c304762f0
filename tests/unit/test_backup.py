"""Tests of geo.backup and ``db backup`` / ``db restore-backup`` on both stores: a restored backup
holds every version, account and saved analysis."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from geo import analyses, auth, db
from geo.cli import main
from geo.store import FacilityStore, open_store
from tests.unit.test_store import make_facilities

PASSWORD = "a long enough secret"


@pytest.fixture
def second_url(any_db_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Another empty database of the same kind as ``any_db_url``."""
    if any_db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored.db'}"
    make: Callable[..., str] = request.getfixturevalue("pg_database")
    return make()


def fill(url: str, capsys: pytest.CaptureFixture[str]) -> FacilityStore:
    """The sample (v1), an import (v2), a restore (v3), an account and a saved analysis."""
    store = open_store(url)
    store.publish(make_facilities(12), user_name="wang", action="import", base_version=1, file_name="x.csv")
    store.restore(1, user_name="li")
    auth.add_user(store, "wang", PASSWORD, role="editor")
    args = ["--database", url, "coverage", "--type", "community_station", "--minutes", "15", "--save"]
    assert main(args) == 0
    capsys.readouterr()
    return store


def snapshot(store: FacilityStore) -> dict[str, Any]:
    history = store.history()
    saved = analyses.list_saved(store)
    return {
        "history": history,
        "rows": {v.version: store.facilities(v.version) for v in history},
        "users": auth.list_users(store),
        "analyses": saved,
        "cells": {a.analysis_id: analyses.cells(store, a.analysis_id) for a in saved},
    }


def assert_same(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a["history"] == b["history"]
    assert a["rows"].keys() == b["rows"].keys()
    for version, rows in a["rows"].items():
        assert rows.equals(b["rows"][version]), version
    assert a["users"] == b["users"]
    assert a["analyses"] == b["analyses"]
    for analysis_id, cells in a["cells"].items():
        assert cells.equals(b["cells"][analysis_id])


def test_a_restored_backup_has_every_version(
    any_db_url: str, second_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = fill(any_db_url, capsys)
    before = snapshot(source)
    assert [v.version for v in before["history"]] == [3, 2, 1]
    out = tmp_path / "carecircle.backup"
    assert main(["--database", any_db_url, "db", "backup", str(out)]) == 0
    said = capsys.readouterr().out
    assert "backed up 3 versions" in said and "已备份 3 个版本" in said
    # The store goes on after the backup; the backup keeps the moment it was taken.
    source.publish(make_facilities(2), user_name="later", action="import", base_version=3)

    assert main(["--database", second_url, "db", "restore-backup", str(out)]) == 0
    said = capsys.readouterr().out
    assert "restored 3 versions" in said and "恢复 3 个版本" in said
    restored = open_store(second_url)
    assert_same(before, snapshot(restored))
    assert auth.verify_login(restored, "wang", PASSWORD).ok
    # The restored store works: the next publish is version 4.
    info = restored.publish(make_facilities(5), user_name="next", action="import", base_version=3)
    assert info.version == 4
    if restored.engine.dialect.name == "postgresql":
        with restored.engine.connect() as conn:
            if conn.exec_driver_sql("SELECT count(*) FROM pg_extension WHERE extname = 'postgis'").scalar():
                assert conn.exec_driver_sql("SELECT count(*) FROM gis_facilities").scalar() == 5
                assert (
                    conn.exec_driver_sql("SELECT count(*) FROM facility_rows WHERE geom IS NULL").scalar()
                    == 0
                )
    restored.engine.dispose()
    source.engine.dispose()


def test_restore_refuses_a_store_with_data_unless_replace(
    any_db_url: str, second_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = fill(any_db_url, capsys)
    out = tmp_path / "b.backup"
    assert main(["--database", any_db_url, "db", "backup", str(out)]) == 0
    target = open_store(second_url)
    target.publish(make_facilities(3), user_name="other", action="import", base_version=1)
    capsys.readouterr()
    assert main(["--database", second_url, "db", "restore-backup", str(out)]) == 1
    err = capsys.readouterr().err
    assert "目标数据库已有数据" in err and "holds a store already (2 versions)" in err and "--replace" in err
    assert [v.version for v in target.history()] == [2, 1]  # untouched
    assert main(["--database", second_url, "db", "restore-backup", str(out), "--replace"]) == 0
    assert_same(snapshot(source), snapshot(open_store(second_url)))
    # An existing backup file is not overwritten by accident.
    assert main(["--database", any_db_url, "db", "backup", str(out)]) == 1
    err = capsys.readouterr().err
    assert "备份文件已存在" in err and "exists already" in err
    target.engine.dispose()
    source.engine.dispose()


def test_a_file_that_is_not_a_backup_of_this_store_is_refused(
    any_db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a backup", encoding="utf-8")
    assert main(["--database", any_db_url, "db", "restore-backup", str(notes)]) == 1
    err = capsys.readouterr().err
    assert "不能恢复到" in err and "cannot be restored into" in err and "not a backup" in err
    engine = db.create_engine(any_db_url)
    with engine.connect() as conn:
        assert "versions" not in sa.inspect(conn).get_table_names()
    engine.dispose()


@pytest.mark.postgresql
def test_a_sqlite_backup_cannot_go_into_postgresql(
    pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'one.db'}"
    open_store(sqlite_url).engine.dispose()
    out = tmp_path / "one.backup"
    assert main(["--database", sqlite_url, "db", "backup", str(out)]) == 0
    assert main(["--database", pg_url, "db", "restore-backup", str(out)]) == 1
    err = capsys.readouterr().err
    assert "SQLite" in err and "cannot be restored into a postgresql database" in err
