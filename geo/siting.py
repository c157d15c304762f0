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

import math
import re
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import pulp
from scipy import sparse
from scipy.spatial import cKDTree

from geo.errors import CareCircleError, CareCircleWarning, DataError
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

#: Transverse Mercator centred on Ordos (about 106.7-111.5 E): metres with < 0.1 % scale error.
ORDOS_TMERC_PROJ: Final[str] = "+proj=tmerc +lat_0=0 +lon_0=109 +k=1 +x_0=500000 +y_0=0 +ellps=WGS84 +units=m"

SolverName = Literal["highs", "cbc"]

# Relative tolerance when comparing sums of people (floating point demand).
_REL_TOL: Final[float] = 1e-9
# Rows of the dense cost matrix compared with the budget at a time (bounds temporary memory).
_CHUNK_ROWS: Final[int] = 2048
_SUGGEST_COLUMNS: Final[tuple[str, ...]] = (
    "rank",
    "lon",
    "lat",
    "district_adcode",
    "township",
    "gain",
    "cumulative_covered",
    "cumulative_share",
)


# --------------------------------------------------------------------------------------------
# Problem


@dataclass(frozen=True, eq=False)
class SitingProblem:
    """A siting instance: travel minutes, people, a time budget and existing coverage.

    Build it with :meth:`from_cost_matrix`, which converts and validates the inputs; the
    constructor validates as well, so an instance is always consistent.

    Attributes
    ----------
    cost_min : numpy.ndarray of float or scipy.sparse.csr_array, shape (n_demand, n_candidates)
        Travel time (minutes) from each candidate site (column) to each demand cell (row);
        ``np.inf`` where unreachable. Sparse matrices follow the OD-matrix convention of
        :meth:`geo.travel.TravelModel.od_matrix`: stored entries are the reachable pairs,
        absent ones are unreachable (so a whole city fits in memory).
    demand : numpy.ndarray of float, shape (n_demand,)
        Target people in each cell (all residents, 60+ or 0-3).
    budget_min : float
        Time budget (minutes): a cell is covered by a site when ``cost_min <= budget_min``.
    covered_already : numpy.ndarray of bool, shape (n_demand,)
        Cells already within the budget of an existing facility.
    capacity : numpy.ndarray of float, shape (n_candidates,), or None
        People each candidate site could serve (``np.inf`` or None: unlimited). Only the
        capacitated models read it.
    """

    cost_min: npt.NDArray[np.floating] | sparse.csr_array
    demand: npt.NDArray[np.float64]
    budget_min: float
    covered_already: npt.NDArray[np.bool_]
    capacity: npt.NDArray[np.float64] | None = None
    # Sparse coverage matrix A[i, j] = cost_min[i, j] <= budget_min, in both layouts.
    _cover_csc: sparse.csc_array = field(init=False, repr=False)
    _cover_csr: sparse.csr_array = field(init=False, repr=False)

    def __post_init__(self) -> None:
        _validate_problem(self.cost_min, self.demand, self.budget_min, self.covered_already, self.capacity)
        cover = _coverage_matrix(self.cost_min, self.budget_min)
        object.__setattr__(self, "_cover_csr", cover)
        object.__setattr__(self, "_cover_csc", cover.tocsc())

    @classmethod
    def from_cost_matrix(
        cls,
        cost_min: npt.ArrayLike,
        demand: npt.ArrayLike,
        budget_min: float,
        *,
        covered_already: npt.ArrayLike | None = None,
        capacity: npt.ArrayLike | None = None,
    ) -> SitingProblem:
        """Validate and convert arrays into a :class:`SitingProblem`.

        Parameters
        ----------
        cost_min : array_like of float or scipy sparse matrix, shape (n_demand, n_candidates)
            Travel time (minutes) from each candidate (column) to each demand cell (row);
            ``np.inf`` marks unreachable pairs. Float arrays are used without a copy. A sparse
            matrix (any scipy format) holds only the reachable pairs, as the travel models'
            ``od_matrix`` returns them transposed; it is kept sparse (CSR).
        demand : array_like of float or int, shape (n_demand,)
            Target people in each demand cell, >= 0.
        budget_min : float
            Time budget (minutes), >= 0.
        covered_already : array_like of bool, shape (n_demand,), optional
            Cells already covered by existing facilities of the same type. Default: none.
        capacity : array_like of float, shape (n_candidates,), optional
            People each candidate could serve, >= 0 (``np.inf`` allowed). Default: unlimited.

        Returns
        -------
        SitingProblem

        Raises
        ------
        DataError
            When a shape does not match, a value is NaN or negative, or all demand is zero;
            the message names the parameter, what came and what was expected.
        """
        cost_arr: np.ndarray | sparse.csr_array
        cost_arr = sparse.csr_array(cost_min) if sparse.issparse(cost_min) else np.asarray(cost_min)
        if cost_arr.dtype.kind not in "fiub":
            msg = f"cost_min: got an array of dtype {cost_arr.dtype}; expected numbers (travel minutes)"
            raise DataError(msg)
        if cost_arr.dtype.kind != "f":
            cost_arr = cost_arr.astype(np.float64)
        demand_arr = _as_float_vector(demand, "demand")
        if covered_already is None:
            covered_arr = np.zeros(demand_arr.shape[0], dtype=bool)
        else:
            covered_arr = np.asarray(covered_already)
            if covered_arr.dtype.kind not in "biu":
                msg = f"covered_already: got dtype {covered_arr.dtype}; expected booleans (True = covered)"
                raise DataError(msg)
            if covered_arr.dtype.kind != "b":
                if not np.isin(covered_arr, (0, 1)).all():
                    msg = "covered_already: got integers other than 0 and 1; expected booleans"
                    raise DataError(msg)
                covered_arr = covered_arr.astype(bool)
        capacity_arr = None if capacity is None else _as_float_vector(capacity, "capacity")
        try:
            budget = float(budget_min)
        except (TypeError, ValueError):
            msg = f"budget_min: got {budget_min!r}; expected a number of minutes"
            raise DataError(msg) from None
        return cls(cost_arr, demand_arr, budget, covered_arr, capacity_arr)

    @property
    def n_demand(self) -> int:
        """Number of demand cells (rows)."""
        return int(self.cost_min.shape[0])

    @property
    def n_candidates(self) -> int:
        """Number of candidate sites (columns)."""
        return int(self.cost_min.shape[1])

    @property
    def total_demand(self) -> float:
        """All target people in the demand cells."""
        return float(self.demand.sum())

    @property
    def baseline_covered(self) -> float:
        """People already covered by existing facilities."""
        return float(self.demand[self.covered_already].sum())

    @property
    def coverage(self) -> sparse.csc_array:
        """Boolean sparse matrix (n_demand × n_candidates): ``cost_min <= budget_min``."""
        return self._cover_csc

    def uncovered_demand(self) -> npt.NDArray[np.float64]:
        """People per cell not yet covered by existing facilities (0 where covered)."""
        return np.where(self.covered_already, 0.0, self.demand)

    def covered_people(self, sites: Sequence[int] | npt.ArrayLike) -> float:
        """People covered by existing facilities plus the given candidate sites.

        Parameters
        ----------
        sites : sequence of int
            Candidate column indices.

        Returns
        -------
        float
            Covered people (uncapacitated: a cell within the budget counts in full).
        """
        idx = np.asarray(sites, dtype=np.int64).reshape(-1)
        covered = self.covered_already.copy()
        if idx.size:
            covered |= np.asarray(self._cover_csc[:, idx].sum(axis=1)).reshape(-1) > 0
        return float(self.demand[covered].sum())


def _as_float_vector(values: npt.ArrayLike, name: str) -> npt.NDArray[np.float64]:
    arr = np.asarray(values)
    if arr.dtype.kind not in "fiub":
        msg = f"{name}: got an array of dtype {arr.dtype}; expected numbers"
        raise DataError(msg)
    return arr.astype(np.float64, copy=False)


def _validate_problem(
    cost_min: np.ndarray | sparse.csr_array,
    demand: np.ndarray,
    budget_min: float,
    covered_already: np.ndarray,
    capacity: np.ndarray | None,
) -> None:
    if not isinstance(cost_min, np.ndarray | sparse.csr_array) or cost_min.ndim != 2:
        shape = getattr(cost_min, "shape", type(cost_min).__name__)
        msg = f"cost_min: got shape {shape}; expected a 2-D array (n_demand, n_candidates) of minutes"
        raise DataError(msg)
    n_demand, n_cand = cost_min.shape
    if n_demand == 0 or n_cand == 0:
        msg = f"cost_min: got shape {cost_min.shape}; expected at least one demand cell and one candidate"
        raise DataError(msg)
    if cost_min.dtype.kind != "f":
        msg = f"cost_min: got dtype {cost_min.dtype}; expected floats (use from_cost_matrix to convert)"
        raise DataError(msg)
    if isinstance(cost_min, sparse.csr_array):
        _validate_sparse_cost(cost_min)
    for start in range(0, n_demand if isinstance(cost_min, np.ndarray) else 0, _CHUNK_ROWS):
        block = cost_min[start : start + _CHUNK_ROWS]
        if np.isnan(block).any():
            rows, cols = np.nonzero(np.isnan(block))
            msg = (
                f"cost_min: got NaN at (demand {start + rows[0]}, candidate {cols[0]}) and "
                f"{rows.size - 1} more; expected minutes >= 0 or np.inf for unreachable"
            )
            raise DataError(msg)
        if (block < 0).any():
            rows, cols = np.nonzero(block < 0)
            msg = (
                f"cost_min: got {block[rows[0], cols[0]]} at (demand {start + rows[0]}, candidate "
                f"{cols[0]}); expected minutes >= 0 or np.inf for unreachable"
            )
            raise DataError(msg)
    if not isinstance(demand, np.ndarray) or demand.shape != (n_demand,):
        shape = getattr(demand, "shape", type(demand).__name__)
        msg = f"demand: got shape {shape}; expected ({n_demand},), one value per row of cost_min"
        raise DataError(msg)
    if not np.isfinite(demand).all() or (demand < 0).any():
        bad = int(np.flatnonzero(~np.isfinite(demand) | (demand < 0))[0])
        msg = f"demand: got {demand[bad]} at cell {bad}; expected finite people counts >= 0"
        raise DataError(msg)
    if demand.sum() <= 0:
        msg = "demand: all cells have zero people; expected some target people to site for"
        raise DataError(msg)
    if not math.isfinite(budget_min) or budget_min < 0:
        msg = f"budget_min: got {budget_min}; expected a finite number of minutes >= 0"
        raise DataError(msg)
    if not isinstance(covered_already, np.ndarray) or covered_already.shape != (n_demand,):
        shape = getattr(covered_already, "shape", type(covered_already).__name__)
        msg = f"covered_already: got shape {shape}; expected ({n_demand},), one flag per demand cell"
        raise DataError(msg)
    if covered_already.dtype != np.bool_:
        msg = f"covered_already: got dtype {covered_already.dtype}; expected bool"
        raise DataError(msg)
    if capacity is not None:
        if not isinstance(capacity, np.ndarray) or capacity.shape != (n_cand,):
            shape = getattr(capacity, "shape", type(capacity).__name__)
            msg = f"capacity: got shape {shape}; expected ({n_cand},), one value per column of cost_min"
            raise DataError(msg)
        if np.isnan(capacity).any() or (capacity < 0).any():
            bad = int(np.flatnonzero(np.isnan(capacity) | (capacity < 0))[0])
            msg = (
                f"capacity: got {capacity[bad]} at candidate {bad}; expected people >= 0 (np.inf: unlimited)"
            )
            raise DataError(msg)


def _validate_sparse_cost(cost_min: sparse.csr_array) -> None:
    coo = cost_min.tocoo()
    bad = np.isnan(coo.data) | (coo.data < 0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        msg = (
            f"cost_min: got {coo.data[k]} at (demand {coo.row[k]}, candidate {coo.col[k]}) and "
            f"{int(bad.sum()) - 1} more; expected minutes >= 0 for the stored (reachable) pairs"
        )
        raise DataError(msg)


def _coverage_matrix(cost_min: np.ndarray | sparse.csr_array, budget_min: float) -> sparse.csr_array:
    if isinstance(cost_min, sparse.csr_array):
        coo = cost_min.tocoo()
        keep = coo.data <= budget_min
        data = np.ones(int(keep.sum()), dtype=bool)
        return sparse.csr_array((data, (coo.row[keep], coo.col[keep])), shape=cost_min.shape)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    for start in range(0, cost_min.shape[0], _CHUNK_ROWS):
        r, c = np.nonzero(cost_min[start : start + _CHUNK_ROWS] <= budget_min)
        rows.append(r + start)
        cols.append(c)
    r_all = np.concatenate(rows)
    c_all = np.concatenate(cols)
    data = np.ones(r_all.size, dtype=bool)
    return sparse.csr_array((data, (r_all, c_all)), shape=cost_min.shape)


# --------------------------------------------------------------------------------------------
# Result


@dataclass(frozen=True, eq=False)
class SitingResult:
    """Suggested new sites, in order of choice, with what each adds.

    Attributes
    ----------
    sites : numpy.ndarray of int
        Candidate column indices, in order of choice (exact solutions are ordered by
        marginal gain, largest first).
    gains : numpy.ndarray of float
        People newly covered (capacitated: served) by each site given the sites before it.
    cumulative_covered : numpy.ndarray of float
        People covered after each site, existing coverage included.
    cumulative_share : numpy.ndarray of float
        ``cumulative_covered`` as a fraction (0-1) of all target people.
    objective : float
        MCLP: people newly covered (served) by all new sites. LSCP: number of new sites.
    method : str
        ``greedy_mclp``, ``exact_mclp[highs]``, ``greedy_lscp``, ...
    status : str
        ``complete`` (greedy picked all sites), ``no_gain_left`` (stopped early: no candidate
        adds anyone), ``optimal``, ``time_limit`` (best found when the limit struck; see
        ``optimality_gap``), ``target_met_by_existing`` (LSCP with nothing to add).
    optimality_gap : float or None
        Relative gap ``|bound - objective| / |objective|`` reported for exact methods; None for
        greedy ones.
    runtime_s : float
        Wall time (seconds) of the whole call, model building included.
    best_bound : float or None
        Best proven bound on the objective (exact methods), same units as ``objective``.
    baseline_covered : float
        People covered by existing facilities before any new site.
    total_demand : float
        All target people.
    n_candidates : int
        Number of candidates of the problem (to check tables passed to :meth:`to_frame`).
    note : str
        A sentence for people: why it stopped, which solver ran.
    """

    sites: npt.NDArray[np.int64]
    gains: npt.NDArray[np.float64]
    cumulative_covered: npt.NDArray[np.float64]
    cumulative_share: npt.NDArray[np.float64]
    objective: float
    method: str
    status: str
    optimality_gap: float | None
    runtime_s: float
    best_bound: float | None = None
    baseline_covered: float = 0.0
    total_demand: float = 0.0
    n_candidates: int = 0
    note: str = ""

    @property
    def n_sites(self) -> int:
        """Number of suggested sites."""
        return int(self.sites.size)

    def to_frame(self, candidates_df: pd.DataFrame) -> pd.DataFrame:
        """Build the stable ``suggest`` table (see DESIGN.md), one row per new site.

        Parameters
        ----------
        candidates_df : pandas.DataFrame
            One row per candidate, in the column order of the cost matrix, with columns
            ``lon``, ``lat`` (WGS84 degrees), ``district_adcode`` and ``township``.

        Returns
        -------
        pandas.DataFrame
            Columns ``rank`` (1 = first choice), ``lon``, ``lat``, ``district_adcode``,
            ``township``, ``gain`` (people), ``cumulative_covered`` (people, existing coverage
            included) and ``cumulative_share`` (0-1).

        Raises
        ------
        DataError
            When a column is missing or the row count differs from the problem's candidates.
        """
        missing = [c for c in ("lon", "lat", "district_adcode", "township") if c not in candidates_df.columns]
        if missing:
            msg = (
                f"candidates_df: missing column(s) {missing}; expected lon, lat, district_adcode, township "
                f"(got {list(candidates_df.columns)})"
            )
            raise DataError(msg)
        if self.n_candidates and len(candidates_df) != self.n_candidates:
            msg = (
                f"candidates_df: got {len(candidates_df)} rows; expected {self.n_candidates}, one per "
                "column of the cost matrix, in the same order"
            )
            raise DataError(msg)
        picked = candidates_df.iloc[self.sites]
        frame = pd.DataFrame(
            {
                "rank": np.arange(1, self.sites.size + 1, dtype=np.int64),
                "lon": picked["lon"].to_numpy(dtype=np.float64),
                "lat": picked["lat"].to_numpy(dtype=np.float64),
                "district_adcode": picked["district_adcode"].to_numpy(),
                "township": picked["township"].to_numpy(),
                "gain": self.gains,
                "cumulative_covered": self.cumulative_covered,
                "cumulative_share": self.cumulative_share,
            }
        )
        return frame.loc[:, list(_SUGGEST_COLUMNS)]


def _make_result(
    problem: SitingProblem,
    sites: Sequence[int],
    gains: Sequence[float],
    *,
    objective: float,
    method: str,
    status: str,
    started: float,
    optimality_gap: float | None = None,
    best_bound: float | None = None,
    note: str = "",
) -> SitingResult:
    gains_arr = np.asarray(gains, dtype=np.float64)
    total = problem.total_demand
    baseline = problem.baseline_covered
    cumulative = baseline + np.cumsum(gains_arr)
    share = np.clip(cumulative / total, 0.0, 1.0)
    return SitingResult(
        sites=np.asarray(sites, dtype=np.int64),
        gains=gains_arr,
        cumulative_covered=cumulative,
        cumulative_share=share,
        objective=float(objective),
        method=method,
        status=status,
        optimality_gap=optimality_gap,
        runtime_s=time.perf_counter() - started,
        best_bound=best_bound,
        baseline_covered=baseline,
        total_demand=total,
        n_candidates=problem.n_candidates,
        note=note,
    )


# --------------------------------------------------------------------------------------------
# Greedy


def _check_n_sites(n_sites: int) -> int:
    if isinstance(n_sites, bool) or not isinstance(n_sites, (int, np.integer)) or n_sites < 1:
        msg = f"n_sites: got {n_sites!r}; expected a whole number of new sites >= 1"
        raise DataError(msg)
    return int(n_sites)


def _greedy_cover(
    problem: SitingProblem, *, max_sites: int, stop_at_covered: float | None = None
) -> tuple[list[int], list[float], bool]:
    """Greedy maximal covering; returns sites, gains and whether it ran out of gain.

    Marginal gains of all candidates are one sparse product ``A.T @ remaining``; after each
    pick only the rows it newly covers are subtracted, so a pick costs the non-zeros of
    those rows, not of the whole matrix.
    """
    csc = problem._cover_csc
    csr = problem._cover_csr
    remaining = problem.uncovered_demand()
    gains_all = np.asarray(csc.T @ remaining, dtype=np.float64).reshape(-1)
    scale = max(problem.total_demand, 1.0) * _REL_TOL
    sites: list[int] = []
    gains: list[float] = []
    covered = problem.baseline_covered
    while len(sites) < max_sites:
        if stop_at_covered is not None and covered >= stop_at_covered:
            return sites, gains, False
        j = int(np.argmax(gains_all))
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        newly = rows[remaining[rows] > 0]
        gain = float(remaining[newly].sum())  # exact, free of the drift of incremental updates
        if gain <= scale:
            return sites, gains, True
        sites.append(j)
        gains.append(gain)
        covered += gain
        sub = csr[newly]
        gains_all -= np.asarray(sub.T @ remaining[newly], dtype=np.float64).reshape(-1)
        remaining[newly] = 0.0
        gains_all[j] = -np.inf  # never pick the same site twice
    return sites, gains, False


def greedy_mclp(problem: SitingProblem, n_sites: int) -> SitingResult:
    """Choose up to ``n_sites`` new sites greedily, each covering the most new people.

    Parameters
    ----------
    problem : SitingProblem
        Travel minutes, people, budget and existing coverage.
    n_sites : int
        Number of new sites wanted (>= 1).

    Returns
    -------
    SitingResult
        Sites in order of choice; gains are non-increasing. ``status`` is ``complete`` or
        ``no_gain_left`` when fewer sites were chosen because no candidate adds anyone.
        The greedy total is at least ``1 - 1/e`` (about 63 %) of the optimum.

    Raises
    ------
    DataError
        When ``n_sites`` is not a whole number >= 1.
    """
    started = time.perf_counter()
    n = _check_n_sites(n_sites)
    sites, gains, ran_out = _greedy_cover(problem, max_sites=n)
    if ran_out:
        status = "no_gain_left"
        note = f"Stopped after {len(sites)} of {n} sites: no remaining candidate covers anyone new."
    else:
        status, note = "complete", ""
    return _make_result(
        problem,
        sites,
        gains,
        objective=sum(gains),
        method="greedy_mclp",
        status=status,
        started=started,
        note=note,
    )


def greedy_capacitated_mclp(problem: SitingProblem, n_sites: int) -> SitingResult:
    """Greedy capacitated MCLP: each pick serves up to its capacity, nearest cells first.

    A candidate's value is ``min(capacity, unserved people within the budget)``; the chosen
    site then serves the unserved cells in its reach in order of travel time until its
    capacity is used. Earlier assignments are never revised, so this is a heuristic and a
    lower bound on ``exact_mclp(..., capacitated=True)``.

    Parameters
    ----------
    problem : SitingProblem
        With ``capacity`` (None: unlimited, which equals :func:`greedy_mclp`).
    n_sites : int
        Number of new sites wanted (>= 1).

    Returns
    -------
    SitingResult
        ``gains`` are the people each site serves.
    """
    started = time.perf_counter()
    n = _check_n_sites(n_sites)
    csc = problem._cover_csc
    capacity = np.full(problem.n_candidates, np.inf) if problem.capacity is None else problem.capacity
    remaining = problem.uncovered_demand()
    scale = max(problem.total_demand, 1.0) * _REL_TOL
    chosen = np.zeros(problem.n_candidates, dtype=bool)
    sites: list[int] = []
    gains: list[float] = []
    ran_out = False
    while len(sites) < n:
        reach = np.asarray(csc.T @ remaining, dtype=np.float64).reshape(-1)
        value = np.minimum(reach, capacity)
        value[chosen] = -np.inf
        j = int(np.argmax(value))
        if value[j] <= scale:
            ran_out = True
            break
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        rows = rows[remaining[rows] > 0]
        rows = rows[np.argsort(_column_minutes(problem, rows, j), kind="stable")]
        left = float(capacity[j])
        served = 0.0
        for i in rows:
            take = min(float(remaining[i]), left)
            remaining[i] -= take
            served += take
            left -= take
            if left <= 0:
                break
        chosen[j] = True
        sites.append(j)
        gains.append(served)
    note = f"Stopped after {len(sites)} of {n} sites: no candidate can serve anyone new." if ran_out else ""
    return _make_result(
        problem,
        sites,
        gains,
        objective=sum(gains),
        method="greedy_capacitated_mclp",
        status="no_gain_left" if ran_out else "complete",
        started=started,
        note=note,
    )


def _column_minutes(problem: SitingProblem, rows: np.ndarray, j: int) -> np.ndarray:
    """Minutes from candidate ``j`` to the demand ``rows`` (all of them within its reach)."""
    cost = problem.cost_min
    if isinstance(cost, np.ndarray):
        return np.asarray(cost[rows, j], dtype=np.float64)
    return np.asarray(cost[:, [j]].toarray(), dtype=np.float64).reshape(-1)[rows]


# --------------------------------------------------------------------------------------------
# Exact (PuLP)


@dataclass(frozen=True)
class _Reduced:
    """Demand cells merged by identical sets of covering candidates."""

    weights: np.ndarray  # people per group (not yet covered)
    members: list[np.ndarray]  # candidate columns covering each group
    candidates: np.ndarray  # columns that cover at least one group


def _reduce(problem: SitingProblem) -> _Reduced:
    # Cells reached by the same candidates are interchangeable in every model here, so
    # merging them shrinks the integer program without changing its optimum.
    remaining = problem.uncovered_demand()
    csr = problem._cover_csr
    groups: dict[bytes, int] = {}
    weights: list[float] = []
    members: list[np.ndarray] = []
    for i in np.flatnonzero(remaining > 0):
        cols = csr.indices[csr.indptr[i] : csr.indptr[i + 1]]
        if cols.size == 0:
            continue
        key = np.sort(cols).astype(np.int64).tobytes()
        g = groups.get(key)
        if g is None:
            groups[key] = len(weights)
            weights.append(float(remaining[i]))
            members.append(np.sort(cols).astype(np.int64))
        else:
            weights[g] += float(remaining[i])
    used = np.unique(np.concatenate(members)) if members else np.zeros(0, dtype=np.int64)
    return _Reduced(np.asarray(weights, dtype=np.float64), members, used)


def _pick_solver(solver: str, *, time_limit_s: float, mip_rel_gap: float, log_path: Path) -> pulp.LpSolver:
    if solver not in ("highs", "cbc"):
        msg = f"solver: got {solver!r}; expected 'highs' or 'cbc'"
        raise DataError(msg)
    if solver == "highs":
        highs = pulp.HiGHS(msg=False, timeLimit=time_limit_s, gapRel=mip_rel_gap)
        if highs.available():
            return highs
        warnings.warn(
            "HiGHS is not available to PuLP (install highspy); solving with CBC instead.",
            CareCircleWarning,
            stacklevel=3,
        )
    options = {"msg": False, "timeLimit": time_limit_s, "gapRel": mip_rel_gap, "logPath": str(log_path)}
    coin = pulp.COIN_CMD(**options)
    if coin.available():
        return coin
    # PuLP 3 deprecates its bundled CBC in favour of a system one, but still ships it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return pulp.PULP_CBC_CMD(**options)


def _check_time_limit(time_limit_s: float) -> float:
    if not (isinstance(time_limit_s, (int, float)) and math.isfinite(time_limit_s) and time_limit_s > 0):
        msg = f"time_limit_s: got {time_limit_s!r}; expected seconds > 0"
        raise DataError(msg)
    return float(time_limit_s)


@dataclass(frozen=True)
class _Solved:
    status: str  # optimal | time_limit | no_solution (time limit before any incumbent)
    objective: float
    best_bound: float | None
    gap: float | None
    solver: str


_CBC_BOUND = re.compile(r"^(?:Upper|Lower) bound:\s*(-?[0-9.eE+-]+)", re.MULTILINE)
_CBC_TIME = re.compile(r"^Result - Stopped on time", re.MULTILINE)


def _solve(prob: pulp.LpProblem, solver: pulp.LpSolver, log_path: Path, *, what: str) -> _Solved:
    prob.solve(solver)
    name = "highs" if isinstance(solver, pulp.HiGHS) else "cbc"
    if prob.status == pulp.LpStatusNotSolved:
        # Both models here always have a feasible solution: the limit struck before one was found.
        return _Solved("no_solution", math.nan, None, None, name)
    if prob.status != pulp.LpStatusOptimal or prob.sol_status not in (
        pulp.LpSolutionOptimal,
        pulp.LpSolutionIntegerFeasible,
    ):
        msg = f"{what}: the solver returned status {pulp.LpStatus[prob.status]} for an always feasible model"
        raise CareCircleError(msg)
    objective = float(pulp.value(prob.objective) or 0.0)
    bound: float | None
    if name == "highs":
        highs = prob.solverModel
        import highspy

        model_status = highs.getModelStatus()
        timed_out = model_status == highspy.HighsModelStatus.kTimeLimit
        info = highs.getInfo()
        sign = -1.0 if prob.sense == pulp.LpMaximize else 1.0  # PuLP hands HiGHS -objective to maximise
        raw = float(info.mip_dual_bound)
        bound = sign * raw if math.isfinite(raw) else None
        if not timed_out and bound is None:
            bound = objective
    else:
        text = log_path.read_text(errors="replace") if log_path.exists() else ""
        timed_out = bool(_CBC_TIME.search(text)) or prob.sol_status == pulp.LpSolutionIntegerFeasible
        found = _CBC_BOUND.search(text)
        bound = float(found.group(1)) if found else (None if timed_out else objective)
    if bound is not None:
        # Solver tolerances can put the bound a hair on the wrong side of the objective.
        better = max if prob.sense == pulp.LpMaximize else min
        bound = better(bound, objective)
    return _Solved(
        "time_limit" if timed_out else "optimal", objective, bound, _relative_gap(bound, objective), name
    )


def _relative_gap(bound: float | None, objective: float) -> float | None:
    """``|bound - objective| / |objective|``, the usual MIP gap; None without a bound."""
    if bound is None:
        return None
    return abs(bound - objective) / max(abs(objective), 1e-9)


def _keep_greedy_if_better(
    solved: _Solved,
    sites: list[int],
    gains: list[float],
    fallback: SitingResult,
    *,
    greedy_is_better: bool,
    why_better: str,
) -> tuple[list[int], list[float], str]:
    """After an early stop, take the greedy answer where the solver has none or a worse one.

    Returns the sites and gains to report and the clause saying which answer is kept ("" when
    the solver's incumbent stays).
    """
    if solved.status == "no_solution":
        kept = " it had no solution yet, so this is the greedy one;"
    elif greedy_is_better:
        kept = f" the greedy solution is kept, as it {why_better};"
    else:
        return sites, gains, ""
    return fallback.sites.tolist(), fallback.gains.tolist(), kept


def _solved_result(
    problem: SitingProblem,
    sites: list[int],
    gains: list[float],
    solved: _Solved,
    *,
    objective: float,
    method: str,
    started: float,
    gap: float | None,
    note: str,
) -> SitingResult:
    """The result of an integer program: ``optimal`` or, after an early stop, ``time_limit``."""
    return _make_result(
        problem,
        sites,
        gains,
        objective=objective,
        method=f"{method}[{solved.solver}]",
        status="optimal" if solved.status == "optimal" else "time_limit",
        started=started,
        optimality_gap=gap,
        best_bound=solved.best_bound,
        note=note,
    )


def _order_by_gain(problem: SitingProblem, chosen: Sequence[int]) -> tuple[list[int], list[float]]:
    """Order a set of sites greedily by marginal gain; drop sites that add nobody."""
    csc = problem._cover_csc
    remaining = problem.uncovered_demand()
    pool = list(chosen)
    sites: list[int] = []
    gains: list[float] = []
    scale = max(problem.total_demand, 1.0) * _REL_TOL
    while pool:
        best_gain, best_k = -1.0, -1
        for k, j in enumerate(pool):
            rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
            g = float(remaining[rows].sum())
            if g > best_gain:
                best_gain, best_k = g, k
        if best_gain <= scale:
            break
        j = pool.pop(best_k)
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        remaining[rows] = 0.0
        sites.append(j)
        gains.append(best_gain)
    return sites, gains


def exact_mclp(
    problem: SitingProblem,
    n_sites: int,
    *,
    time_limit_s: float = 30.0,
    solver: SolverName = "highs",
    capacitated: bool = False,
    mip_rel_gap: float = 0.0,
) -> SitingResult:
    """Solve the MCLP (or the capacitated MCLP) as an integer program with PuLP.

    Uncapacitated: maximise ``sum_i w_i y_i`` subject to ``y_i <= sum_{j covers i} x_j``,
    ``sum_j x_j <= n_sites``, ``x`` binary, ``0 <= y <= 1`` (integral at the optimum), over
    cells not yet covered. Cells with identical covering sets are merged first.

    Capacitated: people ``z_ij >= 0`` of cell ``i`` served by site ``j`` only for pairs within
    the budget; ``sum_j z_ij <= w_i``, ``sum_i z_ij <= capacity_j x_j``, ``z_ij <= w_i x_j``;
    maximise ``sum z``. Demand may be split between sites.

    Parameters
    ----------
    problem : SitingProblem
        Travel minutes, people, budget, existing coverage (and capacity when capacitated).
    n_sites : int
        Maximum number of new sites (>= 1).
    time_limit_s : float, default 30
        Solver time limit (seconds). When it strikes, the best solution found is returned
        with ``status="time_limit"`` and its gap.
    solver : {"highs", "cbc"}, default "highs"
        HiGHS through PuLP's ``HiGHS`` interface (highspy); falls back to CBC with a
        :class:`~geo.errors.CareCircleWarning` when PuLP cannot use HiGHS.
    capacitated : bool, default False
        Respect ``problem.capacity`` (people per site).
    mip_rel_gap : float, default 0
        Relative gap at which the solver may stop (0: prove optimality).

    Returns
    -------
    SitingResult
        Sites ordered by marginal gain (largest first); ``objective`` = people newly covered
        (served); ``best_bound`` and ``optimality_gap`` from the solver.

    Raises
    ------
    DataError
        For a bad ``n_sites``, ``time_limit_s`` or ``solver``.
    CareCircleError
        When the solver reports a status other than optimal or stopped at the limit.
    """
    started = time.perf_counter()
    n = _check_n_sites(n_sites)
    limit = _check_time_limit(time_limit_s)
    method = "exact_capacitated_mclp" if capacitated else "exact_mclp"
    red = _reduce(problem)
    if red.candidates.size == 0:
        return _make_result(
            problem,
            [],
            [],
            objective=0.0,
            method=method,
            status="no_gain_left",
            started=started,
            optimality_gap=0.0,
            best_bound=0.0,
            note="No candidate covers anyone not yet covered.",
        )
    with tempfile.TemporaryDirectory(prefix="siting_") as tmp:
        log_path = Path(tmp) / "cbc.log"
        lp_solver = _pick_solver(solver, time_limit_s=limit, mip_rel_gap=mip_rel_gap, log_path=log_path)
        prob = pulp.LpProblem("mclp", pulp.LpMaximize)
        x = {int(j): prob.add_variable(f"x_{j}", cat=pulp.LpBinary) for j in red.candidates}
        prob += pulp.lpSum(x.values()) <= n, "n_sites"
        if not capacitated:
            y = [prob.add_variable(f"y_{g}", lowBound=0, upBound=1) for g in range(red.weights.size)]
            prob.setObjective(pulp.LpAffineExpression(list(zip(y, red.weights.tolist(), strict=True))))
            for g, cols in enumerate(red.members):
                expr = pulp.LpAffineExpression([(y[g], 1.0)] + [(x[int(j)], -1.0) for j in cols])
                prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintLE, f"cover_{g}", 0.0))
            z: dict[tuple[int, int], pulp.LpVariable] = {}
        else:
            capacity = np.full(problem.n_candidates, np.inf) if problem.capacity is None else problem.capacity
            z = {}
            served_by: dict[int, list[pulp.LpVariable]] = {int(j): [] for j in red.candidates}
            for g, cols in enumerate(red.members):
                w = float(red.weights[g])
                zs = []
                for j in cols:
                    var = prob.add_variable(f"z_{g}_{j}", lowBound=0)
                    z[(g, int(j))] = var
                    zs.append(var)
                    served_by[int(j)].append(var)
                    prob.addConstraint(
                        pulp.LpConstraint(
                            pulp.LpAffineExpression([(var, 1.0), (x[int(j)], -w)]),
                            pulp.LpConstraintLE,
                            f"open_{g}_{j}",
                            0.0,
                        )
                    )
                prob.addConstraint(
                    pulp.LpConstraint(
                        pulp.LpAffineExpression([(v, 1.0) for v in zs]), pulp.LpConstraintLE, f"dem_{g}", w
                    )
                )
            for j, zs in served_by.items():
                cap = float(capacity[j])
                if math.isfinite(cap):
                    expr = pulp.LpAffineExpression([(v, 1.0) for v in zs] + [(x[j], -cap)])
                    prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintLE, f"cap_{j}", 0.0))
            prob.setObjective(pulp.LpAffineExpression([(v, 1.0) for v in z.values()]))
        solved = _solve(prob, lp_solver, log_path, what=method)
    chosen = (
        [] if solved.status == "no_solution" else [j for j, var in x.items() if (var.value() or 0.0) > 0.5]
    )
    if capacitated:
        served = {j: 0.0 for j in chosen}
        for (_, j), var in z.items():
            if j in served:
                served[j] += max(float(var.value() or 0.0), 0.0)
        order = sorted((j for j in chosen if served[j] > 0), key=lambda j: (-served[j], j))
        sites, gains = order, [served[j] for j in order]
    else:
        sites, gains = _order_by_gain(problem, chosen)
    note = f"Solved with {solved.solver}."
    gap = solved.gap
    if solved.status != "optimal":
        # A solver stopped early may hold a worse incumbent than the greedy answer: keep the better.
        fallback = greedy_capacitated_mclp(problem, n) if capacitated else greedy_mclp(problem, n)
        sites, gains, kept = _keep_greedy_if_better(
            solved,
            sites,
            gains,
            fallback,
            greedy_is_better=fallback.objective > sum(gains) * (1 + _REL_TOL),
            why_better="beats the solver's incumbent",
        )
        gap = _relative_gap(solved.best_bound, float(sum(gains)))
        gap_text = "unknown" if gap is None else f"{gap:.2%}"
        note = (
            f"Stopped at the {limit:g} s time limit with {solved.solver};{kept} gap to the bound {gap_text}."
        )
    if len(sites) < n:
        note += f" Only {len(sites)} of {n} sites add anyone."
    return _solved_result(
        problem,
        sites,
        gains,
        solved,
        objective=float(sum(gains)),
        method=method,
        started=started,
        gap=gap,
        note=note,
    )


# --------------------------------------------------------------------------------------------
# Set covering (fewest sites for a target share)


def _target_people(problem: SitingProblem, target_share: float) -> tuple[float, float]:
    if not (isinstance(target_share, (int, float)) and 0.0 <= float(target_share) <= 1.0):
        msg = f"target_share: got {target_share!r}; expected a fraction between 0 and 1"
        raise DataError(msg)
    total = problem.total_demand
    remaining = problem.uncovered_demand()
    reachable = problem.baseline_covered + float(remaining[problem._cover_csr.sum(axis=1) > 0].sum())
    need = float(target_share) * total
    if need > reachable * (1 + _REL_TOL) + _REL_TOL:
        msg = (
            f"target_share: got {target_share:.4f}; even with all {problem.n_candidates} candidates the "
            f"covered share can reach at most {reachable / total:.4f} "
            f"({reachable:,.0f} of {total:,.0f} people within {problem.budget_min:g} min); "
            "lower the target, add candidates or raise the budget"
        )
        raise DataError(msg)
    return need, reachable


def greedy_lscp(problem: SitingProblem, target_share: float) -> SitingResult:
    """Add greedy MCLP sites until the covered share reaches ``target_share``.

    Parameters
    ----------
    problem : SitingProblem
        Travel minutes, people, budget and existing coverage.
    target_share : float
        Wanted covered share (0-1) of all target people, existing coverage included.

    Returns
    -------
    SitingResult
        ``objective`` = number of new sites: an upper bound on the fewest needed.

    Raises
    ------
    DataError
        When the target cannot be reached even with every candidate (the message gives
        the maximum reachable share).
    """
    started = time.perf_counter()
    need, _ = _target_people(problem, target_share)
    stop_at = need * (1 - _REL_TOL)
    sites, gains, _ = _greedy_cover(problem, max_sites=problem.n_candidates, stop_at_covered=stop_at)
    status = "target_met_by_existing" if not sites else "complete"
    return _make_result(
        problem,
        sites,
        gains,
        objective=float(len(sites)),
        method="greedy_lscp",
        status=status,
        started=started,
    )


def lscp(
    problem: SitingProblem,
    target_share: float,
    *,
    time_limit_s: float = 30.0,
    solver: SolverName = "highs",
) -> SitingResult:
    """Fewest new sites so that the covered share of all people reaches ``target_share``.

    Integer program (partial set covering): minimise ``sum_j x_j`` subject to
    ``y_i <= sum_{j covers i} x_j`` and ``sum_i w_i y_i >= target_share * total - baseline``,
    with ``x`` and ``y`` binary. Existing coverage counts toward the target.

    Parameters
    ----------
    problem : SitingProblem
        Travel minutes, people, budget and existing coverage.
    target_share : float
        Wanted covered share (0-1) of all target people, existing coverage included.
    time_limit_s : float, default 30
        Solver time limit (seconds); on expiry the best count found is returned with
        ``status="time_limit"``.
    solver : {"highs", "cbc"}, default "highs"
        As in :func:`exact_mclp`.

    Returns
    -------
    SitingResult
        ``objective`` = number of new sites; sites ordered by marginal gain.

    Raises
    ------
    DataError
        When the target cannot be reached even with every candidate (the message gives the
        maximum reachable share), or for a bad parameter.
    """
    started = time.perf_counter()
    limit = _check_time_limit(time_limit_s)
    need, _ = _target_people(problem, target_share)
    need_new = need - problem.baseline_covered
    if need_new <= max(problem.total_demand, 1.0) * _REL_TOL:
        return _make_result(
            problem,
            [],
            [],
            objective=0.0,
            method="lscp",
            status="target_met_by_existing",
            started=started,
            optimality_gap=0.0,
            best_bound=0.0,
            note="Existing facilities already reach the target share.",
        )
    red = _reduce(problem)
    with tempfile.TemporaryDirectory(prefix="siting_") as tmp:
        log_path = Path(tmp) / "cbc.log"
        lp_solver = _pick_solver(solver, time_limit_s=limit, mip_rel_gap=0.0, log_path=log_path)
        prob = pulp.LpProblem("lscp", pulp.LpMinimize)
        x = {int(j): prob.add_variable(f"x_{j}", cat=pulp.LpBinary) for j in red.candidates}
        y = [prob.add_variable(f"y_{g}", cat=pulp.LpBinary) for g in range(red.weights.size)]
        prob.setObjective(pulp.lpSum(x.values()))
        for g, cols in enumerate(red.members):
            expr = pulp.LpAffineExpression([(y[g], 1.0)] + [(x[int(j)], -1.0) for j in cols])
            prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintLE, f"cover_{g}", 0.0))
        # A hair of slack so that floating point sums of people do not make the target unreachable.
        rhs = need_new - max(problem.total_demand, 1.0) * _REL_TOL
        prob.addConstraint(
            pulp.LpConstraint(
                pulp.LpAffineExpression(list(zip(y, red.weights.tolist(), strict=True))),
                pulp.LpConstraintGE,
                "target",
                rhs,
            )
        )
        solved = _solve(prob, lp_solver, log_path, what="lscp")
    chosen = (
        [] if solved.status == "no_solution" else [j for j, var in x.items() if (var.value() or 0.0) > 0.5]
    )
    sites, gains = _order_by_gain(problem, chosen)
    note = f"Solved with {solved.solver}."
    gap = solved.gap
    if solved.status != "optimal":
        fallback = greedy_lscp(problem, target_share)
        sites, gains, kept = _keep_greedy_if_better(
            solved,
            sites,
            gains,
            fallback,
            greedy_is_better=fallback.n_sites < len(sites),
            why_better="needs fewer sites than the solver's incumbent",
        )
        gap = _relative_gap(solved.best_bound, float(len(sites)))
        note = (
            f"Stopped at the {limit:g} s time limit with {solved.solver};{kept} the count may not be minimal"
        )
        if solved.best_bound is not None:
            note += f" (at least {math.ceil(solved.best_bound - 1e-6)} sites are needed)"
        note += "."
    return _solved_result(
        problem,
        sites,
        gains,
        solved,
        objective=float(len(sites)),
        method="lscp",
        started=started,
        gap=gap,
        note=note,
    )


# --------------------------------------------------------------------------------------------
# Candidates


def _project_m(lon: np.ndarray, lat: np.ndarray, proj: str) -> np.ndarray:
    from pyproj import Transformer

    transformer = Transformer.from_crs("EPSG:4326", proj, always_xy=True)  # always_xy: lon, lat order
    x_m, y_m = transformer.transform(lon, lat)
    return np.column_stack([np.asarray(x_m, dtype=np.float64), np.asarray(y_m, dtype=np.float64)])


def candidate_mask(
    cells_df: pd.DataFrame,
    existing_xy_m: npt.ArrayLike,
    *,
    min_separation_m: float,
    cells_xy_m: npt.ArrayLike | None = None,
    proj: str = ORDOS_TMERC_PROJ,
) -> npt.NDArray[np.bool_]:
    """Flag cells that may host a new site: at least ``min_separation_m`` from existing ones.

    Parameters
    ----------
    cells_df : pandas.DataFrame
        Candidate cells with ``lon``, ``lat`` (WGS84 degrees).
    existing_xy_m : array_like, shape (k, 2)
        Existing facilities of the same type as metric x, y (metres) in ``proj``; may be empty.
    min_separation_m : float
        Minimum straight-line distance (metres) between a new and an existing site.
    cells_xy_m : array_like, shape (n, 2), optional
        Precomputed metric x, y of the cells in ``proj``; skips the projection.
    proj : str, default :data:`ORDOS_TMERC_PROJ`
        Metric CRS (PROJ string or EPSG code) of ``existing_xy_m`` and ``cells_xy_m``.

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
        True where a new site is allowed.

    Raises
    ------
    DataError
        For missing columns, bad shapes or a negative separation.
    """
    if not math.isfinite(min_separation_m) or min_separation_m < 0:
        msg = f"min_separation_m: got {min_separation_m}; expected metres >= 0"
        raise DataError(msg)
    existing = np.asarray(existing_xy_m, dtype=np.float64)
    if existing.size == 0:
        existing = existing.reshape(0, 2)
    if existing.ndim != 2 or existing.shape[1] != 2 or not np.isfinite(existing).all():
        msg = f"existing_xy_m: got shape {existing.shape}; expected (k, 2) finite metric x, y in metres"
        raise DataError(msg)
    if cells_xy_m is None:
        missing = [c for c in ("lon", "lat") if c not in cells_df.columns]
        if missing:
            msg = f"cells_df: missing column(s) {missing}; expected lon, lat in WGS84 degrees"
            raise DataError(msg)
        cells = _project_m(
            cells_df["lon"].to_numpy(dtype=np.float64), cells_df["lat"].to_numpy(dtype=np.float64), proj
        )
    else:
        cells = np.asarray(cells_xy_m, dtype=np.float64)
        if cells.shape != (len(cells_df), 2):
            msg = f"cells_xy_m: got shape {cells.shape}; expected ({len(cells_df)}, 2), one x, y per cell"
            raise DataError(msg)
    if existing.shape[0] == 0 or min_separation_m == 0:
        return np.ones(len(cells_df), dtype=bool)
    distance_m, _ = cKDTree(existing).query(cells, k=1)
    return np.asarray(distance_m >= min_separation_m, dtype=bool)


def candidates_from_cells(
    cells_df: pd.DataFrame,
    existing_xy_m: npt.ArrayLike,
    *,
    min_separation_m: float,
    cells_xy_m: npt.ArrayLike | None = None,
    proj: str = ORDOS_TMERC_PROJ,
) -> pd.DataFrame:
    """Candidate sites: the cells at least ``min_separation_m`` from an existing facility.

    Same parameters as :func:`candidate_mask`. Returns the kept rows of ``cells_df`` with
    their original index, in their original order; their positions are the columns to use
    for the cost matrix.
    """
    mask = candidate_mask(
        cells_df, existing_xy_m, min_separation_m=min_separation_m, cells_xy_m=cells_xy_m, proj=proj
    )
    return cells_df.loc[mask].copy()


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
