"""Tests of the data commands: import, history, restore, users."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from geo.cli import main
from geo.store import open_store


def facility_csv(rows: list[tuple[str, str, str]]) -> bytes:
    lines = ["编号,名称,类别,类型,行政区划代码,经度,纬度,容量"]
    for k, (fid, name, capacity) in enumerate(rows):
        lines.append(f"{fid},{name},养老,日间照料中心,150602,{109.95 + k * 0.002:.4f},39.81,{capacity}")
    return ("\n".join(lines) + "\n").encode("gb18030")


@pytest.fixture
def db(any_db_url: str) -> str:
    """An initialised store on SQLite and on PostgreSQL."""
    assert main(["--database", any_db_url, "init"]) == 0
    return any_db_url


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_import_with_errors_exits_1_prints_report_and_changes_nothing(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = open_store(db).current_version()
    path = write(tmp_path, "bad.csv", facility_csv([("X-1", "甲", "-4"), ("X-1", "乙", "3")]))
    report = tmp_path / "report.csv"
    code = main(["--database", db, "import", str(path), "--report", str(report)])
    captured = capsys.readouterr()
    out = captured.err  # the validation report goes to stderr, as every problem does
    assert code == 1
    assert "negative_capacity" in out and "duplicate_id" in out and "nothing was changed" in out
    assert "未做任何更改" in out
    assert "第 2 行" in out and "第 3 行" in out
    assert "negative_capacity" not in captured.out
    frame = pd.read_csv(report, encoding="utf-8-sig", dtype=str)
    assert len(frame) == 2
    assert open_store(db).current_version() == before


def test_dry_run_previews_without_publishing(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = open_store(db).current_version()
    path = write(tmp_path, "new.csv", facility_csv([("X-1", "甲", "4"), ("X-2", "乙", "3")]))
    assert main(["--database", db, "import", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "added 2" in out and "changed 0" in out and "Dry run" in out
    assert open_store(db).current_version() == before


def test_import_publishes_and_history_restore(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = open_store(db)
    n_before = len(store.facilities())
    path = write(tmp_path, "new.csv", facility_csv([("X-1", "甲", "4")]))
    assert main(["--database", db, "import", str(path), "--user", "alice"]) == 0
    assert "published version 2" in capsys.readouterr().out
    assert len(store.facilities()) == n_before + 1
    info = store.version_info(2)
    assert (info.user_name, info.file_name, info.mode, info.added) == ("alice", "new.csv", "upsert", 1)

    # replace: everything else is closed, and listed first
    assert main(["--database", db, "import", str(path), "--mode", "replace", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"closed {n_before}" in out and "will be closed" in out

    assert main(["--database", db, "history"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[1].startswith("2\t") and "alice" in lines[1] and "new.csv" in lines[1]
    assert lines[2].startswith("1\t") and "init" in lines[2]

    assert main(["--database", db, "restore", "1", "--user", "bob"]) == 0
    assert "version 3" in capsys.readouterr().out
    assert len(store.facilities()) == n_before
    assert store.version_info(3).restored_from == 1


def test_gcj02_import(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "gcj.csv", facility_csv([("X-9", "甲", "4")]))
    assert main(["--database", db, "import", str(path), "--crs", "gcj02", "--user", "a"]) == 0
    row = open_store(db).facilities().set_index("facility_id").loc["X-9"]
    assert abs(row["lon"] - 109.95) > 1e-4  # moved from GCJ-02 to WGS84


def test_missing_file_exits_1(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database", db, "import", str(tmp_path / "nope.csv")]) == 1
    assert "Cannot read" in capsys.readouterr().err


def test_restore_unknown_version_exits_1(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database", db, "restore", "42"]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_unwritable_report_path_exits_1_with_a_message(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "ok.csv", facility_csv([("D-1", "日照一", "20")]))
    report = tmp_path / "no_such_folder" / "report.csv"
    code = main(["--database", db, "import", str(path), "--dry-run", "--report", str(report)])
    assert code == 1
    err = capsys.readouterr().err
    assert "no_such_folder" in err
    assert "错误 / error" in err


def test_bad_database_url_exits_1_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database", "nosuchdialect://x", "history"]) == 1
    assert "nosuchdialect" in capsys.readouterr().err


def test_dry_run_names_both_rows_of_a_published_station_under_a_new_id(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    station = open_store(db).facilities().iloc[0]
    lines = [
        "编号,名称,类别,类型,行政区划代码,乡镇街道,经度,纬度,电话",
        f"NEW-0001,{station['name']},{station['category']},{station['type']},{station['district_adcode']},"
        f"{station['township']},{station['lon'] + 0.0002:.6f},{station['lat']:.6f},",
    ]
    path = write(tmp_path, "again.csv", ("\n".join(lines) + "\n").encode())
    assert main(["--database", db, "import", str(path), "--dry-run"]) == 0
    captured = capsys.readouterr()
    warning = next(line for line in captured.err.splitlines() if "possible_duplicate" in line)
    assert "NEW-0001" not in captured.out or "added 1" in captured.out
    assert station["facility_id"] in warning and station["name"] in warning
    assert "第 2 行" in warning and "已发布设施" in warning and "published" in warning
    assert "added 1" in captured.out

    # Merged into the published id, the row is an update of that station, not a new one.
    merge = f"NEW-0001={station['facility_id']}"
    assert main(["--database", db, "import", str(path), "--dry-run", "--merge", merge]) == 0
    out = capsys.readouterr().out
    assert "added 0" in out and "changed 1" in out and f"NEW-0001 → {station['facility_id']}" in out


@pytest.mark.parametrize(
    ("merge", "zh", "en"),
    [
        ("NEW-0001", "格式", "FILE_ID=PUBLISHED_ID"),
        ("NOPE=ORD-X", "不在文件", "not among the file's valid rows"),
        ("X-1=NOT-PUBLISHED", "不是已发布", "not a published facility id"),
    ],
)
def test_bad_merge_is_bilingual(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], merge: str, zh: str, en: str
) -> None:
    path = write(tmp_path, "new.csv", facility_csv([("X-1", "甲", "4")]))
    assert main(["--database", db, "import", str(path), "--dry-run", "--merge", merge]) == 1
    err = capsys.readouterr().err
    assert zh in err and en in err and "Traceback" not in err


def test_special_files_fail_fast(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    for path, zh, en in (
        ("/dev/zero", "设备文件", "a device"),
        (str(fifo), "管道", "FIFO"),
        (str(tmp_path), "文件夹", "directory"),
    ):
        assert main(["--database", db, "import", path]) == 1
        err = capsys.readouterr().err
        assert zh in err and en in err and "not a regular file" in err


def test_a_pair_marked_not_a_duplicate_stays_quiet_on_the_next_import(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    station = open_store(db).facilities().iloc[0]
    lines = [
        "编号,名称,类别,类型,行政区划代码,乡镇街道,经度,纬度",
        f"NEW-0001,{station['name']},{station['category']},{station['type']},{station['district_adcode']},"
        f"{station['township']},{station['lon'] + 0.0002:.6f},{station['lat']:.6f}",
    ]
    path = write(tmp_path, "second.csv", ("\n".join(lines) + "\n").encode())
    assert main(["--database", db, "import", str(path), "--dry-run"]) == 0
    assert "possible_duplicate" in capsys.readouterr().err
    pair = f"{station['facility_id']},NEW-0001"
    assert main(["--database", db, "import", str(path), "--not-duplicate", pair, "--user", "li"]) == 0
    assert "possible_duplicate" not in capsys.readouterr().err
    assert open_store(db).duplicate_marks() == {tuple(sorted((station["facility_id"], "NEW-0001")))}
    # The next import of the same rows: the published version remembers the mark.
    assert main(["--database", db, "import", str(path), "--dry-run"]) == 0
    assert "possible_duplicate" not in capsys.readouterr().err
    assert main(["--database", db, "import", str(path), "--dry-run", "--not-duplicate", "A-1"]) == 1
    err = capsys.readouterr().err
    assert "ID_A,ID_B" in err and "编号1,编号2" in err
