"""Backups of the store and restoring them, for each kind of database.

- SQLite: the online backup API (``sqlite3.Connection.backup``): a consistent copy of a database in
  use, readers and writers going on; the copy is checked (``PRAGMA integrity_check``) before it is
  given its final name.
- PostgreSQL: ``pg_dump --format=custom`` (a consistent snapshot; the server keeps working), restored
  with ``pg_restore --single-transaction``, so a failed restore leaves the target as it was.

Every backup holds every version, every account and every saved analysis. Restoring goes into an
empty database (or, with ``replace``, over an existing one) and then upgrades the schema, so an old
backup comes back under the current program. The database password is handed to ``pg_dump`` and
``pg_restore`` in their environment, never on the command line.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL

from geo import db, gis, migrate
from geo.errors import DatabaseError, DataError

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
# Tables whose presence makes a database "not empty" for a restore.
STORE_TABLES = ("versions", "facility_rows", "users")
_TOOL_TIMEOUT_S = 3600


@dataclass(frozen=True)
class BackupInfo:
    """What a backup or a restore handled."""

    path: Path
    kind: str  # sqlite | postgresql
    bytes: int
    versions: int | None  # published versions in it (None when not counted)


def _kind(url: URL) -> str:
    name = url.get_backend_name()
    if name not in ("sqlite", "postgresql"):
        msg = f"不支持备份此数据库 / backups support SQLite and PostgreSQL, not {name}"
        raise DataError(msg)
    return name


def _refuse_existing(out: Path, *, force: bool) -> None:
    if out.exists() and not force:
        msg = f"备份文件已存在:{out};请换一个文件名。 / The backup file {out} exists already; choose another name."
        raise DataError(msg)
    if not out.parent.is_dir():
        msg = f"文件夹不存在:{out.parent}。 / The folder {out.parent} does not exist."
        raise DataError(msg)


def backup(url: str, out: Path, *, force: bool = False) -> BackupInfo:
    """Write a backup of the store at ``url`` to ``out``.

    Raises
    ------
    DataError
        When ``out`` exists (without ``force``) or its folder does not.
    DatabaseError
        When the database cannot be read or the dump fails (the message says why).
    """
    parsed = db.normalise_url(url)
    kind = _kind(parsed)
    _refuse_existing(out, force=force)
    if kind == "sqlite":
        return _sqlite_backup(parsed, out)
    return _pg_backup(parsed, out)


def restore(url: str, source: Path, *, replace: bool = False) -> BackupInfo:
    """Restore the backup ``source`` into the (empty) database at ``url``, then upgrade its schema.

    Raises
    ------
    DataError
        When ``source`` is not a backup of this kind of store.
    DatabaseError
        When the target holds a store already (without ``replace``) or the restore fails; the target
        is then left as it was.
    """
    parsed = db.normalise_url(url)
    kind = _kind(parsed)
    head = _head_bytes(source)
    expected = SQLITE_MAGIC if kind == "sqlite" else PGDUMP_MAGIC
    if not head.startswith(expected):
        other = (
            "SQLite"
            if head.startswith(SQLITE_MAGIC)
            else "pg_dump"
            if head.startswith(PGDUMP_MAGIC)
            else None
        )
        what = f"它是 {other} 备份 / it is a {other} backup" if other else "不是备份文件 / it is not a backup"
        msg = (
            f"{source} 不能恢复到 {kind} 数据库({what})。 / {source} cannot be restored into a {kind} "
            f"database ({what}); a SQLite store restores from `db backup` of a SQLite store, a PostgreSQL "
            "store from one of a PostgreSQL store."
        )
        raise DataError(msg)
    engine = db.create_engine(url)
    try:
        db.check_connection(engine)
        if not replace:
            _refuse_non_empty(engine)
        if kind == "sqlite":
            engine.dispose()
            info = _sqlite_restore(source, parsed)
        else:
            info = _pg_restore(source, parsed, engine, replace=replace)
        migrate.upgrade(engine)
        with engine.connect() as conn:
            versions = conn.execute(sa.text("SELECT count(*) FROM versions")).scalar()
    finally:
        engine.dispose()
    return BackupInfo(info.path, info.kind, info.bytes, int(versions or 0))


def _head_bytes(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(16)
    except OSError as exc:
        msg = f"无法读取备份文件 {path}:{exc.strerror}。 / Cannot read the backup {path}: {exc.strerror}."
        raise DataError(msg) from exc


def _refuse_non_empty(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        present = set(sa.inspect(conn).get_table_names()) & set(STORE_TABLES)
        if not present:
            return
        versions = (
            conn.execute(sa.text("SELECT count(*) FROM versions")).scalar() if "versions" in present else 0
        )
    shown = db.display_url(engine.url)
    msg = (
        f"目标数据库已有数据({versions} 个版本),未做任何更改;请恢复到一个空数据库,或加 --replace 覆盖。 / "
        f"The target database {shown} holds a store already ({versions} versions); nothing was changed. "
        "Restore into an empty database, or add --replace to overwrite it."
    )
    raise DatabaseError(msg)


# --- SQLite -------------------------------------------------------------------------------------


def _sqlite_file(url: URL) -> Path:
    path = db.sqlite_path(url)
    if path is None:
        msg = "只能备份文件形式的 SQLite 数据库 / only a SQLite database in a file can be backed up"
        raise DataError(msg)
    return path


def _sqlite_backup(url: URL, out: Path) -> BackupInfo:
    source = _sqlite_file(url)
    if not source.is_file():
        msg = f"数据库文件不存在:{source}。 / The database file {source} does not exist."
        raise DatabaseError(msg)
    part = out.with_name(f".{out.name}.part")
    part.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(source, timeout=db.SQLITE_BUSY_TIMEOUT_MS / 1000)
        dst = sqlite3.connect(part)
        try:
            src.backup(dst)  # online: a consistent copy while others read and write
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            _check_sqlite(dst, part)
            versions = dst.execute("SELECT count(*) FROM versions").fetchone()[0]
        finally:
            dst.close()
            src.close()
        part.replace(out)
    except sqlite3.DatabaseError as exc:
        part.unlink(missing_ok=True)
        raise db.explain(exc, url) from exc
    return BackupInfo(out, "sqlite", out.stat().st_size, int(versions))


def _check_sqlite(conn: sqlite3.Connection, path: Path) -> None:
    result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if result != "ok" or not set(STORE_TABLES) <= tables:
        msg = (
            f"{path} 不是完好的设施库备份({result})。 / {path} is not an intact backup of a facility store "
            f"(integrity: {result}; tables: {', '.join(sorted(tables)) or 'none'})."
        )
        raise DatabaseError(msg)


def _sqlite_restore(source: Path, url: URL) -> BackupInfo:
    target = _sqlite_file(url)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        _check_sqlite(src, source)
        dst = sqlite3.connect(target, timeout=db.SQLITE_BUSY_TIMEOUT_MS / 1000)
        try:
            src.backup(dst)  # replaces the target's pages in one step, under its write lock
        finally:
            dst.close()
    except sqlite3.DatabaseError as exc:
        raise db.explain(exc, url) from exc
    finally:
        src.close()
    return BackupInfo(source, "sqlite", source.stat().st_size, None)


# --- PostgreSQL ---------------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    """Path of ``pg_dump`` / ``pg_restore``: the newest server version's (Debian keeps several), else PATH.

    Raises
    ------
    DatabaseError
        When the PostgreSQL client tools are not installed.
    """
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parents[1].name) if Path(p).parents[1].name.isdigit() else 0,
    )
    if candidates:
        return candidates[-1]
    found = shutil.which(name)
    if found:
        return found
    msg = (
        f"找不到 {name};请安装 PostgreSQL 客户端(Debian: apt-get install postgresql-client)。 / "
        f"{name} was not found: install the PostgreSQL client tools (Debian: apt-get install postgresql-client)."
    )
    raise DatabaseError(msg)


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the environment that carries it."""
    env = {**os.environ}
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run_tool(cmd: list[str], env: dict[str, str], what: str, url: URL) -> str:
    try:
        done = subprocess.run(
            cmd, env=env, capture_output=True, text=True, timeout=_TOOL_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as exc:
        msg = f"{what} 超时 / {what} timed out after {_TOOL_TIMEOUT_S} s"
        raise DatabaseError(msg) from exc
    if done.returncode != 0:
        error = done.stderr.strip()
        explained = db.explain(RuntimeError(error), url)
        if "数据库错误" not in str(explained):  # a connection problem it recognises
            raise explained
        msg = f"{what} 失败 / {what} failed: {error.splitlines()[-1] if error else done.returncode}"
        raise DatabaseError(msg)
    return done.stdout


def _pg_backup(url: URL, out: Path) -> BackupInfo:
    conninfo, env = _libpq(url)
    part = out.with_name(f".{out.name}.part")
    part.unlink(missing_ok=True)
    try:
        _run_tool(
            [
                pg_tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--file={part}",
                f"--dbname={conninfo}",
            ],
            env,
            "pg_dump",
            url,
        )
        toc = _run_tool([pg_tool("pg_restore"), "--list", str(part)], env, "pg_restore --list", url)
        if " TABLE DATA public versions " not in toc:
            msg = (
                f"数据库 {db.display_url(url)} 中没有设施库。 / The database {db.display_url(url)} holds no "
                "facility store (no versions table); nothing to back up."
            )
            raise DatabaseError(msg)
        part.replace(out)
    finally:
        part.unlink(missing_ok=True)
    engine = db.create_engine(url.render_as_string(hide_password=False))
    try:
        with engine.connect() as conn:
            versions = conn.execute(sa.text("SELECT count(*) FROM versions")).scalar()
    finally:
        engine.dispose()
    return BackupInfo(out, "postgresql", out.stat().st_size, int(versions or 0))


def _pg_restore(source: Path, url: URL, engine: sa.Engine, *, replace: bool) -> BackupInfo:
    conninfo, env = _libpq(url)
    toc = _run_tool([pg_tool("pg_restore"), "--list", str(source)], env, "pg_restore --list", url)
    # Extensions are the database administrator's: the restore leaves them and their tables' rows out
    # (creating one needs a superuser, and its comment belongs to its owner) and checks instead that
    # PostGIS is there when the backup's geometry columns need it.
    entries = [line for line in toc.splitlines() if not _is_extension_entry(line)]
    if any(" EXTENSION - postgis" in line for line in toc.splitlines()):
        with engine.begin() as conn:
            try:
                gis.enable(conn)
            except DatabaseError as exc:
                msg = (
                    "此备份含 PostGIS 几何列,目标数据库需要先启用 PostGIS。 / This backup was made with PostGIS "
                    f"(geometry columns); the target database needs it first. {exc}"
                )
                raise DatabaseError(msg) from exc
    with tempfile.NamedTemporaryFile("w", suffix=".list", delete=False, encoding="utf-8") as fh:
        fh.write("\n".join(entries) + "\n")
        listing = fh.name
    try:
        cmd = [
            pg_tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--use-list={listing}",
            f"--dbname={conninfo}",
        ]
        if replace:
            cmd += ["--clean", "--if-exists"]
        _run_tool([*cmd, str(source)], env, "pg_restore", url)
    finally:
        os.unlink(listing)
    return BackupInfo(source, "postgresql", source.stat().st_size, None)


def _is_extension_entry(line: str) -> bool:
    # TOC lines look like "3; 3079 16385 EXTENSION - postgis", "4355; 0 0 COMMENT - EXTENSION postgis"
    # and "4350; 0 16404 TABLE DATA public spatial_ref_sys postgres" (PostGIS's own table, whose rows
    # come with the extension).
    if " EXTENSION - " in line or " COMMENT - EXTENSION " in line:
        return True
    return any(f" TABLE DATA public {table} " in line for table in migrate.FOREIGN_TABLES)
