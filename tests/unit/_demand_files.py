"""Population and boundary files written by the tests themselves (rasterio, GeoPandas), in several CRS."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
from affine import Affine
from pyproj import Transformer
from shapely.geometry import box

from geo.crs import wgs84_to_gcj02

# Boxes (WGS84 lon/lat) wholly inside one district each.
DONGSHENG_BOX = (109.95, 39.79, 110.00, 39.83)
KANGBASHI_BOX = (109.76, 39.59, 109.80, 39.62)
BEIJING_BOX = (116.30, 39.85, 116.45, 39.95)


def raster_bytes(
    values: np.ndarray,
    *,
    crs: str | None,
    origin: tuple[float, float],
    pixel: float,
    nodata: float | None = -99999.0,
    dtype: str = "float32",
) -> bytes:
    """A GeoTIFF of ``values`` (rows × cols, or bands × rows × cols) with its top-left corner at ``origin``."""
    arr = values if values.ndim == 3 else values[None, :, :]
    with rasterio.MemoryFile() as mem:
        with mem.open(
            driver="GTiff",
            width=arr.shape[2],
            height=arr.shape[1],
            count=arr.shape[0],
            dtype=dtype,
            crs=crs,
            transform=Affine(pixel, 0.0, origin[0], 0.0, -pixel, origin[1]),
            nodata=nodata,
        ) as ds:
            ds.write(arr.astype(dtype))
        return bytes(mem.read())


def raster_over(
    lonlat_box: tuple[float, float, float, float], *, crs: str, pixel_m: float, value: float = 5.0
) -> tuple[bytes, float]:
    """A uniform raster in ``crs`` covering ``lonlat_box``; returns its bytes and its total people."""
    to = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x0, y0, x1, y1 = to.transform_bounds(*lonlat_box)
    geographic = crs in ("EPSG:4326", "EPSG:4490")
    pixel = pixel_m / 111_000.0 if geographic else pixel_m
    cols = int((x1 - x0) / pixel)
    rows = int((y1 - y0) / pixel)
    values = np.full((rows, cols), value)
    return raster_bytes(values, crs=crs, origin=(x0, y1), pixel=pixel), float(values.sum())


def polygons_frame(
    boxes: list[tuple[float, float, float, float]], counts: list[float], **columns: list
) -> gpd.GeoDataFrame:
    """Polygons (WGS84) with a population column ``人口`` and any other columns."""
    return gpd.GeoDataFrame({"人口": counts, **columns}, geometry=[box(*b) for b in boxes], crs=4326)


def vector_bytes(gdf: gpd.GeoDataFrame, fmt: str, tmp_path: Path) -> bytes:
    """The frame as GeoJSON, GeoPackage or a zipped Shapefile."""
    if fmt == "geojson":
        buf = io.BytesIO()
        gdf.to_file(buf, driver="GeoJSON")
        return buf.getvalue()
    if fmt == "gpkg":
        path = tmp_path / "layer.gpkg"
        gdf.to_file(path, driver="GPKG", layer="population")
        return path.read_bytes()
    folder = tmp_path / "shp"
    folder.mkdir(exist_ok=True)
    gdf.to_file(folder / "villages.shp", encoding="utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(folder.iterdir()):
            archive.write(part, f"export/{part.name}")
    return buf.getvalue()


def to_gcj02(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The same polygons with their coordinates shifted to GCJ-02 (as AutoNavi gives them)."""
    import shapely

    def shift(xy: np.ndarray) -> np.ndarray:
        lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return gdf.set_geometry(shapely.transform(gdf.geometry.to_numpy(), shift), crs=4326)


def both_languages(text: str) -> bool:
    """Whether a message has Chinese and English in it."""
    has_zh = any("\u4e00" <= ch <= "\u9fff" for ch in text)
    has_en = any(ch.isascii() and ch.isalpha() for ch in text)
    return has_zh and has_en
