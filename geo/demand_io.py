"""Reading population and boundary files: GeoTIFF rasters, GeoJSON, GeoPackage, zipped Shapefiles, CSV.

The only module of the demand import that parses file formats. Every file arrives as bytes already
read with a size limit (``geo.safeio.read_limited``); here the format is recognised by its content,
zip archives are checked by their directory before anything is unpacked (``geo.safeio.check_zip``),
a raster's dimensions and a vector file's feature count are checked from the header before any
pixel or geometry is read, and rasters are read in windows of bounded size.
"""

from __future__ import annotations

import contextlib
import csv
import json
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from typing import Any, Final, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from geo import io as gio
from geo.crs import to_wgs84
from geo.errors import DataError
from geo.safeio import check_zip
from geo.table_read import TableRefused, read_csv_text

FileFormat = Literal["geotiff", "zip", "gpkg", "geojson", "csv"]

_TIFF_MAGIC: Final[tuple[bytes, ...]] = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_SQLITE_MAGIC: Final[bytes] = b"SQLite format 3\x00"
_ZIP_MAGIC: Final[bytes] = b"PK\x03\x04"

# Pixels read at once from a raster (about 8 MB of float64 per band).
WINDOW_PIXELS: Final[int] = 1_000_000

SPECIAL_CRS: Final[tuple[str, ...]] = ("gcj02", "bd09")
"""Geographic systems without an EPSG code, converted by ``geo.crs`` (AutoNavi/Tencent, Baidu)."""


def sniff_format(data: bytes, file_name: str) -> FileFormat | None:
    """The format of a file from its first bytes (its name only breaks ties between text formats)."""
    head = data[:16]
    if head.startswith(_TIFF_MAGIC):
        return "geotiff"
    if head.startswith(_SQLITE_MAGIC):
        return "gpkg"
    if head.startswith(_ZIP_MAGIC):
        return "zip"
    text = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{"):
        return "geojson"
    if b"\x00" in data[:4096]:
        return None
    name = file_name.lower()
    if name.endswith((".geojson", ".json")):
        return "geojson"
    return "csv"


@dataclass(frozen=True)
class CrsChoice:
    """A coordinate system as the user names it: a pyproj CRS, or GCJ-02/BD-09 (geographic, no EPSG)."""

    label: str
    crs: CRS | None
    special: str | None = None

    @property
    def is_geographic(self) -> bool:
        """Whether coordinates are degrees."""
        return self.special is not None or (self.crs is not None and self.crs.is_geographic)


def parse_crs(text: str) -> CrsChoice:
    """``wgs84``, ``gcj02``, ``bd09`` or ``EPSG:n`` (any text pyproj understands) as a :class:`CrsChoice`.

    Raises
    ------
    DataError
        When the text names no coordinate system.
    """
    folded = "".join(ch for ch in str(text).strip().casefold() if ch not in "-_ ")
    if folded in ("gcj02",):
        return CrsChoice("gcj02", None, "gcj02")
    if folded in ("bd09", "bd09ll"):
        return CrsChoice("bd09", None, "bd09")
    if folded in ("wgs84", "4326", "epsg:4326"):
        return CrsChoice("EPSG:4326", CRS.from_epsg(4326))
    try:
        crs = CRS.from_user_input(str(text).strip())
    except CRSError as exc:
        msg = (
            f"坐标系“{text}”无法识别;请用 wgs84、gcj02、bd09 或 EPSG:编号(如 EPSG:4490)。 / "
            f"Unknown coordinate system '{text}'; use wgs84, gcj02, bd09 or EPSG:n (e.g. EPSG:4490)."
        )
        raise DataError(msg) from exc
    epsg = crs.to_epsg()
    return CrsChoice(f"EPSG:{epsg}" if epsg else crs.name, crs)


def crs_label(crs: CRS) -> str:
    """``EPSG:n`` when the CRS has a code, else its name."""
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else str(crs.name)


def to_wgs84_xy(x: np.ndarray, y: np.ndarray, choice: CrsChoice) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates in ``choice`` to WGS84 ``lon, lat``."""
    if choice.special is not None:
        lon, lat = to_wgs84(x, y, crs=choice.special)
        return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    assert choice.crs is not None
    transformer = Transformer.from_crs(choice.crs, CRS.from_epsg(4326), always_xy=True)
    lon, lat = transformer.transform(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


# ---------------------------------------------------------------------------------------------------
# Rasters


@dataclass(frozen=True)
class RasterHeader:
    """What a GeoTIFF's header says, read before any pixel."""

    width: int
    height: int
    count: int
    crs: CRS | None
    transform: Any
    nodata: float | None
    dtype: str

    @property
    def pixels(self) -> int:
        """width × height."""
        return self.width * self.height


@contextlib.contextmanager
def open_raster(data: bytes) -> Iterator[Any]:
    """An open rasterio dataset over the bytes of a GeoTIFF (in memory; nothing is written to disk).

    Raises
    ------
    DataError
        When the bytes are not a readable raster.
    """
    import rasterio
    from rasterio.errors import RasterioError
    from rasterio.io import MemoryFile

    try:
        with (
            rasterio.Env(GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR"),
            MemoryFile(data) as mem,
            mem.open() as ds,
        ):
            yield ds
    except RasterioError as exc:
        msg = f"不是可读的 GeoTIFF 栅格({exc})。 / Not a readable GeoTIFF raster ({exc})."
        raise DataError(msg) from exc


def raster_header(ds: Any) -> RasterHeader:
    """The header of an open raster."""
    crs = CRS.from_user_input(ds.crs.to_wkt()) if ds.crs is not None else None
    return RasterHeader(
        width=int(ds.width),
        height=int(ds.height),
        count=int(ds.count),
        crs=crs,
        transform=ds.transform,
        nodata=None if ds.nodata is None else float(ds.nodata),
        dtype=str(ds.dtypes[0]),
    )


def raster_windows(ds: Any, *, max_pixels: int = WINDOW_PIXELS) -> Iterator[Any]:
    """Windows of whole rows covering the raster, each at most ``max_pixels`` pixels (one row at least)."""
    from rasterio.windows import Window

    rows = max(1, max_pixels // max(1, int(ds.width)))
    for row0 in range(0, int(ds.height), rows):
        yield Window(0, row0, int(ds.width), min(rows, int(ds.height) - row0))


def read_window(ds: Any, band: int, window: Any) -> np.ndarray:
    """One band of a window as float64 (masked pixels not applied: the caller checks nodata)."""
    return np.asarray(ds.read(band, window=window), dtype=np.float64)


def raster_footprint_xy(header: RasterHeader, *, points_per_edge: int = 64) -> np.ndarray:
    """The raster's outline in its own CRS, densified so that it survives reprojection: ``(n, 2)``."""
    t = header.transform
    w, h = header.width, header.height
    steps = np.linspace(0.0, 1.0, points_per_edge)
    cols = np.concatenate(
        [steps * w, np.full(points_per_edge, w), (1 - steps) * w, np.zeros(points_per_edge)]
    )
    rows = np.concatenate(
        [np.zeros(points_per_edge), steps * h, np.full(points_per_edge, h), (1 - steps) * h]
    )
    x = t.c + cols * t.a + rows * t.b
    y = t.f + cols * t.d + rows * t.e
    return np.column_stack([x, y])


# ---------------------------------------------------------------------------------------------------
# Vectors


_SHAPEFILE_PARTS: Final[tuple[str, ...]] = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def _flat_shapefile_zip(data: bytes, zip_limits: dict[str, Any], what: str) -> bytes:
    """The one Shapefile of a zip, repacked in memory with its parts at the archive's root.

    The archive is checked by its directory first (member count, declared sizes, compression ratio).
    """
    check_zip(data, what=what, **zip_limits)
    with zipfile.ZipFile(BytesIO(data)) as archive:
        names = [n for n in archive.namelist() if n.lower().endswith(".shp") and not n.startswith("__MACOSX")]
        if not names:
            msg = (
                "压缩包里没有 .shp 文件;请把 Shapefile 的 .shp、.shx、.dbf、.prj 一起压缩上传。 / "
                "The zip holds no .shp file; zip a Shapefile's .shp, .shx, .dbf and .prj together."
            )
            raise DataError(msg)
        if len(names) > 1:
            msg = (
                f"压缩包里有 {len(names)} 个 Shapefile({', '.join(names[:5])});请每次只上传一个。 / "
                f"The zip holds {len(names)} Shapefiles ({', '.join(names[:5])}); upload one at a time."
            )
            raise DataError(msg)
        stem = names[0][:-4]
        out = BytesIO()
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as flat:
            for member in archive.namelist():
                suffix = member[len(stem) :].lower()
                if member.startswith(stem) and suffix in _SHAPEFILE_PARTS:
                    flat.writestr(f"layer{suffix}", archive.read(member))
    return out.getvalue()


def read_vector(
    data: bytes,
    fmt: FileFormat,
    *,
    max_features: int,
    zip_limits: dict[str, Any],
    what: str,
) -> gpd.GeoDataFrame:
    """A GeoJSON, GeoPackage (first layer with geometry) or zipped Shapefile as a GeoDataFrame.

    The feature count is read from the header (GeoJSON: counted by the driver) before any geometry.
    The CRS is the file's own; a GeoJSON without one is WGS84 (RFC 7946).

    Raises
    ------
    DataError
        When the file cannot be read, has no layer, or has more than ``max_features`` features
        (the error's ``n_features`` attribute holds the count).
    """
    raw = _flat_shapefile_zip(data, zip_limits, what) if fmt == "zip" else data
    layer: str | None = None
    try:
        with warnings.catch_warnings():
            # GDAL notes that an in-memory GeoPackage has no .gpkg extension; harmless here.
            warnings.simplefilter("ignore", RuntimeWarning)
            if fmt == "gpkg":
                layers = pyogrio.list_layers(BytesIO(raw))
                geometric = [str(name) for name, gtype in layers if gtype is not None]
                if not geometric:
                    msg = f"{what} 没有含几何的图层。 / {what} has no layer with geometry."
                    raise DataError(msg)
                layer = geometric[0]
            info = pyogrio.read_info(BytesIO(raw), layer=layer, force_feature_count=True)
            n = int(info.get("features") or 0)
            if n > max_features:
                raise TooManyFeaturesError(n, max_features)
            gdf = gpd.read_file(BytesIO(raw), layer=layer, engine="pyogrio")
    except DataError:
        raise
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, …
        # GDAL's words, without its in-memory path and its advice about driver prefixes.
        detail = re.sub(r"'?/vsimem/[^' ]*'?", "", str(exc)).split("; It might help")[0].strip(" .;")
        msg = f"{what} 无法读取(GDAL:{detail})。 / {what} cannot be read (GDAL: {detail})."
        raise DataError(msg) from exc
    if fmt == "geojson" and gdf.crs is None:
        gdf = gdf.set_crs(4326)
    return gdf


class TooManyFeaturesError(DataError):
    """A vector file holds more features than allowed."""

    def __init__(self, n_features: int, limit: int) -> None:
        self.n_features = n_features
        self.limit = limit
        msg = (
            f"文件有 {n_features:,} 个要素,超过上限 {limit:,}。 / "
            f"The file has {n_features:,} features, above the limit of {limit:,}."
        )
        super().__init__(msg)


@dataclass(frozen=True)
class PointsTable:
    """A points CSV read as strings, at most ``max_rows`` data rows of it.

    Attributes
    ----------
    table
        Header as written, cells as text; at most ``max_rows`` rows.
    numbers
        The spreadsheet row number of each kept row (header = 1; blank lines are skipped but counted).
    n_data
        Data rows in the file, kept or not (rows past the limit are counted, never parsed).
    encoding
        How the bytes were decoded.
    """

    table: pd.DataFrame
    numbers: list[int]
    n_data: int
    encoding: str


def read_points_table(data: bytes, *, max_rows: int) -> PointsTable:
    """A CSV of points as a table of strings (UTF-8 with or without BOM, GB18030/GBK), within ``max_rows``.

    Raises
    ------
    DataError
        When the bytes are not text, hold no header, have a header past the column limit, or are not CSV.
    """
    text, encoding = gio.decode_bytes(data)
    if not text.strip():
        msg = "文件是空的。 / The file is empty."
        raise DataError(msg)
    delimiter = gio.sniff_delimiter(text)
    try:
        table, numbers, n_data = read_csv_text(text.lstrip("\ufeff"), delimiter, max_rows=max_rows)
    except TableRefused as refused:
        raise DataError(f"{refused.issue.message_zh} / {refused.issue.message_en}") from None
    except csv.Error as exc:
        msg = f"文件不是可读的表格:{exc}。 / The file is not a readable table: {exc}."
        raise DataError(msg) from exc
    if table.columns.empty:
        msg = "文件没有表头行。 / The file has no header row."
        raise DataError(msg)
    # The reader's per-row count of cells past the header is not used here, and pandas deep-copies
    # ``attrs`` on every derived frame: a 200,000-element list copied at each step.
    table.attrs.clear()
    return PointsTable(table, numbers, n_data, encoding)


def geojson_has_crs_member(data: bytes) -> bool:
    """Whether a GeoJSON names a CRS (the old ``crs`` member); RFC 7946 files are WGS84 without one."""
    try:
        head = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(head, dict) and "crs" in head
