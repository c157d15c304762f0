"""Reading tables in the encodings and separators Chinese offices use."""

from __future__ import annotations

import pandas as pd
import pytest

from geo import io as gio
from geo.errors import DataError

HEADER_ZH = "编号,名称,类型\n"
ROW_ZH = "A-1,东胜区幸福社区养老服务站,社区养老服务站\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ((HEADER_ZH + ROW_ZH).encode("utf-8"), "utf-8"),
        ((HEADER_ZH + ROW_ZH).encode("utf-8-sig"), "utf-8-sig"),
        ((HEADER_ZH + ROW_ZH).encode("gb18030"), "gb18030"),
        ((HEADER_ZH + ROW_ZH).encode("gbk"), "gb18030"),
    ],
)
def test_decode_detects_encoding(data: bytes, encoding: str) -> None:
    table, found, delimiter = gio.read_table_bytes(data)
    assert found == encoding
    assert delimiter == ","
    assert list(table.columns) == ["编号", "名称", "类型"]
    assert table.iloc[0].tolist() == ["A-1", "东胜区幸福社区养老服务站", "社区养老服务站"]


@pytest.mark.parametrize("sep", [",", "\t", ";"])
def test_delimiters(sep: str) -> None:
    text = sep.join(["facility_id", "name", "lon"]) + "\n" + sep.join(["x1", "A, B", "109.9"]) + "\n"
    if sep == ",":
        text = text.replace("A, B", '"A, B"')
    table = gio.read_table_text(text)
    assert table.loc[0, "name"] == "A, B"
    assert table.loc[0, "lon"] == "109.9"


def test_short_rows_padded_and_blank_lines_skipped() -> None:
    table = gio.read_table_text("a,b,c\n1,2\n\n,,\n4,5,6\n")
    assert table.to_dict(orient="list") == {"a": ["1", "4"], "b": ["2", "5"], "c": ["", "6"]}


def test_undecodable_bytes_raise_bilingual_error() -> None:
    with pytest.raises(DataError, match="GB18030") as err:
        gio.decode_bytes(b"\xff\xfe\xfa\x00\x81")
    assert "编码" in str(err.value)


def test_empty_file_is_an_error() -> None:
    with pytest.raises(DataError, match="empty"):
        gio.read_table_text("   \n")


def test_csv_export_neutralises_formulas_and_keeps_chinese() -> None:
    df = pd.DataFrame(
        {"name": ["=HYPERLINK(1)", "+1", "-2", "@x", "\tq", "幸福社区"], "n": [1, 2, 3, 4, 5, 6]}
    )
    data = gio.facilities_csv_bytes(df)
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(pd.io.common.BytesIO(data), encoding="utf-8-sig", keep_default_na=False)
    assert back["name"].tolist() == ["'=HYPERLINK(1)", "'+1", "'-2", "'@x", "'\tq", "幸福社区"]
    assert back["n"].tolist() == [1, 2, 3, 4, 5, 6]


def test_districts_are_the_nine_units() -> None:
    districts = gio.read_districts()
    assert len(districts) == 9
    assert districts["adcode"].tolist() == [
        150602,
        150603,
        150621,
        150622,
        150623,
        150624,
        150625,
        150626,
        150627,
    ]
    assert districts.crs.to_epsg() == 4326
    assert districts.geometry.is_valid.all()


def test_geojson_export_is_lon_lat() -> None:
    df = pd.DataFrame(
        {"facility_id": ["a"], "name": ["站"], "lon": [109.9], "lat": [39.8], "capacity": [pd.NA]}
    )
    fc = gio.facilities_geojson(df)
    feature = fc["features"][0]
    assert feature["geometry"]["coordinates"] == [109.9, 39.8]
    assert feature["properties"] == {"facility_id": "a", "name": "站", "capacity": None}
