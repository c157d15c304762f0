"""The three ways into demand cells: a raster, polygons with counts, points. Called by ``validate_demand``.

Each reader checks the file feature by feature (or row by row, pixel window by window), clips what
lies outside Ordos and counts it, hands what is inside to ``geo.demand_spread`` and finishes with
``geo.demand.pieces_to_cells``. Problems are issues in the result, never exceptions (the caller
turns any that escape into an issue as well).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator, Sequence
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo import demand_io as dio
from geo.crs import ORDOS_METRIC_CRS, to_metric
from geo.demand import (
    ERROR,
    DemandIssue,
    DemandResult,
    DemandSettings,
    Ordos,
    census_age_issues,
    census_shares,
    check_totals,
    demand_issue,
    district_table,
    estimate_cells,
    feature_where,
    pieces_to_cells,
    row_where,
    split_polygons_by_district,
)
from geo.demand_spread import (
    PIECE_COLUMNS,
    latlng_cells,
    parts_per_side,
    spread_points,
    spread_polygons,
    subsample_offsets,
)
from geo.errors import DataError

# Column names recognised without an option (compared case- and punctuation-insensitively).
COUNT_NAMES: Final[tuple[str, ...]] = (
    "pop_total",
    "population",
    "pop",
    "total",
    "residents",
    "people",
    "人口",
    "总人口",
    "常住人口",
    "人口数",
    "户籍人口",
    "居民人数",
    "人数",
    "rks",
    "zrk",
)
AGE60_NAMES: Final[tuple[str, ...]] = (
    "pop_60plus",
    "60plus",
    "age60",
    "aged60",
    "60岁以上",
    "60岁及以上",
    "60岁以上人口",
    "60岁及以上人口",
    "老年人口",
)
AGE03_NAMES: Final[tuple[str, ...]] = (
    "pop_0_3",
    "0_3",
    "age0_3",
    "under3",
    "0-3岁",
    "0至3岁",
    "3岁以下",
    "婴幼儿",
    "婴幼儿人口",
)
HOUSEHOLD_NAMES: Final[tuple[str, ...]] = ("households", "户数", "住户数", "总户数")
HOUSEHOLD_SIZE_NAMES: Final[tuple[str, ...]] = ("household_size", "户均人口", "户均人数")
LON_NAMES: Final[tuple[str, ...]] = ("lon", "lng", "longitude", "经度", "x")
LAT_NAMES: Final[tuple[str, ...]] = ("lat", "latitude", "纬度", "y")
ID_NAMES: Final[tuple[str, ...]] = (
    "id",
    "code",
    "编号",
    "代码",
    "区划代码",
    "村代码",
    "社区代码",
    "xzqdm",
    "cjqydm",
    "village_code",
    "community_code",
)
NAME_NAMES: Final[tuple[str, ...]] = ("name", "名称", "小区", "小区名称", "社区", "村", "xzqmc", "cjqymc")

# Per-feature warnings listed one by one before they are only counted.
_MAX_LISTED: Final[int] = 50
# Sub-samples of a coarse raster read in all (each is one H3 look-up).
MAX_SAMPLES: Final[int] = 25_000_000


def fold_name(name: str) -> str:
    """A name folded for matching: NFKC, case-folded, without spaces, underscores, hyphens, dots, brackets."""
    text = unicodedata.normalize("NFKC", str(name)).strip().casefold()
    return re.sub(r"[\s_\-·.()（）]+", "", text)


def find_column(columns: Sequence[str], names: Sequence[str]) -> str | None:
    """The first of ``columns`` whose folded name is one of ``names``."""
    wanted = {fold_name(n) for n in names}
    for col in columns:
        if fold_name(col) in wanted:
            return str(col)
    return None


def _number(text: object) -> float | None:
    """A finite number from a cell (full-width digits and thousands separators accepted)."""
    if text is None:
        return None
    if isinstance(text, int | float | np.integer | np.floating):
        value = float(text)
        return value if math.isfinite(value) else None
    s = unicodedata.normalize("NFKC", str(text)).strip().replace(",", "")
    if not s:
        return None
    try:
        value = float(s)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return str(value).strip() == "" or value is pd.NA


def _bounds_text(bounds: Sequence[float]) -> str:
    x0, y0, x1, y1 = (float(b) for b in bounds)
    return f"({x0:.4f}, {y0:.4f}) – ({x1:.4f}, {y1:.4f})"


def _looks_like_degrees(bounds: Sequence[float]) -> bool:
    x0, y0, x1, y1 = (float(b) for b in bounds)
    return -180.0 <= x0 <= x1 <= 180.0 and -90.0 <= y0 <= y1 <= 90.0


def _crs_sanity(choice: dio.CrsChoice, bounds: Sequence[float]) -> list[DemandIssue]:
    """An error when the declared CRS cannot be the coordinates' (metres that look like degrees, …)."""
    if not all(math.isfinite(float(b)) for b in bounds):
        return []
    if choice.is_geographic and not _looks_like_degrees(bounds):
        return [demand_issue("crs_not_degrees", crs=choice.label, bounds=_bounds_text(bounds))]
    # Degrees read as metres put everything within 200 m of the projection's origin.
    if not choice.is_geographic and _looks_like_degrees(bounds):
        return [demand_issue("crs_mismatch", crs=choice.label, bounds=_bounds_text(bounds))]
    return []


def _choice(settings: DemandSettings) -> tuple[dio.CrsChoice | None, list[DemandIssue]]:
    if not settings.crs:
        return None, []
    try:
        return dio.parse_crs(settings.crs), []
    except DataError:
        return None, [demand_issue("bad_crs", value=settings.crs)]


def build(
    data: bytes,
    *,
    file_name: str,
    settings: DemandSettings,
    districts: gpd.GeoDataFrame,
    census: pd.DataFrame,
    weights: bytes | None,
    weights_name: str,
    base: dict[str, Any],
) -> DemandResult:
    """Read one demand file (see :func:`geo.demand.validate_demand`)."""
    limits = settings.limits
    if len(data) > limits.max_bytes:
        detail = (
            f"文件大小 {len(data) / 1024**2:.1f} MB,超过上限 {limits.max_bytes / 1024**2:.0f} MB",
            f"The file is {len(data) / 1024**2:.1f} MB, above the limit of {limits.max_bytes / 1024**2:.0f} MB",
        )
        return DemandResult([demand_issue("too_large", detail=detail[0], detail_en=detail[1])], **base)
    if not data.strip():
        return DemandResult([demand_issue("empty_file")], **base)
    fmt = dio.sniff_format(data, file_name)
    if fmt is None:
        return DemandResult([demand_issue("unknown_format")], **base)
    choice, issues = _choice(settings)
    if issues:
        return DemandResult(issues, **base)
    ctx = _Context(settings, Ordos.from_districts(districts), census_shares(census), base)
    if fmt == "geotiff":
        return _raster(data, choice, ctx)
    if fmt == "csv":
        return _points(data, choice, ctx)
    cell_weights: pd.Series | None = None
    if weights is not None:
        try:
            cell_weights = read_weights(weights, weights_name, settings=settings)
        except DataError as exc:
            reason = str(exc)
            return DemandResult(
                [demand_issue("weights_bad", value=weights_name, detail=reason, detail_en=reason)],
                kind="polygons",
                **base,
            )
    return _polygons(data, fmt, choice, ctx, cell_weights)


class _Context:
    def __init__(
        self, settings: DemandSettings, ordos: Ordos, shares: pd.DataFrame, base: dict[str, Any]
    ) -> None:
        self.settings = settings
        self.ordos = ordos
        self.shares = shares
        self.base = base

    def result(self, issues: list[DemandIssue], **kw: Any) -> DemandResult:
        return DemandResult(issues, **self.base, **kw)

    def finish(
        self,
        issues: list[DemandIssue],
        pieces: pd.DataFrame,
        *,
        before: pd.Series,
        people_in_file: float,
        people_outside: float,
        n_outside: int,
        what: tuple[str, str],
        extent: BaseGeometry | None,
        bounds_wgs84: Sequence[float],
        kind: str,
        crs: str,
    ) -> DemandResult:
        meta: dict[str, Any] = {
            "kind": kind,
            "crs": crs,
            "people_in_file": float(people_in_file),
            "people_outside": float(people_outside),
            "extent": extent,
        }
        if any(i.severity == ERROR for i in issues):
            return self.result(issues, **meta)
        if people_in_file <= 0:
            return self.result([*issues, demand_issue("no_people")], **meta)
        inside = people_in_file - people_outside
        if inside <= 0 or pieces.empty:
            return self.result(
                [*issues, demand_issue("outside_ordos", crs=crs, bounds=_bounds_text(bounds_wgs84))], **meta
            )
        if people_outside > 0:
            issues.append(
                demand_issue(
                    "partly_outside",
                    people=people_outside,
                    share=people_outside / people_in_file,
                    n=n_outside,
                    what_zh=what[0],
                    what_en=what[1],
                )
            )
        cells, sources = pieces_to_cells(pieces, ordos=self.ordos, shares=self.shares)
        table = district_table(cells, before, sources, ordos=self.ordos)
        issues.extend(census_age_issues(table))
        total_issues = check_totals(inside, float(cells["pop_total"].sum()))
        if total_issues:
            return self.result([*issues, *total_issues], districts=table, **meta)
        return self.result(issues, cells=cells, districts=table, **meta)


# ---------------------------------------------------------------------------------------------------
# Points


def _points(data: bytes, choice: dio.CrsChoice | None, ctx: _Context) -> DemandResult:
    settings = ctx.settings
    crs_choice = choice or dio.parse_crs("wgs84")
    meta = {"kind": "points", "crs": crs_choice.label}
    try:
        table, _ = dio.read_points_table(data)
    except DataError as exc:
        return ctx.result([demand_issue("unreadable", detail=str(exc))], **meta)
    if len(table) > settings.limits.max_rows:
        return ctx.result(
            [demand_issue("too_many_rows", n=len(table), limit=settings.limits.max_rows)], **meta
        )
    columns = [str(c) for c in table.columns]
    shown = ", ".join(columns[:30])
    lon_col, lat_col = find_column(columns, LON_NAMES), find_column(columns, LAT_NAMES)
    if lon_col is None or lat_col is None:
        return ctx.result([demand_issue("no_coordinates", columns=shown)], **meta)
    issues: list[DemandIssue] = []
    count_col, a60_col, a03_col, col_issues = _count_columns(columns, settings)
    issues.extend(col_issues)
    households_col = size_col = None
    if count_col is None and not col_issues:
        households_col = find_column(columns, HOUSEHOLD_NAMES)
        size_col = find_column(columns, HOUSEHOLD_SIZE_NAMES)
        if households_col is None:
            issues.append(demand_issue("no_count_column", columns=shown))
        elif size_col is None and settings.household_size is None:
            issues.append(demand_issue("no_household_size"))
    if issues:
        return ctx.result(issues, **meta)

    n = len(table)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    values = np.full((n, 3), np.nan)
    ok = np.ones(n, dtype=bool)
    for i, record in enumerate(table.to_dict(orient="records")):
        where = row_where(i + 2)
        x, y = _number(record[lon_col]), _number(record[lat_col])
        for col, v in ((lon_col, x), (lat_col, y)):
            if v is None:
                issues.append(demand_issue("bad_coordinate", where=where, column=col, value=record[col]))
                ok[i] = False
        if count_col is not None:
            total = _count(record[count_col], where, count_col, issues)
        else:
            assert households_col is not None
            households = _count(record[households_col], where, households_col, issues)
            size = settings.household_size
            if size_col is not None and not _is_blank(record[size_col]):
                size = _count(record[size_col], where, size_col, issues)
            total = None if households is None or size is None else households * size
        if total is None:
            ok[i] = False
            continue
        values[i, 0] = total
        for j, age_col in ((1, a60_col), (2, a03_col)):
            if age_col is not None:
                values[i, j] = _age(record[age_col], total, where, age_col, issues)
        if x is not None and y is not None:
            lon[i], lat[i] = x, y
    if any(i.severity == ERROR for i in issues):
        return ctx.result(issues, **meta)

    if crs_choice.special is None and crs_choice.crs is not None and not crs_choice.crs.is_geographic:
        sanity = _crs_sanity(crs_choice, (np.nanmin(lon), np.nanmin(lat), np.nanmax(lon), np.nanmax(lat)))
        if sanity:
            return ctx.result(sanity, **meta)
    wlon, wlat = dio.to_wgs84_xy(lon, lat, crs_choice)
    adcode = ctx.ordos.district_of_points(wlon, wlat)
    inside = adcode != 0
    outside_rows = np.flatnonzero(~inside)
    for r in outside_rows[:_MAX_LISTED]:
        issues.append(
            demand_issue(
                "outside_feature",
                where=row_where(int(r) + 2),
                value=f"{wlon[r]:.5f}, {wlat[r]:.5f}",
                what_zh="点",
                what_en="point",
                people=float(values[r, 0]),
            )
        )
    pieces = spread_points(wlon[inside], wlat[inside], values[inside], resolution=settings.resolution)
    before = pd.Series(values[inside, 0]).groupby(adcode[inside]).sum()
    touched = sorted(set(adcode[inside].tolist()))
    extent = shapely.union_all(
        ctx.ordos.districts.loc[ctx.ordos.districts["adcode"].isin(touched)].geometry.to_numpy()
    )
    return ctx.finish(
        issues,
        pieces,
        before=before,
        people_in_file=float(values[:, 0].sum()),
        people_outside=float(values[~inside, 0].sum()),
        n_outside=int(outside_rows.size),
        what=("点", "points"),
        extent=extent if touched else None,
        bounds_wgs84=(np.nanmin(wlon), np.nanmin(wlat), np.nanmax(wlon), np.nanmax(wlat)),
        kind="points",
        crs=crs_choice.label,
    )


def _count_columns(
    columns: Sequence[str], settings: DemandSettings
) -> tuple[str | None, str | None, str | None, list[DemandIssue]]:
    issues: list[DemandIssue] = []
    shown = ", ".join(str(c) for c in columns[:30])

    def given(name: str | None, fallback: Sequence[str]) -> str | None:
        if name is None:
            return find_column(columns, fallback)
        if name in columns:
            return name
        folded = find_column(columns, [name])
        if folded is None:
            issues.append(demand_issue("missing_column", value=name, columns=shown))
        return folded

    count = given(settings.count_column, COUNT_NAMES)
    a60 = given(settings.age60_column, AGE60_NAMES)
    a03 = given(settings.age0_3_column, AGE03_NAMES)
    return count, a60, a03, issues


def _count(value: object, where: str, column: str, issues: list[DemandIssue]) -> float | None:
    number = _number(value)
    if number is None:
        issues.append(demand_issue("not_numeric", where=where, column=column, value=value))
        return None
    if number < 0:
        issues.append(demand_issue("negative_count", where=where, column=column, value=value))
        return None
    return number


def _age(value: object, total: float, where: str, column: str, issues: list[DemandIssue]) -> float:
    if _is_blank(value):
        issues.append(demand_issue("age_blank", where=where, column=column))
        return float("nan")
    number = _count(value, where, column, issues)
    if number is None:
        return float("nan")
    if number > total + 1e-9:
        issues.append(demand_issue("age_above_total", where=where, column=column, value=value, total=total))
        return float("nan")
    return number


# ---------------------------------------------------------------------------------------------------
# Polygons


def vector_to_wgs84(
    gdf: gpd.GeoDataFrame, choice: dio.CrsChoice | None
) -> tuple[gpd.GeoDataFrame | None, str, list[DemandIssue]]:
    """The features in WGS84 as the user (``choice``) or the file says, with CRS sanity checks.

    Returns ``(features or None, the CRS as used, issues)``.
    """
    geoms = gdf.geometry
    valid = geoms[geoms.notna() & ~geoms.is_empty]
    bounds = valid.total_bounds if len(valid) else (np.nan,) * 4
    if choice is None:
        if gdf.crs is None:
            return None, "", [demand_issue("no_crs")]
        choice = dio.CrsChoice(dio.crs_label(gdf.crs), gdf.crs)
    sanity = _crs_sanity(choice, bounds)
    if sanity:
        return None, choice.label, sanity
    if choice.special is not None:
        special = choice.special

        def convert(xy: np.ndarray) -> np.ndarray:
            lon, lat = dio.to_wgs84_xy(xy[:, 0], xy[:, 1], dio.CrsChoice(special, None, special))
            return np.column_stack([lon, lat])

        out = gdf.set_geometry(shapely.transform(gdf.geometry.to_numpy(), convert), crs=None)
        return out.set_crs(4326, allow_override=True), choice.label, []
    assert choice.crs is not None
    return gdf.set_crs(choice.crs, allow_override=True).to_crs(4326), choice.label, []


def check_polygon(geom: BaseGeometry | None, where: str) -> tuple[BaseGeometry | None, list[DemandIssue]]:
    """A polygon checked and, when invalid, repaired (said so) or refused (said why)."""
    if geom is None or geom.is_empty:
        return None, [demand_issue("no_geometry", where=where)]
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        return None, [demand_issue("not_polygon", where=where, value=geom.geom_type)]
    if geom.is_valid:
        return geom, []
    reason = shapely.is_valid_reason(geom)
    repaired = shapely.make_valid(geom)
    polys = _polygonal_parts(repaired)
    before_km2 = abs(_metric_area(geom)) / 1e6
    if polys is None or polys.area <= 0:
        return None, [demand_issue("refused", where=where, value=reason)]
    after_km2 = _metric_area(polys) / 1e6
    return polys, [
        demand_issue("repaired", where=where, value=reason, area_km2=after_km2, before_km2=before_km2)
    ]


def _polygonal_parts(geom: BaseGeometry) -> BaseGeometry | None:
    if geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else None


def _metric_area(geom: BaseGeometry) -> float:
    return float(gpd.GeoSeries([geom], crs=4326).to_crs(ORDOS_METRIC_CRS).area.iloc[0])


def _polygons(
    data: bytes,
    fmt: dio.FileFormat,
    choice: dio.CrsChoice | None,
    ctx: _Context,
    cell_weights: pd.Series | None,
) -> DemandResult:
    settings = ctx.settings
    limits = settings.limits
    meta: dict[str, Any] = {"kind": "polygons"}
    try:
        raw = dio.read_vector(
            data,
            fmt,
            max_features=limits.max_features,
            zip_limits=zip_limits(settings),
            what=ctx.base["file_name"],
        )
    except dio.TooManyFeaturesError as exc:
        return ctx.result([demand_issue("too_many_features", n=exc.n_features, limit=exc.limit)], **meta)
    except DataError as exc:
        return ctx.result([demand_issue("unreadable", detail=str(exc))], **meta)
    if raw.empty:
        return ctx.result([demand_issue("no_people")], **meta)
    gdf, crs_text, issues = vector_to_wgs84(raw, choice)
    meta["crs"] = crs_text
    if gdf is None:
        return ctx.result(issues, **meta)
    columns = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    count_col, a60_col, a03_col, col_issues = _count_columns(columns, settings)
    if col_issues:
        return ctx.result(col_issues, **meta)
    if count_col is None:
        return ctx.result([demand_issue("no_count_column", columns=", ".join(columns[:30]))], **meta)

    n = len(gdf)
    values = np.full((n, 3), np.nan)
    geoms: list[BaseGeometry | None] = []
    records = gdf.drop(columns=gdf.geometry.name).to_dict(orient="records")
    for i, (record, geom) in enumerate(zip(records, gdf.geometry, strict=True)):
        where = feature_where(i + 1)
        total = _count(record[count_col], where, count_col, issues)
        if total is not None:
            values[i, 0] = total
            for j, col in ((1, a60_col), (2, a03_col)):
                if col is not None:
                    values[i, j] = _age(record[col], total, where, col, issues)
        checked, geom_issues = check_polygon(geom, where)
        issues.extend(geom_issues)
        geoms.append(checked)
    issues.extend(_duplicate_ids(gdf, columns))
    if any(i.severity == ERROR for i in issues):
        return ctx.result(issues, **meta)

    valid_geoms = [g for g in geoms if g is not None]
    bounds = shapely.total_bounds(np.asarray(valid_geoms, dtype=object))
    parts, source, adcode, share = split_polygons_by_district(valid_geoms, ordos=ctx.ordos)
    inside_share = pd.Series(share).groupby(source).sum().reindex(range(n), fill_value=0.0).to_numpy()
    inside_share = np.clip(inside_share, 0.0, 1.0)
    outside_people = values[:, 0] * (1.0 - inside_share)
    partly = np.flatnonzero(inside_share < 1.0 - 1e-9)
    for i in np.flatnonzero(inside_share <= 0.0)[:_MAX_LISTED]:
        issues.append(
            demand_issue(
                "outside_feature",
                where=feature_where(int(i) + 1),
                what_zh="面",
                what_en="polygon",
                people=float(values[i, 0]),
            )
        )
    part_areas = (
        gpd.GeoSeries(parts, crs=4326).to_crs(ORDOS_METRIC_CRS).area.to_numpy() if parts else np.zeros(0)
    )
    estimate = estimate_cells(part_areas, settings.resolution)
    if cell_weights is None and estimate > limits.max_cells:
        lower = max(8, settings.resolution - 1)
        issues.append(
            demand_issue(
                "too_many_cells",
                n=estimate,
                limit=limits.max_cells,
                resolution=settings.resolution,
                lower=lower,
            )
        )
        return ctx.result(issues, **meta)

    part_values = values[source] * share[:, None] if len(parts) else np.zeros((0, 3))
    spread = spread_polygons(parts, part_values, resolution=settings.resolution, cell_weights=cell_weights)
    for feature in sorted({int(source[p]) for p in spread.by_area})[:_MAX_LISTED]:
        issues.append(demand_issue("weights_by_area", where=feature_where(feature + 1)))
    before = pd.Series(part_values[:, 0] if len(parts) else []).groupby(adcode).sum()
    extent = shapely.union_all(np.asarray(valid_geoms, dtype=object))
    return ctx.finish(
        issues,
        spread.pieces,
        before=before,
        people_in_file=float(values[:, 0].sum()),
        people_outside=float(outside_people.sum()),
        n_outside=int(partly.size),
        what=("面", "polygons"),
        extent=extent,
        bounds_wgs84=bounds,
        kind="polygons",
        crs=crs_text,
    )


def _duplicate_ids(gdf: gpd.GeoDataFrame, columns: Sequence[str]) -> list[DemandIssue]:
    id_col = find_column(columns, ID_NAMES)
    if id_col is None:
        return []
    ids = gdf[id_col].map(lambda v: "" if _is_blank(v) else str(v).strip())
    first: dict[str, int] = {}
    issues = []
    for i, value in enumerate(ids):
        if not value:
            continue
        if value in first:
            other = first[value] + 1
            issues.append(
                demand_issue(
                    "duplicate_id",
                    where=feature_where(i + 1),
                    column=id_col,
                    value=value,
                    other_zh=f"要素 {other}",
                    other_en=f"in feature {other}",
                )
            )
        else:
            first[value] = i
    return issues


def zip_limits(settings: DemandSettings) -> dict[str, Any]:
    """The keyword arguments of ``geo.safeio.check_zip`` from the settings' limits."""
    limits = settings.limits
    return {
        "max_members": limits.max_zip_members,
        "max_uncompressed_bytes": limits.max_zip_bytes,
        "max_ratio": limits.max_zip_ratio,
    }


# ---------------------------------------------------------------------------------------------------
# Rasters


def _raster_choice(header: dio.RasterHeader, choice: dio.CrsChoice | None) -> dio.CrsChoice | None:
    if choice is not None:
        return choice
    if header.crs is None:
        return None
    return dio.CrsChoice(dio.crs_label(header.crs), header.crs)


def _pixel_area_m2(header: dio.RasterHeader, choice: dio.CrsChoice) -> float:
    """The area of the raster's middle pixel in square metres."""
    t = header.transform
    c, r = header.width / 2.0, header.height / 2.0
    cols = np.array([c, c + 1, c + 1, c])
    rows = np.array([r, r, r + 1, r + 1])
    x = t.c + cols * t.a + rows * t.b
    y = t.f + cols * t.d + rows * t.e
    lon, lat = dio.to_wgs84_xy(x, y, choice)
    xm, ym = to_metric(lon, lat)
    return float(shapely.Polygon(np.column_stack([xm, ym])).area)


def _footprint(header: dio.RasterHeader, choice: dio.CrsChoice) -> BaseGeometry:
    xy = dio.raster_footprint_xy(header)
    lon, lat = dio.to_wgs84_xy(xy[:, 0], xy[:, 1], choice)
    ring = np.column_stack([lon, lat])
    ring = ring[np.isfinite(ring).all(axis=1)]
    if len(ring) < 4:
        return shapely.Polygon()
    return shapely.make_valid(shapely.Polygon(ring))


def raster_samples(
    ds: Any,
    header: dio.RasterHeader,
    choice: dio.CrsChoice,
    *,
    bands: Sequence[int],
    k: int,
    negatives: list[tuple[int, int, float]],
    stats: dict[str, float],
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """WGS84 ``lon, lat`` of every part of every positive pixel and its values (one column per band).

    Pixels that are nodata, NaN or 0 are skipped; negative pixels are collected in ``negatives``
    (row, col, value) and skipped. ``stats`` gains ``valid`` (pixels with data) and ``sum`` (people).
    """
    t = header.transform
    offsets = subsample_offsets(k)
    per_part = 1.0 / (k * k)
    window_pixels = max(1, dio.WINDOW_PIXELS // (k * k))
    for window in dio.raster_windows(ds, max_pixels=window_pixels):
        arrays = [dio.read_window(ds, b, window) for b in bands]
        main = arrays[0]
        valid = np.isfinite(main)
        if header.nodata is not None:
            valid &= main != header.nodata
        stats["valid"] += float(valid.sum())
        negative = valid & (main < 0)
        if negative.any():
            rr, cc = np.nonzero(negative)
            for r0, c0 in zip(rr[:5], cc[:5], strict=False):
                negatives.append((int(r0 + window.row_off), int(c0), float(main[r0, c0])))
            stats["negative"] += float(negative.sum())
        positive = valid & (main > 0)
        if not positive.any():
            continue
        rows, cols = np.nonzero(positive)
        vals = np.column_stack([a[rows, cols] for a in arrays])
        stats["sum"] += float(vals[:, 0].sum())
        rows_f = rows.astype(np.float64) + window.row_off + 0.5
        cols_f = cols.astype(np.float64) + 0.5
        sub_c = (cols_f[:, None] + offsets[None, :, 0]).ravel()
        sub_r = (rows_f[:, None] + offsets[None, :, 1]).ravel()
        x = t.c + sub_c * t.a + sub_r * t.b
        y = t.f + sub_c * t.d + sub_r * t.e
        lon, lat = dio.to_wgs84_xy(x, y, choice)
        yield lon, lat, np.repeat(vals, k * k, axis=0) * per_part


def _raster(data: bytes, choice: dio.CrsChoice | None, ctx: _Context) -> DemandResult:
    meta: dict[str, Any] = {"kind": "raster"}
    try:
        with dio.open_raster(data) as ds:
            return _raster_open(ds, choice, ctx, meta)
    except DataError as exc:
        return ctx.result([demand_issue("unreadable", detail=str(exc))], **meta)


def _band(text: str | None, default: int | None, count: int, issues: list[DemandIssue]) -> int | None:
    if text is None:
        return default
    number = _number(text)
    if number is None or not float(number).is_integer() or not (1 <= int(number) <= count):
        issues.append(demand_issue("bad_band", value=text, count=count))
        return None
    return int(number)


def _raster_open(ds: Any, choice: dio.CrsChoice | None, ctx: _Context, meta: dict[str, Any]) -> DemandResult:
    settings = ctx.settings
    header = dio.raster_header(ds)
    if header.pixels > settings.limits.max_pixels:
        issue = demand_issue(
            "too_many_pixels",
            n=header.pixels,
            width=header.width,
            height=header.height,
            limit=settings.limits.max_pixels,
        )
        return ctx.result([issue], **meta)
    if header.transform.b != 0 or header.transform.d != 0:
        return ctx.result([demand_issue("rotated_raster")], **meta)
    issues: list[DemandIssue] = []
    count_band = _band(settings.count_column, 1, header.count, issues)
    a60_band = _band(settings.age60_column, None, header.count, issues)
    a03_band = _band(settings.age0_3_column, None, header.count, issues)
    if issues or count_band is None:
        return ctx.result(issues, **meta)
    use = _raster_choice(header, choice)
    if use is None:
        return ctx.result([demand_issue("no_crs")], **meta)
    meta["crs"] = use.label
    t = header.transform
    bounds = (
        min(t.c, t.c + header.width * t.a),
        min(t.f, t.f + header.height * t.e),
        max(t.c, t.c + header.width * t.a),
        max(t.f, t.f + header.height * t.e),
    )
    sanity = _crs_sanity(use, bounds)
    if sanity:
        return ctx.result(sanity, **meta)
    footprint = _footprint(header, use)
    if footprint.is_empty or not footprint.intersects(ctx.ordos.union_wgs84):
        fb = footprint.bounds if not footprint.is_empty else bounds
        return ctx.result([demand_issue("outside_ordos", crs=use.label, bounds=_bounds_text(fb))], **meta)

    k = parts_per_side(_pixel_area_m2(header, use), settings.resolution)
    while k > 1 and header.pixels * k * k > MAX_SAMPLES:
        k -= 1
    bands = [b for b in (count_band, a60_band, a03_band) if b is not None]
    negatives: list[tuple[int, int, float]] = []
    stats = {"valid": 0.0, "sum": 0.0, "negative": 0.0}
    chunks: list[pd.DataFrame] = []
    before_parts: list[pd.Series] = []
    outside = 0.0
    for lon, lat, vals in raster_samples(ds, header, use, bands=bands, k=k, negatives=negatives, stats=stats):
        adcode = ctx.ordos.district_of_points(lon, lat)
        inside = adcode != 0
        outside += float(vals[~inside, 0].sum())
        if not inside.any():
            continue
        full = np.full((int(inside.sum()), 3), np.nan)
        full[:, 0] = vals[inside, 0]
        col = 1
        if a60_band is not None:
            full[:, 1] = np.minimum(vals[inside, col], full[:, 0])
            col += 1
        if a03_band is not None:
            full[:, 2] = np.minimum(vals[inside, col], full[:, 0])
        cells = latlng_cells(lon[inside], lat[inside], settings.resolution)
        chunk = _pieces_by_cell(cells, full)
        chunks.append(chunk)
        before_parts.append(pd.Series(full[:, 0]).groupby(adcode[inside]).sum())
    if stats["negative"] > 0:
        r0, c0, v0 = negatives[0]
        issues.append(
            demand_issue(
                "negative_pixels",
                where=f"像元 pixel (row {r0}, col {c0})",
                n=int(stats["negative"]),
                value=v0,
            )
        )
        return ctx.result(issues, **meta)
    if stats["valid"] == 0:
        nodata = "NaN" if header.nodata is None else f"{header.nodata:g}"
        return ctx.result([demand_issue("all_nodata", value=nodata)], **meta)
    pieces = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame(columns=list(PIECE_COLUMNS))
    before = pd.concat(before_parts).groupby(level=0).sum() if before_parts else pd.Series(dtype=float)
    extent = shapely.intersection(footprint, ctx.ordos.union_wgs84)
    return ctx.finish(
        issues,
        pieces,
        before=before,
        people_in_file=stats["sum"],
        people_outside=outside,
        n_outside=0,
        what=("像元", "pixels"),
        extent=extent,
        bounds_wgs84=footprint.bounds,
        kind="raster",
        crs=use.label,
    )


def _pieces_by_cell(cells: np.ndarray, values: np.ndarray) -> pd.DataFrame:
    """Samples summed per cell (a window of a raster makes many samples per cell)."""
    known60 = ~np.isnan(values[:, 1])
    known03 = ~np.isnan(values[:, 2])
    frame = pd.DataFrame(
        {
            "cell": cells,
            "source": 0,
            "pop_total": values[:, 0],
            "a60": np.where(known60, np.nan_to_num(values[:, 1]), 0.0),
            "a60_base": np.where(known60, values[:, 0], 0.0),
            "a03": np.where(known03, np.nan_to_num(values[:, 2]), 0.0),
            "a03_base": np.where(known03, values[:, 0], 0.0),
        }
    )
    return frame.groupby("cell", as_index=False, sort=False).sum()


# ---------------------------------------------------------------------------------------------------
# Dasymetric weights


def read_weights(data: bytes, file_name: str, *, settings: DemandSettings) -> pd.Series:
    """Weight per H3 cell from a weights raster (pixel values) or a building layer (footprint area).

    Raises
    ------
    DataError
        When the file cannot be read, has no CRS, or holds no positive weight.
    """
    fmt = dio.sniff_format(data, file_name)
    if fmt == "geotiff":
        with dio.open_raster(data) as ds:
            header = dio.raster_header(ds)
            if header.pixels > settings.limits.max_pixels:
                msg = f"权重栅格像元过多 / weights raster too large: {header.pixels:,} pixels"
                raise DataError(msg)
            choice = _raster_choice(header, None)
            if choice is None:
                msg = "权重栅格没有坐标系 / the weights raster has no coordinate system"
                raise DataError(msg)
            k = parts_per_side(_pixel_area_m2(header, choice), settings.resolution)
            stats = {"valid": 0.0, "sum": 0.0, "negative": 0.0}
            sums: list[pd.Series] = []
            for lon, lat, vals in raster_samples(
                ds, header, choice, bands=[1], k=k, negatives=[], stats=stats
            ):
                cells = latlng_cells(lon, lat, settings.resolution)
                sums.append(pd.Series(vals[:, 0]).groupby(cells).sum())
    elif fmt in ("geojson", "gpkg", "zip"):
        gdf = dio.read_vector(
            data,
            fmt,
            max_features=settings.limits.max_features * 5,
            zip_limits=zip_limits(settings),
            what=file_name,
        )
        if gdf.crs is None:
            msg = "建筑图层没有坐标系 / the building layer has no coordinate system"
            raise DataError(msg)
        gdf = gdf.loc[gdf.geometry.notna() & ~gdf.geometry.is_empty]
        gdf = gdf.loc[gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"])].to_crs(4326)
        areas = gdf.to_crs(ORDOS_METRIC_CRS).area.to_numpy()
        centres = gdf.geometry.representative_point()
        cells = latlng_cells(centres.x.to_numpy(), centres.y.to_numpy(), settings.resolution)
        sums = [pd.Series(areas).groupby(cells).sum()]
    else:
        msg = (
            "权重文件应为 GeoTIFF 栅格或建筑面图层 / the weights file must be a GeoTIFF raster or a building "
            "polygon layer (GeoJSON, GeoPackage, zipped Shapefile)"
        )
        raise DataError(msg)
    weights = pd.concat(sums).groupby(level=0).sum() if sums else pd.Series(dtype=float)
    weights = weights.loc[weights > 0]
    if weights.empty:
        msg = "权重文件中没有正的权重 / the weights file holds no positive weight"
        raise DataError(msg)
    return weights
