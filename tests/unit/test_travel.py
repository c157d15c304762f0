"""Tests of geo.travel: modes, the straight-line model against brute force, isochrone circles."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.crs import from_metric, to_metric
from geo.errors import DataError
from geo.models import default_model
from geo.schema import FACILITY_TYPES
from geo.travel import (
    MODES,
    OD_ZERO_MIN,
    TYPE_DEFAULTS,
    Mode,
    NearestResult,
    OdPairs,
    StraightLineModel,
    TravelModel,
    get_mode,
    od_pairs,
)

# Dongsheng, the city's main urban district: a small box so walking budgets reach something.
LON0, LAT0 = 109.95, 39.80


def random_lonlat(rng: np.random.Generator, n: int, *, span_deg: float = 0.05) -> np.ndarray:
    return np.column_stack([LON0 + rng.uniform(0, span_deg, n), LAT0 + rng.uniform(0, span_deg * 0.75, n)])


def offset_m(lon: float, lat: float, dx_m: float, dy_m: float) -> tuple[float, float]:
    """The point ``dx_m`` east and ``dy_m`` north of (lon, lat) in the metric CRS."""
    x, y = to_metric(lon, lat)
    return from_metric(x + dx_m, y + dy_m)


def brute_force_minutes(model: StraightLineModel, origins: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Dense n_origins × n_targets minutes, O(n · m)."""
    ox, oy = to_metric(origins[:, 0], origins[:, 1])
    tx, ty = to_metric(targets[:, 0], targets[:, 1])
    dist_m = np.hypot(ox[:, None] - tx[None, :], oy[:, None] - ty[None, :])
    return dist_m * model.mode.detour_factor / model.mode.speed_m_per_min


# ------------------------------------------------------------------------------------------------ modes


def test_presets_and_type_defaults() -> None:
    assert MODES["walk"].speed_m_per_min == 60.0
    assert MODES["elderly_walk"].speed_m_per_min < MODES["walk"].speed_m_per_min
    assert MODES["walk"].speed_m_per_min < MODES["bike"].speed_m_per_min < MODES["drive"].speed_m_per_min
    assert MODES["drive"].speed_kmh == pytest.approx(40.0)
    assert MODES["drive"].speed_kmh_by_highway["primary"] > MODES["drive"].speed_kmh_by_highway["residential"]
    assert set(MODES["drive"].rural_speed_kmh_by_highway) >= {"primary", "track"}
    assert set(TYPE_DEFAULTS) == set(FACILITY_TYPES)
    for mode_name, budget in TYPE_DEFAULTS.values():
        assert mode_name in MODES
        assert budget > 0
    assert TYPE_DEFAULTS["nursery"][0] == "walk"
    assert TYPE_DEFAULTS["village_station"][0] == "drive"


def test_modes_are_hashable_settings() -> None:
    assert hash(MODES["drive"]) == hash(MODES["drive"])
    with pytest.raises(AttributeError):
        MODES["walk"].speed_m_per_min = 10.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("speed", "detour", "profile"),
    [(0.0, 1.3, "walk"), (-5.0, 1.3, "walk"), (60.0, 0.9, "walk"), (60.0, 1.3, "fly")],
)
def test_mode_rejects_bad_settings(speed: float, detour: float, profile: str) -> None:
    with pytest.raises(DataError):
        Mode("x", speed, detour, profile)


def test_get_mode_lists_valid_names() -> None:
    assert get_mode("bike") is MODES["bike"]
    with pytest.raises(DataError, match="elderly_walk"):
        get_mode("horse")


# ------------------------------------------------------------------------------------------ straight line


def test_hand_made_distances() -> None:
    """780 m crow-flies × 1.3 / 60 m/min = 16.9 min; 600 m → 13 min; 300 m → 6.5 min."""
    model = StraightLineModel(MODES["walk"])
    facility = np.array([[LON0, LAT0]])
    targets = np.array(
        [offset_m(LON0, LAT0, 780, 0), offset_m(LON0, LAT0, 0, 600), offset_m(LON0, LAT0, -300, 0)]
    )
    result = model.nearest(facility, targets, budget_min=15)
    assert np.isinf(result.minutes[0])
    assert result.origin.tolist() == [-1, 0, 0]
    assert result.minutes[1] == pytest.approx(13.0, abs=1e-6)
    assert result.minutes[2] == pytest.approx(6.5, abs=1e-6)
    assert result.reached.tolist() == [False, True, True]
    wide = model.nearest(facility, targets, budget_min=20)
    assert wide.minutes[0] == pytest.approx(16.9, abs=1e-6)


def test_drive_mode_uses_its_speed() -> None:
    """10 km at 40 km/h with detour 1.4: 10,000 × 1.4 / 666.67 = 21 min."""
    model = StraightLineModel(MODES["drive"])
    target = np.array([offset_m(LON0, LAT0, 0, 10_000)])
    result = model.nearest(np.array([[LON0, LAT0]]), target, budget_min=30)
    assert result.minutes[0] == pytest.approx(21.0, abs=1e-6)


@pytest.mark.parametrize("mode", ["walk", "elderly_walk", "drive"])
@pytest.mark.parametrize("budget", [5.0, 15.0, 60.0])
def test_nearest_matches_brute_force(mode: str, budget: float) -> None:
    rng = np.random.default_rng(7)
    model = StraightLineModel(MODES[mode])
    origins, targets = random_lonlat(rng, 40), random_lonlat(rng, 600)
    dense = brute_force_minutes(model, origins, targets)
    best = dense.min(axis=0)
    expected_minutes = np.where(best <= budget, best, np.inf)
    expected_origin = np.where(best <= budget, dense.argmin(axis=0), -1)
    result = model.nearest(origins, targets, budget_min=budget)
    np.testing.assert_allclose(result.minutes, expected_minutes, rtol=1e-9)
    np.testing.assert_array_equal(result.origin, expected_origin)


@pytest.mark.parametrize("budget", [3.0, 15.0])
def test_od_matrix_matches_brute_force(budget: float) -> None:
    rng = np.random.default_rng(11)
    model = StraightLineModel(MODES["walk"])
    origins, targets = random_lonlat(rng, 30), random_lonlat(rng, 400)
    dense = brute_force_minutes(model, origins, targets)
    od = model.od_matrix(origins, targets, budget_min=budget)
    assert od.shape == (30, 400)
    mask = dense <= budget
    assert od.nnz == int(mask.sum())
    got = od.toarray()
    np.testing.assert_allclose(got[mask], dense[mask], rtol=1e-9)
    assert (got[~mask] == 0).all()


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_grid_search_and_kd_tree_give_the_same_answers(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The straight-line model finds pairs with a numpy grid while they are few and with SciPy's
    # KD-tree beyond that: both must give the same pairs, minutes and nearest origins, including
    # co-located origins and targets exactly at the reach.
    import geo.travel as travel

    rng = np.random.default_rng(3)
    model = StraightLineModel(MODES[mode])
    origins = random_lonlat(rng, 60)
    origins = np.vstack([origins, origins[:5]])  # duplicates: the lowest index is the nearest
    reach_m = model.mode.reach_m(15.0)
    edge = np.array([offset_m(*origins[0], reach_m, 0.0), offset_m(*origins[1], 0.0, -reach_m)])
    targets = np.vstack([random_lonlat(rng, 800), edge, origins[:3]])
    grid_near = model.nearest(origins, targets, budget_min=15.0)
    grid_od = model.od_matrix(origins, targets, budget_min=15.0)
    monkeypatch.setattr(travel, "_GRID_MAX_CANDIDATES", 0)
    tree_near = model.nearest(origins, targets, budget_min=15.0)
    tree_od = model.od_matrix(origins, targets, budget_min=15.0)
    np.testing.assert_array_equal(grid_near.minutes, tree_near.minutes)
    reached = grid_near.origin >= 0
    np.testing.assert_array_equal(reached, tree_near.origin >= 0)
    # Equally near origins may come in another order from the tree: compare the distances.
    dense = brute_force_minutes(model, origins, targets)
    cols = np.flatnonzero(reached)
    np.testing.assert_allclose(
        dense[grid_near.origin[cols], cols], dense[tree_near.origin[cols], cols], rtol=1e-12
    )
    assert (grid_od != tree_od).nnz == 0 and grid_od.nnz == tree_od.nnz > 0


class MatrixOnly:
    """A model that answers ``od_matrix`` only (as the road-network model does)."""

    def __init__(self, model: StraightLineModel) -> None:
        self.model = model

    def od_matrix(self, origins: np.ndarray, targets: np.ndarray, *, budget_min: float) -> object:
        return self.model.od_matrix(origins, targets, budget_min=budget_min)


def test_od_pairs_are_the_od_matrix_entries_in_row_major_order() -> None:
    # The straight-line model lists its pairs without SciPy; od_pairs of a model that only has a
    # matrix reads the matrix out. Both give the CSR entries, by origin, then by target.
    import scipy.sparse as sp

    rng = np.random.default_rng(5)
    model = StraightLineModel(MODES["walk"])
    origins, targets = random_lonlat(rng, 40), random_lonlat(rng, 500)
    origins = np.vstack([origins, origins[:2]])
    od = model.od_matrix(origins, targets, budget_min=15.0)
    assert od.has_sorted_indices and od.nnz > 0
    direct = model.od_pairs(origins, targets, budget_min=15.0)
    read_out = od_pairs(MatrixOnly(model), origins, targets, budget_min=15.0)  # type: ignore[arg-type]
    expected = od.tocoo()
    for pairs in (direct, read_out):
        assert isinstance(pairs, OdPairs) and pairs.shape == od.shape
        np.testing.assert_array_equal(pairs.origin, expected.row)
        np.testing.assert_array_equal(pairs.target, expected.col)
        np.testing.assert_array_equal(pairs.minutes, expected.data)
    rebuilt = sp.coo_matrix((direct.minutes, (direct.origin, direct.target)), shape=direct.shape).tocsr()
    assert (direct.to_csr() != rebuilt).nnz == 0
    empty = model.od_pairs(np.empty((0, 2)), targets, budget_min=15.0)
    assert empty.shape == (0, 500) and len(empty.origin) == 0 and empty.to_csr().shape == (0, 500)


def test_od_matrix_keeps_coincident_pairs() -> None:
    model = StraightLineModel(MODES["walk"])
    point = np.array([[LON0, LAT0]])
    od = model.od_matrix(point, np.vstack([point, point]), budget_min=15)
    assert od.nnz == 2
    np.testing.assert_allclose(od.data, OD_ZERO_MIN)


def test_empty_inputs() -> None:
    model = StraightLineModel(MODES["walk"])
    targets = random_lonlat(np.random.default_rng(0), 5)
    result = model.nearest(np.empty((0, 2)), targets, budget_min=15)
    assert np.isinf(result.minutes).all()
    assert (result.origin == -1).all()
    assert model.od_matrix(np.empty((0, 2)), targets, budget_min=15).shape == (0, 5)
    assert len(model.nearest(targets, np.empty((0, 2)), budget_min=15).minutes) == 0


@pytest.mark.parametrize(
    "bad", [np.zeros((3, 3)), np.array([[np.nan, 39.8]]), np.array([[200.0, 39.8]]), np.zeros((2, 2, 2))]
)
def test_bad_coordinates_raise(bad: np.ndarray) -> None:
    with pytest.raises(DataError):
        StraightLineModel(MODES["walk"]).nearest(np.array([[LON0, LAT0]]), bad, budget_min=15)


@pytest.mark.parametrize("budget", [-1.0, math.nan, math.inf])
def test_bad_budget_raises(budget: float) -> None:
    with pytest.raises(DataError, match="budget_min"):
        StraightLineModel(MODES["walk"]).nearest(
            np.array([[LON0, LAT0]]), np.array([[LON0, LAT0]]), budget_min=budget
        )


def test_describe_and_protocol() -> None:
    model = StraightLineModel(MODES["elderly_walk"])
    assert isinstance(model, TravelModel)
    assert model.describe() == {
        "name": "straight_line",
        "mode": "elderly_walk",
        "speed_m_per_min": 48.0,
        "detour_factor": 1.3,
    }
    assert isinstance(
        model.nearest(np.array([[LON0, LAT0]]), np.array([[LON0, LAT0]]), budget_min=1), NearestResult
    )


def test_default_model_without_network(tmp_path: Path) -> None:
    assert default_model(MODES["walk"], network_dir=None).name == "straight_line"
    assert default_model(MODES["walk"], network_dir=tmp_path / "missing").name == "straight_line"


# ------------------------------------------------------------------------------------------ isochrones


def test_isochrone_circle_radius() -> None:
    """15 min on foot: radius 60 × 15 / 1.3 ≈ 692.3 m."""
    model = StraightLineModel(MODES["walk"])
    (geom,) = model.isochrones(np.array([[LON0, LAT0]]), budgets_min=[15])
    radius_m = 60 * 15 / 1.3
    inside = shapely.Point(offset_m(LON0, LAT0, 0.99 * radius_m, 0))
    outside = shapely.Point(offset_m(LON0, LAT0, 0, -1.01 * radius_m))
    assert geom.is_valid
    assert geom.contains(inside)
    assert not geom.contains(outside)
    x, y = to_metric(*np.asarray(geom.exterior.coords).T)
    area_m2 = shapely.Polygon(np.column_stack([x, y])).area
    assert area_m2 == pytest.approx(math.pi * radius_m**2, rel=2e-3)


def test_isochrones_follow_budget_order_and_handle_empty() -> None:
    model = StraightLineModel(MODES["walk"])
    geoms = model.isochrones(np.array([[LON0, LAT0]]), budgets_min=[15, 5, 0])
    assert geoms[0].area > geoms[1].area > 0
    assert geoms[2].is_empty
    assert all(g.is_empty for g in model.isochrones(np.empty((0, 2)), budgets_min=[5, 10]))


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 12),
    budgets=st.lists(st.floats(0.5, 30.0), min_size=1, max_size=4),
)
def test_isochrones_nested_and_valid(seed: int, n: int, budgets: list[float]) -> None:
    model = StraightLineModel(MODES["walk"])
    origins = random_lonlat(np.random.default_rng(seed), n, span_deg=0.03)
    geoms = model.isochrones(origins, budgets_min=budgets)
    order = np.argsort(budgets)
    for g in geoms:
        assert g.is_valid
        assert g.geom_type in ("Polygon", "MultiPolygon")
    for small, large in itertools.pairwise(order):
        assert geoms[large].covers(geoms[small])
    # Every origin lies inside every non-empty isochrone.
    for g in geoms:
        assert shapely.contains_xy(g, origins[:, 0], origins[:, 1]).all()


def test_default_model_only_takes_a_network_that_covers_the_area(tmp_path: Path) -> None:
    pyrosm = pytest.importorskip("pyrosm")
    from geo.network import import_network

    import_network(pyrosm.get_data("test_pbf"), directory=tmp_path)
    # The bundled extract is in Finland: for Ordos demand the straight-line model must run.
    assert default_model(MODES["walk"], network_dir=tmp_path).name == "straight_line"
    finland = (26.0, 60.0, 28.0, 61.0)
    assert default_model(MODES["walk"], network_dir=tmp_path, bounds=finland).name == "network"
    assert default_model(MODES["walk"], network_dir=tmp_path, bounds=None).name == "network"


def test_metric_coordinates_of_large_point_sets_are_kept_by_content() -> None:
    from geo import travel

    rng = np.random.default_rng(3)
    cells = np.column_stack([rng.uniform(109.5, 110.5, 30_000), rng.uniform(39.3, 40.2, 30_000)])
    first = travel._metric_xy(cells)
    again = travel._metric_xy(cells.copy())  # the same points in another array: kept
    moved = cells.copy()
    moved[17, 0] += 1e-9  # one point moved by a hair: computed anew
    other = travel._metric_xy(moved)
    assert again is first and other is not first
    x, y = to_metric(cells[:, 0], cells[:, 1])
    np.testing.assert_array_equal(first, np.column_stack([x, y]))
    assert not first.flags.writeable
