"""The resident's question: what is near me, how many minutes away, is it open now?

* :func:`nearby` ranks facilities by travel minutes from one point with any travel model.
* :func:`is_open` reads the subset of OpenStreetMap ``opening_hours`` syntax that facility lists use
  (``24/7``; ``Mo-Fr 08:00-18:00``; ``Mo,We 08:00-12:00,14:00-17:30``; ``Sa 09:00-12:00; Su off``;
  ``Mo-Su 22:00-06:00`` across midnight). Anything else gives ``None``: "unknown", never a guess.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Final

import numpy as np
import pandas as pd

from geo.crs import to_metric
from geo.travel import TravelModel, as_lonlat, check_budget

DAYS: Final[tuple[str, ...]] = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_TIME = r"([01]?\d|2[0-4]):([0-5]\d)"
_RANGE_RE: Final = re.compile(rf"^{_TIME}\s*-\s*{_TIME}$")
_DAYS_RE: Final = re.compile(r"^(Mo|Tu|We|Th|Fr|Sa|Su)(\s*-\s*(Mo|Tu|We|Th|Fr|Sa|Su))?$")


def _days(spec: str) -> set[int] | None:
    out: set[int] = set()
    for part in spec.split(","):
        match = _DAYS_RE.match(part.strip())
        if match is None:
            return None
        first = DAYS.index(match.group(1))
        last = DAYS.index(match.group(3)) if match.group(3) else first
        span = range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)]
        out.update(span)
    return out


def _minutes_ranges(spec: str) -> list[tuple[int, int]] | None:
    out = []
    for part in spec.split(","):
        match = _RANGE_RE.match(part.strip())
        if match is None:
            return None
        start = int(match.group(1)) * 60 + int(match.group(2))
        end = int(match.group(3)) * 60 + int(match.group(4))
        out.append((start, end))
    return out


def is_open(opening_hours: str | None, when: datetime) -> bool | None:
    """Whether a facility is open at ``when`` according to its ``opening_hours`` text.

    Parameters
    ----------
    opening_hours
        OSM ``opening_hours`` text (the subset described in the module docstring).
    when
        Local time in Ordos (China Standard Time); its tzinfo is ignored.

    Returns
    -------
    bool or None
        ``True``/``False``, or ``None`` when the text is empty or outside the supported subset.
    """
    text = (opening_hours or "").strip()
    if not text:
        return None
    if text == "24/7":
        return True
    weekday = when.weekday()
    minute = when.hour * 60 + when.minute
    # Later rules override earlier ones for the days they name (OSM semantics).
    state: bool | None = None
    known = False
    for rule in filter(None, (r.strip() for r in text.split(";"))):
        if rule.startswith("PH"):
            continue  # public holidays: no calendar here, so the rule cannot decide
        pieces = rule.split(None, 1)
        if len(pieces) == 2 and _days(pieces[0]) is not None:
            days, times = _days(pieces[0]), pieces[1].strip()
        else:
            days, times = set(range(7)), rule
        if days is None:
            return None
        if times in ("off", "closed"):
            ranges: list[tuple[int, int]] | None = []
        elif times == "24:00" or times == "00:00-24:00":
            ranges = [(0, 24 * 60)]
        else:
            ranges = _minutes_ranges(times)
        if ranges is None:
            return None
        known = True
        yesterday = (weekday - 1) % 7
        # A range past midnight (22:00-06:00) belongs to the day it starts on.
        overnight = any(end < start and minute < end for start, end in ranges) and yesterday in days
        if weekday in days:
            state = any(start <= minute < end or (end < start and minute >= start) for start, end in ranges)
        if overnight:
            state = True
    if not known:
        return None
    return bool(state) if state is not None else False


def nearby(
    facilities: pd.DataFrame,
    home_lonlat: tuple[float, float],
    model: TravelModel,
    *,
    budget_min: float,
    limit: int | None = 20,
) -> pd.DataFrame:
    """Facilities reachable from one point within ``budget_min``, nearest first.

    Parameters
    ----------
    facilities
        Facility table (contract columns); closed facilities are left out.
    home_lonlat
        WGS84 lon, lat of the resident.
    model
        Travel model (straight-line or network).
    budget_min
        Largest travel time in minutes.
    limit
        Number of rows to keep (``None`` for all).

    Returns
    -------
    DataFrame
        The facility columns plus ``minutes`` and ``distance_m`` (straight-line metres), sorted by
        minutes, then distance, then name.
    """
    budget = check_budget(budget_min)
    home = as_lonlat(np.asarray(home_lonlat, dtype=float).reshape(1, 2), what="home")
    candidates = facilities[facilities["status"].fillna("").isin(["open", ""])].reset_index(drop=True)
    if candidates.empty:
        return candidates.assign(minutes=pd.Series(dtype=float), distance_m=pd.Series(dtype=float))
    origins = candidates[["lon", "lat"]].to_numpy(float)
    matrix = model.od_matrix(origins, home, budget_min=budget).tocsc()
    col = matrix.getcol(0)
    rows = col.indices
    out = candidates.iloc[rows].copy()
    out["minutes"] = col.data
    hx, hy = to_metric(home[0, 0], home[0, 1])
    fx, fy = to_metric(out["lon"].to_numpy(float), out["lat"].to_numpy(float))
    out["distance_m"] = np.hypot(np.atleast_1d(fx) - hx, np.atleast_1d(fy) - hy)
    out = out.sort_values(["minutes", "distance_m", "name"], kind="stable").reset_index(drop=True)
    return out if limit is None else out.head(limit)
