"""Builds the pages' folium maps from cached data, and keeps the prepared ones for every session.

The ``*_map`` functions build a fresh folium map (downloads rebuild one in the page language); the
``prepared_*`` ones build it once per data version and controls and keep it as component arguments
(:class:`ui.mapview.PreparedMap`) shared by all sessions. The finder's map is the same for every
resident who asks for the same service; their home, reach and lines to the results come as a small
overlay (:func:`finder_overlay`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import folium
import pandas as pd

from geo import maps
from geo.schema import FACILITY_TYPES
from ui import loaders, mapview
from ui.i18n import current_lang, fixed_lang, t

FINDER_HOME_ZOOM = 14
"""Zoom of the finder's map once the resident's point is set (streets and nearby stations)."""


def facility_rows(
    version: str, types: tuple[str, ...], *, open_only: bool, basemap: str, lang: str
) -> list[list[Any]]:
    """The facilities of ``types`` (only open ones, or any status) as the maps draw them: made once
    per data version, basemap and language, and shared."""

    def build() -> list[list[Any]]:
        with fixed_lang(lang):
            chosen = loaders.facilities_of_types(version, types)
            if open_only:
                chosen = chosen[chosen["status"].isin(["open", ""])]
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
    facilities: pd.DataFrame,
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
) -> folium.Map:
    """The planner's map: choropleth, isochrone bands, uncovered hexagons, facilities and a legend.

    ``rows``: the open facilities of ``types`` as :func:`facility_rows` gives them, when at hand."""
    bundle = loaders.coverage_bundle(version, types, mode, budget_min, target)
    districts = loaders.districts()
    shown = districts if not district else districts[districts["adcode"] == district]
    chosen = facilities[facilities["type"].isin(types) & facilities["status"].isin(["open", ""])]
    m = maps.base_map(basemap=basemap)
    legend = []
    shares = bundle["districts"].set_index("adcode")[f"{target}_covered_share"]
    fills = {int(a): maps.share_colour(s) for a, s in shares.items()} if "choropleth" in layers else None
    tips = {int(a): f"{t('legend_share')}: {s:.1%}" for a, s in shares.items() if pd.notna(s)}
    maps.add_districts(m, shown, basemap=basemap, lang=lang, fill_colours=fills, tooltips=tips)
    townships = loaders.boundaries(version)
    if townships is not None:  # imported township polygons, outlined within the districts shown
        maps.add_townships(m, townships if not district else townships[townships["adcode"] == district])
    if fills:
        legend.append(maps.legend_html(t("legend_share"), maps.share_legend_items(), shape="square"))
    if "isochrones" in layers and not chosen.empty:
        bands_min = tuple(sorted({budget_min / 3, 2 * budget_min / 3, float(budget_min)}))
        points = tuple(map(tuple, chosen[["lon", "lat"]].to_numpy(float).round(6)))
        bands = loaders.isochrone_bands(version, points, mode, bands_min)
        items = maps.add_isochrones(m, bands, basemap=basemap, label=lambda x: t("minutes_label", minutes=x))
        legend.append(maps.legend_html(t("legend_bands"), items, shape="square"))
    if "gaps" in layers:
        classes = loaders.uncovered_hexagons(
            version, types, mode, budget_min, target, district, basemap, t("people_unit")
        )
        legend.append(
            maps.legend_html(t("legend_gaps"), maps.add_hexagon_classes(m, classes), shape="square")
        )
    if "facilities" in layers:
        maps.add_facilities(m, chosen, basemap=basemap, lang=lang, labels=popup_labels(), rows=rows)
        legend.append(maps.facility_legend(types, title=t("legend_types"), lang=lang))
    maps.add_legend(m, legend)
    return m


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
) -> mapview.PreparedMap:
    """:func:`coverage_map` prepared once per data version and controls, for all sessions."""
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

    def build() -> mapview.PreparedMap:
        rows = facility_rows(version, args["types"], open_only=True, basemap=basemap, lang=lang)
        with fixed_lang(lang):
            return mapview.prepare(coverage_map(version, loaders.facilities_at(version), **args, rows=rows))

    return loaders.shared("coverage_map", version, tuple(args.values()), build, max_entries=32)


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


def html_export(build: Callable[[], folium.Map]) -> Callable[[], bytes]:
    """A download callable: rebuilds the map in the current language and inlines its assets.

    ``st.download_button`` runs it on another thread when clicked, so the language is fixed now.
    """
    lang = current_lang()

    def make() -> bytes:
        with fixed_lang(lang):
            return maps.standalone_html(build()).encode("utf-8")

    return make
