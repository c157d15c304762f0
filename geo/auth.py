"""Data staff accounts and a login that cannot be turned against its users.

There are no default accounts: users are created from the command line
(``python -m geo users add NAME --role editor``). Roles: ``editor`` (import, publish, restore)
and ``admin`` (the same, plus managing users).

**Names.** A user name is NFKC-normalised (full-width ``ｗａｎｇ`` is ``wang``), 1–64 letters,
digits, ``_ . @ -``, written in one script (Latin, Han, Mongolian… or the Latin + Han mixes people
really write; ``wаng`` with a Cyrillic ``а`` is refused, and so is a name whose every letter is a
Latin look-alike from another script). Accounts are found by :func:`name_key` — the NFKC form,
case-folded — stored unique in ``users.name_key``: ``wang``, ``Wang`` and ``ｗａｎｇ`` are one account.

**Passwords.** 8–256 characters, not only white space, not the user name (compared by key); the
same rule for ``users add``, ``users password`` and any form. Stored only as argon2id hashes
(64 MiB, 3 passes).

**Logins** (:func:`verify_login`), after the OWASP Authentication and Credential Stuffing cheat sheets:

- Every attempt is counted *before* its password is checked, in the database, by one statement per
  counter (:mod:`geo.login_limits`), so parallel guesses are counted exactly. Counters, in a fixed
  window of :attr:`LoginPolicy.window_s`: per browser session, per client address (the forwarded
  address only behind a configured trusted proxy, :func:`client_address`), and per account for
  *unknown clients*.
- The account's budget does not lock out its owner: an address the account has logged in from
  before (a *known client*) is not held to it, only to its own session and address limits. An
  attacker elsewhere who exhausts the account's budget blocks other unknown addresses only; an
  administrator can lift that at once (``python -m geo users unlock NAME``).
- An attempt over a limit is refused **without** looking at the password, yet answers exactly
  like a wrong password: the same message, and the same argon2 work against a dummy hash, as an
  unknown name gets. Nobody can tell a known name, an unknown name and a limited one apart.
- At most :data:`MAX_CONCURRENT_HASHES` argon2 computations run at a time in a process; a login
  that cannot get a turn within :attr:`LoginPolicy.hash_wait_s` is told the server is busy (the same
  for every name), so a flood of logins holds the memory of two hashes, not of forty.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import re
import threading
import time
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Final

from geo.errors import ConflictError, DataError, NotFoundError

if TYPE_CHECKING:
    import sqlalchemy as sa
    from argon2 import PasswordHasher
    from sqlalchemy.engine import Connection

    from geo import login_limits as limits
    from geo.store import FacilityStore

__all__ = [
    "MAX_CONCURRENT_HASHES",
    "MAX_NAME_LENGTH",
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "UPLOAD_ROLES",
    "LoginClient",
    "LoginPolicy",
    "LoginResult",
    "User",
    "add_user",
    "address_bucket",
    "check_name",
    "check_password",
    "client_address",
    "get_user",
    "limited_now",
    "list_users",
    "name_key",
    "parse_trusted_proxies",
    "recent_failures",
    "remove_user",
    "set_password",
    "unlock_account",
    "unlock_address",
    "verify_login",
]

ROLES: Final[dict[str, tuple[str, str]]] = {
    "editor": ("数据编辑", "editor: import, publish and restore facility data"),
    "admin": ("管理员", "admin: as editor, and manage users"),
}
# Roles that may upload, import, publish and restore data files.
UPLOAD_ROLES: Final[frozenset[str]] = frozenset(ROLES)
MIN_PASSWORD_LENGTH: Final[int] = 8
MAX_PASSWORD_LENGTH: Final[int] = 256
MAX_NAME_LENGTH: Final[int] = 64
MAX_CONCURRENT_HASHES: Final[int] = 2


# argon2 and the database layer are loaded when an account is used, not on import: every command of
# the command line imports this module to build its parser.
@cache
def _hasher() -> PasswordHasher:
    """argon2id, RFC 9106's second recommendation: 64 MiB, 3 passes, 4 lanes."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4, hash_len=32, salt_len=16)


# A hash of a random password nobody knows, made once with exactly these parameters: an unknown name
# or a limited attempt is checked against it, so that it costs what a wrong password costs. A
# literal, so that importing this module runs no argon2 (see _dummy_hash for a changed hasher).
_DUMMY_HASH: Final = (
    "$argon2id$v=19$m=65536,t=3,p=4$w9yz8M09rmc9r0swcu93FQ$KLd6oHP/7QF/ry1/zhkzW1Fa3DOsMCa0j1Yvavs01aw"
)
_HASH_SLOTS: Final = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)

_NAME_CHARS: Final = re.compile(r"^[\w.@-]+$")
_SYMBOLS: Final = frozenset("_.@-")
# Scripts that may be mixed in one name (Unicode TS 39, "highly restrictive"); any single script may stand alone.
_SCRIPT_MIXES: Final = (
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)

_FAILED_ZH: Final = (
    "登录失败:用户名或密码错误。多次失败后,登录会暂停一段时间;如果确认密码无误,请稍后再试或联系管理员。"
)
_FAILED_EN: Final = (
    "Login failed: wrong user name or password. After repeated failures, logins pause for a while; "
    "if you are sure of your password, try again later or ask an administrator."
)
_BUSY_ZH: Final = "现在同时登录的人较多,请几秒钟后再试。"
_BUSY_EN: Final = "Many logins are being checked right now; try again in a few seconds."


@dataclass(frozen=True)
class LoginPolicy:
    """Limits of failed logins (see the module docstring).

    Attributes
    ----------
    window_s
        Length of a counting window (seconds); a counter starts again after it.
    max_per_session
        Attempts one browser session may have checked in a window.
    max_per_address
        Attempts one client address (IPv6: its /64) may have checked in a window, all accounts.
    max_per_account_unknown_clients
        Attempts on one account from addresses it has not logged in from, in a window.
    known_client_days
        How long an address stays known after a successful login (days).
    hash_wait_s
        How long a login waits for an argon2 turn before being told the server is busy (seconds).
    failures_kept
        How many failed logins the log keeps for ``users failures``.
    """

    window_s: float = 15 * 60.0
    max_per_session: int = 5
    max_per_address: int = 20
    max_per_account_unknown_clients: int = 10
    known_client_days: float = 90.0
    hash_wait_s: float = 3.0
    failures_kept: int = 10_000

    def limits(self) -> dict[str, int]:
        """The limit of each counter scope."""
        from geo import login_limits as limits

        return {
            limits.SCOPE_SESSION: self.max_per_session,
            limits.SCOPE_ADDRESS: self.max_per_address,
            limits.SCOPE_ACCOUNT: self.max_per_account_unknown_clients,
        }


DEFAULT_POLICY: Final = LoginPolicy()


@dataclass(frozen=True)
class LoginClient:
    """Who is logging in, as the server sees it (never as the browser says).

    Attributes
    ----------
    session
        The server's id of the browser session (stored only as a hash).
    address
        The client's IP address (see :func:`client_address`), or None when unknown.
    """

    session: str
    address: str | None = None


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
        Whether the name and password were right and the attempt within the limits.
    user
        The account on success, else None.
    busy
        True when the attempt was not checked because the server was busy (nothing was counted).
    message_zh, message_en
        What to show: one text for an unknown name, a wrong password and a limited attempt.
    """

    ok: bool
    user: User | None
    busy: bool
    message_zh: str
    message_en: str


# --- names and passwords ---------------------------------------------------------------------------


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def name_key(name: str) -> str:
    """The key an account is found by: the name NFKC-normalised and case-folded (``Ｗang`` → ``wang``)."""
    return unicodedata.normalize("NFKC", _nfkc(str(name)).casefold()).strip()


@cache
def _script_tools() -> tuple[object, object]:
    from confusable_homoglyphs import categories, confusables

    return categories, confusables


def _scripts(text: str) -> set[str]:
    categories, _ = _script_tools()
    return {categories.alias(ch) for ch in text} - {"COMMON", "INHERITED"}  # type: ignore[attr-defined]


def _looks_latin(text: str, scripts: set[str]) -> bool:
    """Whether a name in a script other than Latin could be read as a Latin name letter by letter."""
    if scripts & {"LATIN", "HAN"} or not scripts:
        return False
    _, confusables = _script_tools()
    letters = [ch for ch in text if ch not in _SYMBOLS and not ch.isdigit()]
    hits = confusables.is_confusable(text, greedy=True, preferred_aliases=["latin"]) or []  # type: ignore[attr-defined]
    return len({h["character"] for h in hits}) >= len(set(letters))


def check_name(name: str) -> str:
    """The user name as stored (NFKC, trimmed), or DataError saying what is wrong with it.

    Rules: 1–64 characters after NFKC; letters, digits, ``_ . @ -`` only, with at least one letter
    or digit; one script, or a Latin + Han mix (Unicode TS 39 "highly restrictive"); not written
    entirely in look-alikes of Latin letters from another script.
    """
    clean = _nfkc(str(name))
    problem_zh = problem_en = ""
    if not 1 <= len(clean) <= MAX_NAME_LENGTH or not _NAME_CHARS.match(clean):
        problem_zh = f"请用 1–{MAX_NAME_LENGTH} 个字母、数字、下划线、点、@ 或连字符"
        problem_en = f"use 1–{MAX_NAME_LENGTH} letters, digits, '_', '.', '@' or '-'"
    elif all(ch in _SYMBOLS for ch in clean):
        problem_zh, problem_en = "至少需要一个字母或数字", "it needs at least one letter or digit"
    elif any(ch.isdigit() and not ch.isascii() for ch in clean):
        problem_zh, problem_en = "数字请用 0–9", "write digits as 0–9"
    else:
        scripts = _scripts(clean)
        if len(scripts) > 1 and not any(scripts <= mix for mix in _SCRIPT_MIXES):
            problem_zh = f"混用了多种文字({'、'.join(sorted(scripts))}),容易与他人的用户名混淆"
            problem_en = f"it mixes scripts ({', '.join(sorted(scripts))}) and could pass for another name"
        elif _looks_latin(clean, scripts):
            problem_zh = "每个字母都像拉丁字母,容易与拉丁字母的用户名混淆"
            problem_en = "every letter looks like a Latin letter, so it could pass for a Latin name"
    if problem_en:
        msg = f"用户名 {name!r} 无效:{problem_zh}。 / Invalid user name {name!r}: {problem_en}."
        raise DataError(msg)
    return clean


def check_password(password: str, name: str) -> None:
    """DataError unless ``password`` is 8–256 characters, not only white space and not the user name."""
    if len(password) < MIN_PASSWORD_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
        msg = (
            f"密码须为 {MIN_PASSWORD_LENGTH}–{MAX_PASSWORD_LENGTH} 个字符,收到 {len(password)} 个。 / "
            f"The password needs {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters, got {len(password)}."
        )
        raise DataError(msg)
    if not password.strip():
        msg = "密码不能只有空白字符。 / The password cannot be only spaces or other white space."
        raise DataError(msg)
    if name_key(password) == name_key(name):
        msg = "密码不能与用户名相同。 / The password cannot be the user name."
        raise DataError(msg)


# --- client addresses ------------------------------------------------------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_trusted_proxies(text: str | None) -> tuple[Network, ...]:
    """Trusted reverse proxies from a setting such as ``"127.0.0.1, 10.0.0.0/24"`` (empty: none).

    Raises
    ------
    DataError
        Naming the entry that is not an IP address or network.
    """
    found: list[Network] = []
    for part in (text or "").replace(";", ",").split(","):
        entry = part.strip()
        if not entry:
            continue
        try:
            found.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            msg = (
                f"受信任代理设置中 {entry!r} 不是 IP 地址或网段。 / "
                f"{entry!r} in the trusted proxies setting is not an IP address or network."
            )
            raise DataError(msg) from None
    return tuple(found)


def _ip(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not text:
        return None
    value = text.strip().strip('"')
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:443
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # 203.0.113.5:443
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_address(
    peer: str | None, headers: Iterable[tuple[str, str]] | Mapping[str, str], trusted: Sequence[Network]
) -> str | None:
    """The client's address: the peer's, or — only when the peer is a trusted proxy — the one it forwards.

    ``X-Forwarded-For`` is read from the right: proxies in ``trusted`` are skipped, and the first
    address that is not one of them is the client (anything further left was written by the client
    itself and proves nothing). Without a usable ``X-Forwarded-For``, ``X-Real-IP`` is taken.

    Parameters
    ----------
    peer
        The address the connection came from.
    headers
        The request headers (names in any case; repeated headers allowed).
    trusted
        Trusted proxies (:func:`parse_trusted_proxies`); empty: forwarded headers are ignored.
    """
    peer_ip = _ip(peer)
    if peer_ip is None:
        return None

    def is_trusted(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(ip.version == net.version and ip in net for net in trusted)

    if not is_trusted(peer_ip):
        return str(peer_ip)
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    forwarded: list[str] = []
    real_ip: str | None = None
    for key, value in pairs:
        lowered = key.lower()
        if lowered == "x-forwarded-for":
            forwarded.extend(value.split(","))
        elif lowered == "x-real-ip":
            real_ip = value
    for entry in reversed(forwarded):
        ip = _ip(entry)
        if ip is None:
            break  # a malformed hop: nothing left of it can be trusted
        if not is_trusted(ip):
            return str(ip)
    real = _ip(real_ip)
    if not forwarded and real is not None:
        return str(real)
    return str(peer_ip)


def address_bucket(address: str | None) -> str:
    """What the per-address counter counts: an IPv4 address, an IPv6 /64 network, or ``-`` (unknown)."""
    ip = _ip(address)
    if ip is None:
        return "-"
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _session_tag(session: str) -> str:
    # Session ids are capabilities (reconnects, uploads): only a hash of them is stored.
    return hashlib.sha256(str(session).encode()).hexdigest()[:16]


# --- accounts ----------------------------------------------------------------------------------


def _now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _user(row: sa.RowMapping) -> User:
    return User(
        row["name"], row["role"], row["created_at"], int(row["failed_logins"] or 0), row["last_failed_at"]
    )


def _check_role(role: str) -> str:
    if role not in ROLES:
        msg = f"角色只能是 editor 或 admin,收到 {role!r}。 / The role must be editor or admin, not {role!r}."
        raise DataError(msg)
    return role


@contextlib.contextmanager
def _hash_turn(timeout_s: float | None = None) -> Iterator[bool]:
    """One of the process's argon2 turns; yields False when none came free within ``timeout_s``."""
    got = _HASH_SLOTS.acquire() if timeout_s is None else _HASH_SLOTS.acquire(timeout=timeout_s)
    try:
        yield got
    finally:
        if got:
            _HASH_SLOTS.release()


def _hash(password: str) -> str:
    with _hash_turn():
        return _hasher().hash(password)


def add_user(store: FacilityStore, name: str, password: str, *, role: str) -> User:
    """Create a data staff account.

    Parameters
    ----------
    store
        The facility store holding the ``users`` table.
    name
        User name (see :func:`check_name`); stored NFKC-normalised, found case-insensitively.
    password
        See :func:`check_password`; stored only as an argon2id hash.
    role
        ``editor`` or ``admin``.

    Raises
    ------
    DataError
        When the name, role or password is not acceptable.
    ConflictError
        When the name (or one that differs only in case or width) is taken.
    """
    import sqlalchemy as sa

    from geo.store import users

    clean = check_name(name)
    _check_role(role)
    check_password(password, clean)
    store.create_schema()
    key = name_key(clean)
    hashed = _hash(password)
    created_at = _now_iso()
    try:
        with store.begin() as conn:
            taken = conn.execute(sa.select(users.c.name).where(users.c.name_key == key)).scalar()
            if taken is not None:
                raise _taken(clean, taken)
            conn.execute(
                users.insert().values(
                    name=clean,
                    name_key=key,
                    password_hash=hashed,
                    role=role,
                    created_at=created_at,
                    failed_logins=0,
                    last_failed_at=None,
                )
            )
    except sa.exc.IntegrityError as exc:  # the same name added by another process at this moment
        raise _taken(clean, clean) from exc
    return User(clean, role, created_at, 0, None)


def _taken(name: str, existing: str) -> ConflictError:
    if existing == name:
        return ConflictError(f"用户 {name} 已存在。 / The user {name} already exists.")
    msg = (
        f"用户 {name} 已存在:与 {existing} 视为同一用户名(不分大小写和全角半角)。 / "
        f"The user {name} already exists: it counts as the same name as {existing} (case and width do not matter)."
    )
    return ConflictError(msg)


def _find(conn: Connection, name: str) -> sa.RowMapping | None:
    """The account of a typed name: by its key, or by the exact name (one query either way).

    The exact name wins: accounts from before keys existed whose names fold to the same key (the
    migration gave the later ones ``key#2``…) stay reachable by their own spelling.
    """
    import sqlalchemy as sa

    from geo.store import users

    typed = str(name)[: 4 * MAX_NAME_LENGTH]
    as_typed, folded = unicodedata.normalize("NFC", typed).strip(), _nfkc(typed)
    query = (
        sa.select(users)
        .where(sa.or_(users.c.name_key == name_key(typed), users.c.name.in_([as_typed, folded])))
        .order_by(sa.case((users.c.name == as_typed, 0), (users.c.name == folded, 1), else_=2))
        .limit(1)
    )
    return conn.execute(query).mappings().first()


def set_password(store: FacilityStore, name: str, password: str) -> None:
    """Replace a user's password, clear its failed-login count and lift its account limit.

    Raises
    ------
    NotFoundError
        When there is no such user.
    DataError
        When the password breaks the rules (:func:`check_password`).
    """
    from geo import login_limits as limits
    from geo.store import users

    check_password(password, name)
    store.create_schema()
    hashed = _hash(password)
    with store.begin() as conn:
        row = _find(conn, name)
        if row is None:
            raise _not_found(name)
        conn.execute(
            users.update()
            .where(users.c.name == row["name"])
            .values(password_hash=hashed, failed_logins=0, last_failed_at=None)
        )
        limits.clear(conn, scope=limits.SCOPE_ACCOUNT, subject=row["name_key"])


def _not_found(name: str) -> NotFoundError:
    return NotFoundError(f"用户 {name} 不存在。 / There is no user {name}.")


def get_user(store: FacilityStore, name: str) -> User:
    """One account by name, compared case- and width-insensitively (NotFoundError when absent)."""
    store.create_schema()
    with store.engine.connect() as conn:
        row = _find(conn, name)
    if row is None:
        raise _not_found(name)
    return _user(row)


def list_users(store: FacilityStore) -> list[User]:
    """Every account, by name (no password hashes)."""
    import sqlalchemy as sa

    from geo.store import users

    store.create_schema()
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(users).order_by(users.c.name_key)).mappings().all()
    return [_user(r) for r in rows]


def remove_user(store: FacilityStore, name: str) -> None:
    """Delete an account. Versions it published keep its name in their audit line.

    Raises
    ------
    NotFoundError
        When there is no such user.
    """
    from geo.store import users

    store.create_schema()
    with store.begin() as conn:
        row = _find(conn, name)
        if row is None:
            raise _not_found(name)
        conn.execute(users.delete().where(users.c.name == row["name"]))


# --- logging in ----------------------------------------------------------------------------------


@cache
def _dummy_hash() -> str:
    """The dummy hash, made anew (once, on first use) only if the hasher's parameters changed."""
    if _hasher().check_needs_rehash(_DUMMY_HASH):
        return _hasher().hash(hashlib.sha256(str(time.time_ns()).encode()).hexdigest())
    return _DUMMY_HASH


def _verify(stored_hash: str | None, password: str) -> bool:
    """argon2 check against the stored hash, or the same work against the dummy hash (then False)."""
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        _hasher().verify(stored_hash or _dummy_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return stored_hash is not None


def _failed() -> LoginResult:
    return LoginResult(False, None, False, _FAILED_ZH, _FAILED_EN)


def verify_login(
    store: FacilityStore,
    name: str,
    password: str,
    *,
    client: LoginClient | None = None,
    policy: LoginPolicy = DEFAULT_POLICY,
    now_s: float | None = None,
) -> LoginResult:
    """Check a login within the failed-login limits (see the module docstring).

    Parameters
    ----------
    store
        The facility store holding the accounts and the counters.
    name, password
        As typed.
    client
        The browser session and client address as the server knows them (default: an anonymous
        client, as on the command line).
    policy
        The limits.
    now_s
        The current time (seconds since the epoch); for tests.

    Returns
    -------
    LoginResult
        ``ok`` with the user on success. Every failure — unknown name, wrong password, attempt over
        a limit — has the same message; ``busy`` when no argon2 turn came free in time.
    """
    from geo import db
    from geo import login_limits as limits
    from geo.store import users

    moment = time.time() if now_s is None else now_s
    client = client or LoginClient(session="-")
    typed = str(name)[: 4 * MAX_NAME_LENGTH]
    key = name_key(typed)[: 4 * MAX_NAME_LENGTH]
    secret = str(password)
    too_long = len(secret) > MAX_PASSWORD_LENGTH
    secret = secret[:MAX_PASSWORD_LENGTH]
    address = address_bucket(client.address)
    session = _session_tag(client.session)
    store.create_schema()
    with _hash_turn(policy.hash_wait_s) as turn:
        if not turn:
            return LoginResult(False, None, True, _BUSY_ZH, _BUSY_EN)
        with store.engine.connect() as conn:
            row = _find(conn, typed)
            known = limits.is_known(conn, key, address, since_s=moment - policy.known_client_days * 86_400.0)
        slots = [
            limits.Slot(limits.SCOPE_SESSION, session, policy.max_per_session),
            limits.Slot(limits.SCOPE_ADDRESS, address, policy.max_per_address),
        ]
        if not known:
            slots.append(limits.Slot(limits.SCOPE_ACCOUNT, key, policy.max_per_account_unknown_clients))
        with db.locked(store.engine, db.Lock.LOGIN).connect() as conn, conn.begin() as tx:
            allowed = limits.reserve(conn, slots, now_s=moment, window_s=policy.window_s)
            if not allowed:
                tx.rollback()  # a refused attempt is counted nowhere
        stored = row["password_hash"] if row is not None and allowed and not too_long else None
        ok = _verify(stored, secret)
        new_hash = _hasher().hash(secret) if ok and _hasher().check_needs_rehash(str(stored)) else None
    if ok and row is not None:
        return _succeeded(store, row, key, address, slots, new_hash, moment, policy)
    outcome = "limited" if not allowed else ("wrong_password" if row is not None else "unknown_name")
    record = limits.FailureRecord(
        at=moment,
        name_typed=typed[:MAX_NAME_LENGTH],
        name_key=key[:MAX_NAME_LENGTH],
        account_exists=row is not None,
        address=address,
        session=session,
        outcome=outcome,
    )
    with db.locked(store.engine, db.Lock.LOGIN).begin() as conn:
        if row is not None and allowed:
            conn.execute(
                users.update()
                .where(users.c.name == row["name"])
                .values(failed_logins=users.c.failed_logins + 1, last_failed_at=_iso(moment))
            )
        limits.log_failure(conn, record, keep=policy.failures_kept)
        limits.prune(
            conn,
            now_s=moment,
            window_s=policy.window_s,
            known_since_s=moment - policy.known_client_days * 86_400.0,
        )
    return _failed()


def _iso(moment_s: float) -> str:
    return datetime.fromtimestamp(moment_s, UTC).replace(microsecond=0).isoformat()


def _succeeded(
    store: FacilityStore,
    row: sa.RowMapping,
    key: str,
    address: str,
    slots: list[limits.Slot],
    new_hash: str | None,
    moment: float,
    policy: LoginPolicy,
) -> LoginResult:
    from geo import db
    from geo import login_limits as limits
    from geo.store import users

    values: dict[str, object] = {"failed_logins": 0, "last_failed_at": None}
    if new_hash is not None:
        values["password_hash"] = new_hash
    with db.locked(store.engine, db.Lock.LOGIN).begin() as conn:
        limits.give_back(conn, slots, now_s=moment, window_s=policy.window_s)
        conn.execute(users.update().where(users.c.name == row["name"]).values(**values))
        if address != "-":
            limits.remember(conn, key, address, now_s=moment)
    user = User(row["name"], row["role"], row["created_at"], 0, None)
    return LoginResult(True, user, False, f"欢迎,{user.name}。", f"Welcome, {user.name}.")


# --- for administrators --------------------------------------------------------------------------


def recent_failures(
    store: FacilityStore,
    *,
    hours: float = 24.0,
    limit: int = 50,
    name: str | None = None,
    now_s: float | None = None,
) -> list[limits.FailureRecord]:
    """Failed logins of the last ``hours`` (of one account when ``name``), newest first."""
    from geo import login_limits as limits

    moment = time.time() if now_s is None else now_s
    store.create_schema()
    with store.engine.connect() as conn:
        return limits.recent(
            conn,
            since_s=moment - hours * 3600.0,
            limit=limit,
            name_key=None if name is None else name_key(name),
        )


def limited_now(
    store: FacilityStore, *, policy: LoginPolicy = DEFAULT_POLICY, now_s: float | None = None
) -> list[limits.CounterRow]:
    """Sessions, addresses and accounts whose limit is reached in the current window."""
    from geo import login_limits as limits

    moment = time.time() if now_s is None else now_s
    store.create_schema()
    with store.engine.connect() as conn:
        return limits.limited(conn, now_s=moment, window_s=policy.window_s, limits=policy.limits())


def unlock_account(store: FacilityStore, name: str) -> int:
    """Lift the account's limit for unknown clients and clear its failed-login count.

    Returns the number of counted attempts removed. Works for names without an account too (their
    attempts are counted alike).
    """
    from geo import db
    from geo import login_limits as limits
    from geo.store import users

    store.create_schema()
    with db.locked(store.engine, db.Lock.LOGIN).begin() as conn:
        held = limits.clear(conn, scope=limits.SCOPE_ACCOUNT, subject=name_key(name))
        row = _find(conn, name)
        if row is not None:
            conn.execute(
                users.update().where(users.c.name == row["name"]).values(failed_logins=0, last_failed_at=None)
            )
    return held


def unlock_address(store: FacilityStore, address: str) -> int:
    """Lift the limit of a client address (IPv6: its /64); returns the attempts removed.

    Raises
    ------
    DataError
        When ``address`` is not an IP address.
    """
    from geo import db
    from geo import login_limits as limits

    bucket = address_bucket(address)
    if bucket == "-":
        msg = f"{address!r} 不是 IP 地址。 / {address!r} is not an IP address."
        raise DataError(msg)
    store.create_schema()
    with db.locked(store.engine, db.Lock.LOGIN).begin() as conn:
        return limits.clear(conn, scope=limits.SCOPE_ADDRESS, subject=bucket)
