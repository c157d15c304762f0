"""Demand and boundary layers in the store: versions, history and restore, like facilities.

Every published demand layer is a numbered version holding all its cells (a snapshot), with an audit
line (who, when, file, SHA-256, mode, kind, CRS, resolution, totals, and how many people come from
the modelled sample). Until a real layer is imported the shipped modelled sample
(``datasets/population_cells.csv``) is the demand; the first import records the sample as version 1
first, so ``restore 1`` always leads back to it. Township boundaries are versioned the same way;
without any, townships are the modelled seats.

Publishing runs in one transaction and checks the version it was previewed against, as facility
publishing does: of two staff publishing at once, the second gets a ``ConflictError`` and nothing of
theirs is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from geo import io as gio
from geo.demand_layers import SAMPLE_NOTE as SAMPLE_NOTE
from geo.demand_layers import BoundaryVersion as BoundaryVersion
from geo.demand_layers import DemandLayers as DemandLayers
from geo.demand_layers import DemandVersion as DemandVersion
from geo.demand_layers import _sample_cells, sample_layers
from geo.demand_layers import sample_version as sample_version
from geo.demand_tables import boundary_polygons, boundary_versions, demand_cells, demand_versions
from geo.errors import DataError, NotFoundError
from geo.options import DEMAND_MODES as DEMAND_MODES
from geo.schema import BOUNDARY_COLUMNS, DEMAND_COLUMNS
from geo.store import _now, conflict_error

# The geometry stack (geopandas, shapely) and the importers' modules load only when boundaries are
# read or written, not for the demand cells every coverage run reads.
if TYPE_CHECKING:
    import geopandas as gpd

    from geo.boundaries import BoundaryResult
    from geo.demand import DemandResult

__all__ = [
    "DEMAND_MODES",
    "BoundaryVersion",
    "DemandVersion",
    "LayerStore",
]


class LayerStore:
    """Read and publish demand and boundary versions in the database of a facility store.

    Parameters
    ----------
    engine
        The store's engine (``FacilityStore.engine``), whose schema ``geo.migrate`` has brought to the
        newest revision (``open_store`` does).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = engine.execution_options(carecircle_write=True)

    # --- demand: reading ------------------------------------------------------------------------

    def demand_version(self) -> int | None:
        """The newest demand version, or None while the shipped sample is the demand."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.max(demand_versions.c.version))).scalar()

    def demand_info(self, version: int | None = None) -> DemandVersion:
        """The audit line of a demand version (default: the newest; the sample's while none)."""
        with self.engine.connect() as conn:
            if version is None:
                version = conn.execute(sa.select(sa.func.max(demand_versions.c.version))).scalar()
                if version is None:
                    return sample_version()
            row = (
                conn.execute(sa.select(demand_versions).where(demand_versions.c.version == version))
                .mappings()
                .first()
            )
        if row is None:
            raise _missing("需求", "demand", version)
        return DemandVersion(**dict(row))

    def demand(self, version: int | None = None) -> pd.DataFrame:
        """The demand cells of a version (default: the newest; the shipped sample while none).

        Returns
        -------
        pandas.DataFrame
            :data:`geo.demand.DEMAND_COLUMNS` plus ``modelled_people``.
        """
        with self.engine.connect() as conn:
            if version is None:
                version = conn.execute(sa.select(sa.func.max(demand_versions.c.version))).scalar()
                if version is None:
                    return _sample_cells()
            exists = conn.execute(
                sa.select(demand_versions.c.version).where(demand_versions.c.version == version)
            ).scalar()
            if exists is None:
                raise _missing("需求", "demand", version)
            return _cells(conn, int(version))

    def demand_history(self) -> list[DemandVersion]:
        """Every demand version's audit line, newest first (empty while the sample is the demand)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(demand_versions).order_by(demand_versions.c.version.desc())
            ).mappings()
            return [DemandVersion(**dict(r)) for r in rows]

    def demand_preview(self, result: DemandResult, *, mode: str) -> pd.DataFrame:
        """The cells publishing ``result`` in ``mode`` would give (nothing is written)."""
        base = self.demand()
        info = self.demand_info()
        return _combine(base, info, result, mode)

    # --- demand: writing ------------------------------------------------------------------------

    def publish_demand(
        self,
        result: DemandResult,
        *,
        mode: str,
        user_name: str,
        base_version: int | None,
        note: str = "",
    ) -> DemandVersion:
        """Publish a checked demand file as a new version, in one transaction.

        Parameters
        ----------
        result
            A :class:`geo.demand.DemandResult` without errors.
        mode
            ``replace`` (the file is the whole layer) or ``patch`` (it replaces the layer only inside
            the file's extent; the resolution must be the layer's).
        user_name
            Recorded in the audit line.
        base_version
            The demand version the caller previewed against (None: the sample); when the store moved
            on since, nothing is written and ``ConflictError`` is raised.

        Raises
        ------
        DataError
            When the result has errors or no cells, the mode is unknown, or a patch's resolution
            differs from the layer's.
        ConflictError
            When another demand publish happened after ``base_version``.
        """
        if mode not in DEMAND_MODES:
            msg = (
                f"--mode 只能是 replace 或 patch,收到 {mode}。 / --mode must be replace or patch, got {mode}."
            )
            raise DataError(msg)
        if result.has_errors or result.cells.empty:
            msg = "文件有错误或没有人口,未发布。 / The file has errors or no people; nothing was published."
            raise DataError(msg)
        try:
            with self._writer.begin() as conn:
                current = conn.execute(sa.select(sa.func.max(demand_versions.c.version))).scalar()
                if current != base_version:
                    raise conflict_error(base_version, current, what_zh="图层", what_en="The layer")
                if current is None:
                    sample = _sample_cells()
                    base_info = sample_version(sample)
                    base_info = _replace(base_info, version=1, created_at=_now())
                    _insert_demand(conn, base_info, sample)
                    base_cells, current = sample, 1
                else:
                    base_cells = _cells(conn, int(current))
                    base_info = _version(conn, int(current))
                cells = _combine(base_cells, base_info, result, mode)
                info = DemandVersion(
                    version=int(current) + 1,
                    created_at=_now(),
                    user_name=user_name,
                    action="import",
                    file_name=result.file_name,
                    sha256=result.sha256,
                    mode=mode,
                    kind=result.kind,
                    crs=result.crs,
                    resolution=result.resolution,
                    restored_from=None,
                    cells=len(cells),
                    pop_total=int(cells["pop_total"].sum()),
                    pop_60plus=int(cells["pop_60plus"].sum()),
                    pop_0_3=int(cells["pop_0_3"].sum()),
                    modelled_people=int(cells["modelled_people"].sum()),
                    people_outside=float(result.people_outside),
                    note=note,
                )
                _insert_demand(conn, info, cells)
        except IntegrityError as exc:
            raise conflict_error(base_version, None, what_zh="图层", what_en="The layer") from exc
        return info

    def restore_demand(self, version: int, *, user_name: str) -> DemandVersion:
        """Publish the cells of an earlier demand version again as a new version."""
        with self._writer.begin() as conn:
            current = conn.execute(sa.select(sa.func.max(demand_versions.c.version))).scalar()
            if current is None:
                msg = (
                    "还没有导入过需求数据;当前就是模拟样本。 / No demand has been imported yet; the demand is "
                    "the modelled sample already."
                )
                raise NotFoundError(msg)
            old = _version(conn, version)
            cells = _cells(conn, version)
            info = _replace(
                old,
                version=int(current) + 1,
                created_at=_now(),
                user_name=user_name,
                action="restore",
                mode="",
                restored_from=version,
                note=f"restore of demand version {version}",
            )
            _insert_demand(conn, info, cells)
        return info

    # --- boundaries -----------------------------------------------------------------------------

    def boundary_version(self) -> int | None:
        """The newest boundary version, or None while none was imported (modelled seats)."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.max(boundary_versions.c.version))).scalar()

    def boundary_info(self, version: int | None = None) -> BoundaryVersion | None:
        """The audit line of a boundary version (default: newest; None while none)."""
        with self.engine.connect() as conn:
            if version is None:
                version = conn.execute(sa.select(sa.func.max(boundary_versions.c.version))).scalar()
                if version is None:
                    return None
            row = (
                conn.execute(sa.select(boundary_versions).where(boundary_versions.c.version == version))
                .mappings()
                .first()
            )
        if row is None:
            raise _missing("边界", "boundary", version)
        return BoundaryVersion(**dict(row))

    def boundaries(self, version: int | None = None) -> gpd.GeoDataFrame | None:
        """The township polygons of a version (default: newest), or None while none was imported."""
        info = self.boundary_info(version)
        if info is None:
            return None
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(boundary_polygons)
                .where(boundary_polygons.c.version == info.version)
                .order_by(boundary_polygons.c.code)
            ).mappings()
            frame = pd.DataFrame([dict(r) for r in rows])
        import geopandas as gpd
        import shapely

        geometry = gpd.GeoSeries(shapely.from_wkt(frame["geometry_wkt"].to_numpy()), crs=4326)
        out = gpd.GeoDataFrame(frame.drop(columns=["version", "geometry_wkt"]), geometry=geometry, crs=4326)
        out["adcode"] = out["adcode"].astype(np.int64)
        return out[list(BOUNDARY_COLUMNS)]

    def boundary_history(self) -> list[BoundaryVersion]:
        """Every boundary version's audit line, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(boundary_versions).order_by(boundary_versions.c.version.desc())
            ).mappings()
            return [BoundaryVersion(**dict(r)) for r in rows]

    def publish_boundaries(
        self, result: BoundaryResult, *, user_name: str, base_version: int | None, note: str = ""
    ) -> BoundaryVersion:
        """Publish a checked boundary file as a new version (it replaces the township layer whole).

        Raises
        ------
        DataError
            When the result has errors or no township.
        ConflictError
            When another boundary publish happened after ``base_version``.
        """
        if result.has_errors or result.townships.empty:
            msg = "文件有错误或没有乡镇,未发布。 / The file has errors or no township; nothing was published."
            raise DataError(msg)
        try:
            with self._writer.begin() as conn:
                current = conn.execute(sa.select(sa.func.max(boundary_versions.c.version))).scalar()
                if current != base_version:
                    raise conflict_error(base_version, current, what_zh="图层", what_en="The layer")
                info = BoundaryVersion(
                    version=(current or 0) + 1,
                    created_at=_now(),
                    user_name=user_name,
                    action="import",
                    level=result.level,
                    file_name=result.file_name,
                    sha256=result.sha256,
                    crs=result.crs,
                    name_column=result.name_column,
                    code_column=result.code_column,
                    restored_from=None,
                    features=len(result.townships),
                    note=note,
                )
                _insert_boundaries(conn, info, result.townships)
        except IntegrityError as exc:
            raise conflict_error(base_version, None, what_zh="图层", what_en="The layer") from exc
        return info

    def restore_boundaries(self, version: int, *, user_name: str) -> BoundaryVersion:
        """Publish the polygons of an earlier boundary version again as a new version."""
        old = self.boundary_info(version)
        polygons = self.boundaries(version)
        assert old is not None and polygons is not None
        with self._writer.begin() as conn:
            current = conn.execute(sa.select(sa.func.max(boundary_versions.c.version))).scalar()
            info = _replace(
                old,
                version=int(current or 0) + 1,
                created_at=_now(),
                user_name=user_name,
                action="restore",
                restored_from=version,
                note=f"restore of boundary version {version}",
            )
            _insert_boundaries(conn, info, polygons)
        return info

    # --- cache key ------------------------------------------------------------------------------

    def layers_key(self) -> str:
        """Changes whenever a demand or boundary version is published (part of ``data_version``)."""
        return f"d{self.demand_version() or 0}b{self.boundary_version() or 0}"


def _replace(obj: Any, **changes: Any) -> Any:
    from dataclasses import replace

    return replace(obj, **changes)


def _combine(base: pd.DataFrame, base_info: DemandVersion, result: DemandResult, mode: str) -> pd.DataFrame:
    new = result.cells.copy()
    new["modelled_people"] = 0
    new = new[[*DEMAND_COLUMNS, "modelled_people"]]
    if mode == "replace":
        return new.sort_values("cell_id").reset_index(drop=True)
    if result.resolution != base_info.resolution:
        msg = (
            f"补丁方式要求与现有需求图层相同的分辨率 {base_info.resolution}(文件按 {result.resolution} 处理);"
            f"请用 --resolution {base_info.resolution},或用 --mode replace 替换整个图层。 / "
            f"A patch must use the layer's resolution {base_info.resolution} (the file was read at "
            f"{result.resolution}); use --resolution {base_info.resolution} or replace the whole layer "
            "with --mode replace."
        )
        raise DataError(msg)
    if result.extent is None:
        msg = "文件没有可用的范围,无法补丁。 / The file has no extent to patch."
        raise DataError(msg)
    from geo.demand import patch_cells

    return patch_cells(base, new, result.extent)


def _cells(conn: Connection, version: int) -> pd.DataFrame:
    columns = [demand_cells.c[c] for c in (*DEMAND_COLUMNS, "modelled_people")]
    rows = conn.execute(
        sa.select(*columns).where(demand_cells.c.version == version).order_by(demand_cells.c.cell_id)
    ).fetchall()
    df = pd.DataFrame(rows, columns=[*DEMAND_COLUMNS, "modelled_people"])
    for c in ("adcode", "pop_total", "pop_60plus", "pop_0_3", "modelled_people"):
        df[c] = df[c].astype(np.int64)
    for c in ("lon", "lat"):
        df[c] = df[c].astype(np.float64)
    for c in ("cell_id", "township_code", "settlement"):
        df[c] = df[c].fillna("").astype(str)
    return df


def _version(conn: Connection, version: int) -> DemandVersion:
    row = (
        conn.execute(sa.select(demand_versions).where(demand_versions.c.version == version))
        .mappings()
        .first()
    )
    if row is None:
        raise _missing("需求", "demand", version)
    return DemandVersion(**dict(row))


_CHUNK_ROWS: Final[int] = 20_000


def _insert_demand(conn: Connection, info: DemandVersion, cells: pd.DataFrame) -> None:
    conn.execute(demand_versions.insert().values(**info.__dict__))
    frame = cells[[*DEMAND_COLUMNS, "modelled_people"]]
    records = [
        {
            "version": info.version,
            "cell_id": str(r[0]),
            "lon": float(r[1]),
            "lat": float(r[2]),
            "adcode": int(r[3]),
            "township_code": str(r[4] or ""),
            "settlement": str(r[5] or ""),
            "pop_total": int(r[6]),
            "pop_60plus": int(r[7]),
            "pop_0_3": int(r[8]),
            "modelled_people": int(r[9]),
        }
        for r in frame.itertuples(index=False, name=None)
    ]
    for start in range(0, len(records), _CHUNK_ROWS):
        conn.execute(demand_cells.insert(), records[start : start + _CHUNK_ROWS])


def _insert_boundaries(conn: Connection, info: BoundaryVersion, polygons: gpd.GeoDataFrame) -> None:
    conn.execute(boundary_versions.insert().values(**info.__dict__))
    import shapely

    wkt = shapely.to_wkt(polygons.geometry.to_numpy(), rounding_precision=7)
    records = [
        {
            "version": info.version,
            "code": str(code),
            "name": str(name),
            "adcode": int(adcode),
            "area_km2": float(area),
            "geometry_wkt": str(w),
        }
        for code, name, adcode, area, w in zip(
            polygons["code"], polygons["name"], polygons["adcode"], polygons["area_km2"], wkt, strict=True
        )
    ]
    if records:
        conn.execute(boundary_polygons.insert(), records)


def _missing(zh: str, en: str, version: int | None) -> NotFoundError:
    msg = f"{zh}版本 {version} 不存在。 / The {en} version {version} does not exist."
    return NotFoundError(msg)


def layer_store(engine: Engine) -> LayerStore:
    """The :class:`LayerStore` of an engine."""
    return LayerStore(engine)


def layers_key(engine: Engine) -> str:
    """Changes whenever a demand or boundary version is published (see ``FacilityStore.data_version``)."""
    return layer_store(engine).layers_key()


def load_layers(engine: Engine) -> DemandLayers:
    """The newest demand and boundary layers of a database, ready for ``geo.coverage``."""
    store = layer_store(engine)
    version = store.demand_version()
    boundaries = store.boundaries()
    if version is None and boundaries is None:
        return sample_layers()
    cells = store.demand(version)
    # The sample's audit line is counted from the cells just read, not from a second read of the file.
    info = sample_version(cells) if version is None else store.demand_info(version)
    boundary = store.boundary_info() if boundaries is not None else None
    names = gio.read_townships()
    if boundaries is not None:
        from geo.boundaries import assign_townships

        seats = gio.read_modelled_townships()
        cells = cells.assign(township_code=assign_townships(cells, boundaries, seats=seats).to_numpy())
        imported = set(boundaries["code"].astype(str))
        names = pd.concat(
            [
                pd.DataFrame(boundaries[["code", "name", "adcode"]]),
                names.loc[~names["code"].astype(str).isin(imported)],
            ],
            ignore_index=True,
        )
    elif info.kind != "sample":
        from geo.boundaries import assign_townships

        seats = gio.read_modelled_townships()
        cells = cells.assign(township_code=assign_townships(cells, None, seats=seats).to_numpy())
    return DemandLayers(cells, info, boundaries, boundary, names.reset_index(drop=True))
