"""Region scale: 1M road nodes, 10,000 facilities, 200,000 demand cells, measured against the targets.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_scale.py`` (a few minutes on 2 cores; the
generated inputs take about 1 GB of temporary disk). ``--ref main`` also runs the same commands on
a temporary git worktree of that revision (the "before" figures; the old ``suggest`` at this scale
is stopped after ``--ref-timeout`` seconds). ``--side 300`` gives a quick smaller run.

Inputs, generated here with a fixed seed:

* a street grid of ``side × side`` nodes (1,000,000 by default) over central Ordos (Dongsheng), 40 m
  spacing jittered by ±10 m, one two-node way per street segment (the hardest case for a reader
  that loops per way), every 8th street secondary, 10 % of residential streets one-way, written as
  ``.osm.pbf``;
* 10,000 open community elderly-care stations (walked to, 15 minutes) at random points of the
  grid's area, capacities 10–80 beds, published into a temporary SQLite store;
* 200,000 demand cells at random points of the grid's area and 3 km around it (so some lie beyond
  the streets and take the far-snapping path), with random populations.

What runs, each as its own process, as a planner runs it (``python -m geo …`` on the temporary
database; wall time, CPU time and the whole process' peak RSS):

1. ``geo network import grid.osm.pbf`` — target ≤ 10 s, ≤ 1.5 GB;
2. ``geo coverage --type community_station --minutes 15 --format json`` (nearest facility and
   2SFCA) — target < 10 s, < 2 GB; run twice: the first run also builds and keeps the walk
   profile's index next to the network, the second is what every later run costs;
3. ``geo suggest --type community_station --new 20 --minutes 15`` (greedy) — target < 30 s.

Then, in one process on the same arrays: ``geo.coverage.two_step_fca`` against one bare
``scipy.sparse.csgraph.dijkstra(min_only=True, limit=15)`` multi-source pass from the facilities'
points — target ≤ 5×.

The demand cells reach the commands through ``geo.io.read_population_cells`` (patched in the child
process to read the generated file) until the demand import (``geo demand import``) lands; the
facilities go into the store through its publish API rather than ``geo import``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from geo._pbf import write_pbf  # noqa: E402  (needs the repository root on sys.path)

SEED = 20261130
LON0, LAT0 = 109.90, 39.76  # south-west corner: Dongsheng, Ordos
SPACING_M = 40.0
M_PER_DLAT = 111_195.0
TYPE = "community_station"
BUDGET_MIN = 15.0

# The child process: patch the demand cells' file, run the command, report its own resource use.
CHILD = """
import json, resource, sys, time
sys.path.insert(0, {repo!r})
t0 = time.perf_counter()
import geo.io as gio
_read = gio.read_population_cells
gio.read_population_cells = lambda path=None: _read(path or {cells!r})
from geo.cli import main
code = main({argv!r})
usage = resource.getrusage(resource.RUSAGE_SELF)
with open({report!r}, "w") as fh:
    json.dump({{"code": code, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024}}, fh)
"""

# Library level, in one process: 2SFCA against one bare multi-source scipy pass on the same arrays.
INPROC = """
import json, sys, time, warnings
sys.path.insert(0, {repo!r})
import numpy as np, pandas as pd
from scipy.sparse.csgraph import dijkstra
from geo import coverage as cov
from geo.store import open_store
from geo.travel import MODES
try:
    from geo.models import default_model
except ImportError:  # before the model choice moved out of geo.travel
    from geo.travel import default_model
cells = pd.read_csv({cells!r}, dtype={{"cell_id": str, "township_code": str}})
facilities = open_store({url!r}).facilities()
model = default_model(MODES["walk"], network_dir={netdir!r})
chosen = cov.select_facilities(facilities, [{type!r}])
lonlat = chosen[["lon", "lat"]].to_numpy(dtype=np.float64)
seg, frac, index = model._snap_origins(lonlat)
graph, sources = model._graph_with_sources(seg, frac)
best_bare = best_fca = float("inf")
for _ in range({repeat}):
    t = time.perf_counter()
    dijkstra(graph, indices=sources, min_only=True, limit={budget})
    best_bare = min(best_bare, time.perf_counter() - t)
for _ in range({repeat}):
    t = time.perf_counter()
    fca = cov.two_step_fca(cells, facilities, model, types=[{type!r}], budget_min={budget}, demand_col="pop_60plus")
    best_fca = min(best_fca, time.perf_counter() - t)
print(json.dumps({{"bare_s": best_bare, "fca_s": best_fca, "within": int(fca["within_budget"].sum())}}))
"""


def grid(side: int, seed: int) -> dict[str, Any]:
    """The street grid as arrays: nodes, two-node ways and their tag sets."""
    rng = np.random.default_rng(seed)
    m_per_dlon = M_PER_DLAT * math.cos(math.radians(LAT0))
    n = side * side
    rows, cols = np.divmod(np.arange(n), side)
    lon = LON0 + (cols * SPACING_M + rng.uniform(-10, 10, n)) / m_per_dlon
    lat = LAT0 + (rows * SPACING_M + rng.uniform(-10, 10, n)) / M_PER_DLAT
    ids = np.arange(1, n + 1, dtype=np.int64).reshape(side, side)
    a = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
    b = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
    line = np.concatenate([np.repeat(np.arange(side), side - 1), np.tile(np.arange(side), side - 1)])
    secondary = line % 8 == 0
    oneway = ~secondary & (rng.random(len(a)) < 0.10)
    tag_set = np.where(secondary, 0, np.where(oneway, 2, 1)).astype(np.int32)
    return {
        "node_id": ids.ravel(),
        "node_lon": lon,
        "node_lat": lat,
        "way_indptr": np.arange(0, 2 * len(a) + 1, 2, dtype=np.int64),
        "way_node_id": np.column_stack([a, b]).ravel(),
        "way_tag_set": tag_set,
        "tag_sets": [
            {"highway": "secondary"},
            {"highway": "residential"},
            {"highway": "residential", "oneway": "yes"},
        ],
    }


def extent(side: int) -> tuple[float, float, float, float]:
    m_per_dlon = M_PER_DLAT * math.cos(math.radians(LAT0))
    span = (side - 1) * SPACING_M
    return LON0, LAT0, LON0 + span / m_per_dlon, LAT0 + span / M_PER_DLAT


def facilities(n: int, side: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed + 1)
    w, s, e, north = extent(side)
    return pd.DataFrame(
        {
            "facility_id": [f"BENCH-{i:05d}" for i in range(n)],
            "name": [f"社区养老服务站 {i}" for i in range(n)],
            "category": "elderly",
            "type": TYPE,
            "district_adcode": 150602,
            "township": "",
            "address": "",
            "lon": rng.uniform(w, e, n).round(6),
            "lat": rng.uniform(s, north, n).round(6),
            "capacity": rng.integers(10, 81, n),
            "capacity_unit": "beds",
            "available_places": 0,
            "opening_hours": "",
            "phone": "",
            "services": "",
            "status": "open",
            "updated_at": "2026-11-30",
            "source": "benchmarks/bench_scale.py (synthetic)",
        }
    )


def cells(n: int, side: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed + 2)
    w, s, e, north = extent(side)
    pad_lon, pad_lat = 3000 / (M_PER_DLAT * math.cos(math.radians(LAT0))), 3000 / M_PER_DLAT
    pop = rng.integers(1, 400, n)
    return pd.DataFrame(
        {
            "cell_id": [f"c{i}" for i in range(n)],
            "lon": rng.uniform(w - pad_lon, e + pad_lon, n).round(6),
            "lat": rng.uniform(s - pad_lat, north + pad_lat, n).round(6),
            "adcode": 150602,
            "township_code": "",
            "settlement": "",
            "pop_total": pop,
            "pop_60plus": (pop * rng.uniform(0.1, 0.25, n)).astype(np.int64),
            "pop_0_3": (pop * rng.uniform(0.01, 0.04, n)).astype(np.int64),
        }
    )


def run_cli(repo: Path, argv: list[str], cells_csv: Path, work: Path, *, timeout_s: float) -> dict[str, Any]:
    """Run ``python -m geo`` with ``argv`` in ``repo`` as its own process; wall, CPU and peak RSS."""
    report = work / "report.json"
    report.unlink(missing_ok=True)
    code = CHILD.format(repo=str(repo), cells=str(cells_csv), argv=argv, report=str(report))
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code], cwd=repo, capture_output=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired:
        return {
            "wall_s": math.inf,
            "cpu_s": math.nan,
            "peak_mb": math.nan,
            "note": f"stopped after {timeout_s:g} s",
        }
    wall = time.perf_counter() - t0
    if proc.returncode != 0 or not report.is_file():
        sys.stderr.write(proc.stderr.decode("utf-8", "replace")[-3000:])
        msg = f"{' '.join(argv)} failed in {repo} (exit {proc.returncode})"
        raise SystemExit(msg)
    out = json.loads(report.read_text())
    out["wall_s"] = wall
    out["stderr"] = proc.stderr.decode("utf-8", "replace")
    print(f"    {wall:.2f} s wall, {out['cpu_s']:.2f} s cpu, {out['peak_mb']:.0f} MB peak", flush=True)
    return out


def run_tree(
    label: str, repo: Path, work: Path, cells_csv: Path, pbf: Path, *, timeout_s: float
) -> dict[str, Any]:
    db = work / label / "db.sqlite"
    shutil.rmtree(db.parent, ignore_errors=True)  # a fresh database and network folder every run
    db.parent.mkdir(parents=True)
    shutil.copy(work / "db.sqlite", db)
    from geo.store import open_store

    if len(open_store(f"sqlite:///{db}", create=False).facilities()) == 0:
        msg = f"{db}: the copied database holds no facilities"
        raise SystemExit(msg)
    url = f"sqlite:///{db}"
    results: dict[str, Any] = {}
    print(f"[{label}] network import …", flush=True)
    results["import"] = run_cli(
        repo, ["--database", url, "network", "import", str(pbf)], cells_csv, work, timeout_s=timeout_s
    )
    cov = ["--database", url, "coverage", "--type", TYPE, "--minutes", f"{BUDGET_MIN:g}", "--format", "json"]
    print(f"[{label}] coverage (first run) …", flush=True)
    results["coverage_first"] = run_cli(repo, cov, cells_csv, work, timeout_s=timeout_s)
    print(f"[{label}] coverage …", flush=True)
    results["coverage"] = run_cli(repo, cov, cells_csv, work, timeout_s=timeout_s)
    print(f"[{label}] suggest --new 20 …", flush=True)
    results["suggest"] = run_cli(
        repo,
        ["--database", url, "suggest", "--type", TYPE, "--new", "20", "--minutes", f"{BUDGET_MIN:g}"],
        cells_csv,
        work,
        timeout_s=timeout_s,
    )
    print(f"[{label}] two_step_fca vs bare scipy pass …", flush=True)
    code = INPROC.format(
        repo=str(repo),
        cells=str(cells_csv),
        url=url,
        netdir=str(db.parent / "networks"),
        type=TYPE,
        budget=BUDGET_MIN,
        repeat=2,
    )
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code], cwd=repo, capture_output=True, timeout=timeout_s, check=True
        )
        results["fca"] = json.loads(proc.stdout.decode().strip().splitlines()[-1])
        print(f"    {results['fca']}", flush=True)
    except subprocess.TimeoutExpired:
        results["fca"] = {"bare_s": math.nan, "fca_s": math.inf, "note": f"stopped after {timeout_s:g} s"}
    return results


def fmt_s(x: float) -> str:
    return "—" if math.isnan(x) else (">limit" if math.isinf(x) else f"{x:.2f}")


def table(results: dict[str, dict[str, Any]]) -> str:
    rows = [
        ("OSM import (1 process)", "import", "≤ 10 s, ≤ 1.5 GB"),
        ("geo coverage + 2SFCA, first run", "coverage_first", "(builds the profile index)"),
        ("geo coverage + 2SFCA", "coverage", "< 10 s, < 2 GB"),
        ("geo suggest --new 20 (greedy)", "suggest", "< 30 s"),
    ]
    lines = [f"{'':38} " + "  ".join(f"{label:>30}" for label in results) + "   target"]
    for title, key, target in rows:
        cells_txt = []
        for res in results.values():
            r = res[key]
            cells_txt.append(
                f"{fmt_s(r['wall_s']):>7} s wall {fmt_s(r['cpu_s']):>7} s cpu {r['peak_mb']:>6.0f} MB"
            )
        lines.append(f"{title:38} " + "  ".join(f"{c:>30}" for c in cells_txt) + f"   {target}")
    fca_txt = []
    for res in results.values():
        f = res["fca"]
        ratio = f["fca_s"] / f["bare_s"] if f.get("bare_s") and not math.isnan(f["bare_s"]) else math.nan
        fca_txt.append(f"{fmt_s(f['fca_s'])} s / {fmt_s(f['bare_s'])} s = {ratio:.1f}×")
    lines.append(
        f"{'two_step_fca / bare scipy pass':38} " + "  ".join(f"{c:>30}" for c in fca_txt) + "   ≤ 5×"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--side", type=int, default=1000, help="grid side: side × side nodes (default 1000)")
    parser.add_argument("--facilities", type=int, default=10_000)
    parser.add_argument("--cells", type=int, default=200_000)
    parser.add_argument(
        "--ref", default=None, metavar="REV", help="also run a git worktree of REV (e.g. main)"
    )
    parser.add_argument(
        "--ref-timeout", type=float, default=900.0, help="seconds before a ref command is stopped"
    )
    parser.add_argument("--ref-only", action="store_true", help="run only the --ref tree")
    parser.add_argument("--keep", type=Path, default=None, help="keep the generated inputs in this folder")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="carecircle-scale-")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    worktree: Path | None = None
    try:
        t0 = time.perf_counter()
        net = grid(args.side, SEED)
        pbf = work / "grid.osm.pbf"
        write_pbf(pbf, **net)
        n_ways = len(net["way_tag_set"])
        del net
        cells_csv = work / "cells.csv"
        cells(args.cells, args.side, SEED).to_csv(cells_csv, index=False)
        from geo.store import open_store

        for old in work.glob("db.sqlite*"):
            old.unlink()
        store = open_store(f"sqlite:///{work / 'db.sqlite'}")
        store.publish(
            facilities(args.facilities, args.side, SEED),
            user_name="bench",
            action="import",
            base_version=store.current_version(),
        )
        store_engine = getattr(store, "_writer", None)
        if store_engine is not None:
            store_engine.dispose()
        with sqlite3.connect(work / "db.sqlite") as con:  # fold the WAL into the file before it is copied
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        print(
            f"inputs: {args.side**2:,} nodes, {n_ways:,} two-node ways ({pbf.stat().st_size / 1e6:.0f} MB PBF), "
            f"{args.facilities:,} facilities, {args.cells:,} cells; generated in {time.perf_counter() - t0:.0f} s; "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        results: dict[str, dict[str, Any]] = {}
        if not args.ref_only:
            results["this tree"] = run_tree("this", REPO, work, cells_csv, pbf, timeout_s=3600)
        if args.ref:
            worktree = Path(tempfile.mkdtemp(prefix="carecircle-ref-")) / "tree"
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "add", "--detach", str(worktree), args.ref],
                check=True,
                capture_output=True,
            )
            results[f"ref {args.ref}"] = run_tree(
                "ref", worktree, work, cells_csv, pbf, timeout_s=args.ref_timeout
            )
        print()
        print(table(results))
        print(
            "\nwall: elapsed seconds of the whole process (interpreter start included); cpu: user + system "
            "seconds of all its threads; MB: the process' peak resident set. The machine is shared: under "
            "load the wall times grow, the CPU times much less."
        )
    finally:
        if worktree is not None:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(worktree)],
                check=False,
                capture_output=True,
            )
            shutil.rmtree(worktree.parent, ignore_errors=True)
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
