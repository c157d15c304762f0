"""Helpers of the 选址与情景 · Sites & scenarios page: cached runs, maps, tables, scenario files.

The numbers come from ``geo.siting``, ``geo.scenarios`` and ``geo.report``; this module only caches,
formats and draws. Session-state keys of the page are the ``PLAN_*`` constants below.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import folium
import numpy as np
import pandas as pd
import streamlit as st

from geo import maps
from geo import scenarios as sc
from geo.cli_siting import suggestion_csv_bytes, suggestion_geojson
from geo.coverage import GROUPS, select_facilities
from geo.crs import in_ordos_bounds
from geo.errors import CareCircleError
from geo.report import ReportSettings, build_report
from geo.schema import FACILITY_TYPES
from geo.siting import suggest_sites
from geo.store import database_url
from ui import loaders
from ui.i18n import current_lang, labels_for, t, type_name
from ui.mapbuild import popup_labels
from ui.widgets import md_escape

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
PLAN_SCENARIO: Final = "plan_scenario"  # the scenario being edited (geo.scenarios.Scenario)
PLAN_SCENARIO_NAME: Final = "plan_scenario_name"
PLAN_LON: Final = "plan_lon"
PLAN_LAT: Final = "plan_lat"
PLAN_LAST_CLICK: Final = "plan_last_click"
PLAN_SCENARIO_MAP: Final = "plan_scenario_map"
PLAN_ADD_TYPE: Final = "plan_add_type"
PLAN_ADD_CAPACITY: Final = "plan_add_capacity"
PLAN_ADD_NAME: Final = "plan_add_name"
PLAN_ADD: Final = "plan_add"
PLAN_PICK: Final = "plan_pick"
PLAN_CLOSE: Final = "plan_close"
PLAN_MOVE: Final = "plan_move"
PLAN_UNDO: Final = "plan_undo"
PLAN_CLEAR: Final = "plan_clear"
PLAN_SAVE: Final = "plan_save"
PLAN_OPEN_PICK: Final = "plan_open_pick"
PLAN_OPEN: Final = "plan_open"
PLAN_COMPARE: Final = "plan_compare"
PLAN_REPORT_SCOPE: Final = "plan_report_scope"
PLAN_REPORT_SCENARIO: Final = "plan_report_scenario"
PLAN_REPORT_BUILD: Final = "plan_report_build"
PLAN_REPORT: Final = "plan_report"  # the last built report: title, html, pdf, error
PLAN_FLASH: Final = "plan_flash"

CURRENT: Final[str] = "__current__"


def scenarios_dir() -> Path:
    """Where scenarios are saved: ``scenarios/`` next to the SQLite database, else ``data/scenarios``."""
    url = database_url()
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///")).parent / "scenarios"
    return sc.SCENARIOS_DIR


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
        "table": found.table,
        "method": res.method,
        "status": res.status,
        "gap": res.optimality_gap,
        "runtime_s": res.runtime_s,
        "baseline_share": res.baseline_covered / res.total_demand if res.total_demand else 0.0,
        "n_candidates": found.settings["n_candidates"],
        "csv": suggestion_csv_bytes(found.table),
        "geojson": json.dumps(
            suggestion_geojson(found, {**model.describe(), "minutes": budget_min}), ensure_ascii=False
        ).encode("utf-8"),
    }


def suggestion_display(table: pd.DataFrame) -> pd.DataFrame:
    """The suggestion table with district names and translated headers (shares stay fractions)."""
    districts = loaders.districts()
    names = dict(
        zip(districts["adcode"], districts["name" if current_lang() == "zh" else "name_en"], strict=True)
    )
    shown = table.assign(district=table["district_adcode"].map(lambda a: names.get(int(a), str(a))))
    shown = shown[
        ["rank", "district", "township", "lon", "lat", "gain", "cumulative_covered", "cumulative_share"]
    ]
    return shown.rename(columns={c: t(f"plan_col_{c}") for c in shown.columns})


def suggestion_columns() -> dict[str, Any]:
    """Column settings of :func:`suggestion_display`: the cumulative share shown as a percentage."""
    return {t("plan_col_cumulative_share"): st.column_config.NumberColumn(format="percent")}


def _add_sites(m: folium.Map, sites: pd.DataFrame, *, basemap: str, colour: str, label: str) -> None:
    lon, lat = maps.to_display(sites["lon"].to_numpy(float), sites["lat"].to_numpy(float), basemap=basemap)
    for rank, x, y in zip(range(1, len(sites) + 1), np.atleast_1d(lon), np.atleast_1d(lat), strict=True):
        folium.CircleMarker(
            [float(y), float(x)],
            radius=9,
            color="#111111",
            weight=2,
            fill=True,
            fill_color=colour,
            fill_opacity=0.9,
            tooltip=folium.Tooltip(maps.esc(f"{label} {rank}")),
        ).add_to(m)


def suggestion_map(
    facilities: pd.DataFrame, table: pd.DataFrame | None, *, facility_type: str, basemap: str, lang: str
) -> folium.Map:
    """Existing facilities of the type and the suggested sites (numbered)."""
    m = maps.base_map(basemap=basemap)
    maps.add_districts(m, loaders.districts(), basemap=basemap, lang=lang, fit=False)
    maps.add_facilities(
        m, select_facilities(facilities, [facility_type]), basemap=basemap, lang=lang, labels=popup_labels()
    )
    items = [(maps.TYPE_COLOURS[facility_type], type_name(facility_type))]
    if table is not None and not table.empty:
        _add_sites(m, table, basemap=basemap, colour="#ffd400", label=t("plan_site"))
        items.append(("#ffd400", t("plan_site")))
    maps.add_legend(m, [maps.legend_html(t("legend_types"), items)])
    return m


# --- scenarios ------------------------------------------------------------------------------------


def current_scenario() -> sc.Scenario:
    """The scenario being edited (an empty one named by the name box at first)."""
    scenario = st.session_state.get(PLAN_SCENARIO)
    name = str(st.session_state.get(PLAN_SCENARIO_NAME) or t("plan_default_name")).strip() or t(
        "plan_default_name"
    )
    if not isinstance(scenario, sc.Scenario):
        scenario = sc.Scenario(name)
    elif scenario.name != name:
        scenario = sc.Scenario(name, scenario.edits, scenario.note, scenario.base_version)
    st.session_state[PLAN_SCENARIO] = scenario
    return scenario


@st.cache_data(show_spinner=False, max_entries=64)
def evaluate(
    version: str, scenario_json: str, facility_type: str, mode: str, budget_min: float, target: str
) -> sc.ScenarioSummary:
    """Coverage of the published facilities with a scenario applied (``""``: the base)."""
    _, fac = loaders.facilities()
    name = t("plan_base")
    if scenario_json:
        scenario = sc.Scenario.from_dict(json.loads(scenario_json))
        fac, name = sc.apply(fac, scenario), scenario.name
    names = pd.DataFrame(loaders.districts()[["adcode", "name"]])
    return sc.evaluate(
        loaders.cells(),  # type: ignore[arg-type]
        fac,
        loaders.travel_model(mode),
        types=[facility_type],
        budget_min=budget_min,
        target=target,
        name=name,
        names=names,
    )


def scenario_key(scenario: sc.Scenario) -> str:
    """A stable JSON text of the scenario (the cache key of :func:`evaluate`)."""
    return json.dumps(scenario.to_dict(), ensure_ascii=False, sort_keys=True)


def facility_options(facilities: pd.DataFrame, facility_type: str) -> dict[str, str]:
    """Open facilities of the type: ``facility_id -> "name (id)"``."""
    chosen = select_facilities(facilities, [facility_type])
    return {str(i): f"{n} ({i})" for i, n in zip(chosen["facility_id"], chosen["name"], strict=True)}


def edits_table(scenario: sc.Scenario, labels: dict[str, str]) -> pd.DataFrame:
    """The scenario's edits for display."""
    rows = []
    for k, edit in enumerate(scenario.edits, start=1):
        what = edit.name or (
            type_name(edit.facility_type)
            if edit.action == "add"
            else labels.get(edit.facility_id, edit.facility_id)
        )
        where = f"{edit.lon:.5f}, {edit.lat:.5f}" if edit.lon is not None and edit.lat is not None else ""
        rows.append(
            {
                t("plan_col_step"): k,
                t("plan_col_action"): t(f"plan_action_{edit.action}"),
                t("plan_col_what"): what,
                t("plan_col_where"): where,
            }
        )
    return pd.DataFrame(rows)


def scenario_map(
    applied: pd.DataFrame, *, facility_type: str, point: tuple[float, float] | None, basemap: str, lang: str
) -> folium.Map:
    """Open facilities of the type after the scenario; added ones green, closed ones grey, the chosen point red."""
    m = maps.base_map(basemap=basemap)
    maps.add_districts(m, loaders.districts(), basemap=basemap, lang=lang, fit=False)
    untouched = applied[applied[sc.EDIT_COLUMN] != "added"]
    maps.add_facilities(
        m, select_facilities(untouched, [facility_type]), basemap=basemap, lang=lang, labels=popup_labels()
    )
    same_type = applied[applied["type"] == facility_type]
    added = same_type[(same_type[sc.EDIT_COLUMN] == "added") & (same_type["status"] == "open")]
    closed = same_type[same_type[sc.EDIT_COLUMN] == "closed"]
    _add_sites(m, added, basemap=basemap, colour="#1a9641", label=t("plan_action_add"))
    _add_sites(m, closed, basemap=basemap, colour="#999999", label=t("plan_action_close"))
    items = [("#1a9641", t("plan_action_add")), ("#999999", t("plan_action_close"))]
    if point is not None:
        maps.add_home(m, point, label=t("plan_point"), basemap=basemap)
        items.append(("#e53e3e", t("plan_point")))
    maps.add_legend(m, [maps.legend_html(t("plan_legend"), items)])
    return m


def share_metrics(base: sc.ScenarioSummary, current: sc.ScenarioSummary) -> None:
    """Covered shares of the three groups, the scenario against the base."""
    for col, group in zip(st.columns(len(GROUPS)), GROUPS, strict=True):
        now, before = current.shares()[group], base.shares()[group]
        col.metric(
            t("metric_covered", group=t(f"target_{group}")),
            f"{now:.1%}",
            delta=f"{(now - before) * 100:+.2f} pp",
        )


def saved_scenarios() -> dict[str, Path]:
    """Saved scenario files by scenario name."""
    out = {}
    for path in sc.list_scenarios(scenarios_dir()):
        try:
            out[sc.load_scenario(path).name] = path
        except CareCircleError:
            continue  # a damaged file is skipped, not fatal
    return out


def compare_display(frame: pd.DataFrame) -> pd.DataFrame:
    """The comparison with translated metric names and shares as percentages."""
    out = frame.copy()
    out["name"] = out["name"].where(out["adcode"] != sc.CITY_ADCODE, t("city_total"))
    renames = {"adcode": t("col_adcode"), "name": t("col_name")}
    for label in frame.attrs.get("scenarios", []):
        for metric in frame.attrs.get("metrics", []):
            col = f"{label}: {metric}"
            if metric.endswith("_share"):
                out[col] = (out[col] * 100).round(2)
            renames[col] = f"{label} · {t(f'plan_metric_{metric}')}"
    return out.rename(columns=renames)


# --- report ---------------------------------------------------------------------------------------


def build_report_files(
    *,
    facilities: pd.DataFrame,
    facility_type: str,
    mode: str,
    budget_min: float,
    target: str,
    district: int | None,
    n_suggestions: int,
) -> dict[str, Any]:
    """HTML and PDF of the planning report; ``error`` holds the message when the PDF cannot be made."""
    settings = ReportSettings(
        types=(facility_type,),
        budget_min=budget_min,
        target=target,
        district=district,
        n_suggestions=n_suggestions,
    )
    kwargs = {
        "settings": settings,
        "districts": loaders.districts(),
        "townships": loaders.townships(),
        "data": loaders.data_block(),
    }
    cells = loaders.cells()
    model = loaders.travel_model(mode)
    try:
        report = build_report(cells, facilities, model, **kwargs)  # type: ignore[arg-type]
        error = ""
    except CareCircleError as exc:
        report = build_report(cells, facilities, model, pdf=False, **kwargs)  # type: ignore[arg-type]
        error = str(exc)
    return {"title": report.title, "html": report.html.encode("utf-8"), "pdf": report.pdf, "error": error}


# --- page sections --------------------------------------------------------------------------------


def take_click(clicked: tuple[float, float] | None) -> None:
    """Put a new map click into the coordinate boxes (before they are drawn) and rerun."""
    if not clicked or clicked == st.session_state.get(PLAN_LAST_CLICK):
        return
    st.session_state[PLAN_LAST_CLICK] = clicked
    if not in_ordos_bounds(*clicked):
        st.warning(t("plan_outside"))
        return
    st.session_state[PLAN_LON], st.session_state[PLAN_LAT] = round(clicked[0], 6), round(clicked[1], 6)
    st.rerun()


def edit_controls(scenario: sc.Scenario, options: dict[str, str], facility_type: str) -> None:
    """Point, new facility and existing facility inputs with the add / move / close buttons."""
    st.caption(t("plan_click_hint"))
    lon = st.number_input(t("col_lon"), 106.4, 111.5, value=None, format="%.6f", key=PLAN_LON)
    lat = st.number_input(t("col_lat"), 37.6, 40.9, value=None, format="%.6f", key=PLAN_LAT)
    types = list(FACILITY_TYPES)
    add_type = st.selectbox(
        t("plan_add_type"),
        types,
        index=types.index(facility_type),
        format_func=labels_for(types, type_name),
        key=PLAN_ADD_TYPE,
        placeholder=t("choose_one"),
    )
    capacity = st.number_input(t("f_capacity"), 0, 10_000, 30, key=PLAN_ADD_CAPACITY)
    new_name = st.text_input(t("plan_add_name"), key=PLAN_ADD_NAME)
    pick = st.selectbox(
        t("plan_pick"),
        list(options),
        format_func=lambda i: options.get(i, i),
        index=None,
        key=PLAN_PICK,
        placeholder=t("choose_one"),
    )
    point = (float(lon), float(lat)) if lon is not None and lat is not None else None
    no_point = point is None
    edited = scenario
    try:
        if st.button(t("plan_add"), key=PLAN_ADD, disabled=no_point) and point is not None:
            edited = scenario.add(
                lon=point[0], lat=point[1], facility_type=add_type, capacity=capacity, name=new_name
            )
        if st.button(t("plan_move"), key=PLAN_MOVE, disabled=pick is None or no_point) and point is not None:
            edited = scenario.move(str(pick), lon=point[0], lat=point[1])
        if st.button(t("plan_close"), key=PLAN_CLOSE, disabled=pick is None):
            edited = scenario.close(str(pick))
    except CareCircleError as exc:
        st.error(str(exc))
    if edited is not scenario:
        st.session_state[PLAN_SCENARIO] = edited
        st.rerun()


def edit_list(scenario: sc.Scenario, options: dict[str, str]) -> None:
    """The scenario's edits with undo, clear and save."""
    st.dataframe(edits_table(scenario, options), hide_index=True, width="stretch")
    u1, u2, u3 = st.columns(3)
    if u1.button(t("plan_undo"), key=PLAN_UNDO, disabled=not scenario.edits):
        st.session_state[PLAN_SCENARIO] = scenario.without(len(scenario.edits) - 1)
        st.rerun()
    if u2.button(t("plan_clear"), key=PLAN_CLEAR, disabled=not scenario.edits):
        st.session_state[PLAN_SCENARIO] = sc.Scenario(scenario.name)
        st.rerun()
    if u3.button(t("plan_save"), key=PLAN_SAVE, disabled=not scenario.edits):
        path = sc.save_scenario(scenario, scenarios_dir())
        st.success(t("plan_saved", name=md_escape(scenario.name), file=md_escape(path.name)))


def _open_saved(path: Path | None) -> None:
    # A callback: it runs before the widgets are drawn, so it may set the name box.
    if path is None:
        return
    opened = sc.load_scenario(path)
    st.session_state[PLAN_SCENARIO] = opened
    st.session_state[PLAN_SCENARIO_NAME] = opened.name


def open_and_compare(
    scenario: sc.Scenario, base: sc.ScenarioSummary, args: tuple[str, str, str, float, str]
) -> None:
    """Reopen a saved scenario; compare the edited one and saved ones with the base.

    ``args`` are the :func:`evaluate` arguments after the scenario: version, type, mode, budget, target.
    """
    version, facility_type, mode, budget_min, target = args
    saved = saved_scenarios()
    o1, o2 = st.columns([3, 1])
    chosen = o1.selectbox(
        t("plan_open_pick"),
        list(saved),
        index=None,
        key=PLAN_OPEN_PICK,
        placeholder=t("choose_one"),
        disabled=not saved,
    )
    o2.button(
        t("plan_open"),
        key=PLAN_OPEN,
        disabled=chosen is None,
        on_click=_open_saved,
        args=(saved.get(str(chosen)),),
    )
    options = [CURRENT, *saved]
    compared = st.multiselect(
        t("plan_compare"),
        options,
        max_selections=sc.MAX_COMPARED,
        placeholder=t("choose_many"),
        format_func=labels_for(
            options, lambda k: t("plan_current", name=scenario.name) if k == CURRENT else str(k)
        ),
        key=PLAN_COMPARE,
    )
    if not compared:
        return
    keys = [scenario_key(scenario if k == CURRENT else sc.load_scenario(saved[k])) for k in compared]
    summaries = [evaluate(version, k, facility_type, mode, budget_min, target) for k in keys]
    st.dataframe(compare_display(sc.compare(base, summaries)), hide_index=True, width="stretch")
    st.caption(t("plan_compare_note", group=t(f"target_{target}")))


def report_section(
    *,
    facilities: pd.DataFrame,
    applied: pd.DataFrame,
    facility_type: str,
    mode: str,
    budget_min: float,
    target: str,
    n_new: int,
    lang: str,
) -> None:
    """Scope, scenario toggle, the build button and the HTML / PDF downloads."""
    districts = loaders.districts()
    names = dict(zip(districts["adcode"], districts["name" if lang == "zh" else "name_en"], strict=True))
    scopes = [0, *names]
    scope = st.selectbox(
        t("plan_report_scope"),
        scopes,
        format_func=labels_for(scopes, lambda a: names.get(a, t("all_districts"))),
        key=PLAN_REPORT_SCOPE,
        placeholder=t("choose_one"),
    )
    use_scenario = st.toggle(t("plan_report_scenario"), key=PLAN_REPORT_SCENARIO)
    if st.button(t("plan_report_build"), type="primary", key=PLAN_REPORT_BUILD):
        with st.spinner(t("plan_report_building")):
            st.session_state[PLAN_REPORT] = build_report_files(
                facilities=applied if use_scenario else facilities,
                facility_type=facility_type,
                mode=mode,
                budget_min=budget_min,
                target=target,
                district=int(scope) or None,
                n_suggestions=n_new,
            )
    report = st.session_state.get(PLAN_REPORT)
    if not report:
        return
    st.success(t("plan_report_ready", title=report["title"]))
    r1, r2 = st.columns(2)
    r1.download_button(
        t("plan_report_html"), report["html"], file_name="carecircle_report.html", mime="text/html"
    )
    if report["pdf"] is not None:
        r2.download_button(
            t("plan_report_pdf"), report["pdf"], file_name="carecircle_report.pdf", mime="application/pdf"
        )
    else:
        r2.error(report["error"])


def reset_mode_and_budget() -> None:
    """On a new facility type: forget the chosen mode and budget so the type's defaults show."""
    for key in (PLAN_MODE, PLAN_BUDGET):
        st.session_state.pop(key, None)
