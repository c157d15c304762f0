"""Streamlit helpers of the data page's import preview: possible duplicates and the rows that change.

Before publishing, the clerk sees the rows themselves, not only counts: the facilities added, the
fields changed (old → new) and the facilities to be closed, each table filterable; and every pair
of rows that may be the same facility, with "not a duplicate" and "merge into the published id".
The work is done by ``geo.importer`` and ``geo.duplicates``; this module draws and reacts.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.importer import ImportPlan, added_frame
from geo.store import FacilityStore
from geo.validate import DuplicatePair, ValidationResult
from ui import data_ui, mapbuild, state
from ui.i18n import current_lang, t
from ui.mapview import show_map
from ui.widgets import md_escape

# Pairs shown with buttons; more are in the report table.
MAX_PAIRS_SHOWN = 30
ROW_COLUMNS = ["facility_id", "name", "type", "district_adcode", "township", "address", "status"]


# --- possible duplicates --------------------------------------------------------------------------------


def _mark_not_duplicate(key: tuple[str, str]) -> None:
    marks = set(st.session_state.get(state.DATA_NOT_DUPLICATE, set()))
    marks.add(key)
    st.session_state[state.DATA_NOT_DUPLICATE] = marks
    data_ui.drop_plan()


def _merge(file_id: str, published_id: str) -> None:
    merges = dict(st.session_state.get(state.DATA_MERGES, {}))
    merges[file_id] = published_id
    st.session_state[state.DATA_MERGES] = merges
    data_ui.drop_plan()


def _unmerge(file_id: str) -> None:
    merges = dict(st.session_state.get(state.DATA_MERGES, {}))
    merges.pop(file_id, None)
    st.session_state[state.DATA_MERGES] = merges
    data_ui.drop_plan()


def _reasons(pair: DuplicatePair) -> str:
    return (
        "、".join(t(f"dup_reason_{r}") for r in pair.reasons)
        if current_lang() == "zh"
        else ", ".join(t(f"dup_reason_{r}") for r in pair.reasons)
    )


def pair_text(pair: DuplicatePair) -> str:
    """One pair in words, in the current language, user text escaped."""
    distance = "" if pair.distance_m is None else t("dup_distance", metres=f"{pair.distance_m:,.0f}")
    other = (
        t("dup_other_published", id=md_escape(pair.other_id), name=md_escape(pair.other_name))
        if pair.other_row is None
        else t(
            "dup_other_row", row=pair.other_row, id=md_escape(pair.other_id), name=md_escape(pair.other_name)
        )
    )
    return t(
        "dup_pair",
        row=pair.row,
        id=md_escape(pair.facility_id),
        name=md_escape(pair.name),
        other=other,
        reasons=_reasons(pair),
        distance=distance,
    )


def show_duplicates(result: ValidationResult) -> None:
    """The possible duplicates with their actions; merged rows listed with an undo."""
    merges: dict[str, str] = dict(st.session_state.get(state.DATA_MERGES, {}))
    pairs = [p for p in result.duplicates if p.facility_id not in merges]
    if not pairs and not merges:
        return
    st.subheader(t("dup_title"))
    if pairs:
        st.warning(t("dup_intro", n=len(pairs)))
    for k, pair in enumerate(pairs[:MAX_PAIRS_SHOWN]):
        text_col, keep_col, merge_col = st.columns([6, 2, 2])
        text_col.markdown(pair_text(pair))
        keep_col.button(
            t("dup_not_duplicate"),
            key=f"{state.DATA_NOT_DUPLICATE}_{k}",
            on_click=_mark_not_duplicate,
            args=(pair.key,),
        )
        if pair.against_published:
            merge_col.button(
                t("dup_merge", id=pair.other_id),
                key=f"{state.DATA_MERGES}_{k}",
                on_click=_merge,
                args=(pair.facility_id, pair.other_id),
            )
    if len(pairs) > MAX_PAIRS_SHOWN:
        st.caption(t("dup_more", n=len(pairs) - MAX_PAIRS_SHOWN))
    for k, (file_id, published_id) in enumerate(sorted(merges.items())):
        text_col, undo_col = st.columns([8, 2])
        text_col.info(t("dup_merged", id=md_escape(file_id), published=md_escape(published_id)))
        undo_col.button(
            t("dup_unmerge"), key=f"{state.DATA_MERGES}_undo_{k}", on_click=_unmerge, args=(file_id,)
        )


# --- preview tables ------------------------------------------------------------------------------------


def _filtered(frame: pd.DataFrame, text: str) -> pd.DataFrame:
    """Rows where any cell contains ``text`` (case-insensitive); all rows for an empty filter."""
    text = text.strip().casefold()
    if not text or frame.empty:
        return frame
    hit = frame.astype(str).apply(lambda col: col.str.casefold().str.contains(text, regex=False)).any(axis=1)
    return frame[hit]


def rows_display(frame: pd.DataFrame) -> pd.DataFrame:
    """Facility rows (id, name, type, district, township, address, status) in the current language."""
    return data_ui.facilities_display(
        frame[[c for c in ROW_COLUMNS if c in frame.columns]].reset_index(drop=True)
    )


def _table(frame: pd.DataFrame, key: str) -> None:
    st.dataframe(
        frame, hide_index=True, width="stretch", height=min(420, 38 + 35 * max(1, len(frame))), key=key
    )


def show_preview(store: FacilityStore, plan: ImportPlan, *, basemap: str) -> bool:
    """Counts, then the added, changed (field by field) and closed rows, filterable; the new and
    changed points on a map.

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
    query = st.text_input(
        t("preview_filter"), key=state.DATA_PREVIEW_FILTER, placeholder=t("preview_filter_hint")
    )
    added = _filtered(rows_display(added_frame(plan)), query)
    changes = data_ui.changes_display(plan)
    fields = sorted(set(changes[t("col_field")])) if not changes.empty else []
    closed_rows = plan.facilities[plan.facilities["facility_id"].astype(str).isin(plan.closed)]
    closed = _filtered(rows_display(closed_rows), query)
    tab_added, tab_changed, tab_closed = st.tabs(
        [
            t("preview_tab_added", n=counts["added"]),
            t("preview_tab_changed", n=counts["changed"]),
            t("preview_tab_closed", n=len(plan.closed)),
        ]
    )
    with tab_added:
        if added.empty:
            st.caption(t("preview_none"))
        else:
            _table(added, "data_preview_added")
    with tab_changed:
        if changes.empty:
            st.caption(t("preview_none"))
        else:
            st.markdown(f"**{t('changes_title', n=len(plan.diff.changed))}**")
            picked = st.multiselect(t("preview_fields"), fields, key=state.DATA_CHANGE_FIELDS)
            shown = _filtered(changes, query)
            if picked:
                shown = shown[shown[t("col_field")].isin(picked)]
            _table(shown, "data_preview_changed")
    with tab_closed:
        if plan.closed:
            st.warning(t("closed_title", n=len(plan.closed)))
        if closed.empty:
            st.caption(t("preview_none"))
        else:
            _table(closed, "data_preview_closed")
    ids = set(plan.diff.added) | set(plan.diff.changed)
    points = plan.facilities[plan.facilities["facility_id"].astype(str).isin(ids)]
    if not points.empty:
        st.markdown(f"**{t('preview_map_title', n=len(points))}**")
        show_map(
            mapbuild.facility_map(points, basemap=basemap, lang=current_lang()),
            key="data_preview_map",
            height=420,
        )
    current = store.current_version()
    if current != plan.base_version:
        st.warning(t("preview_stale", base=plan.base_version or 0, current=current or 0))
        st.button(t("repreview"), on_click=data_ui.drop_plan, key=state.DATA_REPREVIEW)
        return False
    return True
