"""Shared fixtures: every test that touches the database gets its own database.

- ``db_url`` / ``store``: a fresh SQLite file (most tests).
- ``pg_url``: a fresh PostgreSQL database (with PostGIS where the server has it), owned by a
  non-superuser role as in a real deployment; ``pg_plain_url``: one without PostGIS.
- ``any_db_url``: parametrized over ``sqlite`` and ``postgresql``, for the store, import, restore,
  concurrency and crash tests.

PostgreSQL comes from ``$CARECIRCLE_TEST_PG_URL`` (a superuser URL of a throw-away cluster; ``.ci/run``
starts one), else from a cluster this session starts itself with ``tests/pgcluster.py`` when the
server binaries are installed. Without either, PostgreSQL tests are skipped with the reason — except
when ``$CARECIRCLE_REQUIRE_POSTGRESQL`` is ``1`` (CI sets it): then they fail.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from geo.store import FacilityStore, open_store
from tests import pgcluster

PG_URL_ENV = "CARECIRCLE_TEST_PG_URL"
REQUIRE_PG_ENV = "CARECIRCLE_REQUIRE_POSTGRESQL"
APP_ROLE = "carecircle_app"
POSTGIS_TEMPLATE = "carecircle_template_postgis"


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh SQLite URL, also exported as $DATABASE_URL so the CLI and the app use it."""
    url = f"sqlite:///{tmp_path / 'carecircle.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


@pytest.fixture
def store(db_url: str) -> Iterator[FacilityStore]:
    """A store filled with the shipped modelled sample as version 1."""
    s = open_store(db_url)
    yield s
    s.engine.dispose()


@pytest.fixture
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Password hashing with argon2 at 1 MiB and one pass: the same code paths as the real 64 MiB
    setting, a hundred times faster (tests of many logins)."""
    from argon2 import PasswordHasher

    from geo import auth

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(auth, "_hasher", lambda: cheap)
    auth._dummy_hash.cache_clear()
    yield
    auth._dummy_hash.cache_clear()


# --- PostgreSQL ---------------------------------------------------------------------------------


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_PG_ENV) == "1":
        pytest.fail(f"PostgreSQL is required here (${REQUIRE_PG_ENV}=1) but {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


@dataclass(frozen=True)
class PgServer:
    """The test cluster: an admin engine and what a fresh database is made from."""

    admin_url: str  # superuser, database "postgres"
    admin: sa.Engine  # AUTOCOMMIT, for CREATE/DROP DATABASE
    app_password: str
    has_postgis: bool

    def url(self, database: str, *, superuser: bool = False) -> str:
        """``postgresql://`` URL of ``database`` as the app role (or the superuser)."""
        base = sa.engine.make_url(self.admin_url).set(database=database)
        if not superuser:
            base = base.set(username=APP_ROLE, password=self.app_password)
        return base.set(drivername="postgresql").render_as_string(hide_password=False)

    def create_database(self, *, postgis: bool = True, encoding: str = "UTF8") -> str:
        """A new empty database owned by the app role; returns its name."""
        name = f"t_{secrets.token_hex(6)}"
        template = POSTGIS_TEMPLATE if postgis and self.has_postgis else "template0"
        with self.admin.connect() as conn:
            conn.exec_driver_sql(
                f"CREATE DATABASE {name} OWNER {APP_ROLE} TEMPLATE {template} ENCODING '{encoding}' "
                "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
                if encoding == "UTF8"
                else f"CREATE DATABASE {name} OWNER {APP_ROLE} TEMPLATE template0 ENCODING '{encoding}' "
                "LC_COLLATE 'C' LC_CTYPE 'C'"
            )
        return name

    def drop_database(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """The PostgreSQL cluster of this test session (see the module docstring)."""
    folder: Path | None = None
    url = os.environ.get(PG_URL_ENV, "").strip()
    if not url:
        if pgcluster.find_bindir() is None:
            _unavailable("no server binaries found (apt-get install postgresql postgresql-15-postgis-3)")
        folder = Path(tempfile.mkdtemp(prefix="carecircle-pg-"))
        try:
            url = pgcluster.start(folder).url
        except pgcluster.ClusterError as exc:
            pgcluster.stop(folder)
            _unavailable(f"the test cluster did not start: {exc}")
    admin = sa.create_engine(
        sa.engine.make_url(url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as conn:
            has_postgis = bool(
                conn.exec_driver_sql(
                    "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'"
                ).scalar()
            )
    except sa.exc.OperationalError as exc:
        admin.dispose()
        if folder is not None:
            pgcluster.stop(folder)
        _unavailable(f"cannot connect to ${PG_URL_ENV}: {str(exc.orig).splitlines()[0]}")
    password = secrets.token_hex(12)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {POSTGIS_TEMPLATE}")
        exists = conn.exec_driver_sql(f"SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}'").scalar()
        verb = "ALTER" if exists else "CREATE"
        conn.exec_driver_sql(f"{verb} ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB PASSWORD '{password}'")
        if has_postgis:
            conn.exec_driver_sql(f"CREATE DATABASE {POSTGIS_TEMPLATE} TEMPLATE template0 ENCODING 'UTF8'")
    if has_postgis:
        template = sa.create_engine(
            sa.engine.make_url(url).set(drivername="postgresql+psycopg", database=POSTGIS_TEMPLATE),
            isolation_level="AUTOCOMMIT",
        )
        with template.connect() as conn:
            conn.exec_driver_sql("CREATE EXTENSION postgis")
        template.dispose()
    server = PgServer(admin_url=url, admin=admin, app_password=password, has_postgis=has_postgis)
    try:
        yield server
    finally:
        admin.dispose()
        if folder is not None:
            pgcluster.stop(folder)


@pytest.fixture
def pg_database(pg_server: PgServer) -> Iterator[Callable[..., str]]:
    """Factory: ``make(postgis=True, encoding="UTF8", superuser=False)`` → URL of a new database,
    dropped after the test."""
    made: list[str] = []

    def make(*, postgis: bool = True, encoding: str = "UTF8", superuser: bool = False) -> str:
        name = pg_server.create_database(postgis=postgis, encoding=encoding)
        made.append(name)
        return pg_server.url(name, superuser=superuser)

    yield make
    for name in made:
        pg_server.drop_database(name)


@pytest.fixture
def pg_url(pg_database: Callable[..., str]) -> str:
    """A fresh, empty PostgreSQL database (PostGIS installed where the server has it)."""
    return pg_database()


@pytest.fixture
def pg_plain_url(pg_database: Callable[..., str]) -> str:
    """A fresh, empty PostgreSQL database without PostGIS."""
    return pg_database(postgis=False)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh, empty database on each store, also exported as $DATABASE_URL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    monkeypatch.setenv("DATABASE_URL", url)
    return url
