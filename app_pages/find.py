"""找服务 · Find services: set a location, choose a need and a mode, see what is near, nearest first."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import streamlit as st

from geo import maps
from geo.finder import is_open, nearby
from geo.schema import FACILITY_TYPES, types_of
from ui import loaders, location, state, widgets
from ui.i18n import current_lang, labels_for, t, type_name
from ui.mapview import clicked_lonlat, show_map

NEEDS = {"elderly": types_of("elderly"), "child": types_of("child"), **{c: [c] for c in FACILITY_TYPES}}
MODES = ("walk", "elderly_walk", "bike", "drive")
SEARCH_MIN, REACH_MIN, MAX_RESULTS = 60.0, 15.0, 10


version, facilities = loaders.facilities()
lang = current_lang()
widgets.large_text()
basemap = widgets.basemap_picker()
st.title(t("find_title"))
st.caption(t("find_intro"))
widgets.modelled_note(facilities)

left, right = st.columns(2)
need = left.selectbox(
    t("need"),
    list(NEEDS),
    format_func=labels_for(
        NEEDS, lambda n: t(f"need_{n}") if n in ("elderly", "child") else type_name(str(n))
    ),
    key=state.FIND_NEED,
)
mode = right.radio(
    t("mode"),
    MODES,
    format_func=labels_for(MODES, lambda m: t(f"mode_{m}")),
    key=state.FIND_MODE,
    horizontal=True,
)
location.location_picker(version)

home = location.home()
chosen = facilities[facilities["type"].isin(NEEDS[need])]
results = (
    nearby(chosen, home, loaders.travel_model(mode), budget_min=SEARCH_MIN, limit=MAX_RESULTS)
    if home
    else None
)

m = maps.base_map(
    basemap=basemap, center_lonlat=home or maps.ORDOS_CENTER_LONLAT, zoom_start=14 if home else 7
)
maps.add_districts(m, loaders.districts(), basemap=basemap, lang=lang, fit=home is None)
if home:
    reach = loaders.isochrone_bands(version, (home,), mode, (REACH_MIN,))
    legend = maps.add_isochrones(m, reach, basemap=basemap, label=lambda _m: t("reach_15"))
    maps.add_legend(m, [maps.legend_html(t("reach_15"), legend, shape="square")])
maps.add_facilities(m, chosen, basemap=basemap, lang=lang)
maps.add_locate_control(
    m, title=t("locate_me"), texts={k: t(f"locate_{k}") for k in maps.LOCATE_TEXTS}, basemap=basemap
)
if home:
    label = st.session_state.get(state.HOME_LABEL, t("home_label"))
    maps.add_home(m, home, label=label, basemap=basemap, destinations=results)

map_col, list_col = st.columns([3, 2])
with map_col:
    clicked = clicked_lonlat(
        show_map(m, key=state.FIND_MAP, returned_objects=["last_clicked"]), basemap=basemap
    )
    if clicked and clicked != st.session_state.get(state.FIND_LAST_CLICK):
        st.session_state[state.FIND_LAST_CLICK] = clicked
        if location.use_click(*clicked):
            st.rerun()
with list_col:
    if not home:
        st.info(t("no_home"))
    else:
        label = widgets.md_escape(st.session_state.get(state.HOME_LABEL, ""))
        st.caption(t("home_set", label=label, lon=home[0], lat=home[1]))
        st.subheader(t("results_title"))
        if results is None or results.empty:
            st.info(t("results_none", minutes=int(SEARCH_MIN)))
        else:
            now = datetime.now(ZoneInfo("Asia/Shanghai"))
            for rank, rec in enumerate(results.to_dict(orient="records"), start=1):
                widgets.result_card(
                    rank,
                    rec,
                    type_label=type_name(str(rec["type"])),
                    open_state=is_open(rec["opening_hours"], now),
                )
            st.caption(t("lines_note"))
