"""Candidate sites for new facilities: the populated demand cells far enough from existing ones."""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.spatial import cKDTree

from geo.errors import DataError

__all__ = ["ORDOS_TMERC_PROJ", "candidate_mask", "candidates_from_cells"]

#: Transverse Mercator centred on Ordos (about 106.7-111.5 E): metres with < 0.1 % scale error.
ORDOS_TMERC_PROJ: Final[str] = "+proj=tmerc +lat_0=0 +lon_0=109 +k=1 +x_0=500000 +y_0=0 +ellps=WGS84 +units=m"


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
