"""Saved coverage analyses: a planner's run kept in the store, per demand cell, with its parameters.

``python -m geo coverage … --save`` computes coverage as usual and also keeps it: one ``analyses`` row
(facility types, minutes, mode, target, the facility version, the travel model, the demand's source
and whether it is modelled, the city totals) and one ``analysis_cells`` row per demand cell (minutes
to the nearest facility, the smallest 5/10/15-minute tier that covers it, covered or not, the
capacity-aware 2SFCA access, and the cell's hexagon). Where PostGIS is installed the ``gis_coverage``
view shows the newest saved analysis to QGIS (``geo.gis``); on every store ``python -m geo analyses``
lists them and exports one.

``cell_results`` is the pure half (coverage frames in, the table to store out); the rest reads and
writes the two tables.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import h3
import numpy as np
import pandas as pd
import sqlalchemy as sa

from geo.errors import DataError, NotFoundError
from geo.store import analyses, analysis_cells

if TYPE_CHECKING:
    from geo.store import FacilityStore

# Columns of analysis_cells, in order (the CSV export has the same).
CELL_COLUMNS = (
    "cell_id",
    "adcode",
    "township_code",
    "lon",
    "lat",
    "boundary_wkt",
    "pop_total",
    "pop_60plus",
    "pop_0_3",
    "minutes",
    "tier_min",
    "covered",
    "nearest_facility_id",
    "access_per_1000",
    "facilities_in_reach",
    "oversubscribed",
)
# Rows written per INSERT: bounded memory per statement whatever the number of cells.
_BATCH_ROWS = 5_000


@dataclass(frozen=True)
class AnalysisInfo:
    """The parameters of one saved analysis."""

    analysis_id: int
    created_at: str
    user_name: str
    name: str
    types: str
    budget_min: float
    mode: str
    target: str
    facilities_version: int
    model_json: str
    demand_source: str
    demand_modelled: bool
    cells: int
    totals_json: str


def hexagon_wkt(cell_id: str) -> str | None:
    """WKT polygon (WGS84, lon lat) of an H3 cell, or None when ``cell_id`` is not an H3 index."""
    try:
        if not h3.is_valid_cell(cell_id):
            return None
        ring = [(lng, lat) for lat, lng in h3.cell_to_boundary(cell_id)]  # h3 gives lat, lng
    except (ValueError, TypeError):
        return None
    ring.append(ring[0])
    return "POLYGON((" + ", ".join(f"{lon:.7f} {lat:.7f}" for lon, lat in ring) + "))"


def cell_results(cells: pd.DataFrame, access: pd.DataFrame, fca: pd.DataFrame) -> pd.DataFrame:
    """The per-cell table of a saved analysis (``CELL_COLUMNS``).

    Parameters
    ----------
    cells
        Demand cells: ``cell_id, lon, lat, adcode, township_code, pop_total, pop_60plus, pop_0_3``.
    access
        ``geo.coverage.cell_access`` of the cells (``minutes``, ``covered``, ``covered_<t>`` tiers).
    fca
        ``geo.coverage.two_step_fca`` of the cells (``access_per_1000`` …).

    Returns
    -------
    pandas.DataFrame
        One row per cell; ``minutes`` is NaN where no facility is within reach, ``tier_min`` the
        smallest tier budget (minutes) that covers the cell, NaN when none does.
    """
    if not (len(cells) == len(access) == len(fca)):
        msg = f"cells, access and fca differ in length: {len(cells)}, {len(access)}, {len(fca)}"
        raise ValueError(msg)
    minutes = access["minutes"].to_numpy(dtype=float)
    tiers = sorted(float(t) for t in access.attrs.get("tiers_min", ()))
    tier_min = np.full(len(cells), np.nan)
    for tier in reversed(tiers):  # the smallest tier wins
        tier_min = np.where(minutes <= tier, tier, tier_min)
    out = pd.DataFrame(
        {
            "cell_id": cells["cell_id"].astype(str).to_numpy(),
            "adcode": pd.to_numeric(cells["adcode"], errors="coerce").astype("Int64").to_numpy()
            if "adcode" in cells
            else pd.NA,
            "township_code": cells["township_code"].astype("string").to_numpy()
            if "township_code" in cells
            else pd.NA,
            "lon": cells["lon"].to_numpy(dtype=float),
            "lat": cells["lat"].to_numpy(dtype=float),
            "boundary_wkt": [hexagon_wkt(str(c)) for c in cells["cell_id"]],
            "pop_total": cells["pop_total"].to_numpy(dtype=float),
            "pop_60plus": cells["pop_60plus"].to_numpy(dtype=float),
            "pop_0_3": cells["pop_0_3"].to_numpy(dtype=float),
            "minutes": np.where(np.isfinite(minutes), minutes, np.nan),
            "tier_min": tier_min,
            "covered": access["covered"].to_numpy(dtype=bool),
            "nearest_facility_id": access["facility_id"].astype("string").to_numpy(),
            "access_per_1000": fca["access_per_1000"].to_numpy(dtype=float),
            "facilities_in_reach": fca["facilities_in_reach"].to_numpy(dtype=np.int64),
            "oversubscribed": fca["oversubscribed"].to_numpy(dtype=bool),
        }
    )
    return out[list(CELL_COLUMNS)]


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _value(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def save(
    store: FacilityStore,
    results: pd.DataFrame,
    *,
    user_name: str,
    name: str,
    types: Sequence[str],
    budget_min: float,
    mode: str,
    target: str,
    facilities_version: int,
    model: dict[str, Any],
    demand_source: str,
    demand_modelled: bool,
    totals: dict[str, Any],
) -> AnalysisInfo:
    """Store an analysis (parameters and ``cell_results``) in one transaction; returns its line."""
    if results.empty:
        msg = "没有需求网格,无法保存分析。 / No demand cells: nothing to save."
        raise DataError(msg)
    repeated = results["cell_id"].duplicated()
    if repeated.any():
        ids = ", ".join(results.loc[repeated, "cell_id"].astype(str).head(5))
        msg = f"需求网格编号重复:{ids}。 / Repeated demand cell ids: {ids}; nothing saved."
        raise DataError(msg)
    line: dict[str, Any] = {
        "created_at": _now(),
        "user_name": user_name,
        "name": name,
        "types": ",".join(types),
        "budget_min": float(budget_min),
        "mode": mode,
        "target": target,
        "facilities_version": int(facilities_version),
        "model_json": json.dumps(model, ensure_ascii=False, sort_keys=True),
        "demand_source": demand_source,
        "demand_modelled": bool(demand_modelled),
        "cells": len(results),
        "totals_json": json.dumps(totals, ensure_ascii=False, sort_keys=True, allow_nan=False),
    }
    records = [
        {c: _value(v) for c, v in zip(CELL_COLUMNS, row, strict=True)}
        for row in results[list(CELL_COLUMNS)].itertuples(index=False, name=None)
    ]
    with store.begin() as conn:
        inserted = conn.execute(analyses.insert().values(**line)).inserted_primary_key
        if inserted is None:  # pragma: no cover - an insert into a table with a primary key has one
            msg = "the database returned no analysis_id"
            raise RuntimeError(msg)
        analysis_id = int(inserted[0])
        for start in range(0, len(records), _BATCH_ROWS):
            batch = records[start : start + _BATCH_ROWS]
            conn.execute(analysis_cells.insert(), [{"analysis_id": analysis_id, **r} for r in batch])
    return AnalysisInfo(analysis_id=analysis_id, **line)


def list_saved(store: FacilityStore) -> list[AnalysisInfo]:
    """Every saved analysis, newest first."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(analyses).order_by(analyses.c.analysis_id.desc())).mappings()
        return [AnalysisInfo(**dict(r)) for r in rows]


def info(store: FacilityStore, analysis_id: int | None = None) -> AnalysisInfo:
    """One saved analysis (default: the newest).

    Raises
    ------
    NotFoundError
        When there is no such analysis.
    """
    query = sa.select(analyses)
    query = (
        query.order_by(analyses.c.analysis_id.desc()).limit(1)
        if analysis_id is None
        else query.where(analyses.c.analysis_id == analysis_id)
    )
    with store.engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    if row is None:
        what = "还没有保存的分析" if analysis_id is None else f"分析 {analysis_id} 不存在"
        en = "No saved analysis yet" if analysis_id is None else f"Analysis {analysis_id} does not exist"
        msg = f"{what}。 / {en} (save one with `python -m geo coverage … --save`)."
        raise NotFoundError(msg)
    return AnalysisInfo(**dict(row))


def cells(store: FacilityStore, analysis_id: int) -> pd.DataFrame:
    """The per-cell results of a saved analysis (``CELL_COLUMNS``, sorted by ``cell_id``)."""
    columns = [analysis_cells.c[c] for c in CELL_COLUMNS]
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(*columns).where(analysis_cells.c.analysis_id == analysis_id)).fetchall()
    frame = pd.DataFrame(rows, columns=list(CELL_COLUMNS))
    return frame.sort_values("cell_id", kind="stable").reset_index(drop=True)


def delete(store: FacilityStore, analysis_id: int) -> None:
    """Delete a saved analysis and its cells."""
    info(store, analysis_id)
    with store.begin() as conn:
        conn.execute(analysis_cells.delete().where(analysis_cells.c.analysis_id == analysis_id))
        conn.execute(analyses.delete().where(analyses.c.analysis_id == analysis_id))
