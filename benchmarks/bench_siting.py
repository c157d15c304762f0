"""Benchmark geo.siting against spopt's MCLP on the same cost matrix.

Instance (modelled, fixed seed): about 8,000 populated 300 m cells in a 60 km × 60 km area,
people concentrated around a few towns with log-normal skew; candidates = 2,000 of the
cell centres; straight-line minutes at 60 m/min with a detour factor of 1.3; budget 15 min;
no existing facilities (spopt's MCLP has no notion of already covered demand).
If ``datasets/population_cells.csv`` exists (the modelled sample of the census), the cells of
its largest banner are used instead (``--instance auto``, the default) and the banner is
named in the output; ``--instance modelled`` forces the synthetic 8,000 cells.

Run::

    .venv/bin/python benchmarks/bench_siting.py [--instance auto|modelled|csv] [--sizes 5,10,20] [--large]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pulp
from spopt.locate import MCLP

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere
from geo.siting import ORDOS_TMERC_PROJ, SitingProblem, exact_mclp, greedy_mclp

SEED = 20_240_601
SPEED_M_PER_MIN = 60.0
DETOUR = 1.3
BUDGET_MIN = 15.0
N_CELLS = 8_000
N_CANDIDATES = 2_000
CELLS_CSV = Path(__file__).resolve().parents[1] / "datasets" / "population_cells.csv"


def modelled_cells(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, str]:
    """Metric x, y (m) and people of about 8,000 populated 300 m cells (modelled)."""
    cell_m = 300.0
    side = int(60_000 / cell_m)
    gx, gy = np.meshgrid(np.arange(side), np.arange(side))
    xy = np.column_stack([gx.ravel(), gy.ravel()]) * cell_m + cell_m / 2
    towns = rng.uniform(5_000, 55_000, (8, 2))
    weight_town = rng.pareto(1.2, 8) + 1
    sigma_m = rng.uniform(1_500, 5_000, 8)
    density = np.full(xy.shape[0], 0.02)  # thin rural background
    for (tx, ty), w, s in zip(towns, weight_town, sigma_m, strict=True):
        density += w * np.exp(-((xy[:, 0] - tx) ** 2 + (xy[:, 1] - ty) ** 2) / (2 * s**2))
    pick = rng.choice(xy.shape[0], size=N_CELLS, replace=False, p=density / density.sum())
    people = np.round(
        rng.lognormal(mean=3.0, sigma=1.2, size=N_CELLS) * (1 + 20 * density[pick] / density.max())
    )
    return xy[pick], people, "modelled cells (fixed seed, 60 km × 60 km)"


def csv_cells(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, str] | None:
    """Cells of the banner with the most cells in datasets/population_cells.csv, if usable."""
    if not CELLS_CSV.exists():
        return None
    import pandas as pd
    from pyproj import Transformer

    cells = pd.read_csv(CELLS_CSV)
    area_col = next((c for c in ("district_adcode", "adcode") if c in cells.columns), None)
    if area_col is None or "pop_total" not in cells.columns or not {"lon", "lat"} <= set(cells.columns):
        print(f"note: {CELLS_CSV.name} lacks lon, lat, adcode or pop_total; using modelled cells instead")
        return None
    banner = cells[area_col].value_counts().idxmax()
    part = cells[(cells[area_col] == banner) & (cells["pop_total"] > 0)]
    if len(part) > N_CELLS:
        part = part.iloc[np.sort(rng.choice(len(part), N_CELLS, replace=False))]
    to_m = Transformer.from_crs("EPSG:4326", ORDOS_TMERC_PROJ, always_xy=True)  # lon, lat order
    x_m, y_m = to_m.transform(part["lon"].to_numpy(), part["lat"].to_numpy())
    label = (
        f"{CELLS_CSV.name}{' (modelled sample)' if CELLS_CSV.name == 'population_cells.csv' else ''}, banner {banner}: {len(part)} H3 cells, pop_total; "
        "candidates = all its cell centres (at most 2,000)"
    )
    return np.column_stack([x_m, y_m]), part["pop_total"].to_numpy(dtype=float), label


def build_instance(kind: str) -> tuple[np.ndarray, np.ndarray, str]:
    rng = np.random.default_rng(SEED)
    found = csv_cells(rng) if kind in ("auto", "csv") else None
    if kind == "csv" and found is None:
        raise SystemExit(f"{CELLS_CSV} is missing or unusable")
    xy, people, label = found if found is not None else modelled_cells(rng)
    n_cand = min(N_CANDIDATES, xy.shape[0])
    cand = xy[np.sort(rng.choice(xy.shape[0], n_cand, replace=False))]
    dist_m = np.hypot(xy[:, None, 0] - cand[None, :, 0], xy[:, None, 1] - cand[None, :, 1])
    cost_min = dist_m * DETOUR / SPEED_M_PER_MIN
    return cost_min, people, label


def run_spopt(
    cost_min: np.ndarray, people: np.ndarray, n_sites: int, time_limit_s: float
) -> tuple[float, float]:
    started = time.perf_counter()
    model = MCLP.from_cost_matrix(cost_min, people, service_radius=BUDGET_MIN, p_facilities=n_sites)
    model.solve(pulp.HiGHS(msg=False, timeLimit=time_limit_s), results=False)
    elapsed = time.perf_counter() - started
    return elapsed, float(pulp.value(model.problem.objective))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5,10,20", help="comma-separated numbers of new sites")
    parser.add_argument("--time-limit-s", type=float, default=120.0, help="solver time limit (seconds)")
    parser.add_argument(
        "--instance",
        choices=("auto", "modelled", "csv"),
        default="auto",
        help="auto: datasets/population_cells.csv (one banner) when present, else the modelled 8,000 cells",
    )
    parser.add_argument("--large", action="store_true", help="also time greedy and exact on 10,000 × 10,000")
    parser.add_argument("--skip-spopt", action="store_true", help="skip spopt (its model building is slow)")
    parser.add_argument("--cells", type=Path, default=None, help="demand cells CSV for --instance csv")
    args = parser.parse_args()
    if args.cells is not None:
        global CELLS_CSV
        CELLS_CSV = args.cells
    sizes = [int(s) for s in args.sizes.split(",")]

    started = time.perf_counter()
    cost_min, people, label = build_instance(args.instance)
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    problem = SitingProblem.from_cost_matrix(cost_min, people, BUDGET_MIN)
    problem_s = time.perf_counter() - started
    nnz = problem.coverage.nnz
    print(f"instance: {label}")
    print(
        f"  {problem.n_demand} demand cells, {problem.n_candidates} candidates, "
        f"{problem.total_demand:,.0f} people; "
        f"{SPEED_M_PER_MIN:g} m/min, detour {DETOUR}, budget {BUDGET_MIN:g} min; "
        f"{nnz:,} covering pairs ({nnz / cost_min.size:.3%})"
    )
    print(
        f"  matrix built in {build_s:.2f} s; SitingProblem (validation + sparse coverage) {problem_s:.2f} s"
    )
    print("  times are wall seconds including model building; spopt solved with HiGHS, results=False")
    print()
    header = (
        f"{'N':>3} | {'greedy s':>8} {'exact s':>8} {'spopt s':>8} | "
        f"{'greedy':>9} {'exact':>9} {'spopt':>9} | "
        f"{'spopt/greedy t':>14} {'spopt/exact t':>13} | "
        f"{'greedy/exact':>12} {'exact/spopt':>11} | {'exact status'}"
    )
    print(header)
    print("-" * len(header))
    for n in sizes:
        greedy = greedy_mclp(problem, n)
        exact = exact_mclp(problem, n, time_limit_s=args.time_limit_s)
        if args.skip_spopt:
            spopt_s, spopt_obj = float("nan"), float("nan")
        else:
            spopt_s, spopt_obj = run_spopt(cost_min, people, n, args.time_limit_s)
        gap = "" if exact.optimality_gap is None else f" gap {exact.optimality_gap:.2e}"
        print(
            f"{n:>3} | {greedy.runtime_s:>8.3f} {exact.runtime_s:>8.3f} {spopt_s:>8.2f} | "
            f"{greedy.objective:>9,.0f} {exact.objective:>9,.0f} {spopt_obj:>9,.0f} | "
            f"{spopt_s / greedy.runtime_s:>14,.0f} {spopt_s / exact.runtime_s:>13,.1f} | "
            f"{greedy.objective / exact.objective:>12.4f} {exact.objective / spopt_obj:>11.4f} | "
            f"{exact.status}{gap}",
            flush=True,
        )
    if args.large:
        large_instance(sizes, args.time_limit_s)


def large_instance(sizes: list[int], time_limit_s: float) -> None:
    """Greedy and exact on 10,000 cells × 10,000 candidates (float32 matrix, modelled)."""
    rng = np.random.default_rng(SEED + 1)
    xy = rng.uniform(0, 60_000, (10_000, 2)).astype(np.float32)
    people = np.round(rng.lognormal(3.0, 1.2, 10_000))
    cand = xy[rng.permutation(10_000)]
    started = time.perf_counter()
    cost_min = np.hypot(xy[:, None, 0] - cand[None, :, 0], xy[:, None, 1] - cand[None, :, 1])
    cost_min *= np.float32(DETOUR / SPEED_M_PER_MIN)
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    problem = SitingProblem.from_cost_matrix(cost_min, people, BUDGET_MIN)
    problem_s = time.perf_counter() - started
    print()
    print(
        f"scaling: 10,000 uniform cells × 10,000 candidates (float32, {cost_min.nbytes / 2**20:,.0f} MiB), "
        f"{problem.coverage.nnz:,} covering pairs; matrix {build_s:.2f} s, SitingProblem {problem_s:.2f} s"
    )
    for n in sizes:
        greedy = greedy_mclp(problem, n)
        exact = exact_mclp(problem, n, time_limit_s=time_limit_s)
        print(
            f"  N={n:>3}: greedy {greedy.runtime_s:.3f} s obj {greedy.objective:,.0f} | exact {exact.runtime_s:.2f} s "
            f"obj {exact.objective:,.0f} ({exact.status}) | greedy/exact {greedy.objective / exact.objective:.4f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
