"""The report's figures, drawn offline with matplotlib: maps with fixed classes and a legend, a chart.

No map tiles (no internet): district outlines, hexagons of uncovered people coloured by the fixed
classes of :mod:`geo.classes` (the same colours as the app's maps), facilities by type, suggested
sites, a scale bar and a north arrow; no axes (longitude and latitude ticks mean nothing to a reader
of a planning report). Text is drawn with a CJK font (:func:`cjk_font_path`) so Chinese shows in the
PNG images of the HTML and DOCX reports and is embedded as a subset in the PDF.
"""

from __future__ import annotations

import functools
import io
import math
import os
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, cast

import geopandas as gpd
import h3
import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure, FigureBase
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from geo import classes
from geo.hexagons import coarsen_cells
from geo.maps import TYPE_COLOURS

__all__ = [
    "CJK_FONT_CANDIDATES",
    "cjk_font_path",
    "draw_area_map",
    "draw_share_chart",
    "fonts",
    "png",
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
GROUP_COLOURS: Final[dict[str, str]] = {"pop_total": "#4c72b0", "pop_60plus": "#dd8452", "pop_0_3": "#55a868"}
MAX_HEXAGONS: Final[int] = 4000


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
def font_family(path: str) -> str:
    """Register ``path`` with matplotlib once; the family name to use (Simplified Chinese face first)."""
    font_manager.fontManager.addfont(path)
    names = [f.name for f in font_manager.fontManager.ttflist if f.fname == path]
    for preferred in (" SC", "SC", ""):
        for name in names:
            if name.endswith(preferred) and "Mono" not in name:
                return name
    return names[0] if names else font_manager.FontProperties(fname=path).get_name()


@contextmanager
def fonts(font: Path | None) -> Iterator[None]:
    """matplotlib settings for the report: the CJK font first, Type 3 subsets in PDFs, no minus glyph."""
    families = [font_family(str(font))] if font is not None else []
    bold = Path(str(font).replace("Regular", "Bold")) if font is not None else None
    if bold is not None and bold != font and bold.is_file():
        font_family(str(bold))  # registers the bold face of the same family for headings
    rc: dict[str, Any] = {
        "font.family": [*families, "DejaVu Sans"],
        "axes.unicode_minus": False,
        # Type 3 subsets of the CJK font: every glyph used is embedded, text stays extractable.
        "pdf.fonttype": 3,
        "svg.fonttype": "path",
    }
    with mpl.rc_context(cast("Any", rc)), warnings.catch_warnings():
        if font is None:
            # HTML and DOCX without a CJK font: Chinese labels in the images show as boxes.
            warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        yield


def png(fig: Figure, *, dpi: int = 160) -> bytes:
    """A figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------
# Maps


def _nice_length_km(span_km: float) -> float:
    target = span_km / 5
    for step in (0.5, 1, 2, 5, 10, 20, 50, 100, 200):
        if step >= target:
            return float(step)
    return 500.0


def _scale_bar(ax: Axes, *, unit_word: str, north_word: str) -> None:
    """A scale bar in the lower right and a north arrow in the upper right (WGS84 axes, aspect set)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    lat = (y0 + y1) / 2
    km_per_deg = 111.32 * math.cos(math.radians(lat))
    length_km = _nice_length_km((x1 - x0) * km_per_deg)
    length_deg = length_km / km_per_deg
    bx = x1 - (x1 - x0) * 0.04 - length_deg
    by = y0 + (y1 - y0) * 0.04
    ax.plot([bx, bx + length_deg], [by, by], color="#222222", linewidth=2.5, solid_capstyle="butt", zorder=6)
    ax.plot([bx, bx], [by, by + (y1 - y0) * 0.008], color="#222222", linewidth=1, zorder=6)
    ax.plot([bx + length_deg] * 2, [by, by + (y1 - y0) * 0.008], color="#222222", linewidth=1, zorder=6)
    ax.text(
        bx + length_deg / 2,
        by + (y1 - y0) * 0.012,
        f"{length_km:g} {unit_word}",
        ha="center",
        va="bottom",
        fontsize=7,
        zorder=6,
    )
    nx, ny = x1 - (x1 - x0) * 0.05, y1 - (y1 - y0) * 0.14
    ax.annotate(
        "",
        xy=(nx, ny + (y1 - y0) * 0.08),
        xytext=(nx, ny),
        arrowprops={"arrowstyle": "-|>", "color": "#222222", "linewidth": 1.4},
        zorder=6,
    )
    ax.text(
        nx, ny + (y1 - y0) * 0.085, north_word, ha="center", va="bottom", fontsize=8, weight="bold", zorder=6
    )


def _frame(
    ax: Axes, shown: gpd.GeoDataFrame, *, extent: tuple[float, float, float, float] | None = None
) -> None:
    minx, miny, maxx, maxy = extent if extent is not None else shown.total_bounds
    pad_x, pad_y = (maxx - minx) * 0.04, (maxy - miny) * 0.04
    ax.set_xlim(minx - pad_x, maxx + pad_x)
    ax.set_ylim(miny - pad_y, maxy + pad_y)
    ax.set_aspect(1 / math.cos(math.radians((miny + maxy) / 2)))
    ax.set_axis_off()


def _hexagons(cells: pd.DataFrame, *, value_col: str, indicator: str) -> tuple[list[np.ndarray], list[str]]:
    data = coarsen_cells(cells, value_col=value_col, max_cells=MAX_HEXAGONS)
    if data.empty:
        return [], []
    values = data[value_col].to_numpy(float)
    areas = np.array([h3.cell_area(str(c), unit="km^2") for c in data["cell_id"]])
    klass = classes.classify(indicator, values / areas)
    colours = classes.INDICATORS[indicator].colours
    polys, faces = [], []
    for cell_id, k in zip(data["cell_id"], klass, strict=True):
        if k < 0:
            continue
        # h3 gives (lat, lng) pairs; the axes are lon, lat
        ring = np.array([(lng, lat) for lat, lng in h3.cell_to_boundary(str(cell_id))])
        polys.append(ring)
        faces.append(colours[int(k)])
    return polys, faces


def draw_area_map(
    fig: FigureBase,
    *,
    districts: gpd.GeoDataFrame,
    district: int | None,
    labels: dict[int, str],
    lang_words: dict[str, str],
    shares: dict[int, float] | None = None,
    uncovered: pd.DataFrame | None = None,
    indicator: str = "",
    facilities: pd.DataFrame | None = None,
    type_labels: dict[str, str] | None = None,
    sites: pd.DataFrame | None = None,
    marks: Sequence[tuple[pd.DataFrame, str, str, str]] = (),
    changed: Sequence[tuple[pd.DataFrame, str, str]] = (),
    extent: tuple[float, float, float, float] | None = None,
    townships: gpd.GeoDataFrame | None = None,
) -> None:
    """A map of the city or one district for the report.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to draw on (one axes is added, plus the legend below it).
    districts : geopandas.GeoDataFrame
        ``adcode, geometry`` (WGS84) of every district.
    district : int, optional
        Adcode of the district shown alone (None: the city).
    labels : dict
        Text written on each district (name, share …) by adcode.
    lang_words : dict
        ``legend_share``, ``legend_gaps``, ``density_unit``, ``km``, ``north``, ``facilities``,
        ``sites``, ``attribution`` in the report's language.
    shares : dict, optional
        Covered share (0–1) per adcode: districts filled in the fixed share classes.
    uncovered : pandas.DataFrame, optional
        ``cell_id`` and ``people`` not covered: hexagons in the fixed classes of ``indicator``.
    facilities : pandas.DataFrame, optional
        ``lon, lat, type`` of the facilities drawn (coloured by type).
    type_labels : dict, optional
        Type code → label for the legend.
    sites : pandas.DataFrame, optional
        ``lon, lat, rank`` of suggested sites (numbered stars).
    marks : sequence of (table, colour, marker, label)
        Further points (``lon, lat``), e.g. a scenario's added and closed facilities.
    changed : sequence of (cells, colour, label)
        Cells (``cell_id``) drawn in one colour each, e.g. those a scenario newly covers or loses.
    extent : tuple, optional
        ``(lon_min, lat_min, lon_max, lat_max)`` shown instead of the district's or city's extent.
    townships : geopandas.GeoDataFrame, optional
        Imported township polygons (WGS84), outlined over the fills (``lang_words["townships"]`` in
        the legend).
    """
    ax = fig.add_axes((0.02, 0.2, 0.96, 0.78))
    shown = districts if district is None else districts[districts["adcode"] == district]
    if district is not None or extent is not None:
        districts.boundary.plot(ax=ax, color="#bbbbbb", linewidth=0.5, zorder=1)
    handles: list[Any] = []
    if shares is not None:
        fills = [
            classes.colour_of("covered_share", shares.get(int(a), float("nan"))) for a in shown["adcode"]
        ]
        shown.plot(ax=ax, color=fills, edgecolor="#444444", linewidth=0.8, zorder=1)
        handles.append(Patch(facecolor="none", edgecolor="none", label=lang_words["legend_share"]))
        handles += [
            Patch(facecolor=c, edgecolor="#444444", linewidth=0.5, label=text)
            for c, text in classes.legend_items("covered_share")
        ]
    else:
        shown.plot(ax=ax, color="#f4f1ea", edgecolor="#555555", linewidth=0.8, zorder=1)
    if townships is not None and not townships.empty:
        townships.boundary.plot(ax=ax, color="#6a3d9a", linewidth=0.35, linestyle=(0, (3, 2)), zorder=2.5)
        handles.append(
            Line2D(
                [], [], color="#6a3d9a", linewidth=0.8, linestyle=(0, (3, 2)), label=lang_words["townships"]
            )
        )
    if uncovered is not None and indicator:
        polys, faces = _hexagons(uncovered, value_col="people", indicator=indicator)
        if polys:
            ax.add_collection(
                PolyCollection(
                    polys, facecolors=faces, edgecolors=faces, linewidths=0.3, zorder=2, rasterized=True
                )
            )
        handles.append(Patch(facecolor="none", edgecolor="none", label=lang_words["legend_gaps"]))
        handles += [
            Patch(facecolor=c, edgecolor=c, label=text) for c, text in classes.legend_items(indicator)
        ]
    for frame, colour, label in changed:
        if frame is None or frame.empty:
            continue
        rings = [np.array([(lng, lat) for lat, lng in h3.cell_to_boundary(str(c))]) for c in frame["cell_id"]]
        ax.add_collection(
            PolyCollection(rings, facecolors=colour, edgecolors=colour, linewidths=0.3, alpha=0.75, zorder=2)
        )
        handles.append(Patch(facecolor=colour, edgecolor=colour, alpha=0.75, label=label))
    if facilities is not None and not facilities.empty:
        handles.append(Patch(facecolor="none", edgecolor="none", label=lang_words["facilities"]))
        for code, rows in facilities.groupby("type", sort=False):
            colour = TYPE_COLOURS.get(str(code), "#777777")
            ax.scatter(rows["lon"], rows["lat"], s=12, c=colour, edgecolors="white", linewidths=0.4, zorder=3)
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="",
                    color=colour,
                    markeredgecolor="white",
                    markersize=5,
                    label=(type_labels or {}).get(str(code), str(code)),
                )
            )
    for table, colour, marker, label in marks:
        if table is None or table.empty:
            continue
        ax.scatter(
            table["lon"],
            table["lat"],
            s=70,
            c=colour,
            marker=marker,
            edgecolors="#111111",
            linewidths=0.6,
            zorder=5,
        )
        handles.append(
            Line2D(
                [],
                [],
                marker=marker,
                linestyle="",
                color=colour,
                markeredgecolor="#111111",
                markersize=7,
                label=label,
            )
        )
    if sites is not None and not sites.empty:
        ax.scatter(
            sites["lon"],
            sites["lat"],
            s=110,
            marker="*",
            c="#ffd400",
            edgecolors="#111111",
            linewidths=0.6,
            zorder=5,
        )
        for rec in sites.to_dict(orient="records"):
            ax.annotate(
                str(rec["rank"]),
                (rec["lon"], rec["lat"]),
                xytext=(5, 4),
                textcoords="offset points",
                fontsize=7,
                weight="bold",
                zorder=6,
            )
        handles.append(
            Line2D(
                [],
                [],
                marker="*",
                linestyle="",
                color="#ffd400",
                markeredgecolor="#111111",
                markersize=10,
                label=lang_words["sites"],
            )
        )
    for adcode, row in shown.set_index("adcode").iterrows():
        text = labels.get(int(cast("int", adcode)), "")
        if text:
            p = row.geometry.representative_point()
            ax.annotate(
                text,
                (p.x, p.y),
                fontsize=6.5,
                ha="center",
                va="center",
                color="#222222",
                zorder=4,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7},
            )
    _frame(ax, shown, extent=extent)
    _scale_bar(ax, unit_word=lang_words["km"], north_word=lang_words["north"])
    ax.text(
        0.0, -0.01, lang_words["attribution"], transform=ax.transAxes, fontsize=5.5, color="#555555", va="top"
    )
    if handles:
        legend_ax = fig.add_axes((0.02, 0.0, 0.96, 0.17))
        legend_ax.set_axis_off()
        legend_ax.legend(
            handles=handles,
            loc="upper left",
            ncol=4,
            fontsize=6.5,
            frameon=False,
            handlelength=1.2,
            columnspacing=1.2,
        )


def draw_share_chart(
    fig: FigureBase,
    table: pd.DataFrame,
    *,
    names: Sequence[str],
    group_labels: dict[str, str],
    x_label: str,
    goal_label: str,
) -> None:
    """Covered shares of the three groups per area as horizontal bars, with the full-coverage goal."""
    ax = fig.add_subplot()
    y = np.arange(len(names))
    groups = list(group_labels)
    height = 0.8 / len(groups)
    for k, g in enumerate(groups):
        shares = table[f"{g}_covered_share"].astype(float).fillna(0.0).to_numpy() * 100
        ax.barh(
            y + (k - 1) * height,
            shares,
            height=height,
            color=GROUP_COLOURS.get(g, "#777777"),
            label=group_labels[g],
        )
    ax.axvline(100, color="#222222", linestyle="--", linewidth=0.8, label=goal_label)
    ax.set_yticks(y, list(names), fontsize=7 if len(names) < 20 else 5)
    ax.invert_yaxis()
    ax.set_xlim(0, 105)
    ax.set_xlabel(x_label, fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    ax.legend(fontsize=7, loc="lower right", framealpha=0.9)
    ax.grid(axis="x", color="#dddddd", linewidth=0.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
