"""AppTest fixtures: every test runs the app on its own temporary SQLite database."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from geo.io import REPO_ROOT

APP = str(REPO_ROOT / "streamlit_app.py")


@pytest.fixture
def app(db_url: str) -> Callable[[str], AppTest]:
    """Factory: an AppTest of the app switched to ``page`` (``app_pages/map.py`` …), already run once."""

    def make(page: str = "app_pages/map.py") -> AppTest:
        at = AppTest.from_file(APP, default_timeout=120)
        at.run()
        if page != "app_pages/map.py":
            at.switch_page(page)
            at.run()
        return at

    return make
