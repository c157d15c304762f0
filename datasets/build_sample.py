"""Build the MODELLED demand cells and facility sample for Ordos (鄂尔多斯市).

Nothing written by this script is observed data. It spreads the real 2020 census counts per banner
(``ordos_population_2020.csv``) over H3 resolution-9 cells with stated assumptions, and places a
sample of facilities whose counts follow the city's 2024 report. Every output row says it is
modelled. The method, the assumptions and their sources are in ``datasets/MODELLED.md``.

Run from the repository root::

    .venv/bin/python datasets/build_sample.py            # writes next to this file
    .venv/bin/python datasets/build_sample.py --out DIR  # writes into DIR

The seed is fixed, so a rerun gives byte-identical files (UTF-8 without BOM, "\\n" line endings).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import h3
import numpy as np
import shapely
from shapely.geometry import shape

DATA_DIR = Path(__file__).resolve().parent
REPO_ROOT = DATA_DIR.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from geo import schema  # noqa: E402  (needs the repository root on sys.path)

# ----------------------------------------------------------------------------------------------
# Assumptions. Each constant says where it comes from; "assumption" means a modelling choice.
# ----------------------------------------------------------------------------------------------

# The 2020 census reference day (2020-11-01) as the seed; change it and every output changes.
SEED = 20201101

H3_RESOLUTION = 9
# Average H3 res-9 cell: 0.105 km² (h3.average_hexagon_area(9, "km^2")); neighbouring centres are
# about 0.30 km apart at this latitude. Used only to size grid_disk searches (then cut by distance).
H3_RING_STEP_KM = 0.25

# Urban share of each banner's census population (assumption, rough, per the project brief).
# Gives 71.3 % of the city in `urban` cells; adding the `town` cores of rural townships gives about
# 77 %, close to Ordos' official 2020 urbanisation rate of 77.4 % (七普公报), which also counts
# township seats (镇区) as urban.
URBAN_SHARE: dict[int, float] = {
    150602: 0.95,  # 东胜区 Dongsheng
    150603: 0.95,  # 康巴什区 Kangbashi
    150621: 0.55,  # 达拉特旗 Dalad
    150622: 0.65,  # 准格尔旗 Jungar
    150623: 0.50,  # 鄂托克前旗 Otog Front
    150624: 0.60,  # 鄂托克旗 Otog
    150625: 0.45,  # 杭锦旗 Hanggin
    150626: 0.60,  # 乌审旗 Uxin
    150627: 0.70,  # 伊金霍洛旗 Ejin Horo
}
OFFICIAL_URBANISATION_2020 = 0.774  # Ordos 七普公报 (2020 census bulletin); for the printed comparison

# Urban centres per banner: ("seat" = the banner seat of ordos_banner_seats.csv, or a GeoNames
# place name of ordos_places_geonames.csv) and its share of the banner's urban population
# (assumption). Tianjiao is Dongsheng's southern new district; Shagedu is Jungar's old seat town.
URBAN_CENTRES: dict[int, tuple[tuple[str, float], ...]] = {
    150602: (("seat", 0.85), ("Tianjiao", 0.15)),
    150603: (("seat", 1.0),),
    150621: (("seat", 1.0),),
    150622: (("seat", 0.80), ("Shagedu", 0.20)),
    150623: (("seat", 1.0),),
    150624: (("seat", 1.0),),
    150625: (("seat", 1.0),),
    150626: (("seat", 1.0),),
    150627: (("seat", 1.0),),
}
# Towns whose seat is a GeoNames place (real location); other non-seat townships get a random seat.
TOWNSHIP_SEAT_PLACES: dict[str, str] = {"沙圪堵镇": "Shagedu"}
# Subdistricts (街道) whose modelled centre is pinned to a GeoNames place of the same name.
SUBDISTRICT_ANCHORS: dict[str, str] = {"天骄街道": "Tianjiao"}

# Urban density: a Gaussian kernel around each centre with this peak (assumption; Dongsheng's
# core is about 10-20 thousand people per km²). For a 2-D Gaussian holding N people the peak is
# N / (2 pi sigma²), so sigma = sqrt(N / (2 pi peak)): the radius grows with sqrt(population).
PEAK_DENSITY_PER_KM2 = 14_000.0
KERNEL_CUTOFF_SIGMAS = 2.5  # tails cut at 2.5 sigma (density there about 4 % of the peak)
URBAN_NOISE_SIGMA = 0.25  # log-normal cell-to-cell variation of urban density (assumption) ...
URBAN_NOISE_CLIP = 2.0  # ... cut at +-2 sigma, so no cell is more than 1.65 times its kernel value
KMEANS_ITERATIONS = 25  # Lloyd iterations placing modelled subdistrict centres

# Rural townships (镇/苏木/乡). Development zones (开发区/园区) get no residents (assumption).
TOWNSHIP_WEIGHT_GAMMA_SHAPE = 4.0  # spread of rural population between townships (CV 0.5; assumption)
TOWN_CORE_SHARE = 0.25  # share of a rural township living in its seat town core (assumption)
TOWN_CELL_POP = 600.0  # people per town-core cell, about 5,700 per km² (assumption)
TOWN_CORE_CELLS = (2, 12)  # min and max cells of a town core
MIN_SEAT_SEPARATION_KM = 8.0  # modelled township seats from urban centres and from each other
MEAN_VILLAGE_POP = 400.0  # people per 嘎查/村 (assumption: "a few hundred")
VILLAGE_GAMMA_SHAPE = 3.0  # spread of village sizes (assumption)
VILLAGE_CELLS = (1, 3)  # cells per village ...
VILLAGE_CELL_POP = 250.0  # ... about one cell per 250 people, plus a random extra one (assumption)
VILLAGE_DISTANCE_KM = (5.0, 25.0)  # village centre from its township seat

# Age groups.
# Rural cells get 1.3 times the urban 60+ share before renormalising to the banner total (assumption:
# 2020 census, rural populations are older as the young move to town).
RURAL_60PLUS_FACTOR = 1.3
# Under-3s relative to a uniform share (3/15) of the 0-14 group: NBS births 2018-2020
# 15.23 + 14.65 + 12.00 = 41.88 million; national 0-14 population in the 2020 census 253.38 million;
# 41.88 / 253.38 = 0.165 against 3/15 = 0.2, so 0.83.
UNDER3_RATIO = 0.83
URBAN_0_3_FACTOR = 1.1  # urban cells get 1.1 times the rural under-3 share (assumption)

# Facilities: counts from the city's 2024 report (DESIGN.md "Domain facts"); capacities are
# assumptions of a plausible size per type.
NURSERY_PLACES_PER_1000 = 4.86  # Ordos 2024 report
FACILITY_PLAN: tuple[tuple[str, int, tuple[str, ...], str], ...] = (
    # (type, count, settlements drawn from, weight column)
    ("demo_center", 4, ("urban",), "pop_60plus"),
    ("community_station", 30, ("urban",), "pop_60plus"),
    ("day_care", 20, ("urban",), "pop_60plus"),
    ("nursing_home", 8, ("urban",), "pop_60plus"),
    ("nursing_home", 4, ("town",), "pop_60plus"),
    ("canteen", 18, ("urban",), "pop_60plus"),
    ("canteen", 7, ("town",), "pop_60plus"),
    ("children_home", 87, ("urban",), "pop_0_3"),
    ("children_home", 22, ("town",), "pop_0_3"),
    ("baby_station", 20, ("urban",), "pop_0_3"),
)
REGIONAL_CENTRES = 12  # at modelled seats of rural townships, weighted by the township's 60+
VILLAGE_STATIONS = 50  # in villages, weighted by the village's 60+
CAPACITY_RANGE: dict[str, tuple[int, int]] = {
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
ID_PREFIX: dict[str, str] = {
    "regional_center": "RC",
    "demo_center": "DM",
    "community_station": "CS",
    "village_station": "VS",
    "day_care": "DC",
    "nursing_home": "NH",
    "canteen": "CT",
    "children_home": "CH",
    "baby_station": "BS",
    "nursery": "NU",
}
OPENING_HOURS: dict[str, tuple[str, ...]] = {
    "regional_center": ("Mo-Su 08:00-18:00", "24/7"),
    "demo_center": ("Mo-Su 08:00-20:00", "Mo-Su 08:30-18:30"),
    "community_station": ("Mo-Fr 08:30-17:30", "Mo-Sa 08:00-18:00"),
    "village_station": ("Mo-Fr 09:00-17:00", "Mo-Sa 08:30-17:30"),
    "day_care": ("Mo-Fr 08:00-18:00", "Mo-Sa 08:00-17:30"),
    "nursing_home": ("24/7",),
    "canteen": ("Mo-Su 11:00-13:00,17:00-18:30", "Mo-Sa 11:00-13:30"),
    "children_home": ("Mo-Fr 16:00-19:00; Sa,Su 09:00-17:00", "Sa,Su 09:00-17:00"),
    "baby_station": ("Mo-Su 09:00-21:00", "Mo-Su 08:00-20:00"),
    "nursery": ("Mo-Fr 07:30-18:00", "Mo-Fr 08:00-17:30"),
}
SERVICES: dict[str, tuple[str, ...]] = {
    "regional_center": ("全托", "日间照料", "助餐", "助浴", "康复护理", "健康监测", "文化娱乐"),
    "demo_center": ("日间照料", "助餐", "康复护理", "健康监测", "心理慰藉", "居家上门服务", "智慧养老"),
    "community_station": ("助餐", "日间照料", "健康监测", "文化娱乐", "助洁", "居家上门服务"),
    "village_station": ("互助养老", "助餐", "健康监测", "文化娱乐", "探访关爱"),
    "day_care": ("日间照料", "助餐", "午休", "康复训练", "文化娱乐"),
    "nursing_home": ("全托", "失能照护", "康复护理", "医养结合", "助浴"),
    "canteen": ("老年助餐", "送餐上门", "营养配餐"),
    "children_home": ("儿童托管", "课后辅导", "心理关爱", "亲子活动", "安全教育"),
    "baby_station": ("母婴室", "亲子阅读", "育儿指导", "临时看护"),
    "nursery": ("全日托", "半日托", "计时托", "临时托", "早期发展指导"),
}
# Planned facilities come on top of the report's counts, which are open ones (assumption: a few
# sites per type in the pipeline), so scenarios have something to open.
PLANNED_EXTRA: dict[str, tuple[int, tuple[str, ...], str]] = {
    # type: (count, settlements drawn from, weight column)
    "community_station": (3, ("urban",), "pop_60plus"),
    "day_care": (2, ("urban",), "pop_60plus"),
    "canteen": (3, ("urban", "town"), "pop_60plus"),
    "children_home": (6, ("urban", "town"), "pop_0_3"),
    "nursery": (6, ("urban",), "pop_0_3"),
}
JITTER_MAX_M = 60.0  # facility point = cell centre + at most this offset
UPDATED_RANGE = (date(2024, 1, 1), date(2025, 12, 31))
# Modelled phone numbers: a Chinese local number never starts with 0, so 0477-0xxxxxx can never
# ring a real line in Ordos (area code 0477).
PHONE_PREFIX = "0477-0"


def words(text: str) -> tuple[str, ...]:
    """The space-separated words of ``text`` (keeps the long name pools compact)."""
    return tuple(text.split())


# Modelled name and street pools (assumption: common elements of Ordos place and street names).
COMMUNITY_NAMES = words(
    "阳光 和谐 幸福 康和 祥和 振兴 育才 团结 友谊 宝日陶亥 铁西 东环 西园 北苑 南苑 紫荆 怡馨 锦绣 "
    "金泰 春华 安泰 诚信 松林 杭盖 朝阳 新华 文明 兴泰 巴音 伊泰 盛世 青城 乌兰 北园 塔拉 绿地 凤凰 "
    "滨河 书香 泰和 富兴 民康 德胜 瑞祥 天和 金辉 温馨 丽苑 华府 桃李 明珠 康乐 锦华 雅居 嘉和 宏远 "
    "东源 西城 恒安 聚福"
)
MONGOLIAN_VILLAGE_NAMES = words(
    "巴音敖包 哈达图 布日都 查干淖尔 沙日塔拉 敖包图 呼和淖尔 乌兰陶勒盖 巴彦柴达木 额尔和图 "
    "阿门其日格 宝日呼舒 巴音希利 特布德 昌汉 纳林 敖伦 陶尔庙 伊克乌素 哈日根图 巴音乌素 乌兰布拉格 "
    "浩勒报吉 苏布尔嘎 巴嘎淖尔 道图 阿日善 毛盖图 查汗庙 呼和乌素 巴彦高勒 塔然高勒 萨拉乌苏 布拉格 "
    "锡拉召"
)
HAN_VILLAGE_NAMES = words(
    "柳青梁 王家塔 李家渠 新民 河畔 五股地 二道河 前进 红旗 马家塔 刘家渠 张家圪旦 新庙 官井 杨家湾 "
    "榆树湾 海子塔 西柳沟 后河 新胜 东风 壕赖沟 公益盖 郝家渠 三眼井 沙梁 大圪堵 石窑沟 德胜 黄家坡 "
    "树林塔 常家梁"
)
STREET_NAMES = words(
    "鄂尔多斯大街 天骄路 伊金霍洛街 达拉特路 准格尔路 宝日陶亥街 林荫路 团结路 民族街 纺织街 杭锦路 "
    "乌审街 吉劳庆路 罕台路 铁西路 文化路 青春山路 园丁路 滨河路 康和路 北环路 育才路 工业路 迎宾大道 "
    "建设街 幸福路"
)
NURSING_HOME_WORDS = words("颐和 康乐 福寿 夕阳红 松鹤 安康 颐养 仁爱 慈安 祥和 福康")
NURSERY_WORDS = words(
    "小星星 童心 爱贝 启明 蓓蕾 小太阳 乐童 七色花 暖阳 小橡树 贝乐 彩虹 向日葵 小海豚 金苗苗 童趣 "
    "萌芽 未来星 小蜜蜂 喜洋洋 天使 好孩子 快乐宝贝 小书虫 嘟嘟 优贝 鹿鸣 春苗 小精灵 爱心 星辰 禾苗 "
    "小脚丫 阳光宝贝"
)
NURSERY_SUFFIXES = ("托育园", "托育中心", "托育服务中心", "婴幼儿托育园")
CHINESE_DIGITS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")

# Local flat-earth conversion, good to well under 1 % within 50 km at Ordos' latitude.
KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON_AT_EQUATOR = 111.320

CELL_COLUMNS = (
    "cell_id",
    "lon",
    "lat",
    "adcode",
    "township_code",
    "settlement",
    "pop_total",
    "pop_60plus",
    "pop_0_3",
)
TOWNSHIP_COLUMNS = ("code", "name", "adcode", "lon", "lat", "kind", "modelled")
SETTLEMENTS = ("urban", "town", "village")


# ----------------------------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Township:
    """A township-level unit of ordos_townships_codes.csv."""

    code: str
    name: str
    adcode: int
    kind: str  # subdistrict | town | sumu | township | zone


@dataclass(frozen=True)
class Banner:
    """A county-level unit (旗/区) with its census figures, outline and seat."""

    adcode: int
    name: str
    geom: shapely.Geometry
    pop: int
    pct_0_14: float
    pct_60plus: float
    seat_name: str
    seat_lon: float
    seat_lat: float


@dataclass(frozen=True)
class Inputs:
    """Everything read from the real reference files."""

    banners: tuple[Banner, ...]
    city_pop: int
    places: dict[str, tuple[float, float, int]]  # GeoNames name -> (lon, lat, adcode)
    townships: tuple[Township, ...]


def township_kind(name: str) -> str:
    """Classify a township-level name by its suffix: subdistrict, town, sumu, township or zone."""
    for suffix, kind in (("街道", "subdistrict"), ("镇", "town"), ("苏木", "sumu"), ("乡", "township")):
        if name.endswith(suffix):
            return kind
    return "zone"


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    """Read a UTF-8 CSV file into a list of dicts."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def load_inputs(data_dir: Path) -> Inputs:
    """Read the district outlines, census table, seats, GeoNames places and township codes."""
    with (data_dir / "ordos_districts.geojson").open(encoding="utf-8") as f:
        features = json.load(f)["features"]
    geoms = {int(ft["properties"]["adcode"]): shape(ft["geometry"]) for ft in features}
    for geom in geoms.values():
        shapely.prepare(geom)
    seats = {int(r["adcode"]): r for r in read_csv_rows(data_dir / "ordos_banner_seats.csv")}
    banners = []
    city_pop = 0
    for row in read_csv_rows(data_dir / "ordos_population_2020.csv"):
        adcode = int(row["adcode"])
        if adcode == 150600:  # the city total
            city_pop = int(row["pop_2020_census"])
            continue
        seat = seats[adcode]
        banners.append(
            Banner(
                adcode=adcode,
                name=row["name"],
                geom=geoms[adcode],
                pop=int(row["pop_2020_census"]),
                pct_0_14=float(row["pct_0_14"]),
                pct_60plus=float(row["pct_60plus"]),
                seat_name=seat["seat_name"],
                seat_lon=float(seat["lon"]),
                seat_lat=float(seat["lat"]),
            )
        )
    places = {
        r["name"]: (float(r["lon"]), float(r["lat"]), int(r["adcode"]))
        for r in read_csv_rows(data_dir / "ordos_places_geonames.csv")
    }
    townships = tuple(
        Township(code=r["code"], name=r["name"], adcode=int(r["areaCode"]), kind=township_kind(r["name"]))
        for r in read_csv_rows(data_dir / "ordos_townships_codes.csv")
    )
    banners.sort(key=lambda b: b.adcode)
    if sum(b.pop for b in banners) != city_pop:
        msg = f"banner populations sum to {sum(b.pop for b in banners)}, the city row says {city_pop}"
        raise ValueError(msg)
    return Inputs(banners=tuple(banners), city_pop=city_pop, places=places, townships=townships)


# ----------------------------------------------------------------------------------------------
# Geometry helpers
# ----------------------------------------------------------------------------------------------


def round6(values: Iterable[float]) -> np.ndarray:
    """Round to 6 decimals exactly as the CSV text will read back."""
    return np.array([float(f"{v:.6f}") for v in values])


def to_local_km(
    lon: np.ndarray | float, lat: np.ndarray | float, lon0: float, lat0: float
) -> tuple[np.ndarray, np.ndarray]:
    """Flat-earth east/north offsets (km) from (lon0, lat0)."""
    x = (np.asarray(lon) - lon0) * KM_PER_DEG_LON_AT_EQUATOR * math.cos(math.radians(lat0))
    y = (np.asarray(lat) - lat0) * KM_PER_DEG_LAT
    return x, y


def from_local_km(x: float, y: float, lon0: float, lat0: float) -> tuple[float, float]:
    """Inverse of :func:`to_local_km` for one point: (lon, lat)."""
    return (
        lon0 + x / (KM_PER_DEG_LON_AT_EQUATOR * math.cos(math.radians(lat0))),
        lat0 + y / KM_PER_DEG_LAT,
    )


def cell_centres(cells: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Cell centres rounded to 6 decimals, as (lon, lat) arrays."""
    latlng = [h3.cell_to_latlng(c) for c in cells]  # h3 gives (lat, lng); we want lon, lat
    return round6(p[1] for p in latlng), round6(p[0] for p in latlng)


def inside(geom: shapely.Geometry, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Vectorised point-in-polygon test (boundary counts as outside)."""
    return np.asarray(shapely.contains_xy(geom, np.asarray(lon), np.asarray(lat)), dtype=bool)


# ----------------------------------------------------------------------------------------------
# Integer allocation
# ----------------------------------------------------------------------------------------------


def largest_remainder(total: int, weights: np.ndarray, *, caps: np.ndarray | None = None) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights`` (Hamilton / largest remainder).

    Ties go to the lower index. With ``caps`` no share exceeds its cap; units a capped share cannot
    take go to the next largest remainders.
    """
    weights = np.asarray(weights, dtype=float)
    exact = weights * (total / weights.sum())
    shares = np.floor(exact).astype(np.int64)
    if caps is not None:
        shares = np.minimum(shares, caps)
    remainder = exact - np.floor(exact)
    order = np.lexsort((np.arange(len(weights)), -remainder))
    left = total - int(shares.sum())
    while left > 0:
        given = 0
        for i in order:
            if left == 0:
                break
            if caps is None or shares[i] < caps[i]:
                shares[i] += 1
                left -= 1
                given += 1
        if given == 0:
            msg = f"cannot place {left} more units within the caps"
            raise RuntimeError(msg)
    return shares


# ----------------------------------------------------------------------------------------------
# Demand cells
# ----------------------------------------------------------------------------------------------


@dataclass
class Draft:
    """A modelled cell before integer allocation."""

    cell_id: str
    lon: float
    lat: float
    township_code: str
    settlement: str
    expected: float  # people, before rounding
    village: int = -1  # serial of the modelled village, -1 when not a village cell


@dataclass(frozen=True)
class Seat:
    """A modelled township seat."""

    code: str
    name: str
    adcode: int
    lon: float
    lat: float
    kind: str
    has_core: bool


def urban_kernel(
    banner: Banner, lon0: float, lat0: float, people: float, rng: np.random.Generator
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Cells, centres and expected people of a Gaussian urban kernel around (lon0, lat0)."""
    sigma_km = math.sqrt(people / (2 * math.pi * PEAK_DENSITY_PER_KM2))
    radius_km = KERNEL_CUTOFF_SIGMAS * sigma_km
    k = math.ceil(radius_km / H3_RING_STEP_KM) + 1
    cells = sorted(h3.grid_disk(h3.latlng_to_cell(lat0, lon0, H3_RESOLUTION), k))
    lon, lat = cell_centres(cells)
    x, y = to_local_km(lon, lat, lon0, lat0)
    d2 = x * x + y * y
    noise = np.exp(
        np.clip(rng.normal(0.0, 1.0, len(cells)), -URBAN_NOISE_CLIP, URBAN_NOISE_CLIP) * URBAN_NOISE_SIGMA
    )
    keep = (d2 <= radius_km**2) & inside(banner.geom, lon, lat)
    weight = (np.exp(-d2 / (2 * sigma_km**2)) * noise)[keep]
    kept = [c for c, ok in zip(cells, keep, strict=True) if ok]
    return kept, lon[keep], lat[keep], people * weight / weight.sum()


def subdistrict_centres(
    subdistricts: Sequence[Township],
    cell_lon: np.ndarray,
    cell_lat: np.ndarray,
    weight: np.ndarray,
    banner: Banner,
    places: dict[str, tuple[float, float, int]],
    rng: np.random.Generator,
) -> list[tuple[float, float]]:
    """Modelled centres (lon, lat) of a banner's 街道, in the order of ``subdistricts``.

    Weighted k-means over the urban cells, with centres pinned where SUBDISTRICT_ANCHORS names a
    place. Free clusters are named in code order from the seat outwards (old, low-numbered 街道 sit
    in the centre).
    """
    x, y = to_local_km(cell_lon, cell_lat, banner.seat_lon, banner.seat_lat)
    pts = np.column_stack([x, y])
    n = len(subdistricts)
    pinned = [SUBDISTRICT_ANCHORS.get(s.name) for s in subdistricts]
    anchors = []
    for place in pinned:
        if place is not None:
            plon, plat, _ = places[place]
            anchors.append(np.array(to_local_km(plon, plat, banner.seat_lon, banner.seat_lat)))
    centres = list(anchors)
    n_fixed = len(centres)
    p = weight / weight.sum()
    while len(centres) < n:  # weighted k-means++ seeding
        if centres:
            d2 = np.min([((pts - c) ** 2).sum(axis=1) for c in centres], axis=0)
            q = p * d2
            q = q / q.sum()
        else:
            q = p
        centres.append(pts[rng.choice(len(pts), p=q)].copy())
    c_arr = np.array(centres)
    for _ in range(KMEANS_ITERATIONS):
        label = np.argmin(((pts[:, None, :] - c_arr[None, :, :]) ** 2).sum(axis=2), axis=1)
        for j in range(n_fixed, n):
            member = label == j
            if member.any():
                c_arr[j] = (pts[member] * weight[member, None]).sum(axis=0) / weight[member].sum()
    free = sorted(range(n_fixed, n), key=lambda j: (float(np.hypot(*c_arr[j])), j))
    out: list[tuple[float, float]] = []
    next_fixed, next_free = 0, 0
    for place in pinned:
        if place is not None:
            j = next_fixed
            next_fixed += 1
        else:
            j = free[next_free]
            next_free += 1
        out.append(from_local_km(float(c_arr[j, 0]), float(c_arr[j, 1]), banner.seat_lon, banner.seat_lat))
    return out


def nearest(lon: np.ndarray, lat: np.ndarray, centres: Sequence[tuple[float, float]]) -> np.ndarray:
    """Index of the nearest centre for each point (flat-earth distance)."""
    lon0, lat0 = centres[0]
    x, y = to_local_km(lon, lat, lon0, lat0)
    cx, cy = to_local_km(np.array([c[0] for c in centres]), np.array([c[1] for c in centres]), lon0, lat0)
    return np.argmin((x[:, None] - cx[None, :]) ** 2 + (y[:, None] - cy[None, :]) ** 2, axis=1)


def random_seat(
    banner: Banner, avoid: list[tuple[float, float]], rng: np.random.Generator
) -> tuple[float, float]:
    """A random point inside the banner at least MIN_SEAT_SEPARATION_KM from every point in ``avoid``."""
    minx, miny, maxx, maxy = banner.geom.bounds
    separation = MIN_SEAT_SEPARATION_KM
    for attempt in range(200):
        lon = rng.uniform(minx, maxx, 256)
        lat = rng.uniform(miny, maxy, 256)
        ok = inside(banner.geom, lon, lat)
        for alon, alat in avoid:
            x, y = to_local_km(lon, lat, alon, alat)
            ok &= x * x + y * y >= separation**2
        if ok.any():
            i = int(np.argmax(ok))
            return float(lon[i]), float(lat[i])
        if attempt % 20 == 19:
            separation *= 0.8
    msg = f"no room for a township seat in {banner.name}"
    raise RuntimeError(msg)


def place_villages(
    banner: Banner,
    seat: Seat,
    host_code: str | None,
    people: float,
    occupied: set[str],
    next_village: int,
    rng: np.random.Generator,
) -> list[Draft]:
    """Villages of one township: 1-3 cells each, VILLAGE_DISTANCE_KM from the seat, inside the banner.

    ``host_code`` None leaves the township code empty (filled in later by the nearest 街道).
    """
    n_villages = max(3, round(people / MEAN_VILLAGE_POP))
    sizes = rng.gamma(VILLAGE_GAMMA_SHAPE, 1.0, n_villages)
    sizes = people * sizes / sizes.sum()
    dmin, dmax = VILLAGE_DISTANCE_KM
    drafts: list[Draft] = []
    for v in range(n_villages):
        centre = None
        for attempt in range(400):
            grow = 1.0 + attempt // 100  # widen the ring if the banner is narrow here
            d_km = math.sqrt(rng.uniform(dmin**2, (dmax * grow) ** 2))
            bearing = rng.uniform(0.0, 2 * math.pi)
            lon, lat = from_local_km(d_km * math.sin(bearing), d_km * math.cos(bearing), seat.lon, seat.lat)
            cell = h3.latlng_to_cell(lat, lon, H3_RESOLUTION)
            clon, clat = cell_centres([cell])
            if cell not in occupied and inside(banner.geom, clon, clat)[0]:
                centre = cell
                break
        if centre is None:
            msg = f"no room for a village of {seat.name} in {banner.name}"
            raise RuntimeError(msg)
        n_cells = int(np.clip(round(sizes[v] / VILLAGE_CELL_POP) + rng.integers(0, 2), *VILLAGE_CELLS))
        ring = sorted(set(h3.grid_disk(centre, 1)) - {centre})
        ring = [ring[i] for i in rng.permutation(len(ring))]
        rlon, rlat = cell_centres(ring)
        ok = inside(banner.geom, rlon, rlat)
        cells = [centre] + [c for c, good in zip(ring, ok, strict=True) if good and c not in occupied]
        cells = cells[:n_cells]
        split = rng.uniform(0.5, 1.0, len(cells))
        split = sizes[v] * split / split.sum()
        lons, lats = cell_centres(cells)
        for c, lon_c, lat_c, e in zip(cells, lons, lats, split, strict=True):
            occupied.add(c)
            drafts.append(
                Draft(c, float(lon_c), float(lat_c), host_code or "", "village", float(e), next_village + v)
            )
    return drafts


def town_core(
    banner: Banner, seat: Seat, people: float, occupied: set[str], rng: np.random.Generator
) -> list[Draft]:
    """A small town core: the seat cell and its nearest free neighbours inside the banner."""
    n_cells = int(np.clip(round(people / TOWN_CELL_POP), *TOWN_CORE_CELLS))
    origin = h3.latlng_to_cell(seat.lat, seat.lon, H3_RESOLUTION)
    candidates = sorted(h3.grid_disk(origin, 2), key=lambda c: (h3.grid_distance(origin, c), c))
    lon, lat = cell_centres(candidates)
    ok = inside(banner.geom, lon, lat)
    chosen = [i for i, c in enumerate(candidates) if ok[i] and c not in occupied][:n_cells]
    ring = np.array([h3.grid_distance(origin, candidates[i]) for i in chosen], dtype=float)
    weight = rng.lognormal(0.0, URBAN_NOISE_SIGMA, len(chosen)) / (1.0 + ring)
    weight = people * weight / weight.sum()
    drafts = []
    for i, e in zip(chosen, weight, strict=True):
        occupied.add(candidates[i])
        drafts.append(Draft(candidates[i], float(lon[i]), float(lat[i]), seat.code, "town", float(e)))
    return drafts


def model_banner(
    banner: Banner,
    inputs: Inputs,
    all_centres: list[tuple[float, float]],
    occupied: set[str],
    next_village: int,
    rng: np.random.Generator,
) -> tuple[list[Draft], list[Seat]]:
    """Modelled cells (with expected people) and township seats of one banner."""
    own = [t for t in inputs.townships if t.adcode == banner.adcode]
    subdistricts = [t for t in own if t.kind == "subdistrict"]
    rural = [t for t in own if t.kind in ("town", "sumu", "township")]
    by_name = {t.name: t for t in own}
    urban_people = banner.pop * URBAN_SHARE[banner.adcode]
    rural_people = banner.pop - urban_people

    # Urban kernels. Overlapping kernels of one banner add up in the shared cells.
    urban: dict[str, Draft] = {}
    town_of_place = {place: name for name, place in TOWNSHIP_SEAT_PLACES.items()}
    for place, centre_share in URBAN_CENTRES[banner.adcode]:
        code: str
        if place == "seat":
            lon0, lat0, code = banner.seat_lon, banner.seat_lat, ""
        else:
            lon0, lat0, _ = inputs.places[place]
            code = by_name[town_of_place[place]].code if place in town_of_place else ""
        if not code and not subdistricts:
            code = by_name[banner.seat_name].code  # the seat is a 镇: its town holds the urban cells
        k_cells, k_lon, k_lat, k_people = urban_kernel(banner, lon0, lat0, urban_people * centre_share, rng)
        for c, lon_c, lat_c, e in zip(k_cells, k_lon, k_lat, k_people, strict=True):
            if c in urban:
                urban[c].expected += float(e)
            else:
                urban[c] = Draft(c, float(lon_c), float(lat_c), code, "urban", float(e))
    occupied.update(urban)
    drafts = [urban[c] for c in sorted(urban)]

    seats: list[Seat] = []
    sub_centres: list[tuple[float, float]] = []
    if subdistricts:
        pool = [d for d in drafts if not d.township_code]
        plon = np.array([d.lon for d in pool])
        plat = np.array([d.lat for d in pool])
        pw = np.array([d.expected for d in pool])
        sub_centres = subdistrict_centres(subdistricts, plon, plat, pw, banner, inputs.places, rng)
        label = nearest(plon, plat, sub_centres)
        for d, j in zip(pool, label, strict=True):
            d.township_code = subdistricts[j].code
        for t, (c_lon, c_lat) in zip(subdistricts, sub_centres, strict=True):
            seats.append(Seat(t.code, t.name, banner.adcode, c_lon, c_lat, t.kind, False))

    # Rural townships: seats, a town core where the seat is not an urban centre, villages.
    avoid = list(all_centres)
    rural_seats: list[Seat] = []
    for t in rural:
        if t.name in TOWNSHIP_SEAT_PLACES:
            s_lon, s_lat, _ = inputs.places[TOWNSHIP_SEAT_PLACES[t.name]]
            has_core = False
        elif t.name == banner.seat_name:
            s_lon, s_lat, has_core = banner.seat_lon, banner.seat_lat, False
        else:
            s_lon, s_lat = random_seat(banner, avoid, rng)
            has_core = True
        avoid.append((s_lon, s_lat))
        rural_seats.append(Seat(t.code, t.name, banner.adcode, s_lon, s_lat, t.kind, has_core))
    seats.extend(rural_seats)

    if rural_seats:
        share = rng.gamma(TOWNSHIP_WEIGHT_GAMMA_SHAPE, 1.0, len(rural_seats))
        township_people = rural_people * share / share.sum()
        hosts: list[tuple[Seat, str | None, float]] = [
            (s, s.code, float(p)) for s, p in zip(rural_seats, township_people, strict=True)
        ]
    else:  # no towns (Kangbashi): villages around the seat belong to the nearest 街道
        seat = Seat(
            "", banner.seat_name, banner.adcode, banner.seat_lon, banner.seat_lat, "subdistrict", False
        )
        hosts = [(seat, None, rural_people)]
    for seat, host_code, people_t in hosts:
        core_people = TOWN_CORE_SHARE * people_t if seat.has_core else 0.0
        if core_people > 0:
            drafts.extend(town_core(banner, seat, core_people, occupied, rng))
        villages = place_villages(
            banner, seat, host_code, people_t - core_people, occupied, next_village, rng
        )
        next_village = max([d.village for d in villages] + [next_village - 1]) + 1
        drafts.extend(villages)
    orphans = [d for d in drafts if not d.township_code]
    if orphans:
        label = nearest(np.array([d.lon for d in orphans]), np.array([d.lat for d in orphans]), sub_centres)
        for d, j in zip(orphans, label, strict=True):
            d.township_code = subdistricts[j].code
    return drafts, seats


@dataclass
class Cells:
    """The demand cells as columns (one entry per populated cell)."""

    cell_id: list[str]
    lon: np.ndarray
    lat: np.ndarray
    adcode: np.ndarray
    township_code: list[str]
    settlement: np.ndarray
    village: np.ndarray
    pop_total: np.ndarray
    pop_60plus: np.ndarray
    pop_0_3: np.ndarray


def under3_target(banner: Banner) -> int:
    """Children under 3 in a banner: pop x share 0-14 x 3/15 x UNDER3_RATIO, rounded."""
    return round(banner.pop * banner.pct_0_14 / 100 * 3 / 15 * UNDER3_RATIO)


def allocate_banner(banner: Banner, drafts: list[Draft]) -> list[tuple[Draft, int, int, int]]:
    """Integer people per cell: totals, 60+ and 0-3, each summing exactly to the banner targets."""
    drafts = sorted(drafts, key=lambda d: d.cell_id)
    pop = largest_remainder(banner.pop, np.array([d.expected for d in drafts]))
    kept = [(d, int(p)) for d, p in zip(drafts, pop, strict=True) if p >= 1]
    pop_kept = np.array([p for _, p in kept], dtype=np.int64)
    urban = np.array([d.settlement == "urban" for d, _ in kept])
    children_w = pop_kept * np.where(urban, URBAN_0_3_FACTOR, 1.0)
    children = largest_remainder(under3_target(banner), children_w, caps=pop_kept)
    old_w = pop_kept * np.where(urban, 1.0, RURAL_60PLUS_FACTOR)
    old = largest_remainder(round(banner.pop * banner.pct_60plus / 100), old_w, caps=pop_kept - children)
    return [(d, p, int(o), int(c)) for (d, p), o, c in zip(kept, old, children, strict=True)]


def build_cells(inputs: Inputs, rng: np.random.Generator) -> tuple[Cells, list[Seat]]:
    """Model every banner and return the populated cells and the modelled township seats."""
    all_centres: list[tuple[float, float]] = []
    for banner in inputs.banners:
        for place, _ in URBAN_CENTRES[banner.adcode]:
            if place == "seat":
                all_centres.append((banner.seat_lon, banner.seat_lat))
            else:
                all_centres.append(inputs.places[place][:2])
    occupied: set[str] = set()
    rows: list[tuple[int, Draft, int, int, int]] = []
    seats: list[Seat] = []
    next_village = 0
    for banner in inputs.banners:
        drafts, banner_seats = model_banner(banner, inputs, all_centres, occupied, next_village, rng)
        next_village = max(d.village for d in drafts) + 1
        seats.extend(banner_seats)
        rows.extend((banner.adcode, d, p, o, c) for d, p, o, c in allocate_banner(banner, drafts))
    return (
        Cells(
            cell_id=[r[1].cell_id for r in rows],
            lon=np.array([r[1].lon for r in rows]),
            lat=np.array([r[1].lat for r in rows]),
            adcode=np.array([r[0] for r in rows]),
            township_code=[r[1].township_code for r in rows],
            settlement=np.array([r[1].settlement for r in rows]),
            village=np.array([r[1].village for r in rows]),
            pop_total=np.array([r[2] for r in rows]),
            pop_60plus=np.array([r[3] for r in rows]),
            pop_0_3=np.array([r[4] for r in rows]),
        ),
        seats,
    )


def check_cells(cells: Cells, inputs: Inputs) -> None:
    """Raise RuntimeError when the modelled cells break a rule the tests also check."""
    problems = []
    if len(set(cells.cell_id)) != len(cells.cell_id):
        problems.append("duplicate cell ids")
    if (cells.pop_total < 1).any() or (cells.pop_60plus + cells.pop_0_3 > cells.pop_total).any():
        problems.append("a cell is empty or has more 60+ and 0-3 than people")
    codes = {t.code: t.adcode for t in inputs.townships}
    for banner in inputs.banners:
        m = cells.adcode == banner.adcode
        if int(cells.pop_total[m].sum()) != banner.pop:
            problems.append(f"{banner.adcode}: population does not add up")
        if int(cells.pop_60plus[m].sum()) != round(banner.pop * banner.pct_60plus / 100):
            problems.append(f"{banner.adcode}: 60+ does not add up")
        if int(cells.pop_0_3[m].sum()) != under3_target(banner):
            problems.append(f"{banner.adcode}: 0-3 does not add up")
        if not inside(banner.geom, cells.lon[m], cells.lat[m]).all():
            problems.append(f"{banner.adcode}: a cell centre lies outside the banner")
    for code, adcode in zip(cells.township_code, cells.adcode, strict=True):
        if codes.get(code) != adcode:
            problems.append(f"township code {code!r} does not belong to {adcode}")
            break
    if problems:
        msg = "modelled cells are inconsistent: " + "; ".join(problems)
        raise RuntimeError(msg)


# ----------------------------------------------------------------------------------------------
# Facilities
# ----------------------------------------------------------------------------------------------


class Namer:
    """Modelled community and village names, unique within a township, stable per cell or village."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.used: dict[str, set[str]] = {}
        self.by_key: dict[tuple[str, int | str], str] = {}

    def _draw(self, township: str, pool: Sequence[str], suffix: str) -> str:
        used = self.used.setdefault(township, set())
        free = [p for p in pool if p + suffix not in used]
        if free:
            name = free[int(self.rng.integers(len(free)))] + suffix
        else:
            name = f"{pool[int(self.rng.integers(len(pool)))]}{CHINESE_DIGITS[len(used) % 10]}{suffix}"
        used.add(name)
        return name

    def community(self, township: str, cell_id: str) -> str:
        """Community (社区) name of an urban or town cell, e.g. '阳光社区'."""
        key = (township, cell_id)
        if key not in self.by_key:
            self.by_key[key] = self._draw(township, COMMUNITY_NAMES, "社区")
        return self.by_key[key]

    def village(self, township: str, kind: str, village: int) -> str:
        """Village name, '…嘎查' in a 苏木 and in half the villages of a 镇/乡, else '…村'."""
        key = (township, village)
        if key not in self.by_key:
            mongolian = kind == "sumu" or self.rng.random() < 0.5
            pool = MONGOLIAN_VILLAGE_NAMES if mongolian else HAN_VILLAGE_NAMES
            self.by_key[key] = self._draw(township, pool, "嘎查" if mongolian else "村")
        return self.by_key[key]


def jitter_inside(
    geom: shapely.Geometry, lon0: float, lat0: float, rng: np.random.Generator
) -> tuple[float, float]:
    """The cell centre moved by at most JITTER_MAX_M, redrawn until it lies inside the banner."""
    for _ in range(100):
        r_km = JITTER_MAX_M / 1000 * math.sqrt(rng.uniform())
        bearing = rng.uniform(0.0, 2 * math.pi)
        lon, lat = from_local_km(r_km * math.sin(bearing), r_km * math.cos(bearing), lon0, lat0)
        lon, lat = float(f"{lon:.6f}"), float(f"{lat:.6f}")
        if inside(geom, np.array([lon]), np.array([lat]))[0]:
            return lon, lat
    return lon0, lat0  # the centre itself is inside


def nursery_capacities(target: int, rng: np.random.Generator) -> np.ndarray:
    """Capacities within CAPACITY_RANGE['nursery'] that add up to exactly ``target`` places."""
    lo, hi = CAPACITY_RANGE["nursery"]
    n = round(target / ((lo + hi) / 2))
    cap = rng.integers(lo, hi + 1, n)
    diff = target - int(cap.sum())
    order = rng.permutation(n)
    while diff != 0:
        step = 1 if diff > 0 else -1
        for i in order:
            if diff == 0:
                break
            if lo <= cap[i] + step <= hi:
                cap[i] += step
                diff -= step
    return cap


def pick_stratified(
    banner_of: np.ndarray, weight: np.ndarray, k: int, rng: np.random.Generator
) -> np.ndarray:
    """``k`` distinct item indices, drawn with probability proportional to ``weight``.

    Each banner first gets a quota proportional to its total weight (largest remainder), so a
    small sample still spreads like the people it serves; within a banner the draw is random.
    """
    ok = weight > 0
    banners = np.unique(banner_of[ok])
    totals = np.array([weight[ok & (banner_of == b)].sum() for b in banners])
    sizes = np.array([(ok & (banner_of == b)).sum() for b in banners])
    quota = largest_remainder(k, totals, caps=sizes)
    chosen = []
    for b, q in zip(banners, quota, strict=True):
        idx = np.flatnonzero(ok & (banner_of == b))
        chosen.append(
            idx[rng.choice(len(idx), size=int(q), replace=False, p=weight[idx] / weight[idx].sum())]
        )
    return np.sort(np.concatenate(chosen))


def pick_cells(
    cells: Cells, mask: np.ndarray, weight: np.ndarray, k: int, rng: np.random.Generator
) -> np.ndarray:
    """``k`` distinct cell indices among ``mask``, weighted by ``weight`` and spread by banner."""
    return pick_stratified(cells.adcode, np.where(mask, weight, 0.0), k, rng)


def build_facilities(
    cells: Cells, seats: list[Seat], inputs: Inputs, rng: np.random.Generator
) -> list[dict[str, str]]:
    """The modelled facility sample, one dict per row in the facility CSV contract."""
    names = {t.code: t.name for t in inputs.townships}
    kinds = {t.code: t.kind for t in inputs.townships}
    banners = {b.adcode: b for b in inputs.banners}
    namer = Namer(rng)
    source = f"{schema.MODELLED_SOURCE_PREFIX} (datasets/build_sample.py, seed {SEED})"
    township_codes = np.array(cells.township_code)

    picks: list[tuple[str, int]] = []  # (type, cell index), all open
    # Regional centres: the main town-core cell of rural townships, weighted by the township's 60+.
    cored = [s for s in seats if s.has_core]
    old_t = np.array([cells.pop_60plus[township_codes == s.code].sum() for s in cored], dtype=float)
    cored_banner = np.array([s.adcode for s in cored])
    for j in pick_stratified(cored_banner, old_t, REGIONAL_CENTRES, rng):
        m = (township_codes == cored[j].code) & (cells.settlement == "town")
        picks.append(("regional_center", int(np.flatnonzero(m)[np.argmax(cells.pop_total[m])])))
    # Village stations: one per chosen village, at its most populous cell.
    vmask = cells.settlement == "village"
    vil_ids = np.unique(cells.village[vmask])
    vil_old = np.array([cells.pop_60plus[cells.village == v].sum() for v in vil_ids], dtype=float)
    vil_banner = np.array([cells.adcode[np.argmax(cells.village == v)] for v in vil_ids])
    for v in vil_ids[pick_stratified(vil_banner, vil_old, VILLAGE_STATIONS, rng)]:
        m = cells.village == v
        picks.append(("village_station", int(np.flatnonzero(m)[np.argmax(cells.pop_total[m])])))
    for ftype, count, settlements, column in FACILITY_PLAN:
        mask = np.isin(cells.settlement, settlements)
        weight = getattr(cells, column).astype(float)
        picks.extend((ftype, int(i)) for i in pick_cells(cells, mask, weight, count, rng))
    nursery_target = round(NURSERY_PLACES_PER_1000 * inputs.city_pop / 1000)
    nursery_caps = nursery_capacities(nursery_target, rng)
    urban = cells.settlement == "urban"
    nursery_cells = pick_cells(cells, urban, cells.pop_0_3.astype(float), len(nursery_caps), rng)
    picks.extend(("nursery", int(i)) for i in nursery_cells)
    planned: list[tuple[str, int]] = []
    for ftype, (count, settlements, column) in PLANNED_EXTRA.items():
        taken = {i for t, i in picks if t == ftype}
        mask = np.isin(cells.settlement, settlements) & ~np.isin(np.arange(len(cells.lon)), list(taken))
        weight = getattr(cells, column).astype(float)
        planned.extend((ftype, int(i)) for i in pick_cells(cells, mask, weight, count, rng))

    order = {code: n for n, code in enumerate(schema.FACILITY_TYPES)}
    statuses = {**{p: "open" for p in picks}, **{p: "planned" for p in planned}}
    picks = sorted(picks + planned, key=lambda p: (order[p[0]], statuses[p] == "planned", p[1]))
    serial: dict[str, int] = {}
    used_names: set[str] = set()
    used_phones: set[str] = set()
    streets: dict[str, tuple[str, int]] = {}
    rows = []
    nursery_iter = iter(nursery_caps[rng.permutation(len(nursery_caps))])
    days = (UPDATED_RANGE[1] - UPDATED_RANGE[0]).days
    for ftype, i in picks:
        ft = schema.FACILITY_TYPES[ftype]
        banner = banners[int(cells.adcode[i])]
        tcode = cells.township_code[i]
        township = names[tcode]
        settlement = str(cells.settlement[i])
        serial[ftype] = serial.get(ftype, 0) + 1
        if settlement == "village":
            place = namer.village(township, kinds[tcode], int(cells.village[i]))
            address = f"鄂尔多斯市{banner.name}{township}{place}{CHINESE_DIGITS[int(rng.integers(0, 8))]}社"
        else:
            place = namer.community(township, cells.cell_id[i])
            if cells.cell_id[i] not in streets:
                street = STREET_NAMES[int(rng.integers(len(STREET_NAMES)))]
                streets[cells.cell_id[i]] = (street, int(rng.integers(1, 300)))
            street, number = streets[cells.cell_id[i]]
            address = f"鄂尔多斯市{banner.name}{township}{street}{number}号"
        name = facility_name(ftype, banner, township, place, settlement, rng)
        tries = 0
        while name in used_names:  # redraw the name words first, then call it a branch
            tries += 1
            name = facility_name(ftype, banner, township, place, settlement, rng, branch=tries > 20)
        used_names.add(name)
        status = statuses[(ftype, i)]
        if ftype == "nursery" and status == "open":
            capacity = int(next(nursery_iter))
        else:
            lo, hi = CAPACITY_RANGE[ftype]
            capacity = int(rng.integers(lo, hi + 1))
        available = capacity if status == "planned" else int(rng.integers(0, capacity // 3 + 1))
        phone = PHONE_PREFIX + f"{int(rng.integers(0, 1_000_000)):06d}"
        while phone in used_phones:
            phone = PHONE_PREFIX + f"{int(rng.integers(0, 1_000_000)):06d}"
        used_phones.add(phone)
        pool = SERVICES[ftype]
        n_services = int(rng.integers(2, min(5, len(pool)) + 1))
        services = ";".join(pool[j] for j in sorted(rng.choice(len(pool), n_services, replace=False)))
        hours = OPENING_HOURS[ftype][int(rng.integers(len(OPENING_HOURS[ftype])))]
        lon, lat = jitter_inside(banner.geom, float(cells.lon[i]), float(cells.lat[i]), rng)
        updated = UPDATED_RANGE[0] + timedelta(days=int(rng.integers(0, days + 1)))
        rows.append(
            {
                "facility_id": f"ORD-{ID_PREFIX[ftype]}-{serial[ftype]:04d}",
                "name": name,
                "category": ft.category,
                "type": ftype,
                "district_adcode": str(banner.adcode),
                "township": township,
                "address": address,
                "lon": f"{lon:.6f}",
                "lat": f"{lat:.6f}",
                "capacity": str(capacity),
                "capacity_unit": ft.capacity_unit,
                "available_places": str(available),
                "opening_hours": hours,
                "phone": phone,
                "services": services,
                "status": status,
                "updated_at": updated.isoformat(),
                "source": source,
            }
        )
    return rows


def facility_name(
    ftype: str,
    banner: Banner,
    township: str,
    place: str,
    settlement: str,
    rng: np.random.Generator,
    *,
    branch: bool = False,
) -> str:
    """A realistic modelled Chinese name; ``branch`` adds a branch marker to break a tie."""
    branch_word = {"nursing_home": "分院", "nursery": "分园"}.get(ftype, "分站")
    extra = f"{CHINESE_DIGITS[int(rng.integers(1, 9))]}{branch_word}" if branch else ""
    if ftype == "regional_center":
        return f"{township}区域养老服务中心{extra}"
    if ftype == "demo_center":
        return f"{township}养老服务示范中心{extra}"
    if ftype == "nursing_home":
        if settlement == "town":
            return f"{township}敬老院{extra}"
        return f"{banner.name}{NURSING_HOME_WORDS[int(rng.integers(len(NURSING_HOME_WORDS)))]}养老院{extra}"
    if ftype == "nursery":
        word = NURSERY_WORDS[int(rng.integers(len(NURSERY_WORDS)))]
        suffix = NURSERY_SUFFIXES[int(rng.integers(len(NURSERY_SUFFIXES)))]
        return f"{banner.name}{word}{suffix}{extra}"
    label = {
        "community_station": "养老服务站",
        "village_station": "养老服务站",
        "day_care": "日间照料中心",
        "canteen": "老年食堂",
        "children_home": "儿童之家",
        "baby_station": "萌宝驿站",
    }[ftype]
    return f"{township}{place}{label}{extra}"


def check_facilities(rows: list[dict[str, str]], inputs: Inputs) -> None:
    """Raise RuntimeError when a facility lies outside its banner or ids repeat."""
    geoms = {b.adcode: b.geom for b in inputs.banners}
    if len({r["facility_id"] for r in rows}) != len(rows):
        msg = "duplicate facility ids"
        raise RuntimeError(msg)
    for r in rows:
        if not inside(
            geoms[int(r["district_adcode"])], np.array([float(r["lon"])]), np.array([float(r["lat"])])
        )[0]:
            msg = f"{r['facility_id']} lies outside {r['district_adcode']}"
            raise RuntimeError(msg)


# ----------------------------------------------------------------------------------------------
# Output
# ----------------------------------------------------------------------------------------------


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Write UTF-8 (no BOM) CSV with "\\n" line endings."""
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def cell_rows(cells: Cells) -> list[list[str]]:
    """Cells as CSV text rows, sorted by banner then cell id."""
    order = sorted(range(len(cells.cell_id)), key=lambda i: (int(cells.adcode[i]), cells.cell_id[i]))
    return [
        [
            cells.cell_id[i],
            f"{cells.lon[i]:.6f}",
            f"{cells.lat[i]:.6f}",
            str(int(cells.adcode[i])),
            cells.township_code[i],
            str(cells.settlement[i]),
            str(int(cells.pop_total[i])),
            str(int(cells.pop_60plus[i])),
            str(int(cells.pop_0_3[i])),
        ]
        for i in order
    ]


@dataclass(frozen=True)
class Summary:
    """Figures of one build, printed by :func:`main`."""

    cells_by_settlement: dict[str, int]
    people_by_settlement: dict[str, int]
    facilities_by_type: dict[str, int]
    nursery_places: int
    city_pop: int

    def report(self) -> str:
        """Human-readable lines."""
        total = sum(self.people_by_settlement.values())
        urban = self.people_by_settlement["urban"] / total
        town = self.people_by_settlement["town"] / total
        return "\n".join(
            [
                f"cells: {sum(self.cells_by_settlement.values())} {self.cells_by_settlement}",
                f"people in urban cells {urban:.1%}, urban + town {urban + town:.1%} "
                f"(official 2020 urbanisation {OFFICIAL_URBANISATION_2020:.1%})",
                f"facilities: {sum(self.facilities_by_type.values())} {self.facilities_by_type}",
                f"open nursery places: {self.nursery_places} = "
                f"{self.nursery_places / self.city_pop * 1000:.3f} per 1,000 of {self.city_pop:,}",
            ]
        )


def build(out_dir: Path, *, data_dir: Path = DATA_DIR) -> Summary:
    """Build the three modelled files into ``out_dir`` and return summary figures."""
    rng = np.random.default_rng(SEED)
    inputs = load_inputs(data_dir)
    cells, seats = build_cells(inputs, rng)
    check_cells(cells, inputs)
    facilities = build_facilities(cells, seats, inputs, rng)
    check_facilities(facilities, inputs)

    out_dir.mkdir(parents=True, exist_ok=True)
    write_csv(out_dir / "population_cells.csv", CELL_COLUMNS, cell_rows(cells))
    facility_rows = ([r[c] for c in schema.COLUMN_NAMES] for r in facilities)
    write_csv(out_dir / "facilities_sample.csv", schema.COLUMN_NAMES, facility_rows)
    seat_rows = [
        [s.code, s.name, str(s.adcode), f"{s.lon:.6f}", f"{s.lat:.6f}", s.kind, "1"]
        for s in sorted(seats, key=lambda s: s.code)
    ]
    write_csv(out_dir / "townships_modelled.csv", TOWNSHIP_COLUMNS, seat_rows)

    counts: dict[str, int] = {}
    for r in facilities:
        counts[r["type"]] = counts.get(r["type"], 0) + 1
    return Summary(
        cells_by_settlement={s: int((cells.settlement == s).sum()) for s in SETTLEMENTS},
        people_by_settlement={s: int(cells.pop_total[cells.settlement == s].sum()) for s in SETTLEMENTS},
        facilities_by_type=counts,
        nursery_places=sum(
            int(r["capacity"]) for r in facilities if r["type"] == "nursery" and r["status"] == "open"
        ),
        city_pop=inputs.city_pop,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description="Build the modelled demand cells and facility sample.")
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="output directory (default: datasets/)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    summary = build(args.out)
    print(summary.report())
    print(f"written to {args.out} in {time.perf_counter() - start:.1f} s (seed {SEED})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
