"""Helpers of the 选址与情景 · Sites & scenarios page: the sidebar controls and the suggestions tab.

The numbers come from ``geo.siting``; this module only caches, formats and draws. Session-state keys
of the page are the ``PLAN_*`` constants below (the scenario tab's are in ``ui.scenario_ui``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pandas as pd
import streamlit as st

from geo import context as cx
from geo import fmt
from geo import scenarios as sc
from geo.cli_siting import suggestion_geojson
from geo.coverage import GROUPS, default_target
from geo.schema import FACILITY_TYPES
from geo.siting import suggest_sites
from geo.store import database_url
from ui import controls, downloads, loaders, mapbuild, widgets
from ui.i18n import CATALOG, current_lang, labels_for, t, type_name
from ui.mapview import show_map

# Session-state keys (this page's own; the shared ones live in ui.state)
PLAN_TYPE: Final = "plan_type"
PLAN_TARGET: Final = "plan_target"
PLAN_MODE: Final = "plan_mode"
PLAN_BUDGET: Final = "plan_budget"
PLAN_N: Final = "plan_n"
PLAN_SOLVER: Final = "plan_solver"
PLAN_TIME_LIMIT: Final = "plan_time_limit"
PLAN_SEPARATION: Final = "plan_separation_m"
PLAN_RUN: Final = "plan_run"
PLAN_RESULT: Final = "plan_result"  # the last suggestion run: its arguments and result
PLAN_SUGGEST_MAP: Final = "plan_suggest_map"
PLAN_ADD_TYPE: Final = "plan_add_type"
PLAN_SECTION: Final = "plan_section"  # which section shows: suggestions, scenarios or the report

DEFAULT_TYPE: Final[str] = "community_station"
SOLVERS: Final[tuple[str, ...]] = ("greedy", "exact")
TRAVEL: Final = controls.TravelKeys(PLAN_MODE, PLAN_BUDGET, PLAN_ADD_TYPE)


@dataclass(frozen=True)
class PlanControls:
    """What the sidebar chose: every tab computes with exactly these."""

    version: str
    facility_type: str
    target: str
    mode: str
    budget_min: float
    basemap: str
    lang: str


def keep_state(keys: tuple[str, ...]) -> None:
    """Keep the values of widgets not drawn in this run (another section shows).

    Streamlit forgets a widget's value when a run does not draw it; writing the value back keeps it.
    The widgets concerned take their values from session state only, so this raises no warning.
    """
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


SECTION_KEYS: Final[tuple[str, ...]] = (PLAN_N, PLAN_SOLVER, PLAN_TIME_LIMIT, PLAN_SEPARATION, PLAN_ADD_TYPE)


def scenarios_dir() -> Path:
    """Where scenarios are saved: ``scenarios/`` next to the SQLite database, else ``data/scenarios``."""
    url = database_url()
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///")).parent / "scenarios"
    return sc.SCENARIOS_DIR


def _follow_type() -> None:
    """On a new facility type: its mode, budget and target group, and new facilities of that type."""
    chosen = str(st.session_state[PLAN_TYPE])
    controls.apply_defaults(TRAVEL, [chosen])
    st.session_state[PLAN_TARGET] = default_target([chosen])


def sidebar(version: str) -> PlanControls:
    """Facility type, target group, mode, budget and basemap; mode, budget and target follow the type."""
    sb = st.sidebar
    types = list(FACILITY_TYPES)
    st.session_state.setdefault(PLAN_TYPE, DEFAULT_TYPE)
    st.session_state.setdefault(PLAN_TARGET, default_target([st.session_state[PLAN_TYPE]]))
    facility_type = sb.selectbox(
        t("plan_type"),
        types,
        format_func=labels_for(types, type_name),
        key=PLAN_TYPE,
        on_change=_follow_type,
        placeholder=t("choose_one"),
    )
    target = sb.radio(
        t("cov_target"), GROUPS, format_func=labels_for(GROUPS, lambda g: t(f"target_{g}")), key=PLAN_TARGET
    )
    mode, budget = controls.mode_and_budget(TRAVEL, [facility_type], container=sb)
    basemap = widgets.basemap_picker()
    return PlanControls(version, str(facility_type), str(target), mode, budget, basemap, current_lang())


# --- suggestions ----------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=16)
def suggestions(
    version: str,
    facility_type: str,
    n_new: int,
    budget_min: float,
    target: str,
    mode: str,
    solver: str,
    time_limit_s: float,
    min_separation_m: float,
) -> dict[str, Any]:
    """Run :func:`geo.siting.suggest_sites` on the published facilities (cached per data version)."""
    _, fac = loaders.facilities()
    model = loaders.travel_model(mode)
    found = suggest_sites(
        loaders.cells(),  # type: ignore[arg-type]
        fac,
        model,
        facility_type=facility_type,
        n_new=n_new,
        budget_min=budget_min,
        target=target,
        solver=solver,  # type: ignore[arg-type]
        time_limit_s=time_limit_s,
        min_separation_m=min_separation_m,
        townships=loaders.townships(),
    )
    res = found.result
    return {
        "found": found,
        "table": found.table,
        "method": res.method,
        "status": res.status,
        "gap": res.optimality_gap,
        "runtime_s": res.runtime_s,
        "baseline_share": res.baseline_covered / res.total_demand if res.total_demand else 0.0,
        "n_candidates": found.settings["n_candidates"],
    }


def suggestion_display(table: pd.DataFrame) -> pd.DataFrame:
    """The suggestion table with district names and headers in the page's language."""
    districts = loaders.districts()
    names = dict(
        zip(districts["adcode"], districts["name" if current_lang() == "zh" else "name_en"], strict=True)
    )
    shown = table.assign(district=table["district_adcode"].map(lambda a: names.get(int(a), str(a))))
    shown = shown[
        ["rank", "district", "township", "lon", "lat", "gain", "cumulative_covered", "cumulative_share"]
    ]
    return fmt.for_page(shown).rename(columns={c: t(f"plan_col_{c}") for c in shown.columns})


def suggestion_columns() -> dict[str, Any]:
    """Column formats of :func:`suggestion_display`: people with separators, share with one decimal."""
    config = {}
    for col in ("rank", "lon", "lat", "gain", "cumulative_covered", "cumulative_share"):
        config[t(f"plan_col_{col}")] = st.column_config.NumberColumn(format=fmt.printf(fmt.kind_of(col)))
    return config


def _status_line(result: dict[str, Any]) -> str:
    gap = "–" if result["gap"] is None else fmt.share(result["gap"])
    exact = not str(result["method"]).startswith("greedy")
    status_key = f"plan_result_{result['status']}"
    return t(
        "plan_status",
        method=t("plan_solver_exact" if exact else "plan_solver_greedy"),
        status=t(status_key) if status_key in CATALOG else str(result["status"]),
        gap=gap,
        seconds=f"{result['runtime_s']:.1f}",
        candidates=fmt.count(result["n_candidates"]),
        baseline=fmt.share(result["baseline_share"]),
    )


def suggest_tab(ctl: PlanControls, facilities: pd.DataFrame) -> int:
    """Solver settings, the run button, the map, the table and the downloads; returns N new sites."""
    c1, c2, c3, c4 = st.columns(4)
    for key, value in ((PLAN_N, 5), (PLAN_TIME_LIMIT, 30), (PLAN_SEPARATION, 0)):
        st.session_state.setdefault(key, value)  # values from session state only (kept across sections)
    n_new = int(c1.number_input(t("plan_n"), 1, 50, key=PLAN_N))
    solver = c2.radio(
        t("plan_solver"),
        SOLVERS,
        format_func=labels_for(SOLVERS, lambda s: t(f"plan_solver_{s}")),
        key=PLAN_SOLVER,
    )
    limit_s = float(c3.number_input(t("plan_time_limit"), 1, 300, key=PLAN_TIME_LIMIT))
    sep_m = float(c4.number_input(t("plan_separation"), 0, 5000, step=100, key=PLAN_SEPARATION))
    args = (
        ctl.version,
        ctl.facility_type,
        n_new,
        ctl.budget_min,
        ctl.target,
        ctl.mode,
        solver,
        limit_s,
        sep_m,
    )
    if st.button(t("plan_run"), type="primary", key=PLAN_RUN):
        with st.spinner(t("plan_running")):
            st.session_state[PLAN_RESULT] = (args, suggestions(*args))
    last = st.session_state.get(PLAN_RESULT)
    result = last[1] if last and last[0] == args else None
    table = result["table"] if result else None
    built = mapbuild.suggestion_map(
        facilities, table, facility_type=ctl.facility_type, basemap=ctl.basemap, lang=ctl.lang
    )
    show_map(built.prepared_base(), key=PLAN_SUGGEST_MAP, height=460, layers=built.groups)
    if result is None:
        st.info(t("plan_hint_run"))
        return n_new
    st.caption(_status_line(result))
    st.dataframe(
        suggestion_display(table), hide_index=True, width="stretch", column_config=suggestion_columns()
    )
    ctx = downloads.context(
        facilities=facilities,
        mode=ctl.mode,
        budget_min=ctl.budget_min,
        types=(ctl.facility_type,),
        scope=t("all_districts"),
        target=ctl.target,
    )
    downloads.tables(
        st, ctx, lambda: {"suggestions": table}, stem="carecircle_suggestions", key="plan_suggest"
    )
    collection = suggestion_geojson(result["found"], {**ctx.model, "minutes": ctl.budget_min})
    collection["context"] = cx.geojson_context(ctx, ctl.lang)
    st.download_button(
        t("plan_download_geojson"),
        json.dumps(collection, ensure_ascii=False).encode("utf-8"),
        file_name="carecircle_suggestions.geojson",
        mime="application/geo+json",
        key="plan_suggest_geojson",
    )
    return n_new
