"""找服务 · Find services: set a location, choose a need and a mode, see what is near, nearest first.

Phone first: the numbered result cards come before the map (side by side on a wide screen), the
pins on the map carry the same numbers, and the link keeps place, need, mode and language.
"""

from __future__ import annotations

import streamlit as st

from geo.finder import FINDER_MODES, NEEDS, find_services
from geo.hours import ordos_now
from ui import finder_ui, loaders, location, state, widgets
from ui.i18n import current_lang, labels_for, t
from ui.mapview import clicked_lonlat, show_map

version = loaders.data_version()
lang = current_lang()
finder_ui.read_link(version)
basemap = widgets.basemap_picker()
st.title(t("find_title"))
st.caption(t("find_intro"))
widgets.modelled_note()

left, right = st.columns(2)
need = left.selectbox(
    t("need"),
    list(NEEDS),
    format_func=finder_ui.need_labels(),
    key=state.FIND_NEED,
    placeholder=t("choose_one"),
)
mode = right.radio(
    t("mode"),
    FINDER_MODES,
    format_func=labels_for(FINDER_MODES, lambda m: t(f"mode_{m}")),
    key=state.FIND_MODE,
    horizontal=True,
)
location.location_picker(version)

place = location.home_place()
found = (
    find_services(
        loaders.facilities_of_types(version, NEEDS[need]),  # the need's facilities, picked once per version
        place,
        loaders.travel_model(mode),
        need=need,
        mode=mode,
        now=ordos_now(),
        lang=lang,
    )
    if place is not None
    else None
)
finder_ui.write_link(need, mode, place)

list_col, map_col = st.columns([2, 3])
with list_col:
    finder_ui.results(found)
with map_col:
    # One shared map per need; the resident's point, reach and pins are an overlay on it.
    m = finder_ui.finder_map(found, need=need, mode=mode, version=version, basemap=basemap, lang=lang)
    clicked = clicked_lonlat(
        show_map(m, key=state.FIND_MAP, height=480, returned_objects=["last_clicked"]), basemap=basemap
    )
    if clicked and clicked != st.session_state.get(state.FIND_LAST_CLICK):
        st.session_state[state.FIND_LAST_CLICK] = clicked
        if location.use_click(*clicked):
            st.rerun()
