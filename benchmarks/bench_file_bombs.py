"""Hostile files against ``python -m geo import --dry-run``: time and peak memory per file.

Builds the files of ``tests/bombs.py`` (zip bombs, millions of empty cells, huge shared strings,
deep XML, entity expansion, wide and long CSVs, a FIFO, /dev/zero …) and imports each one in its
own child process, polling the child's resident-memory high-water mark (``VmHWM``) and CPU time.
A child that passes ``--max-rss-mb`` or ``--timeout`` CPU seconds (or 20 times that in wall time)
is killed and shown as such (``>``): that is the figure of a reader without limits, which would
otherwise take the machine down.

Run against this checkout, or against another one to compare (``--repo /path/to/other/checkout``,
which must have ``geo`` and ``datasets``; its ``__pycache__`` is not written)::

    PYTHONPATH=. .venv/bin/python benchmarks/bench_file_bombs.py
    PYTHONPATH=. .venv/bin/python benchmarks/bench_file_bombs.py --repo ../main --timeout 60

Prints one row per file: exit code (or ``killed``), wall seconds, CPU seconds of the child, peak
memory (MB) and the first line of what it printed on stderr.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.bombs import BOMBS  # noqa: E402


def _status(pid: int) -> dict[str, int]:
    values = {}
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                key, _, rest = line.partition(":")
                if key in ("VmHWM", "VmRSS"):
                    values[key] = int(rest.split()[0])
    except OSError:
        pass
    return values


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rpartition(")")[2].split()
    except OSError:
        return float("nan")
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def measure(repo: Path, path: Path, *, timeout_s: float, max_rss_mb: float) -> dict[str, object]:
    """Run one import in a child process; return exit, seconds, CPU seconds, peak MB, stderr."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(repo)}
        database = f"sqlite:///{Path(tmp) / 'bench.db'}"
        # Fill the database first, so the measured run imports only.
        subprocess.run(
            [sys.executable, "-m", "geo", "--database", database, "init"],
            cwd=repo,
            env=env,
            capture_output=True,
            check=True,
        )
        err_path = Path(tmp) / "stderr.txt"
        with err_path.open("wb") as err:
            started = time.perf_counter()
            child = subprocess.Popen(
                [sys.executable, "-m", "geo", "--database", database, "import", str(path), "--dry-run"],
                cwd=repo,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
            peak_kb, cpu_s, outcome = 0, 0.0, ""
            while child.poll() is None:
                status = _status(child.pid)
                peak_kb = max(peak_kb, status.get("VmHWM", 0))
                cpu_s = max(cpu_s, _cpu_seconds(child.pid))
                elapsed = time.perf_counter() - started
                # CPU seconds, not wall seconds, decide: on a shared machine they are the steadier.
                if peak_kb / 1024 > max_rss_mb or cpu_s > timeout_s or elapsed > 20 * timeout_s:
                    outcome = "killed"
                    child.send_signal(signal.SIGKILL)
                    child.wait()
                    break
                time.sleep(0.05)
            seconds = time.perf_counter() - started
        stderr = err_path.read_text(errors="replace")
    first = next((line for line in stderr.splitlines() if line.strip()), "")
    if "Traceback" in stderr:
        first = "Traceback: " + stderr.strip().splitlines()[-1]
    return {
        "exit": outcome or child.returncode,
        "seconds": seconds,
        "cpu_seconds": cpu_s,
        "peak_mb": peak_kb / 1024,
        "killed": bool(outcome),
        "message": first,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=REPO_ROOT, help="checkout whose geo package runs")
    parser.add_argument("--timeout", type=float, default=60.0, help="CPU seconds before a child is killed")
    parser.add_argument("--max-rss-mb", type=float, default=3000.0, help="memory at which it is killed")
    parser.add_argument("--only", nargs="*", default=None, help="names of the files to run")
    args = parser.parse_args()
    names = args.only or list(BOMBS)
    print(f"repo: {args.repo.resolve()}  (killed past {args.timeout:.0f} s or {args.max_rss_mb:.0f} MB)")
    print(f"{'file':<22} {'size':>9} {'exit':>6} {'wall s':>8} {'CPU s':>7} {'peak MB':>8}  message")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            path = BOMBS[name](Path(tmp))
            size = f"{path.stat().st_size / 1024:,.0f} kB" if path.is_file() else "-"
            r = measure(args.repo, path, timeout_s=args.timeout, max_rss_mb=args.max_rss_mb)
            mark = ">" if r["killed"] else " "
            print(
                f"{name:<22} {size:>9} {r['exit']!s:>6} {mark}{r['seconds']:>7.1f} {r['cpu_seconds']:>7.1f} "
                f"{mark}{r['peak_mb']:>7.0f}  {str(r['message'])[:110]}",
                flush=True,
            )


if __name__ == "__main__":
    main()
