"""Download buttons whose files state their context: data version, travel model, modelled data.

Every table leaves the app as a zip of CSV files with a README (a comment line would break Excel's
reading of a CSV) or as an XLSX workbook whose first sheet is "说明/About"; GeoJSON carries a
``context`` member; HTML maps a note in a corner. Headers are in the page's language. The files are
made only when a button is pressed (callables), so changing a control stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import streamlit as st

from geo import context as cx
from geo.context import Context
from ui import loaders
from ui.i18n import current_lang, fixed_lang, t

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def context(
    *,
    facilities: pd.DataFrame,
    mode: str,
    budget_min: float,
    types: tuple[str, ...],
    scope: str,
    target: str | None = None,
    scenario: tuple[str, int] | None = None,
) -> Context:
    """The context of what the page shows now (published version, model of ``mode``, data layers)."""
    model = loaders.travel_model(mode).describe()
    # the store's provenance block (as ``geo coverage`` states it), for the facilities and model used
    data = cx.with_facilities(loaders.data_block(), facilities, model=model)
    return Context(
        data=data,
        model=model,
        budget_min=budget_min,
        types=types,
        scope=scope,
        target=target,
        scenario=scenario,
    )


def note(ctx: Context) -> Callable[[], str]:
    """The one-line note of an exported map, in the language of the page now."""
    lang = current_lang()

    def make() -> str:
        parts = [ctx.version_text(lang), cx.model_text(ctx.model, lang), ctx.budget_text(lang)]
        modelled = cx.modelled_note(ctx.data, lang)
        return " · ".join(parts) + (f" · {modelled}" if modelled else "")

    return make


def facilities_note(ctx: Context) -> Callable[[], str]:
    """The note of an exported facility map: data version and which data are modelled (no model)."""
    lang = current_lang()

    def make() -> str:
        modelled = cx.modelled_note(ctx.data, lang)
        return ctx.version_text(lang) + (f" · {modelled}" if modelled else "")

    return make


def tables(
    container: Any,
    ctx: Context,
    frames: Callable[[], Mapping[str, pd.DataFrame]],
    *,
    stem: str,
    key: str,
) -> None:
    """Two buttons: the tables as a zip of CSV files with a README, and as an XLSX workbook."""
    lang = current_lang()

    def zipped() -> bytes:
        with fixed_lang(lang):
            return cx.zip_bytes(ctx, lang, frames())

    def workbook() -> bytes:
        with fixed_lang(lang):
            return cx.xlsx_bytes(ctx, lang, frames())

    left, right = container.columns(2)
    left.download_button(
        t("download_csv_zip"), data=zipped, file_name=f"{stem}.zip", mime="application/zip", key=f"{key}_zip"
    )
    right.download_button(
        t("download_xlsx"), data=workbook, file_name=f"{stem}.xlsx", mime=XLSX_MIME, key=f"{key}_xlsx"
    )
    st.caption(t("download_context_note"))
