"""The facility catalogue and CSV contract agree with DESIGN.md."""

from __future__ import annotations

from geo import schema


def test_types_have_both_labels_and_a_known_category_and_unit() -> None:
    assert len(schema.FACILITY_TYPES) == 10
    for t in schema.FACILITY_TYPES.values():
        assert t.zh and t.en
        assert t.category in schema.CATEGORIES
        assert t.capacity_unit in schema.CAPACITY_UNITS


def test_contract_column_order() -> None:
    assert schema.COLUMN_NAMES[:17] == (
        "facility_id", "name", "category", "type", "district_adcode", "township", "address", "lon", "lat",
        "capacity", "capacity_unit", "available_places", "opening_hours", "phone", "services", "status",
        "updated_at",
    )  # fmt: skip
    assert set(schema.REQUIRED_COLUMNS) == {
        "facility_id",
        "name",
        "category",
        "type",
        "district_adcode",
        "lon",
        "lat",
    }


def test_headers_accept_chinese_english_and_case() -> None:
    assert schema.normalise_header("编号") == "facility_id"
    assert schema.normalise_header("\ufeff经度 ") == "lon"
    assert schema.normalise_header("LAT") == "lat"
    assert schema.normalise_header("Longitude") == "lon"
    assert schema.normalise_header("邮编") is None


def test_types_and_categories_accept_labels() -> None:
    assert schema.normalise_type("儿童之家") == "children_home"
    assert schema.normalise_type(" Nursery ") == "nursery"
    assert schema.normalise_type("幼儿园") is None
    assert schema.normalise_category("养老") == "elderly"
    assert schema.normalise_category("托育") == "child"
    assert schema.normalise_category("CHILD") == "child"
    assert schema.types_of("child") == ["children_home", "baby_station", "nursery"]
    assert schema.type_label("nursery", "en") == "Nursery"
    assert schema.type_label("nursery") == "托育机构"
