"""Seeded, realistic inputs for the front-door scale run: a facility file and a demand points file.

Both are files a city's staff could hand in, in the import contracts (``docs/imports.md``,
``docs/demand.md``), spread over central Ordos — Dongsheng (东胜区), Kangbashi (康巴什区) and Ejin Horo
Banner (伊金霍洛旗) — around the township seats of ``datasets/townships_modelled.csv``:

* :func:`write_facilities` — ``n`` facilities (10,000 for the benchmark) in the facility CSV contract
  (UTF-8 with BOM, the 17 canonical columns), every type in plausible proportions, each placed near a
  township seat of its district (closer in the 街道 of the towns, wider in rural towns and 苏木),
  with the district's adcode and the township holding it, a unique address and phone, capacities and
  opening hours by type. ``bad_rows`` plants known errors at chosen rows (a longitude outside
  Ordos, an unknown type, a negative capacity, in turn), to check that validation names exactly them.
* :func:`write_demand_points` — ``n`` residential compounds (200,000 for the benchmark) as a points
  CSV (``name, lon, lat, residents, pop_60plus, pop_0_3``), one per H3 resolution-10 cell, so the
  import makes exactly ``n`` cells: dense around the seats, sparse in the countryside.

Used by ``benchmarks/bench_frontdoor.py`` (full size) and ``tests/unit/test_frontdoor.py`` (small).
Run on its own to write the files: ``PYTHONPATH=. .venv/bin/python benchmarks/frontdoor_inputs.py OUT_DIR``.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import h3
import numpy as np
import pandas as pd
import shapely

REPO = Path(__file__).resolve().parents[1]
DATASETS = REPO / "datasets"

SEED: Final[int] = 20261130
CENTRAL_ADCODES: Final[tuple[int, ...]] = (150602, 150603, 150627)
DEMAND_RESOLUTION: Final[int] = 10
M_PER_DEG_LAT: Final[float] = 111_195.0

# Share of each type among the facilities (elderly care first), roughly as in the city's lists.
TYPE_SHARES: Final[dict[str, float]] = {
    "regional_center": 0.01,
    "demo_center": 0.01,
    "community_station": 0.32,
    "village_station": 0.08,
    "day_care": 0.08,
    "nursing_home": 0.05,
    "canteen": 0.10,
    "children_home": 0.14,
    "baby_station": 0.12,
    "nursery": 0.09,
}
_TYPE_INFO: Final[dict[str, tuple[str, str, str, tuple[int, int]]]] = {
    # code: (category, Chinese type word in names, capacity unit, capacity range)
    "regional_center": ("elderly", "区域养老服务中心", "beds", (40, 200)),
    "demo_center": ("elderly", "示范中心", "beds", (30, 120)),
    "community_station": ("elderly", "社区养老服务站", "beds", (6, 40)),
    "village_station": ("elderly", "嘎查村养老服务站", "beds", (4, 20)),
    "day_care": ("elderly", "日间照料中心", "places", (10, 60)),
    "nursing_home": ("elderly", "养老院", "beds", (50, 400)),
    "canteen": ("elderly", "老年食堂", "seats", (20, 120)),
    "children_home": ("child", "儿童之家", "places", (10, 50)),
    "baby_station": ("child", "萌宝驿站", "places", (8, 30)),
    "nursery": ("child", "托育园", "places", (20, 150)),
}
_HOURS: Final[tuple[str, ...]] = (
    "Mo-Fr 08:00-17:30",
    "Mo-Sa 08:30-18:00",
    "Mo-Su 08:00-18:00",
    "24/7",
    "Mo-Fr 07:30-18:30",
)
_SERVICES: Final[dict[str, tuple[str, ...]]] = {
    "elderly": ("助餐", "助浴", "日间照料", "康复护理", "健康监测", "文化娱乐", "全托", "上门服务"),
    "child": ("托育", "亲子活动", "儿童阅读", "课后托管", "早期教育", "临时托"),
}


def _words(text: str) -> tuple[str, ...]:
    """The space-separated words of ``text`` (keeps the name pools compact)."""
    return tuple(text.split())


_COMMUNITY_WORDS: Final[tuple[str, ...]] = _words(
    "阳光 和谐 幸福 康和 祥和 振兴 育才 团结 友谊 铁西 东环 西园 北苑 南苑 紫荆 怡馨 锦绣 金泰 春华 "
    "安泰 诚信 松林 杭盖 朝阳 新华 文明 兴泰 巴音 伊泰 盛世 青城 乌兰 北园 塔拉 绿地 凤凰 滨河 书香 "
    "泰和 富兴 民康 德胜 瑞祥 天和 金辉 温馨 丽苑 华府 桃李 明珠 康乐 锦华 雅居 嘉和 宏远 东源 西城 "
    "恒安 聚福"
)
_STREETS: Final[tuple[str, ...]] = _words(
    "鄂尔多斯大街 天骄路 伊金霍洛街 达拉特路 准格尔路 宝日陶亥街 林荫路 团结路 民族街 纺织街 杭锦路 "
    "乌审街 吉劳庆路 罕台路 铁西路 文化路 青春山路 园丁路 滨河路 康和路 北环路 育才路 工业路 迎宾大道 "
    "建设街 幸福路"
)
_DIGITS: Final[str] = "一二三四五六七八九十"
FACILITY_COLUMNS: Final[tuple[str, ...]] = (
    "facility_id",
    "name",
    "category",
    "type",
    "district_adcode",
    "township",
    "address",
    "lon",
    "lat",
    "capacity",
    "capacity_unit",
    "available_places",
    "opening_hours",
    "phone",
    "services",
    "status",
    "updated_at",
)


def _districts() -> dict[int, tuple[str, shapely.Geometry]]:
    data = json.loads((DATASETS / "ordos_districts.geojson").read_text(encoding="utf-8"))
    out = {}
    for feature in data["features"]:
        adcode = int(feature["properties"]["adcode"])
        if adcode in CENTRAL_ADCODES:
            out[adcode] = (str(feature["properties"]["name"]), shapely.geometry.shape(feature["geometry"]))
    return out


def _seats() -> pd.DataFrame:
    seats = pd.read_csv(DATASETS / "townships_modelled.csv", dtype={"code": str})
    seats = seats.loc[seats["adcode"].isin(CENTRAL_ADCODES)].reset_index(drop=True)
    # Urban subdistricts are small and dense; towns and sumu spread their people wider.
    seats["spread_m"] = np.where(seats["kind"] == "subdistrict", 1_500.0, 4_000.0)
    seats["weight"] = np.where(seats["kind"] == "subdistrict", 3.0, 1.0)
    return seats


def _offsets(
    rng: np.random.Generator, seats: pd.DataFrame, picks: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    lat0 = seats["lat"].to_numpy(float)[picks]
    spread = seats["spread_m"].to_numpy(float)[picks]
    d_north = rng.normal(0.0, 1.0, len(picks)) * spread
    d_east = rng.normal(0.0, 1.0, len(picks)) * spread
    lon = seats["lon"].to_numpy(float)[picks] + d_east / (M_PER_DEG_LAT * np.cos(np.radians(lat0)))
    lat = lat0 + d_north / M_PER_DEG_LAT
    return lon, lat


def _place(
    rng: np.random.Generator, n: int, *, rural_share: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``n`` points near seats (and ``rural_share`` of them anywhere in the three districts).

    Returns lon, lat, adcode and the index of the township seat (of the point's district) nearest.
    """
    districts = _districts()
    seats = _seats()
    weights = seats["weight"].to_numpy(float) / seats["weight"].sum()
    union = shapely.union_all([geom for _, geom in districts.values()])
    x0, y0, x1, y1 = union.bounds
    lon_parts, lat_parts, code_parts = [], [], []
    kept = 0
    while kept < n:
        m = 2 * (n - kept) + 100
        picks = rng.choice(len(seats), size=m, p=weights)
        lon, lat = _offsets(rng, seats, picks)
        rural = rng.random(m) < rural_share
        lon[rural] = rng.uniform(x0, x1, int(rural.sum()))
        lat[rural] = rng.uniform(y0, y1, int(rural.sum()))
        code = np.zeros(m, dtype=np.int64)
        for adcode, (_, geom) in districts.items():
            code[(code == 0) & shapely.contains_xy(geom, lon, lat)] = adcode
        ok = code > 0
        lon_parts.append(lon[ok])
        lat_parts.append(lat[ok])
        code_parts.append(code[ok])
        kept += int(ok.sum())
    lon, lat, code = (np.concatenate(p)[:n] for p in (lon_parts, lat_parts, code_parts))
    seat_of = np.zeros(n, dtype=np.int64)
    s_lon, s_lat, s_code = (seats[c].to_numpy() for c in ("lon", "lat", "adcode"))
    for adcode in CENTRAL_ADCODES:
        rows = np.flatnonzero(code == adcode)
        own = np.flatnonzero(s_code == adcode)
        if not len(rows) or not len(own):
            continue
        d2 = (lon[rows, None] - s_lon[None, own]) ** 2 + (lat[rows, None] - s_lat[None, own]) ** 2
        seat_of[rows] = own[np.argmin(d2, axis=1)]
    return lon, lat, code, seat_of


def facility_table(n: int, *, seed: int = SEED) -> pd.DataFrame:
    """``n`` facilities in the CSV contract (strings), deterministic for a seed."""
    rng = np.random.default_rng(seed)
    districts = _districts()
    seats = _seats()
    lon, lat, code, seat_of = _place(rng, n, rural_share=0.15)
    codes = list(TYPE_SHARES)
    shares = np.array([TYPE_SHARES[c] for c in codes])
    types = rng.choice(len(codes), size=n, p=shares / shares.sum())
    used_names: set[str] = set()
    used_addresses: set[str] = set()
    phones = rng.choice(9_000_000, size=n, replace=False) + 1_000_000
    rows = []
    for i in range(n):
        type_code = codes[int(types[i])]
        category, word, unit, (low, high) = _TYPE_INFO[type_code]
        township = str(seats.at[int(seat_of[i]), "name"])
        district_name = districts[int(code[i])][0]
        k = 0
        while True:
            base = _COMMUNITY_WORDS[int(rng.integers(len(_COMMUNITY_WORDS)))]
            name = f"{township}{base}{_DIGITS[k % 10] if k else ''}{word}"
            if k >= 10:
                name = f"{township}{base}第{k}{word}"
            if name not in used_names:
                break
            k += 1
        used_names.add(name)
        while True:
            street = _STREETS[int(rng.integers(len(_STREETS)))]
            address = f"鄂尔多斯市{district_name}{township}{street}{int(rng.integers(1, 2000))}号"
            if address not in used_addresses:
                break
        used_addresses.add(address)
        capacity = int(rng.integers(low, high + 1))
        services = rng.choice(_SERVICES[category], size=int(rng.integers(2, 5)), replace=False)
        status = "planned" if rng.random() < 0.04 else "open"
        updated = pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(rng.integers(0, 700)))
        rows.append(
            {
                "facility_id": f"FD-{i + 1:05d}",
                "name": name,
                "category": category,
                "type": type_code,
                "district_adcode": str(int(code[i])),
                "township": township,
                "address": address,
                "lon": f"{lon[i]:.6f}",
                "lat": f"{lat[i]:.6f}",
                "capacity": str(capacity),
                "capacity_unit": unit,
                "available_places": str(int(rng.integers(0, capacity + 1))),
                "opening_hours": _HOURS[int(rng.integers(len(_HOURS)))],
                "phone": f"0477-{int(phones[i])}",
                "services": ";".join(services),
                "status": status,
                "updated_at": updated.strftime("%Y-%m-%d"),
            }
        )
    return pd.DataFrame(rows, columns=list(FACILITY_COLUMNS))


def plant_errors(table: pd.DataFrame, rows: Sequence[int]) -> dict[int, str]:
    """Break the given spreadsheet rows (2 = first data row) in turn; returns row → column broken."""
    broken = {}
    for k, row in enumerate(rows):
        i = row - 2
        if k % 3 == 0:
            table.at[i, "lon"] = "19.5"  # outside Ordos (and China): an error
            broken[row] = "lon"
        elif k % 3 == 1:
            table.at[i, "type"] = "spaceport"
            broken[row] = "type"
        else:
            table.at[i, "capacity"] = "-5"
            broken[row] = "capacity"
    return broken


def write_facilities(path: Path, n: int, *, seed: int = SEED, bad_rows: Sequence[int] = ()) -> dict[int, str]:
    """Write ``n`` facilities to ``path`` (UTF-8 with BOM, as the templates); returns the planted errors."""
    table = facility_table(n, seed=seed)
    broken = plant_errors(table, bad_rows)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(FACILITY_COLUMNS)
        writer.writerows(table.itertuples(index=False, name=None))
    return broken


def demand_points(n: int, *, seed: int = SEED + 1) -> pd.DataFrame:
    """``n`` residential compounds, each in its own H3 resolution-10 cell, with residents by age."""
    rng = np.random.default_rng(seed)
    lon_parts, lat_parts = [], []
    seen: set[str] = set()
    while len(seen) < n:
        lon, lat, _, _ = _place(rng, (n - len(seen)) * 2 + 100, rural_share=0.45)
        # Rounded as written, so the cell is the one the import will find.
        for x, y in zip(np.round(lon, 6), np.round(lat, 6), strict=True):
            # h3 takes lat, lng
            cell = h3.latlng_to_cell(float(y), float(x), DEMAND_RESOLUTION)
            if cell in seen:
                continue
            seen.add(cell)
            lon_parts.append(x)
            lat_parts.append(y)
            if len(seen) == n:
                break
    lon_a, lat_a = np.array(lon_parts), np.array(lat_parts)
    # Compounds near a seat are blocks of flats; far ones are hamlets of a few households.
    seats = _seats()
    d2 = np.full(n, np.inf)
    for sx, sy in zip(seats["lon"].to_numpy(float), seats["lat"].to_numpy(float), strict=True):
        d2 = np.minimum(d2, ((lon_a - sx) * 0.77) ** 2 + (lat_a - sy) ** 2)
    near = np.sqrt(d2) * M_PER_DEG_LAT < 3_000
    # About a million people in all, as the three districts' 2020 census (934,000).
    residents = (
        np.where(near, rng.lognormal(np.log(9), 0.7, n), rng.lognormal(np.log(1.5), 0.6, n))
        .round()
        .astype(int)
        + 1
    )
    age60 = rng.binomial(residents, np.where(near, 0.15, 0.24))
    age03 = rng.binomial(residents - age60, 0.035)
    names = [
        f"{_COMMUNITY_WORDS[i % len(_COMMUNITY_WORDS)]}小区{i // len(_COMMUNITY_WORDS) + 1}号院"
        for i in range(n)
    ]
    return pd.DataFrame(
        {
            "name": names,
            "lon": np.round(lon_a, 6),
            "lat": np.round(lat_a, 6),
            "residents": residents,
            "pop_60plus": age60,
            "pop_0_3": age03,
        }
    )


def write_demand_points(path: Path, n: int, *, seed: int = SEED + 1) -> pd.DataFrame:
    """Write ``n`` compounds to ``path`` (UTF-8 CSV); returns the table written."""
    table = demand_points(n, seed=seed)
    table.to_csv(path, index=False, encoding="utf-8", lineterminator="\n", float_format="%.6f")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write facilities.csv and demand_points.csv into")
    parser.add_argument("--facilities", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=200_000)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    write_facilities(args.out / "facilities.csv", args.facilities)
    write_demand_points(args.out / "demand_points.csv", args.points)
    for name in ("facilities.csv", "demand_points.csv"):
        size = (args.out / name).stat().st_size
        print(f"{args.out / name}: {size / 1024**2:.1f} MB")


if __name__ == "__main__":
    main()
