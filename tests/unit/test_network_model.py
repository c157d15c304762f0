"""The many-to-many kernel, the kept profile index and the snapping index of the network model.

A small version of ``benchmarks/bench_scale.py``'s city (a jittered street grid with one-way streets,
diagonals and missing blocks, built in code) checks the compiled kernel of ``od_matrix`` against the
previous implementation, kept here as the reference: one ``scipy.sparse.csgraph.dijkstra`` row per
origin over the graph with virtual origin nodes, then every target looked up from both ends of its
segment. Same pairs, minutes within 1e-6, on the walk and the drive profile.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra

from geo import _kernel
from geo import network as gn
from geo._osm import raw_from_lists
from geo.cli import main as cli_main
from geo.errors import CareCircleWarning, DataError
from geo.models import default_model
from geo.network_files import load_profile_index, profile_index_path, save_profile_index
from geo.travel import MODES, OD_ZERO_MIN

LON0, LAT0 = 109.95, 39.80  # Dongsheng: the model uses geo.crs' metric CRS here
M_PER_DLAT = 111_195.0
M_PER_DLON = M_PER_DLAT * math.cos(math.radians(LAT0))


def synthetic_city(side: int, *, spacing_m: float = 70.0, seed: int = 3) -> gn.RoadNetwork:
    """A jittered grid: every 6th street secondary, 15 % one-way, diagonal footways, 8 % of blocks missing."""
    rng = np.random.default_rng(seed)
    ids = np.arange(side * side).reshape(side, side) + 1
    rows, cols = np.divmod(np.arange(side * side), side)
    east = cols * spacing_m + rng.uniform(-15, 15, side * side)
    north = rows * spacing_m + rng.uniform(-15, 15, side * side)
    nodes = {
        int(i) + 1: (LON0 + e / M_PER_DLON, LAT0 + n / M_PER_DLAT)
        for i, e, n in zip(range(side * side), east, north, strict=True)
    }
    ways: list[tuple[list[int], dict[str, str]]] = []
    for line in range(side):
        for run in (ids[line, :], ids[:, line]):
            for k in range(side - 1):
                if rng.random() < 0.08:
                    continue
                tags = {"highway": "secondary" if line % 6 == 0 else "residential"}
                if rng.random() < 0.15:
                    tags["oneway"] = "yes" if rng.random() < 0.5 else "-1"
                ways.append(([int(run[k]), int(run[k + 1])], tags))
    for _ in range(side * side // 10):
        r, c = rng.integers(0, side - 1, 2)
        ways.append(([int(ids[r, c]), int(ids[r + 1, c + 1])], {"highway": "footway"}))
    raw = raw_from_lists(nodes, ways)
    return gn.build_network(raw, source_name=f"grid{side}.osm", sha256=f"{side:064d}")


def points_in(
    net: gn.RoadNetwork, n: int, rng: np.random.Generator, *, margin_deg: float = 0.0
) -> np.ndarray:
    w, s, e, north = net.info.bbox
    return np.column_stack(
        [rng.uniform(w - margin_deg, e + margin_deg, n), rng.uniform(s - margin_deg, north + margin_deg, n)]
    )


def reference_od(
    model: gn.NetworkTravelModel, origins: np.ndarray, targets: np.ndarray, budget_min: float
) -> sp.csr_matrix:
    """The previous ``od_matrix``: one dense scipy Dijkstra row per origin, every target looked up."""
    t_seg, t_frac, _ = model.snap(targets)
    o_seg, o_frac, _ = model.snap(origins)
    ok = np.flatnonzero(o_seg >= 0)
    o_seg, o_frac = o_seg[ok], o_frac[ok]
    snapped = np.flatnonzero(t_seg >= 0)
    seg, frac = t_seg[snapped], t_frac[snapped]
    graph, sources = model._graph_with_sources(o_seg, o_frac)
    dist = dijkstra(graph, indices=sources, limit=budget_min)
    via_a, via_b = model._target_minutes(dist, seg, frac)
    best = np.minimum(via_a, via_b)
    oi, tj = np.nonzero(o_seg[:, None] == seg[None, :])
    if len(oi):
        best[oi, tj] = np.minimum(best[oi, tj], model._direct(o_frac[oi], o_seg[oi], frac[tj]))
    oi, tj = np.nonzero(best <= budget_min)
    vals = np.maximum(best[oi, tj], OD_ZERO_MIN)
    return sp.csr_matrix((vals, (ok[oi], snapped[tj])), shape=(len(origins), len(targets)))


@pytest.fixture(scope="module")
def city() -> gn.RoadNetwork:
    return synthetic_city(45)


@pytest.mark.parametrize(("mode", "budget_min"), [("walk", 12.0), ("drive", 3.0)])
def test_kernel_matches_the_previous_implementation(
    city: gn.RoadNetwork, mode: str, budget_min: float
) -> None:
    model = gn.NetworkTravelModel(city, MODES[mode])
    rng = np.random.default_rng(11)
    origins = points_in(city, 700, rng)
    # Targets: random points (some beyond the streets), origins themselves, and points on origins' segments.
    targets = np.vstack(
        [points_in(city, 2500, rng, margin_deg=0.004), origins[:200], origins[200:260] + 2e-5]
    )
    want = reference_od(model, origins, targets, budget_min)
    got = model.od_matrix(origins, targets, budget_min=budget_min)
    assert got.shape == want.shape and want.nnz > 10_000
    assert np.array_equal(got.indptr, want.indptr) and np.array_equal(got.indices, want.indices)
    np.testing.assert_allclose(got.data, want.data, rtol=0, atol=1e-6)
    # Many origins, few targets: the reverse pass leaves out the origins that reach none, exactly.
    few = targets[::60]
    pruned = model.od_matrix(origins, few, budget_min=budget_min)
    want_few = reference_od(model, origins, few, budget_min)
    assert len(few) < 700 and want_few.nnz > 0
    assert np.array_equal(pruned.indptr, want_few.indptr) and np.array_equal(pruned.indices, want_few.indices)
    np.testing.assert_allclose(pruned.data, want_few.data, rtol=0, atol=1e-6)
    # The same on one thread, in one batch.
    rows, cols, vals = one_thread(model, origins, targets, budget_min)
    single = sp.csr_matrix((vals, (rows, cols)), shape=want.shape)
    assert (single != got).nnz == 0


def one_thread(
    model: gn.NetworkTravelModel, origins: np.ndarray, targets: np.ndarray, budget_min: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t_seg, t_frac, _ = model.snap(targets)
    o_seg, o_frac, o_index = model._snap_origins(origins)
    rows, cols, vals = _kernel.bounded_many_to_many(
        indptr=model._indptr,
        indices=model._indices,
        weights=model._weights,
        starts=model._origin_starts(o_seg, o_frac),
        attachments=model._target_attachments(t_seg, t_frac),
        direct=model._direct_pairs(o_seg, o_frac, t_seg, t_frac),
        n_targets=len(targets),
        budget_min=budget_min,
        zero_min=OD_ZERO_MIN,
        workers=1,
    )
    return o_index[rows], cols, vals


def test_kernel_budget_is_inclusive_and_zero_is_stored(city: gn.RoadNetwork) -> None:
    model = gn.NetworkTravelModel(city, MODES["walk"])
    rng = np.random.default_rng(2)
    origins = points_in(city, 5, rng)
    od = model.od_matrix(origins, origins, budget_min=0.0)
    # Each origin reaches itself in zero minutes, stored as OD_ZERO_MIN; nothing else within 0 minutes.
    assert od.nnz == 5 and np.all(od.diagonal() == OD_ZERO_MIN)
    targets = points_in(city, 400, rng)
    full = model.od_matrix(origins, targets, budget_min=8.0)
    # A budget equal to a pair's minutes keeps that pair (inclusive), and exactly the pairs within it.
    edge = float(np.median(full.data))
    at_edge = model.od_matrix(origins, targets, budget_min=edge)
    assert at_edge.nnz == int((full.data <= edge).sum())
    np.testing.assert_array_equal(at_edge.toarray(), np.where(full.toarray() <= edge, full.toarray(), 0.0))
    assert model.od_matrix(origins, targets[:0], budget_min=edge).shape == (5, 0)


def test_profile_index_kept_next_to_the_network(city: gn.RoadNetwork, tmp_path: Path) -> None:
    saved = gn.save_network(city, tmp_path)
    net = gn.load_network(saved)
    assert load_profile_index(saved, net, "walk") is None
    built = default_model(MODES["walk"], network_dir=tmp_path, bounds=None)
    path = profile_index_path(saved, "walk")
    assert path.is_file() and built.name == "network"
    kept = load_profile_index(saved, net, "walk")
    assert kept is not None
    rng = np.random.default_rng(4)
    pts, fac = points_in(city, 600, rng, margin_deg=0.01), points_in(city, 40, rng)
    again = gn.NetworkTravelModel(net, MODES["walk"], index=kept)
    for a, b in zip(built.snap(pts), again.snap(pts), strict=True):
        np.testing.assert_array_equal(a, b)
    assert (built.od_matrix(fac, pts, budget_min=10) != again.od_matrix(fac, pts, budget_min=10)).nnz == 0
    # Another profile, another network, a damaged file: not used (None), so the caller rebuilds.
    assert load_profile_index(saved, net, "drive") is None
    other = synthetic_city(12)
    assert load_profile_index(saved, other, "walk") is None
    path.write_bytes(b"not an npz")
    assert load_profile_index(saved, net, "walk") is None
    with pytest.raises(DataError, match="index"):
        gn.NetworkTravelModel(other, MODES["walk"], index=kept)
    # A read-only folder is not an error.
    assert save_profile_index(tmp_path / "missing" / saved.name, kept) is None


def test_snap_is_exact_for_far_points(city: gn.RoadNetwork) -> None:
    model = gn.NetworkTravelModel(city, MODES["walk"])
    rng = np.random.default_rng(9)
    # Points up to ~25 km away: the ring search starts at the grid and grows until it is exact.
    pts = np.vstack([points_in(city, 300, rng, margin_deg=0.3), points_in(city, 300, rng, margin_deg=0.005)])
    seg, _, dist_m = model.snap(pts)
    xy = model._metric(pts)
    lines = shapely.linestrings(np.stack([model._xy[model._seg_a], model._xy[model._seg_b]], axis=1))
    brute = shapely.distance(shapely.points(xy)[:, None], lines[None, :]).min(axis=1)
    np.testing.assert_allclose(dist_m, brute, rtol=0, atol=1e-6)
    assert (brute > 2000).sum() > 100 and (seg >= 0).sum() > 250


def test_fallback_says_why_in_both_languages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    far = synthetic_city(6)
    moved = gn.RoadNetwork(
        **{key: getattr(far, key) for key in gn.ARRAY_FIELDS if key not in ("node_lon", "node_lat")},
        node_lon=far.node_lon - 85.0,  # in the Atlantic: nowhere near Ordos
        node_lat=far.node_lat,
        info=gn.NetworkInfo(
            name="elsewhere.osm",
            source_name="elsewhere.osm",
            sha256="e" * 64,
            created_at="2026-01-01T00:00:00+00:00",
            n_nodes=far.n_nodes,
            n_edges=far.n_edges,
            bbox=(far.info.bbox[0] - 85.0, far.info.bbox[1], far.info.bbox[2] - 85.0, far.info.bbox[3]),
        ),
    )
    gn.save_network(moved, tmp_path)
    model = default_model(MODES["walk"], network_dir=tmp_path)
    assert model.name == "straight_line"
    fallback = model.describe()["fallback"]
    assert isinstance(fallback, dict) and fallback["code"] == "no_overlap"
    assert "不重叠" in fallback["zh"] and "does not overlap" in fallback["en"]
    assert "elsewhere.osm" in fallback["en"]
    # The CLI says so on stderr, and the JSON's model block carries it.
    code = cli_main(
        [
            "--database",
            f"sqlite:///{tmp_path / 'db.sqlite'}",
            "coverage",
            "--type",
            "community_station",
            "--minutes",
            "15",
            "--format",
            "json",
            "--network-dir",
            str(tmp_path),
        ]
    )
    out = capsys.readouterr()
    assert code == 0
    assert "注意 / note:" in out.err and "不重叠" in out.err and "does not overlap" in out.err
    assert '"fallback"' in out.out
    # Unreadable network files are named too.
    other = tmp_path / "old"
    other.mkdir()
    (other / f"{'a' * 64}.npz").write_bytes(b"old format")
    old = default_model(MODES["walk"], network_dir=other)
    assert old.describe()["fallback"]["code"] == "unreadable"  # type: ignore[index]
    assert "无法读取" in old.fallback.zh and "cannot be read" in old.fallback.en  # type: ignore[attr-defined]
    # No network at all is no fallback: nothing was passed over.
    assert "fallback" not in default_model(MODES["walk"], network_dir=tmp_path / "none").describe()


def test_network_files_are_mapped_read_only(city: gn.RoadNetwork, tmp_path: Path) -> None:
    """Stored members are mapped (same arrays as np.load, read-only); compressed ones are read."""
    from geo.network_files import _read_npz

    saved = gn.save_network(city, tmp_path)
    mapped = _read_npz(saved)
    with np.load(saved, allow_pickle=False) as data:
        assert sorted(mapped) == sorted(data.files)
        for key in data.files:
            np.testing.assert_array_equal(mapped[key], data[key])
            assert mapped[key].dtype == data[key].dtype
    assert not mapped["indptr"].flags.writeable
    packed = tmp_path / "packed.npz"
    np.savez_compressed(packed, a=np.arange(5), b=np.array("text"))
    assert _read_npz(packed)["a"].tolist() == [0, 1, 2, 3, 4] and str(_read_npz(packed)["b"]) == "text"
    cut = tmp_path / "cut.npz"
    cut.write_bytes(saved.read_bytes()[: saved.stat().st_size // 2])
    with pytest.raises(DataError, match="not a readable road network file"):
        gn.load_network(cut)


def assert_same_nearest(
    model: gn.NetworkTravelModel, origins: np.ndarray, targets: np.ndarray, budget_min: float
) -> None:
    """``od_matrix_and_nearest`` gives ``od_matrix`` and the scipy pass's ``nearest``, exactly.

    Minutes and reasons are identical; the origin is the scipy pass's wherever one origin alone is
    the nearest, and the lowest-numbered of the equally near ones otherwise.
    """
    od, near = model.od_matrix_and_nearest(origins, targets, budget_min=budget_min)
    want_od = model.od_matrix(origins, targets, budget_min=budget_min)
    want = model.nearest(origins, targets, budget_min=budget_min)
    assert (od != want_od).nnz == 0 and np.array_equal(od.indices, want_od.indices)
    np.testing.assert_array_equal(near.minutes, want.minutes)
    assert near.reason is not None and want.reason is not None
    np.testing.assert_array_equal(near.reason, want.reason)
    reached = np.isfinite(want.minutes)
    np.testing.assert_array_equal(near.origin >= 0, reached)
    dense = want_od.toarray()
    for j in np.flatnonzero(reached):
        column = dense[:, j]
        at_min = np.flatnonzero((column > 0) & (column == max(want.minutes[j], OD_ZERO_MIN)))
        assert near.origin[j] == at_min[0]
        if len(at_min) == 1:
            assert want.origin[j] == near.origin[j]


@pytest.mark.parametrize(("mode", "budget_min"), [("walk", 12.0), ("drive", 3.0)])
def test_nearest_from_the_matrix_equals_the_scipy_pass(
    city: gn.RoadNetwork, mode: str, budget_min: float
) -> None:
    model = gn.NetworkTravelModel(city, MODES[mode])
    rng = np.random.default_rng(23)
    origins = points_in(city, 120, rng)
    # Two origins at one spot (a tie), one far off the streets (left out with a warning).
    origins = np.vstack([origins, origins[:3], [[LON0 - 0.05, LAT0 - 0.05]]])
    targets = np.vstack(
        [points_in(city, 1500, rng, margin_deg=0.004), origins[:40], origins[40:60] + 2e-5, origins[:0]]
    )
    with pytest.warns(CareCircleWarning, match="left out"):
        assert_same_nearest(model, origins, targets, budget_min)
    # Few targets for many origins (the reverse-pass pruning) and an empty budget.
    with pytest.warns(CareCircleWarning):
        assert_same_nearest(model, origins, targets[::100], budget_min)
    with pytest.warns(CareCircleWarning):
        assert_same_nearest(model, origins, targets, 0.0)
    empty, none = model.od_matrix_and_nearest(origins[:0], targets[:5], budget_min=budget_min)
    assert empty.shape == (0, 5) and (none.origin == -1).all() and np.isinf(none.minutes).all()
    assert (
        none.reason is not None
        and none.reason.tolist()
        == model.nearest(origins[:0], targets[:5], budget_min=budget_min).reason.tolist()
    )


def test_coverage_with_2sfca_from_one_search_equals_the_two_passes(city: gn.RoadNetwork) -> None:
    import pandas as pd

    from geo import coverage as cov

    model = gn.NetworkTravelModel(city, MODES["walk"])
    rng = np.random.default_rng(5)
    fac_xy = points_in(city, 60, rng)
    facilities = pd.DataFrame(
        {
            "facility_id": [f"F{i}" for i in range(62)],
            "type": "community_station",
            "lon": np.r_[fac_xy[:, 0], fac_xy[:2, 0]],  # two at the same spot as others
            "lat": np.r_[fac_xy[:, 1], fac_xy[:2, 1]],
            "capacity": rng.integers(5, 50, 62),
            "status": "open",
        }
    )
    xy = np.vstack([points_in(city, 3000, rng, margin_deg=0.006), fac_xy[:10]])
    cells = pd.DataFrame(
        {"cell_id": [f"c{i}" for i in range(len(xy))], "lon": xy[:, 0], "lat": xy[:, 1]}
    ).assign(pop_60plus=rng.integers(0, 80, len(xy)))
    kw = {"types": ["community_station"], "budget_min": 10.0}
    access, fca = cov.access_and_fca(
        cells, facilities, model, demand_col="pop_60plus", tiers_min=(5, 10), **kw
    )
    want_access = cov.cell_access(cells, facilities, model, tiers_min=(5, 10), **kw)
    want_fca = cov.two_step_fca(cells, facilities, model, demand_col="pop_60plus", **kw)
    assert access["covered"].sum() > 100 and (~access["covered"]).sum() > 100
    pd.testing.assert_frame_equal(fca, want_fca)
    assert fca.attrs == want_fca.attrs and access.attrs == want_access.attrs
    # The same frame; the named facility may differ only where two are equally near (here: the pairs
    # at one spot, F0/F60 and F1/F61, of which the first is named).
    differs = access["facility_id"].fillna("") != want_access["facility_id"].fillna("")
    assert set(access.loc[differs, "facility_id"]) <= {"F0", "F1"}
    assert set(want_access.loc[differs, "facility_id"]) <= {"F60", "F61"}
    cols = [c for c in access.columns if c != "facility_id"]
    pd.testing.assert_frame_equal(access[cols], want_access[cols])
    # A tier beyond the budget needs the longer nearest-facility search: the two passes run.
    wide, _ = cov.access_and_fca(cells, facilities, model, demand_col="pop_60plus", tiers_min=(15,), **kw)
    pd.testing.assert_frame_equal(wide, cov.cell_access(cells, facilities, model, tiers_min=(15,), **kw))
    # The command's report (10-minute budget, one set of searches) equals the one built from the two
    # passes with the default tiers (which searched 15 minutes for the nearest facility).
    full = cells.assign(adcode=150602, pop_total=cells["pop_60plus"] * 5, pop_0_3=1)
    facilities = facilities.assign(district_adcode=150602, capacity_unit="beds")
    report = cov.coverage_report(full, facilities, model, target="60plus", **kw)
    slow_access = cov.cell_access(full, facilities, model, **kw)
    slow_fca = cov.two_step_fca(full, facilities, model, demand_col="pop_60plus", **kw)
    table = cov.area_table(full, slow_access, facilities, types=kw["types"], fca=slow_fca)
    assert report["rows"] == cov.table_records(table) and report["totals"] == cov.area_totals(table)
    assert report["totals"]["pop_60plus_covered"] > 0


def test_search_order_does_not_change_the_results(city: gn.RoadNetwork) -> None:
    model = gn.NetworkTravelModel(city, MODES["walk"])
    rng = np.random.default_rng(17)
    origins = points_in(city, 300, rng)
    origins = np.vstack([origins, origins[::-1][:50]])  # 50 ties: the same spots, higher numbers
    targets = points_in(city, 2000, rng, margin_deg=0.003)
    t_seg, t_frac, _ = model.snap(targets)
    o_seg, o_frac, _ = model._snap_origins(origins)
    search = {
        "indptr": model._indptr,
        "indices": model._indices,
        "weights": model._weights,
        "starts": model._origin_starts(o_seg, o_frac),
        "attachments": model._target_attachments(t_seg, t_frac),
        "direct": model._direct_pairs(o_seg, o_frac, t_seg, t_frac),
        "n_targets": len(targets),
        "budget_min": 10.0,
        "zero_min": OD_ZERO_MIN,
    }
    spatial = _kernel.spatial_order(model._xy[model._seg_a[o_seg]])
    assert sorted(spatial.tolist()) == list(range(len(o_seg))) and not np.array_equal(
        spatial, np.arange(len(o_seg))
    )
    results = [
        _kernel.bounded_many_to_many_nearest(**search, order=order, workers=workers)
        for order, workers in [
            (None, 1),
            (spatial, 2),
            (np.arange(len(o_seg))[::-1].copy(), 2),
            (rng.permutation(len(o_seg)), 1),
        ]
    ]
    shape = (len(o_seg), len(targets))
    first = sp.csr_matrix((results[0][2], (results[0][0], results[0][1])), shape=shape)
    for rows, cols, vals, near_min, near_org in results[1:]:
        assert (sp.csr_matrix((vals, (rows, cols)), shape=shape) != first).nnz == 0
        np.testing.assert_array_equal(near_min, results[0][3])
        np.testing.assert_array_equal(near_org, results[0][4])
    # The nearest is the lowest-numbered origin among the equally near ones.
    dense = first.toarray()
    reached = np.flatnonzero(results[0][4] >= 0)
    assert len(reached) > 500
    for j in reached:
        column = dense[:, j]
        assert results[0][4][j] == np.flatnonzero(column == column[column > 0].min())[0]
    with pytest.raises(ValueError, match="order"):
        _kernel.bounded_many_to_many(**search, order=spatial[:-1])
