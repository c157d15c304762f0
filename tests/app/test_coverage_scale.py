"""覆盖分析 at city scale, through AppTest: above the drawing limits the map shows aggregates and says so
in both languages, while the page's figures stay those of the full data.

The shipped sample (425 facilities, 6,345 cells) already has more uncovered cells than hexagons drawn;
its facilities are made "many" by lowering the marker limit. The full-size run is
``benchmarks/bench_frontdoor.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from streamlit.testing.v1 import AppTest

from geo.map_scale import DrawLimits
from ui import coverage_draw, state

PAGE = "app_pages/coverage.py"


@pytest.fixture(autouse=True)
def _fresh_drawings() -> Iterator[None]:
    # The drawings are cached by data version and controls; every test starts without them.
    coverage_draw.clear()
    yield
    coverage_draw.clear()


TITLES = ("地图显示汇总", "The map shows aggregates")


def _captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption if c.value.startswith(TITLES)]


def _figures(at: AppTest) -> tuple[list[str], list[str]]:
    """The metrics and the captions under them (people covered of all)."""
    return [m.value for m in at.metric], [c.value for c in at.caption if not c.value.startswith(TITLES)]


def test_map_says_what_it_aggregates_in_both_languages_and_counts_stay_exact(
    app: Callable[[str], AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    full = app(PAGE)
    assert not full.exception, [e.message for e in full.exception]
    # The sample's 150-odd stations are drawn one by one; its 5,873 uncovered cells (more than the
    # 2,500 hexagons drawn) are summed over coarser cells, and the caption says only that.
    (sample,) = _captions(full)
    assert "未覆盖人口" in sample and "设施:" not in sample
    figures = _figures(full)
    tables = full.dataframe[0].value.copy()

    monkeypatch.setattr(coverage_draw, "LIMITS", DrawLimits(max_facility_markers=20))
    coverage_draw.clear()
    at = app(PAGE)
    assert not at.exception, [e.message for e in at.exception]
    (zh,) = _captions(at)
    assert zh.startswith("地图显示汇总")
    assert "设施:" in zh and "个按 H3" in zh and "未覆盖人口" in zh and "人数不变" in zh
    assert "均按全部设施和网格计算" in zh
    # The figures and tables are those of the full drawing.
    assert _figures(at) == figures
    assert at.dataframe[0].value.equals(tables)

    at.sidebar.radio(key=state.LANG).set_value("en").run()
    assert not at.exception, [e.message for e in at.exception]
    (en,) = _captions(at)
    assert en.startswith("The map shows aggregates")
    assert "Facilities:" in en and "by H3 resolution" in en and "every person kept" in en
    assert "count every facility and cell" in en


def _bands_script() -> None:
    import shapely
    import streamlit as st

    from geo.map_scale import DrawLimits
    from ui import coverage_draw, coverage_ui, loaders

    coverage_draw.LIMITS = DrawLimits(max_facility_markers=20)
    version, types = loaders.data_version(), ("community_station", "day_care")
    ctl = coverage_ui.CoverageControls(types, "pop_total", "walk", 15.0, 0, ("isochrones",), "none")
    coverage_draw.prefetch_bands(version, ctl)  # made in the background, then waited for
    model, budgets = loaders.travel_model("walk"), coverage_draw.band_minutes(15.0)
    per_type = [coverage_draw._bands_getter(version, code, model, budgets)() for code in types]
    # The usual way: one union of all the open facilities' circles.
    points = loaders.open_facilities(version, types)[["lon", "lat"]].to_numpy(float)
    whole = model.isochrones(points, budgets_min=budgets, quad_segs=4)
    for i, usual in enumerate(whole):
        drawn = coverage_draw._union([bands[i] for bands in per_type])
        st.text(f"{usual.area:.12f} {shapely.symmetric_difference(drawn, usual).area:.12f}")
    chosen = loaders.open_facilities(version, types)
    shapes, drawn_info = coverage_draw._isochrones(version, types, "walk", 15.0, "none", chosen)
    st.text(f"{len(shapes)} {drawn_info.n_items}")


def test_reach_bands_made_per_type_in_the_background_are_those_of_all_facilities(db_url: str) -> None:
    from geo.cli import main

    assert main(["init"]) == 0
    at = AppTest.from_function(_bands_script, default_timeout=120).run()
    assert not at.exception, [e.message for e in at.exception]
    *rows, drawn = (t.value for t in at.text)
    assert len(rows) == 3 and drawn == "3 3"
    for area, difference in (map(float, row.split()) for row in rows):
        assert area > 0 and difference < 1e-6 * area  # the same shape, up to rounding


def _pile_up_script() -> None:
    import streamlit as st

    from geo.map_scale import DrawLimits
    from ui import coverage_draw, coverage_ui, loaders

    coverage_draw.LIMITS = DrawLimits(max_facility_markers=20)
    version, types = loaders.data_version(), ("community_station", "day_care")
    for budget in (5.0, 10.0, 15.0, 20.0, 30.0):  # a planner changing the budget faster than bands are made
        ctl = coverage_ui.CoverageControls(types, "pop_total", "walk", budget, 0, ("isochrones",), "none")
        coverage_draw.prefetch_bands(version, ctl)
    st.text("submitted")


def test_background_bands_do_not_pile_up(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from geo.cli import main

    assert main(["init"]) == 0
    release, started = threading.Event(), []

    def getter(version: str, code: str, model: object, budgets: tuple[float, ...]) -> Callable[[], None]:
        def get() -> None:
            started.append(budgets)
            release.wait(30)

        return get

    monkeypatch.setattr(coverage_draw, "_bands_getter", getter)
    at = AppTest.from_function(_pile_up_script, default_timeout=120).run()
    assert not at.exception, [e.message for e in at.exception]
    release.set()
    coverage_draw._BANDS_AHEAD.submit(lambda: None).result(timeout=30)  # the queue has drained
    # One job ran, one waited its turn; the three changes after them queued nothing.
    assert len({b for b in started}) == 2
    assert coverage_draw._BANDS_SLOTS.acquire(blocking=False) and coverage_draw._BANDS_SLOTS.acquire(
        blocking=False
    )
    coverage_draw._BANDS_SLOTS.release()
    coverage_draw._BANDS_SLOTS.release()
