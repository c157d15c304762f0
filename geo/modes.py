"""Travel modes and their speeds, and the default mode and budget per facility type.

Settings, not facts buried in code: the straight-line and network models, the command line and the
pages read them from here. Light on purpose (standard library only), so the command line builds its
parser without loading the engine; ``geo.travel`` re-exports every name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from geo.errors import DataError
from geo.schema import FACILITY_TYPES

__all__ = [
    "MODES",
    "NETWORK_PROFILES",
    "RURAL_SPEED_KMH_BY_HIGHWAY",
    "TYPE_DEFAULTS",
    "URBAN_SPEED_KMH_BY_HIGHWAY",
    "Mode",
    "get_mode",
]

# Urban speeds (km/h) by OSM ``highway`` class for the drive profile of the network model. Typical
# free-flow speeds on Chinese urban roads in line with the design speeds of CJJ 37-2012 (城市道路工程
# 设计规范: expressway 60–100, arterial 40–60, sub-arterial 30–50, branch 20–40 km/h), lowered a
# little for junction delay. Settings, not facts: change them per deployment.
URBAN_SPEED_KMH_BY_HIGHWAY: Final[Mapping[str, float]] = {
    "motorway": 80.0,
    "motorway_link": 40.0,
    "trunk": 60.0,
    "trunk_link": 40.0,
    "primary": 50.0,
    "primary_link": 30.0,
    "secondary": 40.0,
    "secondary_link": 30.0,
    "tertiary": 30.0,
    "tertiary_link": 25.0,
    "unclassified": 25.0,
    "residential": 20.0,
    "living_street": 10.0,
    "service": 10.0,
    "road": 20.0,
}

# Rural speeds (km/h): the design speeds of JTG B01-2014 (公路工程技术标准: expressway 80–120, first
# class 60–100, second class 40–80, third class 30–40, fourth class 20–30 km/h) mapped onto the OSM
# classes; pastoral tracks (``track``) at a cautious 20 km/h.
RURAL_SPEED_KMH_BY_HIGHWAY: Final[Mapping[str, float]] = {
    "motorway": 100.0,
    "motorway_link": 50.0,
    "trunk": 80.0,
    "trunk_link": 50.0,
    "primary": 70.0,
    "primary_link": 40.0,
    "secondary": 60.0,
    "secondary_link": 40.0,
    "tertiary": 50.0,
    "tertiary_link": 30.0,
    "unclassified": 40.0,
    "residential": 30.0,
    "living_street": 15.0,
    "service": 15.0,
    "track": 20.0,
    "road": 30.0,
}


@dataclass(frozen=True)
class Mode:
    """A way of travelling and its speeds: a setting, never a constant buried in code.

    Parameters
    ----------
    name
        Preset name (``walk``, ``elderly_walk``, ``bike``, ``drive``) or a user's own.
    speed_m_per_min
        Average travel speed in metres per minute. The straight-line model uses it for every mode; the
        network model uses it for walking and cycling (driving uses the per-road-class speeds).
    detour_factor
        Path length divided by crow-flies distance, used by the straight-line model only (≥ 1).
    network_profile
        Which edges of a road network the mode may use: ``"walk"``, ``"bike"`` or ``"drive"``.
    speed_kmh_by_highway, rural_speed_kmh_by_highway
        Drive profile only: speed in km/h by OSM ``highway`` class in urban and in rural areas.
    """

    name: str
    speed_m_per_min: float
    detour_factor: float
    network_profile: str
    speed_kmh_by_highway: Mapping[str, float] = field(default_factory=dict, hash=False)
    rural_speed_kmh_by_highway: Mapping[str, float] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.speed_m_per_min) and self.speed_m_per_min > 0):
            msg = f"Mode {self.name!r}: speed_m_per_min must be positive, got {self.speed_m_per_min!r}"
            raise DataError(msg)
        if not (math.isfinite(self.detour_factor) and self.detour_factor >= 1.0):
            msg = f"Mode {self.name!r}: detour_factor must be ≥ 1, got {self.detour_factor!r}"
            raise DataError(msg)
        if self.network_profile not in NETWORK_PROFILES:
            msg = (
                f"Mode {self.name!r}: network_profile must be one of {', '.join(NETWORK_PROFILES)}, "
                f"got {self.network_profile!r}"
            )
            raise DataError(msg)

    @property
    def speed_kmh(self) -> float:
        """The straight-line speed in km/h."""
        return self.speed_m_per_min * 60.0 / 1000.0

    def reach_m(self, budget_min: float) -> float:
        """Crow-flies radius in metres reachable within ``budget_min`` in the straight-line model."""
        return self.speed_m_per_min * budget_min / self.detour_factor


NETWORK_PROFILES: Final[tuple[str, ...]] = ("walk", "bike", "drive")

# Detour factors: the ratio of network path length to straight-line distance. Studies of street
# networks put it around 1.2–1.4 for walking in cities and about 1.4 for driving (Boscoe, Henry &
# Zdeb 2012, "A nationwide comparison of driving distance versus straight-line distance to hospitals",
# Professional Geographer 64(2): 188–196, found a mean ratio of 1.417). We use 1.3 on foot and by bike
# and 1.4 by car; in Ordos' pastoral areas roads are sparse and the true factor can be higher, which is
# one reason to import a road network.
MODES: Final[dict[str, Mode]] = {
    # GB 50180-2018 (城市居住区规划设计标准) plans life circles with a walking speed of 60 m/min.
    "walk": Mode("walk", 60.0, 1.3, "walk"),
    # 0.8 m/s = 48 m/min: mean gait speed of women aged 65+ measured in the Health Survey for England
    # (men 0.9 m/s); Asher et al. 2012, "Most older pedestrians are unable to cross the road in time",
    # Age and Ageing 41(5): 690–694. We take the slower figure so a circle holds for most older people.
    "elderly_walk": Mode("elderly_walk", 48.0, 1.3, "walk"),
    # 12 km/h = 200 m/min: the low end of the 10–15 km/h usually assumed for everyday urban cycling,
    # as riders here include older people on tricycles and e-bikes are capped at 25 km/h (GB 17761).
    "bike": Mode("bike", 200.0, 1.3, "bike"),
    # 40 km/h ≈ 666.7 m/min straight-line average over a mix of urban streets (20–50 km/h) and rural
    # roads (40–70 km/h), including access and parking; the network model uses per-class speeds.
    "drive": Mode(
        "drive",
        40_000.0 / 60.0,
        1.4,
        "drive",
        speed_kmh_by_highway=URBAN_SPEED_KMH_BY_HIGHWAY,
        rural_speed_kmh_by_highway=RURAL_SPEED_KMH_BY_HIGHWAY,
    ),
}

# Default (mode, budget in minutes) per facility type. Neighbourhood services are reached on foot within
# the 15-minute life circle of GB 50180-2018; services meant for a whole village or township are reached
# by car in rural Ordos, where a 15-minute walk covers a fraction of a 嘎查. Nursing homes serve a whole
# banner, so 30 minutes by car. Settings: the UI and the CLI let the user change both.
TYPE_DEFAULTS: Final[dict[str, tuple[str, float]]] = {
    "community_station": ("walk", 15.0),
    "day_care": ("walk", 15.0),
    "canteen": ("walk", 15.0),
    "nursery": ("walk", 15.0),
    "children_home": ("walk", 15.0),
    "baby_station": ("walk", 15.0),
    "village_station": ("drive", 15.0),
    "regional_center": ("drive", 15.0),
    "demo_center": ("drive", 15.0),
    "nursing_home": ("drive", 30.0),
}
if set(TYPE_DEFAULTS) != set(FACILITY_TYPES):  # pragma: no cover - a programming error, caught on import
    raise RuntimeError("TYPE_DEFAULTS must name every facility type of geo.schema")


def get_mode(name: str) -> Mode:
    """The preset mode called ``name``.

    Raises
    ------
    DataError
        When ``name`` is not a preset; the message lists the presets.
    """
    try:
        return MODES[name]
    except KeyError:
        msg = f"未知出行方式 / unknown mode {name!r}; valid modes: {', '.join(MODES)}"
        raise DataError(msg) from None
