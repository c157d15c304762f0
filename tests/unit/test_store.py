"""Tests of geo.store: versions, preview, history, restore, conflicts and killed publishes.

Every test that stores something runs on SQLite and on PostgreSQL (``any_db_url``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pandas as pd
import pytest

from geo import io as gio
from geo.errors import ConflictError, DataError, NotFoundError
from geo.facilities import diff_facilities
from geo.schema import COLUMN_NAMES
from geo.store import FacilityStore, open_store

REPO = Path(__file__).resolve().parents[2]


def make_facilities(n: int, *, prefix: str = "F", capacity: int = 10) -> pd.DataFrame:
    """n valid facilities around Dongsheng, as the store holds them (contract dtypes)."""
    rows = [
        {
            "facility_id": f"{prefix}-{k:05d}",
            "name": f"设施{k}",
            "category": "elderly",
            "type": "community_station",
            "district_adcode": "150602",
            "township": "交通街道",
            "address": f"测试路{k}号",
            "lon": f"{109.9 + (k % 100) * 0.001:.6f}",
            "lat": f"{39.8 + (k // 100) * 0.001:.6f}",
            "capacity": str(capacity),
            "capacity_unit": "beds",
            "available_places": "1",
            "opening_hours": "24/7",
            "phone": "0477-1",
            "services": "助餐",
            "status": "open",
            "updated_at": "2025-01-01",
            "source": "test",
        }
        for k in range(n)
    ]
    return gio.coerce_facilities(pd.DataFrame(rows, columns=list(COLUMN_NAMES), dtype=object))


def new_store(url: str, facilities: pd.DataFrame | None = None) -> FacilityStore:
    store = open_store(url, create=False)
    store.create_schema()
    if facilities is not None:
        store.publish(facilities, user_name="tester", action="init", base_version=None)
    return store


def same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    counts = diff_facilities(a, b).counts()
    return counts["added"] == counts["changed"] == counts["removed"] == 0


def test_empty_store(any_db_url: str) -> None:
    store = new_store(any_db_url)
    assert store.current_version() is None
    assert store.history() == []
    with pytest.raises(NotFoundError):
        store.facilities()


def test_publish_preview_history_restore_round_trip(any_db_url: str) -> None:
    v1 = make_facilities(30)
    store = new_store(any_db_url, v1)
    assert store.current_version() == 1
    back = store.facilities()
    assert list(back.columns) == list(COLUMN_NAMES)
    pd.testing.assert_frame_equal(back.reset_index(drop=True), v1.reset_index(drop=True), check_dtype=False)

    v2 = v1.iloc[1:].copy()  # one removed
    v2.loc[v2["facility_id"] == "F-00005", "capacity"] = 99  # one changed
    v2 = pd.concat([v2, make_facilities(2, prefix="N")], ignore_index=True)  # two added
    preview = store.preview(v2)
    assert preview.counts() == {"added": 2, "changed": 1, "removed": 1, "unchanged": 28}
    assert [(c.facility_id, c.column, c.old, c.new) for c in preview.changes] == [
        ("F-00005", "capacity", "10", "99")
    ]
    assert store.current_version() == 1  # a preview writes nothing

    info = store.publish(
        v2, user_name="alice", action="import", base_version=1, file_name="f.csv", sha256="ab", mode="upsert"
    )
    assert (info.version, info.added, info.changed, info.removed, info.unchanged, info.total) == (
        2,
        2,
        1,
        1,
        28,
        31,
    )
    assert store.version_info(2) == info
    assert [v.version for v in store.history()] == [2, 1]
    assert store.history()[0].user_name == "alice" and store.history()[0].file_name == "f.csv"
    assert same(store.facilities(1), v1) and same(store.facilities(2), v2)

    restored = store.restore(1, user_name="bob")
    assert (restored.version, restored.action, restored.restored_from, restored.user_name) == (
        3,
        "restore",
        1,
        "bob",
    )
    assert same(store.facilities(3), v1)
    assert same(store.facilities(2), v2)  # history is kept
    assert (restored.added, restored.removed, restored.changed) == (1, 2, 1)


def test_unknown_versions(any_db_url: str) -> None:
    store = new_store(any_db_url, make_facilities(3))
    with pytest.raises(NotFoundError):
        store.facilities(7)
    with pytest.raises(NotFoundError):
        store.version_info(7)
    with pytest.raises(NotFoundError):
        store.restore(7, user_name="x")


def test_data_version_changes_on_publish(any_db_url: str) -> None:
    store = new_store(any_db_url, make_facilities(3))
    before = store.data_version()
    store.publish(make_facilities(4), user_name="x", action="import", base_version=1)
    assert store.data_version() != before


def test_another_server_sees_a_publish_at_its_next_read(any_db_url: str) -> None:
    # Two app servers hold their own engines on one database; the key their caches follow changes
    # for both as soon as either (or the CLI) publishes — no time-to-live, no restart.
    server_a = new_store(any_db_url, make_facilities(3))
    server_b = open_store(any_db_url, create=False)
    before = server_b.data_version()
    assert server_a.data_version() == before and f"#v1@{server_b.history()[0].created_at}#" in before
    server_a.publish(make_facilities(4), user_name="x", action="import", base_version=1)
    assert server_b.data_version() != before and "#v2@" in server_b.data_version()
    assert len(server_b.facilities()) == 4


def test_conflict_when_another_store_published_since_the_preview(any_db_url: str) -> None:
    first = new_store(any_db_url, make_facilities(5))
    second = open_store(any_db_url, create=False)
    base_a, base_b = first.current_version(), second.current_version()
    assert base_a == base_b == 1
    first.publish(make_facilities(6), user_name="a", action="import", base_version=base_a)
    with pytest.raises(ConflictError, match="preview again") as caught:
        second.publish(make_facilities(2, prefix="B"), user_name="b", action="import", base_version=base_b)
    assert "已被他人更新" in str(caught.value) and "now version 2" in str(caught.value)
    assert first.current_version() == 2
    assert len(second.facilities()) == 6  # a's data stand, nothing of b's was written
    assert [v.user_name for v in second.history()] == ["a", "tester"]


PUBLISHERS = 8


def test_concurrent_publishers_one_winner_per_base_version(any_db_url: str) -> None:
    # Eight data staff preview on version 1 and press "publish" at the same moment, each through
    # their own connection pool: one wins, seven are told to preview again, nothing is mixed.
    new_store(any_db_url, make_facilities(5)).engine.dispose()
    stores = [open_store(any_db_url, create=False) for _ in range(PUBLISHERS)]
    barrier = threading.Barrier(PUBLISHERS)
    outcomes: dict[int, str] = {}

    def publish(k: int) -> None:
        base = stores[k].current_version()
        barrier.wait()
        try:
            stores[k].publish(
                make_facilities(300 + k, prefix=f"T{k}"),
                user_name=f"u{k}",
                action="import",
                base_version=base,
            )
            outcomes[k] = "ok"
        except ConflictError as exc:
            outcomes[k] = str(exc)

    threads = [threading.Thread(target=publish, args=(k,)) for k in range(PUBLISHERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [k for k, outcome in outcomes.items() if outcome == "ok"]
    assert len(winners) == 1, outcomes
    for k, outcome in outcomes.items():
        if k not in winners:
            assert "已被他人更新" in outcome and "preview again" in outcome and "now version 2" in outcome
    assert stores[0].current_version() == 2
    assert [v.version for v in stores[0].history()] == [2, 1]
    assert len(stores[0].facilities()) == 300 + winners[0]
    assert set(stores[0].facilities()["facility_id"].str[:2]) == {f"T{winners[0]}"}
    for s in stores:
        s.engine.dispose()


def test_repeated_ids_are_a_data_error_not_a_conflict(any_db_url: str) -> None:
    store = new_store(any_db_url, make_facilities(3))
    twice = pd.concat([make_facilities(2), make_facilities(1)], ignore_index=True)
    with pytest.raises(DataError, match="F-00000"):
        store.publish(twice, user_name="x", action="import", base_version=1)
    assert store.current_version() == 1


def test_init_from_datasets_once(any_db_url: str, tmp_path: Path) -> None:
    (tmp_path / gio.FACILITIES_SAMPLE_FILE).write_bytes(gio.facilities_csv_bytes(make_facilities(4)))
    store = open_store(any_db_url, create=False)
    info = store.init_from_datasets(tmp_path)
    assert info is not None and info.version == 1 and info.total == 4 and info.action == "init"
    assert len(info.sha256) == 64
    assert store.init_from_datasets(tmp_path) is None
    assert store.current_version() == 1


def test_ids_come_back_in_code_point_order_whatever_the_collation(any_db_url: str) -> None:
    # PostgreSQL's collations (en_US, zh_CN) would order these differently from SQLite; exports must
    # be the same bytes on both stores.
    ids = ["b-1", "B-2", "a_1", "A-1", "站-1", "Z", "10", "9"]
    rows = make_facilities(len(ids))
    rows["facility_id"] = ids
    store = new_store(any_db_url, rows)
    assert list(store.facilities()["facility_id"]) == sorted(ids)


# The publishing process is killed from inside a SQLAlchemy event hook set up here, in the test's
# script, while its transaction is open: after the rows are inserted, before the commit.
_KILL_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    import sqlalchemy as sa
    sys.path.insert(0, sys.argv[2])
    from geo.store import open_store
    from tests.unit.test_store import make_facilities

    store = open_store(sys.argv[1], create=False)
    kill_at = os.environ.get("CARECIRCLE_TEST_KILL_AT", "")

    @sa.event.listens_for(store.engine, "after_cursor_execute")
    def _kill(conn, cursor, statement, parameters, context, executemany):
        if kill_at and statement.lstrip().upper().startswith("INSERT INTO " + kill_at.upper()):
            print("killing at", kill_at, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

    info = store.publish(make_facilities(3000, prefix="BIG"), user_name="doomed", action="import", base_version=1)
    print("published", info.version, flush=True)
    """
)


def _run_publisher(tmp_path: Path, url: str, kill_at: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "publisher.py"
    script.write_text(_KILL_SCRIPT, encoding="utf-8")
    env = {**os.environ, "CARECIRCLE_TEST_KILL_AT": kill_at}
    return subprocess.run(
        [sys.executable, str(script), url, str(REPO)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )


@pytest.mark.parametrize("kill_at", ["facility_rows", "versions"])
def test_publish_killed_mid_transaction_leaves_previous_version(
    any_db_url: str, tmp_path: Path, kill_at: str
) -> None:
    v1 = make_facilities(50)
    new_store(any_db_url, v1).engine.dispose()
    done = _run_publisher(tmp_path, any_db_url, kill_at)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert f"killing at {kill_at}" in done.stdout
    store = open_store(any_db_url, create=False)
    assert store.current_version() == 1
    assert [v.version for v in store.history()] == [1]
    assert same(store.facilities(), v1)
    # The store is not wedged (no lock left behind): the next publish on version 1 goes through.
    info = store.publish(make_facilities(3), user_name="next", action="import", base_version=1)
    assert info.version == 2


def test_publisher_script_publishes_when_not_killed(any_db_url: str, tmp_path: Path) -> None:
    # Control for the kill test: the same script without the kill publishes version 2.
    new_store(any_db_url, make_facilities(5)).engine.dispose()
    done = _run_publisher(tmp_path, any_db_url, "")
    assert done.returncode == 0, done.stderr
    assert "published 2" in done.stdout
    assert len(open_store(any_db_url, create=False).facilities()) == 3000


def test_networks_live_next_to_the_sqlite_file(tmp_path: Path) -> None:
    from geo.store import network_dir

    assert network_dir(f"sqlite:///{tmp_path / 'x' / 'c.db'}") == tmp_path / "x" / "networks"
    assert network_dir("postgresql://u@h/db").parts[-2:] == ("data", "networks")
