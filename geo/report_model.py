"""The content of a planning report, independent of its file format.

:func:`geo.report.build_content` fills a :class:`ReportContent` — a cover and numbered sections of
paragraphs, bullet lists, tables, figures and notes, all text already in the report's one language
and every number already formatted (:mod:`geo.fmt`). The renderers (:mod:`geo.report_html`,
:mod:`geo.report_pdf`, :mod:`geo.report_docx`) only lay it out, so the three formats say the same.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import pandas as pd
from matplotlib.figure import FigureBase

__all__ = [
    "Block",
    "Bullets",
    "Cover",
    "Figure_",
    "Note",
    "Paragraph",
    "ReportContent",
    "Section",
    "Table",
    "column_widths",
    "text_width_in",
    "wrap",
]


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of text (``bold`` for a lead sentence)."""

    text: str
    bold: bool = False


@dataclass(frozen=True)
class Bullets:
    """A list of short statements."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Note:
    """A boxed note (the modelled-data warning, a method caveat)."""

    text: str
    kind: Literal["warning", "info"] = "info"


@dataclass(frozen=True)
class Table:
    """A table of text cells with a caption.

    Parameters
    ----------
    caption : str
        ``表 3 各旗区覆盖情况`` …
    frame : pandas.DataFrame
        Text only (headers and cells in the report's language, numbers formatted).
    total_row : bool
        The last row is a total (drawn bold, kept with the table's last page).
    align : tuple of str
        ``l`` or ``r`` per column (default: first column left, others right).
    widths : tuple of float, optional
        Relative column widths.
    note : str
        A line under the table.
    groups : tuple of (str, int)
        An upper header row: labels spanning that many columns (``("", 1)`` for none), covering
        every column.
    """

    caption: str
    frame: pd.DataFrame
    total_row: bool = False
    align: tuple[str, ...] = ()
    widths: tuple[float, ...] = ()
    note: str = ""
    groups: tuple[tuple[str, int], ...] = ()

    def alignment(self) -> tuple[str, ...]:
        """Column alignment, ``l`` or ``r`` per column."""
        if self.align:
            return self.align
        return ("l", *("r",) * (len(self.frame.columns) - 1))


@dataclass(frozen=True)
class Figure_:
    """A figure drawn by ``draw(fig)`` on a matplotlib Figure of ``size_in`` inches, with a caption."""

    caption: str
    draw: Callable[[FigureBase], None] = field(repr=False)
    size_in: tuple[float, float] = (6.3, 6.0)
    alt: str = ""


Block = Paragraph | Bullets | Note | Table | Figure_


@dataclass(frozen=True)
class Section:
    """A numbered section: heading and blocks (``level`` 1 for sections, 2 for subsections)."""

    heading: str
    blocks: tuple[Block, ...]
    level: int = 1


@dataclass(frozen=True)
class Cover:
    """The first page: title, subtitle, facts (item, value) and notes."""

    title: str
    subtitle: str
    facts: tuple[tuple[str, str], ...]
    notes: tuple[Note, ...] = ()
    issuer: str = ""


@dataclass(frozen=True)
class ReportContent:
    """A whole report in one language.

    Attributes
    ----------
    lang : {"zh", "en"}
    cover : Cover
    sections : tuple of Section
    header : str
        Running header of every page after the cover (title, scope).
    footer : str
        Running footer (date and data version); page numbers are added by the renderers.
    page_label : str
        Page-number template with ``{page}`` and ``{pages}`` (``第 {page} 页 / 共 {pages} 页``).
    font_family : str
        Family name of the CJK font the figures were drawn with (for the renderers' text).
    tables : dict of str to pandas.DataFrame
        The raw tables behind the figures and text (numbers unformatted), for tests and exports.
    meta : dict
        ``title``, ``date``, ``data_version``, ``scope`` … (PDF and DOCX document properties).
    """

    lang: str
    cover: Cover
    sections: tuple[Section, ...]
    header: str
    footer: str
    page_label: str
    font_family: str = ""
    tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    meta: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------
# Measuring text (shared by the PDF and DOCX layouts)

PT: Final[float] = 1 / 72
"""One point in inches."""


def _char_em(ch: str) -> float:
    """Approximate advance of a character in ems (CJK full width, Latin about half)."""
    if unicodedata.east_asian_width(ch) in "WF":
        return 1.0
    if ch == " ":
        return 0.28
    if ch in "il.,:;'|!()[]":
        return 0.3
    if ch.isupper() or ch in "mwMW%@":
        return 0.68
    return 0.55


def text_width_in(text: str, size_pt: float) -> float:
    """Approximate width of ``text`` at ``size_pt`` (inches)."""
    return sum(_char_em(ch) for ch in text) * size_pt * PT


_TOKENS = re.compile(
    r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]|[^\s\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+\s*|\s+"
)
_NO_LINE_END = set("（“《「『(")
_NO_LINE_START = set("，。、;:)」』”’》%,.;:!?)）；：！？")


def wrap(text: str, width_in: float, size_pt: float) -> list[str]:
    """Break mixed Chinese/Latin text into lines no wider than ``width_in`` at ``size_pt``.

    Chinese characters may break anywhere, Latin words only at spaces; closing punctuation never
    starts a line (it stays on the line before, a little over the width).
    """
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        line = ""
        for token in _TOKENS.findall(paragraph):
            candidate = line + token
            if (
                line.strip()
                and text_width_in(candidate.rstrip(), size_pt) > width_in
                and token[0] not in _NO_LINE_START
            ):
                lines.append(line.rstrip())
                line = token.lstrip()
            else:
                line = candidate
        lines.append(line.rstrip())
    # an opening bracket or quote never ends a line: it goes down with what it opens
    for k in range(len(lines) - 1):
        while lines[k] and lines[k][-1] in _NO_LINE_END:
            lines[k + 1] = lines[k][-1] + lines[k + 1]
            lines[k] = lines[k][:-1]
    return lines


def column_widths(table: Table, *, size_pt: float, pad_in: float, total_in: float) -> list[float]:
    """Column widths (inches): given ratios, else each column's widest cell; headers may wrap.

    Left-aligned text columns keep their natural width; when everything does not fit, the numeric
    columns give way first (their headers wrap), then all columns shrink alike.
    """
    frame = table.frame
    n = len(frame.columns)
    if table.widths and len(table.widths) == n:
        rel = [float(w) for w in table.widths]
        return [total_in * r / sum(rel) for r in rel]
    align = table.alignment()
    cells = [
        max([text_width_in(str(v), size_pt) for v in frame.iloc[:, k].tolist()] or [0.0]) + 2 * pad_in
        for k in range(n)
    ]
    heads = [text_width_in(str(col), size_pt) + 2 * pad_in for col in frame.columns]
    want = [max(c, min(h, 1.3), 0.3) for c, h in zip(cells, heads, strict=True)]
    if sum(want) <= total_in:
        spare = total_in - sum(want)
        return [w + spare * w / sum(want) for w in want]
    fixed = [k for k in range(n) if (align[k] if k < len(align) else "r") == "l"]
    floor = [max(cells[k], 0.3) for k in range(n)]
    # a long text column wraps rather than squeezing the numbers
    widths = [min(want[k], 0.45 * total_in) if k in fixed else floor[k] for k in range(n)]
    if sum(widths) < total_in:
        flexible = [k for k in range(n) if k not in fixed]
        room = total_in - sum(widths)
        extra = [want[k] - floor[k] for k in flexible]
        for k, e in zip(flexible, extra, strict=True):
            widths[k] += room * e / sum(extra) if sum(extra) > 0 else room / len(flexible)
        return widths
    return [total_in * w / sum(widths) for w in widths]
