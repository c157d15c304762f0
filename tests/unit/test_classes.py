"""geo.classes and geo.places: fixed class breaks, and gap cells named by township and settlement."""

from __future__ import annotations

import json

import h3
import numpy as np
import pandas as pd
import pytest

from geo import classes, hexagons, maps, places
from geo import io as gio
from geo.errors import DataError


def test_share_classes_are_fixed_steps_of_twenty_percent() -> None:
    k = classes.classify("covered_share", [0.0, 0.199, 0.2, 0.5, 0.8, 1.0, np.nan])
    assert k.tolist() == [0, 0, 1, 2, 4, 4, -1]
    labels = [label for _, label in classes.legend_items("covered_share")]
    assert labels == ["0–20%", "20–40%", "40–60%", "60–80%", "80–100%"]
    assert maps.share_colour(0.5) == classes.SHARE_COLOURS[2]
    assert maps.share_colour(float("nan")) == classes.NO_DATA_COLOUR


def test_density_classes_per_group() -> None:
    assert classes.legend_items("uncovered_density_pop_60plus")[0][1] == "< 40"
    assert classes.legend_items("uncovered_density_pop_total", density_unit="人/平方公里")[-1][1] == (
        "≥ 5,000 人/平方公里"
    )
    assert classes.gap_indicator("pop_0_3") == "uncovered_density_pop_0_3"
    with pytest.raises(DataError):
        classes.gap_indicator("pop_cats")


def _class_of_each(found: list[hexagons.HexClass]) -> dict[str, int]:
    out = {}
    for k, found_class in enumerate(found):
        for feature in json.loads(found_class.geojson)["features"]:
            ring = feature["geometry"]["coordinates"][0][:-1]
            lon, lat = np.mean(ring, axis=0)
            out[h3.latlng_to_cell(lat, lon, 9)] = k
    return out


def test_a_colour_means_the_same_density_at_every_resolution() -> None:
    parent = h3.latlng_to_cell(39.81, 109.98, 8)
    children = sorted(h3.cell_to_children(parent, 9))
    frame = pd.DataFrame({"cell_id": children, "v": [600.0] * len(children)})
    fine = hexagons.hexagon_classes(frame, value_col="v", max_cells=100)  # seven res-9 hexagons
    coarse = hexagons.hexagon_classes(frame, value_col="v", max_cells=1)  # one res-8 hexagon of 4,200
    assert sum(c.n_hexagons for c in fine) == 7
    assert sum(c.n_hexagons for c in coarse) == 1
    # 600 people in 0.105 km² and 4,200 in 0.737 km² are the same density: the same class
    assert set(_class_of_each(fine).values()) == set(_class_of_each(coarse).values())
    density = 600 / h3.cell_area(children[0], unit="km^2")
    assert set(_class_of_each(fine).values()) == {
        int(classes.classify("uncovered_density_pop_total", [density])[0])
    }
    # the legend is the same whatever is drawn, even nothing
    empty = hexagons.hexagon_classes(pd.DataFrame({"cell_id": [], "v": []}), value_col="v")
    assert [(c.colour, c.text) for c in empty] == [(c.colour, c.text) for c in fine]
    assert all(c.n_hexagons == 0 and json.loads(c.geojson)["features"] == [] for c in empty)


def test_hexagon_tooltips_name_the_place_and_are_escaped() -> None:
    cell = h3.latlng_to_cell(39.81, 109.98, 9)
    frame = pd.DataFrame({"cell_id": [cell], "v": [50], "place": ["<b>罕台镇</b> · 乡村"]})
    found = hexagons.hexagon_classes(frame, value_col="v", label_col="place", density_unit="人/平方公里")
    tips = [f["properties"]["tip"] for c in found for f in json.loads(c.geojson)["features"]]
    assert len(tips) == 1 and "&lt;b&gt;罕台镇&lt;/b&gt;" in tips[0] and "50" in tips[0]
    assert "<b>" not in tips[0]
    # Characters JSON must escape in a name reach the tooltip as they were.
    odd = frame.assign(place=['罕台\\镇\t"东"'])
    found = hexagons.hexagon_classes(odd, value_col="v", label_col="place")
    (tip,) = [f["properties"]["tip"] for c in found for f in json.loads(c.geojson)["features"]]
    assert tip.startswith("罕台&#92;镇\t&quot;东&quot;")


def test_gap_cells_are_named_by_township_settlement_and_bearing() -> None:
    cells = gio.read_population_cells()
    seats = gio.read_township_seats()
    centres = places.township_centres(cells, seats)
    sample = cells[cells["settlement"] == "village"].head(3)
    zh = places.cell_places(
        sample, lang="zh", townships=gio.read_townships(), centres=centres, districts=gio.read_districts()
    )
    en = places.cell_places(
        sample, lang="en", townships=gio.read_townships(), centres=centres, districts=gio.read_districts()
    )
    for name in zh:
        assert "乡村" in name and "乡镇驻地" in name and not any(c.isascii() and c.isalpha() for c in name)
    for name in en:
        assert "village area" in name and "township seat" in name
    assert not any(str(c) in " ".join(zh) for c in sample["cell_id"])


def test_bearings() -> None:
    assert places.bearing_word(0, 100, "zh") == "北"
    assert places.bearing_word(100, 100, "en") == "NE"
    assert places.bearing_word(-100, -5, "zh") == "西"
    assert places.bearing_word(1, -100, "en") == "S"
