"""The planning report as an A4 PDF with the CJK font embedded, laid out with matplotlib.

matplotlib embeds the glyphs it draws from the Noto Sans CJK font of Debian's ``fonts-noto-cjk`` as
Type 3 subsets (the font is OpenType/CFF, which ReportLab-style TrueType embedding cannot take), so
Chinese text renders everywhere and stays searchable and copyable (``pdftotext`` reads it back).

The layout is a small flow engine: every block becomes lines, table rows and figures of known height,
placed top to bottom and broken across pages; a table's header row is repeated on each page it spans
and a heading never ends a page. Each page after the cover has the running header, the footer (date,
data version) and "page X of Y".
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.gridspec import GridSpec
from matplotlib.patches import Rectangle

from geo.report_model import (
    Bullets,
    Figure_,
    Note,
    Paragraph,
    ReportContent,
    Table,
    column_widths,
    text_width_in,
    wrap,
)

__all__ = ["render_pdf"]

PAGE_W_IN: Final[float] = 8.27
PAGE_H_IN: Final[float] = 11.69
LEFT_IN: Final[float] = 0.85
RIGHT_IN: Final[float] = 0.85
TOP_IN: Final[float] = 0.9
BOTTOM_IN: Final[float] = 0.85
BODY_W_IN: Final[float] = PAGE_W_IN - LEFT_IN - RIGHT_IN
BODY_H_IN: Final[float] = PAGE_H_IN - TOP_IN - BOTTOM_IN
PT: Final[float] = 1 / 72

BODY_PT: Final[float] = 9.5
TABLE_PT: Final[float] = 7.2
LINE: Final[float] = 1.5  # line height as a multiple of the font size


# ---------------------------------------------------------------------------------------------------
# Layout items


@dataclass
class _Item:
    """Something of known height placed on a page; ``draw(fig, top_in)`` draws it."""

    height_in: float
    draw: Callable[[Figure, float], None]
    keep_with_next: bool = False
    space_before_in: float = 0.0
    header: _Item | None = field(default=None, repr=False)  # a table row's header, repeated on new pages


def _fy(top_in: float) -> float:
    return 1 - top_in / PAGE_H_IN


def _fx(x_in: float) -> float:
    return x_in / PAGE_W_IN


def _fill(
    fig: Figure, *, left_in: float, bottom_in: float, width_in: float, height_in: float, colour: str
) -> None:
    """A filled rectangle without an outline; ``left_in`` from the page's left edge, ``bottom_in``
    (its lower side) from the page's top edge, in inches."""
    fig.add_artist(
        Rectangle(
            (_fx(left_in), _fy(bottom_in)),
            width_in / PAGE_W_IN,
            height_in / PAGE_H_IN,
            transform=fig.transFigure,
            facecolor=colour,
            edgecolor="none",
        )
    )


def _text_item(
    line: str,
    *,
    size: float,
    bold: bool = False,
    indent_in: float = 0.0,
    colour: str = "#222222",
    space_before: float = 0.0,
) -> _Item:
    def draw(fig: Figure, top: float) -> None:
        fig.text(
            _fx(LEFT_IN + indent_in),
            _fy(top),
            line,
            fontsize=size,
            va="top",
            ha="left",
            weight="bold" if bold else "normal",
            color=colour,
        )

    return _Item(size * LINE * PT, draw, space_before_in=space_before)


def _paragraph(
    text: str, *, size: float = BODY_PT, bold: bool = False, indent_in: float = 0.0, bullet: str = ""
) -> list[_Item]:
    lines = wrap(text, BODY_W_IN - indent_in - (0.18 if bullet else 0), size)
    items = []
    for k, line in enumerate(lines):
        prefix_indent = indent_in + (0.18 if bullet else 0)
        item = _text_item(line, size=size, bold=bold, indent_in=prefix_indent)
        if bullet and k == 0:
            inner = item.draw

            def draw(fig: Figure, top: float, inner: Callable[[Figure, float], None] = inner) -> None:
                fig.text(_fx(LEFT_IN + indent_in), _fy(top), bullet, fontsize=size, va="top")
                inner(fig, top)

            item.draw = draw
        items.append(item)
    if items:
        items[-1].height_in += 0.06
    return items


def _heading(text: str, level: int) -> list[_Item]:
    size = 13.5 if level == 1 else 11
    item = _text_item(text, size=size, bold=True, space_before=0.16 if level == 1 else 0.08)
    inner = item.draw

    def draw(fig: Figure, top: float) -> None:
        inner(fig, top)
        if level == 1:
            bottom = top + size * LINE * PT - 0.03
            _fill(
                fig,
                left_in=LEFT_IN,
                bottom_in=bottom,
                width_in=BODY_W_IN,
                height_in=0.6 * PT,
                colour="#bbbbbb",
            )

    item.draw = draw
    item.height_in += 0.05
    item.keep_with_next = True
    return [item]


def _note(note: Note) -> list[_Item]:
    size = BODY_PT - 0.5
    lines = wrap(note.text, BODY_W_IN - 0.3, size)
    line_h = size * LINE * PT
    height = len(lines) * line_h + 0.14
    colour = "#fff4ce" if note.kind == "warning" else "#f2f2f2"
    edge = "#e0a800" if note.kind == "warning" else "#999999"

    def draw(fig: Figure, top: float) -> None:
        _fill(
            fig, left_in=LEFT_IN, bottom_in=top + height, width_in=BODY_W_IN, height_in=height, colour=colour
        )
        _fill(fig, left_in=LEFT_IN, bottom_in=top + height, width_in=0.05, height_in=height, colour=edge)
        for k, line in enumerate(lines):
            fig.text(_fx(LEFT_IN + 0.18), _fy(top + 0.07 + k * line_h), line, fontsize=size, va="top")

    return [_Item(height + 0.1, draw, space_before_in=0.04)]


def _table(table: Table) -> list[_Item]:
    size = TABLE_PT
    line_h = size * 1.35 * PT
    pad = 0.045
    widths = column_widths(table, size_pt=size, pad_in=pad, total_in=BODY_W_IN)
    align = table.alignment()
    xs = [LEFT_IN + sum(widths[:k]) for k in range(len(widths))]

    def row_item(cells: list[str], *, header: bool, bold: bool, shade: str | None) -> _Item:
        wrapped = [wrap(str(c), max(w - 2 * pad, 0.2), size) for c, w in zip(cells, widths, strict=True)]
        height = max(len(w) for w in wrapped) * line_h + 2 * pad

        def draw(fig: Figure, top: float) -> None:
            if shade:
                _fill(
                    fig,
                    left_in=LEFT_IN,
                    bottom_in=top + height,
                    width_in=BODY_W_IN,
                    height_in=height,
                    colour=shade,
                )
            _fill(
                fig,
                left_in=LEFT_IN,
                bottom_in=top + height,
                width_in=BODY_W_IN,
                height_in=0.4 * PT,
                colour="#999999",
            )
            for k, (lines, x, w) in enumerate(zip(wrapped, xs, widths, strict=True)):
                side = (
                    "center"
                    if header
                    else ("left" if (align[k] if k < len(align) else "r") == "l" else "right")
                )
                tx = x + w / 2 if side == "center" else (x + pad if side == "left" else x + w - pad)
                for j, line in enumerate(lines):
                    fig.text(
                        _fx(tx),
                        _fy(top + pad + j * line_h),
                        line,
                        fontsize=size,
                        va="top",
                        ha=side,
                        weight="bold" if bold or header else "normal",
                    )

        return _Item(height, draw)

    caption = _text_item(table.caption, size=BODY_PT - 0.5, bold=True, space_before=0.06)
    caption.keep_with_next = True
    head = row_item([str(c) for c in table.frame.columns], header=True, bold=True, shade="#eeeeee")
    if table.groups:
        head = _with_groups(head, table.groups, xs, widths, size, line_h, pad)
    head.keep_with_next = True
    items = [caption, head]
    last = len(table.frame) - 1
    for i, record in enumerate(table.frame.itertuples(index=False)):
        total = table.total_row and i == last
        row = row_item([str(v) for v in record], header=False, bold=total, shade="#f7f7f7" if total else None)
        row.header = head
        items.append(row)
    items[-1].height_in += 0.08
    if table.note:
        items += _paragraph(table.note, size=BODY_PT - 1.5)
    return items


def _with_groups(
    head: _Item,
    groups: tuple[tuple[str, int], ...],
    xs: list[float],
    widths: list[float],
    size: float,
    line_h: float,
    pad: float,
) -> _Item:
    """The header row with a row of group labels above it, each centred over the columns it spans."""
    group_h = line_h + 2 * pad
    inner = head.draw

    def draw(fig: Figure, top: float) -> None:
        _fill(
            fig,
            left_in=LEFT_IN,
            bottom_in=top + group_h,
            width_in=BODY_W_IN,
            height_in=group_h,
            colour="#eeeeee",
        )
        k = 0
        for label, span in groups:
            x0, x1 = xs[k], xs[k + span - 1] + widths[k + span - 1]
            if label:
                fig.text(
                    _fx((x0 + x1) / 2),
                    _fy(top + pad),
                    label,
                    fontsize=size,
                    va="top",
                    ha="center",
                    weight="bold",
                )
                _fill(
                    fig,
                    left_in=x0 + 0.04,
                    bottom_in=top + group_h - 0.01,
                    width_in=x1 - x0 - 0.08,
                    height_in=0.5 * PT,
                    colour="#999999",
                )
            k += span
        inner(fig, top + group_h)

    return _Item(head.height_in + group_h, draw)


def _figure(block: Figure_) -> list[_Item]:
    w_in, h_in = block.size_in
    scale = min(BODY_W_IN / w_in, (BODY_H_IN - 0.5) / h_in)
    width, height = w_in * scale, h_in * scale

    def draw(fig: Figure, top: float) -> None:
        # A sub-figure takes its place from the grid's ratios (a grid's margins are ignored for it).
        left = LEFT_IN + (BODY_W_IN - width) / 2
        spec = GridSpec(
            3,
            3,
            figure=fig,
            width_ratios=[left, width, PAGE_W_IN - left - width],
            height_ratios=[top, height, PAGE_H_IN - top - height],
            wspace=0,
            hspace=0,
        )
        block.draw(fig.add_subfigure(spec[1, 1]))

    return [
        _Item(height + 0.05, draw, space_before_in=0.05),
        *_paragraph(block.caption, size=BODY_PT - 0.5, bold=True),
    ]


def _items(content: ReportContent) -> list[_Item]:
    items: list[_Item] = []
    for section in content.sections:
        items += _heading(section.heading, section.level)
        for block in section.blocks:
            if isinstance(block, Paragraph):
                items += _paragraph(block.text, bold=block.bold)
            elif isinstance(block, Bullets):
                for text in block.items:
                    items += _paragraph(text, bullet="•")
            elif isinstance(block, Note):
                items += _note(block)
            elif isinstance(block, Table):
                items += _table(block)
            elif isinstance(block, Figure_):
                items += _figure(block)
    return items


def _paginate(items: list[_Item]) -> list[list[tuple[_Item, float]]]:
    """Pages of ``(item, top_in)``; headings stay with what follows, table headers repeat."""
    pages: list[list[tuple[_Item, float]]] = [[]]
    y = 0.0
    for k, item in enumerate(items):
        # the run of items that must stay together (a heading, a caption, a table header and the next line)
        run_h = item.space_before_in + item.height_in
        j = k
        while items[j].keep_with_next and j + 1 < len(items):
            j += 1
            run_h += items[j].space_before_in + items[j].height_in
        before = item.space_before_in if pages[-1] else 0.0
        if y + before + run_h > BODY_H_IN and pages[-1]:
            pages.append([])
            y = before = 0.0
            if item.header is not None:
                pages[-1].append((item.header, y))
                y += item.header.height_in
        pages[-1].append((item, y + before))
        y += before + item.height_in
    return [p for p in pages if p]


def _cover(fig: Figure, content: ReportContent) -> None:
    cover = content.cover
    top = 2.2
    for line in wrap(cover.title, BODY_W_IN, 22):
        fig.text(_fx(LEFT_IN), _fy(top), line, fontsize=22, weight="bold", va="top")
        top += 22 * 1.4 * PT
    top += 0.1
    for line in wrap(cover.subtitle, BODY_W_IN, 12):
        fig.text(_fx(LEFT_IN), _fy(top), line, fontsize=12, va="top", color="#444444")
        top += 12 * LINE * PT
    top += 0.35
    key_w = max(text_width_in(k, 10.5) for k, _ in cover.facts) + 0.35
    for key, value in cover.facts:
        lines = wrap(value, BODY_W_IN - key_w, 10.5)
        fig.text(_fx(LEFT_IN), _fy(top), key, fontsize=10.5, va="top", color="#555555")
        for j, line in enumerate(lines):
            fig.text(_fx(LEFT_IN + key_w), _fy(top + j * 10.5 * LINE * PT), line, fontsize=10.5, va="top")
        top += len(lines) * 10.5 * LINE * PT + 0.05
    top += 0.3
    for note in cover.notes:
        for item in _note(note):
            item.draw(fig, top)
            top += item.height_in
    fig.text(_fx(LEFT_IN), _fy(PAGE_H_IN - 1.6), cover.issuer, fontsize=11, va="top", color="#444444")
    fig.text(_fx(LEFT_IN), _fy(PAGE_H_IN - 1.6 + 0.28), content.footer, fontsize=9, va="top", color="#666666")


def _furniture(fig: Figure, content: ReportContent, page: int, pages: int) -> None:
    """Running header, footer (date, data version) and "page X of Y"."""
    grey = "#777777"
    y = PAGE_H_IN - BOTTOM_IN + 0.3
    if page > 1:
        header = content.header
        if text_width_in(header, 7.5) > BODY_W_IN:
            header = wrap(header, BODY_W_IN - 0.2, 7.5)[0] + "…"
        fig.text(_fx(LEFT_IN), _fy(TOP_IN - 0.38), header, fontsize=7.5, va="top", color=grey)
        _fill(
            fig,
            left_in=LEFT_IN,
            bottom_in=TOP_IN - 0.2,
            width_in=BODY_W_IN,
            height_in=0.5 * PT,
            colour="#cccccc",
        )
        fig.text(_fx(LEFT_IN), _fy(y), content.footer, fontsize=7.5, va="top", color=grey)
    label = content.page_label.format(page=page, pages=pages)
    fig.text(_fx(PAGE_W_IN - RIGHT_IN), _fy(y), label, fontsize=7.5, va="top", ha="right", color=grey)


def render_pdf(content: ReportContent) -> bytes:
    """The report as PDF bytes (draw inside :func:`geo.report_figures.fonts` so the CJK font is used)."""
    pages = _paginate(_items(content))
    total = len(pages) + 1
    buffer = io.BytesIO()
    meta = {
        "Title": str(content.meta.get("title", content.cover.title)),
        "Subject": str(content.meta.get("subject", "")),
        "Creator": str(content.meta.get("creator", "")),
        "Keywords": f"data version {content.meta.get('data_version')}",
    }
    with PdfPages(buffer, metadata=meta) as pdf:
        fig = Figure(figsize=(PAGE_W_IN, PAGE_H_IN))
        _cover(fig, content)
        _furniture(fig, content, 1, total)
        pdf.savefig(fig)
        for number, placed in enumerate(pages, start=2):
            fig = Figure(figsize=(PAGE_W_IN, PAGE_H_IN))
            _furniture(fig, content, number, total)
            for item, top in placed:
                item.draw(fig, TOP_IN + top)
            pdf.savefig(fig)
    return buffer.getvalue()
