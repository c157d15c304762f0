"""Reading single cells of a facility file: numbers, dates, opening hours, codes from labels.

Pure functions on text. They accept what Chinese offices type (full-width digits, thousands
separators, ``2025年1月31日``, Chinese labels of types and statuses) and return None when a cell
cannot be read, so that the row checks can report it.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from datetime import date
from typing import Final

import geopandas as gpd
import numpy as np

from geo import io as gio
from geo.schema import (
    CAPACITY_UNIT_ALIASES,
    CAPACITY_UNITS,
    CATEGORIES,
    CATEGORY_ALIASES,
    COLUMNS,
    FACILITY_TYPES,
    HEADER_ALIASES,
    STATUS_ALIASES,
    STATUSES,
    Column,
    normalise_category,
    normalise_header,
    normalise_type,
)
from geo.validation_report import ORDOS_DISTRICTS

__all__ = [
    "CATEGORY_OPTIONS",
    "COLUMN_BY_NAME",
    "HEADER_SUGGESTIONS",
    "TYPE_OPTIONS",
    "category_code",
    "district_lookup",
    "header_name",
    "is_valid_opening_hours",
    "parse_date",
    "parse_number",
    "status_code",
    "suggest",
    "type_code",
    "unit_code",
    "unneutralise",
]

COLUMN_BY_NAME: Final[dict[str, Column]] = {c.name: c for c in COLUMNS}

_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def parse_number(text: str) -> float | None:
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


def suggest(value: str, options: dict[str, str]) -> tuple[str, str]:
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
HEADER_SUGGESTIONS: Final[dict[str, str]] = {
    **{k: f"{COLUMN_BY_NAME[v].zh}/{v}" for k, v in HEADER_ALIASES.items()},
}


def header_name(header: str) -> str | None:
    text = unicodedata.normalize("NFKC", header)
    name = normalise_header(text)
    if name is not None:
        return name
    # Bilingual headers of the templates: "编号/facility_id", "名称 (name)" …
    parts = {normalise_header(p) for p in _HEADER_SPLIT.split(text) if p}
    parts.discard(None)
    return parts.pop() if len(parts) == 1 else None


TYPE_OPTIONS: Final[dict[str, str]] = {
    **{t.code: f"{t.zh} {t.code}" for t in FACILITY_TYPES.values()},
    **{t.zh: f"{t.zh} {t.code}" for t in FACILITY_TYPES.values()},
    **{t.en: f"{t.zh} {t.code}" for t in FACILITY_TYPES.values()},
}
_TYPE_BY_EN: Final[dict[str, str]] = {t.en.casefold(): t.code for t in FACILITY_TYPES.values()}
CATEGORY_OPTIONS: Final[dict[str, str]] = {
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


def unit_code(text: str) -> str:
    """The capacity unit code of a cell (``beds``, ``places``, ``seats``), or "" when unknown."""
    return _UNIT_BY_TEXT.get(text) or _UNIT_BY_TEXT.get(text.casefold()) or ""


def status_code(text: str) -> str:
    """The status code of a cell (``open``, ``planned``, ``closed``), or "" when unknown."""
    return _STATUS_BY_TEXT.get(text) or _STATUS_BY_TEXT.get(text.casefold()) or ""


def type_code(text: str) -> str | None:
    return normalise_type(text) or _TYPE_BY_EN.get(text.strip().casefold())


def category_code(text: str) -> str | None:
    return normalise_category(text) or _CATEGORY_BY_EN.get(text.strip().casefold())


def district_lookup(districts: gpd.GeoDataFrame | None) -> dict[str, int]:
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


def unneutralise(cell: str) -> str:
    # Our own exports prefix formula-like text with an apostrophe; take it off on the way back in.
    if cell.startswith("'") and cell[1:].startswith(gio.FORMULA_PREFIXES):
        return cell[1:]
    return cell
