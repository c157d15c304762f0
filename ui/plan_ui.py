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
from geo.errors import CareCircleError
from geo.report import ReportSettings, build_report
from geo.siting import suggest_sites
from geo.store import database_url
from ui import loaders
from ui.i18n import t, type_name
from ui.mapbuild import popup_labels

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
    """The suggestion table with district names and translated headers."""
    names = dict(zip(loaders.districts()["adcode"], loaders.districts()["name"], strict=True))
    shown = table.assign(district=table["district_adcode"].map(lambda a: names.get(int(a), str(a))))
    shown = shown[
        ["rank", "district", "township", "lon", "lat", "gain", "cumulative_covered", "cumulative_share"]
    ]
    return shown.rename(columns={c: t(f"plan_col_{c}") for c in shown.columns})


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
    maps.add_districts(m, loaders.districts(), basemap=basemap, lang=lang)
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
    maps.add_districts(m, loaders.districts(), basemap=basemap, lang=lang)
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
