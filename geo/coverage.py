"""The 15-minute coverage model: demand cells × facilities × travel times.

Coverage is counted on people, not on area. Every function here is pure: DataFrames and arrays in,
DataFrames (or JSON-ready dicts) out, with the travel model passed in, so the same code runs on the
straight-line and the road-network model.

* :func:`cell_access` — per demand cell, minutes to the nearest open facility of the chosen types and
  whether the cell is covered at the budget and at each tier (5 / 10 / 15 minutes).
* :func:`two_step_fca` and :func:`facility_supply_ratios` — capacity-aware access with distance decay
  (two-step floating catchment), so "within 15 minutes but oversubscribed" shows;
  :func:`access_and_fca` gives both it and :func:`cell_access`, from one set of searches on a network.
* :func:`area_table` and :func:`area_totals` — per district or township: people, people aged 60+ and
  children 0–3 covered, facility counts, capacity per 1,000; the city total is the sum of the rows.
* :func:`gap_list` — uncovered cells ranked by the target population.
* :func:`coverage_report` — the JSON of ``python -m geo coverage --format json`` (DESIGN.md).

Only facilities whose ``status`` is ``open`` count (a blank status counts as open, since the column is
optional in the CSV contract); planned ones enter through scenarios, by passing them with status open.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.crs import to_metric
from geo.errors import DataError
from geo.schema import FACILITY_TYPES, normalise_type
from geo.travel import NearestResult, OdPairs, TravelModel, check_budget, od_pairs, pairs_of_matrix

FloatArray = npt.NDArray[np.float64]

GROUPS: Final[tuple[str, ...]] = ("pop_total", "pop_60plus", "pop_0_3")
"""Population groups of the demand cells, in the order of the outputs."""

TARGET_ALIASES: Final[dict[str, str]] = {
    "total": "pop_total",
    "60plus": "pop_60plus",
    "0_3": "pop_0_3",
    **{g: g for g in GROUPS},
}

CELL_COLUMNS: Final[tuple[str, ...]] = ("cell_id", "lon", "lat", "adcode", *GROUPS)

# National target: 4.5 nursery places for children under 3 per 1,000 residents by 2025, a main indicator
# of the 14th Five-Year Plan (中华人民共和国国民经济和社会发展第十四个五年规划和2035年远景目标纲要, 2021,
# "每千人口拥有3岁以下婴幼儿托位数").
NATIONAL_NURSERY_PLACES_PER_1000: Final[float] = 4.5
# Ordos reached 4.86 nursery places per 1,000 residents in 2024 (the city's 2024 report, see DESIGN.md).
ORDOS_NURSERY_PLACES_PER_1000: Final[float] = 4.86

# Stepped distance decay of the enhanced 2SFCA (Luo & Qi 2009): weights 1.00, 0.68 and 0.22 for the
# first, second and third part of the catchment (they used 0–10, 10–20 and 20–30 minutes; the weights
# come from a Gaussian with β = 100 at the zone middles). Here the zones are thirds of the budget.
LUO_QI_STEP_WEIGHTS: Final[tuple[float, float, float]] = (1.0, 0.68, 0.22)

Decay = Literal["gaussian", "step"]
AreaGrain = Literal["district", "township"]

UNKNOWN_TOWNSHIP: Final[str] = ""
"""Township code given to cells and facilities whose township is not known."""


# ---------------------------------------------------------------------------------------------------
# Inputs


def _require(df: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        msg = f"{what}: missing columns {', '.join(missing)} (has {', '.join(map(str, df.columns))})"
        raise DataError(msg)


def parse_types(types: str | Iterable[str]) -> list[str]:
    """Type codes from a comma-separated string or a list of codes or Chinese labels.

    Raises
    ------
    DataError
        When a type is unknown (the message lists the valid codes) or none is given.
    """
    items = types.split(",") if isinstance(types, str) else list(types)
    codes: list[str] = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        code = normalise_type(text)
        if code is None:
            msg = f"未知设施类型 / unknown facility type {text!r}; valid types: {', '.join(FACILITY_TYPES)}"
            raise DataError(msg)
        if code not in codes:
            codes.append(code)
    if not codes:
        msg = f"请给出设施类型 / give at least one facility type; valid types: {', '.join(FACILITY_TYPES)}"
        raise DataError(msg)
    return codes


def parse_target(target: str) -> str:
    """The demand column for ``total``, ``60plus``, ``0_3`` or a column name of :data:`GROUPS`."""
    try:
        return TARGET_ALIASES[target]
    except KeyError:
        msg = f"unknown target {target!r}; valid targets: total, 60plus, 0_3"
        raise DataError(msg) from None


def default_target(types: Sequence[str]) -> str:
    """``pop_60plus`` for elderly-care types, ``pop_0_3`` for child types, ``pop_total`` when mixed."""
    categories = {FACILITY_TYPES[t].category for t in types}
    if categories == {"elderly"}:
        return "pop_60plus"
    if categories == {"child"}:
        return "pop_0_3"
    return "pop_total"


OPEN_STATUSES: Final[tuple[str, ...]] = ("open", "", "运营")
"""Statuses (after stripping spaces and lower-casing) of a facility that counts as open."""


def select_facilities(facilities: pd.DataFrame, types: str | Iterable[str]) -> pd.DataFrame:
    """The open facilities of the given types, with a fresh 0..n-1 index.

    A missing or blank ``status`` counts as open; ``planned`` and ``closed`` are left out.
    """
    codes = parse_types(types)
    _require(facilities, ("facility_id", "type", "lon", "lat"), "facilities")
    keep = facilities["type"].isin(codes)
    if "status" in facilities.columns:
        is_open = facilities["status"].isin(OPEN_STATUSES)
        if not bool(is_open.all()):  # only then tidied (blank, spaces, capitals) and looked at again
            status = facilities["status"].fillna("").astype(str).str.strip().str.lower()
            is_open = status.isin(OPEN_STATUSES)
        keep &= is_open
    if bool(keep.all()) and _is_positional(facilities.index):
        # Already the open facilities of the types (as each step of a report passes them on): a
        # shallow copy, not a take of every column.
        return facilities.copy(deep=False)
    return facilities.loc[keep].reset_index(drop=True)


def _is_positional(index: pd.Index) -> bool:
    """Whether ``index`` is 0, 1, …, n − 1 as a range (what ``reset_index(drop=True)`` gives)."""
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


def _lonlat(df: pd.DataFrame) -> FloatArray:
    return df[["lon", "lat"]].to_numpy(dtype=np.float64)


def _tier_column(tier_min: float) -> str:
    return f"covered_{tier_min:g}"


# ---------------------------------------------------------------------------------------------------
# Nearest facility per cell


def cell_access(
    cells: pd.DataFrame,
    facilities: pd.DataFrame,
    model: TravelModel,
    *,
    types: str | Iterable[str],
    budget_min: float,
    tiers_min: Sequence[float] = (5, 10, 15),
    horizon_min: float | None = None,
) -> pd.DataFrame:
    """Minutes from each demand cell to the nearest open facility of the given types.

    Parameters
    ----------
    cells
        Demand cells with at least ``cell_id, lon, lat`` (WGS84 degrees).
    facilities
        Facility table (the facility CSV columns); only open facilities of ``types`` count.
    model
        The travel model (straight-line or network).
    types
        Facility type codes (or Chinese labels), a list or a comma-separated string.
    budget_min
        The coverage budget in minutes: ``covered`` is ``minutes <= budget_min``.
    tiers_min
        Further budgets, each giving a ``covered_<t>`` column (``covered_5``, ``covered_10`` …).
    horizon_min
        How far to search for the nearest facility (default: the largest of the budget and the tiers);
        cells with nothing within it get ``inf`` minutes.

    Returns
    -------
    pandas.DataFrame
        Same index and order as ``cells``: ``cell_id``, ``minutes`` (float, ``inf`` when none within the
        horizon), ``facility_id`` (nearest, ``None`` when none), ``covered``, one ``covered_<t>`` per tier
        and, when the model explains unreachable cells, ``reason``. ``attrs`` holds ``types``,
        ``budget_min``, ``tiers_min`` and the ``model`` description.
    """
    _require(cells, ("cell_id", "lon", "lat"), "cells")
    budget = check_budget(budget_min)
    tiers = sorted({check_budget(t) for t in tiers_min})
    codes = parse_types(types)
    chosen = select_facilities(facilities, codes)
    horizon = max([budget, *tiers, check_budget(horizon_min) if horizon_min is not None else 0.0])
    result = model.nearest(_lonlat(chosen), _lonlat(cells), budget_min=horizon)
    return _access_frame(cells, chosen, result, model, codes=codes, budget=budget, tiers=tiers)


def _access_frame(
    cells: pd.DataFrame,
    chosen: pd.DataFrame,
    result: NearestResult,
    model: TravelModel,
    *,
    codes: list[str],
    budget: float,
    tiers: list[float],
) -> pd.DataFrame:
    """The :func:`cell_access` frame of a nearest-facility answer (``chosen`` as the origins)."""
    # ExtensionArray.take fills -1 with NA without a round trip through Python objects.
    ids = pd.array(chosen["facility_id"].astype(str).to_numpy(), dtype="str")
    nearest_id = ids.take(result.origin, allow_fill=True)
    out = pd.DataFrame(
        {
            "cell_id": cells["cell_id"].array,
            "minutes": result.minutes.astype(np.float64),
            "facility_id": nearest_id,
            "covered": result.minutes <= budget,
        },
        index=cells.index,
    )
    for tier in tiers:
        out[_tier_column(tier)] = result.minutes <= tier
    if result.reason is not None:
        out["reason"] = result.reason
    out.attrs = {"types": codes, "budget_min": budget, "tiers_min": tiers, "model": model.describe()}
    return out


# ---------------------------------------------------------------------------------------------------
# Two-step floating catchment


def decay_weights(
    minutes: npt.ArrayLike,
    *,
    budget_min: float,
    decay: Decay = "gaussian",
    steps: Sequence[tuple[float, float]] | None = None,
) -> FloatArray:
    """Distance-decay weights of travel times within a catchment of ``budget_min`` minutes.

    * ``"gaussian"`` (Dai 2010, "Black residential segregation, disparities in spatial access to health
      care facilities, and late-stage breast cancer diagnosis in metropolitan Detroit", Health & Place
      16(5): 1038–1052): ``w(t) = (exp(-½ (t/t0)²) − exp(-½)) / (1 − exp(-½))`` for ``t ≤ t0``, 0 beyond;
      1 at the facility, falling smoothly to 0 at the catchment edge ``t0 = budget_min``.
    * ``"step"`` (Luo & Qi 2009, "An enhanced two-step floating catchment area (E2SFCA) method for
      measuring spatial accessibility to primary care physicians", Health & Place 15(4): 1100–1107):
      constant weights per travel-time zone. ``steps`` is a list of ``(upper_min, weight)`` in increasing
      ``upper_min``; a time ``t`` takes the weight of the first zone with ``t <= upper_min``. Default:
      thirds of the budget with the weights 1.00, 0.68, 0.22. ``[(budget_min, 1.0)]`` is the classic
      2SFCA of Luo & Wang (2003).

    Returns
    -------
    numpy.ndarray
        Weights in [0, 1], 0 for times beyond the catchment.
    """
    t = np.asarray(minutes, dtype=np.float64)
    t0 = check_budget(budget_min)
    if decay == "gaussian":
        if t0 == 0:
            return np.where(t <= 0, 1.0, 0.0)
        edge = math.exp(-0.5)
        w = (np.exp(-0.5 * (t / t0) ** 2) - edge) / (1.0 - edge)
        return np.where(t <= t0, np.clip(w, 0.0, 1.0), 0.0)
    if decay == "step":
        if steps is None:
            steps = [(t0 * (k + 1) / 3.0, w) for k, w in enumerate(LUO_QI_STEP_WEIGHTS)]
        uppers = np.array([float(u) for u, _ in steps])
        weights = np.array([float(w) for _, w in steps])
        if len(uppers) == 0 or np.any(np.diff(uppers) <= 0) or np.any((weights < 0) | (weights > 1)):
            msg = f"steps must be (upper_min, weight) pairs, upper_min increasing, weights in [0, 1]: {steps}"
            raise DataError(msg)
        zone = np.searchsorted(uppers, t, side="left")
        padded = np.append(weights, 0.0)
        return np.where(t <= t0, padded[np.minimum(zone, len(weights))], 0.0)
    msg = f"unknown decay {decay!r}; use 'gaussian' or 'step'"
    raise DataError(msg)


def _fca(
    cells: pd.DataFrame,
    facilities: pd.DataFrame,
    model: TravelModel,
    *,
    types: str | Iterable[str],
    budget_min: float,
    demand_col: str,
    decay: Decay,
    steps: Sequence[tuple[float, float]] | None,
    capacity_col: str,
    od: OdPairs | None = None,
) -> tuple[pd.DataFrame, FloatArray, FloatArray, FloatArray, OdPairs, FloatArray]:
    _require(cells, ("cell_id", "lon", "lat", demand_col), "cells")
    budget = check_budget(budget_min)
    chosen = select_facilities(facilities, types)
    _require(chosen, (capacity_col,), "facilities")
    demand = pd.to_numeric(cells[demand_col], errors="coerce").fillna(0.0).to_numpy(dtype=np.float64)
    if np.any(demand < 0):
        msg = f"cells: {demand_col} has negative values"
        raise DataError(msg)
    # A facility without a stated capacity offers nothing measurable: it counts as 0.
    supply = pd.to_numeric(chosen[capacity_col], errors="coerce").fillna(0.0).to_numpy(dtype=np.float64)
    supply = np.clip(supply, 0.0, None)
    # The reachable pairs in the OD matrix's order; the sums below add what the sparse products
    # ``W @ P`` and ``Wᵀ @ R`` add, in the same order (straight lines need no SciPy this way).
    if od is None:
        od = od_pairs(model, _lonlat(chosen), _lonlat(cells), budget_min=budget)
    weights = decay_weights(od.minutes, budget_min=budget, decay=decay, steps=steps)
    # Step 1: R_j = S_j / Σ_i W(t_ij) P_i over the cells within facility j's catchment.
    weighted_demand: FloatArray = np.bincount(
        od.origin, weights=weights * demand[od.target], minlength=len(chosen)
    ).astype(np.float64, copy=False)
    ratio = np.zeros(len(chosen))
    np.divide(supply, weighted_demand, out=ratio, where=weighted_demand > 0)
    return chosen, supply, weighted_demand, ratio, od, weights


def two_step_fca(
    cells: pd.DataFrame,
    facilities: pd.DataFrame,
    model: TravelModel,
    *,
    types: str | Iterable[str],
    budget_min: float,
    demand_col: str,
    decay: Decay = "gaussian",
    steps: Sequence[tuple[float, float]] | None = None,
    capacity_col: str = "capacity",
    threshold_per_1000: float | None = None,
) -> pd.DataFrame:
    """Capacity-aware accessibility per cell: two-step floating catchment with distance decay.

    Step 1, per facility ``j`` with capacity ``S_j``: ``R_j = S_j / Σ_i W(t_ij) P_i`` over the cells ``i``
    within ``budget_min`` of ``j`` (``P_i`` the demand, ``W`` the decay of :func:`decay_weights`).
    Step 2, per cell: ``A_i = Σ_j W(t_ij) R_j`` over the facilities within ``budget_min``, reported as
    capacity per 1,000 target people. Since ``Σ_i A_i P_i = Σ_j S_j`` over the facilities that reach any
    demand, the method shares out exactly the capacity there is (Luo & Wang 2003; Luo & Qi 2009;
    Dai 2010). Travel times come from ``model.od_matrix`` (its pairs, :func:`geo.travel.od_pairs`) and both steps
    are sums over the reachable pairs.

    Parameters
    ----------
    cells, facilities, model, types, budget_min
        As in :func:`cell_access`; ``budget_min`` is the catchment size.
    demand_col
        The demand of each cell, e.g. ``pop_60plus`` for beds, ``pop_0_3`` for nursery places.
    decay
        ``"gaussian"`` or ``"step"`` (see :func:`decay_weights`); ``steps`` sets the stepped zones.
    capacity_col
        Facility column with the supply (beds, places, seats); missing values count as 0.
    threshold_per_1000
        A cell within the budget of a facility but with ``access_per_1000`` below this is flagged
        ``oversubscribed``. Default: the city-wide ratio, total capacity per 1,000 of total demand.

    Returns
    -------
    pandas.DataFrame
        Same index and order as ``cells``: ``cell_id``, ``access_per_1000`` (A_i × 1000),
        ``facilities_in_reach`` (count within the budget), ``within_budget`` and ``oversubscribed``.
        ``attrs`` holds ``threshold_per_1000``, ``demand_col``, ``decay``, ``budget_min``, ``types``.
    """
    return _two_step(
        cells,
        facilities,
        model,
        types=types,
        budget_min=budget_min,
        demand_col=demand_col,
        decay=decay,
        steps=steps,
        capacity_col=capacity_col,
        threshold_per_1000=threshold_per_1000,
    )


def _two_step(
    cells: pd.DataFrame,
    facilities: pd.DataFrame,
    model: TravelModel,
    *,
    types: str | Iterable[str],
    budget_min: float,
    demand_col: str,
    decay: Decay,
    steps: Sequence[tuple[float, float]] | None,
    capacity_col: str,
    threshold_per_1000: float | None,
    od: OdPairs | None = None,
) -> pd.DataFrame:
    """:func:`two_step_fca`; with ``od``, on those origin × cell pairs instead of asking the model."""
    codes = parse_types(types)
    chosen, supply, _, ratio, od, weights = _fca(
        cells,
        facilities,
        model,
        types=codes,
        budget_min=budget_min,
        demand_col=demand_col,
        decay=decay,
        steps=steps,
        capacity_col=capacity_col,
        od=od,
    )
    # Step 2: A_i = Σ_j W(t_ij) R_j.
    access = np.bincount(od.target, weights=weights * ratio[od.origin], minlength=len(cells))
    in_reach = np.bincount(od.target, minlength=len(cells))
    demand_total = float(pd.to_numeric(cells[demand_col], errors="coerce").fillna(0.0).sum())
    if threshold_per_1000 is None:
        threshold_per_1000 = 1000.0 * supply.sum() / demand_total if demand_total > 0 else 0.0
    within = in_reach > 0
    access_per_1000 = 1000.0 * access
    out = pd.DataFrame(
        {
            "cell_id": cells["cell_id"].array,
            "access_per_1000": access_per_1000,
            "facilities_in_reach": in_reach.astype(np.int64),
            "within_budget": within,
            "oversubscribed": within & (access_per_1000 < threshold_per_1000),
        },
        index=cells.index,
    )
    out.attrs = {
        "threshold_per_1000": float(threshold_per_1000),
        "demand_col": demand_col,
        "decay": decay,
        "budget_min": float(budget_min),
        "types": codes,
        "facilities": len(chosen),
    }
    return out


def access_and_fca(
    cells: pd.DataFrame,
    facilities: pd.DataFrame,
    model: TravelModel,
    *,
    types: str | Iterable[str],
    budget_min: float,
    demand_col: str,
    decay: Decay = "gaussian",
    tiers_min: Sequence[float] = (5, 10, 15),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`cell_access` and :func:`two_step_fca` of the same cells, facilities and budget.

    The results are those of the two functions. When the model answers both from one set of
    searches (``od_matrix_and_nearest``, the road-network model) and no tier reaches beyond the
    budget, the nearest facility is read off the 2SFCA's origin × cell searches instead of a second
    pass; among equally near facilities the first of the table is then named.

    Parameters
    ----------
    cells, facilities, model, types, budget_min, tiers_min
        As in :func:`cell_access`.
    demand_col, decay
        As in :func:`two_step_fca`.

    Returns
    -------
    access, fca : pandas.DataFrame
        The :func:`cell_access` and :func:`two_step_fca` frames.
    """
    budget = check_budget(budget_min)
    tiers = sorted({check_budget(t) for t in tiers_min})
    codes = parse_types(types)
    both = getattr(model, "od_matrix_and_nearest", None)
    if both is None or max([budget, *tiers]) > budget:
        access = cell_access(cells, facilities, model, types=codes, budget_min=budget, tiers_min=tiers)
        fca = two_step_fca(
            cells, facilities, model, types=codes, budget_min=budget, demand_col=demand_col, decay=decay
        )
        return access, fca
    _require(cells, ("cell_id", "lon", "lat", demand_col), "cells")
    chosen = select_facilities(facilities, codes)
    matrix, nearest = both(_lonlat(chosen), _lonlat(cells), budget_min=budget)
    access = _access_frame(cells, chosen, nearest, model, codes=codes, budget=budget, tiers=tiers)
    fca = _two_step(
        cells,
        facilities,
        model,
        types=codes,
        budget_min=budget,
        demand_col=demand_col,
        decay=decay,
        steps=None,
        capacity_col="capacity",
        threshold_per_1000=None,
        od=pairs_of_matrix(matrix),
    )
    return access, fca


def facility_supply_ratios(
    cells: pd.DataFrame,
    facilities: pd.DataFrame,
    model: TravelModel,
    *,
    types: str | Iterable[str],
    budget_min: float,
    demand_col: str,
    decay: Decay = "gaussian",
    steps: Sequence[tuple[float, float]] | None = None,
    capacity_col: str = "capacity",
) -> pd.DataFrame:
    """Step 1 of :func:`two_step_fca` per facility: the supply-to-demand ratio ``R_j``.

    Returns
    -------
    pandas.DataFrame
        One row per open facility of ``types``: ``facility_id``, ``capacity`` (supply used),
        ``weighted_demand`` (Σ_i W(t_ij) P_i, people), ``ratio_per_1000`` (R_j × 1000, capacity per 1,000
        people in its catchment; 0 when it reaches nobody) and ``reaches_demand``.
    """
    chosen, supply, weighted_demand, ratio, _, _ = _fca(
        cells,
        facilities,
        model,
        types=types,
        budget_min=budget_min,
        demand_col=demand_col,
        decay=decay,
        steps=steps,
        capacity_col=capacity_col,
    )
    return pd.DataFrame(
        {
            "facility_id": chosen["facility_id"].astype(str).to_numpy(),
            "capacity": supply,
            "weighted_demand": weighted_demand,
            "ratio_per_1000": 1000.0 * ratio,
            "reaches_demand": weighted_demand > 0,
        }
    )


# ---------------------------------------------------------------------------------------------------
# Per-area tables


def _aligned(cells: pd.DataFrame, frame: pd.DataFrame, what: str) -> pd.DataFrame:
    """``frame`` (one row per cell, with cell_id) in the order of ``cells``."""
    _require(frame, ("cell_id",), what)
    if len(frame) == len(cells):
        # Compared as Series (vectorised for Arrow strings; no 200,000-element object arrays).
        same = frame["cell_id"].reset_index(drop=True) == cells["cell_id"].reset_index(drop=True)
        if bool(np.asarray(same, dtype=bool).all()):
            return frame.reset_index(drop=True)
    indexed = frame.drop_duplicates("cell_id").set_index("cell_id")
    missing = ~cells["cell_id"].isin(indexed.index)
    if missing.any():
        msg = f"{what}: no row for cell {cells['cell_id'][missing].iloc[0]!r}"
        raise DataError(msg)
    return indexed.loc[cells["cell_id"].to_numpy()].reset_index()


def _township_codes_of_cells(cells: pd.DataFrame) -> pd.Series:
    if "township_code" not in cells.columns:
        msg = "cells: no township_code column, so a table by township cannot be made"
        raise DataError(msg)
    return _code_text(cells["township_code"])


def _code_text(values: pd.Series) -> pd.Series:
    """Codes as text without a trailing '.0' ('' for missing), so 150602001 and '150602001' agree."""
    if pd.api.types.is_string_dtype(values.dtype) and not pd.api.types.is_object_dtype(values.dtype):
        # A string column (200,000 cells): strip at once; missing values become the unknown code.
        return values.str.strip().astype(object).where(values.notna(), UNKNOWN_TOWNSHIP)

    def one(v: object) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
            return UNKNOWN_TOWNSHIP
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).strip()

    # One conversion per distinct code (a city has hundreds of townships and many thousands of cells).
    positions, distinct = pd.factorize(values, use_na_sentinel=True)
    texts = np.array([*(one(v) for v in distinct), UNKNOWN_TOWNSHIP], dtype=object)
    return pd.Series(texts[positions], index=values.index, name=values.name, dtype=object)


def facility_townships(
    facilities: pd.DataFrame, cells: pd.DataFrame, *, townships: pd.DataFrame | None = None
) -> pd.Series:
    """The township code of each facility.

    The facility's ``township`` text is matched to a township name (within its district when the
    name is not unique) of ``townships`` (columns ``code, name, adcode``). Facilities whose name does not
    match take the township of the nearest demand cell (metric distance).
    """
    codes = pd.Series(UNKNOWN_TOWNSHIP, index=facilities.index, dtype=object)
    if len(facilities) == 0:
        return codes
    if townships is not None and "township" in facilities.columns:
        table = townships.assign(
            code=_code_text(townships["code"]), name=townships["name"].astype(str).str.strip()
        )
        by_pair = {
            (int(a), n): c for a, n, c in zip(table["adcode"], table["name"], table["code"], strict=True)
        }
        unique_names = table.drop_duplicates("name", keep=False)
        by_name = dict(zip(unique_names["name"], unique_names["code"], strict=True))
        names = facilities["township"].fillna("").astype(str).str.strip()
        adcodes = (
            pd.to_numeric(facilities["district_adcode"], errors="coerce")
            if "district_adcode" in facilities.columns
            else pd.Series(np.nan, index=facilities.index)
        )
        for idx, name, adcode in zip(facilities.index, names, adcodes, strict=True):
            if not name:
                continue
            code = by_pair.get((int(adcode), name)) if pd.notna(adcode) else None
            codes[idx] = code or by_name.get(name, UNKNOWN_TOWNSHIP)
    todo = codes == UNKNOWN_TOWNSHIP
    cell_codes = _township_codes_of_cells(cells)
    known = (cell_codes != UNKNOWN_TOWNSHIP).to_numpy()
    if todo.any() and known.any():
        from scipy.spatial import cKDTree

        cx, cy = to_metric(cells["lon"].to_numpy()[known], cells["lat"].to_numpy()[known])
        fx, fy = to_metric(facilities.loc[todo, "lon"].to_numpy(), facilities.loc[todo, "lat"].to_numpy())
        _, idx = cKDTree(np.column_stack([np.atleast_1d(cx), np.atleast_1d(cy)])).query(
            np.column_stack([np.atleast_1d(fx), np.atleast_1d(fy)])
        )
        codes[todo] = cell_codes.to_numpy()[known][idx]
    return codes


def _capacity_units(facilities: pd.DataFrame) -> npt.NDArray[np.str_]:
    """Each facility's capacity unit: its ``capacity_unit``, else its type's usual unit."""
    usual = facilities["type"].map({code: kind.capacity_unit for code, kind in FACILITY_TYPES.items()})
    if "capacity_unit" not in facilities.columns:
        return usual.to_numpy(dtype=str)
    given = facilities["capacity_unit"].fillna("").astype(str).str.strip()
    return given.where(given != "", usual).to_numpy(dtype=str)


def _derive(frame: pd.DataFrame, *, categories: set[str], target: str | None) -> pd.DataFrame:
    """Shares and per-1,000 figures recomputed from the summed columns (rows and totals alike)."""

    def col(name: str) -> npt.NDArray[np.float64]:
        return frame[name].to_numpy(dtype=np.float64)

    def ratio(numerator: npt.NDArray[np.float64], denominator: npt.NDArray[np.float64]) -> FloatArray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(denominator > 0, numerator / denominator, np.nan)

    new: dict[str, Any] = {}
    for g in GROUPS:
        new[f"{g}_covered_share"] = ratio(col(f"{g}_covered"), col(g))
    if "elderly" in categories:
        new["beds_per_1000_60plus"] = ratio(1000.0 * col("beds"), col("pop_60plus"))
    if "child" in categories:
        new["places_per_1000_residents"] = ratio(1000.0 * col("child_places"), col("pop_total"))
        new["places_per_1000_target_national"] = np.full(len(frame), NATIONAL_NURSERY_PLACES_PER_1000)
        new["places_per_1000_ordos_2024"] = np.full(len(frame), ORDOS_NURSERY_PLACES_PER_1000)
    if target is not None:
        new[f"{target}_access_per_1000"] = ratio(col("_access_x_demand"), col(target))
    # One concatenation instead of a column insert per figure (each insert copies the frame's blocks).
    return pd.concat([frame, pd.DataFrame(new, index=frame.index)], axis=1)


def _ordered_columns(frame: pd.DataFrame, keys: Sequence[str], target: str | None) -> list[str]:
    cols = list(keys)
    for g in GROUPS:
        cols += [g, f"{g}_covered", f"{g}_covered_share"]
    cols += ["facilities", "capacity"]
    cols += [
        c
        for c in (
            "beds",
            "child_places",
            "beds_per_1000_60plus",
            "places_per_1000_residents",
            "places_per_1000_target_national",
            "places_per_1000_ordos_2024",
        )
        if c in frame.columns
    ]
    if target is not None:
        cols += [f"{target}_oversubscribed", f"{target}_access_per_1000"]
    return cols


@dataclass(frozen=True)
class AreaKeys:
    """The rows of an area table and the row of each demand cell (:func:`area_keys`).

    They depend on the cells and the area names only, not on the facilities or the controls.
    """

    by: AreaGrain
    codes: np.ndarray
    """Row keys in table order: district adcodes (int64) or township code texts."""
    cell_row: npt.NDArray[np.int64]
    """The row of each cell."""
    names: np.ndarray
    """The name of each row ('' when not named)."""
    parents: FloatArray
    """Township rows: the adcode of the district the township lies in (NaN when not known)."""

    def rows_of(self, codes: np.ndarray) -> npt.NDArray[np.int64]:
        """The rows of ``codes``, which must all be rows (see :meth:`with_codes`)."""
        if self.by == "district":
            return np.searchsorted(self.codes, np.asarray(codes, dtype=np.int64)).astype(np.int64)
        row = {c: i for i, c in enumerate(self.codes.tolist())}
        return np.array([row[c] for c in codes], dtype=np.int64)

    def with_codes(self, codes: np.ndarray) -> AreaKeys:
        """These keys with rows added for ``codes`` that have none (unnamed, with no cells)."""
        extra = sorted(set(codes.tolist()) - set(self.codes.tolist()))
        if not extra:
            return self
        merged = np.array(sorted([*self.codes.tolist(), *extra]), dtype=self.codes.dtype)
        old = AreaKeys(self.by, merged, self.cell_row, self.names, self.parents).rows_of(self.codes)
        names = np.full(len(merged), "", dtype=object)
        names[old] = self.names
        parents = np.full(len(merged), np.nan)
        parents[old] = self.parents
        if self.by == "township":
            new = np.setdiff1d(np.arange(len(merged)), old)
            parents[new] = [_district_of_code(c) for c in merged[new]]
        return AreaKeys(self.by, merged, old[self.cell_row], names, parents)


def _district_of_code(code: str) -> float:
    """The district adcode a township statistics code starts with (NaN when it does not)."""
    return float(code[:6]) if len(code) >= 6 and code[:6].isdigit() else math.nan


def area_keys(
    cells: pd.DataFrame, *, by: AreaGrain = "district", names: pd.DataFrame | None = None
) -> AreaKeys:
    """The rows of :func:`area_table` ``by`` district or township and the row of each cell.

    Every area of ``cells`` and of ``names`` (as in :func:`area_table`) is a row, in ascending order of
    its key. A township row takes its district from ``names``, else the most frequent district of its
    cells (the smallest adcode on a tie), else the first six digits of its code; the row of cells with
    no known township has none and is named "未知乡镇 / township unknown".
    """
    if by == "district":
        cell_codes = cells["adcode"].astype(np.int64).to_numpy()
        named = names["adcode"].astype(np.int64).to_numpy() if names is not None else np.empty(0, np.int64)
        codes: np.ndarray = np.union1d(pd.unique(cell_codes), named)
        cell_row = np.searchsorted(codes, cell_codes).astype(np.int64)
        row_names = np.full(len(codes), "", dtype=object)
        if names is not None:
            first = ~pd.Series(named).duplicated().to_numpy()
            row_names[np.searchsorted(codes, named[first])] = names["name"].astype(str).to_numpy()[first]
        return AreaKeys(by, codes, cell_row, row_names, np.full(len(codes), np.nan))
    if by != "township":
        msg = f"by must be 'district' or 'township', got {by!r}"
        raise DataError(msg)
    positions, distinct = pd.factorize(_township_codes_of_cells(cells).to_numpy())
    named_codes = _code_text(names["code"]).tolist() if names is not None else []
    codes = np.array(sorted({*distinct.tolist(), *named_codes}), dtype=object)
    row = {c: i for i, c in enumerate(codes.tolist())}
    cell_row = np.array([row[c] for c in distinct.tolist()], dtype=np.int64)[positions]
    row_names = np.full(len(codes), "", dtype=object)
    parents = np.full(len(codes), np.nan)
    # The most frequent district of each township's cells, the smallest adcode on a tie.
    adcodes = cells["adcode"].astype(np.int64).to_numpy()
    pairs, n_cells = np.unique(np.column_stack([cell_row, adcodes]), axis=0, return_counts=True)
    order = np.lexsort((pairs[:, 1], -n_cells, pairs[:, 0]))
    first_of_row = order[np.r_[True, pairs[order][1:, 0] != pairs[order][:-1, 0]]] if len(order) else order
    parents[pairs[first_of_row, 0]] = pairs[first_of_row, 1]
    for i in np.flatnonzero(np.isnan(parents)).tolist():
        parents[i] = _district_of_code(codes[i])
    if names is not None:
        named_rows = np.array([row[c] for c in named_codes], dtype=np.int64)
        first = ~pd.Series(named_rows).duplicated().to_numpy()
        row_names[named_rows[first]] = names["name"].astype(str).to_numpy()[first]
        named_adcodes = pd.to_numeric(names["adcode"], errors="coerce").to_numpy(dtype=np.float64)[first]
        known = ~np.isnan(named_adcodes)
        parents[named_rows[first][known]] = named_adcodes[known]
    unknown = row.get(UNKNOWN_TOWNSHIP)
    if unknown is not None:
        row_names[unknown] = "未知乡镇 / township unknown"
        parents[unknown] = np.nan
    return AreaKeys(by, codes, cell_row, row_names, parents)


def area_table(
    cells: pd.DataFrame,
    access: pd.DataFrame,
    facilities: pd.DataFrame,
    *,
    by: AreaGrain = "district",
    types: str | Iterable[str] | None = None,
    names: pd.DataFrame | None = None,
    fca: pd.DataFrame | None = None,
    keys: AreaKeys | None = None,
    facility_codes: pd.Series | None = None,
) -> pd.DataFrame:
    """Coverage per district (banner) or per township, with rows that add up to the city.

    Parameters
    ----------
    cells
        Demand cells: ``cell_id, lon, lat, adcode, pop_total, pop_60plus, pop_0_3`` and, for
        ``by="township"``, ``township_code`` (missing codes form a row with an empty code).
    access
        The result of :func:`cell_access` for these cells.
    facilities
        Facility table; the open facilities of ``types`` are counted and their capacity summed per area
        (by ``district_adcode``, or by township as :func:`facility_townships` assigns them).
    by
        ``"district"`` (rows keyed by ``adcode``) or ``"township"`` (``township_code`` and its ``adcode``).
    types
        Facility types; default ``access.attrs["types"]``.
    names
        Area names: for districts ``adcode, name`` (e.g. :func:`geo.io.read_districts`), for townships
        ``code, name, adcode`` (:func:`geo.io.read_townships`). Every area listed gets a row, with zeros
        where it has no cells. Without it names are empty.
    fca
        Optional :func:`two_step_fca` result; adds ``<target>_oversubscribed`` (target people within the
        budget but in cells below the threshold) and ``<target>_access_per_1000`` (demand-weighted mean).
    keys
        Optional :func:`area_keys` of ``cells``, ``by`` and ``names``: they do not change with the
        facilities or the controls, so a caller drawing many tables of the same cells keeps them.
    facility_codes
        Optional, by township: :func:`facility_townships` of the open facilities of ``types``, in the
        order :func:`select_facilities` gives them (a caller keeps them per set of facilities).

    Returns
    -------
    pandas.DataFrame
        One row per area: keys, ``name``, for each group ``g`` of :data:`GROUPS` the columns ``g``,
        ``g_covered`` and ``g_covered_share`` (NaN when the area has nobody in the group), ``facilities``,
        ``capacity``, and capacity per 1,000: ``beds_per_1000_60plus`` for elderly types,
        ``places_per_1000_residents`` with the national target and the city's 2024 figure for child types.
        :func:`area_totals` gives the city row.
    """
    _require(cells, CELL_COLUMNS, "cells")
    if keys is None:
        keys = area_keys(cells, by=by, names=names)
    elif keys.by != by or len(keys.cell_row) != len(cells):
        msg = f"area keys of {len(keys.cell_row)} cells by {keys.by} given for {len(cells)} cells by {by}"
        raise DataError(msg)
    acc = _aligned(cells, access, "access")
    codes = parse_types(types if types is not None else access.attrs.get("types", ()))
    categories = {FACILITY_TYPES[t].category for t in codes}
    chosen = select_facilities(facilities, codes)
    capacity = (
        pd.to_numeric(chosen["capacity"], errors="coerce").fillna(0.0).to_numpy(dtype=np.float64)
        if "capacity" in chosen.columns
        else np.zeros(len(chosen))
    )
    if by == "district":
        fac_codes: np.ndarray = (
            pd.to_numeric(chosen["district_adcode"], errors="coerce").fillna(-1).astype(np.int64).to_numpy()
        )
    elif facility_codes is not None:
        if len(facility_codes) != len(chosen):
            msg = f"{len(facility_codes)} facility township codes given for {len(chosen)} facilities"
            raise DataError(msg)
        fac_codes = facility_codes.to_numpy()
    else:
        fac_codes = facility_townships(chosen, cells, townships=names).to_numpy()
    keys = keys.with_codes(fac_codes)
    n_rows = len(keys.codes)

    def per_row(rows: npt.NDArray[np.int64], weights: FloatArray | None = None) -> FloatArray:
        return np.bincount(rows, weights=weights, minlength=n_rows).astype(np.float64)

    sums: dict[str, Any] = {}
    covered = acc["covered"].to_numpy(dtype=bool)
    for g in GROUPS:
        people = cells[g].to_numpy(dtype=np.float64)
        sums[g] = per_row(keys.cell_row, people)
        sums[f"{g}_covered"] = per_row(keys.cell_row, np.where(covered, people, 0.0))
    target: str | None = None
    if fca is not None:
        target = str(fca.attrs.get("demand_col", "pop_total"))
        f = _aligned(cells, fca, "fca")
        demand = cells[target].to_numpy(dtype=np.float64)
        over = np.where(f["oversubscribed"].to_numpy(dtype=bool), demand, 0.0)
        sums[f"{target}_oversubscribed"] = per_row(keys.cell_row, over)
        sums["_access_x_demand"] = per_row(
            keys.cell_row, f["access_per_1000"].to_numpy(dtype=np.float64) * demand
        )
    # People are counted in whole persons.
    counts = [*GROUPS, *(f"{g}_covered" for g in GROUPS)]
    if target is not None:
        counts.append(f"{target}_oversubscribed")
    for c in counts:
        sums[c] = np.round(sums[c]).astype(np.int64)
    fac_row = keys.rows_of(fac_codes)
    sums["facilities"] = np.bincount(fac_row, minlength=n_rows).astype(np.int64)
    sums["capacity"] = per_row(fac_row, capacity)
    # Capacity per 1,000 counts like with like: beds for the 60+, children's places for residents
    # (a canteen's seats are capacity but not beds).
    units = _capacity_units(chosen)
    child = np.array([FACILITY_TYPES[t].category == "child" for t in chosen["type"]], dtype=bool)
    if "elderly" in categories:
        sums["beds"] = per_row(fac_row, np.where(units == "beds", capacity, 0.0))
    if "child" in categories:
        sums["child_places"] = per_row(fac_row, np.where((units == "places") & child, capacity, 0.0))

    key_col = "adcode" if by == "district" else "township_code"
    columns: dict[str, Any] = {key_col: keys.codes, **sums, "name": keys.names}
    out_keys = [key_col]
    if by == "township":
        columns["adcode"] = pd.Series(keys.parents).astype("Int64").array
        out_keys.append("adcode")
    table = _derive(pd.DataFrame(columns), categories=categories, target=target)
    table.attrs = {"by": by, "types": codes, "target": target, "categories": sorted(categories)}
    return table[_ordered_columns(table, [*out_keys, "name"], target)]


def area_totals(table: pd.DataFrame, *, fca_target: str | None = None) -> dict[str, Any]:
    """The city row of an :func:`area_table`: counts summed over the rows, shares recomputed.

    The covered shares and per-1,000 figures are ratios of the summed counts, not averages of the rows.
    The demand-weighted 2SFCA access needs the per-cell values, so it is recomputed from the rows'
    access × demand (``<target>_access_per_1000`` × ``<target>``).
    """
    target = fca_target or table.attrs.get("target")
    categories = set(table.attrs.get("categories", ()))
    if not categories:
        categories = {"elderly"} if "beds_per_1000_60plus" in table.columns else set()
        if "places_per_1000_residents" in table.columns:
            categories.add("child")
    sum_cols = [*GROUPS, *(f"{g}_covered" for g in GROUPS), "facilities", "capacity"]
    sum_cols += [c for c in ("beds", "child_places") if c in table.columns]
    row: dict[str, Any] = {c: table[c].sum() for c in sum_cols}
    if target is not None and f"{target}_oversubscribed" in table.columns:
        row[f"{target}_oversubscribed"] = table[f"{target}_oversubscribed"].sum()
        row["_access_x_demand"] = (table[f"{target}_access_per_1000"].fillna(0.0) * table[target]).sum()
    else:
        target = None
    frame = _derive(pd.DataFrame([row]), categories=categories, target=target)
    frame.insert(0, "name", "全市 / city total")
    cols = [c for c in _ordered_columns(frame, ["name"], target) if c in frame.columns]
    return {str(k): _json_value(v) for k, v in frame[cols].iloc[0].items()}


# ---------------------------------------------------------------------------------------------------
# Gaps


def gap_list(
    cells: pd.DataFrame,
    access: pd.DataFrame,
    *,
    target: str = "pop_total",
    top: int | None = None,
    districts: pd.DataFrame | None = None,
    townships: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Uncovered demand cells, the most target people first.

    Parameters
    ----------
    cells, access
        Demand cells and their :func:`cell_access` result.
    target
        ``pop_total``, ``pop_60plus`` or ``pop_0_3`` (or ``total``, ``60plus``, ``0_3``).
    top
        Keep only the first ``top`` rows.
    districts, townships
        Optional name tables (``adcode, name``; ``code, name``) for the district and township columns.

    Returns
    -------
    pandas.DataFrame
        ``rank, cell_id, lon, lat, adcode, district, township_code, township, settlement, <target>,
        pop_total, minutes, facility_id``: cells not covered at the budget with at least one target person,
        sorted by target population (descending), then by minutes (farthest first). ``minutes`` is the
        time to the nearest facility, ``inf`` when none is within the search horizon.
    """
    col = parse_target(target)
    _require(cells, ("cell_id", "lon", "lat", "adcode", col, "pop_total"), "cells")
    acc = _aligned(cells, access, "access")
    wanted = cells[col].to_numpy(dtype=np.float64)
    minutes = acc["minutes"].to_numpy(dtype=np.float64)
    rows = np.flatnonzero(~acc["covered"].to_numpy(dtype=bool) & (wanted > 0))
    if top is not None and len(rows) > top:
        # Only the rows that can make the top (ties at the cut included) are tabled and sorted below.
        by_key = rows[np.lexsort((-minutes[rows], -wanted[rows]))]
        cut = by_key[int(top) - 1] if top > 0 else by_key[0]
        rows = rows[
            (wanted[rows] > wanted[cut]) | ((wanted[rows] == wanted[cut]) & (minutes[rows] >= minutes[cut]))
        ]

    def taken(column: pd.Series) -> Any:
        # The rows of a whole column, typed as the whole column is (not as the few rows taken are).
        return column.array[rows]

    gaps = pd.DataFrame(
        {
            "cell_id": taken(cells["cell_id"]),
            "lon": cells["lon"].to_numpy(dtype=np.float64)[rows],
            "lat": cells["lat"].to_numpy(dtype=np.float64)[rows],
            "adcode": taken(cells["adcode"]),
            "township_code": _code_text(pd.Series(taken(cells["township_code"]))).to_numpy()
            if "township_code" in cells.columns
            else UNKNOWN_TOWNSHIP,
            "settlement": taken(cells["settlement"]) if "settlement" in cells.columns else "",
            col: taken(cells[col]),
            "pop_total": taken(cells["pop_total"]),
            "minutes": minutes[rows],
            "facility_id": taken(acc["facility_id"]),
        }
    )
    gaps = gaps.sort_values([col, "minutes", "cell_id"], ascending=[False, False, True], kind="mergesort")
    if top is not None:
        gaps = gaps.head(int(top))
    district_names = (
        dict(zip(districts["adcode"].astype(np.int64), districts["name"].astype(str), strict=True))
        if districts is not None
        else {}
    )
    township_names = (
        dict(zip(_code_text(townships["code"]), townships["name"].astype(str), strict=True))
        if townships is not None
        else {}
    )
    gaps = gaps.reset_index(drop=True)
    gaps.insert(0, "rank", np.arange(1, len(gaps) + 1))
    gaps.insert(5, "district", gaps["adcode"].map(lambda a: district_names.get(int(a), "")).astype(str))
    gaps.insert(7, "township", gaps["township_code"].map(lambda c: township_names.get(c, "")).astype(str))
    return gaps


# ---------------------------------------------------------------------------------------------------
# Report


def _json_value(value: Any) -> Any:
    """Plain JSON values: numpy scalars to Python, NaN and infinities to None, whole floats kept float."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer | int):
        return int(value)
    if isinstance(value, np.floating | float):
        f = float(value)
        return f if math.isfinite(f) else None
    return value


def table_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a table as JSON-ready dicts (see :func:`_json_value`)."""
    return [{str(k): _json_value(v) for k, v in rec.items()} for rec in table.to_dict(orient="records")]


def coverage_report(
    cells: pd.DataFrame,
    facilities: pd.DataFrame,
    model: TravelModel,
    *,
    types: str | Iterable[str],
    budget_min: float,
    by: AreaGrain = "district",
    names: pd.DataFrame | None = None,
    target: str | None = None,
    decay: Decay = "gaussian",
) -> dict[str, Any]:
    """The output of ``python -m geo coverage --format json`` (DESIGN.md, "Output shapes").

    Returns
    -------
    dict
        ``{"model": {name, mode, speed_m_per_min, detour_factor | network_sha256, …, "minutes"},
        "rows": [...], "totals": {...}}``. Rows are :func:`area_table` rows with capacity-aware columns
        for ``target`` (default: :func:`default_target` of the types) from :func:`two_step_fca`; totals
        are :func:`area_totals`.
    """
    codes = parse_types(types)
    budget = check_budget(budget_min)
    demand_col = parse_target(target) if target is not None else default_target(codes)
    # The report counts the people covered at the budget, nothing at other tiers: the nearest
    # facility is searched only as far as the budget, so on a network one set of searches answers
    # both the coverage and the 2SFCA. The open facilities of the types are picked once for all steps.
    facilities = select_facilities(facilities, codes)
    access, fca = access_and_fca(
        cells,
        facilities,
        model,
        types=codes,
        budget_min=budget,
        demand_col=demand_col,
        decay=decay,
        tiers_min=(),
    )
    table = area_table(cells, access, facilities, by=by, types=codes, names=names, fca=fca)
    return {
        "model": {**model.describe(), "minutes": _json_value(budget)},
        "rows": table_records(table),
        "totals": area_totals(table),
    }
