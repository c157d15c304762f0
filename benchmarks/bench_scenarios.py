"""How fast a what-if scenario is evaluated on the modelled sample, against recomputing the naive way.

Instance: ``datasets/population_cells.csv`` (about 6,300 H3 cells, modelled sample of the 2020 census)
and ``datasets/facilities_sample.csv``; a scenario that adds three stations, moves one and closes one.

* ``geo.scenarios`` — ``apply`` + ``evaluate``: nearest open facility per cell with a KD-tree, then
  per-district shares (what the page runs on every edit).
* full recompute — ``geo.coverage.coverage_report`` (access, 2SFCA, district table: what the coverage
  page computes from scratch for a new facility table).
* naive — what a script without a spatial index does: reload both CSV files, compute the full dense
  cells × facilities distance matrix (haversine, metres), take each cell's nearest open facility of
  the types and group by district with pandas.

Both give the same covered people (checked below). Run::

    .venv/bin/python benchmarks/bench_scenarios.py [--type community_station] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere
from geo import coverage as cov
from geo import io as gio
from geo import scenarios as sc
from geo.travel import MODES, StraightLineModel

EARTH_RADIUS_M = 6_371_008.8


def naive(
    types: list[str], budget_min: float, scenario: sc.Scenario, target: str, cells_path: Path | None = None
) -> tuple[float, pd.Series]:
    """Reload, dense haversine matrix, nearest, group by district: covered target people and shares."""
    cells = gio.read_population_cells(cells_path)
    fac = sc.apply(gio.read_facilities_csv(gio.DATASETS_DIR / gio.FACILITIES_SAMPLE_FILE), scenario)
    fac = fac[fac["type"].isin(types) & (fac["status"] == "open")]
    mode = MODES["walk"]
    lon1, lat1 = np.radians(cells["lon"].to_numpy())[:, None], np.radians(cells["lat"].to_numpy())[:, None]
    lon2, lat2 = np.radians(fac["lon"].to_numpy())[None, :], np.radians(fac["lat"].to_numpy())[None, :]
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    distance_m = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))
    minutes = distance_m.min(axis=1) * mode.detour_factor / mode.speed_m_per_min
    covered = minutes <= budget_min
    people = cells[target].to_numpy(float)
    shares = (
        pd.Series(np.where(covered, people, 0.0)).groupby(cells["adcode"]).sum()
        / pd.Series(people).groupby(cells["adcode"]).sum()
    )
    return float(people[covered].sum()), shares


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--type", default="community_station,day_care")
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cells", type=Path, default=None, help="demand cells CSV instead of the sample")
    args = parser.parse_args()
    types = args.type.split(",")
    target = "pop_60plus"

    cells = gio.read_population_cells(args.cells)
    base = gio.read_facilities_csv(gio.DATASETS_DIR / gio.FACILITIES_SAMPLE_FILE)
    names = pd.DataFrame(gio.read_districts()[["adcode", "name"]])
    model = StraightLineModel(MODES["walk"])
    ids = base.loc[base["type"].isin(types) & (base["status"] == "open"), "facility_id"].astype(str).tolist()
    busiest = cells.sort_values(target, ascending=False)
    scenario = sc.Scenario("bench")
    for k in (0, 40, 80):
        scenario = scenario.add(
            lon=float(busiest["lon"].iloc[k]), lat=float(busiest["lat"].iloc[k]), facility_type=types[0]
        )
    scenario = scenario.move(ids[0], lon=float(busiest["lon"].iloc[120]), lat=float(busiest["lat"].iloc[120]))
    scenario = scenario.close(ids[1])

    def fast() -> sc.ScenarioSummary:
        return sc.evaluate(
            cells,
            sc.apply(base, scenario),
            model,
            types=types,
            budget_min=args.minutes,
            target=target,
            names=names,
        )

    def full() -> None:
        cov.coverage_report(
            cells,
            sc.apply(base, scenario),
            model,
            types=types,
            budget_min=args.minutes,
            names=names,
            target=target,
        )

    timings: dict[str, list[float]] = {
        "geo.scenarios apply+evaluate": [],
        "naive reload+dense matrix": [],
        "full coverage_report (with 2SFCA)": [],
    }
    summary, naive_people = (
        fast(),
        naive(types, args.minutes, scenario, target, args.cells)[0],
    )  # warm up, check
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        summary = fast()
        t1 = time.perf_counter()
        naive_people = naive(types, args.minutes, scenario, target, args.cells)[0]
        t2 = time.perf_counter()
        full()
        t3 = time.perf_counter()
        timings["geo.scenarios apply+evaluate"].append(t1 - t0)
        timings["naive reload+dense matrix"].append(t2 - t1)
        timings["full coverage_report (with 2SFCA)"].append(t3 - t2)
    fast_people = float(summary.people[summary.covered].sum())
    n_fac = int(sc.apply(base, scenario)["type"].isin(types).sum())
    what = args.cells.name if args.cells is not None else "modelled sample"
    print(f"instance: {len(cells)} demand cells ({what}), {n_fac} facilities of {','.join(types)}")
    print(f"scenario: {len(scenario.edits)} edits (3 added, 1 moved, 1 closed); walk, {args.minutes:g} min")
    print(f"{'method':34s} {'median s':>10s} {'min s':>10s} {'covered 60+':>12s}")
    for (label, times), people in zip(timings.items(), (fast_people, naive_people, None), strict=True):
        shown = "" if people is None else f"{people:,.0f}"
        print(f"{label:34s} {statistics.median(times):10.4f} {min(times):10.4f} {shown:>12s}")
    fast_s = statistics.median(timings["geo.scenarios apply+evaluate"])
    for label in ("naive reload+dense matrix", "full coverage_report (with 2SFCA)"):
        print(f"{label} / geo.scenarios: {statistics.median(timings[label]) / fast_s:.1f}x")
    slowest = max(timings["geo.scenarios apply+evaluate"])
    print(f"geo.scenarios slowest run {slowest:.3f} s (goal: well under 1 s)")
    # haversine and the transverse Mercator differ by < 0.1 %, so a handful of cells on the edge may differ
    print(f"covered people differ by {abs(fast_people - naive_people) / max(naive_people, 1):.3%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
