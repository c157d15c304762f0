"""Names for places that have none: a demand cell named by its township, settlement and bearing.

A gap in coverage is a demand cell (an H3 hexagon) with people and no facility in reach. Its H3 id
means nothing to a planner; "罕台镇 · 乡村,距乡镇驻地东北 4.3 公里" does. :func:`cell_places` names
cells by district, township and settlement kind (city area, township seat, village area) and, when a
township centre is known, by the direction and distance from it.

Township centres are the inside points of imported township polygons, else the seats given (e.g.
``datasets/townships_modelled.csv``) or, for townships without either, the population-weighted centre
of their demand cells (:func:`township_centres`), so imported demand and boundaries are named the same
way. A place is said to lie from the township *seat* only where a seat is known, else from its centre.
"""

from __future__ import annotations

import math
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.crs import to_metric
from geo.fmt import check_lang
from geo.texts import settlement_label, text

__all__ = ["bearing_word", "cell_places", "township_centres"]

_BEARINGS_ZH: Final[tuple[str, ...]] = ("北", "东北", "东", "东南", "南", "西南", "西", "西北")
_BEARINGS_EN: Final[tuple[str, ...]] = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
NEAR_M: Final[float] = 500.0
"""Closer than this to the centre, a cell is "near the township seat" (no bearing)."""


def bearing_word(dx_m: float, dy_m: float, lang: str) -> str:
    """The compass point (8 directions) of a metric offset east ``dx_m`` and north ``dy_m``."""
    angle = math.degrees(math.atan2(dx_m, dy_m)) % 360.0  # 0 = north, clockwise
    k = int(((angle + 22.5) % 360.0) // 45.0)
    return (_BEARINGS_ZH if check_lang(lang) == "zh" else _BEARINGS_EN)[k]


def township_centres(
    cells: pd.DataFrame,
    seats: pd.DataFrame | None = None,
    *,
    polygons: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """Centre of each township: the inside point of its imported polygon, else its seat, else the
    population-weighted centre of its cells.

    Parameters
    ----------
    cells : pandas.DataFrame
        Demand cells with ``township_code``, ``lon``, ``lat`` (WGS84) and ``pop_total``.
    seats : pandas.DataFrame, optional
        ``code, lon, lat`` of township seats (WGS84).
    polygons : geopandas.GeoDataFrame, optional
        Imported township polygons (``code, geometry``, WGS84).

    Returns
    -------
    pandas.DataFrame
        ``code, lon, lat, basis`` with codes as text; ``basis`` is ``seat`` for a township seat and
        ``centre`` for a polygon's or the cells' centre (places are then named from the centre).
    """
    if "township_code" not in cells.columns or cells.empty:
        centres = pd.DataFrame(columns=["code", "lon", "lat", "basis"])
    else:
        weights = pd.to_numeric(cells["pop_total"], errors="coerce").fillna(0.0).clip(lower=1.0)
        work = pd.DataFrame(
            {
                "code": cells["township_code"].astype(str).str.removesuffix(".0"),
                "wlon": cells["lon"].to_numpy(float) * weights,
                "wlat": cells["lat"].to_numpy(float) * weights,
                "w": weights,
            }
        )
        work = work[(work["code"] != "") & (work["code"] != "nan")]
        sums = work.groupby("code")[["wlon", "wlat", "w"]].sum()
        centres = pd.DataFrame(
            {
                "code": sums.index,
                "lon": sums["wlon"] / sums["w"],
                "lat": sums["wlat"] / sums["w"],
                "basis": "centre",
            }
        ).reset_index(drop=True)
    given: list[pd.DataFrame] = []
    if polygons is not None and not polygons.empty:
        inside = polygons.geometry.representative_point()
        given.append(
            pd.DataFrame(
                {
                    "code": polygons["code"].astype(str).to_numpy(),
                    "lon": inside.x.to_numpy(float),
                    "lat": inside.y.to_numpy(float),
                    "basis": "centre",
                }
            )
        )
    if seats is not None and not seats.empty:
        given.append(
            pd.DataFrame(
                {
                    "code": seats["code"].astype(str),
                    "lon": seats["lon"].astype(float),
                    "lat": seats["lat"].astype(float),
                    "basis": "seat",
                }
            )
        )
    if given:
        first = pd.concat(given, ignore_index=True).drop_duplicates("code")
        centres = pd.concat([first, centres[~centres["code"].isin(first["code"])]], ignore_index=True)
    return centres


def cell_places(
    cells: pd.DataFrame,
    *,
    lang: str,
    townships: pd.DataFrame | None = None,
    centres: pd.DataFrame | None = None,
    districts: pd.DataFrame | None = None,
) -> pd.Series:
    """A readable name per cell: ``[district] township · settlement,direction distance from the seat``.

    Parameters
    ----------
    cells : pandas.DataFrame
        ``lon, lat`` (WGS84) and, where known, ``adcode``, ``township_code``, ``settlement``.
    lang : {"zh", "en"}
    townships : pandas.DataFrame, optional
        ``code, name`` of townships.
    centres : pandas.DataFrame, optional
        ``code, lon, lat`` (:func:`township_centres`); without it no bearing is given.
    districts : pandas.DataFrame, optional
        ``adcode`` and ``name`` (``name_en`` for English when present): the district is prefixed.

    Returns
    -------
    pandas.Series
        Text per cell, same index as ``cells``.
    """
    check_lang(lang)
    codes = (
        cells["township_code"].astype(str).str.removesuffix(".0")
        if "township_code" in cells.columns
        else pd.Series("", index=cells.index)
    )
    names = (
        {}
        if townships is None
        else dict(zip(townships["code"].astype(str), townships["name"].astype(str), strict=True))
    )
    district_names: dict[int, str] = {}
    if districts is not None:
        col = "name_en" if lang == "en" and "name_en" in districts.columns else "name"
        district_names = dict(zip(districts["adcode"].astype(int), districts[col].astype(str), strict=True))
    settlement = cells["settlement"].tolist() if "settlement" in cells.columns else [""] * len(cells)
    adcodes = cells["adcode"].tolist() if "adcode" in cells.columns else [None] * len(cells)
    where = [""] * len(cells)
    if centres is not None and not centres.empty and len(cells):
        table = centres.assign(code=centres["code"].astype(str)).drop_duplicates("code").set_index("code")
        known = codes.isin(table.index).to_numpy()
        if known.any():
            cx, cy = to_metric(cells["lon"].to_numpy(float)[known], cells["lat"].to_numpy(float)[known])
            centre = table.reindex(pd.Index(codes[known].tolist()))
            sx, sy = to_metric(centre["lon"].to_numpy(float), centre["lat"].to_numpy(float))
            dx, dy = np.atleast_1d(cx) - np.atleast_1d(sx), np.atleast_1d(cy) - np.atleast_1d(sy)
            bases = (
                centre["basis"].fillna("seat").astype(str).tolist()
                if "basis" in centre.columns
                else ["seat"] * len(centre)
            )
            # Texts repeat (eight bearings, distances to 0.1 km): each is made once.
            said: dict[tuple[str, str, str], str] = {}
            for pos, ex, ny, basis in zip(
                np.flatnonzero(known).tolist(), dx.tolist(), dy.tolist(), bases, strict=True
            ):
                dist_m = math.hypot(ex, ny)
                what = "centre" if basis == "centre" else "seat"
                key = (
                    (what, "", "")
                    if dist_m < NEAR_M
                    else (what, bearing_word(ex, ny, lang), f"{dist_m / 1000:.1f}")
                )
                if key not in said:
                    said[key] = (
                        text(f"place_from_{what}", lang, bearing=key[1], km=key[2])
                        if key[1]
                        else text(f"place_near_{what}", lang)
                    )
                where[pos] = said[key]
    out = []
    labels: dict[tuple[str, object], str] = {}  # one text per township and kind of settlement
    for code, kind, near, adcode in zip(codes.tolist(), settlement, where, adcodes, strict=True):
        label = labels.get((code, kind), "")
        if not label:
            township = names.get(code) or text("township_unknown", lang)
            label = text("place_cell", lang, township=township, settlement=settlement_label(kind, lang))
            labels[(code, kind)] = label
        if near:
            label = text("place_cell_where", lang, place=label, where=near)
        district = district_names.get(int(adcode), "") if adcode is not None and pd.notna(adcode) else ""
        if district:
            label = text("place_in_district", lang, district=district, place=label)
        out.append(label)
    return pd.Series(out, index=cells.index, dtype=object)
