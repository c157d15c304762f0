"""Nothing leaves the machine: the app served as ``make run`` does, in a network namespace with only
loopback, every page opened in Chromium inside the same namespace (``tests/offline/run_offline.py``).

Asserts that every page renders, that Chromium requested nothing but the app, that the server
process never tried to reach another host (Python's socket audit events: connect, DNS lookups) and
that it listens on 127.0.0.1 only. CI runs as root, where ``unshare -n`` works; elsewhere the test is
skipped with the reason, but never in CI (``$CI`` or ``$CARECIRCLE_CI``, which ``.ci/run`` sets).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from geo.io import REPO_ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RUNNER = REPO_ROOT / "tests" / "offline" / "run_offline.py"
CONNECTION_ERRORS = (
    "Did not auto detect external IP",
    "NewConnectionError",
    "Max retries exceeded",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "Traceback",
)


def _namespace_problem() -> str | None:
    """Why a loopback-only network namespace cannot be made here, or None when it can."""
    for tool in ("unshare", "ip"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            return f"{tool} is not installed (apt-get install util-linux iproute2)"
    probe = subprocess.run(
        ["unshare", "-n", "--", "sh", "-c", "ip link set lo up"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        return f"unshare -n is not permitted here: {probe.stderr.strip() or probe.returncode}"
    return None


def test_every_page_renders_and_nothing_tries_to_leave(tmp_path: Path, artifacts: Path) -> None:
    problem = _namespace_problem()
    if problem is not None:
        if os.environ.get("CI") or os.environ.get("CARECIRCLE_CI"):
            pytest.fail(f"CI must run the offline check: {problem}")
        pytest.skip(problem)
    report_path = tmp_path / "offline.json"
    command = f"ip link set lo up && exec {sys.executable} {RUNNER} {report_path} --screenshots {artifacts}"
    done = subprocess.run(
        ["unshare", "-n", "--", "sh", "-c", command],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert "error" not in report, report.get("error")
    assert report["listening"] == ["127.0.0.1"], report["listening"]
    assert [p["page"] for p in report["pages"]] == ["map", "find", "coverage", "plan", "data"]
    for page in report["pages"]:
        assert page["rendered"], page
    assert report["requests"] > 50  # the pages really loaded through Chromium
    assert report["external_requests"] == [], report["external_requests"]
    # Requests the next navigation cut short are fine; none may have gone anywhere but the app.
    failed_elsewhere = [f for f in report["failed_requests"] if not f.startswith("http://127.0.0.1:")]
    assert failed_elsewhere == [], failed_elsewhere
    assert report["outbound"] == [], report["outbound"]
    for needle in CONNECTION_ERRORS:
        assert needle not in report["server_log"], report["server_log"]
