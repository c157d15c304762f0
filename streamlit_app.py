"""CareCircle Ordos · 暖城一刻钟服务圈 — entry: page config, language switch, navigation."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui import state, widgets
from ui.i18n import DEFAULT_LANG, LANGUAGES, keep_choices, t

HERE = Path(__file__).parent

# Pages live in app_pages/, not pages/: with a pages/ folder Streamlit runs a page directly (no
# language switch, no navigation) when a fresh server's first request is a page's own address.
# A local favicon: without one the browser is sent the page's Material icon from fonts.gstatic.com.
st.set_page_config(page_title=t("app_title"), page_icon=str(HERE / "static" / "favicon.png"), layout="wide")
widgets.read_app_link()
st.session_state.setdefault(state.LANG, DEFAULT_LANG)
st.sidebar.radio(
    t("language"),
    list(LANGUAGES),
    format_func=LANGUAGES.get,
    key=state.LANG,
    horizontal=True,
    on_change=keep_choices,
)

pages = [
    st.Page("app_pages/map.py", title=t("nav_map"), icon=":material/map:", url_path="map", default=True),
    st.Page("app_pages/find.py", title=t("nav_find"), icon=":material/search:", url_path="find"),
    st.Page(
        "app_pages/coverage.py", title=t("nav_coverage"), icon=":material/analytics:", url_path="coverage"
    ),
    st.Page("app_pages/plan.py", title=t("nav_plan"), icon=":material/add_location_alt:", url_path="plan"),
    st.Page("app_pages/data.py", title=t("nav_data"), icon=":material/database:", url_path="data"),
]
page = st.navigation(pages)
widgets.keep_language_in_link()
widgets.page_style()
widgets.large_text()
page.run()
