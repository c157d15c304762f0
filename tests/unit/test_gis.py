"""Tests of geo.gis: the PostGIS layer (geometry columns, GiST indexes, views for QGIS).

Run on the test cluster's PostgreSQL: with PostGIS (``pg_url``), without (``pg_plain_url``), and as a
read-only GIS role that holds nothing but SELECT on the views.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from geo import gis, migrate
from geo.cli import main
from geo.store import FacilityStore, open_store
from tests.conftest import PgServer
from tests.unit.test_migrate import load_v1_dump
from tests.unit.test_store import make_facilities

pytestmark = pytest.mark.postgresql


@pytest.fixture
def gis_store(pg_url: str, pg_server: PgServer) -> Iterator[FacilityStore]:
    if not pg_server.has_postgis:
        pytest.skip("the PostgreSQL server has no PostGIS (apt-get install postgresql-postgis)")
    store = open_store(pg_url)
    yield store
    store.engine.dispose()


def scalar(store: FacilityStore, sql: str, **params: object) -> object:
    with store.engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


def geometry_columns(store: FacilityStore) -> set[tuple[str, str, str, int]]:
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT f_table_name, f_geometry_column, type, srid FROM geometry_columns"
        ).all()
    return {(str(a), str(b), str(c), int(d)) for a, b, c, d in rows}


def test_published_facilities_carry_an_indexed_point_and_the_view_counts_them(
    gis_store: FacilityStore,
) -> None:
    published = len(gis_store.facilities())
    assert published == 425
    assert scalar(gis_store, "SELECT count(*) FROM gis_facilities") == published
    assert {
        ("gis_facilities", "geom", "POINT", 4326),
        ("facility_rows", "geom", "POINT", 4326),
    } <= geometry_columns(gis_store)
    index = scalar(gis_store, "SELECT indexdef FROM pg_indexes WHERE indexname = 'facility_rows_geom_gist'")
    assert "USING gist (geom)" in str(index)
    # Every point is where lon/lat say, and the view's fid is a unique integer.
    off = scalar(
        gis_store,
        "SELECT count(*) FROM gis_facilities WHERE abs(ST_X(geom) - lon) > 1e-12 OR abs(ST_Y(geom) - lat) > 1e-12",
    )
    assert off == 0
    assert scalar(gis_store, "SELECT count(DISTINCT fid) FROM gis_facilities") == published
    assert scalar(gis_store, "SELECT min(source) FROM gis_facilities").startswith("modelled sample")


def test_the_view_follows_every_publish_and_restore(gis_store: FacilityStore) -> None:
    v2 = make_facilities(7)
    gis_store.publish(v2, user_name="a", action="import", base_version=1)
    assert scalar(gis_store, "SELECT count(*) FROM gis_facilities") == 7
    assert scalar(gis_store, "SELECT max(version) FROM gis_facilities") == 2
    moved = v2.copy()
    moved.loc[0, "lon"] = 110.0
    gis_store.publish(moved, user_name="a", action="import", base_version=2)
    x = scalar(gis_store, "SELECT ST_X(geom) FROM gis_facilities WHERE facility_id = 'F-00000'")
    assert x == pytest.approx(110.0)
    gis_store.restore(1, user_name="b")
    assert scalar(gis_store, "SELECT count(*) FROM gis_facilities") == 425
    # Older versions keep their own geometry.
    assert scalar(
        gis_store, "SELECT ST_X(geom) FROM facility_rows WHERE version = 3 AND facility_id = 'F-00000'"
    ) == pytest.approx(110.0)
    assert scalar(gis_store, "SELECT count(*) FROM facility_rows WHERE geom IS NULL") == 0


def test_views_are_left_alone_when_unchanged_and_replaced_when_their_sql_changes(
    gis_store: FacilityStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    with gis_store.engine.connect() as conn:
        assert gis.in_sync(conn)
    oid = scalar(gis_store, "SELECT 'gis_facilities'::regclass::oid")
    gis_store.create_schema()
    assert scalar(gis_store, "SELECT 'gis_facilities'::regclass::oid") == oid  # not recreated
    changed = gis.GisView(
        name="gis_facilities",
        title="changed",
        requires=("facility_rows", "versions"),
        select_sql=gis.VIEWS[0].select_sql.replace("f.geom", "f.geom, 1 AS marker"),
    )
    monkeypatch.setattr(gis, "VIEWS", (changed, *gis.VIEWS[1:]))
    with gis_store.engine.connect() as conn:
        assert not gis.in_sync(conn)
    gis_store.create_schema()
    assert scalar(gis_store, "SELECT min(marker) FROM gis_facilities") == 1


def test_a_read_only_gis_role_sees_the_views_only_and_keeps_its_grant(
    gis_store: FacilityStore, pg_server: PgServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = f"gis_reader_{scalar(gis_store, 'SELECT current_database()')}"
    with pg_server.admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {reader} LOGIN PASSWORD 'reader-pw'")
    try:
        with gis_store.engine.begin() as conn:
            conn.exec_driver_sql(f"GRANT SELECT ON gis_facilities, gis_coverage TO {reader}")
        url = gis_store.engine.url.set(username=reader, password="reader-pw")

        def count_as_reader(sql: str) -> object:
            engine = sa.create_engine(url)
            try:
                with engine.connect() as conn:
                    return conn.exec_driver_sql(sql).scalar()
            finally:
                engine.dispose()

        assert count_as_reader("SELECT count(*) FROM gis_facilities") == 425
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
            count_as_reader("SELECT count(*) FROM facility_rows")
        # A program upgrade that replaces the view gives the grant back.
        changed = gis.GisView("gis_facilities", "changed", ("facility_rows",), gis.VIEWS[0].select_sql + " ")
        monkeypatch.setattr(gis, "VIEWS", (changed, *gis.VIEWS[1:]))
        gis_store.create_schema()
        assert count_as_reader("SELECT count(*) FROM gis_facilities") == 425
    finally:
        with gis_store.engine.begin() as conn:
            conn.exec_driver_sql(f"REVOKE ALL ON gis_facilities, gis_coverage FROM {reader}")
        with pg_server.admin.connect() as conn:
            conn.exec_driver_sql(f"DROP ROLE {reader}")


def test_a_version_1_database_gets_its_geometry_on_upgrade(pg_url: str, pg_server: PgServer) -> None:
    if not pg_server.has_postgis:
        pytest.skip("no PostGIS on the server")
    load_v1_dump(pg_url)
    store = open_store(pg_url)
    assert scalar(store, "SELECT count(*) FROM facility_rows WHERE geom IS NULL") == 0
    assert scalar(store, "SELECT count(*) FROM gis_facilities") == len(store.facilities()) == 3
    store.engine.dispose()


def test_plain_postgresql_works_and_says_the_views_are_skipped(
    pg_plain_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--database", pg_plain_url, "db", "upgrade"]) == 0
    out = capsys.readouterr().out
    assert "GIS 视图已跳过" in out and "GIS views skipped" in out
    store = open_store(pg_plain_url)
    assert store.current_version() == 1
    with store.engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        views = set(sa.inspect(conn).get_view_names())
    assert "facility_rows" in tables and not views
    assert main(["--database", pg_plain_url, "facilities"]) == 0
    store.engine.dispose()


def test_enable_postgis_needs_the_right_to_and_says_so(
    pg_plain_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # The test databases belong to a role that may not create extensions, as in most deployments.
    assert main(["--database", pg_plain_url, "db", "upgrade", "--enable-postgis"]) == 1
    err = capsys.readouterr().err
    assert "无权" in err and "may not create the PostGIS extension" in err
    assert "Traceback" not in err
    store = open_store(pg_plain_url, create=False)
    with store.engine.connect() as conn:
        assert gis.state(conn).installed_version is None  # nothing half-done
        assert migrate.current_revision(conn) is None  # the whole upgrade rolled back
    store.engine.dispose()


@pytest.mark.slow
def test_enable_postgis_as_a_role_allowed_to(
    pg_database: Callable[..., str], pg_server: PgServer, capsys: pytest.CaptureFixture[str]
) -> None:
    if not pg_server.has_postgis:
        pytest.skip("no PostGIS on the server")
    url = pg_database(postgis=False, superuser=True)
    assert main(["--database", url, "init"]) == 0
    capsys.readouterr()
    assert main(["--database", url, "db", "upgrade", "--enable-postgis"]) == 0
    assert "GIS views ready: gis_facilities" in capsys.readouterr().out
    store = open_store(url)
    assert scalar(store, "SELECT count(*) FROM gis_facilities") == 425
    store.engine.dispose()


def test_saved_coverage_shows_in_the_coverage_view(gis_store: FacilityStore, tmp_path: Path) -> None:
    url = gis_store.engine.url.render_as_string(hide_password=False)
    args = ["--database", url, "coverage", "--type", "community_station", "--minutes", "15", "--save"]
    assert main([*args, "--name", "first"]) == 0
    cells = pd.read_csv(Path(__file__).resolve().parents[2] / "datasets" / "population_cells.csv")
    assert scalar(gis_store, "SELECT count(*) FROM gis_coverage") == len(cells)
    assert ("gis_coverage", "geom", "POLYGON", 4326) in geometry_columns(gis_store)
    assert scalar(gis_store, "SELECT count(*) FROM gis_coverage WHERE NOT ST_IsValid(geom)") == 0
    assert scalar(gis_store, "SELECT bool_and(demand_modelled) FROM gis_coverage") is True
    # Each hexagon holds its cell's centre.
    assert (
        scalar(
            gis_store,
            "SELECT count(*) FROM gis_coverage WHERE NOT ST_Contains(geom, ST_SetSRID(ST_MakePoint(lon, lat), 4326))",
        )
        == 0
    )
    assert main([*args[:-1], "--minutes", "5", "--save", "--name", "second"]) == 0
    assert scalar(gis_store, "SELECT min(analysis_name) FROM gis_coverage") == "second"
    assert scalar(gis_store, "SELECT max(budget_min) FROM gis_coverage") == 5
