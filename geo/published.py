"""The published facility version of a SQLite store, read with the standard library's ``sqlite3``.

A one-shot command such as ``python -m geo coverage`` needs from the database only the newest
facility version, its audit line and whether demand or boundary layers were imported. Importing
SQLAlchemy and building the store's table definitions costs more than a straight-line coverage run
itself, so such a command first asks :func:`read_published`. It answers only where it reads exactly
what :class:`geo.store.FacilityStore` would: a plain ``sqlite:///PATH`` URL of a file that exists,
whose schema is at the newest revision (``geo.migrate.head_revision``) and which holds a published
version. Otherwise — PostgreSQL, a new, older or empty database, anything unexpected — it returns
None and the caller opens the store as usual, which migrates, initialises and explains failures.
The file is opened read-only: this path never writes.

The rows become the facility table by :func:`facility_frame` and the audit line is
:class:`VersionInfo` here, for both paths (``geo.store`` uses and re-exports them).
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo.schema import COLUMNS

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd

# Seconds a reader waits while another process holds the SQLite file's lock (as the store does).
SQLITE_BUSY_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class VersionInfo:
    """The audit line of one published version."""

    version: int
    created_at: str
    user_name: str
    action: str
    file_name: str
    sha256: str
    mode: str
    restored_from: int | None
    added: int
    changed: int
    removed: int
    unchanged: int
    total: int
    note: str


VERSION_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(VersionInfo))
"""The columns of the ``versions`` table, in the order of :class:`VersionInfo`."""


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of file content, as recorded in the audit line."""
    return hashlib.sha256(data).hexdigest()


def facility_frame(rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """The facility table of a version from its ``facility_rows`` rows (the contract's columns in
    order): sorted by ``facility_id`` by code point and typed as the contract says."""
    import pandas as pd

    df = pd.DataFrame(list(rows), columns=[c.name for c in COLUMNS])
    # Sorted here, by code point, not by the database: a PostgreSQL collation (en_US, zh_CN)
    # orders ids differently from SQLite, and exports must be the same bytes on both stores.
    df = df.sort_values("facility_id", kind="stable", key=lambda s: s.astype(str)).reset_index(drop=True)
    for c in COLUMNS:
        if c.kind == "int":
            df[c.name] = pd.to_numeric(df[c.name]).astype("Int64")
        elif c.kind == "float":
            df[c.name] = pd.to_numeric(df[c.name]).astype(float)
        else:
            df[c.name] = df[c.name].fillna("").astype(str)
    return df


@dataclass(frozen=True)
class Published:
    """The newest published facility version and what else a reader must know about the store.

    Attributes
    ----------
    info
        The version's audit line.
    facilities
        Its facilities (:func:`facility_frame`).
    demand_version, boundary_version
        The newest imported demand and township-boundary versions, None while there are none (the
        shipped sample and the modelled seats stand in).
    """

    info: VersionInfo
    facilities: pd.DataFrame
    demand_version: int | None
    boundary_version: int | None


def sqlite_file(url: str) -> Path | None:
    """The file of a plain ``sqlite:///PATH`` URL (no query, nothing to unquote), else None."""
    for prefix in ("sqlite:///", "sqlite+pysqlite:///"):
        if url.startswith(prefix):
            path = url.removeprefix(prefix)
            if not path or path == ":memory:" or path.startswith("file:") or any(c in path for c in "?%#"):
                return None
            return Path(path)
    return None


def read_published(url: str) -> Published | None:
    """The newest published version of the SQLite store at ``url``, or None (see the module docstring).

    Parameters
    ----------
    url
        The database URL, already resolved (``geo.paths.database_url``).
    """
    path = sqlite_file(url)
    if path is None or not path.is_file():
        return None
    from geo.migrate import head_revision

    quote = '"{}"'.format
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=SQLITE_BUSY_TIMEOUT_S)
    except sqlite3.Error:
        return None
    try:
        revisions = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        if [r[0] for r in revisions] != [head_revision()]:
            return None  # a new or older schema: the store migrates it
        # One read transaction, so the version, its rows and the layers agree with one another.
        conn.execute("BEGIN")
        row = conn.execute(
            f"SELECT {', '.join(map(quote, VERSION_FIELDS))} FROM versions ORDER BY version DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None  # an empty store: opening it publishes the shipped sample
        info = VersionInfo(*row)
        rows = conn.execute(
            f"SELECT {', '.join(quote(c.name) for c in COLUMNS)} FROM facility_rows WHERE version = ?",
            (info.version,),
        ).fetchall()
        demand = conn.execute("SELECT max(version) FROM demand_versions").fetchone()[0]
        boundary = conn.execute("SELECT max(version) FROM boundary_versions").fetchone()[0]
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    facilities = facility_frame(rows)
    return Published(info, facilities, demand, boundary)
