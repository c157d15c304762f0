"""Soak checks of the store on SQLite and PostgreSQL: concurrent starts, concurrent publishers, kill -9.

    PYTHONPATH=. .venv/bin/python benchmarks/soak_store.py [--pg-url URL] [--rounds 3] [--kills 20]
        [--repo PATH]

Each check runs the real command line in separate processes, as operators and servers do:

1. **starts**: 8 processes run ``python -m geo init`` on an empty database at the same moment
   (released together after they have imported the program); counts runs where all 8 exit 0 and the
   store ends with exactly one version 1.
2. **publishers**: 8 processes ``python -m geo import`` different files at the same moment; per base
   version exactly one may win, the others must exit 1 with the bilingual conflict message.
3. **kill -9**: a publish of 3,000 facilities is killed with SIGKILL after a random delay; the store
   must hold either the old or the new version, complete, and accept the next publish.

PostgreSQL comes from ``--pg-url`` (a superuser URL; each check gets a fresh database), else a
throw-away cluster is started (``tests/pgcluster.py``). ``--repo`` runs another checkout's code (for a
before/after comparison; psycopg must be importable there). Prints one line per check and store.
Not part of ``make bench`` (it takes minutes): run it by hand.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE))

from tests import pgcluster  # noqa: E402

_WAITER = textwrap.dedent(
    """
    import os, sys, time
    sys.path.insert(0, sys.argv[1])
    from geo.cli import main
    open(sys.argv[2], "w").close()
    while not os.path.exists(sys.argv[3]):
        time.sleep(0.005)
    sys.exit(main(sys.argv[4:]))
    """
)


def _together(repo: Path, work: Path, url: str, argvs: list[list[str]]) -> list[tuple[int, str, str]]:
    """Run ``python -m geo ARGV`` for each argv at the same moment; (exit code, stdout, stderr) each."""
    script = work / "waiter.py"
    script.write_text(_WAITER, encoding="utf-8")
    go = work / f"go-{secrets.token_hex(4)}"
    env = {**os.environ, "DATABASE_URL": url, "PYTHONDONTWRITEBYTECODE": "1"}
    procs = []
    for k, argv in enumerate(argvs):
        ready = work / f"ready-{go.name}-{k}"
        procs.append(
            (
                ready,
                subprocess.Popen(
                    [sys.executable, str(script), str(repo), str(ready), str(go), *argv],
                    cwd=repo,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                ),
            )
        )
    while not all(ready.exists() or p.poll() is not None for ready, p in procs):
        time.sleep(0.02)
    go.touch()
    return [(p.wait(timeout=600), *p.communicate()) for _, p in procs]


def _csv(path: Path, prefix: str, n: int) -> Path:
    lines = ["facility_id,name,category,type,district_adcode,lon,lat,capacity,status"]
    lines += [
        f"{prefix}-{k:05d},站{k},elderly,community_station,150602,{109.9 + (k % 100) * 0.001:.4f},"
        f"{39.8 + (k // 100) * 0.001:.4f},10,open"
        for k in range(n)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class Databases:
    """Fresh empty databases of each kind."""

    def __init__(self, work: Path, pg_url: str | None) -> None:
        self.work = work
        self.folder: Path | None = None
        if pg_url is None:
            self.folder = Path(tempfile.mkdtemp(prefix="carecircle-soak-pg-"))
            pg_url = pgcluster.start(self.folder).url
        self.admin = sa.create_engine(
            sa.engine.make_url(pg_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
        )
        self.pg_url = pg_url

    def new(self, kind: str) -> str:
        name = f"soak_{secrets.token_hex(5)}"
        if kind == "sqlite":
            return f"sqlite:///{self.work / (name + '.db')}"
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        # +psycopg: also works with code from before the psycopg default (for --repo comparisons).
        return (
            sa.engine.make_url(self.pg_url)
            .set(drivername="postgresql+psycopg", database=name)
            .render_as_string(hide_password=False)
        )

    def close(self) -> None:
        self.admin.dispose()
        if self.folder is not None:
            pgcluster.stop(self.folder)


def _versions(url: str) -> list[int]:
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return [r[0] for r in conn.execute("SELECT version FROM versions ORDER BY version")]
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.exec_driver_sql("SELECT version FROM versions ORDER BY version").scalars())
    finally:
        engine.dispose()


def check_starts(repo: Path, dbs: Databases, kind: str, rounds: int) -> str:
    good = 0
    failures: list[str] = []
    for _ in range(rounds):
        url = dbs.new(kind)
        results = _together(repo, dbs.work, url, [["init"]] * 8)
        ok = all(code == 0 for code, _, _ in results)
        try:
            one = _versions(url) == [1]
        except Exception as exc:  # the store may not exist at all after a failed start
            one, failures = False, [*failures, str(exc).splitlines()[0]]
        if ok and one:
            good += 1
        else:
            failures += [err.strip().splitlines()[-1] for code, _, err in results if code != 0][:2]
    tail = f"; e.g. {failures[0][:160]}" if failures else ""
    return f"{kind:10s} 8 concurrent init: {good}/{rounds} runs all exit 0 with exactly one version 1{tail}"


def check_publishers(repo: Path, dbs: Databases, kind: str) -> str:
    url = dbs.new(kind)
    assert _together(repo, dbs.work, url, [["init"]])[0][0] == 0
    files = [_csv(dbs.work / f"p{k}.csv", f"P{k}", 200 + k) for k in range(8)]
    results = _together(
        repo, dbs.work, url, [["import", str(f), "--user", f"u{k}"] for k, f in enumerate(files)]
    )
    by_base: dict[str, list[str]] = {}
    for code, out, err in results:
        base = out.split("base version ", 1)[1].split(",")[0] if "base version " in out else "?"
        if code == 0:
            outcome = "won"
        elif "已被他人更新" in err and "preview again" in err:
            outcome = "conflict"
        else:
            outcome = f"other: {err.strip()[-120:]}"
        by_base.setdefault(base, []).append(outcome)
    fine = all(v.count("won") == 1 and all(o in ("won", "conflict") for o in v) for v in by_base.values())
    shown = ", ".join(
        f"base {b}: {v.count('won')} won, {v.count('conflict')} conflict" for b, v in sorted(by_base.items())
    )
    others = [o for v in by_base.values() for o in v if o.startswith("other")]
    return (
        f"{kind:10s} 8 concurrent publishers: {'OK' if fine else 'FAILED'} ({shown}; versions now "
        f"{_versions(url)[-1]}){'; ' + others[0] if others else ''}"
    )


def check_kills(repo: Path, dbs: Databases, kind: str, kills: int) -> str:
    url = dbs.new(kind)
    assert _together(repo, dbs.work, url, [["init"]])[0][0] == 0
    big = _csv(dbs.work / "big.csv", "BIG", 3000)
    env = {**os.environ, "DATABASE_URL": url, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"}
    intact = 0
    killed_mid = 0
    rng = random.Random(20261130)
    for _ in range(kills):
        before = _versions(url)
        proc = subprocess.Popen(
            [sys.executable, "-m", "geo", "import", str(big), "--mode", "replace"],
            cwd=repo,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # Wait for the preview line (the publish starts right after), then kill at a random moment.
        assert proc.stdout is not None
        for line in proc.stdout:
            if "preview" in line:
                break
        time.sleep(rng.uniform(0.0, 2.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        after = _versions(url)
        whole = after in (before, [*before, before[-1] + 1])
        killed_mid += after == before
        if whole:
            # The store takes the next publish (no lock left behind, nothing half-written).
            nxt = subprocess.run(
                [sys.executable, "-m", "geo", "import", str(_csv(dbs.work / "s.csv", "S", 5 + len(after)))],
                cwd=repo,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            whole = nxt.returncode == 0 and _versions(url)[-1] == after[-1] + 1
        intact += whole
    return (
        f"{kind:10s} kill -9 during publish: {intact}/{kills} intact "
        f"({killed_mid} killed before the commit, {kills - killed_mid} after)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", default=os.environ.get("CARECIRCLE_TEST_PG_URL"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--repo", type=Path, default=HERE)
    parser.add_argument("--only", choices=("starts", "publishers", "kills"), default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="carecircle-soak-") as tmp:
        dbs = Databases(Path(tmp), args.pg_url)
        try:
            for kind in ("sqlite", "postgresql"):
                if args.only in (None, "starts"):
                    print(check_starts(args.repo, dbs, kind, args.rounds), flush=True)
                if args.only in (None, "publishers"):
                    print(check_publishers(args.repo, dbs, kind), flush=True)
                if args.only in (None, "kills"):
                    print(check_kills(args.repo, dbs, kind, args.kills), flush=True)
        finally:
            dbs.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
