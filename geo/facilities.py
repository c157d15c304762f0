"""Pure operations on facility tables: comparing two versions field by field."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from geo.schema import COLUMN_NAMES


@dataclass(frozen=True)
class FieldChange:
    """One changed field of one facility: old and new value as text."""

    facility_id: str
    column: str
    old: str
    new: str


@dataclass(frozen=True)
class FacilityDiff:
    """What a new facility list changes against the current one."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    changes: list[FieldChange] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Number of added, changed, removed and unchanged facilities."""
        return {
            "added": len(self.added),
            "changed": len(self.changed),
            "removed": len(self.removed),
            "unchanged": len(self.unchanged),
        }


def _as_text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[call-overload]
        return ""
    if isinstance(value, float):
        return f"{value:.7f}".rstrip("0").rstrip(".")
    return str(value)


def diff_facilities(old: pd.DataFrame, new: pd.DataFrame) -> FacilityDiff:
    """Compare two facility tables keyed by ``facility_id``.

    Values are compared as text (floats to 7 decimals, about 1 cm in degrees), so a value read
    back from the database equals the value that was written.

    Parameters
    ----------
    old, new
        Facility tables with the contract's columns.

    Returns
    -------
    FacilityDiff
        Ids added, changed, removed and unchanged, and every changed field.
    """
    columns = [c for c in COLUMN_NAMES if c != "facility_id"]
    old_rows = {str(r["facility_id"]): r for r in old.to_dict(orient="records")}
    new_rows = {str(r["facility_id"]): r for r in new.to_dict(orient="records")}
    added = sorted(set(new_rows) - set(old_rows))
    removed = sorted(set(old_rows) - set(new_rows))
    changed: list[str] = []
    unchanged: list[str] = []
    changes: list[FieldChange] = []
    for fid in sorted(set(new_rows) & set(old_rows)):
        row_changes = [
            FieldChange(fid, col, _as_text(old_rows[fid].get(col)), _as_text(new_rows[fid].get(col)))
            for col in columns
            if _as_text(old_rows[fid].get(col)) != _as_text(new_rows[fid].get(col))
        ]
        if row_changes:
            changed.append(fid)
            changes.extend(row_changes)
        else:
            unchanged.append(fid)
    return FacilityDiff(added, changed, removed, unchanged, changes)
