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
    hits = [h for h in gazetteer.search("交通街道") if h.kind == "subdistrict"]
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


# --- the search cases of the finder (issue: people type pinyin, English, homophones, coordinates) -----

KANGBASHI_TOWN = (109.78157, 39.6086)


@pytest.fixture(scope="module")
def sample_gazetteer() -> gc.Gazetteer:
    from geo import io as gio

    return gc.build_gazetteer(gio.read_facilities_csv(gio.DATASETS_DIR / gio.FACILITIES_SAMPLE_FILE))


@pytest.mark.parametrize("query", ["Kangbashi", "kangbashi", "Kang Ba Shi", "康巴什", "Kangbashi District"])
def test_kangbashi_is_the_town_not_the_district_centroid(sample_gazetteer: gc.Gazetteer, query: str) -> None:
    best = sample_gazetteer.search(query)[0]
    assert best.name == "康巴什区" and best.kind in ("seat", "district")
    assert (best.lon, best.lat) == pytest.approx(KANGBASHI_TOWN, abs=1e-4)


@pytest.mark.parametrize(
    ("query", "name", "kind", "match"),
    [
        ("Ejin Horo", "伊金霍洛旗", "district", "spelling"),
        ("Altan Xiret", "阿勒腾席热镇", "seat", "spelling"),
        ("东升", "东胜区", "seat", "sound"),  # a homophone typed in characters
        ("tianjiao jiedao", "天骄街道", "subdistrict", "pinyin"),
        ("binhe shequ", "滨河社区", "community", "pinyin"),
        ("杨家湾村", "杨家湾村", "village", "name"),
        ("hadatu gacha", "哈达图嘎查", "village", "pinyin"),
        ("Shagedu", "沙圪堵镇", "town", "spelling"),
        ("Kangbahsi", "康巴什区", "seat", "fuzzy"),  # a typo
    ],
)
def test_names_people_type(
    sample_gazetteer: gc.Gazetteer, query: str, name: str, kind: str, match: str
) -> None:
    best = sample_gazetteer.search(query)[0]
    assert (best.name, best.kind, best.match) == (name, kind, match)


def test_communities_of_the_same_name_are_told_apart(sample_gazetteer: gc.Gazetteer) -> None:
    hits = [h for h in sample_gazetteer.search("滨河社区") if h.kind == "community"]
    assert len(hits) >= 2 and len({h.area for h in hits}) == len(hits)
    assert all(h.modelled for h in hits)  # placed at modelled facilities


@pytest.mark.parametrize("query", ["万达", "万达广场", "Wanda Plaza", "阳光小区"])
def test_shops_and_compounds_are_not_in_the_offline_gazetteer(
    sample_gazetteer: gc.Gazetteer, query: str
) -> None:
    assert sample_gazetteer.search(query) == []


def test_search_reads_coordinates_in_either_order(sample_gazetteer: gc.Gazetteer) -> None:
    found = gc.search_places("39.81, 109.98", sample_gazetteer)
    assert found.source == "coordinates" and found.notes == ("swapped",)
    assert (found.places[0].lon, found.places[0].lat) == pytest.approx((109.98, 39.81))
    plain = gc.search_places("109.98,39.81", sample_gazetteer)
    assert plain.notes == () and plain.places[0].lon == pytest.approx(109.98)
    assert gc.search_places("116.4, 39.9", sample_gazetteer).error == "outside"


def test_check_lonlat_says_which_problem() -> None:
    with pytest.raises(gc.CoordinateError) as swapped:
        gc.check_lonlat(39.81, 109.98)
    assert (
        swapped.value.code == "swapped" and "颠倒" in str(swapped.value) and "swapped" in str(swapped.value)
    )
    with pytest.raises(gc.CoordinateError) as outside:
        gc.check_lonlat(116.4, 39.9)
    assert (
        outside.value.code == "outside"
        and "鄂尔多斯" in str(outside.value)
        and "outside Ordos" in str(outside.value)
    )
    assert gc.check_lonlat(39.81, 109.98, allow_swap=True).swapped


def test_online_geocoder_only_when_configured_labelled_with_offline_fallback(
    sample_gazetteer: gc.Gazetteer,
) -> None:
    cfg = gc.GeocoderSettings(provider="nominatim")
    calls: list[str] = []

    def wanda(query: str, _s: gc.GeocoderSettings) -> dict[str, str]:
        calls.append(query)
        return {"lat": "39.8125", "lon": "109.9871", "display_name": "万达广场, 东胜区"}

    found = gc.search_places("万达", sample_gazetteer, settings=cfg, online=wanda)
    assert found.source == "online" and found.places[0].kind == "online" and found.places[0].match == "online"
    assert gc.search_places("康巴什", sample_gazetteer, settings=cfg, online=wanda).source == "offline"
    assert calls == ["万达"]  # a good offline match is not sent out
    assert gc.search_places("万达", sample_gazetteer, online=wanda).places == []  # offline: never asked
    assert calls == ["万达"]

    def down(_q: str, _s: gc.GeocoderSettings) -> None:
        raise NetworkUnavailableError("offline")

    failed = gc.search_places("Dongshn", sample_gazetteer, settings=cfg, online=down)
    assert failed.notes == ("online_failed",) and failed.places[0].name == "东胜区"
