"""Facility categories and types, and the facility CSV contract.

Everything that names a column, a type code or a label lives here so that the
importer, the validator, the store, the exports and the UI agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Category:
    """A facility category: elderly care (养老) or children (托育/儿童)."""

    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class FacilityType:
    """A facility type with its labels and the unit its capacity is counted in."""

    code: str
    category: str
    zh: str
    en: str
    capacity_unit: str


CATEGORIES: Final[dict[str, Category]] = {
    "elderly": Category("elderly", "养老", "Elderly care"),
    "child": Category("child", "托育/儿童", "Children"),
}

# Chinese labels accepted for categories on import, besides the codes.
CATEGORY_ALIASES: Final[dict[str, str]] = {
    "养老": "elderly",
    "托育": "child",
    "儿童": "child",
    "托育/儿童": "child",
}

FACILITY_TYPES: Final[dict[str, FacilityType]] = {
    t.code: t
    for t in (
        FacilityType(
            "regional_center", "elderly", "区域养老服务中心", "Regional elderly care centre", "beds"
        ),
        FacilityType("demo_center", "elderly", "示范中心", "Demonstration centre", "beds"),
        FacilityType(
            "community_station", "elderly", "社区养老服务站", "Community elderly care station", "beds"
        ),
        FacilityType(
            "village_station", "elderly", "嘎查村养老服务站", "Village elderly care station", "beds"
        ),
        FacilityType("day_care", "elderly", "日间照料中心", "Day care centre", "places"),
        FacilityType("nursing_home", "elderly", "养老院", "Nursing home", "beds"),
        FacilityType("canteen", "elderly", "老年食堂", "Elderly canteen", "seats"),
        FacilityType("children_home", "child", "儿童之家", "Children's home", "places"),
        FacilityType("baby_station", "child", "萌宝驿站", "Baby station", "places"),
        FacilityType("nursery", "child", "托育机构", "Nursery", "places"),
    )
}

# Chinese label -> type code, accepted on import.
TYPE_ALIASES: Final[dict[str, str]] = {t.zh: t.code for t in FACILITY_TYPES.values()}

CAPACITY_UNITS: Final[dict[str, tuple[str, str]]] = {
    "beds": ("床位", "beds"),
    "places": ("托位/名额", "places"),
    "seats": ("餐位", "seats"),
}
CAPACITY_UNIT_ALIASES: Final[dict[str, str]] = {
    "床位": "beds",
    "托位": "places",
    "名额": "places",
    "托位/名额": "places",
    "餐位": "seats",
}

STATUSES: Final[dict[str, tuple[str, str]]] = {
    "open": ("运营", "open"),
    "planned": ("规划", "planned"),
    "closed": ("关闭", "closed"),
}
STATUS_ALIASES: Final[dict[str, str]] = {zh: code for code, (zh, _) in STATUSES.items()}


@dataclass(frozen=True)
class Column:
    """One column of the facility CSV contract."""

    name: str
    zh: str
    required: bool
    kind: str  # "text", "int", "float", "date", "code"
    help_en: str
    help_zh: str


# The canonical facility CSV columns, in export order (DESIGN.md, "Facility CSV").
COLUMNS: Final[tuple[Column, ...]] = (
    Column(
        "facility_id", "编号", True, "text", "Stable id chosen by the data owner", "数据提供方确定的唯一编号"
    ),
    Column("name", "名称", True, "text", "Facility name", "机构名称"),
    Column("category", "类别", True, "code", "elderly | child", "养老 | 托育/儿童"),
    Column("type", "类型", True, "code", "Type code or Chinese label", "类型代码或中文名称"),
    Column(
        "district_adcode",
        "行政区划代码",
        True,
        "int",
        "6-digit adcode of the banner/district",
        "旗区6位行政区划代码",
    ),
    Column(
        "township", "乡镇街道", False, "text", "Township, town, sumu or subdistrict", "所属乡镇/苏木/街道"
    ),
    Column("address", "地址", False, "text", "Street address", "详细地址"),
    Column("lon", "经度", True, "float", "Longitude in degrees (file CRS stated on import)", "经度(度)"),
    Column("lat", "纬度", True, "float", "Latitude in degrees", "纬度(度)"),
    Column("capacity", "容量", False, "int", "Beds, places or seats", "床位/托位/餐位数"),
    Column("capacity_unit", "容量单位", False, "code", "beds | places | seats", "床位 | 托位/名额 | 餐位"),
    Column(
        "available_places",
        "空余名额",
        False,
        "int",
        "Free places now, at most capacity",
        "当前空余名额,不超过容量",
    ),
    Column(
        "opening_hours",
        "开放时间",
        False,
        "text",
        "OSM syntax, e.g. Mo-Fr 08:00-18:00",
        "如 Mo-Fr 08:00-18:00",
    ),
    Column("phone", "电话", False, "text", "Phone number", "联系电话"),
    Column("services", "服务内容", False, "text", "Services offered, separated by ;", "服务内容,用;分隔"),
    Column("status", "状态", False, "code", "open | planned | closed", "运营 | 规划 | 关闭"),
    Column("updated_at", "更新日期", False, "date", "YYYY-MM-DD", "年-月-日"),
    Column("source", "数据来源", False, "text", "Where the record comes from", "数据来源"),
)

COLUMN_NAMES: Final[tuple[str, ...]] = tuple(c.name for c in COLUMNS)
REQUIRED_COLUMNS: Final[tuple[str, ...]] = tuple(c.name for c in COLUMNS if c.required)

# Header alias (Chinese label, case-folded English) -> canonical column name.
HEADER_ALIASES: Final[dict[str, str]] = {
    **{c.zh: c.name for c in COLUMNS},
    **{c.name: c.name for c in COLUMNS},
    "id": "facility_id",
    "longitude": "lon",
    "lng": "lon",
    "latitude": "lat",
    "district": "district_adcode",
    "adcode": "district_adcode",
    "区划代码": "district_adcode",
    "开放时间段": "opening_hours",
    "联系电话": "phone",
    "来源": "source",
}

# Text that marks a record as modelled rather than real.
# --- demand and boundary layers (geo.demand, geo.boundaries, geo.demand_store) -------------------
DEMAND_COLUMNS: Final[tuple[str, ...]] = (
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
"""Columns of a demand layer, as in ``datasets/population_cells.csv``."""
BOUNDARY_COLUMNS: Final[tuple[str, ...]] = ("code", "name", "adcode", "area_km2", "geometry")
"""Columns of a township boundary layer."""

MODELLED_SOURCE_PREFIX: Final[str] = "modelled sample"


def normalise_header(header: str) -> str | None:
    """Return the canonical column name for a header, or None when unknown.

    Accepts the English names in any case, the Chinese labels of DESIGN.md and a
    few common aliases; surrounding spaces and a UTF-8 BOM are ignored.
    """
    key = header.strip().lstrip("\ufeff").strip()
    return HEADER_ALIASES.get(key) or HEADER_ALIASES.get(key.lower())


def normalise_type(value: str) -> str | None:
    """Return the type code for a code or a Chinese label, or None when unknown."""
    key = value.strip()
    if key in FACILITY_TYPES:
        return key
    return TYPE_ALIASES.get(key) or (key.lower() if key.lower() in FACILITY_TYPES else None)


def normalise_category(value: str) -> str | None:
    """Return the category code for a code or a Chinese label, or None when unknown."""
    key = value.strip()
    if key.lower() in CATEGORIES:
        return key.lower()
    return CATEGORY_ALIASES.get(key)


def types_of(category: str) -> list[str]:
    """Type codes of one category, in catalogue order."""
    return [t.code for t in FACILITY_TYPES.values() if t.category == category]


def type_label(code: str, lang: str = "zh") -> str:
    """The Chinese or English label of a type code (the code itself when unknown)."""
    t = FACILITY_TYPES.get(code)
    if t is None:
        return code
    return t.zh if lang == "zh" else t.en
