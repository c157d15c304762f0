"""Start the app the way ``make run`` does (``streamlit run serve.py``) on a free port, for tests and benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mib(pid: int) -> float:
    """Resident memory of a process (MiB), from /proc."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


@dataclass(frozen=True)
class AppServer:
    """A running app server."""

    base_url: str
    pid: int
    log_path: Path

    def log(self) -> str:
        """What the server printed so far."""
        return self.log_path.read_text(errors="replace")


@contextmanager
def running_app(
    *,
    database_url: str,
    log_path: Path,
    script: str = "serve.py",
    repo: Path = REPO_ROOT,
    env: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
    port: int | None = None,
    start_timeout_s: float = 90.0,
) -> Iterator[AppServer]:
    """Run ``streamlit run SCRIPT`` in ``repo`` until the block ends; yields once /_stcore/health answers.

    The basemap is "none" and the geocoder offline unless ``env`` says otherwise.
    """
    port = port or free_port()
    full_env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CARECIRCLE_BASEMAP": "none",
        "CARECIRCLE_GEOCODER": "offline",
        **(env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        script,
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        *args,
    ]
    with log_path.open("w") as log:
        proc = subprocess.Popen(command, cwd=repo, env=full_env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + start_timeout_s
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as resp:
                        if resp.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    msg = f"streamlit did not start (exit code {proc.poll()}); see {log_path}"
                    raise RuntimeError(msg)
                time.sleep(0.3)
            yield AppServer(base, proc.pid, log_path)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
