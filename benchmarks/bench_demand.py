"""Demand import at resolution 10, against the usual ways, and the other benchmarks on the result.

Instances (modelled, from the shipped sample):

* **polygons** — the 6,345 resolution-9 hexagons of ``datasets/population_cells.csv`` written as a
  GeoJSON of polygons with counts and imported at resolution 10 through ``geo.demand.validate_demand``
  (the whole check: reading, clipping to Ordos, areal weighting, districts, census ages, rounding).
  The result covers every populated place of the city at resolution 10: about ten times the sample's
  cells. The usual way: ``tobler.area_interpolate`` from the same polygons onto the same
  resolution-10 hexagons (projected), whose numbers must agree.
* **raster** — a 100 m population raster (UTM zone 49N) of Dongsheng and Kangbashi made from the
  sample, imported at resolution 10. The usual way: ``rasterstats.zonal_stats(hexagons, raster,
  stats="sum", all_touched=False)`` on the same hexagons (pixel centres in hexagons).

Then the resolution-10 demand is written to a CSV and the coverage, scenario and siting benchmarks run
on it (``--cells``), so their ratios are measured at ten times the sample's cells.

Run: ``.venv/bin/python benchmarks/bench_demand.py`` (``--no-others`` skips the other benchmarks).
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from pyproj import Transformer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere
from geo import io as gio
from geo.crs import ORDOS_METRIC_CRS
from geo.demand import DemandLimits, DemandSettings, validate_demand

ROOT = Path(__file__).resolve().parents[1]

RESOLUTION = 10
PIXEL_M = 100.0
RASTER_BOX = (109.55, 39.50, 110.20, 39.95)  # Kangbashi and Dongsheng (WGS84)


def hexagons(cell_ids: list[str]) -> list[shapely.Polygon]:
    """WGS84 polygons of H3 cells (h3 gives lat, lng pairs)."""
    return [shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in cell_ids]


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def polygons_case(sample: pd.DataFrame, districts: gpd.GeoDataFrame, census: pd.DataFrame) -> pd.DataFrame:
    from tobler.area_weighted import area_interpolate
    from tobler.util import h3fy

    from geo.demand_spread import spread_polygons

    source = gpd.GeoDataFrame(
        {"pop": sample["pop_total"].to_numpy()}, geometry=hexagons(sample["cell_id"].tolist()), crs=4326
    )
    buffer = io.BytesIO()
    source.to_file(buffer, driver="GeoJSON")
    data = buffer.getvalue()
    settings = DemandSettings(resolution=RESOLUTION, limits=DemandLimits(max_features=20_000))
    check_s, result = timed(
        lambda: validate_demand(
            data, file_name="sample_hexagons.geojson", settings=settings, districts=districts, census=census
        )
    )
    if result.has_errors:
        raise SystemExit("\n".join(i.text() for i in result.issues))
    cells = result.cells
    values = np.column_stack([source["pop"].to_numpy(float), np.full((len(source), 2), np.nan)])
    ours_s, spread = timed(lambda: spread_polygons(list(source.geometry), values, resolution=RESOLUTION))
    ours = spread.pieces.groupby("cell")["pop_total"].sum()

    def usual() -> pd.Series:
        grid = h3fy(source, resolution=RESOLUTION, buffer=True).to_crs(ORDOS_METRIC_CRS)
        out = area_interpolate(source.to_crs(ORDOS_METRIC_CRS), grid, extensive_variables=["pop"])
        return pd.Series(out["pop"].to_numpy(), index=[h3.str_to_int(c) for c in grid.index])

    usual_s, theirs = timed(usual)
    common = ours.index.intersection(theirs.index)
    diff = np.abs(ours.reindex(common).to_numpy() - theirs.reindex(common).to_numpy())
    print(
        f"polygons → res {RESOLUTION}: {len(sample):,} source hexagons, {len(cells):,} cells "
        f"({len(cells) / len(sample):.1f}× the sample's), {int(cells['pop_total'].sum()):,} people in Ordos "
        f"(file {result.people_in_file:,.0f}, outside {result.people_outside:,.0f})"
    )
    print(
        f"  spread: ours geo.demand_spread.spread_polygons {ours_s:.2f} s | tobler h3fy + area_interpolate "
        f"{usual_s:.2f} s | ratio {usual_s / ours_s:.1f}× | same cells' people: max difference {diff.max():.3f}, "
        f"totals {ours.sum():,.0f} / {theirs.sum():,.0f}"
    )
    print(
        f"  whole check (read, clip to Ordos, spread, districts, census ages, whole people): {check_s:.2f} s"
    )
    return cells


def raster_bytes(sample: pd.DataFrame) -> tuple[bytes, float]:
    """A 100 m UTM raster of the sample's people around Dongsheng and Kangbashi."""
    import rasterio

    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32649", always_xy=True)
    x0, y0, x1, y1 = to_utm.transform_bounds(*RASTER_BOX)
    cols, rows = int((x1 - x0) // PIXEL_M), int((y1 - y0) // PIXEL_M)
    xs = x0 + (np.arange(cols) + 0.5) * PIXEL_M
    ys = y1 - (np.arange(rows) + 0.5) * PIXEL_M
    gx, gy = np.meshgrid(xs, ys)
    lon, lat = Transformer.from_crs("EPSG:32649", "EPSG:4326", always_xy=True).transform(
        gx.ravel(), gy.ravel()
    )
    parent = [h3.latlng_to_cell(b, a, 9) for a, b in zip(lon.tolist(), lat.tolist(), strict=True)]
    people = sample.set_index("cell_id")["pop_total"]
    per_cell = pd.Series(parent).value_counts()
    values = np.array([people.get(p, 0) / per_cell[p] for p in parent], dtype=np.float32).reshape(rows, cols)
    with rasterio.MemoryFile() as mem:
        with mem.open(
            driver="GTiff",
            width=cols,
            height=rows,
            count=1,
            dtype="float32",
            crs="EPSG:32649",
            transform=Affine(PIXEL_M, 0, x0, 0, -PIXEL_M, y1),
            nodata=-99999.0,
            compress="deflate",
        ) as ds:
            ds.write(values, 1)
        return bytes(mem.read()), float(values.sum())


def raster_case(sample: pd.DataFrame, districts: gpd.GeoDataFrame, census: pd.DataFrame) -> None:
    from rasterstats import zonal_stats

    data, total = raster_bytes(sample)
    settings = DemandSettings(resolution=RESOLUTION)
    ours_s, result = timed(
        lambda: validate_demand(
            data, file_name="pop_utm.tif", settings=settings, districts=districts, census=census
        )
    )
    if result.has_errors:
        raise SystemExit("\n".join(i.text() for i in result.issues))
    cells = result.cells
    target = gpd.GeoDataFrame(geometry=hexagons(cells["cell_id"].tolist()), crs=4326).to_crs("EPSG:32649")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pop.tif"
        path.write_bytes(data)
        stats_s, stats = timed(lambda: zonal_stats(target, str(path), stats="sum", nodata=-99999.0))
    theirs = np.array([s["sum"] or 0.0 for s in stats])
    diff = np.abs(cells["pop_total"].to_numpy() - theirs)
    print(
        f"raster → res {RESOLUTION}: {PIXEL_M:g} m pixels, EPSG:32649, {len(cells):,} cells, "
        f"{int(cells['pop_total'].sum()):,} of {total:,.0f} people in the raster"
    )
    print(
        f"  ours (whole check) {ours_s:.2f} s | rasterstats.zonal_stats(sum) over the hexagons {stats_s:.2f} s | "
        f"ratio {stats_s / ours_s:.1f}× | per-cell difference: max {diff.max():.1f}, mean {diff.mean():.2f} people"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--no-others", action="store_true", help="only the import benchmarks")
    parser.add_argument("--out", type=Path, default=None, help="write the resolution-10 cells here (CSV)")
    args = parser.parse_args(argv)
    sample = gio.read_population_cells()
    districts, census = gio.read_districts(), gio.read_census()
    cells = polygons_case(sample, districts, census)
    raster_case(sample, districts, census)
    if args.no_others:
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "cells_res10.csv"
        cells.to_csv(out, index=False)
        for script, extra in (
            ("bench_coverage.py", ["--quick", "--repeat", "3"]),
            ("bench_scenarios.py", ["--repeat", "3"]),
            ("bench_siting.py", ["--instance", "csv", "--sizes", "5,10"]),
        ):
            print(f"\n== {script} on the resolution-10 demand ({len(cells):,} cells)", flush=True)
            subprocess.run(
                [sys.executable, str(ROOT / "benchmarks" / script), "--cells", str(out), *extra], check=True
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
