"""Small widgets and notes shared by the pages."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from geo.maps import BASEMAPS
from geo.provenance import modelled_layers
from ui import loaders, state
from ui.i18n import LANGUAGES, current_lang, labels_for, t

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")

_LARGE_TEXT_CSS = """
<style>
html, body, [data-testid="stAppViewContainer"] { font-size: 1.25rem; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.25rem; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { font-size: 1.15rem; }
button, input, label, [data-baseweb="select"] { font-size: 1.15rem !important; }
</style>
"""

# Readable and touchable on a phone (fixed style sheet, no user data): text at least 16 px, choices,
# buttons and links at least 44 x 44 px (WCAG 2.2 target size), result cards' links as buttons.
_PAGE_CSS = """
<style>
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1rem; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { font-size: 1rem; }
[data-testid="stWidgetLabel"] p { font-size: 1rem; }
[data-testid="stRadio"] label[data-baseweb="radio"],
[data-testid="stCheckbox"] label, [data-testid="stToggle"] label { min-height: 44px; min-width: 44px; align-items: center; }
[data-testid="stRadio"] [role="radiogroup"] { gap: 0 1rem; }
[data-baseweb="select"] > div, [data-testid="stTextInput"] input { min-height: 44px; }
.stButton button, .stDownloadButton button, .stLinkButton a, [data-testid="stBaseButton-secondary"],
[data-testid="stBaseButton-primary"] { min-height: 44px; min-width: 44px; }
[data-testid="stSidebarNav"] a, [data-testid="stSidebarNavLink"] { min-height: 44px; }
[data-testid="stSidebarCollapseButton"] button, [data-testid="stExpandSidebarButton"],
[data-testid="stMainMenu"] button { min-height: 44px; min-width: 44px; }
.st-key-find_results [data-testid="stMarkdownContainer"] a {
  display: inline-flex; align-items: center; min-height: 44px; min-width: 44px; padding: 0 0.7rem;
  margin: 0.15rem 0.1rem; border: 1px solid rgba(49, 51, 63, 0.35); border-radius: 0.5rem;
  text-decoration: none;
}
[data-testid="stMain"] a:not([href^="tel:"]) { text-decoration: underline; }
</style>
"""


def demand_kind_label(kind: str) -> str:
    """What a demand layer was made from, in the page language (``raster`` → 人口栅格)."""
    return t(f"demand_kind_{kind}") if kind in ("sample", "raster", "polygons", "points") else (kind or "-")


def md_escape(value: object) -> str:
    """User text made inert for ``st.markdown``: Markdown, HTML and Streamlit directives escaped."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return _MD_SPECIAL.sub(r"\\\1", str(value))


ANALYSIS_LAYERS: tuple[str, ...] = ("facilities", "demand", "boundaries", "network")
"""The layers a coverage or planning page shows."""


def modelled_note(*, shown: tuple[str, ...] = ("facilities",)) -> None:
    """The note naming exactly the modelled layers of the published data among those the page
    ``shown``s (none: no note), and the 数据来源 / Data sources panel of those layers."""
    block = loaders.data_block()
    names = modelled_layers(block, shown=shown)
    if names:
        st.warning(t("modelled_note", layers=_layer_names(names, block)), icon=":material/warning:")
    data_sources(block, shown=shown)


def _layer_names(names: list[str], block: dict[str, Any]) -> str:
    parts = []
    for name in names:
        share = block[name].get("modelled_share")
        if name == "demand" and share is not None and share < 1.0:
            parts.append(t("data_layer_demand_part", share=f"{share:.0%}"))
        else:
            parts.append(t(f"data_layer_{name}"))
    return t("data_layer_join").join(parts)


def data_sources(block: dict[str, Any], *, shown: tuple[str, ...]) -> None:
    """A collapsed 数据来源 / Data sources panel: per layer its version, source and whether it is modelled."""
    rows = []
    for name in (n for n in ANALYSIS_LAYERS if n in shown):
        entry = block.get(name, {})
        source = str(entry.get("source") or "")
        if name == "demand":
            source = t(
                "sources_demand_detail",
                source=t("sources_sample") if entry.get("kind") == "sample" else source,
                kind=demand_kind_label(str(entry.get("kind", ""))),
                resolution=entry.get("resolution", ""),
                cells=f"{entry.get('cells', 0):,}",
                people=f"{entry.get('people', 0):,}",
            )
        elif name == "boundaries" and entry.get("version") is None:
            source = t("sources_seats")
        elif name == "network" and not entry.get("used"):
            source = t("sources_no_network")
        share = entry.get("modelled_share")
        if not entry.get("modelled"):
            modelled = t("sources_no")
        elif name == "demand" and share is not None and share < 1.0:
            modelled = t("sources_part", share=f"{share:.0%}")
        else:
            modelled = t("sources_yes")
        version = entry.get("version")
        published = str(entry.get("published_at") or "")
        if published:
            source = t("sources_published_at", source=source, when=published.replace("T", " ")[:16] + " UTC")
        rows.append(
            {
                t("sources_layer"): t(f"data_layer_{name}").split("(")[0],
                t("sources_version"): "–" if version in (None, 0) else str(version)[:12],
                t("sources_source"): source,
                t("sources_modelled"): modelled,
            }
        )
    with st.expander(t("sources_title"), icon=":material/info:"):
        # A Markdown table (not a dataframe widget): a handful of rows, readable on a phone.
        header = list(rows[0]) if rows else []
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(md_escape(v) for v in row.values()) + " |" for row in rows]
        st.markdown("\n".join(lines))


def basemap_picker() -> str:
    """Sidebar choice of basemap (OSM, AutoNavi, none); returns its code.

    The initial choice is ``$CARECIRCLE_BASEMAP`` (``osm`` when unset): ``none`` suits offline sites.
    """
    default = os.environ.get("CARECIRCLE_BASEMAP", "osm")
    # The value lives in session state only (an index= as well makes Streamlit warn after a language switch).
    st.session_state.setdefault(state.BASEMAP, default if default in BASEMAPS else next(iter(BASEMAPS)))
    return st.sidebar.radio(
        t("basemap"),
        list(BASEMAPS),
        format_func=labels_for(BASEMAPS, lambda code: t(f"basemap_{code}")),
        key=state.BASEMAP,
    )


def page_style() -> None:
    """The app's fixed style sheet: 16 px text, 44 px touch targets (no user data in it)."""
    st.markdown(_PAGE_CSS, unsafe_allow_html=True)


def read_app_link() -> None:
    """Once per session: take the language and the text size from the link (``?lang=en&text=large``).

    A reload or a shared link then opens in the language and text size it was made in.
    """
    if st.session_state.get(state.URL_APPLIED):
        return
    st.session_state[state.URL_APPLIED] = True
    lang = st.query_params.get("lang")
    if lang in LANGUAGES:
        st.session_state[state.LANG] = lang
    if st.query_params.get("text") == "large":
        st.session_state[state.LARGE_TEXT] = True


def large_text() -> bool:
    """The larger-text switch at the top of every page, remembered in the link (``text=large``)."""
    on = st.toggle(t("large_text"), key=state.LARGE_TEXT)
    if on:
        st.markdown(_LARGE_TEXT_CSS, unsafe_allow_html=True)
        st.query_params["text"] = "large"
    elif "text" in st.query_params:
        del st.query_params["text"]
    return bool(on)


def keep_language_in_link() -> None:
    """Write the page language into the link, so a reload or a shared link keeps it."""
    st.query_params["lang"] = current_lang()


def model_note(description: dict[str, object]) -> str:
    """One line saying which travel model produced the numbers."""
    mode = t(f"mode_{description.get('mode')}")
    fallback = description.get("fallback")
    if description.get("name") == "straight_line" and isinstance(fallback, Mapping):
        # geo gives the reason in both languages; the page shows the one it speaks.
        return t(
            "model_fallback",
            detour=description.get("detour_factor"),
            mode=mode,
            speed=float(str(description.get("speed_m_per_min", 0))),
            reason=md_escape(fallback.get(current_lang(), fallback.get("en", ""))),
        )
    if description.get("name") == "straight_line":
        return t(
            "model_straight",
            detour=description.get("detour_factor"),
            mode=mode,
            speed=float(str(description.get("speed_m_per_min", 0))),
        )
    return t(
        "model_network",
        name=description.get("network_name", "?"),
        sha=str(description.get("network_sha256", ""))[:10],
        mode=mode,
    )


def _distance_text(distance_m: float) -> str:
    return f"{distance_m / 1000:.1f} km" if distance_m >= 1000 else f"{distance_m:.0f} m"


def result_card(rank: int, rec: Mapping[Any, Any], *, type_label: str, open_state: bool | None) -> None:
    """One finder result as a bordered card; every data value is escaped for Markdown."""
    with st.container(border=True):
        minutes = max(1, round(float(str(rec["minutes"]))))
        st.markdown(f"**{rank}. {md_escape(rec['name'])}**  \n{md_escape(type_label)}")
        line = t("result_line", minutes=minutes, distance=_distance_text(float(str(rec["distance_m"]))))
        st.markdown(md_escape(line))
        if rec.get("address"):
            st.markdown(f":material/location_on: {md_escape(rec['address'])}")
        if open_state is None:
            status = f":gray[{md_escape(t('hours_unknown'))}]"
        elif open_state:
            status = f":green[:material/check_circle: {md_escape(t('open_now'))}]"
        else:
            status = f":red[:material/cancel: {md_escape(t('closed_now'))}]"
        hours = md_escape(rec.get("opening_hours") or "")
        st.markdown(f":material/schedule: {hours} · {status}" if hours else status)
        extras = []
        available = rec.get("available_places")
        if available is not None and not pd.isna(available):
            extras.append(md_escape(t("places_available", n=int(str(available)))))
        phone = str(rec.get("phone") or "")
        if phone:
            tel = re.sub(r"[^0-9+]", "", phone)
            extras.append(f":material/call: [{md_escape(phone)}](tel:{tel})")
        if extras:
            st.markdown(" · ".join(extras))
