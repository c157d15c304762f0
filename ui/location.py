"""The finder's "my location" controls: click the map, type a place, or paste coordinates."""

from __future__ import annotations

import streamlit as st

from geo.crs import in_ordos_bounds
from geo.errors import DataError
from geo.geocode import Place, geocode, parse_coordinates, settings_from_env
from ui import loaders, state
from ui.i18n import labels_for, t
from ui.widgets import md_escape

HOW = ("map", "place", "coords")
CRS_CHOICES = ("wgs84", "gcj02", "bd09")


def _place_label(place: Place) -> str:
    label = f"{place.name} · {t('kind_' + place.kind)}"
    return label + (" " + t("place_modelled") if place.modelled else "")


def set_home(lon: float, lat: float, label: str) -> None:
    """Remember the resident's WGS84 point and its label for this session."""
    st.session_state[state.HOME] = (float(lon), float(lat))
    st.session_state[state.HOME_LABEL] = label


def use_click(lon: float, lat: float) -> bool:
    """Take a map click as the home point; a click outside Ordos is refused with a warning.

    Returns whether the home point changed. Pasted coordinates are held to the same extent.
    """
    if not in_ordos_bounds(lon, lat):
        st.warning(t("click_outside"))
        return False
    set_home(lon, lat, t("home_label"))
    return True


def home() -> tuple[float, float] | None:
    """The resident's WGS84 lon, lat, or None when not set yet."""
    value = st.session_state.get(state.HOME)
    return (float(value[0]), float(value[1])) if value else None


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
        hits = (
            geocode(query, loaders.gazetteer(version), settings=settings_from_env()) if query.strip() else []
        )
        if query.strip() and not hits:
            st.info(t("place_none", query=md_escape(query)))
        if hits:
            pick = st.selectbox(
                t("place_results"),
                list(range(len(hits))),
                key=state.FIND_PICK,
                format_func=labels_for(range(len(hits)), lambda i: _place_label(hits[int(i)])),
            )
            if st.button(t("use_place")) and pick is not None:
                set_home(hits[pick].lon, hits[pick].lat, hits[pick].name)
    elif how == "coords":
        text = st.text_input(t("coords_input"), key=state.FIND_COORDS)
        crs = st.selectbox(
            t("coords_crs"),
            CRS_CHOICES,
            format_func=labels_for(CRS_CHOICES, lambda c: t(f"crs_{c}")),
            key=state.FIND_CRS,
        )
        if st.button(t("use_coords")) and text.strip():
            try:
                set_home(*parse_coordinates(text, crs=crs), t("home_label"))
            except DataError as exc:
                st.error(t("coords_error", error=md_escape(exc)))
    else:
        st.caption(t("click_hint"))
