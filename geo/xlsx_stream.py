"""A bounded, streaming reader of the first sheet of an XLSX workbook, for untrusted uploads.

An XLSX file is a zip archive of XML parts. A 1 MB upload can declare gigabytes of XML (a zip
bomb), millions of empty cells, one shared string of hundreds of megabytes, rows of 16,384 cells
or elements nested a million deep; a general-purpose reader (openpyxl) builds all of that in
memory. This reader instead:

1. refuses the archive by its declared member count, sizes and compression ratio before anything
   is decompressed (:func:`geo.safeio.check_zip`);
2. parses each part with expat, chunk by chunk, refusing DTDs and entity declarations (no
   "billion laughs"), elements nested deeper than :attr:`XlsxLimits.max_depth`, and more
   elements, cells or text than the limits allow, and stops as soon as a limit is passed;
3. keeps only what the table needs: at most ``max_columns`` cells of each row and the text of
   the shared strings (bounded in count and characters), never an empty cell it does not need.

Values come out as openpyxl gives them with ``data_only=True`` and are turned into text the same
way: formulas by their cached value, numbers without a trailing ``.0``, date-formatted numbers
as ISO dates.
"""

from __future__ import annotations

import contextlib
import posixpath
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from io import BytesIO
from typing import IO, Any, Final
from xml.parsers import expat

import pandas as pd
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from geo.errors import DataError
from geo.safeio import check_zip, format_size

__all__ = ["SheetTooLarge", "WorkbookUnreadable", "XlsxLimits", "cell_text", "read_xlsx_table"]

_CHUNK_BYTES: Final[int] = 64 * 1024
_REL_OFFICE_DOCUMENT: Final[str] = "/officeDocument"
_REL_SHARED_STRINGS: Final[str] = "/sharedStrings"
_REL_STYLES: Final[str] = "/styles"
_EXCEL_MAX_COLUMNS: Final[int] = 16_384


@dataclass(frozen=True)
class XlsxLimits:
    """What an XLSX upload may hold before it is refused.

    Attributes
    ----------
    max_members
        Entries in the zip archive (a workbook has a few dozen).
    max_uncompressed_bytes
        Sum of the declared uncompressed sizes (bytes). A 20,000-row facility sheet is about 25 MB.
    max_ratio
        Compression ratio of any member of 1 MB or more (ordinary sheets compress about 10:1).
    max_part_bytes
        Declared uncompressed size of the workbook's small parts (workbook, relationships, styles).
    max_cells
        ``<c>`` elements in the sheet, empty ones included (20,000 rows of 30 cells).
    max_elements
        XML elements in all the parts read together.
    max_depth
        Nesting depth of XML elements (a sheet needs 6).
    max_shared_strings
        Entries of the shared-string table.
    max_shared_chars
        Characters of the shared-string table together.
    max_cell_chars
        Characters of one cell: Excel's own limit is 32,767.
    """

    max_members: int = 1_000
    max_uncompressed_bytes: int = 100 * 1024**2
    max_ratio: float = 100.0
    max_part_bytes: int = 8 * 1024**2
    max_cells: int = 600_000
    max_elements: int = 2_000_000
    max_depth: int = 32
    max_shared_strings: int = 1_000_000
    max_shared_chars: int = 16 * 1024**2
    max_cell_chars: int = 32_767


def cell_text(value: Any) -> str:
    """A cell value as the text a table of strings holds (dates ISO, whole floats without ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


class WorkbookUnreadable(DataError):
    """The bytes are not a readable XLSX workbook (as opposed to a workbook past a limit)."""


class SheetTooLarge(DataError):
    """The sheet passed the cell limit; ``n_data_rows`` data rows had been seen by then."""

    def __init__(self, message: str, n_data_rows: int) -> None:
        super().__init__(message)
        self.n_data_rows = n_data_rows


class _Stop(Exception):
    """Raised inside expat handlers to stop parsing at once; carries the DataError to raise."""

    def __init__(self, error: DataError) -> None:
        super().__init__(str(error))
        self.error = error


def _refusal(label: str, zh: str, en: str) -> DataError:
    msg = f"{label}:{zh};未继续读取。 / {label}: {en}; reading stopped."
    return DataError(msg)


def _broken(label: str, detail: str) -> DataError:
    return WorkbookUnreadable(
        f"无法读取 XLSX 工作簿 {label}({detail});请在 Excel 中另存为 .xlsx 或 CSV UTF-8。 / "
        f"Cannot read the XLSX workbook {label} ({detail}); save it again as .xlsx or as CSV UTF-8."
    )


def _too_deep(budget: _Budget, member: str) -> DataError:
    limit = budget.limits.max_depth
    return _refusal(
        budget.label,
        f"部件 {member} 的 XML 嵌套超过 {limit} 层",
        f"part {member} nests XML deeper than {limit} levels",
    )


def _too_many_elements(budget: _Budget) -> DataError:
    limit = budget.limits.max_elements
    return _refusal(budget.label, f"XML 元素超过 {limit:,} 个", f"more than {limit:,} XML elements")


class _Budget:
    """Element count shared by every part of one workbook."""

    def __init__(self, limits: XlsxLimits, label: str) -> None:
        self.limits = limits
        self.label = label
        self.elements = 0


def _parse_part(
    archive: zipfile.ZipFile,
    member: str,
    budget: _Budget,
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None],
    text: Callable[[str], None] | None = None,
    *,
    guarded: bool = False,
) -> None:
    """Stream one XML part through expat with the guards; handlers get local names.

    With ``guarded`` the handlers are given to expat as they are: they check depth and element
    count themselves and take names with their prefix (the sheet, where every call counts).
    """
    label, limits = budget.label, budget.limits
    # Without namespace processing names keep their prefix ("x:c" in some writers' files), which
    # is cheaper than expanding every name; the prefix is dropped below.
    parser = expat.ParserCreate()
    parser.buffer_text = True
    depth = 0

    def no_dtd(*_args: Any) -> None:
        raise _Stop(
            _refusal(
                label,
                f"部件 {member} 含有 DTD 或实体声明,XLSX 不会有这些(疑似“十亿笑声”攻击)",
                f"part {member} holds a DTD or entity declarations, which XLSX never has "
                "('billion laughs' attack)",
            )
        )

    max_depth, max_elements = limits.max_depth, limits.max_elements

    def on_start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        budget.elements += 1
        if depth > max_depth or budget.elements > max_elements:
            raise _Stop(_too_deep(budget, member) if depth > max_depth else _too_many_elements(budget))
        start(name.rpartition(":")[2] if ":" in name else name, attrs)

    def on_end(name: str) -> None:
        nonlocal depth
        depth -= 1
        end(name.rpartition(":")[2] if ":" in name else name)

    parser.StartDoctypeDeclHandler = no_dtd
    parser.EntityDeclHandler = no_dtd

    def no_external(*_args: Any) -> int:
        no_dtd()
        return 0

    parser.ExternalEntityRefHandler = no_external
    parser.StartElementHandler = start if guarded else on_start
    parser.EndElementHandler = end if guarded else on_end
    if text is not None:
        parser.CharacterDataHandler = text
    try:
        stream: IO[bytes]
        with archive.open(member) as stream:
            while True:
                chunk = stream.read(_CHUNK_BYTES)
                if not chunk:
                    break
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _Stop as stop:
        raise stop.error from None
    except expat.ExpatError as exc:
        raise _broken(label, f"{member}: XML {exc}") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
        raise _broken(label, f"{member}: {type(exc).__name__}") from None


def _small_part(archive: zipfile.ZipFile, member: str, budget: _Budget) -> bool:
    """Whether ``member`` exists; refused when it declares more than ``max_part_bytes``."""
    try:
        info = archive.getinfo(member)
    except KeyError:
        return False
    if info.file_size > budget.limits.max_part_bytes:
        raise _refusal(
            budget.label,
            f"部件 {member} 解压后 {format_size(info.file_size)},超过上限 "
            f"{format_size(budget.limits.max_part_bytes)}",
            f"part {member} is {format_size(info.file_size)} uncompressed, above the limit of "
            f"{format_size(budget.limits.max_part_bytes)}",
        )
    return True


def _relationships(archive: zipfile.ZipFile, member: str, budget: _Budget) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, target resolved against the part's folder)."""
    rels: dict[str, tuple[str, str]] = {}
    if not _small_part(archive, member, budget):
        return rels
    # "xl/_rels/workbook.xml.rels" describes "xl/workbook.xml": targets are relative to "xl/".
    folder = posixpath.dirname(posixpath.dirname(member))

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == "Relationship" and attrs.get("TargetMode") != "External":
            target = attrs.get("Target", "")
            resolved = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            rels[attrs.get("Id", "")] = (attrs.get("Type", ""), posixpath.normpath(resolved))

    _parse_part(archive, member, budget, start, lambda _name: None)
    return rels


def _first_sheet(archive: zipfile.ZipFile, budget: _Budget) -> tuple[str, str | None, str | None, bool]:
    """The first sheet's part, the shared strings and styles parts, and whether dates count from 1904."""
    workbook = "xl/workbook.xml"
    for kind, target in _relationships(archive, "_rels/.rels", budget).values():
        if kind.endswith(_REL_OFFICE_DOCUMENT):
            workbook = target
    if not _small_part(archive, workbook, budget):
        raise _broken(budget.label, f"{workbook} missing")
    rels_part = posixpath.join(posixpath.dirname(workbook), "_rels", posixpath.basename(workbook) + ".rels")
    rels = _relationships(archive, rels_part, budget)
    first_sheet: list[str] = []
    date1904 = False

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal date1904
        if name == "sheet" and not first_sheet:
            rid = next((v for k, v in attrs.items() if k.endswith(":id")), "")
            first_sheet.append(rid)
        elif name == "workbookPr":
            date1904 = attrs.get("date1904", "0").strip().lower() in ("1", "true")

    _parse_part(archive, workbook, budget, start, lambda _name: None)
    if not first_sheet:
        msg = "工作簿没有工作表。 / The workbook has no sheet."
        raise DataError(msg)
    sheet = rels.get(first_sheet[0], ("", ""))[1] or "xl/worksheets/sheet1.xml"
    strings = next((t for k, t in rels.values() if k.endswith(_REL_SHARED_STRINGS)), None)
    styles = next((t for k, t in rels.values() if k.endswith(_REL_STYLES)), None)
    return sheet, strings, styles, date1904


def _date_styles(archive: zipfile.ZipFile, member: str | None, budget: _Budget) -> set[int]:
    """Indexes of the cell formats (``s`` attribute of a cell) that show numbers as dates."""
    if member is None or not _small_part(archive, member, budget):
        return set()
    custom: dict[int, str] = {}
    formats: list[int] = []
    in_cell_xfs = False

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal in_cell_xfs
        if name == "numFmt":
            with contextlib.suppress(ValueError):
                custom[int(attrs.get("numFmtId", ""))] = attrs.get("formatCode", "")
        elif name == "cellXfs":
            in_cell_xfs = True
        elif name == "xf" and in_cell_xfs:
            try:
                formats.append(int(attrs.get("numFmtId", "0")))
            except ValueError:
                formats.append(0)

    def end(name: str) -> None:
        nonlocal in_cell_xfs
        if name == "cellXfs":
            in_cell_xfs = False

    _parse_part(archive, member, budget, start, end)
    dates = set()
    for index, fmt_id in enumerate(formats):
        code = custom.get(fmt_id) or BUILTIN_FORMATS.get(fmt_id, "")
        if code and is_date_format(code):
            dates.add(index)
    return dates


class _TextCollector:
    """Text of ``<t>`` elements outside phonetic runs (``rPh``), as openpyxl reads it."""

    def __init__(self, budget: _Budget) -> None:
        self.budget = budget
        self.parts: list[str] = []
        self.length = 0
        self.in_t = False
        self.in_phonetic = 0

    def reset(self) -> None:
        self.parts = []
        self.length = 0

    def add(self, data: str) -> None:
        if not self.in_t or self.in_phonetic:
            return
        self.length += len(data)
        if self.length > self.budget.limits.max_cell_chars:
            raise _Stop(_too_long_text(self.budget))
        self.parts.append(data)

    def value(self) -> str:
        return "".join(self.parts).replace("_x005F_", "_")


def _too_long_text(budget: _Budget) -> DataError:
    limit = budget.limits.max_cell_chars
    return _refusal(
        budget.label,
        f"有单元格文字超过 {limit:,} 个字符(Excel 单元格的上限)",
        f"a cell holds more than {limit:,} characters (Excel's own limit for a cell)",
    )


def _shared_strings(archive: zipfile.ZipFile, member: str | None, budget: _Budget) -> list[str]:
    if member is None:
        return []
    try:
        archive.getinfo(member)
    except KeyError:
        return []
    limits, label = budget.limits, budget.label
    strings: list[str] = []
    collector = _TextCollector(budget)
    total_chars = 0

    def start(name: str, _attrs: dict[str, str]) -> None:
        if name == "si":
            collector.reset()
        elif name == "t":
            collector.in_t = True
        elif name == "rPh":
            collector.in_phonetic += 1

    def end(name: str) -> None:
        nonlocal total_chars
        if name == "t":
            collector.in_t = False
        elif name == "rPh":
            collector.in_phonetic -= 1
        elif name == "si":
            value = collector.value()
            total_chars += len(value)
            strings.append(value)
            if len(strings) > limits.max_shared_strings:
                raise _Stop(
                    _refusal(
                        label,
                        f"共享字符串表超过 {limits.max_shared_strings:,} 条",
                        f"the shared-string table holds more than {limits.max_shared_strings:,} entries",
                    )
                )
            if total_chars > limits.max_shared_chars:
                raise _Stop(
                    _refusal(
                        label,
                        f"共享字符串表的文字超过 {limits.max_shared_chars:,} 个字符",
                        f"the shared-string table holds more than {limits.max_shared_chars:,} characters",
                    )
                )

    _parse_part(archive, member, budget, start, end, collector.add)
    return strings


def _column_index(ref: str) -> int:
    """0-based column of a cell reference such as ``AB12``; -1 when it has no letters."""
    index = 0
    seen = False
    for ch in ref:
        if "A" <= ch <= "Z":
            index = index * 26 + (ord(ch) - 64)
            seen = True
        elif "a" <= ch <= "z":
            index = index * 26 + (ord(ch) - 96)
            seen = True
        else:
            break
        if index > _EXCEL_MAX_COLUMNS:
            return _EXCEL_MAX_COLUMNS
    return index - 1 if seen else -1


def _style_index(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return -1


class _SheetReader:
    """Expat handlers of a worksheet: rows of text, at most ``max_columns`` cells each."""

    def __init__(
        self,
        budget: _Budget,
        *,
        strings: list[str],
        date_styles: set[int],
        date1904: bool,
        max_rows: int,
        max_columns: int,
        member: str,
    ) -> None:
        self.budget = budget
        self.member = member
        self.depth = 0
        self.max_depth = budget.limits.max_depth
        self.max_elements = budget.limits.max_elements
        self.strings = strings
        self.date_styles = date_styles
        self.epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
        self.max_rows = max_rows
        self.max_columns = max_columns
        self.cells_seen = 0
        self.row_number = 0
        self.row: dict[int, str] = {}
        self.next_column = 0
        self.cell_column = 0
        self.cell_type = "n"
        self.cell_style_text = ""
        self.header_width = 0
        self.columns: dict[str, int] = {}
        self.max_cells = budget.limits.max_cells
        self.in_value = False
        self.value_parts: list[str] = []
        self.value_length = 0
        self.inline = _TextCollector(budget)
        self.header: list[str] | None = None
        self.body: list[list[str]] = []
        self.numbers: list[int] = []
        self.n_data = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        # The guards of _parse_part, inline: this runs for every element of the sheet.
        self.depth += 1
        budget = self.budget
        budget.elements += 1
        if self.depth > self.max_depth or budget.elements > self.max_elements:
            raise _Stop(
                _too_deep(budget, self.member) if self.depth > self.max_depth else _too_many_elements(budget)
            )
        if ":" in name:
            name = name.rpartition(":")[2]
        if name == "c":
            self.cells_seen += 1
            if self.cells_seen > self.max_cells:
                raise _Stop(self._too_many_cells())
            ref = attrs.get("r")
            if ref:
                letters = ref.rstrip("0123456789")
                column = self.columns.get(letters)
                if column is None:
                    column = _column_index(letters)
                    if len(self.columns) < _EXCEL_MAX_COLUMNS:
                        self.columns[letters] = column
            else:
                column = -1
            self.cell_column = column if column >= 0 else self.next_column
            self.next_column = self.cell_column + 1
            self.cell_type = attrs.get("t", "n")
            self.cell_style_text = attrs.get("s", "")
            self.value_parts = []
            self.value_length = 0
            # An empty text cell (<c t="inlineStr"/>) has no <is>: never show the previous cell's text.
            self.inline.parts = []
            self.inline.length = 0
        elif name == "v":
            self.in_value = True
        elif name == "t":
            self.inline.in_t = True
        elif name == "rPh":
            self.inline.in_phonetic += 1
        elif name == "row":
            ref = attrs.get("r", "")
            self.row_number = int(ref) if ref.isdigit() else self.row_number + 1
            self.row = {}
            self.next_column = 0

    def text(self, data: str) -> None:
        if self.in_value:
            self.value_length += len(data)
            if self.value_length > self.budget.limits.max_cell_chars:
                raise _Stop(_too_long_text(self.budget))
            self.value_parts.append(data)
        else:
            self.inline.add(data)

    def end(self, name: str) -> None:
        self.depth -= 1
        if ":" in name:
            name = name.rpartition(":")[2]
        if name == "c":
            if self.cell_column < self.max_columns:
                value = self._value()
                if value:
                    self.row[self.cell_column] = value
            elif self.header is None and self._value():
                self.header_width = max(self.header_width, self.cell_column + 1)
        elif name == "v":
            self.in_value = False
        elif name == "t":
            self.inline.in_t = False
        elif name == "rPh":
            self.inline.in_phonetic -= 1
        elif name == "row":
            self._row_done()

    def _value(self) -> str:
        raw = "".join(self.value_parts)
        kind = self.cell_type
        if kind == "s":
            try:
                return self.strings[int(raw)].strip()
            except (ValueError, IndexError):
                raise _Stop(_broken(self.budget.label, f"shared string {raw[:20]!r} missing")) from None
        if kind == "inlineStr":
            return self.inline.value().strip()
        if kind in ("str", "e"):
            return raw.strip()
        if kind == "b":
            return "TRUE" if raw.strip() in ("1", "true") else "FALSE" if raw.strip() else ""
        if kind == "d":
            try:
                return cell_text(datetime.fromisoformat(raw.strip()))
            except ValueError:
                return raw.strip()
        text = raw.strip()
        if not text:
            return ""
        try:
            number: float = int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                return text
        if (
            self.date_styles
            and self.cell_style_text
            and _style_index(self.cell_style_text) in self.date_styles
        ):
            try:
                return cell_text(from_excel(number, self.epoch))
            except (OverflowError, ValueError):
                return text
        return str(number) if isinstance(number, int) else cell_text(number)

    def _row_done(self) -> None:
        if not self.row and not self.header_width:
            return
        width = max(self.row) + 1
        cells = [self.row.get(k, "") for k in range(width)]
        if self.header is None:
            if self.header_width > self.max_columns:
                raise _Stop(
                    _refusal(
                        self.budget.label,
                        f"第 {self.row_number} 行(表头)有 {self.header_width:,} 列,超过上限 "
                        f"{self.max_columns:,} 列;设施表只需要模板中的约 20 列,请删除多余的列",
                        f"row {self.row_number} (the header) has {self.header_width:,} columns, above the "
                        f"limit of {self.max_columns:,}; a facility table needs only the template's 20 or "
                        "so columns: delete the others",
                    )
                )
            self.header = cells
            return
        self.n_data += 1
        if self.n_data <= self.max_rows:
            self.body.append(cells)
            self.numbers.append(self.row_number)

    def _too_many_cells(self) -> DataError:
        limit = self.budget.limits.max_cells
        error = _refusal(
            self.budget.label,
            f"工作表的单元格(含空单元格)超过 {limit:,} 个(读到第 {self.row_number:,} 行);"
            "请只保留设施表的内容,或另存为 CSV UTF-8",
            f"the sheet holds more than {limit:,} cells, empty ones included (seen up to row "
            f"{self.row_number:,}); keep only the facility table, or save it as CSV UTF-8",
        )
        return SheetTooLarge(str(error), self.n_data)


def read_xlsx_table(
    data: bytes,
    *,
    max_rows: int,
    max_columns: int = 200,
    limits: XlsxLimits | None = None,
    what: str = "",
) -> tuple[pd.DataFrame, list[int]]:
    """Read the first sheet of an XLSX workbook as a table of strings, within limits.

    Parameters
    ----------
    data
        The workbook's bytes (already read with a size limit, see :func:`geo.safeio.read_limited`).
    max_rows
        Keep at most this many data rows; the rows beyond are only counted
        (``table.attrs["n_data_rows"]``) while the cell limit allows.
    max_columns
        Cells beyond this column are skipped without being kept.
    limits
        The archive and XML limits (default :class:`XlsxLimits`).
    what
        How messages name the file (e.g. its name).

    Returns
    -------
    table, row_numbers
        The table (header = first non-empty row; empty rows dropped) and, per data row, the row
        number as the spreadsheet shows it. Formulas count by their cached value.

    Raises
    ------
    DataError
        When the bytes are not a readable XLSX workbook, the sheet is empty, or the workbook
        passes a limit (the message names the file and the limit).
    """
    limits = limits or XlsxLimits()
    label = what or "XLSX"
    if not zipfile.is_zipfile(BytesIO(data)):  # looks for the end record only; parses nothing
        raise _broken(label, "not a zip archive")
    check_zip(
        data,
        max_members=limits.max_members,
        max_uncompressed_bytes=limits.max_uncompressed_bytes,
        max_ratio=limits.max_ratio,
        what=label,
    )
    budget = _Budget(limits, label)
    with zipfile.ZipFile(BytesIO(data)) as archive:
        sheet, strings_part, styles_part, date1904 = _first_sheet(archive, budget)
        date_styles = _date_styles(archive, styles_part, budget)
        strings = _shared_strings(archive, strings_part, budget)
        reader = _SheetReader(
            budget,
            strings=strings,
            date_styles=date_styles,
            date1904=date1904,
            max_rows=max_rows,
            max_columns=max_columns,
            member=sheet,
        )
        try:
            archive.getinfo(sheet)
        except KeyError:
            raise _broken(label, f"{sheet} missing") from None
        _parse_part(archive, sheet, budget, reader.start, reader.end, reader.text, guarded=True)
    header = reader.header
    if header is None:
        msg = "工作表是空的。 / The sheet is empty."
        raise DataError(msg)
    while header and not header[-1].strip():
        header.pop()
    width = len(header)
    rows = [(r + [""] * width)[:width] for r in reader.body]
    table = pd.DataFrame(rows, columns=header, dtype=object)
    table.attrs["n_data_rows"] = reader.n_data
    return table, reader.numbers
