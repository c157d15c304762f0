"""Tests of geo.quality and ``python -m geo quality``: stale, incomplete and inconsistent records."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from geo.cli import main
from geo.quality import PROBLEMS, QualitySettings, months_between, quality_report
from geo.store import FacilityStore

TODAY = date(2026, 6, 15)


def record(fid: str, **fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "facility_id": fid,
        "name": f"设施 {fid}",
        "type": "community_station",
        "status": "open",
        "district_adcode": 150602,
        "township": "交通街道",
        "address": "某路1号",
        "phone": "0477-8581234",
        "opening_hours": "Mo-Fr 08:00-18:00",
        "capacity": 20,
        "available_places": 5,
        "updated_at": "2026-03-01",
    }
    base.update(fields)
    return base


def known_version() -> pd.DataFrame:
    rows = [
        record("OK-1"),
        record("STALE-1", updated_at="2025-06-14"),  # 12 months and a day: stale
        record("FRESH-1", updated_at="2025-06-15", district_adcode=150603),  # exactly 12 months: not yet
        record("NODATE-1", updated_at=""),
        record("NOPHONE-1", phone="", opening_hours=""),
        record("NOCAP-1", capacity=None, available_places=None, status="planned"),
        record("OVER-1", capacity=10, available_places=12, district_adcode=150621),
        record("NOPLACES-1", available_places=None),
        record("CLOSED-1", status="closed", phone="", updated_at="2010-01-01"),  # not followed up
    ]
    frame = pd.DataFrame(rows)
    for col in ("capacity", "available_places", "district_adcode"):
        frame[col] = pd.array(frame[col].tolist(), dtype="Int64")
    return frame


def test_months_between() -> None:
    assert months_between(date(2025, 6, 15), TODAY) == 12
    assert months_between(date(2025, 6, 16), TODAY) == 11
    assert months_between(date(2024, 1, 31), date(2024, 2, 29)) == 1
    assert months_between(TODAY, date(2026, 1, 1)) == -6


def test_known_stale_incomplete_and_inconsistent_rows() -> None:
    report = quality_report(known_version(), QualitySettings(12, TODAY))
    problems = dict(zip(report.facilities["facility_id"], report.facilities["problems"], strict=True))
    assert problems == {
        "STALE-1": "stale",
        "NODATE-1": "no_update_date",
        "NOPHONE-1": "missing_phone;missing_hours",
        "NOCAP-1": "missing_capacity",
        "OVER-1": "available_above_capacity",
        "NOPLACES-1": "no_places_reported",
    }
    assert report.checked == 8  # the closed facility is not checked
    assert report.counts() == {
        "stale": 1, "no_update_date": 1, "missing_phone": 1, "missing_hours": 1, "missing_capacity": 1,
        "available_above_capacity": 1, "no_places_reported": 1, "any": 6,
    }  # fmt: skip
    stale = report.facilities.set_index("facility_id").loc["STALE-1"]
    assert stale["age_months"] == 12 and stale["problems_zh"] == "超过 12 个月未更新"
    assert stale["problems_en"] == "not updated for more than 12 months"


def test_the_age_is_configurable() -> None:
    report = quality_report(known_version(), QualitySettings(3, TODAY))
    stale = set(report.facilities.loc[report.facilities["stale"], "facility_id"])
    assert stale == {"STALE-1", "FRESH-1", "NOPHONE-1", "NOCAP-1", "OVER-1", "NOPLACES-1", "OK-1"}
    assert "超过 3 个月未更新" in set(report.facilities["problems_zh"])


def test_counts_per_district_add_up() -> None:
    report = quality_report(known_version(), QualitySettings(12, TODAY))
    table = report.by_district.set_index("district_adcode")
    assert len(table) == 10  # nine districts and the total
    assert table.loc["150602", "facilities"] == 6 and table.loc["150602", "with_problems"] == 5
    assert table.loc["150621", "available_above_capacity"] == 1
    assert table.loc["150603", "with_problems"] == 0
    assert table.loc["total", "with_problems"] == 6
    body = table.drop(index="total")
    for code in PROBLEMS:
        assert body[code].sum() == table.loc["total", code]


def test_quality_command_csv_and_json(
    store: FacilityStore, db_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    store.publish(
        known_version(), user_name="test", action="import", base_version=store.current_version(), note="test"
    )
    assert main(["--database", db_url, "quality", "--as-of", "2026-06-15"]) == 0
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out.lstrip("\ufeff")), dtype=str)
    assert set(frame["facility_id"]) == {
        "STALE-1",
        "NODATE-1",
        "NOPHONE-1",
        "NOCAP-1",
        "OVER-1",
        "NOPLACES-1",
    }
    assert {"phone", "problems_zh", "problems_en"} <= set(frame.columns)

    assert main(["--database", db_url, "quality", "--format", "json", "--max-age-months", "3"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["settings"]["max_age_months"] == 3 and payload["version"] == 2
    assert payload["problems"]["stale"] == {
        "zh": "超过 3 个月未更新",
        "en": "not updated for more than 3 months",
    }
    assert payload["by_district"][-1]["district_adcode"] == "total"

    assert main(["--database", db_url, "quality", "--table", "districts", "--as-of", "2026-06-15"]) == 0
    districts = pd.read_csv(io.StringIO(capsys.readouterr().out.lstrip("\ufeff")), dtype=str)
    assert districts["district_adcode"].tolist()[-1] == "total"


@pytest.mark.parametrize(
    ("argv", "zh", "en"),
    [
        (["--max-age-months", "0"], "至少为 1", "at least 1"),
        (["--as-of", "yesterday"], "无法识别", "Cannot read the date"),
        (["--version", "99"], "不存在", "does not exist"),
    ],
)
def test_quality_command_bad_input_is_bilingual(
    store: FacilityStore, db_url: str, capsys: pytest.CaptureFixture[str], argv: list[str], zh: str, en: str
) -> None:
    assert main(["--database", db_url, "quality", *argv]) == 1
    err = capsys.readouterr().err
    assert zh in err and en in err
