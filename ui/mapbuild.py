"""Builds the pages' folium maps from cached data (a function, so downloads can rebuild a fresh copy)."""

from __future__ import annotations

from collections.abc import Callable

import folium
import pandas as pd

from geo import maps
from geo.schema import FACILITY_TYPES
from ui import coverage_draw, loaders
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
    chosen = coverage_draw.chosen_facilities(facilities, types)
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
        kept = {"types": types, "mode": mode, "budget_min": budget_min, "basemap": basemap}
        items = coverage_draw.add_isochrones(m, version, chosen, **kept)
        legend.append(maps.legend_html(t("legend_bands"), items, shape="square"))
    if "gaps" in layers:
        classes = loaders.uncovered_hexagons(
            version, types, mode, budget_min, target, district, basemap, t("people_unit")
        )
        legend.append(
            maps.legend_html(t("legend_gaps"), maps.add_hexagon_classes(m, classes), shape="square")
        )
    if "facilities" in layers:
        shown = {"types": types, "basemap": basemap, "lang": lang, "labels": popup_labels()}
        legend.append(coverage_draw.add_facilities(m, version, chosen, **shown))
    # At city scale some layers are drawn as aggregates; the legend says which (the figures are exact).
    drawn = coverage_draw.drawn_layers(
        version,
        facilities,
        types=types,
        mode=mode,
        budget_min=budget_min,
        target=target,
        district=district,
        layers=layers,
        basemap=basemap,
    )
    note = coverage_draw.legend_note(drawn)
    if note:
        legend.append(note)
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
