"""What a planning report computes, from the coverage functions' outputs (no text here).

:func:`compute` runs the coverage model for the report's settings — coverage per district and per
township with capacity-aware access (2SFCA), the 15-minute figures, children's places per 1,000, the
largest gaps, suggested sites and, with a scenario, its before/after figures and the cells it gains
and loses — and returns them as :class:`Numbers`. :mod:`geo.report` writes them in one language.
The inputs are tables (:class:`ReportData`), never file names, so imported demand and boundaries are
reported the same way as the shipped sample.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geo import coverage as cov
from geo import fmt
from geo import scenarios as sc
from geo.context import data_block
from geo.crs import to_metric
from geo.errors import DataError
from geo.schema import FACILITY_TYPES
from geo.siting import suggest_sites
from geo.travel import TravelModel, check_budget

__all__ = [
    "GOAL_MIN",
    "Numbers",
    "ReportData",
    "ReportSettings",
    "check_district",
    "compute",
    "edit_extent",
    "nearest_cells",
]

GOAL_MIN: Final[float] = 15.0
"""The 一刻钟 (15-minute) service circle: the goal every figure is set against."""
GAP_HORIZON_FACTOR: Final[float] = 4.0
GAP_HORIZON_MAX_MIN: Final[float] = 120.0
"""How far the nearest facility of a gap cell is searched: 4 × the budget, at most 2 hours."""

# ---------------------------------------------------------------------------------------------------
# Settings and inputs


@dataclass(frozen=True)
class ReportSettings:
    """What the report covers.

    Parameters
    ----------
    types : tuple of str
        Facility type codes (or Chinese labels) whose coverage is reported.
    budget_min : float
        Time budget (minutes).
    lang : {"zh", "en"}
        The report's one language.
    target : str, optional
        ``total``, ``60plus``, ``0_3`` or a population column: whose gaps are listed and mapped and
        whom the suggestions serve (default: 60+ for elderly types, 0–3 for child types).
    district : int, optional
        Adcode of one district (banner); None for the whole city.
    n_suggestions : int
        New sites to suggest (0: none).
    suggest_type : str, optional
        Type the suggestions are for (default: the first of ``types``).
    solver : {"greedy", "exact"}
        Siting solver.
    time_limit_s : float
        Time limit of the exact solver (seconds).
    min_separation_m : float
        Candidates closer than this to an open facility of the type are left out (metres).
    n_gaps : int
        Gap cells listed.
    title : str, optional
        Report title (default: built from the scope and the types).
    """

    types: tuple[str, ...]
    budget_min: float = GOAL_MIN
    lang: str = "zh"
    target: str | None = None
    district: int | None = None
    n_suggestions: int = 5
    suggest_type: str | None = None
    solver: str = "greedy"
    time_limit_s: float = 30.0
    min_separation_m: float = 0.0
    n_gaps: int = 20
    title: str | None = None

    def __post_init__(self) -> None:
        types = tuple(cov.parse_types(list(self.types)))
        object.__setattr__(self, "types", types)
        object.__setattr__(self, "lang", fmt.check_lang(self.lang))
        target = cov.default_target(types) if self.target is None else cov.parse_target(self.target)
        object.__setattr__(self, "target", target)
        object.__setattr__(self, "budget_min", check_budget(self.budget_min))
        if self.suggest_type is not None:
            object.__setattr__(self, "suggest_type", cov.parse_types(self.suggest_type)[0])
        if self.n_suggestions < 0 or self.n_gaps < 0:
            msg = (
                f"建议数和缺口数不能为负(收到 {self.n_suggestions}、{self.n_gaps})。 / "
                f"n_suggestions and n_gaps must be 0 or more, got {self.n_suggestions} and {self.n_gaps}."
            )
            raise DataError(msg)
        if self.solver not in ("greedy", "exact"):
            msg = f"求解方法应为 greedy 或 exact,收到 {self.solver!r}。 / solver: expected greedy or exact, got {self.solver!r}."
            raise DataError(msg)

    @property
    def target_col(self) -> str:
        """The target population column (``pop_60plus`` …)."""
        return str(self.target)


@dataclass(frozen=True)
class ReportData:
    """The tables a report is computed from (read by the caller; nothing here touches files).

    Parameters
    ----------
    cells : pandas.DataFrame
        Demand cells (``cell_id, lon, lat, adcode, township_code, settlement`` and the groups).
    facilities : pandas.DataFrame
        The published facility table (the state the report describes).
    model : TravelModel
        The travel model.
    districts : geopandas.GeoDataFrame
        ``adcode, name, name_en, geometry`` (WGS84).
    townships : pandas.DataFrame
        ``code, name, adcode``.
    township_seats : pandas.DataFrame, optional
        ``code, lon, lat`` of township seats (to say where a gap is).
    boundaries : geopandas.GeoDataFrame, optional
        Imported township polygons (``code, name, adcode, geometry``, WGS84): drawn on the maps, and
        their centres stand for the township in the names of gaps and sites. None while only the
        modelled seats are known.
    version : int, optional
        The published facility version.
    data : dict, optional
        The ``data`` provenance block (:func:`geo.provenance.data_block` of the store; default:
        :func:`geo.context.data_block` of the tables given).
    """

    cells: pd.DataFrame
    facilities: pd.DataFrame
    model: TravelModel
    districts: gpd.GeoDataFrame
    townships: pd.DataFrame
    township_seats: pd.DataFrame | None = None
    boundaries: gpd.GeoDataFrame | None = None
    version: int | None = None
    data: dict[str, dict[str, Any]] | None = field(default=None, repr=False)

    def data_block(self) -> dict[str, dict[str, Any]]:
        """The provenance block (given, or made from the facilities, cells and model)."""
        if self.data is not None:
            return self.data
        boundaries = None
        if self.boundaries is not None:
            boundaries = {
                "version": None,
                "source": "",
                "modelled": False,
                "level": "township",
                "townships": len(self.boundaries),
            }
        return data_block(
            self.facilities,
            version=self.version,
            model_description=self.model.describe(),
            cells=self.cells,
            boundaries=boundaries,
        )

    def centres(self) -> pd.DataFrame:
        """Township centres for naming places: imported polygons' centres, then seats, then the
        population-weighted centres of the cells (:func:`geo.places.township_centres`)."""
        from geo.places import township_centres

        return township_centres(self.cells, self.township_seats, polygons=self.boundaries)


def check_district(districts: pd.DataFrame, district: int | None) -> None:
    """A bilingual :class:`DataError` listing the adcodes when ``district`` is not one of them."""
    if district is None:
        return
    known = {int(a): str(n) for a, n in zip(districts["adcode"], districts["name"], strict=True)}
    if int(district) not in known:
        listing = "、".join(f"{a} {n}" for a, n in sorted(known.items()))
        msg = (
            f"未知的行政区划代码 {district};可用 city(全市)或:{listing}。 / "
            f"Unknown adcode {district}; use city or one of: {', '.join(map(str, sorted(known)))}."
        )
        raise DataError(msg)


# ---------------------------------------------------------------------------------------------------
# Numbers


@dataclass
class Numbers:
    """Everything computed for the report (raw numbers; text comes later)."""

    access: pd.DataFrame
    districts: pd.DataFrame
    townships: pd.DataFrame
    totals: dict[str, Any]
    goal_totals: dict[str, float]
    in_scope: np.ndarray
    gaps: pd.DataFrame
    uncovered: pd.DataFrame
    nursery: dict[str, float]
    suggestions: pd.DataFrame | None
    siting: dict[str, Any]
    scenario_compare: pd.DataFrame | None
    scenario_totals: dict[str, Any] | None
    applied: pd.DataFrame | None
    changed: dict[str, pd.DataFrame] = field(default_factory=dict)


def _scope_mask(cells: pd.DataFrame, district: int | None) -> np.ndarray:
    if district is None:
        return np.ones(len(cells), dtype=bool)
    return (cells["adcode"].to_numpy() == int(district)).astype(bool)


def _goal_shares(cells: pd.DataFrame, access: pd.DataFrame, in_scope: np.ndarray) -> dict[str, float]:
    column = f"covered_{GOAL_MIN:g}"
    covered = access[column].to_numpy(bool) if column in access.columns else access["covered"].to_numpy(bool)
    out = {}
    for g in cov.GROUPS:
        people = cells[g].to_numpy(float)[in_scope]
        total = people.sum()
        out[g] = float(people[covered[in_scope]].sum() / total) if total > 0 else float("nan")
    return out


def _nursery(
    cells: pd.DataFrame, facilities: pd.DataFrame, in_scope: np.ndarray, district: int | None
) -> dict[str, float]:
    """Children's places (open child-care facilities counted in places) per 1,000 residents in scope."""
    child_types = [code for code, ftype in FACILITY_TYPES.items() if ftype.category == "child"]
    chosen = cov.select_facilities(facilities, child_types)
    units = chosen["capacity_unit"].fillna("").astype(str) if "capacity_unit" in chosen.columns else None
    places = (
        pd.to_numeric(chosen["capacity"], errors="coerce").fillna(0.0)
        if "capacity" in chosen.columns
        else None
    )
    if places is None:
        total_places = 0.0
    else:
        keep = np.ones(len(chosen), dtype=bool) if units is None else (units.isin(["places", ""])).to_numpy()
        if district is not None:
            keep = keep & (
                pd.to_numeric(chosen["district_adcode"], errors="coerce").to_numpy() == int(district)
            )
        total_places = float(places.to_numpy()[keep].sum())
    residents = float(cells["pop_total"].to_numpy(float)[in_scope].sum())
    per_1000 = 1000.0 * total_places / residents if residents > 0 else float("nan")
    return {
        "places": total_places,
        "per_1000": per_1000,
        "national": cov.NATIONAL_NURSERY_PLACES_PER_1000,
        "ordos_2024": cov.ORDOS_NURSERY_PLACES_PER_1000,
    }


def nearest_cells(cells: pd.DataFrame, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    cx, cy = to_metric(cells["lon"].to_numpy(float), cells["lat"].to_numpy(float))
    px, py = to_metric(np.asarray(lon, float), np.asarray(lat, float))
    _, idx = cKDTree(np.column_stack([np.atleast_1d(cx), np.atleast_1d(cy)])).query(
        np.column_stack([np.atleast_1d(px), np.atleast_1d(py)])
    )
    return np.atleast_1d(idx)


def compute(
    data: ReportData,
    settings: ReportSettings,
    *,
    scenario: sc.Scenario | None,
    suggestions: pd.DataFrame | None,
) -> Numbers:
    cells, facilities, model = data.cells, data.facilities, data.model
    types, budget, target = list(settings.types), settings.budget_min, settings.target_col
    names = pd.DataFrame(
        {"adcode": data.districts["adcode"].astype(int), "name": data.districts["name"].astype(str)}
    )
    tiers = () if budget == GOAL_MIN else (GOAL_MIN,)
    # Search beyond the budget so the gap list can say how far the nearest facility is.
    horizon = min(GAP_HORIZON_FACTOR * budget, GAP_HORIZON_MAX_MIN)
    access = cov.cell_access(
        cells, facilities, model, types=types, budget_min=budget, tiers_min=tiers, horizon_min=horizon
    )
    fca = cov.two_step_fca(cells, facilities, model, types=types, budget_min=budget, demand_col=target)
    by_district = cov.area_table(cells, access, facilities, by="district", types=types, names=names, fca=fca)
    by_township = cov.area_table(
        cells, access, facilities, by="township", types=types, names=data.townships, fca=fca
    )
    district = settings.district
    in_scope = _scope_mask(cells, district)
    if district is None:
        totals = cov.area_totals(by_district)
    else:
        totals = cov.area_totals(by_district[by_district["adcode"] == int(district)])
        by_township = by_township[by_township["adcode"] == int(district)]
    by_township = by_township[(by_township["pop_total"] > 0) | (by_township["facilities"] > 0)]

    scoped_cells = cells.loc[in_scope]
    gaps = cov.gap_list(
        scoped_cells,
        access.loc[in_scope],
        target=target,
        top=settings.n_gaps,
        districts=names,
        townships=data.townships,
    )
    people = cells[target].to_numpy(float)
    uncovered_mask = in_scope & ~access["covered"].to_numpy(bool) & (people > 0)
    uncovered = pd.DataFrame(
        {"cell_id": cells["cell_id"].to_numpy()[uncovered_mask], "people": people[uncovered_mask]}
    )

    applied = None
    scenario_compare = scenario_totals = None
    changed: dict[str, pd.DataFrame] = {}
    if scenario is not None:
        applied = sc.apply(facilities, scenario)
        base_sum = sc.evaluate(
            cells, facilities, model, types=types, budget_min=budget, target=target, name="base", names=names
        )
        scn_sum = sc.evaluate(
            cells, applied, model, types=types, budget_min=budget, target=target, name="scenario", names=names
        )
        scenario_compare = sc.compare(base_sum, [scn_sum])
        for key, mask in (
            ("gained", scn_sum.covered & ~base_sum.covered),
            ("lost", base_sum.covered & ~scn_sum.covered),
        ):
            keep = mask & in_scope & (people > 0)
            changed[key] = pd.DataFrame(
                {"cell_id": cells["cell_id"].to_numpy()[keep], "people": people[keep]}
            )
        scenario_totals = (
            scn_sum.totals
            if district is None
            else cov.area_totals(scn_sum.districts[scn_sum.districts["adcode"] == int(district)])
        )

    siting: dict[str, Any] = {}
    if suggestions is None and settings.n_suggestions > 0:
        found = suggest_sites(
            scoped_cells,
            applied if applied is not None else facilities,
            model,
            facility_type=settings.suggest_type or types[0],
            n_new=settings.n_suggestions,
            budget_min=budget,
            target=target,
            solver=settings.solver,  # type: ignore[arg-type]
            time_limit_s=settings.time_limit_s,
            min_separation_m=settings.min_separation_m,
            townships=data.townships,
        )
        suggestions = found.table
        res = found.result
        siting = {
            "method": res.method,
            "status": res.status,
            "gap": res.optimality_gap,
            "candidates": found.settings.get("n_candidates"),
            "baseline": res.baseline_covered,
            "total": res.total_demand,
        }
    if suggestions is not None and not suggestions.empty:
        idx = nearest_cells(cells, suggestions["lon"].to_numpy(float), suggestions["lat"].to_numpy(float))
        near = cells.iloc[idx].reset_index(drop=True)
        suggestions = suggestions.reset_index(drop=True).assign(
            township_code=near.get("township_code"), settlement=near.get("settlement"), adcode=near["adcode"]
        )
    return Numbers(
        access=access,
        districts=by_district,
        townships=by_township,
        totals=totals,
        goal_totals=_goal_shares(cells, access, in_scope),
        in_scope=in_scope,
        gaps=gaps,
        uncovered=uncovered,
        nursery=_nursery(cells, facilities, in_scope, district),
        suggestions=suggestions if suggestions is not None and not suggestions.empty else None,
        siting=siting,
        scenario_compare=scenario_compare,
        scenario_totals=scenario_totals,
        applied=applied,
        changed=changed,
    )


def edit_extent(
    scenario: sc.Scenario, changed: dict[str, pd.DataFrame]
) -> tuple[float, float, float, float] | None:
    """WGS84 box around the scenario's points and the cells it changes, at least 20 km across."""
    lon = [float(e.lon) for e in scenario.edits if e.lon is not None]
    lat = [float(e.lat) for e in scenario.edits if e.lat is not None]
    for frame in changed.values():
        for cell_id in frame.get("cell_id", pd.Series(dtype=object)):
            cell_lat, cell_lon = h3.cell_to_latlng(str(cell_id))
            lon.append(cell_lon)
            lat.append(cell_lat)
    if not lon:
        return None
    half_lon, half_lat = 0.12, 0.09  # about 10 km each way at Ordos' latitude
    cx, cy = (min(lon) + max(lon)) / 2, (min(lat) + max(lat)) / 2
    half_lon = max(half_lon, (max(lon) - min(lon)) / 2 * 1.15)
    half_lat = max(half_lat, (max(lat) - min(lat)) / 2 * 1.15)
    return (cx - half_lon, cy - half_lat, cx + half_lon, cy + half_lat)
