"""geo.hours: opening hours in words of the page language."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.hours import describe_hours


@pytest.mark.parametrize(
    ("text", "zh", "en"),
    [
        ("Mo-Sa 08:00-18:00", "周一至周六 08:00–18:00", "Mon–Sat 08:00–18:00"),
        (
            "Mo-Fr 16:00-19:00; Sa,Su 09:00-17:00",
            "周一至周五 16:00–19:00;周六、周日 09:00–17:00",
            "Mon–Fri 16:00–19:00; Sat, Sun 09:00–17:00",
        ),
        ("Mo-Su 11:00-13:00,17:00-18:30", "每天 11:00–13:00、17:00–18:30", "Daily 11:00–13:00, 17:00–18:30"),
        ("24/7", "全天24小时开放", "Open 24 hours, every day"),
        ("Sa 9:00-12:00; Su off", "周六 09:00–12:00;周日 休息", "Sat 09:00–12:00; Sun closed"),
        ("PH off", "法定节假日 休息", "Public holidays closed"),
        ("08:00-18:00", "08:00–18:00", "08:00–18:00"),
        ("", "", ""),
        ("by appointment", "by appointment", "by appointment"),  # the owner's own words stay
    ],
)
def test_describe_hours(text: str, zh: str, en: str) -> None:
    assert describe_hours(text, "zh") == zh
    assert describe_hours(text, "en") == en


def test_no_osm_day_codes_left_in_either_language() -> None:
    for text in ("Mo-Fr 07:30-18:00", "Sa,Su 09:00-17:00", "Mo-Su 08:00-20:00"):
        for lang in ("zh", "en"):
            words = describe_hours(text, lang)
            assert not any(code in words.split() for code in ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_describe_hours_never_raises(text: str) -> None:
    assert isinstance(describe_hours(text, "en"), str)
