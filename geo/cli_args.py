"""Checks of command-line values shared by the ``python -m geo`` commands, with bilingual messages.

argparse checks types and choices (exit 2, wrong usage); these check what a value means (a budget
in minutes, a number of sites, a point in Ordos) and raise :class:`~geo.errors.DataError` with the
option's name, what came and what is expected, in Chinese and English (exit 1).
"""

from __future__ import annotations

import math
from typing import Final

from geo.errors import DataError

__all__ = [
    "MAX_BUDGET_MIN",
    "budget_list",
    "check_point_in_ordos",
    "count_at_least",
    "number_in_range",
    "positive_minutes",
]

# One day: a longer travel-time budget is a typo, and it would make every area reachable.
MAX_BUDGET_MIN: Final[float] = 24 * 60.0


def positive_minutes(value: float, *, option: str = "--minutes") -> float:
    """A travel-time budget: finite, > 0 and at most :data:`MAX_BUDGET_MIN` minutes.

    Raises
    ------
    DataError
        Naming ``option`` and the value, in Chinese and English.
    """
    budget = float(value)
    if not math.isfinite(budget) or budget <= 0 or budget > MAX_BUDGET_MIN:
        msg = (
            f"{option} 须为大于 0、不超过 {MAX_BUDGET_MIN:g} 的分钟数,收到 {value}。 / "
            f"{option} must be a number of minutes above 0 and at most {MAX_BUDGET_MIN:g}, got {value}."
        )
        raise DataError(msg)
    return budget


def budget_list(text: str, *, option: str = "--minutes") -> list[float]:
    """Comma-separated budgets such as ``5,10,15``, each checked by :func:`positive_minutes`."""
    parts = [part.strip() for part in str(text).split(",") if part.strip()]
    try:
        values = [float(part) for part in parts]
    except ValueError:
        values = []
    if not values:
        msg = (
            f"{option} 须为逗号分隔的分钟数,例如 5,10,15,收到 {text!r}。 / "
            f"{option}: give minutes separated by commas, such as 5,10,15; got {text!r}."
        )
        raise DataError(msg)
    return [positive_minutes(v, option=option) for v in values]


def number_in_range(
    value: float,
    *,
    option: str,
    unit_zh: str,
    unit_en: str,
    minimum: float,
    maximum: float,
    above_minimum: bool = False,
) -> float:
    """A finite number between ``minimum`` (excluded when ``above_minimum``) and ``maximum``.

    ``unit_zh`` and ``unit_en`` name what is counted (``秒``/``seconds``, ``米``/``metres``).
    """
    number = float(value)
    low_ok = number > minimum if above_minimum else number >= minimum
    if not math.isfinite(number) or not low_ok or number > maximum:
        low_zh, low_en = ("大于", "above") if above_minimum else ("不小于", "at least")
        msg = (
            f"{option} 须为{low_zh} {minimum:g}、不超过 {maximum:g} 的{unit_zh}数,收到 {value}。 / "
            f"{option} must be a number of {unit_en} {low_en} {minimum:g} and at most {maximum:g}, got {value}."
        )
        raise DataError(msg)
    return number


def count_at_least(value: int, minimum: int, *, option: str, what_zh: str, what_en: str) -> int:
    """A whole number ≥ ``minimum`` (e.g. ``--new``: the number of new sites)."""
    if int(value) != value or value < minimum:
        msg = (
            f"{option} 须为不小于 {minimum} 的整数({what_zh}),收到 {value}。 / "
            f"{option} must be a whole number of {what_en} ≥ {minimum}, got {value}."
        )
        raise DataError(msg)
    return int(value)


def check_point_in_ordos(
    lon: float | None, lat: float | None, *, lon_option: str = "--lon", lat_option: str = "--lat"
) -> tuple[float, float]:
    """A WGS84 point given on the command line: both halves, in range, and inside Ordos.

    The app refuses points outside the city the same way (map clicks, pasted coordinates).

    Raises
    ------
    DataError
        When one half is missing, a value is not a finite number of degrees in range, or the
        point lies outside :data:`geo.crs.ORDOS_BOUNDS`.
    """
    if lon is None or lat is None:
        given, missing = (lon_option, lat_option) if lat is None else (lat_option, lon_option)
        msg = (
            f"{given} 需要同时给出 {missing}(WGS84 经纬度,单位为度)。 / "
            f"{given} needs {missing} as well (WGS84 degrees)."
        )
        raise DataError(msg)
    for value, option, limit, zh, en in (
        (lon, lon_option, 180.0, "经度", "longitude"),
        (lat, lat_option, 90.0, "纬度", "latitude"),
    ):
        if not math.isfinite(value) or abs(value) > limit:
            msg = (
                f"{option} {value}:{zh}须在 −{limit:g}…{limit:g} 度之间。 / "
                f"{option} {value}: a {en} must be between −{limit:g} and {limit:g} degrees."
            )
            raise DataError(msg)
    from geo.crs import ORDOS_BOUNDS, in_ordos_bounds  # numpy: only once a point is given

    if not in_ordos_bounds(lon, lat):
        west, south, east, north = ORDOS_BOUNDS
        msg = (
            f"点 ({lon}, {lat}) 不在鄂尔多斯市范围内(经度 {west:g}–{east:g},纬度 {south:g}–{north:g});"
            "请给出市内的 WGS84 坐标(经度在前)。 / "
            f"The point ({lon}, {lat}) is outside Ordos (longitude {west:g} to {east:g}, latitude {south:g} "
            f"to {north:g}); give WGS84 coordinates inside the city, longitude first."
        )
        raise DataError(msg)
    return float(lon), float(lat)
