"""The demand and boundary layers coverage runs on, and the shipped sample that stands in for them.

The audit lines of demand and boundary versions, the layers as coverage reads them
(:class:`DemandLayers`) and the modelled sample (``datasets/population_cells.csv``) with its audit
line, in a module that needs no database: ``geo.demand_store`` keeps the versions in the store
(and re-exports these names), and a command that finds nothing imported reads :func:`sample_layers`
without loading SQLAlchemy (``geo.published``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

from geo import io as gio
from geo.options import DEFAULT_RESOLUTION
from geo.published import sha256_bytes
from geo.schema import DEMAND_COLUMNS

if TYPE_CHECKING:
    import geopandas as gpd


SAMPLE_NOTE: Final[str] = "modelled sample shipped in datasets/ (not real records)"


@dataclass(frozen=True)
class DemandVersion:
    """The audit line of one demand version (version 0 stands for the shipped sample, never stored)."""

    version: int
    created_at: str
    user_name: str
    action: str
    file_name: str
    sha256: str
    mode: str
    kind: str
    crs: str
    resolution: int
    restored_from: int | None
    cells: int
    pop_total: int
    pop_60plus: int
    pop_0_3: int
    modelled_people: int
    people_outside: float
    note: str

    @property
    def modelled(self) -> bool:
        """Whether any of the layer's people come from the modelled sample."""
        return self.modelled_people > 0

    @property
    def modelled_share(self) -> float:
        """The share (0–1) of the layer's people from the modelled sample."""
        return self.modelled_people / self.pop_total if self.pop_total else 0.0


@dataclass(frozen=True)
class BoundaryVersion:
    """The audit line of one boundary version."""

    version: int
    created_at: str
    user_name: str
    action: str
    level: str
    file_name: str
    sha256: str
    crs: str
    name_column: str
    code_column: str
    restored_from: int | None
    features: int
    note: str


def _sample_cells() -> pd.DataFrame:
    cells = gio.read_population_cells()
    cells["township_code"] = cells["township_code"].fillna("").astype(str)
    cells["settlement"] = cells["settlement"].fillna("").astype(str)
    cells["modelled_people"] = cells["pop_total"].astype(np.int64)
    return cells[[*DEMAND_COLUMNS, "modelled_people"]]


def sample_version(cells: pd.DataFrame | None = None) -> DemandVersion:
    """The audit line that describes the shipped modelled sample (as version 0, or 1 once recorded)."""
    c = cells if cells is not None else _sample_cells()
    path = gio.DATASETS_DIR / gio.CELLS_FILE
    return DemandVersion(
        version=0,
        created_at="",
        user_name="system",
        action="init",
        file_name=path.name,
        sha256=sha256_bytes(path.read_bytes()) if path.is_file() else "",
        mode="",
        kind="sample",
        crs="EPSG:4326",
        resolution=DEFAULT_RESOLUTION,
        restored_from=None,
        cells=len(c),
        pop_total=int(c["pop_total"].sum()),
        pop_60plus=int(c["pop_60plus"].sum()),
        pop_0_3=int(c["pop_0_3"].sum()),
        modelled_people=int(c["pop_total"].sum()),
        people_outside=0.0,
        note=SAMPLE_NOTE,
    )


@dataclass(frozen=True)
class DemandLayers:
    """What coverage runs on: the demand cells with their townships, and where each layer comes from.

    Attributes
    ----------
    cells
        Demand cells (:data:`geo.demand.DEMAND_COLUMNS` plus ``modelled_people``), ``township_code``
        from the imported boundaries where there are any, else the modelled assignment.
    demand
        The demand version's audit line (version 0: the shipped sample).
    boundaries
        Imported township polygons, or None.
    boundary
        Their audit line, or None.
    townships
        ``code, name, adcode`` of every township a table by township lists: the imported ones, and the
        statistics list's others (where modelled seats stand in).
    """

    cells: pd.DataFrame
    demand: DemandVersion
    boundaries: gpd.GeoDataFrame | None
    boundary: BoundaryVersion | None
    townships: pd.DataFrame


def sample_layers() -> DemandLayers:
    """The layers while no demand or boundaries are imported: the shipped sample's cells with their
    modelled townships, and the statistics list's townships."""
    cells = _sample_cells()
    # The sample's audit line is counted from the cells just read, not from a second read of the file.
    return DemandLayers(cells, sample_version(cells), None, None, gio.read_townships().reset_index(drop=True))
