"""Tests of geo.migrate: migrations on both stores, version-1 databases, concurrent starts."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from geo import auth, db, migrate
from geo.cli import main
from geo.errors import DatabaseError
from geo.store import metadata, open_store
from tests.unit.test_store import make_facilities

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"


def load_v1_dump(url: str) -> None:
    """Fill an empty database with the store version 1 of the program made (tests/data/make_v1_stores.py)."""
    parsed = db.normalise_url(url)
    path = db.sqlite_path(parsed)
    if path is not None:
        with sqlite3.connect(path) as conn:
            conn.executescript((DATA / "v1_store.sqlite.sql").read_text(encoding="utf-8"))
        return
    engine = sa.create_engine(parsed)
    with engine.begin() as conn:
        conn.exec_driver_sql((DATA / "v1_store.postgresql.sql").read_text(encoding="utf-8"))
    engine.dispose()


def table_names(url: str) -> set[str]:
    engine = db.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


# Reflection does not know PostGIS's geometry type; the geom columns are left out of the comparison.
@pytest.mark.filterwarnings("ignore:Did not recognize type 'geometry'")
def test_empty_database_upgrades_to_head_and_matches_the_store_tables(any_db_url: str) -> None:
    store = open_store(any_db_url, create=False)
    result = store.create_schema()
    assert (result.before, result.after, result.migrated, result.stamped_v1) == (
        None,
        migrate.head_revision(),
        True,
        False,
    )
    with store.engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.head_revision()
        context = MigrationContext.configure(
            conn, opts=migrate.context_options(dialect_name=conn.dialect.name)
        )
        # The migrations make exactly the tables the program reads and writes.
        assert compare_metadata(context, metadata) == []
    again = store.create_schema()
    assert not again.migrated and again.before == migrate.head_revision()
    assert store.current_version() is None  # create=False: migrated, not filled


def test_a_version_1_database_is_stamped_then_upgraded_and_nothing_is_lost(any_db_url: str) -> None:
    load_v1_dump(any_db_url)
    assert "alembic_version" not in table_names(any_db_url)
    store = open_store(any_db_url, create=False)
    before_history = store.history()
    before_rows = {v: store.facilities(v) for v in (1, 2, 3)}
    result = store.create_schema()
    assert result.stamped_v1 and result.before == migrate.V1_REVISION
    assert result.after == migrate.head_revision()
    assert store.history() == before_history
    assert [v.version for v in store.history()] == [3, 2, 1]
    assert [v.action for v in store.history()] == ["restore", "import", "init"]
    for version, rows in before_rows.items():
        assert store.facilities(version).equals(rows)
    assert list(store.facilities(2)["facility_id"]) == ["V1-A", "V1-B", "V1-C", "V1-D"]
    assert store.facilities(2).set_index("facility_id").loc["V1-A", "capacity"] == 15
    assert auth.verify_login(store, "wang", "a long enough secret").ok
    info = store.publish(make_facilities(2), user_name="after", action="import", base_version=3)
    assert info.version == 4 and info.removed == 3


def test_db_upgrade_command_on_a_version_1_database(
    any_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    load_v1_dump(any_db_url)
    assert main(["--database", any_db_url, "db", "upgrade"]) == 0
    out = capsys.readouterr().out
    assert "stamped at revision 0001" in out and "已标记为 0001" in out
    assert main(["--database", any_db_url, "db", "upgrade"]) == 0
    assert "schema already at revision" in capsys.readouterr().out
    # init leaves the data of version 1 alone.
    assert main(["--database", any_db_url, "init"]) == 0
    assert "already initialised" in capsys.readouterr().out
    assert [v.version for v in open_store(any_db_url, create=False).history()] == [3, 2, 1]
    assert main(["--database", any_db_url, "db", "status"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_some_but_not_all_version_1_tables_is_refused_and_nothing_changes(any_db_url: str) -> None:
    engine = db.create_engine(any_db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE versions (version INTEGER PRIMARY KEY)")
    engine.dispose()
    with pytest.raises(DatabaseError) as caught:
        open_store(any_db_url)
    message = str(caught.value)
    assert "部分数据表" in message and "some of the store's tables" in message
    assert table_names(any_db_url) - migrate.FOREIGN_TABLES == {"versions"}


def test_a_schema_newer_than_the_program_is_refused(
    any_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    open_store(any_db_url).engine.dispose()
    engine = db.create_engine(any_db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    engine.dispose()
    assert main(["--database", any_db_url, "history"]) == 1
    err = capsys.readouterr().err
    assert "比本程序" in err and "newer than this program" in err and "9999" in err
    assert "Traceback" not in err


# Each process imports the program, says it is ready, then waits for the word to go, so that the
# eight really open the empty database at the same moment.
_INIT_SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    sys.path.insert(0, sys.argv[1])
    from geo.cli import main
    open(sys.argv[2], "w").close()
    while not os.path.exists(sys.argv[3]):
        time.sleep(0.005)
    sys.exit(main(["init"]))
    """
)

STARTS = 8


@pytest.mark.slow
def test_eight_concurrent_inits_on_an_empty_database_all_succeed(any_db_url: str, tmp_path: Path) -> None:
    script = tmp_path / "init.py"
    script.write_text(_INIT_SCRIPT, encoding="utf-8")
    go = tmp_path / "go"
    env = {**os.environ, "DATABASE_URL": any_db_url}
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(REPO), str(tmp_path / f"ready{k}"), str(go)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for k in range(STARTS)
    ]
    deadline = time.monotonic() + 120
    while not all((tmp_path / f"ready{k}").exists() for k in range(STARTS)):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), "a process died early"
        time.sleep(0.02)
    go.touch()
    outputs = [p.communicate(timeout=180) for p in procs]
    results = [(p.returncode, out, err) for p, (out, err) in zip(procs, outputs, strict=True)]
    for code, _out, err in results:
        assert code == 0, err
        assert "Traceback" not in err
    created = [out for _, out, _ in results if "published version 1" in out]
    assert len(created) == 1, [out for _, out, _ in results]
    store = open_store(any_db_url, create=False)
    assert [v.version for v in store.history()] == [1]
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all() == [
            migrate.head_revision()
        ]
