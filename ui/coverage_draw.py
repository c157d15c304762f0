"""The coverage map at city scale: what is drawn in full and what as aggregates, cached by the controls.

The page's figures (metrics, tables, downloads) come from :func:`ui.loaders.coverage_bundle` on the
full data; this module only decides what the map draws (``geo.map_scale``) and says so in the map's
legend and under the map, in the page language.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeGuard

import folium
import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st

from geo import map_scale as ms
from geo import maps
from geo.isochrones import isochrones
from geo.schema import FACILITY_TYPES
from geo.travel import StraightLineModel, TravelModel
from ui import loaders
from ui.i18n import CATALOG, current_lang, t, type_name

if TYPE_CHECKING:  # the controls module builds maps through this one
    from ui.coverage_ui import CoverageControls

LIMITS = ms.DrawLimits()
"""What the coverage map draws in full detail (see :class:`geo.map_scale.DrawLimits`)."""


def chosen_facilities(version: str, types: tuple[str, ...]) -> pd.DataFrame:
    """The facilities the coverage map shows (:func:`geo.coverage.select_facilities`, shared)."""
    return loaders.open_facilities(version, types)


def band_minutes(budget_min: float) -> tuple[float, ...]:
    """The isochrone bands drawn for a budget: a third, two thirds and the whole of it."""
    return tuple(sorted({budget_min / 3, 2 * budget_min / 3, float(budget_min)}))


def _bands_getter(
    version: str, code: str, model: StraightLineModel, budgets_min: tuple[float, ...]
) -> Callable[[], list[Any]]:
    """What gets the straight-line reach bands (WGS84, one per budget) of the open facilities of one
    type, made once per data version and shared; it may be called from any thread (it holds the
    version's memo and the points, and asks nothing of Streamlit)."""
    memo = loaders.memo_of(version)
    points = loaders.open_facilities(version, (code,))[["lon", "lat"]].to_numpy(float)
    key = (code, model.mode.name, budgets_min)
    # As few segments as the drawing's 10 m tolerance allows; at city scale (more open facilities than
    # the map draws as markers) 4 a quarter, within 2 % of the radius and under the simplification of
    # thousands of circles. Either way each union is several times cheaper than with 32.
    city_scale = len(loaders.open_facilities(version, tuple(FACILITY_TYPES))) > LIMITS.max_facility_markers
    quad_segs = 4 if city_scale else loaders.drawing_quad_segs(model, max(budgets_min))

    def build() -> list[Any]:
        return model.isochrones(points, budgets_min=budgets_min, quad_segs=quad_segs)

    return lambda: memo.get("type_bands", key, build, max_entries=48)


# One background job at a time per server process: the bands of a new combination of controls are made
# while the script computes the figures (GEOS works without holding the interpreter lock). At most one
# more waits its turn; beyond that nothing is queued (controls changed faster than the bands are made
# must not pile up work): the map then makes its bands itself, as it would without this.
_BANDS_AHEAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="carecircle-bands")
_BANDS_SLOTS = threading.BoundedSemaphore(2)


def _made_ahead(model: TravelModel, n_facilities: int) -> TypeGuard[StraightLineModel]:
    """Whether the reach bands of ``n_facilities`` are worth starting in the background: per-type
    straight-line bands of thousands of circles (city scale)."""
    return isinstance(model, StraightLineModel) and n_facilities > LIMITS.max_facility_markers


def prefetch_bands(version: str, ctl: CoverageControls) -> None:
    """Start making the reach bands the map will draw, in the background (city scale only).

    The map waits for them where it needs them (the shared memo hands a value being built to whoever
    asks for it next); a failure here only means the map makes them itself.
    """
    if "isochrones" not in ctl.layers:
        return
    model = loaders.travel_model(ctl.mode)
    if not _made_ahead(model, len(loaders.open_facilities(version, ctl.types))):
        return
    budgets = band_minutes(ctl.budget_min)

    getters = [_bands_getter(version, code, model, budgets) for code in ctl.types]

    def job() -> None:
        try:
            for get in getters:
                get()
        finally:
            _BANDS_SLOTS.release()

    if not _BANDS_SLOTS.acquire(blocking=False):
        return
    future = _BANDS_AHEAD.submit(job)
    future.add_done_callback(lambda f: f.exception())  # retrieved, so never logged as unhandled


def _union(parts: list[Any]) -> Any:
    """The union of the types' bands of one budget (one type's band as it is)."""
    shown = [g for g in parts if not g.is_empty]
    if len(shown) == 1:
        return shown[0]
    return shapely.make_valid(shapely.union_all(shown)) if shown else shapely.Polygon()


@st.cache_data(show_spinner=False, max_entries=16)
def _isochrones(
    version: str, types: tuple[str, ...], mode: str, budget_min: float, basemap: str, _chosen: pd.DataFrame
) -> tuple[list[ms.BandShape], ms.Drawn]:
    # ``_chosen`` is not hashed: it follows from the version and the types.
    points = _chosen[["lon", "lat"]].to_numpy(float)
    model = loaders.travel_model(mode)
    if isinstance(model, StraightLineModel):
        # Circles: made per facility type and kept (adding a type to the map unions its bands with
        # those already made), with as few segments as the drawing needs (_bands_getter).
        budgets = band_minutes(budget_min)
        per_type = [_bands_getter(version, code, model, budgets)() for code in types]
        geoms = [_union([bands[i] for bands in per_type]) for i in range(len(budgets))]
        bands = gpd.GeoDataFrame({"minutes": budgets}, geometry=geoms, crs="EPSG:4326")
    else:
        bands = isochrones(model, points, budgets_min=band_minutes(budget_min))
    return ms.isochrone_display(bands, basemap=basemap, limits=LIMITS)


@st.cache_data(show_spinner=False, max_entries=16)
def _facility_groups(
    version: str, types: tuple[str, ...], _chosen: pd.DataFrame
) -> tuple[pd.DataFrame | None, ms.Drawn]:
    groups, drawn = ms.facility_groups(_chosen, max_markers=LIMITS.max_facility_markers)
    return (groups if drawn.aggregated else None), drawn


@st.cache_data(show_spinner=False, max_entries=32)
def _gaps_drawn(
    version: str, types: tuple[str, ...], mode: str, budget_min: float, target: str, district: int
) -> ms.Drawn:
    uncovered = loaders.coverage_bundle(version, types, mode, budget_min, target)["uncovered"]
    if district:
        uncovered = uncovered.loc[uncovered["adcode"] == district]
    return ms.gap_cells_drawn(uncovered, value_col="uncovered", max_cells=LIMITS.max_hexagons)


def add_isochrones(
    m: folium.Map | folium.FeatureGroup,
    version: str,
    chosen: pd.DataFrame,
    *,
    types: tuple[str, ...],
    mode: str,
    budget_min: float,
    basemap: str,
    pane: str | None = None,
) -> list[tuple[str, str]]:
    """Draw the isochrone bands of ``chosen`` (simplified at scale) in ``pane``; returns the legend items."""
    shapes, _ = _isochrones(version, types, mode, float(budget_min), basemap, chosen)
    label = lambda minutes: t("minutes_label", minutes=minutes)  # noqa: E731
    ms.add_isochrone_display(m, shapes, label=label, pane=pane)
    return [
        (maps.BAND_COLOURS[min(rank, len(maps.BAND_COLOURS) - 1)], label(minutes))
        for rank, minutes in enumerate(band_minutes(budget_min))
    ]


def _group_labeller() -> Callable[[int, Mapping[str, int]], str]:
    """Tooltip text of a circle of facilities, with the catalog strings looked up once (not per circle)."""
    names = {code: type_name(code) for code in FACILITY_TYPES}
    join, tip = t("map_group_join"), CATALOG["map_group_tip"][current_lang()]

    def label(count: int, types: Mapping[str, int]) -> str:
        parts = join.join(f"{names.get(c, c)} {k:,}" for c, k in sorted(types.items(), key=lambda i: -i[1]))
        return tip.format(n=count, types=parts)

    return label


def facilities_aggregated(version: str, types: tuple[str, ...]) -> bool:
    """Whether the coverage map draws the open facilities of ``types`` counted per H3 cell (too many
    for markers)."""
    return _facility_groups(version, types, chosen_facilities(version, types))[0] is not None


def add_facilities(
    m: folium.Map | folium.FeatureGroup,
    version: str,
    chosen: pd.DataFrame,
    *,
    types: tuple[str, ...],
    basemap: str,
    lang: str,
    labels: dict[str, str],
    rows: list[list[Any]] | None = None,
) -> str:
    """Draw the facilities: each with its popup (``rows``: as :func:`ui.mapbuild.facility_rows` gives
    them, when at hand), or counted per H3 cell above the limit.

    Returns
    -------
    str
        The legend block of the facility colours (with the colour of mixed cells when aggregated).
    """
    groups, _ = _facility_groups(version, types, chosen)
    if groups is None:
        maps.add_facilities(m, chosen, basemap=basemap, lang=lang, labels=labels, rows=rows)
        return maps.facility_legend(types, title=t("legend_types"), lang=lang)
    ms.add_facility_groups(m, groups, basemap=basemap, label=_group_labeller())
    items = [(maps.TYPE_COLOURS[code], type_name(code)) for code in types if code in maps.TYPE_COLOURS]
    if len(types) > 1:
        items.append((ms.MIXED_COLOUR, t("map_group_mixed")))
    return maps.legend_html(t("legend_types"), items)


def drawn_layers(
    version: str,
    *,
    types: tuple[str, ...],
    mode: str,
    budget_min: float,
    target: str,
    district: int,
    layers: tuple[str, ...],
    basemap: str,
) -> list[ms.Drawn]:
    """What each shown layer of the coverage map draws (from the same cached results the map uses)."""
    chosen = chosen_facilities(version, types)
    out = []
    if "facilities" in layers:
        out.append(_facility_groups(version, types, chosen)[1])
    if "gaps" in layers:
        out.append(_gaps_drawn(version, types, mode, float(budget_min), target, district))
    if "isochrones" in layers and not chosen.empty:
        out.append(_isochrones(version, types, mode, float(budget_min), basemap, chosen)[1])
    return out


def aggregate_lines(drawn: list[ms.Drawn]) -> list[str]:
    """One sentence per aggregated layer, in the page language; empty when everything is drawn."""
    lines = []
    for d in drawn:
        if not d.aggregated:
            continue
        if d.layer == "facilities":
            lines.append(t("map_agg_facilities", n=d.n_items, drawn=d.n_drawn, res=d.resolution))
        elif d.layer == "gaps":
            lines.append(
                t("map_agg_gaps", n=d.n_items, src=d.source_resolution, drawn=d.n_drawn, res=d.resolution)
            )
        elif d.layer == "isochrones":
            lines.append(t("map_agg_isochrones", m=d.tolerance_m))
    return lines


def legend_note(drawn: list[ms.Drawn]) -> str | None:
    """The legend block saying what the map aggregates, or None when it draws everything."""
    lines = aggregate_lines(drawn)
    if not lines:
        return None
    rows = "".join(f"<div>{maps.esc(line)}</div>" for line in [*lines, t("map_agg_counted")])
    return f'<div style="max-width:230px"><b>{maps.esc(t("map_agg_title"))}</b>{rows}</div>'


def caption(version: str, ctl: CoverageControls) -> None:
    """Say under the map what it shows as aggregates (nothing when it draws everything)."""
    args = {
        k: getattr(ctl, k) for k in ("types", "mode", "budget_min", "target", "district", "layers", "basemap")
    }
    lines = aggregate_lines(drawn_layers(version, **args))
    if lines:
        st.caption(" ".join([t("map_agg_title") + t("map_agg_colon"), *lines, t("map_agg_counted")]))


def clear() -> None:
    """Drop the cached drawings (with the data caches, after a publish)."""
    for cached in (_isochrones, _facility_groups, _gaps_drawn):
        cached.clear()
