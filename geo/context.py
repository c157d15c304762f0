"""What a download or a report says about where its numbers come from.

A table of coverage figures is only as good as the statement next to it: which published data version,
which travel model (mode, speed, time budget, road network or straight line) and which layers are
modelled rather than real. :class:`Context` holds that statement; it is written

* as an "说明/About" sheet at the front of an XLSX workbook (:func:`xlsx_bytes`);
* as a README beside the CSV files in a zip (:func:`zip_bytes` with :func:`readme_text`) — a comment
  line at the top of a CSV would break Excel's reading of it;
* as a ``"context"`` member of a GeoJSON FeatureCollection (:func:`geojson_context`);
* as a note on exported HTML maps and in the reports (:func:`about_rows`, :func:`modelled_note`).

The provenance of the data is the ``data`` block of ``python -m geo coverage --format json``
(:func:`geo.provenance.data_block`, DESIGN.md): one entry per layer — ``facilities``, ``demand``,
``boundaries``, ``network`` — with its ``version``, ``source`` and ``modelled``. Every file states it
layer by layer (:func:`layer_rows`) and names exactly the modelled layers (:func:`modelled_note`).
:func:`data_block` makes the same shape for tables held in memory (no store).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import pandas as pd

from geo import fmt, provenance
from geo.provenance import boundaries_entry, facilities_entry, network_entry
from geo.texts import TEXTS, column_label, group_label, join_words, mode_label, text, type_label

__all__ = [
    "LAYERS",
    "Context",
    "about_rows",
    "data_block",
    "geojson_context",
    "layer_rows",
    "model_text",
    "modelled_layers",
    "modelled_note",
    "readme_text",
    "with_facilities",
    "xlsx_bytes",
    "zip_bytes",
]

LAYERS: Final[tuple[str, ...]] = provenance.LAYERS

README_NAME: Final[str] = "README.txt"


def sample_demand_entry(cells: pd.DataFrame | None) -> dict[str, Any]:
    """The ``demand`` entry of cells held in memory: their own ``attrs["data"]``, else the shipped
    modelled sample (version 0, as :func:`geo.demand_store.sample_version` records it)."""
    own = cells.attrs.get("data") if cells is not None else None
    if own:
        return dict(own)
    people = (
        int(pd.to_numeric(cells["pop_total"], errors="coerce").fillna(0).sum()) if cells is not None else 0
    )
    return {
        "version": 0,
        "source": "population_cells.csv",
        "modelled": True,
        "modelled_share": 1.0,
        "kind": "sample",
        "cells": 0 if cells is None else len(cells),
        "people": people,
    }


def data_block(
    facilities: pd.DataFrame,
    *,
    version: int | None,
    model_description: Mapping[str, Any],
    demand: Mapping[str, Any] | None = None,
    boundaries: Mapping[str, Any] | None = None,
    cells: pd.DataFrame | None = None,
) -> dict[str, dict[str, Any]]:
    """The ``data`` block (:func:`geo.provenance.data_block`'s shape) of tables held in memory.

    The app and the commands take the block of the store (``geo.provenance.data_block``); this one is
    for callers without a store (tests, library use): the facilities given, the demand cells' own
    ``attrs["data"]`` or the shipped sample, and the modelled township seats unless ``boundaries``
    says otherwise.

    Parameters
    ----------
    facilities : pandas.DataFrame
        The facility table the numbers come from; rows whose ``source`` starts with
        :data:`geo.schema.MODELLED_SOURCE_PREFIX` are modelled.
    version : int, optional
        Its published version (None for data that were never published).
    model_description : mapping
        ``TravelModel.describe()``; a ``network_sha256`` means a road network is used.
    demand, boundaries : mapping, optional
        The demand and boundary entries, when known.
    cells : pandas.DataFrame, optional
        The demand cells (for the default demand entry).

    Returns
    -------
    dict
        ``{"facilities": {"version", "source", "modelled", "rows", "modelled_rows"}, "demand": {...},
        "boundaries": {...}, "network": {...}}``.
    """
    return {
        "facilities": {**facilities_entry(None, _with_source(facilities)), "version": version},
        "demand": dict(demand) if demand is not None else sample_demand_entry(cells),
        "boundaries": dict(boundaries) if boundaries is not None else boundaries_entry(None),
        "network": network_entry(dict(model_description)),
    }


def with_facilities(
    data: Mapping[str, Mapping[str, Any]], facilities: pd.DataFrame, *, model: Mapping[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """A copy of ``data`` describing ``facilities`` (rows, modelled rows) and, given, the model's network.

    The store's block describes the published facilities and the walking model; a page that shows a
    selection, or a scenario, or runs another mode states what it actually used.
    """
    out = {k: dict(v) for k, v in data.items()}
    entry = facilities_entry(None, _with_source(facilities))
    out["facilities"] = {
        **out.get("facilities", {}),
        **{k: entry[k] for k in ("modelled", "rows", "modelled_rows")},
    }
    if model is not None:
        out["network"] = network_entry(dict(model))
    return out


def _with_source(facilities: pd.DataFrame) -> pd.DataFrame:
    if "source" in facilities.columns:
        return facilities.assign(source=facilities["source"].fillna("").astype(str))
    return facilities.assign(source="")


def modelled_layers(data: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The layers of a ``data`` block that are (at least partly) modelled, in :data:`LAYERS` order."""
    return [layer for layer in LAYERS if bool((data.get(layer) or {}).get("modelled"))]


def _layer_word(data: Mapping[str, Mapping[str, Any]], layer: str, lang: str) -> str:
    word = text(f"layer_word_{layer}", lang)
    share = (data.get(layer) or {}).get("modelled_share")
    if layer == "demand" and share is not None and 0 < float(share) < 1:
        word += text("layer_word_part", lang, share=fmt.share(share))
    return word


def modelled_note(data: Mapping[str, Mapping[str, Any]], lang: str) -> str:
    """One sentence naming exactly the modelled layers ("" when none is modelled)."""
    layers = modelled_layers(data)
    if not layers:
        return ""
    names = join_words([_layer_word(data, layer, lang) for layer in layers], lang)
    return text("modelled_note", lang, layers=names)


def layer_rows(data: Mapping[str, Mapping[str, Any]], lang: str) -> list[tuple[str, str, str]]:
    """``(layer, status, description)`` of each layer — version, source, modelled — in ``lang``."""
    rows = []
    fac = data.get("facilities") or {}
    desc = text(
        "facilities_published",
        lang,
        version=fac.get("version") if fac.get("version") is not None else "–",
        rows=fmt.count(fac.get("rows", 0)),
    )
    source = str(fac.get("source") or "")
    if source and source not in ("init", "import", "publish", "restore"):
        desc += text("clause_sep", lang) + text("layer_source", lang, source=source)
    if fac.get("modelled"):
        desc += text("clause_sep", lang) + text(
            "facilities_modelled", lang, modelled=fmt.count(fac.get("modelled_rows", 0))
        )
    rows.append(
        ("facilities", _status(fac, partly=0 < fac.get("modelled_rows", 0) < fac.get("rows", 0)), desc)
    )
    demand = data.get("demand") or {}
    share = demand.get("modelled_share")
    rows.append(
        (
            "demand",
            _status(demand, partly=share is not None and 0 < float(share) < 1),
            _demand_text(demand, lang),
        )
    )
    bounds = data.get("boundaries") or {}
    if bounds.get("version") is None:
        bounds_desc = text("boundaries_shipped", lang)
    else:
        bounds_desc = text(
            "boundaries_imported",
            lang,
            version=bounds.get("version"),
            source=bounds.get("source") or "–",
            n=fmt.count(bounds.get("townships") or 0),
        )
    # district outlines are real; only the township seats are modelled
    rows.append(("boundaries", _status(bounds, partly=True), bounds_desc))
    net = data.get("network") or {}
    used = bool(net.get("used"))
    rows.append(
        (
            "network",
            "real" if used else "none",
            text("network_loaded", lang, name=net.get("source") or "")
            if used
            else text("network_none", lang),
        )
    )
    return [
        (text(f"layer_{layer}", lang), text(f"status_{status}", lang), desc) for layer, status, desc in rows
    ]


def _status(layer: Mapping[str, Any], *, partly: bool) -> str:
    if not layer.get("modelled"):
        return "real"
    return "partly" if partly else "modelled"


def _demand_text(demand: Mapping[str, Any], lang: str) -> str:
    """The demand layer in words: the shipped sample, or the imported version with its file and size."""
    own = demand.get(f"description_{lang}") or demand.get("description")
    if own:
        return str(own)
    kind = str(demand.get("kind") or "")
    if kind in ("", "sample"):
        return text("demand_sample", lang)
    out = text(
        "demand_imported",
        lang,
        version=demand.get("version", "–"),
        source=demand.get("source") or "–",
        kind=text(f"demand_kind_{kind}", lang) if f"demand_kind_{kind}" in TEXTS else kind,
        resolution=demand.get("resolution", "–"),
        cells=fmt.count(demand.get("cells") or 0),
        people=fmt.people(demand.get("people") or 0),
    )
    share = demand.get("modelled_share")
    if demand.get("modelled") and share:
        out += text("clause_sep", lang) + text("demand_modelled_part", lang, share=fmt.share(share))
    return out


def model_text(description: Mapping[str, Any], lang: str) -> str:
    """The travel model in words: straight line with its detour factor and speed, or the road network."""
    mode = mode_label(str(description.get("mode", "")), lang)
    if description.get("network_sha256"):
        return text(
            "model_network",
            lang,
            name=description.get("network_name", ""),
            sha=str(description.get("network_sha256", ""))[:10],
            mode=mode,
        )
    return text(
        "model_straight",
        lang,
        detour=f"{float(description.get('detour_factor', 1.0)):g}",
        mode=mode,
        speed=fmt.speed(description.get("speed_m_per_min"), lang),
    )


@dataclass(frozen=True)
class Context:
    """What a download or report states about its numbers.

    Parameters
    ----------
    data : mapping
        The ``data`` block (:func:`data_block`).
    model : mapping
        ``TravelModel.describe()`` of the model that ran.
    budget_min : float
        Time budget (minutes).
    types : tuple of str
        Facility type codes.
    scope : str
        What the figures cover, in the file's language (``鄂尔多斯市``, ``东胜区`` …).
    target : str, optional
        Target group column (``pop_60plus`` …) of the capacity-aware figures and gaps.
    scenario : tuple of (str, int), optional
        Name and number of edits of the scenario applied, if any.
    generated_at : datetime
        When the file was made.
    """

    data: Mapping[str, Mapping[str, Any]]
    model: Mapping[str, Any]
    budget_min: float
    types: tuple[str, ...]
    scope: str
    target: str | None = None
    scenario: tuple[str, int] | None = None
    generated_at: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))

    @property
    def version(self) -> int | None:
        """The published facility version, if any."""
        value = (self.data.get("facilities") or {}).get("version")
        return int(value) if value is not None else None

    def version_text(self, lang: str) -> str:
        """``设施数据第 3 版(已发布)`` / ``published facility version 3``."""
        if self.version is None:
            return text("about_version_none", lang)
        return text("about_version_value", lang, version=self.version)

    def budget_text(self, lang: str) -> str:
        """``15 分钟`` / ``15 minutes``."""
        return text("budget_value", lang, minutes=fmt.minutes(self.budget_min, lang, unit=False))


def about_rows(ctx: Context, lang: str, *, files: Sequence[str] = ()) -> list[tuple[str, str]]:
    """``(item, value)`` rows stating the context, for an About sheet, a README or a report's cover."""
    rows = [
        (text("about_generated", lang), ctx.generated_at.strftime("%Y-%m-%d %H:%M")),
        (text("about_version", lang), ctx.version_text(lang)),
        (text("about_scope", lang), ctx.scope),
        (text("about_types", lang), text("list_sep", lang).join(type_label(t, lang) for t in ctx.types)),
        (text("about_mode", lang), mode_label(str(ctx.model.get("mode", "")), lang)),
        (text("about_budget", lang), ctx.budget_text(lang)),
        (text("about_model", lang), model_text(ctx.model, lang)),
    ]
    if ctx.target:
        rows.append((text("about_target", lang), group_label(ctx.target, lang)))
    if ctx.scenario is not None:
        name, n = ctx.scenario
        rows.append((text("about_scenario", lang), text("about_scenario_value", lang, name=name, n=n)))
    if files:
        rows.append((text("about_files", lang), ", ".join(files)))
    rows.append((text("about_numbers", lang), text("about_numbers_value", lang)))
    colon = _colon(lang)
    for layer, status, desc in layer_rows(ctx.data, lang):
        rows.append((f"{text('about_layers', lang)} · {layer}", f"{status}{colon}{desc}"))
    note = modelled_note(ctx.data, lang)
    if note:
        rows.append((text("about_modelled", lang), note))
    return rows


def _colon(lang: str) -> str:
    return "：" if lang == "zh" else ": "


def readme_text(ctx: Context, lang: str, *, files: Sequence[str] = ()) -> str:
    """The README written beside the CSV files of a zip (UTF-8 with BOM, Windows line ends)."""
    lines = [text("about_title", lang), ""]
    lines += [f"{item}{_colon(lang)}{value}" for item, value in about_rows(ctx, lang, files=files)]
    return "\r\n".join(lines) + "\r\n"


def geojson_context(ctx: Context, lang: str) -> dict[str, Any]:
    """The ``"context"`` member of an exported GeoJSON: machine-readable model and data blocks plus the note."""
    return {
        "generated_at": ctx.generated_at.isoformat(),
        "data_version": ctx.version,
        "model": {**ctx.model, "minutes": ctx.budget_min},
        "types": list(ctx.types),
        "target": ctx.target,
        "scope": ctx.scope,
        "scenario": None if ctx.scenario is None else {"name": ctx.scenario[0], "edits": ctx.scenario[1]},
        "data": {k: dict(v) for k, v in ctx.data.items()},
        "modelled_note": modelled_note(ctx.data, lang),
        "about": dict(about_rows(ctx, lang)),
    }


def _header_labels(frame: pd.DataFrame, lang: str) -> list[str]:
    return [column_label(str(c), lang, percent_unit=True) for c in frame.columns]


def csv_bytes(frame: pd.DataFrame, lang: str) -> bytes:
    """A table as CSV for Excel: UTF-8 with BOM, headers in ``lang``, numbers of :func:`geo.fmt.for_files`."""
    from geo.io import neutralise_formula

    out = fmt.for_files(frame)
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise_formula)
    out.columns = _header_labels(frame, lang)
    return out.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def zip_bytes(ctx: Context, lang: str, tables: Mapping[str, pd.DataFrame]) -> bytes:
    """CSV files (one per table, ``<name>.csv``) and a README stating the context, as one zip."""
    names = [f"{name}.csv" for name in tables]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        # ASCII member names: some unzip tools garble others
        archive.writestr(README_NAME, readme_text(ctx, lang, files=names).encode("utf-8-sig"))
        for (_, frame), name in zip(tables.items(), names, strict=True):
            archive.writestr(name, csv_bytes(frame, lang))
    return buffer.getvalue()


def xlsx_bytes(ctx: Context, lang: str, tables: Mapping[str, pd.DataFrame]) -> bytes:
    """An XLSX workbook: the "说明/About" sheet first, then one sheet per table.

    Headers are in ``lang``; numbers stay numbers, shown with thousands separators and one decimal for
    percentages (Excel number formats from :func:`geo.fmt.excel_format`).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from geo.io import neutralise_formula

    book = Workbook()
    about = book.active
    about.title = text("about_sheet", lang)[:31]
    about.append([text("about_title", lang)])
    about["A1"].font = Font(bold=True, size=13)
    about.append([])
    for item, value in about_rows(ctx, lang, files=list(tables)):
        about.append([item, neutralise_formula(value)])
    about.column_dimensions["A"].width = 22
    about.column_dimensions["B"].width = 100
    for row in about.iter_rows(min_row=3):
        row[-1].alignment = Alignment(wrap_text=True, vertical="top")
    for name, frame in tables.items():
        key = f"sheet_{name}"
        sheet = book.create_sheet((text(key, lang) if key in TEXTS else str(name))[:31])
        data = fmt.for_files(frame)
        sheet.append(_header_labels(frame, lang))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        formats = [fmt.excel_format(fmt.kind_of(str(c))) for c in frame.columns]
        for record in data.itertuples(index=False):
            sheet.append([_cell(v) for v in record])
        for idx, number_format in enumerate(formats, start=1):
            if number_format is None:
                continue
            for (cell,) in sheet.iter_rows(min_row=2, min_col=idx, max_col=idx):
                cell.number_format = number_format
        for (header,) in sheet.iter_cols(min_row=1, max_row=1):
            sheet.column_dimensions[header.column_letter].width = max(10, min(40, len(str(header.value)) * 2))
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    from geo.io import neutralise_formula

    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):
        value = value.item()
    return neutralise_formula(value) if isinstance(value, str) else value
