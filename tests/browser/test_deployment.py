"""Several app servers on one PostgreSQL behind nginx (``deploy/serve.py``), seen in Chromium.

PostgreSQL, two Streamlit servers and nginx on free loopback ports; every server first shows data
version 1 (so its caches are warm), then a file is published through the command line, and the first
pages opened after it — through nginx and at each server — must show version 2.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from geo.io import REPO_ROOT
from tests.conftest import REQUIRE_PG_ENV
from ui.loaders import DATA_VERSION_TTL_S

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.postgresql, pytest.mark.slow]

NGINX = Path(shutil.which("nginx") or "/usr/sbin/nginx")
START_TIMEOUT_S = 240
PAGE_TIMEOUT_MS = 180_000


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def _cli(url: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "geo", "--database", url, *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def deployment(pg_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """``deploy/serve.py`` running two app servers and nginx on the test database."""
    if not NGINX.exists():
        reason = "nginx is not installed (apt-get install nginx)"
        if os.environ.get(REQUIRE_PG_ENV) == "1":
            pytest.fail(f"the deployment test must run in CI: {reason}", pytrace=False)
        pytest.skip(reason)
    _cli(pg_url, "init")
    app_a, app_b, web = _free_ports(3)
    workdir = tmp_path / "serve"
    proc = subprocess.Popen(
        [
            sys.executable,
            str(REPO_ROOT / "deploy" / "serve.py"),
            "--database",
            pg_url,
            "--app-port",
            str(app_a),
            "--app-port",
            str(app_b),
            "--listen",
            f"127.0.0.1:{web}",
            "--python",
            sys.executable,
            "--nginx",
            str(NGINX),
            "--workdir",
            str(workdir),
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    stdout = proc.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                line = ""
            seen.append(line)
            if line.startswith("ready "):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                logs = "".join(
                    p.read_text(encoding="utf-8", errors="replace")[-1500:]
                    for p in sorted(workdir.glob("*.log"))
                )
                pytest.fail(f"deploy/serve.py did not start: {''.join(seen)}\n{logs}")
        yield {
            "nginx": f"http://127.0.0.1:{web}",
            "apps": [f"http://127.0.0.1:{app_a}", f"http://127.0.0.1:{app_b}"],
            "url": pg_url,
            "workdir": workdir,
        }
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _version_shown(page: Any, version: int) -> None:
    page.get_by_text(f"数据版本 {version}", exact=True).first.wait_for(timeout=PAGE_TIMEOUT_MS)


def test_a_version_published_through_the_cli_shows_on_every_server_and_through_nginx(
    deployment: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    bases = [deployment["nginx"], *deployment["apps"]]
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        # Every server renders version 1 first: its caches now hold version 1.
        pages = [context.new_page() for _ in bases]
        for page, base in zip(pages, bases, strict=True):
            page.goto(f"{base}/", wait_until="domcontentloaded")
        for page in pages:
            _version_shown(page, 1)
        rendered = time.monotonic()  # each server read the version at or before this

        new_list = tmp_path / "new.csv"
        new_list.write_text(
            "facility_id,name,category,type,district_adcode,lon,lat,capacity,status\n"
            "DEPLOY-1,部署测试日间照料中心,elderly,day_care,150602,109.95,39.81,20,open\n",
            encoding="utf-8",
        )
        assert "published version 2" in _cli(deployment["url"], "import", str(new_list), "--user", "ops")
        published = time.monotonic()
        # A server trusts the version it read for DATA_VERSION_TTL_S (2 s; the CLI alone takes
        # longer than that, so this rarely waits).
        time.sleep(max(0.0, rendered + DATA_VERSION_TTL_S - time.monotonic()))

        # The first page each server renders after the publish — through nginx and directly — shows
        # version 2: no restart, no reload, no cache flush (each server reads the published version
        # at most every 2 s and its keyed caches follow it).
        fresh = [context.new_page() for _ in bases]
        for page, base in zip(fresh, bases, strict=True):
            page.goto(f"{base}/", wait_until="commit")
        for page in fresh:
            _version_shown(page, 2)
            assert page.get_by_text("数据版本 1", exact=True).count() == 0
        seen_after_s = time.monotonic() - published
        print(f"version 2 shown by all three pages {seen_after_s:.1f} s after the publish")
    finally:
        context.close()
    # The pages through nginx talked over its WebSocket proxy (status 101, logged when it closes).
    access = deployment["workdir"] / "access.log"
    deadline = time.monotonic() + 30
    while '"GET /_stcore/stream HTTP/1.1" 101' not in access.read_text(encoding="utf-8"):
        assert time.monotonic() < deadline, access.read_text(encoding="utf-8")[-2000:]
        time.sleep(0.5)
