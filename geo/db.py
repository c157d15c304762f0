"""Connecting to the store's database: URLs, engines, transaction locks, and plain words when it fails.

The store runs on SQLite (one machine; the default) or PostgreSQL (a city deployment, optionally with
PostGIS). This module is the one place that knows the difference at the connection level:

- ``postgresql://`` (and ``postgres://``) URLs use the psycopg 3 driver;
- SQLite connections use WAL, foreign keys and a busy timeout, and a writing transaction starts with
  ``BEGIN IMMEDIATE`` so two writers queue instead of failing late;
- on PostgreSQL a writing transaction takes a transaction-level advisory lock
  (``pg_advisory_xact_lock``), the same queueing; it is released by the commit or rollback, so a
  killed process never leaves it held;
- connection failures (server down, wrong password, missing database, missing folder) become a
  ``DatabaseError`` whose message says what is wrong in Chinese and English, without the password.
"""

from __future__ import annotations

import enum
import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine

from geo.errors import DatabaseError, DataError

# Seconds to wait for a PostgreSQL server before saying it cannot be reached.
CONNECT_TIMEOUT_S = 10
# Milliseconds a SQLite writer waits for another writer before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000
# The first key of every advisory lock the program takes: "CCOr" as a 32-bit integer.
_LOCK_NAMESPACE = 0x43434F72


class Lock(enum.IntEnum):
    """What a transaction-level lock serialises (the second advisory-lock key on PostgreSQL)."""

    SCHEMA = 1  # migrations and the PostGIS layer
    PUBLISH = 2  # publishing a facility version
    LOGIN = 3  # counting failed logins (geo.login_limits)


def normalise_url(url: str) -> URL:
    """Parse a database URL; plain ``postgresql://`` and ``postgres://`` get the psycopg 3 driver.

    Raises
    ------
    DataError
        When the URL cannot be parsed.
    """
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as exc:
        msg = (
            f"数据库地址无效 / invalid database URL ({exc}); use sqlite:///PATH or postgresql://USER@HOST/DB"
        )
        raise DataError(msg) from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def display_url(url: str | URL) -> str:
    """The URL as it may be shown: the password masked."""
    try:
        parsed = url if isinstance(url, URL) else sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        return "<invalid URL>"
    return parsed.render_as_string(hide_password=True)


def sqlite_path(url: URL) -> Path | None:
    """The file of a SQLite URL, or None for an in-memory database or another dialect."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if url.database.startswith("file:"):
        return None
    return Path(url.database)


def create_engine(url: str, *, create_folder: bool = False) -> Engine:
    """An engine for ``url`` with the program's connection settings (see the module docstring).

    Parameters
    ----------
    url
        ``sqlite:///PATH`` or ``postgresql://USER:PASSWORD@HOST:PORT/DB``.
    create_folder
        Create the folder of a SQLite file when it is missing (only the built-in default does this;
        a folder missing from a URL someone typed is a mistake to report, not to paper over).

    Raises
    ------
    DataError
        When the URL cannot be parsed or names an unknown dialect or driver.
    DatabaseError
        When a SQLite file's folder does not exist, or the path is a folder.
    """
    parsed = normalise_url(url)
    path = sqlite_path(parsed)
    if path is not None:
        _check_sqlite_path(path, create_folder=create_folder)
    options: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql":
        connect_args: dict[str, Any] = {"application_name": "carecircle"}
        if "connect_timeout" not in parsed.query:
            connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
        # pre_ping: an app server outlives a database restart without showing an error once.
        options = {"connect_args": connect_args, "pool_pre_ping": True}
    try:
        engine = sa.create_engine(parsed, **options)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        msg = (
            f"数据库地址无效或缺少驱动 / invalid database URL or missing driver ({exc}); "
            "use sqlite:///PATH or postgresql://USER@HOST/DB"
        )
        raise DataError(msg) from exc
    except ModuleNotFoundError as exc:
        msg = (
            f"缺少数据库驱动 {exc.name} / database driver {exc.name} is not installed; "
            "use postgresql:// (psycopg 3, installed with the program) or sqlite:///PATH"
        )
        raise DataError(msg) from exc
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
    elif engine.dialect.name == "postgresql":
        sa.event.listen(engine, "begin", _postgresql_begin)
    return engine


def _check_sqlite_path(path: Path, *, create_folder: bool) -> None:
    folder = path.parent
    if path.is_dir():
        msg = f"数据库路径是一个文件夹:{path}。 / The database path is a folder, not a file: {path}."
        raise DatabaseError(msg)
    if folder.is_dir():
        return
    if create_folder:
        folder.mkdir(parents=True, exist_ok=True)
        return
    msg = (
        f"SQLite 数据库所在的文件夹不存在:{folder}。请先创建该文件夹,或检查 DATABASE_URL。 / "
        f"The folder of the SQLite database does not exist: {folder}. Create it first or check "
        "DATABASE_URL (no new database was made)."
    )
    raise DatabaseError(msg)


def writer(engine: Engine) -> Engine:
    """The engine whose transactions write: SQLite ``BEGIN IMMEDIATE``, PostgreSQL a publish lock."""
    return engine.execution_options(carecircle_lock=Lock.PUBLISH)


def locked(engine: Engine, lock: Lock) -> Engine:
    """The engine whose transactions first take ``lock`` (see ``Lock``)."""
    return engine.execution_options(carecircle_lock=lock)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own handling defers it).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # The busy timeout first: switching a new file to WAL needs a moment of exclusive access, and
    # several processes may open the same new file at once.
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # WAL lets readers (the app) keep reading while data staff publish.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # Every lock is one lock on SQLite: the database file's write lock, taken at BEGIN.
    immediate = conn.get_execution_options().get("carecircle_lock") is not None
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _postgresql_begin(conn: Connection) -> None:
    lock = conn.get_execution_options().get("carecircle_lock")
    if lock is not None:
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK_NAMESPACE}, {int(lock)})")


# --- plain words for failures -------------------------------------------------------------------

_UNREACHABLE = re.compile(
    r"connection refused|failed to resolve host|could not translate host name|name or service not known|"
    r"timeout expired|timed out|no route to host|network is unreachable|server closed the connection|"
    r"could not connect|connection to server .* failed: (?!FATAL)",
    re.IGNORECASE,
)
_AUTH = re.compile(
    r"password authentication failed|authentication failed|no password supplied|role \".*\" does not exist|"
    r"no pg_hba\.conf entry|peer authentication",
    re.IGNORECASE,
)
_NO_DATABASE = re.compile(r"database \"(?P<name>[^\"]*)\" does not exist", re.IGNORECASE)


def explain(exc: BaseException, url: str | URL) -> DatabaseError:
    """A ``DatabaseError`` saying in Chinese and English why ``url`` could not be used.

    Recognises an unreachable server, refused credentials, a missing database and SQLite files that
    cannot be opened; anything else is reported with the driver's own first line.
    """
    shown = display_url(url)
    text = str(getattr(exc, "orig", None) or exc)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    parsed = url if isinstance(url, URL) else _try_parse(url)
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}" if parsed is not None else shown
    user = (parsed.username if parsed is not None else None) or "?"
    if parsed is not None and parsed.get_backend_name() == "sqlite":
        if "unable to open database file" in text:
            msg = (
                f"无法打开 SQLite 数据库文件({shown}):文件夹不存在或没有读写权限。 / "
                f"Cannot open the SQLite database {shown}: its folder is missing or not writable."
            )
        elif "file is not a database" in text:
            msg = (
                f"{shown} 不是 SQLite 数据库文件。 / {shown} is not a SQLite database file "
                "(was another file given as the database?)."
            )
        else:
            msg = f"数据库错误 / database error ({shown}): {first}"
        return DatabaseError(msg)
    if match := _NO_DATABASE.search(text):
        name = match.group("name")
        msg = (
            f"数据库 {name} 在服务器 {where} 上不存在;请先创建(例如 createdb -O {user} {name})。 / "
            f"Database {name} does not exist on {where}; create it first "
            f"(e.g. `createdb -O {user} {name}` or CREATE DATABASE {name} OWNER {user})."
        )
    elif _AUTH.search(text):
        msg = (
            f"数据库服务器 {where} 拒绝了用户 {user} 的登录:用户名或密码错误,或没有访问权限。 / "
            f"The database server {where} refused user {user}: wrong user name or password, or no "
            "access (check DATABASE_URL and pg_hba.conf)."
        )
    elif _UNREACHABLE.search(text):
        msg = (
            f"无法连接数据库服务器 {where}:服务器未运行、地址或端口错误,或网络不通。 / "
            f"Cannot reach the database server at {where}: is PostgreSQL running there, and are the "
            f"host and port in DATABASE_URL right? ({first})"
        )
    else:
        msg = f"数据库错误 / database error ({shown}): {first}"
    return DatabaseError(msg)


def _try_parse(url: str) -> URL | None:
    try:
        return sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        return None


def check_connection(engine: Engine) -> None:
    """Connect once, so that a wrong URL is reported before any work starts.

    Raises
    ------
    DatabaseError
        When the database cannot be used (see ``explain``), or a PostgreSQL database does not store
        text as UTF-8 (Chinese names would be refused or garbled).
    """
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                encoding = conn.exec_driver_sql("SHOW server_encoding").scalar()
                if str(encoding).upper() not in ("UTF8", "UTF-8"):
                    msg = (
                        f"数据库编码为 {encoding},需要 UTF8。 / The database's encoding is {encoding}; "
                        "the store needs UTF8 (CREATE DATABASE … ENCODING 'UTF8' TEMPLATE template0)."
                    )
                    raise DatabaseError(msg)
            else:
                conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
    except sa.exc.DBAPIError as exc:
        raise explain(exc, engine.url) from exc
