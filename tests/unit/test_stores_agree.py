"""The same work on SQLite and on PostgreSQL gives the same bytes.

One data-staff session (init, an upsert in GCJ-02, a replace, a restore), then every export and
analysis command, run through the command line on both stores; the outputs must be byte-identical
(history lines and the coverage data block's publish times differ only in their time stamps).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from geo.cli import main

pytestmark = pytest.mark.postgresql

UPSERT = (
    "编号,名称,类别,类型,行政区划代码,经度,纬度,容量,状态,电话\n"
    "X-1,东胜日间照料中心,养老,日间照料中心,150602,109.9631,39.8237,40,运营,0477-1\n"
    "X-2,康巴什托育,托育,托育机构,150603,109.7921,39.6093,60,运营,\n"
)
REPLACE_HEADER = "facility_id,name,category,type,district_adcode,lon,lat,capacity,status\n"


def session(url: str, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> dict[str, bytes]:
    def run(*argv: str) -> bytes:
        assert main(["--database", url, *argv]) == 0, capsysbinary.readouterr().err.decode()
        return capsysbinary.readouterr().out

    upsert = tmp_path / "upsert.csv"
    upsert.write_bytes(UPSERT.encode("gb18030"))
    run("init")
    run("import", str(upsert), "--crs", "gcj02", "--user", "wang")
    sample = run("facilities", "--format", "csv").decode("utf-8-sig").splitlines()
    replace = tmp_path / "replace.csv"
    # The first 40 facilities of version 2 (their contract columns), capacities doubled: the rest close.
    rows = [line.split(",") for line in sample[1:41]]
    replace.write_text(
        REPLACE_HEADER
        + "".join(
            f"{r[0]},{r[1]},{r[2]},{r[3]},{r[4]},{r[7]},{r[8]},{int(r[9] or 0) * 2},open\n" for r in rows
        ),
        encoding="utf-8",
    )
    run("import", str(replace), "--mode", "replace", "--user", "li")
    run("restore", "2", "--user", "zhao")
    out = {f"facilities v{v} csv": run("facilities", "--version", str(v)) for v in (1, 2, 3, 4)}
    out["facilities geojson"] = run("facilities", "--format", "geojson")
    history = run("history").decode().splitlines()
    out["history"] = "\n".join(
        "\t".join(c for k, c in enumerate(line.split("\t")) if k != 1) for line in history
    ).encode()
    coverage = ["coverage", "--type", "community_station,day_care", "--minutes", "15"]
    # The data block names each layer's publish time, which differs between the two sessions.
    out["coverage json"] = re.sub(
        rb'"published_at": "[^"]+"',
        b'"published_at": "T"',
        run(*coverage, "--format", "json", "--save", "--name", "same"),
    )
    out["coverage csv"] = run(*coverage, "--by", "township")
    out["suggest csv"] = run(
        "suggest", "--type", "community_station", "--new", "3", "--minutes", "15", "--format", "csv"
    )
    out["analysis csv"] = run("analyses", "export", "1")
    return out


def test_exports_and_analyses_are_byte_identical_on_both_stores(
    pg_url: str, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    (tmp_path / "sqlite").mkdir()
    (tmp_path / "pg").mkdir()
    on_sqlite = session(f"sqlite:///{tmp_path / 'sqlite' / 'c.db'}", tmp_path / "sqlite", capsysbinary)
    on_postgresql = session(pg_url, tmp_path / "pg", capsysbinary)
    assert on_sqlite.keys() == on_postgresql.keys()
    for what, data in on_sqlite.items():
        assert data, what
        assert on_postgresql[what] == data, f"{what} differs between SQLite and PostgreSQL"
    assert on_sqlite["facilities v3 csv"].count(b"\n") == 1 + 427  # header + 40 kept + 387 closed
    assert b"restore of 2" in on_sqlite["history"]
