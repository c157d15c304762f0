"""Start-up: what a one-shot command costs as a whole process, against the usual lean script.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_startup.py`` (about a minute; ``--repeats N``).

Each command runs as its own process, as a planner or a script runs it, several times; the table
gives the median CPU seconds (user + system of the child, from ``os.wait4``) and the median wall
seconds. On a shared machine the CPU time is the comparable figure. A first run of each warms the
file cache and leaves the bytecode (``PYTHONDONTWRITEBYTECODE`` is dropped for the children).

* ``python -c pass`` — the interpreter alone, the floor under everything below;
* ``python -m geo --help`` — target < 0.3 s;
* ``python -m geo coverage --type community_station --minutes 15 --straight-line`` on the shipped
  sample (6,345 cells, 425 facilities) in a temporary SQLite store — target: at least as fast as
* a lean GeoPandas script doing the same count: read the sample's cells and facilities, buffer the
  open community stations by the straight-line reach (60 m/min × 15 min ÷ detour 1.3), union,
  spatial join, people covered per district.

The two coverage answers are compared (people covered, all districts): they differ only by the cells
within a few metres of a circle's edge, where the buffer's polygon cuts the circle.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable

TYPE = "community_station"
BUDGET_MIN = 15.0

LEAN_SCRIPT = """
import sys

import geopandas as gpd
import pandas as pd

datasets, reach_m, kind = sys.argv[1], float(sys.argv[2]), sys.argv[3]
cells = pd.read_csv(f"{datasets}/population_cells.csv", dtype={"adcode": str})
facilities = pd.read_csv(f"{datasets}/facilities_sample.csv", dtype={"district_adcode": str})
status = facilities["status"].fillna("").str.strip().str.lower()
facilities = facilities[(facilities["type"] == kind) & status.isin(["open", ""])]
metric = "+proj=tmerc +lat_0=0 +lon_0=109 +k=1 +x_0=500000 +y_0=0 +datum=WGS84 +units=m"
points = gpd.GeoDataFrame(
    cells, geometry=gpd.points_from_xy(cells["lon"], cells["lat"]), crs=4326
).to_crs(metric)
sites = gpd.GeoSeries(gpd.points_from_xy(facilities["lon"], facilities["lat"]), crs=4326).to_crs(metric)
area = gpd.GeoDataFrame(geometry=[sites.buffer(reach_m, quad_segs=16).union_all()], crs=metric)
covered = gpd.sjoin(points, area, predicate="within")
totals = covered.groupby("adcode")["pop_total"].sum()
sys.stdout.write(totals.to_csv())
"""


def run(argv: list[str], *, env: dict[str, str]) -> tuple[float, float, bytes]:
    """Run one process; its CPU seconds (user + system), wall seconds and standard output."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL, env=env, cwd=REPO)
        _, status, usage = os.wait4(proc.pid, 0)
        wall_s = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            msg = f"{' '.join(argv)} exited {proc.returncode}"
            raise SystemExit(msg)
        out.seek(0)
        return usage.ru_utime + usage.ru_stime, wall_s, out.read()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="runs of each command (median shown)")
    args = parser.parse_args()

    import pandas as pd

    from geo.travel import get_mode

    reach_m = get_mode("walk").reach_m(BUDGET_MIN)
    with tempfile.TemporaryDirectory(prefix="bench_startup_") as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/store.db", "PYTHONPATH": str(REPO)}
        # The warm-up run leaves the program's bytecode in __pycache__, as any run or an installed
        # package does; with PYTHONDONTWRITEBYTECODE set, every measured run would compile the
        # program's modules again (about 0.13 s here) while the libraries come precompiled.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        lean = Path(tmp) / "lean_geopandas.py"
        lean.write_text(LEAN_SCRIPT, encoding="utf-8")
        run([PY, "-m", "geo", "init"], env=env)
        commands = {
            "python -c pass": [PY, "-c", "pass"],
            "geo --help": [PY, "-m", "geo", "--help"],
            "geo coverage --straight-line": [
                PY, "-m", "geo", "coverage", "--type", TYPE, "--minutes", f"{BUDGET_MIN:g}", "--straight-line",
            ],
            "lean GeoPandas script": [PY, str(lean), str(REPO / "datasets"), repr(reach_m), TYPE],
        }  # fmt: skip
        # Warm the file cache and the bytecode once, then interleave the repeats so that load on
        # the shared machine falls on every command alike.
        outputs = {name: run(argv, env=env)[2] for name, argv in commands.items()}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        wall: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeats):
            for name, argv in commands.items():
                cpu_s, wall_s, _ = run(argv, env=env)
                cpu[name].append(cpu_s)
                wall[name].append(wall_s)

    ours = pd.read_csv(io.BytesIO(outputs["geo coverage --straight-line"]), dtype={"adcode": str})
    theirs = pd.read_csv(io.BytesIO(outputs["lean GeoPandas script"]), dtype={"adcode": str})
    ours_total = int(ours["pop_total_covered"].sum())
    theirs_total = int(theirs["pop_total"].sum())

    med = {name: (statistics.median(cpu[name]), statistics.median(wall[name])) for name in commands}
    load = os.getloadavg()
    print(
        f"{args.repeats} runs each, medians; {os.cpu_count()} CPUs, load average "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
    )
    print(f"{'command':<32}{'cpu s':>9}{'wall s':>9}")
    for name, (cpu_s, wall_s) in med.items():
        print(f"{name:<32}{cpu_s:>9.3f}{wall_s:>9.3f}")
    help_cpu = med["geo --help"][0]
    cov_cpu = med["geo coverage --straight-line"][0]
    lean_cpu = med["lean GeoPandas script"][0]
    print()
    print(f"geo --help: {help_cpu:.3f} s CPU, {med['geo --help'][1]:.3f} s wall (target < 0.3 s)")
    print(
        f"coverage ÷ lean GeoPandas script: {cov_cpu:.3f} s / {lean_cpu:.3f} s = {cov_cpu / lean_cpu:.2f}× CPU "
        f"(target ≤ 1×); wall {med['geo coverage --straight-line'][1] / med['lean GeoPandas script'][1]:.2f}×"
    )
    print(
        f"people covered: geo coverage {ours_total:,}, lean script {theirs_total:,} "
        f"(differ by {abs(ours_total - theirs_total):,}: cells at the circles' edges)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
