"""Tests of geo.duplicates: the same facility twice, in a file or under a new id."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.crs import from_metric, to_metric
from geo.duplicates import (
    DuplicateSettings,
    find_duplicates,
    name_similarity,
    normalise_name,
    phone_numbers,
)
from geo.validate import validate_table

LON, LAT = 109.97763, 39.81609  # Dongsheng


def moved(metres_east: float, metres_north: float = 0.0) -> tuple[float, float]:
    x_m, y_m = to_metric(LON, LAT)
    lon, lat = from_metric(x_m + metres_east, y_m + metres_north)
    return float(lon), float(lat)


def facility(
    fid: str, name: str, *, at: tuple[float, float] = (LON, LAT), **fields: object
) -> dict[str, object]:
    base: dict[str, object] = {
        "facility_id": fid,
        "name": name,
        "category": "elderly",
        "type": "community_station",
        "district_adcode": 150602,
        "township": "交通街道",
        "address": f"{fid} 号院",
        "lon": at[0],
        "lat": at[1],
        "phone": "",
        "status": "open",
    }
    base.update(fields)
    return base


def pairs(file_rows: list[dict[str, object]], published: list[dict[str, object]] | None = None, **kw: object):
    frame = pd.DataFrame(file_rows)
    numbers = list(range(2, len(frame) + 2))
    pub = pd.DataFrame(published) if published is not None else None
    return find_duplicates(frame, numbers, published=pub, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("铁西社区养老服务站", "铁西社区"),
        ("铁西社区养老服务站", "铁西 社区 养老服务站"),
        ("阳光日间照料中心", "阳光 日间照料中心"),
        ("ＡＢＣ养老院", "abc养老院"),
        ("铁西社区（养老服务站）", "铁西"),
    ],
)
def test_normalisation_makes_variants_equal(a: str, b: str) -> None:
    assert normalise_name(a) == normalise_name(b)
    assert name_similarity(normalise_name(a), normalise_name(b)) == 100


def test_a_name_that_is_only_a_type_word_is_kept() -> None:
    assert normalise_name("社区养老服务站") == "社区养老服务站"


def test_phone_numbers_are_digits_without_country_code() -> None:
    assert phone_numbers("+86 477-858 1234 / 0477 8581235") == {"4778581234", "04778581235"}
    assert phone_numbers("无") == frozenset() and phone_numbers("12345") == frozenset()


def test_fuzzy_name_at_30_m_is_a_duplicate_at_300_m_is_not() -> None:
    published = [facility("P-1", "铁西社区养老服务站")]
    near = pairs([facility("N-1", "铁西社区养老站", at=moved(30))], published)
    assert [(p.facility_id, p.other_id, p.other_row, p.reasons) for p in near] == [
        ("N-1", "P-1", None, ("similar_name",))
    ]
    assert near[0].distance_m == pytest.approx(30, abs=1)
    assert pairs([facility("N-1", "铁西社区养老站", at=moved(300))], published) == []


def test_identical_names_of_different_stations_far_apart_are_not_duplicates() -> None:
    rows = [
        facility("A-1", "幸福社区养老服务站", township="交通街道"),
        facility("A-2", "幸福社区养老服务站", at=moved(5000), township="天骄街道"),
    ]
    assert pairs(rows) == []


def test_same_phone_in_the_same_township_is_a_duplicate_in_another_is_not() -> None:
    base = facility("P-1", "甲站", phone="0477-8581234")
    same = facility("N-1", "乙站", at=moved(2000), phone="0477 858 1234")
    other_township = facility("N-2", "丙站", at=moved(2000), phone="04778581234", township="天骄街道")
    found = pairs([same, other_township], [base])
    assert [(p.facility_id, p.other_id, p.reasons) for p in found] == [("N-1", "P-1", ("same_phone",))]


def test_same_address_in_the_same_township() -> None:
    rows = [
        facility("A-1", "甲站", address="鄂尔多斯市东胜区 园丁路 224 号"),
        facility("A-2", "乙站", at=moved(800), address="鄂尔多斯市东胜区园丁路224号"),
    ]
    found = pairs(rows)
    assert [(p.row, p.other_row, p.reasons) for p in found] == [(3, 2, ("same_address",))]


def test_within_file_pair_is_reported_once_at_the_later_row() -> None:
    rows = [
        facility("A-1", "铁西社区养老服务站", phone="0477-8581234"),
        facility("A-9", "其他站", at=moved(3000)),
        facility("A-2", "铁西社区", at=moved(20), phone="0477-8581234"),
    ]
    found = pairs(rows)
    assert len(found) == 1
    pair = found[0]
    assert (pair.row, pair.facility_id, pair.other_row, pair.other_id) == (4, "A-2", 2, "A-1")
    assert pair.reasons == ("similar_name", "same_phone")


def test_an_update_of_a_published_facility_is_not_its_duplicate() -> None:
    published = [facility("P-1", "铁西社区养老服务站")]
    assert pairs([facility("P-1", "铁西社区养老服务站")], published) == []


def test_other_category_is_not_a_duplicate() -> None:
    rows = [
        facility("A-1", "阳光社区养老服务站"),
        facility("A-2", "阳光社区", category="child", type="children_home"),
    ]
    assert pairs(rows) == []


def test_dismissed_pairs_stay_quiet() -> None:
    published = [facility("P-1", "铁西社区养老服务站")]
    row = facility("N-1", "铁西社区养老站", at=moved(30))
    assert len(pairs([row], published)) == 1
    assert pairs([row], published, dismissed=[("P-1", "N-1")]) == []


def test_work_is_bounded_on_a_degenerate_file() -> None:
    rows = [
        facility(f"X-{k}", "同名站", phone="0477-8581234", address="同一个地址100号") for k in range(1500)
    ]
    found = pairs(rows, settings=DuplicateSettings(max_candidates=3))
    per_row: dict[int, int] = {}
    for p in found:
        per_row[p.row] = per_row.get(p.row, 0) + 1
    assert max(per_row.values()) <= 2 * 3 + 3  # near neighbours + group members on each side


def test_validation_reports_published_duplicate_naming_both_in_both_languages() -> None:
    published = pd.DataFrame([facility("ORD-1", "铁西社区养老服务站")])
    lon, lat = moved(25)
    table = pd.DataFrame(
        [
            {
                "编号": "NEW-7",
                "名称": "铁西社区",
                "类别": "养老",
                "类型": "社区养老服务站",
                "行政区划代码": "150602",
                "经度": str(lon),
                "纬度": str(lat),
            }
        ]
    )
    result = validate_table(table, published=published)
    issues = [i for i in result.issues if i.code == "possible_duplicate"]
    assert len(issues) == 1 and issues[0].severity == "warning" and issues[0].row == 2
    for text in (issues[0].message_zh, issues[0].message_en):
        assert "ORD-1" in text and "铁西社区养老服务站" in text
    assert "25 米" in issues[0].message_zh and "25 m apart" in issues[0].message_en
    assert "合并" in issues[0].message_zh and "merge" in issues[0].message_en
    assert not result.has_errors and len(result.table) == 1


def test_marks_are_kept_with_the_published_version_on_both_stores(any_db_url: str) -> None:
    from geo.store import open_store

    store = open_store(any_db_url)
    current = store.facilities()
    info = store.publish(
        current,
        user_name="li",
        action="import",
        base_version=store.current_version(),
        not_duplicates=[("ORD-B", "ORD-A"), ("ORD-A", "ORD-B"), ("ORD-C", "ORD-D")],
    )
    assert store.duplicate_marks() == {("ORD-A", "ORD-B"), ("ORD-C", "ORD-D")}
    again = store.publish(
        current,
        user_name="wang",
        action="import",
        base_version=info.version,
        not_duplicates=[("ORD-A", "ORD-B")],
    )
    assert again.version == info.version + 1
    assert store.duplicate_marks() == {("ORD-A", "ORD-B"), ("ORD-C", "ORD-D")}  # marked once, kept
    store.engine.dispose()


def test_different_types_of_one_community_are_not_duplicates() -> None:
    rows = [
        facility("C-1", "瑞祥社区儿童之家", category="child", type="children_home", phone="0477-8581234"),
        facility(
            "C-2",
            "瑞祥社区萌宝驿站",
            at=moved(30),
            category="child",
            type="baby_station",
            phone="0477-8581234",
        ),
    ]
    assert pairs(rows) == []
    # A name without its type word can still be the same facility entered with another type.
    rows[1] = facility("C-2", "瑞祥社区", at=moved(30), category="child", type="baby_station")
    assert [p.reasons for p in pairs(rows)] == [("similar_name",)]
