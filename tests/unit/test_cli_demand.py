"""``python -m geo demand …`` and ``boundaries …``: import, history, restore, and coverage on the result."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from geo.cli import main
from geo.demand_store import layer_store
from geo.io import REPO_ROOT
from geo.store import open_store
from tests.unit._demand_files import DONGSHENG_BOX, KANGBASHI_BOX, polygons_frame, vector_bytes

DONGSHENG, KANGBASHI = 150602, 150603


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["--database", url, "init"]) == 0
    return url


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _villages(tmp_path: Path) -> Path:
    lon0, lat0, lon1, lat1 = DONGSHENG_BOX
    mid = (lon0 + lon1) / 2
    gdf = polygons_frame(
        [(lon0, lat0, mid, lat1), (mid, lat0, lon1, lat1), KANGBASHI_BOX],
        [30_000, 20_000, 8_000],
        code=["V1", "V2", "V3"],
        老年人口=[5_000, 3_000, 700],
    )
    return _write(tmp_path, "villages.gpkg", vector_bytes(gdf.to_crs(32649), "gpkg", tmp_path))


def _towns(tmp_path: Path) -> Path:
    lon0, lat0, lon1, lat1 = DONGSHENG_BOX
    mid = (lon0 + lon1) / 2
    gdf = gpd.GeoDataFrame(
        {"XZQMC": ["西城街道", "东城街道", "康巴什街道"], "XZQDM": ["150602901", "150602902", "150603901"]},
        geometry=[
            box(lon0 - 0.01, lat0 - 0.01, mid, lat1 + 0.01),
            box(mid, lat0 - 0.01, lon1 + 0.01, lat1 + 0.01),
            box(*KANGBASHI_BOX),
        ],
        crs=4326,
    )
    return _write(tmp_path, "towns.geojson", vector_bytes(gdf, "geojson", tmp_path))


def test_coverage_by_township_uses_imported_demand_and_boundaries(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.csv"
    code = main(
        [
            "--database",
            db,
            "demand",
            "import",
            str(_villages(tmp_path)),
            "--age60-column",
            "老年人口",
            "--report",
            str(report),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "published demand version 2" in out and "已发布需求版本 2" in out
    assert "150602\t东胜区\t50,000\t50,000" in out
    assert "people in file 58,000" in out
    assert report.read_bytes().startswith(b"\xef\xbb\xbf")
    assert main(["--database", db, "boundaries", "import", str(_towns(tmp_path)), "--level", "township"]) == 0
    capsys.readouterr()

    assert (
        main(
            [
                "--database",
                db,
                "coverage",
                "--type",
                "community_station",
                "--minutes",
                "15",
                "--by",
                "township",
                "--format",
                "json",
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    data = result["data"]
    assert data["demand"] == {
        **data["demand"],
        "version": 2,
        "source": "villages.gpkg",
        "modelled": False,
        "kind": "polygons",
        "crs": "EPSG:32649",
        "resolution": 9,
        "people": 58_000,
    }
    assert data["boundaries"]["version"] == 1 and data["boundaries"]["source"] == "towns.geojson"
    assert data["boundaries"]["modelled"] is False
    assert data["facilities"]["modelled"] is True and data["network"]["model"] == "straight_line"
    assert result["totals"]["pop_total"] == 58_000
    assert result["totals"]["pop_60plus"] == 8_700
    rows = {r["township_code"]: r for r in result["rows"] if r["pop_total"]}
    assert set(rows) == {"150602901", "150602902", "150603901"}
    assert rows["150602901"]["name"] == "西城街道"
    # Cells go to the township holding their centre: the cells along the shared edge decide by centre.
    assert rows["150602901"]["pop_total"] == pytest.approx(30_000, rel=0.02)
    assert rows["150602901"]["pop_total"] + rows["150602902"]["pop_total"] == 50_000
    assert rows["150603901"]["adcode"] == KANGBASHI
    assert "版本 version 2 (villages.gpkg" in captured.err


def test_bad_file_exits_1_in_both_languages_and_changes_nothing(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gdf = polygons_frame([DONGSHENG_BOX, KANGBASHI_BOX], [100, "多"])
    path = _write(tmp_path, "bad.geojson", vector_bytes(gdf, "geojson", tmp_path))
    key = open_store(db).data_version()
    assert main(["--database", db, "demand", "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert "要素 2 feature 2" in err and "不是数字" in err and "is not a number" in err
    assert "nothing was changed" in err and "Traceback" not in err
    assert open_store(db).data_version() == key
    assert layer_store(open_store(db).engine).demand_history() == []


def test_missing_file_and_bad_options_say_so(db: str, tmp_path: Path) -> None:
    run = [sys.executable, "-m", "geo", "--database", db]
    proc = subprocess.run(
        [*run, "demand", "import", str(tmp_path / "nope.tif")], capture_output=True, text=True, cwd=REPO_ROOT
    )
    assert proc.returncode == 1 and "无法读取" in proc.stderr and "Cannot read" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = subprocess.run(
        [*run, "demand", "import", "x.tif", "--resolution", "7"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    assert proc.returncode == 2


def test_dry_run_history_and_restore(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _villages(tmp_path)
    assert main(["--database", db, "demand", "import", str(path), "--dry-run"]) == 0
    assert "Dry run" in capsys.readouterr().out
    assert main(["--database", db, "demand", "history"]) == 0
    out = capsys.readouterr().out
    assert "modelled sample" in out and "population_cells.csv" in out
    assert main(["--database", db, "demand", "import", str(path), "--mode", "patch", "--user", "wang"]) == 0
    capsys.readouterr()
    assert main(["--database", db, "demand", "history"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[1].startswith("2\t") and "\twang\timport\tpatch\tpolygons\tvillages.gpkg" in lines[1]
    assert lines[2].startswith("1\t") and "sample" in lines[2]
    assert main(["--database", db, "demand", "restore", "1"]) == 0
    assert "restored demand version 1 as version 3" in capsys.readouterr().out
    assert main(["--database", db, "demand", "restore", "7"]) == 1
    err = capsys.readouterr().err
    assert "需求版本 7 不存在" in err and "demand version 7 does not exist" in err


def test_boundaries_with_repeated_codes_are_refused(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gdf = gpd.GeoDataFrame(
        {"name": ["甲镇", "乙镇"], "code": ["150602100", "150602100"]},
        geometry=[box(*DONGSHENG_BOX), box(*KANGBASHI_BOX)],
        crs=4326,
    )
    path = _write(tmp_path, "t.geojson", vector_bytes(gdf, "geojson", tmp_path))
    assert main(["--database", db, "boundaries", "import", str(path), "--level", "township"]) == 1
    err = capsys.readouterr().err
    assert "要素 2 feature 2" in err and "重复" in err and "repeats" in err
    assert layer_store(open_store(db).engine).boundary_history() == []
    assert (
        main(
            [
                "--database",
                db,
                "boundaries",
                "import",
                str(path),
                "--level",
                "township",
                "--name-column",
                "名字",
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "名字" in err and "no column" in err
