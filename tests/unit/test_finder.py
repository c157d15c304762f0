"""geo.finder: opening hours and ranking facilities from one point (oracle: brute force)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import io as gio
from geo.crs import to_metric
from geo.finder import nearby
from geo.hours import is_open
from geo.travel import MODES, StraightLineModel

MON_10 = datetime(2026, 11, 30, 10, 0)  # a Monday
SUN_10 = datetime(2026, 11, 29, 10, 0)


@pytest.mark.parametrize(
    ("hours", "when", "expected"),
    [
        ("24/7", MON_10, True),
        ("Mo-Fr 08:00-18:00", MON_10, True),
        ("Mo-Fr 08:00-18:00", SUN_10, False),
        ("Mo-Fr 08:00-18:00", datetime(2026, 11, 30, 18, 0), False),
        ("Mo-Fr 08:00-09:30,14:00-17:30", MON_10, False),
        ("Mo,We 08:00-12:00", MON_10, True),
        ("Mo-Su 08:00-18:00; Su off", SUN_10, False),
        ("Sa-Mo 09:00-11:00", SUN_10, True),
        ("Mo-Su 22:00-06:00", datetime(2026, 11, 30, 2, 0), True),
        ("Mo-Su 22:00-06:00", datetime(2026, 11, 30, 12, 0), False),
        ("08:00-18:00", SUN_10, True),
        ("", MON_10, None),
        ("by appointment", MON_10, None),
        ("Mo-Fr 8点-18点", MON_10, None),
    ],
)
def test_is_open(hours: str, when: datetime, expected: bool | None) -> None:
    assert is_open(hours, when) is expected


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_is_open_never_raises(text: str, when: datetime) -> None:
    assert is_open(text, when) in (True, False, None)


@pytest.fixture(scope="module")
def facilities() -> pd.DataFrame:
    return gio.read_facilities_csv(gio.DATASETS_DIR / gio.FACILITIES_SAMPLE_FILE)


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_nearby_matches_brute_force(facilities: pd.DataFrame, mode: str) -> None:
    home = (109.7816, 39.6086)
    model = StraightLineModel(MODES[mode])
    out = nearby(facilities, home, model, budget_min=30, limit=None)
    fac = facilities[facilities["status"].isin(["open", ""])]
    hx, hy = to_metric(*home)
    fx, fy = to_metric(fac["lon"].to_numpy(float), fac["lat"].to_numpy(float))
    dist = np.hypot(fx - hx, fy - hy)
    minutes = dist * MODES[mode].detour_factor / MODES[mode].speed_m_per_min
    expected = fac.assign(minutes=minutes).query("minutes <= 30").sort_values(["minutes", "name"])
    assert out["facility_id"].tolist() == expected["facility_id"].tolist()
    assert out["minutes"].to_numpy() == pytest.approx(expected["minutes"].to_numpy(), abs=1e-6)
    assert (np.diff(out["minutes"].to_numpy()) >= 0).all()
    assert "closed" not in set(out["status"]) and "planned" not in set(out["status"])


def test_nearby_limit_and_empty(facilities: pd.DataFrame) -> None:
    model = StraightLineModel(MODES["walk"])
    assert len(nearby(facilities, (109.7816, 39.6086), model, budget_min=60, limit=3)) == 3
    assert nearby(facilities.iloc[0:0], (109.78, 39.6), model, budget_min=15).empty
    assert nearby(facilities, (107.0, 38.0), model, budget_min=1).empty
