"""Reading and writing files: CSV in the encodings Chinese offices use, GeoJSON, the shipped datasets.

This is the only module of ``geo`` (with ``geo.store`` for the database) that touches files.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo.errors import DataError
from geo.paths import DATASETS_DIR as DATASETS_DIR
from geo.paths import REPO_ROOT as REPO_ROOT
from geo.schema import COLUMN_NAMES, COLUMNS

if TYPE_CHECKING:
    import geopandas as gpd

DISTRICTS_FILE = "ordos_districts.geojson"
POPULATION_FILE = "ordos_population_2020.csv"
SEATS_FILE = "ordos_banner_seats.csv"
PLACES_FILE = "ordos_places_geonames.csv"
TOWNSHIPS_FILE = "ordos_townships_codes.csv"
CELLS_FILE = "population_cells.csv"
TOWNSHIP_SEATS_FILE = "townships_modelled.csv"
SPELLINGS_FILE = "place_spellings.csv"
FACILITIES_SAMPLE_FILE = "facilities_sample.csv"

# Tried in this order. GB18030 is a superset of GBK and GB2312, the defaults of Chinese Excel.
_ENCODINGS = ("utf-8", "gb18030")
_DELIMITERS = (",", "\t", ";")

# Characters that make a spreadsheet treat a text cell as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode file bytes as UTF-8 (with or without BOM) or GB18030/GBK.

    Parameters
    ----------
    data
        The raw file content.

    Returns
    -------
    tuple of (text, encoding)
        ``encoding`` is ``"utf-8-sig"`` when a BOM was present, else ``"utf-8"`` or ``"gb18030"``.

    Raises
    ------
    DataError
        When the bytes are neither valid UTF-8 nor valid GB18030.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            msg = (
                f"文件以 UTF-8 BOM 开头但第 {exc.start} 字节处不是合法 UTF-8;请另存为 UTF-8。 / "
                f"The file starts with a UTF-8 BOM but byte {exc.start} is not valid UTF-8; save it as UTF-8."
            )
            raise DataError(msg) from exc
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    msg = (
        "无法识别文件编码(支持 UTF-8、带 BOM 的 UTF-8、GB18030/GBK);请在 Excel 中另存为“CSV UTF-8”。 / "
        "Cannot decode the file (UTF-8, UTF-8 with BOM and GB18030/GBK are supported); "
        "save it from Excel as 'CSV UTF-8'."
    )
    raise DataError(msg)


def sniff_delimiter(text: str) -> str:
    """Return the field delimiter of a CSV text: comma, tab or semicolon.

    The delimiter that splits the header line into the most fields wins; ties go to the comma.
    """
    first_line = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] > 0 else ","


def read_table_text(text: str, *, delimiter: str | None = None) -> pd.DataFrame:
    """Parse CSV text into a DataFrame of strings (no type guessing, empty cells as "").

    Raises
    ------
    DataError
        When the text holds no header row.
    """
    if not text.strip():
        msg = "文件是空的。 / The file is empty."
        raise DataError(msg)
    sep = delimiter or sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=sep)
    try:
        rows = [row for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        msg = f"文件不是可读的表格:{exc}。 / The file is not a readable table: {exc}."
        raise DataError(msg) from exc
    if not rows:
        msg = "文件没有表头行。 / The file has no header row."
        raise DataError(msg)
    header = [h.strip() for h in rows[0]]
    width = len(header)
    body = [(row + [""] * width)[:width] for row in rows[1:]]
    return pd.DataFrame(body, columns=header, dtype=object)


def read_table_bytes(data: bytes) -> tuple[pd.DataFrame, str, str]:
    """Decode and parse CSV bytes; returns (table of strings, encoding, delimiter)."""
    text, encoding = decode_bytes(data)
    delimiter = sniff_delimiter(text)
    return read_table_text(text, delimiter=delimiter), encoding, delimiter


def _dataset(name: str, datasets_dir: Path | None) -> Path:
    return (datasets_dir or DATASETS_DIR) / name


def read_districts(datasets_dir: Path | None = None) -> gpd.GeoDataFrame:
    """The 9 county-level units of Ordos (adcode, name, name_en, geometry) in WGS84."""
    import geopandas as gpd

    gdf = gpd.read_file(_dataset(DISTRICTS_FILE, datasets_dir))
    gdf["adcode"] = gdf["adcode"].astype(int)
    return gdf.sort_values("adcode").reset_index(drop=True)


def read_district_names(datasets_dir: Path | None = None) -> pd.DataFrame:
    """The districts' attributes (adcode, name, name_en) without their outlines: what a table by
    district needs, read without the geometry stack (same rows and columns as ``read_districts``)."""
    collection = json.loads(_dataset(DISTRICTS_FILE, datasets_dir).read_text(encoding="utf-8"))
    table = pd.DataFrame([feature["properties"] for feature in collection["features"]])
    table["adcode"] = table["adcode"].astype(int)
    return table.sort_values("adcode").reset_index(drop=True)


def read_census(datasets_dir: Path | None = None) -> pd.DataFrame:
    """2020 census population and age shares per unit (row 150600 is the city total)."""
    return pd.read_csv(_dataset(POPULATION_FILE, datasets_dir))


def read_seats(datasets_dir: Path | None = None) -> pd.DataFrame:
    """Seat town of each banner/district with lon, lat (WGS84)."""
    return pd.read_csv(_dataset(SEATS_FILE, datasets_dir))


def read_places(datasets_dir: Path | None = None) -> pd.DataFrame:
    """GeoNames populated places inside Ordos with lon, lat (WGS84)."""
    return pd.read_csv(_dataset(PLACES_FILE, datasets_dir))


def read_townships(datasets_dir: Path | None = None) -> pd.DataFrame:
    """Township-level units: code, name, adcode (of their banner/district)."""
    df = pd.read_csv(_dataset(TOWNSHIPS_FILE, datasets_dir), dtype={"code": str})
    return df.rename(columns={"areaCode": "adcode"})[["code", "name", "adcode"]]


def read_township_seats(datasets_dir: Path | None = None) -> pd.DataFrame | None:
    """Modelled township seats (``code, name, adcode, lon, lat, kind``), or None when not shipped."""
    path = _dataset(TOWNSHIP_SEATS_FILE, datasets_dir)
    if not path.is_file():
        return None
    seats = pd.read_csv(path, dtype={"code": str})
    if "name" not in seats.columns:
        seats = seats.merge(read_townships(datasets_dir), on="code", how="left")
    return seats


def read_place_spellings(datasets_dir: Path | None = None) -> pd.DataFrame:
    """Conventional spellings of place names (``name, spellings``; spellings separated by ``;``)."""
    path = _dataset(SPELLINGS_FILE, datasets_dir)
    if not path.is_file():
        return pd.DataFrame({"name": pd.Series(dtype=str), "spellings": pd.Series(dtype=str)})
    return pd.read_csv(path, dtype=str, comment=None).fillna("")[["name", "spellings"]]


def read_modelled_townships(datasets_dir: Path | None = None) -> pd.DataFrame:
    """Modelled township seats (``code, name, adcode, lon, lat``; WGS84), labelled modelled."""
    df = pd.read_csv(_dataset(TOWNSHIP_SEATS_FILE, datasets_dir), dtype={"code": str})
    return df[["code", "name", "adcode", "lon", "lat"]]


def read_population_cells(path: Path | None = None) -> pd.DataFrame:
    """Demand cells (modelled sample unless a real file is given).

    Columns: ``cell_id, lon, lat, adcode, township_code, settlement, pop_total, pop_60plus, pop_0_3``.
    """
    df = pd.read_csv(path or _dataset(CELLS_FILE, None), dtype={"cell_id": str, "township_code": str})
    for col in ("pop_total", "pop_60plus", "pop_0_3", "adcode"):
        df[col] = df[col].astype(np.int64)
    return df


def read_facilities_csv(path: Path) -> pd.DataFrame:
    """Read a facility CSV that is already in the canonical contract (e.g. the shipped sample).

    User files go through ``geo.validate`` instead, which reports problems row by row.
    """
    text, _ = decode_bytes(Path(path).read_bytes())
    table = read_table_text(text)
    missing = [c for c in COLUMN_NAMES if c not in table.columns]
    if missing:
        msg = f"{path}: 缺少列 / missing columns: {', '.join(missing)}"
        raise DataError(msg)
    return coerce_facilities(table[list(COLUMN_NAMES)])


def coerce_facilities(table: pd.DataFrame) -> pd.DataFrame:
    """Give a facility table of strings the contract's dtypes (nullable ints, floats, text)."""
    out = pd.DataFrame(index=table.index)
    for col in COLUMNS:
        values = table[col.name] if col.name in table.columns else pd.Series("", index=table.index)
        if col.kind == "int":
            out[col.name] = pd.to_numeric(values.replace("", None), errors="raise").astype("Int64")
        elif col.kind == "float":
            out[col.name] = pd.to_numeric(values.replace("", None), errors="raise").astype(float)
        else:
            out[col.name] = values.fillna("").astype(str)
    return out.reset_index(drop=True)


def neutralise_formula(value: object) -> object:
    """Prefix a text cell with an apostrophe when a spreadsheet would run it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def facilities_csv_bytes(df: pd.DataFrame) -> bytes:
    """Facilities as CSV bytes: UTF-8 with BOM (Excel opens Chinese text right), formulas neutralised."""
    safe = df.copy()
    for col in safe.columns:
        if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = safe[col].map(neutralise_formula)
    return safe.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")


def facilities_geojson(df: pd.DataFrame) -> dict[str, Any]:
    """Facilities as a GeoJSON FeatureCollection (WGS84, lon/lat order)."""
    features = []
    for record in df.to_dict(orient="records"):
        props = {k: (None if pd.isna(v) else v) for k, v in record.items() if k not in ("lon", "lat")}
        for k, v in props.items():
            if isinstance(v, np.integer):
                props[k] = int(v)
            elif isinstance(v, np.floating):
                props[k] = float(v)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [float(record["lon"]), float(record["lat"])]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def write_json(path: Path, obj: Any) -> None:
    """Write JSON as UTF-8 with Chinese text kept readable."""
    Path(path).write_text(json.dumps(obj, ensure_ascii=False, indent=1), encoding="utf-8")
