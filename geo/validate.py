"""Row-by-row validation of a facility file: a report of issues, never an exception.

``validate_bytes`` takes the bytes a member of data staff uploads (CSV in UTF-8 with or without
BOM or GB18030/GBK, comma/tab/semicolon separated, or XLSX), ``validate_table`` a table of
strings. Both return a :class:`ValidationResult`: one :class:`Issue` per problem, with the row as
the user counts rows in their spreadsheet (header = row 1, first data row = row 2), the column,
a code, a severity, the offending value and a message in Chinese and English that says how to
fix it; plus the valid rows as a typed facility table in WGS84.

Errors exclude a row (and, as the importer publishes all or nothing, block the import);
warnings do not. Coordinates are checked after conversion from the stated CRS to WGS84.

The jobs live in their own modules; this one runs them in order:

- :mod:`geo.table_read` reads the bytes into a table of strings within :class:`ReadLimits`
  (:mod:`geo.xlsx_stream` for workbooks);
- :mod:`geo.cell_parse` reads single cells, :mod:`geo.row_checks` checks each row;
- :mod:`geo.duplicates` finds rows that may be the same facility, in the file and against the
  published version;
- :mod:`geo.validation_report` holds the messages, :class:`Issue` and :class:`ValidationResult`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.cell_parse import COLUMN_BY_NAME, HEADER_SUGGESTIONS, header_name, suggest, unneutralise
from geo.cell_parse import is_valid_opening_hours as is_valid_opening_hours
from geo.cell_parse import parse_date as parse_date
from geo.crs import normalize_crs
from geo.duplicates import DuplicateSettings, duplicate_issues, find_duplicates
from geo.errors import DataError
from geo.import_coords import Geocoder
from geo.row_checks import COLUMN_ORDER, RowChecker
from geo.schema import COLUMNS, REQUIRED_COLUMNS
from geo.table_read import (
    LIMITS_EN,
    LIMITS_ZH,
    MAX_BYTES,
    MAX_COLUMNS,
    MAX_ROWS,
    ReadLimits,
    TableRefused,
    read_table,
)
from geo.validation_report import (
    ERROR,
    MESSAGES,
    ORDOS_DISTRICTS,
    REPORT_COLUMNS,
    WARNING,
    DuplicatePair,
    Issue,
    ValidationResult,
    make_issue,
)

__all__ = [
    "ERROR",
    "LIMITS_EN",
    "LIMITS_ZH",
    "MAX_BYTES",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "MESSAGES",
    "ORDOS_DISTRICTS",
    "REPORT_COLUMNS",
    "WARNING",
    "DuplicatePair",
    "DuplicateSettings",
    "Issue",
    "ReadLimits",
    "ValidationResult",
    "is_valid_opening_hours",
    "parse_date",
    "validate_bytes",
    "validate_table",
]


def validate_bytes(
    data: bytes,
    *,
    file_name: str,
    crs: str = "wgs84",
    districts: gpd.GeoDataFrame | None = None,
    max_rows: int = MAX_ROWS,
    max_bytes: int = MAX_BYTES,
    geocode: Geocoder | None = None,
    limits: ReadLimits | None = None,
    published: pd.DataFrame | None = None,
    dismissed: Collection[tuple[str, str]] = (),
    duplicates: DuplicateSettings | None = None,
) -> ValidationResult:
    """Validate an uploaded facility file; never raises.

    Parameters
    ----------
    data
        The file's bytes: CSV (UTF-8 with or without BOM, GB18030/GBK; comma, tab or semicolon)
        or XLSX (recognised by its ``PK`` signature or an ``.xlsx`` name; the first sheet is read).
        Read them with :func:`geo.safeio.read_limited` first.
    file_name
        The uploaded file's name; used to recognise XLSX and to fill empty ``source`` cells.
    crs
        Coordinate system of the file's ``lon``/``lat``: ``wgs84``, ``gcj02`` or ``bd09``.
    districts
        The districts GeoDataFrame (``adcode``, geometry in WGS84), to warn about points outside
        their declared district; without it that check is skipped.
    max_rows, max_bytes
        Shortcuts for the two limits most often changed (default :data:`MAX_ROWS`,
        :data:`MAX_BYTES`); they override ``limits``.
    geocode
        Optional address lookup (WGS84) for rows without coordinates; found rows are marked as
        geocoded in ``source`` and reported as a warning.
    limits
        Every reading limit (default :class:`ReadLimits`).
    published
        The published facilities, to find rows that re-enter one of them under a new id.
    dismissed
        Pairs of ids marked "not a duplicate" (sorted tuples): not reported again.
    duplicates
        When two rows count as possible duplicates (default :class:`DuplicateSettings`).

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
        base_limits = limits or ReadLimits()
        read_limits = ReadLimits(
            max_bytes=max_bytes if max_bytes != MAX_BYTES else base_limits.max_bytes,
            max_rows=max_rows if max_rows != MAX_ROWS else base_limits.max_rows,
            max_columns=base_limits.max_columns,
            xlsx=base_limits.xlsx,
        )
        try:
            raw_table = read_table(raw, file_name=str(file_name), limits=read_limits)
        except TableRefused as refused:
            return ValidationResult(
                [refused.issue],
                encoding=refused.encoding,
                delimiter=refused.delimiter,
                n_rows=refused.n_rows,
                **base,
            )
        return validate_table(
            raw_table.table,
            file_name=file_name,
            crs=crs,
            districts=districts,
            max_rows=read_limits.max_rows,
            geocode=geocode,
            row_numbers=raw_table.numbers,
            encoding=raw_table.encoding,
            delimiter=raw_table.delimiter,
            sha256=sha,
            published=published,
            dismissed=dismissed,
            duplicates=duplicates,
        )
    except Exception as exc:  # the contract: report, never raise
        return ValidationResult([make_issue("internal_error", detail=type(exc).__name__)], **base)


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
    published: pd.DataFrame | None = None,
    dismissed: Collection[tuple[str, str]] = (),
    duplicates: DuplicateSettings | None = None,
) -> ValidationResult:
    """Validate a facility table of strings; never raises.

    Parameters
    ----------
    table
        One row per facility, headers as in the file (English or Chinese, any order), cells as
        text (other values are turned into text; missing values count as empty).
    file_name, crs, districts, max_rows, geocode, published, dismissed, duplicates
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
            published=published,
            dismissed=dismissed,
            duplicates=duplicates,
        )
    except Exception as exc:  # the contract: report, never raise
        return ValidationResult([make_issue("internal_error", detail=type(exc).__name__)], **base)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and np.isnan(value):
        return ""
    if value is pd.NA or value is pd.NaT:
        return ""
    return str(value)


def _header_positions(headers: list[str], columns_: list[list[str]]) -> tuple[dict[str, int], list[Issue]]:
    """Contract column -> position in the file, and the header problems."""
    position: dict[str, int] = {}
    issues: list[Issue] = []
    for j, header in enumerate(headers):
        name = header_name(header)
        if name is None:
            if header or any(v.strip() for v in columns_[j]):
                zh, en = suggest(header, HEADER_SUGGESTIONS)
                issues.append(
                    make_issue(
                        "unknown_header", row=1, column=header, value=header, suggest_zh=zh, suggest_en=en
                    )
                )
            continue
        if name in position:
            col = COLUMN_BY_NAME[name]
            issues.append(
                make_issue(
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
    return position, issues


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
    published: pd.DataFrame | None,
    dismissed: Collection[tuple[str, str]],
    duplicates: DuplicateSettings | None,
) -> ValidationResult:
    if not isinstance(table, pd.DataFrame):
        return ValidationResult([make_issue("not_a_table", detail=type(table).__name__)], **base)
    n = len(table)
    base["n_rows"] = n
    if n > max_rows:
        return ValidationResult([make_issue("too_many_rows", n=n, limit=max_rows)], **base)
    try:
        crs_name = normalize_crs(crs)
    except DataError:
        return ValidationResult([make_issue("unknown_crs", value=str(crs))], **base)
    if table.shape[1] == 0:
        return ValidationResult([make_issue("empty_file")], **base)

    headers = [_cell(h).strip() for h in table.columns]
    columns_ = [[_cell(v) for v in table.iloc[:, j].tolist()] for j in range(table.shape[1])]
    position, issues = _header_positions(headers, columns_)
    if not position:
        return ValidationResult([make_issue("no_known_header", row=1)], **base)
    for name in REQUIRED_COLUMNS:
        if name not in position:
            col = COLUMN_BY_NAME[name]
            issues.append(make_issue("missing_header", row=1, column=name, zh=col.zh, name=name))
    if n == 0:
        issues.append(make_issue("no_rows"))
        return ValidationResult(issues, **base)

    numbers = (
        list(row_numbers) if row_numbers is not None and len(row_numbers) == n else list(range(2, n + 2))
    )
    cells = {
        name: [unneutralise(v.strip()) for v in columns_[j]] if name in position else [""] * n
        for name, j in ((c.name, position.get(c.name, -1)) for c in COLUMNS)
    }
    checker = RowChecker(n, numbers, cells, position, districts, file_name)
    extra = table.attrs.get("extra_cells")
    if isinstance(extra, list) and len(extra) == n:
        for i, k in enumerate(extra):
            if k:
                checker.add("extra_cells", i, "", "", n=k)
    checker.check_rows()
    checker.check_coordinates(crs_name, geocode)
    checker.check_districts()
    checker.check_formulas()
    valid = checker.valid_table()
    pairs = find_duplicates(
        valid, checker.valid_numbers(), published=published, dismissed=dismissed, settings=duplicates
    )
    townships = dict(zip(valid["facility_id"].astype(str), valid["township"].astype(str), strict=True))
    row_issues = checker.issues + duplicate_issues(pairs, townships)
    issues.extend(sorted(row_issues, key=lambda i: (i.row or 0, COLUMN_ORDER.get(i.column, 99))))
    in_file = tuple(c.name for c in COLUMNS if c.name in position)
    return ValidationResult(issues, valid, columns_in_file=in_file, duplicates=tuple(pairs), **base)
