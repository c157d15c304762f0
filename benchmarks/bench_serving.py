"""Serving many residents at once: the app server's CPU and memory per page view, search and session.

Starts the app (``streamlit run``) on its own temporary SQLite database with the shipped sample, basemap
``none`` and the offline geocoder, then drives it with browser-like sessions that speak Streamlit's
websocket protocol (``benchmarks/stclient.py``; the server does the same work as for Chromium) and
reads the server process's CPU time and resident memory from ``/proc``. Measured:

* finder first view: a new session opens 找服务 (the server has served other sessions before);
* finder search: the resident taps the map where they live (the page's default; the page reruns
  twice), or chooses 输入坐标, types coordinates and presses 使用此坐标 (two reruns), until the
  nearest facilities are listed;
* coverage first view, and coverage control changes (budget, target group, mode, district, types):
  each change a combination no session asked for before, then the same changes by a second session;
* 50 finder sessions at once: each opens the page and taps its own point on the map; time from its
  connection to its result list (p50 / p95 / max), and whether all were served;
* memory per idle session (sessions that searched and stay open), what is left when they have closed,
  and what a second round of the same sessions adds.

With ``--baseline REF`` the same script runs first on a git worktree of REF (e.g. ``main``) with the
same Python environment, and the table shows both side by side with the targets of issue 9.

Run: ``.venv/bin/python benchmarks/bench_serving.py [--baseline main] [--quick]``
(``make bench`` runs it without options: this tree only, about a minute and a half).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd  # noqa: E402
from stclient import Run, Session  # noqa: E402

from ui.i18n import CATALOG  # noqa: E402

TARGETS = {
    "finder_first_view": 0.2,
    "finder_search": 0.1,
    "coverage_change": 0.5,
    "concurrent_p95": 5.0,
    "idle_session_mb": 5.0,
}
SESSION_TTL_S = 2  # the servers here drop a closed session after this (Streamlit's default is 120 s)
CLK_TCK = os.sysconf("SC_CLK_TCK")


def zh(key: str) -> str:
    """The Chinese catalog text of ``key`` (widgets are found by what they say)."""
    return CATALOG[key]["zh"]


# --- the server ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """``streamlit run`` of one source tree on its own database; CPU and memory read from /proc."""

    tree: Path
    workdir: Path
    port: int = field(default_factory=_free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        db = self.workdir / "carecircle.db"
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{db}",
            "CARECIRCLE_BASEMAP": "none",
            "CARECIRCLE_GEOCODER": "offline",
            "PYTHONPATH": str(self.tree),
        }
        subprocess.run(
            [sys.executable, "-m", "geo", "init"], cwd=self.tree, env=env, check=True, capture_output=True
        )
        log = (self.workdir / "streamlit.log").open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                # What `make run` serves: serve.py (the app with its upload guard) where the tree has it.
                "serve.py" if (self.tree / "serve.py").is_file() else "streamlit_app.py",
                "--server.port",
                str(self.port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
                "--server.disconnectedSessionTTL",
                str(SESSION_TTL_S),
            ],
            cwd=self.tree,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                tail = (self.workdir / "streamlit.log").read_text(errors="replace")[-2000:]
                msg = f"服务未能启动 / the server did not start (exit code {self.proc.poll()}):\n{tail}"
                raise RuntimeError(msg)
            time.sleep(0.3)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def cpu_s(self) -> float:
        """User + system CPU seconds of the server process so far (all its threads)."""
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def rss_mb(self) -> float:
        """Resident memory of the server process in MB."""
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")


# --- what a resident and a planner do --------------------------------------------------------------


def homes(n: int, *, seed: int = 9) -> list[tuple[float, float]]:
    """``n`` points within a few hundred metres of elderly-care facilities of the sample (fixed seed)."""
    fac = pd.read_csv(REPO / "datasets" / "facilities_sample.csv")
    fac = fac[fac["category"] == "elderly"].reset_index(drop=True)
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        row = fac.iloc[rng.randrange(len(fac))]
        out.append(
            (float(row["lon"]) + rng.uniform(-0.003, 0.003), float(row["lat"]) + rng.uniform(-0.002, 0.002))
        )
    return out


def results_shown(run: Run) -> bool:
    """Whether the finder listed facilities (its result cards start with "**1. ")."""
    return any(e.kind == "markdown" and e.text.startswith("**1. ") for e in run.elements)


def _checked(run: Run, what: str) -> Run:
    if run.errors:
        msg = f"{what}: 页面出错 / the page failed: {'; '.join(run.errors)}"
        raise RuntimeError(msg)
    return run


@dataclass
class FinderVisit:
    """One resident's visit: CPU (or wall) seconds of each step, and wall seconds to the result list."""

    first_view: float = 0.0
    choose: float = 0.0
    search: float = 0.0
    to_results_s: float = 0.0


def tap_value(home: tuple[float, float]) -> tuple[str, str]:
    """What the map component sends when the resident taps ``home`` (Leaflet's lat, lng order)."""
    return ("json", json.dumps({"last_clicked": {"lat": home[1], "lng": home[0]}}))


async def finder_visit(
    server: Server, home: tuple[float, float], *, how: str = "tap", measure_cpu: bool = False
) -> FinderVisit:
    """Open 找服务 and search from ``home``, then close the session.

    ``how="tap"``: tap the map at ``home`` (the page's default way of giving a location); ``"coords"``:
    choose 输入坐标, type ``home`` and press 使用此坐标.
    """
    visit = FinderVisit()
    clock = server.cpu_s if measure_cpu else time.perf_counter
    session = Session(server.url)
    start_wall = time.perf_counter()
    try:
        t0 = clock()
        first = _checked(await session.run("find"), "finder first view")
        t1 = clock()
        if how == "tap":
            the_map = next(e for e in first.elements if e.kind == "component_instance")
            found = _checked(await session.interact([(the_map, tap_value(home))]), "finder: tap")
            t2 = clock()
        else:
            where = first.widget(key="find_how")
            chosen = _checked(await session.interact([(where, zh("where_coords"))]), "finder: choose")
            t2 = clock()
            text = chosen.widget(key="find_coords")
            button = chosen.widget(label=zh("use_coords"))
            _checked(await session.interact([(text, f"{home[0]:.5f}, {home[1]:.5f}")]), "finder: type")
            found = _checked(await session.interact([(button, True)]), "finder: search")
        t3 = clock()
        if not results_shown(found):
            msg = f"找服务没有列出结果 / the finder listed no facilities for {home}"
            raise RuntimeError(msg)
        visit.to_results_s = time.perf_counter() - start_wall
        visit.first_view, visit.choose, visit.search = t1 - t0, t2 - t1, t3 - t2
    finally:
        await session.close()
    return visit


# Coverage controls changed one after another: each state is a combination not computed before
# (the page opens on community stations: walking 15 minutes, people aged 60+). No widget is changed
# twice in a row: this client sends only the values it changed, not every widget's as a browser does,
# and Streamlit then keeps the first value of the second change in a row (it would measure a rerun
# of a combination already made).
COVERAGE_CHANGES: tuple[tuple[str, Callable[[Any], Any]], ...] = (
    ("cov_budget", lambda e: [e.options[1]]),  # 10 minutes
    ("cov_mode", lambda e: e.options[2]),  # by bike
    ("cov_budget", lambda e: [e.options[3]]),  # 20 minutes
    ("cov_target", lambda e: e.options[0]),  # all residents
    ("cov_district", lambda e: e.options[1]),  # one district
    ("cov_types", lambda e: [e.options[2], e.options[4]]),  # two facility types (their defaults)
)
COVERAGE_CHANGE_NAMES: tuple[str, ...] = (
    "budget 10 min",
    "by bike",
    "budget 20 min",
    "all residents",
    "one district",
    "two facility types",
)


async def coverage_changes(server: Server) -> list[float]:
    """A planner opens 覆盖分析 and changes its controls one by one: CPU seconds per change."""
    session = Session(server.url)
    costs = []
    try:
        run = _checked(await session.run("coverage"), "coverage first view")
        for key, value in COVERAGE_CHANGES:
            widget = run.widget(key=key)
            before = server.cpu_s()
            run = _checked(await session.interact([(widget, value(widget))]), f"coverage: change {key}")
            costs.append(server.cpu_s() - before)
    finally:
        await session.close()
    return costs


async def open_sessions(server: Server, points: list[tuple[float, float]]) -> list[Session]:
    """Sessions that searched (a tap on the map) and stay open, as residents who leave a tab open."""

    async def one(home: tuple[float, float]) -> Session:
        session = Session(server.url)
        first = _checked(await session.run("find"), "idle session")
        the_map = next(e for e in first.elements if e.kind == "component_instance")
        _checked(await session.interact([(the_map, tap_value(home))]), "idle session: tap")
        return session

    return list(await asyncio.gather(*(one(p) for p in points)))


async def close_all(sessions: list[Session]) -> None:
    await asyncio.gather(*(s.close() for s in sessions))


async def settle(server: Server) -> None:
    """Wait until closed sessions have outlived their reconnection time, then make the server drop
    them (it does so when it next stores a session) and give it a moment."""
    await asyncio.sleep(SESSION_TTL_S + 1.0)
    probe = Session(server.url)
    await probe.run("find")
    await probe.close()
    await asyncio.sleep(1.5)


# --- one tree --------------------------------------------------------------------------------------


@dataclass
class Figures:
    """What was measured on one tree."""

    label: str
    finder_first_view: float = float("nan")
    finder_tap: float = float("nan")
    finder_choose: float = float("nan")
    finder_search: float = float("nan")
    coverage_first_view: float = float("nan")
    coverage_changes: list[float] = field(default_factory=list)
    coverage_repeats: list[float] = field(default_factory=list)
    concurrent: list[float] = field(default_factory=list)
    concurrent_failed: int = 0
    concurrent_cpu_s: float = float("nan")
    concurrent_wall_s: float = float("nan")
    rss_start_mb: float = float("nan")
    idle_mb: float = float("nan")
    retained_mb: float = float("nan")
    second_round_mb: float = float("nan")
    notes: list[str] = field(default_factory=list)


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


async def measure(server: Server, fig: Figures, *, sequential: int, concurrent: int, idle: int) -> None:
    points = homes(2 * sequential + concurrent + 2 * idle + 2)
    # Warm-up: the first session after start loads the data and builds what later sessions share.
    await finder_visit(server, points.pop(), how="tap")
    await finder_visit(server, points.pop(), how="coords")
    warm = Session(server.url)
    _checked(await warm.run("coverage"), "coverage warm-up")
    await warm.close()
    fig.rss_start_mb = server.rss_mb()

    taps = [await finder_visit(server, points.pop(), how="tap", measure_cpu=True) for _ in range(sequential)]
    typed = [
        await finder_visit(server, points.pop(), how="coords", measure_cpu=True) for _ in range(sequential)
    ]
    fig.finder_first_view = _mean([v.first_view for v in taps + typed])
    fig.finder_tap = _mean([v.choose for v in taps])
    fig.finder_choose = _mean([v.choose for v in typed])
    fig.finder_search = _mean([v.search for v in typed])

    views = []
    for _ in range(max(2, sequential // 2)):
        session = Session(server.url)
        before = server.cpu_s()
        _checked(await session.run("coverage"), "coverage first view")
        views.append(server.cpu_s() - before)
        await session.close()
    fig.coverage_first_view = _mean(views)
    fig.coverage_changes = await coverage_changes(server)
    fig.coverage_repeats = await coverage_changes(server)

    await settle(server)
    before, started = server.cpu_s(), time.perf_counter()
    outcomes = await asyncio.gather(
        *(finder_visit(server, points.pop(), how="tap") for _ in range(concurrent)),
        return_exceptions=True,
    )
    fig.concurrent_cpu_s = server.cpu_s() - before
    fig.concurrent_wall_s = time.perf_counter() - started
    fig.concurrent = sorted(o.to_results_s for o in outcomes if isinstance(o, FinderVisit))
    failures = [o for o in outcomes if not isinstance(o, FinderVisit)]
    fig.concurrent_failed = len(failures)
    fig.notes += sorted({f"{type(f).__name__}: {f}"[:200] for f in failures})

    await settle(server)
    base = server.rss_mb()
    sessions = await open_sessions(server, [points.pop() for _ in range(idle)])
    await asyncio.sleep(2.0)
    opened = server.rss_mb()
    fig.idle_mb = (opened - base) / idle
    await close_all(sessions)
    await settle(server)
    closed = server.rss_mb()
    fig.retained_mb = (closed - base) / idle
    sessions = await open_sessions(server, [points.pop() for _ in range(idle)])
    await asyncio.sleep(2.0)
    fig.second_round_mb = (server.rss_mb() - opened) / idle
    await close_all(sessions)


def run_tree(tree: Path, label: str, **counts: int) -> Figures:
    """Start a server of ``tree``, measure it, stop it."""
    fig = Figures(label)
    with tempfile.TemporaryDirectory(prefix="carecircle-serving-") as tmp:
        server = Server(tree, Path(tmp))
        try:
            print(f"… {label}: starting the app on port {server.port}", file=sys.stderr, flush=True)
            server.start()
            print(f"… {label}: measuring", file=sys.stderr, flush=True)
            asyncio.run(measure(server, fig, **counts))
        finally:
            server.stop()
    return fig


@contextlib.contextmanager
def worktree(ref: str) -> Iterator[tuple[Path, str]]:
    """A detached git worktree of ``ref`` (removed afterwards) and its short commit."""
    tmp = Path(tempfile.mkdtemp(prefix="carecircle-baseline-"))
    path = tmp / "tree"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", f"{ref}^{{commit}}"],
            cwd=REPO,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except subprocess.CalledProcessError:
        shutil.rmtree(tmp, ignore_errors=True)
        msg = f"找不到 git 版本 {ref!r} / git reference {ref!r} not found"
        raise SystemExit(f"错误 / error: {msg}") from None
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(path), commit], cwd=REPO, check=True, capture_output=True
    )
    try:
        yield path, commit
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=REPO, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


# --- the table -------------------------------------------------------------------------------------


def _fmt(value: float, digits: int = 3) -> str:
    return "–" if value != value else f"{value:.{digits}f}"


def _verdict(value: float, target: float | None) -> str:
    if target is None or value != value:
        return "  "
    return "✓ " if value <= target else "✗ "


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def table(figures: list[Figures], *, concurrent: int, idle: int) -> str:
    rows: list[tuple[str, str, Callable[[Figures], tuple[float, float | None, int]]]] = [
        ("finder first view, CPU-s per session", "≤ 0.20", lambda f: (f.finder_first_view, 0.2, 3)),
        ("finder search: tap on the map, CPU-s", "≤ 0.10", lambda f: (f.finder_tap, 0.1, 3)),
        ("finder search: type coordinates + press, CPU-s", "≤ 0.10", lambda f: (f.finder_search, 0.1, 3)),
        ("… choosing 输入坐标 before that, CPU-s", "", lambda f: (f.finder_choose, None, 3)),
        ("coverage first view, CPU-s", "", lambda f: (f.coverage_first_view, None, 3)),
        (
            "coverage control change (new), CPU-s mean",
            "≤ 0.50",
            lambda f: (_mean(f.coverage_changes), 0.5, 3),
        ),
        (
            "coverage control change (new), CPU-s max",
            "≤ 0.50",
            lambda f: (max(f.coverage_changes, default=float("nan")), 0.5, 3),
        ),
        (
            "same changes by a 2nd session, CPU-s mean",
            "",
            lambda f: (_mean(f.coverage_repeats), None, 3),
        ),
        (
            f"{concurrent} finder sessions at once: results p50, s",
            "",
            lambda f: (_percentile(f.concurrent, 0.5), None, 1),
        ),
        (
            f"{concurrent} finder sessions at once: results p95, s",
            "≤ 5.0",
            lambda f: (_percentile(f.concurrent, 0.95) if not f.concurrent_failed else float("inf"), 5.0, 1),
        ),
        (
            f"{concurrent} finder sessions at once: slowest, s",
            "",
            lambda f: (max(f.concurrent, default=float("nan")), None, 1),
        ),
        (
            f"{concurrent} finder sessions at once: served",
            f"{concurrent}",
            lambda f: (float(len(f.concurrent)), None, 0),
        ),
        (
            f"{concurrent} finder sessions at once: server CPU-s",
            "",
            lambda f: (f.concurrent_cpu_s, None, 1),
        ),
        (
            "… server busy during the burst (CPU-s / s)",
            "",
            lambda f: (f.concurrent_cpu_s / f.concurrent_wall_s, None, 2),
        ),
        (f"memory per idle session ({idle} open), MB", "≤ 5.0", lambda f: (f.idle_mb, 5.0, 2)),
        ("… left per session after they closed, MB", "≈ 0", lambda f: (f.retained_mb, None, 2)),
        ("… added per session by a 2nd round, MB", "≈ 0", lambda f: (f.second_round_mb, None, 2)),
        ("server memory after warm-up, MB", "", lambda f: (f.rss_start_mb, None, 0)),
    ]
    width = max(len(r[0]) for r in rows) + 2
    heads = "".join(f"{f.label:>22}" for f in figures)
    lines = [f"{'':{width}}{'target':>9}{heads}"]
    for name, target_text, get in rows:
        cells = ""
        for fig in figures:
            value, target, digits = get(fig)
            cells += f"{_verdict(value, target) + _fmt(value, digits):>22}"
        lines.append(f"{name:{width}}{target_text:>9}{cells}")
    if len(figures) == 2:
        base, this = figures
        ratio = base.finder_first_view / this.finder_first_view if this.finder_first_view else float("nan")
        lines.append(f"finder first view: {ratio:.0f}× less CPU than {base.label}")
    for fig in figures:
        for note in fig.notes:
            lines.append(f"{fig.label}: {note}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--baseline", metavar="REF", help="also measure this git commit or branch (e.g. main)"
    )
    parser.add_argument("--quick", action="store_true", help="fewer sessions (20 at once, 10 idle)")
    parser.add_argument("--sequential", type=int, default=None, help="sessions measured one by one")
    parser.add_argument("--concurrent", type=int, default=None, help="finder sessions started at once")
    parser.add_argument("--idle", type=int, default=None, help="idle sessions for the memory figures")
    args = parser.parse_args(argv)
    # Stopped from outside (kill): still stop the servers and remove the worktree (the finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    counts = {
        "sequential": args.sequential or (4 if args.quick else 10),
        "concurrent": args.concurrent or (20 if args.quick else 50),
        "idle": args.idle or (10 if args.quick else 50),
    }
    if min(counts.values()) < 1:
        parser.error("--sequential, --concurrent and --idle must be at least 1")
    started = time.monotonic()
    figures = []
    if args.baseline:
        with worktree(args.baseline) as (path, commit):
            figures.append(run_tree(path, f"{args.baseline} ({commit})", **counts))
    figures.append(run_tree(REPO, "this tree", **counts))
    load = os.getloadavg()[0]
    print(
        f"\nServing benchmark · {os.cpu_count()} cores, load average {load:.1f} during the run · "
        f"{time.monotonic() - started:.0f} s\n"
    )
    print(table(figures, concurrent=counts["concurrent"], idle=counts["idle"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
