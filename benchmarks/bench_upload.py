"""Uploads from a visitor who never logged in: what the server answers and how its memory moves.

Starts the app (``streamlit run serve.py`` as ``make run`` does, or another script/checkout), opens
a session over the websocket the way a script would (no browser, no login), and PUTs three 50 MB
files and one 100 kB file to ``/_stcore/upload_file/{session}/{file}``. Prints each answer and the
server's resident memory before, after the posts and after a settle pause.

Run::

    PYTHONPATH=. .venv/bin/python benchmarks/bench_upload.py
    PYTHONPATH=. .venv/bin/python benchmarks/bench_upload.py --repo /path/to/old/checkout --script streamlit_app.py
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from tests.appserver import REPO_ROOT, AppServer, rss_mib, running_app
from tests.streamlit_client import RawSession

MIB = 1024 * 1024


def measure(server: AppServer, session: RawSession, *, big_mib: int, posts: int) -> None:
    """The posts and the memory figures, printed."""
    session.script_finished.wait(120)  # the first page is drawn: the app's data are loaded
    time.sleep(2)
    start = rss_mib(server.pid)
    print(f"RSS before: {start:.0f} MiB (session {session.session_id})")
    big = b"a," * (big_mib * MIB // 2)
    for i in range(posts):
        result = session.put_file(big, file_name=f"big{i}.csv")
        print(
            f"post {i + 1}: {len(big) / MIB:.0f} MiB → status {result.status}, "
            f"{result.sent_bytes / MIB:.1f} MiB sent before the answer, RSS {rss_mib(server.pid):.0f} MiB"
        )
    small = b"facility_id,name\n" + b"x,y\n" * 25_000
    result = session.put_file(small, file_name="small.csv")
    answer = result.body.decode(errors="replace").strip()[:90]
    print(f"post small: {len(small) / 1024:.0f} kB → status {result.status} {answer}")
    after = rss_mib(server.pid)
    time.sleep(5)
    settled = rss_mib(server.pid)
    print(
        f"RSS after posts: {after:.0f} MiB, after 5 s: {settled:.0f} MiB (growth {settled - start:+.0f} MiB)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=REPO_ROOT, help="checkout to serve")
    parser.add_argument("--script", default="serve.py", help="file given to streamlit run")
    parser.add_argument("--big-mib", type=int, default=50, help="size of each large post (MiB)")
    parser.add_argument("--posts", type=int, default=3, help="number of large posts")
    args = parser.parse_args()
    print(f"server: streamlit run {args.repo / args.script}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        server_ctx = running_app(
            database_url=f"sqlite:///{folder / 'c.db'}",
            log_path=folder / "server.log",
            repo=args.repo,
            script=args.script,
        )
        with server_ctx as server, RawSession(server.base_url) as session:
            measure(server, session, big_mib=args.big_mib, posts=args.posts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
