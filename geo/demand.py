"""Demand import: a population file (raster, polygons with counts, or points) into H3 demand cells.

``validate_demand`` takes the bytes a member of data staff supplies and returns a
:class:`DemandResult`; it never raises. The result holds every problem as a :class:`DemandIssue`
(row, feature or pixel; code; a message in Chinese and English), the demand cells in the contract of
``datasets/population_cells.csv`` (``cell_id, lon, lat, adcode, township_code, settlement, pop_total,
pop_60plus, pop_0_3``), and the people per district before (in the file) and after (in the cells).

How people reach the cells (``geo.demand_spread``):

* a raster (GeoTIFF, any CRS): each pixel's people go to the H3 cell of its centre, or, where the
  pixel is larger than a cell, are split over the cells by area;
* polygons with counts (GeoJSON, GeoPackage, zipped Shapefile): spread over the cells they overlap by
  area, or dasymetrically by a weights raster or building layer (``weights``);
* points (CSV of residential compounds): residents, or households × household size, to the cell of
  the point.

People outside Ordos are clipped off and reported (how many, from how many features), never lost
silently. Where the file has no age columns, people aged 60+ and 0–3 come from the district's 2020
census shares, and the district table says so per district. Integer people per cell are allocated by
largest remainder within each district, so the cells of a district add up exactly to its people.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo import io as gio
from geo.crs import ORDOS_METRIC_CRS
from geo.demand_spread import PIECE_COLUMNS, cell_centres, cell_ids
from geo.errors import DataError
from geo.options import DEFAULT_RESOLUTION as DEFAULT_RESOLUTION
from geo.options import RESOLUTIONS as RESOLUTIONS
from geo.schema import DEMAND_COLUMNS as DEMAND_COLUMNS
from geo.severity import ERROR, WARNING, IssueCounts

__all__ = [
    "DEFAULT_RESOLUTION",
    "DEMAND_COLUMNS",
    "DEMAND_KINDS",
    "DEMAND_MESSAGES",
    "ERROR",
    "RESOLUTIONS",
    "UNDER3_SHARE_OF_0_14",
    "WARNING",
    "DemandIssue",
    "DemandLimits",
    "DemandResult",
    "DemandSettings",
    "census_shares",
    "demand_issue",
    "validate_demand",
]

DEMAND_KINDS: Final[tuple[str, ...]] = ("raster", "polygons", "points")


# Children aged 0–3 as a share of the 0–14 group: a uniform 3/15 times 0.83, the 2020 national ratio of
# births 2018–2020 to the census count aged 0–14 (datasets/MODELLED.md, "Children under 3").
UNDER3_SHARE_OF_0_14: Final[float] = 3.0 / 15.0 * 0.83

# The file's total and the cells' total (plus what fell outside Ordos) may differ by this share at most.
TOTAL_TOLERANCE: Final[float] = 0.001


@dataclass(frozen=True)
class DemandLimits:
    """Bounds on what one demand or boundary file may make the machine do.

    Attributes
    ----------
    max_bytes
        Largest file accepted (bytes), read before anything is parsed.
    max_pixels
        Largest raster (width × height), checked from the header before any pixel is read.
    max_features
        Most polygons (or building footprints in a weights layer), checked before geometries are read.
    max_rows
        Most points in a CSV.
    max_cells
        Most H3 cells one import may make (checked from the polygons' areas before spreading).
    max_zip_members, max_zip_bytes, max_zip_ratio
        Limits on a zipped Shapefile, checked from its directory before anything is unpacked.
    """

    max_bytes: int = 200 * 1024 * 1024
    max_pixels: int = 60_000_000
    max_features: int = 200_000
    max_rows: int = 200_000
    max_cells: int = 3_000_000
    max_zip_members: int = 50
    max_zip_bytes: int = 1024 * 1024 * 1024
    max_zip_ratio: float = 200.0


@dataclass(frozen=True)
class DemandSettings:
    """How to read a demand file (the options of ``python -m geo demand import``).

    Attributes
    ----------
    resolution
        H3 resolution of the cells: 8, 9 or 10.
    crs
        The coordinates' system when the file does not say or says it wrongly: ``wgs84``, ``gcj02``,
        ``bd09`` or ``EPSG:n``; None to use the file's own (GeoJSON without one is WGS84).
    count_column, age60_column, age0_3_column
        Columns (a band number for a raster) of total people, people aged 60+ and children 0–3; None to
        recognise them by their usual names (``pop_total``, ``人口``, ``常住人口`` …; raster band 1).
    household_size
        People per household for a points file that gives households instead of residents (a
        ``household_size`` column wins).
    limits
        :class:`DemandLimits`.
    """

    resolution: int = DEFAULT_RESOLUTION
    crs: str | None = None
    count_column: str | None = None
    age60_column: str | None = None
    age0_3_column: str | None = None
    household_size: float | None = None
    limits: DemandLimits = field(default_factory=DemandLimits)

    def __post_init__(self) -> None:
        if self.resolution not in RESOLUTIONS:
            msg = (
                f"H3 分辨率只能是 8、9 或 10,收到 {self.resolution}。 / "
                f"The H3 resolution must be 8, 9 or 10, got {self.resolution}."
            )
            raise DataError(msg)
        if self.household_size is not None and not (0 < self.household_size <= 20):
            msg = (
                f"户均人口应在 0 到 20 之间,收到 {self.household_size}。 / "
                f"The household size must be between 0 and 20, got {self.household_size}."
            )
            raise DataError(msg)


@dataclass(frozen=True)
class DemandIssue:
    """One problem in a demand or boundary file.

    Attributes
    ----------
    where
        Where it is, in both languages: ``第 3 行 row 3`` (CSV, header = row 1), ``要素 2 feature 2``
        (polygons, first = 1), ``像元 pixel (row 5, col 7)``, or ``文件 file``.
    column
        The column (or band) concerned, "" for the whole row or file.
    code, severity
        A stable code and ``error`` or ``warning``; errors stop the import.
    value
        The offending value as written.
    message_zh, message_en
        What is wrong and how to fix it.
    """

    where: str
    column: str
    code: str
    severity: str
    value: str
    message_zh: str
    message_en: str

    def text(self) -> str:
        """The issue on one line, both languages."""
        column = f" [{self.column}]" if self.column else ""
        return f"{self.where}{column} {self.severity} {self.code}: {self.message_zh} / {self.message_en}"


# key -> (code, severity, Chinese template, English template)
DEMAND_MESSAGES: Final[dict[str, tuple[str, str, str, str]]] = {
    "empty_file": ("empty_file", ERROR, "文件是空的。", "The file is empty."),
    "too_large": (
        "too_large",
        ERROR,
        "{detail}",
        "{detail_en}",
    ),
    "unknown_format": (
        "unknown_format",
        ERROR,
        "无法识别文件格式;请上传 GeoTIFF 栅格、GeoJSON、GeoPackage、压缩的 Shapefile(.zip)或带经纬度的 CSV。",
        "Unknown file format; upload a GeoTIFF raster, GeoJSON, GeoPackage, zipped Shapefile (.zip) or a CSV "
        "with longitude and latitude.",
    ),
    "unreadable": (
        "unreadable",
        ERROR,
        "文件无法读取:{detail}。",
        "The file cannot be read: {detail_en}.",
    ),
    "too_many_pixels": (
        "too_many_pixels",
        ERROR,
        "栅格有 {n:,} 个像元({width} × {height}),超过上限 {limit:,};请先裁剪到鄂尔多斯范围或降低分辨率。",
        "The raster has {n:,} pixels ({width} × {height}), above the limit of {limit:,}; clip it to Ordos "
        "or resample it first.",
    ),
    "too_many_features": (
        "too_many_features",
        ERROR,
        "文件有 {n:,} 个要素,超过上限 {limit:,};请拆分后分片导入(--mode patch)。",
        "The file has {n:,} features, above the limit of {limit:,}; split it and import the parts with "
        "--mode patch.",
    ),
    "too_many_rows": (
        "too_many_rows",
        ERROR,
        "文件有 {n:,} 行数据,超过上限 {limit:,} 行;请拆分后分片导入(--mode patch)。",
        "The file has {n:,} data rows, above the limit of {limit:,}; split it and import the parts with "
        "--mode patch.",
    ),
    "too_many_cells": (
        "too_many_cells",
        ERROR,
        "按分辨率 {resolution} 铺开需要约 {n:,} 个网格,超过上限 {limit:,};请用较低的分辨率(--resolution {lower}),"
        "或用 --weights 只在有人居住的地方分配。",
        "Spreading at resolution {resolution} needs about {n:,} cells, above the limit of {limit:,}; use a "
        "lower resolution (--resolution {lower}) or --weights to spread only where people live.",
    ),
    "bad_crs": (
        "bad_crs",
        ERROR,
        "坐标系“{value}”无法识别;请用 wgs84、gcj02、bd09 或 EPSG:编号(如 EPSG:4490)。",
        "Unknown coordinate system '{value}'; use wgs84, gcj02, bd09 or EPSG:n (e.g. EPSG:4490).",
    ),
    "no_crs": (
        "no_crs",
        ERROR,
        "文件没有说明坐标系;请用 --crs 指定(如 --crs EPSG:4326 或 --crs gcj02)。",
        "The file does not say which coordinate system it uses; give it with --crs (e.g. --crs EPSG:4326 "
        "or --crs gcj02).",
    ),
    "crs_mismatch": (
        "crs_mismatch",
        ERROR,
        "文件声明的坐标系是 {crs}(单位:米),但坐标范围 {bounds} 看起来是经纬度(度);坐标系声明有误,"
        "请用 --crs EPSG:4326(或 gcj02/bd09)指定正确的坐标系。",
        "The file says its coordinate system is {crs} (metres), but its extent {bounds} looks like degrees; "
        "the declared system is wrong: give the right one with --crs EPSG:4326 (or gcj02/bd09).",
    ),
    "crs_not_degrees": (
        "crs_mismatch",
        ERROR,
        "文件声明的坐标系是 {crs}(经纬度),但坐标范围 {bounds} 超出经纬度的取值范围,看起来是投影坐标(米);"
        "请用 --crs EPSG:编号 指定正确的投影坐标系。",
        "The file says its coordinate system is {crs} (degrees), but its extent {bounds} is outside the range "
        "of degrees and looks like metres; give the right projected system with --crs EPSG:n.",
    ),
    "outside_ordos": (
        "outside_ordos",
        ERROR,
        "文件没有覆盖鄂尔多斯的任何区域:按 {crs} 换算到 WGS84 后范围是 {bounds}"
        "(鄂尔多斯约为 东经 106.4–111.5°、北纬 37.6–40.9°);请检查文件或坐标系(--crs)。",
        "The file covers no part of Ordos: in WGS84 (read as {crs}) its extent is {bounds} (Ordos lies "
        "around 106.4–111.5°E, 37.6–40.9°N); check the file or its coordinate system (--crs).",
    ),
    "partly_outside": (
        "outside_ordos",
        WARNING,
        "{people:,.0f} 人({share:.1%})位于鄂尔多斯以外,来自 {n} 个{what_zh},已裁除(不计入需求)。",
        "{people:,.0f} people ({share:.1%}) lie outside Ordos, from {n} {what_en}; they were clipped off "
        "(not counted as demand).",
    ),
    "all_nodata": (
        "all_nodata",
        ERROR,
        "栅格的所有像元都是无数据值(nodata={value});没有人口可导入。",
        "Every pixel of the raster is nodata (nodata={value}); there are no people to import.",
    ),
    "no_people": (
        "no_people",
        ERROR,
        "文件里的人口合计为 0;没有人口可导入。请检查人口列或栅格波段。",
        "The people in the file add up to 0; there is nothing to import. Check the count column or band.",
    ),
    "negative_pixels": (
        "negative_count",
        ERROR,
        "栅格有 {n:,} 个像元为负值(第一个:{value}),人口不能为负;请把无数据像元设为 nodata 值。",
        "The raster has {n:,} negative pixels (first: {value}); people cannot be negative; mark empty "
        "pixels with the nodata value.",
    ),
    "bad_band": (
        "bad_band",
        ERROR,
        "栅格只有 {count} 个波段,没有第 {value} 波段;--count-column 等在栅格上取波段号(1 起)。",
        "The raster has {count} band(s), not band {value}; for a raster --count-column and the age options "
        "take a band number (from 1).",
    ),
    "rotated_raster": (
        "rotated_raster",
        ERROR,
        "栅格带有旋转或错切的地理变换,暂不支持;请先重采样为正北向栅格。",
        "The raster's geotransform is rotated or sheared; resample it north-up first.",
    ),
    "no_count_column": (
        "no_count_column",
        ERROR,
        "找不到人口列;请用 --count-column 指定(现有列:{columns})。",
        "No population column found; name it with --count-column (columns: {columns}).",
    ),
    "missing_column": (
        "missing_column",
        ERROR,
        "文件没有列“{value}”(现有列:{columns})。",
        "The file has no column '{value}' (columns: {columns}).",
    ),
    "no_coordinates": (
        "no_coordinates",
        ERROR,
        "CSV 需要经度和纬度列(lon/lat 或 经度/纬度);现有列:{columns}。",
        "A CSV needs longitude and latitude columns (lon/lat or 经度/纬度); columns: {columns}.",
    ),
    "no_household_size": (
        "no_household_size",
        ERROR,
        "文件给出户数而没有人口;请加一列 household_size(户均人口),或用 --household-size 指定。",
        "The file gives households but not residents; add a household_size column or give --household-size.",
    ),
    "not_numeric": (
        "not_numeric",
        ERROR,
        "“{value}”不是数字;人口应为非负数。",
        "'{value}' is not a number; people must be a number of zero or more.",
    ),
    "negative_count": (
        "negative_count",
        ERROR,
        "人口不能为负数:{value}。",
        "People cannot be negative: {value}.",
    ),
    "age_above_total": (
        "age_above_total",
        ERROR,
        "年龄组人数 {value} 大于总人口 {total}。",
        "The age group's {value} people exceed the total of {total}.",
    ),
    "age_blank": (
        "age_blank",
        WARNING,
        "年龄组人数为空;本要素按所在旗区的 2020 年普查比例估算。",
        "The age group is blank; for this feature it is estimated from the district's 2020 census share.",
    ),
    "bad_coordinate": (
        "bad_coordinate",
        ERROR,
        "坐标“{value}”不是数字。",
        "The coordinate '{value}' is not a number.",
    ),
    "no_geometry": (
        "no_geometry",
        ERROR,
        "要素没有几何图形。",
        "The feature has no geometry.",
    ),
    "not_polygon": (
        "not_polygon",
        ERROR,
        "要素是 {value},不是面(Polygon/MultiPolygon);人口面文件只能含面要素。",
        "The feature is a {value}, not a polygon; a population polygon file holds polygons only.",
    ),
    "repaired": (
        "repaired",
        WARNING,
        "面自相交或无效({value}),已自动修复;修复后面积 {area_km2:.3f} km²(原计算 {before_km2:.3f} km²)。",
        "The polygon was invalid ({value}) and was repaired; area after repair {area_km2:.3f} km² "
        "(as drawn {before_km2:.3f} km²).",
    ),
    "refused": (
        "refused",
        ERROR,
        "面自相交或无效({value}),无法修复(修复后不是面或面积为零);请在 GIS 中修正。",
        "The polygon is invalid ({value}) and cannot be repaired (no area left after repair); fix it in a GIS.",
    ),
    "duplicate_id": (
        "duplicate_id",
        ERROR,
        "编号“{value}”重复(也见于{other_zh});每个面应只出现一次,否则人口会被重复计算。",
        "The id '{value}' repeats (also {other_en}); each polygon must appear once, or its people count twice.",
    ),
    "outside_feature": (
        "outside_ordos",
        WARNING,
        "该{what_zh}位于鄂尔多斯以外,{people:,.0f} 人未计入。",
        "This {what_en} lies outside Ordos; its {people:,.0f} people are not counted.",
    ),
    "weights_by_area": (
        "weights_by_area",
        WARNING,
        "权重文件在该面内没有权重,改为按面积分配。",
        "The weights file has no weight inside this polygon; its people were spread by area instead.",
    ),
    "weights_bad": (
        "weights_bad",
        ERROR,
        "权重文件 {value} 不可用:{detail}",
        "The weights file {value} cannot be used: {detail_en}",
    ),
    "ages_from_census": (
        "ages_from_census",
        WARNING,
        "文件没有{group_zh}列;{districts_zh}的{group_zh}按 2020 年普查比例估算。",
        "The file has no {group_en} column; {group_en} in {districts_en} are estimated from 2020 census shares.",
    ),
    "total_mismatch": (
        "total_mismatch",
        ERROR,
        "网格人口 {cells:,.0f} 与文件人口 {inside:,.0f}(鄂尔多斯境内)相差超过 0.1%;文件未导入,请把文件发给系统管理员。",
        "The cells hold {cells:,.0f} people against {inside:,.0f} inside Ordos in the file, more than 0.1% apart; "
        "nothing was imported. Send the file to the administrator.",
    ),
    "internal_error": (
        "internal_error",
        ERROR,
        "处理文件时发生意外错误({detail});文件未导入,请把文件发给系统管理员。",
        "Unexpected error while reading the file ({detail}); nothing was imported. Send the file to the "
        "administrator.",
    ),
}

FILE_WHERE: Final[str] = "文件 file"


def _split_languages(message: str) -> tuple[str, str]:
    """The Chinese and English halves of a ``"中文。 / English."`` message, without closing stops."""
    zh, sep, en = message.partition(" / ")
    if not sep:
        zh = en = message
    return zh.strip().rstrip("。."), en.strip().rstrip("。.")


def demand_issue(
    key: str, *, where: str = FILE_WHERE, column: str = "", value: Any = "", **params: Any
) -> DemandIssue:
    """A :class:`DemandIssue` from :data:`DEMAND_MESSAGES`."""
    code, severity, zh, en = DEMAND_MESSAGES[key]
    if "detail" in params and "detail_en" not in params:
        # A message of our own ("中文。 / English.") goes in half by half, not whole into each half.
        params["detail"], params["detail_en"] = _split_languages(str(params["detail"]))
    text = str(value)
    shown = text if len(text) <= 80 else text[:77] + "..."
    return DemandIssue(
        where,
        column,
        code,
        severity,
        text,
        zh.format(value=shown, **params),
        en.format(value=shown, **params),
    )


def row_where(row: int) -> str:
    """Where a CSV row is (the header is row 1)."""
    return f"第 {row} 行 row {row}"


def feature_where(number: int) -> str:
    """Where a feature is (the first is feature 1)."""
    return f"要素 {number} feature {number}"


def district_table_columns() -> tuple[str, ...]:
    """Columns of :attr:`DemandResult.districts`."""
    return (
        "adcode",
        "name",
        "name_en",
        "people_in_file",
        "pop_total",
        "pop_60plus",
        "pop_0_3",
        "cells",
        "ages_60plus_from",
        "ages_0_3_from",
    )


@dataclass(frozen=True)
class DemandResult(IssueCounts):
    """The outcome of reading one demand file.

    Attributes
    ----------
    issues
        Every problem found (errors stop the import).
    cells
        The demand cells (:data:`DEMAND_COLUMNS`); empty when there are errors.
    districts
        Per district: people in the file (``people_in_file``, before), in the cells (``pop_total``,
        ``pop_60plus``, ``pop_0_3``, after), cells, and where the age groups come from (``file``,
        ``census`` or ``file+census``).
    kind
        ``raster``, ``polygons`` or ``points`` ("" when unread).
    file_name, sha256, crs, resolution
        What was read and how (``crs`` as used, e.g. ``EPSG:32649`` or ``gcj02``).
    people_in_file, people_outside
        People in the whole file, and outside Ordos (clipped off).
    extent
        The area the file covers (WGS84), which ``--mode patch`` replaces.
    """

    issues: list[DemandIssue] = field(default_factory=list)
    cells: pd.DataFrame = field(default_factory=lambda: empty_cells())
    districts: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(district_table_columns()))
    )
    kind: str = ""
    file_name: str = ""
    sha256: str = ""
    crs: str = ""
    resolution: int = DEFAULT_RESOLUTION
    people_in_file: float = 0.0
    people_outside: float = 0.0
    extent: BaseGeometry | None = None

    def report_frame(self) -> pd.DataFrame:
        """The issues as a table (``where, column, code, severity, value, message_zh, message_en``)."""
        return pd.DataFrame(
            [i.__dict__ for i in self.issues],
            columns=["where", "column", "code", "severity", "value", "message_zh", "message_en"],
        )

    def report_csv_bytes(self) -> bytes:
        """The issues, then the per-district totals, as CSV (UTF-8 with BOM, formulas neutralised)."""
        issues = self.report_frame().rename(
            columns={
                "where": "位置 where",
                "column": "列 column",
                "code": "代码 code",
                "severity": "级别 severity",
                "value": "值 value",
                "message_zh": "说明",
                "message_en": "message",
            }
        )
        out = gio.facilities_csv_bytes(issues)
        if len(self.districts):
            out += b"\n" + gio.facilities_csv_bytes(self.districts).removeprefix(b"\xef\xbb\xbf")
        return out


def empty_cells() -> pd.DataFrame:
    """An empty demand table with the contract's columns and dtypes."""
    return pd.DataFrame(
        {
            "cell_id": pd.Series(dtype=object),
            "lon": pd.Series(dtype=np.float64),
            "lat": pd.Series(dtype=np.float64),
            "adcode": pd.Series(dtype=np.int64),
            "township_code": pd.Series(dtype=object),
            "settlement": pd.Series(dtype=object),
            "pop_total": pd.Series(dtype=np.int64),
            "pop_60plus": pd.Series(dtype=np.int64),
            "pop_0_3": pd.Series(dtype=np.int64),
        }
    )


def census_shares(census: pd.DataFrame) -> pd.DataFrame:
    """Per district (adcode index): the 2020 census shares of people aged 60+ and 0–3 (0–1)."""
    rows = census.loc[census["adcode"].astype(int) != 150600]
    return pd.DataFrame(
        {
            "share_60plus": rows["pct_60plus"].to_numpy(dtype=float) / 100.0,
            "share_0_3": rows["pct_0_14"].to_numpy(dtype=float) / 100.0 * UNDER3_SHARE_OF_0_14,
        },
        index=pd.Index(rows["adcode"].astype(np.int64).to_numpy(), name="adcode"),
    )


# ---------------------------------------------------------------------------------------------------
# Geography of Ordos


@dataclass(frozen=True)
class Ordos:
    """The districts in WGS84 and in the metric CRS, with their union, for clipping and assignment."""

    districts: gpd.GeoDataFrame
    metric: gpd.GeoDataFrame
    union_wgs84: BaseGeometry
    union_metric: BaseGeometry

    @classmethod
    def from_districts(cls, districts: gpd.GeoDataFrame) -> Ordos:
        """Build from :func:`geo.io.read_districts`."""
        cols = [c for c in ("adcode", "name", "name_en", "geometry") if c in districts.columns]
        d = districts[cols].copy()
        if "name_en" not in d.columns:
            d["name_en"] = d["name"]
        d["adcode"] = d["adcode"].astype(np.int64)
        d = d.reset_index(drop=True)
        metric = d.to_crs(ORDOS_METRIC_CRS)
        union = shapely.union_all(d.geometry.to_numpy())
        union_m = shapely.union_all(metric.geometry.to_numpy())
        shapely.prepare(union)
        return cls(d, metric, union, union_m)

    def district_of_points(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """The adcode holding each WGS84 point, 0 outside Ordos."""
        out = np.zeros(len(lon), dtype=np.int64)
        for adcode, geom in zip(self.districts["adcode"], self.districts.geometry, strict=True):
            todo = out == 0
            if not todo.any():
                break
            inside = shapely.contains_xy(geom, lon[todo], lat[todo])
            idx = np.flatnonzero(todo)[inside]
            out[idx] = int(adcode)
        return out

    def nearest_district(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """The adcode of the district each point is in, else of the nearest one (for cells on the border)."""
        out = self.district_of_points(lon, lat)
        todo = out == 0
        if todo.any():
            points = shapely.points(lon[todo], lat[todo])
            tree = shapely.STRtree(self.districts.geometry.to_numpy())
            nearest = tree.nearest(points)
            out[todo] = self.districts["adcode"].to_numpy()[nearest]
        return out


# ---------------------------------------------------------------------------------------------------
# From pieces (people per source and cell) to demand cells


def largest_remainder(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Integers close to ``values`` whose sum within each group is the group's rounded sum.

    Each value is floored; the remaining people of a group go one each to its values with the largest
    fractional parts (ties by position), so no group gains or loses a person to rounding.
    """
    values = np.asarray(values, dtype=np.float64)
    out = np.floor(values).astype(np.int64)
    if values.size == 0:
        return out
    frac = values - out
    frame = pd.DataFrame({"g": groups, "v": values, "f": frac, "i": np.arange(values.size)})
    targets = frame.groupby("g")["v"].sum().round().astype(np.int64)
    floors = pd.Series(out, index=frame.index).groupby(frame["g"]).sum()
    left = (targets - floors).to_dict()
    order = frame.sort_values(["g", "f", "i"], ascending=[True, False, True], kind="mergesort")
    rank = order.groupby("g").cumcount().to_numpy()
    need = order["g"].map(left).to_numpy()
    bump = order["i"].to_numpy()[rank < need]
    out[bump] += 1
    return out


def pieces_to_cells(
    pieces: pd.DataFrame, *, ordos: Ordos, shares: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sum pieces per H3 cell, give each cell its district and age groups, and round to whole people.

    Parameters
    ----------
    pieces
        :data:`geo.demand_spread.PIECE_COLUMNS` rows (inside Ordos only).
    ordos
        The districts.
    shares
        :func:`census_shares`, for people whose age the file does not give.

    Returns
    -------
    (cells, age_sources)
        The demand cells (:data:`DEMAND_COLUMNS`, whole people, empty cells dropped) and per district the
        share of people whose 60+ / 0–3 counts came from the file (``from_file_60plus``,
        ``from_file_0_3``, 0–1).
    """
    if pieces.empty:
        return empty_cells(), pd.DataFrame(columns=["from_file_60plus", "from_file_0_3"])
    sums = pieces.groupby("cell", sort=True)[list(PIECE_COLUMNS[2:])].sum()
    cells_int = sums.index.to_numpy(dtype=np.int64)
    lon, lat = cell_centres(cells_int)
    adcode = ordos.nearest_district(lon, lat)
    share = shares.reindex(adcode)
    s60 = share["share_60plus"].fillna(0.0).to_numpy()
    s03 = share["share_0_3"].fillna(0.0).to_numpy()
    total = sums["pop_total"].to_numpy()
    a60 = sums["a60"].to_numpy() + s60 * np.clip(total - sums["a60_base"].to_numpy(), 0.0, None)
    a03 = sums["a03"].to_numpy() + s03 * np.clip(total - sums["a03_base"].to_numpy(), 0.0, None)
    total_i = largest_remainder(total, adcode)
    a03_i = np.minimum(largest_remainder(a03, adcode), total_i)
    a60_i = np.minimum(largest_remainder(a60, adcode), total_i - a03_i)
    cells = pd.DataFrame(
        {
            "cell_id": cell_ids(cells_int),
            "lon": np.round(lon, 6),
            "lat": np.round(lat, 6),
            "adcode": adcode,
            "township_code": "",
            "settlement": "",
            "pop_total": total_i,
            "pop_60plus": a60_i,
            "pop_0_3": a03_i,
        }
    )
    cells = cells.loc[cells["pop_total"] > 0].reset_index(drop=True)
    by = (
        pd.DataFrame(
            {
                "adcode": adcode,
                "total": total,
                "b60": sums["a60_base"].to_numpy(),
                "b03": sums["a03_base"].to_numpy(),
            }
        )
        .groupby("adcode")[["total", "b60", "b03"]]
        .sum()
    )
    safe = by["total"].where(by["total"] > 0, 1.0)
    sources = pd.DataFrame({"from_file_60plus": by["b60"] / safe, "from_file_0_3": by["b03"] / safe})
    return cells, sources


def _age_label(share_from_file: float) -> str:
    if share_from_file >= 0.999:
        return "file"
    if share_from_file <= 0.001:
        return "census"
    return "file+census"


def district_table(
    cells: pd.DataFrame, before: pd.Series, sources: pd.DataFrame, *, ordos: Ordos
) -> pd.DataFrame:
    """Per district: people in the file (before), in the cells (after) and where the ages come from."""
    names = ordos.districts.set_index("adcode")["name"]
    names_en = ordos.districts.set_index("adcode")["name_en"]
    after = cells.groupby("adcode")[["pop_total", "pop_60plus", "pop_0_3"]].sum()
    n_cells = cells.groupby("adcode").size()
    adcodes = sorted(set(after.index) | {int(a) for a in before.index if int(a) != 0})
    rows = []
    for a in adcodes:
        src = sources.loc[a].to_dict() if a in sources.index else None
        rows.append(
            {
                "adcode": int(a),
                "name": str(names.get(a, "")),
                "name_en": str(names_en.get(a, "")),
                "people_in_file": round(float(before.get(a, 0.0)), 1),
                "pop_total": int(after["pop_total"].get(a, 0)),
                "pop_60plus": int(after["pop_60plus"].get(a, 0)),
                "pop_0_3": int(after["pop_0_3"].get(a, 0)),
                "cells": int(n_cells.get(a, 0)),
                "ages_60plus_from": _age_label(float(src["from_file_60plus"]))
                if src is not None
                else "census",
                "ages_0_3_from": _age_label(float(src["from_file_0_3"])) if src is not None else "census",
            }
        )
    return pd.DataFrame(rows, columns=list(district_table_columns()))


def census_age_issues(table: pd.DataFrame) -> list[DemandIssue]:
    """One warning per age group whose counts come (partly) from census shares, naming the districts."""
    out = []
    for col, zh, en in (
        ("ages_60plus_from", "60 岁及以上人口", "people aged 60+"),
        ("ages_0_3_from", "0–3 岁婴幼儿", "children aged 0–3"),
    ):
        rows = table.loc[table[col] != "file"]
        if rows.empty:
            continue
        names_zh = "、".join(str(n) for n in rows["name"])
        names_en = ", ".join(str(n) for n in rows["name_en"])
        out.append(
            demand_issue(
                "ages_from_census",
                column=col.removeprefix("ages_").removesuffix("_from"),
                group_zh=zh,
                group_en=en,
                districts_zh=names_zh,
                districts_en=names_en,
            )
        )
    return out


# ---------------------------------------------------------------------------------------------------
# Clipping to Ordos


def split_polygons_by_district(
    geoms_wgs84: Sequence[BaseGeometry], *, ordos: Ordos
) -> tuple[list[BaseGeometry], np.ndarray, np.ndarray, np.ndarray]:
    """Cut each polygon along the district lines.

    Returns
    -------
    (parts, source, adcode, share)
        The WGS84 parts inside Ordos, the position of the polygon each came from, its district, and
        its share of that polygon's area (the parts of one polygon add up to its share inside Ordos).
    """
    geoms = np.asarray(geoms_wgs84, dtype=object)
    district_geoms = ordos.districts.geometry.to_numpy()
    district_codes = ordos.districts["adcode"].to_numpy(dtype=np.int64)
    for g in district_geoms:
        shapely.prepare(g)
    tree = shapely.STRtree(district_geoms)
    poly_idx, dist_idx = tree.query(geoms, predicate="intersects")
    # Most polygons lie wholly inside one district: no cut needed.
    inside = shapely.contains_properly(district_geoms[dist_idx], geoms[poly_idx])
    cut = geoms[poly_idx].copy()
    if (~inside).any():
        cut[~inside] = shapely.intersection(geoms[poly_idx[~inside]], district_geoms[dist_idx[~inside]])
    parts = [_polygonal(g) for g in cut]
    ok = np.array([p is not None for p in parts], dtype=bool)
    full_area = gpd.GeoSeries(geoms, crs=4326).to_crs(ORDOS_METRIC_CRS).area.to_numpy()
    kept = [p for p in parts if p is not None]
    part_area = (
        gpd.GeoSeries(kept, crs=4326).to_crs(ORDOS_METRIC_CRS).area.to_numpy() if kept else np.zeros(0)
    )
    source = poly_idx[ok].astype(np.int64)
    whole = full_area[source]
    share = np.where(whole > 0, part_area / np.where(whole > 0, whole, 1.0), 1.0)
    share = np.where(inside[ok], 1.0, share)
    # Rounding in the cut can make a polygon's parts add up to a hair above 1.
    if source.size:
        per_source = pd.Series(share).groupby(source).transform("sum").to_numpy()
        share = np.where(per_source > 1.0, share / per_source, share)
    positive = share > 0
    return (
        [p for p, keep in zip(kept, positive, strict=True) if keep],
        source[positive],
        district_codes[dist_idx[ok]][positive],
        share[positive],
    )


def _polygonal(geom: BaseGeometry) -> BaseGeometry | None:
    """The polygonal part of a geometry (intersections can add lines and points), None if none."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    if geom.geom_type == "GeometryCollection":
        polys = [g for g in geom.geoms if g.geom_type in ("Polygon", "MultiPolygon") and not g.is_empty]
        return shapely.union_all(polys) if polys else None
    return None


def validate_demand(
    data: bytes,
    *,
    file_name: str,
    settings: DemandSettings | None = None,
    districts: gpd.GeoDataFrame | None = None,
    census: pd.DataFrame | None = None,
    weights: bytes | None = None,
    weights_name: str = "",
) -> DemandResult:
    """Read a demand file into H3 demand cells, with a report; never raises.

    Parameters
    ----------
    data
        The file's bytes: a GeoTIFF, GeoJSON, GeoPackage, zipped Shapefile or CSV of points.
    file_name
        Its name (used to recognise the format and in messages).
    settings
        :class:`DemandSettings` (resolution, CRS, columns, limits).
    districts, census
        The districts (:func:`geo.io.read_districts`) and 2020 census (:func:`geo.io.read_census`);
        default: the shipped files.
    weights, weights_name
        Optional dasymetric weights for a polygon file: a raster (people or built-up share per pixel)
        or a building layer (footprint polygons), as bytes, and its file name.

    Returns
    -------
    DemandResult
        With errors, ``cells`` is empty and nothing may be stored.
    """
    from geo import demand_build

    settings = settings or DemandSettings()
    sha = hashlib.sha256(bytes(data)).hexdigest()
    base: dict[str, Any] = {"file_name": str(file_name), "sha256": sha, "resolution": settings.resolution}
    try:
        return demand_build.build(
            bytes(data),
            file_name=str(file_name),
            settings=settings,
            districts=districts if districts is not None else gio.read_districts(),
            census=census if census is not None else gio.read_census(),
            weights=weights,
            weights_name=weights_name,
            base=base,
        )
    except DataError as exc:
        return DemandResult([demand_issue("unreadable", detail=str(exc))], **base)
    except Exception as exc:  # the contract: report, never raise
        return DemandResult([demand_issue("internal_error", detail=f"{type(exc).__name__}: {exc}")], **base)


def check_totals(people_inside: float, cells_total: float) -> list[DemandIssue]:
    """An error when the cells do not hold the people inside Ordos within :data:`TOTAL_TOLERANCE`."""
    if abs(cells_total - people_inside) > max(TOTAL_TOLERANCE * people_inside, 1.0):
        return [demand_issue("total_mismatch", cells=cells_total, inside=people_inside)]
    return []


def estimate_cells(areas_m2: np.ndarray, resolution: int) -> int:
    """About how many cells spreading polygons of these areas makes (each adds its edge cells)."""
    from geo.demand_spread import cell_area_m2

    cell = cell_area_m2(resolution)
    return int(np.sum(np.asarray(areas_m2) / cell + 6.0 * np.sqrt(np.asarray(areas_m2) / cell) + 1.0))


# ---------------------------------------------------------------------------------------------------
# Patching a layer with a file that covers part of it


def cell_share_inside(cell_ids_text: Sequence[str], extent: BaseGeometry) -> np.ndarray:
    """The share (0–1) of each H3 cell's area inside ``extent`` (WGS84), measured in the metric CRS."""
    import h3

    from geo.demand_spread import hexagons_metric

    out = np.zeros(len(cell_ids_text), dtype=np.float64)
    if extent is None or extent.is_empty or not len(cell_ids_text):
        return out
    extent_m = gpd.GeoSeries([extent], crs=4326).to_crs(ORDOS_METRIC_CRS).iloc[0]
    shapely.prepare(extent_m)
    hexes = hexagons_metric([h3.str_to_int(c) for c in cell_ids_text])
    touching = shapely.intersects(hexes, extent_m)
    if touching.any():
        inside = shapely.contains(extent_m, hexes[touching])
        share = np.where(
            inside,
            1.0,
            shapely.area(shapely.intersection(hexes[touching], extent_m)) / shapely.area(hexes[touching]),
        )
        out[touching] = np.clip(share, 0.0, 1.0)
    return out


def patch_cells(old: pd.DataFrame, new: pd.DataFrame, extent: BaseGeometry) -> pd.DataFrame:
    """A demand layer with ``new`` in place of ``old`` inside ``extent``, and ``old`` kept elsewhere.

    Cells of ``old`` wholly inside the extent are dropped; cells crossing its edge keep the people of
    their part outside it (by area, whole people); ``new`` is added (people of a cell in both are
    summed). Both tables carry a ``modelled_people`` column (people from a modelled source).

    Returns
    -------
    pandas.DataFrame
        :data:`DEMAND_COLUMNS` plus ``modelled_people``, one row per cell, sorted by ``cell_id``.
    """
    keep_share = 1.0 - cell_share_inside(old["cell_id"].astype(str).tolist(), extent)
    kept = old.copy()
    groups = ["pop_total", "pop_60plus", "pop_0_3", "modelled_people"]
    for g in groups:
        kept[g] = np.floor(kept[g].to_numpy(dtype=np.float64) * keep_share + 0.5).astype(np.int64)
    kept["pop_0_3"] = np.minimum(kept["pop_0_3"], kept["pop_total"])
    kept["pop_60plus"] = np.minimum(kept["pop_60plus"], kept["pop_total"] - kept["pop_0_3"])
    kept["modelled_people"] = np.minimum(kept["modelled_people"], kept["pop_total"])
    kept = kept.loc[kept["pop_total"] > 0]
    both = pd.concat([kept, new], ignore_index=True)
    firsts = both.groupby("cell_id", sort=True)[
        ["lon", "lat", "adcode", "township_code", "settlement"]
    ].first()
    sums = both.groupby("cell_id", sort=True)[groups].sum()
    out = firsts.join(sums).reset_index()
    return out[[*DEMAND_COLUMNS, "modelled_people"]]
