"""Where each data layer comes from: the ``"data"`` block of coverage outputs and the app's panel.

``data_block`` names, layer by layer, the version, the source and whether it is modelled:

``{"facilities": {"version", "source", "modelled", …}, "demand": {…}, "boundaries": {…},
"network": {…}}`` (DESIGN.md, "Output shapes"). ``modelled_layers`` lists the layers that are
modelled, so that notes can name exactly those.
"""

from __future__ import annotations

from typing import Any, Final

import pandas as pd

from geo.schema import MODELLED_SOURCE_PREFIX

__all__ = ["LAYERS", "data_block", "modelled_layers"]

LAYERS: Final[tuple[str, ...]] = ("facilities", "demand", "boundaries", "network")

MODELLED_SEATS_SOURCE: Final[str] = "modelled township seats (datasets/townships_modelled.csv)"


def facilities_entry(info: Any | None, facilities: pd.DataFrame) -> dict[str, Any]:
    """The facilities' entry: published version, its file, and whether any row is modelled."""
    modelled = bool(
        facilities.empty or facilities["source"].astype(str).str.startswith(MODELLED_SOURCE_PREFIX).any()
    )
    n_modelled = (
        int(facilities["source"].astype(str).str.startswith(MODELLED_SOURCE_PREFIX).sum())
        if not facilities.empty
        else 0
    )
    return {
        "version": None if info is None else int(info.version),
        "source": "" if info is None else (info.file_name or info.note or info.action),
        "modelled": modelled,
        "rows": len(facilities),
        "modelled_rows": n_modelled,
        "published_at": None if info is None else info.created_at,
    }


def demand_entry(info: Any) -> dict[str, Any]:
    """The demand's entry (version 0 is the shipped modelled sample, not yet recorded in the store)."""
    return {
        "version": int(info.version),
        "source": info.file_name,
        "modelled": bool(info.modelled_people > 0),
        "modelled_share": round(info.modelled_people / info.pop_total, 6) if info.pop_total else 0.0,
        "kind": info.kind,
        "crs": info.crs,
        "resolution": int(info.resolution),
        "mode": info.mode,
        "cells": int(info.cells),
        "people": int(info.pop_total),
        "published_at": info.created_at or None,
    }


def boundaries_entry(info: Any | None, *, townships: int | None = None) -> dict[str, Any]:
    """The township boundaries' entry: an imported version, or the modelled seats while none."""
    if info is None:
        return {
            "version": None,
            "source": MODELLED_SEATS_SOURCE,
            "modelled": True,
            "level": "township",
            "townships": townships,
            "published_at": None,
        }
    return {
        "version": int(info.version),
        "source": info.file_name,
        "modelled": False,
        "level": info.level,
        "townships": int(info.features),
        "published_at": info.created_at,
    }


def network_entry(model: dict[str, Any]) -> dict[str, Any]:
    """The road network's entry from a travel model's ``describe()``: the imported network, or none."""
    sha = model.get("network_sha256")
    return {
        "version": sha,
        "source": model.get("network_name") if sha else None,
        "modelled": False,
        "used": bool(sha),
        "model": model.get("name"),
    }


def data_block(
    *,
    facilities_info: Any | None,
    facilities: pd.DataFrame,
    demand_info: Any,
    boundary_info: Any | None,
    model: dict[str, Any],
    modelled_townships: int | None = None,
) -> dict[str, Any]:
    """The ``"data"`` block: one entry per layer with ``version``, ``source`` and ``modelled``.

    Parameters
    ----------
    facilities_info
        The published facility version's audit line (``geo.store.VersionInfo``), or None.
    facilities
        The facilities in use (a row is modelled when its ``source`` starts with the sample's prefix).
    demand_info
        ``geo.demand_store.DemandVersion`` of the demand in use.
    boundary_info
        ``geo.demand_store.BoundaryVersion`` of the township boundaries, or None (modelled seats).
    model
        The travel model's ``describe()``.
    modelled_townships
        How many modelled seats stand in while no boundaries are imported.
    """
    return {
        "facilities": facilities_entry(facilities_info, facilities),
        "demand": demand_entry(demand_info),
        "boundaries": boundaries_entry(boundary_info, townships=modelled_townships),
        "network": network_entry(model),
    }


def modelled_layers(block: dict[str, Any], *, shown: tuple[str, ...] = LAYERS) -> list[str]:
    """The layers of ``block`` among ``shown`` that are (at least partly) modelled, in :data:`LAYERS` order."""
    return [name for name in LAYERS if name in shown and bool(block.get(name, {}).get("modelled"))]


LAYER_LABELS: Final[dict[str, tuple[str, str]]] = {
    "facilities": ("设施", "facilities"),
    "demand": ("人口需求", "population (demand)"),
    "boundaries": (
        "乡镇边界(以模拟的乡镇驻地代替)",
        "township boundaries (modelled township seats stand in)",
    ),
    "network": ("路网", "road network"),
}


def modelled_note(
    block: dict[str, Any] | None,
    *,
    shown: tuple[str, ...] = LAYERS,
    where: tuple[str, str] = ("本报告中", "in this report"),
) -> str | None:
    """A bilingual note naming exactly the modelled layers among ``shown``; None when none is.

    Without a block (provenance unknown) the note says facilities and demand are the modelled sample.
    """
    layers = ["facilities", "demand"] if block is None else modelled_layers(block, shown=shown)
    if not layers:
        return None
    zh_parts, en_parts = [], []
    for name in layers:
        zh, en = LAYER_LABELS[name]
        share = block.get(name, {}).get("modelled_share") if block is not None else None
        if name == "demand" and share is not None and share < 1.0:
            zh += f"(部分,{share:.0%})"
            en += f" (in part, {share:.0%})"
        zh_parts.append(zh)
        en_parts.append(en)
    return (
        f"注意:{where[0]}的{'、'.join(zh_parts)}为模拟数据(按2020年人口普查等公开资料建模),并非真实记录。"
        f" / Note: the {', '.join(en_parts)} {where[1]} are modelled (built from the 2020 census and "
        "other public data), not real records."
    )
