"""geo.navigation: each app gets the destination in its own coordinate system."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlparse

import pytest

from geo.crs import from_wgs84, to_wgs84
from geo.navigation import navigation_links

DEST = (109.78157, 39.6086)
HOME = (109.97763, 39.81609)


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def test_amap_gets_gcj02_and_baidu_bd09_within_half_a_metre() -> None:
    links = navigation_links(DEST, "康巴什区,托育|园", mode="drive", origin_lonlat=HOME, origin_name="东胜区")
    lon, lat, name = _query(links["amap"])["to"].split(",")
    assert (float(lon), float(lat)) == pytest.approx(from_wgs84(*DEST, crs="gcj02"), abs=1e-6)
    assert name == "康巴什区 托育 园"  # separators of the URI APIs removed from the name
    assert _query(links["amap"])["mode"] == "car" and _query(links["amap"])["coordinate"] == "gaode"
    back = to_wgs84(float(lon), float(lat), crs="gcj02")
    assert back == pytest.approx(DEST, abs=5e-6)  # about 0.5 m
    dest = _query(links["baidu"])["destination"]
    b_lat, b_lon = map(float, re.match(r"latlng:([\d.]+),([\d.]+)\|", dest).groups())  # type: ignore[union-attr]
    assert (b_lon, b_lat) == pytest.approx(from_wgs84(*DEST, crs="bd09"), abs=1e-6)
    assert _query(links["baidu"])["coord_type"] == "bd09ll" and _query(links["baidu"])["mode"] == "driving"
    assert _query(links["baidu"])["origin"].startswith("latlng:")


def test_system_links_are_wgs84() -> None:
    links = navigation_links(DEST, "站", mode="walk")
    assert links["geo"].startswith(f"geo:{DEST[1]:.6f},{DEST[0]:.6f}?q=")
    assert unquote(links["geo"]).endswith("(站)")
    assert _query(links["apple"])["daddr"] == f"{DEST[1]:.6f},{DEST[0]:.6f}"
    assert _query(links["apple"])["dirflg"] == "w"
    assert "from" not in _query(links["amap"])  # no origin given: the app uses the phone's position
