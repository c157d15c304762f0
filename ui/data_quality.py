"""Streamlit helpers of the data page's 数据质量 · Data quality tab: the follow-up list.

The report itself is ``geo.quality.quality_report``; this draws its settings (age in months),
the counts, the counts per district and the facilities to call, filterable by problem and
district, and offers both tables as CSV (UTF-8 with BOM, formulas neutralised).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from geo import io as gio
from geo.quality import PROBLEMS, QualityReport, QualitySettings, quality_report
from geo.store import FacilityStore
from ui import loaders, state
from ui.i18n import current_lang, labels_for, t

CSV_MIME = "text/csv"


@st.cache_data(show_spinner=False, max_entries=8)
def _report(version: int, max_age_months: int, today: str) -> QualityReport:
    return quality_report(
        loaders.store().facilities(version), QualitySettings(max_age_months, date.fromisoformat(today))
    )


def problem_label(code: str, months: int) -> str:
    """A problem code in the current language."""
    zh, en = PROBLEMS[code]
    return (zh if current_lang() == "zh" else en).format(months=months)


def facilities_display(report: QualityReport) -> pd.DataFrame:
    """The follow-up list with headers and problems in the current language."""
    frame = report.facilities
    zh = current_lang() == "zh"
    return pd.DataFrame(
        {
            t("col_id"): frame["facility_id"].astype(str),
            t("col_name"): frame["name"].astype(str),
            t("q_district"): frame["district"].astype(str),
            t("q_township"): frame["township"].astype(str),
            t("q_phone"): frame["phone"].astype(str),
            t("q_updated_at"): frame["updated_at"].astype(str),
            t("q_problems"): frame["problems_zh" if zh else "problems_en"].astype(str),
        }
    )


def districts_display(report: QualityReport, months: int) -> pd.DataFrame:
    """Counts per district with headers in the current language."""
    frame = report.by_district
    zh = current_lang() == "zh"
    out = pd.DataFrame(
        {
            t("q_district"): frame["district" if zh else "district_en"],
            t("q_checked"): frame["facilities"],
            t("q_with_problems"): frame["with_problems"],
        }
    )
    for code in PROBLEMS:
        out[problem_label(code, months)] = frame[code]
    return out


def quality_section(store: FacilityStore, today: str) -> None:
    """The data-quality tab: age setting, counts, per-district counts, the list and its downloads."""
    version = store.current_version()
    if version is None:
        st.info(t("no_data"))
        return
    st.caption(t("q_intro"))
    months = int(
        st.number_input(
            t("q_months"), min_value=1, max_value=120, value=12, step=1, key=state.DATA_QUALITY_MONTHS
        )
    )
    report = _report(version, months, today)
    counts = report.counts()
    st.caption(t("q_summary", version=version, checked=report.checked, n=counts["any"], today=today))
    shown = ["stale", "missing_phone", "missing_hours", "no_places_reported"]
    for column, code in zip(st.columns(len(shown)), shown, strict=True):
        column.metric(problem_label(code, months), counts[code])
    st.markdown(f"**{t('q_by_district')}**")
    st.dataframe(districts_display(report, months), hide_index=True, width="stretch")
    codes = list(PROBLEMS)
    picked = st.multiselect(
        t("q_filter_problems"),
        codes,
        format_func=labels_for(codes, lambda c: problem_label(c, months)),
        key=state.DATA_QUALITY_PROBLEMS,
    )
    districts = sorted(report.facilities["district"].astype(str).unique().tolist())
    district = st.selectbox(
        t("q_filter_district"),
        ["", *districts],
        format_func=labels_for(["", *districts], lambda d: d or t("q_all_districts")),
        key=state.DATA_QUALITY_DISTRICT,
    )
    rows = report.facilities
    if picked:
        rows = rows[rows[picked].any(axis=1)]
    if district:
        rows = rows[rows["district"].astype(str) == district]
    filtered = QualityReport(rows, report.by_district, report.settings, report.checked)
    st.markdown(f"**{t('q_list', n=len(rows))}**")
    st.dataframe(facilities_display(filtered), hide_index=True, width="stretch", height=360)
    left, right = st.columns(2)
    left.download_button(
        t("q_download_list"),
        data=gio.facilities_csv_bytes(rows),
        file_name=f"carecircle_quality_v{version}.csv",
        mime=CSV_MIME,
        on_click="ignore",
    )
    right.download_button(
        t("q_download_districts"),
        data=gio.facilities_csv_bytes(report.by_district),
        file_name=f"carecircle_quality_by_district_v{version}.csv",
        mime=CSV_MIME,
        on_click="ignore",
    )
