"""Coverage tables, chart and downloads for the coverage page (display only; numbers come from geo)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import streamlit as st

from geo.coverage import GROUPS
from ui import loaders, widgets
from ui.i18n import CATALOG, current_lang, t

_SUFFIXES = ("_covered_share", "_covered", "_oversubscribed", "_access_per_1000")


def column_label(col: str) -> str:
    """Display label of a coverage table column in the current language."""
    for group in GROUPS:
        if col == group:
            return t(f"target_{group}")
        for suffix in _SUFFIXES:
            if col == group + suffix:
                return f"{t(f'target_{group}')} · {t('col' + suffix)}"
    return t(f"col_{col}") if f"col_{col}" in CATALOG else col


@dataclass(frozen=True)
class Shown:
    """A table as the page shows it: headers in the page language, as Arrow, with its column settings."""

    table: pa.Table
    config: dict[str, Any]


def shown(frame: pd.DataFrame) -> Shown:
    """``frame`` with translated headers; shares (0–1) shown as percentages."""
    config = {
        c: st.column_config.NumberColumn(column_label(c), format="percent")
        for c in frame.columns
        if c.endswith("_share")
    }
    renamed = frame.rename(columns={c: column_label(c) for c in frame.columns if c not in config})
    return Shown(pa.Table.from_pandas(renamed, preserve_index=False), config)


def _display(table: Shown) -> None:
    st.dataframe(table.table, width="stretch", hide_index=True, column_config=table.config)


def scoped_totals(bundle: dict[str, Any], district: int) -> dict[str, Any]:
    """The city totals, or one district's row when a district is chosen."""
    if not district:
        return bundle["totals"]
    table = bundle["districts"]
    return table.loc[table["adcode"] == district].iloc[0].to_dict()


def _scoped(frame: pd.DataFrame, district: int) -> pd.DataFrame:
    return frame if not district else frame.loc[frame["adcode"] == district]


def _district_names(frame: pd.DataFrame, column: str, district_names: dict[int, str]) -> pd.DataFrame:
    """``frame`` with its district name column in the page's language (looked up by adcode)."""
    names = [district_names.get(int(a), name) for a, name in zip(frame["adcode"], frame[column], strict=True)]
    return frame.assign(**{column: names})


def _settlement(code: object) -> str:
    key = f"settlement_{code}"
    return t(key) if key in CATALOG else str(code)


def share_chart(by_district: pd.DataFrame, district_names: dict[int, str]) -> tuple[pa.Table, dict[str, Any]]:
    """Data and Vega-Lite spec of grouped bars: the covered share (%) of each group per district.

    A spec of our own: ``st.bar_chart`` builds the same chart through Altair, whose schema validation
    cost more than all the rest of the coverage page's rerun.
    """
    names = [district_names.get(int(a), str(a)) for a in by_district["adcode"]]
    shares = np.column_stack([by_district[f"{g}_covered_share"].to_numpy(float) for g in GROUPS])
    long = pd.DataFrame(
        {
            "district": np.repeat(names, len(GROUPS)),
            "group": [t(f"target_{g}") for g in GROUPS] * len(names),
            "share": shares.ravel() * 100,
        }
    )
    nominal = {"type": "nominal", "sort": None}
    spec = {
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "x": {"field": "district", **nominal, "title": None},
            "y": {"field": "share", "type": "quantitative", "title": "%"},
            "xOffset": {"field": "group", **nominal},
            "color": {"field": "group", **nominal, "title": None, "legend": {"orient": "bottom"}},
        },
    }
    return pa.Table.from_pandas(long, preserve_index=False), spec


def _coverage_display(
    bundle: dict[str, Any], *, target: str, district: int, district_names: dict[int, str]
) -> dict[str, Any]:
    by_district = _district_names(bundle["districts"], "name", district_names)
    cols = ["adcode", "name", target, f"{target}_covered", "facilities", "capacity"]
    cols += [c for c in by_district.columns if c.startswith("beds_per") or c.startswith("places_per")]
    cols += [c for c in (f"{target}_oversubscribed", f"{target}_access_per_1000") if c in by_district.columns]
    gaps = _district_names(_scoped(bundle["gaps"], district).head(20), "district", district_names)
    # No facility within the search horizon: an empty cell, not "inf".
    minutes = gaps["minutes"].where(np.isfinite(gaps["minutes"]))
    return {
        "districts": shown(_scoped(by_district, district)),
        "chart": share_chart(by_district, district_names),
        "townships": shown(_scoped(bundle["townships"], district)),
        "fca": shown(_scoped(by_district, district)[cols]),
        "gaps": shown(gaps.assign(settlement=[_settlement(s) for s in gaps["settlement"]], minutes=minutes)),
    }


def coverage_tables(
    bundle: dict[str, Any], *, target: str, district: int, district_names: dict[int, str]
) -> None:
    """Tabs: per district (with a chart), per township, 2SFCA summary, top gaps.

    What the tabs show is made once per coverage result, district and language, and shared."""
    version, *controls = bundle["key"]
    lang = current_lang()

    def build() -> dict[str, Any]:
        return _coverage_display(bundle, target=target, district=district, district_names=district_names)

    parts = loaders.shared(
        "coverage_tables", version, (*controls, target, district, lang), build, max_entries=64
    )
    tab_d, tab_t, tab_f, tab_g = st.tabs(
        [t("tab_districts"), t("tab_townships"), t("tab_fca"), t("tab_gaps")]
    )
    with tab_d:
        _display(parts["districts"])
        st.caption(t("chart_title"))
        st.vega_lite_chart(parts["chart"][0], parts["chart"][1], width="stretch")
    with tab_t:
        _display(parts["townships"])
    with tab_f:
        st.caption(t("fca_note"))
        _display(parts["fca"])
    with tab_g:
        _display(parts["gaps"])


def downloads(bundle: dict[str, Any], build_map: Callable[[], bytes], *, district: int) -> None:
    """CSV and XLSX of the tables, and the map as a self-contained HTML file (``build_map`` gives its bytes).

    The files are made only when a button is clicked (callables), so control changes stay fast.
    """
    sheets = {
        "districts": _scoped(bundle["districts"], district),
        "townships": _scoped(bundle["townships"], district),
        "gaps": _scoped(bundle["gaps"], district),
    }
    model = pd.DataFrame([{k: str(v) for k, v in bundle["model"].items()}])

    def csv() -> bytes:
        both = [sheets["districts"].assign(level="district"), sheets["townships"].assign(level="township")]
        return pd.concat(both).to_csv(index=False).encode("utf-8-sig")

    c1, c2, c3 = st.columns(3)
    c1.download_button(
        t("download_csv"),
        data=csv,
        file_name="carecircle_coverage.csv",
        mime="text/csv",
    )
    c2.download_button(
        t("download_xlsx"),
        data=lambda: widgets.xlsx_bytes({**sheets, "model": model}),
        file_name="carecircle_coverage.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    c3.download_button(
        t("download_map_html"),
        data=build_map,
        file_name="carecircle_coverage_map.html",
        mime="text/html",
    )
