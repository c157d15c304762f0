"""The population and townships tab in Chromium: upload, preview, publish, and the sources panel (desktop, phone)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from shapely.geometry import box

from geo import auth
from geo.store import open_store
from tests.appserver import running_app
from tests.unit._demand_files import DONGSHENG_BOX, KANGBASHI_BOX, polygons_frame, vector_bytes

pytestmark = pytest.mark.browser

TIMEOUT_MS = 90_000
USER, PASSWORD = "wang", "a long enough password"


@pytest.fixture(scope="module")
def layers_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An app of its own, served as `make run` serves it (serve.py: uploads only from logged-in data
    staff), since this module publishes demand and the other browser tests keep the sample."""
    folder = tmp_path_factory.mktemp("demand-browser")
    url = f"sqlite:///{folder / 'carecircle.db'}"
    store = open_store(url)
    auth.add_user(store, USER, PASSWORD, role="editor")
    store.engine.dispose()
    with running_app(database_url=url, log_path=folder / "streamlit.log") as server:
        yield server.base_url


def _page(browser: Any, *, width: int, height: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    return context.new_page()


def _login(page: Any, base: str) -> None:
    page.goto(f"{base}/data", wait_until="domcontentloaded")
    # The first page of a fresh server loads the data first: wait as long as for the other steps.
    page.get_by_label("用户名").wait_for(timeout=TIMEOUT_MS)
    page.get_by_label("用户名").fill(USER)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("tab", name="人口与乡镇边界").wait_for(timeout=TIMEOUT_MS)


def test_population_file_previewed_and_published_then_named_as_source(
    browser: Any, layers_app: str, tmp_path: Path, artifacts: Path
) -> None:
    villages = tmp_path / "villages.geojson"
    villages.write_bytes(
        vector_bytes(polygons_frame([DONGSHENG_BOX, KANGBASHI_BOX], [40_000, 10_000]), "geojson", tmp_path)
    )
    towns = tmp_path / "towns.geojson"
    gdf = gpd.GeoDataFrame(
        {"名称": ["东城街道"], "代码": ["150602901"]}, geometry=[box(*DONGSHENG_BOX)], crs=4326
    )
    towns.write_bytes(vector_bytes(gdf, "geojson", tmp_path))
    page = _page(browser, width=1400, height=2200)
    _login(page, layers_app)
    page.get_by_role("tab", name="人口与乡镇边界").click()
    page.get_by_text("当前需求:模拟样本").wait_for(timeout=TIMEOUT_MS)
    uploads = page.locator("[data-testid='stFileUploaderDropzoneInput']")
    # In the tab: the population file, the weights, the township file (the facility uploader is first).
    uploads.nth(1).set_input_files(str(villages))
    page.get_by_text("新的人口网格").wait_for(timeout=TIMEOUT_MS)
    page.get_by_role("button", name="发布为需求版本 2").wait_for(timeout=TIMEOUT_MS)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(artifacts / "data_population_preview.png"), full_page=True)
    page.get_by_role("button", name="发布为需求版本 2").click()
    page.get_by_text("已发布需求版本 2").wait_for(timeout=TIMEOUT_MS)
    page.get_by_role("tab", name="人口与乡镇边界").click()
    page.get_by_text("当前需求:版本 2").wait_for(timeout=TIMEOUT_MS)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").nth(3).set_input_files(str(towns))
    publish = page.get_by_role("button", name="发布为边界版本 1")
    try:
        publish.wait_for(timeout=TIMEOUT_MS)
    finally:
        page.screenshot(path=str(artifacts / "data_townships_preview.png"), full_page=True)
    publish.click()
    page.get_by_text("已发布乡镇边界版本 1").wait_for(timeout=TIMEOUT_MS)
    page.context.close()

    # A planner on a phone: the note names the facilities only; the sources panel names the files.
    phone = _page(browser, width=390, height=844)
    phone.goto(f"{layers_app}/coverage", wait_until="domcontentloaded")
    note = phone.get_by_text("注意:当前设施为模拟样本数据")
    note.wait_for(timeout=TIMEOUT_MS)
    assert "人口需求" not in note.inner_text()
    phone.get_by_text("数据来源").click()
    phone.get_by_text("villages.geojson").wait_for(timeout=TIMEOUT_MS)
    phone.get_by_text("towns.geojson").wait_for(timeout=TIMEOUT_MS)
    phone.wait_for_timeout(1000)
    phone.screenshot(path=str(artifacts / "coverage_sources_phone.png"), full_page=True)
    phone.context.close()
