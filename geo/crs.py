"""Coordinate systems used in China, and the metric projection for Ordos.

Three geographic coordinate systems meet in Chinese location data:

* **WGS84** (EPSG:4326): GPS and OpenStreetMap. This package keeps all data in WGS84.
* **GCJ-02** ("Mars coordinates", 国测局坐标): the obfuscated system that Chinese law requires
  for maps published in mainland China; AutoNavi/Amap (高德), Tencent and Google's China tiles
  use it. It is WGS84 shifted by a smooth, non-linear offset of a few hundred metres (about
  500 m around Ordos). The offset is computed from the widely published polynomial-and-sine
  formula on the Krasovsky ellipsoid (a = 6378245.0 m, e² = 0.00669342162296594323); outside
  a rough bounding box of mainland China GCJ-02 is defined to equal WGS84.
* **BD-09** (百度坐标, Baidu's ``bd09ll``): a second obfuscation applied by Baidu on top of
  GCJ-02, a small polar-coordinate perturbation plus a constant shift of (0.0065°, 0.006°).

The forward transforms are closed formulas. Their inverses are not: the usual closed-form
"inverses" (``2 * gcj - f(gcj)`` and Baidu's own reverse formula) are off by up to about
4 m and 0.15 m respectively around Ordos. Here both inverses are computed by fixed-point
iteration until the forward transform of the answer reproduces the input to within ``tol_deg``
(default 1e-9°, about 0.1 mm), so WGS84 → GCJ-02/BD-09 → WGS84 round trips are exact for
practical purposes.

For distances and areas the package projects WGS84 to :data:`ORDOS_METRIC_CRS`, a transverse
Mercator on the WGS84 ellipsoid with its central meridian at 109°E through the middle of the
city. Over the whole city extent (106.4°E–111.5°E) its scale error stays below 0.07 %, so
Euclidean distances in metres match geodesic distances to better than 0.1 %.

All conversion functions are vectorised: they accept scalars, sequences or numpy arrays
(broadcast against each other) and return Python floats for scalar input and float64 arrays
otherwise.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, overload

import numpy as np
import numpy.typing as npt

from geo.errors import CareCircleWarning, DataError
from geo.options import SUPPORTED_CRS as SUPPORTED_CRS
from geo.options import CrsName as CrsName

if TYPE_CHECKING:
    from pyproj import CRS, Transformer

__all__ = [
    "CHINA_BOUNDS",
    "ORDOS_BOUNDS",
    "ORDOS_METRIC_CRS",
    "SUPPORTED_CRS",
    "WGS84_CRS",
    "CrsName",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "from_metric",
    "from_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_china",
    "in_ordos_bounds",
    "normalize_crs",
    "to_metric",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
_Forward = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]


# Keys are aliases folded by `_fold_crs_name` (lower case, no '-', '_' or spaces).
_CRS_ALIASES: Final[dict[str, CrsName]] = {
    "wgs84": "wgs84",
    "epsg:4326": "wgs84",
    "4326": "wgs84",
    "gcj02": "gcj02",
    "bd09": "bd09",
    "bd09ll": "bd09",
}


ORDOS_BOUNDS: Final[tuple[float, float, float, float]] = (106.4, 37.6, 111.5, 40.9)
"""Extent of Ordos city in WGS84 degrees: (lon_min, lat_min, lon_max, lat_max)."""

CHINA_BOUNDS: Final[tuple[float, float, float, float]] = (72.004, 0.8293, 137.8347, 55.8271)
"""The conventional rough box of mainland China inside which GCJ-02 differs from WGS84.

(lon_min, lat_min, lon_max, lat_max) in degrees, as used by the common open implementations
of GCJ-02. It is a box, not the border: it also covers neighbouring territory.
"""

# pyproj (and PROJ's database) is loaded only when a CRS object or the metric projection is first
# used, not when this module is imported: the command line imports it to build its parser.
if TYPE_CHECKING:
    WGS84_CRS: CRS
    """WGS84 geographic coordinates, the package's storage CRS."""
    ORDOS_METRIC_CRS: CRS
    """Metric CRS for Ordos: easting/northing in metres (transverse Mercator, CM 109°E, WGS84).

    Equivalent to ``+proj=tmerc +lat_0=0 +lon_0=109 +k=1 +x_0=500000 +y_0=0 +datum=WGS84 +units=m``.
    """


@functools.cache
def _crs(name: str) -> CRS:
    from pyproj import CRS
    from pyproj.crs import GeographicCRS, ProjectedCRS
    from pyproj.crs.coordinate_operation import TransverseMercatorConversion

    if name == "WGS84_CRS":
        return CRS.from_epsg(4326)
    # Transverse Mercator on the WGS84 ellipsoid, central meridian 109°E (the extent's middle is
    # 108.95°E), scale 1 on the meridian. The city spans at most 2.6° of longitude either side, where
    # the scale factor reaches 1 + 0.065 %. The national 3° Gauss-Krüger zones (CM 108°E or 111°E)
    # would leave up to 3.5° off-meridian (0.12 %), and UTM zone 49N (CM 111°E, k=0.9996) 4.6°.
    return ProjectedCRS(
        name="Ordos transverse Mercator 109E (WGS84)",
        conversion=TransverseMercatorConversion(
            latitude_natural_origin=0.0,
            longitude_natural_origin=109.0,
            false_easting=500_000.0,
            false_northing=0.0,
            scale_factor_natural_origin=1.0,
        ),
        geodetic_crs=GeographicCRS(name="WGS 84", datum="WGS84"),
    )


def __getattr__(name: str) -> Any:
    """``WGS84_CRS`` and ``ORDOS_METRIC_CRS``, made on first use (PEP 562)."""
    if name in ("WGS84_CRS", "ORDOS_METRIC_CRS"):
        return _crs(name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


# GCJ-02 constants: Krasovsky 1940 ellipsoid semi-major axis (m) and first eccentricity squared.
_GCJ_A_M: Final = 6378245.0
_GCJ_EE: Final = 0.00669342162296594323
# BD-09 uses pi * 3000 / 180 as the angular frequency of its perturbation.
_BD_X_PI: Final = math.pi * 3000.0 / 180.0
_BD_DLON_DEG: Final = 0.0065
_BD_DLAT_DEG: Final = 0.006

_DEFAULT_TOL_DEG: Final = 1e-9
_DEFAULT_MAX_ITER: Final = 30


# --------------------------------------------------------------------------------------------
# Input handling


def _as_arrays(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray, bool]:
    """Broadcast both inputs to float64 arrays; also say whether both were scalars."""
    lon_arr = np.asarray(lon, dtype=np.float64)
    lat_arr = np.asarray(lat, dtype=np.float64)
    is_scalar = lon_arr.ndim == 0 and lat_arr.ndim == 0
    lon_b, lat_b = np.broadcast_arrays(lon_arr, lat_arr)
    # broadcast_arrays returns read-only views; the iterations below write into copies.
    return np.array(lon_b, dtype=np.float64), np.array(lat_b, dtype=np.float64), is_scalar


def _out(lon: FloatArray, lat: FloatArray, is_scalar: bool) -> tuple[float | FloatArray, float | FloatArray]:
    if is_scalar:
        return float(lon), float(lat)
    return lon, lat


# --------------------------------------------------------------------------------------------
# Bounding boxes


def _in_box(lon: FloatArray, lat: FloatArray, box: tuple[float, float, float, float]) -> BoolArray:
    lon_min, lat_min, lon_max, lat_max = box
    return (lon >= lon_min) & (lon <= lon_max) & (lat >= lat_min) & (lat <= lat_max)


@overload
def in_china(lon: float, lat: float) -> bool: ...
@overload
def in_china(lon: npt.ArrayLike, lat: npt.ArrayLike) -> BoolArray: ...
def in_china(lon: npt.ArrayLike, lat: npt.ArrayLike) -> bool | BoolArray:
    """Whether points lie in the rough mainland-China box where GCJ-02 applies.

    Parameters
    ----------
    lon, lat : float or array_like
        Longitude and latitude in degrees (WGS84 or GCJ-02; the box is too coarse to care).

    Returns
    -------
    bool or numpy.ndarray of bool
        True inside :data:`CHINA_BOUNDS` (edges included); a bool for scalar input.
    """
    lon_a, lat_a, is_scalar = _as_arrays(lon, lat)
    inside = _in_box(lon_a, lat_a, CHINA_BOUNDS)
    return bool(inside) if is_scalar else inside


@overload
def in_ordos_bounds(lon: float, lat: float) -> bool: ...
@overload
def in_ordos_bounds(lon: npt.ArrayLike, lat: npt.ArrayLike) -> BoolArray: ...
def in_ordos_bounds(lon: npt.ArrayLike, lat: npt.ArrayLike) -> bool | BoolArray:
    """Whether WGS84 points lie inside :data:`ORDOS_BOUNDS` (edges included).

    Parameters
    ----------
    lon, lat : float or array_like
        WGS84 longitude and latitude in degrees. NaN is outside.

    Returns
    -------
    bool or numpy.ndarray of bool
        A bool for scalar input, otherwise a boolean array of the broadcast shape.
    """
    lon_a, lat_a, is_scalar = _as_arrays(lon, lat)
    inside = _in_box(lon_a, lat_a, ORDOS_BOUNDS)
    return bool(inside) if is_scalar else inside


# --------------------------------------------------------------------------------------------
# GCJ-02


def _gcj_dlat_raw(x: FloatArray, y: FloatArray) -> FloatArray:
    """The published latitude polynomial; x = lon - 105, y = lat - 35 (degrees)."""
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _gcj_dlon_raw(x: FloatArray, y: FloatArray) -> FloatArray:
    """The published longitude polynomial; x = lon - 105, y = lat - 35 (degrees)."""
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _wgs84_to_gcj02(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    x = lon - 105.0
    y = lat - 35.0
    dlat = _gcj_dlat_raw(x, y)
    dlon = _gcj_dlon_raw(x, y)
    rad_lat = np.radians(lat)
    sin_lat = np.sin(rad_lat)
    magic = 1.0 - _GCJ_EE * sin_lat * sin_lat
    sqrt_magic = np.sqrt(magic)
    # The raw offsets are in metres-like units; divide by the meridional and parallel radii of
    # curvature of the Krasovsky ellipsoid to turn them into degrees.
    dlat = (dlat * 180.0) / ((_GCJ_A_M * (1.0 - _GCJ_EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_GCJ_A_M / sqrt_magic * np.cos(rad_lat) * np.pi)
    china = _in_box(lon, lat, CHINA_BOUNDS)
    return np.where(china, lon + dlon, lon), np.where(china, lat + dlat, lat)


def _gcj02_to_bd09(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _BD_X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _BD_X_PI)
    return z * np.cos(theta) + _BD_DLON_DEG, z * np.sin(theta) + _BD_DLAT_DEG


def _bd09_to_gcj02_closed_form(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Baidu's published reverse formula: a good first guess, off by up to about 0.15 m."""
    x = lon - _BD_DLON_DEG
    y = lat - _BD_DLAT_DEG
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(
    forward: _Forward,
    target_lon: FloatArray,
    target_lat: FloatArray,
    guess_lon: FloatArray,
    guess_lat: FloatArray,
    *,
    tol_deg: float,
    max_iter: int,
    name: str,
) -> tuple[FloatArray, FloatArray]:
    """Solve forward(lon, lat) = target by fixed-point iteration from a guess.

    Both forward maps are the identity plus an offset whose derivative is below 1e-2, so the
    update ``p -= forward(p) - target`` contracts by more than two decimal digits per step.
    Each point stops as soon as its own residual is within ``tol_deg``, so a point's answer does
    not depend on the other points converted with it (scalar and array calls agree exactly).
    """
    if not tol_deg > 0.0:
        msg = f"tol_deg must be a positive number of degrees, got {tol_deg!r}"
        raise ValueError(msg)
    if max_iter < 1:
        msg = f"max_iter must be at least 1, got {max_iter!r}"
        raise ValueError(msg)
    shape = target_lon.shape
    t_lon, t_lat = target_lon.ravel(), target_lat.ravel()
    lon, lat = guess_lon.ravel().copy(), guess_lat.ravel().copy()
    active = np.arange(lon.size)
    for _ in range(max_iter):
        fwd_lon, fwd_lat = forward(lon[active], lat[active])
        res_lon = fwd_lon - t_lon[active]
        res_lat = fwd_lat - t_lat[active]
        # NaN compares False: NaN input stays NaN and does not keep the loop going.
        moving = np.maximum(np.abs(res_lon), np.abs(res_lat)) > tol_deg
        active = active[moving]
        if active.size == 0:
            return lon.reshape(shape), lat.reshape(shape)
        lon[active] -= res_lon[moving]
        lat[active] -= res_lat[moving]
    fwd_lon, fwd_lat = forward(lon[active], lat[active])
    residual = np.maximum(np.abs(fwd_lon - t_lon[active]), np.abs(fwd_lat - t_lat[active]))
    n_bad = int(np.count_nonzero(residual > tol_deg))
    if n_bad:
        msg = (
            f"{name}: {n_bad} point(s) did not converge within {max_iter} iterations "
            f"(worst residual {float(residual.max()):.3g}°, tolerance {tol_deg:.3g}°); this happens "
            f"only near the edge of the GCJ-02 box {CHINA_BOUNDS}, where the obfuscation jumps"
        )
        warnings.warn(msg, CareCircleWarning, stacklevel=3)
    return lon.reshape(shape), lat.reshape(shape)


@overload
def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def wgs84_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]: ...
def wgs84_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[float | FloatArray, float | FloatArray]:
    """Convert WGS84 to GCJ-02, the obfuscated system mandated for maps published in China.

    Applies the published GCJ-02 offset (Krasovsky ellipsoid, polynomial plus sine terms in
    ``lon - 105``, ``lat - 35``). Points outside :data:`CHINA_BOUNDS` are returned unchanged.

    Parameters
    ----------
    lon, lat : float or array_like
        WGS84 longitude and latitude in degrees; broadcast against each other.

    Returns
    -------
    lon, lat : float or numpy.ndarray
        GCJ-02 longitude and latitude in degrees; floats for scalar input.
    """
    lon_a, lat_a, is_scalar = _as_arrays(lon, lat)
    return _out(*_wgs84_to_gcj02(lon_a, lat_a), is_scalar)


@overload
def gcj02_to_wgs84(
    lon: float, lat: float, *, tol_deg: float = ..., max_iter: int = ...
) -> tuple[float, float]: ...
@overload
def gcj02_to_wgs84(
    lon: npt.ArrayLike, lat: npt.ArrayLike, *, tol_deg: float = ..., max_iter: int = ...
) -> tuple[FloatArray, FloatArray]: ...
def gcj02_to_wgs84(
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    *,
    tol_deg: float = _DEFAULT_TOL_DEG,
    max_iter: int = _DEFAULT_MAX_ITER,
) -> tuple[float | FloatArray, float | FloatArray]:
    """Convert GCJ-02 to WGS84 with the precise iterative inverse.

    Iterates ``p -= wgs84_to_gcj02(p) - gcj`` until the forward transform of the answer
    matches the input within ``tol_deg`` in both coordinates (usually 4-5 steps). The common
    one-step inverse ``2 * gcj - wgs84_to_gcj02(gcj)`` is off by up to about 4 m around Ordos.

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 longitude and latitude in degrees; broadcast against each other.
    tol_deg : float, default 1e-9
        Largest accepted residual of the forward transform, in degrees (1e-9° ≈ 0.1 mm).
    max_iter : int, default 30
        Iteration limit.

    Returns
    -------
    lon, lat : float or numpy.ndarray
        WGS84 longitude and latitude in degrees; floats for scalar input. NaN stays NaN.

    Raises
    ------
    ValueError
        If ``tol_deg`` is not positive or ``max_iter`` is below 1.

    Warns
    -----
    CareCircleWarning
        If some points do not converge (possible only within about 1 km of the edge of
        :data:`CHINA_BOUNDS`, where the forward transform is discontinuous).
    """
    lon_a, lat_a, is_scalar = _as_arrays(lon, lat)
    fwd_lon, fwd_lat = _wgs84_to_gcj02(lon_a, lat_a)
    # The one-step inverse is already within metres; iteration removes the rest.
    guess_lon = 2.0 * lon_a - fwd_lon
    guess_lat = 2.0 * lat_a - fwd_lat
    res = _invert(
        _wgs84_to_gcj02,
        lon_a,
        lat_a,
        guess_lon,
        guess_lat,
        tol_deg=tol_deg,
        max_iter=max_iter,
        name="gcj02_to_wgs84",
    )
    return _out(*res, is_scalar)


# --------------------------------------------------------------------------------------------
# BD-09


@overload
def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def gcj02_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]: ...
def gcj02_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[float | FloatArray, float | FloatArray]:
    """Convert GCJ-02 to Baidu's BD-09 (``bd09ll``).

    BD-09 perturbs the GCJ-02 point in polar form (radius by ``2e-5 * sin(lat * 3000π/180)``,
    angle by ``3e-6 * cos(lon * 3000π/180)``) and shifts it by (0.0065°, 0.006°). It is applied
    everywhere, also outside China.

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 longitude and latitude in degrees; broadcast against each other.

    Returns
    -------
    lon, lat : float or numpy.ndarray
        BD-09 longitude and latitude in degrees; floats for scalar input.
    """
    lon_a, lat_a, is_scalar = _as_arrays(lon, lat)
    return _out(*_gcj02_to_bd09(lon_a, lat_a), is_scalar)


@overload
def bd09_to_gcj02(
    lon: float, lat: float, *, tol_deg: float = ..., max_iter: int = ...
) -> tuple[float, float]: ...
@overload
def bd09_to_gcj02(
    lon: npt.ArrayLike, lat: npt.ArrayLike, *, tol_deg: float = ..., max_iter: int = ...
) -> tuple[FloatArray, FloatArray]: ...
def bd09_to_gcj02(
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    *,
    tol_deg: float = _DEFAULT_TOL_DEG,
    max_iter: int = _DEFAULT_MAX_ITER,
) -> tuple[float | FloatArray, float | FloatArray]:
    """Convert BD-09 to GCJ-02 with the precise iterative inverse.

    Starts from Baidu's closed-form reverse formula (which is approximate, off by up to about
    0.15 m) and iterates ``p -= gcj02_to_bd09(p) - bd`` until the forward transform of the
    answer matches the input within ``tol_deg``.

    Parameters
    ----------
    lon, lat : float or array_like
        BD-09 longitude and latitude in degrees; broadcast against each other.
    tol_deg : float, default 1e-9
        Largest accepted residual of the forward transform, in degrees (1e-9° ≈ 0.1 mm).
    max_iter : int, default 30
        Iteration limit.

    Returns
    -------
    lon, lat : float or numpy.ndarray
        GCJ-02 longitude and latitude in degrees; floats for scalar input. NaN stays NaN.

    Raises
    ------
    ValueError
        If ``tol_deg`` is not positive or ``max_iter`` is below 1.
    """
    lon_a, lat_a, is_scalar = _as_arrays(lon, lat)
    guess_lon, guess_lat = _bd09_to_gcj02_closed_form(lon_a, lat_a)
    res = _invert(
        _gcj02_to_bd09,
        lon_a,
        lat_a,
        guess_lon,
        guess_lat,
        tol_deg=tol_deg,
        max_iter=max_iter,
        name="bd09_to_gcj02",
    )
    return _out(*res, is_scalar)


@overload
def wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def wgs84_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]: ...
def wgs84_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[float | FloatArray, float | FloatArray]:
    """Convert WGS84 to BD-09 (via GCJ-02).

    Parameters
    ----------
    lon, lat : float or array_like
        WGS84 longitude and latitude in degrees; broadcast against each other.

    Returns
    -------
    lon, lat : float or numpy.ndarray
        BD-09 longitude and latitude in degrees; floats for scalar input.
    """
    lon_a, lat_a, is_scalar = _as_arrays(lon, lat)
    return _out(*_gcj02_to_bd09(*_wgs84_to_gcj02(lon_a, lat_a)), is_scalar)


@overload
def bd09_to_wgs84(
    lon: float, lat: float, *, tol_deg: float = ..., max_iter: int = ...
) -> tuple[float, float]: ...
@overload
def bd09_to_wgs84(
    lon: npt.ArrayLike, lat: npt.ArrayLike, *, tol_deg: float = ..., max_iter: int = ...
) -> tuple[FloatArray, FloatArray]: ...
def bd09_to_wgs84(
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    *,
    tol_deg: float = _DEFAULT_TOL_DEG,
    max_iter: int = _DEFAULT_MAX_ITER,
) -> tuple[float | FloatArray, float | FloatArray]:
    """Convert BD-09 to WGS84 (via GCJ-02), inverting both steps precisely.

    Parameters
    ----------
    lon, lat : float or array_like
        BD-09 longitude and latitude in degrees; broadcast against each other.
    tol_deg : float, default 1e-9
        Residual tolerance of each of the two inversions, in degrees.
    max_iter : int, default 30
        Iteration limit of each inversion.

    Returns
    -------
    lon, lat : float or numpy.ndarray
        WGS84 longitude and latitude in degrees; floats for scalar input.

    Raises
    ------
    ValueError
        If ``tol_deg`` is not positive or ``max_iter`` is below 1.
    """
    lon_a, lat_a, is_scalar = _as_arrays(lon, lat)
    gcj_lon, gcj_lat = bd09_to_gcj02(lon_a, lat_a, tol_deg=tol_deg, max_iter=max_iter)
    return _out(*gcj02_to_wgs84(gcj_lon, gcj_lat, tol_deg=tol_deg, max_iter=max_iter), is_scalar)


# --------------------------------------------------------------------------------------------
# Dispatch by name


def _fold_crs_name(name: str) -> str:
    return "".join(ch for ch in name.strip().casefold() if ch not in "-_ ")


def normalize_crs(name: str) -> CrsName:
    """Return the canonical name (one of :data:`SUPPORTED_CRS`) of a coordinate system.

    Case, spaces, hyphens and underscores are ignored, so ``"WGS84"``, ``"WGS-84"``,
    ``"EPSG:4326"``, ``"GCJ-02"``, ``"gcj02"``, ``"BD-09"``, ``"bd09"`` and ``"bd09ll"`` are all
    accepted.

    Parameters
    ----------
    name : str
        A coordinate system name as a user or a file header gives it.

    Returns
    -------
    {"wgs84", "gcj02", "bd09"}

    Raises
    ------
    DataError
        (a ValueError) If the name is not recognised; the message lists the valid names.
    """
    folded = _fold_crs_name(name) if isinstance(name, str) else None
    canonical = _CRS_ALIASES.get(folded) if folded is not None else None
    if canonical is None:
        msg = (
            f"Unknown coordinate system {name!r}: expected one of {', '.join(SUPPORTED_CRS)} "
            f"(aliases such as 'WGS84', 'EPSG:4326', 'GCJ-02', 'BD-09' are accepted)"
        )
        raise DataError(msg)
    return canonical


@overload
def to_wgs84(lon: float, lat: float, *, crs: str) -> tuple[float, float]: ...
@overload
def to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike, *, crs: str) -> tuple[FloatArray, FloatArray]: ...
def to_wgs84(
    lon: npt.ArrayLike, lat: npt.ArrayLike, *, crs: str
) -> tuple[float | FloatArray, float | FloatArray]:
    """Convert coordinates given in ``crs`` to WGS84.

    Parameters
    ----------
    lon, lat : float or array_like
        Longitude and latitude in degrees, in the system named by ``crs``.
    crs : str
        ``"wgs84"``, ``"gcj02"`` or ``"bd09"``, or an alias accepted by :func:`normalize_crs`.

    Returns
    -------
    lon, lat : float or numpy.ndarray
        WGS84 longitude and latitude in degrees; floats for scalar input.

    Raises
    ------
    DataError
        (a ValueError) If ``crs`` is not a supported coordinate system.
    """
    canonical = normalize_crs(crs)
    lon_a, lat_a, is_scalar = _as_arrays(lon, lat)
    if canonical == "gcj02":
        lon_a, lat_a = gcj02_to_wgs84(lon_a, lat_a)
    elif canonical == "bd09":
        lon_a, lat_a = bd09_to_wgs84(lon_a, lat_a)
    return _out(lon_a, lat_a, is_scalar)


@overload
def from_wgs84(lon: float, lat: float, *, crs: str) -> tuple[float, float]: ...
@overload
def from_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike, *, crs: str) -> tuple[FloatArray, FloatArray]: ...
def from_wgs84(
    lon: npt.ArrayLike, lat: npt.ArrayLike, *, crs: str
) -> tuple[float | FloatArray, float | FloatArray]:
    """Convert WGS84 coordinates to ``crs`` (e.g. to place points on AutoNavi or Baidu tiles).

    Parameters
    ----------
    lon, lat : float or array_like
        WGS84 longitude and latitude in degrees.
    crs : str
        ``"wgs84"``, ``"gcj02"`` or ``"bd09"``, or an alias accepted by :func:`normalize_crs`.

    Returns
    -------
    lon, lat : float or numpy.ndarray
        Longitude and latitude in degrees in ``crs``; floats for scalar input.

    Raises
    ------
    DataError
        (a ValueError) If ``crs`` is not a supported coordinate system.
    """
    canonical = normalize_crs(crs)
    lon_a, lat_a, is_scalar = _as_arrays(lon, lat)
    if canonical == "gcj02":
        lon_a, lat_a = _wgs84_to_gcj02(lon_a, lat_a)
    elif canonical == "bd09":
        lon_a, lat_a = _gcj02_to_bd09(*_wgs84_to_gcj02(lon_a, lat_a))
    return _out(lon_a, lat_a, is_scalar)


# --------------------------------------------------------------------------------------------
# Metric projection


@functools.cache
def _transformer(*, inverse: bool) -> Transformer:
    # pyproj Transformers are thread-safe since pyproj 3.1, so one cached pair serves all threads: each
    # new thread rebuilds the PROJ object from its definition. Built from a pipeline that rebuild takes
    # under a millisecond (from CRSs it searches PROJ's database, about 0.2 s); the app runs every
    # rerun in a new thread, so this is paid per rerun.
    from pyproj import Transformer

    # The operation between WGS84 and ORDOS_METRIC_CRS (same datum) as a PROJ pipeline: the same
    # arithmetic as ``Transformer.from_crs(..., always_xy=True)``, without building both CRS objects
    # and looking the operation up in PROJ's database on every start.
    tmerc = "+proj=tmerc +lat_0=0 +lon_0=109 +k=1 +x_0=500000 +y_0=0 +ellps=WGS84"
    if inverse:
        return Transformer.from_pipeline(
            f"+proj=pipeline +step +inv {tmerc} +step +proj=unitconvert +xy_in=rad +xy_out=deg"
        )
    return Transformer.from_pipeline(
        f"+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad +step {tmerc}"
    )


@overload
def to_metric(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def to_metric(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]: ...
def to_metric(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[float | FloatArray, float | FloatArray]:
    """Project WGS84 coordinates to :data:`ORDOS_METRIC_CRS`.

    Parameters
    ----------
    lon, lat : float or array_like
        WGS84 longitude and latitude in degrees; broadcast against each other.

    Returns
    -------
    x_m, y_m : float or numpy.ndarray
        Easting and northing in metres; floats for scalar input.
    """
    lon_a, lat_a, is_scalar = _as_arrays(lon, lat)
    x_m, y_m = _transformer(inverse=False).transform(lon_a, lat_a)
    return _out(np.asarray(x_m, dtype=np.float64), np.asarray(y_m, dtype=np.float64), is_scalar)


@overload
def from_metric(x_m: float, y_m: float) -> tuple[float, float]: ...
@overload
def from_metric(x_m: npt.ArrayLike, y_m: npt.ArrayLike) -> tuple[FloatArray, FloatArray]: ...
def from_metric(x_m: npt.ArrayLike, y_m: npt.ArrayLike) -> tuple[float | FloatArray, float | FloatArray]:
    """Unproject :data:`ORDOS_METRIC_CRS` coordinates to WGS84.

    Parameters
    ----------
    x_m, y_m : float or array_like
        Easting and northing in metres; broadcast against each other.

    Returns
    -------
    lon, lat : float or numpy.ndarray
        WGS84 longitude and latitude in degrees; floats for scalar input.
    """
    x_a, y_a, is_scalar = _as_arrays(x_m, y_m)
    lon, lat = _transformer(inverse=True).transform(x_a, y_a)
    return _out(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64), is_scalar)
