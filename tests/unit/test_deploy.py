"""Tests of the deployment files in deploy/: the nginx configuration is what the renderer writes,
sticky, WebSocket-ready, and accepted by nginx itself."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

from geo.validate import MAX_BYTES

REPO = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def nginx_conf() -> ModuleType:
    spec = importlib.util.spec_from_file_location("nginx_conf", REPO / "deploy" / "nginx_conf.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["nginx_conf"] = module
    spec.loader.exec_module(module)
    return module


def test_the_shipped_site_config_is_what_the_renderer_writes() -> None:
    shipped = (REPO / "deploy" / "nginx" / "carecircle.conf").read_text(encoding="utf-8")
    assert shipped == nginx_conf().site_config()


def test_sticky_sessions_websocket_and_body_limit() -> None:
    conf = nginx_conf()
    site = conf.site_config(apps=("127.0.0.1:9001", "127.0.0.1:9002", "10.0.0.5:8501"))
    assert "ip_hash;" in site
    assert site.count("server 127.0.0.1:900") == 2 and "server 10.0.0.5:8501" in site
    stream = site.split("location /_stcore/stream", 1)[1].split("}", 1)[0]
    assert "proxy_read_timeout 1d;" in stream and "proxy_buffering off;" in stream
    # Upgrade headers at server level, and no location resets the inherited headers.
    assert "proxy_set_header Upgrade $http_upgrade;" in site
    assert "proxy_set_header Connection $carecircle_connection;" in site
    assert all(
        "proxy_set_header" not in block.split("}", 1)[0] for block in site.split("\n    location ")[1:]
    )
    # nginx passes the largest upload the app accepts (server.maxUploadSize: population files).
    with (REPO / ".streamlit" / "config.toml").open("rb") as fh:
        max_upload_mb = tomllib.load(fh)["server"]["maxUploadSize"]
    assert max(MAX_BYTES, max_upload_mb * 1024 * 1024) + 64 * 1024 < conf.MAX_BODY_MB * 1024 * 1024
    assert "hash $cookie__streamlit_xsrf$binary_remote_addr consistent;" in conf.site_config(sticky="cookie")


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx)")
def test_nginx_accepts_the_standalone_config(tmp_path: Path) -> None:
    conf = nginx_conf()
    (tmp_path / "nginx.conf").write_text(
        conf.standalone_config(tmp_path, listen="127.0.0.1:1", apps=("127.0.0.1:2", "127.0.0.1:3")),
        encoding="utf-8",
    )
    done = subprocess.run(
        [str(NGINX), "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr
