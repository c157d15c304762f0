"""Hand-off to navigation apps: plain links that open AutoNavi (高德), Baidu Maps or the phone's own map.

Each app wants its own coordinate system: AutoNavi GCJ-02, Baidu BD-09, a ``geo:`` URI (RFC 5870)
and Apple Maps WGS84. Data are WGS84 inside, so the points are converted here with :mod:`geo.crs`.
Nothing is fetched: the links are followed only when a person taps them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final
from urllib.parse import quote, urlencode

from geo.crs import from_wgs84

APPS: Final[tuple[str, ...]] = ("amap", "baidu", "geo", "apple")
"""Link keys: AutoNavi (GCJ-02), Baidu (BD-09), ``geo:`` URI (WGS84), Apple Maps (WGS84)."""

# Travel mode of the finder → each app's own word.
_AMAP_MODE: Final[dict[str, str]] = {"walk": "walk", "elderly_walk": "walk", "bike": "ride", "drive": "car"}
_BAIDU_MODE: Final[dict[str, str]] = {
    "walk": "walking",
    "elderly_walk": "walking",
    "bike": "riding",
    "drive": "driving",
}
_APPLE_MODE: Final[dict[str, str]] = {"walk": "w", "elderly_walk": "w", "bike": "w", "drive": "d"}
SOURCE: Final[str] = "carecircle-ordos"
"""Who is asking, as the URI APIs of AutoNavi and Baidu request (``src``)."""


@lru_cache(maxsize=8192)
def _shifted(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """``from_wgs84`` of one point, kept: the same facilities are linked in search after search."""
    x, y = from_wgs84(lon, lat, crs=crs)
    return float(x), float(y)


def _clean(name: str) -> str:
    # AutoNavi separates lon, lat and name by commas and Baidu name parts by "|" and ":".
    return " ".join(str(name).replace(",", " ").replace("|", " ").replace(":", " ").split())


def navigation_links(
    dest_lonlat: tuple[float, float],
    dest_name: str,
    *,
    mode: str = "walk",
    origin_lonlat: tuple[float, float] | None = None,
    origin_name: str = "",
) -> dict[str, str]:
    """Links that open a route to a facility in each navigation app.

    Parameters
    ----------
    dest_lonlat
        WGS84 lon, lat of the destination.
    dest_name
        Its name, shown by the app.
    mode
        The finder's travel mode (``walk``, ``elderly_walk``, ``bike``, ``drive``).
    origin_lonlat
        WGS84 lon, lat of the start (the resident's set location); the apps use the phone's own
        position when it is not given (Baidu then asks for the start).
    origin_name
        Name of the start.

    Returns
    -------
    dict
        ``amap``, ``baidu``, ``geo`` and ``apple`` URLs (see :data:`APPS`).
    """
    lon, lat = float(dest_lonlat[0]), float(dest_lonlat[1])
    name = _clean(dest_name)
    g_lon, g_lat = _shifted(lon, lat, "gcj02")
    b_lon, b_lat = _shifted(lon, lat, "bd09")
    amap = {
        "to": f"{g_lon:.6f},{g_lat:.6f},{name}",
        "mode": _AMAP_MODE.get(mode, "walk"),
        "policy": "1",
        "src": SOURCE,
        "coordinate": "gaode",
        "callnative": "1",
    }
    baidu = {
        "destination": f"latlng:{b_lat:.6f},{b_lon:.6f}|name:{name}",
        "mode": _BAIDU_MODE.get(mode, "walking"),
        "region": "鄂尔多斯",
        "coord_type": "bd09ll",
        "output": "html",
        "src": f"webapp.{SOURCE}",
    }
    apple = {"daddr": f"{lat:.6f},{lon:.6f}", "dirflg": _APPLE_MODE.get(mode, "w")}
    if origin_lonlat is not None:
        o_lon, o_lat = float(origin_lonlat[0]), float(origin_lonlat[1])
        og_lon, og_lat = _shifted(o_lon, o_lat, "gcj02")
        ob_lon, ob_lat = _shifted(o_lon, o_lat, "bd09")
        start = _clean(origin_name)
        amap = {"from": f"{og_lon:.6f},{og_lat:.6f},{start}", **amap}
        baidu = {"origin": f"latlng:{ob_lat:.6f},{ob_lon:.6f}|name:{start}", **baidu}
        apple = {"saddr": f"{o_lat:.6f},{o_lon:.6f}", **apple}
    return {
        "amap": "https://uri.amap.com/navigation?" + urlencode(amap, quote_via=quote, safe=",:|"),
        "baidu": "https://api.map.baidu.com/direction?" + urlencode(baidu, quote_via=quote, safe=",:|"),
        "geo": f"geo:{lat:.6f},{lon:.6f}?q={lat:.6f},{lon:.6f}({quote(name)})",
        "apple": "https://maps.apple.com/?" + urlencode(apple, quote_via=quote, safe=","),
    }
