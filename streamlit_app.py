"""CareCircle Ordos · 暖城一刻钟服务圈 — entry: page config, language switch, navigation."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui import state
from ui.i18n import DEFAULT_LANG, LANGUAGES, t

HERE = Path(__file__).parent

# A local favicon: without one the browser is sent the page's Material icon from fonts.gstatic.com.
st.set_page_config(page_title=t("app_title"), page_icon=str(HERE / "static" / "favicon.png"), layout="wide")
st.session_state.setdefault(state.LANG, DEFAULT_LANG)
st.sidebar.radio(t("language"), list(LANGUAGES), format_func=LANGUAGES.get, key=state.LANG, horizontal=True)

pages = [
    st.Page("pages/map.py", title=t("nav_map"), icon=":material/map:", url_path="map", default=True),
    st.Page("pages/find.py", title=t("nav_find"), icon=":material/search:", url_path="find"),
    st.Page("pages/coverage.py", title=t("nav_coverage"), icon=":material/analytics:", url_path="coverage"),
    st.Page("pages/plan.py", title=t("nav_plan"), icon="📍", url_path="plan"),
]
if (HERE / "pages" / "data.py").is_file():
    pages.append(st.Page("pages/data.py", title=t("nav_data"), icon=":material/database:", url_path="data"))
st.navigation(pages).run()
