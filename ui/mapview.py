"""The one place that puts a folium map into a Streamlit page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import folium
from streamlit_folium import st_folium

from geo.maps import add_interaction, display_to_wgs84
from ui.i18n import t


def show_map(
    m: folium.Map, *, key: str, height: int = 520, returned_objects: Sequence[str] = ()
) -> dict[str, Any]:
    """Draw ``m`` at full width; only the objects named in ``returned_objects`` trigger a rerun.

    Panning and zooming never rerun the script: ``returned_objects`` is empty by default and the
    finder asks only for ``last_clicked``. Every map gets the app's map behaviour
    (:func:`geo.maps.add_interaction`): presses land where they are made, one finger scrolls the page
    on a phone, 44 px buttons.
    """
    add_interaction(m, touch_hint=t("map_touch_hint"))
    result = st_folium(
        m, key=key, height=height, use_container_width=True, returned_objects=list(returned_objects)
    )
    return result or {}


def clicked_lonlat(result: dict[str, Any], *, basemap: str) -> tuple[float, float] | None:
    """The WGS84 lon, lat of the last click (shifted back from GCJ-02 on the AutoNavi basemap)."""
    clicked = result.get("last_clicked")
    if not clicked:
        return None
    # Leaflet gives lat, lng; we want lon, lat
    return display_to_wgs84(float(clicked["lng"]), float(clicked["lat"]), basemap=basemap)
