"""`python -m geo suggest` and its adapter geo.siting.suggest_sites on the modelled sample."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from geo import io as gio
from geo.cli import main
from geo.coverage import cell_access
from geo.errors import DataError
from geo.siting import SitingProblem, exact_mclp, greedy_capacitated_mclp, greedy_mclp, suggest_sites
from geo.travel import MODES, StraightLineModel

COLUMNS = [
    "rank",
    "lon",
    "lat",
    "district_adcode",
    "township",
    "gain",
    "cumulative_covered",
    "cumulative_share",
]


@pytest.fixture(scope="module")
def cells() -> pd.DataFrame:
    return gio.read_population_cells()


@pytest.fixture(scope="module")
def facilities() -> pd.DataFrame:
    return gio.read_facilities_csv(gio.DATASETS_DIR / gio.FACILITIES_SAMPLE_FILE)


def _with_sites(facilities: pd.DataFrame, table: pd.DataFrame, facility_type: str) -> pd.DataFrame:
    added = pd.DataFrame(
        {
            "facility_id": [f"NEW-{r}" for r in table["rank"]],
            "name": [f"new {r}" for r in table["rank"]],
            "type": facility_type,
            "lon": table["lon"].to_numpy(),
            "lat": table["lat"].to_numpy(),
            "status": "open",
        }
    )
    return pd.concat([facilities, added], ignore_index=True)


@pytest.mark.parametrize(("solver", "target"), [("greedy", "60plus"), ("exact", "total")])
def test_adding_the_suggested_sites_raises_coverage_by_the_reported_gain(
    cells: pd.DataFrame, facilities: pd.DataFrame, solver: str, target: str
) -> None:
    model = StraightLineModel(MODES["walk"])
    column = {"60plus": "pop_60plus", "total": "pop_total"}[target]
    found = suggest_sites(
        cells,
        facilities,
        model,
        facility_type="community_station",
        n_new=4,
        budget_min=15,
        target=target,
        solver=solver,  # type: ignore[arg-type]
        townships=gio.read_townships(),
    )
    table = found.table
    assert list(table.columns) == COLUMNS
    assert len(table) == 4
    assert (np.diff(table["gain"]) <= 1e-9).all() or solver == "exact"
    before = cell_access(cells, facilities, model, types="community_station", budget_min=15, tiers_min=())
    after = cell_access(
        cells,
        _with_sites(facilities, table, "community_station"),
        model,
        types="community_station",
        budget_min=15,
        tiers_min=(),
    )
    people = cells[column].to_numpy(dtype=float)
    covered_before = people[before["covered"].to_numpy(bool)].sum()
    covered_after = people[after["covered"].to_numpy(bool)].sum()
    assert found.result.baseline_covered == pytest.approx(covered_before)
    assert covered_after - covered_before == pytest.approx(table["gain"].sum())
    assert table["cumulative_covered"].iloc[-1] == pytest.approx(covered_after)
    assert table["cumulative_share"].iloc[-1] == pytest.approx(covered_after / people.sum())
    # each site adds exactly its gain given the ones before it
    for k in range(1, len(table) + 1):
        part = cell_access(
            cells,
            _with_sites(facilities, table.iloc[:k], "community_station"),
            model,
            types="community_station",
            budget_min=15,
            tiers_min=(),
        )
        assert people[part["covered"].to_numpy(bool)].sum() == pytest.approx(
            table["cumulative_covered"].iloc[k - 1]
        )
    # townships are named and lie in the site's district
    names = gio.read_townships().assign(code=lambda d: d["code"].astype(str))
    for rec in table.to_dict(orient="records"):
        match = names[(names["name"] == rec["township"]) & (names["adcode"] == rec["district_adcode"])]
        assert len(match) >= 1, rec


def test_min_separation_drops_candidates_near_existing(cells: pd.DataFrame, facilities: pd.DataFrame) -> None:
    model = StraightLineModel(MODES["walk"])
    kwargs = {"facility_type": "day_care", "n_new": 2, "budget_min": 15.0}
    loose = suggest_sites(cells, facilities, model, **kwargs)  # type: ignore[arg-type]
    tight = suggest_sites(cells, facilities, model, min_separation_m=2_000, **kwargs)  # type: ignore[arg-type]
    assert tight.settings["n_candidates"] < loose.settings["n_candidates"]
    from geo.crs import to_metric

    existing = facilities[(facilities["type"] == "day_care") & (facilities["status"] == "open")]
    ex = np.column_stack(to_metric(existing["lon"].to_numpy(), existing["lat"].to_numpy()))
    new = np.column_stack(to_metric(tight.table["lon"].to_numpy(), tight.table["lat"].to_numpy()))
    distance_m = np.sqrt(((new[:, None, :] - ex[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
    assert (distance_m >= 2_000).all()


def test_sparse_cost_matrix_gives_the_dense_answer() -> None:
    rng = np.random.default_rng(7)
    dense = rng.uniform(0, 30, (60, 25))
    dense[dense > 12] = np.inf
    demand = rng.integers(0, 50, 60).astype(float)
    covered = rng.random(60) < 0.2
    capacity = rng.uniform(20, 120, 25)
    rows, cols = np.nonzero(np.isfinite(dense))
    sp_cost = sparse.csr_array((dense[rows, cols], (rows, cols)), shape=dense.shape)
    a = SitingProblem.from_cost_matrix(dense, demand, 10, covered_already=covered, capacity=capacity)
    b = SitingProblem.from_cost_matrix(sp_cost, demand, 10, covered_already=covered, capacity=capacity)
    assert (a.coverage != b.coverage).nnz == 0
    for solve in (greedy_mclp, greedy_capacitated_mclp):
        ra, rb = solve(a, 4), solve(b, 4)
        assert ra.sites.tolist() == rb.sites.tolist()
        assert ra.gains == pytest.approx(rb.gains)
    assert exact_mclp(a, 3).objective == pytest.approx(exact_mclp(b, 3).objective)
    bad = sp_cost.copy()
    bad.data[0] = np.nan
    with pytest.raises(DataError, match="got nan"):
        SitingProblem.from_cost_matrix(bad, demand, 10)


def test_cli_csv_has_the_design_columns_and_a_bom(
    db_url: str, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    code = main(
        ["suggest", "--type", "community_station", "--new", "3", "--minutes", "15", "--target", "60plus"]
    )
    out = capsysbinary.readouterr()
    assert code == 0, out.err.decode()
    assert out.out.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(io.BytesIO(out.out), encoding="utf-8-sig")
    assert list(table.columns) == COLUMNS
    assert table["rank"].tolist() == [1, 2, 3]
    assert (np.diff(table["cumulative_covered"]) > 0).all()
    err = out.err.decode()
    assert "straight_line" in err
    assert "greedy_mclp" in err and "status=complete" in err
    assert "模拟样本" in err and "modelled sample" in err


def test_cli_geojson_to_file_with_exact_solver(
    db_url: str, tmp_path: object, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    from pathlib import Path

    out_file = Path(str(tmp_path)) / "sites.geojson"
    args = ["suggest", "--type", "托育机构", "--new", "2", "--minutes", "10", "--target", "0_3"]
    code = main(
        [*args, "--solver", "exact", "--time-limit", "20", "--format", "geojson", "--out", str(out_file)]
    )
    out = capsysbinary.readouterr()
    assert code == 0, out.err.decode()
    assert out.out == b""  # the solver's banner must not leak into stdout
    doc = json.loads(out_file.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection"
    assert doc["model"]["name"] == "straight_line" and doc["model"]["minutes"] == 10
    assert doc["siting"]["facility_type"] == "nursery" and doc["siting"]["status"] == "optimal"
    assert len(doc["features"]) == 2
    for feature in doc["features"]:
        assert set(COLUMNS) <= set(feature["properties"])
        assert feature["geometry"]["coordinates"] == [
            feature["properties"]["lon"],
            feature["properties"]["lat"],
        ]
    assert "gap=0.0000%" in out.err.decode()


@pytest.mark.parametrize(
    "args",
    [
        ["--type", "bogus", "--new", "3", "--minutes", "15"],
        ["--type", "nursery,canteen", "--new", "3", "--minutes", "15"],
        ["--type", "nursery", "--new", "0", "--minutes", "15"],
        ["--type", "nursery", "--new", "2", "--minutes", "-5"],
    ],
)
def test_cli_bad_input_exits_1(db_url: str, capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    assert main(["suggest", *args]) == 1
    err = capsys.readouterr().err
    assert "error" in err
    if "bogus" in args:
        for code in ("community_station", "nursery", "village_station"):
            assert code in err
