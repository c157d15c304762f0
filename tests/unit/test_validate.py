"""Tests of geo.validate: one test (at least) per rule, encodings and formats, and property tests."""

from __future__ import annotations

import io
from datetime import date, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from geo import io as gio
from geo.crs import from_wgs84
from geo.importer import GEOCODED_MARK
from geo.schema import COLUMN_NAMES, COLUMNS
from geo.templates import template_csv_bytes, template_xlsx_bytes
from geo.validate import (
    ERROR,
    MESSAGES,
    REPORT_COLUMNS,
    WARNING,
    Issue,
    ValidationResult,
    is_valid_opening_hours,
    parse_date,
    validate_bytes,
    validate_table,
)

# The seat of Dongsheng District (WGS84), inside its polygon.
DONGSHENG = (109.97763, 39.81609)


@pytest.fixture(scope="module")
def districts() -> gpd.GeoDataFrame:
    return gio.read_districts()


def row(**overrides: str) -> dict[str, str]:
    base = {
        "facility_id": "F-001",
        "name": "测试养老服务站",
        "category": "elderly",
        "type": "community_station",
        "district_adcode": "150602",
        "township": "交通街道",
        "address": "东胜区测试路1号",
        "lon": str(DONGSHENG[0]),
        "lat": str(DONGSHENG[1]),
        "capacity": "20",
        "capacity_unit": "beds",
        "available_places": "5",
        "opening_hours": "Mo-Fr 08:00-18:00",
        "phone": "0477-1234567",
        "services": "助餐;日间照料",
        "status": "open",
        "updated_at": "2025-03-01",
        "source": "",
    }
    # Each facility its own phone and address, unless a test says otherwise: rows that share them
    # within a township are reported as possible duplicates.
    if "facility_id" in overrides:
        number = sum(ord(ch) * 31**k for k, ch in enumerate(overrides["facility_id"])) % 9_000_000
        base["phone"] = f"0477-{1_000_000 + number}"
        base["address"] = f"东胜区测试路{number}号"
    base.update(overrides)
    return base


def csv_bytes(
    rows: list[dict[str, str]], *, headers: list[str] | None = None, sep: str = ",", enc: str = "utf-8"
) -> bytes:
    columns = list(rows[0]) if rows else list(COLUMN_NAMES)
    frame = pd.DataFrame(rows, columns=columns)
    if headers is not None:
        frame.columns = pd.Index(headers)
    return frame.to_csv(index=False, sep=sep, lineterminator="\n").encode(enc)


def check(
    rows: list[dict[str, str]], districts: gpd.GeoDataFrame | None = None, **kwargs: object
) -> ValidationResult:
    return validate_bytes(csv_bytes(rows), file_name="test.csv", districts=districts, **kwargs)  # type: ignore[arg-type]


def codes(result: ValidationResult) -> list[str]:
    return [i.code for i in result.issues]


def only(result: ValidationResult, code: str) -> Issue:
    found = [i for i in result.issues if i.code == code]
    assert len(found) == 1, result.issues
    return found[0]


# --- the happy path, encodings, separators, formats -----------------------------------------------


def test_valid_row_gives_typed_table_and_no_issues(districts: gpd.GeoDataFrame) -> None:
    result = check([row()], districts)
    assert result.issues == []
    assert not result.has_errors
    t = result.table
    assert list(t.columns) == list(COLUMN_NAMES)
    assert len(t) == 1 and result.n_rows == 1
    assert t.loc[0, "district_adcode"] == 150602 and t["district_adcode"].dtype == "Int64"
    assert t.loc[0, "capacity"] == 20 and t.loc[0, "available_places"] == 5
    assert t.loc[0, "lon"] == pytest.approx(DONGSHENG[0]) and t.loc[0, "lat"] == pytest.approx(DONGSHENG[1])
    assert t.loc[0, "source"] == "导入 import: test.csv"
    assert result.encoding == "utf-8" and result.delimiter == ","
    assert len(result.sha256) == 64


CHINESE_HEADERS = [c.zh for c in COLUMNS]


@pytest.mark.parametrize("enc", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_encodings_with_chinese_headers_and_labels(enc: str, districts: gpd.GeoDataFrame) -> None:
    rows = [row(category="养老", type="社区养老服务站", status="运营", capacity_unit="床位")]
    data = csv_bytes(rows, headers=CHINESE_HEADERS, enc=enc)
    result = validate_bytes(data, file_name="中文.csv", districts=districts)
    assert result.issues == []
    assert (
        result.encoding
        == {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "gb18030": "gb18030", "gbk": "gb18030"}[enc]
    )
    t = result.table
    assert (t.loc[0, "category"], t.loc[0, "type"], t.loc[0, "status"]) == (
        "elderly",
        "community_station",
        "open",
    )
    assert t.loc[0, "name"] == "测试养老服务站"


@pytest.mark.parametrize("sep", ["\t", ";"])
def test_tab_and_semicolon_separators(sep: str) -> None:
    result = validate_bytes(
        csv_bytes([row(), row(facility_id="F-002", name="另一站")], sep=sep), file_name="x.csv"
    )
    assert result.issues == [] and result.delimiter == sep and len(result.table) == 2


def test_headers_in_any_order_and_bilingual_template_headers() -> None:
    r = row()
    shuffled = list(reversed(list(r)))
    frame = pd.DataFrame([r])[shuffled]
    frame.columns = pd.Index([f"{next(c.zh for c in COLUMNS if c.name == n)}/{n}" for n in shuffled])
    result = validate_bytes(frame.to_csv(index=False).encode(), file_name="x.csv")
    assert result.issues == []
    assert result.table.loc[0, "facility_id"] == "F-001"


def test_xlsx_made_with_openpyxl(districts: gpd.GeoDataFrame) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(CHINESE_HEADERS)
    values: list[object] = list(row(type="托育机构", category="托育/儿童", capacity_unit="托位").values())
    values[CHINESE_HEADERS.index("行政区划代码")] = 150602
    values[CHINESE_HEADERS.index("经度")] = DONGSHENG[0]
    values[CHINESE_HEADERS.index("纬度")] = DONGSHENG[1]
    values[CHINESE_HEADERS.index("容量")] = 30
    values[CHINESE_HEADERS.index("空余名额")] = 2.0
    values[CHINESE_HEADERS.index("更新日期")] = datetime(2025, 4, 2)
    ws.append(values)
    ws.append([None] * len(values))  # an empty row is skipped but counted
    values[0], values[1] = "F-002", "第二个托育机构"
    values[CHINESE_HEADERS.index("容量")] = -3
    ws.append(values)
    buffer = io.BytesIO()
    wb.save(buffer)
    result = validate_bytes(buffer.getvalue(), file_name="upload.bin", districts=districts)
    assert result.encoding == "xlsx"
    assert [(i.row, i.code) for i in result.issues] == [(4, "negative_capacity")]
    t = result.table
    assert len(t) == 1
    assert (t.loc[0, "type"], t.loc[0, "capacity"], t.loc[0, "available_places"]) == ("nursery", 30, 2)
    assert t.loc[0, "updated_at"] == "2025-04-02"


def test_templates_validate_with_only_example_warnings(districts: gpd.GeoDataFrame) -> None:
    for data, name in ((template_csv_bytes(), "t.csv"), (template_xlsx_bytes(), "t.xlsx")):
        result = validate_bytes(data, file_name=name, districts=districts)
        assert not result.has_errors
        assert set(codes(result)) == {"example_row"}
        assert len(result.table) == 3


def test_template_csv_has_bom_and_chinese() -> None:
    data = template_csv_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert "编号/facility_id" in data.decode("utf-8-sig")


# --- file-level problems -------------------------------------------------------------------------


def test_not_decodable() -> None:
    result = validate_bytes(b"name,lat\n\xff\xfe\x80\x80\xff\n", file_name="x.csv")
    assert codes(result) == ["not_decodable"]
    assert result.has_errors and result.table.empty


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \n\n",
        b"\x00\x01\x02binary\x00",
        b"hello world\nthis is prose\n",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1xx",
    ],
)
def test_not_a_table(data: bytes) -> None:
    result = validate_bytes(data, file_name="x.csv")
    assert codes(result) == ["not_a_table"]
    assert result.issues[0].message_zh and result.issues[0].message_en


def test_broken_xlsx_is_not_a_table() -> None:
    result = validate_bytes(b"PK\x03\x04garbage", file_name="x.xlsx")
    assert codes(result) == ["not_a_table"]


def test_header_only_is_reported() -> None:
    result = validate_bytes(",".join(COLUMN_NAMES).encode(), file_name="x.csv")
    assert codes(result) == ["not_a_table"]
    assert "没有数据行" in result.issues[0].message_zh


def test_too_large_states_the_limit() -> None:
    result = validate_bytes(csv_bytes([row()] * 10), file_name="x.csv", max_bytes=200)
    issue = only(result, "too_large")
    assert "0 MB" in issue.message_en and issue.row is None


def test_too_many_rows_states_the_limit() -> None:
    rows = [row(facility_id=f"F-{k}") for k in range(5)]
    issue = only(check(rows, max_rows=3), "too_many_rows")
    assert "5" in issue.message_en and "3" in issue.message_en


def test_too_many_rows_in_xlsx_counts_them_all() -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(list(COLUMN_NAMES))
    for k in range(6):
        ws.append(list(row(facility_id=f"F-{k}").values()))
    buffer = io.BytesIO()
    wb.save(buffer)
    issue = only(validate_bytes(buffer.getvalue(), file_name="x.xlsx", max_rows=4), "too_many_rows")
    assert "6 data rows" in issue.message_en


def test_unknown_crs_is_reported_not_raised() -> None:
    assert codes(check([row()], crs="utm50")) == ["unknown_crs"]


# --- headers -----------------------------------------------------------------------------------


def test_unknown_header_suggests_closest() -> None:
    r = row()
    r["lattitude"] = r.pop("lat")
    result = check([r])
    unknown = only(result, "unknown_header")
    assert unknown.severity == WARNING and unknown.row == 1
    assert "纬度/lat" in unknown.message_zh and "did you mean" in unknown.message_en
    missing = only(result, "missing_header")
    assert missing.column == "lat" and missing.severity == ERROR
    assert result.table.empty


def test_duplicate_header() -> None:
    frame = pd.DataFrame([{**row(), "名称": "别名"}])
    issue = only(validate_bytes(frame.to_csv(index=False).encode(), file_name="x.csv"), "duplicate_header")
    assert issue.column == "name" and "2" in issue.message_en


def test_optional_columns_may_be_absent() -> None:
    r = {
        k: v
        for k, v in row().items()
        if k in ("facility_id", "name", "category", "type", "district_adcode", "lon", "lat")
    }
    result = check([r])
    assert result.issues == []
    assert result.table.loc[0, "status"] == "open"
    assert result.table.loc[0, "capacity_unit"] == "beds"  # from the type


# --- cells -------------------------------------------------------------------------------------


def test_missing_value_row_numbers_count_header_and_blank_lines() -> None:
    text = csv_bytes([row(), row(facility_id="F-2", name="")]).decode()
    lines = text.split("\n")
    data = "\n".join([lines[0], lines[1], "", lines[2]]).encode()  # a blank line before the bad row
    result = validate_bytes(data, file_name="x.csv")
    issue = only(result, "missing_value")
    assert (issue.row, issue.column) == (4, "name")
    assert len(result.table) == 1


def test_unknown_type_suggests_closest() -> None:
    issue = only(check([row(type="communty_station")]), "unknown_type")
    assert "community_station" in issue.message_en and "社区养老服务站" in issue.message_zh


def test_chinese_type_label_accepted_and_english_label_too() -> None:
    result = check([row(type="社区养老服务站"), row(facility_id="F-2", name="B", type="Nursing home")])
    assert result.issues == []
    assert list(result.table["type"]) == ["community_station", "nursing_home"]


def test_unknown_category() -> None:
    issue = only(check([row(category="老人")]), "unknown_category")
    assert issue.value == "老人"


def test_type_category_mismatch() -> None:
    issue = only(check([row(category="child", type="nursing_home")]), "type_category_mismatch")
    assert "elderly" in issue.message_en and "养老" in issue.message_zh


@pytest.mark.parametrize(
    ("column", "value"), [("capacity", "twenty"), ("capacity", "12.5"), ("lon", "abc"), ("lat", "39.8N")]
)
def test_not_a_number(column: str, value: str) -> None:
    issue = only(check([row(**{column: value})]), "not_a_number")
    assert (issue.column, issue.value, issue.row) == (column, value, 2)


def test_full_width_digits_and_thousands_separators_are_numbers() -> None:
    result = check([row(capacity="１,200", available_places="１２")])
    assert result.issues == []
    assert result.table.loc[0, "capacity"] == 1200


def test_out_of_range_latitude() -> None:
    issue = only(check([row(lon="10", lat="95")]), "out_of_range")
    assert issue.column == "lat"


def test_outside_ordos() -> None:
    issue = only(check([row(lon="116.397", lat="39.909")]), "outside_ordos")  # Beijing
    assert "106.4" in issue.message_en


def test_lat_lon_swapped_detected_and_fix_suggested() -> None:
    issue = only(check([row(lon=str(DONGSHENG[1]), lat=str(DONGSHENG[0]))]), "lat_lon_swapped")
    assert f"lon should be {DONGSHENG[0]}" in issue.message_en
    assert f"经度应为 {DONGSHENG[0]}" in issue.message_zh


def test_outside_declared_district_is_a_warning(districts: gpd.GeoDataFrame) -> None:
    result = check([row(district_adcode="150603")], districts)  # a Dongsheng point declared in Kangbashi
    issue = only(result, "outside_district")
    assert issue.severity == WARNING
    assert "东胜区" in issue.message_zh and "Kangbashi" in issue.message_en
    assert len(result.table) == 1


def test_outside_district_check_needs_districts() -> None:
    assert check([row(district_adcode="150603")]).issues == []


def test_unknown_district_and_district_names(districts: gpd.GeoDataFrame) -> None:
    assert codes(check([row(district_adcode="150699")], districts)) == ["unknown_district"]
    result = check(
        [row(district_adcode="东胜区"), row(facility_id="F-2", name="B", district_adcode="150602.0")]
    )
    assert result.issues == [] and list(result.table["district_adcode"]) == [150602, 150602]


def test_duplicate_id_points_at_first_row() -> None:
    result = check([row(), row(name="另一站", lon="109.9", lat="39.8")])
    issue = only(result, "duplicate_id")
    assert issue.row == 3 and "row 2" in issue.message_en


def test_possible_duplicate_within_100_m_only() -> None:
    near = row(facility_id="F-2", lat=str(DONGSHENG[1] + 0.0002))  # about 22 m north
    far = row(facility_id="F-3", lat=str(DONGSHENG[1] + 0.002))  # about 220 m north
    result = check([row(), near, far])
    issue = only(result, "possible_duplicate")
    assert issue.severity == WARNING and issue.row == 3 and "row 2" in issue.message_en
    assert "第 2 行" in issue.message_zh and "F-001" in issue.message_zh and "F-001" in issue.message_en
    assert len(result.table) == 3
    assert [(p.row, p.other_row) for p in result.duplicates] == [(3, 2)]


def test_negative_capacity_and_available_above_capacity() -> None:
    assert codes(check([row(capacity="-1")])) == ["negative_capacity"]
    issue = only(check([row(capacity="10", available_places="11")]), "available_exceeds_capacity")
    assert "11" in issue.message_en and "10" in issue.message_en


def test_bad_status_and_chinese_status() -> None:
    assert codes(check([row(status="maybe")])) == ["bad_status"]
    assert check([row(status="规划")]).table.loc[0, "status"] == "planned"


@pytest.mark.parametrize("text", ["2025-13-01", "yesterday", "2025-02-30", "1850-01-01"])
def test_bad_date(text: str) -> None:
    assert codes(check([row(updated_at=text)])) == ["bad_date"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025/1/5", date(2025, 1, 5)),
        ("2025年1月5日", date(2025, 1, 5)),
        ("20250105", date(2025, 1, 5)),
        ("2025-01-05 00:00:00", date(2025, 1, 5)),
        ("２０２５-０１-０５", date(2025, 1, 5)),
    ],
)
def test_dates_accepted(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "24/7",
        "Mo-Fr 08:00-18:00",
        "Mo-Fr 08:00-12:00,14:00-18:00; Sa 09:00-12:00; Su off; PH off",
        "Mo,We,Fr 09:00-17:00",
        "08:00-20:00",
        "Sa-Su,PH 10:00-16:00",
        "Mo-Su 22:00-06:00",
        "Mo-Fr",
    ],
)
def test_opening_hours_accepted(text: str) -> None:
    assert is_valid_opening_hours(text)


@pytest.mark.parametrize(
    "text",
    [
        "每天 8点到18点",
        "Mo-Fr 8-18",
        "Monday 08:00-18:00",
        "Mo-Fr 25:00-26:00",
        ";",
        "Mo-Fr 08:00-18:00;;Sa off",
    ],
)
def test_bad_opening_hours_is_a_warning(text: str) -> None:
    result = check([row(opening_hours=text)])
    issue = only(result, "bad_opening_hours")
    assert issue.severity == WARNING and len(result.table) == 1


def test_unknown_capacity_unit() -> None:
    assert codes(check([row(capacity_unit="rooms")])) == ["unknown_capacity_unit"]


def test_extra_cells_warn() -> None:
    text = csv_bytes([row()]).decode().rstrip("\n") + ",surplus\n"
    assert codes(validate_bytes(text.encode(), file_name="x.csv")) == ["extra_cells"]


# --- coordinates systems and geocoding -------------------------------------------------------------


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_coordinates_converted_to_wgs84(crs: str) -> None:
    lon, lat = from_wgs84(DONGSHENG[0], DONGSHENG[1], crs=crs)
    result = check([row(lon=f"{lon:.8f}", lat=f"{lat:.8f}")], crs=crs)
    assert result.issues == []
    assert result.table.loc[0, "lon"] == pytest.approx(DONGSHENG[0], abs=1e-7)
    assert result.table.loc[0, "lat"] == pytest.approx(DONGSHENG[1], abs=1e-7)


def test_missing_coordinates_without_geocoder() -> None:
    issue = only(check([row(lon="", lat="")]), "missing_value")
    assert issue.column == "lon" and "address" in issue.message_en


def test_geocoding_fills_and_marks_rows() -> None:
    calls: list[str] = []

    def gazetteer(query: str) -> tuple[float, float] | None:
        calls.append(query)
        return DONGSHENG if "测试路" in query else None

    rows = [row(lon="", lat=""), row(facility_id="F-2", name="B", lon="", lat="", address="无处")]
    result = check(rows, geocode=gazetteer)
    assert calls == ["东胜区测试路1号", "无处"]
    assert [(i.row, i.code, i.severity) for i in result.issues] == [
        (2, "geocoded", WARNING),
        (3, "missing_value", ERROR),
    ]
    assert len(result.table) == 1
    assert result.table.loc[0, "lon"] == pytest.approx(DONGSHENG[0])
    assert GEOCODED_MARK in result.table.loc[0, "source"]


def test_geocoder_that_raises_or_answers_outside_ordos_counts_as_not_found() -> None:
    def broken(query: str) -> tuple[float, float] | None:
        raise RuntimeError("down")

    assert codes(check([row(lon="", lat="")], geocode=broken)) == ["missing_value"]
    assert codes(check([row(lon="", lat="")], geocode=lambda q: (116.4, 39.9))) == ["missing_value"]


# --- report ------------------------------------------------------------------------------------


def test_report_frame_and_csv_neutralise_formulas() -> None:
    result = check([row(type='=HYPERLINK("http://x")'), row(facility_id="F-2", name="B", capacity="-5")])
    frame = result.report_frame()
    assert list(frame.columns) == list(REPORT_COLUMNS)
    assert list(frame["row"]) == [2, 2, 3]
    assert list(frame["code"]) == ["unknown_type", "formula_cell", "negative_capacity"]
    data = result.report_csv_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'-5" in text
    assert "行号 row" in text and "错误 error" in text
    back = pd.read_csv(io.BytesIO(data), dtype=str)
    assert len(back) == 3


def test_neutralised_cells_from_our_exports_come_back_clean() -> None:
    result = check([row(name="'=1+1", phone="'+86 477 123")])
    assert result.table.loc[0, "name"] == "=1+1" and result.table.loc[0, "phone"] == "+86 477 123"
    # The name still looks like a formula and is listed; a phone number with + does not.
    assert [(i.code, i.column) for i in result.issues] == [("formula_cell", "name")]


@pytest.mark.parametrize(
    ("column", "text", "prefix"),
    [
        ("name", '=HYPERLINK("http://evil","点我")', "="),
        ("address", "@SUM(A1)", "@"),
        ("services", "+cmd|' /C calc'!A0", "+"),
        ("township", "-2+3", "-"),
        ("source", "=cmd()", "="),
    ],
)
def test_formula_looking_cells_are_warnings_naming_column_and_prefix(
    column: str, text: str, prefix: str
) -> None:
    result = check([row(**{column: text})])
    issues = [i for i in result.issues if i.code == "formula_cell"]
    assert len(issues) == 1 and issues[0].severity == WARNING and issues[0].row == 2
    assert issues[0].column == column
    assert f"以 {prefix} 开头" in issues[0].message_zh and f"starts with {prefix}" in issues[0].message_en
    assert len(result.table) == 1  # a warning: the row is still imported, as text


@pytest.mark.parametrize("phone", ["+86 477 8581234", "-", "0477-8581234", "+86(477)858-1234"])
def test_signed_numbers_and_phones_are_not_formulas(phone: str) -> None:
    assert "formula_cell" not in codes(check([row(phone=phone)]))


def test_every_code_of_the_brief_has_a_message() -> None:
    wanted = {
        "not_decodable", "not_a_table", "too_large", "too_many_rows", "unknown_header", "missing_header",
        "duplicate_header", "missing_value", "unknown_type", "unknown_category", "type_category_mismatch",
        "not_a_number", "out_of_range", "outside_ordos", "lat_lon_swapped", "outside_district",
        "unknown_district", "duplicate_id", "possible_duplicate", "negative_capacity",
        "available_exceeds_capacity", "bad_status", "bad_date", "bad_opening_hours", "unknown_capacity_unit",
        "formula_cell", "too_many_columns", "limit_exceeded",
    }  # fmt: skip
    assert wanted <= {code for code, *_ in MESSAGES.values()}
    assert all(zh and en for _, _, zh, en in MESSAGES.values())


def test_validate_table_direct_and_row_numbers() -> None:
    table = pd.DataFrame([row(), row(facility_id="F-2", name="B", status="x")])
    result = validate_table(table, file_name="t", row_numbers=[5, 9])
    assert [(i.row, i.code) for i in result.issues] == [(9, "bad_status")]
    assert validate_table("not a frame", file_name="t").issues[0].code == "not_a_table"  # type: ignore[arg-type]


def test_sample_dataset_validates_clean_and_round_trips(districts: gpd.GeoDataFrame) -> None:
    path = gio.DATASETS_DIR / gio.FACILITIES_SAMPLE_FILE
    if not path.exists():
        pytest.skip("sample not generated")
    result = validate_bytes(path.read_bytes(), file_name=path.name, districts=districts)
    assert not result.has_errors
    sample = gio.read_facilities_csv(path)
    from geo.facilities import diff_facilities

    assert diff_facilities(sample, result.table).counts()["changed"] == 0


# --- properties --------------------------------------------------------------------------------


def _consistent(result: ValidationResult) -> None:
    assert isinstance(result, ValidationResult)
    # Never raising must not mean hiding bugs behind the catch-all.
    assert "internal_error" not in codes(result), result.issues
    assert list(result.table.columns) == list(COLUMN_NAMES)
    for issue in result.issues:
        assert issue.severity in (ERROR, WARNING) and issue.message_zh and issue.message_en
        assert issue.row is None or issue.row >= 1
    if not result.table.empty:
        assert np.isfinite(result.table["lon"]).all()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=400), name=st.sampled_from(["x.csv", "x.xlsx", "", "x"]))
def test_never_raises_on_arbitrary_bytes(data: bytes, name: str) -> None:
    _consistent(validate_bytes(data, file_name=name))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=300))
def test_never_raises_on_bytes_after_a_valid_header(data: bytes) -> None:
    _consistent(validate_bytes(",".join(COLUMN_NAMES).encode() + b"\n" + data, file_name="x.csv"))


_HEADERS = st.one_of(st.sampled_from([*COLUMN_NAMES, *CHINESE_HEADERS]), st.text(max_size=8))
_CELLS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["", "150602", "109.97", "39.81", "elderly", "养老", "nursery", "-1", "nan", "inf", "1e400", "'="]
    ),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    headers=st.lists(_HEADERS, min_size=1, max_size=8),
    cells=st.lists(st.lists(_CELLS, min_size=8, max_size=8), max_size=5),
    crs=st.sampled_from(["wgs84", "gcj02", "bd09"]),
)
def test_never_raises_on_arbitrary_tables(headers: list[str], cells: list[list[str]], crs: str) -> None:
    table = pd.DataFrame([c[: len(headers)] for c in cells], columns=headers, dtype=object)
    _consistent(validate_table(table, file_name="t.csv", crs=crs))
    data = table.to_csv(index=False).encode("gb18030", errors="replace")
    _consistent(validate_bytes(data, file_name="t.csv", crs=crs))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lon=st.floats(allow_nan=True, allow_infinity=True),
    lat=st.floats(allow_nan=True, allow_infinity=True),
    capacity=st.integers(-5, 10**12),
)
def test_valid_rows_only_reach_the_table(lon: float, lat: float, capacity: int) -> None:
    result = check([row(lon=repr(lon), lat=repr(lat), capacity=str(capacity), available_places="")])
    _consistent(result)
    assert result.has_errors == result.table.empty
