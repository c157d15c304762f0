"""The choices and defaults the commands and pages offer, kept apart from the modules that use them.

Standard library only: the command line builds its parser (choices, defaults, help) from these
without loading numpy, pandas, the geometry stack or the database layer. Each name is re-exported by
the module whose job it belongs to (``geo.importer``, ``geo.demand``, ``geo.demand_store``,
``geo.boundaries``, ``geo.finder``, ``geo.crs``, ``geo.fmt``), which is where the rest of the program imports it from.
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = [
    "BOUNDARY_LEVELS",
    "DEFAULT_RESOLUTION",
    "DEMAND_MODES",
    "FINDER_MODES",
    "IMPORT_MODES",
    "LANGS",
    "REACH_MIN",
    "RESOLUTIONS",
    "RESULTS_LIMIT",
    "SEARCH_MIN",
    "SUPPORTED_CRS",
    "CrsName",
]

# --- languages of reports and downloads (geo.fmt) -------------------------------------------------
LANGS: Final[tuple[str, ...]] = ("zh", "en")

# --- coordinate systems (geo.crs) ----------------------------------------------------------------
CrsName = Literal["wgs84", "gcj02", "bd09"]
SUPPORTED_CRS: Final[tuple[CrsName, ...]] = ("wgs84", "gcj02", "bd09")
"""Canonical names of the geographic coordinate systems the package converts between."""

# --- facility import (geo.importer) --------------------------------------------------------------
IMPORT_MODES: Final[tuple[str, ...]] = ("upsert", "replace")
"""``upsert``: add and update the file's facilities; ``replace``: the file is the complete list."""

# --- demand and boundary layers (geo.demand, geo.demand_store, geo.boundaries) --------------------
RESOLUTIONS: Final[tuple[int, ...]] = (8, 9, 10)
"""H3 resolutions a demand layer may use: about 0.74, 0.11 and 0.015 km² per cell."""
DEFAULT_RESOLUTION: Final[int] = 9
"""The shipped sample's resolution."""
DEMAND_MODES: Final[tuple[str, ...]] = ("replace", "patch")
BOUNDARY_LEVELS: Final[tuple[str, ...]] = ("township",)

# --- the finder (geo.finder) ----------------------------------------------------------------------
FINDER_MODES: Final[tuple[str, ...]] = ("walk", "elderly_walk", "bike", "drive")
SEARCH_MIN: Final[float] = 60.0
"""The finder lists what is reachable within an hour."""
RESULTS_LIMIT: Final[int] = 10
REACH_MIN: Final[float] = 15.0
"""The reach drawn around the resident: the 15-minute circle."""
