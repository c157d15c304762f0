"""Township boundaries: checking an imported polygon layer, and which township each demand cell is in.

``validate_boundaries`` reads a GeoJSON, GeoPackage or zipped Shapefile of township-level polygons
(街道/镇/苏木/乡) and returns a :class:`BoundaryResult`; it never raises. Each polygon gets a name (from
``name_column`` or a usual name column such as ``name``, ``名称``, ``XZQMC``), a code (from
``code_column`` or ``XZQDM``…, else the national statistics code matched by name within its district,
else a code made from the district's adcode, said so) and the district holding most of it.

``assign_townships`` gives demand cells their township: the imported polygon holding the cell's centre;
where no polygon was imported for the cell's district, the nearest modelled township seat of that
district (the shipped ``townships_modelled.csv``), or the cell's own modelled code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geo import demand_io as dio
from geo.crs import ORDOS_METRIC_CRS, to_metric
from geo.demand import (
    ERROR,
    DemandIssue,
    DemandSettings,
    Ordos,
    demand_issue,
    feature_where,
)
from geo.demand_build import check_polygon, find_column, fold_name, vector_to_wgs84, zip_limits
from geo.errors import DataError
from geo.options import BOUNDARY_LEVELS as BOUNDARY_LEVELS
from geo.schema import BOUNDARY_COLUMNS as BOUNDARY_COLUMNS
from geo.severity import IssueCounts

__all__ = [
    "BOUNDARY_COLUMNS",
    "BOUNDARY_LEVELS",
    "BoundaryResult",
    "assign_townships",
    "validate_boundaries",
]


NAME_NAMES: Final[tuple[str, ...]] = (
    "name",
    "名称",
    "乡镇",
    "乡镇名称",
    "乡镇街道",
    "街道",
    "township",
    "xzqmc",
    "xzmc",
    "name_zh",
)
CODE_NAMES: Final[tuple[str, ...]] = (
    "code",
    "township_code",
    "代码",
    "编码",
    "区划代码",
    "行政区划代码",
    "统计用区划代码",
    "xzqdm",
    "xzdm",
)

# A cell centre this close to an imported township (a gap along a border) belongs to it.
SLIVER_M: Final[float] = 500.0
# Overlap between two imported townships beyond this share of the smaller one is reported.
OVERLAP_WARN_SHARE: Final[float] = 0.01

BOUNDARY_MESSAGES: Final[dict[str, tuple[str, str, str, str]]] = {
    "no_name_column": (
        "no_name_column",
        ERROR,
        "找不到乡镇名称列;请用 --name-column 指定(现有列:{columns})。",
        "No township name column found; name it with --name-column (columns: {columns}).",
    ),
    "blank_name": ("blank_name", ERROR, "乡镇名称为空。", "The township name is blank."),
    "duplicate_code": (
        "duplicate_code",
        ERROR,
        "乡镇代码“{value}”重复(也见于要素 {other});每个乡镇只能有一个面(多块请合并为 MultiPolygon)。",
        "The township code '{value}' repeats (also feature {other}); each township must be one feature "
        "(merge its parts into a MultiPolygon).",
    ),
    "code_made": (
        "code_made",
        "warning",
        "“{value}”不在国家统计用区划代码表中,也没有代码列;已给出代码 {code}。",
        "'{value}' is not in the national statistics code list and the file has no code column; "
        "it was given the code {code}.",
    ),
    "code_matched": (
        "code_matched",
        "warning",
        "文件没有代码列;乡镇代码按名称在{district_zh}内匹配统计用区划代码,{n} 个匹配成功。",
        "The file has no code column; township codes were matched by name to the statistics codes, "
        "{n} matched.",
    ),
    "outside_township": (
        "outside_ordos",
        "warning",
        "乡镇“{value}”位于鄂尔多斯以外,已忽略。",
        "The township '{value}' lies outside Ordos and was left out.",
    ),
    "overlap": (
        "overlap",
        "warning",
        "乡镇“{value}”与“{other}”重叠 {km2:.2f} km²;重叠处的网格归入其中一个。",
        "The townships '{value}' and '{other}' overlap by {km2:.2f} km²; cells there go to one of them.",
    ),
}


def _issue(
    key: str, *, where: str = "文件 file", column: str = "", value: Any = "", **params: Any
) -> DemandIssue:
    code, severity, zh, en = BOUNDARY_MESSAGES[key]
    text = str(value)
    return DemandIssue(
        where, column, code, severity, text, zh.format(value=text, **params), en.format(value=text, **params)
    )


@dataclass(frozen=True)
class BoundaryResult(IssueCounts):
    """The outcome of reading one boundary file.

    Attributes
    ----------
    issues
        Every problem found (errors stop the import).
    townships
        ``code, name, adcode, area_km2, geometry`` (WGS84, clipped to Ordos); empty with errors.
    level, file_name, sha256, crs
        What was read and how.
    name_column, code_column
        The columns used ("" when codes were matched or made).
    """

    issues: list[DemandIssue] = field(default_factory=list)
    townships: gpd.GeoDataFrame = field(
        default_factory=lambda: gpd.GeoDataFrame(
            {c: [] for c in BOUNDARY_COLUMNS[:-1]}, geometry=gpd.GeoSeries([], crs=4326), crs=4326
        )
    )
    level: str = "township"
    file_name: str = ""
    sha256: str = ""
    crs: str = ""
    name_column: str = ""
    code_column: str = ""

    def summary(self) -> pd.DataFrame:
        """Townships per district: ``adcode, townships, area_km2``."""
        t = self.townships
        if t.empty:
            return pd.DataFrame(columns=["adcode", "townships", "area_km2"])
        return (
            pd.DataFrame(t.drop(columns="geometry"))
            .groupby("adcode")
            .agg(townships=("code", "size"), area_km2=("area_km2", "sum"))
            .reset_index()
        )


def validate_boundaries(
    data: bytes,
    *,
    file_name: str,
    level: str = "township",
    name_column: str | None = None,
    code_column: str | None = None,
    crs: str | None = None,
    districts: gpd.GeoDataFrame | None = None,
    townships: pd.DataFrame | None = None,
    settings: DemandSettings | None = None,
) -> BoundaryResult:
    """Read a township boundary file; never raises.

    Parameters
    ----------
    data, file_name
        The file's bytes (GeoJSON, GeoPackage, zipped Shapefile) and name.
    level
        ``township`` (the only level so far).
    name_column, code_column
        The columns of the township's name and code; None to recognise them.
    crs
        The coordinates' system when the file does not say (see :class:`geo.demand.DemandSettings`).
    districts, townships
        :func:`geo.io.read_districts` and :func:`geo.io.read_townships` (default: the shipped files).
    settings
        Limits (``DemandSettings().limits`` by default).
    """
    from geo import io as gio

    base: dict[str, Any] = {
        "file_name": str(file_name),
        "sha256": hashlib.sha256(bytes(data)).hexdigest(),
        "level": level,
    }
    try:
        if level not in BOUNDARY_LEVELS:
            msg = f"--level 只支持 township,收到 {level}。 / --level must be township, got {level}."
            raise DataError(msg)
        return _build(
            bytes(data),
            name_column=name_column,
            code_column=code_column,
            crs=crs,
            ordos=Ordos.from_districts(districts if districts is not None else gio.read_districts()),
            codes=townships if townships is not None else gio.read_townships(),
            settings=settings or DemandSettings(),
            base=base,
        )
    except DataError as exc:
        return BoundaryResult([demand_issue("unreadable", detail=str(exc))], **base)
    except Exception as exc:  # the contract: report, never raise
        return BoundaryResult([demand_issue("internal_error", detail=f"{type(exc).__name__}: {exc}")], **base)


def _build(
    data: bytes,
    *,
    name_column: str | None,
    code_column: str | None,
    crs: str | None,
    ordos: Ordos,
    codes: pd.DataFrame,
    settings: DemandSettings,
    base: dict[str, Any],
) -> BoundaryResult:
    if not data.strip():
        return BoundaryResult([demand_issue("empty_file")], **base)
    fmt = dio.sniff_format(data, base["file_name"])
    if fmt not in ("geojson", "gpkg", "zip"):
        return BoundaryResult([demand_issue("unknown_format")], **base)
    try:
        raw = dio.read_vector(
            data,
            fmt,
            max_features=settings.limits.max_features,
            zip_limits=zip_limits(settings),
            what=base["file_name"],
        )
    except dio.TooManyFeaturesError as exc:
        return BoundaryResult([demand_issue("too_many_features", n=exc.n_features, limit=exc.limit)], **base)
    choice = dio.parse_crs(crs) if crs else None
    gdf, crs_text, issues = vector_to_wgs84(raw, choice)
    base["crs"] = crs_text
    if gdf is None:
        return BoundaryResult(issues, **base)
    columns = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    shown = ", ".join(columns[:30])
    name_col = _given(name_column, columns, NAME_NAMES, issues, shown)
    code_col = (
        _given(code_column, columns, CODE_NAMES, issues, shown)
        if code_column or find_column(columns, CODE_NAMES)
        else None
    )
    if name_col is None and not issues:
        issues.append(_issue("no_name_column", columns=shown))
    if issues:
        return BoundaryResult(issues, **base)
    assert name_col is not None

    names: list[str] = []
    given_codes: list[str] = []
    geoms: list[Any] = []
    for i, (record, geom) in enumerate(zip(gdf.to_dict(orient="records"), gdf.geometry, strict=True)):
        where = feature_where(i + 1)
        name = _text(record.get(name_col))
        if not name:
            issues.append(_issue("blank_name", where=where, column=name_col))
        names.append(name)
        given_codes.append(_code(record.get(code_col)) if code_col else "")
        checked, geom_issues = check_polygon(geom, where)
        issues.extend(geom_issues)
        geoms.append(checked)
    if any(i.severity == ERROR for i in issues):
        return BoundaryResult(issues, name_column=name_col, code_column=code_col or "", **base)

    # Clip to Ordos and find each township's district (the one holding most of it).
    metric = gpd.GeoSeries(geoms, crs=4326).to_crs(ORDOS_METRIC_CRS)
    inter = [
        shapely.area(shapely.intersection(g, ordos.metric.geometry.to_numpy()))
        if g is not None
        else np.zeros(len(ordos.metric))
        for g in metric
    ]
    adcodes = ordos.metric["adcode"].to_numpy()
    keep: list[int] = []
    district: list[int] = []
    for i, areas in enumerate(inter):
        if float(np.max(areas)) <= 0.0:
            issues.append(_issue("outside_township", where=feature_where(i + 1), value=names[i]))
            continue
        keep.append(i)
        district.append(int(adcodes[int(np.argmax(areas))]))
    if not keep:
        bounds = shapely.total_bounds(np.asarray([g for g in geoms if g is not None], dtype=object))
        return BoundaryResult(
            [*issues, demand_issue("outside_ordos", crs=crs_text, bounds=_bounds(bounds))], **base
        )

    final_codes = _codes(
        [names[i] for i in keep],
        [given_codes[i] for i in keep],
        district,
        codes,
        keep,
        issues,
        has_code_column=bool(code_col),
    )
    seen: dict[str, int] = {}
    for i, code in zip(keep, final_codes, strict=True):
        if code in seen:
            issues.append(
                _issue(
                    "duplicate_code",
                    where=feature_where(i + 1),
                    column=code_col or "",
                    value=code,
                    other=seen[code] + 1,
                )
            )
        else:
            seen[code] = i
    if any(i.severity == ERROR for i in issues):
        return BoundaryResult(issues, name_column=name_col, code_column=code_col or "", **base)

    clipped = [shapely.intersection(geoms[i], ordos.union_wgs84) for i in keep]
    clipped = [_polygonal(g) for g in clipped]
    out = gpd.GeoDataFrame(
        {
            "code": final_codes,
            "name": [names[i] for i in keep],
            "adcode": np.array(district, dtype=np.int64),
        },
        geometry=gpd.GeoSeries(clipped, crs=4326),
        crs=4326,
    )
    out["area_km2"] = out.to_crs(ORDOS_METRIC_CRS).area.to_numpy() / 1e6
    issues.extend(_overlaps(out))
    out = out[list(BOUNDARY_COLUMNS)]
    return BoundaryResult(issues, out, name_column=name_col, code_column=code_col or "", **base)


def _polygonal(geom: Any) -> Any:
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _bounds(bounds: Sequence[float]) -> str:
    x0, y0, x1, y1 = (float(b) for b in bounds)
    return f"({x0:.4f}, {y0:.4f}) – ({x1:.4f}, {y1:.4f})"


def _given(
    name: str | None, columns: Sequence[str], usual: Sequence[str], issues: list[DemandIssue], shown: str
) -> str | None:
    if name is None:
        return find_column(columns, usual)
    if name in columns:
        return name
    found = find_column(columns, [name])
    if found is None:
        issues.append(demand_issue("missing_column", value=name, columns=shown))
    return found


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


def _code(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _text(value)


def _codes(
    names: list[str],
    given: list[str],
    district: list[int],
    codes: pd.DataFrame,
    positions: list[int],
    issues: list[DemandIssue],
    *,
    has_code_column: bool,
) -> list[str]:
    """Given codes; else the statistics code of the same name in the district; else ``<adcode>B<nn>``."""
    table = codes.assign(code=codes["code"].astype(str), fold=codes["name"].map(fold_name))
    by_pair = {(int(a), f): c for a, f, c in zip(table["adcode"], table["fold"], table["code"], strict=True)}
    out: list[str] = []
    made: dict[int, int] = {}
    matched = 0
    for name, code, adcode, pos in zip(names, given, district, positions, strict=True):
        if code:
            out.append(code)
            continue
        found = by_pair.get((adcode, fold_name(name)))
        if found is not None:
            matched += 1
            out.append(found)
            continue
        made[adcode] = made.get(adcode, 0) + 1
        new = f"{adcode}B{made[adcode]:02d}"
        issues.append(_issue("code_made", where=feature_where(pos + 1), value=name, code=new))
        out.append(new)
    if not has_code_column and matched:
        issues.insert(0, _issue("code_matched", n=matched, district_zh="所在旗区"))
    return out


def _overlaps(townships: gpd.GeoDataFrame) -> list[DemandIssue]:
    metric = townships.to_crs(ORDOS_METRIC_CRS)
    geoms = metric.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    out = []
    for a, b in zip(left, right, strict=True):
        if a >= b:
            continue
        area = float(shapely.area(shapely.intersection(geoms[a], geoms[b])))
        smaller = min(float(geoms[a].area), float(geoms[b].area))
        if smaller > 0 and area > OVERLAP_WARN_SHARE * smaller:
            out.append(
                _issue(
                    "overlap",
                    value=townships["name"].iloc[a],
                    other=townships["name"].iloc[b],
                    km2=area / 1e6,
                )
            )
    return out


# ---------------------------------------------------------------------------------------------------
# Cells to townships


def assign_townships(
    cells: pd.DataFrame,
    boundaries: gpd.GeoDataFrame | None,
    *,
    seats: pd.DataFrame | None = None,
) -> pd.Series:
    """The township code of each demand cell.

    A cell whose centre lies in an imported polygon takes its code; one within
    :data:`SLIVER_M` of a polygon (a gap along a border) the nearest polygon's. Every other cell keeps
    its own modelled code, or takes the nearest modelled seat of its district, as long as that
    township has no imported polygon: modelled seats remain only where no polygons were loaded.

    Parameters
    ----------
    cells
        Demand cells (``lon, lat, adcode`` and, for the modelled sample, ``township_code``).
    boundaries
        Imported township polygons (``code, geometry``, WGS84), or None.
    seats
        Modelled township seats (``code, adcode, lon, lat``; ``datasets/townships_modelled.csv``).

    Returns
    -------
    pandas.Series
        Codes as text, aligned with ``cells``; "" where none can be given.
    """
    own = (
        cells["township_code"]
        .fillna("")
        .astype(str)
        .str.replace(r"\.0$", "", regex=True)
        .to_numpy(dtype=object)
        if "township_code" in cells.columns
        else np.full(len(cells), "", dtype=object)
    )
    codes = own.copy()
    lon = cells["lon"].to_numpy(dtype=np.float64)
    lat = cells["lat"].to_numpy(dtype=np.float64)
    adcode = cells["adcode"].to_numpy(dtype=np.int64)
    placed = np.zeros(len(cells), dtype=bool)
    imported: set[str] = set()
    if boundaries is not None and not boundaries.empty:
        poly_codes = boundaries["code"].astype(str).to_numpy()
        imported = set(poly_codes.tolist())
        metric = boundaries.to_crs(ORDOS_METRIC_CRS).geometry.to_numpy()
        tree = shapely.STRtree(metric)
        x_m, y_m = to_metric(lon, lat)
        points = shapely.points(x_m, y_m)
        pt_idx, poly_idx = tree.query(points, predicate="within")
        codes[pt_idx] = poly_codes[poly_idx]  # a cell in two overlapping townships takes the last
        placed[pt_idx] = True
        rest = np.flatnonzero(~placed)
        if rest.size:
            near_pt, near_poly = tree.query_nearest(points[rest], max_distance=SLIVER_M)
            codes[rest[near_pt]] = poly_codes[near_poly]
            placed[rest[near_pt]] = True
    todo = ~placed & np.array([c in imported or c == "" for c in codes], dtype=bool)
    codes[todo] = ""
    if todo.any() and seats is not None and not seats.empty:
        free = seats.loc[~seats["code"].astype(str).isin(imported)]
        if not free.empty:
            codes[todo] = _nearest_seat(lon[todo], lat[todo], adcode[todo], free)
    return pd.Series(codes, index=cells.index, dtype=object)


def _nearest_seat(lon: np.ndarray, lat: np.ndarray, adcode: np.ndarray, seats: pd.DataFrame) -> np.ndarray:
    out = np.full(len(lon), "", dtype=object)
    sx, sy = to_metric(seats["lon"].to_numpy(dtype=float), seats["lat"].to_numpy(dtype=float))
    cx, cy = to_metric(lon, lat)
    seat_codes = seats["code"].astype(str).to_numpy()
    seat_ad = seats["adcode"].astype(int).to_numpy()
    for a in np.unique(adcode):
        mask = seat_ad == a
        rows = np.flatnonzero(adcode == a)
        if not mask.any():
            continue
        _, idx = cKDTree(np.column_stack([sx[mask], sy[mask]])).query(np.column_stack([cx[rows], cy[rows]]))
        out[rows] = seat_codes[mask][np.atleast_1d(idx)]
    return out
