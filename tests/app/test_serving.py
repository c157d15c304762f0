"""Serving many sessions: what is heavy is built once per process and data version and shared; the
data version is read from the store at most once per interval, at once after this process publishes,
and a version published elsewhere shows once that interval has passed."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from geo import coverage, geocode
from geo import io as gio
from geo.store import FacilityStore, open_store
from tests.app._data import HOME_LONLAT, HOSTILE_NAME, publish_hostile
from ui import loaders, mapview, state
from ui.loaders import Memo, VersionClock
from ui.widgets import md_escape

# --- the version clock ----------------------------------------------------------------------------


def test_the_version_is_read_once_per_interval_and_at_once_after_a_publish_here() -> None:
    now = [0.0]
    answers = iter(["v1", "v2", "v3"])
    clock = VersionClock(lambda: next(answers), ttl_s=2.0, clock=lambda: now[0])
    assert clock.get() == "v1"
    now[0] = 1.9
    assert clock.get() == "v1"  # within the interval: no query
    now[0] = 2.0
    assert clock.get() == "v2"  # published elsewhere (CLI, another server): seen after the interval
    clock.invalidate()
    assert clock.get() == "v3"  # published by this process: seen at once
    assert clock.reads == 3


def test_many_sessions_at_once_make_one_query() -> None:
    reads: list[int] = []

    def read() -> str:
        time.sleep(0.05)  # a slow database
        reads.append(1)
        return "v1"

    clock = VersionClock(read, ttl_s=60.0)
    start = threading.Barrier(16)
    seen: list[str] = []

    def session() -> None:
        start.wait()
        seen.append(clock.get())

    threads = [threading.Thread(target=session) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == ["v1"] * 16
    assert len(reads) == 1


def test_a_publish_while_the_version_is_being_read_is_not_missed() -> None:
    calls = 0

    def read() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            clock.invalidate()  # this process publishes while the query is under way
        return f"v{calls}"

    clock = VersionClock(read, ttl_s=60.0)
    assert clock.get() == "v1"
    assert clock.get() == "v2"  # the first answer may predate the publish: read again


# --- the shared memo ------------------------------------------------------------------------------


def test_a_shared_value_is_built_once_while_others_wait_for_it() -> None:
    memo = Memo()
    builds: list[int] = []

    def build() -> str:
        time.sleep(0.05)
        builds.append(1)
        return "map"

    start = threading.Barrier(12)
    got: list[str] = []

    def session() -> None:
        start.wait()
        got.append(memo.get("map", ("walk", 15.0), build, max_entries=4))

    threads = [threading.Thread(target=session) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got == ["map"] * 12
    assert len(builds) == 1 and memo.builds == {"map": 1}


def test_the_memo_is_bounded_and_a_failed_build_is_tried_again() -> None:
    memo = Memo()
    for n in range(10):
        memo.get("t", n, lambda n=n: n * n, max_entries=3)
    assert [memo.get("t", n, lambda: -1, max_entries=3) for n in (7, 8, 9)] == [49, 64, 81]
    assert memo.get("t", 0, lambda: -1, max_entries=3) == -1  # the oldest were dropped

    def fail() -> int:
        raise ValueError("database gone")

    with pytest.raises(ValueError, match="database gone"):
        memo.get("t", "x", fail, max_entries=3)
    assert memo.get("t", "x", lambda: 5, max_entries=3) == 5


# --- sessions of the app ---------------------------------------------------------------------------


def _count_calls(monkeypatch: pytest.MonkeyPatch, counts: Counter[str]) -> None:
    """Count every heavy build the pages may trigger."""

    def counted(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return func(*args, **kwargs)

        return wrapper

    targets = [
        (FacilityStore, "facilities"),
        (gio, "read_population_cells"),
        (gio, "read_districts"),
        (gio, "read_townships"),
        (coverage, "cell_access"),
        (coverage, "two_step_fca"),
        (mapview, "prepare"),
        (loaders, "build_gazetteer"),
        (loaders, "default_model"),
    ]
    for owner, name in targets:
        monkeypatch.setattr(owner, name, counted(name, getattr(owner, name)))


def _visit(app: Callable[[str], AppTest]) -> AppTest:
    """A resident and a planner's path: the facility map, a place search, the coverage page."""
    at = app("app_pages/find.py")
    at.radio(key=state.FIND_HOW).set_value("place").run()
    at.text_input(key=state.FIND_QUERY).input("康巴什").run()
    assert not at.exception, [e.message for e in at.exception]
    at.switch_page("app_pages/coverage.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_a_second_session_builds_nothing_the_first_built(
    app: Callable[[str], AppTest], store: FacilityStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaders._static.clear()  # start from an empty process, as a fresh server does
    counts: Counter[str] = Counter()
    _count_calls(monkeypatch, counts)
    _visit(app)
    first = counts.copy()
    for heavy in ("facilities", "read_population_cells", "cell_access", "prepare", "build_gazetteer"):
        assert first[heavy] >= 1, f"the first session should have built {heavy}: {first}"
    _visit(app)
    assert counts == first, f"the second session rebuilt: {counts - first}"


def test_shared_tables_are_handed_out_as_copies(store: FacilityStore) -> None:
    version, mine = loaders.facilities()
    mine.loc[mine.index[0], "name"] = "changed by one page"
    mine["extra"] = 1
    _, theirs = loaders.facilities()
    assert theirs.loc[theirs.index[0], "name"] != "changed by one page"
    assert "extra" not in theirs.columns
    bundle = loaders.coverage_bundle(version, ("community_station",), "walk", 15.0, "pop_total")
    bundle["districts"].loc[:, "pop_total"] = -1
    again = loaders.coverage_bundle(version, ("community_station",), "walk", 15.0, "pop_total")
    assert (again["districts"]["pop_total"] >= 0).all()


def test_a_version_published_elsewhere_shows_once_the_interval_has_passed(
    app: Callable[[str], AppTest], store: FacilityStore, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app("app_pages/map.py")
    assert "数据版本 1" in [c.value for c in at.caption]
    publish_hostile(open_store(db_url))  # through the CLI or another server: this process is not told
    clock = loaders._clock(db_url)
    monkeypatch.setattr(clock, "_clock", lambda: time.monotonic() + loaders.DATA_VERSION_TTL_S + 1)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert "数据版本 2" in [c.value for c in at.caption]
    at.switch_page("app_pages/find.py").run()
    at.session_state[state.HOME] = HOME_LONLAT
    at.selectbox(key=state.FIND_NEED).set_value("child").run()
    assert not at.exception, [e.message for e in at.exception]
    names = [m.value for m in at.markdown if m.value.startswith("**")]
    assert any(md_escape(HOSTILE_NAME) in n for n in names), names[:3]


def test_a_population_import_published_elsewhere_is_seen_once_the_interval_has_passed(
    store: FacilityStore, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from geo.demand import validate_demand
    from geo.demand_store import layer_store
    from tests.unit._demand_files import DONGSHENG_BOX, raster_over

    now = [time.monotonic()]
    monkeypatch.setattr(loaders._clock(db_url), "_clock", lambda: now[0])
    version = loaders.data_version()
    sample_people = float(loaders.cells()["pop_total"].sum())
    assert loaders.layers().demand.kind == "sample"
    data, total = raster_over(DONGSHENG_BOX, crs="EPSG:4326", pixel_m=300.0, value=20.0)
    imported = validate_demand(data, file_name="dongsheng.tif")
    # Through the CLI or another server: facilities unchanged, only the demand layer is new.
    layer_store(open_store(db_url).engine).publish_demand(
        imported, mode="replace", user_name="cli", base_version=None
    )
    assert loaders.data_version() == version  # trusted for the interval
    now[0] += loaders.DATA_VERSION_TTL_S + 0.1
    newer = loaders.data_version()
    assert newer != version
    assert loaders.layers().demand.kind == "raster"
    people = float(loaders.cells()["pop_total"].sum())
    assert people == pytest.approx(total, rel=0.01) and people != pytest.approx(sample_people)
    bundle = loaders.coverage_bundle(newer, ("community_station",), "walk", 15.0, "pop_total")
    assert len(bundle["access"]) == len(loaders.cells())
    assert loaders.data_block() == loaders.data_block()


def test_what_a_page_gets_for_the_map_is_the_same_text_for_every_session(store: FacilityStore) -> None:
    from ui import mapbuild

    version = loaders.data_version()
    first = mapbuild.prepared_finder_map(version, ("nursery",), "none", "zh")
    second = mapbuild.prepared_finder_map(version, ("nursery",), "none", "zh")
    assert first is second  # one object: the browser keeps it and later sends are references
    assert "map_div" in first.script and first.js_links and first.size_bytes < 2_000_000


def test_the_gazetteer_follows_the_version(store: FacilityStore, db_url: str) -> None:
    version = loaders.data_version()
    gazetteer = loaders.gazetteer(version)
    assert gazetteer is loaders.gazetteer(version)
    assert isinstance(gazetteer, geocode.Gazetteer)


def test_a_residents_overlay_is_small_escaped_and_the_same_text_for_the_same_search(
    store: FacilityStore,
) -> None:
    from geo.finder import nearby
    from ui import mapbuild

    version = loaders.data_version()
    nurseries = loaders.facilities_of_types(version, ("nursery",))
    results = nearby(nurseries, HOME_LONLAT, loaders.travel_model("walk"), budget_min=60, limit=10)
    results.loc[0, "name"] = HOSTILE_NAME

    def overlay() -> tuple[str, tuple[float, float]]:
        return mapbuild.finder_overlay(
            version,
            HOME_LONLAT,
            mode="walk",
            reach_min=15.0,
            label=HOSTILE_NAME,
            results=results,
            basemap="none",
        )

    script, (lat, lon) = overlay()
    assert (lon, lat) == pytest.approx(HOME_LONLAT)
    assert script == overlay()[0]  # unchanged search: unchanged text, so the browser keeps its layer
    assert "var feature_group_overlay = L.featureGroup();" in script
    assert "map_div.addLayer(feature_group_overlay);" in script
    assert ".bringToBack();" in script  # the reach lies beneath the facility markers
    assert "<img" not in script and len(script) < 50_000
