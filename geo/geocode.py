"""Place search: the offline gazetteer by default, geopy geocoders when configured and online.

* :mod:`geo.gazetteer` holds the offline gazetteer (names in characters, pinyin and English).
* :func:`read_coordinates` reads coordinates typed or pasted by a person, in either order (a swap
  is detected from the Ordos ranges and reported), in WGS84, GCJ-02 or BD-09.
* Online geocoders (OpenStreetMap Nominatim, Baidu Maps v3) run only when a :class:`GeocoderSettings`
  says so. As in geopandas, the network call (:func:`fetch_online`) and the pure reading of its answer
  (:func:`parse_nominatim`, :func:`parse_baidu`) are separate, so the parsing is tested without network.
  Baidu answers in BD-09 and is converted to WGS84 here; every result is WGS84 lon, lat.
* :func:`search_places` puts them together: coordinates, else the gazetteer, and the online geocoder
  when configured and the gazetteer has no good match; it says which source answered and why.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from geo.crs import in_ordos_bounds, normalize_crs, to_wgs84
from geo.errors import DataError, NetworkUnavailableError
from geo.gazetteer import Gazetteer, Place, build_gazetteer, normalise_name

__all__ = [
    "PROVIDERS",
    "CoordinateError",
    "Coordinates",
    "Gazetteer",
    "GeocoderSettings",
    "Place",
    "PlaceSearch",
    "build_gazetteer",
    "fetch_online",
    "geocode",
    "normalise_name",
    "parse_baidu",
    "parse_coordinates",
    "parse_nominatim",
    "read_coordinates",
    "search_places",
    "settings_from_env",
]

PROVIDERS: Final[tuple[str, ...]] = ("offline", "nominatim", "baidu")
GOOD_MATCH: Final[float] = 0.9
"""Offline matches at least this good (exact or prefix) are not sent to an online geocoder."""


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
            msg = (
                f"地名服务应为 {'、'.join(PROVIDERS)} 之一,收到 {self.provider!r}。 / "
                f"The geocoder provider must be one of {', '.join(PROVIDERS)}, got {self.provider!r}."
            )
            raise DataError(msg)
        if self.provider == "baidu" and not self.api_key:
            msg = (
                "百度地名服务需要密钥(请设置 CARECIRCLE_BAIDU_AK)。 / "
                "The Baidu geocoder needs an API key (set CARECIRCLE_BAIDU_AK)."
            )
            raise DataError(msg)


def settings_from_env(environ: Mapping[str, str] | None = None) -> GeocoderSettings:
    """Settings from ``CARECIRCLE_GEOCODER`` (offline | nominatim | baidu) and ``CARECIRCLE_BAIDU_AK``."""
    env = os.environ if environ is None else environ
    return GeocoderSettings(
        provider=env.get("CARECIRCLE_GEOCODER", "offline").strip().lower() or "offline",
        api_key=env.get("CARECIRCLE_BAIDU_AK", ""),
    )


# --- coordinates typed by a user --------------------------------------------------------------------

_NUMBER = r"[-+]?\d+(?:\.\d+)?"
_PAIR_RE: Final = re.compile(rf"^\s*\(?\s*({_NUMBER})\s*[,，;；\s]\s*({_NUMBER})\s*\)?\s*$")


class CoordinateError(DataError):
    """Coordinates that cannot be used; ``code`` says why: ``format``, ``outside`` or ``swapped``.

    ``swapped`` is raised only where the order is fixed (the command line's ``--lon``/``--lat``);
    typed text in either order is accepted and reported by :class:`Coordinates`.
    """

    def __init__(self, message: str, *, code: str, lon: float | None = None, lat: float | None = None):
        super().__init__(message)
        self.code = code
        self.lon = lon
        self.lat = lat


@dataclass(frozen=True)
class Coordinates:
    """Coordinates read from text: WGS84 ``lon``, ``lat`` and whether they were typed as lat, lon."""

    lon: float
    lat: float
    swapped: bool = False
    crs: str = "wgs84"


def looks_like_coordinates(text: str) -> bool:
    """Whether ``text`` is two numbers (so a search box should read it as coordinates)."""
    return _PAIR_RE.match(unicodedata.normalize("NFKC", text or "")) is not None


def read_coordinates(text: str, *, crs: str = "wgs84") -> Coordinates:
    """Read ``"lon, lat"`` or ``"lat, lon"`` (told apart by the Ordos ranges) in a CRS → WGS84.

    Parameters
    ----------
    text
        Two numbers separated by a comma, semicolon or space (full-width forms too).
    crs
        ``wgs84`` (GPS, OSM), ``gcj02`` (AutoNavi/Tencent) or ``bd09`` (Baidu).

    Returns
    -------
    Coordinates
        WGS84 lon, lat; ``swapped`` is True when the text gave latitude first.

    Raises
    ------
    CoordinateError
        ``format`` when the text is not two numbers, ``outside`` when the point is not in Ordos in
        either order.
    """
    match = _PAIR_RE.match(unicodedata.normalize("NFKC", text or ""))
    if match is None:
        msg = f"坐标格式应为「经度, 纬度」,如 109.78, 39.61。 / Coordinates must look like '109.78, 39.61', got {text!r}."
        raise CoordinateError(msg, code="format")
    first, second = float(match.group(1)), float(match.group(2))
    return check_lonlat(first, second, crs=crs, allow_swap=True)


def check_lonlat(lon: float, lat: float, *, crs: str = "wgs84", allow_swap: bool = False) -> Coordinates:
    """Check a lon, lat pair in a CRS: inside Ordos, in the right order → WGS84 :class:`Coordinates`.

    Parameters
    ----------
    lon, lat
        Degrees in ``crs``.
    crs
        ``wgs84``, ``gcj02`` or ``bd09``.
    allow_swap
        Accept a pair given as lat, lon (reported in ``swapped``); when False such a pair raises
        :class:`CoordinateError` with code ``swapped``.

    Raises
    ------
    CoordinateError
        ``swapped`` (not allowed) or ``outside`` Ordos.
    """
    system = normalize_crs(crs)
    swapped = not in_ordos_bounds(lon, lat) and in_ordos_bounds(lat, lon)
    if swapped and not allow_swap:
        msg = (
            f"经纬度顺序颠倒:{lon} 像是纬度、{lat} 像是经度,请交换 --lon 与 --lat。 / "
            f"Longitude and latitude are swapped: {lon} looks like a latitude and {lat} like a longitude; "
            "exchange --lon and --lat."
        )
        raise CoordinateError(msg, code="swapped", lon=lon, lat=lat)
    if swapped:
        lon, lat = lat, lon
    out_lon, out_lat = to_wgs84(lon, lat, crs=system)
    if not in_ordos_bounds(out_lon, out_lat):
        msg = (
            f"坐标 ({lon}, {lat}) 不在鄂尔多斯市范围内(经度 106.4–111.5,纬度 37.6–40.9)。 / "
            f"The point ({lon}, {lat}) is outside Ordos (longitude 106.4–111.5, latitude 37.6–40.9)."
        )
        raise CoordinateError(msg, code="outside", lon=lon, lat=lat)
    return Coordinates(float(out_lon), float(out_lat), swapped=swapped, crs=system)


def parse_coordinates(text: str, *, crs: str = "wgs84") -> tuple[float, float]:
    """WGS84 lon, lat of typed coordinates in either order (see :func:`read_coordinates`)."""
    found = read_coordinates(text, crs=crs)
    return found.lon, found.lat


# --- online geocoders -----------------------------------------------------------------------------


def parse_nominatim(raw: Mapping[str, Any]) -> Place:
    """A Nominatim answer (``Location.raw``) → Place in WGS84 (Nominatim answers in WGS84)."""
    try:
        lon, lat = float(raw["lon"]), float(raw["lat"])
    except (KeyError, TypeError, ValueError):
        msg = f"unexpected Nominatim answer: {dict(raw)!r}"
        raise DataError(msg) from None
    return Place(
        name=str(raw.get("display_name", "")), lon=lon, lat=lat, kind="online", score=1.0, match="online"
    )


def parse_baidu(raw: Mapping[str, Any], *, name: str = "") -> Place:
    """A Baidu v3 answer (``Location.raw``, BD-09 ``location.lng/lat``) → Place in WGS84."""
    try:
        location = raw["location"]
        bd_lon, bd_lat = float(location["lng"]), float(location["lat"])
    except (KeyError, TypeError, ValueError):
        msg = f"unexpected Baidu answer: {dict(raw)!r}"
        raise DataError(msg) from None
    lon, lat = to_wgs84(bd_lon, bd_lat, crs="bd09")
    return Place(
        name=name or str(raw.get("level", "")), lon=float(lon), lat=float(lat), kind="online", match="online"
    )


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


# --- the search a person makes ---------------------------------------------------------------------


@dataclass(frozen=True)
class PlaceSearch:
    """What a search found and how.

    Attributes
    ----------
    places
        Matches, best first (coordinates: one place of kind ``coordinates``).
    source
        ``coordinates``, ``offline`` or ``online``.
    notes
        Codes for the page to explain: ``swapped`` (coordinates typed as lat, lon), ``online_failed``
        (the online geocoder could not be reached; offline answers shown), ``online_outside`` (its
        answer lay outside Ordos), ``online_none`` (it found nothing).
    error
        The :class:`CoordinateError` code when the text looked like coordinates but cannot be used.
    """

    places: list[Place] = field(default_factory=list)
    source: str = "offline"
    notes: tuple[str, ...] = ()
    error: str = ""


def search_places(
    query: str,
    gazetteer: Gazetteer,
    *,
    settings: GeocoderSettings | None = None,
    crs: str = "wgs84",
    limit: int = 8,
    online: Callable[[str, GeocoderSettings], dict[str, Any] | None] | None = None,
) -> PlaceSearch:
    """Resolve what a person typed: coordinates, else the offline gazetteer, else (if configured) online.

    Parameters
    ----------
    query
        Place name (characters, pinyin, English) or two numbers.
    gazetteer
        The offline gazetteer.
    settings
        Geocoder settings; the online geocoder is asked only when they name one and the gazetteer has
        no match of at least :data:`GOOD_MATCH`.
    crs
        CRS of typed coordinates.
    limit
        Most places returned.
    online
        The network call (default :func:`fetch_online`); tests pass a stand-in.

    Returns
    -------
    PlaceSearch
    """
    text = (query or "").strip()
    if not text:
        return PlaceSearch()
    if looks_like_coordinates(text):
        try:
            found = read_coordinates(text, crs=crs)
        except CoordinateError as exc:
            return PlaceSearch(source="coordinates", error=exc.code)
        place = Place(
            name=f"{found.lon:.5f}, {found.lat:.5f}",
            lon=found.lon,
            lat=found.lat,
            kind="coordinates",
            match="coordinates",
        )
        return PlaceSearch([place], "coordinates", ("swapped",) if found.swapped else ())
    offline = gazetteer.search(text, limit=limit)
    cfg = settings or GeocoderSettings()
    if cfg.provider == "offline" or (offline and offline[0].score >= GOOD_MATCH):
        return PlaceSearch(offline, "offline")
    try:
        raw = (online or fetch_online)(text, cfg)
    except NetworkUnavailableError:
        return PlaceSearch(offline, "offline", ("online_failed",))
    if raw is None:
        return PlaceSearch(offline, "offline", ("online_none",))
    place = parse_nominatim(raw) if cfg.provider == "nominatim" else parse_baidu(raw, name=text)
    if not in_ordos_bounds(place.lon, place.lat):
        return PlaceSearch(offline, "offline", ("online_outside",))
    return PlaceSearch([place, *offline][:limit], "online")


def geocode(
    query: str, gazetteer: Gazetteer, *, settings: GeocoderSettings | None = None, limit: int = 8
) -> list[Place]:
    """The places of :func:`search_places` (offline first; online only when configured)."""
    return search_places(query, gazetteer, settings=settings, limit=limit).places
