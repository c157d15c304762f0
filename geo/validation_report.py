"""The validation report: issues (row, column, code, severity, message in Chinese and English) and
the result of validating one file.

Every message a clerk can see is in :data:`MESSAGES`, keyed by a stable code, with both languages
side by side so they cannot drift apart. :func:`make_issue` fills a template in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from geo import io as gio
from geo.schema import COLUMNS
from geo.severity import ERROR, WARNING, IssueCounts

__all__ = [
    "ERROR",
    "MESSAGES",
    "ORDOS_DISTRICTS",
    "REPORT_COLUMNS",
    "WARNING",
    "DuplicatePair",
    "Issue",
    "ValidationResult",
    "empty_table",
    "make_issue",
    "split_bilingual",
    "typed_table",
]


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

_SEVERITY_ZH: Final[dict[str, str]] = {ERROR: "错误", WARNING: "警告"}
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
    "too_many_rows_at_least": (
        "too_many_rows",
        ERROR,
        "文件至少有 {n:,} 行数据,超过上限 {limit:,} 行;请拆分为几个文件分别导入(用“新增/更新”方式)。",
        "The file has at least {n:,} data rows, above the limit of {limit:,}; split it into several files "
        "and import them one by one in upsert mode.",
    ),
    "too_many_columns": (
        "too_many_columns",
        ERROR,
        "表头(第 {line} 行)有 {n:,} 列,超过上限 {limit:,} 列;设施表只需要模板中的约 20 列,请删除多余的列。",
        "The header (row {line}) has {n:,} columns, above the limit of {limit:,}; a facility table needs "
        "only the template's 20 or so columns: delete the others.",
    ),
    "limit_exceeded": (
        "limit_exceeded",
        ERROR,
        "{detail_zh}",
        "{detail_en}",
    ),
    "xlsx_unreadable": (
        "not_a_table",
        ERROR,
        "{detail_zh}",
        "{detail_en}",
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
    "duplicate_in_file": (
        "possible_duplicate",
        WARNING,
        "可能与第 {other_row} 行(编号 {other_id},“{other_name}”)是同一设施:{why_zh};"
        "如确为两个设施,可标记为“不是重复”。",
        "Possibly the same facility as row {other_row} (id {other_id}, '{other_name}'): {why_en}; "
        "if they are two facilities, mark the pair as 'not a duplicate'.",
    ),
    "duplicate_of_published": (
        "possible_duplicate",
        WARNING,
        "可能与已发布设施 {other_id}(“{other_name}”)是同一设施,却用了新编号:{why_zh};"
        "可合并到 {other_id}(作为对它的更新),如确为两个设施可标记为“不是重复”。",
        "Possibly the same facility as the published {other_id} ('{other_name}') under a new id: "
        "{why_en}; merge it into {other_id} (as an update of it), or mark the pair as 'not a "
        "duplicate' if they are two facilities.",
    ),
    "formula_cell": (
        "formula_cell",
        WARNING,
        "“{zh}”的内容以 {prefix} 开头,看起来像电子表格公式;将按文字保存,导出时会加前缀 ' 使其不被执行。"
        "请确认这是想要的内容。",
        "'{name}' starts with {prefix} and looks like a spreadsheet formula; it is stored as text and "
        "prefixed with ' on export so that it never runs. Check that this is what you meant.",
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


def make_issue(
    key: str, *, row: int | None = None, column: str = "", value: str = "", **params: Any
) -> Issue:
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


def empty_table() -> pd.DataFrame:
    return typed_table({c.name: [] for c in COLUMNS})


def typed_table(data: dict[str, list[Any]]) -> pd.DataFrame:
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
class DuplicatePair:
    """Two rows that may be the same facility: a file row and another file row or a published one.

    Attributes
    ----------
    row
        Spreadsheet row of the (later) file row.
    facility_id, name
        That row's id and name as in the file.
    other_row
        Spreadsheet row of the earlier file row; None when the other is a published facility.
    other_id, other_name
        The other row's (or published facility's) id and name.
    reasons
        Why they look alike: ``similar_name`` (within the radius), ``same_phone``,
        ``same_address`` (both in the same township).
    distance_m
        Distance between the two points (metres); None when a point is missing.
    name_similarity
        Similarity of the normalised names, 0–100.
    """

    row: int
    facility_id: str
    name: str
    other_row: int | None
    other_id: str
    other_name: str
    reasons: tuple[str, ...]
    distance_m: float | None
    name_similarity: float

    @property
    def key(self) -> tuple[str, str]:
        """The pair of ids, ordered: how a "not a duplicate" mark is stored."""
        a, b = sorted((self.facility_id, self.other_id))
        return a, b

    @property
    def against_published(self) -> bool:
        """Whether the other row is a published facility (it can be merged into)."""
        return self.other_row is None


def split_bilingual(message: str) -> tuple[str, str]:
    """The Chinese and English halves of a ``"中文。 / English."`` message (both halves if no separator)."""
    zh, sep, en = message.partition(" / ")
    return (zh.strip(), en.strip()) if sep else (message, message)


@dataclass(frozen=True)
class ValidationResult(IssueCounts):
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
    duplicates
        Pairs of rows that may be the same facility (also reported as ``possible_duplicate``
        warnings), within the file and against the published version.
    """

    issues: list[Issue] = field(default_factory=list)
    table: pd.DataFrame = field(default_factory=empty_table)
    file_name: str = ""
    crs: str = "wgs84"
    encoding: str = ""
    delimiter: str = ""
    sha256: str = ""
    n_rows: int = 0
    columns_in_file: tuple[str, ...] = ()
    duplicates: tuple[DuplicatePair, ...] = ()

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
