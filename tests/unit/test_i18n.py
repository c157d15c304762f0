"""ui.i18n: every key in both languages, every t("key") used in app_pages/ and ui/ exists."""

from __future__ import annotations

import re
import string

import pytest

from geo.gazetteer import KINDS, MATCHES
from geo.io import REPO_ROOT
from geo.maps import BASEMAPS, LOCATE_TEXTS
from geo.travel import MODES
from ui.i18n import CATALOG, LANGUAGES, fixed_lang, labels_for, t, tn


def test_every_key_has_both_languages() -> None:
    plural_forms = {f"{lang}_one" for lang in LANGUAGES}
    for key, entry in CATALOG.items():
        assert set(LANGUAGES) <= set(entry) <= set(LANGUAGES) | plural_forms, key
        assert all(entry[lang].strip() for lang in LANGUAGES), key


def test_plural_forms() -> None:
    assert tn("places_available", 1) == "空余名额 1 个"
    with fixed_lang("en"):
        assert tn("places_available", 1) == "1 place available"
        assert tn("places_available", 2) == "2 places available"
        assert tn("minutes_n", 1) == "1 minute" and tn("minutes_n", 15) == "15 minutes"


def test_placeholders_agree_between_languages() -> None:
    fmt = string.Formatter()
    for key, entry in CATALOG.items():
        names = [{f for _, f, _, _ in fmt.parse(entry[lang]) if f} for lang in LANGUAGES]
        assert names[0] == names[1], key


def _sources() -> list[str]:
    files = [
        REPO_ROOT / "streamlit_app.py",
        *(REPO_ROOT / "app_pages").glob("*.py"),
        *(REPO_ROOT / "ui").glob("*.py"),
    ]
    files = [f for f in files if f.name != "i18n.py"]  # its docstring shows t("key") as an example
    return [f.read_text(encoding="utf-8") for f in files]


def test_every_literal_key_in_the_sources_exists() -> None:
    used = {k for src in _sources() for k in re.findall(r"\bt[n]?\(\s*\"([a-z0-9_]+)\"", src)}
    assert len(used) > 40
    assert sorted(used - set(CATALOG)) == []


@pytest.mark.parametrize(
    ("prefix", "codes"),
    [
        ("mode_", list(MODES)),
        ("basemap_", list(BASEMAPS)),
        ("target_", ["pop_total", "pop_60plus", "pop_0_3"]),
        ("crs_", ["wgs84", "gcj02", "bd09"]),
        ("where_", ["map", "place", "coords"]),
        ("layer_", ["isochrones", "gaps", "choropleth", "facilities"]),
        ("kind_", [*KINDS, "online", "coordinates", "click"]),
        ("match_", [*MATCHES, "online", "coordinates"]),
        ("locate_", list(LOCATE_TEXTS)),
        ("coords_error_", ["format", "outside"]),
        ("place_online_", ["failed", "outside", "none"]),
    ],
)
def test_keys_built_from_codes_exist(prefix: str, codes: list[str]) -> None:
    for code in codes:
        assert prefix + code in CATALOG


def test_t_outside_a_session_uses_chinese_and_formats() -> None:
    assert t("nav_map") == "设施地图"
    assert t("shown_count", shown=1, total=2) == "显示 1 / 2 个设施"
    assert t("no_such_key") == "⟦no_such_key⟧"
    assert labels_for(["walk"], lambda m: t(f"mode_{m}"))("walk") == "步行"
