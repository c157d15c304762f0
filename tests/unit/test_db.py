"""Tests of geo.db: URLs, and what people are told when the database cannot be used.

Each failure is checked through the command line as an operator meets it: exit 1, ``错误 / error``
with the Chinese and the English explanation on stderr, no traceback, no password.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from geo import db, paths
from geo.cli import main
from geo.errors import DatabaseError
from geo.store import open_store


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert captured.err.startswith("错误 / error: ")
    return captured.err


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends: nothing listens there


def test_postgresql_urls_get_the_psycopg_driver() -> None:
    assert db.normalise_url("postgresql://u:p@h/d").drivername == "postgresql+psycopg"
    assert db.normalise_url("postgres://u@h/d").drivername == "postgresql+psycopg"
    assert db.normalise_url("sqlite:///x.db").drivername == "sqlite"
    assert db.display_url("postgresql://u:secret@h/d") == "postgresql://u:***@h/d"


def test_unreachable_server(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"postgresql://someone:secret@127.0.0.1:{closed_port()}/carecircle"
    err = run_cli(capsys, "--database", url, "history")
    assert "无法连接数据库服务器" in err and "Cannot reach the database server" in err
    assert "secret" not in err


@pytest.mark.postgresql
def test_wrong_password(pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    wrong = sa.engine.make_url(pg_url).set(password="not-the-password").render_as_string(hide_password=False)
    err = run_cli(capsys, "--database", wrong, "init")
    assert "拒绝了用户 carecircle_app 的登录" in err and "refused user carecircle_app" in err
    assert "not-the-password" not in err


@pytest.mark.postgresql
def test_unknown_user(pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    ghost = sa.engine.make_url(pg_url).set(username="ghost").render_as_string(hide_password=False)
    err = run_cli(capsys, "--database", ghost, "history")
    assert "用户名或密码错误" in err and "wrong user name or password" in err


@pytest.mark.postgresql
def test_missing_database(pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    missing = sa.engine.make_url(pg_url).set(database="no_such_db").render_as_string(hide_password=False)
    err = run_cli(capsys, "--database", missing, "db", "upgrade")
    assert "数据库 no_such_db" in err and "不存在" in err
    assert "Database no_such_db does not exist" in err and "createdb" in err


@pytest.mark.postgresql
def test_a_database_that_is_not_utf8_is_refused(pg_database: Callable[..., str]) -> None:
    url = pg_database(postgis=False, encoding="LATIN1")
    with pytest.raises(DatabaseError) as caught:
        open_store(url)
    assert "需要 UTF8" in str(caught.value) and "needs UTF8" in str(caught.value)


def test_sqlite_folder_that_does_not_exist_is_an_error_not_a_new_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "no" / "such"
    err = run_cli(capsys, "--database", f"sqlite:///{folder / 'c.db'}", "init")
    assert "文件夹不存在" in err and "does not exist" in err and str(folder) in err
    assert not (tmp_path / "no").exists()


def test_sqlite_path_that_is_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = run_cli(capsys, "--database", f"sqlite:///{tmp_path}", "history")
    assert "是一个文件夹" in err and "is a folder" in err


def test_a_file_that_is_not_a_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database " * 200)
    err = run_cli(capsys, "--database", f"sqlite:///{path}", "history")
    assert "不是 SQLite 数据库文件" in err and "is not a SQLite database file" in err
    assert path.read_bytes().startswith(b"these are my notes")


def test_the_default_database_folder_is_still_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ``make run`` on a fresh checkout: no DATABASE_URL, no data/ folder yet.
    default = tmp_path / "data" / "carecircle.db"
    monkeypatch.setattr(paths, "DEFAULT_DB_PATH", default)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    store = open_store()
    assert default.is_file() and store.current_version() == 1
    store.engine.dispose()


def test_unknown_driver_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    err = run_cli(capsys, "--database", "postgresql+nosuchdriver://u@h/d", "history")
    assert "数据库地址无效或缺少驱动" in err and "invalid database URL or missing driver" in err


def test_enable_postgis_on_sqlite_is_refused(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    err = run_cli(capsys, "--database", db_url, "db", "upgrade", "--enable-postgis")
    assert "只能用于 PostgreSQL" in err and "PostGIS is for PostgreSQL databases; this store is sqlite" in err
