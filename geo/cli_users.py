"""``python -m geo users …``: data staff accounts, recent failed logins and lifting login limits.

Passwords never appear on the command line: ``users add`` and ``users password`` read them from
standard input (``--password-stdin``) or ask twice without echo; without a terminal and without
``--password-stdin`` they stop with a message (exit 1), Ctrl-D at the prompt changes nothing
(exit 1) and Ctrl-C stops (exit 130), with no traceback.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from geo import auth
from geo.cli_args import count_at_least, number_in_range
from geo.errors import DataError

if TYPE_CHECKING:
    from geo.store import FacilityStore

__all__ = ["register"]

_OUTCOMES = {
    "wrong_password": "密码错误 wrong password",
    "unknown_name": "无此用户 unknown name",
    "limited": "超过限制未检查 over the limit, not checked",
}
_SCOPES = {"session": "会话 session", "address": "地址 address", "account": "账户 account"}


def _open(database: str | None) -> FacilityStore:
    # The store (SQLAlchemy) is loaded when a command runs, not when the parser is built.
    from geo.store import open_store

    return open_store(database)


def _printable(text: str) -> str:
    """Text typed by strangers, safe for a terminal: control and other invisible characters escaped."""
    return "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in text)


def _time(moment_s: float) -> str:
    return datetime.fromtimestamp(moment_s, UTC).replace(microsecond=0).isoformat()


def _read_new_password(args: argparse.Namespace) -> str:
    """The new password: the first line of stdin (``--password-stdin``), else asked twice without echo."""
    if args.password_stdin:
        return sys.stdin.readline(auth.MAX_PASSWORD_LENGTH + 2).rstrip("\r\n")
    if not sys.stdin.isatty():
        msg = (
            "没有终端可以输入密码:请在终端中运行,或加 --password-stdin 从标准输入的第一行读取密码。 / "
            "No terminal to ask for the password: run this in a terminal, or add --password-stdin to read "
            "it from the first line of standard input."
        )
        raise DataError(msg)
    try:
        password = getpass.getpass("新密码 / new password: ")
        again = getpass.getpass("再输入一次 / repeat: ")
    except EOFError:
        msg = "没有输入密码(Ctrl-D),未做任何更改。 / No password entered (Ctrl-D); nothing was changed."
        raise DataError(msg) from None
    if password != again:
        msg = "两次输入的密码不一致,未做任何更改。 / The two passwords differ; nothing was changed."
        raise DataError(msg)
    return password


def _cmd_add(args: argparse.Namespace) -> int:
    store = _open(args.database)
    auth.check_name(args.name)  # before asking for a password that could not be used
    password = _read_new_password(args)
    user = auth.add_user(store, args.name, password, role=args.role)
    print(f"已创建用户 {user.name}(角色 {user.role}) / created user {user.name} with role {user.role}")
    return 0


def _cmd_password(args: argparse.Namespace) -> int:
    store = _open(args.database)
    user = auth.get_user(store, args.name)
    password = _read_new_password(args)
    auth.set_password(store, user.name, password)
    print(f"已更改用户 {user.name} 的密码 / changed the password of {user.name}")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    store = _open(args.database)
    people = auth.list_users(store)
    if not people:
        print("还没有用户;用 `python -m geo users add NAME --role editor` 创建。 / No users yet.")
        return 0
    print("用户 name\t角色 role\t创建 created\t连续失败 failed logins\t最近失败 last failure")
    for u in people:
        print(f"{u.name}\t{u.role}\t{u.created_at}\t{u.failed_logins}\t{u.last_failed_at or '-'}")
    return 0


def _cmd_remove(args: argparse.Namespace) -> int:
    store = _open(args.database)
    user = auth.get_user(store, args.name)
    auth.remove_user(store, user.name)
    print(f"已删除用户 {user.name} / removed user {user.name}")
    return 0


def _cmd_failures(args: argparse.Namespace) -> int:
    number_in_range(
        args.hours,
        option="--hours",
        unit_zh="小时",
        unit_en="hours",
        minimum=0,
        maximum=24 * 366,
        above_minimum=True,
    )
    count_at_least(args.limit, 1, option="--limit", what_zh="行数", what_en="lines")
    store = _open(args.database)
    held = auth.limited_now(store)
    print("当前受限 / limited now (登录暂停到窗口结束 / logins paused until the window ends):")
    if not held:
        print("  无 / none")
    window_s = auth.DEFAULT_POLICY.window_s
    for row in held:
        subject = "(会话 session)" if row.scope == "session" else _printable(row.subject)
        print(
            f"  {_SCOPES.get(row.scope, row.scope)}\t{subject}\t{row.count} 次 attempts\t"
            f"至 until {_time(row.window_start + window_s)}"
        )
    records = auth.recent_failures(store, hours=args.hours, limit=args.limit, name=args.name)
    print(
        f"最近 {args.hours:g} 小时的失败登录(新的在前) / failed logins in the last {args.hours:g} h "
        "(newest first):"
    )
    if not records:
        print("  无 / none")
        return 0
    print("  时间 time (UTC)\t输入的用户名 name typed\t账户存在 account exists\t地址 address\t结果 outcome")
    for r in records:
        exists = "是 yes" if r.account_exists else "否 no"
        print(
            f"  {_time(r.at)}\t{_printable(r.name_typed)}\t{exists}\t{r.address}\t"
            f"{_OUTCOMES.get(r.outcome, r.outcome)}"
        )
    return 0


def _cmd_unlock(args: argparse.Namespace) -> int:
    if (args.name is None) == (args.address is None):
        msg = (
            "请给出用户名,或用 --address 给出客户端地址(二选一)。 / "
            "Give a user name, or a client address with --address (one of the two)."
        )
        raise DataError(msg)
    store = _open(args.database)
    if args.name is not None:
        held = auth.unlock_account(store, args.name)
        print(
            f"已解除 {args.name} 的登录限制(清除 {held} 次计数) / lifted the login limit of {args.name} "
            f"({held} counted attempts cleared)"
        )
    else:
        held = auth.unlock_address(store, args.address)
        print(
            f"已解除地址 {args.address} 的登录限制(清除 {held} 次计数) / lifted the login limit of "
            f"address {args.address} ({held} counted attempts cleared)"
        )
    return 0


def register(subparsers: Any) -> None:
    """Add ``users`` (add, password, list, remove, failures, unlock) to the ``python -m geo`` parser."""
    p = subparsers.add_parser(
        "users", help="data staff accounts: add, password, list, remove, failures, unlock"
    )
    sub = p.add_subparsers(dest="users_command", metavar="ACTION", required=True)

    def password_option(q: argparse.ArgumentParser) -> None:
        q.add_argument(
            "--password-stdin", action="store_true", help="read the password from the first line of stdin"
        )

    q = sub.add_parser("add", help="create an account (password asked twice, or from stdin)")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--role", choices=tuple(auth.ROLES), required=True)
    password_option(q)
    q.set_defaults(handler=_cmd_add)

    q = sub.add_parser("password", help="set a new password (also lifts the account's login limit)")
    q.add_argument("name", metavar="NAME")
    password_option(q)
    q.set_defaults(handler=_cmd_password)

    q = sub.add_parser("list", help="list accounts")
    q.set_defaults(handler=_cmd_list)

    q = sub.add_parser("remove", help="delete an account")
    q.add_argument("name", metavar="NAME")
    q.set_defaults(handler=_cmd_remove)

    q = sub.add_parser("failures", help="recent failed logins, and who is limited now")
    q.add_argument("--hours", type=float, default=24.0, metavar="H", help="how far back (default 24)")
    q.add_argument("--limit", type=int, default=50, metavar="N", help="at most N lines (default 50)")
    q.add_argument("--name", default=None, metavar="NAME", help="only attempts on this user name")
    q.set_defaults(handler=_cmd_failures)

    q = sub.add_parser("unlock", help="lift the login limit of an account (or of a client --address)")
    q.add_argument("name", metavar="NAME", nargs="?", default=None)
    q.add_argument("--address", default=None, metavar="IP", help="a client address (IPv6: its /64)")
    q.set_defaults(handler=_cmd_unlock)
