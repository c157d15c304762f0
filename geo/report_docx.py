"""The planning report as a Word document (python-docx), for offices that edit reports in Word.

A4 with the margins of Chinese official documents, body text in 宋体 and headings in 黑体 (Word
on a Chinese Windows has both; elsewhere the reader's CJK font takes over), real Word headings (so the
navigation pane and a table of contents work), tables whose header rows repeat on every page,
figures as PNG images with captions, and a footer with the date, the data version and
"第 X 页 / 共 Y 页" as Word fields.
"""

from __future__ import annotations

import io
from typing import Final

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph

from geo.report_model import Bullets, Figure_, Note, Paragraph, ReportContent, Table, column_widths

__all__ = ["render_docx"]

BODY_FONT: Final[dict[str, str]] = {"zh": "宋体", "en": "Calibri"}
HEADING_FONT: Final[dict[str, str]] = {"zh": "黑体", "en": "Calibri"}
LATIN_FONT: Final[str] = "Calibri"
TEXT_WIDTH_CM: Final[float] = 21.0 - 2 * 2.8
KEEP_TOGETHER_ROWS: Final[int] = 16


def _fonts(style_or_run: object, *, east_asia: str, latin: str = LATIN_FONT) -> None:
    """Set the Latin and East Asian font of a style or run (python-docx sets only the Latin one)."""
    font = style_or_run.font  # type: ignore[attr-defined]
    font.name = latin
    element = style_or_run.element if hasattr(style_or_run, "element") else style_or_run._element  # type: ignore[attr-defined]
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)


def _language(document: object, lang: str) -> None:
    styles = document.styles.element  # type: ignore[attr-defined]
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is None:
        return
    rpr = defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
    if rpr is None:
        return
    lang_el = rpr.find(qn("w:lang"))
    if lang_el is None:
        lang_el = OxmlElement("w:lang")
        rpr.append(lang_el)
    lang_el.set(qn("w:val"), "zh-CN" if lang == "zh" else "en-GB")
    lang_el.set(qn("w:eastAsia"), "zh-CN")


def _field(paragraph: DocxParagraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) whose value Word computes when the document is shown."""
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    placeholder = OxmlElement("w:t")
    placeholder.text = "1"
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, instr, separate, placeholder, end):
        run._r.append(element)


def _page_label(paragraph: DocxParagraph, template: str) -> None:
    before, _, rest = template.partition("{page}")
    middle, _, after = rest.partition("{pages}")
    if before:
        paragraph.add_run(before)
    _field(paragraph, "PAGE")
    if middle:
        paragraph.add_run(middle)
    _field(paragraph, "NUMPAGES")
    if after:
        paragraph.add_run(after)


def _shade(cell: object, colour: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()  # type: ignore[attr-defined]
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), colour)
    tcpr.append(shading)


def _no_split(row: object) -> None:
    trpr = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    flag = OxmlElement("w:cantSplit")
    flag.set(qn("w:val"), "true")
    trpr.append(flag)


def _repeat_header(row: object) -> None:
    trpr = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    trpr.append(flag)


def _cell_text(cell: object, text: str, *, bold: bool, align: str, size_pt: float) -> None:
    paragraph = cell.paragraphs[0]  # type: ignore[attr-defined]
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.space_before = Pt(0)
    paragraph.alignment = {"l": WD_ALIGN_PARAGRAPH.LEFT, "c": WD_ALIGN_PARAGRAPH.CENTER}.get(
        align, WD_ALIGN_PARAGRAPH.RIGHT
    )
    run = paragraph.add_run(text)
    run.bold = bold
    run.font.size = Pt(size_pt)


def _table(document: object, block: Table, lang: str) -> None:
    caption = document.add_paragraph(block.caption, style="Caption")  # type: ignore[attr-defined]
    caption.paragraph_format.keep_with_next = True
    frame = block.frame
    align = block.alignment()
    n_cols = len(frame.columns)
    header_rows = 2 if block.groups else 1
    table: DocxTable = document.add_table(rows=header_rows + len(frame), cols=n_cols)  # type: ignore[attr-defined]
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    size = 8 if n_cols > 6 else 9
    if block.groups:
        starts = []
        k = 0
        for label, span in block.groups:
            starts.append((k, span, label))
            k += span
        for cell in table.rows[0].cells:
            _shade(cell, "EEEEEE")
        # right to left: a merge changes the cells after it, not those before
        for start, span, label in reversed(starts):
            cell = table.cell(0, start)
            if span > 1:
                cell = cell.merge(table.cell(0, start + span - 1))
            _cell_text(cell, label, bold=True, align="c", size_pt=size)
        _repeat_header(table.rows[0])
    head = table.rows[header_rows - 1]
    for k, col in enumerate(frame.columns):
        _cell_text(head.cells[k], str(col), bold=True, align="c", size_pt=size)
        _shade(head.cells[k], "EEEEEE")
    _repeat_header(head)
    last = len(frame) - 1
    for i, record in enumerate(frame.itertuples(index=False)):
        row = table.rows[header_rows + i]
        total = block.total_row and i == last
        for k, value in enumerate(record):
            _cell_text(
                row.cells[k], str(value), bold=total, align=align[k] if k < len(align) else "r", size_pt=size
            )
            if total:
                _shade(row.cells[k], "F5F5F5")
    table.autofit = False
    widths_in = column_widths(block, size_pt=size, pad_in=0.08, total_in=TEXT_WIDTH_CM / 2.54)
    for k, width in enumerate(widths_in):
        for cell in table.columns[k].cells:
            cell.width = Cm(width * 2.54)
    if len(table.rows) <= KEEP_TOGETHER_ROWS:
        # a short table stays on one page: every row keeps with the next
        for row in table.rows[:-1]:
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    paragraph.paragraph_format.keep_with_next = True
    for row in table.rows:
        _no_split(row)
    if block.note:
        note = document.add_paragraph(block.note)  # type: ignore[attr-defined]
        note.runs[0].font.size = Pt(8)
        note.runs[0].font.color.rgb = RGBColor(0x55, 0x55, 0x55)
    else:
        document.add_paragraph()  # type: ignore[attr-defined]


def _note(document: object, note: Note) -> None:
    table = document.add_table(rows=1, cols=1)  # type: ignore[attr-defined]
    cell = table.cell(0, 0)
    _shade(cell, "FFF4CE" if note.kind == "warning" else "F2F2F2")
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(note.text)
    run.font.size = Pt(9.5)
    document.add_paragraph()  # type: ignore[attr-defined]


def render_docx(content: ReportContent) -> bytes:
    """The report as DOCX bytes (figures drawn with the current matplotlib settings)."""
    from geo.report import figure_png

    lang = content.lang
    document = Document()
    _language(document, lang)
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2.54)
    section.left_margin = section.right_margin = Cm(2.8)
    section.different_first_page_header_footer = True

    styles = document.styles
    _fonts(styles["Normal"], east_asia=BODY_FONT[lang])
    styles["Normal"].font.size = Pt(10.5)
    styles["Normal"].paragraph_format.line_spacing = 1.3
    for name, size in (
        ("Title", 22),
        ("Subtitle", 13),
        ("Heading 1", 15),
        ("Heading 2", 12.5),
        ("Caption", 9.5),
    ):
        style = styles[name]
        _fonts(style, east_asia=HEADING_FONT[lang])
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0x22, 0x22, 0x22)
        style.font.italic = False
        if name == "Caption":
            style.font.bold = True
    _fonts(styles["List Bullet"], east_asia=BODY_FONT[lang])

    header = section.header.paragraphs[0]
    header.text = content.header
    header.runs[0].font.size = Pt(8)
    header.runs[0].font.color.rgb = RGBColor(0x77, 0x77, 0x77)
    for footer in (section.footer, section.first_page_footer):
        paragraph = footer.paragraphs[0]
        paragraph.add_run(content.footer + "    ")
        _page_label(paragraph, content.page_label)
        for run in paragraph.runs:
            run.font.size = Pt(8)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    cover = content.cover
    for _ in range(4):
        document.add_paragraph()
    document.add_paragraph(cover.title, style="Title")
    document.add_paragraph(cover.subtitle, style="Subtitle")
    facts = document.add_table(rows=len(cover.facts), cols=2)
    facts.autofit = False
    for row, (key, value) in zip(facts.rows, cover.facts, strict=True):
        _cell_text(row.cells[0], key, bold=True, align="l", size_pt=10.5)
        _cell_text(row.cells[1], value, bold=False, align="l", size_pt=10.5)
        row.cells[0].width, row.cells[1].width = Cm(3.2), Cm(TEXT_WIDTH_CM - 3.2)
    for column, width in zip(facts.columns, (3.2, TEXT_WIDTH_CM - 3.2), strict=True):
        column.width = Cm(width)
    document.add_paragraph()
    for note in cover.notes:
        _note(document, note)
    issuer = document.add_paragraph(cover.issuer)
    issuer.paragraph_format.space_before = Pt(48)
    issuer.add_run().add_break(WD_BREAK.PAGE)

    for sec in content.sections:
        document.add_heading(sec.heading, level=1 if sec.level == 1 else 2)
        for block in sec.blocks:
            if isinstance(block, Paragraph):
                paragraph = document.add_paragraph()
                run = paragraph.add_run(block.text)
                run.bold = block.bold
                if block.bold:
                    paragraph.paragraph_format.keep_with_next = True
            elif isinstance(block, Bullets):
                for item in block.items:
                    document.add_paragraph(item, style="List Bullet")
            elif isinstance(block, Note):
                _note(document, block)
            elif isinstance(block, Table):
                _table(document, block, lang)
            elif isinstance(block, Figure_):
                picture = document.add_paragraph()
                picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
                picture.paragraph_format.keep_with_next = True
                ratio = block.size_in[1] / block.size_in[0]
                width_cm = min(TEXT_WIDTH_CM, 22.0 / ratio)
                picture.add_run().add_picture(io.BytesIO(figure_png(block, dpi=200)), width=Cm(width_cm))
                document.add_paragraph(block.caption, style="Caption").alignment = WD_ALIGN_PARAGRAPH.CENTER

    props = document.core_properties
    props.title = str(content.meta.get("title", cover.title))
    props.subject = str(content.meta.get("subject", ""))
    props.author = str(content.meta.get("creator", ""))
    props.language = "zh-CN" if lang == "zh" else "en-GB"
    props.keywords = f"data version {content.meta.get('data_version')}"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
