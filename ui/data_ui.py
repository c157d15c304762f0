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
from geo.errors import CareCircleError, ConflictError, DataError, NotFoundError
from geo.importer import ImportPlan, changes_frame, history_frame, plan_import, publish_plan
from geo.schema import COLUMNS
from geo.store import FacilityStore
from geo.templates import facilities_xlsx_bytes, template_csv_bytes, template_xlsx_bytes
from geo.validate import ValidationResult, validate_bytes
from ui import coverage_draw, loaders, state
from ui.clients import login_client
from ui.i18n import current_lang, fixed_lang, labels_for, t
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
    """Forget the user and everything they had staged (preview, marks, merges, pending restore)."""
    for key in (
        state.DATA_USER,
        state.DATA_LOGIN,
        state.DATA_PLAN,
        state.DATA_RESTORE_PENDING,
        state.DATA_MERGES,
        state.DATA_NOT_DUPLICATE,
    ):
        st.session_state.pop(key, None)


def _try_login(store: FacilityStore, attempt: int) -> None:
    name = str(st.session_state.get(state.DATA_LOGIN_NAME, ""))
    password = str(st.session_state.pop(f"{state.DATA_LOGIN_PASSWORD}_{attempt}", ""))
    st.session_state[state.DATA_LOGIN_ATTEMPT] = attempt + 1
    result = verify_login(store, name, password, client=login_client())
    if result.ok and result.user is not None:
        st.session_state[state.DATA_USER] = result.user.name
        # What the upload route checks, server-side (ui.upload_guard): browsers cannot make one.
        st.session_state[state.DATA_LOGIN] = StaffLogin(result.user.name, result.user.role)
        st.session_state.pop(state.DATA_LOGIN_NAME, None)
        return
    st.session_state[state.DATA_LOGIN_FAILURE] = (result.message_zh, result.message_en, result.busy)


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
    # The name stays after a failed attempt (retyping it is a slip waiting to happen); the password
    # field is a new, empty widget after every attempt. The attempt is checked in the button's
    # callback, before the form is drawn again.
    attempt = int(st.session_state.get(state.DATA_LOGIN_ATTEMPT, 0))
    with st.form(state.DATA_LOGIN_FORM, clear_on_submit=False):
        st.text_input(t("login_name"), max_chars=MAX_NAME_LENGTH, key=state.DATA_LOGIN_NAME)
        st.text_input(
            t("login_password"),
            type="password",
            max_chars=MAX_PASSWORD_LENGTH,
            key=f"{state.DATA_LOGIN_PASSWORD}_{attempt}",
        )
        st.form_submit_button(t("login_button"), on_click=_try_login, args=(store, attempt))
    failure = st.session_state.pop(state.DATA_LOGIN_FAILURE, None)
    if failure is not None:
        message_zh, message_en, busy = failure
        show = st.warning if busy else st.error
        show(message_zh if current_lang() == "zh" else message_en)
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
    """Read the new version at once and drop what was made for the old one (the next run loads it)."""
    loaders.data_published()
    coverage_draw.clear()


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
def _validate(
    data: bytes, file_name: str, crs: str, version: int | None, dismissed: tuple[tuple[str, str], ...]
) -> ValidationResult:
    published = loaders.store().facilities(version) if version is not None else None
    return validate_bytes(
        data,
        file_name=file_name,
        crs=crs,
        districts=_validation_districts(),
        published=published,
        dismissed=dismissed,
    )


def validate_upload(data: bytes, file_name: str, crs: str) -> ValidationResult:
    """Validate an uploaded file against the published version, without the pairs marked "not a
    duplicate" (cached by content, name, CRS, version and marks); never raises."""
    store = loaders.store()
    marks = set(st.session_state.get(state.DATA_NOT_DUPLICATE, set())) | store.duplicate_marks()
    return _validate(data, file_name, crs, store.current_version(), tuple(sorted(marks)))


def safe_stem(file_name: str) -> str:
    """A file-name stem safe to reuse in a download name."""
    stem = _SAFE_NAME.sub("_", PurePath(file_name).stem).strip("._")
    return stem[:60] or "upload"


MAX_FULL_MESSAGES = 500


def _row_label(row: object) -> str:
    if row is None or (not isinstance(row, str) and pd.isna(row)):  # type: ignore[call-overload]
        return t("rep_file")
    return t("rep_row_n", row=int(row))  # type: ignore[call-overload]


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
    message = t("rep_message")
    event = st.dataframe(
        display,
        hide_index=True,
        width="stretch",
        height=min(400, 38 + 35 * len(display)),
        column_config={message: st.column_config.TextColumn(message, width="large")},
        on_select="rerun",
        selection_mode="single-row",
        key=state.DATA_REPORT_ROW,
    )
    picked = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    if picked:
        row = display.iloc[int(picked[0])]
        st.info(
            f"{_row_label(row[t('rep_row')])} {md_escape(row[t('rep_column')])}: {md_escape(row[message])}"
        )
    else:
        st.caption(t("report_pick_row"))
    # Every message in full, readable without widening a grid column.
    with st.expander(t("report_full", n=min(len(display), MAX_FULL_MESSAGES))):
        lines = [
            f"- {_row_label(r[t('rep_row')])} {md_escape(r[t('rep_column')])} · "
            f"{md_escape(r[t('rep_severity')])} · {md_escape(r[message])}"
            for _, r in display.head(MAX_FULL_MESSAGES).iterrows()
        ]
        st.markdown("\n".join(lines))
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
    merges = dict(st.session_state.get(state.DATA_MERGES, {}))
    key = (result.sha256, result.file_name, result.crs, mode, tuple(sorted(merges.items())))
    entry = st.session_state.get(state.DATA_PLAN)
    if entry is None or entry["key"] != key:
        try:
            plan = plan_import(store, result, mode=mode, merges=merges)
        except DataError as exc:  # a merge that no longer fits this file: forget the merges
            st.session_state.pop(state.DATA_MERGES, None)
            st.error(t("merge_failed", detail=md_escape(exc)))
            return current_plan(store, result, mode)
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
            store,
            plan,
            user_name=str(user),
            file_name=entry["file_name"],
            sha256=entry["sha256"],
            not_duplicates=set(st.session_state.get(state.DATA_NOT_DUPLICATE, set())),
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
    st.session_state.pop(state.DATA_MERGES, None)
    st.session_state.pop(state.DATA_NOT_DUPLICATE, None)  # now kept with the published version
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


def view_version_key(newest: int) -> str:
    """Key of the history's version selector while ``newest`` is the newest version."""
    return f"{state.DATA_VIEW_VERSION}_{newest}"


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
    # A new selector for every new version: the browser then shows the new version's label,
    # instead of the label the old selector had at that position ("版本 1" over version 2's rows).
    version = st.selectbox(
        t("hist_pick"),
        versions,
        format_func=labels_for(versions, lambda v: t("version_label", version=v)),
        key=view_version_key(versions[0]),
        placeholder=t("choose_one"),
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
