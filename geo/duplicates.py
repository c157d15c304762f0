"""Possible duplicates: the same facility entered twice, within a file or under a new id.

A station re-entered under a new ``facility_id`` (a typo in the id, a list from another office)
would otherwise be published as a second facility and counted twice by coverage and the finder.
Two rows of the same category (and type, unless a name does not say its type) are reported as a
possible duplicate when

- their names are the same or very similar once normalised (full/half width, case, spaces and
  punctuation, type suffixes such as 社区 / 社区养老服务站) and they are within
  :attr:`DuplicateSettings.radius_m` of each other, or
- they share a phone number, or an address, within the same township.

Rows are compared within the file and against the published version (published facilities whose
id the file also has are being updated, not duplicated). Pairs a clerk marked "not a duplicate"
are passed in and stay quiet. Work is bounded: each row is compared with at most
:attr:`DuplicateSettings.max_candidates` neighbours and group members, whatever the file holds.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
from rapidfuzz import fuzz
from scipy.spatial import cKDTree

from geo.crs import to_metric
from geo.schema import FACILITY_TYPES
from geo.validation_report import DuplicatePair, Issue, make_issue

__all__ = [
    "REASONS",
    "DuplicateSettings",
    "duplicate_issues",
    "find_duplicates",
    "name_similarity",
    "normalise_address",
    "normalise_name",
    "phone_numbers",
]

REASONS: Final[tuple[str, ...]] = ("similar_name", "same_phone", "same_address")


@dataclass(frozen=True)
class DuplicateSettings:
    """When two rows count as possibly the same facility.

    Attributes
    ----------
    radius_m
        Largest distance (metres) between two similarly named rows.
    min_name_similarity
        Smallest similarity (0–100) of the normalised names.
    max_candidates
        Most neighbours (and members of a phone or address group) each row is compared with.
    """

    radius_m: float = 100.0
    min_name_similarity: float = 85.0
    max_candidates: int = 10


# Type words at the end of a name, longest first: "铁西社区养老服务站" and "铁西社区" are both "铁西".
_SUFFIXES: Final[tuple[str, ...]] = tuple(
    sorted(
        {
            *(t.zh for t in FACILITY_TYPES.values()),
            "社区养老服务站",
            "社区养老服务中心",
            "养老服务中心",
            "养老服务站",
            "日间照料中心",
            "日间照料站",
            "居家养老服务站",
            "互助养老院",
            "互助幸福院",
            "幸福院",
            "养老院",
            "敬老院",
            "福利院",
            "托育中心",
            "托育机构",
            "托育园",
            "托育点",
            "儿童之家",
            "萌宝驿站",
            "老年食堂",
            "长者食堂",
            "助餐点",
            "服务中心",
            "服务站",
            "中心",
            "社区",
            "嘎查村",
            "嘎查",
        },
        key=len,
        reverse=True,
    )
)
_SUFFIX_SET: Final[frozenset[str]] = frozenset(_SUFFIXES)
# Suffixes that say what kind of facility it is (not 社区, 中心 …): a 儿童之家 and a 萌宝驿站 of the
# same community are two facilities, however alike the rest of their names.
_TYPE_WORDS: Final[tuple[str, ...]] = tuple(
    w for w in _SUFFIXES if w not in {"社区", "中心", "服务中心", "服务站", "嘎查", "嘎查村"}
)
_PHONE_SPLIT = re.compile(r"[,，;；/、|]+|\s{2,}")
_MIN_PHONE_DIGITS: Final[int] = 7
_MIN_ADDRESS_CHARS: Final[int] = 4


def _fold(text: str) -> str:
    """NFKC (full width → half width), case-folded, without spaces, punctuation or symbols."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] not in ("Z", "P", "S", "C"))


def normalise_name(name: str) -> str:
    """A facility name reduced for comparison: folded, type suffixes taken off the end.

    Examples: ``"铁西社区养老服务站"``, ``"铁西 社区"`` and ``"铁西社区（养老服务站）"`` all give
    ``"铁西"``. A name that is nothing but a type word keeps it.
    """
    folded = _fold(name)
    stripped = folded
    changed = True
    while changed:
        changed = False
        for suffix in _SUFFIXES:
            if stripped.endswith(suffix) and len(stripped) > len(suffix):
                stripped = stripped[: -len(suffix)]
                changed = True
                break
    return folded if stripped in _SUFFIX_SET else stripped


def name_similarity(a: str, b: str) -> float:
    """Similarity (0–100) of two normalised names.

    The edit-distance ratio, or 100 when one name holds the other and the shorter has at least
    two characters ("东胜区铁西" and "铁西").
    """
    if not a or not b:
        return 0.0
    if a == b:
        return 100.0
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 2 and short in long_:
        return 100.0
    return float(fuzz.ratio(a, b))


def phone_numbers(text: str) -> frozenset[str]:
    """The phone numbers in a cell, as digits (a leading 86 country code dropped)."""
    numbers = set()
    for part in _PHONE_SPLIT.split(unicodedata.normalize("NFKC", text)):
        digits = "".join(ch for ch in part if ch.isdigit())
        if len(digits) > 11 and digits.startswith("86"):
            digits = digits[2:]
        if len(digits) >= _MIN_PHONE_DIGITS:
            numbers.add(digits)
    return frozenset(numbers)


def normalise_address(address: str) -> str:
    """An address reduced for comparison (folded); "" when too short to mean a place."""
    folded = _fold(address)
    return folded if len(folded) >= _MIN_ADDRESS_CHARS else ""


@dataclass
class _Entry:
    key: int
    row: int | None  # spreadsheet row; None for a published facility
    facility_id: str
    name: str
    norm_name: str
    category: str
    type: str
    names_type: bool  # the name ends with a word saying what kind of facility it is
    area: tuple[str, str]  # (district adcode, folded township); township "" when unknown
    phones: frozenset[str]
    address: str
    lon: float
    lat: float


def _entries(frame: pd.DataFrame, rows: Sequence[int | None], start: int) -> list[_Entry]:
    out = []
    for k, (record, row) in enumerate(zip(frame.to_dict(orient="records"), rows, strict=True)):
        adcode = record.get("district_adcode")
        district = "" if adcode is None or pd.isna(adcode) else str(int(adcode))
        lon, lat = record.get("lon"), record.get("lat")
        out.append(
            _Entry(
                key=start + k,
                row=row,
                facility_id=str(record.get("facility_id", "")),
                name=str(record.get("name", "")),
                norm_name=normalise_name(str(record.get("name", ""))),
                category=str(record.get("category", "")),
                type=str(record.get("type", "") or ""),
                names_type=_fold(str(record.get("name", ""))).endswith(_TYPE_WORDS),
                area=(district, _fold(str(record.get("township", "") or ""))),
                phones=phone_numbers(str(record.get("phone", "") or "")),
                address=normalise_address(str(record.get("address", "") or "")),
                lon=float(lon) if lon is not None and pd.notna(lon) else np.nan,
                lat=float(lat) if lat is not None and pd.notna(lat) else np.nan,
            )
        )
    return out


class _Pairs:
    """Candidate pairs (file entry, other entry) with their reasons, at most once each."""

    def __init__(self, entries: list[_Entry], dismissed: set[tuple[str, str]]) -> None:
        self.entries = entries
        self.dismissed = dismissed
        self.reasons: dict[tuple[int, int], set[str]] = {}

    def consider(self, a: int, b: int, reason: str) -> None:
        ea, eb = self.entries[a], self.entries[b]
        if ea.row is None and eb.row is None:
            return  # two published facilities: not this file's business
        if ea.facility_id == eb.facility_id or ea.category != eb.category:
            return
        # Different types at one place (a community centre's children's home and baby station) share
        # phones and addresses; only a name without its type word can still be a duplicate.
        other_type = bool(ea.type and eb.type and ea.type != eb.type)
        if other_type and (reason != "similar_name" or (ea.names_type and eb.names_type)):
            return
        if tuple(sorted((ea.facility_id, eb.facility_id))) in self.dismissed:
            return
        # Key (reported file row, other): the other is a published facility or an earlier row.
        if ea.row is None or (eb.row is not None and eb.row > ea.row):
            a, b = b, a
        self.reasons.setdefault((a, b), set()).add(reason)


def find_duplicates(
    rows: pd.DataFrame,
    row_numbers: Sequence[int],
    *,
    published: pd.DataFrame | None = None,
    dismissed: Collection[tuple[str, str]] = (),
    settings: DuplicateSettings | None = None,
) -> list[DuplicatePair]:
    """Pairs of rows that may be the same facility, within the file and against the published list.

    Parameters
    ----------
    rows
        The file's valid rows as a facility table (WGS84 ``lon``/``lat``, codes).
    row_numbers
        Spreadsheet row number of each row of ``rows``.
    published
        The published facilities (contract columns), or None. Facilities whose id ``rows`` also
        has are being updated and are not compared.
    dismissed
        Pairs of ids marked "not a duplicate", each as a sorted ``(id_a, id_b)`` tuple.
    settings
        Radius, name similarity and the per-row bound (default :class:`DuplicateSettings`).

    Returns
    -------
    list of DuplicatePair
        Sorted by file row; each pair once, with every reason that applies.
    """
    settings = settings or DuplicateSettings()
    file_entries = _entries(rows, list(row_numbers), 0)
    others: list[_Entry] = []
    if published is not None and len(published):
        in_file = set(rows["facility_id"].astype(str))
        kept = published[~published["facility_id"].astype(str).isin(in_file)]
        others = _entries(kept, [None] * len(kept), len(file_entries))
    entries = file_entries + others
    if not file_entries:
        return []
    pairs = _Pairs(entries, {tuple(sorted(p)) for p in dismissed})  # type: ignore[misc]
    _near_pairs(entries, len(file_entries), pairs, settings)
    _group_pairs(entries, pairs, settings, lambda e: [(e.area, p) for p in e.phones], "same_phone")
    _group_pairs(
        entries, pairs, settings, lambda e: [(e.area, e.address)] if e.address else [], "same_address"
    )
    out = []
    for (later, other), reasons in pairs.reasons.items():
        a, b = entries[later], entries[other]
        distance = _distance_m(a, b)
        similarity = name_similarity(a.norm_name, b.norm_name)
        if "similar_name" in reasons and (distance is None or distance > settings.radius_m):
            reasons.discard("similar_name")
        if not reasons:
            continue
        out.append(
            DuplicatePair(
                row=int(a.row or 0),
                facility_id=a.facility_id,
                name=a.name,
                other_row=b.row,
                other_id=b.facility_id,
                other_name=b.name,
                reasons=tuple(r for r in REASONS if r in reasons),
                distance_m=distance,
                name_similarity=similarity,
            )
        )
    out.sort(key=lambda p: (p.row, p.other_row is None, p.other_row or 0, p.other_id))
    return out


def _distance_m(a: _Entry, b: _Entry) -> float | None:
    if not (np.isfinite(a.lon) and np.isfinite(a.lat) and np.isfinite(b.lon) and np.isfinite(b.lat)):
        return None
    xa, ya = to_metric(a.lon, a.lat)
    xb, yb = to_metric(b.lon, b.lat)
    return float(np.hypot(xa - xb, ya - yb))


def _near_pairs(entries: list[_Entry], n_file: int, pairs: _Pairs, settings: DuplicateSettings) -> None:
    located = [e.key for e in entries if np.isfinite(e.lon) and np.isfinite(e.lat)]
    if len(located) < 2:
        return
    lon = np.array([entries[k].lon for k in located])
    lat = np.array([entries[k].lat for k in located])
    x_m, y_m = to_metric(lon, lat)
    points = np.column_stack([x_m, y_m])
    tree = cKDTree(points)
    file_positions = [p for p, k in enumerate(located) if k < n_file]
    if not file_positions:
        return
    k_nearest = min(settings.max_candidates + 1, len(located))
    distances, neighbours = tree.query(
        points[file_positions], k=k_nearest, distance_upper_bound=settings.radius_m
    )
    distances = np.atleast_2d(distances).reshape(len(file_positions), -1)
    neighbours = np.atleast_2d(neighbours).reshape(len(file_positions), -1)
    for p, dist_row, nb_row in zip(file_positions, distances, neighbours, strict=True):
        a = located[p]
        for dist, q in zip(dist_row, nb_row, strict=True):
            if not np.isfinite(dist) or q == p or q >= len(located):
                continue
            b = located[int(q)]
            if name_similarity(entries[a].norm_name, entries[b].norm_name) >= settings.min_name_similarity:
                pairs.consider(a, b, "similar_name")


def _group_pairs(
    entries: list[_Entry],
    pairs: _Pairs,
    settings: DuplicateSettings,
    keys_of: object,
    reason: str,
) -> None:
    groups: dict[object, list[int]] = {}
    for e in entries:
        if not e.area[1]:  # "within the same township": rows without one are not grouped
            continue
        for key in keys_of(e):  # type: ignore[operator]
            groups.setdefault(key, []).append(e.key)
    for members in groups.values():
        if len(members) < 2:
            continue
        for position, a in enumerate(members):
            if entries[a].row is None:
                continue
            # Each file row is compared with a bounded number of the group's other members.
            start = max(0, position - settings.max_candidates)
            for b in members[start:position] + members[position + 1 : position + 1 + settings.max_candidates]:
                pairs.consider(a, b, reason)


_REASON_TEXT: Final[dict[str, tuple[str, str]]] = {
    "same_phone": ("同在{township},电话相同", "same phone number in {township}"),
    "same_address": ("同在{township},地址相同", "same address in {township}"),
}


def _why(pair: DuplicatePair, township: str) -> tuple[str, str]:
    zh: list[str] = []
    en: list[str] = []
    for reason in pair.reasons:
        if reason == "similar_name":
            if pair.name_similarity >= 100:
                zh.append("名称相同或包含")
                en.append("same or contained name")
            else:
                zh.append(f"名称相近(相似度 {pair.name_similarity:.0f}%)")
                en.append(f"similar names ({pair.name_similarity:.0f}% alike)")
        else:
            t_zh, t_en = _REASON_TEXT[reason]
            zh.append(t_zh.format(township=township or "同一乡镇"))
            en.append(t_en.format(township=township or "the same township"))
    if pair.distance_m is not None:
        zh.append(f"相距 {pair.distance_m:,.0f} 米")
        en.append(f"{pair.distance_m:,.0f} m apart")
    return ",".join(zh), ", ".join(en)


def duplicate_issues(pairs: Sequence[DuplicatePair], townships: dict[str, str] | None = None) -> list[Issue]:
    """One ``possible_duplicate`` warning per pair, at the file row, naming both rows and why.

    Parameters
    ----------
    pairs
        From :func:`find_duplicates`.
    townships
        Township of each file row's ``facility_id``, to say where a phone or address is shared.
    """
    townships = townships or {}
    issues = []
    for pair in pairs:
        why_zh, why_en = _why(pair, townships.get(pair.facility_id, ""))
        column = "name" if "similar_name" in pair.reasons else pair.reasons[0].removeprefix("same_")
        key = "duplicate_of_published" if pair.other_row is None else "duplicate_in_file"
        issues.append(
            make_issue(
                key,
                row=pair.row,
                column=column,
                value=pair.name,
                other_row=pair.other_row,
                other_id=pair.other_id,
                other_name=pair.other_name,
                why_zh=why_zh,
                why_en=why_en,
            )
        )
    return issues
