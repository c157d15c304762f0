"""Travel controls whose defaults follow the chosen facility type, and show exactly what is computed.

Each facility type has a default mode and time budget (``geo.travel.TYPE_DEFAULTS``: a community
station is reached on foot in 15 minutes, a nursing home by car in 30). When the planner picks a
type, a callback writes that type's mode and budget (and, on the sites page, the type of a facility
added to a scenario) into session state *before* the widgets are drawn, so the boxes show the values
the page then computes with. The widgets take their values from session state only — never also
from ``index=`` / ``value=`` / ``default=`` — which is what made the browser keep showing 驾车 while
the page computed with walking, and what Streamlit warns about ("created with a default value but
also had its value set via the Session State API").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import streamlit as st

from geo.travel import MODES, TYPE_DEFAULTS
from ui.i18n import labels_for, t, type_name

BUDGETS: Final[tuple[float, ...]] = (5.0, 10.0, 15.0, 20.0, 30.0)
FALLBACK: Final[tuple[str, float]] = ("walk", 15.0)


@dataclass(frozen=True)
class TravelKeys:
    """Session-state keys of a page's travel controls."""

    mode: str
    budget: str
    added_type: str | None = None


def defaults_of(types: Sequence[str]) -> tuple[str, float]:
    """Mode and budget of the first type (walking 15 minutes when none is chosen)."""
    return TYPE_DEFAULTS.get(types[0], FALLBACK) if types else FALLBACK


def apply_defaults(keys: TravelKeys, types: Sequence[str]) -> None:
    """Write the types' default mode and budget (and added-facility type) into session state."""
    mode, budget = defaults_of(types)
    st.session_state[keys.mode] = mode
    st.session_state[keys.budget] = budget if budget in BUDGETS else FALLBACK[1]
    if keys.added_type is not None and types:
        st.session_state[keys.added_type] = types[0]


def follow(keys: TravelKeys, chosen: Callable[[], Sequence[str]]) -> Callable[[], None]:
    """An ``on_change`` callback: the types' defaults once the type widget has its new value."""

    def callback() -> None:
        apply_defaults(keys, list(chosen()))

    return callback


def ensure(keys: TravelKeys, types: Sequence[str]) -> None:
    """First run of a session: start from the types' defaults (later runs keep the user's choice)."""
    if keys.mode not in st.session_state or keys.budget not in st.session_state:
        apply_defaults(keys, types)
    elif st.session_state[keys.budget] not in BUDGETS:
        st.session_state[keys.budget] = FALLBACK[1]
    if keys.added_type is not None and keys.added_type not in st.session_state and types:
        st.session_state[keys.added_type] = types[0]


def mode_and_budget(keys: TravelKeys, types: Sequence[str], *, container: Any) -> tuple[str, float]:
    """The mode box and the budget slider, valued from session state; a caption names the defaults."""
    ensure(keys, types)
    modes = list(MODES)
    mode = container.selectbox(
        t("mode"),
        modes,
        format_func=labels_for(modes, lambda m: t(f"mode_{m}")),
        key=keys.mode,
        placeholder=t("choose_one"),
    )
    budget = float(
        container.select_slider(
            t("cov_budget"),
            BUDGETS,
            format_func=labels_for(BUDGETS, lambda b: t("minutes_label", minutes=b)),
            key=keys.budget,
        )
    )
    if types:
        default_mode, default_budget = defaults_of(types)
        container.caption(
            t(
                "defaults_of_type",
                type=type_name(types[0]),
                mode=t(f"mode_{default_mode}"),
                minutes=t("minutes_label", minutes=default_budget),
            )
        )
        others = {defaults_of([code]) for code in types[1:]} - {defaults_of(types)}
        if others:
            container.caption(t("defaults_differ"))
    return str(mode), budget
