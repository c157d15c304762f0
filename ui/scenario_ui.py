"""The scenario tab of 选址与情景 · Sites & scenarios: edit on a map that keeps its view, see the effect.

Add, move or close facilities of the chosen type by clicking the map; the covered shares update with
the change in percentage points, and an edit that changes nothing says why (another type than the one
analysed, nobody within reach, everyone within reach already covered). Below, the scenario and the
published state side by side on one map with a divider to drag, and a before/after table per
district; saved scenarios can be reopened and compared.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

import pandas as pd
import streamlit as st

from geo import fmt
from geo import scenarios as sc
from geo.coverage import GROUPS, select_facilities
from geo.crs import in_ordos_bounds
from geo.errors import CareCircleError
from geo.schema import FACILITY_TYPES
from ui import loaders, mapbuild
from ui.i18n import current_lang, labels_for, t, type_name
from ui.mapview import clicked_lonlat, show_map
from ui.plan_ui import PLAN_ADD_TYPE, PlanControls, scenarios_dir
from ui.widgets import md_escape

PLAN_SCENARIO: Final = "plan_scenario"  # the scenario being edited (geo.scenarios.Scenario)
PLAN_SCENARIO_NAME: Final = "plan_scenario_name"
PLAN_LON: Final = "plan_lon"
PLAN_LAT: Final = "plan_lat"
PLAN_LAST_CLICK: Final = "plan_last_click"
PLAN_SCENARIO_MAP: Final = "plan_scenario_map"
PLAN_COMPARE_MAP: Final = "plan_compare_map"
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

CURRENT: Final[str] = "__current__"
SECTION_KEYS: Final[tuple[str, ...]] = (
    PLAN_SCENARIO_NAME,
    PLAN_LON,
    PLAN_LAT,
    PLAN_ADD_CAPACITY,
    PLAN_ADD_NAME,
    PLAN_PICK,
    PLAN_COMPARE,
)


def current_scenario() -> sc.Scenario:
    """The scenario being edited (an empty one at first), renamed by the name box when it is drawn."""
    scenario = st.session_state.get(PLAN_SCENARIO)
    if not isinstance(scenario, sc.Scenario):
        scenario = sc.Scenario(t("plan_default_name"))
    typed = str(st.session_state.get(PLAN_SCENARIO_NAME) or "").strip()
    if typed and typed != scenario.name:
        scenario = sc.Scenario(typed, scenario.edits, scenario.note, scenario.base_version)
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


@st.cache_data(show_spinner=False, max_entries=64)
def no_effect_reason(
    version: str, scenario_json: str, facility_type: str, mode: str, budget_min: float, target: str
) -> str:
    """Why the scenario's last edit changed no share ("" when it did change one)."""
    _, fac = loaders.facilities()
    scenario = sc.Scenario.from_dict(json.loads(scenario_json))
    before = sc.apply(fac, scenario.without(len(scenario.edits) - 1))
    return sc.why_no_effect(
        scenario.edits[-1],
        before,
        loaders.cells(),  # type: ignore[arg-type]
        loaders.travel_model(mode),
        types=[facility_type],
        budget_min=budget_min,
        target=target,
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
        where = (
            f"{fmt.coord(edit.lon)}, {fmt.coord(edit.lat)}"
            if edit.lon is not None and edit.lat is not None
            else ""
        )
        rows.append(
            {
                t("plan_col_step"): k,
                t("plan_col_action"): t(f"plan_action_{edit.action}"),
                t("plan_col_what"): what,
                t("plan_col_where"): where,
            }
        )
    return pd.DataFrame(rows)


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
    st.session_state.setdefault(PLAN_ADD_TYPE, facility_type)  # follows the page's type (ui.plan_ui)
    add_type = st.selectbox(
        t("plan_add_type"),
        types,
        format_func=labels_for(types, type_name),
        key=PLAN_ADD_TYPE,
        placeholder=t("choose_one"),
    )
    if add_type != facility_type:
        st.caption(
            t("plan_add_type_other", added=type_name(str(add_type)), analysed=type_name(facility_type))
        )
    st.session_state.setdefault(PLAN_ADD_CAPACITY, 30)
    capacity = st.number_input(t("f_capacity"), 0, 10_000, key=PLAN_ADD_CAPACITY)
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
                lon=point[0], lat=point[1], facility_type=str(add_type), capacity=capacity, name=new_name
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


def share_metrics(base: sc.ScenarioSummary, current: sc.ScenarioSummary) -> bool:
    """Covered shares of the three groups, the scenario against the base; True when any changed."""
    changed = False
    for col, group in zip(st.columns(len(GROUPS)), GROUPS, strict=True):
        now, before = current.shares()[group], base.shares()[group]
        moved = round((now - before) * 100, 1) != 0  # as shown: one decimal of a percentage point
        changed = changed or moved
        col.metric(
            t("metric_covered", group=t(f"target_{group}")),
            fmt.share(now),
            delta=fmt.pp(now - before, current_lang()),
            delta_color="normal" if moved else "off",
            delta_arrow="auto" if moved else "off",
        )
    return changed


def explain(
    ctl: PlanControls, scenario: sc.Scenario, previous: sc.ScenarioSummary, current: sc.ScenarioSummary
) -> None:
    """Say why the last edit changed nothing, when it changed nothing."""
    if not scenario.edits or not (previous.covered == current.covered).all():
        return
    reason = no_effect_reason(
        ctl.version, scenario_key(scenario), ctl.facility_type, ctl.mode, ctl.budget_min, ctl.target
    )
    if reason:
        edit = scenario.edits[-1]
        kind = edit.facility_type if edit.action == "add" else ""
        st.info(
            t(
                f"plan_no_effect_{reason}",
                added=type_name(kind) if kind else t("plan_that_facility"),
                analysed=type_name(ctl.facility_type),
                group=t(f"target_{ctl.target}"),
                minutes=t("minutes_label", minutes=ctl.budget_min),
            ),
            icon=":material/info:",
        )


def _open_saved(path: Path | None) -> None:
    # A callback: it runs before the widgets are drawn, so it may set the name box.
    if path is None:
        return
    opened = sc.load_scenario(path)
    st.session_state[PLAN_SCENARIO] = opened
    st.session_state[PLAN_SCENARIO_NAME] = opened.name


def saved_scenarios() -> dict[str, Path]:
    """Saved scenario files by scenario name (damaged files are skipped)."""
    out = {}
    for path in sc.list_scenarios(scenarios_dir()):
        try:
            out[sc.load_scenario(path).name] = path
        except CareCircleError:
            continue
    return out


def compare_display(frame: pd.DataFrame) -> pd.DataFrame:
    """The comparison with headers in the page's language and shares in per cent (one decimal)."""
    out = frame.copy()
    out["name"] = out["name"].where(out["adcode"] != sc.CITY_ADCODE, t("city_total"))
    renames = {"adcode": t("col_adcode"), "name": t("col_name")}
    for label in frame.attrs.get("scenarios", []):
        for metric in frame.attrs.get("metrics", []):
            col = f"{label}: {metric}"
            if metric.endswith("_share"):
                out[col] = (out[col] * 100).round(1)
            else:
                out[col] = out[col].round().astype("Int64")
            renames[col] = f"{label} · {t(f'plan_metric_{metric}')}"
    return out.rename(columns=renames)


def before_after(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    """Per district: the target group's share now and with the scenario, the change, people gained and lost."""
    base_label, scn_label = frame.attrs["scenarios"][:2]
    districts = loaders.districts()
    lang = current_lang()
    col = "name" if lang == "zh" else "name_en"
    names = dict(zip(districts["adcode"], districts[col], strict=True))
    rows = frame.iloc[[*range(1, len(frame)), 0]]  # the city total last
    before = rows[f"{base_label}: {target}_covered_share"].to_numpy(float)
    after = rows[f"{scn_label}: {target}_covered_share"].to_numpy(float)
    return pd.DataFrame(
        {
            t("col_district"): [
                t("city_total") if a == sc.CITY_ADCODE else names.get(int(a), n)
                for a, n in zip(rows["adcode"], rows["name"], strict=True)
            ],
            t("plan_before"): [fmt.share(v) for v in before],
            t("plan_after"): [fmt.share(v) for v in after],
            t("plan_change"): [fmt.pp(a - b, lang) for a, b in zip(after, before, strict=True)],
            t("plan_metric_gained"): [fmt.people(v) for v in rows[f"{scn_label}: gained"]],
            t("plan_metric_lost"): [fmt.people(v) for v in rows[f"{scn_label}: lost"]],
            t("plan_metric_net"): [fmt.people(v) for v in rows[f"{scn_label}: net"]],
        }
    )


def side_by_side(
    ctl: PlanControls,
    facilities: pd.DataFrame,
    applied: pd.DataFrame,
    base: sc.ScenarioSummary,
    current: sc.ScenarioSummary,
) -> None:
    """The published state and the scenario on one map with a divider, and the table per district."""
    st.subheader(t("plan_compare_title"))
    st.caption(t("plan_compare_hint"))
    cells = loaders.cells()
    built = mapbuild.compare_map(
        facilities,
        applied,
        uncovered_before=mapbuild.uncovered_cells(cells, base.covered, ctl.target),  # type: ignore[arg-type]
        uncovered_after=mapbuild.uncovered_cells(cells, current.covered, ctl.target),  # type: ignore[arg-type]
        facility_type=ctl.facility_type,
        target=ctl.target,
        basemap=ctl.basemap,
        lang=ctl.lang,
    )
    show_map(built.prepared_base(), key=PLAN_COMPARE_MAP, height=460, layers=built.groups)
    st.dataframe(before_after(sc.compare(base, [current]), ctl.target), hide_index=True, width="stretch")
    st.caption(t("plan_compare_note", group=t(f"target_{ctl.target}")))


def open_and_compare(ctl: PlanControls, scenario: sc.Scenario, base: sc.ScenarioSummary) -> None:
    """Reopen a saved scenario; compare the edited one and saved ones with the base."""
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
    summaries = [
        evaluate(ctl.version, k, ctl.facility_type, ctl.mode, ctl.budget_min, ctl.target) for k in keys
    ]
    table = compare_display(sc.compare(base, summaries))
    config = {c: st.column_config.NumberColumn(format="%.1f%%") for c in table.columns if c.endswith("%")}
    st.dataframe(table, hide_index=True, width="stretch", column_config=config)
    st.caption(t("plan_compare_saved_note", group=t(f"target_{ctl.target}")))


def scenario_tab(ctl: PlanControls, facilities: pd.DataFrame) -> sc.Scenario:
    """The whole scenario tab; returns the scenario being edited (for the report)."""
    st.session_state.setdefault(PLAN_SCENARIO_NAME, current_scenario().name)
    st.text_input(t("plan_scenario_name"), key=PLAN_SCENARIO_NAME)
    scenario = current_scenario()
    applied = sc.apply(facilities, scenario)
    options = facility_options(applied, ctl.facility_type)
    lon, lat = st.session_state.get(PLAN_LON), st.session_state.get(PLAN_LAT)
    map_col, edit_col = st.columns([3, 2])
    with map_col:
        point = (lon, lat) if lon is not None and lat is not None else None
        built = mapbuild.scenario_map(
            applied, facility_type=ctl.facility_type, point=point, basemap=ctl.basemap, lang=ctl.lang
        )
        result = show_map(
            built.prepared_base(),
            key=PLAN_SCENARIO_MAP,
            height=460,
            returned_objects=["last_clicked"],
            layers=built.groups,
        )
        take_click(clicked_lonlat(result, basemap=ctl.basemap))
    with edit_col:
        edit_controls(scenario, options, ctl.facility_type)
    edit_list(scenario, options)
    args = (ctl.facility_type, ctl.mode, ctl.budget_min, ctl.target)
    base = evaluate(ctl.version, "", *args)
    current = evaluate(ctl.version, scenario_key(scenario), *args)
    share_metrics(base, current)
    if scenario.edits:
        previous = evaluate(ctl.version, scenario_key(scenario.without(len(scenario.edits) - 1)), *args)
        explain(ctl, scenario, previous, current)
        side_by_side(ctl, facilities, applied, base, current)
    open_and_compare(ctl, scenario, base)
    return scenario
