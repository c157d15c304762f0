"""Coverage, 2SFCA, gaps, suggestions, scenarios and reports run unchanged on imported demand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo import context as cx
from geo import coverage as cov
from geo import io as gio
from geo import report as rp
from geo import scenarios
from geo.demand import DemandSettings, validate_demand
from geo.provenance import data_block, modelled_note
from geo.siting import suggest_sites
from geo.travel import StraightLineModel, get_mode
from tests.unit._demand_files import DONGSHENG_BOX, raster_over

MODEL = StraightLineModel(get_mode("walk"))
DISTRICTS = gio.read_districts()
CENSUS = gio.read_census()


@pytest.fixture(scope="module")
def facilities() -> pd.DataFrame:
    return gio.read_facilities_csv(gio.DATASETS_DIR / gio.FACILITIES_SAMPLE_FILE)


@pytest.fixture(scope="module")
def raster() -> bytes:
    data, _ = raster_over(DONGSHENG_BOX, crs="EPSG:3857", pixel_m=200.0, value=30.0)
    return data


@pytest.mark.parametrize("resolution", [8, 9, 10])
def test_every_analysis_runs_on_imported_cells(resolution, raster, facilities) -> None:
    result = validate_demand(raster, file_name="pop.tif", settings=DemandSettings(resolution=resolution))
    cells = result.cells.assign(township_code="150602001")
    total = int(cells["pop_total"].sum())
    report = cov.coverage_report(
        cells,
        facilities,
        MODEL,
        types="community_station",
        budget_min=15,
        by="district",
        names=gio.read_districts(),
    )
    assert report["totals"]["pop_total"] == total
    assert 0 < report["totals"]["pop_total_covered"] <= total
    access = cov.cell_access(cells, facilities, MODEL, types=["community_station"], budget_min=15)
    gaps = cov.gap_list(cells, access, target="pop_60plus", top=10)
    assert len(gaps) <= 10 and (gaps["pop_60plus"] >= 0).all()
    found = suggest_sites(cells, facilities, MODEL, facility_type="community_station", n_new=2, budget_min=15)
    assert len(found.table) <= 2
    summary = scenarios.evaluate(cells, facilities, MODEL, types="community_station", budget_min=15)
    assert summary.shares()["pop_total"] == pytest.approx(report["totals"]["pop_total_covered_share"])
    if resolution == 9:
        block = {
            "facilities": {"modelled": True},
            "demand": {
                "modelled": False,
                "kind": "raster",
                "version": 2,
                "source": "pop.tif",
                "resolution": 9,
            },
            "boundaries": {"modelled": True},
            "network": {"modelled": False},
        }
        data = rp.ReportData(
            cells=cells,
            facilities=facilities,
            model=MODEL,
            districts=gio.read_districts(),
            townships=gio.read_townships(),
            data=block,
        )
        for lang in ("zh", "en"):
            settings = rp.ReportSettings(
                types=("community_station",), budget_min=15, n_suggestions=1, lang=lang
            )
            html = rp.render(rp.build_content(data, settings), "html").decode("utf-8")
            note = cx.modelled_note(block, lang)
            assert note and note in html
            if lang == "zh":
                assert "设施、边界为模拟数据" in note and "人口" not in note
            else:
                assert "facilities and boundaries are modelled" in note and "population" not in note
            assert "pop.tif" in html


def test_data_block_and_note_name_exactly_the_modelled_layers() -> None:
    class Info:
        version, file_name, note, action, created_at = 3, "real.csv", "", "import", "2026-01-01"

    class Demand:
        version, file_name, kind, crs, resolution, mode, cells, created_at = (
            2,
            "pop.tif",
            "raster",
            "EPSG:4326",
            9,
            "patch",
            10,
            "t",
        )
        pop_total, modelled_people = 1000, 250

    real = pd.DataFrame({"source": ["bureau", "bureau"]})
    block = data_block(
        facilities_info=Info(),
        facilities=real,
        demand_info=Demand(),
        boundary_info=None,
        model=MODEL.describe(),
    )
    assert block["facilities"]["modelled"] is False and block["facilities"]["version"] == 3
    assert block["demand"]["modelled"] is True and block["demand"]["modelled_share"] == 0.25
    assert block["boundaries"]["modelled"] is True and block["network"]["used"] is False
    note = modelled_note(block)
    assert note is not None and "人口需求(部分,25%)" in note and "population (demand) (in part, 25%)" in note
    assert "设施" not in note.split("/")[0]
    assert modelled_note(block, shown=("facilities",)) is None


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    counts=st.lists(st.integers(min_value=1, max_value=5_000), min_size=3, max_size=12),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_doubling_every_count_doubles_coverage_and_keeps_shares(counts, seed, facilities) -> None:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(DONGSHENG_BOX[0], DONGSHENG_BOX[2], len(counts))
    lat = rng.uniform(DONGSHENG_BOX[1], DONGSHENG_BOX[3], len(counts))

    def run(scale: int) -> dict:
        rows = [
            f"{x:.6f},{y:.6f},{c * scale},{c // 5 * scale}" for x, y, c in zip(lon, lat, counts, strict=True)
        ]
        text = "lon,lat,pop,pop_60plus\n" + "\n".join(rows) + "\n"
        result = validate_demand(text.encode(), file_name="p.csv", districts=DISTRICTS, census=CENSUS)
        assert not result.has_errors
        return cov.coverage_report(result.cells, facilities, MODEL, types="community_station", budget_min=10)[
            "totals"
        ]

    one, two = run(1), run(2)
    for group in ("pop_total", "pop_60plus"):
        assert two[group] == 2 * one[group]
        assert two[f"{group}_covered"] == 2 * one[f"{group}_covered"]
        if one[group]:
            assert two[f"{group}_covered_share"] == pytest.approx(one[f"{group}_covered_share"])
