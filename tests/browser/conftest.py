"""Browser fixtures: the app started as `make run` does (`streamlit run serve.py`) on a free port, and Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from geo.auth import add_user
from geo.io import REPO_ROOT
from geo.store import open_store
from tests.app._data import publish_hostile
from tests.appserver import AppServer, running_app

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO_ROOT / "tests" / "artifacts"
EDITOR = "browser.editor"
EDITOR_PASSWORD = "a long browser password"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(
        reason="Debian's Chromium is not installed at /usr/bin/chromium (apt-get install chromium)"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the app server of the browser tests writes its log (stdout and stderr)."""
    return tmp_path_factory.mktemp("browser-log") / "streamlit.log"


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory, server_log: Path) -> Iterator[AppServer]:
    """The app as ``make run`` serves it (``serve.py``), on a temporary database that holds a hostile
    facility name and an editor account (:data:`EDITOR`, :data:`EDITOR_PASSWORD`)."""
    db = tmp_path_factory.mktemp("browser") / "carecircle.db"
    url = f"sqlite:///{db}"
    store = open_store(url)
    publish_hostile(store)
    add_user(store, EDITOR, EDITOR_PASSWORD, role="editor")
    store.engine.dispose()
    try:
        with running_app(database_url=url, log_path=server_log) as server:
            yield server
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def app_url(app_server: AppServer) -> str:
    """The base URL of the running app (see :func:`app_server`)."""
    return app_server.base_url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
