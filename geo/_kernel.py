"""Compiled search kernels of the network model (private to :mod:`geo.network_model`).

:func:`bounded_many_to_many` answers "minutes from each of thousands of origins to every target within
a budget" at about the cost of one search over the part of the network each origin reaches: one
Dijkstra per origin, compiled with numba, that

* starts from the origin's point on its street segment (partial edge costs to both ends),
* settles only nodes within the budget (a 4-ary heap with lazy deletion; nothing is done for the
  rest of the network, unlike ``scipy.sparse.csgraph.dijkstra`` which initialises an ``n_nodes`` row
  per origin),
* reads the targets attached to each settled node (a target on a segment is attached to the
  segment's two ends with the partial costs from each end) and keeps the best time per target,
* resets only what it touched, so scratch arrays are allocated once per batch of origins,
* on request (:func:`bounded_many_to_many_nearest`) also keeps, per target, the least minutes from
  any origin and which origin, so the nearest facility comes from the same searches.

Batches of origins run on a thread pool: the kernel releases the GIL (``nogil=True``), so the batches
run in parallel on every core the process may use. Results are sparse ``(origin, target, minutes)``
triples; nothing of size origins × nodes or origins × targets is ever allocated.

numba compiles the kernel on first use and caches the machine code (``cache=True``): next to this
module in ``__pycache__`` when that is writable, else in numba's per-user cache (or
``$NUMBA_CACHE_DIR`` when set). The first call after an install pays the compile (about a second);
later processes load it from the cache.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Final

import numba
import numpy as np
import numpy.typing as npt

from geo._links import Links

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]

MIN_BATCH: Final[int] = 256  # fewest origins per kernel call
BATCHES_PER_THREAD: Final[int] = 8  # kernel calls per thread, so one slow batch does not hold the rest


# A 4-ary min-heap of (minutes, node) in two arrays: half the levels of a binary heap, and the four
# children of a node lie side by side in memory; about a quarter faster than a binary heap here.


@numba.njit(cache=True, nogil=True, inline="always")
def _heap_push(keys: FloatArray, items: Int32Array, size: int, key: float, item: int) -> int:
    i = size
    while i > 0:
        parent = (i - 1) >> 2
        if keys[parent] <= key:
            break
        keys[i] = keys[parent]
        items[i] = items[parent]
        i = parent
    keys[i] = key
    items[i] = item
    return size + 1


@numba.njit(cache=True, nogil=True, inline="always")
def _heap_pop(keys: FloatArray, items: Int32Array, size: int) -> tuple[float, int, int]:
    top_key = keys[0]
    top_item = items[0]
    size -= 1
    if size > 0:
        key = keys[size]
        item = items[size]
        i = 0
        while True:
            first = 4 * i + 1
            if first >= size:
                break
            child = first
            child_key = keys[first]
            for c in range(first + 1, min(first + 4, size)):
                if keys[c] < child_key:
                    child = c
                    child_key = keys[c]
            if child_key >= key:
                break
            keys[i] = child_key
            items[i] = items[child]
            i = child
        keys[i] = key
        items[i] = item
    return top_key, top_item, size


@numba.njit(cache=True, nogil=True)
def _grow(rows: Int32Array, cols: Int32Array, vals: FloatArray) -> tuple[Int32Array, Int32Array, FloatArray]:
    n = len(rows)
    new_rows = np.empty(2 * n, dtype=np.int32)
    new_cols = np.empty(2 * n, dtype=np.int32)
    new_vals = np.empty(2 * n, dtype=np.float64)
    new_rows[:n] = rows
    new_cols[:n] = cols
    new_vals[:n] = vals
    return new_rows, new_cols, new_vals


@numba.njit(cache=True, nogil=True)
def _many_to_many_batch(
    indptr: IntArray,
    indices: Int32Array,
    weights: FloatArray,
    start_ptr: IntArray,
    start_node: Int32Array,
    start_cost: FloatArray,
    att_ptr: IntArray,
    att_target: Int32Array,
    att_cost: FloatArray,
    direct_ptr: IntArray,
    direct_target: Int32Array,
    direct_cost: FloatArray,
    order: IntArray,
    first: int,
    last: int,
    n_targets: int,
    budget: float,
    zero: float,
    nearest: bool,
) -> tuple[Int32Array, Int32Array, FloatArray, int, FloatArray, Int32Array]:
    """Bounded Dijkstra from origins ``order[first:last]``; (origin, target, minutes) triples within budget.

    With ``nearest``, also per target the least minutes from these origins (``inf`` when none) and the
    lowest-numbered origin with them (-1); otherwise those two arrays are empty.
    """
    n = len(indptr) - 1
    dist = np.full(n, np.inf)
    best = np.full(n_targets, np.inf)
    near_min = np.full(n_targets if nearest else 0, np.inf)
    near_org = np.full(n_targets if nearest else 0, -1, dtype=np.int32)
    # Bounds, so the loops need no growth checks: each node and target is touched once per search,
    # and the heap holds at most one entry per relaxed edge plus the starts.
    touched_nodes = np.empty(n, dtype=np.int32)
    touched_targets = np.empty(n_targets, dtype=np.int32)
    max_starts = 0
    for i in range(first, last):
        max_starts = max(max_starts, start_ptr[order[i] + 1] - start_ptr[order[i]])
    keys = np.empty(len(indices) + max_starts + 1, dtype=np.float64)
    items = np.empty(len(indices) + max_starts + 1, dtype=np.int32)
    cap = 1024
    rows = np.empty(cap, dtype=np.int32)
    cols = np.empty(cap, dtype=np.int32)
    vals = np.empty(cap, dtype=np.float64)
    count = 0
    for i_origin in range(first, last):
        k = order[i_origin]
        n_touched = 0
        n_hit = 0
        size = 0
        # Targets on the origin's own segment, reached along it without passing a node.
        for e in range(direct_ptr[k], direct_ptr[k + 1]):
            j = direct_target[e]
            c = direct_cost[e]
            if c <= budget and c < best[j]:
                if best[j] == np.inf:
                    touched_targets[n_hit] = j
                    n_hit += 1
                best[j] = c
        for e in range(start_ptr[k], start_ptr[k + 1]):
            v = start_node[e]
            c = start_cost[e]
            if c <= budget and c < dist[v]:
                if dist[v] == np.inf:
                    touched_nodes[n_touched] = v
                    n_touched += 1
                dist[v] = c
                size = _heap_push(keys, items, size, c, v)
        while size > 0:
            d, u, size = _heap_pop(keys, items, size)
            if d > dist[u]:
                continue  # a stale entry: u was settled with a smaller time
            for a in range(att_ptr[u], att_ptr[u + 1]):
                j = att_target[a]
                t = d + att_cost[a]
                if t <= budget and t < best[j]:
                    if best[j] == np.inf:
                        touched_targets[n_hit] = j
                        n_hit += 1
                    best[j] = t
            for e in range(indptr[u], indptr[u + 1]):
                v = indices[e]
                nd = d + weights[e]
                if nd <= budget and nd < dist[v]:
                    if dist[v] == np.inf:
                        touched_nodes[n_touched] = v
                        n_touched += 1
                    dist[v] = nd
                    size = _heap_push(keys, items, size, nd, v)
        for i in range(n_hit):
            j = touched_targets[i]
            if count == len(rows):
                rows, cols, vals = _grow(rows, cols, vals)
            rows[count] = k
            cols[count] = j
            vals[count] = max(best[j], zero)
            count += 1
            if nearest and (best[j] < near_min[j] or (best[j] == near_min[j] and k < near_org[j])):
                near_min[j] = best[j]
                near_org[j] = k
            best[j] = np.inf
        for i in range(n_touched):
            dist[touched_nodes[i]] = np.inf
    return rows, cols, vals, count, near_min, near_org


def worker_count() -> int:
    """Threads for the kernel: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def bounded_many_to_many(
    *,
    indptr: IntArray,
    indices: Int32Array,
    weights: FloatArray,
    starts: Links,
    attachments: Links,
    direct: Links,
    n_targets: int,
    budget_min: float,
    zero_min: float,
    order: IntArray | None = None,
    workers: int | None = None,
) -> tuple[Int32Array, Int32Array, FloatArray]:
    """Minutes from every origin to every target within ``budget_min`` (sparse triples).

    Parameters
    ----------
    indptr, indices, weights
        The profile's graph in CSR form: edge ``e`` of node ``u`` (``indptr[u] <= e < indptr[u+1]``)
        runs to ``indices[e]`` in ``weights[e]`` minutes (finite, ≥ 0).
    starts
        Per origin ``k``, the nodes ``starts.item[starts.ptr[k]:starts.ptr[k+1]]`` it reaches first
        and the minutes to them (the partial costs along its own segment).
    attachments
        Per node ``u``, the targets attached to it and the minutes from ``u`` to each target.
    direct
        Per origin, targets reached along the origin's own segment and the minutes to them.
    n_targets
        Number of targets (target indices run from 0 to ``n_targets - 1``).
    budget_min
        Largest travel time in minutes (inclusive).
    zero_min
        Minutes stored instead of zero (see :data:`geo.travel.OD_ZERO_MIN`).
    order
        The order in which the origins are searched (a permutation), e.g. :func:`spatial_order` of
        their points: origins searched one after another that are near each other find the same
        part of the graph in the processor's caches. Default: by number. The results do not depend
        on it.
    workers
        Threads; default :func:`worker_count`.

    Returns
    -------
    origin, target : numpy.ndarray of int32
    minutes : numpy.ndarray of float64
        One entry per (origin, target) pair within the budget, the best time of the pair.
    """
    rows, cols, vals, _, _ = _search(
        indptr,
        indices,
        weights,
        starts,
        attachments,
        direct,
        n_targets,
        budget_min,
        zero_min,
        order,
        workers,
        False,
    )
    return rows, cols, vals


def bounded_many_to_many_nearest(
    *,
    indptr: IntArray,
    indices: Int32Array,
    weights: FloatArray,
    starts: Links,
    attachments: Links,
    direct: Links,
    n_targets: int,
    budget_min: float,
    zero_min: float,
    order: IntArray | None = None,
    workers: int | None = None,
) -> tuple[Int32Array, Int32Array, FloatArray, FloatArray, IntArray]:
    """:func:`bounded_many_to_many` and, from the same searches, the nearest origin of each target.

    Parameters are those of :func:`bounded_many_to_many`.

    Returns
    -------
    origin, target, minutes
        As :func:`bounded_many_to_many`.
    nearest_minutes : numpy.ndarray of float64
        Per target, the least minutes from any origin (exact, zero not replaced), ``inf`` when no
        origin is within the budget.
    nearest_origin : numpy.ndarray of int64
        Per target, the lowest-numbered origin with those minutes, -1 when none.
    """
    return _search(
        indptr,
        indices,
        weights,
        starts,
        attachments,
        direct,
        n_targets,
        budget_min,
        zero_min,
        order,
        workers,
        True,
    )


def _search(
    indptr: IntArray,
    indices: Int32Array,
    weights: FloatArray,
    starts: Links,
    attachments: Links,
    direct: Links,
    n_targets: int,
    budget_min: float,
    zero_min: float,
    order: IntArray | None,
    workers: int | None,
    nearest: bool,
) -> tuple[Int32Array, Int32Array, FloatArray, FloatArray, IntArray]:
    n_origins = len(starts.ptr) - 1
    if order is None:
        order = np.arange(n_origins, dtype=np.int64)
    elif len(order) != n_origins:
        msg = f"order: {len(order)} entries for {n_origins} origins"
        raise ValueError(msg)
    args = (
        indptr,
        indices,
        weights,
        *starts,
        *attachments,
        *direct,
        np.ascontiguousarray(order, dtype=np.int64),
    )

    def run(first: int, last: int) -> tuple[Int32Array, Int32Array, FloatArray, FloatArray, Int32Array]:
        rows, cols, vals, count, near_min, near_org = _many_to_many_batch(
            *args, first, last, n_targets, float(budget_min), float(zero_min), nearest
        )
        return rows[:count], cols[:count], vals[:count], near_min, near_org

    threads = workers or worker_count()
    # Several batches per thread balance the load; batches of MIN_BATCH or more keep the per-batch
    # set-up (scratch arrays of n_nodes and n_targets) small against the searches.
    size = max(MIN_BATCH, -(-n_origins // (BATCHES_PER_THREAD * threads)))
    bounds = [(s, min(s + size, n_origins)) for s in range(0, n_origins, size)]
    threads = min(threads, len(bounds))
    if threads <= 1:
        parts = [run(a, b) for a, b in bounds]
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            parts = list(pool.map(lambda ab: run(*ab), bounds))
    near_min = np.full(n_targets if nearest else 0, np.inf)
    near_org = np.full(n_targets if nearest else 0, -1, dtype=np.int64)
    if not parts:
        return np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0, np.float64), near_min, near_org
    if nearest:
        # On equal minutes the lower-numbered origin, as within each batch.
        for _, _, _, part_min, part_org in parts:
            better = (part_min < near_min) | (
                (part_min == near_min) & (part_org >= 0) & (part_org < near_org)
            )
            near_min[better] = part_min[better]
            near_org[better] = part_org[better]
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
        near_min,
        near_org,
    )


def spatial_order(xy: FloatArray, *, bits: int = 16) -> IntArray:
    """A permutation of points along a Z-order (Morton) curve over their bounding box.

    Points close in the order are close on the ground, so searches from them one after another
    touch much the same nodes: at a million nodes and 10,000 facilities, searching in this order
    instead of by number cuts the kernel's time by about a third.

    Parameters
    ----------
    xy : numpy.ndarray
        ``(n, 2)`` metric coordinates.
    bits : int
        Bits per axis of the curve (the bounding box is cut into ``2**bits`` steps each way).
    """
    if len(xy) == 0:
        return np.zeros(0, dtype=np.int64)
    lo = xy.min(axis=0)
    span = float(max((xy.max(axis=0) - lo).max(), 1e-9))
    cells = np.minimum((xy - lo) / span * (1 << bits), (1 << bits) - 1).astype(np.int64)
    code = np.zeros(len(xy), dtype=np.int64)
    for b in range(bits):
        code |= ((cells[:, 0] >> b) & 1) << (2 * b)
        code |= ((cells[:, 1] >> b) & 1) << (2 * b + 1)
    return np.argsort(code, kind="stable").astype(np.int64)


def warm() -> None:
    """Compile the kernel now (or load it from numba's cache), e.g. once after installing.

    A one-shot command then never pays the compile; ``make`` calls this after installing.
    """
    ptr = np.array([0, 1, 2], dtype=np.int64)
    bounded_many_to_many(
        indptr=ptr,
        indices=np.array([1, 0], dtype=np.int32),
        weights=np.array([1.0, 1.0]),
        starts=Links(np.array([0, 1], dtype=np.int64), np.array([0], dtype=np.int32), np.array([0.0])),
        attachments=Links(ptr, np.array([0, 0], dtype=np.int32), np.array([0.5, 0.5])),
        direct=Links(np.array([0, 0], dtype=np.int64), np.empty(0, dtype=np.int32), np.empty(0)),
        n_targets=1,
        budget_min=5.0,
        zero_min=1e-7,
        workers=1,
    )
