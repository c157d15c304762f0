"""选址与情景 · Sites & scenarios: where the next stations should go, what-if edits, planning reports."""

from __future__ import annotations

import streamlit as st

from ui import loaders, plan_ui, report_ui, scenario_ui, widgets
from ui.i18n import labels_for, t

SECTIONS = ("suggest", "scenarios", "report")
version, facilities = loaders.facilities()
st.title(t("plan_title"))
st.caption(t("plan_intro"))
widgets.modelled_note(shown=widgets.ANALYSIS_LAYERS)
if loaders.cells() is None:
    st.error(t("no_cells"))
    st.stop()

# Every section computes with exactly what the sidebar shows (mode, budget and target follow the type).
ctl = plan_ui.sidebar(version)
st.info(widgets.model_note(loaders.travel_model(ctl.mode).describe()), icon=":material/route:")

# One section at a time (not tabs): a map drawn in a hidden tab has no size, and only what is shown runs.
plan_ui.keep_state(plan_ui.SECTION_KEYS + scenario_ui.SECTION_KEYS + report_ui.SECTION_KEYS)
st.session_state.setdefault(plan_ui.PLAN_SECTION, SECTIONS[0])
section = st.segmented_control(
    t("plan_section"),
    SECTIONS,
    format_func=labels_for(SECTIONS, lambda s: t(f"plan_tab_{s}")),
    key=plan_ui.PLAN_SECTION,
    label_visibility="collapsed",
)
if section == "suggest":
    plan_ui.suggest_tab(ctl, facilities)
elif section == "scenarios":
    scenario_ui.scenario_tab(ctl, facilities)
else:
    report_ui.section(
        facility_type=ctl.facility_type,
        mode=ctl.mode,
        budget_min=ctl.budget_min,
        target=ctl.target,
        n_new=int(st.session_state.get(plan_ui.PLAN_N, 5)),
        scenario=scenario_ui.current_scenario(),
        lang=ctl.lang,
    )
