"""Serve the app as ``make run`` does and open every page in Chromium; meant to run in a network
namespace that has only loopback (``unshare -n``), where nothing can leave the machine.

Writes a JSON report: the pages and whether each rendered, every URL Chromium requested, every
attempt of the server process to reach another host (Python audit events, through
``tests/offline/sitecustomize.py``), the server's log and the addresses it listens on.

Run (the test ``tests/browser/test_offline_netns.py`` does this)::

    unshare -n -- sh -c 'ip link set lo up && exec .venv/bin/python tests/offline/run_offline.py OUT.json'

``--repo`` and ``--script`` serve another checkout (e.g. an older one, ``--script streamlit_app.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
CHROMIUM = "/usr/bin/chromium"
PAGES = ("map", "find", "coverage", "plan", "data")
MAP_PAGES = {"map", "find", "coverage", "plan"}
EDITOR = "offline.editor"
EDITOR_PASSWORD = "an offline test password"
TIMEOUT_MS = 90_000
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listening_addresses(port: int) -> list[str]:
    """Local addresses with a TCP socket listening on ``port`` (from /proc/net/tcp and tcp6)."""
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state = fields[1], fields[3]
            address_hex, port_hex = local.split(":")
            if state != "0A" or int(port_hex, 16) != port:  # 0A = LISTEN
                continue
            raw = bytes.fromhex(address_hex)
            if width == 8:
                found.append(socket.inet_ntop(socket.AF_INET, raw[::-1]))
            else:
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                found.append(socket.inet_ntop(socket.AF_INET6, words))
    return found


def _geo(repo: Path, env: dict[str, str], *args: str, stdin: str = "") -> None:
    subprocess.run(
        [sys.executable, "-m", "geo", *args], cwd=repo, env=env, input=stdin.encode(), check=True, timeout=300
    )


def _start_server(
    repo: Path, script: str, env: dict[str, str], port: int, log: Any
) -> subprocess.Popen[bytes]:
    # As `make run` does: no address on the command line, so .streamlit/config.toml decides.
    return subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port)],
        cwd=repo,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _wait_healthy(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.3)
    msg = f"the app did not start (exit code {proc.poll()})"
    raise RuntimeError(msg)


def _browse(base: str, shots: Path | None) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    failed: list[str] = []
    pages: list[dict[str, Any]] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 1400}, locale="zh-CN")
        context.on("request", lambda r: requests.append(r.url))
        context.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
        page = context.new_page()
        for name in PAGES:
            entry: dict[str, Any] = {"page": name, "rendered": False, "error": ""}
            try:
                page.goto(f"{base}/{name}", wait_until="domcontentloaded")
                page.wait_for_selector("h1", timeout=TIMEOUT_MS)
                if name in MAP_PAGES:
                    page.wait_for_selector("iframe[title*='st_folium']", timeout=TIMEOUT_MS)
                    frame = page.frame_locator("iframe[title*='st_folium']").first
                    frame.locator(".leaflet-container").wait_for(timeout=TIMEOUT_MS)
                if name == "data":
                    page.get_by_label("用户名").fill(EDITOR)
                    page.get_by_label("密码").fill(EDITOR_PASSWORD)
                    page.get_by_role("button", name="登录").click()
                    page.get_by_text(f"已登录:{EDITOR}").wait_for(timeout=TIMEOUT_MS)
                    page.locator("input[type=file]").first.wait_for(state="attached", timeout=TIMEOUT_MS)
                page.wait_for_timeout(1500)
                entry["exceptions"] = page.locator("[data-testid='stException']").count()
                entry["rendered"] = entry["exceptions"] == 0
                if shots is not None:
                    page.screenshot(path=str(shots / f"offline_{name}.png"), full_page=True)
            except Exception as exc:  # recorded in the report; the test says which page
                entry["error"] = f"{type(exc).__name__}: {exc}"[:500]
            pages.append(entry)
        context.close()
        browser.close()
    return pages, requests, failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="where to write the JSON report")
    parser.add_argument("--repo", type=Path, default=REPO_ROOT, help="checkout to serve")
    parser.add_argument("--script", default="serve.py", help="file given to streamlit run")
    parser.add_argument("--screenshots", type=Path, default=None, help="folder for page screenshots")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        audit = folder / "socket_audit.jsonl"
        audit.touch()
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{folder / 'carecircle.db'}",
            "CARECIRCLE_BASEMAP": "none",
            "CARECIRCLE_GEOCODER": "offline",
            "CARECIRCLE_SOCKET_AUDIT": str(audit),
            "PYTHONPATH": os.pathsep.join([str(HERE), str(args.repo)]),
        }
        _geo(args.repo, env, "init")
        _geo(
            args.repo,
            env,
            "users",
            "add",
            EDITOR,
            "--role",
            "editor",
            "--password-stdin",
            stdin=EDITOR_PASSWORD,
        )
        audit.write_text("")  # count only what the server does
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        log_path = folder / "server.log"
        report: dict[str, Any] = {"repo": str(args.repo), "script": args.script}
        with log_path.open("w") as log:
            proc = _start_server(args.repo, args.script, env, port, log)
            try:
                _wait_healthy(base, proc)
                report["listening"] = listening_addresses(port)
                time.sleep(3)  # whatever the server does right after start
                report["outbound_at_start"] = [json.loads(x) for x in audit.read_text().splitlines()]
                if args.screenshots is not None:
                    args.screenshots.mkdir(parents=True, exist_ok=True)
                pages, requests, failed = _browse(base, args.screenshots)
                report["pages"] = pages
                report["requests"] = len(requests)
                report["external_requests"] = sorted(
                    {
                        u
                        for u in requests
                        if not u.startswith(("data:", "blob:", "about:", "chrome"))
                        and urlparse(u).hostname not in LOCAL_HOSTS
                    }
                )
                report["failed_requests"] = failed
            except Exception as exc:
                report["error"] = f"{type(exc).__name__}: {exc}"
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        report["outbound"] = [json.loads(x) for x in audit.read_text().splitlines()]
        report["server_log"] = log_path.read_text(errors="replace")[-20_000:]
    args.report.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
