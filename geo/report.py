"""Planning reports for the city or one district, as self-contained HTML and as PDF, made offline.

One call, :func:`build_report`, gathers what a planning meeting needs: a map image (district
outlines, facilities by type, uncovered demand cells and suggested sites; drawn with matplotlib, no
map tiles, so no internet is needed), coverage tables per district and township with a chart, the
top new-site suggestions (:func:`geo.siting.suggest_sites`), the travel model and its settings, the
data sources (from ``datasets/README.md``) and the note that the shipped data are a modelled sample.

The HTML file inlines its images as base64 PNG. The PDF embeds a CJK font (Noto Sans CJK from
Debian's ``fonts-noto-cjk`` or any font found by :func:`cjk_font_path`) as a subset, so Chinese text
renders and can be searched and copied; without such a font :func:`build_report` raises a bilingual
:class:`~geo.errors.CareCircleError` saying what to install.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import math
import os
import re
import unicodedata
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final, cast

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from geo import coverage as cov
from geo.errors import CareCircleError, DataError
from geo.io import DATASETS_DIR
from geo.maps import BOUNDARY_ATTRIBUTION, TYPE_COLOURS
from geo.provenance import modelled_note
from geo.schema import FACILITY_TYPES, type_label
from geo.siting import suggest_sites
from geo.travel import TravelModel, check_budget

__all__ = [
    "CJK_FONT_CANDIDATES",
    "MODELLED_NOTE",
    "PlanningReport",
    "ReportSettings",
    "build_report",
    "cjk_font_path",
    "data_sources",
]

#: Where CJK fonts usually live (Debian/Ubuntu ``fonts-noto-cjk`` first); ``$CARECIRCLE_CJK_FONT`` wins.
CJK_FONT_CANDIDATES: Final[tuple[str, ...]] = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)

MODELLED_NOTE: Final[str] = (
    "注意:本报告中的设施与人口为模拟样本数据(按2020年人口普查等公开资料建模),并非真实记录。"
    " / Note: facilities and population in this report are a modelled sample (built from the 2020 "
    "census and other public data), not real records."
)
NO_FONT_MESSAGE: Final[str] = (
    "未找到中文字体,无法生成 PDF。请安装 fonts-noto-cjk(apt-get install fonts-noto-cjk),"
    "或用环境变量 CARECIRCLE_CJK_FONT 指定字体文件。 / No CJK font found, so the PDF cannot show "
    "Chinese: install fonts-noto-cjk (apt-get install fonts-noto-cjk) or point $CARECIRCLE_CJK_FONT "
    "at a .ttf/.otf/.ttc font file. The HTML report does not need it."
)
CITY_NAME: Final[str] = "鄂尔多斯市 / Ordos"
GROUP_LABELS: Final[dict[str, str]] = {
    "pop_total": "全体居民 Residents",
    "pop_60plus": "60岁以上 Aged 60+",
    "pop_0_3": "0–3岁 Aged 0–3",
}
GROUP_COLOURS: Final[dict[str, str]] = {"pop_total": "#4c72b0", "pop_60plus": "#dd8452", "pop_0_3": "#55a868"}
ROWS_PER_PAGE: Final[int] = 30
A4_PORTRAIT_IN: Final[tuple[float, float]] = (8.27, 11.69)


# ---------------------------------------------------------------------------------------------------
# Settings and result


@dataclass(frozen=True)
class ReportSettings:
    """What the report covers.

    Parameters
    ----------
    types : tuple of str
        Facility type codes whose coverage is reported.
    budget_min : float
        Time budget (minutes).
    target : str
        ``total``, ``60plus``, ``0_3`` or a population column: the group suggestions maximise and the
        map's uncovered cells show.
    district : int, optional
        Adcode of one district (banner); None for the whole city.
    n_suggestions : int
        New sites to suggest (0: no suggestions section).
    suggest_type : str, optional
        Type the suggestions are for (default: the first of ``types``).
    solver : {"greedy", "exact"}
        Siting solver.
    min_separation_m : float
        Candidates closer than this to an existing facility of the type are left out.
    title : str, optional
        Report title (default: built from the scope and the types).
    """

    types: tuple[str, ...]
    budget_min: float
    target: str = "pop_total"
    district: int | None = None
    n_suggestions: int = 5
    suggest_type: str | None = None
    solver: str = "greedy"
    min_separation_m: float = 0.0
    title: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "types", tuple(cov.parse_types(list(self.types))))
        object.__setattr__(self, "target", cov.parse_target(self.target))
        object.__setattr__(self, "budget_min", check_budget(self.budget_min))
        if self.n_suggestions < 0:
            msg = f"n_suggestions: got {self.n_suggestions}; expected 0 or more"
            raise DataError(msg)
        if self.solver not in ("greedy", "exact"):
            msg = f"solver: got {self.solver!r}; expected 'greedy' or 'exact'"
            raise DataError(msg)


@dataclass(frozen=True)
class PlanningReport:
    """A built report.

    Attributes
    ----------
    title : str
    html : str
        Self-contained HTML (UTF-8 text; images inlined as base64 PNG, no external links).
    pdf : bytes or None
        The PDF (None when ``pdf=False`` was asked).
    pdf_pages : int
        Number of pages of the PDF (0 without one).
    tables : dict of str to pandas.DataFrame
        ``totals``, ``districts``, ``townships``, ``suggestions``, ``settings``, ``sources``: the
        tables shown, with display headers.
    images : dict of str to bytes
        ``map`` and ``chart`` as PNG.
    """

    title: str
    html: str
    pdf: bytes | None
    pdf_pages: int
    tables: dict[str, pd.DataFrame] = field(repr=False)
    images: dict[str, bytes] = field(repr=False)


# ---------------------------------------------------------------------------------------------------
# Fonts


def cjk_font_path() -> Path | None:
    """A font file with Chinese glyphs: ``$CARECIRCLE_CJK_FONT``, a known path, or one matplotlib knows.

    Returns
    -------
    pathlib.Path or None
        None when no CJK font is installed.
    """
    env = os.environ.get("CARECIRCLE_CJK_FONT")
    if env and Path(env).is_file():
        return Path(env)
    for candidate in CJK_FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    hints = ("CJK", "WenQuanYi", "Source Han", "SimHei", "Microsoft YaHei", "PingFang", "Noto Sans SC")
    for entry in font_manager.fontManager.ttflist:
        if any(h.lower() in entry.name.lower() for h in hints):
            return Path(entry.fname)
    return None


@functools.lru_cache(maxsize=4)
def _font_family(path: str) -> str:
    """Register ``path`` with matplotlib once; the family name to use (Simplified Chinese face first)."""
    font_manager.fontManager.addfont(path)
    names = [f.name for f in font_manager.fontManager.ttflist if f.fname == path]
    for preferred in (" SC", "SC", ""):
        for name in names:
            if name.endswith(preferred) and "Mono" not in name:
                return name
    return names[0] if names else font_manager.FontProperties(fname=path).get_name()


@contextmanager
def _fonts(font: Path | None) -> Iterator[None]:
    families = [_font_family(str(font))] if font is not None else []
    bold = Path(str(font).replace("Regular", "Bold")) if font is not None else None
    if bold is not None and bold != font and bold.is_file():
        _font_family(str(bold))  # registers the bold face of the same family for headings
    rc: dict[str, Any] = {
        "font.family": [*families, "DejaVu Sans"],
        "axes.unicode_minus": False,
        # Type 3 subsets of the CJK font: every glyph used is embedded, text stays extractable.
        "pdf.fonttype": 3,
        "svg.fonttype": "path",
    }
    with mpl.rc_context(cast("Any", rc)), warnings.catch_warnings():
        if font is None:
            # HTML only (the PDF refuses without a font): Chinese labels in the images show as boxes.
            warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        yield


# ---------------------------------------------------------------------------------------------------
# Data sources


def data_sources(readme_text: str | None = None) -> pd.DataFrame:
    """The real reference data and their attributions, from ``datasets/README.md``.

    Parameters
    ----------
    readme_text : str, optional
        The README's text (default: read from :data:`geo.io.DATASETS_DIR`).

    Returns
    -------
    pandas.DataFrame
        ``file, content, origin`` for each row of the README's "Real reference data" table, plus a
        row for the modelled sample.
    """
    if readme_text is None:
        path = DATASETS_DIR / "README.md"
        readme_text = path.read_text(encoding="utf-8") if path.is_file() else ""
    rows = []
    section = ""
    for line in readme_text.splitlines():
        if line.startswith("## "):
            section = line[3:].strip().lower()
        if not section.startswith("real reference") or not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4:
            rows.append(
                {"file": _plain_md(cells[0]), "content": _plain_md(cells[1]), "origin": _plain_md(cells[3])}
            )
    rows.append(
        {
            "file": "population_cells.csv, facilities_sample.csv",
            "content": "模拟样本 / modelled sample: demand cells and facilities (datasets/MODELLED.md)",
            "origin": "built by datasets/build_sample.py from the files above; not real records",
        }
    )
    return pd.DataFrame(rows, columns=["file", "content", "origin"])


def _plain_md(text: str) -> str:
    return re.sub(r"[`*]", "", text).strip()


# ---------------------------------------------------------------------------------------------------
# Tables


def _number(value: object, spec: str) -> str:
    """``value`` formatted with ``spec``, or a dash when it is not a finite number."""
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "–"
    return "–" if not math.isfinite(f) else format(f, spec)


def _pct(value: object) -> str:
    return _number(value, ".1%")


def _people(value: object) -> str:
    return _number(value, ",.0f")


def _area_display(table: pd.DataFrame, *, key_label: str) -> pd.DataFrame:
    out = pd.DataFrame({key_label: table["name"].astype(str)})
    for g, label in GROUP_LABELS.items():
        out[f"{label}"] = table[g].map(_people)
        out[f"覆盖率 covered · {label.split()[0]}"] = table[f"{g}_covered_share"].map(_pct)
    out["设施 facilities"] = table["facilities"].astype(int)
    out["容量 capacity"] = table["capacity"].map(_people)
    return out


def _totals_display(totals: dict[str, Any], scope_name: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "人群 group": list(GROUP_LABELS.values()),
            "人数 people": [_people(totals[g]) for g in GROUP_LABELS],
            "覆盖人数 covered": [_people(totals[f"{g}_covered"]) for g in GROUP_LABELS],
            "覆盖率 share": [_pct(totals[f"{g}_covered_share"]) for g in GROUP_LABELS],
        }
    ).assign(**{"范围 scope": scope_name})[
        ["范围 scope", "人群 group", "人数 people", "覆盖人数 covered", "覆盖率 share"]
    ]


def _suggestions_display(table: pd.DataFrame, district_names: dict[int, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "序号 rank": table["rank"].astype(int),
            "经度 lon": table["lon"].map(lambda v: f"{v:.5f}"),
            "纬度 lat": table["lat"].map(lambda v: f"{v:.5f}"),
            "旗区 district": table["district_adcode"].map(lambda a: district_names.get(int(a), str(a))),
            "乡镇 township": table["township"].astype(str),
            "新增覆盖 gain": table["gain"].map(_people),
            "累计覆盖 cumulative": table["cumulative_covered"].map(_people),
            "累计覆盖率 share": table["cumulative_share"].map(_pct),
        }
    )


# ---------------------------------------------------------------------------------------------------
# Drawings


def _draw_map(
    ax: Axes,
    *,
    districts: gpd.GeoDataFrame,
    district: int | None,
    facilities: pd.DataFrame,
    uncovered: pd.DataFrame,
    suggestions: pd.DataFrame | None,
    target: str,
) -> None:
    shown = districts if district is None else districts[districts["adcode"] == district]
    if district is not None:
        districts.boundary.plot(ax=ax, color="#bbbbbb", linewidth=0.5)
    shown.plot(ax=ax, color="#f4f1ea", edgecolor="#555555", linewidth=0.8)
    if district is None:
        for _, row in shown.iterrows():
            p = row.geometry.representative_point()
            ax.annotate(str(row["name"]), (p.x, p.y), fontsize=7, ha="center", color="#333333")
    if not uncovered.empty:
        size = 2 + 40 * np.sqrt(uncovered["people"].to_numpy(float) / max(uncovered["people"].max(), 1.0))
        ax.scatter(
            uncovered["lon"],
            uncovered["lat"],
            s=size,
            c="#de2d26",
            alpha=0.35,
            linewidths=0,
            label=f"未覆盖 uncovered ({GROUP_LABELS[target].split()[0]})",
        )
    for code, group in facilities.groupby("type", sort=False):
        ax.scatter(
            group["lon"],
            group["lat"],
            s=14,
            c=TYPE_COLOURS.get(str(code), "#777777"),
            edgecolors="white",
            linewidths=0.4,
            label=f"{type_label(str(code), 'zh')} {type_label(str(code), 'en')}",
            zorder=3,
        )
    if suggestions is not None and not suggestions.empty:
        ax.scatter(
            suggestions["lon"],
            suggestions["lat"],
            s=90,
            marker="*",
            c="#111111",
            label="建议新址 suggested site",
            zorder=4,
        )
        for rec in suggestions.to_dict(orient="records"):
            ax.annotate(
                str(rec["rank"]),
                (rec["lon"], rec["lat"]),
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=7,
            )
    minx, miny, maxx, maxy = shown.total_bounds
    pad_x, pad_y = (maxx - minx) * 0.03, (maxy - miny) * 0.03
    ax.set_xlim(minx - pad_x, maxx + pad_x)
    ax.set_ylim(miny - pad_y, maxy + pad_y)
    ax.set_aspect(1 / math.cos(math.radians((miny + maxy) / 2)))
    ax.tick_params(labelsize=6)
    ax.legend(loc="lower left", fontsize=6, framealpha=0.85, markerscale=0.8)
    ax.annotate(
        f"{BOUNDARY_ATTRIBUTION} · WGS84 · 模拟样本 modelled sample",
        (0.99, 0.01),
        xycoords="axes fraction",
        ha="right",
        fontsize=5,
        color="#555555",
    )


def _draw_chart(ax: Axes, table: pd.DataFrame, *, title: str) -> None:
    names = table["name"].astype(str).tolist()
    y = np.arange(len(names))
    height = 0.8 / len(GROUP_LABELS)
    for k, (g, label) in enumerate(GROUP_LABELS.items()):
        shares = table[f"{g}_covered_share"].astype(float).fillna(0.0).to_numpy() * 100
        ax.barh(y + (k - 1) * height, shares, height=height, color=GROUP_COLOURS[g], label=label)
    ax.set_yticks(y, names, fontsize=7 if len(names) < 20 else 5)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("覆盖率 covered share (%)", fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.tick_params(axis="x", labelsize=7)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(axis="x", color="#dddddd", linewidth=0.5)


def _png(fig: Figure, *, dpi: int = 150) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------
# HTML

_CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.5}
h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em;margin:.6em 0}th,td{border:1px solid #ccc;padding:.25em .5em}
th{background:#f3f3f3;text-align:left}td{text-align:right}td:first-child{text-align:left}
.note{background:#fff4ce;border-left:4px solid #e0a800;padding:.6em 1em}.meta{color:#555}
img{max-width:100%;height:auto;border:1px solid #ddd}
"""


def _table_html(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, escape=True, border=0, na_rep="–")


def _img_html(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _html(
    *,
    note: str | None,
    title: str,
    meta: str,
    tables: dict[str, pd.DataFrame],
    images: dict[str, bytes],
    solver_text: str,
    has_suggestions: bool,
) -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        f'<p class="meta">{e(meta)}</p>',
        f'<p class="note">{e(note)}</p>' if note else "",
        "<h2>1 设置与出行模型 / Settings and travel model</h2>",
        _table_html(tables["settings"]),
        "<h2>2 地图 / Map</h2>",
        _img_html(images["map"], "map"),
        "<h2>3 覆盖情况 / Coverage</h2>",
        _table_html(tables["totals"]),
        _img_html(images["chart"], "chart"),
    ]
    if not tables["districts"].empty:
        parts += ["<h3>按旗区 / By district</h3>", _table_html(tables["districts"])]
    parts += ["<h3>按乡镇街道 / By township</h3>", _table_html(tables["townships"])]
    parts.append("<h2>4 选址建议 / Suggested new sites</h2>")
    if has_suggestions:
        parts += [f'<p class="meta">{e(solver_text)}</p>', _table_html(tables["suggestions"])]
    else:
        parts.append("<p>未请求 / not requested.</p>")
    parts += [
        "<h2>5 数据来源 / Data sources</h2>",
        _table_html(tables["sources"]),
        f'<p class="note">{e(note)}</p>' if note else "",
        "</body></html>",
    ]
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------------
# PDF


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _wrap(text: str, width: int) -> list[str]:
    """Wrap mixed Chinese/Latin text to ``width`` columns (CJK characters count double)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for token in re.findall(
            r"[\u2e80-\u9fff\uff00-\uffef]|[^\s\u2e80-\u9fff\uff00-\uffef]+\s*|\s+", paragraph
        ):
            if _width(line + token) > width and line.strip():
                lines.append(line.rstrip())
                line = token.lstrip()
            else:
                line += token
        lines.append(line.rstrip())
    return lines


def _page(title: str, page_no: int, header: str) -> Figure:
    fig = Figure(figsize=A4_PORTRAIT_IN)
    fig.text(0.06, 0.965, header, fontsize=7, color="#777777")
    fig.text(0.94, 0.965, f"{page_no}", fontsize=7, color="#777777", ha="right")
    fig.text(0.06, 0.93, title, fontsize=13, weight="bold")
    return fig


def _text_block(
    fig: Figure, lines: Sequence[str], *, top: float, size: float = 8.5, step: float = 0.018
) -> float:
    y = top
    for line in lines:
        fig.text(0.06, y, line, fontsize=size, va="top")
        y -= step
    return y


def _table_on(
    fig: Figure, frame: pd.DataFrame, *, rect: tuple[float, float, float, float], size: float
) -> None:
    ax = fig.add_axes(rect)
    ax.axis("off")
    if frame.empty:
        ax.text(0, 1, "–", va="top")
        return
    header = [_wrap_header(str(c)) for c in frame.columns]
    body = frame.astype(str).to_numpy().tolist()
    n = len(body) + 1
    row_h = min(rect[3] / n, 0.028)
    bbox = (0.0, 1 - row_h * n / rect[3], 1.0, row_h * n / rect[3])
    table = ax.table(
        cellText=body, colLabels=header, loc="upper left", bbox=Bbox.from_bounds(*bbox), cellLoc="right"
    )
    table.auto_set_font_size(False)
    table.set_fontsize(size)
    for (row, col), cell in table.get_celld().items():
        cell.set_linewidth(0.3)
        if row == 0:
            cell.set_facecolor("#f0f0f0")
            cell.set_text_props(ha="center")
        elif col == 0:
            cell.set_text_props(ha="left")


def _wrap_header(text: str) -> str:
    return text.replace(" ", "\n", 1) if _width(text) > 12 else text


def _chunks(frame: pd.DataFrame, size: int) -> list[pd.DataFrame]:
    return [frame.iloc[i : i + size] for i in range(0, len(frame), size)] or [frame]


def _pdf(
    *,
    note: str | None,
    title: str,
    meta: str,
    tables: dict[str, pd.DataFrame],
    draw_map: Any,
    draw_chart: Any,
    solver_text: str,
    has_suggestions: bool,
) -> tuple[bytes, int]:
    buffer = io.BytesIO()
    pages = 0
    header = title if _width(title) <= 110 else title[:50] + "…"

    def next_page(heading: str) -> Figure:
        nonlocal pages
        pages += 1
        return _page(heading, pages, header)

    with PdfPages(buffer, metadata={"Title": title, "Creator": "CareCircle Ordos geo.report"}) as pdf:
        fig = next_page(title)
        y = _text_block(fig, _wrap(meta, 100), top=0.905)
        if note:
            y = _text_block(fig, _wrap(note, 96), top=y - 0.005, size=8)
        settings_lines = [f"{k}: {v}" for k, v in tables["settings"].itertuples(index=False)]
        y = _text_block(
            fig,
            ["设置与出行模型 / Settings and travel model", *settings_lines],
            top=y - 0.01,
            size=7.5,
            step=0.015,
        )
        ax = fig.add_axes((0.06, 0.04, 0.88, max(y - 0.07, 0.3)))
        draw_map(ax)
        pdf.savefig(fig)

        fig = next_page("覆盖情况 / Coverage")
        _table_on(fig, tables["totals"], rect=(0.06, 0.78, 0.88, 0.12), size=7.5)
        draw_chart(fig.add_axes((0.25, 0.36, 0.69, 0.38)))
        fig.text(0.06, 0.31, "选址建议 / Suggested new sites", fontsize=10, weight="bold")
        if has_suggestions:
            _text_block(fig, _wrap(solver_text, 110), top=0.295, size=7)
            _table_on(fig, tables["suggestions"].head(12), rect=(0.06, 0.03, 0.88, 0.24), size=6.5)
        else:
            fig.text(0.06, 0.28, "未请求 / not requested", fontsize=8)
        pdf.savefig(fig)

        for key, heading in (
            ("districts", "按旗区 / By district"),
            ("townships", "按乡镇街道 / By township"),
        ):
            if tables[key].empty:
                continue
            for k, part in enumerate(_chunks(tables[key], ROWS_PER_PAGE)):
                fig = next_page(heading + (f" ({k + 1})" if len(tables[key]) > ROWS_PER_PAGE else ""))
                height = min(0.86, 0.028 * (len(part) + 1) + 0.01)
                _table_on(fig, part, rect=(0.04, 0.9 - height, 0.92, height), size=6)
                pdf.savefig(fig)

        fig = next_page("数据来源与说明 / Data sources and notes")
        lines: list[str] = []
        for file, content, origin in tables["sources"].itertuples(index=False):
            lines += _wrap(f"• {file}: {content}", 110)
            lines += ["    " + s for s in _wrap(str(origin), 104)]
        if note:
            lines += ["", *_wrap(note, 100)]
        _text_block(fig, lines, top=0.9, size=7.5, step=0.016)
        pdf.savefig(fig)
    return buffer.getvalue(), pages


# ---------------------------------------------------------------------------------------------------
# The report


def build_report(
    cells: pd.DataFrame,
    facilities: pd.DataFrame,
    model: TravelModel,
    *,
    settings: ReportSettings,
    districts: gpd.GeoDataFrame,
    townships: pd.DataFrame,
    suggestions: pd.DataFrame | None = None,
    sources: pd.DataFrame | None = None,
    generated_at: datetime | None = None,
    pdf: bool = True,
    data: dict[str, Any] | None = None,
) -> PlanningReport:
    """Build the planning report for the city or one district, as HTML and PDF.

    Parameters
    ----------
    cells : pandas.DataFrame
        Demand cells (:func:`geo.io.read_population_cells`).
    facilities : pandas.DataFrame
        Facility table (published or a scenario's); open facilities of ``settings.types`` count.
    model : TravelModel
        Travel model; its description is printed in the report.
    settings : ReportSettings
        Types, budget, target, scope and suggestion options.
    districts : geopandas.GeoDataFrame
        District outlines (``adcode, name, geometry``, WGS84), e.g. :func:`geo.io.read_districts`.
    townships : pandas.DataFrame
        ``code, name, adcode`` (:func:`geo.io.read_townships`).
    suggestions : pandas.DataFrame, optional
        A ``suggest`` table already computed (e.g. by the app); default: computed here with
        :func:`geo.siting.suggest_sites` (demand and candidates of the scope only).
    sources : pandas.DataFrame, optional
        ``file, content, origin`` (default :func:`data_sources`).
    generated_at : datetime, optional
        Time printed in the report (default now).
    pdf : bool
        Also build the PDF (needs a CJK font).
    data : dict, optional
        The ``"data"`` provenance block (:func:`geo.provenance.data_block`): the report then names the
        demand layer it ran on and notes exactly the modelled layers. Without it the facilities and
        demand are taken to be the modelled sample.

    Returns
    -------
    PlanningReport

    Raises
    ------
    DataError
        For an unknown district adcode.
    CareCircleError
        When ``pdf`` is asked and no CJK font is installed (bilingual message with the fix).
    """
    district = settings.district
    district_names = dict(zip(districts["adcode"].astype(int), districts["name"].astype(str), strict=True))
    if district is not None and int(district) not in district_names:
        msg = f"district: got adcode {district}; expected one of {', '.join(map(str, district_names))}"
        raise DataError(msg)
    font = cjk_font_path()
    if pdf and font is None:
        raise CareCircleError(NO_FONT_MESSAGE)
    scope_name = CITY_NAME if district is None else district_names[int(district)]
    when = (generated_at or datetime.now()).strftime("%Y-%m-%d %H:%M")
    types = list(settings.types)
    type_text = "、".join(f"{FACILITY_TYPES[t].zh} {FACILITY_TYPES[t].en}" for t in types)
    title = (
        settings.title
        or f"{scope_name.split(' /')[0]} 一刻钟服务圈规划报告 / 15-minute service circle planning report"
    )

    access = cov.cell_access(
        cells, facilities, model, types=types, budget_min=settings.budget_min, tiers_min=()
    )
    names = pd.DataFrame({"adcode": districts["adcode"].astype(int), "name": districts["name"].astype(str)})
    by_district = cov.area_table(cells, access, facilities, by="district", types=types, names=names)
    by_township = cov.area_table(cells, access, facilities, by="township", types=types, names=townships)
    in_scope = (
        np.ones(len(cells), dtype=bool) if district is None else (cells["adcode"] == int(district)).to_numpy()
    )
    if district is None:
        totals = cov.area_totals(by_district)
        district_rows = by_district
    else:
        totals = cov.area_totals(by_district[by_district["adcode"] == int(district)])
        district_rows = by_district.iloc[0:0]
        by_township = by_township[by_township["adcode"] == int(district)]
    by_township = by_township[(by_township["pop_total"] > 0) | (by_township["facilities"] > 0)]

    suggest_type = settings.suggest_type or types[0]
    solver_text = ""
    if suggestions is None and settings.n_suggestions > 0:
        found = suggest_sites(
            cells.loc[in_scope],
            facilities,
            model,
            facility_type=suggest_type,
            n_new=settings.n_suggestions,
            budget_min=settings.budget_min,
            target=settings.target,
            solver=settings.solver,  # type: ignore[arg-type]
            min_separation_m=settings.min_separation_m,
            townships=townships,
        )
        suggestions = found.table
        res = found.result
        gap = "–" if res.optimality_gap is None else f"{res.optimality_gap:.2%}"
        solver_text = (
            f"{FACILITY_TYPES[cov.parse_types(suggest_type)[0]].zh} {suggest_type} · {res.method} · "
            f"status {res.status} · gap {gap} · {found.settings['n_candidates']} candidates · "
            f"target {settings.target}"
        )
    elif suggestions is not None:
        solver_text = f"{suggest_type} · target {settings.target} (computed by the caller)"
    has_suggestions = suggestions is not None and settings.n_suggestions > 0 and not suggestions.empty

    describe = model.describe()
    settings_rows = [
        ("范围 scope", scope_name),
        ("设施类型 facility types", type_text),
        ("时间预算 budget", f"{settings.budget_min:g} 分钟 min"),
        ("目标人群 target", GROUP_LABELS[settings.target]),
        *((f"模型 model.{k}", str(v)) for k, v in describe.items()),
        ("需求 demand", _demand_text(int(in_scope.sum()), data)),
        ("设施 facilities", f"{len(cov.select_facilities(facilities, types))} 个运营 open (全市 city-wide)"),
        ("生成时间 generated", when),
    ]
    if has_suggestions:
        settings_rows.append(("选址 siting", solver_text))
    tables = {
        "settings": pd.DataFrame(settings_rows, columns=["项目 item", "值 value"]),
        "totals": _totals_display(totals, scope_name),
        "districts": _area_display(district_rows, key_label="旗区 district")
        if not district_rows.empty
        else pd.DataFrame(),
        "townships": _area_display(by_township, key_label="乡镇街道 township"),
        "suggestions": _suggestions_display(suggestions, district_names)
        if suggestions is not None and has_suggestions
        else pd.DataFrame(),
        "sources": (sources if sources is not None else data_sources()).rename(
            columns={"file": "文件 file", "content": "内容 content", "origin": "来源与许可 origin, licence"}
        ),
    }
    target_people = cells[settings.target].to_numpy(dtype=float)
    gap_mask = in_scope & ~access["covered"].to_numpy(bool) & (target_people > 0)
    uncovered = pd.DataFrame(
        {
            "lon": cells["lon"].to_numpy()[gap_mask],
            "lat": cells["lat"].to_numpy()[gap_mask],
            "people": target_people[gap_mask],
        }
    )
    shown_fac = cov.select_facilities(facilities, types)
    chart_rows = district_rows if district is None else by_township
    chart_title = f"{settings.budget_min:g} 分钟覆盖率 / covered within {settings.budget_min:g} min"

    def draw_map(ax: Axes) -> None:
        _draw_map(
            ax,
            districts=districts,
            district=district,
            facilities=shown_fac,
            uncovered=uncovered,
            suggestions=suggestions if has_suggestions else None,
            target=settings.target,
        )

    def draw_chart(ax: Axes) -> None:
        _draw_chart(ax, chart_rows, title=chart_title)

    no_font = (
        ""
        if font is not None
        else " · 未找到中文字体,图中中文可能无法显示 / no CJK font: Chinese in the images may not show"
    )
    meta = f"{scope_name} · {type_text} · {settings.budget_min:g} min · {describe.get('name')} ({describe.get('mode')}) · {when}{no_font}"
    with _fonts(font):
        fig = Figure(figsize=(8, 8))
        draw_map(fig.add_subplot())
        images = {"map": _png(fig)}
        fig = Figure(figsize=(8, max(3.0, 0.3 * len(chart_rows) + 1.2)))
        draw_chart(fig.add_subplot())
        images["chart"] = _png(fig)
        note = modelled_note(data) if data is not None else MODELLED_NOTE
        page = _html(
            note=note,
            title=title,
            meta=meta,
            tables=tables,
            images=images,
            solver_text=solver_text,
            has_suggestions=has_suggestions,
        )
        pdf_bytes, pages = (
            _pdf(
                note=note,
                title=title,
                meta=meta,
                tables=tables,
                draw_map=draw_map,
                draw_chart=draw_chart,
                solver_text=solver_text,
                has_suggestions=has_suggestions,
            )
            if pdf
            else (None, 0)
        )
    return PlanningReport(
        title=title, html=page, pdf=pdf_bytes, pdf_pages=pages, tables=tables, images=images
    )


def _demand_text(n_cells: int, data: dict[str, Any] | None) -> str:
    demand = (data or {}).get("demand")
    if not demand or demand.get("kind") == "sample":
        return f"{n_cells} 个网格 cells (H3), 模拟样本 modelled sample"
    modelled = (
        f", 其中 {demand['modelled_share']:.0%} 为模拟样本 of which {demand['modelled_share']:.0%} modelled"
        if demand.get("modelled")
        else ""
    )
    return (
        f"{n_cells} 个网格 cells (H3 res {demand.get('resolution')}), 版本 version {demand.get('version')}: "
        f"{demand.get('source')} ({demand.get('kind')}){modelled}"
    )


def expected_pages(report: PlanningReport) -> int:
    """Pages the PDF layout gives for the report's tables (cover, coverage, tables, sources)."""
    n = 3
    for key in ("districts", "townships"):
        rows = len(report.tables[key])
        if rows:
            n += math.ceil(rows / ROWS_PER_PAGE)
    return n
