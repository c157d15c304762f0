"""Schema migrations of the store (Alembic, revisions in ``geo/migrations/versions``).

``upgrade(engine)`` brings any database to the newest revision, and is what ``python -m geo db
upgrade``, ``python -m geo init`` and ``open_store`` run. It is safe when many processes start at
once: the whole upgrade is one transaction holding the schema lock (PostgreSQL: a transaction-level
advisory lock; SQLite: the file's write lock by ``BEGIN IMMEDIATE``), and it looks at the database
only after taking the lock, so the first process migrates and the others find nothing left to do.
PostgreSQL runs DDL in transactions, so a migration killed halfway leaves the previous schema.

A database made before migrations existed (the three tables of version 1 and no ``alembic_version``)
is recognised and stamped at revision ``0001`` — which is exactly that schema — then upgraded; no row
is touched.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo.errors import DatabaseError

# SQLAlchemy loads with the functions that use it: ``head_revision`` (read by the quick path of
# ``geo.published``) needs only the revision files.
if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy.engine import Connection, Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSIONS_DIR = MIGRATIONS_DIR / "versions"
# The tables that version 1 of the program created with ``metadata.create_all``.
V1_TABLES = ("facility_rows", "users", "versions")
V1_REVISION = "0001"
VERSION_TABLE = "alembic_version"
# Tables other software keeps in the same database (PostGIS's catalogue of coordinate systems).
FOREIGN_TABLES = frozenset({"spatial_ref_sys"})


@dataclass(frozen=True)
class UpgradeResult:
    """What ``upgrade`` found and did."""

    before: str | None  # the revision found (None: an empty database)
    after: str  # the revision now (the head)
    stamped_v1: bool = False  # a database of version 1 without migrations was recognised
    notes: tuple[str, ...] = field(default_factory=tuple)  # bilingual lines for the operator

    @property
    def migrated(self) -> bool:
        """Whether any migration ran."""
        return self.before != self.after


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration of ``geo/migrations``, optionally bound to an open connection."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


@functools.cache
def _single_head_from_files() -> str | None:
    """The head revision read straight from the revision files (``revision`` and ``down_revision``
    assignments), without loading Alembic; None unless the files form one plain chain with one head
    (then Alembic itself is asked)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in VERSIONS_DIR.glob("*.py"):
        found: dict[str, Any] = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                    try:
                        found[target.id] = ast.literal_eval(node.value)
                    except ValueError:
                        return None
        revision, down = found.get("revision"), found.get("down_revision", ...)
        if not isinstance(revision, str) or not (down is None or isinstance(down, str)):
            return None  # no revision, or a merge point (a tuple of parents)
        revisions.add(revision)
        if down is not None:
            parents.add(down)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None


def head_revision() -> str:
    """The newest revision this program knows."""
    quick = _single_head_from_files()
    if quick is not None:
        return quick
    head = _script().get_current_head()
    if head is None:  # pragma: no cover - the package ships its revisions
        msg = f"no migrations found in {MIGRATIONS_DIR}"
        raise RuntimeError(msg)
    return head


def current_revision(conn: Connection) -> str | None:
    """The revision recorded in the database, or None when it has none (empty, or version 1)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def _recorded_revision(conn: Connection) -> str | None:
    """``current_revision`` read with one query, without loading Alembic; None when the database
    records no single revision (then the full check runs)."""
    import sqlalchemy as sa

    if not sa.inspect(conn).has_table(VERSION_TABLE):
        return None
    rows = conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    return str(rows[0]) if len(rows) == 1 else None


def context_options(*, dialect_name: str | None) -> dict[str, Any]:
    """Options of ``context.configure`` shared by the program and the ``alembic`` command."""
    from geo.store import metadata  # the store's table definitions (which import this module)

    return {
        "target_metadata": metadata,
        # SQLite alters tables by copying them; batch mode does that in a migration.
        "render_as_batch": dialect_name == "sqlite",
        "compare_type": True,
        "include_object": include_object,
        "version_table": VERSION_TABLE,
    }


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Leave out of comparisons what is not the migrations': PostGIS's own tables and the PostGIS
    layer (``geom`` columns, their GiST indexes; ``geo.gis``)."""
    from geo import gis

    if reflected and compare_to is None:
        if type_ == "table":
            return name not in FOREIGN_TABLES
        if type_ == "column":
            return name != gis.GEOMETRY_COLUMN
        if type_ == "index":
            return not str(name).endswith(gis.INDEX_SUFFIX)
    return True


def upgrade(engine: Engine, *, enable_postgis: bool = False) -> UpgradeResult:
    """Bring the database to the newest revision, and its PostGIS layer up to date (``geo.gis``).

    Parameters
    ----------
    engine
        The store's engine (``geo.db.create_engine``).
    enable_postgis
        Create the PostGIS extension when the database lacks it (needs the right to). Without this
        the PostGIS layer is made only where the extension is installed already.

    Returns
    -------
    UpgradeResult
        The revisions before and after, and notes for the operator (the GIS views made or skipped).

    Raises
    ------
    DatabaseError
        When the database cannot be reached, holds a newer schema than this program knows, or holds
        some but not all of version 1's tables, or ``enable_postgis`` cannot be done. Nothing is
        changed then: the upgrade is one transaction.
    """
    import sqlalchemy as sa

    from geo import db, gis

    head = head_revision()
    try:
        # Cheap check first, without the lock or Alembic: most starts find everything up to date.
        with engine.connect() as conn:
            found = _recorded_revision(conn)
            if found == head and not enable_postgis and gis.in_sync(conn):
                return UpgradeResult(before=found, after=head, notes=gis.describe(conn))
        with db.locked(engine, db.Lock.SCHEMA).begin() as conn:
            before = current_revision(conn)
            stamped = False
            from alembic import command

            if before is None and _is_v1(conn):
                command.stamp(alembic_config(conn), V1_REVISION)
                before, stamped = V1_REVISION, True
            _check_known(before, head)
            if before != head:
                command.upgrade(alembic_config(conn), "head")
            gis.sync(conn, enable_postgis=enable_postgis)
            notes = gis.describe(conn)
    except sa.exc.DBAPIError as exc:
        raise db.explain(exc, engine.url) from exc
    return UpgradeResult(before=before, after=head, stamped_v1=stamped, notes=notes)


def _is_v1(conn: Connection) -> bool:
    """Whether the database holds version 1's tables (made before migrations existed)."""
    import sqlalchemy as sa

    present = set(sa.inspect(conn).get_table_names()) & set(V1_TABLES)
    if not present:
        return False
    if present != set(V1_TABLES):
        missing = ", ".join(sorted(set(V1_TABLES) - present))
        msg = (
            f"数据库里只有部分数据表,缺少:{missing};未做任何更改,请检查数据库是否正确。 / "
            f"The database holds some of the store's tables but not {missing}, and no schema revision; "
            "nothing was changed. Is DATABASE_URL the right database?"
        )
        raise DatabaseError(msg)
    return True


def _check_known(revision: str | None, head: str) -> None:
    from alembic.util.exc import CommandError

    if revision is None:
        return
    try:
        _script().get_revision(revision)
    except CommandError:
        msg = (
            f"数据库结构版本 {revision} 比本程序(最新 {head})更新;请升级程序后再使用此数据库。 / "
            f"The database schema is at revision {revision}, newer than this program knows (head {head}); "
            "update the program before using this database."
        )
        raise DatabaseError(msg) from None


def upgrade_from_alembic_command(config: Config, run: Any) -> None:
    """The ``alembic`` command's online run: connect to ``$DATABASE_URL`` and migrate under the lock.

    ``run(connection)`` configures the context and runs the migrations (see ``env.py``).
    """
    from geo import db
    from geo.store import database_url

    engine = db.create_engine(database_url(config.get_main_option("sqlalchemy.url") or None))
    try:
        with db.locked(engine, db.Lock.SCHEMA).begin() as conn:
            run(conn)
    finally:
        engine.dispose()


def offline_url() -> str:
    """The URL the ``alembic … --sql`` command renders SQL for (``$DATABASE_URL``, else SQLite)."""
    from geo import db
    from geo.store import database_url

    return db.normalise_url(database_url()).render_as_string(hide_password=False)
