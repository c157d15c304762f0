"""Versioned facility store on SQLAlchemy: SQLite by default, any SQLAlchemy URL by ``$DATABASE_URL``.

Every published load is a numbered version holding the complete facility list (a snapshot), with
an audit line: who, when, what file, its SHA-256 and the counts added/changed/removed/unchanged.
Snapshots keep restore trivial and safe: restoring version N publishes N's rows as a new version.
Publishing runs in one transaction; the version number is the primary key of ``versions``, so of
two staff publishing on the same base version only the first commits and the second gets a
``ConflictError``; a publish holds the store's write lock (SQLite ``BEGIN IMMEDIATE``, PostgreSQL a
transaction-level advisory lock), so the loser waits, then sees that the data moved on.

The tables below are the program's view of the schema; the schema itself is made and changed by the
migrations in ``geo/migrations`` (``geo.migrate``). A change here needs a new revision there.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from geo import db, migrate, paths
from geo import io as gio
from geo.errors import ConflictError, DataError, NotFoundError
from geo.facilities import FacilityDiff, diff_facilities
from geo.paths import DEFAULT_DB_PATH as DEFAULT_DB_PATH
from geo.paths import database_url as database_url
from geo.paths import network_dir as network_dir
from geo.published import VersionInfo as VersionInfo
from geo.published import facility_frame
from geo.published import sha256_bytes as sha256_bytes
from geo.schema import COLUMNS

_SA_TYPES: dict[str, Any] = {"int": sa.BigInteger, "float": sa.Float, "text": sa.Text, "code": sa.Text}

metadata = sa.MetaData()

versions = sa.Table(
    "versions",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("user_name", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),  # init | import | restore
    sa.Column("file_name", sa.Text, nullable=False, server_default=""),
    sa.Column("sha256", sa.Text, nullable=False, server_default=""),
    sa.Column("mode", sa.Text, nullable=False, server_default=""),  # upsert | replace | ""
    sa.Column("restored_from", sa.Integer, nullable=True),
    sa.Column("added", sa.Integer, nullable=False),
    sa.Column("changed", sa.Integer, nullable=False),
    sa.Column("removed", sa.Integer, nullable=False),
    sa.Column("unchanged", sa.Integer, nullable=False),
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
)

facility_rows = sa.Table(
    "facility_rows",
    metadata,
    sa.Column("version", sa.Integer, sa.ForeignKey("versions.version", ondelete="CASCADE"), primary_key=True),
    *[
        sa.Column(c.name, sa.Text, primary_key=True)
        if c.name == "facility_id"
        else sa.Column(c.name, _SA_TYPES["text" if c.kind == "date" else c.kind], nullable=True)
        for c in COLUMNS
    ],
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_failed_at", sa.Text, nullable=True),
    # The name NFKC-normalised and case-folded (geo.auth.name_key): one account per key.
    sa.Column("name_key", sa.Text, nullable=False),
    sa.Index("ix_users_name_key", "name_key", unique=True),
)

# Failed-login counters (geo.login_limits): per scope (session, address, account) and subject, the
# attempts counted in the window that began at window_start (seconds since the epoch).
login_counters = sa.Table(
    "login_counters",
    metadata,
    sa.Column("scope", sa.Text, primary_key=True),
    sa.Column("subject", sa.Text, primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("window_start", sa.Float, nullable=False),
    sa.Column("last_at", sa.Float, nullable=False),
    sa.Index("ix_login_counters_window_start", "window_start"),
)

# Addresses each account has logged in from (name_key, address, time of the last success).
login_known_clients = sa.Table(
    "login_known_clients",
    metadata,
    sa.Column("name_key", sa.Text, primary_key=True),
    sa.Column("address", sa.Text, primary_key=True),
    sa.Column("last_ok_at", sa.Float, nullable=False),
)

# The most recent failed logins (bounded), for `python -m geo users failures`.
login_failures = sa.Table(
    "login_failures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("name_typed", sa.Text, nullable=False),
    sa.Column("name_key", sa.Text, nullable=False),
    sa.Column("account_exists", sa.Boolean, nullable=False),
    sa.Column("address", sa.Text, nullable=False),
    sa.Column("session", sa.Text, nullable=False),
    sa.Column("outcome", sa.Text, nullable=False),  # wrong_password | unknown_name | limited
    sa.Index("ix_login_failures_name_key", "name_key"),
)

# Pairs of facility ids marked "not a duplicate" (id_a < id_b), with the version they came with.
duplicate_marks = sa.Table(
    "duplicate_marks",
    metadata,
    sa.Column("id_a", sa.Text, primary_key=True),
    sa.Column("id_b", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, sa.ForeignKey("versions.version", ondelete="CASCADE"), nullable=False),
    sa.Column("user_name", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
)

# Saved coverage analyses (``geo.analyses``; migration 0004).
analyses = sa.Table(
    "analyses",
    metadata,
    sa.Column("analysis_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("user_name", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False, server_default=""),
    sa.Column("types", sa.Text, nullable=False),  # facility type codes, comma-separated
    sa.Column("budget_min", sa.Float, nullable=False),
    sa.Column("mode", sa.Text, nullable=False),
    sa.Column("target", sa.Text, nullable=False),  # demand column of the 2SFCA: pop_60plus …
    sa.Column("facilities_version", sa.Integer, nullable=False),
    sa.Column("model_json", sa.Text, nullable=False),
    sa.Column("demand_source", sa.Text, nullable=False),
    sa.Column("demand_modelled", sa.Boolean, nullable=False),
    sa.Column("cells", sa.Integer, nullable=False),
    sa.Column("totals_json", sa.Text, nullable=False),
)

analysis_cells = sa.Table(
    "analysis_cells",
    metadata,
    sa.Column(
        "analysis_id", sa.Integer, sa.ForeignKey("analyses.analysis_id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("cell_id", sa.Text, primary_key=True),
    sa.Column("adcode", sa.BigInteger, nullable=True),
    sa.Column("township_code", sa.Text, nullable=True),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("boundary_wkt", sa.Text, nullable=True),  # the H3 hexagon; PostGIS makes geom from it
    sa.Column("pop_total", sa.Float, nullable=False),
    sa.Column("pop_60plus", sa.Float, nullable=False),
    sa.Column("pop_0_3", sa.Float, nullable=False),
    sa.Column("minutes", sa.Float, nullable=True),  # NULL: no facility within reach
    sa.Column("tier_min", sa.Float, nullable=True),  # the smallest tier covering the cell
    sa.Column("covered", sa.Boolean, nullable=False),
    sa.Column("nearest_facility_id", sa.Text, nullable=True),
    sa.Column("access_per_1000", sa.Float, nullable=True),
    sa.Column("facilities_in_reach", sa.Integer, nullable=True),
    sa.Column("oversubscribed", sa.Boolean, nullable=True),
)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class FacilityStore:
    """Read and publish facility versions in one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Publishing takes the write lock before it reads the current version (SQLite: BEGIN
        # IMMEDIATE; PostgreSQL: an advisory lock), so a second writer waits and then sees that the
        # data moved on.
        self._writer = db.writer(engine)

    @property
    def url(self) -> str:
        """The database URL without password."""
        return self.engine.url.render_as_string(hide_password=True)

    def create_schema(self) -> migrate.UpgradeResult:
        """Create or upgrade the schema to the newest migration (idempotent; safe to run at once from
        many processes; see ``geo.migrate.upgrade``)."""
        return migrate.upgrade(self.engine)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A transaction; committed when the block ends, rolled back on any exception."""
        with self.engine.begin() as conn:
            yield conn

    # --- reading -------------------------------------------------------------------------------

    def current_version(self) -> int | None:
        """The newest published version number, or None for an empty store."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.max(versions.c.version))).scalar()

    def facilities(self, version: int | None = None) -> pd.DataFrame:
        """The facilities of a version (default: the newest), in the contract's columns and dtypes.

        Raises
        ------
        NotFoundError
            When the version does not exist.
        """
        with self.engine.connect() as conn:
            version = self._resolve_version(conn, version)
            return self._rows(conn, version)

    def data_version(self) -> str:
        """A key that changes whenever the published data change (for caches): facilities, and the
        demand and township layers (``geo.demand_store.layers_key``).

        One indexed query (the newest row of ``versions`` by primary key), cheap enough to run on
        every page view, so that every app server sharing the database sees a new version at its next
        run. The publish time is part of the key: a database restored from a backup may come back
        with the same version number and other rows.
        """
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(versions.c.version, versions.c.created_at)
                .order_by(versions.c.version.desc())
                .limit(1)
            ).first()
        from geo.demand_store import layers_key

        base = f"{self.url}#v{row[0]}@{row[1]}" if row is not None else f"{self.url}#empty"
        return f"{base}#{layers_key(self.engine)}"

    def history(self) -> list[VersionInfo]:
        """Every version's audit line, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(versions).order_by(versions.c.version.desc())).mappings()
            return [VersionInfo(**dict(r)) for r in rows]

    def version_info(self, version: int) -> VersionInfo:
        """The audit line of one version."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(versions).where(versions.c.version == version)).mappings().first()
        if row is None:
            msg = f"版本 {version} 不存在。 / Version {version} does not exist."
            raise NotFoundError(msg)
        return VersionInfo(**dict(row))

    def duplicate_marks(self) -> set[tuple[str, str]]:
        """Pairs of facility ids marked "not a duplicate", each as a sorted ``(id_a, id_b)``."""
        with self.engine.connect() as conn:
            return self._marks(conn)

    @staticmethod
    def _marks(conn: Connection) -> set[tuple[str, str]]:
        rows = conn.execute(sa.select(duplicate_marks.c.id_a, duplicate_marks.c.id_b))
        return {(str(a), str(b)) for a, b in rows}

    # --- writing -------------------------------------------------------------------------------

    def publish(
        self,
        facilities: pd.DataFrame,
        *,
        user_name: str,
        action: str,
        base_version: int | None,
        file_name: str = "",
        sha256: str = "",
        mode: str = "",
        restored_from: int | None = None,
        note: str = "",
        not_duplicates: Collection[tuple[str, str]] = (),
    ) -> VersionInfo:
        """Publish a complete facility list as a new version, in one transaction.

        Parameters
        ----------
        facilities
            The complete new list (contract columns; already validated).
        user_name
            Who publishes; recorded in the audit line.
        action
            ``init``, ``import`` or ``restore``.
        base_version
            The version the caller previewed against. If the store has moved on since, nothing is
            written and ``ConflictError`` is raised.
        not_duplicates
            Pairs of facility ids marked "not a duplicate" while previewing; kept with the new
            version (pairs already marked stay as they were).

        Raises
        ------
        ConflictError
            When another publish happened after ``base_version``.
        DataError
            When ``facility_id`` repeats (it would otherwise surface as a false conflict).
        """
        repeated = facilities["facility_id"].astype(str).duplicated()
        if repeated.any():
            ids = ", ".join(sorted(set(facilities.loc[repeated, "facility_id"].astype(str)))[:10])
            msg = f"编号重复,未发布:{ids}。 / Repeated facility_id, nothing published: {ids}."
            raise DataError(msg)
        try:
            with self._writer.begin() as conn:
                current = conn.execute(sa.select(sa.func.max(versions.c.version))).scalar()
                if current != base_version:
                    raise conflict_error(base_version, current)
                old = self._rows(conn, current) if current is not None else facilities.iloc[0:0]
                diff = diff_facilities(old, facilities)
                info = VersionInfo(
                    version=(current or 0) + 1,
                    created_at=_now(),
                    user_name=user_name,
                    action=action,
                    file_name=file_name,
                    sha256=sha256,
                    mode=mode,
                    restored_from=restored_from,
                    total=len(facilities),
                    note=note,
                    **diff.counts(),
                )
                conn.execute(versions.insert().values(**info.__dict__))
                records = _records(facilities, info.version)
                if records:
                    conn.execute(facility_rows.insert(), records)
                marks = {tuple(sorted((str(a), str(b)))) for a, b in not_duplicates if a != b}
                known = self._marks(conn)
                new_marks = [
                    {
                        "id_a": a,
                        "id_b": b,
                        "version": info.version,
                        "user_name": user_name,
                        "created_at": info.created_at,
                    }
                    for a, b in sorted(marks - known)
                ]
                if new_marks:
                    conn.execute(duplicate_marks.insert(), new_marks)
        except IntegrityError as exc:
            # Another writer inserted the same version number first.
            raise conflict_error(base_version, None) from exc
        return info

    def restore(self, version: int, *, user_name: str) -> VersionInfo:
        """Publish the rows of an earlier version as a new version (recorded as a restore)."""
        rows = self.facilities(version)
        return self.publish(
            rows,
            user_name=user_name,
            action="restore",
            base_version=self.current_version(),
            restored_from=version,
            note=f"restore of version {version}",
        )

    def preview(self, facilities: pd.DataFrame) -> FacilityDiff:
        """What publishing ``facilities`` would change against the newest version."""
        current = self.current_version()
        old = self.facilities(current) if current is not None else facilities.iloc[0:0]
        return diff_facilities(old, facilities)

    def init_from_datasets(self, datasets_dir: Path | None = None) -> VersionInfo | None:
        """Create the schema and, if the store is empty, publish the shipped sample as version 1.

        Returns the new version's audit line, or None when the store already had data.
        """
        self.create_schema()
        if self.current_version() is not None:
            return None
        path = (datasets_dir or gio.DATASETS_DIR) / gio.FACILITIES_SAMPLE_FILE
        data = path.read_bytes()
        sample = gio.read_facilities_csv(path)
        try:
            return self.publish(
                sample,
                user_name="system",
                action="init",
                base_version=None,
                file_name=path.name,
                sha256=sha256_bytes(data),
                note="modelled sample shipped in datasets/ (not real records)",
            )
        except ConflictError:
            # Another process initialised the store at the same moment: its version 1 stands.
            return None

    # --- helpers -------------------------------------------------------------------------------

    def _resolve_version(self, conn: Connection, version: int | None) -> int:
        if version is None:
            current = conn.execute(sa.select(sa.func.max(versions.c.version))).scalar()
            if current is None:
                msg = "数据库中还没有已发布的数据;请先运行 `python -m geo init`。 / No published data yet; run `python -m geo init` first."
                raise NotFoundError(msg)
            return int(current)
        exists = conn.execute(sa.select(versions.c.version).where(versions.c.version == version)).scalar()
        if exists is None:
            msg = f"版本 {version} 不存在。 / Version {version} does not exist."
            raise NotFoundError(msg)
        return version

    def _rows(self, conn: Connection, version: int) -> pd.DataFrame:
        columns = [facility_rows.c[c.name] for c in COLUMNS]
        result = conn.execute(sa.select(*columns).where(facility_rows.c.version == version))
        return facility_frame(result.fetchall())


def conflict_error(
    base_version: int | None, current: int | None, *, what_zh: str = "数据", what_en: str = "The data"
) -> ConflictError:
    """The error of a publish whose preview was based on a version that is no longer the newest."""
    now = "" if current is None else f"(现为版本 {current} / now version {current})"
    msg = (
        f"{what_zh}在预览之后已被他人更新{now};请重新预览后再发布,您的文件没有写入。 / "
        f"{what_en} changed since your preview (based on version {base_version}){now}; "
        "preview again before publishing. Nothing from your file was written."
    )
    return ConflictError(msg)


def _records(df: pd.DataFrame, version: int) -> list[dict[str, Any]]:
    out = []
    for record in df.to_dict(orient="records"):
        row: dict[str, Any] = {"version": version}
        for c in COLUMNS:
            value = record.get(c.name)
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                row[c.name] = None if c.kind in ("int", "float") else ""
            elif c.kind == "int":
                row[c.name] = int(value)
            elif c.kind == "float":
                row[c.name] = float(value)
            else:
                row[c.name] = str(value)
        out.append(row)
    return out


def open_store(url: str | None = None, *, create: bool = True) -> FacilityStore:
    """Open the facility store at ``url`` (see ``database_url``).

    With ``create`` (default) the schema is migrated to the newest revision and an empty database is
    filled from ``datasets/`` on first use, so the app and the CLI work on a fresh checkout with no
    set-up step. Only the built-in default ``data/carecircle.db`` gets its folder created; a SQLite
    URL whose folder is missing is an error, not a new database somewhere unexpected.

    Raises
    ------
    DataError
        When the URL cannot be parsed.
    DatabaseError
        When the database cannot be reached or used; the message says why (``geo.db.explain``).
    """
    resolved = database_url(url)
    parsed = db.normalise_url(resolved)
    default = db.sqlite_path(parsed) == paths.DEFAULT_DB_PATH
    engine = db.create_engine(resolved, create_folder=default)
    db.check_connection(engine)
    store = FacilityStore(engine)
    if create:
        store.init_from_datasets()
    return store


# The demand and township layers' tables (``geo.demand_store``) are part of the same schema.
from geo import demand_tables as _demand_tables  # noqa: E402, F401
