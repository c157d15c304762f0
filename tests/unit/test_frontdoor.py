"""The front-door inputs at small scale (500 facilities, 5,000 points): imports stay row-exact, and the
coverage map's aggregates (``geo.map_scale``) draw less without counting differently.

The full-size run (10,000 facilities, 200,000 points, the page) is ``benchmarks/bench_frontdoor.py``.
"""

from __future__ import annotations

import inspect

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely

from benchmarks import frontdoor_inputs as fi
from geo import coverage as cov
from geo import hexagons, maps
from geo import map_scale as ms
from geo.demand import DemandLimits, DemandSettings, validate_demand
from geo.travel import StraightLineModel, get_mode
from geo.validate import validate_bytes

N_FACILITIES = 500
N_POINTS = 5_000


@pytest.fixture(scope="module")
def facilities_csv(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("frontdoor") / "facilities.csv"
    fi.write_facilities(path, N_FACILITIES)
    return path.read_bytes()


@pytest.fixture(scope="module")
def points() -> pd.DataFrame:
    return fi.demand_points(N_POINTS)


@pytest.fixture(scope="module")
def demand_cells(points: pd.DataFrame) -> pd.DataFrame:
    data = points.to_csv(index=False).encode("utf-8")
    result = validate_demand(data, file_name="points.csv", settings=DemandSettings(resolution=10))
    assert not result.has_errors, [i.message_en for i in result.issues]
    return result.cells


def test_generated_facilities_import_cleanly_and_planted_errors_are_named_exactly(
    facilities_csv: bytes, tmp_path: pytest.TempPathFactory
) -> None:
    clean = validate_bytes(facilities_csv, file_name="facilities.csv")
    assert clean.n_rows == N_FACILITIES
    assert clean.n_errors == 0, [i.message_en for i in clean.issues if i.severity == "error"][:3]
    path = tmp_path / "bad.csv"  # type: ignore[operator]
    planted = fi.write_facilities(path, N_FACILITIES, bad_rows=[2, 250, N_FACILITIES + 1])
    bad = validate_bytes(path.read_bytes(), file_name="bad.csv")
    errors = {(i.row, i.column) for i in bad.issues if i.severity == "error"}
    assert {row for row, _ in errors} == set(planted)
    assert {(row, col) for row, col in planted.items()} <= errors


def test_demand_points_make_one_cell_each_and_keep_every_person(
    points: pd.DataFrame, demand_cells: pd.DataFrame
) -> None:
    assert len(demand_cells) == N_POINTS
    assert demand_cells["pop_total"].sum() == points["residents"].sum()
    assert demand_cells["pop_60plus"].sum() == points["pop_60plus"].sum()


def test_demand_point_errors_are_named_at_their_spreadsheet_rows_past_blank_lines(
    points: pd.DataFrame,
) -> None:
    lines = points.to_csv(index=False, lineterminator="\n").splitlines()
    # Blank lines after data rows 10 and 20 shift every later row by one and two.
    text = "\n".join([*lines[:11], "", *lines[11:21], "", *lines[21:]]) + "\n"
    rows = text.split("\n")
    rows[30 - 1] = rows[30 - 1].replace(rows[30 - 1].split(",")[3], "-3", 1)  # spreadsheet row 30
    result = validate_demand(
        "\n".join(rows).encode(), file_name="p.csv", settings=DemandSettings(resolution=10)
    )
    errors = [i for i in result.issues if i.severity == "error"]
    assert len(errors) == 1
    assert "第 30 行 row 30" in errors[0].message_zh + errors[0].message_en or errors[0].where.endswith(
        "row 30"
    )


def test_points_past_the_row_limit_are_counted_not_parsed(points: pd.DataFrame) -> None:
    data = points.to_csv(index=False).encode("utf-8")
    settings = DemandSettings(resolution=10, limits=DemandLimits(max_rows=1_000))
    result = validate_demand(data, file_name="p.csv", settings=settings)
    assert result.has_errors and result.cells.empty
    (issue,) = result.issues
    assert issue.code == "too_many_rows"
    assert f"{N_POINTS:,}" in issue.message_zh and f"{N_POINTS:,}" in issue.message_en
    assert "上限" in issue.message_zh and "limit" in issue.message_en


def _facilities_table(facilities_csv: bytes) -> pd.DataFrame:
    table = validate_bytes(facilities_csv, file_name="facilities.csv").table
    assert len(table) == N_FACILITIES
    return table


def test_facilities_are_drawn_one_by_one_up_to_the_limit_and_counted_exactly_above_it(
    facilities_csv: bytes,
) -> None:
    table = _facilities_table(facilities_csv)
    same, drawn = ms.facility_groups(table, max_markers=len(table))
    assert same is table and not drawn.aggregated and drawn.n_drawn == len(table)

    groups, drawn = ms.facility_groups(table, max_markers=60)
    assert drawn.aggregated and drawn.n_items == len(table)
    assert 0 < drawn.n_drawn == len(groups) <= 60
    assert int(groups["count"].sum()) == len(table)
    assert all(
        sum(types.values()) == count for types, count in zip(groups["types"], groups["count"], strict=True)
    )
    per_type = pd.Series(0, index=sorted(set(table["type"])))
    for types in groups["types"]:
        for code, k in types.items():
            per_type[code] += k
    assert per_type.to_dict() == table["type"].value_counts().sort_index().to_dict()
    # Every facility sits in the cell of its circle, at the resolution said.
    res = drawn.resolution
    assert res is not None and all(h3.get_resolution(c) == res for c in groups["cell_id"])
    own = {h3.latlng_to_cell(la, lo, res) for lo, la in zip(table["lon"], table["lat"], strict=True)}
    assert own == set(groups["cell_id"])


def test_aggregated_facilities_make_a_small_map(facilities_csv: bytes) -> None:
    table = _facilities_table(facilities_csv)
    full = maps.base_map(basemap="none")
    maps.add_facilities(full, table, basemap="none")
    groups, _ = ms.facility_groups(table, max_markers=60)
    light = maps.base_map(basemap="none")
    ms.add_facility_groups(light, groups, basemap="none", label=lambda n, types: f"{n} <b>&")
    assert maps.map_size_bytes(light) < maps.map_size_bytes(full) / 4
    html = light.get_root().render()
    # Escaped as text (esc), then as JSON inside the script (tojson): never markup.
    assert r"\u0026lt;b\u0026gt;\u0026amp;" in html and "<b>&" not in html


def _old_coarsen(cells: pd.DataFrame, value_col: str, max_cells: int) -> pd.DataFrame:
    out = cells.loc[cells[value_col].fillna(0) > 0, ["cell_id", value_col]]
    out = out.groupby("cell_id", as_index=False).agg({value_col: "sum"})
    res = h3.get_resolution(str(out["cell_id"].iloc[0]))
    while len(out) > max_cells and res > 0:
        res -= 1
        out["cell_id"] = [h3.cell_to_parent(c, res) for c in out["cell_id"]]
        out = out.groupby("cell_id", as_index=False).agg({value_col: "sum"})
    return out.reset_index(drop=True)


@pytest.mark.parametrize("max_cells", [N_POINTS * 2, 2_500, 300, 20, 1])
def test_coarsened_cells_equal_h3_parents_and_keep_every_person(
    demand_cells: pd.DataFrame, max_cells: int
) -> None:
    cells = demand_cells[["cell_id", "pop_total"]].astype({"pop_total": float})
    got = hexagons.coarsen_cells(cells, value_col="pop_total", max_cells=max_cells)
    pd.testing.assert_frame_equal(got, _old_coarsen(cells, "pop_total", max_cells))
    assert got["pop_total"].sum() == cells["pop_total"].sum()


def test_counted_figures_equal_the_full_computation_whatever_the_map_draws(
    facilities_csv: bytes, demand_cells: pd.DataFrame
) -> None:
    facilities = _facilities_table(facilities_csv)
    model = StraightLineModel(get_mode("walk"))
    types = ["community_station"]
    access = cov.cell_access(
        demand_cells, facilities, model, types=types, budget_min=15.0, tiers_min=(5, 10, 15)
    )
    table = cov.area_table(demand_cells, access, facilities, by="district", types=types)
    totals = cov.area_totals(table)
    covered = access["covered"].to_numpy(bool)
    uncovered = pd.DataFrame(
        {"cell_id": demand_cells["cell_id"], "uncovered": np.where(covered, 0, demand_cells["pop_60plus"])}
    )
    # The figures: counted on every cell.
    assert totals["pop_60plus"] == demand_cells["pop_60plus"].sum()
    assert totals["pop_60plus_covered"] == demand_cells.loc[covered, "pop_60plus"].sum()
    # The map: few hexagons at a coarser resolution, holding exactly the uncovered people.
    drawn = ms.gap_cells_drawn(uncovered, value_col="uncovered", max_cells=50)
    assert drawn.aggregated and drawn.source_resolution == 10 and drawn.resolution is not None
    assert drawn.resolution < 10 and drawn.n_drawn <= 50
    assert drawn.n_items == int((uncovered["uncovered"] > 0).sum())
    shown = hexagons.coarsen_cells(uncovered, value_col="uncovered", max_cells=50)
    assert shown["uncovered"].sum() == totals["pop_60plus"] - totals["pop_60plus_covered"]
    classes = hexagons.hexagon_classes(uncovered, value_col="uncovered", max_cells=50)
    assert sum(c.n_hexagons for c in classes) == drawn.n_drawn
    below = ms.gap_cells_drawn(uncovered, value_col="uncovered", max_cells=N_POINTS)
    assert not below.aggregated and below.resolution == 10 and below.n_drawn == below.n_items


def test_isochrones_are_simplified_to_the_vertex_budget(facilities_csv: bytes) -> None:
    facilities = _facilities_table(facilities_csv)
    points = facilities[["lon", "lat"]].to_numpy(float)
    model = StraightLineModel(get_mode("walk"))
    geoms = model.isochrones(points, budgets_min=[5.0, 10.0, 15.0], quad_segs=4)
    bands = pd.DataFrame({"minutes": [5.0, 10.0, 15.0], "geometry": geoms})
    frame = gpd.GeoDataFrame(bands, geometry="geometry", crs="EPSG:4326")
    full = sum(shapely.get_num_coordinates(g) for g in geoms)
    roomy, drawn = ms.isochrone_display(
        frame, basemap="osm", limits=ms.DrawLimits(max_isochrone_vertices=10**7)
    )
    assert not drawn.aggregated and [r[0] for r in roomy] == [0, 1, 2]
    for _, _, text, bounds in roomy:  # the bounds given are the shape's own
        assert shapely.from_geojson(text).bounds == pytest.approx(bounds)
    tight_limits = ms.DrawLimits(max_isochrone_vertices=full // 10)
    tight, drawn = ms.isochrone_display(frame, basemap="osm", limits=tight_limits)
    assert drawn.aggregated and drawn.tolerance_m > 0.0003 * 111_195
    shapes = [shapely.from_geojson(g) for _, _, g, _ in tight]
    assert sum(shapely.get_num_coordinates(s) for s in shapes) <= full // 10
    assert all(s.is_valid and not s.is_empty for s in shapes)


def test_the_gap_note_uses_the_hexagon_limit_of_the_drawing() -> None:
    # ui.loaders.uncovered_hexagons coarsens to hexagons.MAX_HEXAGONS, the default of the drawing
    # functions; the map's note must agree.
    for drawing in (hexagons.coarsen_cells, hexagons.hexagon_classes, hexagons.add_hexagons):
        assert inspect.signature(drawing).parameters["max_cells"].default == hexagons.MAX_HEXAGONS
    assert ms.DrawLimits().max_hexagons == hexagons.MAX_HEXAGONS
