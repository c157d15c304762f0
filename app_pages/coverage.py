"""覆盖分析 · Coverage: who reaches the chosen facilities in time, per district and township; where the gaps are."""

from __future__ import annotations

import streamlit as st

from geo.coverage import GROUPS
from geo.schema import FACILITY_TYPES
from geo.travel import MODES, TYPE_DEFAULTS
from ui import loaders, mapbuild, state, tables, widgets
from ui.i18n import current_lang, labels_for, t, type_name
from ui.mapview import show_map

BUDGETS = (5.0, 10.0, 15.0, 20.0, 30.0)
LAYERS = ("isochrones", "gaps", "choropleth", "facilities")
version, facilities = loaders.facilities()
lang = current_lang()
st.title(t("cov_title"))
st.caption(t("cov_intro"))
widgets.modelled_note(facilities, shown=widgets.ANALYSIS_LAYERS)
if loaders.cells() is None:
    st.error(t("no_cells"))
    st.stop()

sb = st.sidebar
types = sb.multiselect(
    t("cov_types"),
    list(FACILITY_TYPES),
    default=["community_station"],
    placeholder=t("choose_many"),
    format_func=labels_for(FACILITY_TYPES, type_name),
    key=state.COV_TYPES,
)
default_mode, default_budget = TYPE_DEFAULTS[types[0]] if types else ("walk", 15.0)
target = sb.radio(
    t("cov_target"), GROUPS, format_func=labels_for(GROUPS, lambda g: t(f"target_{g}")), key=state.COV_TARGET
)
mode = sb.selectbox(
    t("mode"),
    list(MODES),
    index=list(MODES).index(default_mode),
    format_func=labels_for(MODES, lambda m: t(f"mode_{m}")),
    key=state.COV_MODE,
    placeholder=t("choose_one"),
)
budget = sb.select_slider(
    t("cov_budget"),
    BUDGETS,
    value=default_budget,
    format_func=labels_for(BUDGETS, lambda b: t("minutes_label", minutes=b)),
    key=state.COV_BUDGET,
)
districts = loaders.districts()
names = dict(zip(districts["adcode"], districts["name" if lang == "zh" else "name_en"], strict=True))
district = sb.selectbox(
    t("cov_district"),
    [0, *names],
    format_func=labels_for([0, *names], lambda a: names.get(a, t("all_districts"))),
    key=state.COV_DISTRICT,
    placeholder=t("choose_one"),
)
layers = sb.multiselect(
    t("cov_layers"),
    LAYERS,
    default=LAYERS,
    placeholder=t("choose_many"),
    format_func=labels_for(LAYERS, lambda k: t(f"layer_{k}")),
    key=state.COV_LAYERS,
)
basemap = widgets.basemap_picker()
if not types:
    st.info(t("no_types"))
    st.stop()

bundle = loaders.coverage_bundle(version, tuple(types), mode, float(budget), target)
st.info(widgets.model_note(bundle["model"]), icon=":material/route:")
totals = tables.scoped_totals(bundle, district)
for col, group in zip(st.columns(len(GROUPS)), GROUPS, strict=True):
    share = totals[f"{group}_covered_share"]
    col.metric(t("metric_covered", group=t(f"target_{group}")), "–" if share != share else f"{share:.1%}")
    col.caption(t("metric_people", covered=int(totals[f"{group}_covered"]), total=int(totals[group])))

args = {
    "types": tuple(types),
    "mode": mode,
    "budget_min": float(budget),
    "target": target,
    "district": district,
}
draw = {**args, "layers": tuple(layers), "basemap": basemap, "lang": lang}
show_map(mapbuild.prepared_coverage_map(version, **draw), key="coverage_map", height=560)

tables.coverage_tables(bundle, target=target, district=district, district_names=names)
tables.downloads(
    bundle,
    mapbuild.html_export(lambda: mapbuild.coverage_map(version, facilities, **draw)),
    district=district,
)
