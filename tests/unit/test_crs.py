"""Tests of geo.crs: WGS84 / GCJ-02 / BD-09 conversions and the Ordos metric projection."""

from __future__ import annotations

import math

import numpy as np
import pytest
from geopy.distance import geodesic
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from geo import crs
from geo.errors import CareCircleWarning, DataError

GEOD = Geod(ellps="WGS84")
LON_MIN, LAT_MIN, LON_MAX, LAT_MAX = crs.ORDOS_BOUNDS
MAX_ROUND_TRIP_M = 0.5
MAX_DISTANCE_REL_ERR = 0.005

ordos_lon = st.floats(min_value=LON_MIN, max_value=LON_MAX, allow_nan=False)
ordos_lat = st.floats(min_value=LAT_MIN, max_value=LAT_MAX, allow_nan=False)
ordos_point = st.tuples(ordos_lon, ordos_lat)


def geodesic_m(lon1: object, lat1: object, lon2: object, lat2: object) -> np.ndarray:
    """Geodesic distance on the WGS84 ellipsoid (metres), vectorised."""
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def geopy_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    # geopy takes (lat, lon); we hold (lon, lat).
    return float(geodesic((lat1, lon1), (lat2, lon2), ellipsoid="WGS-84").meters)


def random_ordos_points(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(LON_MIN, LON_MAX, n), rng.uniform(LAT_MIN, LAT_MAX, n)


# --------------------------------------------------------------------------------------------
# Independent scalar oracle: the published GCJ-02 / BD-09 formulas written with `math`, one
# point at a time, in the form found in the common open implementations.


def _oracle_wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    if not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271):
        return lon, lat
    pi = math.pi
    x, y = lon - 105.0, lat - 35.0
    t_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    t_lat += (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
    t_lat += (20.0 * math.sin(y * pi) + 40.0 * math.sin(y / 3.0 * pi)) * 2.0 / 3.0
    t_lat += (160.0 * math.sin(y / 12.0 * pi) + 320 * math.sin(y * pi / 30.0)) * 2.0 / 3.0
    t_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    t_lon += (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
    t_lon += (20.0 * math.sin(x * pi) + 40.0 * math.sin(x / 3.0 * pi)) * 2.0 / 3.0
    t_lon += (150.0 * math.sin(x / 12.0 * pi) + 300.0 * math.sin(x / 30.0 * pi)) * 2.0 / 3.0
    a, ee = 6378245.0, 0.00669342162296594323
    rad_lat = lat / 180.0 * pi
    magic = 1 - ee * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (t_lat * 180.0) / ((a * (1 - ee)) / (magic * sqrt_magic) * pi)
    d_lon = (t_lon * 180.0) / (a / sqrt_magic * math.cos(rad_lat) * pi)
    return lon + d_lon, lat + d_lat


def _oracle_gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    x_pi = math.pi * 3000.0 / 180.0
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * x_pi)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * x_pi)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


# --------------------------------------------------------------------------------------------
# Reference values


def test_published_reference_pair_beijing() -> None:
    # The test vector of wandergis/coordtransform's README (input 116.404, 39.915 near
    # Tiananmen), reproduced by many independent ports (hutool, the Python port, vitest suites).
    assert crs.wgs84_to_gcj02(116.404, 39.915) == pytest.approx(
        (116.41024449916938, 39.91640428150164), abs=1e-12
    )
    assert crs.gcj02_to_bd09(116.404, 39.915) == pytest.approx(
        (116.41036949371029, 39.92133699351021), abs=1e-12
    )
    assert crs.wgs84_to_bd09(116.404, 39.915) == pytest.approx(
        (116.41662724378733, 39.922699552216216), abs=1e-12
    )


def test_inverses_differ_from_published_approximate_inverses_by_little() -> None:
    # The README's inverses are the approximate closed forms; ours are exact, so they must lie
    # close to them (within the approximation error) yet reproduce the input when re-forwarded.
    gcj_lon, gcj_lat = crs.bd09_to_gcj02(116.404, 39.915)
    assert geodesic_m(gcj_lon, gcj_lat, 116.39762729119315, 39.90865673957631) < 0.2
    assert crs.gcj02_to_bd09(gcj_lon, gcj_lat) == pytest.approx((116.404, 39.915), abs=1e-9)

    wgs_lon, wgs_lat = crs.gcj02_to_wgs84(116.404, 39.915)
    assert geodesic_m(wgs_lon, wgs_lat, 116.39775550083061, 39.91359571849836) < 5.0
    assert crs.wgs84_to_gcj02(wgs_lon, wgs_lat) == pytest.approx((116.404, 39.915), abs=1e-9)


@pytest.mark.parametrize(
    ("wgs", "gcj", "bd"),
    [
        # Computed from the formula (this module and the math oracle below agree on them).
        ((109.781, 39.608), (109.78671301982317, 39.6090181703037), (109.79313036450287, 39.61527407497468)),
        ((109.99, 39.817), (109.99572201440984, 39.818038648945894), (110.00228606376142, 39.82380808508434)),
        ((107.0, 38.0), (107.00482521685204, 38.00051380191227), (107.01133915967151, 38.006421998793414)),
        ((111.5, 40.9), (111.5068628684053, 40.90148855066001), (111.51332732277228, 40.9075375737423)),
    ],
)
def test_golden_values_in_ordos(
    wgs: tuple[float, float], gcj: tuple[float, float], bd: tuple[float, float]
) -> None:
    assert crs.wgs84_to_gcj02(*wgs) == pytest.approx(gcj, abs=1e-11)
    assert crs.wgs84_to_bd09(*wgs) == pytest.approx(bd, abs=1e-11)
    assert _oracle_wgs84_to_gcj02(*wgs) == pytest.approx(gcj, abs=1e-11)
    assert _oracle_gcj02_to_bd09(*gcj) == pytest.approx(bd, abs=1e-11)


@settings(max_examples=100, deadline=None)
@given(ordos_point)
def test_forward_matches_scalar_oracle(point: tuple[float, float]) -> None:
    lon, lat = point
    assert crs.wgs84_to_gcj02(lon, lat) == pytest.approx(_oracle_wgs84_to_gcj02(lon, lat), abs=1e-11)
    gcj = _oracle_wgs84_to_gcj02(lon, lat)
    assert crs.gcj02_to_bd09(*gcj) == pytest.approx(_oracle_gcj02_to_bd09(*gcj), abs=1e-11)


def test_identity_outside_china_but_bd09_still_shifts() -> None:
    for lon, lat in [(-0.1246, 51.5007), (139.6917, 35.6895), (151.2, -33.9), (70.0, 40.0)]:
        assert crs.wgs84_to_gcj02(lon, lat) == (lon, lat)
        assert crs.gcj02_to_wgs84(lon, lat) == (lon, lat)
        assert geodesic_m(lon, lat, *crs.wgs84_to_bd09(lon, lat)) > 100.0
    assert crs.in_china(109.8, 39.6)
    assert not crs.in_china(139.6917, 35.6895)


# --------------------------------------------------------------------------------------------
# Round trips and offsets


@settings(max_examples=200, deadline=None)
@given(ordos_point)
def test_round_trips_within_half_a_metre(point: tuple[float, float]) -> None:
    lon, lat = point
    gcj = crs.wgs84_to_gcj02(lon, lat)
    bd = crs.gcj02_to_bd09(*gcj)
    assert geodesic_m(lon, lat, *crs.gcj02_to_wgs84(*gcj)) < MAX_ROUND_TRIP_M
    assert geodesic_m(*gcj, *crs.bd09_to_gcj02(*bd)) < MAX_ROUND_TRIP_M
    assert geodesic_m(lon, lat, *crs.bd09_to_wgs84(*crs.wgs84_to_bd09(lon, lat))) < MAX_ROUND_TRIP_M
    # Inverse first: a GCJ-02 / BD-09 point read from a map comes back to itself.
    assert geodesic_m(lon, lat, *crs.wgs84_to_gcj02(*crs.gcj02_to_wgs84(lon, lat))) < MAX_ROUND_TRIP_M
    assert geodesic_m(lon, lat, *crs.wgs84_to_bd09(*crs.bd09_to_wgs84(lon, lat))) < MAX_ROUND_TRIP_M


def test_round_trips_on_many_points_are_far_below_tolerance() -> None:
    lon, lat = random_ordos_points(100_000, seed=1)
    gcj = crs.wgs84_to_gcj02(lon, lat)
    bd = crs.wgs84_to_bd09(lon, lat)
    # Default tol_deg 1e-9 ≈ 0.1 mm; allow 1 mm.
    assert geodesic_m(lon, lat, *crs.gcj02_to_wgs84(*gcj)).max() < 1e-3
    assert geodesic_m(*gcj, *crs.bd09_to_gcj02(*bd)).max() < 1e-3
    assert geodesic_m(lon, lat, *crs.bd09_to_wgs84(*bd)).max() < 1e-3


def test_looser_tolerance_is_honoured() -> None:
    lon, lat = random_ordos_points(1000, seed=2)
    back = crs.gcj02_to_wgs84(*crs.wgs84_to_gcj02(lon, lat), tol_deg=1e-6)
    err_m = geodesic_m(lon, lat, *back)
    assert err_m.max() < 0.2  # 1e-6 deg is at most 0.11 m


@settings(max_examples=100, deadline=None)
@given(ordos_point)
def test_gcj02_offset_in_ordos_is_a_few_hundred_metres(point: tuple[float, float]) -> None:
    lon, lat = point
    offset_m = float(geodesic_m(lon, lat, *crs.wgs84_to_gcj02(lon, lat)))
    assert 100.0 < offset_m < 1000.0
    bd_offset_m = float(geodesic_m(lon, lat, *crs.wgs84_to_bd09(lon, lat)))
    assert 500.0 < bd_offset_m < 2000.0


def test_non_convergence_at_china_box_edge_warns() -> None:
    # GCJ-02 points just inside the western edge of the box have no WGS84 preimage: the
    # forward transform jumps by several hundred metres there.
    with pytest.warns(CareCircleWarning, match="did not converge"):
        crs.gcj02_to_wgs84(72.0045, 40.0)


def test_invalid_iteration_settings() -> None:
    with pytest.raises(ValueError, match="tol_deg"):
        crs.gcj02_to_wgs84(109.8, 39.6, tol_deg=0.0)
    with pytest.raises(ValueError, match="max_iter"):
        crs.bd09_to_gcj02(109.8, 39.6, max_iter=0)


def test_nan_propagates() -> None:
    lon, lat = crs.gcj02_to_wgs84(np.array([np.nan, 109.8]), np.array([np.nan, 39.6]))
    assert np.isnan(lon[0]) and np.isnan(lat[0])
    assert np.isfinite(lon[1]) and np.isfinite(lat[1])
    assert all(math.isnan(v) for v in crs.bd09_to_wgs84(math.nan, math.nan))


# --------------------------------------------------------------------------------------------
# Scalars and arrays

PAIR_FUNCTIONS = [
    crs.wgs84_to_gcj02,
    crs.gcj02_to_wgs84,
    crs.gcj02_to_bd09,
    crs.bd09_to_gcj02,
    crs.wgs84_to_bd09,
    crs.bd09_to_wgs84,
    crs.to_metric,
    lambda lon, lat: crs.to_wgs84(lon, lat, crs="gcj02"),
    lambda lon, lat: crs.from_wgs84(lon, lat, crs="bd09"),
]


@pytest.mark.parametrize("func", PAIR_FUNCTIONS)
def test_scalar_and_array_inputs_agree(func: object) -> None:
    lon, lat = random_ordos_points(50, seed=3)
    arr_lon, arr_lat = func(lon, lat)  # type: ignore[operator]
    assert isinstance(arr_lon, np.ndarray) and arr_lon.shape == (50,) and arr_lon.dtype == np.float64
    assert isinstance(arr_lat, np.ndarray) and arr_lat.shape == (50,)
    for i in range(0, 50, 7):
        s_lon, s_lat = func(float(lon[i]), float(lat[i]))  # type: ignore[operator]
        assert type(s_lon) is float and type(s_lat) is float
        assert (s_lon, s_lat) == pytest.approx((arr_lon[i], arr_lat[i]), abs=1e-12, rel=0)
    # Lists, numpy scalars, 2-D arrays and broadcasting a scalar latitude.
    l_lon, _ = func(list(lon[:3]), list(lat[:3]))  # type: ignore[operator]
    np.testing.assert_allclose(l_lon, arr_lon[:3], rtol=0, atol=1e-12)
    n_lon, _ = func(np.float64(lon[0]), np.float64(lat[0]))  # type: ignore[operator]
    assert type(n_lon) is float
    g_lon, g_lat = func(lon.reshape(5, 10), lat.reshape(5, 10))  # type: ignore[operator]
    assert g_lon.shape == (5, 10)
    np.testing.assert_allclose(g_lat.ravel(), arr_lat, rtol=0, atol=1e-12)
    b_lon, _ = func(lon[:4], float(lat[0]))  # type: ignore[operator]
    assert b_lon.shape == (4,)


def test_inputs_are_not_modified() -> None:
    lon, lat = random_ordos_points(10, seed=4)
    lon_copy, lat_copy = lon.copy(), lat.copy()
    crs.gcj02_to_wgs84(lon, lat)
    crs.bd09_to_wgs84(lon, lat)
    np.testing.assert_array_equal(lon, lon_copy)
    np.testing.assert_array_equal(lat, lat_copy)


def test_a_million_points_vectorised() -> None:
    lon, lat = random_ordos_points(1_000_000, seed=5)
    gcj_lon, gcj_lat = crs.wgs84_to_gcj02(lon, lat)
    back_lon, back_lat = crs.gcj02_to_wgs84(gcj_lon, gcj_lat)
    assert back_lon.shape == (1_000_000,)
    assert np.abs(back_lon - lon).max() < 1e-8
    assert np.abs(back_lat - lat).max() < 1e-8
    x_m, y_m = crs.to_metric(lon, lat)
    assert np.isfinite(x_m).all() and np.isfinite(y_m).all()


# --------------------------------------------------------------------------------------------
# Dispatcher


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("WGS84", "wgs84"),
        ("wgs84", "wgs84"),
        ("WGS-84", "wgs84"),
        ("EPSG:4326", "wgs84"),
        ("epsg:4326", "wgs84"),
        ("GCJ-02", "gcj02"),
        ("gcj02", "gcj02"),
        (" Gcj_02 ", "gcj02"),
        ("BD-09", "bd09"),
        ("bd09", "bd09"),
        ("BD09LL", "bd09"),
    ],
)
def test_crs_aliases(alias: str, canonical: str) -> None:
    assert crs.normalize_crs(alias) == canonical


@pytest.mark.parametrize("bad", ["", "utm", "EPSG:3857", "gcj", "bd", "epsg:4490", None])
def test_unknown_crs_raises_listing_valid_names(bad: str) -> None:
    for call in (crs.normalize_crs, lambda name: crs.to_wgs84(109.8, 39.6, crs=name)):
        with pytest.raises(DataError) as info:
            call(bad)
        assert isinstance(info.value, ValueError)
        for name in crs.SUPPORTED_CRS:
            assert name in str(info.value)
    with pytest.raises(ValueError, match="wgs84, gcj02, bd09"):
        crs.from_wgs84(109.8, 39.6, crs=bad)


def test_supported_crs() -> None:
    assert crs.SUPPORTED_CRS == ("wgs84", "gcj02", "bd09")


@settings(max_examples=50, deadline=None)
@given(ordos_point, st.sampled_from(["WGS84", "GCJ-02", "BD-09"]))
def test_dispatcher_matches_direct_functions_and_round_trips(point: tuple[float, float], name: str) -> None:
    lon, lat = point
    direct = {
        "WGS84": (lambda a, b: (a, b), lambda a, b: (a, b)),
        "GCJ-02": (crs.wgs84_to_gcj02, crs.gcj02_to_wgs84),
        "BD-09": (crs.wgs84_to_bd09, crs.bd09_to_wgs84),
    }[name]
    there = crs.from_wgs84(lon, lat, crs=name)
    assert there == pytest.approx(direct[0](lon, lat), abs=1e-12)
    back = crs.to_wgs84(*there, crs=name)
    assert back == pytest.approx(direct[1](*there), abs=1e-12)
    assert geodesic_m(lon, lat, *back) < MAX_ROUND_TRIP_M


# --------------------------------------------------------------------------------------------
# Ordos bounds and the metric CRS


def test_in_ordos_bounds() -> None:
    assert crs.in_ordos_bounds(109.78, 39.61) is True  # Kangbashi
    assert crs.in_ordos_bounds(LON_MIN, LAT_MIN) is True
    assert crs.in_ordos_bounds(LON_MAX, LAT_MAX) is True
    assert crs.in_ordos_bounds(116.404, 39.915) is False  # Beijing
    inside = crs.in_ordos_bounds([109.78, 106.39, 109.78, np.nan], [39.61, 39.0, 41.0, 39.0])
    assert inside.dtype == np.bool_
    assert inside.tolist() == [True, False, False, False]


def test_metric_crs_definition() -> None:
    metric = crs.ORDOS_METRIC_CRS
    assert metric.is_projected
    assert metric.axis_info[0].unit_name == "metre"
    assert metric.axis_info[0].direction == "east"
    assert metric.ellipsoid is not None and metric.ellipsoid.name == "WGS 84"
    x_m, y_m = crs.to_metric(109.0, 0.0)
    assert (x_m, y_m) == pytest.approx((500_000.0, 0.0), abs=1e-6)


def test_metric_projection_is_the_metric_crs() -> None:
    # to_metric / from_metric run a PROJ pipeline (no CRS lookups at start-up); it must be the
    # transformation between the two CRS objects, over the whole city and beyond.
    from pyproj import Transformer

    lon, lat = np.meshgrid(
        np.linspace(LON_MIN - 1, LON_MAX + 1, 60), np.linspace(LAT_MIN - 1, LAT_MAX + 1, 60)
    )
    forward = Transformer.from_crs(crs.WGS84_CRS, crs.ORDOS_METRIC_CRS, always_xy=True)
    x_ref, y_ref = forward.transform(lon.ravel(), lat.ravel())
    x_m, y_m = crs.to_metric(lon.ravel(), lat.ravel())
    assert np.abs(x_m - x_ref).max() < 1e-6 and np.abs(y_m - y_ref).max() < 1e-6
    back_lon, back_lat = crs.from_metric(x_ref, y_ref)
    assert np.abs(back_lon - lon.ravel()).max() < 1e-9 and np.abs(back_lat - lat.ravel()).max() < 1e-9


@settings(max_examples=100, deadline=None)
@given(ordos_point)
def test_metric_round_trip(point: tuple[float, float]) -> None:
    lon, lat = point
    back = crs.from_metric(*crs.to_metric(lon, lat))
    assert geodesic_m(lon, lat, *back) < 1e-6


def _metric_distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    x1, y1 = crs.to_metric(lon1, lat1)
    x2, y2 = crs.to_metric(lon2, lat2)
    return math.hypot(x2 - x1, y2 - y1)


def _assert_metric_distance_close(lon1: float, lat1: float, lon2: float, lat2: float) -> None:
    true_m = geopy_m(lon1, lat1, lon2, lat2)
    if true_m < 10.0:
        return
    planar_m = _metric_distance_m(lon1, lat1, lon2, lat2)
    assert abs(planar_m / true_m - 1.0) < MAX_DISTANCE_REL_ERR, (planar_m, true_m)


@settings(max_examples=150, deadline=None)
@given(ordos_point, ordos_point)
def test_metric_distance_matches_geodesic_anywhere(p1: tuple[float, float], p2: tuple[float, float]) -> None:
    _assert_metric_distance_close(*p1, *p2)


CORNERS_AND_MIDPOINTS = [
    (lon, lat)
    for lon in (LON_MIN, (LON_MIN + LON_MAX) / 2, LON_MAX)
    for lat in (LAT_MIN, (LAT_MIN + LAT_MAX) / 2, LAT_MAX)
]


@pytest.mark.parametrize("p1", CORNERS_AND_MIDPOINTS)
def test_metric_distance_matches_geodesic_between_extremes(p1: tuple[float, float]) -> None:
    for p2 in CORNERS_AND_MIDPOINTS:
        _assert_metric_distance_close(*p1, *p2)


edge_point = st.one_of(
    st.tuples(st.sampled_from([LON_MIN, LON_MAX]), ordos_lat),
    st.tuples(ordos_lon, st.sampled_from([LAT_MIN, LAT_MAX])),
)


@settings(max_examples=150, deadline=None)
@given(
    edge_point,
    st.floats(min_value=0.0, max_value=360.0),
    st.floats(min_value=1.0, max_value=5000.0),
)
def test_metric_distance_short_hops_near_edges(
    start: tuple[float, float], azimuth_deg: float, dist_m: float
) -> None:
    lon1, lat1 = start
    lon2, lat2, _ = GEOD.fwd(lon1, lat1, azimuth_deg, dist_m)
    planar_m = _metric_distance_m(lon1, lat1, lon2, lat2)
    assert geopy_m(lon1, lat1, lon2, lat2) == pytest.approx(dist_m, rel=1e-9, abs=1e-6)
    assert abs(planar_m / dist_m - 1.0) < MAX_DISTANCE_REL_ERR


def test_metric_projection_equals_the_crs_transformation_in_any_thread() -> None:
    # The cached transformers are rebuilt from their PROJ pipeline in each new thread (the app runs
    # each rerun in a new one); the result must be the CRS-to-CRS transformation, bit for bit.
    import threading

    from pyproj import Transformer

    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(106.5, 111.5, 1000), rng.uniform(37.3, 40.9, 1000)
    forward = Transformer.from_crs(crs.WGS84_CRS, crs.ORDOS_METRIC_CRS, always_xy=True)
    x_ref, y_ref = forward.transform(lon, lat)
    out: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def run() -> None:
        x_m, y_m = crs.to_metric(lon, lat)
        back_lon, back_lat = crs.from_metric(x_m, y_m)
        out.append((x_m, y_m, back_lon, back_lat))

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    x_m, y_m, back_lon, back_lat = out[0]
    assert np.array_equal(x_m, x_ref) and np.array_equal(y_m, y_ref)
    inverse = Transformer.from_crs(crs.ORDOS_METRIC_CRS, crs.WGS84_CRS, always_xy=True)
    lon_ref, lat_ref = inverse.transform(x_ref, y_ref)
    assert np.array_equal(back_lon, lon_ref) and np.array_equal(back_lat, lat_ref)
