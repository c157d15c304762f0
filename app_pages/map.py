"""设施地图 · Facility map: districts and facilities coloured by type, a filter and counts per district."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.schema import CATEGORIES, FACILITY_TYPES
from ui import downloads, loaders, mapbuild, state, widgets
from ui.i18n import category_name, current_lang, labels_for, t, type_name
from ui.mapview import show_map

version, facilities = loaders.facilities()
lang = current_lang()

st.title(t("map_title"))
st.caption(t("map_intro"))
widgets.modelled_note()

st.sidebar.subheader(t("filter_title"))
# Values from session state only (no default= as well): Streamlit warns when a widget has both.
st.session_state.setdefault(state.MAP_CATEGORIES, list(CATEGORIES))
st.session_state.setdefault(state.MAP_TYPES, list(FACILITY_TYPES))
categories = st.sidebar.multiselect(
    t("filter_category"),
    list(CATEGORIES),
    placeholder=t("choose_many"),
    format_func=labels_for(CATEGORIES, lambda c: category_name(str(c))),
    key=state.MAP_CATEGORIES,
)
types = st.sidebar.multiselect(
    t("filter_type"),
    list(FACILITY_TYPES),
    placeholder=t("choose_many"),
    format_func=labels_for(
        FACILITY_TYPES, lambda c: f"{category_name(FACILITY_TYPES[str(c)].category)} · {type_name(str(c))}"
    ),
    key=state.MAP_TYPES,
)
basemap = widgets.basemap_picker()

shown = mapbuild.shown_facilities(facilities, tuple(categories), tuple(types))
st.caption(t("shown_count", shown=len(shown), total=len(facilities)))

m = mapbuild.prepared_facility_map(version, tuple(categories), tuple(types), basemap, lang)
show_map(m, key="facility_map", height=560)

st.subheader(t("count_table"))
names = loaders.districts().set_index("adcode")["name" if lang == "zh" else "name_en"]
counts = pd.crosstab(shown["district_adcode"], shown["type"]).reindex(index=names.index, fill_value=0)
counts = counts.reindex(columns=[c for c in FACILITY_TYPES if c in counts.columns], fill_value=0)
counts.index = [names[a] for a in counts.index]
counts.columns = [type_name(c) for c in counts.columns]
counts[t("total")] = counts.sum(axis=1)
counts.loc[t("total")] = counts.sum(axis=0)
counts.index.name = t("district")
st.dataframe(counts, width="stretch")

context = downloads.context(
    facilities=facilities, mode="walk", budget_min=15.0, types=tuple(types), scope=t("all_districts")
)
st.download_button(
    t("download_map_html"),
    data=mapbuild.html_export(
        lambda: mapbuild.facility_map(shown, basemap=basemap, lang=lang), downloads.facilities_note(context)
    ),
    file_name="carecircle_facilities_map.html",
    mime="text/html",
)
st.caption(t("data_version", version=loaders.version_number(version)))
