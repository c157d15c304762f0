"""Helpers of the 找服务 · Find services page: the link's state, the result cards and the map.

The answer itself comes from :func:`geo.finder.find_services` (the same function behind
``python -m geo nearby``); this module reads and writes the link, draws the cards and builds the map.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from geo.finder import FINDER_MODES, NEEDS, REACH_MIN, SEARCH_MIN, Found
from geo.gazetteer import Place
from geo.geocode import CoordinateError, check_lonlat, search_places, settings_from_env
from ui import loaders, location, mapbuild, state
from ui.i18n import labels_for, t, tn, type_name
from ui.mapview import MapView
from ui.widgets import md_escape

RESULTS_KEY = "find_results"  # container key: CSS class st-key-find_results


# --- the link: place, need and mode (language and text size: ui.widgets) ---------------------------


def read_link(version: str) -> None:
    """Once per session: take need, mode and place from the link (``?need=…&mode=…&at=lon,lat&place=…``).

    ``at`` is the exact point; ``place`` alone (a hand-written link such as ``?place=Kangbashi``) is
    looked up in the gazetteer, as if typed.
    """
    if st.session_state.get(state.FIND_URL_APPLIED):
        return
    st.session_state[state.FIND_URL_APPLIED] = True
    params = st.query_params
    if params.get("need") in NEEDS:
        st.session_state[state.FIND_NEED] = params["need"]
    if params.get("mode") in FINDER_MODES:
        st.session_state[state.FIND_MODE] = params["mode"]
    label = str(params.get("place", "")).strip()[:100]
    at = str(params.get("at", ""))
    if at:
        try:
            lon_text, lat_text = at.split(",", 1)
            point = check_lonlat(float(lon_text), float(lat_text), allow_swap=False)
        except (ValueError, CoordinateError):
            st.warning(t("link_place_bad"))
            return
        location.set_home(point.lon, point.lat, label or t("home_label"), kind=params.get("kind", "click"))
    elif label:
        found = search_places(label, loaders.gazetteer(version), settings=settings_from_env())
        if found.places:
            best = found.places[0]
            location.set_home(best.lon, best.lat, best.name, kind=best.kind)
        else:
            st.warning(t("link_place_none", query=md_escape(label)))


def write_link(need: str, mode: str, place: Place | None) -> None:
    """Keep need, mode and place in the link, so a reload or a shared link shows the same results."""
    params = {"need": need, "mode": mode}
    if place is not None:
        params["at"] = f"{place.lon:.6f},{place.lat:.6f}"
        params["kind"] = place.kind
        if place.kind != "click":
            params["place"] = place.name
    for key in ("need", "mode", "at", "kind", "place"):
        if key in params:
            if st.query_params.get(key) != params[key]:
                st.query_params[key] = params[key]
        elif key in st.query_params:
            del st.query_params[key]


# --- the results -----------------------------------------------------------------------------------


def distance_text(distance_m: float) -> str:
    """Distance in the page language: metres below 1 km, else kilometres with one decimal."""
    if distance_m >= 1000:
        return t("distance_km", km=f"{distance_m / 1000:.1f}")
    return t("distance_m", m=f"{distance_m:.0f}")


def _nav_links(links: Mapping[str, str], *, system: str) -> str:
    # Plain links (nothing is loaded until tapped), styled as 44 px buttons by the page style sheet.
    parts = [
        f"[{md_escape(t(label))}]({links[app]})"
        for label, app in (("nav_amap", "amap"), ("nav_baidu", "baidu"), ("nav_system", system))
    ]
    return f"{md_escape(t('nav_title'))}: " + " ".join(parts)


def _is_apple() -> bool:
    agent = str(st.context.headers.get("User-Agent", ""))
    return bool(re.search(r"iPhone|iPad|iPod|Macintosh", agent))


def result_card(rec: Mapping[str, Any], *, system: str = "geo") -> None:
    """One result as a bordered card of paragraphs (one Markdown element: a page of results is sent
    and laid out as a few dozen elements, not a hundred); every data value is escaped for Markdown.
    ``system``: the phone's own map app for the third navigation link (``apple`` or ``geo``)."""
    paragraphs = [f"**{rec['rank']}. {md_escape(rec['name'])}**  \n{md_escape(type_name(str(rec['type'])))}"]
    line = t(
        "result_line", minutes=tn("minutes_n", rec["minutes"]), distance=distance_text(rec["distance_m"])
    )
    paragraphs.append(md_escape(line))
    if rec["address"]:
        paragraphs.append(f":material/location_on: {md_escape(rec['address'])}")
    if rec["open_now"] is None:
        status = f":gray[{md_escape(t('hours_unknown'))}]"
    elif rec["open_now"]:
        status = f":green[:material/check_circle: {md_escape(t('open_now'))}]"
    else:
        status = f":red[:material/cancel: {md_escape(t('closed_now'))}]"
    hours = md_escape(rec["hours_text"])
    paragraphs.append(f":material/schedule: {hours} · {status}" if hours else status)
    extras = []
    if rec["available_places"] is not None:
        extras.append(md_escape(tn("places_available", rec["available_places"])))
    if rec["phone"]:
        tel = re.sub(r"[^0-9+]", "", str(rec["phone"]))
        extras.append(f":material/call: [{md_escape(rec['phone'])}](tel:{tel})")
    if extras:
        paragraphs.append(" · ".join(extras))
    paragraphs.append(_nav_links(rec["navigation"], system=system))
    st.container(border=True).markdown("\n\n".join(paragraphs))


def results(found: Found | None) -> None:
    """The list: where, then the numbered cards (the map's pins carry the same numbers)."""
    with st.container(key=RESULTS_KEY):
        if found is None:
            st.subheader(t("results_title"))
            st.info(t("no_home"))
            return
        place = found.place
        kind = t(f"kind_{place.kind}") if place.kind != "click" else t("kind_click")
        st.caption(t("home_set", label=md_escape(place.name), kind=kind, lon=place.lon, lat=place.lat))
        st.subheader(t("results_title"))
        if not found.rows:
            st.info(t("results_none", minutes=int(SEARCH_MIN)))
            return
        system = "apple" if _is_apple() else "geo"
        for rec in found.rows:
            result_card(rec, system=system)
        st.caption(t("lines_note"))


# --- the map ---------------------------------------------------------------------------------------


def finder_map(
    found: Found | None, *, need: str, mode: str, version: str, basemap: str, lang: str
) -> MapView:
    """Facilities of the need, the resident's point with its 15-minute reach, numbered result pins.

    The map of the need is prepared once and shared by every resident (``ui.mapbuild``); what is
    theirs comes as an overlay, and the view moves to their point."""
    prepared = mapbuild.prepared_finder_map(version, NEEDS[need], basemap, lang)
    if found is None:
        return MapView(prepared)
    place = found.place
    rows = pd.DataFrame(found.rows, columns=["rank", "name", "lon", "lat"])
    overlay, center = mapbuild.finder_overlay(
        version,
        (place.lon, place.lat),
        mode=mode,
        reach_min=REACH_MIN,
        label=place.name,
        results=rows,
        basemap=basemap,
    )
    return MapView(prepared, overlay=overlay, center_latlng=center, zoom=mapbuild.FINDER_HOME_ZOOM)


def need_label(need: str) -> str:
    """A need's label: a whole category, or one facility type."""
    return t(f"need_{need}") if need in ("elderly", "child") else type_name(need)


def need_labels() -> Any:
    """``format_func`` of the need select box."""
    return labels_for(NEEDS, lambda n: need_label(str(n)))
