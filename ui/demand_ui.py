"""Streamlit helpers of the data page's population and township tab: upload, check, preview, publish.

The work is done by ``geo.demand`` (checking a population file into H3 cells), ``geo.boundaries``
(checking township polygons) and ``geo.demand_store`` (versions). A checked file is staged in session
state with the version it was previewed against, so a publish after someone else's is refused
(``ConflictError``) and the user previews again without losing anything. Buttons act in ``on_click``
callbacks; their outcome is a one-shot message (``data_ui.show_flash``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from geo import hexagons, maps
from geo.boundaries import BoundaryResult, validate_boundaries
from geo.demand import RESOLUTIONS, DemandLimits, DemandResult, DemandSettings, validate_demand
from geo.demand_store import DEMAND_MODES, LayerStore, layer_store
from geo.errors import CareCircleError, ConflictError
from geo.store import FacilityStore
from ui import data_ui, loaders, state
from ui.i18n import current_lang, labels_for, t
from ui.mapview import show_map
from ui.widgets import demand_kind_label, md_escape

# Uploads through the browser: smaller than the command line's 200 MB (a city's clipped WorldPop or
# village polygons fit easily); bigger files go through `python -m geo demand import`.
UPLOAD_LIMITS = DemandLimits(max_bytes=100 * 1024 * 1024)
DEMAND_TYPES = ["tif", "tiff", "geojson", "json", "gpkg", "zip", "csv", "txt"]
BOUNDARY_TYPES = ["geojson", "json", "gpkg", "zip"]
CRS_CHOICES = ("file", "wgs84", "gcj02", "bd09", "epsg")


def _layers(store: FacilityStore) -> LayerStore:
    return layer_store(store.engine)


def _clear_caches() -> None:
    # The layers are part of the data version: this process reads it again at once, other servers
    # within loaders.DATA_VERSION_TTL_S.
    data_ui.clear_version_caches()


def _crs_input(key: str, epsg_key: str) -> str | None:
    choice = st.selectbox(
        t("demand_crs"),
        CRS_CHOICES,
        format_func=labels_for(CRS_CHOICES, lambda c: t(f"demand_crs_{c}")),
        key=key,
    )
    if choice == "file":
        return None
    if choice == "epsg":
        code = st.text_input(t("demand_epsg"), max_chars=12, key=epsg_key, placeholder="4490").strip()
        return f"EPSG:{code.removeprefix('EPSG:').removeprefix('epsg:')}" if code else None
    return str(choice)


@st.cache_data(show_spinner=False, max_entries=4)
def _check_demand(
    data: bytes, name: str, settings: DemandSettings, weights: bytes | None, weights_name: str
) -> DemandResult:
    return validate_demand(
        data, file_name=name, settings=settings, weights=weights, weights_name=weights_name
    )


@st.cache_data(show_spinner=False, max_entries=4)
def _check_boundaries(data: bytes, name: str, name_column: str, code_column: str, crs: str) -> BoundaryResult:
    return validate_boundaries(
        data,
        file_name=name,
        name_column=name_column or None,
        code_column=code_column or None,
        crs=crs or None,
    )


def _issues_table(issues: list[Any]) -> None:
    if not issues:
        return
    zh = current_lang() == "zh"
    severity = {s: t(f"sev_{s}") for s in ("error", "warning")}
    frame = pd.DataFrame(
        {
            t("demand_where"): [i.where for i in issues],
            t("rep_column"): [i.column for i in issues],
            t("rep_code"): [i.code for i in issues],
            t("rep_severity"): [severity.get(i.severity, i.severity) for i in issues],
            t("rep_value"): [i.value for i in issues],
            t("rep_message"): [i.message_zh if zh else i.message_en for i in issues],
        }
    )
    st.dataframe(frame, hide_index=True, width="stretch", height=min(360, 38 + 35 * len(frame)))


def _status(errors: int, warnings: int) -> None:
    if errors:
        st.error(t("report_errors", errors=errors, warnings=warnings))
    elif warnings:
        st.warning(t("report_warnings", warnings=warnings))


# --- demand ---------------------------------------------------------------------------------------


def current_demand_caption(store: FacilityStore) -> None:
    """One line on the demand in use: its version, source and how much of it is modelled."""
    info = _layers(store).demand_info()
    if info.kind == "sample":
        st.caption(t("demand_now_sample", cells=f"{info.cells:,}", people=f"{info.pop_total:,}"))
    else:
        st.caption(
            t(
                "demand_now",
                version=info.version,
                file=md_escape(info.file_name),
                cells=f"{info.cells:,}",
                people=f"{info.pop_total:,}",
                modelled=f"{info.modelled_share:.0%}",
            )
        )


def demand_section(store: FacilityStore, *, basemap: str) -> None:
    """Upload a population file, check it, preview the per-district totals and the cells, publish."""
    current_demand_caption(store)
    seq = st.session_state.get(state.DEMAND_UPLOAD_SEQ, 0)
    uploaded = st.file_uploader(
        t("demand_upload"),
        type=DEMAND_TYPES,
        key=f"{state.DEMAND_UPLOAD}_{seq}",
        help=t("demand_upload_help"),
        max_upload_size=UPLOAD_LIMITS.max_bytes // (1024 * 1024),
    )
    st.caption(t("demand_upload_help"))
    left, right = st.columns(2)
    with left:
        crs = _crs_input(state.DEMAND_CRS, state.DEMAND_EPSG)
        resolution = st.radio(
            t("demand_resolution"),
            RESOLUTIONS,
            index=RESOLUTIONS.index(9),
            format_func=labels_for(RESOLUTIONS, lambda r: t(f"demand_res_{r}")),
            key=state.DEMAND_RESOLUTION,
            horizontal=True,
        )
        mode = st.radio(
            t("import_mode"),
            DEMAND_MODES,
            format_func=labels_for(DEMAND_MODES, lambda m: t(f"demand_mode_{m}")),
            key=state.DEMAND_MODE,
        )
    with right:
        count = st.text_input(t("demand_count"), max_chars=64, key=state.DEMAND_COUNT).strip()
        age60 = st.text_input(t("demand_age60"), max_chars=64, key=state.DEMAND_AGE60).strip()
        age03 = st.text_input(t("demand_age03"), max_chars=64, key=state.DEMAND_AGE03).strip()
        household = st.number_input(
            t("demand_household"),
            min_value=0.0,
            max_value=20.0,
            value=0.0,
            step=0.1,
            key=state.DEMAND_HOUSEHOLD,
        )
    weights = st.file_uploader(
        t("demand_weights"),
        type=["tif", "tiff", "geojson", "json", "gpkg", "zip"],
        key=state.DEMAND_WEIGHTS,
        max_upload_size=UPLOAD_LIMITS.max_bytes // (1024 * 1024),
    )
    if uploaded is None:
        st.session_state.pop(state.DEMAND_STAGED, None)
        return
    try:
        settings = DemandSettings(
            resolution=int(resolution),
            crs=crs,
            count_column=count or None,
            age60_column=age60 or None,
            age0_3_column=age03 or None,
            household_size=float(household) if household else None,
            limits=UPLOAD_LIMITS,
        )
    except CareCircleError as exc:
        st.error(md_escape(exc))
        return
    with st.spinner(t("demand_checking")):
        result = _check_demand(
            uploaded.getvalue(),
            uploaded.name,
            settings,
            weights.getvalue() if weights is not None else None,
            weights.name if weights is not None else "",
        )
    st.subheader(t("demand_report_title"))
    st.caption(
        t(
            "demand_read",
            file=md_escape(result.file_name),
            kind=demand_kind_label(result.kind),
            crs=md_escape(result.crs or "-"),
            people=f"{result.people_in_file:,.0f}",
            outside=f"{result.people_outside:,.0f}",
        )
    )
    _status(result.n_errors, result.n_warnings)
    _issues_table(result.issues)
    st.download_button(
        t("report_download"),
        data=result.report_csv_bytes(),
        file_name=f"{data_ui.safe_stem(result.file_name)}_report.csv",
        mime=data_ui.CSV_MIME,
        on_click="ignore",
        key="demand_report_download",
    )
    if result.has_errors:
        st.session_state.pop(state.DEMAND_STAGED, None)
        return
    layers = _layers(store)
    staged = st.session_state.get(state.DEMAND_STAGED)
    key = (result.sha256, result.resolution, result.crs, mode, settings)
    if staged is None or staged["key"] != key:
        staged = {"key": key, "result": result, "mode": mode, "base": layers.demand_version()}
        st.session_state[state.DEMAND_STAGED] = staged
    demand_preview(store, result, mode=str(mode), basemap=basemap)
    current = layers.demand_version()
    is_current = current == staged["base"]
    if not is_current:
        st.warning(t("preview_stale", base=staged["base"] or 0, current=current or 0))
    st.button(
        t("demand_publish", version=(staged["base"] or 1) + 1),
        type="primary",
        on_click=_publish_demand,
        disabled=not is_current,
        key=state.DEMAND_PUBLISH,
    )


def district_preview(result: DemandResult, now: pd.DataFrame) -> pd.DataFrame:
    """Per district: people now, in the file, in the new cells, and where the age groups come from."""
    lang = current_lang()
    table = result.districts
    now_by = now.groupby("adcode")["pop_total"].sum()
    source = {
        "file": t("demand_ages_file"),
        "census": t("demand_ages_census"),
        "file+census": t("demand_ages_mixed"),
    }
    return pd.DataFrame(
        {
            t("demand_col_district"): table["name" if lang == "zh" else "name_en"],
            t("demand_col_now"): [int(now_by.get(a, 0)) for a in table["adcode"]],
            t("demand_col_file"): table["people_in_file"].round().astype("int64"),
            t("demand_col_cells_people"): table["pop_total"],
            t("demand_col_60plus"): table["pop_60plus"],
            t("demand_col_0_3"): table["pop_0_3"],
            t("demand_col_cells"): table["cells"],
            t("demand_col_ages"): [
                f"60+: {source.get(a, a)}; 0–3: {source.get(b, b)}"
                for a, b in zip(table["ages_60plus_from"], table["ages_0_3_from"], strict=True)
            ],
        }
    )


def demand_preview(store: FacilityStore, result: DemandResult, *, mode: str, basemap: str) -> None:
    """Totals per district before and after, the layer's totals, and a map of the new cells."""
    layers = _layers(store)
    now = layers.demand()
    try:
        after = layers.demand_preview(result, mode=mode)
    except CareCircleError as exc:
        st.error(md_escape(exc))
        return
    st.subheader(t("demand_preview_title"))
    cols = st.columns(3)
    cols[0].metric(t("demand_metric_cells"), f"{len(after):,}", delta=f"{len(after) - len(now):+,}")
    cols[1].metric(
        t("demand_metric_people"),
        f"{int(after['pop_total'].sum()):,}",
        delta=f"{int(after['pop_total'].sum() - now['pop_total'].sum()):+,}",
    )
    share = float(after["modelled_people"].sum() / max(1, after["pop_total"].sum()))
    cols[2].metric(t("demand_metric_modelled"), f"{share:.0%}")
    st.dataframe(district_preview(result, now), hide_index=True, width="stretch")
    st.markdown(f"**{t('demand_map_title', n=f'{len(result.cells):,}')}**")
    m = maps.base_map(basemap=basemap)
    maps.add_districts(m, loaders.districts(), basemap=basemap, lang=current_lang(), fit=False)
    classes = hexagons.hexagon_classes(
        result.cells,
        value_col="pop_total",
        indicator="density_pop_total",
        basemap=basemap,
        density_unit=t("density_unit"),
        tooltip=t("demand_hex_tip", people="{people}", density="{density}"),
    )
    items = hexagons.add_hexagon_classes(m, classes)
    if len(result.cells):
        lon0, lat0, lon1, lat1 = (
            result.cells["lon"].min(),
            result.cells["lat"].min(),
            result.cells["lon"].max(),
            result.cells["lat"].max(),
        )
        (x0, x1), (y0, y1) = maps.to_display(
            pd.Series([lon0, lon1]).to_numpy(), pd.Series([lat0, lat1]).to_numpy(), basemap=basemap
        )
        m.fit_bounds([[float(y0), float(x0)], [float(y1), float(x1)]])
    maps.add_legend(m, [maps.legend_html(t("demand_legend"), items, shape="square")])
    show_map(m, key="demand_preview_map", height=420)


def _publish_demand() -> None:
    staged = st.session_state.get(state.DEMAND_STAGED)
    user = st.session_state.get(state.DATA_USER)
    if staged is None or not user:
        return
    layers = _layers(loaders.store())
    try:
        info = layers.publish_demand(
            staged["result"], mode=staged["mode"], user_name=str(user), base_version=staged["base"]
        )
    except ConflictError:
        data_ui._flash(
            "error", "publish_conflict", base=staged["base"] or 0, current=layers.demand_version() or 0
        )
        st.session_state.pop(state.DEMAND_STAGED, None)
        return
    except CareCircleError as exc:
        data_ui._flash("error", "publish_failed", detail=md_escape(exc))
        return
    _clear_caches()
    st.session_state.pop(state.DEMAND_STAGED, None)
    st.session_state[state.DEMAND_UPLOAD_SEQ] = st.session_state.get(state.DEMAND_UPLOAD_SEQ, 0) + 1
    data_ui._flash(
        "success",
        "demand_published",
        version=info.version,
        cells=f"{info.cells:,}",
        people=f"{info.pop_total:,}",
    )


def demand_history(store: FacilityStore) -> None:
    """Every demand version, and restoring one as a new version."""
    layers = _layers(store)
    history = layers.demand_history()
    if not history:
        st.caption(t("demand_history_none"))
        return
    frame = pd.DataFrame(
        {
            t("hist_version"): [v.version for v in history],
            t("hist_created_at"): [v.created_at for v in history],
            t("hist_user_name"): [v.user_name for v in history],
            t("hist_action"): [t(f"action_{v.action}") for v in history],
            t("hist_mode"): [
                t(f"demand_mode_{v.mode}") if v.mode in DEMAND_MODES else v.mode for v in history
            ],
            t("hist_file_name"): [v.file_name for v in history],
            t("demand_col_kind"): [demand_kind_label(v.kind) for v in history],
            t("demand_col_cells"): [v.cells for v in history],
            t("demand_metric_people"): [v.pop_total for v in history],
            t("demand_metric_modelled"): [f"{v.modelled_share:.0%}" for v in history],
        }
    )
    st.dataframe(frame, hide_index=True, width="stretch")
    older = [v.version for v in history[1:]]
    if not older:
        return
    pick = st.selectbox(t("hist_pick"), older, key=state.DEMAND_RESTORE_PICK)
    st.button(
        t("restore_button", version=pick),
        on_click=_restore_layer,
        args=("demand", int(pick)),
        key=state.DEMAND_RESTORE,
    )


def _restore_layer(layer: str, version: int) -> None:
    """Button callback: restore an old ``demand`` or ``boundaries`` version as the newest one."""
    user = st.session_state.get(state.DATA_USER)
    if not user:
        return
    layers = _layers(loaders.store())
    restore = layers.restore_demand if layer == "demand" else layers.restore_boundaries
    try:
        info = restore(version, user_name=str(user))
    except CareCircleError as exc:
        data_ui._flash("error", "publish_failed", detail=md_escape(exc))
        return
    _clear_caches()
    data_ui._flash("success", "restored", source=version, version=info.version)


# --- boundaries -----------------------------------------------------------------------------------


def boundaries_section(store: FacilityStore, *, basemap: str) -> None:
    """Upload township polygons, check them, preview them on a map, publish."""
    layers = _layers(store)
    info = layers.boundary_info()
    if info is None:
        st.caption(t("boundaries_now_none"))
    else:
        st.caption(t("boundaries_now", version=info.version, file=md_escape(info.file_name), n=info.features))
    seq = st.session_state.get(state.BOUNDARY_UPLOAD_SEQ, 0)
    uploaded = st.file_uploader(
        t("boundaries_upload"),
        type=BOUNDARY_TYPES,
        key=f"{state.BOUNDARY_UPLOAD}_{seq}",
        max_upload_size=UPLOAD_LIMITS.max_bytes // (1024 * 1024),
    )
    left, mid, right = st.columns(3)
    name_col = left.text_input(t("boundaries_name_column"), max_chars=64, key=state.BOUNDARY_NAME).strip()
    code_col = mid.text_input(t("boundaries_code_column"), max_chars=64, key=state.BOUNDARY_CODE).strip()
    with right:
        crs = _crs_input(state.BOUNDARY_CRS, f"{state.BOUNDARY_CRS}_epsg")
    if uploaded is None:
        st.session_state.pop(state.BOUNDARY_STAGED, None)
        return
    result = _check_boundaries(uploaded.getvalue(), uploaded.name, name_col, code_col, crs or "")
    st.caption(
        t(
            "boundaries_read",
            file=md_escape(result.file_name),
            n=len(result.townships),
            name=md_escape(result.name_column or "-"),
            code=md_escape(result.code_column or "-"),
        )
    )
    errors = sum(1 for i in result.issues if i.severity == "error")
    _status(errors, len(result.issues) - errors)
    _issues_table(result.issues)
    if result.has_errors:
        st.session_state.pop(state.BOUNDARY_STAGED, None)
        return
    staged = st.session_state.get(state.BOUNDARY_STAGED)
    if staged is None or staged["key"] != (result.sha256, name_col, code_col, crs):
        staged = {
            "key": (result.sha256, name_col, code_col, crs),
            "result": result,
            "base": layers.boundary_version(),
        }
        st.session_state[state.BOUNDARY_STAGED] = staged
    lang = current_lang()
    names = loaders.districts().set_index("adcode")["name" if lang == "zh" else "name_en"]
    summary = result.summary()
    st.dataframe(
        pd.DataFrame(
            {
                t("demand_col_district"): [names.get(a, a) for a in summary["adcode"]],
                t("boundaries_col_n"): summary["townships"],
                t("boundaries_col_area"): summary["area_km2"].round(1),
            }
        ),
        hide_index=True,
        width="stretch",
    )
    m = maps.base_map(basemap=basemap)
    maps.add_districts(m, loaders.districts(), basemap=basemap, lang=lang, fit=False)
    maps.add_townships(m, result.townships, basemap=basemap, fit=True)
    show_map(m, key="boundary_preview_map", height=420)
    current = layers.boundary_version()
    is_current = current == staged["base"]
    if not is_current:
        st.warning(t("preview_stale", base=staged["base"] or 0, current=current or 0))
    st.button(
        t("boundaries_publish", version=(staged["base"] or 0) + 1),
        type="primary",
        on_click=_publish_boundaries,
        disabled=not is_current,
        key=state.BOUNDARY_PUBLISH,
    )
    history = layers.boundary_history()
    older = [v.version for v in history[1:]]
    if older:
        pick = st.selectbox(t("hist_pick"), older, key=state.BOUNDARY_RESTORE_PICK)
        st.button(
            t("restore_button", version=pick),
            on_click=_restore_layer,
            args=("boundaries", int(pick)),
            key=state.BOUNDARY_RESTORE,
        )


def _publish_boundaries() -> None:
    staged = st.session_state.get(state.BOUNDARY_STAGED)
    user = st.session_state.get(state.DATA_USER)
    if staged is None or not user:
        return
    layers = _layers(loaders.store())
    try:
        info = layers.publish_boundaries(staged["result"], user_name=str(user), base_version=staged["base"])
    except ConflictError:
        data_ui._flash(
            "error", "publish_conflict", base=staged["base"] or 0, current=layers.boundary_version() or 0
        )
        st.session_state.pop(state.BOUNDARY_STAGED, None)
        return
    except CareCircleError as exc:
        data_ui._flash("error", "publish_failed", detail=md_escape(exc))
        return
    _clear_caches()
    st.session_state.pop(state.BOUNDARY_STAGED, None)
    st.session_state[state.BOUNDARY_UPLOAD_SEQ] = st.session_state.get(state.BOUNDARY_UPLOAD_SEQ, 0) + 1
    data_ui._flash("success", "boundaries_published", version=info.version, n=info.features)


def layers_tab(store: FacilityStore, *, basemap: str) -> None:
    """The data page's tab: population (demand) and township boundaries, each with its history."""
    st.subheader(t("demand_title"))
    st.caption(t("demand_intro"))
    demand_section(store, basemap=basemap)
    with st.expander(t("history_title")):
        demand_history(store)
    st.divider()
    st.subheader(t("boundaries_title"))
    boundaries_section(store, basemap=basemap)
