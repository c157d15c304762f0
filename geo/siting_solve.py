"""Choosing sites: greedy and exact maximal covering (MCLP, capacitated or not) and partial set
covering (LSCP) over a :class:`~geo.siting_problem.SitingProblem`.

* :func:`greedy_mclp`, :func:`greedy_capacitated_mclp`, :func:`greedy_lscp`: one sparse product per
  pick; at least ``1 - 1/e`` of the optimum for MCLP, usually within a few per cent.
* :func:`exact_mclp` and :func:`lscp`: integer programs through PuLP with HiGHS (or CBC), on the demand
  cells merged by identical covering sets; PuLP is loaded only when one of them runs.
"""

from __future__ import annotations

import math
import re
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from geo.errors import CareCircleError, CareCircleWarning, DataError
from geo.siting_problem import (
    _REL_TOL,
    SitingProblem,
    SitingResult,
    SolverName,
    _check_n_sites,
    _make_result,
)

if TYPE_CHECKING:
    import pulp

__all__ = ["exact_mclp", "greedy_capacitated_mclp", "greedy_lscp", "greedy_mclp", "lscp"]


# --------------------------------------------------------------------------------------------
# Greedy


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
    import pulp

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
    import pulp

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
    import pulp

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
    import pulp

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
