"""Data staff accounts: argon2 password hashes in the store's ``users`` table, and slowed-down logins.

There are no default accounts: users are created from the command line
(``python -m geo users add NAME --role editor``). Roles: ``editor`` (import, publish, restore)
and ``admin`` (the same, plus managing users).

Repeated failed logins are slowed down per account: after :data:`FREE_ATTEMPTS` failures in a
row, each further attempt must wait ``BASE_DELAY_S * 2 ** (failures - FREE_ATTEMPTS)`` seconds
(capped at :data:`MAX_DELAY_S`) after the last failure; attempts inside that window are refused
without checking the password. The counter and the time of the last failure live in the
``users`` row, so the delay holds across app replicas and restarts. A success resets it.

:func:`verify_login` answers unknown names and wrong passwords with the same message, and spends
the same argon2 work on both, so that the answer does not tell whether a name exists.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from geo.errors import ConflictError, DataError, NotFoundError
from geo.store import users

if TYPE_CHECKING:
    from geo.store import FacilityStore

__all__ = [
    "BASE_DELAY_S",
    "FREE_ATTEMPTS",
    "MAX_DELAY_S",
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "UPLOAD_ROLES",
    "LoginResult",
    "User",
    "add_user",
    "get_user",
    "list_users",
    "lockout_delay_s",
    "remove_user",
    "set_password",
    "verify_login",
]

ROLES: Final[dict[str, tuple[str, str]]] = {
    "editor": ("数据编辑", "editor: import, publish and restore facility data"),
    "admin": ("管理员", "admin: as editor, and manage users"),
}
# Roles that may upload, import, publish and restore data files.
UPLOAD_ROLES: Final[frozenset[str]] = frozenset(ROLES)
MIN_PASSWORD_LENGTH: Final[int] = 10
FREE_ATTEMPTS: Final[int] = 3
BASE_DELAY_S: Final[float] = 2.0
MAX_DELAY_S: Final[float] = 15 * 60.0

_NAME = re.compile(r"^[\w.@-]{1,64}$")
_HASHER = PasswordHasher()
# Verified against when the name is unknown, so that both answers cost the same time.
_DUMMY_HASH: Final[str] = _HASHER.hash("not a password of anyone")

_FAILED_ZH = "登录失败:用户名或密码错误。"
_FAILED_EN = "Login failed: wrong user name or password."


@dataclass(frozen=True)
class User:
    """A data staff account (without its password hash)."""

    name: str
    role: str
    created_at: str
    failed_logins: int
    last_failed_at: str | None


@dataclass(frozen=True)
class LoginResult:
    """The answer to a login attempt.

    Attributes
    ----------
    ok
        Whether the name and password were right (and the account not waiting out failures).
    user
        The account on success, else None.
    retry_after_s
        Seconds to wait before the next attempt is checked (0 when none).
    message_zh, message_en
        What to show; the same for an unknown name and a wrong password.
    """

    ok: bool
    user: User | None
    retry_after_s: float
    message_zh: str
    message_en: str


def _now() -> datetime:
    return datetime.now(UTC)


def _user(row: sa.RowMapping) -> User:
    return User(
        row["name"], row["role"], row["created_at"], int(row["failed_logins"] or 0), row["last_failed_at"]
    )


def _check_name(name: str) -> str:
    clean = unicodedata.normalize("NFC", name).strip()
    if not _NAME.match(clean):
        msg = (
            f"用户名 {name!r} 无效:请用 1–64 个字母、数字、下划线、点、@ 或连字符。 / "
            f"Invalid user name {name!r}: use 1–64 letters, digits, '_', '.', '@' or '-'."
        )
        raise DataError(msg)
    return clean


def _check_role(role: str) -> str:
    if role not in ROLES:
        msg = f"角色只能是 editor 或 admin,收到 {role!r}。 / The role must be editor or admin, not {role!r}."
        raise DataError(msg)
    return role


def _check_password(password: str, name: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        msg = (
            f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符。 / "
            f"The password needs at least {MIN_PASSWORD_LENGTH} characters."
        )
        raise DataError(msg)
    if password.strip().casefold() == name.casefold():
        msg = "密码不能与用户名相同。 / The password cannot be the user name."
        raise DataError(msg)


def add_user(store: FacilityStore, name: str, password: str, *, role: str) -> User:
    """Create a data staff account.

    Parameters
    ----------
    store
        The facility store holding the ``users`` table.
    name
        User name: 1–64 letters, digits, ``_``, ``.``, ``@`` or ``-``.
    password
        At least :data:`MIN_PASSWORD_LENGTH` characters; stored only as an argon2id hash.
    role
        ``editor`` or ``admin``.

    Raises
    ------
    DataError
        When the name, role or password is not acceptable.
    ConflictError
        When the name is taken.
    """
    name = _check_name(name)
    _check_role(role)
    _check_password(password, name)
    store.create_schema()
    created_at = _now().replace(microsecond=0).isoformat()
    with store.begin() as conn:
        exists = conn.execute(sa.select(users.c.name).where(users.c.name == name)).first()
        if exists is not None:
            msg = f"用户 {name} 已存在。 / The user {name} already exists."
            raise ConflictError(msg)
        conn.execute(
            users.insert().values(
                name=name,
                password_hash=_HASHER.hash(password),
                role=role,
                created_at=created_at,
                failed_logins=0,
                last_failed_at=None,
            )
        )
    return User(name, role, created_at, 0, None)


def set_password(store: FacilityStore, name: str, password: str) -> None:
    """Replace a user's password (and clear the failed-login counter).

    Raises
    ------
    NotFoundError
        When there is no such user.
    DataError
        When the password is too short.
    """
    _check_password(password, name)
    with store.begin() as conn:
        done = conn.execute(
            users.update()
            .where(users.c.name == name)
            .values(password_hash=_HASHER.hash(password), failed_logins=0, last_failed_at=None)
        )
        if done.rowcount == 0:
            raise _not_found(name)


def _not_found(name: str) -> NotFoundError:
    return NotFoundError(f"用户 {name} 不存在。 / There is no user {name}.")


def get_user(store: FacilityStore, name: str) -> User:
    """One account by name (NotFoundError when absent)."""
    store.create_schema()
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.name == name)).mappings().first()
    if row is None:
        raise _not_found(name)
    return _user(row)


def list_users(store: FacilityStore) -> list[User]:
    """Every account, by name (no password hashes)."""
    store.create_schema()
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(users).order_by(users.c.name)).mappings().all()
    return [_user(r) for r in rows]


def remove_user(store: FacilityStore, name: str) -> None:
    """Delete an account. Versions it published keep its name in their audit line.

    Raises
    ------
    NotFoundError
        When there is no such user.
    """
    store.create_schema()
    with store.begin() as conn:
        done = conn.execute(users.delete().where(users.c.name == name))
        if done.rowcount == 0:
            raise _not_found(name)


def lockout_delay_s(failed_logins: int) -> float:
    """Seconds an account waits after its last failure, given its failures in a row."""
    if failed_logins < FREE_ATTEMPTS:
        return 0.0
    return float(min(MAX_DELAY_S, BASE_DELAY_S * 2.0 ** min(failed_logins - FREE_ATTEMPTS, 30)))


def _wait_s(user: User, now: datetime) -> float:
    delay = lockout_delay_s(user.failed_logins)
    if delay <= 0 or not user.last_failed_at:
        return 0.0
    try:
        last = datetime.fromisoformat(user.last_failed_at)
    except ValueError:
        return 0.0
    if last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    return max(0.0, delay - (now - last).total_seconds())


def _failed(retry_after_s: float) -> LoginResult:
    if retry_after_s > 0:
        wait = int(retry_after_s + 0.999)
        return LoginResult(
            False,
            None,
            retry_after_s,
            f"{_FAILED_ZH}失败次数过多,请 {wait} 秒后再试。",
            f"{_FAILED_EN} Too many failed attempts: try again in {wait} s.",
        )
    return LoginResult(False, None, 0.0, _FAILED_ZH, _FAILED_EN)


def verify_login(
    store: FacilityStore, name: str, password: str, *, now: datetime | None = None
) -> LoginResult:
    """Check a login; record failures and slow down repeated ones.

    Parameters
    ----------
    store
        The facility store holding the ``users`` table.
    name, password
        As typed.
    now
        The current time (UTC); for tests.

    Returns
    -------
    LoginResult
        ``ok`` with the user on success. On failure the same message for an unknown name and a
        wrong password; ``retry_after_s`` > 0 while the account waits out earlier failures
        (attempts in that window are refused without checking the password).
    """
    moment = now or _now()
    store.create_schema()
    clean = unicodedata.normalize("NFC", name).strip()
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.name == clean)).mappings().first()
    if row is None:
        with contextlib.suppress(VerificationError, InvalidHashError):
            _HASHER.verify(_DUMMY_HASH, password)
        return _failed(0.0)
    user = _user(row)
    wait_s = _wait_s(user, moment)
    if wait_s > 0:
        return _failed(wait_s)
    try:
        _HASHER.verify(row["password_hash"], password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        failures = user.failed_logins + 1
        with store.begin() as conn:
            conn.execute(
                users.update()
                .where(users.c.name == clean)
                .values(failed_logins=users.c.failed_logins + 1, last_failed_at=moment.isoformat())
            )
        return _failed(lockout_delay_s(failures))
    values: dict[str, object] = {"failed_logins": 0, "last_failed_at": None}
    if _HASHER.check_needs_rehash(row["password_hash"]):
        values["password_hash"] = _HASHER.hash(password)
    with store.begin() as conn:
        conn.execute(users.update().where(users.c.name == clean).values(**values))
    ok_user = User(user.name, user.role, user.created_at, 0, None)
    return LoginResult(True, ok_user, 0.0, f"欢迎,{user.name}。", f"Welcome, {user.name}.")
