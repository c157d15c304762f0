"""Fixed class breaks per indicator: the same colour means the same value on every map and in the report.

Class breaks computed from the data in view (quantiles) change whenever the view changes, so a dark
hexagon in one district and a dark hexagon in the whole city mean different numbers and two maps
cannot be compared. Here every indicator has its breaks fixed once:

* ``covered_share`` — the share of a group within the time budget, 0–1, in steps of 20 %;
* ``uncovered_density_<group>`` — people of the group *not* covered, per km². A density, not a count,
  so that hexagons drawn at different H3 resolutions (coarser when many are drawn, see
  :func:`geo.hexagons.coarsen_cells`) stay comparable. The breaks follow the spread of the 2020 census
  population over H3 cells (village cells a few hundred people/km², city cores above ten thousand)
  and differ per group because there are about seven times fewer people aged 60+ than residents and
  thirty times fewer children under 3.

:func:`classify` gives the class index of values and :func:`legend_items` the legend labels, so the
web maps (:mod:`geo.maps`) and the report's figures draw from the same table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from geo.errors import DataError
from geo.fmt import people

__all__ = ["INDICATORS", "Indicator", "classify", "colour_of", "gap_indicator", "legend_items"]


@dataclass(frozen=True)
class Indicator:
    """An indicator with fixed class breaks.

    Parameters
    ----------
    code : str
        Name of the indicator.
    breaks : tuple of float
        Lower bounds of the classes, increasing; a value ``v`` is in class ``k`` when
        ``breaks[k] <= v < breaks[k + 1]`` (the last class is open above, the first takes anything
        below ``breaks[1]``).
    colours : tuple of str
        One CSS colour per class, light to dark (or bad to good for shares).
    unit : str
        ``share`` (values 0–1, labels in per cent) or ``density`` (people per km²).
    """

    code: str
    breaks: tuple[float, ...]
    colours: tuple[str, ...]
    unit: str

    def __post_init__(self) -> None:
        if len(self.breaks) != len(self.colours) or np.any(np.diff(self.breaks) <= 0):
            msg = f"indicator {self.code}: one increasing break per colour expected"
            raise DataError(msg)


# Red (poor) to green (good), as in the city's planning maps; readable for red-green colour blindness
# thanks to the lightness steps of the ColorBrewer RdYlGn scheme.
SHARE_COLOURS: Final[tuple[str, ...]] = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")
# Light to dark red: ColorBrewer Reds.
GAP_COLOURS: Final[tuple[str, ...]] = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")
# Light to dark purple (ColorBrewer Purples): where people live, not a gap.
DENSITY_COLOURS: Final[tuple[str, ...]] = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")

INDICATORS: Final[dict[str, Indicator]] = {
    i.code: i
    for i in (
        Indicator("covered_share", (0.0, 0.2, 0.4, 0.6, 0.8), SHARE_COLOURS, "share"),
        Indicator("uncovered_density_pop_total", (0.0, 250, 1_000, 2_500, 5_000), GAP_COLOURS, "density"),
        Indicator("uncovered_density_pop_60plus", (0.0, 40, 150, 400, 800), GAP_COLOURS, "density"),
        Indicator("uncovered_density_pop_0_3", (0.0, 10, 30, 80, 160), GAP_COLOURS, "density"),
        # everyone, covered or not (the demand import's preview)
        Indicator("density_pop_total", (0.0, 250, 1_000, 2_500, 5_000), DENSITY_COLOURS, "density"),
    )
}

NO_DATA_COLOUR: Final[str] = "#bbbbbb"


def _indicator(code: str) -> Indicator:
    try:
        return INDICATORS[code]
    except KeyError:
        msg = f"unknown indicator {code!r}; known: {', '.join(INDICATORS)}"
        raise DataError(msg) from None


def gap_indicator(target: str) -> str:
    """The density indicator of uncovered people of a target group (``pop_60plus`` …)."""
    return _indicator(f"uncovered_density_{target}").code


def classify(code: str, values: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Class index (0 … n-1) of each value; -1 for NaN or infinite values."""
    ind = _indicator(code)
    v = np.asarray(values, dtype=np.float64)
    k = np.searchsorted(np.asarray(ind.breaks), v, side="right") - 1
    k = np.clip(k, 0, len(ind.breaks) - 1)
    return np.where(np.isfinite(v), k, -1).astype(np.int64)


def colour_of(code: str, value: float) -> str:
    """The colour of one value (grey when it is missing)."""
    k = int(classify(code, [value])[0])
    return NO_DATA_COLOUR if k < 0 else _indicator(code).colours[k]


def legend_items(code: str, *, density_unit: str = "") -> list[tuple[str, str]]:
    """``(colour, label)`` per class: ``0–20%`` … ``80–100%``, or ``< 250`` … ``≥ 5,000 <unit>``."""
    ind = _indicator(code)
    items = []
    n = len(ind.breaks)
    for k, colour in enumerate(ind.colours):
        low = ind.breaks[k]
        high = ind.breaks[k + 1] if k + 1 < n else None
        if ind.unit == "share":
            label = f"{low * 100:.0f}–{(high if high is not None else 1.0) * 100:.0f}%"
        elif k == 0:
            label = f"< {people(high)}"
        elif high is None:
            label = f"≥ {people(low)}"
        else:
            label = f"{people(low)}–{people(high)}"
        if density_unit and ind.unit == "density":
            label = f"{label} {density_unit}"
        items.append((colour, label))
    return items
