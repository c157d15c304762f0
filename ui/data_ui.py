"""Streamlit helpers of the data staff page: login, upload report, import preview, publish, history.

Everything here draws or reacts to widgets; the work itself is done by ``geo.validate``,
``geo.importer``, ``geo.auth`` and ``geo.store``. Buttons that change data act in ``on_click``
callbacks, which run before the script: their outcome is kept as a one-shot message in session
state (:func:`show_flash`) and the page below is drawn from the new state of the store.

The import preview is kept in session state with the version it was computed against, so a
publish after someone else's publish is refused (``ConflictError``) instead of silently
overwriting their change; the user is asked to preview again and loses nothing.
"""

from __future__ import annotations

import json
import re
from pathlib import PurePath
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from geo import io as gio
from geo.auth import MAX_NAME_LENGTH, MAX_PASSWORD_LENGTH, get_user, verify_login
from geo.errors import CareCircleError, ConflictError, NotFoundError
from geo.importer import ImportPlan, changes_frame, history_frame, plan_import, publish_plan
from geo.schema import COLUMNS
from geo.store import FacilityStore
from geo.templates import facilities_xlsx_bytes, template_csv_bytes, template_xlsx_bytes
from geo.validate import ValidationResult, validate_bytes
from ui import loaders, mapbuild, state
from ui.clients import login_client
from ui.i18n import current_lang, fixed_lang, labels_for, t
from ui.mapview import show_map
from ui.upload_guard import StaffLogin
from ui.widgets import md_escape

CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GEOJSON_MIME = "application/geo+json"
_SAFE_NAME = re.compile(r"[^\w.-]+")


# --- login ------------------------------------------------------------------------------------------


def logged_in_user(store: FacilityStore) -> str | None:
    """The name of the logged-in user, or None; an account removed meanwhile is logged out."""
    name = st.session_state.get(state.DATA_USER)
    if not name or not isinstance(st.session_state.get(state.DATA_LOGIN), StaffLogin):
        return None
    try:
        get_user(store, str(name))
    except NotFoundError:
        logout()
        return None
    return str(name)


def logout() -> None:
    """Forget the user and everything they had staged (preview, pending restore)."""
    for key in (state.DATA_USER, state.DATA_LOGIN, state.DATA_PLAN, state.DATA_RESTORE_PENDING):
        st.session_state.pop(key, None)


def login_gate(store: FacilityStore) -> str:
    """The logged-in user's name; otherwise draw the login form and stop the script.

    A failed attempt shows one message whatever went wrong (unknown name, wrong password, too many
    attempts: ``geo.auth.verify_login``); the attempt is counted against this session and its
    client address (``ui.clients``).
    """
    user = logged_in_user(store)
    if user is not None:
        st.sidebar.caption(t("logged_in_as", name=md_escape(user)))
        st.sidebar.button(t("logout"), on_click=logout, key=state.DATA_LOGOUT)
        return user
    st.info(t("login_required"))
    with st.form(state.DATA_LOGIN_FORM, clear_on_submit=True):
        name = st.text_input(t("login_name"), max_chars=MAX_NAME_LENGTH)
        password = st.text_input(t("login_password"), type="password", max_chars=MAX_PASSWORD_LENGTH)
        submitted = st.form_submit_button(t("login_button"))
    if submitted:
        result = verify_login(store, name, password, client=login_client())
        if result.ok and result.user is not None:
            st.session_state[state.DATA_USER] = result.user.name
            st.session_state[state.DATA_LOGIN] = StaffLogin(result.user.name, result.user.role)
            st.rerun()
        show = st.warning if result.busy else st.error
        show(result.message_zh if current_lang() == "zh" else result.message_en)
    st.stop()


# --- one-shot messages --------------------------------------------------------------------------------


def _flash(kind: str, key: str, **fmt: Any) -> None:
    st.session_state[state.DATA_FLASH] = (kind, key, fmt)


def show_flash() -> None:
    """Show (once) the outcome of the last publish or restore, in the current language."""
    entry = st.session_state.pop(state.DATA_FLASH, None)
    if entry is None:
        return
    kind, key, fmt = entry
    draw = {"success": st.success, "error": st.error}.get(kind, st.info)
    draw(t(key, **fmt))


def clear_version_caches() -> None:
    """Drop every cached result keyed by the old data version (the next run loads the new one)."""
    for cached in (
        loaders._facilities,
        loaders.gazetteer,
        loaders.coverage_bundle,
        loaders.uncovered_hexagons,
        loaders.isochrone_bands,
    ):
        cached.clear()


# --- templates and upload -------------------------------------------------------------------------


def template_downloads() -> None:
    """Download buttons of the CSV (UTF-8 with BOM) and XLSX templates."""
    left, right = st.columns(2)
    left.download_button(
        t("template_csv"),
        data=template_csv_bytes(),
        file_name="carecircle_template.csv",
        mime=CSV_MIME,
        on_click="ignore",
    )
    right.download_button(
        t("template_xlsx"),
        data=template_xlsx_bytes,
        file_name="carecircle_template.xlsx",
        mime=XLSX_MIME,
        on_click="ignore",
    )


def upload_key() -> str:
    """Key of the file uploader; it changes after a publish so the published file is cleared."""
    return f"{state.DATA_UPLOAD}_{st.session_state.get(state.DATA_UPLOAD_SEQ, 0)}"


@st.cache_resource(show_spinner=False)
def _validation_districts() -> gpd.GeoDataFrame | None:
    # Full-resolution outlines: the simplified display copy would warn wrongly near borders.
    try:
        return gio.read_districts()
    except Exception:  # the district check is a warning; without the file it is skipped
        return None


@st.cache_data(show_spinner=False, max_entries=8)
def validate_upload(data: bytes, file_name: str, crs: str) -> ValidationResult:
    """Validate an uploaded file (cached by content, name and CRS); never raises."""
    return validate_bytes(data, file_name=file_name, crs=crs, districts=_validation_districts())


def safe_stem(file_name: str) -> str:
    """A file-name stem safe to reuse in a download name."""
    stem = _SAFE_NAME.sub("_", PurePath(file_name).stem).strip("._")
    return stem[:60] or "upload"


def show_report(result: ValidationResult) -> None:
    """The validation summary, the report table in the current language and its CSV download."""
    st.caption(
        t(
            "file_read",
            file=md_escape(result.file_name),
            rows=result.n_rows,
            encoding=md_escape(result.encoding or "-"),
        )
    )
    if result.has_errors:
        st.error(t("report_errors", errors=result.n_errors, warnings=result.n_warnings))
    elif result.n_warnings:
        st.warning(t("report_warnings", warnings=result.n_warnings))
    else:
        st.success(t("report_clean", rows=len(result.table)))
    if not result.issues:
        return
    frame = result.report_frame()
    severity = {s: t(f"sev_{s}") for s in ("error", "warning")}
    display = pd.DataFrame(
        {
            t("rep_row"): frame["row"],
            t("rep_column"): frame["column"],
            t("rep_code"): frame["code"],
            t("rep_severity"): frame["severity"].map(lambda s: severity.get(s, s)),
            t("rep_value"): frame["value"],
            t("rep_message"): frame["message_zh" if current_lang() == "zh" else "message_en"],
        }
    )
    st.dataframe(display, hide_index=True, width="stretch", height=min(400, 38 + 35 * len(display)))
    st.download_button(
        t("report_download"),
        data=result.report_csv_bytes(),
        file_name=f"{safe_stem(result.file_name)}_report.csv",
        mime=CSV_MIME,
        on_click="ignore",
    )


# --- preview and publish ------------------------------------------------------------------------------


def current_plan(store: FacilityStore, result: ValidationResult, mode: str) -> ImportPlan:
    """The preview of this file and mode, computed once and kept with its base version."""
    key = (result.sha256, result.file_name, result.crs, mode)
    entry = st.session_state.get(state.DATA_PLAN)
    if entry is None or entry["key"] != key:
        plan = plan_import(store, result, mode=mode)
        entry = {"key": key, "plan": plan, "file_name": result.file_name, "sha256": result.sha256}
        st.session_state[state.DATA_PLAN] = entry
    return entry["plan"]


def _text(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)


def changes_display(plan: ImportPlan) -> pd.DataFrame:
    """The field changes (old → new) with headers in the current language, every value as text."""
    frame = changes_frame(plan)
    zh = current_lang() == "zh"
    return pd.DataFrame(
        {
            t("col_id"): frame["facility_id"].astype(str),
            t("col_name"): frame["name"].astype(str),
            t("col_field"): frame["column_zh" if zh else "column"].astype(str),
            t("col_old"): frame["old"].map(_text),
            t("col_new"): frame["new"].map(_text),
        }
    )


def facilities_display(df: pd.DataFrame) -> pd.DataFrame:
    """A facility table with the contract's column names in the current language."""
    if current_lang() != "zh":
        return df
    labels = {c.name: c.zh for c in COLUMNS}
    return df.rename(columns=lambda col: labels.get(col, col))


def show_preview(store: FacilityStore, plan: ImportPlan, *, basemap: str) -> bool:
    """Counts, field changes, facilities to be closed and the new/changed points on a map.

    Returns
    -------
    bool
        Whether the preview is still current (nobody published since it was computed).
    """
    counts = plan.counts()
    st.subheader(t("preview_title"))
    st.caption(t("preview_base", version=plan.base_version or 0, mode=t(f"import_mode_{plan.mode}")))
    names = ["added", "changed", "removed", "unchanged", *(["closed"] if plan.mode == "replace" else [])]
    for column, name in zip(st.columns(len(names)), names, strict=True):
        column.metric(t(f"count_{name}"), counts[name])
    changes = changes_display(plan)
    if not changes.empty:
        st.markdown(f"**{t('changes_title', n=len(plan.diff.changed))}**")
        st.dataframe(changes, hide_index=True, width="stretch", height=min(400, 38 + 35 * len(changes)))
    if plan.closed:
        st.warning(t("closed_title", n=len(plan.closed)))
        closed = plan.facilities[plan.facilities["facility_id"].astype(str).isin(plan.closed)]
        shown = facilities_display(closed[["facility_id", "name", "type", "district_adcode", "address"]])
        st.dataframe(shown, hide_index=True, width="stretch")
    ids = set(plan.diff.added) | set(plan.diff.changed)
    points = plan.facilities[plan.facilities["facility_id"].astype(str).isin(ids)]
    if not points.empty:
        st.markdown(f"**{t('preview_map_title', n=len(points))}**")
        lang = current_lang()
        show_map(
            mapbuild.facility_map(points, basemap=basemap, lang=lang), key="data_preview_map", height=420
        )
    current = store.current_version()
    if current != plan.base_version:
        st.warning(t("preview_stale", base=plan.base_version or 0, current=current or 0))
        st.button(t("repreview"), on_click=drop_plan, key=state.DATA_REPREVIEW)
        return False
    return True


def drop_plan() -> None:
    """Forget the preview, so the next run previews the file against the newest version."""
    st.session_state.pop(state.DATA_PLAN, None)


def _publish() -> None:
    entry = st.session_state.get(state.DATA_PLAN)
    user = st.session_state.get(state.DATA_USER)
    if entry is None or not user:
        return
    plan: ImportPlan = entry["plan"]
    store = loaders.store()
    try:
        info = publish_plan(
            store, plan, user_name=str(user), file_name=entry["file_name"], sha256=entry["sha256"]
        )
    except ConflictError:
        _flash("error", "publish_conflict", base=plan.base_version or 0, current=store.current_version() or 0)
        return
    except CareCircleError as exc:
        _flash("error", "publish_failed", detail=md_escape(exc))
        return
    clear_version_caches()
    drop_plan()
    st.session_state[state.DATA_UPLOAD_SEQ] = st.session_state.get(state.DATA_UPLOAD_SEQ, 0) + 1
    st.session_state.pop(state.DATA_VIEW_VERSION, None)  # history opens on the new version
    _flash("success", "published", version=info.version, total=info.total)


def publish_button(plan: ImportPlan, *, current: bool) -> None:
    """The publish button (disabled when the preview is out of date or changes nothing)."""
    counts = plan.counts()
    nothing = counts["added"] + counts["changed"] + counts["removed"] == 0
    if nothing:
        st.info(t("preview_nothing"))
    st.button(
        t("publish_button", version=(plan.base_version or 0) + 1),
        type="primary",
        on_click=_publish,
        disabled=nothing or not current,
        key=state.DATA_PUBLISH,
    )


# --- history, exports and restore ---------------------------------------------------------------------


def history_display(store: FacilityStore) -> pd.DataFrame:
    """Every version's audit line, newest first, with headers and actions in the current language."""
    frame = history_frame(store.history())
    actions = {a: t(f"action_{a}") for a in ("init", "import", "restore")}
    modes = {m: t(f"import_mode_{m}") for m in ("upsert", "replace")}
    frame["action"] = frame["action"].map(lambda a: actions.get(a, a))
    frame["mode"] = frame["mode"].map(lambda m: modes.get(m, m))
    frame["sha256"] = frame["sha256"].astype(str).str[:12]
    return frame.rename(columns=lambda col: t(f"hist_{col}"))


def _set_pending(version: int | None) -> None:
    st.session_state[state.DATA_RESTORE_PENDING] = version


def _restore(version: int) -> None:
    user = st.session_state.get(state.DATA_USER)
    st.session_state[state.DATA_RESTORE_PENDING] = None
    if not user:
        return
    store = loaders.store()
    try:
        info = store.restore(version, user_name=str(user))
    except ConflictError:
        _flash("error", "restore_conflict", version=version)
        return
    clear_version_caches()
    drop_plan()  # an import preview made before the restore is out of date now
    st.session_state.pop(state.DATA_VIEW_VERSION, None)
    _flash("success", "restored", version=info.version, source=version)


def version_exports(df: pd.DataFrame, version: int) -> None:
    """Download buttons of one version's facilities: CSV (UTF-8 with BOM), XLSX and GeoJSON."""
    name = f"carecircle_facilities_v{version}"
    lang = current_lang()

    def xlsx() -> bytes:
        with fixed_lang(lang):
            return facilities_xlsx_bytes(df)

    def geojson() -> bytes:
        return json.dumps(gio.facilities_geojson(df), ensure_ascii=False).encode("utf-8")

    csv_col, xlsx_col, geojson_col = st.columns(3)
    csv_col.download_button(
        t("export_csv"), data=gio.facilities_csv_bytes(df), file_name=f"{name}.csv", mime=CSV_MIME,
        on_click="ignore",
    )  # fmt: skip
    xlsx_col.download_button(
        t("export_xlsx"), data=xlsx, file_name=f"{name}.xlsx", mime=XLSX_MIME, on_click="ignore"
    )
    geojson_col.download_button(
        t("export_geojson"), data=geojson, file_name=f"{name}.geojson", mime=GEOJSON_MIME,
        on_click="ignore",
    )  # fmt: skip


def history_section(store: FacilityStore) -> None:
    """The audit table; view and export any version; restore one after a confirmation."""
    history = store.history()
    if not history:
        st.info(t("no_data"))
        return
    st.dataframe(history_display(store), hide_index=True, width="stretch")
    versions = [h.version for h in history]
    version = st.selectbox(
        t("hist_pick"),
        versions,
        format_func=labels_for(versions, lambda v: t("version_label", version=v)),
        key=state.DATA_VIEW_VERSION,
    )
    df = store.facilities(version)
    st.caption(t("version_rows", version=version, n=len(df)))
    st.dataframe(facilities_display(df), hide_index=True, width="stretch", height=320)
    version_exports(df, version)
    newest = versions[0]
    if version == newest:
        st.caption(t("restore_newest"))
        return
    if st.session_state.get(state.DATA_RESTORE_PENDING) == version:
        st.warning(t("restore_confirm_text", version=version, new=newest + 1))
        yes, no = st.columns(2)
        yes.button(
            t("restore_confirm"),
            type="primary",
            on_click=_restore,
            args=(version,),
            key=state.DATA_RESTORE_YES,
        )
        no.button(t("restore_cancel"), on_click=_set_pending, args=(None,), key=state.DATA_RESTORE_NO)
    else:
        st.button(
            t("restore_button", version=version),
            on_click=_set_pending,
            args=(version,),
            key=state.DATA_RESTORE,
        )
