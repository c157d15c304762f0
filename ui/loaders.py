"""Cached access to the store and to the heavy computations, keyed by the store's data version.

``st.cache_resource`` holds read-only shared objects (the store, travel models, the gazetteer);
``st.cache_data`` holds tables. Every function whose result depends on the published facilities takes
the data version as its first argument, so a new load shows at once and old entries simply age out.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from geo import coverage as cov
from geo import io as gio
from geo import maps
from geo.demand_store import DemandLayers, load_layers, sample_version
from geo.geocode import Gazetteer, build_gazetteer
from geo.isochrones import isochrones
from geo.models import default_model
from geo.provenance import data_block as build_data_block
from geo.store import FacilityStore, database_url, network_dir, open_store
from geo.travel import TravelModel, get_mode


@st.cache_resource(show_spinner=False)
def _store(url: str) -> FacilityStore:
    return open_store(url)


def store() -> FacilityStore:
    """The facility store of ``$DATABASE_URL`` (else ``data/carecircle.db``), created on first use."""
    return _store(database_url())


def _network_key() -> str:
    """Changes when a road network is imported or replaced (file names and modification times)."""
    folder = network_dir()
    if not folder.is_dir():
        return "none"
    return ";".join(f"{p.name}:{p.stat().st_mtime_ns}" for p in sorted(folder.iterdir())) or "none"


def data_version() -> str:
    """The cache key of the published data and the road network (changes with every publish, restore
    or network import), so cached tables, models and maps never outlive what they were made from."""
    return f"{store().data_version()}|network={_network_key()}"


@st.cache_data(show_spinner=False, max_entries=4)
def _facilities(version: str) -> pd.DataFrame:
    return store().facilities()


def facilities() -> tuple[str, pd.DataFrame]:
    """``(data version, facilities of the newest version)``."""
    version = data_version()
    return version, _facilities(version)


@st.cache_data(show_spinner=False)
def districts() -> gpd.GeoDataFrame:
    """District outlines simplified for drawing (adcode, name, name_en, geometry)."""
    return maps.display_districts(gio.read_districts())


@st.cache_data(show_spinner=False, max_entries=4)
def _layers(version: str) -> DemandLayers | None:
    try:
        return load_layers(store().engine)
    except FileNotFoundError:  # no demand imported and the shipped sample missing
        return None


def layers() -> DemandLayers | None:
    """The published demand and township layers (the modelled sample and seats until real ones are
    imported), or None when there is no demand at all."""
    return _layers(data_version())


def boundaries() -> gpd.GeoDataFrame | None:
    """Imported township polygons (``code, name, adcode, area_km2, geometry``), or None."""
    current = layers()
    return current.boundaries if current is not None else None


def townships() -> pd.DataFrame:
    """Township codes and names (``code, name, adcode``): imported boundaries' first, then the
    statistics list's."""
    current = layers()
    return current.townships if current is not None else gio.read_townships()


def cells() -> pd.DataFrame | None:
    """Demand cells of the published layer with their townships, or None when there is none."""
    current = layers()
    return current.cells if current is not None else None


@st.cache_data(show_spinner=False, max_entries=4)
def _data_block(version: str) -> dict[str, Any]:
    current = layers()
    facility_store = store()
    published = facility_store.current_version()
    return build_data_block(
        facilities_info=facility_store.version_info(published) if published is not None else None,
        facilities=_facilities(version),
        demand_info=current.demand if current is not None else sample_version(),
        boundary_info=current.boundary if current is not None else None,
        model=travel_model("walk").describe(),
        modelled_townships=len(gio.read_modelled_townships()),
    )


def data_block() -> dict[str, Any]:
    """What each layer is and whether it is modelled (:func:`geo.provenance.data_block`)."""
    return _data_block(data_version())


@st.cache_resource(show_spinner=False, max_entries=8)
def _travel_model(mode: str, network_key: str) -> TravelModel:
    return default_model(get_mode(mode), network_dir=network_dir())


def travel_model(mode: str) -> TravelModel:
    """The travel model for a mode preset: the road network when one is imported, else straight line."""
    return _travel_model(mode, _network_key())


@st.cache_resource(show_spinner=False, max_entries=4)
def gazetteer(version: str) -> Gazetteer:
    """The offline gazetteer including the facilities of ``version``."""
    return build_gazetteer(_facilities(version), cells=cells())


@st.cache_data(show_spinner=False, max_entries=32)
def isochrone_bands(
    version: str, points: tuple[tuple[float, float], ...], mode: str, budgets_min: tuple[float, ...]
) -> gpd.GeoDataFrame:
    """Isochrones of a set of WGS84 points (facilities or a resident's home)."""
    return isochrones(
        travel_model(mode), np.asarray(points, dtype=float).reshape(-1, 2), budgets_min=budgets_min
    )


@st.cache_data(show_spinner=False, max_entries=32)
def coverage_bundle(
    version: str, types: tuple[str, ...], mode: str, budget_min: float, target: str
) -> dict[str, Any]:
    """Everything the coverage page shows for one set of controls.

    Returns
    -------
    dict
        ``access`` (per cell), ``districts`` and ``townships`` (area tables with 2SFCA columns),
        ``totals`` (city row), ``gaps`` (top 50 uncovered cells), ``uncovered`` (cell_id and uncovered
        target people), ``model`` (``describe()`` of the travel model).
    """
    demand = cells()
    if demand is None:
        msg = "no demand cells"
        raise FileNotFoundError(msg)
    fac = _facilities(version)
    model = travel_model(mode)
    tiers = tuple(sorted({round(budget_min / 3, 6), round(2 * budget_min / 3, 6), budget_min}))
    access = cov.cell_access(demand, fac, model, types=list(types), budget_min=budget_min, tiers_min=tiers)
    fca = cov.two_step_fca(demand, fac, model, types=list(types), budget_min=budget_min, demand_col=target)
    names = gio.read_districts()[["adcode", "name"]]
    by_district = cov.area_table(demand, access, fac, by="district", types=list(types), names=names, fca=fca)
    by_township = cov.area_table(
        demand, access, fac, by="township", types=list(types), names=townships(), fca=fca
    )
    gaps = cov.gap_list(demand, access, target=target, top=50, districts=names, townships=townships())
    uncovered = pd.DataFrame(
        {
            "cell_id": demand["cell_id"],
            "adcode": demand["adcode"],
            "uncovered": np.where(access["covered"].to_numpy(bool), 0, demand[target].to_numpy()),
        }
    )
    return {
        "access": access,
        "districts": by_district,
        "townships": by_township,
        "totals": cov.area_totals(by_district, fca_target=target),
        "gaps": gaps,
        "uncovered": uncovered,
        "model": model.describe(),
    }


@st.cache_data(show_spinner=False, max_entries=32)
def uncovered_hexagons(
    version: str,
    types: tuple[str, ...],
    mode: str,
    budget_min: float,
    target: str,
    district: int,
    basemap: str,
    unit: str,
) -> list[maps.HexClass]:
    """Hexagon classes of the uncovered target people (optionally of one district), ready to draw."""
    uncovered = coverage_bundle(version, types, mode, budget_min, target)["uncovered"]
    if district:
        uncovered = uncovered.loc[uncovered["adcode"] == district]
    return maps.hexagon_classes(uncovered, value_col="uncovered", basemap=basemap, unit=unit)
