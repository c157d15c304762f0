"""Tests of geo.importer (merge, preview, publish, conflicts, geocoding helpers) and the XLSX export."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from geo import io as gio
from geo.errors import ConflictError, DataError
from geo.importer import (
    GEOCODED_MARK,
    added_frame,
    changes_frame,
    convert_to_wgs84,
    facilities_xlsx_bytes,
    geocode_missing,
    history_frame,
    is_geocoded,
    mark_geocoded,
    plan_import,
    publish_plan,
)
from geo.schema import COLUMN_NAMES
from geo.store import FacilityStore, open_store
from geo.templates import template_xlsx_bytes
from geo.validate import validate_bytes
from geo.xlsx_stream import read_xlsx_table


def table_csv(rows: list[tuple[str, str, str]]) -> bytes:
    """A facility CSV from (facility_id, name, capacity) triples, points spread over Dongsheng."""
    lines = ["facility_id,name,category,type,district_adcode,lon,lat,capacity,status"]
    for k, (fid, name, capacity) in enumerate(rows):
        lines.append(f"{fid},{name},elderly,day_care,150602,{109.95 + k * 0.002:.4f},39.81,{capacity},open")
    return ("\n".join(lines) + "\n").encode("utf-8")


def store_with(url: str, rows: list[tuple[str, str, str]]) -> FacilityStore:
    store = open_store(url, create=False)
    store.create_schema()
    result = validate_bytes(table_csv(rows), file_name="v1.csv")
    assert not result.has_errors
    store.publish(result.table, user_name="t", action="init", base_version=None)
    return store


BASE = [("A", "甲", "10"), ("B", "乙", "10"), ("C", "丙", "10")]


def test_upsert_adds_and_updates_keeps_others(any_db_url: str) -> None:
    store = store_with(any_db_url, BASE)
    result = validate_bytes(table_csv([("B", "乙", "12"), ("D", "丁", "5")]), file_name="up.csv")
    plan = plan_import(store, result, mode="upsert")
    assert plan.base_version == 1 and plan.closed == []
    assert plan.counts() == {"added": 1, "changed": 1, "removed": 0, "unchanged": 2, "closed": 0, "total": 4}
    assert list(plan.facilities["facility_id"]) == ["A", "B", "C", "D"]
    changed = {(c.facility_id, c.column): (c.old, c.new) for c in plan.diff.changes}
    assert changed[("B", "capacity")] == ("10", "12")
    # B moved (points are laid out by row position), so lon changed too; nothing else did.
    assert {col for fid, col in changed} <= {"capacity", "lon", "source"}
    assert list(plan.facilities.columns) == list(COLUMN_NAMES)
    frame = changes_frame(plan)
    row = frame[frame["column"] == "capacity"].iloc[0]
    assert (row["facility_id"], row["name"], row["column_zh"], row["old"], row["new"]) == (
        "B",
        "乙",
        "容量",
        "10",
        "12",
    )
    assert list(added_frame(plan)["facility_id"]) == ["D"]


def test_replace_closes_missing_facilities_and_lists_them(any_db_url: str) -> None:
    store = store_with(any_db_url, BASE)
    result = validate_bytes(table_csv([("A", "甲", "10")]), file_name="all.csv")
    plan = plan_import(store, result, mode="replace")
    assert plan.closed == ["B", "C"]
    facilities = plan.facilities.set_index("facility_id")
    assert list(facilities["status"]) == ["open", "closed", "closed"]
    assert plan.diff.counts()["removed"] == 0  # closed, not deleted
    info = publish_plan(store, plan, user_name="alice", file_name="all.csv", sha256=result.sha256)
    assert (info.version, info.mode, info.user_name, info.sha256) == (2, "replace", "alice", result.sha256)
    assert set(store.facilities().query("status == 'closed'")["facility_id"]) == {"B", "C"}
    history = history_frame(store.history())
    assert list(history["version"]) == [2, 1] and history.loc[0, "user_name"] == "alice"
    assert history["restored_from"].isna().all()
    # Replacing again with the same file closes nothing new.
    again = plan_import(store, result, mode="replace")
    assert again.closed == [] and again.counts()["changed"] == 0


def test_plan_refuses_files_with_errors_and_unknown_modes(any_db_url: str) -> None:
    store = store_with(any_db_url, BASE)
    bad = validate_bytes(table_csv([("A", "甲", "-1")]), file_name="bad.csv")
    assert bad.has_errors
    with pytest.raises(DataError, match="Nothing was changed"):
        plan_import(store, bad)
    good = validate_bytes(table_csv([("A", "甲", "1")]), file_name="ok.csv")
    with pytest.raises(DataError, match="upsert or replace"):
        plan_import(store, good, mode="merge")


def test_publish_after_someone_else_published_is_a_conflict(any_db_url: str) -> None:
    store = store_with(any_db_url, BASE)
    mine = plan_import(store, validate_bytes(table_csv([("D", "丁", "1")]), file_name="mine.csv"))
    theirs = plan_import(store, validate_bytes(table_csv([("E", "戊", "1")]), file_name="theirs.csv"))
    publish_plan(store, theirs, user_name="them", file_name="theirs.csv", sha256="")
    with pytest.raises(ConflictError):
        publish_plan(store, mine, user_name="me", file_name="mine.csv", sha256="")
    assert set(store.facilities()["facility_id"]) == {"A", "B", "C", "E"}
    # Preview again and publish: nothing is lost.
    mine = plan_import(store, validate_bytes(table_csv([("D", "丁", "1")]), file_name="mine.csv"))
    publish_plan(store, mine, user_name="me", file_name="mine.csv", sha256="")
    assert set(store.facilities()["facility_id"]) == {"A", "B", "C", "D", "E"}


def test_plan_on_empty_store(any_db_url: str) -> None:
    store = open_store(any_db_url, create=False)
    store.create_schema()
    plan = plan_import(store, validate_bytes(table_csv(BASE), file_name="first.csv"), mode="replace")
    assert plan.base_version is None and plan.counts()["added"] == 3
    assert publish_plan(store, plan, user_name="x", file_name="first.csv", sha256="").version == 1


def test_convert_to_wgs84_keeps_missing_values_missing() -> None:
    lon, lat = convert_to_wgs84([109.98, np.nan, 500.0], [39.82, 39.8, 39.8], crs="gcj02")
    assert np.isfinite(lon[0]) and abs(lon[0] - 109.98) > 1e-4  # shifted by some hundred metres
    assert np.isnan(lon[1]) and np.isnan(lat[2])


def test_geocode_missing_only_fills_missing_rows_inside_ordos() -> None:
    seen: list[str] = []

    def gazetteer(q: str) -> tuple[float, float] | None:
        seen.append(q)
        return {"东胜": (109.98, 39.82), "北京": (116.4, 39.9)}.get(q)

    lon, lat, geocoded = geocode_missing(
        [109.9, np.nan, np.nan, np.nan], [39.8, np.nan, np.nan, np.nan], ["x", "东胜", "北京", ""], gazetteer
    )
    assert seen == ["东胜", "北京"]
    assert list(geocoded) == [False, True, False, False]
    assert (lon[1], lat[1]) == (109.98, 39.82) and np.isnan(lon[2])


def test_geocoded_mark() -> None:
    assert mark_geocoded("") == GEOCODED_MARK
    marked = mark_geocoded("bureau 2025")
    assert marked.startswith("bureau 2025") and is_geocoded(marked) and mark_geocoded(marked) == marked
    assert not is_geocoded("bureau 2025")


def test_xlsx_export_neutralises_formulas_and_round_trips() -> None:
    result = validate_bytes(table_csv(BASE), file_name="x.csv")
    df = result.table.copy()
    df.loc[0, "name"] = '=HYPERLINK("http://evil")'
    df.loc[1, "phone"] = "+86 477 1"
    df.loc[2, "name"] = "伊金霍洛旗阿勒腾席热镇"
    data = facilities_xlsx_bytes(df)
    ws = load_workbook(io.BytesIO(data)).active
    assert all(cell.data_type != "f" for r in ws.iter_rows() for cell in r)
    values = [c.value for c in ws[2]]
    assert values[1] == '\'=HYPERLINK("http://evil")'
    # Read back through the validator: neutralised cells return to their text, Chinese intact.
    back = validate_bytes(data, file_name="export.xlsx")
    assert not back.has_errors
    assert [(i.row, i.column, i.code) for i in back.issues] == [(2, "name", "formula_cell")]
    assert list(back.table["name"]) == list(df["name"])
    assert back.table.loc[1, "phone"] == "+86 477 1"
    assert back.table.loc[0, "capacity"] == 10


def test_csv_export_of_plan_round_trips(any_db_url: str) -> None:
    store = store_with(any_db_url, BASE)
    data = gio.facilities_csv_bytes(store.facilities())
    again = plan_import(store, validate_bytes(data, file_name="export.csv"), mode="replace")
    assert again.counts()["changed"] == 0 and again.counts()["added"] == 0


def test_xlsx_template_has_guide_and_types_sheets() -> None:
    wb = load_workbook(io.BytesIO(template_xlsx_bytes()))
    assert wb.sheetnames == ["设施 facilities", "说明 guide", "类型 types"]
    table, numbers = read_xlsx_table(template_xlsx_bytes(), max_rows=100)
    assert numbers == [2, 3, 4] and table.columns[0] == "编号/facility_id"
    assert len(pd.DataFrame(list(wb["类型 types"].values))) == 11


@pytest.mark.parametrize("mode", ["upsert", "replace"])
def test_columns_missing_from_the_file_keep_their_published_values(any_db_url: str, mode: str) -> None:
    store = store_with(any_db_url, BASE)
    # A name-only update: no capacity, no status column. B's capacity 10 must not be blanked.
    data = "facility_id,name,category,type,district_adcode,lon,lat\nB,乙站,elderly,day_care,150602,109.9520,39.81\n"
    plan = plan_import(store, validate_bytes(data.encode("utf-8"), file_name="names.csv"), mode=mode)
    b = plan.facilities.set_index("facility_id").loc["B"]
    assert b["name"] == "乙站"
    assert b["capacity"] == 10
    assert b["status"] == "open"
    b_changes = [c.column for c in plan.diff.changes if c.facility_id == "B" and c.column != "source"]
    assert b_changes == ["name"]


def test_an_empty_cell_in_a_column_the_file_has_clears_the_field(any_db_url: str) -> None:
    store = store_with(any_db_url, BASE)
    plan = plan_import(store, validate_bytes(table_csv([("B", "乙", "")]), file_name="up.csv"), mode="upsert")
    assert pd.isna(plan.facilities.set_index("facility_id").loc["B", "capacity"])
