"""The resident's question: what is near me, how many minutes away, is it open now, how do I get there?

* :func:`nearby` ranks facilities by travel minutes from one point with any travel model.
* :func:`find_services` is the finder's whole answer for one place, need and mode, as plain records:
  the finder page draws its cards from them and ``python -m geo nearby`` prints them, so both show
  exactly the same thing for the same input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.crs import to_metric
from geo.errors import DataError
from geo.gazetteer import Place
from geo.hours import describe_hours, is_open
from geo.navigation import navigation_links
from geo.options import FINDER_MODES as FINDER_MODES
from geo.options import REACH_MIN as REACH_MIN
from geo.options import RESULTS_LIMIT as RESULTS_LIMIT
from geo.options import SEARCH_MIN as SEARCH_MIN
from geo.schema import CATEGORY_ALIASES, FACILITY_TYPES, normalise_type, type_label, types_of
from geo.travel import TravelModel, as_lonlat, check_budget, od_pairs

__all__ = [
    "FINDER_MODES",
    "NEEDS",
    "REACH_MIN",
    "RESULTS_LIMIT",
    "SEARCH_MIN",
    "Found",
    "find_services",
    "is_open",
    "nearby",
    "parse_need",
]

NEEDS: Final[dict[str, tuple[str, ...]]] = {
    "elderly": tuple(types_of("elderly")),
    "child": tuple(types_of("child")),
    **{code: (code,) for code in FACILITY_TYPES},
}
"""What a resident can ask for: a whole category or one facility type → the type codes it covers."""


def parse_need(value: str) -> str:
    """The need code for a category or type, given as a code or a Chinese label.

    Raises
    ------
    DataError
        Listing the accepted values, in Chinese and English.
    """
    key = str(value).strip()
    if key.lower() in NEEDS:
        return key.lower()
    category = CATEGORY_ALIASES.get(key)
    if category in NEEDS:
        return str(category)
    code = normalise_type(key)
    if code is not None:
        return code
    choices = ", ".join(NEEDS)
    msg = f"未知的服务类型「{key}」,可选:{choices}。 / Unknown service type {key!r}; choose one of {choices}."
    raise DataError(msg)


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
    rows, minutes, distance_m = _ranked(facilities, home_lonlat, model, budget_min=budget_min, limit=limit)
    out = facilities.iloc[rows]
    out.index = pd.RangeIndex(len(out))  # what reset_index(drop=True) gives, without copying the rows
    out["minutes"] = minutes
    out["distance_m"] = distance_m
    return out


def _ranked(
    facilities: pd.DataFrame,
    home_lonlat: tuple[float, float],
    model: TravelModel,
    *,
    budget_min: float,
    limit: int | None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """What :func:`nearby` lists, as row positions of ``facilities`` with their minutes and metres.

    Worked out on arrays; the table is not taken: each pandas take copies every column, and this runs
    on every search of every resident.
    """
    budget = check_budget(budget_min)
    home = as_lonlat(np.asarray(home_lonlat, dtype=float).reshape(1, 2), what="home")
    status = facilities["status"]
    open_at = np.flatnonzero(
        status.isin(["open", ""]).to_numpy(dtype=bool) | status.isna().to_numpy(dtype=bool)
    )
    lon = facilities["lon"].to_numpy(dtype=float)[open_at]
    lat = facilities["lat"].to_numpy(dtype=float)[open_at]
    pairs = od_pairs(model, np.column_stack([lon, lat]), home, budget_min=budget)
    reached = pairs.origin
    hx, hy = to_metric(home[0, 0], home[0, 1])
    fx, fy = to_metric(lon[reached], lat[reached])
    distance_m = np.hypot(np.atleast_1d(fx) - hx, np.atleast_1d(fy) - hy)
    names = facilities["name"].iloc[open_at[reached]].to_numpy(dtype=object).astype(str)
    # Minutes, then distance, then name; ties keep the table's order (a stable sort).
    order = np.lexsort((names, distance_m, pairs.minutes))
    if limit is not None:
        order = order[:limit]
    return open_at[reached][order], pairs.minutes[order], distance_m[order]


_RECORD_COLUMNS: Final[tuple[str, ...]] = (
    "facility_id",
    "name",
    "type",
    "lon",
    "lat",
    "opening_hours",
    "available_places",
    "capacity",
    "capacity_unit",
    "phone",
    "address",
)
"""The facility columns a finder record is made from."""


@dataclass(frozen=True)
class Found:
    """The finder's answer: where, what was asked, and the ranked facilities as plain records.

    Each record has ``rank``, ``facility_id``, ``name``, ``type``, ``type_label``, ``minutes``
    (whole minutes as shown, at least 1), ``distance_m`` (straight line, whole metres), ``open_now``
    (True, False or None for unknown), ``opening_hours`` (as published), ``hours_text`` (in words of
    the language), ``available_places``, ``capacity``, ``capacity_unit``, ``phone``, ``address``,
    ``lon``, ``lat`` (WGS84) and ``navigation`` (links of :func:`geo.navigation.navigation_links`).
    """

    place: Place
    need: str
    mode: str
    budget_min: float
    lang: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    model: dict[str, Any] = field(default_factory=dict)

    def place_record(self) -> dict[str, Any]:
        """The resolved place as a plain record (``name``, ``kind``, ``lon``, ``lat`` …)."""
        p = self.place
        return {
            "name": p.name,
            "kind": p.kind,
            "lon": round(p.lon, 6),
            "lat": round(p.lat, 6),
            "match": p.match,
            "area": p.area,
            "modelled": p.modelled,
        }


def _optional_int(value: object) -> int | None:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return int(float(str(value)))


def find_services(
    facilities: pd.DataFrame,
    place: Place,
    model: TravelModel,
    *,
    need: str,
    mode: str,
    now: datetime,
    lang: str = "zh",
    budget_min: float = SEARCH_MIN,
    limit: int = RESULTS_LIMIT,
) -> Found:
    """What the finder shows for one place, need and travel mode.

    Parameters
    ----------
    facilities
        Published facilities (contract columns).
    place
        The resident's resolved place (WGS84).
    model
        Travel model of ``mode``.
    need
        A key of :data:`NEEDS` (a category or a type code) or a label :func:`parse_need` reads.
    mode
        The travel mode's name (for the record and the navigation links).
    now
        Local time in Ordos, for "open now".
    lang
        ``zh`` or ``en``: language of ``type_label`` and ``hours_text``.
    budget_min
        Largest travel time listed, in minutes.
    limit
        Most facilities listed.

    Returns
    -------
    Found
    """
    need = need if need in NEEDS else parse_need(need)
    wanted = facilities["type"].isin(NEEDS[need]).to_numpy(dtype=bool)
    chosen = facilities if wanted.all() else facilities.loc[wanted]
    positions, minutes, distance_m = _ranked(
        chosen, (place.lon, place.lat), model, budget_min=budget_min, limit=limit
    )
    # The listed rows of the columns a record shows, as Python values (not a table taken and turned
    # into records).
    shown = [c for c in _RECORD_COLUMNS if c in chosen.columns]
    values = {c: chosen[c].iloc[positions].tolist() for c in shown}
    origin_name = place.name if place.kind not in ("coordinates", "click") else ""
    rows = []
    for i in range(len(positions)):
        rec = {c: values[c][i] for c in shown}
        rec["minutes"], rec["distance_m"] = minutes[i], distance_m[i]
        lon, lat = float(rec["lon"]), float(rec["lat"])
        hours = str(rec.get("opening_hours") or "")
        rows.append(
            {
                "rank": i + 1,
                "facility_id": str(rec["facility_id"]),
                "name": str(rec["name"]),
                "type": str(rec["type"]),
                "type_label": type_label(str(rec["type"]), lang),
                "minutes": max(1, round(float(rec["minutes"]))),
                "distance_m": round(float(rec["distance_m"])),
                "open_now": is_open(hours, now),
                "opening_hours": hours,
                "hours_text": describe_hours(hours, lang),
                "available_places": _optional_int(rec.get("available_places")),
                "capacity": _optional_int(rec.get("capacity")),
                "capacity_unit": str(rec.get("capacity_unit") or ""),
                "phone": str(rec.get("phone") or ""),
                "address": str(rec.get("address") or ""),
                "lon": round(lon, 6),
                "lat": round(lat, 6),
                "navigation": navigation_links(
                    (lon, lat),
                    str(rec["name"]),
                    mode=mode,
                    origin_lonlat=(place.lon, place.lat),
                    origin_name=origin_name,
                ),
            }
        )
    return Found(
        place=place,
        need=need,
        mode=mode,
        budget_min=float(budget_min),
        lang=lang,
        rows=rows,
        model=model.describe(),
    )
