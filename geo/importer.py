"""From a validated file to a new complete facility list, its preview and its publication.

The steps a data load goes through:

1. ``geo.validate.validate_bytes`` reads the file, converts coordinates from the stated CRS to
   WGS84 (:func:`convert_to_wgs84`), fills missing coordinates from an offline gazetteer when one
   is passed in (:func:`geocode_missing`) and reports every problem per row.
2. :func:`plan_import` merges the valid rows with the published list (``upsert`` or ``replace``)
   and computes what would change: the preview.
3. :func:`publish_plan` publishes the new list as a version, refusing when the store moved on
   since the preview (``ConflictError``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from geo.errors import DataError
from geo.facilities import FacilityDiff, diff_facilities
from geo.import_coords import (
    GEOCODED_MARK,
    Geocoder,
    convert_to_wgs84,
    geocode_missing,
    is_geocoded,
    mark_geocoded,
)
from geo.options import IMPORT_MODES as IMPORT_MODES
from geo.schema import COLUMN_NAMES, COLUMNS
from geo.templates import facilities_xlsx_bytes

if TYPE_CHECKING:
    from geo.store import FacilityStore, VersionInfo
    from geo.validate import ValidationResult

__all__ = [
    "GEOCODED_MARK",
    "IMPORT_MODES",
    "Geocoder",
    "ImportPlan",
    "added_frame",
    "apply_merges",
    "changes_frame",
    "convert_to_wgs84",
    "facilities_xlsx_bytes",
    "geocode_missing",
    "history_frame",
    "is_geocoded",
    "mark_geocoded",
    "plan_import",
    "publish_plan",
]


# --- preview and publish -------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportPlan:
    """A previewed import: the complete new list and what it changes against ``base_version``.

    Attributes
    ----------
    mode
        ``upsert`` (add and update; others kept) or ``replace`` (the file is the complete list).
    base_version
        The published version the preview was computed against (None for an empty store).
    facilities
        The complete new facility list in the contract's columns, sorted by ``facility_id``.
    diff
        Added, changed, removed and unchanged ids, and every changed field (old → new).
    closed
        ``replace`` only: ids missing from the file that will be kept with status ``closed``.
    file_rows
        Number of facilities read from the file.
    merged
        File ids imported as updates of a published facility (file id → published id): a
        facility re-entered under a new id, merged back into its published record.
    """

    mode: str
    base_version: int | None
    facilities: pd.DataFrame
    diff: FacilityDiff
    closed: list[str] = field(default_factory=list)
    file_rows: int = 0
    merged: dict[str, str] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Counts for the preview: added, changed, removed, unchanged, closed, total."""
        return {**self.diff.counts(), "closed": len(self.closed), "total": len(self.facilities)}


def _merge(
    current: pd.DataFrame, incoming: pd.DataFrame, *, mode: str, columns_in_file: tuple[str, ...]
) -> tuple[pd.DataFrame, list[str]]:
    incoming = incoming[list(COLUMN_NAMES)].copy()
    current = current[list(COLUMN_NAMES)]
    # A column the file does not have is "not given", not "empty": published facilities keep
    # their values there. ``source`` always describes the newest load.
    keep = [c for c in COLUMN_NAMES if c not in columns_in_file and c not in ("facility_id", "source")]
    if keep and len(current) and len(incoming):
        published = current.set_index("facility_id")
        known = incoming["facility_id"].isin(published.index)
        ids = incoming.loc[known, "facility_id"]
        for col in keep:
            incoming.loc[known, col] = published.loc[ids, col].to_numpy()
    kept = current[~current["facility_id"].isin(incoming["facility_id"])].copy()
    closed: list[str] = []
    if mode == "replace":
        newly_closed = kept["status"] != "closed"
        closed = sorted(kept.loc[newly_closed, "facility_id"].astype(str))
        kept.loc[:, "status"] = "closed"
    parts = [df for df in (kept, incoming) if len(df)]
    merged = pd.concat(parts, ignore_index=True) if parts else incoming.iloc[0:0].copy()
    for col in COLUMN_NAMES:  # concat of empty parts can lose the nullable dtypes
        merged[col] = merged[col].astype(incoming[col].dtype)
    merged = merged.sort_values("facility_id", kind="stable").reset_index(drop=True)
    return merged, closed


def apply_merges(table: pd.DataFrame, merges: Mapping[str, str], published_ids: set[str]) -> pd.DataFrame:
    """The file's rows with each merged row's id replaced by the published id it duplicates.

    Raises
    ------
    DataError
        When a file id is not in the file, a published id is not published, or the published id
        is already in the file (the row would collide with the facility's own update).
    """
    if not merges:
        return table
    ids = table["facility_id"].astype(str)
    in_file = set(ids)
    for file_id, published_id in merges.items():
        if file_id not in in_file:
            msg = (
                f"要合并的编号 {file_id} 不在文件的有效行中。 / "
                f"The id {file_id} to merge is not among the file's valid rows."
            )
            raise DataError(msg)
        if published_id not in published_ids:
            msg = (
                f"合并目标 {published_id} 不是已发布的设施编号。 / "
                f"The merge target {published_id} is not a published facility id."
            )
            raise DataError(msg)
        if published_id in in_file:
            msg = (
                f"文件中已有编号 {published_id} 的行,不能再把 {file_id} 合并进去;请删除其中一行。 / "
                f"The file already has a row with id {published_id}, so {file_id} cannot be merged into "
                "it; delete one of the two rows."
            )
            raise DataError(msg)
    targets = list(merges.values())
    if len(set(targets)) != len(targets):
        msg = "两行不能合并到同一个已发布设施。 / Two rows cannot be merged into the same published facility."
        raise DataError(msg)
    out = table.copy()
    out["facility_id"] = ids.map(lambda fid: merges.get(fid, fid))
    return out


def plan_import(
    store: FacilityStore,
    result: ValidationResult,
    *,
    mode: str = "upsert",
    merges: Mapping[str, str] | None = None,
) -> ImportPlan:
    """Build the new complete facility list from a validated file and preview it.

    Parameters
    ----------
    store
        The facility store; its newest version is the base of the merge.
    result
        A validation result without errors.
    mode
        ``upsert``: rows of the file are added or replace the facility with the same id; all
        others stay. In both modes, columns the file does not have keep their published values
        (an empty cell in a column the file has does clear the field). ``replace``: the file is the
        complete list; published facilities missing from it are kept with status ``closed``
        (listed in ``ImportPlan.closed``).
    merges
        File id → published id: rows re-entered under a new id that are imported as updates of
        the published facility (see :func:`apply_merges`).

    Returns
    -------
    ImportPlan

    Raises
    ------
    DataError
        When the result has errors or ``mode`` is unknown.
    """
    if mode not in IMPORT_MODES:
        msg = (
            f"导入方式只能是 upsert 或 replace,收到 {mode!r}。 / "
            f"The import mode must be upsert or replace, not {mode!r}."
        )
        raise DataError(msg)
    if result.has_errors:
        n = sum(1 for i in result.issues if i.severity == "error")
        msg = (
            f"文件有 {n} 个错误,请按报告修改后重新导入;未做任何更改。 / "
            f"The file has {n} errors; fix them as the report says and import again. Nothing was changed."
        )
        raise DataError(msg)
    base_version = store.current_version()
    current = store.facilities(base_version) if base_version is not None else result.table.iloc[0:0]
    incoming = apply_merges(result.table, merges or {}, set(current["facility_id"].astype(str)))
    merged, closed = _merge(current, incoming, mode=mode, columns_in_file=result.columns_in_file)
    diff = diff_facilities(current, merged)
    return ImportPlan(mode, base_version, merged, diff, closed, len(result.table), dict(merges or {}))


def publish_plan(
    store: FacilityStore,
    plan: ImportPlan,
    *,
    user_name: str,
    file_name: str,
    sha256: str,
    note: str = "",
    not_duplicates: Collection[tuple[str, str]] = (),
) -> VersionInfo:
    """Publish a previewed import as a new version (one transaction).

    Parameters
    ----------
    store
        The facility store the plan was made against.
    plan
        The preview from :func:`plan_import`.
    user_name
        Who publishes; recorded in the audit line.
    file_name, sha256
        The imported file's name and the SHA-256 of its bytes, recorded in the audit line.
    not_duplicates
        Pairs of ids marked "not a duplicate" during the preview, kept with the new version so
        that their warning does not come back.

    Returns
    -------
    VersionInfo
        The new version's audit line.

    Raises
    ------
    ConflictError
        When someone published after the preview (``plan.base_version``); nothing is written.
    """
    return store.publish(
        plan.facilities,
        user_name=user_name,
        action="import",
        base_version=plan.base_version,
        file_name=file_name,
        sha256=sha256,
        mode=plan.mode,
        note=note or (f"closed: {len(plan.closed)}" if plan.closed else ""),
        not_duplicates=not_duplicates,
    )


def changes_frame(plan: ImportPlan) -> pd.DataFrame:
    """One row per changed field for the preview: ``facility_id, name, column, column_zh, old, new``."""
    names = dict(
        zip(plan.facilities["facility_id"].astype(str), plan.facilities["name"].astype(str), strict=True)
    )
    zh = {c.name: c.zh for c in COLUMNS}
    rows = [
        (c.facility_id, names.get(c.facility_id, ""), c.column, zh.get(c.column, c.column), c.old, c.new)
        for c in plan.diff.changes
    ]
    return pd.DataFrame(rows, columns=["facility_id", "name", "column", "column_zh", "old", "new"])


def added_frame(plan: ImportPlan) -> pd.DataFrame:
    """The facilities the import adds (contract columns), e.g. to show the new points on a map."""
    added = plan.facilities["facility_id"].astype(str).isin(plan.diff.added)
    return plan.facilities[added].reset_index(drop=True)


def history_frame(history: Sequence[VersionInfo]) -> pd.DataFrame:
    """Audit lines as a table (newest first, as ``FacilityStore.history`` gives them)."""
    columns = [
        "version", "created_at", "user_name", "action", "mode", "file_name", "sha256", "restored_from",
        "added", "changed", "removed", "unchanged", "total", "note",
    ]  # fmt: skip
    frame = pd.DataFrame([{k: getattr(v, k) for k in columns} for v in history], columns=columns)
    frame["restored_from"] = pd.array(frame["restored_from"].tolist(), dtype="Int64")
    return frame
