"""Coordinates of imported rows: conversion of the file's CRS to WGS84 and address lookups.

Used by validation (``geo.validate``) while it checks rows and re-exported by ``geo.importer``;
it depends on neither, so the two no longer import each other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from geo.crs import in_ordos_bounds, to_wgs84

__all__ = [
    "GEOCODED_MARK",
    "Geocoder",
    "convert_to_wgs84",
    "geocode_missing",
    "is_geocoded",
    "mark_geocoded",
]

Geocoder = Callable[[str], tuple[float, float] | None]
"""An address → WGS84 ``(lon, lat)`` lookup (an offline gazetteer by default); None when not found."""

# Appended to ``source`` of rows whose coordinates came from the gazetteer, not from the file.
GEOCODED_MARK: Final[str] = "坐标由地址推算 geocoded from address"

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


# --- coordinates ---------------------------------------------------------------------------------


def convert_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike, *, crs: str) -> tuple[FloatArray, FloatArray]:
    """Convert file coordinates to WGS84, leaving missing (NaN) coordinates missing.

    Parameters
    ----------
    lon, lat
        Longitudes and latitudes in degrees, in the coordinate system ``crs``; NaN where absent.
    crs
        ``"wgs84"``, ``"gcj02"`` (AutoNavi/Tencent) or ``"bd09"`` (Baidu).

    Returns
    -------
    lon, lat : numpy.ndarray
        WGS84 degrees, NaN where the input was NaN or not finite.

    Raises
    ------
    DataError
        When ``crs`` is not a supported coordinate system.
    """
    lon_a = np.array(lon, dtype=np.float64, ndmin=1)
    lat_a = np.array(lat, dtype=np.float64, ndmin=1)
    out_lon = np.full(lon_a.shape, np.nan)
    out_lat = np.full(lat_a.shape, np.nan)
    # Only plausible geographic values go through the (iterative) inverse transforms.
    ok = np.isfinite(lon_a) & np.isfinite(lat_a) & (np.abs(lon_a) <= 180) & (np.abs(lat_a) <= 90)
    if ok.any():
        out_lon[ok], out_lat[ok] = to_wgs84(lon_a[ok], lat_a[ok], crs=crs)
    return out_lon, out_lat


def mark_geocoded(source: str) -> str:
    """``source`` with the mark that says its coordinates were looked up from the address."""
    if GEOCODED_MARK in source:
        return source
    return f"{source}; {GEOCODED_MARK}" if source else GEOCODED_MARK


def is_geocoded(source: str) -> bool:
    """Whether a facility's coordinates were geocoded rather than given in the file."""
    return GEOCODED_MARK in source


def geocode_missing(
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    queries: Sequence[str],
    geocode: Geocoder,
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Fill missing coordinates by looking up each row's address in a gazetteer.

    Parameters
    ----------
    lon, lat
        WGS84 degrees, NaN where the file gave no coordinates.
    queries
        One lookup text per row (e.g. address with township); empty when nothing to look up.
    geocode
        The lookup; returns WGS84 ``(lon, lat)`` or None. Exceptions it raises count as not found.

    Returns
    -------
    lon, lat, geocoded
        Coordinates with the found points filled in, and a mask of the rows that were geocoded.
        Found points outside the Ordos extent are discarded (a gazetteer hit in another city).
    """
    lon_a = np.array(lon, dtype=np.float64, ndmin=1)
    lat_a = np.array(lat, dtype=np.float64, ndmin=1)
    geocoded = np.zeros(lon_a.shape, dtype=bool)
    for i in np.flatnonzero(np.isnan(lon_a) | np.isnan(lat_a)).tolist():
        query = queries[i].strip()
        if not query:
            continue
        try:
            hit = geocode(query)
        except Exception:  # a broken gazetteer must not break validation
            hit = None
        if hit is None:
            continue
        try:
            hit_lon, hit_lat = float(hit[0]), float(hit[1])
        except (TypeError, ValueError, IndexError):
            continue
        if np.isfinite(hit_lon) and np.isfinite(hit_lat) and in_ordos_bounds(hit_lon, hit_lat):
            lon_a[i], lat_a[i] = hit_lon, hit_lat
            geocoded[i] = True
    return lon_a, lat_a, geocoded
