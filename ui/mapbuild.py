"""Builds the pages' folium maps from cached data (a function, so downloads can rebuild a fresh copy)."""

from __future__ import annotations

from collections.abc import Callable

import folium
import pandas as pd

from geo import maps
from geo.schema import FACILITY_TYPES
from ui import loaders
from ui.i18n import current_lang, fixed_lang, t


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
) -> folium.Map:
    """The planner's map: choropleth, isochrone bands, uncovered hexagons, facilities and a legend."""
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
    townships = loaders.boundaries()
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
        maps.add_facilities(m, chosen, basemap=basemap, lang=lang, labels=popup_labels())
        legend.append(maps.facility_legend(types, title=t("legend_types"), lang=lang))
    maps.add_legend(m, legend)
    return m


def html_export(build: Callable[[], folium.Map]) -> Callable[[], bytes]:
    """A download callable: rebuilds the map in the current language and inlines its assets.

    ``st.download_button`` runs it on another thread when clicked, so the language is fixed now.
    """
    lang = current_lang()

    def make() -> bytes:
        with fixed_lang(lang):
            return maps.standalone_html(build()).encode("utf-8")

    return make
