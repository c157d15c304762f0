"""选址与情景 · Sites & scenarios: where the next stations should go, what-if edits, planning reports."""

from __future__ import annotations

import streamlit as st

from geo import scenarios as sc
from geo.coverage import GROUPS
from geo.schema import FACILITY_TYPES
from geo.travel import MODES, TYPE_DEFAULTS
from ui import loaders, plan_ui, widgets
from ui.i18n import current_lang, labels_for, t, type_name
from ui.mapview import clicked_lonlat, show_map

BUDGETS = (5.0, 10.0, 15.0, 20.0, 30.0)
SOLVERS = ("greedy", "exact")
version, facilities = loaders.facilities()
lang = current_lang()
st.title(t("plan_title"))
st.caption(t("plan_intro"))
widgets.modelled_note(facilities, shown=widgets.ANALYSIS_LAYERS)
if loaders.cells() is None:
    st.error(t("no_cells"))
    st.stop()

sb = st.sidebar
types = list(FACILITY_TYPES)
ftype = sb.selectbox(
    t("plan_type"),
    types,
    format_func=labels_for(types, type_name),
    key=plan_ui.PLAN_TYPE,
    on_change=plan_ui.reset_mode_and_budget,
    placeholder=t("choose_one"),
)
target = sb.radio(
    t("cov_target"),
    GROUPS,
    format_func=labels_for(GROUPS, lambda g: t(f"target_{g}")),
    key=plan_ui.PLAN_TARGET,
)
default_mode, default_budget = TYPE_DEFAULTS[ftype]
mode = sb.selectbox(
    t("mode"),
    list(MODES),
    index=list(MODES).index(default_mode),
    format_func=labels_for(MODES, lambda m: t(f"mode_{m}")),
    key=plan_ui.PLAN_MODE,
    placeholder=t("choose_one"),
)
budget = float(
    sb.select_slider(
        t("cov_budget"),
        BUDGETS,
        value=default_budget,
        format_func=labels_for(BUDGETS, lambda b: t("minutes_label", minutes=b)),
        key=plan_ui.PLAN_BUDGET,
    )
)
basemap = widgets.basemap_picker()
st.info(widgets.model_note(loaders.travel_model(mode).describe()), icon=":material/route:")

tab_s, tab_w, tab_r = st.tabs([t("plan_tab_suggest"), t("plan_tab_scenarios"), t("plan_tab_report")])
with tab_s:
    c1, c2, c3, c4 = st.columns(4)
    n_new = int(c1.number_input(t("plan_n"), 1, 50, 5, key=plan_ui.PLAN_N))
    solver = c2.radio(
        t("plan_solver"),
        SOLVERS,
        format_func=labels_for(SOLVERS, lambda s: t(f"plan_solver_{s}")),
        key=plan_ui.PLAN_SOLVER,
    )
    limit_s = float(c3.number_input(t("plan_time_limit"), 1, 300, 30, key=plan_ui.PLAN_TIME_LIMIT))
    sep_m = float(c4.number_input(t("plan_separation"), 0, 5000, 0, step=100, key=plan_ui.PLAN_SEPARATION))
    args = (version, ftype, n_new, budget, target, mode, solver, limit_s, sep_m)
    if st.button(t("plan_run"), type="primary", key=plan_ui.PLAN_RUN):
        with st.spinner(t("plan_running")):
            st.session_state[plan_ui.PLAN_RESULT] = (args, plan_ui.suggestions(*args))
    last = st.session_state.get(plan_ui.PLAN_RESULT)
    result = last[1] if last and last[0] == args else None
    table = result["table"] if result else None
    m = plan_ui.suggestion_map(facilities, table, facility_type=ftype, basemap=basemap, lang=lang)
    show_map(m, key=plan_ui.PLAN_SUGGEST_MAP, height=460)
    if result is None:
        st.info(t("plan_hint_run"))
    else:
        gap = "–" if result["gap"] is None else f"{result['gap']:.2%}"
        seconds, baseline = f"{result['runtime_s']:.1f}", f"{result['baseline_share']:.1%}"
        st.caption(
            t(
                "plan_status",
                method=result["method"],
                status=result["status"],
                gap=gap,
                seconds=seconds,
                candidates=result["n_candidates"],
                baseline=baseline,
            )
        )
        st.dataframe(
            plan_ui.suggestion_display(table),
            hide_index=True,
            width="stretch",
            column_config=plan_ui.suggestion_columns(),
        )
        d1, d2 = st.columns(2)
        d1.download_button(
            t("download_csv"), result["csv"], file_name="carecircle_suggestions.csv", mime="text/csv"
        )
        d2.download_button(
            t("plan_download_geojson"),
            result["geojson"],
            file_name="carecircle_suggestions.geojson",
            mime="application/geo+json",
        )

with tab_w:
    st.session_state.setdefault(plan_ui.PLAN_SCENARIO_NAME, t("plan_default_name"))
    st.text_input(t("plan_scenario_name"), key=plan_ui.PLAN_SCENARIO_NAME)
    scenario = plan_ui.current_scenario()
    applied = sc.apply(facilities, scenario)
    options = plan_ui.facility_options(applied, ftype)
    lon, lat = st.session_state.get(plan_ui.PLAN_LON), st.session_state.get(plan_ui.PLAN_LAT)
    map_col, edit_col = st.columns([3, 2])
    with map_col:
        point = (lon, lat) if lon is not None and lat is not None else None
        m = plan_ui.scenario_map(applied, facility_type=ftype, point=point, basemap=basemap, lang=lang)
        result_map = show_map(m, key=plan_ui.PLAN_SCENARIO_MAP, height=460, returned_objects=["last_clicked"])
        plan_ui.take_click(clicked_lonlat(result_map, basemap=basemap))
    with edit_col:
        plan_ui.edit_controls(scenario, options, ftype)
    plan_ui.edit_list(scenario, options)
    base = plan_ui.evaluate(version, "", ftype, mode, budget, target)
    current = plan_ui.evaluate(version, plan_ui.scenario_key(scenario), ftype, mode, budget, target)
    plan_ui.share_metrics(base, current)
    plan_ui.open_and_compare(scenario, base, (version, ftype, mode, budget, target))

with tab_r:
    plan_ui.report_section(
        facilities=facilities,
        applied=applied,
        facility_type=ftype,
        mode=mode,
        budget_min=budget,
        target=target,
        n_new=n_new,
        lang=lang,
    )
