"""``python -m geo users …``: accounts, failed logins, unlocking; passwords from a terminal or stdin.

The terminal tests run the command in a real pseudo-terminal (its controlling terminal), type at
the prompts and press Ctrl-C or Ctrl-D there.
"""

from __future__ import annotations

import io
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from geo import auth
from geo.cli import main
from geo.io import REPO_ROOT
from geo.store import open_store


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["--database", url, "init"]) == 0
    return url


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.usefixtures("cheap_hashing")
def test_users_add_from_stdin_list_remove(
    db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough secret\n"))
    assert main(["--database", db, "users", "add", "Li", "--role", "editor", "--password-stdin"]) == 0
    assert auth.verify_login(open_store(db), "li", "a long enough secret").ok
    assert main(["--database", db, "users", "list"]) == 0
    out = capsys.readouterr().out
    assert "Li\teditor" in out and "secret" not in out
    assert main(["--database", db, "users", "remove", "LI"]) == 0
    assert "removed user Li" in capsys.readouterr().out
    assert main(["--database", db, "users", "remove", "li"]) == 1
    assert auth.list_users(open_store(db)) == []


def test_users_add_interactive_prompts_twice(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", _Terminal())
    answers = iter(["first long password", "other long password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["--database", db, "users", "add", "li", "--role", "admin"]) == 1  # they differ
    answers = iter(["same long password", "same long password"])
    assert main(["--database", db, "users", "add", "li", "--role", "admin"]) == 0
    assert auth.get_user(open_store(db), "li").role == "admin"


def test_password_is_not_an_option(db: str) -> None:
    assert main(["--database", db, "users", "add", "li", "--role", "editor", "--password", "x"]) == 2
    assert main(["--database", db, "users", "add", "li", "--role", "owner", "--password-stdin"]) == 2


@pytest.mark.usefixtures("cheap_hashing")
def test_failures_show_what_happened_and_unlock_lifts_limits(
    db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = open_store(db)
    auth.add_user(store, "li", "correct horse battery", role="editor")
    for i in range(12):  # wrong passwords from many addresses: the account budget runs out
        auth.verify_login(store, "li", "wrong one", client=auth.LoginClient(f"s{i}", f"203.0.113.{i + 1}"))
    auth.verify_login(store, "ghost\x1b]0;pwned\x07", "x", client=auth.LoginClient("t", "198.51.100.1"))
    assert main(["--database", db, "users", "failures", "--limit", "5"]) == 0
    out = capsys.readouterr().out
    assert "账户 account\tli\t10 次 attempts" in out
    assert "超过限制未检查 over the limit, not checked" in out and "无此用户 unknown name" in out
    assert "\x1b" not in out and "ghost\\u001b]0;pwned\\u0007" in out  # no terminal escapes
    assert len([line for line in out.splitlines() if line.startswith("  20")]) == 5
    assert main(["--database", db, "users", "failures", "--name", "LI", "--hours", "1"]) == 0
    assert "ghost" not in capsys.readouterr().out

    assert main(["--database", db, "users", "unlock", "Li"]) == 0
    assert "10 counted attempts cleared" in capsys.readouterr().out
    assert auth.verify_login(
        store, "li", "correct horse battery", client=auth.LoginClient("n", "192.0.2.9")
    ).ok
    for i in range(20):
        auth.verify_login(store, f"g{i}", "x", client=auth.LoginClient(f"u{i}", "192.0.2.200"))
    assert main(["--database", db, "users", "unlock", "--address", "192.0.2.200"]) == 0
    assert "20 counted attempts cleared" in capsys.readouterr().out
    assert auth.limited_now(store) == []


@pytest.mark.usefixtures("cheap_hashing")
def test_users_password_sets_a_new_one_and_lifts_the_account_limit(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(db)
    auth.add_user(store, "li", "correct horse battery", role="editor")
    for i in range(12):
        auth.verify_login(store, "li", "wrong one", client=auth.LoginClient(f"s{i}", f"203.0.113.{i + 1}"))
    monkeypatch.setattr("sys.stdin", io.StringIO("a brand new password\n"))
    assert main(["--database", db, "users", "password", "LI", "--password-stdin"]) == 0
    assert auth.verify_login(
        store, "li", "a brand new password", client=auth.LoginClient("n", "192.0.2.9")
    ).ok


# --- a real terminal ----------------------------------------------------------------------------------


def _spawn(db: str, *args: str) -> tuple[int, int]:
    """``python -m geo … users add`` with a pseudo-terminal as its controlling terminal."""
    pid, fd = pty.fork()
    if pid == 0:  # child: the pty is stdin, stdout, stderr and the controlling terminal
        # A shell starts background jobs with SIGINT ignored, and an ignored signal stays ignored
        # across exec: give the command the default a person's terminal gives it.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.chdir(REPO_ROOT)
        os.execve(
            sys.executable,
            [sys.executable, "-m", "geo", "--database", db, "users", "add", *args],
            {**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        )
    return pid, fd


def _read_until(fd: int, needle: bytes, timeout_s: float = 120.0) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout_s
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


def _finish(pid: int, fd: int, timeout_s: float = 60.0) -> tuple[int, str]:
    rest = _read_until(fd, b"\x00", timeout_s=timeout_s)  # until the child closes the terminal
    deadline = time.monotonic() + timeout_s
    done, status = os.waitpid(pid, os.WNOHANG)
    while done == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
        done, status = os.waitpid(pid, os.WNOHANG)
    os.close(fd)
    if done == 0:  # still waiting at the prompt: stop it and fail instead of hanging the suite
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail(f"users add did not end within {timeout_s:.0f} s; it printed: {rest!r}")
    return os.waitstatus_to_exitcode(status), rest.decode(errors="replace")


@pytest.mark.parametrize(
    ("key", "code", "zh", "en"),
    [(b"\x03", 130, "已中断", "Interrupted"), (b"\x04", 1, "Ctrl-D", "nothing was changed")],
)
def test_ctrl_c_and_ctrl_d_at_the_prompt_stop_cleanly(
    db: str, key: bytes, code: int, zh: str, en: str
) -> None:
    pid, fd = _spawn(db, "li", "--role", "editor")
    assert b"new password" in _read_until(fd, b"new password")
    os.write(fd, key)
    exit_code, output = _finish(pid, fd)
    assert exit_code == code, output
    assert zh in output and en in output and "Traceback" not in output
    assert auth.list_users(open_store(db)) == []


def test_typing_twice_at_the_prompt_creates_the_account(db: str) -> None:
    pid, fd = _spawn(db, "li", "--role", "editor")
    _read_until(fd, b"new password")
    os.write(fd, b"typed in a terminal\r")
    _read_until(fd, b"repeat")
    os.write(fd, b"typed in a terminal\r")
    exit_code, output = _finish(pid, fd)
    assert exit_code == 0, output
    assert "typed in a terminal" not in output  # no echo
    assert auth.get_user(open_store(db), "li").role == "editor"


def test_sigint_while_waiting_for_the_password_exits_130(db: str) -> None:
    pid, fd = _spawn(db, "li", "--role", "editor")
    _read_until(fd, b"new password")
    os.kill(pid, signal.SIGINT)
    exit_code, output = _finish(pid, fd)
    assert exit_code == 130 and "Traceback" not in output


def test_without_a_terminal_it_says_to_use_password_stdin(db: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "geo", "--database", db, "users", "add", "li", "--role", "editor"],
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        start_new_session=True,  # no controlling terminal either
        timeout=300,
        check=False,
    )
    assert done.returncode == 1
    assert "没有终端" in done.stderr and "--password-stdin" in done.stderr and "Traceback" not in done.stderr
    assert auth.list_users(open_store(db)) == []
