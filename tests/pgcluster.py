"""A throw-away PostgreSQL cluster in a temporary folder, for tests, CI and trying things out.

Used by ``.ci/run`` (with the system Python, before the virtual environment exists) and by the test
fixtures in ``tests/conftest.py``; standard library only.

    python3 tests/pgcluster.py start DIR     # prints the superuser URL; also written to DIR/url
    python3 tests/pgcluster.py stop DIR      # stops the server and deletes DIR

The server listens on 127.0.0.1 only, on a free port, with a random superuser password
(SCRAM-SHA-256); its socket and data stay inside ``DIR``. PostgreSQL refuses to run as root, so when
started by root (CI runs as root) the server runs as the ``postgres`` user that Debian's package
creates, and ``DIR`` is handed to that user. Durability settings are off (``fsync``,
``synchronous_commit``, ``full_page_writes``): the cluster lives as long as one test run.
"""

from __future__ import annotations

import argparse
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "postgres"
URL_FILE = "url"
# Debian installs the server binaries outside PATH; newest major version first.
_DEBIAN_BINDIRS = "/usr/lib/postgresql/*/bin"


class ClusterError(RuntimeError):
    """The cluster could not be started or stopped; the message says why."""


@dataclass(frozen=True)
class Cluster:
    """A running throw-away cluster."""

    folder: Path
    url: str  # postgresql://postgres:PASSWORD@127.0.0.1:PORT/postgres
    port: int
    bindir: Path


def find_bindir() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``, or None when PostgreSQL is missing."""
    candidates = sorted(
        glob.glob(_DEBIAN_BINDIRS),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
    )
    for folder in reversed(candidates):
        if all((Path(folder) / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return Path(folder)
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb") and shutil.which("postgres"):
        return Path(found).resolve().parent
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_as() -> str | None:
    """The user the server runs as: ``postgres`` when we are root, else ourselves (None)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SUPERUSER)
    except KeyError:
        msg = (
            "running as root, but there is no 'postgres' user to run the server as "
            "(install Debian's postgresql package, which creates it)"
        )
        raise ClusterError(msg) from None
    return SUPERUSER


def _run(cmd: list[str], *, user: str | None, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        cmd,
        user=user,
        group=user,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        cwd="/",
        env={**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"},
        check=False,
    )
    if done.returncode != 0:
        msg = f"{' '.join(cmd[:2])} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}"
        raise ClusterError(msg)
    return done


def start(folder: Path, *, port: int | None = None, bindir: Path | None = None) -> Cluster:
    """Create and start a cluster in ``folder`` (created if missing, must be empty).

    Raises
    ------
    ClusterError
        When PostgreSQL is not installed or the server does not start.
    """
    bindir = bindir or find_bindir()
    if bindir is None:
        msg = "PostgreSQL server binaries (initdb, pg_ctl) not found; apt-get install postgresql"
        raise ClusterError(msg)
    user = _run_as()
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "data"
    password = secrets.token_hex(16)
    pwfile = folder / "pwfile"
    pwfile.write_text(password + "\n", encoding="utf-8")
    if user is not None:
        entry = pwd.getpwnam(user)
        # The server user must reach the folder: make every parent traversable is not ours to do,
        # so the folder must sit where others can enter (tempfile's default /tmp does).
        for path in (folder, pwfile):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    os.chmod(folder, 0o700)
    _run(
        [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            SUPERUSER,
            "--pwfile",
            str(pwfile),
            "--auth",
            "scram-sha-256",
            "-E",
            "UTF8",
            "--locale",
            "C.UTF-8",
            "--no-sync",
        ],
        user=user,
    )
    pwfile.unlink()
    last_error: ClusterError | None = None
    for _attempt in range(3):  # a free port can be taken between the probe and the start
        chosen = port or _free_port()
        options = " ".join(
            [
                "-c listen_addresses=127.0.0.1",
                f"-c port={chosen}",
                f"-c unix_socket_directories='{folder}'",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=200",
            ]
        )
        try:
            _run(
                [
                    str(bindir / "pg_ctl"),
                    "start",
                    "-w",
                    "-t",
                    "60",
                    "-D",
                    str(data),
                    "-l",
                    str(folder / "log"),
                    "-o",
                    options,
                ],
                user=user,
            )
        except ClusterError as exc:
            last_error = exc
            if port is not None:
                break
            continue
        url = f"postgresql://{SUPERUSER}:{password}@127.0.0.1:{chosen}/postgres"
        (folder / URL_FILE).write_text(url + "\n", encoding="utf-8")
        return Cluster(folder=folder, url=url, port=chosen, bindir=bindir)
    log = folder / "log"
    tail = log.read_text(encoding="utf-8", errors="replace")[-2000:] if log.exists() else ""
    msg = f"PostgreSQL did not start: {last_error}\n{tail}"
    raise ClusterError(msg)


def stop(folder: Path, *, bindir: Path | None = None, remove: bool = True) -> None:
    """Stop the cluster in ``folder`` (if running) and delete the folder."""
    folder = folder.resolve()
    data = folder / "data"
    bindir = bindir or find_bindir()
    if bindir is not None and (data / "postmaster.pid").exists():
        try:
            _run(
                [str(bindir / "pg_ctl"), "stop", "-w", "-t", "30", "-m", "fast", "-D", str(data)],
                user=_run_as(),
            )
        except ClusterError:
            _run(
                [str(bindir / "pg_ctl"), "stop", "-w", "-t", "30", "-m", "immediate", "-D", str(data)],
                user=_run_as(),
            )
    if remove:
        deadline = time.monotonic() + 10
        while True:
            try:
                shutil.rmtree(folder)
                break
            except FileNotFoundError:
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    """``start DIR`` prints the URL; ``stop DIR`` stops and deletes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("start", "stop"))
    parser.add_argument("folder", type=Path)
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args(argv)
    try:
        if args.action == "start":
            print(start(args.folder, port=args.port).url)
        else:
            stop(args.folder)
    except ClusterError as exc:
        print(f"pgcluster: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
