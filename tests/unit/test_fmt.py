"""geo.fmt and geo.texts: one way to show a number, one label per column, Chinese punctuation."""

from __future__ import annotations

import math
import string

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo import fmt
from geo.errors import DataError
from geo.texts import TEXTS, column_label, text, zh_punctuation


def test_people_shares_and_points() -> None:
    assert fmt.people(2153638) == "2,153,638"
    assert fmt.people(1234.6) == "1,235"
    assert fmt.share(0.45349) == "45.3%"
    assert fmt.share(1.0) == "100.0%"
    assert fmt.share(float("nan")) == fmt.share(None) == "–"
    assert fmt.pp(0.0066, "zh") == "+0.7 个百分点"
    assert fmt.pp(-0.01, "en") == "-1.0 pp"
    assert fmt.pp(0.00001, "en") == "0.0 pp"
    assert fmt.per_1000(4.8612) == "4.86"
    assert fmt.minutes(15, "zh") == "15 分钟"
    assert fmt.minutes(12.25, "en") == "12.2 min"
    assert fmt.minutes(math.inf, "en") == "–"
    assert fmt.speed(60, "zh") == "60 米/分钟(3.6 公里/小时)"


def test_unknown_language_is_refused_in_both_languages() -> None:
    with pytest.raises(DataError) as err:
        fmt.check_lang("fr")
    assert "不支持的语言" in str(err.value) and "Unknown language" in str(err.value)


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        ("pop_60plus", "people"),
        ("pop_60plus_covered", "people"),
        ("pop_0_3_covered_share", "share"),
        ("cumulative_share", "share"),
        ("places_per_1000_residents", "per_1000"),
        ("pop_60plus_access_per_1000", "per_1000"),
        ("minutes", "minutes"),
        ("lon", "coord"),
        ("facilities", "count"),
        ("gain", "people"),
        ("adcode", "text"),
        ("name", "text"),
    ],
)
def test_kind_of_columns(column: str, kind: str) -> None:
    assert fmt.kind_of(column) == kind


def test_the_same_table_for_page_files_and_report() -> None:
    table = pd.DataFrame(
        {
            "name": ["东胜区"],
            "pop_total": [574442],
            "pop_total_covered_share": [0.26384],
            "minutes": [np.inf],
            "lon": [109.987654321],
        }
    )
    shown = fmt.display_frame(table, "zh", label=lambda c: column_label(c, "zh"))
    assert shown.iloc[0].tolist() == ["东胜区", "574,442", "26.4%", "–", "109.98765"]
    assert list(shown.columns) == ["名称", "全部人口", "全部人口 · 覆盖率", "最近设施（分钟）", "经度"]
    files = fmt.for_files(table)
    assert files.loc[0, "pop_total_covered_share"] == 26.4
    assert pd.isna(files.loc[0, "minutes"])
    assert files.loc[0, "pop_total"] == 574442
    page = fmt.for_page(table)
    assert page.loc[0, "pop_total_covered_share"] == pytest.approx(26.384)
    assert fmt.printf("share") == "%.1f%%" and fmt.printf("people") == "%,d"
    assert fmt.excel_format("people") == "#,##0"


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_people_round_trips_through_the_separators(value: float) -> None:
    assert int(fmt.people(value).replace(",", "")) == round(value)


def test_column_labels_in_both_languages() -> None:
    assert column_label("pop_60plus_covered_share", "zh") == "60岁及以上 · 覆盖率"
    assert column_label("pop_60plus_covered_share", "en", percent_unit=True) == "Aged 60+ · covered share (%)"
    assert column_label("no_such_column", "en") == "no_such_column"


def test_every_text_has_both_languages_and_the_same_placeholders() -> None:
    parser = string.Formatter()
    for key, entry in TEXTS.items():
        assert set(entry) == {"zh", "en"}, key
        names = [{f for _, f, _, _ in parser.parse(entry[lang]) if f} for lang in ("zh", "en")]
        assert names[0] == names[1], key


def _zh_punctuation_by_char(value: str) -> str:
    """The rule of ``zh_punctuation`` walked character by character (the reference it must match)."""
    full = dict(zip(",:;!?()", "，：；！？（）", strict=True))

    def cjk(ch: str) -> bool:
        ranges = (("\u3400", "\u9fff"), ("\u3000", "\u303f"), ("\uff00", "\uffef"))
        return bool(ch) and (any(lo <= ch <= hi for lo, hi in ranges) or ch in "\u201c\u201d")

    chars = list(value)
    stack, pairs = [], []
    for i, ch in enumerate(chars):
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            pairs.append((stack.pop(), i))
    for left, right in pairs:
        if (left > 0 and cjk(chars[left - 1])) or any(cjk(c) for c in chars[left + 1 : right]):
            chars[left], chars[right] = "（", "）"
    for i, ch in enumerate(chars):
        if ch in ",:;!?":
            j = i + 1
            while j < len(chars) and chars[j] == " ":
                j += 1
            prev, nxt = (chars[i - 1] if i else ""), (chars[j] if j < len(chars) else "")
            if cjk(prev) or cjk(nxt):
                chars[i] = full[ch]
    out = "".join(chars)
    for mark in "，：；！？）":
        out = out.replace(mark + " ", mark).replace(" " + mark, mark)
    return out.replace("（ ", "（")


@given(st.text(alphabet="中文a1  ,:;!?()，：；！？（）“.", max_size=24))
def test_chinese_punctuation_matches_the_rule_walked_by_hand(value: str) -> None:
    assert zh_punctuation(value) == _zh_punctuation_by_char(value)


def test_chinese_punctuation_only_next_to_chinese() -> None:
    assert zh_punctuation("共 2,153,638 人,其中 379,968 人(17.6%)可达;即 12 人") == (
        "共 2,153,638 人，其中 379,968 人（17.6%）可达；即 12 人"
    )
    assert zh_punctuation("注意:设施 08:30 (109.98000, 39.83000)") == "注意：设施 08:30 (109.98000, 39.83000)"
    assert text("name_people", "zh", name="嘎鲁图镇", people="10,815") == "嘎鲁图镇（10,815 人）"
    assert text("name_people", "en", name="Galutu", people="10,815") == "Galutu (10,815)"
