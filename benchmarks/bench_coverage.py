"""Straight-line coverage: our KD-tree path against the usual GeoPandas recipe, side by side.

The recipe, as in many GIS tutorials: project, buffer every facility by the reach radius, ``union_all``
the buffers, then ``gpd.sjoin(cells, union, predicate="within")`` and sum the people of the joined cells.
Ours: :func:`geo.coverage.cell_access` with :class:`geo.travel.StraightLineModel` (one KD-tree query per
cell) and a masked sum. Both must give the same covered population; the buffers are polygons inscribed
in the true circles (``quad_segs`` segments per quarter), so the recipe can only miss cells within a
hair of the edge, and the script counts those.

Data: ``datasets/population_cells.csv`` and ``datasets/facilities_sample.csv`` (the modelled sample)
when present, else a synthetic city with a fixed seed; then larger synthetic cases for scaling.

Run: ``.venv/bin/python benchmarks/bench_coverage.py`` (``--quick`` skips the largest case).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo import io as gio
from geo.coverage import cell_access
from geo.crs import ORDOS_METRIC_CRS
from geo.travel import MODES, StraightLineModel

SEED = 20240101
TYPES = ("community_station", "village_station", "children_home", "baby_station")


def best_of(fn: Callable[[], float], repeat: int) -> tuple[float, float]:
    """(best seconds, result) over ``repeat`` runs."""
    times, result = [], 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def synthetic(n_cells: int, n_facilities: int, *, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A synthetic Ordos-like city: clustered towns plus scattered rural cells (fixed seed)."""
    rng = np.random.default_rng(seed)
    n_towns = 60
    towns = np.column_stack([rng.uniform(107.0, 111.0, n_towns), rng.uniform(38.0, 40.5, n_towns)])
    urban = int(n_cells * 0.7)
    which = rng.integers(0, n_towns, urban)
    urban_ll = towns[which] + rng.normal(0, 0.03, (urban, 2))
    rural_ll = np.column_stack(
        [rng.uniform(107.0, 111.0, n_cells - urban), rng.uniform(38.0, 40.5, n_cells - urban)]
    )
    lonlat = np.vstack([urban_ll, rural_ll])
    cells = pd.DataFrame(
        {
            "cell_id": [f"s{i}" for i in range(n_cells)],
            "lon": lonlat[:, 0],
            "lat": lonlat[:, 1],
            "adcode": 150602,
            "pop_total": rng.integers(1, 400, n_cells),
        }
    )
    f_which = rng.integers(0, n_towns, n_facilities)
    f_ll = towns[f_which] + rng.normal(0, 0.03, (n_facilities, 2))
    facilities = pd.DataFrame(
        {
            "facility_id": [f"F{i}" for i in range(n_facilities)],
            "type": "community_station",
            "lon": f_ll[:, 0],
            "lat": f_ll[:, 1],
            "status": "open",
        }
    )
    return cells, facilities


def ours(
    cells: pd.DataFrame,
    facilities: pd.DataFrame,
    model: StraightLineModel,
    types: tuple[str, ...],
    budget_min: float,
) -> float:
    access = cell_access(cells, facilities, model, types=types, budget_min=budget_min, tiers_min=())
    return float(cells["pop_total"].to_numpy()[access["covered"].to_numpy()].sum())


def engine_only(
    cells: pd.DataFrame, facilities: pd.DataFrame, model: StraightLineModel, budget_min: float
) -> float:
    """The travel model alone on arrays (what cell_access pays for besides building its table)."""
    origins = facilities[["lon", "lat"]].to_numpy(dtype=np.float64)
    targets = cells[["lon", "lat"]].to_numpy(dtype=np.float64)
    result = model.nearest(origins, targets, budget_min=budget_min)
    return float(cells["pop_total"].to_numpy()[result.minutes <= budget_min].sum())


def geopandas_recipe(cells: pd.DataFrame, facilities: pd.DataFrame, radius_m: float, quad_segs: int) -> float:
    return float(cells["pop_total"].to_numpy()[recipe_mask(cells, facilities, radius_m, quad_segs)].sum())


def recipe_mask(cells: pd.DataFrame, facilities: pd.DataFrame, radius_m: float, quad_segs: int) -> np.ndarray:
    """Boolean mask of the cells the recipe counts as covered."""
    fac = gpd.GeoDataFrame(
        facilities, geometry=gpd.points_from_xy(facilities["lon"], facilities["lat"]), crs=4326
    )
    fac = fac.to_crs(ORDOS_METRIC_CRS)
    union = fac.buffer(radius_m, quad_segs=quad_segs).union_all()
    areas = gpd.GeoDataFrame(geometry=[union], crs=ORDOS_METRIC_CRS)
    pts = gpd.GeoDataFrame(
        cells[["cell_id", "pop_total"]], geometry=gpd.points_from_xy(cells["lon"], cells["lat"]), crs=4326
    ).to_crs(ORDOS_METRIC_CRS)
    joined = gpd.sjoin(pts, areas, predicate="within", how="inner")
    return np.isin(np.arange(len(cells)), joined.index.to_numpy())


def run_case(
    label: str,
    cells: pd.DataFrame,
    facilities: pd.DataFrame,
    *,
    mode: str,
    budget_min: float,
    types: tuple[str, ...],
    repeat: int,
    quad_segs: int,
) -> dict[str, object]:
    model = StraightLineModel(MODES[mode])
    chosen = facilities[facilities["type"].isin(types) & (facilities["status"] == "open")]
    radius_m = model.mode.reach_m(budget_min)
    t_ours, pop_ours = best_of(lambda: ours(cells, facilities, model, types, budget_min), repeat)
    t_core, pop_core = best_of(lambda: engine_only(cells, chosen, model, budget_min), repeat)
    t_gpd, pop_gpd = best_of(lambda: geopandas_recipe(cells, chosen, radius_m, quad_segs), repeat)
    if pop_core != pop_ours:
        msg = f"engine and cell_access disagree: {pop_core} != {pop_ours}"
        raise RuntimeError(msg)
    total = float(cells["pop_total"].sum())
    # Where the two disagree, the cell must lie in the sliver between the true circle and its inscribed
    # buffer polygon: at least r·cos(π / (4·quad_segs)) from the nearest facility.
    mine = cell_access(cells, facilities, model, types=types, budget_min=budget_min, tiers_min=())
    theirs = recipe_mask(cells, chosen, radius_m, quad_segs)
    differ = mine["covered"].to_numpy() != theirs
    sliver_min = budget_min * np.cos(np.pi / (4 * quad_segs))
    minutes = mine["minutes"].to_numpy()[differ]
    if not ((minutes >= sliver_min - 1e-9) & (minutes <= budget_min) & ~theirs[differ]).all():
        msg = f"{label}: the two methods disagree beyond the buffer approximation"
        raise RuntimeError(msg)
    return {
        "case": label,
        "cells": len(cells),
        "facilities": len(chosen),
        "mode/min": f"{mode}/{budget_min:g}",
        "radius_m": round(radius_m, 1),
        "ours_s": round(t_ours, 4),
        "engine_s": round(t_core, 4),
        "geopandas_s": round(t_gpd, 4),
        "ratio": round(t_gpd / t_ours, 1),
        "ratio_engine": round(t_gpd / t_core, 1),
        "covered_ours": int(pop_ours),
        "covered_gpd": int(pop_gpd),
        "diff_share": f"{abs(pop_ours - pop_gpd) / total:.2e}",
        "diff_cells": int(differ.sum()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="skip the largest synthetic case")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--quad-segs", type=int, default=16, help="buffer segments per quarter circle (recipe)"
    )
    parser.add_argument(
        "--cells", type=Path, default=None, help="demand cells CSV instead of the sample (e.g. resolution 10)"
    )
    args = parser.parse_args(argv)

    rows = []
    cells_path = gio.DATASETS_DIR / gio.CELLS_FILE
    fac_path = gio.DATASETS_DIR / gio.FACILITIES_SAMPLE_FILE
    if args.cells is not None:
        cells = gio.read_population_cells(args.cells)
        facilities = gio.read_facilities_csv(fac_path)
        label = f"{args.cells.name}"
    elif cells_path.exists() and fac_path.exists():
        cells = gio.read_population_cells()
        facilities = gio.read_facilities_csv(fac_path)
        label = "modelled sample"
    else:
        cells, facilities = synthetic(8_000, 400)
        label = "synthetic (no sample)"
    for mode, budget in (("walk", 15.0), ("drive", 15.0)):
        rows.append(
            run_case(
                label,
                cells,
                facilities,
                mode=mode,
                budget_min=budget,
                types=TYPES,
                repeat=args.repeat,
                quad_segs=args.quad_segs,
            )
        )
    sizes = [(50_000, 2_000)] if args.quick else [(50_000, 2_000), (200_000, 10_000)]
    for n_cells, n_fac in sizes:
        s_cells, s_fac = synthetic(n_cells, n_fac)
        rows.append(
            run_case(
                f"synthetic seed {SEED}",
                s_cells,
                s_fac,
                mode="walk",
                budget_min=15.0,
                types=("community_station",),
                repeat=1 if n_cells > 100_000 else args.repeat,
                quad_segs=args.quad_segs,
            )
        )
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False))
    print(
        f"\nours: geo.coverage.cell_access + StraightLineModel (cKDTree); geopandas: buffer(quad_segs={args.quad_segs}) "
        "+ union_all + sjoin(within); engine: StraightLineModel.nearest on arrays; best of "
        f"{args.repeat} runs (1 for the largest case); diff_share = |covered difference| / population"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
