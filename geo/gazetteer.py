"""The offline gazetteer: place names people type, in Chinese characters, pinyin and English.

Built from the project's own files, no network and no key:

* the 9 districts (旗区), placed at their seat town, since someone who types "Kangbashi" means
  the town, not a point in the middle of the district's grassland;
* the banner seats and the GeoNames places;
* the 88 township-level units (街道 · 镇 · 苏木 · 乡), at their modelled seats (labelled modelled);
* the communities (社区) and villages (嘎查 · 村) named in the published facilities' names, at the
  mean point of their facilities (labelled modelled while the facilities are);
* the published facilities' names and addresses.

Every name is also searchable in pinyin (``pypinyin``), with and without its administrative suffix,
and by the conventional spellings in ``datasets/place_spellings.csv`` (Mongolian-origin names such
as 伊金霍洛 "Ejin Horo", and readings pypinyin gets wrong, such as 康巴什 "Kangbashi"). A query in
characters is also compared by its pinyin, so a homophone (东升 for 东胜) still finds the place.

What it cannot find: residential compounds (小区), shops and malls (万达), streets and house numbers
other than the facilities' own addresses. :data:`NOT_COVERED` names them for the pages to say so.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from geo import io as gio
from geo.schema import MODELLED_SOURCE_PREFIX

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
    "嘎查",
    "镇",
    "乡",
    "区",
    "旗",
)

KINDS: Final[tuple[str, ...]] = (
    "seat",
    "district",
    "subdistrict",
    "town",
    "sumu",
    "township",
    "community",
    "village",
    "place",
    "facility",
    "address",
)
"""Kinds of gazetteer entries, in the order they win a tie (administrative names before facilities)."""

MATCHES: Final[tuple[str, ...]] = ("name", "spelling", "pinyin", "sound", "fuzzy")
"""How an entry matched: its name, a conventional spelling, its pinyin, the pinyin of a query in
characters (a homophone), or a fuzzy comparison (a typo)."""

NOT_COVERED: Final[tuple[str, ...]] = ("compound", "shop", "street")
"""What the offline gazetteer does not hold: residential compounds, shops and malls, streets."""

# Weights of a match kind: a name typed as written beats its pinyin, which beats a homophone.
_MATCH_WEIGHT: Final[dict[str, float]] = {
    "name": 1.0,
    "spelling": 1.0,
    "pinyin": 0.97,
    "sound": 0.9,
    "fuzzy": 0.7,
}
_COMMUNITY_RE: Final = re.compile(
    r"^(?P<township>.+?(?:街道|镇|苏木|乡))(?P<place>[\u4e00-\u9fff]{1,10}?(?:社区|嘎查|村))"
)
_CJK_RE: Final = re.compile(r"[\u3400-\u9fff]")


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
        One of :data:`KINDS`, ``coordinates`` (typed by the user) or ``online`` (an online geocoder).
    adcode
        District adcode when known, else 0.
    score
        Match quality in 0–1 (1 = exact).
    modelled
        True when the coordinates are modelled rather than surveyed.
    match
        How the entry matched (one of :data:`MATCHES`; ``coordinates`` or ``online`` otherwise).
    area
        Where it is, to tell places of the same name apart (township, district), or ``""``.
    """

    name: str
    lon: float
    lat: float
    kind: str
    adcode: int = 0
    score: float = 1.0
    modelled: bool = False
    match: str = "name"
    area: str = ""


def normalise_name(text: str) -> str:
    """Case-folded, width-folded text without spaces, punctuation or an administrative suffix."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = re.sub(r"[\s·・,，.。()（）'’\"-]+", "", folded)
    for suffix in _SUFFIXES:
        if folded.endswith(suffix) and len(folded) > len(suffix) + 1:
            return folded[: -len(suffix)]
    return folded


def pinyin_keys(text: str) -> list[str]:
    """Toneless pinyin of ``text`` without and with its administrative suffix (``[]`` without CJK)."""
    if not _CJK_RE.search(text):
        return []
    return list(_pinyin_keys(unicodedata.normalize("NFKC", text)))


@functools.lru_cache(maxsize=16384)
def _pinyin_keys(text: str) -> tuple[str, ...]:
    from pypinyin import lazy_pinyin  # imported on first use: its dictionary takes a moment to load

    syllables = lazy_pinyin(text)
    stripped = normalise_name(text)
    if len(syllables) == len(text) and text.startswith(stripped):
        short = syllables[: len(stripped)]  # one syllable per character: the suffix's are the last ones
    else:
        short = lazy_pinyin(stripped)
    keys: list[str] = []
    for parts in (short, syllables):
        key = re.sub(r"[^a-z0-9]", "", "".join(parts).casefold())
        if key and key not in keys:
            keys.append(key)
    return tuple(keys)


class Gazetteer:
    """Offline place search over a table of names and WGS84 points.

    Parameters
    ----------
    places
        Columns ``name, lon, lat, kind`` and optionally ``adcode``, ``modelled``, ``area`` and
        ``spellings`` (other spellings of the name, separated by ``;``).
    """

    def __init__(self, places: pd.DataFrame) -> None:
        table = places.copy()
        for col, default in (("adcode", 0), ("modelled", False), ("area", ""), ("spellings", "")):
            if col not in table.columns:
                table[col] = default
        table = table.dropna(subset=["name", "lon", "lat"])
        table = table[table["name"].astype(str).str.strip() != ""]
        table["area"] = table["area"].fillna("").astype(str)
        table["spellings"] = table["spellings"].fillna("").astype(str)
        table = table.drop_duplicates(subset=["name", "kind", "area"]).reset_index(drop=True)
        self.table = table.drop(columns=["spellings"])
        rows: list[tuple[int, str, str]] = []
        for i, (name, kind, spellings) in enumerate(
            zip(table["name"], table["kind"], table["spellings"], strict=True)
        ):
            rows.append((i, normalise_name(str(name)), "name"))
            rows.extend((i, normalise_name(s), "spelling") for s in str(spellings).split(";") if s.strip())
            if kind != "address":  # nobody types a street address in pinyin
                rows.extend((i, key, "pinyin") for key in pinyin_keys(str(name)))
        keys = pd.DataFrame(rows, columns=["entry", "key", "match"])
        keys = keys[keys["key"] != ""].drop_duplicates(subset=["entry", "key"]).reset_index(drop=True)
        self.keys = keys
        # Plain Python and numpy copies: a search scans every key, so no per-row pandas access.
        self._key_list: list[str] = [str(k) for k in keys["key"]]
        self._entries = keys["entry"].to_numpy(dtype=np.int64)
        self._matches = keys["match"].to_numpy(dtype=object)
        self._weights = keys["match"].map(_MATCH_WEIGHT).to_numpy(dtype=float)
        entries = self.table
        self._names = [str(v) for v in entries["name"]]
        self._lons = [float(v) for v in entries["lon"]]
        self._lats = [float(v) for v in entries["lat"]]
        self._kinds = [str(v) for v in entries["kind"]]
        self._adcodes = [int(v) if pd.notna(v) else 0 for v in entries["adcode"]]
        self._modelled = [bool(v) for v in entries["modelled"]]
        self._areas = [str(v) for v in entries["area"]]
        ranks = {kind: i for i, kind in enumerate(KINDS)}
        self._rank = [ranks.get(kind, len(KINDS)) for kind in self._kinds]

    def __len__(self) -> int:
        return len(self.table)

    def _score(self, key: str) -> np.ndarray:
        """1 exact, 0.9 prefix, 0.8 the key holds the query, 0.75 the query holds the key, else 0."""
        return np.fromiter(
            (
                1.0
                if k == key
                else 0.9
                if k.startswith(key)
                else 0.8
                if key in k
                else 0.75
                if len(k) >= 2 and k in key
                else 0.0
                for k in self._key_list
            ),
            dtype=float,
            count=len(self._key_list),
        )

    def _fuzzy(self, key: str, min_score: float) -> np.ndarray:
        matcher = difflib.SequenceMatcher(None)
        matcher.set_seq2(key)  # SequenceMatcher caches what it learns about its second sequence
        out = np.zeros(len(self._key_list))
        for i, k in enumerate(self._key_list):
            matcher.set_seq1(k)
            if matcher.real_quick_ratio() >= min_score and matcher.quick_ratio() >= min_score:
                ratio = matcher.ratio()
                out[i] = ratio if ratio >= min_score else 0.0
        return out

    def search(self, query: str, *, limit: int = 8, min_score: float = 0.75) -> list[Place]:
        """Entries matching ``query``: exact, then prefix, then substring, then homophone, then fuzzy.

        Parameters
        ----------
        query
            Free text in Chinese characters, pinyin (with or without spaces) or English.
        limit
            Most results to return.
        min_score
            Smallest fuzzy similarity (0–1) accepted.

        Returns
        -------
        list of Place
            Best first, one per point (a district and its seat town are one place); each says
            how it matched (``match``). Empty when nothing matches.
        """
        key = normalise_name(query)
        if not key:
            return []
        score = self._score(key) * self._weights
        match = self._matches.copy()
        sounds = [k for k in pinyin_keys(query) if k != key]
        if sounds:
            spelled = self._matches != "name"
            for sound in sounds:
                heard = self._score(sound) * _MATCH_WEIGHT["sound"] * spelled
                better = heard > score
                score = np.where(better, heard, score)
                match[better] = "sound"
        if not score.any():
            score = self._fuzzy(key, min_score) * _MATCH_WEIGHT["fuzzy"]
            match[:] = "fuzzy"
        best: dict[int, tuple[float, str]] = {}
        for row in np.flatnonzero(score > 0):
            entry = int(self._entries[row])
            if entry not in best or score[row] > best[entry][0]:
                best[entry] = (float(score[row]), str(match[row]))
        ranked = sorted(
            best.items(), key=lambda item: (-item[1][0], self._rank[item[0]], self._names[item[0]])
        )
        places: list[Place] = []
        points: set[tuple[float, float]] = set()
        for entry, (value, how) in ranked:
            point = (round(self._lons[entry], 4), round(self._lats[entry], 4))
            if point in points:
                continue  # a district and its seat town are one place: the better-ranked one stays
            points.add(point)
            places.append(
                Place(
                    name=self._names[entry],
                    lon=self._lons[entry],
                    lat=self._lats[entry],
                    kind=self._kinds[entry],
                    adcode=self._adcodes[entry],
                    score=round(value, 3),
                    modelled=self._modelled[entry],
                    match=how,
                    area=self._areas[entry],
                )
            )
            if len(places) == limit:
                break
        return places


def _spellings_of(names: pd.Series, spellings: pd.DataFrame) -> pd.Series:
    """Conventional spellings of each name (``;``-separated) from the spellings table."""
    table = dict(zip(spellings["name"].map(normalise_name), spellings["spellings"], strict=True))
    return names.astype(str).map(lambda n: table.get(normalise_name(n), ""))


def _communities(facilities: pd.DataFrame, district_names: dict[int, str]) -> pd.DataFrame:
    """Communities and villages named in facility names (``XX街道YY社区…``), at their facilities' mean."""
    found = facilities["name"].astype(str).str.extract(_COMMUNITY_RE)
    rows = facilities.assign(township=found["township"], place=found["place"]).dropna(subset=["place"])
    if rows.empty:
        return pd.DataFrame(columns=["name", "lon", "lat", "kind", "adcode", "modelled", "area"])
    rows = rows.assign(
        modelled=rows["source"].astype(str).str.startswith(MODELLED_SOURCE_PREFIX)
        if "source" in rows
        else False
    )
    grouped = (
        rows.groupby(["place", "township", "district_adcode"], as_index=False)
        .agg(lon=("lon", "mean"), lat=("lat", "mean"), modelled=("modelled", "any"))
        .rename(columns={"place": "name", "district_adcode": "adcode"})
    )
    grouped["kind"] = np.where(grouped["name"].str.endswith("社区"), "community", "village")
    grouped["area"] = [
        f"{township} · {district_names.get(int(a), '')}".strip(" ·")
        for township, a in zip(grouped["township"], grouped["adcode"], strict=True)
    ]
    return grouped[["name", "lon", "lat", "kind", "adcode", "modelled", "area"]]


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
        Published facilities (contract columns); their names, addresses and the communities and
        villages their names mention become entries.
    datasets_dir
        Folder of the reference files (default ``datasets/``).
    cells
        Demand cells with ``township_code`` (township seats when no modelled seats file is shipped).

    Returns
    -------
    Gazetteer
    """
    ddir = datasets_dir or gio.DATASETS_DIR
    spellings = gio.read_place_spellings(ddir)
    districts = gio.read_districts(ddir)
    seats = gio.read_seats(ddir)
    names = dict(zip(districts["adcode"].astype(int), districts["name"], strict=True))
    frames = []
    # A district is found at its seat town: where its people and services are.
    at_seat = districts.merge(seats[["adcode", "seat_name", "lon", "lat"]], on="adcode", how="left")
    points = districts.representative_point()
    at_seat["lon"] = at_seat["lon"].fillna(pd.Series(points.x.to_numpy(), index=at_seat.index))
    at_seat["lat"] = at_seat["lat"].fillna(pd.Series(points.y.to_numpy(), index=at_seat.index))
    frames.append(
        pd.DataFrame(
            {
                "name": at_seat["name"],
                "lon": at_seat["lon"],
                "lat": at_seat["lat"],
                "kind": "district",
                "adcode": at_seat["adcode"],
                "area": at_seat["seat_name"].where(at_seat["seat_name"] != at_seat["name"], "").fillna(""),
                "spellings": at_seat["name_en"] + ";" + _spellings_of(at_seat["name"], spellings),
            }
        )
    )
    english = seats["seat_name_en"].astype(str).str.replace(r"[()]", ";", regex=True)
    frames.append(
        pd.DataFrame(
            {
                "name": seats["seat_name"],
                "lon": seats["lon"],
                "lat": seats["lat"],
                "kind": "seat",
                "adcode": seats["adcode"],
                "area": seats["adcode"]
                .map(names)
                .where(seats["seat_name"] != seats["adcode"].map(names), ""),
                "spellings": english + ";" + _spellings_of(seats["seat_name"], spellings),
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
                "area": places["district"],
            }
        )
    )
    townships = _township_seats(ddir, cells)
    if not townships.empty:
        frames.append(
            townships.assign(
                modelled=True,
                area=townships["adcode"].map(names).fillna(""),
                spellings=_spellings_of(townships["name"], spellings),
            )
        )
    if facilities is not None and not facilities.empty:
        fac = facilities
        modelled = (
            fac["source"].astype(str).str.startswith(MODELLED_SOURCE_PREFIX) if "source" in fac else False
        )
        frames.append(_communities(fac, names))
        frames.append(
            pd.DataFrame(
                {
                    "name": fac["name"],
                    "lon": fac["lon"],
                    "lat": fac["lat"],
                    "kind": "facility",
                    "adcode": fac["district_adcode"],
                    "modelled": modelled,
                    "area": fac["district_adcode"].map(names).fillna(""),
                }
            )
        )
        has_address = fac["address"].fillna("").astype(str).str.strip() != ""
        frames.append(
            pd.DataFrame(
                {
                    "name": fac.loc[has_address, "address"],
                    "lon": fac.loc[has_address, "lon"],
                    "lat": fac.loc[has_address, "lat"],
                    "kind": "address",
                    "adcode": fac.loc[has_address, "district_adcode"],
                    "modelled": modelled[has_address] if isinstance(modelled, pd.Series) else False,
                }
            )
        )
    table = pd.concat([f for f in frames if not f.empty], ignore_index=True)
    table["modelled"] = table["modelled"].astype("boolean").fillna(False).astype(bool)
    return Gazetteer(table)


def _township_seats(datasets_dir: Path, cells: pd.DataFrame | None) -> pd.DataFrame:
    """Township points and kinds: the modelled seats file if shipped, else population-weighted cells."""
    seats = gio.read_township_seats(datasets_dir)
    if seats is not None:
        kind = seats["kind"] if "kind" in seats.columns else "township"
        return pd.DataFrame(
            {
                "name": seats["name"],
                "lon": seats["lon"],
                "lat": seats["lat"],
                "kind": kind,
                "adcode": seats["adcode"],
            }
        )
    if cells is None or "township_code" not in cells.columns or cells.empty:
        return pd.DataFrame(columns=["name", "lon", "lat", "kind", "adcode"])
    weights = cells["pop_total"].astype(float).clip(lower=1.0)
    grouped = (
        cells.assign(wlon=cells["lon"] * weights, wlat=cells["lat"] * weights, w=weights)
        .groupby(cells["township_code"].astype(str))[["wlon", "wlat", "w"]]
        .sum()
    )
    centres = pd.DataFrame(
        {"code": grouped.index, "lon": grouped["wlon"] / grouped["w"], "lat": grouped["wlat"] / grouped["w"]}
    )
    merged = centres.merge(gio.read_townships(datasets_dir), on="code", how="inner")
    kinds = merged["name"].map(_kind_of_township)
    return merged.assign(kind=kinds)[["name", "lon", "lat", "kind", "adcode"]]


def _kind_of_township(name: str) -> str:
    for suffix, kind in (("街道", "subdistrict"), ("镇", "town"), ("苏木", "sumu")):
        if name.endswith(suffix):
            return kind
    return "township"
