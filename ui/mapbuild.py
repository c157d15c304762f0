"""Builds the pages' folium maps from cached data, and keeps the prepared ones for every session.

The ``*_map`` functions build fresh folium objects (downloads rebuild them in the page language); the
``prepared_*`` ones build a map once per data version and controls and keep it as component arguments
(:class:`ui.mapview.PreparedMap`, :class:`ui.mapview.PreparedLayers`) shared by all sessions.

The planning maps are a :class:`LayeredMap`: a base that is the same on every run and for every
session (tiles, district outlines, panes; prepared once, :func:`prepared_planning_base`) and groups of
layers that follow the controls. ``ui.mapview.show_map`` swaps the groups on the live map, so the
planner's zoom and centre stay while the layers change; a download puts base and groups into one
self-contained HTML file with a note of the data version and model. The finder's map is the same for
every resident who asks for the same service; their home, reach and lines to the results come as a
small overlay (:func:`finder_overlay`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import folium
import numpy as np
import pandas as pd

from geo import fmt, hexagons, maplayers, maps
from geo import scenarios as sc
from geo.coverage import select_facilities
from geo.schema import FACILITY_TYPES
from ui import coverage_draw, loaders, mapview
from ui.i18n import current_lang, fixed_lang, t, type_name

EDIT_MARKS: Final[tuple[tuple[str, str, str], ...]] = (
    ("added", "plan_action_add", "#1a9641"),
    ("moved", "plan_action_move", "#2b6cb0"),
    ("closed", "plan_action_close", "#999999"),
)
"""What a scenario did to a facility, the catalog key of the word, and the colour of its mark."""

FINDER_HOME_ZOOM = 14
"""Zoom of the finder's map once the resident's point is set (streets and nearby stations)."""


def facility_rows(
    version: str, types: tuple[str, ...], *, open_only: bool, basemap: str, lang: str
) -> list[list[Any]]:
    """The facilities of ``types`` (only open ones, as :func:`geo.coverage.select_facilities` picks
    them, or any status) as the maps draw them: made once per data version, basemap and language,
    and shared."""

    def build() -> list[list[Any]]:
        with fixed_lang(lang):
            chosen = loaders.facilities_of_types(version, types)
            if open_only:
                chosen = select_facilities(chosen, list(types))
            return maps.facility_rows(chosen, basemap=basemap, lang=lang, labels=popup_labels())

    key = (tuple(types), open_only, basemap, lang)
    return loaders.shared("facility_rows", version, key, build, max_entries=64)


def popup_labels() -> dict[str, str]:
    """Field labels of the facility popups in the current language."""
    return {
        "address": t("f_address"),
        "opening_hours": t("f_hours"),
        "phone": t("f_phone"),
        "capacity": t("f_capacity"),
        "available_places": t("f_available"),
    }


@dataclass
class LayeredMap:
    """The groups of layers of a planning map, drawn on the shared planning base of ``basemap`` and
    ``lang`` (:func:`planning_base`)."""

    basemap: str
    lang: str
    groups: list[folium.FeatureGroup] = field(default_factory=list)

    @property
    def base(self) -> folium.Map:
        """A fresh copy of the base (for a download; the page shows :meth:`prepared_base`)."""
        with fixed_lang(self.lang):
            return planning_base(basemap=self.basemap, lang=self.lang)

    def prepared_base(self) -> mapview.PreparedMap:
        """The base as every session shows it (prepared once)."""
        return prepared_planning_base(self.basemap, self.lang)

    def html(self, note: str = "") -> str:
        """Base and groups as one self-contained HTML page, with ``note`` in a corner."""
        if note:
            holder = folium.FeatureGroup(name="note", control=False)
            maplayers.MapNote(note).add_to(holder)
            self.groups.append(holder)
        return maplayers.standalone(self.base, self.groups)


def planning_base(*, basemap: str, lang: str) -> folium.Map:
    """The part of a planning map that never changes with the controls: tiles, panes, outlines."""
    m = maplayers.layered_base(basemap=basemap)
    maps.add_districts(m, loaders.districts(), basemap=basemap, lang=lang, fit=False)
    return m


def prepared_planning_base(basemap: str, lang: str) -> mapview.PreparedMap:
    """:func:`planning_base` prepared once for all sessions: the same text on every run, so the
    browser keeps its map (and the planner's view) while the layer groups change."""

    def build() -> mapview.PreparedMap:
        with fixed_lang(lang):
            return mapview.prepare(planning_base(basemap=basemap, lang=lang))

    return loaders.shared("planning_base", loaders.data_version(), (basemap, lang), build, max_entries=8)


def _fit(districts: pd.DataFrame, *, key: str, basemap: str) -> folium.FeatureGroup:
    fg = maplayers.group("fit", basemap=basemap)
    minx, miny, maxx, maxy = districts.total_bounds
    maplayers.FitOnce(key, maplayers.bounds_latlon(minx, miny, maxx, maxy, basemap=basemap)).add_to(fg)
    return fg


def facility_map(facilities: pd.DataFrame, *, basemap: str, lang: str) -> folium.Map:
    """Districts and facilities coloured by type, with a legend."""
    m = maps.base_map(basemap=basemap)
    maps.add_districts(m, loaders.districts(), basemap=basemap, lang=lang)
    maps.add_facilities(m, facilities, basemap=basemap, lang=lang, labels=popup_labels())
    present = [code for code in FACILITY_TYPES if code in set(facilities["type"])]
    maps.add_legend(m, [maps.facility_legend(present, title=t("legend_types"), lang=lang)])
    return m


def shown_facilities(
    facilities: pd.DataFrame, categories: tuple[str, ...], types: tuple[str, ...]
) -> pd.DataFrame:
    """The facilities of the facility map's filter."""
    return facilities[facilities["category"].isin(categories) & facilities["type"].isin(types)]


def prepared_facility_map(
    version: str, categories: tuple[str, ...], types: tuple[str, ...], basemap: str, lang: str
) -> mapview.PreparedMap:
    """:func:`facility_map` of the filtered facilities of ``version``, prepared once for all sessions."""

    def build() -> mapview.PreparedMap:
        with fixed_lang(lang):
            shown = shown_facilities(loaders.facilities_at(version), categories, types)
            return mapview.prepare(facility_map(shown, basemap=basemap, lang=lang))

    key = (tuple(categories), tuple(types), basemap, lang)
    return loaders.shared("facility_map", version, key, build, max_entries=32)


def coverage_map(
    version: str,
    *,
    types: tuple[str, ...],
    mode: str,
    budget_min: float,
    target: str,
    district: int,
    layers: tuple[str, ...],
    basemap: str,
    lang: str,
    rows: list[list[Any]] | None = None,
) -> LayeredMap:
    """The planner's map: district shares, reach bands, uncovered hexagons, facilities and a legend.

    District colours sit lowest and fade as the user zooms in; bands, hexagons and facilities are
    drawn above them (``geo.maplayers.PANES``), so none hides another at city zoom. ``rows``: the
    open facilities of ``types`` as :func:`facility_rows` gives them, when at hand.
    """
    bundle = loaders.coverage_bundle(version, types, mode, budget_min, target)
    districts = loaders.districts()
    shown = districts if not district else districts[districts["adcode"] == district]
    chosen = loaders.open_facilities(version, types)
    out = LayeredMap(basemap, lang)
    legend: list[str] = []
    shares = bundle["districts"].set_index("adcode")[f"{target}_covered_share"]
    if "choropleth" in layers:
        fg = maplayers.group("choropleth", basemap=basemap)
        fills = {int(a): maps.share_colour(s) for a, s in shares.items()}
        tips = {int(a): f"{t('legend_share')}: {fmt.share(s)}" for a, s in shares.items() if pd.notna(s)}
        maps.add_districts(
            fg, shown, basemap=basemap, lang=lang, fill_colours=fills, tooltips=tips, fit=False,
            pane="cc-choropleth", weight=0,
        )  # fmt: skip
        maplayers.ZoomFade("cc-choropleth").add_to(fg)
        out.groups.append(fg)
        legend.append(maps.legend_html(t("legend_share"), maps.share_legend_items(), shape="square"))
    townships = loaders.boundaries(version)
    if townships is not None:  # imported township polygons, outlined within the districts shown
        fg = maplayers.group("townships", basemap=basemap)
        maps.add_townships(
            fg, townships if not district else townships[townships["adcode"] == district], basemap=basemap
        )
        out.groups.append(fg)
    if "isochrones" in layers and not chosen.empty:
        fg = maplayers.group("bands", basemap=basemap)
        kept = {"types": types, "mode": mode, "budget_min": budget_min, "basemap": basemap}
        items = coverage_draw.add_isochrones(fg, version, chosen, **kept, pane="cc-bands")
        out.groups.append(fg)
        legend.append(maps.legend_html(t("legend_bands"), items, shape="square"))
    if "gaps" in layers:
        fg = maplayers.group("gaps", basemap=basemap)
        classes = loaders.uncovered_hexagons(
            version, types, mode, budget_min, target, district, basemap, lang
        )
        items = hexagons.add_hexagon_classes(fg, classes, pane="cc-gaps")
        out.groups.append(fg)
        legend.append(maps.legend_html(t("legend_gaps", group=t(f"target_{target}")), items, shape="square"))
    if "facilities" in layers:
        fg = maplayers.group("facilities", basemap=basemap)
        shown_as = {"types": types, "basemap": basemap, "lang": lang, "labels": popup_labels(), "rows": rows}
        legend.append(coverage_draw.add_facilities(fg, version, chosen, **shown_as))
        out.groups.append(fg)
    # At city scale some layers are drawn as aggregates; the legend says which (the figures are exact).
    drawn = coverage_draw.drawn_layers(
        version, types=types, mode=mode, budget_min=budget_min, target=target,
        district=district, layers=layers, basemap=basemap,
    )  # fmt: skip
    note = coverage_draw.legend_note(drawn)
    if note:
        legend.append(note)
    fg = _fit(shown, key=f"district-{district}", basemap=basemap)
    if district:
        maps.add_districts(fg, shown, basemap=basemap, lang=lang, fit=False, weight=3.5)
    maps.add_legend(fg, legend)
    out.groups.append(fg)
    return out


def prepared_coverage_map(
    version: str,
    *,
    types: tuple[str, ...],
    mode: str,
    budget_min: float,
    target: str,
    district: int,
    layers: tuple[str, ...],
    basemap: str,
    lang: str,
) -> mapview.MapView:
    """:func:`coverage_map` prepared once per data version and controls, for all sessions: the shared
    planning base and the prepared layer groups swapped on it."""
    args = {
        "types": tuple(types),
        "mode": mode,
        "budget_min": float(budget_min),
        "target": target,
        "district": int(district),
        "layers": tuple(layers),
        "basemap": basemap,
        "lang": lang,
    }

    def build() -> mapview.PreparedLayers:
        # Popups are made only for a facility layer drawn as markers (not when it is aggregated).
        markers = "facilities" in args["layers"] and not coverage_draw.facilities_aggregated(
            version, args["types"]
        )
        rows = (
            facility_rows(version, args["types"], open_only=True, basemap=basemap, lang=lang)
            if markers
            else None
        )
        with fixed_lang(lang):
            built = coverage_map(version, **args, rows=rows)  # type: ignore[arg-type]
            return mapview.prepare_layers(built.groups)

    prepared = loaders.shared("coverage_layers", version, tuple(args.values()), build, max_entries=32)
    return mapview.MapView(prepared_planning_base(basemap, lang), layers=prepared)


def _sites_layer(
    fg: folium.FeatureGroup, sites: pd.DataFrame, *, basemap: str, colour: str, label: str, pane: str
) -> None:
    if sites.empty:
        return
    names = sites["name"].astype(str).tolist() if "name" in sites.columns else [""] * len(sites)
    tips = [f"{label} {k}" + (f" · {n}" if n else "") for k, n in enumerate(names, start=1)]
    rows = maplayers.point_rows(
        sites["lon"], sites["lat"], basemap=basemap, colour=colour, tooltips=tips, radius=9, stroke="#111111"
    )
    maplayers.Points(rows, pane=pane).add_to(fg)


def suggestion_map(
    facilities: pd.DataFrame, table: pd.DataFrame | None, *, facility_type: str, basemap: str, lang: str
) -> LayeredMap:
    """Existing facilities of the type and the suggested sites (numbered), on a map that keeps its view."""
    out = LayeredMap(basemap, lang)
    fg = maplayers.group("facilities", basemap=basemap)
    maps.add_facilities(
        fg, select_facilities(facilities, [facility_type]), basemap=basemap, lang=lang, labels=popup_labels()
    )
    items = [(maps.TYPE_COLOURS[facility_type], type_name(facility_type))]
    if table is not None and not table.empty:
        _sites_layer(fg, table, basemap=basemap, colour="#ffd400", label=t("plan_site"), pane="cc-sites")
        items.append(("#ffd400", t("plan_site")))
    maps.add_legend(fg, [maps.legend_html(t("legend_types"), items)])
    out.groups += [fg, _fit(loaders.districts(), key="city", basemap=basemap)]
    return out


def scenario_map(
    applied: pd.DataFrame,
    *,
    facility_type: str,
    point: tuple[float, float] | None,
    basemap: str,
    lang: str,
) -> LayeredMap:
    """Open facilities of the type after the scenario; added green, closed grey, the chosen point red."""
    out = LayeredMap(basemap, lang)
    fg = maplayers.group("scenario", basemap=basemap)
    untouched = applied[applied[sc.EDIT_COLUMN] != "added"]
    maps.add_facilities(
        fg, select_facilities(untouched, [facility_type]), basemap=basemap, lang=lang, labels=popup_labels()
    )
    same = applied[applied["type"] == facility_type]
    added = same[(same[sc.EDIT_COLUMN] == "added") & (same["status"] == "open")]
    moved = same[same[sc.EDIT_COLUMN] == "moved"]
    closed = same[same[sc.EDIT_COLUMN] == "closed"]
    _sites_layer(fg, added, basemap=basemap, colour="#1a9641", label=t("plan_action_add"), pane="cc-sites")
    _sites_layer(fg, moved, basemap=basemap, colour="#2b6cb0", label=t("plan_action_move"), pane="cc-sites")
    _sites_layer(fg, closed, basemap=basemap, colour="#999999", label=t("plan_action_close"), pane="cc-sites")
    items = [
        ("#1a9641", t("plan_action_add")),
        ("#2b6cb0", t("plan_action_move")),
        ("#999999", t("plan_action_close")),
    ]
    if point is not None:
        maps.add_home(fg, point, label=t("plan_point"), basemap=basemap)
        items.append(("#e53e3e", t("plan_point")))
    maps.add_legend(fg, [maps.legend_html(t("plan_legend"), items)])
    out.groups += [fg, _fit(loaders.districts(), key="city", basemap=basemap)]
    return out


def compare_map(
    base: pd.DataFrame,
    applied: pd.DataFrame,
    *,
    uncovered_before: pd.DataFrame,
    uncovered_after: pd.DataFrame,
    facility_type: str,
    target: str,
    basemap: str,
    lang: str,
) -> LayeredMap:
    """The published state left of a divider the planner drags, the scenario right of it.

    Each side shows the open facilities of the type and the uncovered target people (hexagons in the
    fixed classes), so the divider shows where the scenario closes gaps and where it opens them.
    """
    out = LayeredMap(basemap, lang)
    colour = maps.TYPE_COLOURS[facility_type]
    legend_items: list[tuple[str, str]] = []
    for side, table, uncovered in (("left", base, uncovered_before), ("right", applied, uncovered_after)):
        fg = maplayers.group(side, basemap=basemap)
        classes = hexagons.hexagon_classes(
            uncovered,
            value_col="uncovered",
            indicator=f"uncovered_density_{target}",
            basemap=basemap,
            density_unit=t("density_unit"),
            tooltip="{people} " + t("people_unit") + " ({density})",
        )
        legend_items = hexagons.add_hexagon_classes(fg, classes, pane=f"cc-{side}-gaps")
        open_now = select_facilities(table, [facility_type])
        names = open_now["name"].astype(str).tolist()
        rows = maplayers.point_rows(
            open_now["lon"], open_now["lat"], basemap=basemap, colour=colour, tooltips=names, radius=6
        )
        if side == "right" and sc.EDIT_COLUMN in table.columns:
            touched = table[(table["type"] == facility_type) & (table[sc.EDIT_COLUMN] != "")]
            for what, action, mark in EDIT_MARKS:
                picked = touched[touched[sc.EDIT_COLUMN] == what]
                tips = [f"{t(action)} · {n}" for n in picked["name"].astype(str)]
                rows += maplayers.point_rows(
                    picked["lon"], picked["lat"], basemap=basemap, colour=mark, tooltips=tips, radius=9,
                    stroke="#111111",
                )  # fmt: skip
        maplayers.Points(rows, pane=f"cc-{side}-sites").add_to(fg)
        out.groups.append(fg)
    fg = _fit(loaders.districts(), key="city", basemap=basemap)
    maplayers.Swipe(
        left_label=t("plan_compare_left"), right_label=t("plan_compare_right"), aria=t("plan_compare_aria")
    ).add_to(fg)
    maps.add_legend(
        fg,
        [
            maps.legend_html(t("legend_gaps", group=t(f"target_{target}")), legend_items, shape="square"),
            maps.legend_html(
                t("plan_legend"),
                [
                    (colour, type_name(facility_type)),
                    ("#1a9641", t("plan_action_add")),
                    ("#999999", t("plan_action_close")),
                ],
            ),
        ],
    )
    out.groups.append(fg)
    return out


def uncovered_cells(cells: pd.DataFrame, covered: np.ndarray, target: str) -> pd.DataFrame:
    """``cell_id, uncovered`` target people of the cells not covered (for the comparison hexagons)."""
    people = cells[target].to_numpy(float)
    keep = ~np.asarray(covered, dtype=bool) & (people > 0)
    return pd.DataFrame({"cell_id": cells["cell_id"].to_numpy()[keep], "uncovered": people[keep]})


def prepared_finder_map(version: str, types: tuple[str, ...], basemap: str, lang: str) -> mapview.PreparedMap:
    """The finder's map for one need: districts, the facilities of ``types`` and the locate button.

    The same for every resident; :func:`finder_overlay` adds what is theirs."""

    def build() -> mapview.PreparedMap:
        with fixed_lang(lang):
            m = maps.base_map(basemap=basemap)
            maps.add_districts(m, loaders.districts(), basemap=basemap, lang=lang)
            rows = facility_rows(version, types, open_only=False, basemap=basemap, lang=lang)
            maps.add_facilities(m, loaders.facilities_of_types(version, types), basemap=basemap, rows=rows)
            texts = {k: t(f"locate_{k}") for k in maps.LOCATE_TEXTS}
            maps.add_locate_control(m, title=t("locate_me"), texts=texts, basemap=basemap)
            return mapview.prepare(m)

    return loaders.shared("finder_map", version, (tuple(types), basemap, lang), build, max_entries=96)


def finder_overlay(
    version: str,
    home_lonlat: tuple[float, float],
    *,
    mode: str,
    reach_min: float,
    label: str,
    results: pd.DataFrame | None,
    basemap: str,
) -> tuple[str, tuple[float, float]]:
    """A resident's layer on the finder's map, and where to centre the map (Leaflet lat, lng).

    The reach within ``reach_min`` minutes (beneath the facilities, so their markers keep their
    clicks), its legend, the home point, dashed lines to the results (``lon``, ``lat``, ``name``) and,
    when they have a ``rank``, pins numbered like the result cards.
    """
    group = maps.LayerGroup()
    area = loaders.reach_area(version, home_lonlat, mode, reach_min)
    layer = maps.add_area(group, area, colour=maps.BAND_COLOURS[0], tooltip=t("reach_15"), basemap=basemap)
    items = [(maps.BAND_COLOURS[0], t("reach_15"))]
    maps.add_legend(group, [maps.legend_html(t("reach_15"), items, shape="square")])
    maps.add_home(group, home_lonlat, label=label, basemap=basemap, destinations=results)
    if results is not None and "rank" in results.columns:
        maps.add_numbered_pins(group, results, basemap=basemap)
    lon, lat = maps.to_display(home_lonlat[0], home_lonlat[1], basemap=basemap)
    overlay = mapview.prepare_overlay(group, to_back=[layer] if layer is not None else [])
    return overlay, (float(lat), float(lon))


def html_export(build: Callable[[], LayeredMap | folium.Map], note: Callable[[], str]) -> Callable[[], bytes]:
    """A download callable: rebuilds the map in the current language, inlines its assets, adds a note.

    ``st.download_button`` runs it on another thread when clicked, so the language is fixed now.
    """
    lang = current_lang()

    def make() -> bytes:
        with fixed_lang(lang):
            built = build()
            if isinstance(built, LayeredMap):
                return built.html(note()).encode("utf-8")
            holder = folium.FeatureGroup(name="note", control=False)
            maplayers.MapNote(note()).add_to(holder)
            holder.add_to(built)
            return maps.standalone_html(built).encode("utf-8")

    return make
