"""Data freshness and quality of the published facilities: what to follow up with a phone call.

A facility list goes stale quietly: a station whose ``updated_at`` is two years old, whose phone
or opening hours were never filled in, whose free places were never reported, or that reports
more free places than it has. :func:`quality_report` lists every facility (not closed) with such a
problem, one row per facility with all its problems, and counts them per district, so that data
staff can call the stations and fix the records. Pure: it takes the facility table and settings.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Final

import pandas as pd

from geo.cell_parse import parse_date
from geo.validation_report import ORDOS_DISTRICTS

__all__ = [
    "PROBLEMS",
    "QualityReport",
    "QualitySettings",
    "months_before",
    "months_between",
    "quality_report",
]

PROBLEMS: Final[dict[str, tuple[str, str]]] = {
    "stale": ("超过 {months} 个月未更新", "not updated for more than {months} months"),
    "no_update_date": ("没有更新日期", "no update date"),
    "missing_phone": ("缺少电话", "no phone number"),
    "missing_hours": ("缺少开放时间", "no opening hours"),
    "missing_capacity": ("缺少容量", "no capacity"),
    "available_above_capacity": ("空余名额大于容量", "more places available than capacity"),
    "no_places_reported": ("运营中但未报空余名额", "open but no places available reported"),
}
"""Problem code -> (Chinese, English) label; ``{months}`` is the configured age."""

FACILITY_COLUMNS: Final[tuple[str, ...]] = (
    "facility_id", "name", "type", "status", "district_adcode", "district", "township", "address", "phone",
    "opening_hours", "capacity", "available_places", "updated_at", "age_months", "problems",
    "problems_zh", "problems_en",
)  # fmt: skip
"""Columns of :attr:`QualityReport.facilities`, the follow-up list."""


@dataclass(frozen=True)
class QualitySettings:
    """What counts as stale.

    Attributes
    ----------
    max_age_months
        A facility whose ``updated_at`` is before the same day this many months before ``today``
        is stale (12: updated on 14 June 2025 is stale on 15 June 2026, on 15 June it is not).
    today
        The reference date (default: the day the report is made).
    """

    max_age_months: int = 12
    today: date | None = None


@dataclass(frozen=True)
class QualityReport:
    """The follow-up list and its counts.

    Attributes
    ----------
    facilities
        One row per facility (not closed) with at least one problem, columns
        :data:`FACILITY_COLUMNS`; ``problems`` holds the codes separated by ``;``, plus one boolean
        column per code of :data:`PROBLEMS`.
    by_district
        One row per district: ``district_adcode``, ``district``, ``district_en``, ``facilities``
        (checked, not closed), ``with_problems`` and one count column per problem code; a last row
        ``total``.
    settings
        The settings used, with ``today`` filled in.
    checked
        Number of facilities checked (closed ones are not).
    """

    facilities: pd.DataFrame
    by_district: pd.DataFrame
    settings: QualitySettings
    checked: int

    def counts(self) -> dict[str, int]:
        """Facilities with each problem, and with any problem (``any``)."""
        out = {code: int(self.facilities[code].sum()) for code in PROBLEMS}
        out["any"] = len(self.facilities)
        return out


def months_between(earlier: date, later: date) -> int:
    """Whole calendar months from ``earlier`` to ``later`` (negative when ``earlier`` is later)."""
    months = (later.year - earlier.year) * 12 + (later.month - earlier.month)
    if later.day < earlier.day and later.day != calendar.monthrange(later.year, later.month)[1]:
        months -= 1
    return months


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))  # type: ignore[call-overload]


def quality_report(facilities: pd.DataFrame, settings: QualitySettings | None = None) -> QualityReport:
    """The facilities to follow up, and counts per district.

    Parameters
    ----------
    facilities
        Published facilities in the contract's columns (as ``FacilityStore.facilities`` gives).
    settings
        Age limit and reference date (default :class:`QualitySettings`: 12 months, today).

    Returns
    -------
    QualityReport
    """
    settings = settings or QualitySettings()
    today = settings.today or date.today()
    settings = QualitySettings(settings.max_age_months, today)
    cutoff = months_before(today, settings.max_age_months)
    checked = facilities[facilities["status"].astype(str) != "closed"]
    rows = []
    for record in checked.to_dict(orient="records"):
        problems: list[str] = []
        updated = parse_date(str(record.get("updated_at") or ""))
        age = months_between(updated, today) if updated is not None else None
        if updated is None:
            problems.append("no_update_date")
        elif updated < cutoff:
            problems.append("stale")
        if not str(record.get("phone") or "").strip():
            problems.append("missing_phone")
        if not str(record.get("opening_hours") or "").strip():
            problems.append("missing_hours")
        capacity, available = record.get("capacity"), record.get("available_places")
        if _missing(capacity):
            problems.append("missing_capacity")
        elif not _missing(available) and int(available) > int(capacity):  # type: ignore[arg-type]
            problems.append("available_above_capacity")
        if record.get("status") == "open" and _missing(available):
            problems.append("no_places_reported")
        if not problems:
            continue
        adcode = record.get("district_adcode")
        code = None if _missing(adcode) else int(adcode)  # type: ignore[arg-type]
        zh = [PROBLEMS[p][0].format(months=settings.max_age_months) for p in problems]
        en = [PROBLEMS[p][1].format(months=settings.max_age_months) for p in problems]
        row = {
            **{c: record.get(c) for c in FACILITY_COLUMNS if c in record},
            "district_adcode": code,
            "district": ORDOS_DISTRICTS.get(code or 0, ("", ""))[0],
            "age_months": age,
            "problems": ";".join(problems),
            "problems_zh": ";".join(zh),
            "problems_en": "; ".join(en),
        }
        row.update({p: p in problems for p in PROBLEMS})
        rows.append(row)
    frame = pd.DataFrame(rows, columns=[*FACILITY_COLUMNS, *PROBLEMS])
    for p in PROBLEMS:
        frame[p] = frame[p].astype(bool)
    for col in ("district_adcode", "age_months", "capacity", "available_places"):
        frame[col] = pd.array(frame[col].tolist(), dtype="Int64")
    frame = frame.sort_values(["district_adcode", "township", "facility_id"], kind="stable").reset_index(
        drop=True
    )
    return QualityReport(frame, _by_district(checked, frame), settings, len(checked))


def _by_district(checked: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    codes = sorted(
        set(ORDOS_DISTRICTS) | {int(c) for c in checked["district_adcode"].dropna().astype(int).tolist()}
    )
    adcodes = pd.to_numeric(checked["district_adcode"], errors="coerce")
    rows = []
    for code in codes:
        mine = frame[(frame["district_adcode"] == code).fillna(False).astype(bool)]
        zh, en = ORDOS_DISTRICTS.get(code, (str(code), str(code)))
        rows.append(
            {
                "district_adcode": str(code),
                "district": zh,
                "district_en": en,
                "facilities": int((adcodes == code).sum()),
                "with_problems": len(mine),
                **{p: int(mine[p].sum()) for p in PROBLEMS},
            }
        )
    table = pd.DataFrame(rows)
    total = {
        "district_adcode": "total",
        "district": "合计",
        "district_en": "Total",
        "facilities": len(checked),
        "with_problems": len(frame),
        **{p: int(frame[p].sum()) for p in PROBLEMS},
    }
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)
