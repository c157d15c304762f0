"""Run several CareCircle app servers on one database behind nginx, in the foreground.

    python3 deploy/serve.py --database postgresql://carecircle:PW@db-host/carecircle \\
        --app-port 8501 --app-port 8502 --listen 127.0.0.1:8080

1. upgrades the schema once (``python -m geo db upgrade``), so the servers do not all start by
   migrating;
2. starts one ``streamlit run serve.py`` (the app with its upload guard) per ``--app-port`` on 127.0.0.1, all with the same
   ``DATABASE_URL`` and the same cookie secret (so an XSRF cookie made by one is good at another);
3. writes a standalone nginx configuration (``deploy/nginx_conf.py``) under ``--workdir`` and starts
   nginx on ``--listen``;
4. prints ``ready http://…`` and waits; Ctrl-C or SIGTERM stops nginx and the servers.

It is how to try a city set-up on one machine, and what the several-servers test runs
(``tests/browser/test_deployment.py``). In production run the same pieces as services instead
(``deploy/systemd/``, ``deploy/nginx/carecircle.conf``; see ``docs/deployment.md``). Standard
library only.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "deploy"))

import nginx_conf  # noqa: E402  (next to this file)

START_TIMEOUT_S = 120


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(encoding="utf-8", errors="replace")[-2000:] if log.exists() else ""
            msg = f"{what} did not start (exit code {proc.poll()}); log {log}:\n{tail}"
            raise RuntimeError(msg)
        time.sleep(0.3)


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in reversed(procs):
        if proc.poll() is None:
            proc.terminate()
    for proc in reversed(procs):
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL"), help="default: $DATABASE_URL")
    parser.add_argument("--app-port", type=int, action="append", required=True, help="repeat per server")
    parser.add_argument("--listen", default="127.0.0.1:8080", help="nginx address:port")
    parser.add_argument("--python", default=str(REPO / ".venv" / "bin" / "python"))
    parser.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    parser.add_argument(
        "--workdir", type=Path, default=None, help="nginx prefix and logs (default: temporary)"
    )
    args = parser.parse_args(argv)
    if not args.database:
        parser.error("--database or $DATABASE_URL is needed")

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="carecircle-serve-"))
    workdir.mkdir(parents=True, exist_ok=True)
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (workdir / sub).mkdir(exist_ok=True)
        os.chmod(workdir / sub, 0o777)  # nginx workers run as an unprivileged user when started by root
    os.chmod(workdir, 0o755)
    env = {
        **os.environ,
        "DATABASE_URL": args.database,
        "STREAMLIT_SERVER_COOKIE_SECRET": os.environ.get("STREAMLIT_SERVER_COOKIE_SECRET")
        or secrets.token_hex(32),
    }
    subprocess.run([args.python, "-m", "geo", "db", "upgrade"], cwd=REPO, env=env, check=True)

    procs: list[subprocess.Popen[bytes]] = []
    stopping = False

    def on_signal(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        for port in args.app_port:
            log = workdir / f"app-{port}.log"
            proc = subprocess.Popen(
                [
                    args.python,
                    "-m",
                    "streamlit",
                    "run",
                    "serve.py",
                    "--server.port",
                    str(port),
                    "--server.address",
                    "127.0.0.1",
                    "--server.headless",
                    "true",
                    "--browser.gatherUsageStats",
                    "false",
                ],
                cwd=REPO,
                env=env,
                stdout=log.open("wb"),
                stderr=subprocess.STDOUT,
            )
            procs.append(proc)
        for port, proc in zip(args.app_port, procs, strict=True):
            _wait_healthy(
                f"http://127.0.0.1:{port}/_stcore/health",
                proc,
                f"app server :{port}",
                workdir / f"app-{port}.log",
            )
        conf = workdir / "nginx.conf"
        conf.write_text(
            nginx_conf.standalone_config(
                workdir, listen=args.listen, apps=tuple(f"127.0.0.1:{p}" for p in args.app_port)
            ),
            encoding="utf-8",
        )
        nginx = subprocess.Popen(
            [args.nginx, "-p", str(workdir), "-c", str(conf)],
            stdout=(workdir / "nginx.out").open("wb"),
            stderr=subprocess.STDOUT,
        )
        procs.append(nginx)
        host = args.listen if ":" in args.listen else f"127.0.0.1:{args.listen}"
        _wait_healthy(f"http://{host}/_stcore/health", nginx, "nginx", workdir / "error.log")
        print(f"ready http://{host}", flush=True)
        while not stopping and all(p.poll() is None for p in procs):
            time.sleep(0.2)
        failed = [p.args for p in procs if p.poll() is not None]
        if failed and not stopping:
            print(f"stopped: a process ended: {failed[0]}", file=sys.stderr, flush=True)
            return 1
        return 0
    finally:
        _stop(procs)
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
