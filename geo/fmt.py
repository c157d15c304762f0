"""Numbers for people to read: one helper for the pages, the downloads and the reports.

Every figure a planner sees goes through here, so a value reads the same on the coverage page, in
the CSV/XLSX/HTML downloads and in the PDF/DOCX/HTML report:

* people and counts with thousands separators (``1,234,567``);
* covered shares as percentages with one decimal (``45.3%``), changes in percentage points with a
  sign (``+0.7 个百分点`` / ``+0.7 pp``);
* capacity per 1,000 people with two decimals (``4.86``), minutes with one decimal;
* longitude and latitude with five decimals (about a metre).

Chinese and English both group thousands with a comma and use a decimal point, so only the words
(units, "percentage points") differ between the two languages.

A column's *kind* (:func:`kind_of`) decides how its values are shown: :func:`value` gives the text,
:func:`printf` the format of a Streamlit number column, :func:`excel_format` the number format of an
XLSX cell and :func:`for_files` the plain numbers written to CSV and XLSX.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final, Literal

import pandas as pd

from geo.errors import DataError
from geo.options import LANGS as LANGS

__all__ = [
    "LANGS",
    "Kind",
    "check_lang",
    "coord",
    "count",
    "display_frame",
    "excel_format",
    "for_files",
    "for_page",
    "kind_of",
    "minutes",
    "page_values",
    "people",
    "per_1000",
    "pp",
    "printf",
    "share",
    "speed",
    "value",
]

DASH: Final[str] = "–"

Kind = Literal["people", "count", "share", "per_1000", "minutes", "coord", "text"]

_PEOPLE_SUFFIXES: Final[tuple[str, ...]] = (
    "_covered",
    "_oversubscribed",
    "_uncovered",
    "gained",
    "lost",
    "net",
)
_PEOPLE_NAMES: Final[frozenset[str]] = frozenset(
    {
        "pop_total",
        "pop_60plus",
        "pop_0_3",
        "gain",
        "cumulative_covered",
        "covered",
        "uncovered",
        "people",
        "before",
        "after",
        "change",
    }
)
_COUNT_NAMES: Final[frozenset[str]] = frozenset(
    {"facilities", "capacity", "beds", "child_places", "rank", "step", "cells"}
)


def check_lang(lang: str) -> str:
    """``lang`` if it is ``zh`` or ``en``; otherwise a bilingual :class:`~geo.errors.DataError`."""
    if lang not in LANGS:
        msg = f"不支持的语言 {lang!r},请用 zh 或 en。 / Unknown language {lang!r}; use zh or en."
        raise DataError(msg)
    return lang


def _finite(value: object) -> float | None:
    if value is None or value is pd.NA:
        return None
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def people(value: object, lang: str = "zh") -> str:
    """A number of people (or any count) rounded to a whole number, with thousands separators."""
    f = _finite(value)
    return DASH if f is None else f"{round(f):,}"


count = people


def share(value: object, lang: str = "zh") -> str:
    """A share 0–1 as a percentage with one decimal: ``0.4534`` → ``45.3%``."""
    f = _finite(value)
    return DASH if f is None else f"{f * 100:,.1f}%"


def pp(delta: object, lang: str = "zh") -> str:
    """A change of a share (0–1 scale) in percentage points with its sign: ``+0.7 个百分点`` / ``+0.7 pp``."""
    f = _finite(delta)
    if f is None:
        return DASH
    points = round(f * 100, 1)
    text = "0.0" if points == 0 else f"{points:+,.1f}"
    return f"{text} 个百分点" if check_lang(lang) == "zh" else f"{text} pp"


def per_1000(value: object, lang: str = "zh") -> str:
    """Capacity per 1,000 people with two decimals (``4.86``)."""
    f = _finite(value)
    return DASH if f is None else f"{f:,.2f}"


def minutes(value: object, lang: str = "zh", *, unit: bool = True) -> str:
    """Minutes with one decimal (whole minutes without one): ``12.5 分钟`` / ``12.5 min``."""
    f = _finite(value)
    if f is None:
        return DASH
    number = f"{f:,.0f}" if float(f).is_integer() else f"{f:,.1f}"
    if not unit:
        return number
    return f"{number} 分钟" if check_lang(lang) == "zh" else f"{number} min"


def coord(value: object, lang: str = "zh") -> str:
    """A longitude or latitude in degrees with five decimals (about a metre)."""
    f = _finite(value)
    return DASH if f is None else f"{f:.5f}"


def speed(m_per_min: object, lang: str = "zh") -> str:
    """A speed in metres per minute, whole, with the km/h in brackets: ``60 米/分钟(3.6 公里/小时)``."""
    f = _finite(m_per_min)
    if f is None:
        return DASH
    kmh = f * 60 / 1000
    if check_lang(lang) == "zh":
        return f"{f:,.0f} 米/分钟({kmh:,.1f} 公里/小时)"
    return f"{f:,.0f} m/min ({kmh:,.1f} km/h)"


# ---------------------------------------------------------------------------------------------------
# Columns


def kind_of(column: str) -> Kind:
    """How the values of a coverage, gap, suggestion or comparison column are shown."""
    col = str(column)
    if col.endswith("_share") or col.startswith("share"):
        return "share"
    if "per_1000" in col:
        return "per_1000"
    if col == "minutes" or col.endswith("_min"):
        return "minutes"
    if col in ("lon", "lat"):
        return "coord"
    if col in _PEOPLE_NAMES or col.endswith(_PEOPLE_SUFFIXES):
        return "people"
    if col in _COUNT_NAMES:
        return "count"
    return "text"


_FORMATTERS: Final[dict[str, Callable[[object, str], str]]] = {
    "people": people,
    "count": count,
    "share": share,
    "per_1000": per_1000,
    "minutes": lambda v, lang: minutes(v, lang, unit=False),
    "coord": coord,
}


def value(v: object, kind: Kind, lang: str = "zh") -> str:
    """``v`` shown as a value of ``kind`` (text is passed through; missing values are a dash)."""
    formatter = _FORMATTERS.get(kind)
    if formatter is not None:
        return formatter(v, lang)
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v)


def display_frame(frame: pd.DataFrame, lang: str, *, label: Callable[[str], str]) -> pd.DataFrame:
    """The table as text for a report or an HTML page: values formatted by kind, headers by ``label``."""
    check_lang(lang)
    columns = [[value(v, kind_of(str(col)), lang) for v in frame[col]] for col in frame.columns]
    labels = [label(str(col)) for col in frame.columns]  # may repeat under a group header
    rows = list(zip(*columns, strict=True)) if columns else []
    return pd.DataFrame(rows, columns=labels)


def printf(kind: Kind) -> str | None:
    """Streamlit ``NumberColumn`` format of a kind (shares are shown from :func:`for_page` values)."""
    return {
        "people": "%,d",
        "count": "%,d",
        "share": "%.1f%%",
        "per_1000": "%.2f",
        "minutes": "%.1f",
        "coord": "%.5f",
    }.get(kind)


def excel_format(kind: Kind) -> str | None:
    """Excel number format of a kind, for the values of :func:`for_files`."""
    return {
        "people": "#,##0",
        "count": "#,##0",
        "share": "0.0",
        "per_1000": "0.00",
        "minutes": "0.0",
        "coord": "0.000000",
    }.get(kind)


def for_page(frame: pd.DataFrame) -> pd.DataFrame:
    """Values for an interactive table: shares as percentages (×100), everything else as it is."""
    out = frame.copy()
    for col in out.columns:
        if kind_of(str(col)) == "share":
            out[col] = page_values(str(col), out[col])
    return out


def page_values(column: str, values: pd.Series) -> pd.Series:
    """One column of :func:`for_page`: shares as percentages (×100), everything else as it is."""
    return pd.to_numeric(values, errors="coerce") * 100 if kind_of(column) == "share" else values


def for_files(frame: pd.DataFrame) -> pd.DataFrame:
    """Plain numbers for CSV and XLSX: shares as percentages with one decimal, others rounded by kind.

    People stay whole numbers, per-1,000 figures get two decimals, minutes one, coordinates six;
    missing and infinite values become empty cells.
    """
    out = frame.copy()
    for col in out.columns:
        kind = kind_of(str(col))
        if kind == "text":
            continue
        numbers = pd.to_numeric(out[col], errors="coerce").astype(float)
        numbers = numbers.where(numbers.abs() != math.inf)
        if kind == "share":
            out[col] = (numbers * 100).round(1)
        elif kind in ("people", "count"):
            out[col] = numbers.round().astype("Int64")
        elif kind == "per_1000":
            out[col] = numbers.round(2)
        elif kind == "minutes":
            out[col] = numbers.round(1)
        else:
            out[col] = numbers.round(6)
    return out
