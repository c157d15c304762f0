"""What-if scenarios: open, move or close facilities on paper and see the coverage change at once.

A :class:`Scenario` is a name and an ordered list of edits (add a facility at a point, move one, close
one) on top of a base facility table, usually the published one. Scenarios never touch the store:
:func:`apply` returns a new table and leaves the base as it was. :func:`evaluate` gives the covered
shares of all residents, people aged 60+ and children 0-3, city-wide and per district, for one table;
:func:`compare` puts up to three scenarios next to the base with the people each gains and loses.

Scenarios are saved as small JSON files (default folder ``data/scenarios/``) so a planner can reopen
them; :func:`save_scenario` and :func:`load_scenario` are the only functions here that touch files.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.spatial import cKDTree

from geo import coverage as cov
from geo.crs import in_ordos_bounds, to_metric
from geo.errors import DataError, NotFoundError
from geo.io import REPO_ROOT, write_json
from geo.safeio import read_limited
from geo.schema import FACILITY_TYPES
from geo.travel import TravelModel, check_budget

__all__ = [
    "MAX_COMPARED",
    "SCENARIOS_DIR",
    "Edit",
    "Scenario",
    "ScenarioSummary",
    "apply",
    "compare",
    "evaluate",
    "list_scenarios",
    "load_scenario",
    "parse_scenario",
    "save_scenario",
    "scenario_file_name",
    "why_no_effect",
]

SCENARIOS_DIR: Final[Path] = REPO_ROOT / "data" / "scenarios"
"""Default folder of saved scenarios (next to the default SQLite database, outside git)."""

MAX_COMPARED: Final[int] = 3
"""How many scenarios :func:`compare` puts next to the base."""

MAX_FILE_BYTES: Final[int] = 2 * 1024 * 1024
"""Largest scenario file read (a scenario of 1,000 edits is about 150 kB)."""
MAX_EDITS: Final[int] = 5_000
"""Most edits a scenario file may hold."""

FILE_FORMAT: Final[str] = "carecircle-scenario"
FILE_FORMAT_VERSION: Final[int] = 1

EditAction = Literal["add", "move", "close"]
ACTIONS: Final[tuple[str, ...]] = ("add", "move", "close")

#: Column of the applied table saying what a scenario did to each row ("" = untouched).
EDIT_COLUMN: Final[str] = "scenario_edit"
CITY_ADCODE: Final[int] = 150600
CITY_NAME: Final[str] = "全市 / city"


@dataclass(frozen=True)
class Edit:
    """One change of a scenario.

    Parameters
    ----------
    action : {"add", "move", "close"}
        Open a new facility at ``lon, lat``; move facility ``facility_id`` to ``lon, lat``; close it.
    facility_id : str
        The facility moved or closed; for ``add`` an optional id (default ``SCN-<n>``).
    lon, lat : float, optional
        WGS84 degrees (``add`` and ``move``), inside Ordos.
    facility_type : str
        Type code of an added facility (Chinese labels accepted).
    capacity : float, optional
        Capacity of an added facility in its type's unit (beds, places, seats).
    name : str
        Name of an added facility.
    """

    action: EditAction
    facility_id: str = ""
    lon: float | None = None
    lat: float | None = None
    facility_type: str = ""
    capacity: float | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            msg = (
                f"action 应为 add(新增)、move(移动)或 close(关闭),收到 {self.action!r}。 / "
                f"action: got {self.action!r}; expected one of {', '.join(ACTIONS)}."
            )
            raise DataError(msg)
        if self.action in ("add", "move"):
            if self.lon is None or self.lat is None:
                msg = (
                    f"{self.action} 需要经纬度 lon、lat(WGS84 度)。 / "
                    f"{self.action}: lon and lat (WGS84 degrees) are required."
                )
                raise DataError(msg)
            lon, lat = _number(self.lon, "lon"), _number(self.lat, "lat")
            if not (math.isfinite(lon) and math.isfinite(lat) and in_ordos_bounds(lon, lat)):
                msg = (
                    f"位置 ({self.lon}, {self.lat}) 不在鄂尔多斯市范围内(应为 WGS84 经度、纬度)。 / "
                    f"{self.action}: point ({self.lon}, {self.lat}) is not a WGS84 lon, lat inside Ordos."
                )
                raise DataError(msg)
            object.__setattr__(self, "lon", lon)
            object.__setattr__(self, "lat", lat)
        if self.action in ("move", "close") and not str(self.facility_id).strip():
            msg = f"{self.action} 需要设施编号 facility_id。 / {self.action}: facility_id is required."
            raise DataError(msg)
        if self.action == "add":
            codes = cov.parse_types(self.facility_type)
            if len(codes) != 1:
                msg = (
                    f"新增设施只能有一种类型,收到 {self.facility_type!r}。 / "
                    f"add: got facility_type {self.facility_type!r}; expected one type."
                )
                raise DataError(msg)
            object.__setattr__(self, "facility_type", codes[0])
            if self.capacity is not None:
                cap = _number(self.capacity, "capacity")
                if not math.isfinite(cap) or cap < 0:
                    msg = (
                        f"容量 capacity 应为不小于 0 的数,收到 {self.capacity!r}。 / "
                        f"add: capacity must be a number >= 0, got {self.capacity!r}."
                    )
                    raise DataError(msg)
                object.__setattr__(self, "capacity", cap)
        object.__setattr__(self, "facility_id", str(self.facility_id).strip())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (``type`` for the facility type, as in the facility CSV)."""
        out: dict[str, Any] = {"action": self.action, "facility_id": self.facility_id}
        if self.lon is not None:
            out["lon"], out["lat"] = self.lon, self.lat
        if self.action == "add":
            out.update(type=self.facility_type, capacity=self.capacity, name=self.name)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Edit:
        """Inverse of :meth:`to_dict`; raises DataError for malformed entries."""
        if not isinstance(data, dict) or "action" not in data:
            msg = (
                f"每项调整应为含 action 的对象,收到 {str(data)[:80]!r}。 / "
                f"scenario edit: expected an object with an 'action', got {str(data)[:80]!r}."
            )
            raise DataError(msg)
        return cls(
            action=data["action"],
            facility_id=str(data.get("facility_id") or ""),
            lon=data.get("lon"),
            lat=data.get("lat"),
            facility_type=str(data.get("type") or ""),
            capacity=data.get("capacity"),
            name=str(data.get("name") or ""),
        )


@dataclass(frozen=True)
class Scenario:
    """A named set of edits on top of a base facility table (immutable: methods return new ones).

    Parameters
    ----------
    name : str
        Shown in tables and used for the file name.
    edits : tuple of Edit
        Applied in order (a later edit may move a facility an earlier one added).
    note : str
        Free text for the planner.
    base_version : int, optional
        The published version the scenario was drawn on (for the record; :func:`apply` takes any base).
    """

    name: str
    edits: tuple[Edit, ...] = ()
    note: str = ""
    base_version: int | None = None

    def __post_init__(self) -> None:
        if not str(self.name).strip():
            msg = "情景名称不能为空。 / scenario name: got an empty name; expected a few words."
            raise DataError(msg)
        object.__setattr__(self, "name", str(self.name).strip())
        object.__setattr__(self, "edits", tuple(self.edits))

    def add(
        self,
        *,
        lon: float,
        lat: float,
        facility_type: str,
        capacity: float | None = None,
        name: str = "",
        facility_id: str = "",
    ) -> Scenario:
        """This scenario plus a new facility at ``lon, lat`` (WGS84)."""
        edit = Edit("add", facility_id, lon, lat, facility_type, capacity, name)
        return replace(self, edits=(*self.edits, edit))

    def move(self, facility_id: str, *, lon: float, lat: float) -> Scenario:
        """This scenario plus moving ``facility_id`` to ``lon, lat`` (WGS84)."""
        return replace(self, edits=(*self.edits, Edit("move", facility_id, lon, lat)))

    def close(self, facility_id: str) -> Scenario:
        """This scenario plus closing ``facility_id``."""
        return replace(self, edits=(*self.edits, Edit("close", facility_id)))

    def without(self, index: int) -> Scenario:
        """This scenario without its edit number ``index`` (0-based)."""
        if not 0 <= index < len(self.edits):
            msg = (
                f"没有第 {index + 1} 项调整(情景共 {len(self.edits)} 项)。 / "
                f"edit index {index} out of range (the scenario has {len(self.edits)} edits)."
            )
            raise DataError(msg)
        return replace(self, edits=self.edits[:index] + self.edits[index + 1 :])

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of a saved scenario."""
        return {
            "format": FILE_FORMAT,
            "format_version": FILE_FORMAT_VERSION,
            "name": self.name,
            "note": self.note,
            "base_version": self.base_version,
            "edits": [e.to_dict() for e in self.edits],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scenario:
        """Inverse of :meth:`to_dict`; raises DataError when the document is not a scenario."""
        if not isinstance(data, dict) or data.get("format") != FILE_FORMAT:
            msg = (
                f'不是情景文件:应为含 "format": "{FILE_FORMAT}" 的 JSON 对象。 / '
                f"not a scenario file: expected a JSON object with format {FILE_FORMAT!r}."
            )
            raise DataError(msg)
        edits = data.get("edits")
        edits = [] if edits is None else edits
        if not isinstance(edits, list):
            msg = "情景文件的 edits 应为列表。 / scenario file: 'edits' must be a list."
            raise DataError(msg)
        if len(edits) > MAX_EDITS:
            msg = (
                f"情景有 {len(edits)} 项调整,超过上限 {MAX_EDITS}。 / "
                f"scenario file: {len(edits)} edits, more than the limit of {MAX_EDITS}."
            )
            raise DataError(msg)
        parsed = []
        for k, entry in enumerate(edits):
            try:
                parsed.append(Edit.from_dict(entry))
            except DataError as exc:
                msg = _where(str(exc), f"edits[{k}] 第 {k + 1} 项调整:", f"edits[{k}] (edit {k + 1}): ")
                raise DataError(msg) from None
        base = data.get("base_version")
        try:
            base_version = int(base) if base is not None else None
        except (TypeError, ValueError):
            msg = f"base_version 应为整数,收到 {base!r}。 / base_version: expected a whole number, got {base!r}."
            raise DataError(msg) from None
        return cls(
            name=str(data.get("name") or ""),
            edits=tuple(parsed),
            note=str(data.get("note") or ""),
            base_version=base_version,
        )


def _where(message: str, zh: str, en: str) -> str:
    """A bilingual message ``"中文 / English"`` with a place put before each half."""
    first, sep, second = message.partition(" / ")
    return f"{zh}{first}{sep}{en}{second}" if sep else f"{zh}{en}{message}"


def _number(value: object, field_name: str) -> float:
    """A JSON value as a float, or a bilingual DataError naming the field."""
    msg = f"{field_name} 应为数字,收到 {value!r}。 / {field_name}: expected a number, got {value!r}."
    if isinstance(value, bool):  # JSON true/false would pass as 1.0/0.0
        raise DataError(msg)
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DataError(msg) from None


# ---------------------------------------------------------------------------------------------------
# Apply


def _new_id(taken: set[str], k: int) -> str:
    candidate = f"SCN-{k:03d}"
    while candidate in taken:
        k += 1
        candidate = f"SCN-{k:03d}"
    return candidate


def apply(base_df: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """The facility table after the scenario's edits; ``base_df`` is not changed.

    Parameters
    ----------
    base_df : pandas.DataFrame
        Facility table (the facility CSV columns; ``facility_id, type, lon, lat`` at least).
    scenario : Scenario
        The edits, applied in order.

    Returns
    -------
    pandas.DataFrame
        A new table with the column :data:`EDIT_COLUMN` (``"added"``, ``"moved"``, ``"closed"`` or
        ``""``). Added rows are open, with the type's category and capacity unit, and a ``source`` that
        names the scenario; closed rows keep their row with status ``closed``.

    Raises
    ------
    NotFoundError
        When an edit moves or closes a facility id that is not in the table.
    """
    cov._require(base_df, ("facility_id", "type", "lon", "lat"), "facilities")
    out = base_df.copy(deep=True)
    out[EDIT_COLUMN] = ""
    if "status" not in out.columns:
        out["status"] = "open"
    ids = out["facility_id"].astype(str)
    added: list[dict[str, Any]] = []
    for k, edit in enumerate(scenario.edits, start=1):
        if edit.action == "add":
            taken = set(ids) | {str(r["facility_id"]) for r in added}
            fid = (
                edit.facility_id if edit.facility_id and edit.facility_id not in taken else _new_id(taken, k)
            )
            ftype = FACILITY_TYPES[edit.facility_type]
            added.append(
                {
                    "facility_id": fid,
                    "name": edit.name or f"{ftype.zh} ({scenario.name} #{k})",
                    "category": ftype.category,
                    "type": ftype.code,
                    "lon": edit.lon,
                    "lat": edit.lat,
                    "capacity": edit.capacity,
                    "capacity_unit": ftype.capacity_unit,
                    "status": "open",
                    "source": f"scenario: {scenario.name}",
                    EDIT_COLUMN: "added",
                }
            )
            continue
        in_base = (ids == edit.facility_id).to_numpy()
        in_added = [r for r in added if r["facility_id"] == edit.facility_id]
        if not in_base.any() and not in_added:
            msg = (
                f"情景“{scenario.name}”第 {k} 项调整:没有编号为 {edit.facility_id!r} 的设施。 / "
                f"scenario {scenario.name!r}, edit {k}: no facility with facility_id {edit.facility_id!r}."
            )
            raise NotFoundError(msg)
        if edit.action == "move":
            for r in in_added:
                r["lon"], r["lat"] = edit.lon, edit.lat
            if in_base.any():
                out.loc[in_base, "lon"] = edit.lon
                out.loc[in_base, "lat"] = edit.lat
                out.loc[in_base, EDIT_COLUMN] = "moved"
        else:
            for r in in_added:
                r["status"] = "closed"
            if in_base.any():
                out.loc[in_base, "status"] = "closed"
                out.loc[in_base, EDIT_COLUMN] = "closed"
    if added:
        extra = pd.DataFrame(added)
        out = pd.concat([out, extra.reindex(columns=out.columns)], ignore_index=True)
    return out


# ---------------------------------------------------------------------------------------------------
# Evaluate and compare


@dataclass(frozen=True, eq=False)
class ScenarioSummary:
    """Coverage of one facility table (base or scenario).

    Attributes
    ----------
    name : str
        The scenario's name (``"base"`` for the published data unless named otherwise).
    covered : numpy.ndarray of bool
        Per demand cell, whether it is within the budget of an open facility of the types.
    districts : pandas.DataFrame
        :func:`geo.coverage.area_table` by district.
    totals : dict
        The city row (:func:`geo.coverage.area_totals`).
    target : str
        The demand column whose gains and losses :func:`compare` counts.
    settings : dict
        ``types``, ``budget_min`` and the ``model`` description.
    adcode, people : numpy.ndarray
        Per demand cell: district adcode and target people (for gains and losses by district).
    """

    name: str
    covered: npt.NDArray[np.bool_]
    districts: pd.DataFrame
    totals: dict[str, Any]
    target: str
    settings: dict[str, Any]
    adcode: npt.NDArray[np.int64] = field(repr=False)
    people: npt.NDArray[np.float64] = field(repr=False)

    def shares(self) -> dict[str, float]:
        """City-wide covered shares (0-1) of ``pop_total``, ``pop_60plus`` and ``pop_0_3``."""
        return {g: float(self.totals[f"{g}_covered_share"] or 0.0) for g in cov.GROUPS}


def _fill_districts(facilities: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """District of added and moved facilities: that of the nearest demand cell (metric distance)."""
    if EDIT_COLUMN not in facilities.columns:
        return facilities
    todo = facilities[EDIT_COLUMN].isin(["added", "moved"]).to_numpy()
    if not todo.any():
        return facilities
    out = facilities.copy()
    cx, cy = to_metric(cells["lon"].to_numpy(dtype=np.float64), cells["lat"].to_numpy(dtype=np.float64))
    fx, fy = to_metric(
        out.loc[todo, "lon"].to_numpy(dtype=np.float64), out.loc[todo, "lat"].to_numpy(dtype=np.float64)
    )
    _, idx = cKDTree(np.column_stack([np.atleast_1d(cx), np.atleast_1d(cy)])).query(
        np.column_stack([np.atleast_1d(fx), np.atleast_1d(fy)])
    )
    if "district_adcode" not in out.columns:
        out["district_adcode"] = pd.NA
    out["district_adcode"] = out["district_adcode"].astype(object)
    out.loc[todo, "district_adcode"] = cells["adcode"].to_numpy()[idx].astype(np.int64)
    return out


def evaluate(
    cells: pd.DataFrame,
    facilities: pd.DataFrame,
    model: TravelModel,
    *,
    types: str | Sequence[str],
    budget_min: float,
    target: str = "pop_total",
    name: str = "base",
    names: pd.DataFrame | None = None,
) -> ScenarioSummary:
    """Covered shares of all residents, 60+ and 0-3, city-wide and per district, for one table.

    Parameters
    ----------
    cells : pandas.DataFrame
        Demand cells (:func:`geo.io.read_population_cells`).
    facilities : pandas.DataFrame
        The base table or the output of :func:`apply`; only open facilities of ``types`` count.
        Added and moved facilities take the district of the nearest demand cell.
    model : TravelModel
        Straight-line or network model.
    types : str or sequence of str
        Facility types (codes or Chinese labels).
    budget_min : float
        Time budget (minutes).
    target : {"total", "60plus", "0_3"} or a column of :data:`geo.coverage.GROUPS`
        Whose gains and losses :func:`compare` reports.
    name : str
        Label of the summary.
    names : pandas.DataFrame, optional
        District names (``adcode, name``) for the table.

    Returns
    -------
    ScenarioSummary
    """
    codes = cov.parse_types(list(types) if not isinstance(types, str) else types)
    column = cov.parse_target(target)
    budget = check_budget(budget_min)
    table = _fill_districts(facilities, cells)
    access = cov.cell_access(cells, table, model, types=codes, budget_min=budget, tiers_min=())
    districts = cov.area_table(cells, access, table, by="district", types=codes, names=names)
    return ScenarioSummary(
        name=str(name),
        covered=access["covered"].to_numpy(dtype=bool),
        districts=districts,
        totals=cov.area_totals(districts),
        target=column,
        settings={"types": codes, "budget_min": budget, "model": model.describe()},
        adcode=cells["adcode"].to_numpy(dtype=np.int64),
        people=cells[column].to_numpy(dtype=np.float64),
    )


COMPARE_METRICS: Final[tuple[str, ...]] = (
    "pop_total_covered_share",
    "pop_60plus_covered_share",
    "pop_0_3_covered_share",
    "covered",
    "gained",
    "lost",
    "net",
)
"""Columns per scenario in :func:`compare`; ``covered``/``gained``/``lost``/``net`` count target people."""


def compare(base: ScenarioSummary, scenarios: Sequence[ScenarioSummary]) -> pd.DataFrame:
    """The base and up to three scenarios side by side, city-wide and per district.

    Parameters
    ----------
    base : ScenarioSummary
        The reference (usually the published data).
    scenarios : sequence of ScenarioSummary
        Up to :data:`MAX_COMPARED` summaries evaluated on the same cells, types, budget and target.

    Returns
    -------
    pandas.DataFrame
        One row for the city (``adcode`` 150600, first) and one per district: ``adcode``, ``name``,
        then for the base and each scenario the columns ``"<scenario>: <metric>"`` for each metric of
        :data:`COMPARE_METRICS`. Shares are 0-1; ``covered`` is target people covered, ``gained`` the
        target people covered in the scenario but not in the base, ``lost`` the reverse, ``net`` their
        difference (0 for the base). District rows add up to the city row. ``attrs`` holds
        ``scenarios`` (the column prefixes, base first), ``metrics`` and ``target``.

    Raises
    ------
    DataError
        For more than three scenarios or summaries that do not match the base.
    """
    if len(scenarios) > MAX_COMPARED:
        msg = f"compare: got {len(scenarios)} scenarios; at most {MAX_COMPARED} fit side by side"
        raise DataError(msg)
    for s in scenarios:
        if s.covered.shape != base.covered.shape or s.target != base.target or s.settings != base.settings:
            msg = (
                f"compare: scenario {s.name!r} was evaluated on other cells, types, budget, model or "
                "target than the base; evaluate both with the same settings"
            )
            raise DataError(msg)
    labels: list[str] = []
    for s in (base, *scenarios):
        label, k = s.name, 2
        while label in labels:
            label, k = f"{s.name} ({k})", k + 1
        labels.append(label)
    adcodes = base.districts["adcode"].astype(np.int64).to_numpy()
    frame = pd.DataFrame({"adcode": [CITY_ADCODE, *adcodes], "name": [CITY_NAME, *base.districts["name"]]})
    for label, s in zip(labels, (base, *scenarios), strict=True):
        table = s.districts.set_index("adcode").reindex(adcodes)
        gained_cells = np.where(s.covered & ~base.covered, s.people, 0.0)
        lost_cells = np.where(base.covered & ~s.covered, s.people, 0.0)
        gained = pd.Series(gained_cells).groupby(s.adcode).sum().reindex(adcodes, fill_value=0.0)
        lost = pd.Series(lost_cells).groupby(s.adcode).sum().reindex(adcodes, fill_value=0.0)
        covered = pd.Series(np.where(s.covered, s.people, 0.0)).groupby(s.adcode).sum()
        covered = covered.reindex(adcodes, fill_value=0.0)
        for g in cov.GROUPS:
            frame[f"{label}: {g}_covered_share"] = [
                s.totals[f"{g}_covered_share"],
                *table[f"{g}_covered_share"],
            ]
        frame[f"{label}: covered"] = [covered.sum(), *covered.to_numpy()]
        frame[f"{label}: gained"] = [gained.sum(), *gained.to_numpy()]
        frame[f"{label}: lost"] = [lost.sum(), *lost.to_numpy()]
        frame[f"{label}: net"] = frame[f"{label}: gained"] - frame[f"{label}: lost"]
    frame.attrs = {"scenarios": labels, "metrics": list(COMPARE_METRICS), "target": base.target}
    return frame


NO_EFFECT_REASONS: Final[tuple[str, ...]] = (
    "other_type",
    "nobody_in_reach",
    "already_covered",
    "still_covered",
)
"""Why an edit changes no covered share (see :func:`why_no_effect`)."""


def why_no_effect(
    edit: Edit,
    facilities_before: pd.DataFrame,
    cells: pd.DataFrame,
    model: TravelModel,
    *,
    types: str | Sequence[str],
    budget_min: float,
    target: str = "pop_total",
) -> str:
    """Why an edit that changed no covered share had no effect, for the planner to read.

    Parameters
    ----------
    edit : Edit
        The edit (usually the last one of a scenario).
    facilities_before : pandas.DataFrame
        The facility table before the edit (the base with the earlier edits applied).
    cells, model, types, budget_min, target
        As in :func:`evaluate`.

    Returns
    -------
    str
        ``other_type`` — the facility is not of the types analysed; ``nobody_in_reach`` — no target
        people live within the budget of it; ``already_covered`` — everyone within reach of an added
        or moved facility was covered already; ``still_covered`` — everyone a closed facility reached
        still reaches another one; ``""`` when none of these holds (the edit did change coverage).
    """
    codes = cov.parse_types(list(types) if not isinstance(types, str) else types)
    column = cov.parse_target(target)
    ids = facilities_before["facility_id"].astype(str)
    row = facilities_before.loc[ids == edit.facility_id]
    ftype = edit.facility_type if edit.action == "add" else (str(row["type"].iloc[0]) if len(row) else "")
    if ftype not in codes:
        return "other_type"
    if edit.action == "close":
        if row.empty:
            return ""
        lon, lat = float(row["lon"].iloc[0]), float(row["lat"].iloc[0])
    else:
        lon, lat = float(edit.lon), float(edit.lat)  # type: ignore[arg-type]
    alone = pd.DataFrame(
        {"facility_id": ["x"], "type": [ftype], "lon": [lon], "lat": [lat], "status": ["open"]}
    )
    reach = cov.cell_access(cells, alone, model, types=codes, budget_min=budget_min, tiers_min=())
    reached = reach["covered"].to_numpy(bool) & (cells[column].to_numpy(float) > 0)
    if not reached.any():
        return "nobody_in_reach"
    others = facilities_before if edit.action == "add" else facilities_before.loc[ids != edit.facility_id]
    access = cov.cell_access(cells, others, model, types=codes, budget_min=budget_min, tiers_min=())
    if access["covered"].to_numpy(bool)[reached].all():
        return "already_covered" if edit.action != "close" else "still_covered"
    return ""


# ---------------------------------------------------------------------------------------------------
# Files


def scenario_file_name(name: str) -> str:
    """A safe file name for a scenario name: letters (Chinese included), digits, ``-`` and ``_`` kept."""
    stem = re.sub(r"[^\w\-]+", "_", name, flags=re.UNICODE).strip("._")[:80]
    return f"{stem or 'scenario'}.json"


def save_scenario(scenario: Scenario, directory: Path | None = None) -> Path:
    """Write the scenario as JSON (UTF-8) in ``directory`` (default :data:`SCENARIOS_DIR`).

    Returns
    -------
    pathlib.Path
        The file written (``<safe name>.json``); an existing file of the same name is replaced.
    """
    folder = Path(directory) if directory is not None else SCENARIOS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / scenario_file_name(scenario.name)
    write_json(path, scenario.to_dict())
    return path


def parse_scenario(data: bytes, *, name: str = "scenario.json") -> Scenario:
    """A scenario from the bytes of its JSON file; errors say where (line, column or ``edits[k]``).

    Raises
    ------
    DataError
        When the bytes are not UTF-8 JSON or not a scenario (bilingual message naming ``name``).
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = f"{name}:第 {exc.start} 字节处不是 UTF-8 文本。 / {name}: byte {exc.start} is not UTF-8 text."
        raise DataError(msg) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        msg = (
            f"{name} 第 {exc.lineno} 行第 {exc.colno} 列:不是有效的 JSON({exc.msg})。 / "
            f"{name}, line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})."
        )
        raise DataError(msg) from None
    try:
        return Scenario.from_dict(document)
    except DataError as exc:
        raise DataError(_where(str(exc), f"{name}:", f"{name}: ")) from None


def load_scenario(path: Path) -> Scenario:
    """Read a scenario file (:func:`save_scenario`'s format), at most :data:`MAX_FILE_BYTES` of it.

    Raises
    ------
    DataError
        When the file is not a regular file, too large, not valid JSON or not a scenario.
    """
    path = Path(path)
    data = read_limited(path, max_bytes=MAX_FILE_BYTES, what=f"情景文件 scenario file {path.name}")
    return parse_scenario(data, name=path.name)


def list_scenarios(directory: Path | None = None) -> list[Path]:
    """Saved scenario files in ``directory`` (default :data:`SCENARIOS_DIR`), by name."""
    folder = Path(directory) if directory is not None else SCENARIOS_DIR
    return sorted(folder.glob("*.json")) if folder.is_dir() else []
