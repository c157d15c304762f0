"""`python -m geo nearby`: the finder's answer for scripts, and exactly what the finder page shows."""

from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stderr, redirect_stdout
from datetime import datetime

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo import hours
from geo.cli import main
from geo.store import FacilityStore
from tests.app.conftest import APP

AT = "2026-11-30 10:00"  # a Monday morning


def nearby(*args: str) -> tuple[int, str, str]:
    raw, err = io.BytesIO(), io.StringIO()
    out = io.TextIOWrapper(raw, encoding="utf-8")  # the CSV is written to stdout's byte buffer
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["nearby", "--at", AT, *args])
    out.flush()
    return code, raw.getvalue().decode("utf-8"), err.getvalue()


def test_place_name_json(store: FacilityStore) -> None:
    code, out, err = nearby("--place", "Kangbashi", "--type", "nursery", "--limit", "3")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["place"]["name"] == "康巴什区" and doc["place"]["kind"] == "seat"
    assert (doc["place"]["lon"], doc["place"]["lat"]) == pytest.approx((109.78157, 39.6086))
    rows = doc["facilities"]
    assert [r["rank"] for r in rows] == [1, 2, 3]
    assert [r["minutes"] for r in rows] == sorted(r["minutes"] for r in rows)
    first = rows[0]
    assert {"minutes", "distance_m", "open_now", "available_places", "phone", "navigation"} <= set(first)
    assert first["open_now"] is True and first["hours_text"].startswith("周一至周五")
    assert set(first["navigation"]) == {"amap", "baidu", "geo", "apple"}
    assert doc["data"]["facilities"]["modelled"] is True and "模拟" in err


def test_csv_and_english(store: FacilityStore) -> None:
    code, out, _ = nearby("--place", "东胜", "--type", "elderly", "--format", "csv", "--lang", "en")
    assert code == 0
    table = pd.read_csv(io.StringIO(out.lstrip("\ufeff")))
    assert table["place_name"].iloc[0] == "东胜区" and len(table) == 10
    assert not table["hours_text"].str.contains(r"\bMo\b|\bFr\b|[\u4e00-\u9fff]").any()
    assert table["amap_url"].str.startswith("https://uri.amap.com/").all()


def test_swapped_and_outside_coordinates_exit_1_saying_which(store: FacilityStore) -> None:
    code, out, err = nearby("--lon", "39.81", "--lat", "109.98", "--type", "elderly")
    assert (code, out) == (1, "")
    assert "颠倒" in err and "swapped" in err
    code, _, err = nearby("--lon", "116.4", "--lat", "39.9", "--type", "elderly")
    assert code == 1 and "不在鄂尔多斯市范围内" in err and "outside Ordos" in err
    code, _, err = nearby("--place", "116.4, 39.9", "--type", "elderly")
    assert code == 1 and "outside Ordos" in err
    # typed text in either order is read, and the swap is said
    code, out, err = nearby("--place", "39.81, 109.98", "--type", "elderly")
    assert code == 0 and "纬度, 经度" in err and "latitude, longitude" in err
    assert json.loads(out)["place"]["lon"] == pytest.approx(109.98)


def test_unknown_place_and_type(store: FacilityStore) -> None:
    code, _, err = nearby("--place", "万达", "--type", "child")
    assert code == 1 and "没有找到" in err and "Nothing found" in err and "shops" in err
    code, _, err = nearby("--place", "东胜", "--type", "hospital")
    assert code == 1 and "未知的服务类型" in err and "Unknown service type" in err
    with redirect_stderr(io.StringIO()):
        assert main(["nearby", "--type", "child"]) == 2  # wrong usage: no place


def _cards(at: AppTest) -> list[str]:
    """The text of each result card as the page shows it (Markdown escapes removed)."""
    bodies = [re.sub(r"\\(.)", r"\1", m.value) for m in at.markdown]
    cards: list[str] = []
    for body in bodies:
        if re.match(r"^\*\*\d+\. ", body):
            cards.append(body)
        elif cards and not body.startswith("<style>"):
            cards[-1] += "\n" + body
    return cards


@pytest.mark.parametrize(
    ("query", "need", "mode"), [("Kangbashi", "nursery", "walk"), ("天骄街道", "elderly", "bike")]
)
def test_command_equals_the_finder_page(
    store: FacilityStore, monkeypatch: pytest.MonkeyPatch, query: str, need: str, mode: str
) -> None:
    monkeypatch.setattr(hours, "ordos_now", lambda: datetime.fromisoformat(AT))
    code, out, _ = nearby("--place", query, "--type", need, "--mode", mode)
    assert code == 0
    doc = json.loads(out)

    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"place": query, "need": need, "mode": mode})
    at.switch_page("app_pages/find.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    home = next(c.value for c in at.caption if c.value.startswith("当前位置"))
    assert doc["place"]["name"] in home and f"{doc['place']['lon']:.5f}" in home
    cards = _cards(at)
    assert len(cards) == len(doc["facilities"]) > 0
    for card, row in zip(cards, doc["facilities"], strict=True):
        distance = (
            f"{row['distance_m']} 米" if row["distance_m"] < 1000 else f"{row['distance_m'] / 1000:.1f} 公里"
        )
        expected = [
            f"**{row['rank']}. {row['name']}**",
            row["type_label"],
            f"约 {row['minutes']} 分钟 · 直线 {distance}",
            row["hours_text"],
            {True: "现在营业", False: "现在未营业", None: "营业状态未知"}[row["open_now"]],
            row["navigation"]["amap"],
            row["navigation"]["baidu"],
        ]
        if row["available_places"] is not None:
            expected.append(f"空余名额 {row['available_places']} 个")
        if row["phone"]:
            expected.append(row["phone"])
        missing = [e for e in expected if e not in card]
        assert not missing, (missing, card)
