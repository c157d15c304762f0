"""geo.geocode: the offline gazetteer, typed coordinates, and parsing of online answers (no network)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import geocode as gc
from geo.crs import from_wgs84
from geo.errors import DataError, NetworkUnavailableError


@pytest.fixture(scope="module")
def gazetteer() -> gc.Gazetteer:
    facilities = pd.DataFrame(
        {
            "name": ["康巴什区阳光托育园", "东胜区幸福社区养老服务站"],
            "address": ["康巴什区青春路1号", ""],
            "lon": [109.79, 109.97],
            "lat": [39.61, 39.82],
            "district_adcode": [150603, 150602],
        }
    )
    return gc.build_gazetteer(facilities)


def test_normalise_name_drops_suffixes_and_width() -> None:
    assert gc.normalise_name("东胜区") == "东胜"
    assert gc.normalise_name(" Dongsheng District ") == "dongsheng"
    assert gc.normalise_name("ＡＢＣ") == "abc"


def test_seat_comes_before_district_outline_point(gazetteer: gc.Gazetteer) -> None:
    hits = gazetteer.search("东胜")
    assert hits[0].kind == "seat" and hits[0].name == "东胜区"
    assert hits[0].lon == pytest.approx(109.97763) and hits[0].lat == pytest.approx(39.81609)


def test_english_pinyin_facility_and_address(gazetteer: gc.Gazetteer) -> None:
    assert gazetteer.search("Kangbashi")[0].adcode == 150603
    assert gazetteer.search("阳光托育园")[0].kind == "facility"
    assert gazetteer.search("青春路1号")[0].kind == "address"


def test_fuzzy_match_and_no_match(gazetteer: gc.Gazetteer) -> None:
    assert gazetteer.search("Dongshen")[0].adcode == 150602
    assert gazetteer.search("zzzzqqq") == []
    assert gazetteer.search("   ") == []


def test_townships_are_in_and_marked_modelled(gazetteer: gc.Gazetteer) -> None:
    hits = [h for h in gazetteer.search("交通街道") if h.kind == "township"]
    assert hits and hits[0].modelled


@pytest.mark.parametrize("text", ["109.78, 39.61", "39.61,109.78", "(109.78 39.61)", "109.78，39.61"])
def test_parse_coordinates_either_order(text: str) -> None:
    assert gc.parse_coordinates(text) == pytest.approx((109.78, 39.61))


def test_parse_coordinates_converts_gcj02_and_bd09() -> None:
    lon, lat = 109.78, 39.61
    for crs in ("gcj02", "bd09"):
        x, y = from_wgs84(lon, lat, crs=crs)
        assert gc.parse_coordinates(f"{x:.8f}, {y:.8f}", crs=crs) == pytest.approx((lon, lat), abs=1e-6)


@pytest.mark.parametrize("text", ["", "abc", "109.78", "116.40, 39.90"])
def test_parse_coordinates_errors(text: str) -> None:
    with pytest.raises(DataError):
        gc.parse_coordinates(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_parse_coordinates_only_raises_data_error(text: str) -> None:
    try:
        lon, lat = gc.parse_coordinates(text)
    except DataError:
        return
    assert 106 < lon < 112 and 37 < lat < 41


def test_parse_nominatim_answer() -> None:
    place = gc.parse_nominatim({"lat": "39.6086", "lon": "109.78157", "display_name": "康巴什区"})
    assert (place.lon, place.lat) == (109.78157, 39.6086)  # geopy gives lat, lon; we keep lon, lat
    with pytest.raises(DataError):
        gc.parse_nominatim({"display_name": "x"})


def test_parse_baidu_answer_converts_bd09_to_wgs84() -> None:
    bd_lon, bd_lat = from_wgs84(109.78, 39.61, crs="bd09")
    place = gc.parse_baidu({"location": {"lng": bd_lon, "lat": bd_lat}, "level": "道路"}, name="q")
    assert (place.lon, place.lat) == pytest.approx((109.78, 39.61), abs=1e-7)
    with pytest.raises(DataError):
        gc.parse_baidu({"result": None})


def test_settings() -> None:
    assert gc.settings_from_env({}).provider == "offline"
    assert gc.settings_from_env({"CARECIRCLE_GEOCODER": "Nominatim"}).provider == "nominatim"
    with pytest.raises(DataError, match="key"):
        gc.GeocoderSettings(provider="baidu")
    with pytest.raises(DataError):
        gc.GeocoderSettings(provider="google")


def test_geocode_offline_never_calls_the_network(
    gazetteer: gc.Gazetteer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_a: object, **_k: object) -> None:
        raise AssertionError("network used")

    monkeypatch.setattr(gc, "fetch_online", boom)
    assert gc.geocode("zzzzqqq", gazetteer) == []
    assert gc.geocode("东胜", gazetteer)[0].kind == "seat"


def test_geocode_online_fallback_and_unreachable(
    gazetteer: gc.Gazetteer, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = gc.GeocoderSettings(provider="nominatim")
    monkeypatch.setattr(gc, "fetch_online", lambda q, s: {"lat": "39.6", "lon": "109.8", "display_name": q})
    assert gc.geocode("zzzzqqq", gazetteer, settings=cfg)[0].kind == "online"
    monkeypatch.setattr(gc, "fetch_online", lambda q, s: {"lat": "39.9", "lon": "116.4", "display_name": q})
    assert gc.geocode("zzzzqqq", gazetteer, settings=cfg) == []  # outside Ordos: ignored

    def down(*_a: object) -> None:
        raise NetworkUnavailableError("offline")

    monkeypatch.setattr(gc, "fetch_online", down)
    assert gc.geocode("zzzzqqq", gazetteer, settings=cfg) == []
