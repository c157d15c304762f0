"""The planning report as one self-contained HTML file: images inlined, no link leaves the file.

It opens offline in any browser and prints on A4 with the running header, the date and data version,
and page numbers (CSS page margin boxes, which Chromium-based browsers print).
"""

from __future__ import annotations

import base64
import html
from typing import Final

from geo.report_model import Bullets, Figure_, Note, Paragraph, ReportContent, Table

__all__ = ["render_html"]

_CSS: Final[str] = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",sans-serif;
max-width:1000px;margin:2em auto;padding:0 1.2em;color:#222;line-height:1.6;font-size:15px}
h1{font-size:1.7em;margin:.2em 0}h2{font-size:1.3em;border-bottom:2px solid #ddd;padding-bottom:.2em;
margin-top:1.8em}.subtitle{font-size:1.1em;color:#444}
table{border-collapse:collapse;font-size:.86em;margin:.4em 0 1em}th,td{border:1px solid #ccc;
padding:.25em .5em;vertical-align:top}th{background:#f0f0f0}th.g{text-align:center}td.r,th.r{text-align:right}
td.l,th.l{text-align:left}tr.total td{font-weight:bold;background:#fafafa}
caption{caption-side:top;text-align:left;font-weight:bold;padding:.3em 0}
.tnote{font-size:.85em;color:#555;margin-top:-.6em}
.note{border-left:4px solid #999;padding:.5em 1em;background:#f5f5f5}
.note.warning{border-color:#e0a800;background:#fff4ce}
figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #ddd}
figcaption{font-weight:bold;margin-top:.3em}.cover{min-height:80vh;padding-top:12vh}
.facts th{text-align:left;background:#f7f7f7;width:9em}.issuer{margin-top:3em;color:#444}
footer{margin-top:3em;color:#666;font-size:.85em;border-top:1px solid #ddd;padding-top:.5em}
@media print{body{max-width:none;margin:0;padding:0;font-size:11pt}.cover{page-break-after:always;
min-height:0}h2{page-break-after:avoid}table,figure{page-break-inside:auto}tr{page-break-inside:avoid}
thead{display:table-header-group}footer{display:none}}
"""


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _page_css(content: ReportContent) -> str:
    """``@page`` rules: A4, the running header and footer, "page X of Y" (CSS counters)."""
    label = content.page_label
    before, _, rest = label.partition("{page}")
    middle, _, after = rest.partition("{pages}")
    counter = " ".join(
        part
        for part in (
            _css_string(before) if before else "",
            "counter(page)",
            _css_string(middle) if middle else "",
            "counter(pages)",
            _css_string(after) if after else "",
        )
        if part
    )
    return (
        "@page{size:A4;margin:20mm 18mm 20mm 18mm;"
        f"@top-left{{content:{_css_string(content.header)};font-size:8pt;color:#777}}"
        f"@bottom-left{{content:{_css_string(content.footer)};font-size:8pt;color:#777}}"
        f"@bottom-right{{content:{counter};font-size:8pt;color:#777}}}}"
        "@page:first{@top-left{content:none}}"
    )


def _table(block: Table) -> str:
    e = html.escape
    align = block.alignment()
    head = "".join(
        f'<th class="{align[k] if k < len(align) else "r"}">{e(str(c))}</th>'
        for k, c in enumerate(block.frame.columns)
    )
    rows = []
    last = len(block.frame) - 1
    for i, record in enumerate(block.frame.itertuples(index=False)):
        cls = ' class="total"' if block.total_row and i == last else ""
        cells = "".join(
            f'<td class="{align[k] if k < len(align) else "r"}">{e(str(v))}</td>'
            for k, v in enumerate(record)
        )
        rows.append(f"<tr{cls}>{cells}</tr>")
    group_row = ""
    if block.groups:
        group_row = (
            "<tr>"
            + "".join(f'<th colspan="{span}" class="g">{e(label)}</th>' for label, span in block.groups)
            + "</tr>"
        )
    out = (
        f"<table><caption>{e(block.caption)}</caption><thead>{group_row}<tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    if block.note:
        out += f'<p class="tnote">{e(block.note)}</p>'
    return out


def render_html(content: ReportContent) -> str:
    """The report as one HTML page (UTF-8 text); figures drawn with the current matplotlib settings."""
    from geo.report import figure_png

    e = html.escape
    lang = "zh-CN" if content.lang == "zh" else "en"
    cover = content.cover
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(cover.title)}</title><style>{_CSS}{_page_css(content)}</style></head><body>",
        '<section class="cover">',
        f"<h1>{e(cover.title)}</h1>",
        f'<p class="subtitle">{e(cover.subtitle)}</p>',
        '<table class="facts">',
        *(f"<tr><th>{e(k)}</th><td class='l'>{e(v)}</td></tr>" for k, v in cover.facts),
        "</table>",
        *(f'<p class="note {n.kind}">{e(n.text)}</p>' for n in cover.notes),
        f'<p class="issuer">{e(cover.issuer)}</p>',
        "</section>",
    ]
    for section in content.sections:
        tag = "h2" if section.level == 1 else "h3"
        parts.append(f"<section><{tag}>{e(section.heading)}</{tag}>")
        for block in section.blocks:
            if isinstance(block, Paragraph):
                inner = f"<strong>{e(block.text)}</strong>" if block.bold else e(block.text)
                parts.append(f"<p>{inner}</p>")
            elif isinstance(block, Bullets):
                parts.append("<ul>" + "".join(f"<li>{e(item)}</li>" for item in block.items) + "</ul>")
            elif isinstance(block, Note):
                parts.append(f'<p class="note {block.kind}">{e(block.text)}</p>')
            elif isinstance(block, Table):
                parts.append(_table(block))
            elif isinstance(block, Figure_):
                data = base64.b64encode(figure_png(block)).decode("ascii")
                alt = e(block.alt or block.caption)
                parts.append(
                    f'<figure><img alt="{alt}" src="data:image/png;base64,{data}">'
                    f"<figcaption>{e(block.caption)}</figcaption></figure>"
                )
        parts.append("</section>")
    parts += [f"<footer>{e(content.header)} · {e(content.footer)}</footer>", "</body></html>"]
    return "\n".join(parts)
