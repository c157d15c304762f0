"""Planning reports the civil-affairs bureau can file: one language, formatted numbers, PDF, DOCX or HTML.

:func:`build_content` computes what a planning meeting needs from the coverage functions' outputs —
coverage per district and township (:func:`geo.coverage.area_table`, whose totals are those of
``python -m geo coverage``), capacity-aware access (2SFCA), the largest gaps named by township and
settlement (:mod:`geo.places`), suggested sites (:func:`geo.siting.suggest_sites`) and, when a
scenario is given, its edits and the before/after figures (:mod:`geo.scenarios`) — and writes it in
one language (:mod:`geo.texts`, numbers by :mod:`geo.fmt`) as a :class:`~geo.report_model.ReportContent`:

1. cover: title, scope, date, data version, travel model, the modelled-data note layer by layer;
2. key findings: coverage of everyone, people aged 60+ and children 0–3 against the 15-minute goal,
   children's places against the national target, the districts and townships furthest behind;
3. coverage tables per district and per township, with totals;
4. maps with fixed classes and a legend (:mod:`geo.report_figures`);
5. gaps; 6. suggested sites; 7. the scenario (when given);
8. methods appendix: travel model and speeds, GB 50180-2018 service radii, 2SFCA, MCLP, data sources
   and what is modelled.

:func:`render` lays the content out as PDF (:mod:`geo.report_pdf`, CJK font embedded), DOCX
(:mod:`geo.report_docx`, python-docx) or self-contained offline HTML (:mod:`geo.report_html`).
Nothing here reads files: the caller passes the tables (the CLI and the app read them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Final

import numpy as np
import pandas as pd
from matplotlib.figure import Figure, FigureBase

from geo import coverage as cov
from geo import fmt
from geo import scenarios as sc
from geo.context import Context, layer_rows, model_text, modelled_note
from geo.errors import CareCircleError, DataError
from geo.places import cell_places
from geo.report_figures import cjk_font_path, draw_area_map, draw_share_chart, font_family, fonts
from geo.report_model import (
    Block,
    Bullets,
    Cover,
    Figure_,
    Note,
    Paragraph,
    ReportContent,
    Section,
    Table,
)
from geo.report_numbers import (
    GAP_HORIZON_FACTOR,
    GAP_HORIZON_MAX_MIN,
    GOAL_MIN,
    Numbers,
    ReportData,
    ReportSettings,
    check_district,
    compute,
    edit_extent,
    nearest_cells,
)
from geo.schema import FACILITY_TYPES
from geo.texts import column_label, group_label, group_word, join_words, mode_label, text, type_label
from geo.travel import MODES

__all__ = [
    "FORMATS",
    "NO_FONT_MESSAGE",
    "ReportData",
    "ReportSettings",
    "build_content",
    "check_district",
    "cjk_font_path",
    "render",
]

FORMATS: Final[tuple[str, ...]] = ("pdf", "docx", "html")
NO_FONT_MESSAGE: Final[str] = (
    "未找到中文字体,无法生成 PDF。请安装 fonts-noto-cjk(apt-get install fonts-noto-cjk),"
    "或用环境变量 CARECIRCLE_CJK_FONT 指定字体文件。 / No CJK font found, so the PDF cannot show "
    "Chinese: install fonts-noto-cjk (apt-get install fonts-noto-cjk) or point $CARECIRCLE_CJK_FONT "
    "at a .ttf/.otf/.ttc font file. The HTML and DOCX reports do not need it."
)


# ---------------------------------------------------------------------------------------------------
# Text


class _Words:
    """The report's words in its one language, plus the numbering of tables and figures."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.tables = 0
        self.figures = 0

    def __call__(self, key: str, **kw: object) -> str:
        return text(key, self.lang, **kw)

    def table(self, key: str, **kw: object) -> str:
        self.tables += 1
        return self("table_caption", n=self.tables, title=self(key, **kw))

    def figure(self, key: str, **kw: object) -> str:
        self.figures += 1
        return self("figure_caption", n=self.figures, title=self(key, **kw))

    def join(self, items: Sequence[str]) -> str:
        return join_words(items, self.lang)


def _district_names(data: ReportData, lang: str) -> dict[int, str]:
    col = "name_en" if lang == "en" and "name_en" in data.districts.columns else "name"
    return dict(zip(data.districts["adcode"].astype(int), data.districts[col].astype(str), strict=True))


def _format(frame: pd.DataFrame, lang: str, labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Numbers by kind, headers from ``labels`` or :func:`geo.texts.column_label`."""
    return fmt.display_frame(frame, lang, label=lambda c: (labels or {}).get(c) or column_label(c, lang))


def _group_header(lang: str, *, before: int, span: int, after: int = 0) -> tuple[tuple[str, int], ...]:
    return (
        ("", before),
        *((group_label(g, lang), span) for g in cov.GROUPS),
        *((("", after),) if after else ()),
    )


def _short(lang: str) -> dict[str, str]:
    """Short column labels under a group header: people, covered, share."""
    out = {}
    for g in cov.GROUPS:
        out[g] = text("col_people_short", lang)
        out[f"{g}_covered"] = text("col_covered_short", lang)
        out[f"{g}_covered_share"] = text("col_share_short", lang)
    return out


def _named(rows: pd.DataFrame, names: dict[int, str]) -> pd.DataFrame:
    """District rows with their names in the report's language."""
    return rows.assign(
        name=[names.get(int(a), str(n)) for a, n in zip(rows["adcode"], rows["name"], strict=True)]
    )


def _coverage_table(
    rows: pd.DataFrame, totals: dict[str, Any] | None, *, key_label: str, lang: str, names: dict[int, str]
) -> pd.DataFrame:
    cols = ["name", *(c for g in cov.GROUPS for c in (g, f"{g}_covered", f"{g}_covered_share"))]
    frame = _named(rows, names)[cols].copy()
    if totals is not None:
        total = {c: totals.get(c) for c in cols}
        total["name"] = text("city_total", lang)
        frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    return _format(frame, lang, {"name": key_label, **_short(lang)})


def _capacity_table(
    rows: pd.DataFrame,
    totals: dict[str, Any] | None,
    *,
    target: str,
    key_label: str,
    lang: str,
    names: dict[int, str],
) -> pd.DataFrame:
    cols = ["name", "facilities", "capacity"]
    cols += [c for c in ("beds_per_1000_60plus", "places_per_1000_residents") if c in rows.columns]
    cols += [c for c in (f"{target}_access_per_1000", f"{target}_oversubscribed") if c in rows.columns]
    frame = _named(rows, names)[cols].copy()
    if totals is not None:
        total = {c: totals.get(c) for c in cols}
        total["name"] = text("city_total", lang)
        frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    return _format(frame, lang, {"name": key_label})


def _township_table(
    rows: pd.DataFrame, *, with_district: bool, district_names: dict[int, str], lang: str
) -> pd.DataFrame:
    frame = pd.DataFrame({"name": rows["name"].astype(str).to_numpy()})
    frame["name"] = frame["name"].where(
        frame["name"] != "未知乡镇 / township unknown", text("township_unknown", lang)
    )
    if with_district:
        frame["district"] = [district_names.get(int(a), "") if pd.notna(a) else "" for a in rows["adcode"]]
    for g in cov.GROUPS:
        frame[g] = rows[g].to_numpy()
        frame[f"{g}_covered_share"] = rows[f"{g}_covered_share"].to_numpy()
    frame["facilities"] = rows["facilities"].to_numpy()
    return _format(frame, lang, {"name": text("col_township", lang), **_short(lang)})


def _cover(content_title: str, w: _Words, ctx: Context, settings: ReportSettings, data_note: str) -> Cover:
    lang = w.lang
    subtitle = w(
        "cover_subtitle",
        mode=mode_label(str(ctx.model.get("mode", "")), lang),
        minutes=fmt.minutes(settings.budget_min, lang, unit=False),
        group=group_word(settings.target_col, lang),
    )
    facts: list[tuple[str, str]] = [
        (w("about_scope"), ctx.scope),
        (w("about_types"), w.join([type_label(t, lang) for t in settings.types])),
        (w("about_budget"), ctx.budget_text(lang)),
        (w("about_model"), model_text(ctx.model, lang)),
        (w("about_target"), group_label(settings.target_col, lang)),
        (w("about_version"), ctx.version_text(lang)),
        (w("cover_date"), ctx.generated_at.strftime(w("date_format"))),
    ]
    if ctx.scenario is not None:
        facts.append(
            (w("about_scenario"), w("about_scenario_value", name=ctx.scenario[0], n=ctx.scenario[1]))
        )
    notes = (Note(data_note, "warning"),) if data_note else ()
    return Cover(
        title=content_title, subtitle=subtitle, facts=tuple(facts), notes=notes, issuer=w("cover_issuer")
    )


def _findings(
    w: _Words, n: Numbers, settings: ReportSettings, scope: str, district_names: dict[int, str]
) -> list[str]:
    lang, budget = w.lang, settings.budget_min
    items = []
    for g in cov.GROUPS:
        total = n.totals.get(g) or 0
        covered = n.totals.get(f"{g}_covered") or 0
        share = n.totals.get(f"{g}_covered_share")
        items.append(
            w(
                "finding_group",
                scope=scope,
                group=group_word(g, lang),
                total=fmt.people(total),
                covered=fmt.people(covered),
                share=fmt.share(share),
                minutes=fmt.minutes(budget, lang, unit=False),
                gap=fmt.pp(1.0 - (share or 0.0), lang).lstrip("+"),
                missing=fmt.people(total - covered),
            )
        )
    if budget != GOAL_MIN:
        goal = n.goal_totals
        items.append(
            w(
                "finding_goal_other_budget",
                goal=fmt.minutes(GOAL_MIN, lang, unit=False),
                total=fmt.share(goal["pop_total"]),
                elderly=fmt.share(goal["pop_60plus"]),
                child=fmt.share(goal["pop_0_3"]),
            )
        )
    nursery = n.nursery
    key = "finding_nursery_above" if nursery["per_1000"] >= nursery["national"] else "finding_nursery_below"
    items.append(
        w(
            key,
            scope=scope,
            places=fmt.count(nursery["places"]),
            per_1000=fmt.per_1000(nursery["per_1000"]),
            national=fmt.per_1000(nursery["national"]),
            ordos=fmt.per_1000(nursery["ordos_2024"]),
        )
    )
    target = settings.target_col
    if settings.district is None and len(n.districts) > 1:
        ranked = n.districts.dropna(subset=[f"{target}_covered_share"]).sort_values(f"{target}_covered_share")
        if len(ranked) >= 2:
            low, high = ranked.iloc[0], ranked.iloc[-1]
            items.append(
                w(
                    "finding_districts",
                    group=group_word(target, lang),
                    high=district_names.get(int(high["adcode"]), str(high["name"])),
                    high_share=fmt.share(high[f"{target}_covered_share"]),
                    low=district_names.get(int(low["adcode"]), str(low["name"])),
                    low_share=fmt.share(low[f"{target}_covered_share"]),
                )
            )
    towns = n.townships.assign(missing=n.townships[target] - n.townships[f"{target}_covered"])
    towns = towns[towns["missing"] > 0].sort_values("missing", ascending=False).head(3)
    if not towns.empty:
        listing = w.join(
            [
                w("name_people", name=str(r["name"]), people=fmt.people(r["missing"]))
                for _, r in towns.iterrows()
            ]
        )
        items.append(w("finding_townships", group=group_word(target, lang), listing=listing))
    if n.suggestions is not None:
        last = n.suggestions.iloc[-1]
        items.append(
            w(
                "finding_suggestions",
                n=len(n.suggestions),
                type=type_label(settings.suggest_type or settings.types[0], lang),
                gain=fmt.people(n.suggestions["gain"].sum()),
                group=group_word(target, lang),
                share=fmt.share(last["cumulative_share"]),
            )
        )
    if n.scenario_totals is not None:
        before = n.totals.get(f"{target}_covered_share")
        after = n.scenario_totals.get(f"{target}_covered_share")
        items.append(
            w(
                "finding_scenario",
                group=group_word(target, lang),
                before=fmt.share(before),
                after=fmt.share(after),
                change=fmt.pp((after or 0) - (before or 0), lang),
            )
        )
    return items


def _edits_table(
    scenario: sc.Scenario, base: pd.DataFrame, cells: pd.DataFrame, data: ReportData, lang: str
) -> pd.DataFrame:
    names = dict(zip(base["facility_id"].astype(str), base["name"].astype(str), strict=True))
    types = dict(zip(base["facility_id"].astype(str), base["type"].astype(str), strict=True))
    rows = []
    points = [(e.lon, e.lat) for e in scenario.edits if e.lon is not None and e.lat is not None]
    where: list[str] = []
    if points:
        lon = np.array([p[0] for p in points], float)
        lat = np.array([p[1] for p in points], float)
        near = cells.iloc[nearest_cells(cells, lon, lat)].reset_index(drop=True)
        near = near.assign(lon=lon, lat=lat)
        centres = data.centres()
        where = cell_places(
            near, lang=lang, townships=data.townships, centres=centres, districts=data.districts
        ).tolist()
    k_point = 0
    located = base.set_index(base["facility_id"].astype(str))
    closed = [e.facility_id for e in scenario.edits if e.action == "close" and e.facility_id in located.index]
    closed_where: dict[str, str] = {}
    if closed:
        rows_c = located.loc[closed]
        near_c = cells.iloc[
            nearest_cells(cells, rows_c["lon"].to_numpy(float), rows_c["lat"].to_numpy(float))
        ].reset_index(drop=True)
        labels_c = cell_places(
            near_c,
            lang=lang,
            townships=data.townships,
            centres=data.centres(),
            districts=data.districts,
        ).tolist()
        closed_where = {
            fid: f"{label} ({fmt.coord(lon)}, {fmt.coord(lat)})"
            for fid, label, lon, lat in zip(closed, labels_c, rows_c["lon"], rows_c["lat"], strict=True)
        }
    for k, edit in enumerate(scenario.edits, start=1):
        if edit.action == "add":
            what = edit.name or text("edit_new_facility", lang, type=type_label(edit.facility_type, lang))
            ftype = type_label(edit.facility_type, lang)
        else:
            what = f"{names.get(edit.facility_id, '')} ({edit.facility_id})".strip()
            ftype = type_label(types.get(edit.facility_id, ""), lang)
        place = closed_where.get(edit.facility_id, "") if edit.action == "close" else ""
        if edit.lon is not None and edit.lat is not None:
            place = f"{where[k_point]} ({fmt.coord(edit.lon)}, {fmt.coord(edit.lat)})"
            k_point += 1
        rows.append(
            {
                text("col_step", lang): str(k),
                text("col_action", lang): text(f"action_{edit.action}", lang),
                text("col_what", lang): what,
                text("col_type", lang): ftype,
                text("col_place", lang): place,
            }
        )
    return pd.DataFrame(rows)


def _scenario_tables(
    n: Numbers, settings: ReportSettings, district_names: dict[int, str], lang: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    comp = n.scenario_compare
    if comp is None:
        return pd.DataFrame(), pd.DataFrame()
    base_label, scn_label = comp.attrs["scenarios"]
    groups = []
    totals_after = n.scenario_totals or {}
    for g in cov.GROUPS:
        before = n.totals.get(f"{g}_covered_share")
        after = totals_after.get(f"{g}_covered_share")
        groups.append(
            {
                text("col_group", lang): group_label(g, lang),
                text("col_before", lang): fmt.share(before),
                text("col_after", lang): fmt.share(after),
                text("col_change", lang): fmt.pp((after or 0) - (before or 0), lang),
            }
        )
    summary = pd.DataFrame(groups)
    target = settings.target_col
    rows = (
        comp
        if settings.district is None
        else comp[comp["adcode"].isin([sc.CITY_ADCODE, int(settings.district)])]
    )
    table = []
    for _, r in rows.iterrows():
        adcode = int(r["adcode"])
        name = (
            text("city_total", lang)
            if adcode == sc.CITY_ADCODE
            else district_names.get(adcode, str(r["name"]))
        )
        before = r[f"{base_label}: {target}_covered_share"]
        after = r[f"{scn_label}: {target}_covered_share"]
        table.append(
            {
                text("col_district", lang): name,
                text("col_before", lang): fmt.share(before),
                text("col_after", lang): fmt.share(after),
                text("col_change", lang): fmt.pp(
                    (after if pd.notna(after) else 0) - (before if pd.notna(before) else 0), lang
                ),
                text("col_gained", lang): fmt.people(r[f"{scn_label}: gained"]),
                text("col_lost", lang): fmt.people(r[f"{scn_label}: lost"]),
                text("col_net", lang): fmt.people(r[f"{scn_label}: net"]),
            }
        )
    per_district = pd.DataFrame(table)
    # the city row first in compare(); a total goes last in a report table
    per_district = pd.concat([per_district.iloc[1:], per_district.iloc[:1]], ignore_index=True)
    return summary, per_district


def _sources_table(ctx: Context, lang: str) -> pd.DataFrame:
    rows = [
        {text("col_layer", lang): layer, text("col_status", lang): status, text("col_source", lang): desc}
        for layer, status, desc in layer_rows(ctx.data, lang)
    ]
    for key in ("source_census", "source_districts", "source_townships", "source_places"):
        layer, status, desc = text(key, lang).split("|")
        rows.append(
            {text("col_layer", lang): layer, text("col_status", lang): status, text("col_source", lang): desc}
        )
    return pd.DataFrame(rows)


def _modes_table(model_mode: str, lang: str) -> pd.DataFrame:
    rows = []
    for name, mode in MODES.items():
        label = mode_label(name, lang) + (text("mode_used", lang) if name == model_mode else "")
        rows.append(
            {
                text("col_mode", lang): label,
                text("col_speed", lang): fmt.speed(mode.speed_m_per_min, lang),
                text("col_detour", lang): f"{mode.detour_factor:g}",
                text("col_basis", lang): text(f"mode_basis_{name}", lang),
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------------
# The report


class _Writer:
    """Writes the sections of one report from its numbers, in its one language."""

    def __init__(
        self,
        data: ReportData,
        settings: ReportSettings,
        n: Numbers,
        *,
        scenario: sc.Scenario | None,
        when: datetime,
    ) -> None:
        lang = settings.lang
        self.data, self.settings, self.n, self.scenario, self.lang = data, settings, n, scenario, lang
        self.w = w = _Words(lang)
        self.district_names = _district_names(data, lang)
        self.scope = w("city") if settings.district is None else self.district_names[int(settings.district)]
        self.ctx = Context(
            data=data.data_block(),
            model=data.model.describe(),
            budget_min=settings.budget_min,
            types=settings.types,
            scope=self.scope,
            target=settings.target_col,
            scenario=None if scenario is None else (scenario.name, len(scenario.edits)),
            generated_at=when,
        )
        self.target = target = settings.target_col
        self.types_text = w.join([type_label(t, lang) for t in settings.types])
        self.note = modelled_note(self.ctx.data, lang)
        self.words = {
            "legend_share": w("legend_share", group=group_word(target, lang)),
            "legend_gaps": w("legend_gaps", group=group_word(target, lang)),
            "density_unit": w("density_unit"),
            "km": w("km"),
            "north": w("north"),
            "facilities": w("legend_facilities"),
            "sites": w("legend_sites"),
            "attribution": w("map_attribution"),
            "townships": w("legend_townships"),
        }
        self.type_labels = {code: type_label(code, lang) for code in FACILITY_TYPES}

    def findings_section(self) -> Section:
        """Key findings against the 15-minute goal and the nursery target."""
        w, n, settings, lang, ctx, scope, district_names = (
            self.w,
            self.n,
            self.settings,
            self.lang,
            self.ctx,
            self.scope,
            self.district_names,
        )
        findings = _findings(w, n, settings, scope, district_names)
        blocks: list[Block] = [
            Paragraph(
                w(
                    "findings_intro",
                    minutes=fmt.minutes(settings.budget_min, lang, unit=False),
                    mode=mode_label(str(ctx.model.get("mode", "")), lang),
                    types=self.types_text,
                )
            ),
            Bullets(tuple(findings)),
        ]
        if self.note:
            blocks.append(Note(self.note, "warning"))
        return Section(w("sec_findings"), tuple(blocks))

    def coverage_section(self) -> Section:
        """Coverage per district (with totals and a chart), capacity, and per township."""
        w, n, settings, lang, target, scope, district_names = (
            self.w,
            self.n,
            self.settings,
            self.lang,
            self.target,
            self.scope,
            self.district_names,
        )
        blocks: list[Block] = []
        key_label = w("col_district")
        if settings.district is None:
            blocks.append(
                Table(
                    w.table("tab_districts"),
                    _coverage_table(
                        n.districts, n.totals, key_label=key_label, lang=lang, names=district_names
                    ),
                    total_row=True,
                    groups=_group_header(lang, before=1, span=3),
                )
            )
            chart_rows = n.districts
            chart_names = [district_names.get(int(a), "") for a in n.districts["adcode"]]
            blocks.append(
                Figure_(
                    w.figure("fig_chart"),
                    _chart_drawer(chart_rows, chart_names, lang),
                    size_in=(6.3, max(2.6, 0.32 * len(chart_rows) + 1.2)),
                )
            )
            blocks.append(
                Table(
                    w.table("tab_capacity"),
                    _capacity_table(
                        n.districts,
                        n.totals,
                        target=target,
                        key_label=key_label,
                        lang=lang,
                        names=district_names,
                    ),
                    total_row=True,
                    note=w("capacity_note"),
                )
            )
        else:
            blocks.append(
                Table(
                    w.table("tab_district_one", district=scope),
                    _coverage_table(
                        n.districts[n.districts["adcode"] == settings.district],
                        None,
                        key_label=key_label,
                        lang=lang,
                        names=district_names,
                    ),
                    groups=_group_header(lang, before=1, span=3),
                )
            )
            blocks.append(
                Table(
                    w.table("tab_capacity"),
                    _capacity_table(
                        n.districts[n.districts["adcode"] == settings.district],
                        None,
                        target=target,
                        key_label=key_label,
                        lang=lang,
                        names=district_names,
                    ),
                    note=w("capacity_note"),
                )
            )
        blocks.append(
            Table(
                w.table("tab_townships"),
                _township_table(
                    n.townships,
                    with_district=settings.district is None,
                    district_names=district_names,
                    lang=lang,
                ),
                align=("l", "l", *("r",) * 7) if settings.district is None else (),
                groups=_group_header(lang, before=2 if settings.district is None else 1, span=2, after=1),
            )
        )
        return Section(w("sec_coverage"), tuple(blocks))

    def maps_section(self) -> Section:
        """The maps in the fixed classes."""
        w, n, data, settings, lang, target, district_names, words, type_labels = (
            self.w,
            self.n,
            self.data,
            self.settings,
            self.lang,
            self.target,
            self.district_names,
            self.words,
            self.type_labels,
        )
        shares = {
            int(a): float(s)
            for a, s in zip(n.districts["adcode"], n.districts[f"{target}_covered_share"], strict=True)
            if pd.notna(s)
        }
        labels = {a: f"{district_names.get(a, '')}\n{fmt.share(s)}" for a, s in shares.items()}
        facilities_shown = cov.select_facilities(data.facilities, list(settings.types))
        if settings.district is not None:
            facilities_shown = facilities_shown[
                pd.to_numeric(facilities_shown["district_adcode"], errors="coerce") == settings.district
            ]
        indicator = f"uncovered_density_{target}"
        blocks: list[Block] = []
        if settings.district is None:
            blocks.append(
                Figure_(
                    w.figure("fig_choropleth", group=group_word(target, lang)),
                    _map_drawer(data, district=None, labels=labels, words=words, shares=shares),
                )
            )
        sites = None if n.suggestions is None else n.suggestions[["lon", "lat", "rank"]]
        blocks.append(
            Figure_(
                w.figure("fig_gaps", group=group_word(target, lang)),
                _map_drawer(
                    data,
                    district=settings.district,
                    labels={a: district_names.get(a, "") for a in shares}
                    if settings.district is None
                    else {},
                    words=words,
                    uncovered=n.uncovered,
                    indicator=indicator,
                    facilities=facilities_shown,
                    type_labels=type_labels,
                    sites=sites,
                ),
            )
        )
        blocks.append(Paragraph(w("maps_note")))
        return Section(w("sec_maps"), tuple(blocks))

    def gaps_section(self) -> Section:
        """The populated cells with most target people not covered, named by place."""
        w, n, data, settings, lang, target = self.w, self.n, self.data, self.settings, self.lang, self.target
        blocks: list[Block] = [
            Paragraph(
                w(
                    "gaps_intro",
                    n=len(n.gaps),
                    group=group_word(target, lang),
                    minutes=fmt.minutes(settings.budget_min, lang, unit=False),
                    area=_cell_area_text(data.cells),
                )
            )
        ]
        if n.gaps.empty:
            blocks = [Paragraph(w("gaps_none", group=group_word(target, lang)))]
        else:
            centres = data.centres()
            places = cell_places(
                n.gaps, lang=lang, townships=data.townships, centres=centres, districts=data.districts
            )
            gap_frame = pd.DataFrame(
                {
                    "rank": n.gaps["rank"],
                    "place": places,
                    target: n.gaps[target],
                    "pop_total": n.gaps["pop_total"],
                    "minutes": n.gaps["minutes"].where(np.isfinite(n.gaps["minutes"])),
                }
            )
            blocks.append(
                Table(
                    w.table("tab_gaps", group=group_word(target, lang)),
                    _format(
                        gap_frame,
                        lang,
                        {
                            target: w("col_gap_people", group=group_word(target, lang)),
                            "pop_total": w("col_residents"),
                        },
                    ),
                    align=("r", "l", "r", "r", "r"),
                    widths=(0.6, 5.0, 1.3, 1.1, 1.3),
                    note=w(
                        "gaps_note",
                        horizon=fmt.minutes(
                            min(GAP_HORIZON_FACTOR * settings.budget_min, GAP_HORIZON_MAX_MIN),
                            lang,
                            unit=False,
                        ),
                    ),
                )
            )
        return Section(w("sec_gaps"), tuple(blocks))

    def suggestions_section(self) -> Section | None:
        """Suggested sites (None when none were asked for)."""
        w, n, data, settings, lang, scenario, target = (
            self.w,
            self.n,
            self.data,
            self.settings,
            self.lang,
            self.scenario,
            self.target,
        )
        if settings.n_suggestions <= 0:
            return None
        blocks: list[Block] = []
        if n.suggestions is None:
            blocks.append(Paragraph(w("suggest_none")))
        else:
            centres = data.centres()
            places = cell_places(
                n.suggestions,
                lang=lang,
                townships=data.townships,
                centres=centres,
                districts=data.districts,
            )
            frame = pd.DataFrame(
                {
                    "rank": n.suggestions["rank"],
                    "place": places,
                    "lon": n.suggestions["lon"],
                    "lat": n.suggestions["lat"],
                    "gain": n.suggestions["gain"],
                    "cumulative_covered": n.suggestions["cumulative_covered"],
                    "cumulative_share": n.suggestions["cumulative_share"],
                }
            )
            intro_key = "suggest_intro_scenario" if scenario is not None else "suggest_intro"
            blocks.append(
                Paragraph(
                    w(
                        intro_key,
                        n=len(frame),
                        type=type_label(settings.suggest_type or settings.types[0], lang),
                        group=group_word(target, lang),
                        minutes=fmt.minutes(settings.budget_min, lang, unit=False),
                    )
                )
            )
            blocks.append(
                Table(
                    w.table("tab_suggestions"),
                    _format(frame, lang),
                    align=("r", "l", "r", "r", "r", "r", "r"),
                    widths=(0.6, 4.2, 1.1, 1.0, 1.1, 1.1, 1.0),
                )
            )
            if n.siting:
                exact = not str(n.siting["method"]).startswith("greedy")
                status = str(n.siting.get("status", ""))
                gap = n.siting.get("gap")
                key = "suggest_method_exact" if exact else "suggest_method_greedy"
                blocks.append(
                    Paragraph(
                        w(
                            key,
                            candidates=fmt.count(n.siting.get("candidates")),
                            gap="–" if gap is None else fmt.share(gap),
                            status=w("status_optimal")
                            if status == "optimal"
                            else w("status_time_limit")
                            if status == "time_limit"
                            else w("status_other"),
                        )
                    )
                )
        return Section(w("sec_suggestions"), tuple(blocks))

    def scenario_section(self) -> Section | None:
        """The scenario: edits, before/after figures and a map (None without one)."""
        w, n, data, settings, lang, scenario, ctx, target, district_names, words, type_labels = (
            self.w,
            self.n,
            self.data,
            self.settings,
            self.lang,
            self.scenario,
            self.ctx,
            self.target,
            self.district_names,
            self.words,
            self.type_labels,
        )
        if scenario is None or n.applied is None:
            return None
        summary, per_district = _scenario_tables(n, settings, district_names, lang)
        blocks: list[Block] = [
            Paragraph(
                w(
                    "scenario_intro",
                    name=scenario.name,
                    n=len(scenario.edits),
                    version=ctx.version if ctx.version is not None else "–",
                )
            )
        ]
        if scenario.note:
            blocks.append(Paragraph(w("scenario_note", note=scenario.note)))
        if scenario.edits:
            blocks.append(
                Table(
                    w.table("tab_edits"),
                    _edits_table(scenario, data.facilities, data.cells, data, lang),
                    align=("r", "l", "l", "l", "l"),
                    widths=(0.5, 0.7, 2.4, 1.6, 4.0),
                )
            )
        else:
            blocks.append(Paragraph(w("scenario_no_edits")))
        blocks.append(Table(w.table("tab_scenario_summary"), summary))
        blocks.append(
            Table(
                w.table("tab_scenario_districts", group=group_word(target, lang)),
                per_district,
                total_row=True,
                note=w("scenario_table_note", group=group_word(target, lang)),
            )
        )
        applied = n.applied
        same = applied[applied["type"].isin(settings.types)]
        added = same[(same[sc.EDIT_COLUMN] == "added") & (same["status"] == "open")]
        moved = same[same[sc.EDIT_COLUMN] == "moved"]
        closed = same[same[sc.EDIT_COLUMN] == "closed"]
        marks = [
            (added, "#1a9641", "P", w("legend_added")),
            (moved, "#2b6cb0", "D", w("legend_moved")),
            (closed, "#999999", "X", w("legend_closed")),
        ]
        changed = [
            (
                n.changed.get("gained", pd.DataFrame()),
                "#1a9641",
                w("legend_gained", group=group_word(target, lang)),
            ),
            (
                n.changed.get("lost", pd.DataFrame()),
                "#d7191c",
                w("legend_lost", group=group_word(target, lang)),
            ),
        ]
        unchanged = cov.select_facilities(applied[applied[sc.EDIT_COLUMN] == ""], list(settings.types))
        blocks.append(
            Figure_(
                w.figure("fig_scenario", name=scenario.name),
                _map_drawer(
                    data,
                    district=settings.district,
                    labels={},
                    words=words,
                    facilities=unchanged,
                    type_labels=type_labels,
                    marks=marks,
                    changed=changed,
                    extent=edit_extent(scenario, n.changed),
                ),
            )
        )
        return Section(w("sec_scenario"), tuple(blocks))

    def methods_section(self) -> Section:
        """The methods appendix."""
        w, settings, lang, ctx = self.w, self.settings, self.lang, self.ctx
        model = ctx.model
        blocks: list[Block] = [
            Paragraph(w("method_model_title"), bold=True),
            Paragraph(
                w(
                    "method_model_straight" if "network_sha256" not in model else "method_model_network",
                    model=model_text(model, lang),
                )
            ),
            Table(
                w.table("tab_modes"),
                _modes_table(str(model.get("mode", "")), lang),
                align=("l", "r", "r", "l"),
                widths=(2.0, 2.6, 1.0, 5.0),
            ),
            Paragraph(w("method_standard_title"), bold=True),
            Paragraph(w("method_standard")),
            Paragraph(w("method_coverage_title"), bold=True),
            Paragraph(w("method_coverage", minutes=fmt.minutes(settings.budget_min, lang, unit=False))),
            Paragraph(w("method_fca_title"), bold=True),
            Paragraph(w("method_fca")),
            Paragraph(w("method_mclp_title"), bold=True),
            Paragraph(w("method_mclp")),
            Paragraph(w("method_sources_title"), bold=True),
            Table(
                w.table("tab_sources"),
                _sources_table(ctx, lang),
                align=("l", "l", "l"),
                widths=(1.4, 1.0, 7.0),
            ),
        ]
        if self.note:
            blocks.append(Note(self.note, "warning"))
        return Section(w("sec_methods"), tuple(blocks))


def build_content(
    data: ReportData,
    settings: ReportSettings,
    *,
    scenario: sc.Scenario | None = None,
    suggestions: pd.DataFrame | None = None,
    generated_at: datetime | None = None,
) -> ReportContent:
    """Compute and write the planning report in ``settings.lang``.

    Parameters
    ----------
    data : ReportData
        Cells, published facilities, travel model, boundaries (and provenance).
    settings : ReportSettings
        Types, budget, language, scope, target, suggestions.
    scenario : Scenario, optional
        A scenario (:mod:`geo.scenarios`): its edits and before/after figures get a section, and the
        suggestions are made for the state after it.
    suggestions : pandas.DataFrame, optional
        A ``suggest`` table already computed (default: computed here).
    generated_at : datetime, optional
        Date printed (default now).

    Returns
    -------
    ReportContent

    Raises
    ------
    DataError
        For an unknown district adcode.
    NotFoundError
        When a scenario edit names a facility that is not published.
    """
    check_district(data.districts, settings.district)
    when = (generated_at or datetime.now()).replace(microsecond=0)
    n = compute(data, settings, scenario=scenario, suggestions=suggestions)
    writer = _Writer(data, settings, n, scenario=scenario, when=when)
    w, lang, ctx, target, scope = writer.w, settings.lang, writer.ctx, writer.target, writer.scope
    title = settings.title or w("title", scope=scope, types=writer.types_text)
    font = cjk_font_path()
    model = ctx.model
    parts = [
        writer.findings_section(),
        writer.coverage_section(),
        writer.maps_section(),
        writer.gaps_section(),
        writer.suggestions_section(),
    ]
    parts += [writer.scenario_section(), writer.methods_section()]
    sections = [part for part in parts if part is not None]
    numbered = tuple(
        Section(
            w("section_number", n=k, heading=s.heading)
            if k <= len(sections) - 1
            else w("appendix_heading", heading=s.heading),
            s.blocks,
            s.level,
        )
        for k, s in enumerate(sections, start=1)
    )
    date_text = when.strftime(w("date_format"))
    return ReportContent(
        lang=lang,
        cover=_cover(title, w, ctx, settings, writer.note),
        sections=numbered,
        header=title,
        footer=w("footer", date=date_text, version=ctx.version_text(lang)),
        page_label=w("page_label"),
        font_family=font_family(str(font)) if font is not None else "",
        tables={
            "districts": n.districts,
            "townships": n.townships,
            "totals": pd.DataFrame([n.totals]),
            "gaps": n.gaps,
            "suggestions": n.suggestions if n.suggestions is not None else pd.DataFrame(),
            "scenario": n.scenario_compare if n.scenario_compare is not None else pd.DataFrame(),
        },
        meta={
            "title": title,
            "date": date_text,
            "data_version": ctx.version,
            "scope": scope,
            "lang": lang,
            "subject": w(
                "cover_subtitle",
                mode=mode_label(str(model.get("mode", "")), lang),
                minutes=fmt.minutes(settings.budget_min, lang, unit=False),
                group=group_word(target, lang),
            ),
            "creator": w("cover_issuer"),
        },
    )


def _cell_area_text(cells: pd.DataFrame) -> str:
    """Average area of the demand cells' H3 hexagons, in km² to two significant digits."""
    import h3

    if cells.empty:
        return "–"
    resolution = h3.get_resolution(str(cells["cell_id"].iloc[0]))
    return f"{h3.average_hexagon_area(resolution, unit='km^2'):.2g}"


def _chart_drawer(rows: pd.DataFrame, names: list[str], lang: str) -> Callable[[FigureBase], None]:
    def draw(fig: FigureBase) -> None:
        draw_share_chart(
            fig,
            rows,
            names=names,
            group_labels={g: group_label(g, lang) for g in cov.GROUPS},
            x_label=text("chart_x", lang),
            goal_label=text("chart_goal", lang),
        )

    return draw


def _map_drawer(
    data: ReportData, *, district: int | None, labels: dict[int, str], words: dict[str, str], **kw: Any
) -> Callable[[FigureBase], None]:
    townships = data.boundaries
    if townships is not None and district is not None:
        townships = townships[pd.to_numeric(townships["adcode"], errors="coerce") == int(district)]

    def draw(fig: FigureBase) -> None:
        draw_area_map(
            fig,
            districts=data.districts,
            district=district,
            labels=labels,
            lang_words=words,
            townships=townships,
            **kw,
        )

    return draw


# ---------------------------------------------------------------------------------------------------
# Rendering


def render(content: ReportContent, format: str) -> bytes:
    """The report as a file: ``pdf`` (CJK font embedded), ``docx`` (Word) or ``html`` (self-contained).

    Raises
    ------
    CareCircleError
        For ``pdf`` without a CJK font (bilingual message naming the package to install).
    DataError
        For an unknown format.
    """
    if format not in FORMATS:
        msg = f"不支持的报告格式 {format!r},可用 pdf、docx、html。 / Unknown report format {format!r}; use pdf, docx or html."
        raise DataError(msg)
    font = cjk_font_path()
    if format == "pdf" and font is None:
        raise CareCircleError(NO_FONT_MESSAGE)
    with fonts(font):
        if format == "pdf":
            from geo.report_pdf import render_pdf

            return render_pdf(content)
        if format == "docx":
            from geo.report_docx import render_docx

            return render_docx(content)
        from geo.report_html import render_html

        return render_html(content).encode("utf-8")


def figure_png(block: Figure_, *, dpi: int = 160) -> bytes:
    """A figure block drawn to PNG (for the HTML and DOCX renderers)."""
    from geo.report_figures import png

    fig = Figure(figsize=block.size_in)
    block.draw(fig)
    return png(fig, dpi=dpi)
