"""Coverage tables, chart and gap list for the coverage page (display only; numbers come from geo).

Numbers are shown through ``geo.fmt`` (thousands separators, shares in per cent with one decimal) and
columns are named by ``geo.texts.column_label``, so a column reads the same here, in the downloads and
in the report. Gap cells are named by district, township and settlement, not by their H3 ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import streamlit as st

from geo import fmt
from geo.coverage import GROUPS
from geo.texts import column_label as geo_column_label
from ui import loaders
from ui.i18n import current_lang, t


def column_label(col: str) -> str:
    """Display label of a coverage table column in the current language."""
    return geo_column_label(col, current_lang())


@dataclass(frozen=True)
class Shown:
    """A table as the page shows it: headers in the page language, as Arrow, with its column settings."""

    table: pa.Table
    config: dict[str, Any]


def shown(frame: pd.DataFrame) -> Shown:
    """``frame`` with headers in the page language and numbers formatted by kind (``geo.fmt``);
    shares (0–1) shown as percentages."""
    labels = {col: column_label(str(col)) for col in frame.columns}
    config = {
        labels[col]: st.column_config.NumberColumn(format=spec)
        for col in frame.columns
        if (spec := fmt.printf(fmt.kind_of(str(col))))
    }
    if len(set(labels.values())) < len(labels):  # two columns with one header: keep both
        renamed = fmt.for_page(frame).rename(columns=labels)
        return Shown(pa.Table.from_pandas(renamed, preserve_index=False), config)
    # Arrow column by column from for_page's values: no pandas copy of the table, whose attributes
    # pandas would deep-copy at every step.
    columns = {
        labels[col]: pa.Array.from_pandas(fmt.page_values(str(col), frame[col])) for col in frame.columns
    }
    return Shown(pa.table(columns), config)


def _display(table: Shown) -> None:
    st.dataframe(table.table, width="stretch", hide_index=True, column_config=table.config)


def scoped_totals(bundle: dict[str, Any], district: int) -> dict[str, Any]:
    """The city totals, or one district's row when a district is chosen."""
    if not district:
        return bundle["totals"]
    table = bundle["districts"]
    return table.loc[table["adcode"] == district].iloc[0].to_dict()


def scoped(frame: pd.DataFrame, district: int) -> pd.DataFrame:
    """Rows of one district (all rows for the city)."""
    return frame if not district else frame.loc[frame["adcode"] == district]


def named_districts(frame: pd.DataFrame, column: str, district_names: dict[int, str]) -> pd.DataFrame:
    """``frame`` with its district name column in the page's language (looked up by adcode)."""
    names = [district_names.get(int(a), name) for a, name in zip(frame["adcode"], frame[column], strict=True)]
    return frame.assign(**{column: names})


def gap_table(gaps: pd.DataFrame, target: str, lang: str, *, version: str) -> pd.DataFrame:
    """The gap list of data ``version`` with each cell named by district, township and settlement
    (H3 id kept last)."""
    places = loaders.place_names(version, gaps["cell_id"].tolist(), lang)
    return pd.DataFrame(
        {
            "rank": gaps["rank"].to_numpy(),
            "place": np.asarray(places, dtype=object),
            target: gaps[target].to_numpy(),
            **({"pop_total": gaps["pop_total"].to_numpy()} if target != "pop_total" else {}),
            # no facility within the search horizon: an empty cell, not "inf"
            "minutes": gaps["minutes"].where(np.isfinite(gaps["minutes"])).to_numpy(),
            "lon": gaps["lon"].to_numpy(),
            "lat": gaps["lat"].to_numpy(),
            "cell_id": gaps["cell_id"].to_numpy(),
        }
    )


def metrics(bundle: dict[str, Any], district: int) -> None:
    """Covered shares of the three groups with people covered of the total."""
    totals = scoped_totals(bundle, district)
    for col, group in zip(st.columns(len(GROUPS)), GROUPS, strict=True):
        col.metric(
            t("metric_covered", group=t(f"target_{group}")), fmt.share(totals[f"{group}_covered_share"])
        )
        col.caption(t("metric_people", covered=int(totals[f"{group}_covered"]), total=int(totals[group])))


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
    bundle: dict[str, Any], *, target: str, district: int, district_names: dict[int, str], lang: str
) -> dict[str, Any]:
    by_district = named_districts(bundle["districts"], "name", district_names)
    cols = ["adcode", "name", target, f"{target}_covered", "facilities", "capacity"]
    cols += [c for c in by_district.columns if c.startswith("beds_per") or c.startswith("places_per")]
    cols += [c for c in (f"{target}_oversubscribed", f"{target}_access_per_1000") if c in by_district.columns]
    gaps = gap_table(scoped(bundle["gaps"], district).head(20), target, lang, version=bundle["key"][0])
    gaps = gaps.drop(columns="cell_id")
    return {
        "districts": shown(scoped(by_district, district)),
        "chart": share_chart(by_district, district_names),
        "townships": shown(scoped(bundle["townships"], district)),
        "fca": shown(scoped(by_district, district)[cols]),
        "gaps": shown(gaps),
    }


def coverage_tables(
    bundle: dict[str, Any], *, target: str, district: int, district_names: dict[int, str]
) -> None:
    """Tabs: per district (with a chart), per township, 2SFCA summary, top gaps.

    What the tabs show is made once per coverage result, district and language, and shared."""
    version, *controls = bundle["key"]
    lang = current_lang()

    def build() -> dict[str, Any]:
        return _coverage_display(
            bundle, target=target, district=district, district_names=district_names, lang=lang
        )

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
        st.caption(t("gaps_caption", group=t(f"target_{target}")))
        _display(parts["gaps"])
