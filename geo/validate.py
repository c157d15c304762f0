"""Row-by-row validation of a facility file: a report of issues, never an exception.

``validate_bytes`` takes the bytes a member of data staff uploads (CSV in UTF-8 with or without
BOM or GB18030/GBK, comma/tab/semicolon separated, or XLSX), ``validate_table`` a table of
strings. Both return a :class:`ValidationResult`: one :class:`Issue` per problem, with the row as
the user counts rows in their spreadsheet (header = row 1, first data row = row 2), the column,
a code, a severity, the offending value and a message in Chinese and English that says how to
fix it; plus the valid rows as a typed facility table in WGS84.

Errors exclude a row (and, as the importer publishes all or nothing, block the import);
warnings do not. Coordinates are checked after conversion from the stated CRS to WGS84.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geo import io as gio
from geo.crs import ORDOS_BOUNDS, in_ordos_bounds, normalize_crs, to_metric
from geo.errors import DataError
from geo.importer import Geocoder, convert_to_wgs84, geocode_missing, mark_geocoded
from geo.schema import (
    CAPACITY_UNIT_ALIASES,
    CAPACITY_UNITS,
    CATEGORIES,
    CATEGORY_ALIASES,
    COLUMNS,
    FACILITY_TYPES,
    HEADER_ALIASES,
    REQUIRED_COLUMNS,
    STATUS_ALIASES,
    STATUSES,
    Column,
    normalise_category,
    normalise_header,
    normalise_type,
)
from geo.templates import EXAMPLE_ID_PREFIX, XLSX_MAGIC, read_xlsx_table

__all__ = [
    "ERROR",
    "LIMITS_EN",
    "LIMITS_ZH",
    "MAX_BYTES",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "MESSAGES",
    "NEAR_DUPLICATE_M",
    "ORDOS_DISTRICTS",
    "REPORT_COLUMNS",
    "WARNING",
    "Issue",
    "ValidationResult",
    "is_valid_opening_hours",
    "parse_date",
    "validate_bytes",
    "validate_table",
]

MAX_BYTES: Final[int] = 8 * 1024 * 1024
"""Largest accepted upload (bytes): 8 MB, room for 20,000 rows of about 400 bytes each."""
MAX_ROWS: Final[int] = 20_000
"""Most data rows accepted in one file."""
MAX_COLUMNS: Final[int] = 200
NEAR_DUPLICATE_M: Final[float] = 50.0
"""Two rows with the same name closer than this (metres) are reported as possible duplicates."""

ERROR: Final[str] = "error"
WARNING: Final[str] = "warning"

# The nine county-level units of Ordos: adcode -> (Chinese name, English name).
ORDOS_DISTRICTS: Final[dict[int, tuple[str, str]]] = {
    150602: ("东胜区", "Dongsheng District"),
    150603: ("康巴什区", "Kangbashi District"),
    150621: ("达拉特旗", "Dalad Banner"),
    150622: ("准格尔旗", "Jungar Banner"),
    150623: ("鄂托克前旗", "Otog Front Banner"),
    150624: ("鄂托克旗", "Otog Banner"),
    150625: ("杭锦旗", "Hanggin Banner"),
    150626: ("乌审旗", "Uxin Banner"),
    150627: ("伊金霍洛旗", "Ejin Horo Banner"),
}

REPORT_COLUMNS: Final[tuple[str, ...]] = (
    "row",
    "column",
    "code",
    "severity",
    "value",
    "message_zh",
    "message_en",
)
_REPORT_HEADERS: Final[dict[str, str]] = {
    "row": "行号 row",
    "column": "列 column",
    "code": "代码 code",
    "severity": "级别 severity",
    "value": "内容 value",
    "message_zh": "说明",
    "message_en": "message",
}

_COLUMN_BY_NAME: Final[dict[str, Column]] = {c.name: c for c in COLUMNS}
_KIND_ZH: Final[dict[str, tuple[str, str]]] = {
    "int": ("整数", "a whole number"),
    "float": ("数字", "a number"),
}
_SEVERITY_ZH: Final[dict[str, str]] = {ERROR: "错误", WARNING: "警告"}
LIMITS_ZH: Final[str] = f"文件不超过 {MAX_BYTES // (1024 * 1024)} MB、{MAX_ROWS:,} 行"
"""The upload limits in words, for the data page."""
LIMITS_EN: Final[str] = f"files up to {MAX_BYTES // (1024 * 1024)} MB and {MAX_ROWS:,} rows"
_LON_MIN, _LAT_MIN, _LON_MAX, _LAT_MAX = ORDOS_BOUNDS
_DISTRICT_LIST_ZH = "、".join(f"{code} {zh}" for code, (zh, _) in ORDOS_DISTRICTS.items())
_DISTRICT_LIST_EN = ", ".join(f"{code} {en}" for code, (_, en) in ORDOS_DISTRICTS.items())

# key -> (code, severity, Chinese template, English template). Keys differ from codes where one
# code has several messages (e.g. missing coordinates with and without a failed address lookup).
MESSAGES: Final[dict[str, tuple[str, str, str, str]]] = {
    "not_decodable": (
        "not_decodable",
        ERROR,
        "无法识别文件编码(支持 UTF-8、带 BOM 的 UTF-8、GB18030/GBK 和 .xlsx);"
        "请在 Excel 中“另存为”→“CSV UTF-8(逗号分隔)”或 .xlsx 后重新上传。",
        "Cannot decode the file (UTF-8, UTF-8 with BOM, GB18030/GBK and .xlsx are supported); "
        "in Excel use Save As → 'CSV UTF-8 (Comma delimited)' or .xlsx and upload it again.",
    ),
    "not_a_table": (
        "not_a_table",
        ERROR,
        "文件不是可读的表格({detail});请上传 CSV 或 .xlsx 设施表,可先下载模板。",
        "The file is not a readable table ({detail}); upload a facility CSV or .xlsx; "
        "the template shows the layout.",
    ),
    "binary": (
        "not_a_table",
        ERROR,
        "文件含有二进制内容,不是 CSV 文本;请上传 CSV 或 .xlsx 设施表。",
        "The file holds binary content, not CSV text; upload a facility CSV or .xlsx.",
    ),
    "old_xls": (
        "not_a_table",
        ERROR,
        "这是旧版 .xls 格式;请在 Excel 中另存为 .xlsx 或“CSV UTF-8”后重新上传。",
        "This is the old .xls format; save it from Excel as .xlsx or 'CSV UTF-8' and upload it again.",
    ),
    "empty_file": (
        "not_a_table",
        ERROR,
        "文件是空的;请填写模板后上传。",
        "The file is empty; fill in the template and upload it.",
    ),
    "no_rows": (
        "not_a_table",
        ERROR,
        "文件只有表头,没有数据行;请在表头下方每行填写一个设施。",
        "The file has a header but no data rows; add one facility per row below the header.",
    ),
    "no_known_header": (
        "not_a_table",
        ERROR,
        "第 1 行没有可识别的表头,不像设施表;"
        "表头应为 编号、名称、类别、类型、行政区划代码、经度、纬度 等(或英文 facility_id, name …)。",
        "Row 1 holds no known header, so this does not look like a facility table; headers should be "
        "facility_id, name, category, type, district_adcode, lon, lat … (or their Chinese labels).",
    ),
    "too_large": (
        "too_large",
        ERROR,
        "文件大小 {size_mb:.1f} MB,超过上限 {limit_mb:.0f} MB;请拆分为几个文件分别导入(用“新增/更新”方式)。",
        "The file is {size_mb:.1f} MB, above the limit of {limit_mb:.0f} MB; split it into several files and "
        "import them one by one in upsert mode.",
    ),
    "too_many_rows": (
        "too_many_rows",
        ERROR,
        "文件有 {n:,} 行数据,超过上限 {limit:,} 行;请拆分为几个文件分别导入(用“新增/更新”方式)。",
        "The file has {n:,} data rows, above the limit of {limit:,}; split it into several files and import "
        "them one by one in upsert mode.",
    ),
    "unknown_crs": (
        "unknown_crs",
        ERROR,
        "坐标系“{value}”无法识别;请选择 WGS84、GCJ-02(高德/腾讯)或 BD-09(百度)。",
        "Unknown coordinate system '{value}'; choose WGS84, GCJ-02 (AutoNavi/Tencent) or BD-09 (Baidu).",
    ),
    "unknown_header": (
        "unknown_header",
        WARNING,
        "无法识别表头“{value}”,这一列将被忽略{suggest_zh}。",
        "Unknown header '{value}': the column is ignored{suggest_en}.",
    ),
    "missing_header": (
        "missing_header",
        ERROR,
        "缺少必填列“{zh}”({name});请添加这一列并为每行填写。",
        "The required column '{name}' ({zh}) is missing; add it and fill it in for every row.",
    ),
    "duplicate_header": (
        "duplicate_header",
        ERROR,
        "“{zh}”({name})列出现了两次(第 {first} 列和第 {second} 列);请删除或改名其中一列。",
        "The column '{name}' ({zh}) appears twice (columns {first} and {second}); "
        "delete or rename one of them.",
    ),
    "extra_cells": (
        "extra_cells",
        WARNING,
        "这一行比表头多出 {n} 个有内容的单元格,已被忽略;请检查是否多了分隔符(如地址中的逗号应加引号)。",
        "This row has {n} filled cells beyond the header; they are ignored. Check for a stray separator "
        "(a comma inside an address must be quoted).",
    ),
    "missing_value": (
        "missing_value",
        ERROR,
        "必填项“{zh}”是空的;请填写。",
        "The required field '{name}' is empty; fill it in.",
    ),
    "missing_coordinates": (
        "missing_value",
        ERROR,
        "缺少{zh};请填写经纬度(可在地图上取点),或填写详细地址以便按地址定位。",
        "The {name} is missing; fill in the coordinates (pick the point on a map) or a precise address to "
        "locate it from.",
    ),
    "geocode_failed": (
        "missing_value",
        ERROR,
        "缺少{zh},按地址“{query}”也找不到位置;请填写经纬度或更详细的地址。",
        "The {name} is missing and the address '{query}' was not found; fill in the coordinates or a more "
        "precise address.",
    ),
    "geocoded": (
        "geocoded",
        WARNING,
        "没有坐标,已按地址“{query}”推算为 ({lon:.5f}, {lat:.5f}),并在数据来源中注明;请在地图上核对。",
        "No coordinates: located from the address '{query}' at ({lon:.5f}, {lat:.5f}) and marked as geocoded "
        "in source; check the point on the map.",
    ),
    "unknown_type": (
        "unknown_type",
        ERROR,
        "类型“{value}”无法识别{suggest_zh};请填写类型代码或中文名称(见模板“类型”表)。",
        "Unknown type '{value}'{suggest_en}; use a type code or its Chinese label "
        "(see the template's types sheet).",
    ),
    "unknown_category": (
        "unknown_category",
        ERROR,
        "类别“{value}”无法识别{suggest_zh};请填写 养老(elderly)或 托育/儿童(child)。",
        "Unknown category '{value}'{suggest_en}; use elderly (养老) or child (托育/儿童).",
    ),
    "type_category_mismatch": (
        "type_category_mismatch",
        ERROR,
        "类型“{type_zh}”属于“{type_cat_zh}”类,但类别填的是“{cat_zh}”;请把类别改为“{type_cat_zh}”,或改选{cat_zh}类的类型。",
        "The type '{type_code}' belongs to the category '{type_cat}', but the category says '{cat}'; change "
        "the category to '{type_cat}' or choose a type of '{cat}'.",
    ),
    "not_a_number": (
        "not_a_number",
        ERROR,
        "“{zh}”应填{kind_zh},这里是“{value}”;请只填数字,不要带单位或文字。",
        "'{name}' must be {kind_en}, got '{value}'; write the number only, without units or words.",
    ),
    "not_an_integer": (
        "not_a_number",
        ERROR,
        "“{zh}”应填整数,这里是“{value}”;请填写整数。",
        "'{name}' must be a whole number, got '{value}'.",
    ),
    "out_of_range": (
        "out_of_range",
        ERROR,
        "“{zh}”的值 {value} 超出范围({range_zh});请核对。",
        "'{name}' = {value} is out of range ({range_en}); check it.",
    ),
    "outside_ordos": (
        "outside_ordos",
        ERROR,
        "坐标 ({lon:.5f}, {lat:.5f})(换算为 WGS84 后)不在鄂尔多斯市范围内(经度 {lon_min}–{lon_max},纬度 "
        "{lat_min}–{lat_max});请核对坐标,以及导入时所选的坐标系是否与文件一致。",
        "The point ({lon:.5f}, {lat:.5f}) (in WGS84) is outside Ordos (longitude {lon_min}–{lon_max}, "
        "latitude {lat_min}–{lat_max}); check the coordinates and that the coordinate system chosen on "
        "import matches the file.",
    ),
    "lat_lon_swapped": (
        "lat_lon_swapped",
        ERROR,
        "经度和纬度似乎填反了(经度 {lon}、纬度 {lat});请交换两列:经度应为 {lat},纬度应为 {lon}。",
        "Longitude and latitude look swapped (lon {lon}, lat {lat}); swap the two cells: lon should be {lat} "
        "and lat {lon}.",
    ),
    "outside_district": (
        "outside_district",
        WARNING,
        "点位不在所填的 {declared_zh}({declared}) 内{actual_zh};请核对行政区划代码或坐标。",
        "The point is not inside the declared {declared_en} ({declared}){actual_en}; check the district code "
        "or the coordinates.",
    ),
    "unknown_district": (
        "unknown_district",
        ERROR,
        "行政区划代码“{value}”不是鄂尔多斯市的旗区;请填写以下之一:" + _DISTRICT_LIST_ZH + "。",
        "'{value}' is not a district of Ordos; use one of: " + _DISTRICT_LIST_EN + ".",
    ),
    "duplicate_id": (
        "duplicate_id",
        ERROR,
        "编号“{value}”在第 {first_row} 行已经出现;每个设施的编号必须唯一,请修改其中一个。",
        "The facility_id '{value}' already appears in row {first_row}; every facility needs its own id.",
    ),
    "near_duplicate": (
        "near_duplicate",
        WARNING,
        "与第 {other_row} 行同名且相距 {distance_m:.0f} 米,可能重复录入;如确为两个设施可忽略此提示。",
        "Same name as row {other_row} and {distance_m:.0f} m away: possibly entered twice; "
        "ignore this if they are two facilities.",
    ),
    "negative_capacity": (
        "negative_capacity",
        ERROR,
        "“{zh}”不能是负数,这里是 {value};请填写 0 或正整数。",
        "'{name}' cannot be negative, got {value}; use 0 or a positive whole number.",
    ),
    "available_exceeds_capacity": (
        "available_exceeds_capacity",
        ERROR,
        "空余名额 {available} 大于容量 {capacity};请核对这两个数。",
        "{available} places available is more than the capacity of {capacity}; check both numbers.",
    ),
    "bad_status": (
        "bad_status",
        ERROR,
        "状态“{value}”无法识别;请填写 运营(open)、规划(planned)或 关闭(closed)。",
        "Unknown status '{value}'; use open (运营), planned (规划) or closed (关闭).",
    ),
    "bad_date": (
        "bad_date",
        ERROR,
        "日期“{value}”无法识别;请写成 年-月-日,如 2025-01-31。",
        "Cannot read the date '{value}'; write it as YYYY-MM-DD, e.g. 2025-01-31.",
    ),
    "bad_opening_hours": (
        "bad_opening_hours",
        WARNING,
        "开放时间“{value}”格式无法识别,居民端将原样显示;"
        "建议写成 Mo-Fr 08:00-18:00; Sa 09:00-12:00; PH off 或 24/7。",
        "The opening hours '{value}' are not in a format we read; they are shown as written. Prefer e.g. "
        "'Mo-Fr 08:00-18:00; Sa 09:00-12:00; PH off' or '24/7'.",
    ),
    "unknown_capacity_unit": (
        "unknown_capacity_unit",
        ERROR,
        "容量单位“{value}”无法识别;请填写 床位(beds)、托位/名额(places)或 餐位(seats)。",
        "Unknown capacity unit '{value}'; use beds (床位), places (托位/名额) or seats (餐位).",
    ),
    "example_row": (
        "example_row",
        WARNING,
        "这是模板中的示例行(编号以 {prefix} 开头);导入前请删除。",
        "This is an example row of the template (id starting with {prefix}); delete it before importing.",
    ),
    "internal_error": (
        "internal_error",
        ERROR,
        "校验时发生意外错误({detail});文件未导入,请把文件发给系统管理员。",
        "Unexpected error while checking the file ({detail}); nothing was imported. "
        "Send the file to the administrator.",
    ),
}


@dataclass(frozen=True)
class Issue:
    """One problem in a file.

    Attributes
    ----------
    row
        The row number as the spreadsheet shows it (header = 1, first data row = 2); None for
        problems of the whole file.
    column
        The canonical column name (``lat``, ``type`` …), or the header as written for header
        problems; "" for the whole file.
    code
        A stable code such as ``lat_lon_swapped``.
    severity
        ``error`` (the row cannot be imported) or ``warning``.
    value
        The offending cell as written.
    message_zh, message_en
        What is wrong and how to fix it.
    """

    row: int | None
    column: str
    code: str
    severity: str
    value: str
    message_zh: str
    message_en: str


def _issue(key: str, *, row: int | None = None, column: str = "", value: str = "", **params: Any) -> Issue:
    code, severity, zh, en = MESSAGES[key]
    # Values go into messages shortened: a 100 kB cell is not a message.
    shown = value if len(value) <= 80 else value[:77] + "..."
    return Issue(
        row,
        column,
        code,
        severity,
        value,
        zh.format(value=shown, **params),
        en.format(value=shown, **params),
    )


def _empty_table() -> pd.DataFrame:
    return _typed_table({c.name: [] for c in COLUMNS})


def _typed_table(data: dict[str, list[Any]]) -> pd.DataFrame:
    out: dict[str, Any] = {}
    for c in COLUMNS:
        values = data[c.name]
        if c.kind == "int":
            out[c.name] = pd.array(values, dtype="Int64")
        elif c.kind == "float":
            out[c.name] = np.asarray(values, dtype=np.float64)
        else:
            out[c.name] = pd.Series(values, dtype=object).astype(str)
    return pd.DataFrame(out)


@dataclass(frozen=True)
class ValidationResult:
    """The outcome of validating one file.

    Attributes
    ----------
    issues
        Every problem found, in row order (file-level problems first).
    table
        The valid rows as a facility table: the contract's columns and dtypes, WGS84, types and
        categories as codes, ``source`` filled from the file name where empty.
    file_name, crs
        As given.
    encoding, delimiter
        How the file was read (``xlsx`` and "" for workbooks).
    sha256
        Hex SHA-256 of the file's bytes ("" for a table).
    n_rows
        Data rows read from the file.
    columns_in_file
        The contract columns the file has a header for; the importer keeps the published values of
        the others instead of blanking them.
    """

    issues: list[Issue] = field(default_factory=list)
    table: pd.DataFrame = field(default_factory=_empty_table)
    file_name: str = ""
    crs: str = "wgs84"
    encoding: str = ""
    delimiter: str = ""
    sha256: str = ""
    n_rows: int = 0
    columns_in_file: tuple[str, ...] = ()

    @property
    def has_errors(self) -> bool:
        """Whether any issue is an error (the file cannot be imported as it is)."""
        return any(i.severity == ERROR for i in self.issues)

    @property
    def n_errors(self) -> int:
        """Number of error issues."""
        return sum(1 for i in self.issues if i.severity == ERROR)

    @property
    def n_warnings(self) -> int:
        """Number of warning issues."""
        return sum(1 for i in self.issues if i.severity == WARNING)

    def report_frame(self) -> pd.DataFrame:
        """The report as a DataFrame with columns :data:`REPORT_COLUMNS` (row as nullable int)."""
        frame = pd.DataFrame([i.__dict__ for i in self.issues], columns=list(REPORT_COLUMNS))
        frame["row"] = pd.array(frame["row"].tolist(), dtype="Int64")
        return frame

    def report_csv_bytes(self) -> bytes:
        """The report as CSV: UTF-8 with BOM, bilingual headers, spreadsheet formulas neutralised."""
        frame = self.report_frame()
        frame["severity"] = frame["severity"].map(lambda s: f"{_SEVERITY_ZH.get(s, s)} {s}")
        frame = frame.rename(columns=_REPORT_HEADERS)
        return gio.facilities_csv_bytes(frame)


# --- small parsers -------------------------------------------------------------------------------

_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def _parse_number(text: str) -> float | None:
    """A finite number from a cell (full-width digits and thousands separators accepted)."""
    s = unicodedata.normalize("NFKC", text).strip()
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    if not s or "_" in s:
        return None
    try:
        value = float(s)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_date(text: str) -> date | None:
    """A calendar date from ``YYYY-MM-DD`` (also ``/`` or ``.``, ``YYYY年M月D日``, ``YYYYMMDD``).

    Returns None when the text is not a real date between 1900 and 2100.
    """
    s = unicodedata.normalize("NFKC", text).strip()
    for pattern in _DATE_PATTERNS:
        m = pattern.match(s)
        if m:
            year, month, day = (int(g) for g in m.groups())
            if not 1900 <= year <= 2100:
                return None
            try:
                return date(year, month, day)
            except ValueError:
                return None
    return None


_DAY = r"(?:Mo|Tu|We|Th|Fr|Sa|Su|PH|SH)"
_DAY_RANGE = rf"{_DAY}(?:-{_DAY})?"
_DAYS = rf"{_DAY_RANGE}(?:,{_DAY_RANGE})*"
_TIME = r"(?:[01]?\d|2[0-4]):[0-5]\d"
_SPAN = rf"{_TIME}-(?:{_TIME}|(?:2[5-9]|3\d|4[0-8]):[0-5]\d)\+?"
_SPANS = rf"{_SPAN}(?:,{_SPAN})*"
_RULE = re.compile(
    rf"^(?:24/7|{_DAYS}|(?:{_DAYS}\s+)?(?:{_SPANS}|off|closed)(?:\s+\"[^\"]*\")?|{_DAYS}\s+\"[^\"]*\")$"
)


def is_valid_opening_hours(text: str) -> bool:
    """Whether text is in the supported subset of the OSM ``opening_hours`` syntax.

    Rules are separated by ``;``; each is ``24/7``, or an optional day selection (``Mo-Fr``,
    ``Mo,We,Fr``, ``Sa-Su,PH``) followed by time spans ``HH:MM-HH:MM`` (comma-separated) or by
    ``off``/``closed``, optionally with a quoted comment. Examples: ``Mo-Fr 08:00-18:00``,
    ``Mo-Sa 08:00-12:00,14:00-18:00; Su off; PH off``.
    """
    rules = [r.strip() for r in text.strip().split(";")]
    if not rules or any(not r for r in rules[:-1]):
        return False
    rules = [r for r in rules if r]
    if not rules:
        return False
    return all(_RULE.match(re.sub(r"\s+", " ", r)) for r in rules)


def _suggest(value: str, options: dict[str, str]) -> tuple[str, str]:
    """' 您是否想填“X”?' style suggestions from ``options`` (candidate text -> what to show)."""
    if not value.strip():
        return "", ""
    keys = list(options)
    hits = difflib.get_close_matches(value.strip(), keys, n=1, cutoff=0.5)
    if not hits:
        hits = difflib.get_close_matches(value.strip().lower(), [k.lower() for k in keys], n=1, cutoff=0.5)
        hits = [next(k for k in keys if k.lower() == hits[0])] if hits else []
    if not hits:
        return "", ""
    shown = options[hits[0]]
    return f",您是否想填“{shown}”", f"; did you mean '{shown}'"


_HEADER_SPLIT = re.compile(r"[/／()（）\[\]【】|｜\s]+")
_HEADER_SUGGESTIONS: Final[dict[str, str]] = {
    **{k: f"{_COLUMN_BY_NAME[v].zh}/{v}" for k, v in HEADER_ALIASES.items()},
}


def _header_name(header: str) -> str | None:
    text = unicodedata.normalize("NFKC", header)
    name = normalise_header(text)
    if name is not None:
        return name
    # Bilingual headers of the templates: "编号/facility_id", "名称 (name)" …
    parts = {normalise_header(p) for p in _HEADER_SPLIT.split(text) if p}
    parts.discard(None)
    return parts.pop() if len(parts) == 1 else None


_TYPE_OPTIONS: Final[dict[str, str]] = {
    **{t.code: f"{t.zh} {t.code}" for t in FACILITY_TYPES.values()},
    **{t.zh: f"{t.zh} {t.code}" for t in FACILITY_TYPES.values()},
    **{t.en: f"{t.zh} {t.code}" for t in FACILITY_TYPES.values()},
}
_TYPE_BY_EN: Final[dict[str, str]] = {t.en.casefold(): t.code for t in FACILITY_TYPES.values()}
_CATEGORY_OPTIONS: Final[dict[str, str]] = {
    **{k: f"{v.zh} {k}" for k, v in CATEGORIES.items()},
    **{k: f"{k} {v}" for k, v in CATEGORY_ALIASES.items()},
}
_CATEGORY_BY_EN: Final[dict[str, str]] = {c.en.casefold(): c.code for c in CATEGORIES.values()}
_UNIT_BY_TEXT: Final[dict[str, str]] = {
    **{k: k for k in CAPACITY_UNITS},
    **CAPACITY_UNIT_ALIASES,
    "bed": "beds",
    "place": "places",
    "seat": "seats",
    "张": "beds",
    "个": "places",
}
_STATUS_BY_TEXT: Final[dict[str, str]] = {
    **{k: k for k in STATUSES},
    **STATUS_ALIASES,
    "运营中": "open",
    "开放": "open",
    "营业": "open",
    "在建": "planned",
    "筹建": "planned",
    "停业": "closed",
    "已关闭": "closed",
}


def _type_code(text: str) -> str | None:
    return normalise_type(text) or _TYPE_BY_EN.get(text.strip().casefold())


def _category_code(text: str) -> str | None:
    return normalise_category(text) or _CATEGORY_BY_EN.get(text.strip().casefold())


def _district_lookup(districts: gpd.GeoDataFrame | None) -> dict[str, int]:
    lookup: dict[str, int] = {}
    for code, (zh, en) in ORDOS_DISTRICTS.items():
        lookup[str(code)] = code
        lookup[zh] = code
        lookup[zh.removesuffix("区").removesuffix("旗")] = code
        lookup[en.casefold()] = code
        lookup[en.split()[0].casefold()] = code
    if districts is not None and "adcode" in districts.columns:
        for code in districts["adcode"]:
            lookup.setdefault(str(int(code)), int(code))
    return lookup


def _unneutralise(cell: str) -> str:
    # Our own exports prefix formula-like text with an apostrophe; take it off on the way back in.
    if cell.startswith("'") and cell[1:].startswith(gio.FORMULA_PREFIXES):
        return cell[1:]
    return cell


# --- reading -------------------------------------------------------------------------------------


def _read_csv(text: str, delimiter: str, *, max_rows: int) -> tuple[pd.DataFrame, list[int], int]:
    """Header and data rows with their spreadsheet row numbers (blank rows skipped but counted)."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[str] | None = None
    body: list[list[str]] = []
    numbers: list[int] = []
    n_data = 0
    for record_number, record in enumerate(reader, start=1):
        if not any(cell.strip() for cell in record):
            continue
        if header is None:
            header = [h.strip() for h in record]
            continue
        n_data += 1
        if n_data <= max_rows:
            body.append(record)
            numbers.append(record_number)
    if header is None:
        return pd.DataFrame(), [], 0
    width = len(header)
    extra = [sum(1 for c in r[width:] if c.strip()) for r in body]
    rows = [(r + [""] * width)[:width] for r in body]
    table = pd.DataFrame(rows, columns=header, dtype=object)
    table.attrs["extra_cells"] = extra
    return table, numbers, n_data


def validate_bytes(
    data: bytes,
    *,
    file_name: str,
    crs: str = "wgs84",
    districts: gpd.GeoDataFrame | None = None,
    max_rows: int = MAX_ROWS,
    max_bytes: int = MAX_BYTES,
    geocode: Geocoder | None = None,
) -> ValidationResult:
    """Validate an uploaded facility file; never raises.

    Parameters
    ----------
    data
        The file's bytes: CSV (UTF-8 with or without BOM, GB18030/GBK; comma, tab or semicolon)
        or XLSX (recognised by its ``PK`` signature or an ``.xlsx`` name; the first sheet is read).
    file_name
        The uploaded file's name; used to recognise XLSX and to fill empty ``source`` cells.
    crs
        Coordinate system of the file's ``lon``/``lat``: ``wgs84``, ``gcj02`` or ``bd09``.
    districts
        The districts GeoDataFrame (``adcode``, geometry in WGS84), to warn about points outside
        their declared district; without it that check is skipped.
    max_rows, max_bytes
        Limits (defaults :data:`MAX_ROWS`, :data:`MAX_BYTES`).
    geocode
        Optional address lookup (WGS84) for rows without coordinates; found rows are marked as
        geocoded in ``source`` and reported as a warning.

    Returns
    -------
    ValidationResult
        Every problem as an :class:`Issue`, and the valid rows as a WGS84 facility table.
    """
    sha = ""
    base: dict[str, Any] = {"file_name": str(file_name), "crs": str(crs)}
    try:
        raw = bytes(data)
        sha = hashlib.sha256(raw).hexdigest()
        base["sha256"] = sha
        if len(raw) > max_bytes:
            size_mb, limit_mb = len(raw) / 1024**2, max_bytes / 1024**2
            return ValidationResult([_issue("too_large", size_mb=size_mb, limit_mb=limit_mb)], **base)
        if not raw.strip():
            return ValidationResult([_issue("empty_file")], **base)
        if raw.startswith(b"\xd0\xcf\x11\xe0"):
            return ValidationResult([_issue("old_xls")], **base)
        if raw.startswith(XLSX_MAGIC) or str(file_name).lower().endswith((".xlsx", ".xlsm")):
            try:
                table, numbers = read_xlsx_table(raw, max_rows=max_rows, max_columns=MAX_COLUMNS)
            except DataError as exc:
                return ValidationResult([_issue("not_a_table", detail=str(exc))], encoding="xlsx", **base)
            n_data = int(table.attrs.get("n_data_rows", len(table)))
            encoding, delimiter = "xlsx", ""
        else:
            try:
                text, encoding = gio.decode_bytes(raw)
            except DataError:
                return ValidationResult([_issue("not_decodable")], **base)
            if "\x00" in text:
                return ValidationResult([_issue("binary")], encoding=encoding, **base)
            delimiter = gio.sniff_delimiter(text)
            try:
                table, numbers, n_data = _read_csv(text, delimiter, max_rows=max_rows)
            except csv.Error as exc:
                return ValidationResult(
                    [_issue("not_a_table", detail=str(exc))], encoding=encoding, delimiter=delimiter, **base
                )
        if n_data > max_rows:
            issue = _issue("too_many_rows", n=n_data, limit=max_rows)
            return ValidationResult([issue], encoding=encoding, delimiter=delimiter, n_rows=n_data, **base)
        return validate_table(
            table,
            file_name=file_name,
            crs=crs,
            districts=districts,
            max_rows=max_rows,
            geocode=geocode,
            row_numbers=numbers,
            encoding=encoding,
            delimiter=delimiter,
            sha256=sha,
        )
    except Exception as exc:  # the contract: report, never raise
        return ValidationResult([_issue("internal_error", detail=type(exc).__name__)], **base)


def validate_table(
    table: pd.DataFrame,
    *,
    file_name: str = "",
    crs: str = "wgs84",
    districts: gpd.GeoDataFrame | None = None,
    max_rows: int = MAX_ROWS,
    geocode: Geocoder | None = None,
    row_numbers: Sequence[int] | None = None,
    encoding: str = "",
    delimiter: str = "",
    sha256: str = "",
) -> ValidationResult:
    """Validate a facility table of strings; never raises.

    Parameters
    ----------
    table
        One row per facility, headers as in the file (English or Chinese, any order), cells as
        text (other values are turned into text; missing values count as empty).
    file_name, crs, districts, max_rows, geocode
        As for :func:`validate_bytes`.
    row_numbers
        Spreadsheet row number of each data row; default ``2, 3, …`` (header in row 1).
    encoding, delimiter, sha256
        Recorded in the result.

    Returns
    -------
    ValidationResult
    """
    base: dict[str, Any] = {
        "file_name": str(file_name),
        "crs": str(crs),
        "encoding": encoding,
        "delimiter": delimiter,
        "sha256": sha256,
    }
    try:
        return _validate_table(
            table,
            file_name=str(file_name),
            crs=crs,
            districts=districts,
            max_rows=max_rows,
            geocode=geocode,
            row_numbers=row_numbers,
            base=base,
        )
    except Exception as exc:  # the contract: report, never raise
        return ValidationResult([_issue("internal_error", detail=type(exc).__name__)], **base)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and np.isnan(value):
        return ""
    if value is pd.NA or value is pd.NaT:
        return ""
    return str(value)


def _validate_table(
    table: pd.DataFrame,
    *,
    file_name: str,
    crs: str,
    districts: gpd.GeoDataFrame | None,
    max_rows: int,
    geocode: Geocoder | None,
    row_numbers: Sequence[int] | None,
    base: dict[str, Any],
) -> ValidationResult:
    if not isinstance(table, pd.DataFrame):
        return ValidationResult([_issue("not_a_table", detail=type(table).__name__)], **base)
    n = len(table)
    base["n_rows"] = n
    if n > max_rows:
        return ValidationResult([_issue("too_many_rows", n=n, limit=max_rows)], **base)
    try:
        crs_name = normalize_crs(crs)
    except DataError:
        return ValidationResult([_issue("unknown_crs", value=str(crs))], **base)
    if table.shape[1] == 0:
        return ValidationResult([_issue("empty_file")], **base)

    issues: list[Issue] = []
    headers = [_cell(h).strip() for h in table.columns]
    columns_ = [[_cell(v) for v in table.iloc[:, j].tolist()] for j in range(table.shape[1])]
    position: dict[str, int] = {}
    header_issues: list[Issue] = []
    for j, header in enumerate(headers):
        name = _header_name(header)
        if name is None:
            if header or any(v.strip() for v in columns_[j]):
                zh, en = _suggest(header, _HEADER_SUGGESTIONS)
                header_issues.append(
                    _issue("unknown_header", row=1, column=header, value=header, suggest_zh=zh, suggest_en=en)
                )
            continue
        if name in position:
            col = _COLUMN_BY_NAME[name]
            header_issues.append(
                _issue(
                    "duplicate_header",
                    row=1,
                    column=name,
                    value=header,
                    zh=col.zh,
                    name=name,
                    first=position[name] + 1,
                    second=j + 1,
                )
            )
            continue
        position[name] = j
    if not position:
        return ValidationResult([_issue("no_known_header", row=1)], **base)
    for name in REQUIRED_COLUMNS:
        if name not in position:
            col = _COLUMN_BY_NAME[name]
            header_issues.append(_issue("missing_header", row=1, column=name, zh=col.zh, name=name))
    issues.extend(header_issues)
    if n == 0:
        issues.append(_issue("no_rows"))
        return ValidationResult(issues, **base)

    numbers = (
        list(row_numbers) if row_numbers is not None and len(row_numbers) == n else list(range(2, n + 2))
    )
    cells = {
        name: [_unneutralise(v.strip()) for v in columns_[j]] if name in position else [""] * n
        for name, j in ((c.name, position.get(c.name, -1)) for c in COLUMNS)
    }
    checker = _RowChecker(n, numbers, cells, position, districts, file_name)
    extra = table.attrs.get("extra_cells")
    if isinstance(extra, list) and len(extra) == n:
        for i, k in enumerate(extra):
            if k:
                checker.add("extra_cells", i, "", "", n=k)
    checker.check_rows()
    checker.check_coordinates(crs_name, geocode)
    checker.check_districts()
    checker.check_near_duplicates()
    issues.extend(sorted(checker.issues, key=lambda i: (i.row or 0, _COLUMN_ORDER.get(i.column, 99))))
    in_file = tuple(c.name for c in COLUMNS if c.name in position)
    return ValidationResult(issues, checker.valid_table(), columns_in_file=in_file, **base)


_COLUMN_ORDER: Final[dict[str, int]] = {c.name: k for k, c in enumerate(COLUMNS)}


class _RowChecker:
    """Per-row checks over columns of stripped strings; collects issues and typed values."""

    def __init__(
        self,
        n: int,
        numbers: list[int],
        cells: dict[str, list[str]],
        position: dict[str, int],
        districts: gpd.GeoDataFrame | None,
        file_name: str,
    ) -> None:
        self.n = n
        self.numbers = numbers
        self.cells = cells
        self.position = position
        self.districts = districts
        self.file_name = file_name
        self.issues: list[Issue] = []
        self.bad = np.zeros(n, dtype=bool)
        self.out: dict[str, list[Any]] = {c.name: [""] * n for c in COLUMNS}
        self.out["lon"] = [np.nan] * n
        self.out["lat"] = [np.nan] * n
        for c in COLUMNS:
            if c.kind == "int":
                self.out[c.name] = [None] * n
        self.lon = np.full(n, np.nan)
        self.lat = np.full(n, np.nan)
        self.coord_ok = np.zeros(n, dtype=bool)
        self.adcode: list[int | None] = [None] * n
        self.district_names = _district_lookup(districts)

    def add(self, key: str, i: int | None, column: str, value: str, **params: Any) -> None:
        row = self.numbers[i] if i is not None else None
        issue = _issue(key, row=row, column=column, value=value, **params)
        self.issues.append(issue)
        if i is not None and issue.severity == ERROR:
            self.bad[i] = True

    def _required(self, i: int, name: str) -> str | None:
        value = self.cells[name][i]
        if value:
            return value
        if name in self.position:  # a missing column is reported once, in the header
            col = _COLUMN_BY_NAME[name]
            self.add("missing_value", i, name, "", zh=col.zh, name=name)
        else:
            self.bad[i] = True
        return None

    def _integer(self, i: int, name: str) -> int | None:
        text = self.cells[name][i]
        if not text:
            return None
        col = _COLUMN_BY_NAME[name]
        value = _parse_number(text)
        if value is None:
            kind_zh, kind_en = _KIND_ZH["int"]
            self.add("not_a_number", i, name, text, zh=col.zh, name=name, kind_zh=kind_zh, kind_en=kind_en)
            return None
        if not value.is_integer():
            self.add("not_an_integer", i, name, text, zh=col.zh, name=name)
            return None
        if value < 0:
            self.add("negative_capacity", i, name, text, zh=col.zh, name=name)
            return None
        if value > 1e9:
            self.add(
                "out_of_range", i, name, text, zh=col.zh, name=name, range_zh="0–10亿", range_en="0 to 1e9"
            )
            return None
        return int(value)

    def check_rows(self) -> None:
        first_row_of: dict[str, int] = {}
        for i in range(self.n):
            self._check_row(i, first_row_of)

    def _check_row(self, i: int, first_row_of: dict[str, int]) -> None:
        c, out = self.cells, self.out
        fid = self._required(i, "facility_id")
        if fid is not None:
            if fid in first_row_of:
                self.add("duplicate_id", i, "facility_id", fid, first_row=first_row_of[fid])
            else:
                first_row_of[fid] = self.numbers[i]
            if fid.upper().startswith(EXAMPLE_ID_PREFIX):
                self.add("example_row", i, "facility_id", fid, prefix=EXAMPLE_ID_PREFIX)
            out["facility_id"][i] = fid
        name = self._required(i, "name")
        out["name"][i] = name or ""

        category = None
        raw_category = self._required(i, "category")
        if raw_category is not None:
            category = _category_code(raw_category)
            if category is None:
                zh, en = _suggest(raw_category, _CATEGORY_OPTIONS)
                self.add("unknown_category", i, "category", raw_category, suggest_zh=zh, suggest_en=en)
        type_code = None
        raw_type = self._required(i, "type")
        if raw_type is not None:
            type_code = _type_code(raw_type)
            if type_code is None:
                zh, en = _suggest(raw_type, _TYPE_OPTIONS)
                self.add("unknown_type", i, "type", raw_type, suggest_zh=zh, suggest_en=en)
        if category is not None and type_code is not None:
            t = FACILITY_TYPES[type_code]
            if t.category != category:
                self.add(
                    "type_category_mismatch",
                    i,
                    "type",
                    raw_type or "",
                    type_zh=t.zh,
                    type_code=t.code,
                    type_cat_zh=CATEGORIES[t.category].zh,
                    type_cat=t.category,
                    cat_zh=CATEGORIES[category].zh,
                    cat=category,
                )
        out["category"][i] = category or ""
        out["type"][i] = type_code or ""

        raw_district = self._required(i, "district_adcode")
        if raw_district is not None:
            key = unicodedata.normalize("NFKC", raw_district).strip()
            number = _parse_number(key)
            if number is not None and number.is_integer():
                key = str(int(number))
            adcode = self.district_names.get(key) or self.district_names.get(key.casefold())
            if adcode is None:
                self.add("unknown_district", i, "district_adcode", raw_district)
            else:
                self.adcode[i] = adcode
                out["district_adcode"][i] = adcode

        capacity = self._integer(i, "capacity")
        available = self._integer(i, "available_places")
        if capacity is not None and available is not None and available > capacity:
            self.add(
                "available_exceeds_capacity",
                i,
                "available_places",
                c["available_places"][i],
                available=available,
                capacity=capacity,
            )
        out["capacity"][i] = capacity
        out["available_places"][i] = available

        raw_unit = c["capacity_unit"][i]
        unit = ""
        if raw_unit:
            unit = _UNIT_BY_TEXT.get(raw_unit) or _UNIT_BY_TEXT.get(raw_unit.casefold()) or ""
            if not unit:
                self.add("unknown_capacity_unit", i, "capacity_unit", raw_unit)
        elif type_code is not None:
            unit = FACILITY_TYPES[type_code].capacity_unit
        out["capacity_unit"][i] = unit

        hours = c["opening_hours"][i]
        if hours and not is_valid_opening_hours(hours):
            self.add("bad_opening_hours", i, "opening_hours", hours)
        out["opening_hours"][i] = hours

        raw_status = c["status"][i]
        status = "open"
        if raw_status:
            status = _STATUS_BY_TEXT.get(raw_status) or _STATUS_BY_TEXT.get(raw_status.casefold()) or ""
            if not status:
                self.add("bad_status", i, "status", raw_status)
        out["status"][i] = status

        raw_date = c["updated_at"][i]
        if raw_date:
            parsed = parse_date(raw_date)
            if parsed is None:
                self.add("bad_date", i, "updated_at", raw_date)
            out["updated_at"][i] = parsed.isoformat() if parsed else ""

        for text_col in ("township", "address", "phone", "services"):
            out[text_col][i] = c[text_col][i]
        out["source"][i] = c["source"][i] or (
            f"导入 import: {self.file_name}" if self.file_name else "导入 import"
        )

    def check_coordinates(self, crs: str, geocode: Geocoder | None) -> None:
        lon_raw = np.full(self.n, np.nan)
        lat_raw = np.full(self.n, np.nan)
        missing = {"lon": np.zeros(self.n, dtype=bool), "lat": np.zeros(self.n, dtype=bool)}
        for name, target in (("lon", lon_raw), ("lat", lat_raw)):
            col = _COLUMN_BY_NAME[name]
            for i, text in enumerate(self.cells[name]):
                if not text:
                    missing[name][i] = True
                    continue
                value = _parse_number(text)
                if value is None:
                    kind_zh, kind_en = _KIND_ZH["float"]
                    self.add(
                        "not_a_number", i, name, text, zh=col.zh, name=name, kind_zh=kind_zh, kind_en=kind_en
                    )
                else:
                    target[i] = value
        both = np.isfinite(lon_raw) & np.isfinite(lat_raw)
        lon, lat = convert_to_wgs84(lon_raw, lat_raw, crs=crs)
        lon_sw, lat_sw = convert_to_wgs84(lat_raw, lon_raw, crs=crs)
        inside = in_ordos_bounds(lon, lat)
        swapped = both & ~inside & in_ordos_bounds(lon_sw, lat_sw)
        for i in np.flatnonzero(both).tolist():
            lon_t, lat_t = self.cells["lon"][i], self.cells["lat"][i]
            if swapped[i]:
                self.add("lat_lon_swapped", i, "lat", lat_t, lon=lon_t, lat=lat_t)
            elif abs(lon_raw[i]) > 180:
                self.add(
                    "out_of_range", i, "lon", lon_t, zh="经度", name="lon", range_zh="±180", range_en="±180"
                )
            elif abs(lat_raw[i]) > 90:
                self.add(
                    "out_of_range", i, "lat", lat_t, zh="纬度", name="lat", range_zh="±90", range_en="±90"
                )
            elif not inside[i]:
                self.add(
                    "outside_ordos",
                    i,
                    "lon",
                    f"{lon_t}, {lat_t}",
                    lon=lon[i],
                    lat=lat[i],
                    lon_min=_LON_MIN,
                    lon_max=_LON_MAX,
                    lat_min=_LAT_MIN,
                    lat_max=_LAT_MAX,
                )
            else:
                self.coord_ok[i] = True
        absent = missing["lon"] | missing["lat"]
        queries = [self.cells["address"][i] or self.cells["township"][i] for i in range(self.n)]
        geocoded = np.zeros(self.n, dtype=bool)
        if geocode is not None and absent.any():
            lon_g, lat_g, geocoded = geocode_missing(
                np.where(absent, np.nan, 0.0), np.where(absent, np.nan, 0.0), queries, geocode
            )
            lon = np.where(geocoded, lon_g, lon)
            lat = np.where(geocoded, lat_g, lat)
        for i in np.flatnonzero(absent).tolist():
            if geocoded[i]:
                self.add("geocoded", i, "lon", queries[i], query=queries[i], lon=lon[i], lat=lat[i])
                self.out["source"][i] = mark_geocoded(self.out["source"][i])
                self.coord_ok[i] = True
                continue
            name = "lon" if missing["lon"][i] else "lat"
            col = _COLUMN_BY_NAME[name]
            if name not in self.position:
                self.bad[i] = True
            elif geocode is not None and queries[i]:
                self.add("geocode_failed", i, name, "", zh=col.zh, name=name, query=queries[i])
            else:
                self.add("missing_coordinates", i, name, "", zh=col.zh, name=name)
        self.lon = np.where(self.coord_ok, lon, np.nan)
        self.lat = np.where(self.coord_ok, lat, np.nan)
        self.out["lon"] = self.lon.tolist()
        self.out["lat"] = self.lat.tolist()

    def check_districts(self) -> None:
        gdf = self.districts
        if gdf is None or "adcode" not in gdf.columns or len(gdf) == 0:
            return
        codes = np.array([int(a) for a in gdf["adcode"]])
        geoms = np.asarray(gdf.geometry.values, dtype=object)
        known = set(codes.tolist())
        rows = [i for i in range(self.n) if self.coord_ok[i] and self.adcode[i] in known]
        if not rows:
            return
        idx = np.array(rows)
        lookup = {int(c): k for k, c in enumerate(codes)}
        declared = geoms[[lookup[int(self.adcode[i] or 0)] for i in rows]]
        # Points on a boundary count as inside (intersects, not contains).
        inside = shapely.intersects_xy(declared, self.lon[idx], self.lat[idx])
        outside = idx[~inside]
        if not len(outside):
            return
        actual = np.full(len(outside), -1)
        for k, geom in enumerate(geoms):
            hit = shapely.contains_xy(geom, self.lon[outside], self.lat[outside])
            actual[hit & (actual < 0)] = codes[k]
        for i, found in zip(outside, actual, strict=True):
            declared_code = int(self.adcode[i] or 0)
            d_zh, d_en = ORDOS_DISTRICTS.get(declared_code, (str(declared_code), str(declared_code)))
            if found > 0:
                a_zh, a_en = ORDOS_DISTRICTS.get(int(found), (str(found), str(found)))
                actual_zh = f",而是在 {a_zh}({found}) 内"
                actual_en = f" but inside {a_en} ({found})"
            else:
                actual_zh, actual_en = "", ""
            self.add(
                "outside_district",
                int(i),
                "district_adcode",
                self.cells["district_adcode"][i],
                declared=declared_code,
                declared_zh=d_zh,
                declared_en=d_en,
                actual_zh=actual_zh,
                actual_en=actual_en,
            )

    def check_near_duplicates(self) -> None:
        groups: dict[str, list[int]] = {}
        for i in np.flatnonzero(self.coord_ok):
            key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", self.out["name"][i])).casefold()
            if key:
                groups.setdefault(key, []).append(int(i))
        for members in groups.values():
            if len(members) < 2:
                continue
            idx = np.array(members)
            x_m, y_m = to_metric(self.lon[idx], self.lat[idx])
            points = np.column_stack([x_m, y_m])
            reported: set[int] = set()
            for a, b in sorted(cKDTree(points).query_pairs(r=NEAR_DUPLICATE_M)):
                first, later = sorted((members[a], members[b]))
                if later in reported or self.out["facility_id"][first] == self.out["facility_id"][later]:
                    continue
                reported.add(later)
                distance_m = float(np.hypot(*(points[a] - points[b])))
                self.add(
                    "near_duplicate",
                    later,
                    "name",
                    self.out["name"][later],
                    other_row=self.numbers[first],
                    distance_m=distance_m,
                )

    def valid_table(self) -> pd.DataFrame:
        keep = [i for i in range(self.n) if not self.bad[i]]
        data = {name: [values[i] for i in keep] for name, values in self.out.items()}
        return _typed_table(data)
