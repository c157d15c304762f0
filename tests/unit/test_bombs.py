"""The bomb suite: hostile files given to ``python -m geo import`` are refused quickly, in both
languages, without exhausting memory.

All files are imported in one child process (``python -m tests.bombs``), which resets its memory
high-water mark before each file and reports the peak and the time per file. Memory is asserted
(under 400 MB, the whole process included); time is printed, not asserted (the machine is shared),
beyond the child's generous timeout.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from geo.io import REPO_ROOT
from tests.bombs import BOMBS

pytestmark = pytest.mark.slow

MAX_PEAK_MB = 400.0
TIMEOUT_S = 600

# What each refusal must say, in Chinese and in English (besides "错误 / error").
EXPECTED: dict[str, tuple[str, str]] = {
    "zip_bomb": ("解压后共", "uncompressed"),
    "empty_cells": ("单元格", "cells"),
    "huge_shared_string": ("压缩比", "compresses"),
    "many_shared_strings": ("共享字符串", "shared-string"),
    "deep_xml": ("嵌套", "nests"),
    "billion_laughs": ("实体声明", "entity declarations"),
    "many_members": ("压缩成员", "archive members"),
    "wide_header_xlsx": ("超过上限 200 列", "above the limit of 200"),
    "long_cell": ("32,767 个字符", "32,767 characters"),
    "wide_csv": ("超过上限 200 列", "above the limit of 200"),
    "long_field_csv": ("不是可读的表格", "not a readable table"),
    "many_rows_csv": ("超过上限 20,000 行", "above the limit of 20,000"),
    "too_large_csv": ("超过上限 8 MB", "above the limit of 8 MB"),
    "fifo": ("管道(FIFO)", "pipe (FIFO)"),
    "dev_zero": ("设备文件", "a device"),
    "directory": ("文件夹", "a directory"),
}
# Harmless to this reader (it never pads empty rows): read quickly and imported.
ACCEPTED = {"far_cell"}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    folder = tmp_path_factory.mktemp("bombs")
    paths = {name: build(folder) for name, build in BOMBS.items()}
    database = f"sqlite:///{folder / 'bombs.db'}"
    completed = subprocess.run(
        [sys.executable, "-m", "tests.bombs", database, *(str(p) for p in paths.values())],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    records = [json.loads(line) for line in completed.stdout.splitlines() if line.startswith("{")]
    by_path = {str(r["path"]): r for r in records}
    out = {name: by_path[str(path)] for name, path in paths.items()}
    print("\nbomb                     exit  wall s   CPU s  peak MB")
    for name, r in out.items():
        print(f"{name:<24} {r['exit']:>4} {r['seconds']:>7.2f} {r['cpu_seconds']:>7.2f} {r['peak_mb']:>8.0f}")
    return out


def test_every_bomb_is_covered() -> None:
    assert set(EXPECTED) | ACCEPTED == set(BOMBS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bomb_is_refused_in_both_languages_within_memory(
    name: str, outcomes: dict[str, dict[str, object]]
) -> None:
    outcome = outcomes[name]
    stderr = str(outcome["stderr"])
    assert outcome["exit"] == 1, outcome
    assert "Traceback" not in stderr
    assert "错误" in stderr and "error" in stderr, stderr
    zh, en = EXPECTED[name]
    assert zh in stderr and en in stderr, stderr
    assert "internal_error" not in stderr, stderr
    assert outcome["peak_reset"], "the memory high-water mark could not be reset"
    assert float(str(outcome["peak_mb"])) < MAX_PEAK_MB, outcome


def test_far_cell_is_read_quickly_and_imported(outcomes: dict[str, dict[str, object]]) -> None:
    outcome = outcomes["far_cell"]
    assert outcome["exit"] == 0, outcome
    assert "added 1" in str(outcome["stdout"])
    assert float(str(outcome["peak_mb"])) < MAX_PEAK_MB


def test_the_runner_measures_memory(tmp_path: Path) -> None:
    # The peak the suite relies on is the child's high-water mark: it must see a real allocation.
    code = (
        "from tests.bombs import _reset_peak, peak_rss_mb\n"
        "_reset_peak(); before = peak_rss_mb()\n"
        "block = bytearray(200 * 1024 * 1024)\n"
        "print(peak_rss_mb() - before)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert float(completed.stdout) > 150
