"""geo.published: the newest facility version read with sqlite3, as the store reads it, or not at all."""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
from dataclasses import asdict, replace
from pathlib import Path

import pandas as pd
import pytest

from geo import published
from geo.cli import main
from geo.demand_layers import sample_layers, sample_version
from geo.demand_store import load_layers
from geo.migrate import head_revision
from geo.store import open_store
from tests.unit.test_store import make_facilities


def _sqlite(url: str) -> sqlite3.Connection:
    path = published.sqlite_file(url)
    assert path is not None
    return sqlite3.connect(path)


def test_reads_what_the_store_reads(db_url: str) -> None:
    store = open_store(db_url)  # the shipped sample as version 1
    quick = published.read_published(db_url)
    assert quick is not None
    pd.testing.assert_frame_equal(quick.facilities, store.facilities())
    assert quick.info == store.version_info(1)
    assert (quick.demand_version, quick.boundary_version) == (None, None)
    # A newer version (with missing values, other ids) is the one read.
    newer = make_facilities(30, prefix="N").assign(capacity=pd.array([None] * 30, dtype="Int64"))
    store.publish(newer, user_name="tester", action="import", base_version=1, file_name="n.csv")
    quick = published.read_published(db_url)
    assert quick is not None and quick.info == store.version_info(2)
    pd.testing.assert_frame_equal(quick.facilities, store.facilities())
    assert quick.facilities["capacity"].isna().all()
    store.engine.dispose()


def test_sample_layers_are_what_the_store_loads(db_url: str) -> None:
    store = open_store(db_url)
    loaded, sample = load_layers(store.engine), sample_layers()
    pd.testing.assert_frame_equal(loaded.cells, sample.cells)
    pd.testing.assert_frame_equal(loaded.townships, sample.townships)
    assert (loaded.demand, loaded.boundary, loaded.boundaries) == (sample.demand, None, None)
    store.engine.dispose()


def test_says_when_layers_were_imported(db_url: str) -> None:
    # With a demand layer imported, coverage must read it through the store (geo.demand_store).
    store = open_store(db_url)
    line = asdict(replace(sample_version(), version=7, kind="grid", note="imported"))
    with contextlib.closing(_sqlite(db_url)) as conn, conn:
        conn.execute(
            f"INSERT INTO demand_versions ({', '.join(line)}) VALUES ({', '.join('?' * len(line))})",
            tuple(line.values()),
        )
    quick = published.read_published(db_url)
    assert quick is not None and quick.demand_version == 7 and quick.boundary_version is None
    store.engine.dispose()


def test_answers_only_where_it_reads_exactly_what_the_store_would(db_url: str, tmp_path: Path) -> None:
    missing = f"sqlite:///{tmp_path / 'none.db'}"
    assert published.read_published(missing) is None
    assert not (tmp_path / "none.db").exists()  # nothing made: opening the store does that
    assert published.read_published("postgresql://u@localhost/carecircle") is None
    for url in (f"{db_url}?mode=ro", "sqlite://", "sqlite:///:memory:", "sqlite:///a%20b.db"):
        assert published.sqlite_file(url) is None
    # An empty file, a store with no version yet, an older schema: the store must open it.
    (tmp_path / "empty.db").write_bytes(b"")
    assert published.read_published(f"sqlite:///{tmp_path / 'empty.db'}") is None
    store = open_store(db_url, create=False)
    store.create_schema()
    assert published.read_published(db_url) is None  # migrated but empty
    store.init_from_datasets()
    assert published.read_published(db_url) is not None
    with contextlib.closing(_sqlite(db_url)) as conn, conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    assert head_revision() != "0001"
    assert published.read_published(db_url) is None
    store.engine.dispose()


def _coverage_json(*argv: str) -> dict[str, object]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["coverage", "--straight-line", "--format", "json", *argv])
    assert code == 0, err.getvalue()
    result: dict[str, object] = json.loads(out.getvalue())
    return result


@pytest.mark.parametrize("by", ["district", "township"])
def test_coverage_answers_the_same_on_both_paths(
    db_url: str, by: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_store(db_url).engine.dispose()
    argv = ("--type", "community_station,nursery", "--minutes", "15", "--by", by)
    calls: list[str] = []
    read = published.read_published
    monkeypatch.setattr(published, "read_published", lambda url: calls.append(url) or read(url))
    quick = _coverage_json(*argv)
    assert calls and read(calls[0]) is not None  # the quick path ran
    monkeypatch.setattr(published, "read_published", lambda url: None)
    full = _coverage_json(*argv)
    assert quick == full
