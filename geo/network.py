"""Road networks from OpenStreetMap and the network travel model: the public entry point.

The work is split by job; this module gathers their public names so callers import one place:

* :mod:`geo._osm` — reading ``.osm.pbf``, ``.osm`` XML and ``.graphml`` files into raw arrays;
* :mod:`geo.roads` — the routing rules (``highway`` classes, access, one-way, speeds) and the pure
  builder :func:`build_network` of the CSR :class:`RoadNetwork`;
* :mod:`geo.network_files` — networks on disk, keyed by the source file's SHA-256;
* :mod:`geo.snapping` — the exact nearest-segment index;
* :mod:`geo.network_model` — :class:`NetworkTravelModel`: nearest facility, the many-to-many
  matrix within a budget (compiled kernel, :mod:`geo._kernel`) and isochrones.

See ``docs/engine.md`` for the design and the measured costs.
"""

from __future__ import annotations

from geo.network_files import (
    DEFAULT_NETWORK_DIR,
    file_sha256,
    import_network,
    latest_network,
    list_networks,
    load_network,
    save_network,
)
from geo.network_model import ISOCHRONE_BUFFER_M, NetworkTravelModel
from geo.roads import (
    ARRAY_FIELDS,
    BIKE,
    DRIVE,
    EARTH_RADIUS_M,
    HIGHWAY_CLASSES,
    PROFILE_BITS,
    WALK,
    NetworkInfo,
    RoadNetwork,
    build_network,
    edge_minutes,
    parse_maxspeed_kmh,
    way_access,
)
from geo.snapping import SNAP_CANDIDATES, SNAP_SAMPLE_SPACING_M

__all__ = [
    "ARRAY_FIELDS",
    "BIKE",
    "DEFAULT_NETWORK_DIR",
    "DRIVE",
    "EARTH_RADIUS_M",
    "HIGHWAY_CLASSES",
    "ISOCHRONE_BUFFER_M",
    "PROFILE_BITS",
    "SNAP_CANDIDATES",
    "SNAP_SAMPLE_SPACING_M",
    "WALK",
    "NetworkInfo",
    "NetworkTravelModel",
    "RoadNetwork",
    "build_network",
    "edge_minutes",
    "file_sha256",
    "import_network",
    "latest_network",
    "list_networks",
    "load_network",
    "parse_maxspeed_kmh",
    "save_network",
    "way_access",
]
