"""Tests of geo.siting: oracle (brute force over all site combinations) and property tests."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from geo.errors import DataError
from geo.siting import (
    ORDOS_TMERC_PROJ,
    SitingProblem,
    candidate_mask,
    candidates_from_cells,
    exact_mclp,
    greedy_capacitated_mclp,
    greedy_lscp,
    greedy_mclp,
    lscp,
)

N_DEMAND, N_CAND = 12, 8
BUDGET_MIN = 15.0


def random_problem(seed: int, *, capacitated: bool = False, existing: bool = True) -> SitingProblem:
    """A small instance: 12 cells × 8 candidates, some pairs unreachable, some cells covered."""
    rng = np.random.default_rng(seed)
    cost = rng.uniform(0.0, 40.0, (N_DEMAND, N_CAND))
    cost[rng.random((N_DEMAND, N_CAND)) < 0.15] = np.inf
    demand = rng.integers(0, 60, N_DEMAND).astype(float)
    demand[0] += 1.0  # never all zero
    covered = rng.random(N_DEMAND) < 0.25 if existing else None
    capacity = rng.integers(5, 120, N_CAND).astype(float) if capacitated else None
    return SitingProblem.from_cost_matrix(
        cost, demand, BUDGET_MIN, covered_already=covered, capacity=capacity
    )


def brute_force_mclp(problem: SitingProblem, n_sites: int) -> float:
    """Best number of newly covered people over every set of n_sites candidates."""
    baseline = problem.baseline_covered
    return max(
        problem.covered_people(combo) - baseline
        for combo in itertools.combinations(range(problem.n_candidates), n_sites)
    )


def served_lp(problem: SitingProblem, sites: tuple[int, ...]) -> float:
    """Most people a fixed set of capacitated sites can serve (transportation LP, scipy)."""
    remaining = problem.uncovered_demand()
    assert problem.capacity is not None
    pairs = [(i, j) for j in sites for i in range(problem.n_demand) if problem.cost_min[i, j] <= BUDGET_MIN]
    if not pairs:
        return 0.0
    a_ub = []
    b_ub = []
    for i in range(problem.n_demand):
        a_ub.append([1.0 if p[0] == i else 0.0 for p in pairs])
        b_ub.append(remaining[i])
    for j in sites:
        a_ub.append([1.0 if p[1] == j else 0.0 for p in pairs])
        b_ub.append(problem.capacity[j])
    res = linprog(-np.ones(len(pairs)), A_ub=np.array(a_ub), b_ub=np.array(b_ub), bounds=(0, None))
    assert res.status == 0
    return float(-res.fun)


def brute_force_capacitated(problem: SitingProblem, n_sites: int) -> float:
    return max(
        served_lp(problem, combo) for combo in itertools.combinations(range(problem.n_candidates), n_sites)
    )


def brute_force_lscp(problem: SitingProblem, target_share: float) -> int:
    need = target_share * problem.total_demand
    for k in range(problem.n_candidates + 1):
        for combo in itertools.combinations(range(problem.n_candidates), k):
            if problem.covered_people(combo) >= need - 1e-9:
                return k
    raise AssertionError("target unreachable")


seeds = st.integers(min_value=0, max_value=2**32 - 1)


# --------------------------------------------------------------------------------------------
# Oracle tests


@settings(max_examples=30, deadline=None)
@given(seed=seeds, n_sites=st.integers(min_value=1, max_value=4))
def test_exact_mclp_equals_brute_force(seed: int, n_sites: int) -> None:
    problem = random_problem(seed)
    result = exact_mclp(problem, n_sites)
    assert result.status in {"optimal", "no_gain_left"}
    assert result.objective == pytest.approx(brute_force_mclp(problem, n_sites), abs=1e-6)
    # The reported objective is what the chosen sites really cover.
    assert problem.covered_people(result.sites) - problem.baseline_covered == pytest.approx(result.objective)


@pytest.mark.parametrize("seed", range(4))
def test_exact_mclp_with_cbc_equals_brute_force(seed: int) -> None:
    problem = random_problem(seed)
    result = exact_mclp(problem, 3, solver="cbc")
    assert result.method == "exact_mclp[cbc]"
    assert result.objective == pytest.approx(brute_force_mclp(problem, 3), abs=1e-6)
    assert result.optimality_gap == pytest.approx(0.0, abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(seed=seeds, n_sites=st.integers(min_value=1, max_value=5))
def test_greedy_mclp_within_one_minus_inverse_e_of_exact(seed: int, n_sites: int) -> None:
    problem = random_problem(seed)
    greedy = greedy_mclp(problem, n_sites)
    best = brute_force_mclp(problem, n_sites)
    assert greedy.objective >= (1 - 1 / math.e) * best - 1e-9
    assert greedy.objective <= best + 1e-9


@settings(max_examples=15, deadline=None)
@given(seed=seeds, n_sites=st.integers(min_value=1, max_value=3))
def test_exact_capacitated_equals_brute_force_lp(seed: int, n_sites: int) -> None:
    problem = random_problem(seed, capacitated=True)
    result = exact_mclp(problem, n_sites, capacitated=True)
    assert result.objective == pytest.approx(brute_force_capacitated(problem, n_sites), abs=1e-6)


@settings(max_examples=25, deadline=None)
@given(seed=seeds, target=st.sampled_from([0.3, 0.5, 0.7, 0.85]))
def test_lscp_is_minimal_and_meets_target(seed: int, target: float) -> None:
    problem = random_problem(seed)
    reachable = problem.covered_people(range(problem.n_candidates)) / problem.total_demand
    if target > reachable:
        with pytest.raises(DataError, match="at most"):
            lscp(problem, target)
        with pytest.raises(DataError, match="at most"):
            greedy_lscp(problem, target)
        return
    exact = lscp(problem, target)
    greedy = greedy_lscp(problem, target)
    assert exact.objective == brute_force_lscp(problem, target)
    assert exact.objective <= greedy.objective
    for result in (exact, greedy):
        assert result.objective == result.n_sites
        covered = problem.covered_people(result.sites)
        assert covered >= target * problem.total_demand - 1e-6
        if result.n_sites:
            assert result.cumulative_share[-1] >= target - 1e-9


# --------------------------------------------------------------------------------------------
# Properties


@settings(max_examples=40, deadline=None)
@given(seed=seeds, n_sites=st.integers(min_value=1, max_value=8))
def test_greedy_gains_non_increasing_and_cumulative_monotone(seed: int, n_sites: int) -> None:
    problem = random_problem(seed)
    result = greedy_mclp(problem, n_sites)
    assert np.all(np.diff(result.gains) <= 1e-9)
    assert np.all(result.gains > 0)
    for r in (result, exact_mclp(problem, min(n_sites, 4))):
        assert np.all(np.diff(r.cumulative_covered) >= 0)
        assert np.all(np.diff(r.cumulative_share) >= 0)
        assert np.all((r.cumulative_share >= 0) & (r.cumulative_share <= 1))
        assert np.allclose(r.cumulative_covered, problem.baseline_covered + np.cumsum(r.gains))
        assert len(set(r.sites.tolist())) == r.n_sites


@settings(max_examples=30, deadline=None)
@given(seed=seeds, n_sites=st.integers(min_value=1, max_value=5))
def test_adding_a_chosen_site_to_existing_coverage_adds_exactly_its_gain(seed: int, n_sites: int) -> None:
    problem = random_problem(seed)
    for result in (greedy_mclp(problem, n_sites), exact_mclp(problem, n_sites)):
        covered = problem.covered_already.copy()
        for site, gain, cumulative in zip(result.sites, result.gains, result.cumulative_covered, strict=True):
            before = problem.demand[covered].sum()
            covered |= problem.cost_min[:, site] <= problem.budget_min
            after = problem.demand[covered].sum()
            assert after - before == pytest.approx(gain)
            assert after == pytest.approx(cumulative)


def test_existing_coverage_is_never_counted_as_gain() -> None:
    cost = np.array([[5.0, 50.0], [5.0, 5.0], [50.0, 5.0]])
    demand = np.array([100.0, 10.0, 1.0])
    problem = SitingProblem.from_cost_matrix(cost, demand, 15, covered_already=[True, False, False])
    result = greedy_mclp(problem, 1)
    # Without existing coverage candidate 0 would win (110 people); with it, only 10 are new
    # there against 11 at candidate 1.
    assert result.sites.tolist() == [1]
    assert result.gains.tolist() == [11.0]
    assert result.baseline_covered == 100.0
    assert result.cumulative_covered.tolist() == [111.0]
    assert exact_mclp(problem, 1).objective == pytest.approx(11.0)


def test_greedy_stops_early_when_nothing_left_to_cover() -> None:
    cost = np.array([[1.0, 1.0, 99.0], [99.0, 2.0, 99.0]])
    problem = SitingProblem.from_cost_matrix(cost, [5, 7], 10)
    result = greedy_mclp(problem, 3)
    assert result.status == "no_gain_left"
    assert result.sites.tolist() == [1]
    assert "1 of 3" in result.note
    assert result.cumulative_share[-1] == pytest.approx(1.0)
    exact = exact_mclp(problem, 3)
    assert exact.sites.tolist() == [1]
    assert "Only 1 of 3" in exact.note


def test_everything_covered_already_gives_no_sites() -> None:
    problem = SitingProblem.from_cost_matrix(np.ones((3, 2)), [1, 2, 3], 5, covered_already=[True] * 3)
    assert greedy_mclp(problem, 2).n_sites == 0
    assert exact_mclp(problem, 2).status == "no_gain_left"
    assert lscp(problem, 1.0).status == "target_met_by_existing"


@settings(max_examples=25, deadline=None)
@given(seed=seeds, n_sites=st.integers(min_value=1, max_value=4))
def test_capacitated_never_serves_more_than_capacity(seed: int, n_sites: int) -> None:
    problem = random_problem(seed, capacitated=True)
    assert problem.capacity is not None
    exact = exact_mclp(problem, n_sites, capacitated=True)
    greedy = greedy_capacitated_mclp(problem, n_sites)
    for result in (exact, greedy):
        assert np.all(result.gains <= problem.capacity[result.sites] + 1e-6)
        # Served people never exceed the uncapacitated coverage of the same sites.
        assert result.objective <= problem.covered_people(result.sites) - problem.baseline_covered + 1e-6
    assert greedy.objective <= exact.objective + 1e-6
    assert exact.objective <= exact_mclp(problem, n_sites).objective + 1e-6


def test_capacitated_splits_demand_between_sites() -> None:
    # One cell of 100 people reached by two sites of 60 places each: both open, 100 served.
    cost = np.array([[1.0, 2.0]])
    problem = SitingProblem.from_cost_matrix(cost, [100], 15, capacity=[60, 60])
    result = exact_mclp(problem, 2, capacitated=True)
    assert result.objective == pytest.approx(100.0)
    assert sorted(result.gains.tolist()) == pytest.approx([40.0, 60.0])
    greedy = greedy_capacitated_mclp(problem, 2)
    assert greedy.objective == pytest.approx(100.0)


def test_unlimited_capacity_matches_uncapacitated() -> None:
    problem = random_problem(7)
    assert exact_mclp(problem, 3, capacitated=True).objective == pytest.approx(
        exact_mclp(problem, 3).objective
    )
    assert greedy_capacitated_mclp(problem, 3).objective == pytest.approx(greedy_mclp(problem, 3).objective)


def test_lscp_unreachable_target_explains_maximum_share() -> None:
    cost = np.array([[1.0], [99.0]])
    problem = SitingProblem.from_cost_matrix(cost, [30, 70], 15)
    with pytest.raises(DataError, match=r"at most 0\.3000"):
        lscp(problem, 0.5)
    assert lscp(problem, 0.3).objective == 1


def test_lscp_full_cover_of_a_hand_instance() -> None:
    # Candidates 0 and 2 together cover all four cells; candidate 1 alone covers three.
    cost = np.array([[1.0, 1.0, 99.0], [1.0, 1.0, 99.0], [99.0, 1.0, 1.0], [99.0, 99.0, 1.0]])
    problem = SitingProblem.from_cost_matrix(cost, [10, 10, 10, 10], 5)
    result = lscp(problem, 1.0)
    assert result.objective == 2
    assert result.cumulative_share[-1] == pytest.approx(1.0)


# --------------------------------------------------------------------------------------------
# Validation


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cost_min": np.ones(3)}, "cost_min: got shape"),
        ({"cost_min": np.array([[1.0, np.nan], [1.0, 1.0]])}, "cost_min: got NaN"),
        ({"cost_min": np.array([[1.0, -2.0], [1.0, 1.0]])}, r"cost_min: got -2\.0"),
        ({"demand": [1.0, 2.0, 3.0]}, r"demand: got shape \(3,\); expected \(2,\)"),
        ({"demand": [1.0, -1.0]}, "demand: got -1.0"),
        ({"demand": [1.0, np.nan]}, "demand: got nan"),
        ({"demand": [0.0, 0.0]}, "zero people"),
        ({"budget_min": -1.0}, "budget_min: got -1.0"),
        ({"budget_min": float("nan")}, "budget_min: got nan"),
        ({"budget_min": "soon"}, "budget_min: got 'soon'"),
        ({"covered_already": [True]}, "covered_already: got shape"),
        ({"covered_already": [0.5, 1.0]}, "covered_already: got dtype"),
        ({"capacity": [1.0]}, r"capacity: got shape \(1,\); expected \(2,\)"),
        ({"capacity": [1.0, -5.0]}, "capacity: got -5.0"),
    ],
)
def test_from_cost_matrix_rejects_bad_input(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"cost_min": np.ones((2, 2)), "demand": [1.0, 2.0], "budget_min": 10.0}
    args.update(kwargs)
    with pytest.raises(DataError, match=match):
        SitingProblem.from_cost_matrix(**args)  # type: ignore[arg-type]


def test_bad_solver_arguments() -> None:
    problem = random_problem(1)
    with pytest.raises(DataError, match="n_sites"):
        greedy_mclp(problem, 0)
    with pytest.raises(DataError, match="solver"):
        exact_mclp(problem, 2, solver="gurobi")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="time_limit_s"):
        exact_mclp(problem, 2, time_limit_s=0)
    with pytest.raises(DataError, match="target_share"):
        lscp(problem, 1.5)


def test_inf_costs_and_int_inputs_accepted() -> None:
    problem = SitingProblem.from_cost_matrix(np.array([[3, 20], [20, 3]]), np.array([4, 5]), 10)
    assert problem.cost_min.dtype == np.float64
    assert greedy_mclp(problem, 2).objective == 9.0


# --------------------------------------------------------------------------------------------
# Output table and candidates


def test_to_frame_has_the_suggest_contract() -> None:
    problem = random_problem(3)
    result = greedy_mclp(problem, 3)
    candidates = pd.DataFrame(
        {
            "lon": np.linspace(109.0, 110.0, N_CAND),
            "lat": np.linspace(39.0, 40.0, N_CAND),
            "district_adcode": [150602] * N_CAND,
            "township": [f"T{j}" for j in range(N_CAND)],
        }
    )
    frame = result.to_frame(candidates)
    assert list(frame.columns) == [
        "rank",
        "lon",
        "lat",
        "district_adcode",
        "township",
        "gain",
        "cumulative_covered",
        "cumulative_share",
    ]
    assert frame["rank"].tolist() == list(range(1, result.n_sites + 1))
    assert frame["township"].tolist() == [f"T{j}" for j in result.sites]
    assert frame["gain"].tolist() == result.gains.tolist()
    with pytest.raises(DataError, match="missing column"):
        result.to_frame(candidates.drop(columns="township"))
    with pytest.raises(DataError, match="rows"):
        result.to_frame(candidates.iloc[:3])


def test_candidate_mask_matches_brute_force_distances() -> None:
    from pyproj import Transformer

    rng = np.random.default_rng(5)
    cells = pd.DataFrame({"lon": rng.uniform(109.9, 110.1, 300), "lat": rng.uniform(39.7, 39.9, 300)})
    to_m = Transformer.from_crs("EPSG:4326", ORDOS_TMERC_PROJ, always_xy=True)
    x_m, y_m = to_m.transform(rng.uniform(109.9, 110.1, 6), rng.uniform(39.7, 39.9, 6))
    existing = np.column_stack([x_m, y_m])
    mask = candidate_mask(cells, existing, min_separation_m=2_000)
    cx, cy = to_m.transform(cells["lon"].to_numpy(), cells["lat"].to_numpy())
    dist = np.hypot(cx[:, None] - existing[:, 0], cy[:, None] - existing[:, 1]).min(axis=1)
    assert mask.tolist() == (dist >= 2_000).tolist()
    assert 0 < mask.sum() < len(cells)
    kept = candidates_from_cells(cells, existing, min_separation_m=2_000)
    assert kept.index.tolist() == np.flatnonzero(mask).tolist()
    same = candidate_mask(cells, existing, min_separation_m=2_000, cells_xy_m=np.column_stack([cx, cy]))
    assert same.tolist() == mask.tolist()
    assert candidate_mask(cells, np.empty((0, 2)), min_separation_m=2_000).all()
    with pytest.raises(DataError, match="existing_xy_m"):
        candidate_mask(cells, np.ones((3, 3)), min_separation_m=10)
    with pytest.raises(DataError, match="min_separation_m"):
        candidate_mask(cells, existing, min_separation_m=-1)


def test_time_limit_returns_a_feasible_answer_no_worse_than_greedy() -> None:
    # An instance HiGHS cannot prove optimal in 0.05 s: the result must still be usable.
    rng = np.random.default_rng(3)
    xy_m = rng.uniform(0, 20_000, (3_000, 2))
    cand_m = xy_m[rng.choice(3_000, 800, replace=False)]
    cost = np.hypot(xy_m[:, None, 0] - cand_m[None, :, 0], xy_m[:, None, 1] - cand_m[None, :, 1]) * 1.3 / 60
    problem = SitingProblem.from_cost_matrix(cost, rng.lognormal(3, 1.2, 3_000).round(), 30)
    result = lscp(problem, 0.9, time_limit_s=0.05)
    greedy = greedy_lscp(problem, 0.9)
    assert result.status in {"optimal", "time_limit"}
    assert result.n_sites <= greedy.n_sites
    assert problem.covered_people(result.sites) >= 0.9 * problem.total_demand - 1e-6
    if result.status == "time_limit":
        assert "time limit" in result.note
        if result.best_bound is not None:
            assert result.best_bound <= result.objective
    mclp = exact_mclp(problem, 15, time_limit_s=0.05)
    assert mclp.objective >= greedy_mclp(problem, 15).objective - 1e-6
    assert mclp.objective == pytest.approx(problem.covered_people(mclp.sites) - problem.baseline_covered)
    if mclp.best_bound is not None:
        assert mclp.best_bound >= mclp.objective - 1e-6
