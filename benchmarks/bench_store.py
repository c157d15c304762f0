"""The store on SQLite and PostgreSQL: the per-page version read, loading, publishing.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_store.py [--pg-url URL]

Every page run of every app server asks the store which version is published
(``FacilityStore.data_version()``, one indexed query) and keys its caches by the answer. The usual
way to notice new data without such a key is to read the table again (or a time-to-live cache that
serves stale data until it expires); this prints what one version read costs against reading the
published facilities, on both stores, and what a publish costs. PostgreSQL comes from ``--pg-url``
(a superuser URL) or ``$CARECIRCLE_TEST_PG_URL``, else a throw-away cluster is started.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE))

from geo.store import open_store  # noqa: E402
from tests import pgcluster  # noqa: E402
from tests.unit.test_store import make_facilities  # noqa: E402


def per_call_s(fn: Callable[[], object], *, repeat: int) -> float:
    fn()  # warm: connection pool, statement cache
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        samples.append((time.perf_counter() - start) / repeat)
    return statistics.median(samples)


def run(kind: str, url: str) -> None:
    store = open_store(url)  # the shipped sample: 425 facilities as version 1
    bigger = make_facilities(5000)
    start = time.perf_counter()
    store.publish(bigger, user_name="bench", action="import", base_version=store.current_version())
    publish_s = time.perf_counter() - start
    version_s = per_call_s(store.data_version, repeat=200)
    load_s = per_call_s(store.facilities, repeat=5)
    print(
        f"{kind:10s} data_version(): {version_s * 1e3:7.3f} ms | reading the 5,000 published facilities: "
        f"{load_s * 1e3:8.1f} ms | ratio {load_s / version_s:7.0f}x | publish 5,000: {publish_s:5.2f} s"
    )
    store.engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", default=os.environ.get("CARECIRCLE_TEST_PG_URL"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="carecircle-bench-") as tmp:
        run("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}")
        folder = None
        pg_url = args.pg_url
        if pg_url is None:
            if pgcluster.find_bindir() is None:
                print("postgresql skipped: no server binaries (apt-get install postgresql)")
                return 0
            folder = Path(tempfile.mkdtemp(prefix="carecircle-bench-pg-"))
            pg_url = pgcluster.start(folder).url
        admin = sa.create_engine(
            sa.engine.make_url(pg_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
        )
        name = f"bench_{secrets.token_hex(4)}"
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"CREATE DATABASE {name}")
            run(
                "postgresql",
                sa.engine.make_url(pg_url).set(database=name).render_as_string(hide_password=False),
            )
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.dispose()
            if folder is not None:
                pgcluster.stop(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
