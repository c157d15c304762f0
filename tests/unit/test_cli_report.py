"""`python -m geo report`: the report from the command line, and bad input told in both languages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from geo import fmt
from geo import scenarios as sc
from geo.cli import main
from geo.store import open_store


@pytest.fixture
def published(db_url: str) -> str:
    open_store(db_url).engine.dispose()  # creates the database with the shipped sample as version 1
    return db_url


def _total_row(page: str) -> list[str]:
    row = re.search(r'<tr class="total">(.*?)</tr>', page, re.S)
    assert row is not None
    return re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))


def test_city_report_totals_equal_geo_coverage(
    published: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"
    args = ["--type", "community_station", "--minutes", "15", "--mode", "walk"]
    assert (
        main(
            [
                "report",
                "--scope",
                "city",
                *args,
                "--new",
                "0",
                "--lang",
                "zh",
                "--format",
                "html",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "已写入 / written" in capsys.readouterr().err
    assert main(["coverage", *args, "--format", "json"]) == 0
    totals = json.loads(capsys.readouterr().out)["totals"]
    expected = ["合计"]
    for g in ("pop_total", "pop_60plus", "pop_0_3"):
        expected += [
            fmt.people(totals[g]),
            fmt.people(totals[f"{g}_covered"]),
            fmt.share(totals[f"{g}_covered_share"]),
        ]
    assert _total_row(out.read_text(encoding="utf-8")) == expected


def test_scenario_file_goes_into_the_report(published: str, tmp_path: Path) -> None:
    store = open_store(published)
    closed = str(store.facilities().query("type == 'nursery'")["facility_id"].iloc[0])
    scenario = (
        sc.Scenario("康巴什托育")
        .add(lon=109.78, lat=39.61, facility_type="nursery", name="新托育点")
        .close(closed)
    )
    path = sc.save_scenario(scenario, tmp_path)
    out = tmp_path / "r.html"
    code = main(
        ["report", "--scope", "150603", "--type", "nursery", "--scenario", str(path), "--new", "0",
         "--lang", "en", "--format", "html", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    page = out.read_text(encoding="utf-8")
    assert "康巴什托育" in page and "新托育点" in page and closed in page and "Close" in page
    assert '<html lang="en">' in page and "Kangbashi" in page


@pytest.mark.parametrize(
    ("args", "zh", "en"),
    [
        (["--scope", "150699"], "未知的行政区划代码 150699", "Unknown adcode 150699"),
        (["--scope", "dongsheng"], "6 位行政区划代码", "6-digit adcode"),
        (["--type", "spa"], "未知设施类型", "unknown facility type 'spa'"),
        (["--scenario", "BAD_JSON"], "第 2 行第 12 列", "line 2, column 12"),
        (["--scenario", "MISSING"], "无法读取", "Cannot read"),
        (["--out", "NO_FOLDER"], "不存在", "does not exist"),
        (["--out", "A_FOLDER"], "是文件夹", "is a folder"),
        (["--out", "UNDER_A_FILE"], "不存在", "does not exist"),
        (["--new", "-1"], "不能为负", "must be 0 or more"),
    ],
)
def test_bad_input_exits_1_with_both_languages_and_writes_nothing(
    published: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], zh: str, en: str
) -> None:
    (tmp_path / "bad.json").write_text('{"format": "carecircle-scenario",\n "edits": [}', encoding="utf-8")
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    replace = {
        "BAD_JSON": str(tmp_path / "bad.json"),
        "MISSING": str(tmp_path / "missing.json"),
        "NO_FOLDER": str(tmp_path / "nowhere" / "r.pdf"),
        "A_FOLDER": str(tmp_path),
        "UNDER_A_FILE": str(tmp_path / "file.txt" / "r.pdf"),
    }
    given = {"--scope": "city", "--type": "nursery", "--out": str(tmp_path / "r.html")}
    for key, value in zip(args[::2], args[1::2], strict=True):
        given[key] = replace.get(value, value)
    argv = ["report", "--lang", "zh", "--format", "html"]
    for key, value in given.items():
        argv += [key, value]
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "错误 / error" in err and zh in err and en in err, err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_usage_errors_exit_2(published: str, tmp_path: Path) -> None:
    assert (
        main(
            [
                "report",
                "--scope",
                "city",
                "--type",
                "nursery",
                "--lang",
                "fr",
                "--format",
                "pdf",
                "--out",
                "x",
            ]
        )
        == 2
    )
    assert (
        main(
            [
                "report",
                "--scope",
                "city",
                "--type",
                "nursery",
                "--lang",
                "zh",
                "--format",
                "odt",
                "--out",
                "x",
            ]
        )
        == 2
    )


def test_report_on_imported_demand_and_boundaries_states_them_and_uses_the_polygons(
    published: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.unit.test_cli_demand import _towns, _villages

    villages = _villages(tmp_path)
    assert main(["demand", "import", str(villages), "--age60-column", "老年人口"]) == 0
    assert main(["boundaries", "import", str(_towns(tmp_path)), "--level", "township"]) == 0
    capsys.readouterr()
    args = ["--type", "community_station", "--minutes", "15", "--mode", "walk"]
    assert main(["coverage", *args, "--by", "township", "--format", "json"]) == 0
    coverage = json.loads(capsys.readouterr().out)
    pages = {}
    for lang in ("zh", "en"):
        out = tmp_path / f"report_{lang}.html"
        argv = ["report", "--scope", "city", *args, "--new", "0", "--lang", lang, "--format", "html"]
        assert main([*argv, "--out", str(out)]) == 0
        pages[lang] = out.read_text(encoding="utf-8")
    zh, en = pages["zh"], pages["en"]
    # the township table is by the imported polygons, named by them, with geo coverage's people
    rows = {r["name"]: r for r in coverage["rows"] if r["pop_total"]}
    assert set(rows) == {"西城街道", "东城街道", "康巴什街道"}
    for name, row in rows.items():
        assert re.search(
            rf"<td[^>]*>{name}</td>(<td[^>]*>[^<]*</td>)?<td[^>]*>{fmt.people(row['pop_total'])}</td>", zh
        )
    assert _total_row(zh)[1] == fmt.people(58_000) == fmt.people(coverage["totals"]["pop_total"])
    # provenance layer by layer, as geo coverage's data block: demand and boundaries real, by version
    assert "导入的人口数据第 2 版" in zh and "villages.gpkg" in zh and "带人口数的区域" in zh
    assert "导入的乡镇边界第 1 版" in zh and "towns.geojson" in zh and "3 个乡镇街道" in zh
    assert "imported population version 2: villages.gpkg (areas with counts" in en
    assert "imported township boundaries version 1: towns.geojson, 3 townships" in en
    # only the facilities are still modelled, and the note says exactly that
    assert "注意：设施为模拟数据" in zh and "人口（需求）为模拟" not in zh
    assert "Note: the facilities are modelled" in en and "population (demand) are modelled" not in en
    assert "模拟样本：各旗区人口总数" not in zh  # the sample's description is gone with it
