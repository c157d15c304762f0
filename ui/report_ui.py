"""The planning report of the 选址与情景 · Sites & scenarios page: scope, scenario, format, download.

The report is made by ``geo.report`` in the page's language from the same numbers the page shows
(published facilities, the chosen type, mode, budget and target group), optionally with the scenario
being edited, and offered as PDF, Word (DOCX) or HTML.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

import streamlit as st

from geo import context as cx
from geo import report as rp
from geo import scenarios as sc
from geo.errors import CareCircleError
from ui import loaders
from ui.i18n import labels_for, t

REPORT_SCOPE: Final = "plan_report_scope"
REPORT_SCENARIO: Final = "plan_report_scenario"
REPORT_FORMAT: Final = "plan_report_format"
REPORT_BUILD: Final = "plan_report_build"
REPORT: Final = "plan_report"  # the last built report: its arguments, bytes, file name, title or error
SECTION_KEYS: Final[tuple[str, ...]] = (REPORT_SCOPE, REPORT_SCENARIO, REPORT_FORMAT)

FORMATS: Final[tuple[str, ...]] = ("pdf", "docx", "html")
MIME: Final[dict[str, str]] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html",
}


def report_data(mode: str) -> rp.ReportData:
    """The tables of a report on the published data, as the page uses them."""
    _, facilities = loaders.facilities()
    model = loaders.travel_model(mode)
    return rp.ReportData(
        cells=loaders.cells(),  # type: ignore[arg-type]
        facilities=facilities,
        model=model,
        districts=loaders.districts(),
        townships=loaders.townships(),
        township_seats=loaders.township_seats(),
        boundaries=loaders.boundaries(),
        version=loaders.store().current_version(),
        data=cx.with_facilities(loaders.data_block(), facilities, model=model.describe()),
    )


def build(
    *,
    facility_type: str,
    mode: str,
    budget_min: float,
    target: str,
    district: int | None,
    n_suggestions: int,
    scenario: sc.Scenario | None,
    lang: str,
    fmt: str,
) -> dict[str, Any]:
    """Make one report file; ``error`` holds the page-language message when it cannot be made."""
    settings = rp.ReportSettings(
        types=(facility_type,),
        budget_min=budget_min,
        lang=lang,
        target=target,
        district=district,
        n_suggestions=n_suggestions,
    )
    if fmt == "pdf" and rp.cjk_font_path() is None:
        return {"error": t("plan_report_no_font")}
    try:
        content = rp.build_content(report_data(mode), settings, scenario=scenario)
        data = rp.render(content, fmt)
    except CareCircleError as exc:
        return {"error": t("plan_report_failed", detail=str(exc))}
    stamp = datetime.now().strftime("%Y%m%d")
    scope = "city" if district is None else str(district)
    return {
        "data": data,
        "file_name": f"carecircle_report_{scope}_{facility_type}_{stamp}.{fmt}",
        "mime": MIME[fmt],
        "title": content.cover.title,
        "error": "",
    }


def section(
    *,
    facility_type: str,
    mode: str,
    budget_min: float,
    target: str,
    n_new: int,
    scenario: sc.Scenario,
    lang: str,
) -> None:
    """Scope, scenario toggle, format, the build button and the download."""
    districts = loaders.districts()
    names = dict(zip(districts["adcode"], districts["name" if lang == "zh" else "name_en"], strict=True))
    scopes = [0, *names]
    c1, c2 = st.columns(2)
    scope = c1.selectbox(
        t("plan_report_scope"),
        scopes,
        format_func=labels_for(scopes, lambda a: names.get(a, t("all_districts"))),
        key=REPORT_SCOPE,
        placeholder=t("choose_one"),
    )
    fmt = c2.radio(
        t("plan_report_format"),
        FORMATS,
        format_func=labels_for(FORMATS, lambda f: t(f"plan_report_format_{f}")),
        key=REPORT_FORMAT,
        horizontal=True,
    )
    use_scenario = st.toggle(
        t("plan_report_scenario", name=scenario.name, n=len(scenario.edits)),
        key=REPORT_SCENARIO,
        disabled=not scenario.edits,
    )
    st.caption(t("plan_report_what"))
    chosen = scenario if use_scenario and scenario.edits else None
    args = (facility_type, mode, budget_min, target, int(scope), n_new, lang, fmt, chosen)
    if st.button(t("plan_report_build"), type="primary", key=REPORT_BUILD):
        with st.spinner(t("plan_report_building")):
            made = build(
                facility_type=facility_type,
                mode=mode,
                budget_min=budget_min,
                target=target,
                district=int(scope) or None,
                n_suggestions=n_new,
                scenario=chosen,
                lang=lang,
                fmt=fmt,
            )
        st.session_state[REPORT] = (args, made)
    last = st.session_state.get(REPORT)
    if not last:
        return
    made_args, made = last
    if made["error"]:
        st.error(made["error"])
        return
    if made_args != args:
        st.info(t("plan_report_stale"))
        return
    st.success(t("plan_report_ready", title=made["title"]))
    st.download_button(
        t(f"plan_report_download_{made_args[7]}"),
        made["data"],
        file_name=made["file_name"],
        mime=made["mime"],
        key="plan_report_download",
    )
