"""Tests of geo.coverage: nearest-facility coverage, 2SFCA, per-area tables, gap lists, the JSON report."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import coverage as cov
from geo.crs import from_metric, to_metric
from geo.errors import DataError
from geo.travel import MODES, StraightLineModel

LON0, LAT0 = 109.95, 39.80
WALK = StraightLineModel(MODES["walk"])
DISTRICTS = pd.DataFrame({"adcode": [150602, 150603, 150621], "name": ["东胜区", "康巴什区", "达拉特旗"]})
TOWNSHIPS = pd.DataFrame(
    {
        "code": ["150602001", "150602002", "150603001"],
        "name": ["交通街道", "公园街道", "哈巴格希街道"],
        "adcode": [150602, 150602, 150603],
    }
)


def at_m(dx_m: float, dy_m: float) -> tuple[float, float]:
    x, y = to_metric(LON0, LAT0)
    return from_metric(x + dx_m, y + dy_m)


def make_cells(rng: np.random.Generator, n: int, *, span_deg: float = 0.04) -> pd.DataFrame:
    adcode = rng.choice([150602, 150603], n)
    township = np.where(
        adcode == 150602, rng.choice(["150602001", "150602002"], n), rng.choice(["150603001", None], n)
    )
    return pd.DataFrame(
        {
            "cell_id": [f"c{i:05d}" for i in range(n)],
            "lon": LON0 + rng.uniform(0, span_deg, n),
            "lat": LAT0 + rng.uniform(0, span_deg * 0.75, n),
            "adcode": adcode,
            "township_code": township,
            "settlement": "modelled",
            "pop_total": rng.integers(0, 800, n),
            "pop_60plus": rng.integers(0, 150, n),
            "pop_0_3": rng.integers(0, 30, n),
        }
    )


def make_facilities(
    rng: np.random.Generator,
    m: int,
    *,
    types: tuple[str, ...] = ("community_station",),
    span_deg: float = 0.04,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "facility_id": [f"F{i:04d}" for i in range(m)],
            "name": [f"站点{i}" for i in range(m)],
            "category": "elderly",
            "type": rng.choice(list(types), m),
            "district_adcode": rng.choice([150602, 150603], m),
            "township": rng.choice(["交通街道", "公园街道", "哈巴格希街道", "不存在"], m),
            "lon": LON0 + rng.uniform(0, span_deg, m),
            "lat": LAT0 + rng.uniform(0, span_deg * 0.75, m),
            "capacity": rng.integers(0, 60, m),
            "capacity_unit": "beds",
            "available_places": 0,
            "status": "open",
        }
    )


def hand_cells(offsets_m: list[tuple[float, float]], pops: list[int]) -> pd.DataFrame:
    lonlat = np.array([at_m(dx, dy) for dx, dy in offsets_m])
    return pd.DataFrame(
        {
            "cell_id": [f"h{i}" for i in range(len(pops))],
            "lon": lonlat[:, 0],
            "lat": lonlat[:, 1],
            "adcode": 150602,
            "township_code": "150602001",
            "settlement": "x",
            "pop_total": pops,
            "pop_60plus": [p // 5 for p in pops],
            "pop_0_3": [p // 50 for p in pops],
        }
    )


def one_facility(
    capacity: float = 10.0, *, type_: str = "community_station", status: str = "open"
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "facility_id": ["F1"],
            "type": [type_],
            "district_adcode": [150602],
            "township": ["交通街道"],
            "lon": [LON0],
            "lat": [LAT0],
            "capacity": [capacity],
            "status": [status],
        }
    )


# ------------------------------------------------------------------------------------------ cell_access


def test_cell_access_hand_made() -> None:
    """Walk 60 m/min, detour 1.3: 200 m → 4.33 min, 400 m → 8.67, 600 m → 13, 800 m → 17.33."""
    cells = hand_cells([(200, 0), (0, 400), (-600, 0), (0, -800)], [100, 200, 300, 400])
    access = cov.cell_access(cells, one_facility(), WALK, types="community_station", budget_min=15)
    np.testing.assert_allclose(
        access["minutes"].to_numpy()[:3], [200 * 1.3 / 60, 400 * 1.3 / 60, 13.0], atol=1e-6
    )
    assert np.isinf(access["minutes"].iloc[3])
    assert access["covered"].tolist() == [True, True, True, False]
    assert access["covered_5"].tolist() == [True, False, False, False]
    assert access["covered_10"].tolist() == [True, True, False, False]
    assert access["covered_15"].tolist() == [True, True, True, False]
    assert access["facility_id"].tolist()[:3] == ["F1", "F1", "F1"]
    assert pd.isna(access["facility_id"].iloc[3])
    assert access.attrs["types"] == ["community_station"]
    further = cov.cell_access(
        cells, one_facility(), WALK, types="community_station", budget_min=15, horizon_min=20
    )
    assert further["minutes"].iloc[3] == pytest.approx(800 * 1.3 / 60, abs=1e-6)
    assert not further["covered"].iloc[3]


def test_only_open_facilities_of_the_types_count() -> None:
    cells = hand_cells([(100, 0)], [10])
    facilities = pd.concat(
        [
            one_facility(status="planned"),
            one_facility(status="closed"),
            one_facility(type_="nursery"),
        ]
    )
    access = cov.cell_access(cells, facilities, WALK, types="community_station", budget_min=15)
    assert not access["covered"].any()
    access = cov.cell_access(cells, facilities, WALK, types="nursery,社区养老服务站", budget_min=15)
    assert access["covered"].all()
    assert access.attrs["types"] == ["nursery", "community_station"]


def test_unknown_type_lists_valid_ones() -> None:
    with pytest.raises(DataError, match=r"community_station.*nursery"):
        cov.cell_access(hand_cells([(0, 0)], [1]), one_facility(), WALK, types="hospital", budget_min=15)


def test_missing_columns_are_reported() -> None:
    with pytest.raises(DataError, match="lat"):
        cov.cell_access(
            pd.DataFrame({"cell_id": ["a"], "lon": [LON0]}),
            one_facility(),
            WALK,
            types="nursery",
            budget_min=5,
        )


@pytest.mark.parametrize("budget", [5.0, 15.0, 25.0])
def test_cell_access_matches_brute_force(budget: float) -> None:
    rng = np.random.default_rng(3)
    cells, facilities = make_cells(rng, 800), make_facilities(rng, 25)
    access = cov.cell_access(cells, facilities, WALK, types="community_station", budget_min=budget)
    fx, fy = to_metric(facilities["lon"].to_numpy(), facilities["lat"].to_numpy())
    cx, cy = to_metric(cells["lon"].to_numpy(), cells["lat"].to_numpy())
    minutes = np.hypot(cx[:, None] - fx[None, :], cy[:, None] - fy[None, :]) * 1.3 / 60.0
    best = minutes.min(axis=1)
    horizon = max(budget, 15.0)
    np.testing.assert_allclose(access["minutes"], np.where(best <= horizon, best, np.inf), rtol=1e-9)
    np.testing.assert_array_equal(access["covered"], best <= budget)
    nearest = facilities["facility_id"].to_numpy()[minutes.argmin(axis=1)]
    reached = best <= horizon
    np.testing.assert_array_equal(access["facility_id"].to_numpy()[reached], nearest[reached])
    covered_people = int(cells["pop_60plus"][best <= budget].sum())
    table = cov.area_table(cells, access, facilities, by="district")
    assert cov.area_totals(table)["pop_60plus_covered"] == covered_people


# ---------------------------------------------------------------------------------------- property tests

cell_counts = st.integers(1, 120)
facility_counts = st.integers(0, 15)
seeds = st.integers(0, 2**31 - 1)


@settings(max_examples=30, deadline=None)
@given(seed=seeds, n=cell_counts, m=facility_counts, b1=st.floats(0.0, 40.0), b2=st.floats(0.0, 40.0))
def test_bigger_budget_never_covers_fewer_people(seed: int, n: int, m: int, b1: float, b2: float) -> None:
    rng = np.random.default_rng(seed)
    cells, facilities = make_cells(rng, n), make_facilities(rng, m)
    small, large = sorted((b1, b2))
    covered = {}
    for budget in (small, large):
        access = cov.cell_access(cells, facilities, WALK, types="community_station", budget_min=budget)
        covered[budget] = access["covered"].to_numpy()
    assert not (covered[small] & ~covered[large]).any()
    assert (cells["pop_total"] * covered[small]).sum() <= (cells["pop_total"] * covered[large]).sum()


@settings(max_examples=30, deadline=None)
@given(seed=seeds, n=cell_counts, m=facility_counts, budget=st.floats(1.0, 30.0))
def test_adding_a_facility_never_lowers_coverage(seed: int, n: int, m: int, budget: float) -> None:
    rng = np.random.default_rng(seed)
    cells, facilities = make_cells(rng, n), make_facilities(rng, m)
    extra = make_facilities(rng, 1).assign(facility_id="NEW")
    before = cov.cell_access(cells, facilities, WALK, types="community_station", budget_min=budget)
    after = cov.cell_access(
        cells, pd.concat([facilities, extra]), WALK, types="community_station", budget_min=budget
    )
    assert (after["minutes"].to_numpy() <= before["minutes"].to_numpy()).all()
    assert not (before["covered"].to_numpy() & ~after["covered"].to_numpy()).any()


@settings(max_examples=30, deadline=None)
@given(
    seed=seeds,
    n=cell_counts,
    m=facility_counts,
    budget=st.floats(0.0, 30.0),
    by=st.sampled_from(["district", "township"]),
    child=st.booleans(),
)
def test_area_tables_add_up_and_shares_in_unit_interval(
    seed: int, n: int, m: int, budget: float, by: str, child: bool
) -> None:
    rng = np.random.default_rng(seed)
    types = ("nursery", "baby_station") if child else ("community_station", "day_care")
    cells, facilities = make_cells(rng, n), make_facilities(rng, m, types=types)
    access = cov.cell_access(cells, facilities, WALK, types=types, budget_min=budget)
    names = DISTRICTS if by == "district" else TOWNSHIPS
    table = cov.area_table(cells, access, facilities, by=by, names=names)  # type: ignore[arg-type]
    totals = cov.area_totals(table)
    for g in cov.GROUPS:
        assert table[g].sum() == cells[g].sum() == totals[g]
        assert table[f"{g}_covered"].sum() == totals[f"{g}_covered"] == (cells[g] * access["covered"]).sum()
        shares = table[f"{g}_covered_share"].dropna()
        assert ((shares >= 0) & (shares <= 1)).all()
        share = totals[f"{g}_covered_share"]
        assert share is None or 0 <= share <= 1
        if totals[g] > 0:
            assert share == pytest.approx(totals[f"{g}_covered"] / totals[g])
    assert table["facilities"].sum() == totals["facilities"] == len(facilities)
    assert (
        table["capacity"].sum()
        == pytest.approx(totals["capacity"])
        == pytest.approx(facilities["capacity"].sum())
    )
    if child:
        assert "places_per_1000_residents" in table.columns
        assert totals["places_per_1000_target_national"] == 4.5
        assert totals["places_per_1000_ordos_2024"] == 4.86
    else:
        assert "beds_per_1000_60plus" in table.columns
    key = "adcode" if by == "district" else "township_code"
    assert table[key].is_unique
    assert set(names["adcode" if by == "district" else "code"]) <= set(table[key])


def test_township_table_names_and_unknown_row() -> None:
    rng = np.random.default_rng(5)
    cells, facilities = make_cells(rng, 200), make_facilities(rng, 12)
    access = cov.cell_access(cells, facilities, WALK, types="community_station", budget_min=15)
    table = cov.area_table(cells, access, facilities, by="township", names=TOWNSHIPS).set_index(
        "township_code"
    )
    assert table.loc["150602001", "name"] == "交通街道"
    assert table.loc["150603001", "adcode"] == 150603
    assert table.loc["", "name"].startswith("未知")
    assert pd.isna(table.loc["", "adcode"])
    assert table.loc["", "pop_total"] == cells.loc[cells["township_code"].isna(), "pop_total"].sum()
    # A facility named after a known township in its district is counted there.
    named = facilities[(facilities["township"] == "交通街道") & (facilities["district_adcode"] == 150602)]
    codes = cov.facility_townships(named, cells, townships=TOWNSHIPS)
    assert set(codes) <= {"150602001"}


@settings(max_examples=25, deadline=None)
@given(seed=seeds, n=st.integers(5, 120), m=st.integers(1, 15), by=st.sampled_from(["district", "township"]))
def test_each_area_row_sums_its_own_cells_and_facilities(seed: int, n: int, m: int, by: str) -> None:
    rng = np.random.default_rng(seed)
    cells, facilities = make_cells(rng, n), make_facilities(rng, m)
    # A township no name lists, with cells in two districts: it lies in the one with more of them.
    cells.loc[cells.index[:3], ["township_code", "adcode"]] = ["150699001", 150603]
    cells.loc[cells.index[3:5], ["township_code", "adcode"]] = ["150699001", 150602]
    # A facility in a district with no cells and no name: a row of its own.
    facilities.loc[facilities.index[:1], "district_adcode"] = 150627
    access = cov.cell_access(cells, facilities, WALK, types="community_station", budget_min=10)
    names = DISTRICTS if by == "district" else TOWNSHIPS
    keys = cov.area_keys(cells, by=by, names=names)  # type: ignore[arg-type]
    fac_codes = cov.facility_townships(facilities, cells, townships=TOWNSHIPS)
    if by == "township":  # a facility in a township neither the cells nor the names know
        fac_codes.iloc[0] = "150627101"
    table = cov.area_table(
        cells,
        access,
        facilities,
        by=by,
        names=names,
        keys=keys,
        facility_codes=fac_codes,  # type: ignore[arg-type]
    )
    key = "adcode" if by == "district" else "township_code"
    cell_key = cells["adcode"] if by == "district" else cells["township_code"].fillna("")
    fac_key = facilities["district_adcode"] if by == "district" else fac_codes
    assert table[key].tolist() == sorted(
        {*cell_key, *fac_key, *names["adcode" if by == "district" else "code"]}
    )
    rows = table.set_index(key)
    for code, row in rows.iterrows():
        mine = (cell_key == code).to_numpy()
        for g in cov.GROUPS:
            assert row[g] == cells.loc[mine, g].sum()
            assert row[f"{g}_covered"] == cells.loc[mine & access["covered"].to_numpy(), g].sum()
        assert row["facilities"] == (fac_key == code).sum()
        assert row["capacity"] == facilities.loc[(fac_key == code).to_numpy(), "capacity"].sum()
    if by == "district":
        assert rows.loc[150627, "facilities"] >= 1 and rows.loc[150627, "name"] == ""
        assert rows.loc[150621, "name"] == "达拉特旗" and rows.loc[150621, "pop_total"] == 0
    else:
        assert rows.loc["150699001", "adcode"] == 150603 and rows.loc["150699001", "name"] == ""
        assert rows.loc["150627101", "adcode"] == 150627 and rows.loc["150627101", "facilities"] == 1
        assert rows.loc["150602002", "name"] == "公园街道"
    # The keys are of these cells and this grain only.
    other = "township" if by == "district" else "district"
    with pytest.raises(DataError, match="area keys"):
        cov.area_table(cells, access, facilities, by=other, names=names, keys=keys)  # type: ignore[arg-type]
    with pytest.raises(DataError, match="area keys"):
        cov.area_table(cells.head(1), access.head(1), facilities, by=by, names=names, keys=keys)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------ 2SFCA


def test_decay_weights() -> None:
    t = np.array([0.0, 2.5, 5.0, 7.5, 10.0, 12.5, 15.0, 16.0])
    step = cov.decay_weights(t, budget_min=15, decay="step")
    np.testing.assert_allclose(step, [1, 1, 1, 0.68, 0.68, 0.22, 0.22, 0])
    gauss = cov.decay_weights(t, budget_min=15, decay="gaussian")
    assert gauss[0] == pytest.approx(1.0)
    assert gauss[-2] == pytest.approx(0.0, abs=1e-12)
    assert gauss[-1] == 0.0
    assert (np.diff(gauss) <= 0).all()
    classic = cov.decay_weights(t, budget_min=15, decay="step", steps=[(15.0, 1.0)])
    np.testing.assert_allclose(classic, [1, 1, 1, 1, 1, 1, 1, 0])
    with pytest.raises(DataError):
        cov.decay_weights(t, budget_min=15, decay="linear")  # type: ignore[arg-type]
    with pytest.raises(DataError):
        cov.decay_weights(t, budget_min=15, decay="step", steps=[(10.0, 1.0), (5.0, 0.5)])


def test_two_step_fca_hand_made() -> None:
    """One facility of 10 beds; cells of 100 people at 3 min, 600 at 7 min and 0 at 2 km (walk).

    Classic 2SFCA: R = 10 / 700, A = 14.29 per 1,000 for both near cells. Stepped (1.0 / 0.68):
    R = 10 / (100 + 0.68 · 600) = 10 / 508; A = 1000 R = 19.69 and 680 R = 13.39 per 1,000.
    """
    d3, d7 = 3 * 60 / 1.3, 7 * 60 / 1.3
    cells = hand_cells([(d3, 0), (0, d7), (2000, 0)], [100, 600, 0])
    fac = one_facility(10)
    common = {"types": "community_station", "budget_min": 15, "demand_col": "pop_total", "decay": "step"}
    classic = cov.two_step_fca(cells, fac, WALK, steps=[(15, 1.0)], **common)  # type: ignore[arg-type]
    np.testing.assert_allclose(classic["access_per_1000"], [1000 * 10 / 700, 1000 * 10 / 700, 0.0])
    assert classic["within_budget"].tolist() == [True, True, False]
    assert classic["facilities_in_reach"].tolist() == [1, 1, 0]
    stepped = cov.two_step_fca(cells, fac, WALK, **common)  # type: ignore[arg-type]
    r = 10 / 508
    np.testing.assert_allclose(stepped["access_per_1000"], [1000 * r, 680 * r, 0.0], rtol=1e-9)
    # City-wide ratio 10 beds / 700 people = 14.29 per 1,000: the 7-minute cell (13.39) falls below it.
    assert stepped.attrs["threshold_per_1000"] == pytest.approx(1000 * 10 / 700)
    assert stepped["oversubscribed"].tolist() == [False, True, False]
    ratios = cov.facility_supply_ratios(cells, fac, WALK, **common)  # type: ignore[arg-type]
    assert ratios["weighted_demand"].iloc[0] == pytest.approx(508.0)
    assert ratios["ratio_per_1000"].iloc[0] == pytest.approx(1000 * r)


@settings(max_examples=25, deadline=None)
@given(
    seed=seeds,
    n=cell_counts,
    m=facility_counts,
    budget=st.floats(1.0, 30.0),
    decay=st.sampled_from(["classic", "step", "gaussian"]),
)
def test_two_step_fca_conserves_supply(seed: int, n: int, m: int, budget: float, decay: str) -> None:
    """Σ_i A_i P_i equals the capacity of the facilities that reach any demand."""
    rng = np.random.default_rng(seed)
    cells, facilities = make_cells(rng, n), make_facilities(rng, m)
    steps = [(budget, 1.0)] if decay == "classic" else None
    kind = "gaussian" if decay == "gaussian" else "step"
    kwargs = {
        "types": "community_station",
        "budget_min": budget,
        "demand_col": "pop_60plus",
        "decay": kind,
        "steps": steps,
    }
    fca = cov.two_step_fca(cells, facilities, WALK, **kwargs)  # type: ignore[arg-type]
    ratios = cov.facility_supply_ratios(cells, facilities, WALK, **kwargs)  # type: ignore[arg-type]
    delivered = (fca["access_per_1000"] / 1000 * cells["pop_60plus"]).sum()
    expected = ratios.loc[ratios["reaches_demand"], "capacity"].sum()
    assert delivered == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert (fca["access_per_1000"] >= 0).all()
    assert not (fca["oversubscribed"] & ~fca["within_budget"]).any()


class MatrixOnly:
    """A travel model that answers ``od_matrix`` only, as the road-network model does."""

    def __init__(self, model: StraightLineModel) -> None:
        self.model, self.name, self.mode = model, model.name, model.mode

    def od_matrix(self, origins: np.ndarray, targets: np.ndarray, *, budget_min: float) -> object:
        return self.model.od_matrix(origins, targets, budget_min=budget_min)


@pytest.mark.parametrize("decay", ["gaussian", "step"])
def test_two_step_fca_adds_as_the_sparse_products_do(decay: str) -> None:
    # Both steps sum over the reachable pairs (no SciPy for straight lines); the answer is the
    # sparse matrix products' W @ P and Wᵀ @ R to the last bit, for a model that lists its pairs
    # and for one that only has a matrix.
    rng = np.random.default_rng(8)
    cells, facilities = make_cells(rng, 3000, span_deg=0.08), make_facilities(rng, 60, span_deg=0.08)
    kwargs = {"types": "community_station", "budget_min": 12.0, "demand_col": "pop_60plus", "decay": decay}
    chosen = cov.select_facilities(facilities, "community_station")
    od = WALK.od_matrix(cov._lonlat(chosen), cov._lonlat(cells), budget_min=12.0).tocsr()
    weights = od.copy()
    weights.data = cov.decay_weights(od.data, budget_min=12.0, decay=decay)  # type: ignore[arg-type]
    demand = cells["pop_60plus"].to_numpy(dtype=np.float64)
    supply = chosen["capacity"].to_numpy(dtype=np.float64)
    weighted = weights @ demand
    ratio = np.divide(supply, weighted, out=np.zeros(len(chosen)), where=weighted > 0)
    expected_access = 1000.0 * (weights.T @ ratio)
    expected_in_reach = np.diff(weights.tocsc().indptr)
    for model in (WALK, MatrixOnly(WALK)):
        fca = cov.two_step_fca(cells, facilities, model, **kwargs)  # type: ignore[arg-type]
        ratios = cov.facility_supply_ratios(cells, facilities, model, **kwargs)  # type: ignore[arg-type]
        np.testing.assert_array_equal(fca["access_per_1000"].to_numpy(), expected_access)
        np.testing.assert_array_equal(fca["facilities_in_reach"].to_numpy(), expected_in_reach)
        np.testing.assert_array_equal(ratios["weighted_demand"].to_numpy(), weighted)
    assert expected_in_reach.max() > 1 and (expected_in_reach == 0).any()


@settings(max_examples=20, deadline=None)
@given(seed=seeds, n=cell_counts, m=facility_counts)
def test_zero_capacity_facility_adds_nothing(seed: int, n: int, m: int) -> None:
    rng = np.random.default_rng(seed)
    cells, facilities = make_cells(rng, n), make_facilities(rng, m)
    empty = make_facilities(rng, 1).assign(facility_id="ZERO", capacity=0)
    kwargs = {"types": "community_station", "budget_min": 15.0, "demand_col": "pop_60plus"}
    before = cov.two_step_fca(cells, facilities, WALK, threshold_per_1000=5.0, **kwargs)  # type: ignore[arg-type]
    after = cov.two_step_fca(cells, pd.concat([facilities, empty]), WALK, threshold_per_1000=5.0, **kwargs)  # type: ignore[arg-type]
    np.testing.assert_allclose(after["access_per_1000"], before["access_per_1000"], rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------- gaps


def test_gap_list_ranks_uncovered_cells() -> None:
    cells = hand_cells([(100, 0), (0, 900), (0, -1200), (2000, 0), (3000, 0)], [500, 300, 700, 0, 300])
    access = cov.cell_access(
        cells, one_facility(), WALK, types="community_station", budget_min=15, horizon_min=60
    )
    gaps = cov.gap_list(cells, access, target="total", districts=DISTRICTS, townships=TOWNSHIPS)
    assert gaps["cell_id"].tolist() == ["h2", "h4", "h1"]  # 700, then the two 300s farthest first
    assert gaps["rank"].tolist() == [1, 2, 3]
    assert set(gaps["district"]) == {"东胜区"}
    assert set(gaps["township"]) == {"交通街道"}
    assert gaps["minutes"].iloc[0] == pytest.approx(1200 * 1.3 / 60)
    assert cov.gap_list(cells, access, target="pop_total", top=1)["cell_id"].tolist() == ["h2"]
    elderly = cov.gap_list(cells, access, target="60plus")
    assert "pop_60plus" in elderly.columns
    with pytest.raises(DataError):
        cov.gap_list(cells, access, target="adults")


@pytest.mark.parametrize("top", [0, 1, 7, 40, 10_000])
def test_gap_list_top_is_the_head_of_the_whole_list(top: int) -> None:
    rng = np.random.default_rng(4)
    cells, facilities = make_cells(rng, 600), make_facilities(rng, 6)
    cells["pop_total"] = rng.integers(0, 4, len(cells)) * 10  # many ties in people
    access = cov.cell_access(cells, facilities, WALK, types="community_station", budget_min=5)
    access["minutes"] = access["minutes"].round(0)  # and in minutes: the cell id decides
    whole = cov.gap_list(cells, access, target="pop_total")
    assert len(whole) > 40
    head = cov.gap_list(cells, access, target="pop_total", top=top)
    pd.testing.assert_frame_equal(head, whole.head(top).reset_index(drop=True))


# --------------------------------------------------------------------------------------------- report


def test_coverage_report_json_shape() -> None:
    rng = np.random.default_rng(9)
    cells, facilities = make_cells(rng, 300), make_facilities(rng, 20, types=("nursery", "children_home"))
    report = cov.coverage_report(
        cells, facilities, WALK, types=["nursery"], budget_min=15, by="district", names=DISTRICTS
    )
    text = json.dumps(report, ensure_ascii=False, allow_nan=False)
    back = json.loads(text)
    assert list(back) == ["model", "rows", "totals"]
    assert back["model"] == {
        "name": "straight_line",
        "mode": "walk",
        "speed_m_per_min": 60.0,
        "detour_factor": 1.3,
        "minutes": 15.0,
    }
    assert [r["adcode"] for r in back["rows"]] == [150602, 150603, 150621]
    assert [r["name"] for r in back["rows"]] == ["东胜区", "康巴什区", "达拉特旗"]
    for row in back["rows"]:
        for g in cov.GROUPS:
            assert {g, f"{g}_covered", f"{g}_covered_share"} <= set(row)
        assert {"facilities", "places_per_1000_residents", "pop_0_3_oversubscribed"} <= set(row)
    dalad = back["rows"][2]
    assert dalad["pop_total"] == 0 and dalad["pop_total_covered_share"] is None
    assert back["totals"]["facilities"] == int((facilities["type"] == "nursery").sum())
    assert back["totals"]["pop_total"] == int(cells["pop_total"].sum())
    assert not math.isnan(back["totals"]["pop_total_covered_share"])


# ------------------------------------------------------------------------------------------------ CLI


def run_main(*argv: str) -> int:
    from geo.cli import main

    return main(list(argv))


def test_cli_coverage_json(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    from geo import io as gio

    code = run_main(
        "coverage",
        "--type",
        "community_station,day_care",
        "--minutes",
        "15",
        "--format",
        "json",
        "--straight-line",
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "straight_line" in err
    assert "modelled" in err
    report = json.loads(out)
    assert list(report) == ["model", "rows", "totals", "data"]
    # Every layer says where it comes from; on the shipped data all of them are modelled.
    assert report["data"]["facilities"]["modelled"] and report["data"]["demand"]["modelled"]
    assert report["data"]["boundaries"]["modelled"] and not report["data"]["network"]["used"]
    assert report["model"] == {
        "name": "straight_line",
        "mode": "walk",
        "speed_m_per_min": 60.0,
        "detour_factor": 1.3,
        "minutes": 15.0,
    }
    districts = gio.read_districts()
    assert [r["adcode"] for r in report["rows"]] == districts["adcode"].tolist()
    assert [r["name"] for r in report["rows"]] == districts["name"].tolist()
    cells = gio.read_population_cells()
    for g in cov.GROUPS:
        assert sum(r[g] for r in report["rows"]) == report["totals"][g] == int(cells[g].sum())
        assert sum(r[f"{g}_covered"] for r in report["rows"]) == report["totals"][f"{g}_covered"]
        assert 0 <= report["totals"][f"{g}_covered_share"] <= 1
    assert "beds_per_1000_60plus" in report["rows"][0]


def test_cli_coverage_csv_by_township_and_errors(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = run_main("coverage", "--type", "托育机构", "--minutes", "10", "--by", "township", "--mode", "bike")
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "mode=bike" in err
    table = pd.read_csv(io.StringIO(out.lstrip("\ufeff")), dtype={"township_code": str})
    assert list(table.columns[:3]) == ["township_code", "adcode", "name"]
    assert {"places_per_1000_residents", "places_per_1000_target_national", "pop_0_3_covered_share"} <= set(
        table.columns
    )
    assert table["township_code"].is_unique

    assert run_main("coverage", "--type", "hospital", "--minutes", "15") == 1
    err = capsys.readouterr().err
    assert "hospital" in err and "community_station" in err and "nursery" in err
    assert run_main("coverage", "--type", "nursery", "--minutes", "-3") == 1


def test_cli_isochrones(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run_main(
        "isochrones", "--lon", "109.95", "--lat", "39.80", "--minutes", "5,10,15", "--straight-line"
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    fc = json.loads(out)
    assert [f["properties"]["minutes"] for f in fc["features"]] == [5, 10, 15]
    assert {f["properties"]["mode"] for f in fc["features"]} == {"walk"}
    assert {f["properties"]["model"] for f in fc["features"]} == {"straight_line"}

    from geo.store import open_store

    facility = open_store(db_url).facilities().iloc[0]
    target = tmp_path / "iso.geojson"
    code = run_main(
        "isochrones",
        "--facility",
        str(facility["facility_id"]),
        "--minutes",
        "10",
        "--mode",
        "drive",
        "--out",
        str(target),
    )
    assert code == 0, capsys.readouterr().err
    written = json.loads(target.read_text(encoding="utf-8"))
    (feature,) = written["features"]
    assert feature["properties"]["mode"] == "drive"
    assert feature["properties"]["speed_m_per_min"] == pytest.approx(666.666667)
    shape = shapely.geometry.shape(feature["geometry"])
    assert shape.contains(shapely.Point(float(facility["lon"]), float(facility["lat"])))

    assert run_main("isochrones", "--facility", "NO-SUCH-ID", "--minutes", "5") == 1
    assert "NO-SUCH-ID" in capsys.readouterr().err
    assert run_main("isochrones", "--lon", "109.95", "--minutes", "5") == 1
    assert run_main("isochrones", "--lon", "109.95", "--lat", "39.8", "--minutes", "five") == 1


def test_capacity_per_1000_counts_like_with_like() -> None:
    # One district: 1,000 people, 200 aged 60+. A nursing home (40 beds) and a canteen (100 seats).
    cells = pd.DataFrame(
        {
            "cell_id": ["a"],
            "lon": [109.98],
            "lat": [39.82],
            "adcode": [150602],
            "township_code": ["150602001"],
            "settlement": ["urban"],
            "pop_total": [1000],
            "pop_60plus": [200],
            "pop_0_3": [30],
        }
    )
    facilities = pd.DataFrame(
        {
            "facility_id": ["n", "c"],
            "type": ["nursing_home", "canteen"],
            "category": ["elderly", "elderly"],
            "district_adcode": [150602, 150602],
            "township": ["", ""],
            "lon": [109.98, 109.98],
            "lat": [39.82, 39.82],
            "capacity": [40, 100],
            "capacity_unit": ["beds", ""],
            "status": ["open", "open"],
        }
    )
    model = StraightLineModel(MODES["walk"])
    types = ["nursing_home", "canteen"]
    access = cov.cell_access(cells, facilities, model, types=types, budget_min=15)
    table = cov.area_table(cells, access, facilities, by="district", types=types)
    row = table.iloc[0]
    assert row["capacity"] == 140
    assert row["beds"] == 40
    assert row["beds_per_1000_60plus"] == pytest.approx(200.0)
    assert "child_places" not in table.columns
    assert cov.area_totals(table)["beds_per_1000_60plus"] == pytest.approx(200.0)


def test_selecting_the_selected_facilities_again_gives_the_same_table_not_the_same_object() -> None:
    rng = np.random.default_rng(5)
    facilities = make_facilities(rng, 30, types=("nursery", "children_home"))
    facilities.loc[3, "status"] = "closed"
    once = cov.select_facilities(facilities, ["nursery"])
    twice = cov.select_facilities(once, ["nursery"])
    pd.testing.assert_frame_equal(twice, once)
    assert twice is not once
    twice.loc[0, "name"] = "changed"  # a change to the result stays in the result
    assert once.loc[0, "name"] != "changed"
    shifted = once.set_axis(range(5, 5 + len(once)))  # not positional: picked and renumbered
    assert cov.select_facilities(shifted, ["nursery"]).index.tolist() == list(range(len(once)))
