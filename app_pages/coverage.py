"""覆盖分析 · Coverage: who reaches the chosen facilities in time, per district and township; where the gaps are."""

from __future__ import annotations

import streamlit as st

from ui import coverage_draw, coverage_ui, loaders, mapbuild, tables, widgets
from ui.i18n import current_lang, t
from ui.mapview import show_map

version, facilities = loaders.facilities()
lang = current_lang()
st.title(t("cov_title"))
st.caption(t("cov_intro"))
widgets.modelled_note(shown=widgets.ANALYSIS_LAYERS)
if loaders.cells() is None:
    st.error(t("no_cells"))
    st.stop()

districts = loaders.districts()
names = dict(zip(districts["adcode"], districts["name" if lang == "zh" else "name_en"], strict=True))
ctl = coverage_ui.sidebar(names)
if not ctl.types:
    st.info(t("no_types"))
    st.stop()

coverage_draw.prefetch_bands(version, ctl)  # city scale: the map's reach bands start in the background
bundle = loaders.coverage_bundle(version, ctl.types, ctl.mode, ctl.budget_min, ctl.target)
st.info(widgets.model_note(bundle["model"]), icon=":material/route:")
coverage_ui.explain_empty(version, ctl, names)
tables.metrics(bundle, ctl.district)

# The base map is the same on every run and for every session; only its layer groups change, so zoom
# and centre stay. Base and layers are prepared once per data version and controls, and shared.
shown = mapbuild.prepared_coverage_map(
    version,
    types=ctl.types,
    mode=ctl.mode,
    budget_min=ctl.budget_min,
    target=ctl.target,
    district=ctl.district,
    layers=ctl.layers,
    basemap=ctl.basemap,
    lang=lang,
)
show_map(shown, key="coverage_map", height=560)
coverage_draw.caption(version, ctl)

tables.coverage_tables(bundle, target=ctl.target, district=ctl.district, district_names=names)
scope = names.get(ctl.district, t("all_districts")) if ctl.district else t("all_districts")
coverage_ui.download_section(version, facilities, bundle, ctl, scope)
