"""Checks of each row of a facility file: required fields, codes, numbers, dates, coordinates,
districts and cells that look like spreadsheet formulas.

:class:`RowChecker` works on columns of stripped strings (one list per contract column), collects
:class:`~geo.validation_report.Issue` objects and the typed values of every row; rows with an
error are left out of :meth:`RowChecker.valid_table`.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.cell_parse import (
    CATEGORY_OPTIONS,
    COLUMN_BY_NAME,
    TYPE_OPTIONS,
    category_code,
    district_lookup,
    is_valid_opening_hours,
    parse_date,
    parse_number,
    status_code,
    suggest,
    type_code,
    unit_code,
)
from geo.crs import ORDOS_BOUNDS, in_ordos_bounds
from geo.import_coords import Geocoder, convert_to_wgs84, geocode_missing, mark_geocoded
from geo.schema import CATEGORIES, COLUMNS, FACILITY_TYPES
from geo.templates import EXAMPLE_ID_PREFIX
from geo.validation_report import ERROR, ORDOS_DISTRICTS, Issue, make_issue, typed_table

__all__ = ["COLUMN_ORDER", "FORMULA_CHECKED_COLUMNS", "RowChecker", "formula_prefix"]

_KIND_ZH: Final[dict[str, tuple[str, str]]] = {
    "int": ("整数", "a whole number"),
    "float": ("数字", "a number"),
}
_LON_MIN, _LAT_MIN, _LON_MAX, _LAT_MAX = ORDOS_BOUNDS

COLUMN_ORDER: Final[dict[str, int]] = {c.name: k for k, c in enumerate(COLUMNS)}
"""Position of each contract column, to sort a row's issues as the template orders columns."""

FORMULA_CHECKED_COLUMNS: Final[tuple[str, ...]] = tuple(
    c.name for c in COLUMNS if c.kind not in ("int", "float")
)
"""Text columns whose cells are checked for formula-looking content."""

_PREFIX_NAMES: Final[dict[str, str]] = {"\t": "TAB", "\r": "CR"}
# A leading + or - is a formula only when more than a number or a phone number follows.
_SIGNED_NUMBER = re.compile(r"^[+-][\d\s().,/-]*$")


def formula_prefix(text: str) -> str:
    """The character that makes a spreadsheet run ``text`` as a formula, or "" for plain text.

    ``=`` and ``@`` always do; ``+`` and ``-`` do unless a number or phone number follows
    (``+86 477 …``, ``-5``); so do a leading tab or carriage return.
    """
    if not text:
        return ""
    first = text[0]
    if first in ("=", "@", "\t", "\r"):
        return first
    if first in ("+", "-") and not _SIGNED_NUMBER.match(text):
        return first
    return ""


class RowChecker:
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
        self.district_names = district_lookup(districts)

    def add(self, key: str, i: int | None, column: str, value: str, **params: Any) -> None:
        row = self.numbers[i] if i is not None else None
        issue = make_issue(key, row=row, column=column, value=value, **params)
        self.issues.append(issue)
        if i is not None and issue.severity == ERROR:
            self.bad[i] = True

    def _required(self, i: int, name: str) -> str | None:
        value = self.cells[name][i]
        if value:
            return value
        if name in self.position:  # a missing column is reported once, in the header
            col = COLUMN_BY_NAME[name]
            self.add("missing_value", i, name, "", zh=col.zh, name=name)
        else:
            self.bad[i] = True
        return None

    def _integer(self, i: int, name: str) -> int | None:
        text = self.cells[name][i]
        if not text:
            return None
        col = COLUMN_BY_NAME[name]
        value = parse_number(text)
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
            category = category_code(raw_category)
            if category is None:
                zh, en = suggest(raw_category, CATEGORY_OPTIONS)
                self.add("unknown_category", i, "category", raw_category, suggest_zh=zh, suggest_en=en)
        ftype = None
        raw_type = self._required(i, "type")
        if raw_type is not None:
            ftype = type_code(raw_type)
            if ftype is None:
                zh, en = suggest(raw_type, TYPE_OPTIONS)
                self.add("unknown_type", i, "type", raw_type, suggest_zh=zh, suggest_en=en)
        if category is not None and ftype is not None:
            t = FACILITY_TYPES[ftype]
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
        out["type"][i] = ftype or ""

        raw_district = self._required(i, "district_adcode")
        if raw_district is not None:
            key = unicodedata.normalize("NFKC", raw_district).strip()
            number = parse_number(key)
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
            unit = unit_code(raw_unit)
            if not unit:
                self.add("unknown_capacity_unit", i, "capacity_unit", raw_unit)
        elif ftype is not None:
            unit = FACILITY_TYPES[ftype].capacity_unit
        out["capacity_unit"][i] = unit

        hours = c["opening_hours"][i]
        if hours and not is_valid_opening_hours(hours):
            self.add("bad_opening_hours", i, "opening_hours", hours)
        out["opening_hours"][i] = hours

        raw_status = c["status"][i]
        status = "open"
        if raw_status:
            status = status_code(raw_status)
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
            col = COLUMN_BY_NAME[name]
            for i, text in enumerate(self.cells[name]):
                if not text:
                    missing[name][i] = True
                    continue
                value = parse_number(text)
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
            col = COLUMN_BY_NAME[name]
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

    def check_formulas(self) -> None:
        """Warn about text cells a spreadsheet would run as a formula (``=HYPERLINK(…)``)."""
        for name in FORMULA_CHECKED_COLUMNS:
            if name not in self.position:
                continue
            col = COLUMN_BY_NAME[name]
            for i, text in enumerate(self.cells[name]):
                prefix = formula_prefix(text)
                if prefix:
                    shown = _PREFIX_NAMES.get(prefix, prefix)
                    self.add("formula_cell", i, name, text, zh=col.zh, name=name, prefix=shown)

    def valid_rows(self) -> list[int]:
        """Indexes of the rows without errors, in file order."""
        return [i for i in range(self.n) if not self.bad[i]]

    def valid_numbers(self) -> list[int]:
        """Spreadsheet row numbers of the rows without errors (the rows of :meth:`valid_table`)."""
        return [self.numbers[i] for i in self.valid_rows()]

    def valid_table(self) -> pd.DataFrame:
        keep = [i for i in range(self.n) if not self.bad[i]]
        data = {name: [values[i] for i in keep] for name, values in self.out.items()}
        return typed_table(data)
