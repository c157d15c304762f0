"""Where to build next: new-site suggestions from a travel-time matrix.

The optimisation core takes only matrices and vectors, like spopt's ``from_cost_matrix``:
travel minutes from every candidate site to every demand cell, the people in each cell,
a time budget and which cells existing facilities already cover. Where the minutes come
from (straight line with a detour factor, or a road network) is ``geo.travel``'s business.

Models
------
* Maximal covering location problem (MCLP, Church & ReVelle 1974): choose ``n_sites`` new
  sites so that the most not-yet-covered people are within ``budget_min`` of one of them.
  :func:`greedy_mclp` (at least ``1 - 1/e`` of the optimum, usually within a few per cent)
  and :func:`exact_mclp` (integer program through PuLP with HiGHS, or CBC).
* Capacitated MCLP (``exact_mclp(..., capacitated=True)`` and :func:`greedy_capacitated_mclp`):
  each new site serves at most its capacity; a cell's people may be split between sites.
* Location set covering (LSCP, partial): :func:`lscp` finds the fewest new sites so that the
  covered share of all people reaches a target; :func:`greedy_lscp` gives an upper bound.

Units: travel times and budgets in minutes, demand and capacity in people (of the target
group: all residents, people aged 60+ or children aged 0-3), shares as fractions 0-1.
Demand already covered by existing facilities is kept: it counts in the cumulative covered
totals and shares but never as a gain of a new site.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse

from geo.errors import DataError
from geo.siting_candidates import ORDOS_TMERC_PROJ, candidate_mask, candidates_from_cells
from geo.siting_problem import SitingProblem, SitingResult, _check_n_sites
from geo.siting_solve import exact_mclp, greedy_capacitated_mclp, greedy_lscp, greedy_mclp, lscp
from geo.travel import TravelModel

__all__ = [
    "ORDOS_TMERC_PROJ",
    "SitingProblem",
    "SitingResult",
    "Suggestion",
    "candidate_mask",
    "candidates_from_cells",
    "exact_mclp",
    "greedy_capacitated_mclp",
    "greedy_lscp",
    "greedy_mclp",
    "lscp",
    "suggest_sites",
]


# --------------------------------------------------------------------------------------------
# Adapter: demand cells, facilities and a travel model -> suggestions


@dataclass(frozen=True)
class Suggestion:
    """New-site suggestions for one facility type, ready for the ``suggest`` outputs.

    Attributes
    ----------
    table : pandas.DataFrame
        DESIGN.md's ``suggest`` columns (see :meth:`SitingResult.to_frame`).
    result : SitingResult
        The solver's answer (status, gap, runtime, note).
    candidates : pandas.DataFrame
        The candidate sites (``lon, lat, district_adcode, township, township_code, cell_id``), in
        the column order of the cost matrix.
    problem : SitingProblem
        The instance solved (sparse cost matrix: demand cells × candidates).
    settings : dict
        ``facility_type, n_new, budget_min, target, solver, min_separation_m, n_candidates,
        n_existing``: what was asked, for reports and file headers.
    """

    table: pd.DataFrame
    result: SitingResult
    candidates: pd.DataFrame
    problem: SitingProblem
    settings: dict[str, object]


def suggest_sites(
    cells: pd.DataFrame,
    facilities: pd.DataFrame,
    model: TravelModel,
    *,
    facility_type: str,
    n_new: int,
    budget_min: float,
    target: str = "pop_total",
    solver: Literal["greedy", "exact"] = "greedy",
    time_limit_s: float = 30.0,
    min_separation_m: float = 0.0,
    townships: pd.DataFrame | None = None,
) -> Suggestion:
    """Where the next ``n_new`` facilities of a type cover the most target people in time.

    Candidates are the centres of the populated demand cells, less those within
    ``min_separation_m`` (straight line) of an open facility of the same type. Cells within
    ``budget_min`` of an open facility of the type count as covered already. The cost matrix
    comes from ``model.od_matrix`` and stays sparse (cells × candidates, reachable pairs only); it
    holds the cells that can still gain (not yet covered, with target people): covered cells, which
    change no result, have no entries.

    Parameters
    ----------
    cells : pandas.DataFrame
        Demand cells: ``cell_id, lon, lat`` (WGS84), ``adcode``, the target column and
        optionally ``township_code``.
    facilities : pandas.DataFrame
        The facility table; only open facilities of ``facility_type`` count.
    model : TravelModel
        Straight-line or road-network travel model (its mode sets speed and detour).
    facility_type : str
        One type code or Chinese label.
    n_new : int
        Number of new sites wanted (>= 1).
    budget_min : float
        Time budget (minutes).
    target : {"total", "60plus", "0_3"} or a population column name
        Whose coverage to maximise.
    solver : {"greedy", "exact"}
        :func:`greedy_mclp` or :func:`exact_mclp` (HiGHS, ``time_limit_s``).
    time_limit_s : float
        Time limit of the exact solver (seconds).
    min_separation_m : float
        Leave out candidates closer than this (metres) to an open facility of the type.
    townships : pandas.DataFrame, optional
        ``code, name`` (:func:`geo.io.read_townships`) to name each site's township.

    Returns
    -------
    Suggestion

    Raises
    ------
    DataError
        For an unknown type, several types, a bad target, budget or count, or when no
        candidate is left.
    """
    from geo import coverage as cov
    from geo.crs import to_metric
    from geo.travel import check_budget

    codes = cov.parse_types(facility_type)
    if len(codes) != 1:
        msg = f"facility_type: got {facility_type!r}; expected exactly one facility type"
        raise DataError(msg)
    code = codes[0]
    column = cov.parse_target(target)
    budget = check_budget(budget_min)
    n = _check_n_sites(n_new)
    if solver not in ("greedy", "exact"):
        msg = f"solver: got {solver!r}; expected 'greedy' or 'exact'"
        raise DataError(msg)
    cov._require(cells, ("cell_id", "lon", "lat", "adcode", column), "cells")
    existing = cov.select_facilities(facilities, [code])
    access = cov.cell_access(cells, facilities, model, types=[code], budget_min=budget, tiers_min=())
    populated = cells.loc[cells["pop_total"] > 0] if "pop_total" in cells.columns else cells
    ex_x, ex_y = to_metric(existing["lon"].to_numpy(dtype=np.float64), existing["lat"].to_numpy(np.float64))
    cx, cy = to_metric(populated["lon"].to_numpy(dtype=np.float64), populated["lat"].to_numpy(np.float64))
    keep = candidate_mask(
        populated,
        np.column_stack([np.atleast_1d(ex_x), np.atleast_1d(ex_y)]).reshape(-1, 2),
        min_separation_m=float(min_separation_m),
        cells_xy_m=np.column_stack([np.atleast_1d(cx), np.atleast_1d(cy)]).reshape(-1, 2),
    )
    chosen = populated.loc[keep]
    if chosen.empty:
        msg = (
            f"min_separation_m: no candidate cell is at least {min_separation_m:g} m from an open "
            f"{code}; lower the separation"
        )
        raise DataError(msg)
    township_codes = cov._code_text(chosen["township_code"]) if "township_code" in chosen.columns else None
    names: dict[str, str] = {}
    if townships is not None:
        names = dict(zip(cov._code_text(townships["code"]), townships["name"].astype(str), strict=True))
    candidates = pd.DataFrame(
        {
            "cell_id": chosen["cell_id"].to_numpy(),
            "lon": chosen["lon"].to_numpy(dtype=np.float64),
            "lat": chosen["lat"].to_numpy(dtype=np.float64),
            "district_adcode": chosen["adcode"].to_numpy(dtype=np.int64),
            "township_code": township_codes.to_numpy() if township_codes is not None else "",
        }
    )
    candidates["township"] = candidates["township_code"].map(lambda c: names.get(c, ""))
    # Only cells that are not covered yet and hold target people can change a choice (greedy gains and
    # the exact model both count them alone), so travel times are computed to those cells only.
    covered = access["covered"].to_numpy(dtype=bool)
    demand = pd.to_numeric(cells[column], errors="coerce").fillna(0.0).to_numpy(dtype=np.float64)
    open_cells = np.flatnonzero(~covered & (demand > 0))
    od = model.od_matrix(
        candidates[["lon", "lat"]].to_numpy(),
        cells[["lon", "lat"]].to_numpy(dtype=np.float64)[open_cells],
        budget_min=budget,
    ).tocoo()
    cost = sparse.csr_array((od.data, (open_cells[od.col], od.row)), shape=(len(cells), len(candidates)))
    problem = SitingProblem.from_cost_matrix(
        cost,
        cells[column].to_numpy(dtype=np.float64),
        budget,
        covered_already=covered,
    )
    if solver == "greedy":
        result = greedy_mclp(problem, n)
    else:
        result = exact_mclp(problem, n, time_limit_s=time_limit_s)
    settings: dict[str, object] = {
        "facility_type": code,
        "n_new": n,
        "budget_min": budget,
        "target": column,
        "solver": solver,
        "min_separation_m": float(min_separation_m),
        "n_candidates": len(candidates),
        "n_existing": len(existing),
    }
    return Suggestion(result.to_frame(candidates), result, candidates, problem, settings)
