"""Uploads reach the server only from a data staff login: raw HTTP against the running app, and the browser.

The raw client opens a session the way a script would (websocket, no browser, no login) and PUTs
to ``/_stcore/upload_file/{session}/{file}``; the server must refuse before reading the body, so its
memory does not move. The browser test logs in on the data page and uploads through the widget.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.appserver import AppServer, rss_mib
from tests.browser.conftest import EDITOR, EDITOR_PASSWORD
from tests.streamlit_client import RawSession

MIB = 1024 * 1024
TIMEOUT_MS = 60_000


def test_posts_from_a_session_that_never_logged_in_are_refused_and_memory_stays(
    app_server: AppServer,
) -> None:
    with RawSession(app_server.base_url) as session:
        assert session.script_finished.wait(120), "the first page never finished drawing"
        time.sleep(1)
        start = rss_mib(app_server.pid)
        big = b"a," * (50 * MIB // 2)
        for i in range(3):
            result = session.put_file(big, file_name=f"big{i}.csv")
            assert result.status == 403, result
            assert result.sent_bytes < 20 * MIB  # answered long before the body was in
        # Under any size limit: refused all the same.
        small = session.put_file(b"facility_id,name\nA1,x\n", file_name="small.csv")
        assert small.status == 403
        assert "登录" in small.body.decode() and "login" in small.body.decode()
        grown = rss_mib(app_server.pid) - start
    assert grown < 25, f"server memory grew by {grown:.0f} MiB"


def test_a_made_up_session_id_is_refused(app_server: AppServer) -> None:
    with RawSession(app_server.base_url) as session:
        result = session.put_file(b"x,y\n", session_id="00000000-0000-0000-0000-000000000000")
        assert result.status == 403


@pytest.mark.browser
def test_an_editor_uploads_through_the_data_page(browser: Any, app_url: str, tmp_path: Path) -> None:
    from geo import io as gio

    sample = gio.read_facilities_csv(gio.DATASETS_DIR / gio.FACILITIES_SAMPLE_FILE).head(5)
    path = tmp_path / "bureau.csv"
    path.write_bytes(gio.facilities_csv_bytes(sample))
    context = browser.new_context(viewport={"width": 1400, "height": 1800}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{app_url}/data", wait_until="domcontentloaded")
    page.get_by_label("用户名").fill(EDITOR)
    page.get_by_label("密码").fill(EDITOR_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_text(f"已登录:{EDITOR}").wait_for(timeout=TIMEOUT_MS)
    page.locator("input[type=file]").first.set_input_files(str(path))
    page.get_by_text("bureau.csv").first.wait_for(timeout=TIMEOUT_MS)
    page.get_by_text("5 行").first.wait_for(timeout=TIMEOUT_MS)
    context.close()
