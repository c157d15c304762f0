"""geo.scenarios: edits applied without touching the base, monotone coverage, JSON files, comparison."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo import io as gio
from geo import scenarios as sc
from geo.coverage import GROUPS
from geo.errors import DataError, NotFoundError
from geo.travel import MODES, StraightLineModel

MODEL = StraightLineModel(MODES["walk"])
TYPES = ["community_station", "day_care"]


@pytest.fixture(scope="module")
def cells() -> pd.DataFrame:
    return gio.read_population_cells()


@pytest.fixture(scope="module")
def base() -> pd.DataFrame:
    return gio.read_facilities_csv(gio.DATASETS_DIR / gio.FACILITIES_SAMPLE_FILE)


@pytest.fixture(scope="module")
def names() -> pd.DataFrame:
    return pd.DataFrame(gio.read_districts()[["adcode", "name"]])


@pytest.fixture(scope="module")
def summary_base(cells: pd.DataFrame, base: pd.DataFrame, names: pd.DataFrame) -> sc.ScenarioSummary:
    return sc.evaluate(cells, base, MODEL, types=TYPES, budget_min=15, target="60plus", names=names)


def _open_ids(base: pd.DataFrame) -> list[str]:
    chosen = base[base["type"].isin(TYPES) & (base["status"] == "open")]
    return chosen["facility_id"].astype(str).tolist()


def _covered(summary: sc.ScenarioSummary) -> float:
    return float(summary.people[summary.covered].sum())


def test_apply_does_not_mutate_the_base(base: pd.DataFrame) -> None:
    before = base.copy(deep=True)
    ids = _open_ids(base)
    scenario = (
        sc.Scenario("mixed")
        .add(lon=109.78, lat=39.61, facility_type="社区养老服务站", capacity=40, name="新站")
        .move(ids[0], lon=109.99, lat=39.81)
        .close(ids[1])
    )
    out = sc.apply(base, scenario)
    pd.testing.assert_frame_equal(base, before)
    assert len(out) == len(base) + 1
    added = out[out[sc.EDIT_COLUMN] == "added"].iloc[0]
    assert added["type"] == "community_station" and added["status"] == "open"
    assert added["category"] == "elderly" and added["capacity_unit"] == "beds"
    assert added["name"] == "新站" and added["source"] == "scenario: mixed"
    assert added["facility_id"] not in set(base["facility_id"].astype(str))
    moved = out[out["facility_id"].astype(str) == ids[0]].iloc[0]
    assert (moved["lon"], moved["lat"], moved[sc.EDIT_COLUMN]) == (109.99, 39.81, "moved")
    closed = out[out["facility_id"].astype(str) == ids[1]].iloc[0]
    assert (closed["status"], closed[sc.EDIT_COLUMN]) == ("closed", "closed")
    assert scenario.edits[0].facility_type == "community_station"


def test_edits_are_checked(base: pd.DataFrame) -> None:
    with pytest.raises(NotFoundError, match="NOPE"):
        sc.apply(base, sc.Scenario("x").close("NOPE"))
    with pytest.raises(DataError, match="inside Ordos"):
        sc.Scenario("x").add(lon=116.4, lat=39.9, facility_type="nursery")
    with pytest.raises(DataError, match="unknown facility type"):
        sc.Scenario("x").add(lon=109.8, lat=39.6, facility_type="spa")
    with pytest.raises(DataError, match="name"):
        sc.Scenario("  ")
    # a facility added in the scenario can be moved and closed by a later edit
    s = sc.Scenario("x").add(lon=109.8, lat=39.6, facility_type="nursery", facility_id="N1")
    moved = sc.apply(base, s.move("N1", lon=109.7, lat=39.5))
    assert moved.loc[moved["facility_id"] == "N1", ["lon", "lat"]].iloc[0].tolist() == [109.7, 39.5]
    closed = sc.apply(base, s.close("N1"))
    assert closed.loc[closed["facility_id"] == "N1", "status"].iloc[0] == "closed"
    assert len(s.without(0).edits) == 0


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_closing_never_raises_and_adding_never_lowers_coverage(
    cells: pd.DataFrame, base: pd.DataFrame, summary_base: sc.ScenarioSummary, data: st.DataObject
) -> None:
    ids = _open_ids(base)
    to_close = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=4, unique=True))
    closing = sc.Scenario("close")
    for fid in to_close:
        closing = closing.close(fid)
    closed = sc.evaluate(cells, sc.apply(base, closing), MODEL, types=TYPES, budget_min=15, target="60plus")
    assert _covered(closed) <= _covered(summary_base) + 1e-9
    assert not (closed.covered & ~summary_base.covered).any()

    picks = data.draw(st.lists(st.integers(0, len(cells) - 1), min_size=1, max_size=4))
    adding = sc.Scenario("add")
    for i in picks:
        jitter = data.draw(st.floats(-0.003, 0.003))
        adding = adding.add(
            lon=float(cells["lon"].iloc[i]) + jitter,
            lat=float(cells["lat"].iloc[i]),
            facility_type=data.draw(st.sampled_from(TYPES)),
        )
    added = sc.evaluate(cells, sc.apply(base, adding), MODEL, types=TYPES, budget_min=15, target="60plus")
    assert _covered(added) >= _covered(summary_base) - 1e-9
    assert not (summary_base.covered & ~added.covered).any()
    for g in GROUPS:
        assert added.shares()[g] >= summary_base.shares()[g] - 1e-12
        assert closed.shares()[g] <= summary_base.shares()[g] + 1e-12


def test_added_facility_takes_its_district(cells: pd.DataFrame, base: pd.DataFrame) -> None:
    # Kangbashi (150603) seat area; the added station must count in that district's row.
    s = sc.Scenario("k").add(lon=109.7816, lat=39.6086, facility_type="community_station")
    one = sc.evaluate(cells, sc.apply(base, s), MODEL, types="community_station", budget_min=15)
    zero = sc.evaluate(cells, base, MODEL, types="community_station", budget_min=15)
    diff = one.districts.set_index("adcode")["facilities"] - zero.districts.set_index("adcode")["facilities"]
    assert diff.to_dict() == {a: int(a == 150603) for a in diff.index}


def test_compare_rows_add_up_and_match_the_summaries(
    cells: pd.DataFrame, base: pd.DataFrame, names: pd.DataFrame, summary_base: sc.ScenarioSummary
) -> None:
    ids = _open_ids(base)
    rows = cells.sort_values("pop_60plus", ascending=False)
    s1 = sc.Scenario("新增两站").add(
        lon=float(rows["lon"].iloc[0]), lat=float(rows["lat"].iloc[0]), facility_type="day_care"
    )
    s1 = s1.add(lon=float(rows["lon"].iloc[50]), lat=float(rows["lat"].iloc[50]), facility_type="day_care")
    s2 = sc.Scenario("关闭三站").close(ids[0]).close(ids[1]).close(ids[2])
    s3 = s1.close(ids[3])
    kw = {"types": TYPES, "budget_min": 15.0, "target": "60plus", "names": names}
    summaries = [sc.evaluate(cells, sc.apply(base, s), MODEL, name=s.name, **kw) for s in (s1, s2, s3)]
    table = sc.compare(summary_base, summaries)
    assert table.attrs["scenarios"] == ["base", "新增两站", "关闭三站", "新增两站 (2)"]
    assert table["adcode"].iloc[0] == sc.CITY_ADCODE and len(table) == 1 + len(names)
    for label, summary in zip(table.attrs["scenarios"], [summary_base, *summaries], strict=True):
        city, districts = table.iloc[0], table.iloc[1:]
        for metric in ("covered", "gained", "lost", "net"):
            assert districts[f"{label}: {metric}"].sum() == pytest.approx(city[f"{label}: {metric}"])
        assert city[f"{label}: covered"] == pytest.approx(_covered(summary))
        assert city[f"{label}: net"] == pytest.approx(_covered(summary) - _covered(summary_base))
        for g in GROUPS:
            assert city[f"{label}: {g}_covered_share"] == pytest.approx(summary.shares()[g])
    assert (table["base: gained"] == 0).all() and (table["base: lost"] == 0).all()
    assert table.iloc[0]["新增两站: gained"] > 0 and table.iloc[0]["新增两站: lost"] == 0
    assert table.iloc[0]["关闭三站: lost"] > 0 and table.iloc[0]["关闭三站: gained"] == 0
    with pytest.raises(DataError, match="at most 3"):
        sc.compare(summary_base, [*summaries, summaries[0]])
    other = sc.evaluate(cells, base, MODEL, types=TYPES, budget_min=10, target="60plus")
    with pytest.raises(DataError, match="same settings"):
        sc.compare(summary_base, [other])


def test_json_round_trip(tmp_path: Path) -> None:
    scenario = sc.Scenario("东胜区 / plan A: 2 new, 1 closed", note="会议用", base_version=3).add(
        lon=109.96, lat=39.82, facility_type="nursery", capacity=40.0, name="新托育 <b>"
    )
    scenario = scenario.move("F-1", lon=109.9, lat=39.8).close("F-2")
    path = sc.save_scenario(scenario, tmp_path)
    assert path.parent == tmp_path and path.name == "东胜区_plan_A_2_new_1_closed.json"
    assert sc.load_scenario(path) == scenario
    assert sc.list_scenarios(tmp_path) == [path]
    assert sc.list_scenarios(tmp_path / "missing") == []
    assert sc.scenario_file_name("../../etc/passwd") == "etc_passwd.json"
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "other"}', encoding="utf-8")
    with pytest.raises(DataError, match="not a scenario"):
        sc.load_scenario(bad)
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(DataError, match="line 1, column 2: not valid JSON"):
        sc.load_scenario(bad)


@pytest.mark.parametrize(
    ("document", "zh", "en"),
    [
        (
            '{"format": "carecircle-scenario",\n "name": "x",\n "edits": [}',
            "第 3 行第 12 列",
            "line 3, column 12",
        ),
        ("[1, 2]", "不是情景文件", "not a scenario file"),
        ('{"format": "carecircle-scenario", "name": "x", "edits": {}}', "edits 应为列表", "must be a list"),
        (
            '{"format": "carecircle-scenario", "name": "x", "edits": [{"action": "close", "facility_id": "A"},'
            ' {"action": "add", "lon": "abc", "lat": 39.8, "type": "nursery"}]}',
            "edits[1] 第 2 项调整",
            "edits[1] (edit 2): lon: expected a number, got 'abc'",
        ),
        (
            '{"format": "carecircle-scenario", "name": "x", "edits": [{"action": "add", "lon": 120, "lat": 30,'
            ' "type": "nursery"}]}',
            "不在鄂尔多斯市范围内",
            "inside Ordos",
        ),
        (
            '{"format": "carecircle-scenario", "name": "x", "edits": [{"action": "fly"}]}',
            "action 应为",
            "expected one of add, move, close",
        ),
        ('{"format": "carecircle-scenario", "name": "", "edits": []}', "情景名称不能为空", "empty name"),
    ],
)
def test_bad_scenario_files_say_what_and_where_in_both_languages(
    tmp_path: Path, document: str, zh: str, en: str
) -> None:
    path = tmp_path / "plan.json"
    path.write_text(document, encoding="utf-8")
    with pytest.raises(DataError) as err:
        sc.load_scenario(path)
    message = str(err.value)
    assert zh in message and en in message and " / " in message
    assert message.startswith("plan.json")


def test_scenario_files_are_read_with_a_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (sc.MAX_FILE_BYTES + 1))
    with pytest.raises(DataError, match=r"above the limit of 2\.0 MB"):
        sc.load_scenario(big)
    with pytest.raises(DataError, match="is a directory, not a regular file"):
        sc.load_scenario(tmp_path)  # a folder


def test_evaluate_matches_the_coverage_tables(
    cells: pd.DataFrame, base: pd.DataFrame, summary_base: sc.ScenarioSummary
) -> None:
    from geo import coverage as cov

    access = cov.cell_access(cells, base, MODEL, types=TYPES, budget_min=15)
    assert np.array_equal(summary_base.covered, access["covered"].to_numpy(bool))
    people = cells["pop_60plus"].to_numpy(float)
    assert summary_base.totals["pop_60plus_covered"] == pytest.approx(people[summary_base.covered].sum())


def test_an_edit_that_changes_nothing_says_why(cells: pd.DataFrame, base: pd.DataFrame) -> None:
    kwargs = {"types": ["community_station"], "budget_min": 15, "target": "pop_60plus"}
    station = base[(base["type"] == "community_station") & (base["status"] == "open")].iloc[0]
    # another type than the one analysed
    other = sc.Edit("add", lon=109.93, lat=39.79, facility_type="regional_center")
    assert sc.why_no_effect(other, base, cells, MODEL, **kwargs) == "other_type"
    # on top of an existing station: everyone within reach is covered already
    twin = sc.Edit(
        "add", lon=float(station["lon"]), lat=float(station["lat"]), facility_type="community_station"
    )
    assert sc.why_no_effect(twin, base, cells, MODEL, **kwargs) == "already_covered"
    # in the empty desert (west of Otog Front, no cell within 15 minutes on foot)
    far = cells.loc[cells["lon"].idxmin()]
    empty = sc.Edit(
        "add", lon=float(far["lon"]) - 0.2, lat=float(far["lat"]), facility_type="community_station"
    )
    assert sc.why_no_effect(empty, base, cells, MODEL, **kwargs) == "nobody_in_reach"
    # closing a station next to its twin: its people still reach the twin
    twinned = sc.apply(
        base,
        sc.Scenario("t").add(
            lon=float(station["lon"]), lat=float(station["lat"]), facility_type="community_station"
        ),
    )
    close = sc.Edit("close", facility_id=str(station["facility_id"]))
    assert sc.why_no_effect(close, twinned, cells, MODEL, **kwargs) == "still_covered"
    # an edit that does change coverage has no excuse
    assert sc.why_no_effect(close, base, cells, MODEL, **kwargs) == ""
