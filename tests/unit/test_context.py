"""geo.context: every download states data version, model and what is modelled, in the page language."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pandas as pd
import pytest

from geo import context as cx
from geo import io as gio
from geo.travel import MODES, StraightLineModel

WHEN = datetime(2026, 3, 1, 9, 30)


@pytest.fixture(scope="module")
def ctx() -> cx.Context:
    facilities = gio.read_facilities_csv(gio.DATASETS_DIR / gio.FACILITIES_SAMPLE_FILE)
    model = StraightLineModel(MODES["walk"]).describe()
    data = cx.data_block(facilities, version=3, model_description=model)
    return cx.Context(
        data=data,
        model=model,
        budget_min=15,
        types=("community_station",),
        scope="鄂尔多斯市",
        target="pop_60plus",
        generated_at=WHEN,
    )


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "adcode": [150602],
            "name": ["东胜区"],
            "pop_total": [574442],
            "pop_total_covered_share": [0.263841],
            "note": ['=HYPERLINK("x")'],
        }
    )


def test_data_block_names_each_layer(ctx: cx.Context) -> None:
    assert set(ctx.data) == set(cx.LAYERS)
    assert ctx.data["facilities"]["version"] == 3 and ctx.data["facilities"]["modelled"] is True
    assert ctx.data["network"]["used"] is False and ctx.data["network"]["modelled"] is False
    assert ctx.data["demand"]["kind"] == "sample" and ctx.data["boundaries"]["version"] is None
    assert cx.modelled_layers(ctx.data) == ["facilities", "demand", "boundaries"]
    assert "设施、人口(需求)、边界为模拟数据" in cx.modelled_note(ctx.data, "zh").replace("（", "(").replace(
        "）", ")"
    )
    real = {layer: {"modelled": False} for layer in cx.LAYERS}
    assert cx.modelled_note(real, "zh") == "" and cx.modelled_layers(real) == []


def test_imported_demand_says_so(ctx: cx.Context) -> None:
    cells = pd.DataFrame({"cell_id": ["a"]})
    cells.attrs["data"] = {"source": "census grid", "modelled": False, "description_en": "the city's grid"}
    data = cx.data_block(pd.DataFrame({"source": ["import"]}), version=4, model_description={}, cells=cells)
    assert cx.modelled_layers(data) == ["boundaries"]
    rows = cx.layer_rows(data, "en")
    assert ("Population (demand)", "real", "the city's grid") in rows


def _store_block() -> dict:
    """A block as ``geo.provenance.data_block`` makes it from the store: real facilities, demand
    imported in part, township polygons imported, a road network used."""
    from geo.provenance import data_block

    class Facilities:
        version, file_name, note, action, created_at = 7, "bureau_2026.xlsx", "", "import", "2026-02-01"

    class Demand:
        version, file_name, kind, crs, resolution, mode, cells, created_at = (
            3, "dongsheng_worldpop.tif", "raster", "EPSG:3857", 9, "patch", 41_230, "2026-02-02",
        )  # fmt: skip
        pop_total, modelled_people = 2_000_000, 500_000

    class Boundaries:
        version, file_name, level, features, created_at = 2, "townships.gpkg", "township", 58, "t"

    return data_block(
        facilities_info=Facilities(),
        facilities=pd.DataFrame({"source": ["bureau", "bureau"]}),
        demand_info=Demand(),
        boundary_info=Boundaries(),
        model={"name": "network", "mode": "walk", "network_sha256": "ab" * 32, "network_name": "ordos.pbf"},
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_store_block_is_stated_layer_by_layer(lang: str) -> None:
    block = _store_block()
    assert cx.modelled_layers(block) == ["demand"]
    rows = {layer: (status, desc) for layer, status, desc in cx.layer_rows(block, lang)}
    note = cx.modelled_note(block, lang)
    if lang == "zh":
        assert (
            rows["设施"][0] == "真实"
            and "第 7 版" in rows["设施"][1]
            and "bureau_2026.xlsx" in rows["设施"][1]
        )
        status, desc = rows["人口（需求）"]
        assert status == "部分模拟" and "第 3 版" in desc and "dongsheng_worldpop.tif" in desc
        assert "人口栅格" in desc and "25.0%" in desc and "2,000,000 人" in desc
        assert (
            rows["边界"][0] == "真实" and "townships.gpkg" in rows["边界"][1] and "58 个" in rows["边界"][1]
        )
        assert rows["路网"][0] == "真实" and "ordos.pbf" in rows["路网"][1]
        assert "人口（需求）（部分，25.0%）为模拟数据" in note and "设施" not in note
    else:
        assert rows["Facilities"][0] == "real" and "version 7" in rows["Facilities"][1]
        status, desc = rows["Population (demand)"]
        assert status == "partly modelled" and "version 3" in desc and "population raster" in desc
        assert (
            rows["Boundaries"][0] == "real"
            and "version 2: townships.gpkg, 58 townships" in rows["Boundaries"][1]
        )
        assert "the population (demand) (in part, 25.0%) are modelled" in note and "facilities" not in note
    all_text = " ".join(f"{a} {b} {c}" for a, b, c in cx.layer_rows(block, lang))
    assert "{" not in all_text and "None" not in all_text


def test_a_selection_of_facilities_restates_the_facility_layer() -> None:
    block = _store_block()
    mixed = pd.DataFrame({"source": ["bureau", "modelled sample (x)"]})
    from geo.schema import MODELLED_SOURCE_PREFIX

    mixed.loc[1, "source"] = MODELLED_SOURCE_PREFIX + " x"
    out = cx.with_facilities(block, mixed, model={"mode": "walk", "name": "straight_line"})
    assert out["facilities"]["version"] == 7 and out["facilities"]["modelled_rows"] == 1
    assert out["network"]["used"] is False and block["network"]["used"] is True
    assert cx.modelled_layers(out) == ["facilities", "demand"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_about_rows_state_version_model_and_modelled_note(ctx: cx.Context, lang: str) -> None:
    about = dict(cx.about_rows(ctx, lang))
    text = " ".join(about.values())
    if lang == "zh":
        assert about["数据版本"] == "设施数据第 3 版（已发布）"
        assert "直线距离 × 绕行系数 1.3" in text and "60 米/分钟" in text and "15 分钟" in text
        assert "模拟数据" in about["模拟数据说明"]
    else:
        assert about["Data version"] == "published facility version 3"
        assert "straight line × detour factor 1.3" in text and "60 m/min" in text and "15 minutes" in text
        assert "modelled" in about["Modelled data"]


def test_zip_holds_the_csv_and_a_readme(ctx: cx.Context, table: pd.DataFrame) -> None:
    data = cx.zip_bytes(ctx, "zh", {"districts": table})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == ["README.txt", "districts.csv"]
        readme = archive.read("README.txt").decode("utf-8-sig")
        csv = archive.read("districts.csv")
    assert csv.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 with a BOM
    frame = pd.read_csv(io.BytesIO(csv), encoding="utf-8-sig")
    assert list(frame.columns) == ["区划代码", "名称", "全部人口", "全部人口 · 覆盖率（%）", "note"]
    assert frame.iloc[0, 3] == 26.4 and frame.iloc[0, 2] == 574442
    assert frame.iloc[0, 4].startswith("'=")  # a formula stays text
    assert "设施数据第 3 版" in readme and "模拟数据" in readme and "districts.csv" in readme
    assert "\r\n" in readme  # Notepad shows the lines


def test_xlsx_has_an_about_sheet_first_and_numbers_stay_numbers(ctx: cx.Context, table: pd.DataFrame) -> None:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(cx.xlsx_bytes(ctx, "en", {"districts": table})))
    assert book.sheetnames == ["About", "Districts"]
    about = [[c.value for c in row] for row in book["About"].iter_rows()]
    flat = " ".join(str(v) for row in about for v in row if v)
    assert "published facility version 3" in flat and "modelled" in flat and "walking" in flat
    sheet = book["Districts"]
    assert [c.value for c in sheet[1]] == [
        "Adcode",
        "Name",
        "Everyone",
        "Everyone · covered share (%)",
        "note",
    ]
    assert sheet["C2"].value == 574442 and sheet["C2"].number_format == "#,##0"
    assert sheet["D2"].value == 26.4 and sheet["D2"].number_format == "0.0"


def test_geojson_context_is_machine_readable(ctx: cx.Context) -> None:
    block = cx.geojson_context(ctx, "en")
    assert block["data_version"] == 3 and block["model"]["minutes"] == 15
    assert block["model"]["speed_m_per_min"] == 60.0 and block["model"]["name"] == "straight_line"
    assert block["data"]["demand"]["modelled"] is True and block["modelled_note"]
