"""Reading an uploaded facility file into a table of strings, within limits.

The file's bytes (already read with :func:`geo.safeio.read_limited`) are recognised as XLSX (by
their ``PK`` signature or an ``.xlsx`` name) or CSV (UTF-8 with or without BOM, GB18030/GBK;
comma, tab or semicolon). Every limit is a field of :class:`ReadLimits`, passed in: bytes, data
rows, columns, and for XLSX the archive and XML limits of :class:`geo.xlsx_stream.XlsxLimits`.
What cannot be read comes back as a :class:`TableRefused` carrying the issue for the report.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Final

import pandas as pd

from geo import io as gio
from geo.errors import DataError
from geo.safeio import format_size
from geo.templates import XLSX_MAGIC
from geo.validation_report import Issue, make_issue, split_bilingual
from geo.xlsx_stream import SheetTooLarge, WorkbookUnreadable, XlsxLimits, read_xlsx_table

__all__ = [
    "LIMITS_EN",
    "LIMITS_ZH",
    "MAX_BYTES",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "RawTable",
    "ReadLimits",
    "TableRefused",
    "describe_limits",
    "read_csv_text",
    "read_table",
]

MAX_BYTES: Final[int] = 8 * 1024 * 1024
"""Largest accepted upload (bytes): 8 MB, room for 20,000 rows of about 400 bytes each."""
MAX_ROWS: Final[int] = 20_000
"""Most data rows accepted in one file."""
MAX_COLUMNS: Final[int] = 200
"""Most columns a header may have (the contract has 17, templates add a few)."""

LIMITS_ZH: Final[str] = f"文件不超过 {MAX_BYTES // (1024 * 1024)} MB、{MAX_ROWS:,} 行"
"""The upload limits in words, for the data page."""
LIMITS_EN: Final[str] = f"files up to {MAX_BYTES // (1024 * 1024)} MB and {MAX_ROWS:,} rows"

_OLD_XLS_MAGIC: Final[bytes] = b"\xd0\xcf\x11\xe0"


@dataclass(frozen=True)
class ReadLimits:
    """How much of an uploaded file is read before it is refused.

    Attributes
    ----------
    max_bytes
        Largest file (bytes); larger files are not parsed at all.
    max_rows
        Most data rows; more is an error (the rows are counted, not kept).
    max_columns
        Most columns of the header row.
    xlsx
        Archive and XML limits of workbooks.
    """

    max_bytes: int = MAX_BYTES
    max_rows: int = MAX_ROWS
    max_columns: int = MAX_COLUMNS
    xlsx: XlsxLimits = field(default_factory=XlsxLimits)


@dataclass(frozen=True)
class RawTable:
    """A file read as a table of strings, before any row is checked.

    Attributes
    ----------
    table
        Header as written, cells as stripped text; at most ``max_rows`` rows. For CSV,
        ``table.attrs["extra_cells"]`` counts the filled cells beyond the header of each row.
    numbers
        Spreadsheet row number of each kept row (blank rows are skipped but counted).
    n_data
        Data rows in the file, kept or not.
    encoding, delimiter
        How the file was read (``xlsx`` and "" for workbooks).
    """

    table: pd.DataFrame
    numbers: list[int]
    n_data: int
    encoding: str
    delimiter: str


class TableRefused(Exception):
    """The file cannot be read as a table; ``issue`` says why, for the report."""

    def __init__(self, issue: Issue, *, encoding: str = "", delimiter: str = "", n_rows: int = 0) -> None:
        super().__init__(issue.message_en)
        self.issue = issue
        self.encoding = encoding
        self.delimiter = delimiter
        self.n_rows = n_rows


def read_csv_text(
    text: str, delimiter: str, *, max_rows: int, max_columns: int = MAX_COLUMNS
) -> tuple[pd.DataFrame, list[int], int]:
    """Header and data rows of CSV text with their spreadsheet row numbers.

    Blank rows are skipped but counted in the row numbers. Rows beyond ``max_rows`` are counted
    (as non-blank lines), not parsed; cells beyond the header's width are counted
    (``attrs["extra_cells"]``), not kept.

    Raises
    ------
    TableRefused
        When the header has more than ``max_columns`` columns.
    csv.Error
        When the text is not CSV (e.g. a field longer than the csv module allows).
    """
    first = text[: text.find("\n") if "\n" in text else len(text)]
    if first.count(delimiter) > 10 * max_columns:
        # Not worth parsing: a header this wide would only be built to be refused.
        n = first.count(delimiter) + 1
        raise TableRefused(make_issue("too_many_columns", row=1, line=1, n=n, limit=max_columns))
    lines = io.StringIO(text)
    reader = csv.reader(lines, delimiter=delimiter)
    header: list[str] | None = None
    body: list[list[str]] = []
    extra: list[int] = []
    numbers: list[int] = []
    n_data = 0
    width = 0
    for record_number, record in enumerate(reader, start=1):
        if not any(cell.strip() for cell in record):
            continue
        if header is None:
            while record and not record[-1].strip():
                record.pop()
            if len(record) > max_columns:
                issue = make_issue(
                    "too_many_columns",
                    row=record_number,
                    line=record_number,
                    n=len(record),
                    limit=max_columns,
                )
                raise TableRefused(issue)
            header = [h.strip() for h in record]
            width = len(header)
            continue
        n_data += 1
        if n_data > max_rows:
            # Past the limit the rows are only counted: one per non-blank line that is left (a
            # quoted cell running over several lines makes this an upper bound).
            n_data += sum(1 for line in lines if line.strip())
            break
        extra.append(sum(1 for c in record[width:] if c.strip()))
        body.append((record[:width] + [""] * width)[:width])
        numbers.append(record_number)
    if header is None:
        return pd.DataFrame(), [], 0
    table = pd.DataFrame(body, columns=header, dtype=object)
    table.attrs["extra_cells"] = extra
    return table, numbers, n_data


def _refused(exc: DataError, *, encoding: str) -> TableRefused:
    zh, en = split_bilingual(str(exc))
    key = "xlsx_unreadable" if isinstance(exc, WorkbookUnreadable) else "limit_exceeded"
    return TableRefused(make_issue(key, detail_zh=zh, detail_en=en), encoding=encoding)


def read_table(data: bytes, *, file_name: str, limits: ReadLimits | None = None) -> RawTable:
    """Read a facility file's bytes (CSV or XLSX) into a table of strings, within ``limits``.

    Parameters
    ----------
    data
        The file's bytes.
    file_name
        The file's name as uploaded: recognises ``.xlsx`` and names the file in messages.
    limits
        Bytes, rows, columns and workbook limits (default :class:`ReadLimits`).

    Returns
    -------
    RawTable

    Raises
    ------
    TableRefused
        When the file is too large, empty, not decodable, binary, an old ``.xls``, not a
        readable table, a workbook past a limit, or has too many rows; carries the issue.
    """
    limits = limits or ReadLimits()
    if len(data) > limits.max_bytes:
        size_mb, limit_mb = len(data) / 1024**2, limits.max_bytes / 1024**2
        raise TableRefused(make_issue("too_large", size_mb=size_mb, limit_mb=limit_mb))
    if not data.strip():
        raise TableRefused(make_issue("empty_file"))
    if data.startswith(_OLD_XLS_MAGIC):
        raise TableRefused(make_issue("old_xls"))
    if data.startswith(XLSX_MAGIC) or file_name.lower().endswith((".xlsx", ".xlsm")):
        encoding, delimiter = "xlsx", ""
        try:
            table, numbers = read_xlsx_table(
                data,
                max_rows=limits.max_rows,
                max_columns=limits.max_columns,
                limits=limits.xlsx,
                what=file_name,
            )
        except SheetTooLarge as exc:
            if exc.n_data_rows > limits.max_rows:
                issue = make_issue("too_many_rows_at_least", n=exc.n_data_rows, limit=limits.max_rows)
                raise TableRefused(issue, encoding=encoding, n_rows=exc.n_data_rows) from None
            raise _refused(exc, encoding=encoding) from None
        except DataError as exc:
            raise _refused(exc, encoding=encoding) from None
        n_data = int(table.attrs.get("n_data_rows", len(table)))
    else:
        try:
            text, encoding = gio.decode_bytes(data)
        except DataError:
            raise TableRefused(make_issue("not_decodable")) from None
        if "\x00" in text:
            raise TableRefused(make_issue("binary"), encoding=encoding)
        delimiter = gio.sniff_delimiter(text)
        try:
            table, numbers, n_data = read_csv_text(
                text, delimiter, max_rows=limits.max_rows, max_columns=limits.max_columns
            )
        except TableRefused as refused:
            raise TableRefused(refused.issue, encoding=encoding, delimiter=delimiter) from None
        except csv.Error as exc:
            issue = make_issue("not_a_table", detail=str(exc))
            raise TableRefused(issue, encoding=encoding, delimiter=delimiter) from None
    if n_data > limits.max_rows:
        issue = make_issue("too_many_rows", n=n_data, limit=limits.max_rows)
        raise TableRefused(issue, encoding=encoding, delimiter=delimiter, n_rows=n_data)
    return RawTable(table, numbers, n_data, encoding, delimiter)


def describe_limits(limits: ReadLimits) -> tuple[str, str]:
    """The limits in words (Chinese, English), e.g. for the page and the command's help."""
    size = format_size(limits.max_bytes)
    return (
        f"文件不超过 {size}、{limits.max_rows:,} 行、{limits.max_columns:,} 列",
        f"files up to {size}, {limits.max_rows:,} rows and {limits.max_columns:,} columns",
    )
