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
    assert ctx.data["network"]["loaded"] is False
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
