"""Hostile input files ("bombs") for the import, and a runner that measures what each one costs.

Used by ``tests/unit/test_bombs.py`` (pass/fail: refused, bilingual, under 400 MB) and by
``benchmarks/bench_file_bombs.py`` (time and peak memory, before/after). Every builder writes its
file into a folder and returns the path; the files are small on disk (the largest about 8 MB)
whatever they declare inside.

``python -m tests.bombs DATABASE_URL FILE…`` imports each file with ``python -m geo import FILE
--dry-run`` in this one process and prints one JSON line per file: exit code, seconds, peak
resident memory (MB, the high-water mark reset before each file) and what was printed on stderr. Wall and CPU seconds are both given: on a shared machine the CPU time is the
steadier figure.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="设施" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/></Relationships>'
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)
HEADER = ("编号", "名称", "类别", "类型", "行政区划代码", "经度", "纬度")
ROW = ("B-1", "炸弹养老服务站", "养老", "社区养老服务站", "150602", "109.97763", "39.81609")


def _inline_row(number: int, values: tuple[str, ...]) -> str:
    cells = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values)
    return f'<row r="{number}">{cells}</row>'


def _workbook(
    path: Path,
    sheet: Iterator[bytes] | bytes,
    *,
    shared_strings: Iterator[bytes] | bytes | None = None,
    extra_members: int = 0,
) -> Path:
    """Write a workbook whose sheet (and shared strings) are streamed into the archive."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        for name, content in (("xl/worksheets/sheet1.xml", sheet), ("xl/sharedStrings.xml", shared_strings)):
            if content is None:
                continue
            with archive.open(name, "w", force_zip64=True) as member:
                for chunk in [content] if isinstance(content, bytes) else content:
                    member.write(chunk)
        for k in range(extra_members):
            archive.writestr(zipfile.ZipInfo(f"xl/media/empty{k}.bin"), b"")
    return path


def _ordinary_sheet(extra_rows: str = "") -> bytes:
    rows = _inline_row(1, HEADER) + _inline_row(2, ROW) + extra_rows
    return (_SHEET_HEAD + f"<sheetData>{rows}</sheetData></worksheet>").encode()


def zip_bomb(folder: Path) -> Path:
    """200 MB of blank XML in the sheet, 0.2 MB on disk: the ratio gives it away."""

    def chunks() -> Iterator[bytes]:
        yield (_SHEET_HEAD + "<sheetData>").encode()
        blank = b" " * (1024 * 1024)
        for _ in range(200):
            yield blank
        yield b"</sheetData></worksheet>"

    return _workbook(folder / "zip_bomb.xlsx", chunks())


def empty_cells(folder: Path) -> Path:
    """Two million empty cells (``<c r="B7"/>``) in 20,000 rows, 3.5 MB on disk: they compress
    only about 12:1, so they pass the archive checks and meet the cell limit."""

    def chunks() -> Iterator[bytes]:
        yield (_SHEET_HEAD + "<sheetData>").encode()
        yield (_inline_row(1, HEADER) + _inline_row(2, ROW)).encode()
        for start in range(3, 20_003, 1000):
            yield "".join(
                f'<row r="{r}">' + "".join(f'<c r="{col}{r}"/>' for col in _COLUMNS_100) + "</row>"
                for r in range(start, start + 1000)
            ).encode()
        yield b"</sheetData></worksheet>"

    return _workbook(folder / "empty_cells.xlsx", chunks())


_COLUMNS_100 = [chr(65 + k // 26) + chr(65 + k % 26) for k in range(100)]


def far_cell(folder: Path) -> Path:
    """A normal row and one cell at XFD1048576 with a dimension to match: openpyxl's read-only
    mode pads a million rows of 16,384 empty cells for it. Only 1 kB on disk."""
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    sheet = _ordinary_sheet(far).replace(b"<sheetData>", b'<dimension ref="A1:XFD1048576"/><sheetData>')
    return _workbook(folder / "far_cell.xlsx", sheet)


def huge_shared_string(folder: Path) -> Path:
    """One shared string of 50 million characters, 0.05 MB on disk."""

    def chunks() -> Iterator[bytes]:
        yield (
            b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
            b"<si><t>"
        )
        block = b"A" * (1024 * 1024)
        for _ in range(50):
            yield block
        yield b"</t></si></sst>"

    sheet = _ordinary_sheet('<row r="3"><c t="s"><v>0</v></c></row>')
    return _workbook(folder / "huge_shared_string.xlsx", sheet, shared_strings=chunks())


def many_shared_strings(folder: Path) -> Path:
    """21 million characters of hard-to-compress shared strings (about 6 MB on disk): past the
    ratio check, stopped by the character limit of the shared-string table."""
    table = bytes(b"ACGT"[k % 4] for k in range(256))
    random_text = os.urandom(30_000 * 700).translate(table)

    def chunks() -> Iterator[bytes]:
        yield (
            b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        )
        for k in range(700):
            yield b"<si><t>" + random_text[k * 30_000 : (k + 1) * 30_000] + b"</t></si>"
        yield b"</sst>"

    return _workbook(folder / "many_shared_strings.xlsx", _ordinary_sheet(), shared_strings=chunks())


def deep_xml(folder: Path) -> Path:
    """Elements nested 100,000 deep inside a cell (0.7 MB of XML: too small for the ratio check)."""
    depth = 100_000

    def chunks() -> Iterator[bytes]:
        yield (_SHEET_HEAD + '<sheetData><row r="1"><c t="inlineStr"><is>').encode()
        yield b"<r>" * depth
        yield b"</r>" * depth
        yield b"</is></c></row></sheetData></worksheet>"

    return _workbook(folder / "deep_xml.xlsx", chunks())


def billion_laughs(folder: Path) -> Path:
    """Nested entity definitions that would expand to gigabytes of text."""
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{k} "{("&lol" + (str(k - 1) if k > 1 else "") + ";") * 10}">' for k in range(1, 10)
    )
    sheet = (
        f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
    )
    return _workbook(folder / "billion_laughs.xlsx", sheet.encode())


def many_members(folder: Path) -> Path:
    """An archive of 30,000 empty members."""
    return _workbook(folder / "many_members.xlsx", _ordinary_sheet(), extra_members=30_000)


def wide_header_xlsx(folder: Path) -> Path:
    """A header row of 16,384 filled cells."""
    cells = "".join(f'<c t="inlineStr"><is><t>h{k}</t></is></c>' for k in range(16_384))
    sheet = (_SHEET_HEAD + f'<sheetData><row r="1">{cells}</row></sheetData></worksheet>').encode()
    return _workbook(folder / "wide_header.xlsx", sheet)


def long_cell(folder: Path) -> Path:
    """One cell of 40,000 characters (Excel itself stops at 32,767)."""
    text = "长" * 40_000
    sheet = _ordinary_sheet(f'<row r="3"><c t="inlineStr"><is><t>{text}</t></is></c></row>')
    return _workbook(folder / "long_cell.xlsx", sheet)


def wide_csv(folder: Path) -> Path:
    """A CSV header of four million columns (8 MB of commas)."""
    path = folder / "wide.csv"
    path.write_bytes(b"a" + b",b" * (4 * 1024 * 1024 - 10) + b"\n1\n")
    return path


def long_field_csv(folder: Path) -> Path:
    """One quoted field of almost 8 MB."""
    path = folder / "long_field.csv"
    path.write_bytes(b'name\n"' + b"x" * (8 * 1024 * 1024 - 20) + b'"\n')
    return path


def many_rows_csv(folder: Path) -> Path:
    """Four million one-character rows."""
    path = folder / "many_rows.csv"
    path.write_bytes(b"name\n" + b"1\n" * (4 * 1024 * 1024 - 4))
    return path


def too_large_csv(folder: Path) -> Path:
    """A 64 MB CSV: only the limit plus one byte is read."""
    path = folder / "too_large.csv"
    with path.open("wb") as handle:
        handle.write(",".join(HEADER).encode() + b"\n")
        handle.truncate(64 * 1024 * 1024)  # sparse: nothing is written to disk
    return path


def fifo(folder: Path) -> Path:
    """A named pipe nobody writes to: opening it for reading normally blocks forever."""
    path = folder / "pipe.csv"
    os.mkfifo(path)
    return path


def dev_zero(_folder: Path) -> Path:
    """An endless device."""
    return Path("/dev/zero")


def directory(folder: Path) -> Path:
    """A folder named like a file."""
    path = folder / "folder.csv"
    path.mkdir()
    return path


BOMBS: dict[str, Callable[[Path], Path]] = {
    "zip_bomb": zip_bomb,
    "empty_cells": empty_cells,
    "far_cell": far_cell,
    "huge_shared_string": huge_shared_string,
    "many_shared_strings": many_shared_strings,
    "deep_xml": deep_xml,
    "billion_laughs": billion_laughs,
    "many_members": many_members,
    "wide_header_xlsx": wide_header_xlsx,
    "long_cell": long_cell,
    "wide_csv": wide_csv,
    "long_field_csv": long_field_csv,
    "many_rows_csv": many_rows_csv,
    "too_large_csv": too_large_csv,
    "fifo": fifo,
    "dev_zero": dev_zero,
    "directory": directory,
}
"""Name -> builder; each builder writes one hostile file into a folder and returns its path."""


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")  # resets the resident-set high-water mark (VmHWM)
    except OSError:
        return False
    return True


def peak_rss_mb() -> float:
    """This process's resident-memory high-water mark (MB) since start or the last reset."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")  # pragma: no cover - Linux always has it


def run(database_url: str, paths: list[str]) -> Iterator[dict[str, object]]:
    """Import each file (dry run) in this process; yield what it cost and what it said."""
    from geo.cli import main

    with contextlib.redirect_stdout(io.StringIO()):
        main(["--database", database_url, "history"])  # open and fill the store before measuring
    for path in paths:
        reset = _reset_peak()
        err, out = io.StringIO(), io.StringIO()
        started, cpu_started = time.perf_counter(), time.process_time()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            code = main(["--database", database_url, "import", path, "--dry-run"])
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
        yield {
            "path": path,
            "exit": code,
            "seconds": round(seconds, 3),
            "cpu_seconds": round(cpu_seconds, 3),
            "peak_mb": round(peak_rss_mb(), 1),
            "peak_reset": reset,
            "stderr": err.getvalue(),
            "stdout": out.getvalue()[-2000:],
        }


if __name__ == "__main__":
    url, *files = sys.argv[1:]
    for record in run(url, files):
        print(json.dumps(record, ensure_ascii=False), flush=True)
