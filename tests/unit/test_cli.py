"""`python -m geo init` and `facilities`: the shipped sample as published version 1."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import shapely

from geo import io as gio
from geo.cli import main
from geo.schema import COLUMN_NAMES, MODELLED_SOURCE_PREFIX

REPO = Path(__file__).resolve().parents[2]

REQUIRED_COUNTS = {
    "regional_center": 12,
    "demo_center": 4,
    "community_station": 30,
    "village_station": 50,
    "children_home": 109,
    "baby_station": 20,
}


def run_cli(*args: str, env_url: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "geo", *args],
        cwd=REPO,
        capture_output=True,
        env={"DATABASE_URL": env_url, "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=False,
    )


def test_init_then_export_csv_gives_the_report_counts(db_url: str) -> None:
    first = run_cli("init", env_url=db_url)
    assert first.returncode == 0, first.stderr.decode()
    assert "version 1" in first.stdout.decode()
    again = run_cli("init", env_url=db_url)
    assert again.returncode == 0
    assert "already" in again.stdout.decode()

    out = run_cli("facilities", "--format", "csv", env_url=db_url)
    assert out.returncode == 0, out.stderr.decode()
    assert out.stdout.startswith(b"\xef\xbb\xbf")
    df = pd.read_csv(io.BytesIO(out.stdout), encoding="utf-8-sig", dtype={"facility_id": str})
    assert tuple(df.columns) == COLUMN_NAMES
    is_open = df["status"] == "open"
    counts = df.loc[is_open, "type"].value_counts()
    for type_code, minimum in REQUIRED_COUNTS.items():
        assert counts[type_code] >= minimum, type_code
    census_total = int(gio.read_census().query("adcode == 150600")["pop_2020_census"].iloc[0])
    nursery_places = df.loc[is_open & (df["type"] == "nursery"), "capacity"].sum()
    assert nursery_places / census_total * 1000 == pytest.approx(4.86, rel=0.03)
    assert df["source"].str.startswith(MODELLED_SOURCE_PREFIX).all()

    districts = gio.read_districts().set_index("adcode")
    polygons = districts.loc[df["district_adcode"], "geometry"].to_numpy()
    points = shapely.points(df["lon"].to_numpy(), df["lat"].to_numpy())
    assert shapely.contains(polygons, points).all()


def test_geojson_export(store: object, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["facilities", "--format", "geojson"]) == 0
    fc = json.loads(capsys.readouterr().out)
    assert fc["type"] == "FeatureCollection"
    lon, lat = fc["features"][0]["geometry"]["coordinates"]
    assert 106.4 < lon < 111.5 and 37.6 < lat < 40.9


def test_usage_errors_exit_2_and_bad_version_exits_1(
    store: object, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([]) == 2
    assert main(["facilities", "--format", "xml"]) == 2
    assert main(["facilities", "--version", "99"]) == 1
    assert "99" in capsys.readouterr().err
