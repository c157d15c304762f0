"""The siting instance and its answer: :class:`SitingProblem` (travel minutes, people, a time budget
and existing coverage, validated) and :class:`SitingResult` (the chosen sites, their gains and the
solver's status), shared by the solvers of ``geo.siting_solve``.

Units: travel times and budgets in minutes, demand and capacity in people, shares as fractions 0-1.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse

from geo.errors import DataError

__all__ = ["SitingProblem", "SitingResult", "SolverName"]

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


def _check_n_sites(n_sites: int) -> int:
    if isinstance(n_sites, bool) or not isinstance(n_sites, (int, np.integer)) or n_sites < 1:
        msg = f"n_sites: got {n_sites!r}; expected a whole number of new sites >= 1"
        raise DataError(msg)
    return int(n_sites)
