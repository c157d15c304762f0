"""Sidebar and downloads of the 覆盖分析 · Coverage page.

The facility types drive the defaults: choosing types sets the mode, time budget and target group
of the first one (``ui.controls``), and every widget shows exactly what the page computes with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import pandas as pd
import streamlit as st

from geo.coverage import GROUPS, default_target
from geo.schema import FACILITY_TYPES
from ui import controls, downloads, loaders, mapbuild, state, widgets
from ui.i18n import current_lang, labels_for, t, type_name
from ui.tables import gap_table, scoped

LAYERS: Final[tuple[str, ...]] = ("isochrones", "gaps", "choropleth", "facilities")
DEFAULT_TYPES: Final[tuple[str, ...]] = ("community_station",)
TRAVEL: Final = controls.TravelKeys(state.COV_MODE, state.COV_BUDGET)


@dataclass(frozen=True)
class CoverageControls:
    """What the sidebar chose."""

    types: tuple[str, ...]
    target: str
    mode: str
    budget_min: float
    district: int
    layers: tuple[str, ...]
    basemap: str


def _follow_types() -> None:
    chosen = list(st.session_state.get(state.COV_TYPES) or [])
    if chosen:
        controls.apply_defaults(TRAVEL, chosen)
        st.session_state[state.COV_TARGET] = default_target(chosen)


def sidebar(district_names: dict[int, str]) -> CoverageControls:
    """Types, target, mode, budget, district, layers and basemap, valued from session state."""
    sb = st.sidebar
    st.session_state.setdefault(state.COV_TYPES, list(DEFAULT_TYPES))
    st.session_state.setdefault(
        state.COV_TARGET, default_target(st.session_state[state.COV_TYPES] or DEFAULT_TYPES)
    )
    st.session_state.setdefault(state.COV_DISTRICT, 0)
    st.session_state.setdefault(state.COV_LAYERS, list(LAYERS))
    types = sb.multiselect(
        t("cov_types"),
        list(FACILITY_TYPES),
        placeholder=t("choose_many"),
        format_func=labels_for(FACILITY_TYPES, type_name),
        key=state.COV_TYPES,
        on_change=_follow_types,
    )
    target = sb.radio(
        t("cov_target"),
        GROUPS,
        format_func=labels_for(GROUPS, lambda g: t(f"target_{g}")),
        key=state.COV_TARGET,
    )
    mode, budget = controls.mode_and_budget(TRAVEL, list(types), container=sb)
    options = [0, *district_names]
    district = sb.selectbox(
        t("cov_district"),
        options,
        format_func=labels_for(options, lambda a: district_names.get(a, t("all_districts"))),
        key=state.COV_DISTRICT,
        placeholder=t("choose_one"),
    )
    layers = sb.multiselect(
        t("cov_layers"),
        LAYERS,
        placeholder=t("choose_many"),
        format_func=labels_for(LAYERS, lambda k: t(f"layer_{k}")),
        key=state.COV_LAYERS,
    )
    basemap = widgets.basemap_picker()
    return CoverageControls(tuple(types), str(target), mode, budget, int(district), tuple(layers), basemap)


def explain_empty(version: str, ctl: CoverageControls, district_names: dict[int, str]) -> None:
    """Say why the figures are zero when no open facility of the types is in the data ``version``'s
    chosen area."""
    chosen = loaders.open_facilities(version, ctl.types)
    if chosen.empty:
        st.warning(t("cov_no_facilities", types="、".join(type_name(c) for c in ctl.types)))
    elif (
        ctl.district and not (pd.to_numeric(chosen["district_adcode"], errors="coerce") == ctl.district).any()
    ):
        st.info(t("cov_none_in_district", district=district_names.get(ctl.district, "")))


def download_section(
    version: str, facilities: pd.DataFrame, bundle: dict[str, Any], ctl: CoverageControls, scope: str
) -> None:
    """The tables as CSV (zip with a README) and XLSX (with an About sheet), and the map as HTML."""
    lang = current_lang()
    ctx = downloads.context(
        facilities=facilities,
        mode=ctl.mode,
        budget_min=ctl.budget_min,
        types=ctl.types,
        scope=scope,
        target=ctl.target,
    )

    def frames() -> dict[str, pd.DataFrame]:
        return {
            "districts": scoped(bundle["districts"], ctl.district),
            "townships": scoped(bundle["townships"], ctl.district),
            "gaps": gap_table(scoped(bundle["gaps"], ctl.district), ctl.target, lang, version=version),
        }

    downloads.tables(st, ctx, frames, stem="carecircle_coverage", key="cov")
    draw = {
        "types": ctl.types,
        "mode": ctl.mode,
        "budget_min": ctl.budget_min,
        "target": ctl.target,
        "district": ctl.district,
        "layers": ctl.layers,
        "basemap": ctl.basemap,
        "lang": lang,
    }
    st.download_button(
        t("download_map_html"),
        data=mapbuild.html_export(lambda: mapbuild.coverage_map(version, **draw), downloads.note(ctx)),
        file_name="carecircle_coverage_map.html",
        mime="text/html",
        key="cov_map_html",
    )
