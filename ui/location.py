"""The finder's "my location" controls: the ◎ button or a tap on the map, a place search, or coordinates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from geo.crs import in_ordos_bounds
from geo.gazetteer import Place
from geo.geocode import (
    CoordinateError,
    GeocoderSettings,
    PlaceSearch,
    fetch_online,
    read_coordinates,
    search_places,
    settings_from_env,
)
from ui import loaders, state
from ui.i18n import labels_for, t
from ui.mapview import clicked_lonlat
from ui.widgets import md_escape

HOW = ("map", "place", "coords")
CRS_CHOICES = ("wgs84", "gcj02", "bd09")


def place_label(place: Place) -> str:
    """How a match is listed: name, where it is, what kind of place it is and how it matched."""
    label = place.name + (f"({place.area})" if place.area else "")
    label += f" · {t('kind_' + place.kind)} · {t('match_' + place.match)}"
    return label + (" " + t("place_modelled") if place.modelled else "")


def set_home(lon: float, lat: float, label: str, *, kind: str = "click") -> None:
    """Remember the resident's WGS84 point, its label and its kind for this session."""
    st.session_state[state.HOME] = (float(lon), float(lat))
    st.session_state[state.HOME_LABEL] = label
    st.session_state[state.HOME_KIND] = kind


def tap_handler(basemap: str) -> Callable[[dict[str, Any]], None]:
    """What the finder map calls when it is tapped, before the page runs: the tap becomes the home
    point at once, so the run that follows lists the results (no second run). A tap outside Ordos is
    remembered and said by :func:`after_tap`."""

    def on_tap(value: dict[str, Any]) -> None:
        _take_tap(value, basemap)

    return on_tap


def _take_tap(value: dict[str, Any], basemap: str) -> bool:
    """A tap not taken before becomes the home point (inside Ordos) or is remembered as refused;
    returns whether the home point changed."""
    clicked = clicked_lonlat(value, basemap=basemap)
    if not clicked or clicked == st.session_state.get(state.FIND_LAST_CLICK):
        return False
    st.session_state[state.FIND_LAST_CLICK] = clicked
    if not in_ordos_bounds(*clicked):
        st.session_state[state.FIND_TAP_OUTSIDE] = True
        return False
    set_home(*clicked, t("home_label"), kind="click")
    return True


def after_tap(value: dict[str, Any], basemap: str) -> None:
    """Under the map: take a tap the map did not hand over before the run (then run again), and say
    that a tap outside Ordos was refused."""
    changed = _take_tap(value, basemap)
    if st.session_state.pop(state.FIND_TAP_OUTSIDE, False):
        st.warning(t("click_outside"))
    if changed:
        st.rerun()


def home() -> tuple[float, float] | None:
    """The resident's WGS84 lon, lat, or None when not set yet."""
    value = st.session_state.get(state.HOME)
    return (float(value[0]), float(value[1])) if value else None


def home_place() -> Place | None:
    """The resident's place (name, kind, WGS84 point), or None when not set yet."""
    point = home()
    if point is None:
        return None
    kind = str(st.session_state.get(state.HOME_KIND, "click"))
    label = str(st.session_state.get(state.HOME_LABEL) or t("home_label"))
    return Place(name=label, lon=point[0], lat=point[1], kind=kind)


@st.cache_data(show_spinner=False, ttl=3600, max_entries=256)
def _online(query: str, settings: GeocoderSettings) -> dict[str, Any] | None:
    # One request per distinct query and hour (Nominatim asks for at most one a second), not per rerun.
    return fetch_online(query, settings)


def _search(query: str, version: str, crs: str) -> PlaceSearch:
    return search_places(
        query, loaders.gazetteer(version), settings=settings_from_env(), crs=crs, online=_online
    )


def _say_notes(found: PlaceSearch, query: str) -> None:
    for note in found.notes:
        if note == "swapped" and found.places:
            st.info(t("place_swapped", lon=found.places[0].lon, lat=found.places[0].lat))
        elif note in ("online_failed", "online_outside", "online_none"):
            st.caption(t(f"place_{note}"))
    if found.source == "online":
        st.caption(t("place_online_used", provider=settings_from_env().provider))
    if found.error:
        _coordinate_error(query, "wgs84")
    elif not found.places:
        st.info(t("place_none", query=md_escape(query)))


def _coordinate_error(text: str, crs: str) -> None:
    try:
        read_coordinates(text, crs=crs)
    except CoordinateError as exc:
        lon, lat = md_escape(exc.lon), md_escape(exc.lat)
        st.error(t(f"coords_error_{exc.code}", lon=lon, lat=lat))


def location_picker(version: str) -> None:
    """Radio for how the location is given, and the matching inputs (place search, coordinates)."""
    how = st.radio(
        t("where_how"),
        HOW,
        format_func=labels_for(HOW, lambda h: t(f"where_{h}")),
        key=state.FIND_HOW,
        horizontal=True,
    )
    if how == "place":
        query = st.text_input(t("place_query"), key=state.FIND_QUERY)
        found = _search(query, version, "wgs84") if query.strip() else PlaceSearch()
        if query.strip():
            _say_notes(found, query)
        hits = found.places
        if hits:
            pick = st.selectbox(
                t("place_results"),
                list(range(len(hits))),
                key=state.FIND_PICK,
                format_func=labels_for(range(len(hits)), lambda i: place_label(hits[int(i)])),
                placeholder=t("choose_one"),
            )
            if st.button(t("use_place"), type="primary") and pick is not None:
                chosen = hits[pick]
                set_home(chosen.lon, chosen.lat, chosen.name, kind=chosen.kind)
    elif how == "coords":
        text = st.text_input(t("coords_input"), key=state.FIND_COORDS)
        crs = st.selectbox(
            t("coords_crs"),
            CRS_CHOICES,
            format_func=labels_for(CRS_CHOICES, lambda c: t(f"crs_{c}")),
            key=state.FIND_CRS,
            placeholder=t("choose_one"),
        )
        if st.button(t("use_coords"), type="primary") and text.strip():
            try:
                found = read_coordinates(text, crs=crs)
            except CoordinateError:
                _coordinate_error(text, crs)
            else:
                if found.swapped:
                    st.info(t("place_swapped", lon=found.lon, lat=found.lat))
                set_home(found.lon, found.lat, f"{found.lon:.5f}, {found.lat:.5f}", kind="coordinates")
    else:
        st.caption(t("click_hint"))
