"""Checks of the shipped modelled sample (datasets/population_cells.csv, facilities_sample.csv).

The tests read the shipped files; one test rebuilds them into a temporary directory and demands
byte-identical output, so the files in the repository are exactly what the script produces.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import h3
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import shape

from geo import schema

DATASETS = Path(__file__).resolve().parents[2] / "datasets"
CELLS_CSV = DATASETS / "population_cells.csv"
FACILITIES_CSV = DATASETS / "facilities_sample.csv"
TOWNSHIPS_CSV = DATASETS / "townships_modelled.csv"
BUILT_FILES = ("population_cells.csv", "facilities_sample.csv", "townships_modelled.csv")

CELL_COLUMNS = [
    "cell_id",
    "lon",
    "lat",
    "adcode",
    "township_code",
    "settlement",
    "pop_total",
    "pop_60plus",
    "pop_0_3",
]
CITY_POP = 2_153_638
# Counts from the city's 2024 report (DESIGN.md) and the sample's brief.
MIN_FACILITIES = {
    "regional_center": 12,
    "demo_center": 4,
    "community_station": 30,
    "village_station": 50,
    "children_home": 109,
    "baby_station": 20,
    "day_care": 15,
    "nursing_home": 10,
    "canteen": 20,
}
CAPACITY_BOUNDS = {
    "regional_center": (30, 80),
    "demo_center": (40, 120),
    "community_station": (6, 20),
    "village_station": (4, 12),
    "day_care": (20, 60),
    "nursing_home": (80, 300),
    "canteen": (30, 120),
    "children_home": (20, 60),
    "baby_station": (10, 30),
    "nursery": (20, 150),
}


@pytest.fixture(scope="module")
def cells() -> pd.DataFrame:
    return pd.read_csv(CELLS_CSV, dtype={"cell_id": str, "township_code": str})


@pytest.fixture(scope="module")
def facilities() -> pd.DataFrame:
    return pd.read_csv(FACILITIES_CSV, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def census() -> pd.DataFrame:
    pop = pd.read_csv(DATASETS / "ordos_population_2020.csv")
    return pop[pop["adcode"] != 150600].set_index("adcode")


@pytest.fixture(scope="module")
def townships() -> pd.DataFrame:
    return pd.read_csv(DATASETS / "ordos_townships_codes.csv", dtype={"code": str})


@pytest.fixture(scope="module")
def districts() -> dict[int, shapely.Geometry]:
    with (DATASETS / "ordos_districts.geojson").open(encoding="utf-8") as f:
        features = json.load(f)["features"]
    geoms = {int(ft["properties"]["adcode"]): shape(ft["geometry"]) for ft in features}
    for geom in geoms.values():
        shapely.prepare(geom)
    return geoms


def all_inside(geoms: dict[int, shapely.Geometry], adcode: pd.Series, lon: pd.Series, lat: pd.Series) -> bool:
    ok = np.zeros(len(adcode), dtype=bool)
    codes = adcode.astype(int).to_numpy()
    for code, geom in geoms.items():
        m = codes == code
        ok[m] = shapely.contains_xy(geom, lon.to_numpy(float)[m], lat.to_numpy(float)[m])
    return bool(ok.all())


# ---- demand cells -----------------------------------------------------------------------------


def test_cells_header_is_exact() -> None:
    with CELLS_CSV.open(encoding="utf-8") as f:
        assert f.readline().rstrip("\n").split(",") == CELL_COLUMNS


@pytest.mark.parametrize("name", BUILT_FILES)
def test_files_are_utf8_without_bom_and_lf(name: str) -> None:
    data = (DATASETS / name).read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in data
    data.decode("utf-8")


def test_per_banner_sums_match_census_exactly(cells: pd.DataFrame, census: pd.DataFrame) -> None:
    sums = cells.groupby("adcode")[["pop_total", "pop_60plus", "pop_0_3"]].sum()
    assert sorted(sums.index) == sorted(census.index)
    for adcode, row in census.iterrows():
        pop = int(row["pop_2020_census"])
        assert sums.loc[adcode, "pop_total"] == pop
        assert sums.loc[adcode, "pop_60plus"] == round(pop * row["pct_60plus"] / 100)
        assert sums.loc[adcode, "pop_0_3"] == round(pop * row["pct_0_14"] / 100 * 3 / 15 * 0.83)
    assert cells["pop_total"].sum() == CITY_POP


def test_cells_unique_populated_and_age_groups_fit(cells: pd.DataFrame) -> None:
    assert cells["cell_id"].is_unique
    assert (cells["pop_total"] >= 1).all()
    assert (cells[["pop_60plus", "pop_0_3"]] >= 0).all().all()
    assert (cells["pop_60plus"] + cells["pop_0_3"] <= cells["pop_total"]).all()


def test_cell_count_in_planned_range(cells: pd.DataFrame) -> None:
    assert 5_000 <= len(cells) <= 15_000


def test_cells_are_h3_res9_and_lon_lat_is_the_centre(cells: pd.DataFrame) -> None:
    assert all(h3.is_valid_cell(c) and h3.get_resolution(c) == 9 for c in cells["cell_id"])
    centres = np.array([h3.cell_to_latlng(c) for c in cells["cell_id"]])  # (lat, lon)
    assert np.abs(centres[:, 1] - cells["lon"].to_numpy()).max() <= 5e-7
    assert np.abs(centres[:, 0] - cells["lat"].to_numpy()).max() <= 5e-7


def test_cell_centres_inside_their_district(
    cells: pd.DataFrame, districts: dict[int, shapely.Geometry]
) -> None:
    assert all_inside(districts, cells["adcode"], cells["lon"], cells["lat"])


def test_settlement_values(cells: pd.DataFrame) -> None:
    assert set(cells["settlement"]) == {"urban", "town", "village"}


def test_township_codes_exist_and_belong_to_the_district(
    cells: pd.DataFrame, townships: pd.DataFrame
) -> None:
    district_of = dict(zip(townships["code"], townships["areaCode"], strict=True))
    assert cells["township_code"].isin(district_of).all()
    assert (cells["township_code"].map(district_of) == cells["adcode"]).all()


def test_every_residential_township_has_people(cells: pd.DataFrame, townships: pd.DataFrame) -> None:
    residential = townships[townships["name"].str.contains(r"(?:街道|镇|苏木|乡)$")]
    assert set(residential["code"]) <= set(cells["township_code"])


def test_urban_and_town_share_near_official_urbanisation(cells: pd.DataFrame) -> None:
    share = cells.groupby("settlement")["pop_total"].sum() / CITY_POP
    assert 0.65 <= share["urban"] <= 0.78
    assert abs(share["urban"] + share["town"] - 0.774) <= 0.02  # Ordos 2020 urbanisation rate


def test_rural_cells_are_older_and_urban_cells_have_more_children(cells: pd.DataFrame) -> None:
    g = cells.groupby("settlement")[["pop_total", "pop_60plus", "pop_0_3"]].sum()
    old = g["pop_60plus"] / g["pop_total"]
    young = g["pop_0_3"] / g["pop_total"]
    assert old["village"] > old["urban"]
    assert young["urban"] > young["village"]


# ---- facilities -------------------------------------------------------------------------------


def test_facility_header_is_the_contract() -> None:
    with FACILITIES_CSV.open(encoding="utf-8") as f:
        assert tuple(f.readline().rstrip("\n").split(",")) == schema.COLUMN_NAMES


def test_facility_counts_per_type(facilities: pd.DataFrame) -> None:
    counts = facilities.loc[facilities["status"] == "open", "type"].value_counts()
    for ftype, minimum in MIN_FACILITIES.items():
        assert counts.get(ftype, 0) >= minimum, ftype
    assert counts.get("nursery", 0) > 0


def test_nursery_places_per_1000(facilities: pd.DataFrame) -> None:
    open_nurseries = (facilities["type"] == "nursery") & (facilities["status"] == "open")
    places = facilities.loc[open_nurseries, "capacity"].astype(int).sum()
    assert abs(places / CITY_POP * 1000 - 4.86) <= 4.86 * 0.03


def test_facilities_inside_their_district(
    facilities: pd.DataFrame, districts: dict[int, shapely.Geometry]
) -> None:
    lon = facilities["lon"].astype(float)
    lat = facilities["lat"].astype(float)
    assert all_inside(districts, facilities["district_adcode"], lon, lat)


def test_facilities_sit_near_a_populated_cell(facilities: pd.DataFrame, cells: pd.DataFrame) -> None:
    for adcode, group in facilities.groupby("district_adcode"):
        c = cells[cells["adcode"] == int(adcode)]
        flon = group["lon"].astype(float).to_numpy()[:, None]
        flat = group["lat"].astype(float).to_numpy()[:, None]
        dx = (flon - c["lon"].to_numpy()[None, :]) * 111_320 * np.cos(np.radians(flat))
        dy = (flat - c["lat"].to_numpy()[None, :]) * 110_574
        assert np.hypot(dx, dy).min(axis=1).max() <= 61.0


def test_facility_ids_unique_and_prefixed(facilities: pd.DataFrame) -> None:
    assert facilities["facility_id"].is_unique
    assert facilities["facility_id"].str.fullmatch(r"ORD-[A-Z]{2}-\d{4}").all()
    prefixes = facilities.groupby("type")["facility_id"].agg(lambda s: set(s.str[4:6]))
    assert all(len(p) == 1 for p in prefixes)
    assert len({next(iter(p)) for p in prefixes}) == len(prefixes)


def test_every_row_is_labelled_modelled(facilities: pd.DataFrame) -> None:
    assert facilities["source"].str.startswith(schema.MODELLED_SOURCE_PREFIX).all()


def test_phones_are_unassignable(facilities: pd.DataFrame) -> None:
    assert facilities["phone"].str.fullmatch(r"0477-0\d{6}").all()


def test_types_categories_units_follow_schema(facilities: pd.DataFrame) -> None:
    for _, row in facilities.iterrows():
        ft = schema.FACILITY_TYPES[row["type"]]
        assert row["category"] == ft.category
        assert row["capacity_unit"] == ft.capacity_unit
    assert facilities["status"].isin(schema.STATUSES).all()
    assert (facilities["status"] == "open").mean() > 0.8


def test_capacity_and_available_places(facilities: pd.DataFrame) -> None:
    capacity = facilities["capacity"].astype(int)
    available = facilities["available_places"].astype(int)
    assert ((available >= 0) & (available <= capacity)).all()
    for ftype, (lo, hi) in CAPACITY_BOUNDS.items():
        cap = capacity[facilities["type"] == ftype]
        assert cap.between(lo, hi).all(), ftype


def test_text_fields(facilities: pd.DataFrame, townships: pd.DataFrame) -> None:
    assert facilities["name"].is_unique
    assert (facilities["name"].str.len() > 4).all()
    names_of = townships.groupby("areaCode")["name"].agg(set)
    for _, row in facilities.iterrows():
        assert row["township"] in names_of[int(row["district_adcode"])]
        assert row["address"].startswith("鄂尔多斯市")
    dates = pd.to_datetime(facilities["updated_at"], format="%Y-%m-%d")
    assert dates.dt.year.isin([2024, 2025]).all()
    day = "(Mo|Tu|We|Th|Fr|Sa|Su)"
    span = r"\d\d:\d\d-\d\d:\d\d"
    hours = rf"24/7|({day}([-,]{day})* {span}(,{span})*(; )?)+"
    assert facilities["opening_hours"].str.fullmatch(hours).all()
    assert (facilities["services"].str.split(";").str.len() >= 2).all()


# ---- modelled township seats ------------------------------------------------------------------


def test_townships_modelled(townships: pd.DataFrame, districts: dict[int, shapely.Geometry]) -> None:
    seats = pd.read_csv(TOWNSHIPS_CSV, dtype={"code": str})
    assert list(seats.columns) == ["code", "name", "adcode", "lon", "lat", "kind", "modelled"]
    assert (seats["modelled"] == 1).all()
    assert seats["code"].is_unique
    known = townships.set_index("code")
    assert seats["code"].isin(known.index).all()
    assert (seats["name"].to_numpy() == known.loc[seats["code"], "name"].to_numpy()).all()
    assert (seats["adcode"].to_numpy() == known.loc[seats["code"], "areaCode"].to_numpy()).all()
    assert set(seats["kind"]) <= {"subdistrict", "town", "sumu", "township"}
    assert all_inside(districts, seats["adcode"], seats["lon"], seats["lat"])


# ---- reproducibility --------------------------------------------------------------------------


def test_rebuild_is_byte_identical(tmp_path: Path) -> None:
    script = DATASETS / "build_sample.py"
    done = subprocess.run(
        [sys.executable, str(script), "--out", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    for name in BUILT_FILES:
        assert (tmp_path / name).read_bytes() == (DATASETS / name).read_bytes(), name


def test_hamilton_allocation_is_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    """The script's integer allocation hits the total, respects caps and follows the weights."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_sample", DATASETS / "build_sample.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "build_sample", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    rng = np.random.default_rng(1)
    for _ in range(50):
        weights = rng.uniform(0.0, 10.0, 40)
        total = int(rng.integers(0, 2_000))
        caps = rng.integers(0, 200, 40)
        if caps.sum() < total:
            continue
        shares = module.largest_remainder(total, weights, caps=caps)
        assert shares.sum() == total
        assert (shares <= caps).all()
        free = module.largest_remainder(total, weights)
        assert free.sum() == total
        assert np.abs(free - weights * total / weights.sum()).max() < 1.0
