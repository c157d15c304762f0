"""Place search: an offline gazetteer by default, geopy geocoders when configured and online.

The offline gazetteer is built from the project's own files: the 9 districts, the banner seats, the
GeoNames places, the township seats (modelled from the demand cells when no township file exists, and
labelled so) and the published facilities' names and addresses. It needs no network and no key.

Online geocoders (OpenStreetMap Nominatim, Baidu Maps v3) run only when a :class:`GeocoderSettings`
says so. As in geopandas, the network call (:func:`fetch_online`) and the pure reading of its answer
(:func:`parse_nominatim`, :func:`parse_baidu`) are separate, so the parsing is tested without network.
Baidu answers in BD-09 and is converted to WGS84 here; every result is WGS84 lon, lat.
"""

from __future__ import annotations

import difflib
import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from geo import io as gio
from geo.crs import in_ordos_bounds, normalize_crs, to_wgs84
from geo.errors import DataError, NetworkUnavailableError

PROVIDERS: Final[tuple[str, ...]] = ("offline", "nominatim", "baidu")
TOWNSHIPS_MODELLED_FILE: Final[str] = "townships_modelled.csv"

# Administrative suffixes dropped when matching, so "东胜" finds "东胜区" and "Dongsheng" finds
# "Dongsheng District".
_SUFFIXES: Final[tuple[str, ...]] = (
    "district",
    "banner",
    "town",
    "township",
    "subdistrict",
    "街道办事处",
    "街道",
    "苏木",
    "镇",
    "乡",
    "区",
    "旗",
)


@dataclass(frozen=True)
class Place:
    """One gazetteer entry or geocoder answer, WGS84.

    Attributes
    ----------
    name
        Display name.
    lon, lat
        WGS84 degrees.
    kind
        ``district``, ``seat``, ``township``, ``place``, ``facility``, ``address`` or ``online``.
    adcode
        District adcode when known, else 0.
    score
        Match quality in 0–1 (1 = exact).
    modelled
        True when the coordinates are modelled rather than surveyed.
    """

    name: str
    lon: float
    lat: float
    kind: str
    adcode: int = 0
    score: float = 1.0
    modelled: bool = False


@dataclass(frozen=True)
class GeocoderSettings:
    """Which geocoder to use; the default is the offline gazetteer only.

    Parameters
    ----------
    provider
        ``offline``, ``nominatim`` or ``baidu``.
    api_key
        Baidu Maps ``ak`` (required for ``baidu``).
    user_agent
        HTTP user agent (Nominatim's usage policy asks for one that names the application).
    timeout_s
        Network timeout in seconds.
    """

    provider: str = "offline"
    api_key: str = ""
    user_agent: str = "carecircle-ordos"
    timeout_s: float = 5.0

    def __post_init__(self) -> None:
        if self.provider not in PROVIDERS:
            msg = f"geocoder provider must be one of {', '.join(PROVIDERS)}, got {self.provider!r}"
            raise DataError(msg)
        if self.provider == "baidu" and not self.api_key:
            msg = "the Baidu geocoder needs an API key (set CARECIRCLE_BAIDU_AK)"
            raise DataError(msg)


def settings_from_env(environ: Mapping[str, str] | None = None) -> GeocoderSettings:
    """Settings from ``CARECIRCLE_GEOCODER`` (offline | nominatim | baidu) and ``CARECIRCLE_BAIDU_AK``."""
    env = os.environ if environ is None else environ
    return GeocoderSettings(
        provider=env.get("CARECIRCLE_GEOCODER", "offline").strip().lower() or "offline",
        api_key=env.get("CARECIRCLE_BAIDU_AK", ""),
    )


def normalise_name(text: str) -> str:
    """Case-folded, width-folded text without spaces, punctuation or administrative suffixes."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = re.sub(r"[\s·・,，.。()（）'\"-]+", "", folded)
    for suffix in _SUFFIXES:
        if folded.endswith(suffix) and len(folded) > len(suffix) + 1:
            return folded[: -len(suffix)]
    return folded


class Gazetteer:
    """Offline place search over a table of names and WGS84 points.

    Parameters
    ----------
    places
        Columns ``name, lon, lat, kind`` and optionally ``adcode``, ``modelled``.
    """

    # Kinds ranked when two entries match equally well: administrative names before facilities.
    _KIND_RANK: Final[dict[str, int]] = {
        "seat": 0,
        "district": 1,
        "township": 2,
        "place": 3,
        "facility": 4,
        "address": 5,
    }

    def __init__(self, places: pd.DataFrame) -> None:
        table = places.copy()
        for col, default in (("adcode", 0), ("modelled", False)):
            if col not in table.columns:
                table[col] = default
        table = table.dropna(subset=["name", "lon", "lat"])
        table = table[table["name"].astype(str).str.strip() != ""]
        table["key"] = table["name"].astype(str).map(normalise_name)
        self.table = table.drop_duplicates(subset=["key", "kind"]).reset_index(drop=True)

    def __len__(self) -> int:
        return len(self.table)

    def search(self, query: str, *, limit: int = 8, min_score: float = 0.6) -> list[Place]:
        """Entries matching ``query``: exact, then prefix, then substring, then fuzzy.

        Parameters
        ----------
        query
            Free text in Chinese, pinyin or English.
        limit
            Most results to return.
        min_score
            Smallest fuzzy similarity (0–1) accepted.

        Returns
        -------
        list of Place
            Best first; empty when nothing matches.
        """
        key = normalise_name(query)
        if not key:
            return []
        keys = self.table["key"]
        score = np.zeros(len(keys))
        exact = (keys == key).to_numpy()
        prefix = keys.str.startswith(key).to_numpy()
        contains = keys.str.contains(key, regex=False).to_numpy()
        contained = np.array([len(k) >= 2 and k in key for k in keys])
        score[contained] = 0.75
        score[contains] = np.maximum(score[contains], 0.8)
        score[prefix] = np.maximum(score[prefix], 0.9)
        score[exact] = 1.0
        if not score.any():
            fuzzy = np.array([difflib.SequenceMatcher(None, key, k).ratio() for k in keys])
            score = np.where(fuzzy >= min_score, fuzzy * 0.7, 0.0)
        hits = self.table.assign(score=score)[score > 0]
        hits = hits.assign(rank=hits["kind"].map(self._KIND_RANK).fillna(9))
        hits = hits.sort_values(["score", "rank", "name"], ascending=[False, True, True]).head(limit)
        places = []
        for rec in hits.to_dict(orient="records"):
            adcode: Any = rec["adcode"]
            places.append(
                Place(
                    name=str(rec["name"]),
                    lon=float(rec["lon"]),
                    lat=float(rec["lat"]),
                    kind=str(rec["kind"]),
                    adcode=int(adcode) if pd.notna(adcode) else 0,
                    score=round(float(rec["score"]), 3),
                    modelled=bool(rec["modelled"]),
                )
            )
        return places


def _township_seats(datasets_dir: Path, cells: pd.DataFrame | None) -> pd.DataFrame:
    """Township points: the modelled seats file if shipped, else population-weighted cell centres."""
    path = datasets_dir / TOWNSHIPS_MODELLED_FILE
    names = gio.read_townships(datasets_dir)
    if path.is_file():
        seats = pd.read_csv(path, dtype={"code": str, "township_code": str})
        code_col = "code" if "code" in seats.columns else "township_code"
        if "name" not in seats.columns:
            seats = seats.merge(names.rename(columns={"code": code_col}), on=code_col, how="left")
        return pd.DataFrame(
            {
                "name": seats["name"],
                "lon": seats["lon"],
                "lat": seats["lat"],
                "adcode": seats.get("adcode", 0),
            }
        )
    if cells is None or "township_code" not in cells.columns or cells.empty:
        return pd.DataFrame(columns=["name", "lon", "lat", "adcode"])
    weights = cells["pop_total"].astype(float).clip(lower=1.0)
    grouped = (
        cells.assign(wlon=cells["lon"] * weights, wlat=cells["lat"] * weights, w=weights)
        .groupby(cells["township_code"].astype(str))[["wlon", "wlat", "w"]]
        .sum()
    )
    centres = pd.DataFrame(
        {"code": grouped.index, "lon": grouped["wlon"] / grouped["w"], "lat": grouped["wlat"] / grouped["w"]}
    )
    merged = centres.merge(names, on="code", how="inner")
    return merged[["name", "lon", "lat", "adcode"]]


def build_gazetteer(
    facilities: pd.DataFrame | None = None,
    *,
    datasets_dir: Path | None = None,
    cells: pd.DataFrame | None = None,
) -> Gazetteer:
    """The offline gazetteer from the shipped reference data and the published facilities.

    Parameters
    ----------
    facilities
        Published facilities (contract columns); their names and addresses become entries.
    datasets_dir
        Folder of the reference files (default ``datasets/``).
    cells
        Demand cells with ``township_code`` (used for township seats when no township file exists).

    Returns
    -------
    Gazetteer
    """
    ddir = datasets_dir or gio.DATASETS_DIR
    frames = []
    districts = gio.read_districts(ddir)
    points = districts.representative_point()
    for col in ("name", "name_en"):
        frames.append(
            pd.DataFrame(
                {
                    "name": districts[col],
                    "lon": points.x,
                    "lat": points.y,
                    "kind": "district",
                    "adcode": districts["adcode"],
                }
            )
        )
    seats = gio.read_seats(ddir)
    for col in ("seat_name", "seat_name_en"):
        frames.append(
            pd.DataFrame(
                {
                    "name": seats[col],
                    "lon": seats["lon"],
                    "lat": seats["lat"],
                    "kind": "seat",
                    "adcode": seats["adcode"],
                }
            )
        )
    places = gio.read_places(ddir)
    frames.append(
        pd.DataFrame(
            {
                "name": places["name"],
                "lon": places["lon"],
                "lat": places["lat"],
                "kind": "place",
                "adcode": places["adcode"],
            }
        )
    )
    townships = _township_seats(ddir, cells)
    if not townships.empty:
        frames.append(townships.assign(kind="township", modelled=True))
    if facilities is not None and not facilities.empty:
        fac = facilities
        frames.append(
            pd.DataFrame(
                {
                    "name": fac["name"],
                    "lon": fac["lon"],
                    "lat": fac["lat"],
                    "kind": "facility",
                    "adcode": fac["district_adcode"],
                }
            )
        )
        with_address = fac[fac["address"].fillna("").astype(str).str.strip() != ""]
        frames.append(
            pd.DataFrame(
                {
                    "name": with_address["address"],
                    "lon": with_address["lon"],
                    "lat": with_address["lat"],
                    "kind": "address",
                    "adcode": with_address["district_adcode"],
                }
            )
        )
    table = pd.concat(frames, ignore_index=True)
    table["modelled"] = table["modelled"].fillna(False).astype(bool) if "modelled" in table else False
    return Gazetteer(table)


# --- coordinates typed by a user --------------------------------------------------------------------

_NUMBER = r"[-+]?\d+(?:\.\d+)?"
_PAIR_RE: Final = re.compile(rf"^\s*\(?\s*({_NUMBER})\s*[,，;\s]\s*({_NUMBER})\s*\)?\s*$")


def parse_coordinates(text: str, *, crs: str = "wgs84") -> tuple[float, float]:
    """Read ``"lon, lat"`` (or ``"lat, lon"``, told apart by the Ordos ranges) in a CRS → WGS84 lon, lat.

    Parameters
    ----------
    text
        Two numbers separated by a comma, semicolon or space.
    crs
        ``wgs84`` (GPS, OSM), ``gcj02`` (AutoNavi/Tencent) or ``bd09`` (Baidu).

    Returns
    -------
    tuple of float
        WGS84 lon, lat.

    Raises
    ------
    DataError
        When the text is not two numbers or the point is outside Ordos.
    """
    match = _PAIR_RE.match(unicodedata.normalize("NFKC", text or ""))
    if match is None:
        msg = f"坐标格式应为「经度, 纬度」/ coordinates must look like '109.78, 39.61', got {text!r}"
        raise DataError(msg)
    first, second = float(match.group(1)), float(match.group(2))
    lon, lat = first, second
    if not in_ordos_bounds(first, second) and in_ordos_bounds(second, first):
        lon, lat = second, first  # typed as lat, lon
    out_lon, out_lat = to_wgs84(lon, lat, crs=normalize_crs(crs))
    if not in_ordos_bounds(out_lon, out_lat):
        msg = f"坐标不在鄂尔多斯市范围内 / the point ({lon}, {lat}) is outside Ordos"
        raise DataError(msg)
    return float(out_lon), float(out_lat)


# --- online geocoders -----------------------------------------------------------------------------


def parse_nominatim(raw: Mapping[str, Any]) -> Place:
    """A Nominatim answer (``Location.raw``) → Place in WGS84 (Nominatim answers in WGS84)."""
    try:
        lon, lat = float(raw["lon"]), float(raw["lat"])
    except (KeyError, TypeError, ValueError):
        msg = f"unexpected Nominatim answer: {dict(raw)!r}"
        raise DataError(msg) from None
    return Place(name=str(raw.get("display_name", "")), lon=lon, lat=lat, kind="online", score=1.0)


def parse_baidu(raw: Mapping[str, Any], *, name: str = "") -> Place:
    """A Baidu v3 answer (``Location.raw``, BD-09 ``location.lng/lat``) → Place in WGS84."""
    try:
        location = raw["location"]
        bd_lon, bd_lat = float(location["lng"]), float(location["lat"])
    except (KeyError, TypeError, ValueError):
        msg = f"unexpected Baidu answer: {dict(raw)!r}"
        raise DataError(msg) from None
    lon, lat = to_wgs84(bd_lon, bd_lat, crs="bd09")
    return Place(name=name or str(raw.get("level", "")), lon=float(lon), lat=float(lat), kind="online")


def fetch_online(query: str, settings: GeocoderSettings) -> dict[str, Any] | None:
    """Ask the configured online geocoder (network!) and return its raw answer, or None if not found.

    Raises
    ------
    NetworkUnavailableError
        When the service cannot be reached or refuses the request.
    DataError
        When the settings name the offline provider.
    """
    from geopy.exc import GeopyError
    from geopy.geocoders import BaiduV3, Nominatim

    if settings.provider == "offline":
        msg = "fetch_online needs an online provider (nominatim or baidu)"
        raise DataError(msg)
    try:
        if settings.provider == "nominatim":
            coder: Any = Nominatim(user_agent=settings.user_agent, timeout=settings.timeout_s)
            location = coder.geocode(f"{query}, 鄂尔多斯", exactly_one=True, country_codes="cn")
        else:
            coder = BaiduV3(
                api_key=settings.api_key, timeout=settings.timeout_s, user_agent=settings.user_agent
            )
            location = coder.geocode(f"鄂尔多斯市{query}", exactly_one=True)
    except GeopyError as exc:
        msg = f"在线地理编码不可用 / online geocoder unavailable ({settings.provider}): {exc}"
        raise NetworkUnavailableError(msg) from exc
    return None if location is None else dict(location.raw)


def geocode(
    query: str, gazetteer: Gazetteer, *, settings: GeocoderSettings | None = None, limit: int = 8
) -> list[Place]:
    """Offline matches first; the online geocoder only when configured and nothing matched offline.

    An unreachable online service is not an error here: the (empty) offline answer stands.
    """
    found = gazetteer.search(query, limit=limit)
    cfg = settings or GeocoderSettings()
    if found or cfg.provider == "offline":
        return found
    try:
        raw = fetch_online(query, cfg)
    except NetworkUnavailableError:
        return found
    if raw is None:
        return found
    place = parse_nominatim(raw) if cfg.provider == "nominatim" else parse_baidu(raw, name=query)
    return [place] if in_ordos_bounds(place.lon, place.lat) else found
