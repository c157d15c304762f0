"""数据管理 · Data: behind a login, import a facility file (validate, preview, publish), check the
data's quality and manage versions. Each tab is drawn by its helper in ``ui/``."""

from __future__ import annotations

from datetime import date

import streamlit as st

from geo.importer import IMPORT_MODES
from geo.validate import LIMITS_EN, LIMITS_ZH, MAX_BYTES
from ui import data_preview, data_quality, data_ui, demand_ui, loaders, state, widgets
from ui.i18n import current_lang, labels_for, t

CRS_CODES = ("wgs84", "gcj02", "bd09")

store = loaders.store()
st.title(t("data_title"))
st.caption(t("data_intro"))
data_ui.login_gate(store)  # stops here until data staff log in
basemap = widgets.basemap_picker()
data_ui.show_flash()

# A keyed tab bar keeps its tab when a message above it comes and goes; the population tab is drawn
# only while open (it is the heaviest).
tab_import, tab_quality, tab_history, tab_layers = st.tabs(
    [t("tab_import"), t("tab_quality"), t("tab_history"), t("tab_layers")],
    key=state.DATA_TAB,
    on_change="rerun",
)

with tab_import:
    st.subheader(t("templates_title"))
    st.caption(t("templates_help"))
    data_ui.template_downloads()

    st.subheader(t("upload_title"))
    limits = LIMITS_ZH if current_lang() == "zh" else LIMITS_EN
    uploaded = st.file_uploader(
        t("upload_label"),
        type=["csv", "txt", "tsv", "xlsx"],
        key=data_ui.upload_key(),
        help=t("upload_limits", limits=limits),
        max_upload_size=max(1, MAX_BYTES // (1024 * 1024)),
    )
    st.caption(t("upload_limits", limits=limits))
    crs_col, mode_col = st.columns(2)
    crs = crs_col.radio(
        t("file_crs"),
        CRS_CODES,
        format_func=labels_for(CRS_CODES, lambda c: t(f"crs_{c}")),
        key=state.DATA_CRS,
    )
    mode = mode_col.radio(
        t("import_mode"),
        IMPORT_MODES,
        format_func=labels_for(IMPORT_MODES, lambda m: t(f"import_mode_{m}")),
        key=state.DATA_MODE,
    )
    mode_col.caption(t("mode_note_replace") if mode == "replace" else t("mode_note_upsert"))

    if uploaded is None:
        data_ui.drop_plan()
    else:
        result = data_ui.validate_upload(uploaded.getvalue(), uploaded.name, crs)
        st.subheader(t("report_title"))
        data_ui.show_report(result)
        if not result.has_errors:
            data_preview.show_duplicates(result)
            plan = data_ui.current_plan(store, result, mode)
            is_current = data_preview.show_preview(store, plan, basemap=basemap)
            data_ui.publish_button(plan, current=is_current)

with tab_quality:
    st.subheader(t("quality_title"))
    data_quality.quality_section(store, today=date.today().isoformat())

with tab_history:
    st.subheader(t("history_title"))
    data_ui.history_section(store)

with tab_layers:
    if tab_layers.open:
        demand_ui.layers_tab(store, basemap=basemap)

st.caption(t("data_version", version=store.current_version()))
