"""Facility templates to download (CSV and XLSX) and the XLSX reader and writer.

Templates carry bilingual headers (``编号/facility_id``; the validator accepts them as well as the
plain English or Chinese header) and example rows that pass validation. The XLSX template adds a
guide sheet explaining every column and a sheet with the facility types.

Everything here works on bytes; nothing touches files.
"""

from __future__ import annotations

import io
from typing import Any, Final

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font

from geo.io import neutralise_formula
from geo.schema import CAPACITY_UNITS, CATEGORIES, COLUMN_NAMES, COLUMNS, FACILITY_TYPES, STATUSES

__all__ = [
    "EXAMPLE_ID_PREFIX",
    "XLSX_MAGIC",
    "example_rows",
    "facilities_xlsx_bytes",
    "template_csv_bytes",
    "template_headers",
    "template_xlsx_bytes",
]

XLSX_MAGIC: Final[bytes] = b"PK\x03\x04"
EXAMPLE_ID_PREFIX: Final[str] = "EXAMPLE-"

_EXAMPLE_SOURCE = "示例行,导入前请删除 / example row, delete before importing"

# WGS84 points at the seats of three banners/districts (datasets/ordos_banner_seats.csv).
_EXAMPLES: Final[tuple[dict[str, str], ...]] = (
    {
        "facility_id": "EXAMPLE-001",
        "name": "示例社区养老服务站",
        "category": "elderly",
        "type": "community_station",
        "district_adcode": "150602",
        "township": "示例街道",
        "address": "东胜区示例路1号",
        "lon": "109.97763",
        "lat": "39.81609",
        "capacity": "20",
        "capacity_unit": "beds",
        "available_places": "3",
        "opening_hours": "Mo-Fr 08:00-18:00; Sa 09:00-12:00; PH off",
        "phone": "0477-0000000",
        "services": "助餐;日间照料;健康监测",
        "status": "open",
        "updated_at": "2025-01-15",
        "source": _EXAMPLE_SOURCE,
    },
    {
        "facility_id": "EXAMPLE-002",
        "name": "示例托育机构",
        "category": "托育/儿童",
        "type": "托育机构",
        "district_adcode": "150603",
        "township": "示例街道",
        "address": "康巴什区示例路2号",
        "lon": "109.78157",
        "lat": "39.6086",
        "capacity": "60",
        "capacity_unit": "托位",
        "available_places": "12",
        "opening_hours": "Mo-Fr 07:30-17:30",
        "phone": "0477-0000001",
        "services": "全日托;临时托",
        "status": "运营",
        "updated_at": "2025-02-01",
        "source": _EXAMPLE_SOURCE,
    },
    {
        "facility_id": "EXAMPLE-003",
        "name": "示例嘎查村养老服务站",
        "category": "养老",
        "type": "嘎查村养老服务站",
        "district_adcode": "150621",
        "township": "示例镇",
        "address": "达拉特旗示例嘎查",
        "lon": "110.02694",
        "lat": "40.39278",
        "capacity": "",
        "capacity_unit": "",
        "available_places": "",
        "opening_hours": "",
        "phone": "",
        "services": "互助养老",
        "status": "planned",
        "updated_at": "",
        "source": _EXAMPLE_SOURCE,
    },
)


def template_headers() -> list[str]:
    """Bilingual template headers, Chinese first: ``编号/facility_id`` …"""
    return [f"{c.zh}/{c.name}" for c in COLUMNS]


def example_rows() -> pd.DataFrame:
    """The template's example rows as a table of strings under the canonical headers."""
    return pd.DataFrame([dict(r) for r in _EXAMPLES], columns=list(COLUMN_NAMES), dtype=object)


def template_csv_bytes() -> bytes:
    """The CSV template: UTF-8 with BOM (Excel shows the Chinese right), bilingual headers, examples."""
    table = example_rows()
    table.columns = pd.Index(template_headers())
    return table.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def _write_sheet(ws: Any, header: list[str], rows: list[list[Any]]) -> None:
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([neutralise_formula(v) for v in row])
    # openpyxl turns any string starting with "=" into a formula; force every text cell to text.
    for row_cells in ws.iter_rows(min_row=2):
        for cell in row_cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    for i, title in enumerate(header, start=1):
        width = min(40, max(10, len(str(title)) + 4))
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = width


def template_xlsx_bytes() -> bytes:
    """The XLSX template: a data sheet with examples, a guide to every column, and the type list."""
    wb = Workbook()
    ws = wb.active
    ws.title = "设施 facilities"
    _write_sheet(ws, template_headers(), example_rows().to_numpy().tolist())
    guide = wb.create_sheet("说明 guide")
    guide_rows: list[list[Any]] = [
        [c.zh, c.name, "必填 required" if c.required else "选填 optional", c.help_zh, c.help_en]
        for c in COLUMNS
    ]
    guide_rows += [
        [],
        ["类别 category", " | ".join(f"{k} {v.zh}" for k, v in CATEGORIES.items())],
        ["容量单位 capacity_unit", " | ".join(f"{k} {zh}" for k, (zh, _) in CAPACITY_UNITS.items())],
        ["状态 status", " | ".join(f"{k} {zh}" for k, (zh, _) in STATUSES.items())],
        [
            "坐标 coordinates",
            "导入时说明坐标系:WGS84 / GCJ-02(高德、腾讯)/ BD-09(百度)",
            "state the CRS on import",
        ],
        [
            "示例行 examples",
            "以 EXAMPLE- 开头的示例行导入前请删除",
            "delete the EXAMPLE- rows before importing",
        ],
    ]
    _write_sheet(guide, ["中文表头", "English header", "必填 required", "说明", "help"], guide_rows)
    types = wb.create_sheet("类型 types")
    type_rows: list[list[Any]] = [
        [t.code, t.zh, t.en, t.category, CATEGORIES[t.category].zh, t.capacity_unit]
        for t in FACILITY_TYPES.values()
    ]
    _write_sheet(types, ["code", "中文名称", "English", "category", "类别", "capacity_unit"], type_rows)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def facilities_xlsx_bytes(df: pd.DataFrame, *, sheet_title: str = "设施 facilities") -> bytes:
    """Facilities as an XLSX workbook: canonical headers, Chinese intact, formulas neutralised.

    Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
    ``@``, tab or carriage return) get a leading apostrophe, as in the CSV export, and every text
    cell is stored as text, never as a formula.
    """
    rows: list[list[Any]] = []
    for record in df.to_dict(orient="records"):
        row: list[Any] = []
        for value in record.values():
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                row.append(None)
            elif hasattr(value, "item"):  # numpy scalars
                row.append(value.item())
            else:
                row.append(value)
        rows.append(row)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title[:31]
    _write_sheet(ws, [str(c) for c in df.columns], rows)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
