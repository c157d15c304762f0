"""Tests of geo.analyses and ``coverage --save`` / ``analyses``: saved coverage runs on both stores."""

from __future__ import annotations

import io
import json
import math

import h3
import numpy as np
import pandas as pd
import pytest

from geo import analyses
from geo.cli import main
from geo.errors import NotFoundError
from geo.store import open_store


def test_cell_results_tiers_and_unreachable_cells() -> None:
    cells = pd.DataFrame(
        {
            "cell_id": ["a", "b", "c", "d"],
            "lon": [109.9, 109.91, 109.92, 109.93],
            "lat": [39.8, 39.8, 39.8, 39.8],
            "adcode": [150602, 150602, 150603, 150603],
            "township_code": ["150602001", "150602001", "150603100", "150603100"],
            "pop_total": [100, 200, 300, 400],
            "pop_60plus": [10, 20, 30, 40],
            "pop_0_3": [1, 2, 3, 4],
        }
    )
    access = pd.DataFrame(
        {
            "cell_id": cells["cell_id"],
            "minutes": [3.0, 9.5, 14.0, math.inf],
            "facility_id": pd.array(["F1", "F1", "F2", pd.NA], dtype="string"),
            "covered": [True, True, False, False],
        }
    )
    access.attrs = {"tiers_min": [5.0, 10.0, 15.0]}
    fca = pd.DataFrame(
        {
            "cell_id": cells["cell_id"],
            "access_per_1000": [5.0, 2.5, 0.0, 0.0],
            "facilities_in_reach": [1, 1, 0, 0],
            "within_budget": [True, True, False, False],
            "oversubscribed": [False, True, False, False],
        }
    )
    out = analyses.cell_results(cells, access, fca)
    assert list(out.columns) == list(analyses.CELL_COLUMNS)
    assert list(out["tier_min"].fillna(-1)) == [5.0, 10.0, 15.0, -1]
    assert math.isnan(out.loc[3, "minutes"])  # no facility within reach: NULL, not infinity
    assert list(out["covered"]) == [True, True, False, False]
    assert out["boundary_wkt"].isna().all()  # "a", "b" … are not H3 cells


def test_hexagon_of_an_h3_cell_contains_its_centre() -> None:
    cell = h3.latlng_to_cell(39.81, 109.95, 9)
    wkt = analyses.hexagon_wkt(cell)
    assert wkt is not None and wkt.startswith("POLYGON((") and wkt.count(",") == 6
    first = wkt.removeprefix("POLYGON((").split(",")[0].split()
    lat, lng = h3.cell_to_boundary(cell)[0]
    assert (float(first[0]), float(first[1])) == pytest.approx((lng, lat), abs=1e-6)  # lon first
    assert analyses.hexagon_wkt("not-a-cell") is None


def test_coverage_save_list_export_delete(any_db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database", any_db_url, "init"]) == 0
    capsys.readouterr()
    args = ["--database", any_db_url, "coverage", "--type", "community_station", "--minutes", "15"]
    assert main([*args, "--format", "json", "--save", "--name", "社区站 15 分钟", "--user", "planner"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert "saved analysis 1" in captured.err and "已保存分析 1" in captured.err
    assert main([*args, "--minutes", "5", "--save"]) == 0
    capsys.readouterr()

    assert main(["--database", any_db_url, "analyses", "list"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[1].startswith("2\t") and lines[2].startswith("1\t")
    assert "planner" in lines[2] and "社区站 15 分钟" in lines[2] and "community_station" in lines[2]

    store = open_store(any_db_url)
    first = analyses.info(store, 1)
    assert (first.budget_min, first.target, first.facilities_version, first.demand_modelled) == (
        15.0,
        "pop_60plus",
        1,
        True,
    )
    assert json.loads(first.totals_json) == report["totals"]
    assert analyses.info(store).analysis_id == 2

    assert main(["--database", any_db_url, "analyses", "export", "1"]) == 0
    raw = capsys.readouterr().out
    frame = pd.read_csv(io.StringIO(raw.removeprefix("\ufeff")), dtype={"cell_id": str})
    cells = pd.read_csv("datasets/population_cells.csv", dtype={"cell_id": str})
    assert len(frame) == len(cells) and set(frame["cell_id"]) == set(cells["cell_id"])
    # The saved cells add up to the report's city totals.
    covered_60 = frame.loc[frame["covered"], "pop_60plus"].sum()
    assert covered_60 == pytest.approx(report["totals"]["pop_60plus_covered"])
    assert frame["demand_modelled"].all()
    assert np.all(frame["tier_min"].dropna() <= 15)

    assert main(["--database", any_db_url, "analyses", "delete", "1"]) == 0
    capsys.readouterr()
    with pytest.raises(NotFoundError):
        analyses.info(store, 1)
    assert main(["--database", any_db_url, "analyses", "export", "1"]) == 1
    err = capsys.readouterr().err
    assert "分析 1 不存在" in err and "Analysis 1 does not exist" in err
    store.engine.dispose()
