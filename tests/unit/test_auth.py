"""geo.auth: accounts, name and password rules, and logins that cannot be turned against their users.

Store-backed tests run on SQLite and PostgreSQL (``any_db_url``). Most use a cheap argon2 setting
(the ``cheap_hashing`` fixture) for speed; the tests of parameters, import and memory use the real one.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from geo import auth
from geo.errors import ConflictError, DataError, NotFoundError
from geo.store import FacilityStore, open_store, users

PASSWORD = "correct horse battery"
WRONG = "wrong password 0000"
T0 = 1_800_000_000.0
POLICY = auth.LoginPolicy(hash_wait_s=600.0)  # parallel tests: nobody is told "busy"


@pytest.fixture
def accounts(any_db_url: str) -> Iterator[FacilityStore]:
    """An empty store (schema only) on SQLite and on PostgreSQL."""
    s = open_store(any_db_url, create=False)
    s.create_schema()
    yield s
    s.engine.dispose()


def client(session: str, address: str | None = "203.0.113.1") -> auth.LoginClient:
    return auth.LoginClient(session=session, address=address)


def login(store: FacilityStore, name: str, password: str, c: auth.LoginClient, **kw: Any) -> auth.LoginResult:
    return auth.verify_login(store, name, password, client=c, **{"policy": POLICY, **kw})


# --- accounts, names, passwords ------------------------------------------------------------------


@pytest.mark.usefixtures("cheap_hashing")
def test_no_default_accounts(accounts: FacilityStore) -> None:
    assert auth.list_users(accounts) == []
    for name, password in (("admin", "admin"), ("admin", "password"), ("root", "")):
        assert not login(accounts, name, password, client("s")).ok


@pytest.mark.usefixtures("cheap_hashing")
def test_add_list_remove_by_any_spelling_of_the_name(accounts: FacilityStore) -> None:
    auth.add_user(accounts, "wang.li", PASSWORD, role="editor")
    auth.add_user(accounts, "Admin1", PASSWORD + "!", role="admin")
    assert [(u.name, u.role) for u in auth.list_users(accounts)] == [
        ("Admin1", "admin"),
        ("wang.li", "editor"),
    ]
    assert auth.get_user(accounts, "ADMIN1").name == "Admin1"
    with pytest.raises(ConflictError):
        auth.add_user(accounts, "wang.li", PASSWORD, role="editor")
    auth.remove_user(accounts, "WANG.LI")
    assert [u.name for u in auth.list_users(accounts)] == ["Admin1"]
    with pytest.raises(NotFoundError):
        auth.remove_user(accounts, "wang.li")


def test_password_stored_as_argon2id_with_64_mib(accounts: FacilityStore) -> None:
    auth.add_user(accounts, "li", PASSWORD, role="editor")
    with accounts.engine.connect() as conn:
        stored, key = conn.execute(sa.select(users.c.password_hash, users.c.name_key)).one()
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$") and PASSWORD not in stored
    assert key == "li"
    # The dummy hash that unknown names are checked against has exactly the same parameters.
    assert not auth._hasher().check_needs_rehash(auth._DUMMY_HASH)
    assert auth._DUMMY_HASH.split("$")[3] == stored.split("$")[3]


@pytest.mark.usefixtures("cheap_hashing")
def test_wang_fullwidth_wang_and_cyrillic_wang_cannot_be_three_accounts(accounts: FacilityStore) -> None:
    auth.add_user(accounts, "wang", PASSWORD, role="editor")
    for other in ("Wang", "ｗａｎｇ", "ＷＡＮＧ", " wang "):
        with pytest.raises(ConflictError, match="wang"):
            auth.add_user(accounts, other, PASSWORD, role="editor")
    with pytest.raises(DataError, match="CYRILLIC"):
        auth.add_user(accounts, "wаng", PASSWORD, role="editor")  # Cyrillic а
    assert [u.name for u in auth.list_users(accounts)] == ["wang"]
    assert login(accounts, "ＷＡＮＧ", PASSWORD, client("s1")).ok


@pytest.mark.parametrize(
    "name", ["wang", "Wang.Li", "li_2025", "王丽", "王li", "ᠮᠣᠩᠭᠣᠯ", "Ολγα", "staff@ordos", "Straße"]
)
def test_names_in_one_script_are_accepted(name: str) -> None:
    assert auth.check_name(name) == name


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("wаng", "CYRILLIC"),  # Cyrillic а among Latin letters
        ("pаypal", "mixes scripts"),
        ("аре", "Latin letter"),  # all Cyrillic, every letter a Latin look-alike
        ("ααα", "Latin letter"),
        ("wang٣", "0–9"),
        ("...", "letter or digit"),
        ("a b", "letters, digits"),
        ("", "letters, digits"),
        ("x" * 65, "letters, digits"),
        ("wang\u202e", "letters, digits"),  # right-to-left override
    ],
)
def test_bad_names_are_refused_with_the_reason_in_both_languages(name: str, why: str) -> None:
    with pytest.raises(DataError) as caught:
        auth.check_name(name)
    text = str(caught.value)
    assert why in text and "用户名" in text and "Invalid user name" in text


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("1234567", False),
        ("12345678", True),
        ("p" * 256, True),
        ("p" * 257, False),
        (" " * 12, False),
        ("\t\n  \u3000   ", False),
        ("Li.Wang", False),  # the user name, in another case
        ("ＬＩ.ＷＡＮＧ", False),  # and in full width
        ("li.wang and more", True),
    ],
)
def test_password_rules(password: str, ok: bool) -> None:
    if ok:
        auth.check_password(password, "li.wang")
    else:
        with pytest.raises(DataError) as caught:
            auth.check_password(password, "li.wang")
        assert "密码" in str(caught.value) and "password" in str(caught.value)


@pytest.mark.usefixtures("cheap_hashing")
def test_set_password_follows_the_same_rules(accounts: FacilityStore) -> None:
    auth.add_user(accounts, "li", PASSWORD, role="editor")
    with pytest.raises(DataError):
        auth.set_password(accounts, "li", "short")
    auth.set_password(accounts, "LI", "a new long password")
    assert not login(accounts, "li", PASSWORD, client("s1")).ok
    assert login(accounts, "li", "a new long password", client("s2")).ok
    with pytest.raises(NotFoundError):
        auth.set_password(accounts, "nobody", "a new long password")


# --- one answer, one cost --------------------------------------------------------------------------


@pytest.mark.usefixtures("cheap_hashing")
def test_unknown_name_wrong_password_and_limited_attempt_answer_alike(accounts: FacilityStore) -> None:
    auth.add_user(accounts, "li", PASSWORD, role="editor")
    for _ in range(POLICY.max_per_session):
        login(accounts, "li", WRONG, client("attacker"))
    answers = [
        login(accounts, "nobody", PASSWORD, client("a")),
        login(accounts, "li", WRONG, client("b")),
        login(accounts, "li", PASSWORD, client("attacker")),  # limited: even the right password
        login(accounts, "nobody", PASSWORD, client("attacker")),
        login(accounts, "li", "p" * 10_000, client("c")),  # over-long
    ]
    assert {(a.ok, a.busy, a.user, a.message_zh, a.message_en) for a in answers} == {
        (False, False, None, auth._FAILED_ZH, auth._FAILED_EN)
    }
    assert "秒" not in auth._FAILED_ZH and not any(ch.isdigit() for ch in auth._FAILED_EN)


def test_every_failure_costs_one_argon2_check_with_the_real_parameters(
    accounts: FacilityStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth.add_user(accounts, "li", PASSWORD, role="editor")
    checked: list[str] = []
    original = PasswordHasher.verify

    def counting(self: PasswordHasher, hash_: str, password: str) -> bool:
        checked.append(hash_)
        return original(self, hash_, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    for _ in range(POLICY.max_per_session):
        login(accounts, "li", WRONG, client("attacker"))
    checked.clear()
    cases = {
        "unknown": ("nobody", WRONG, "a"),
        "wrong": ("li", WRONG, "b"),
        "limited known": ("li", PASSWORD, "attacker"),
        "limited unknown": ("ghost", PASSWORD, "attacker"),
    }
    per_case = {}
    for label, (name, password, session) in cases.items():
        checked.clear()
        assert not login(accounts, name, password, client(session)).ok
        per_case[label] = [h.split("$")[3] for h in checked]
    assert all(len(v) == 1 for v in per_case.values()), per_case
    assert len({v[0] for v in per_case.values()}) == 1  # m=65536,t=3,p=4 everywhere


def test_importing_geo_auth_runs_no_argon2() -> None:
    code = (
        "import argon2\n"
        "def boom(*a, **k): raise SystemExit('argon2 ran at import')\n"
        "argon2.PasswordHasher.hash = boom\nargon2.PasswordHasher.verify = boom\n"
        "import geo.auth\nprint('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


@pytest.mark.usefixtures("cheap_hashing")
def test_busy_when_no_argon2_turn_comes_free_and_nothing_is_counted(accounts: FacilityStore) -> None:
    auth.add_user(accounts, "li", PASSWORD, role="editor")
    quick = auth.LoginPolicy(hash_wait_s=0.05)
    held = [auth._HASH_SLOTS.acquire(timeout=5) for _ in range(auth.MAX_CONCURRENT_HASHES)]
    try:
        assert all(held)
        busy = [
            auth.verify_login(accounts, n, PASSWORD, client=client("s"), policy=quick)
            for n in ("li", "ghost")
        ]
    finally:
        for _ in held:
            auth._HASH_SLOTS.release()
    assert [(b.ok, b.busy) for b in busy] == [(False, True), (False, True)]
    assert busy[0].message_en == busy[1].message_en and "try again" in busy[0].message_en
    assert auth.limited_now(accounts) == [] and auth.recent_failures(accounts) == []
    assert login(accounts, "li", PASSWORD, client("s")).ok


# --- limits ----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("cheap_hashing")
def test_session_limit_and_a_success_gives_its_count_back(accounts: FacilityStore) -> None:
    auth.add_user(accounts, "li", PASSWORD, role="editor")
    for _ in range(POLICY.max_per_session - 1):
        assert not login(accounts, "li", WRONG, client("s1"), now_s=T0).ok
    assert login(accounts, "li", PASSWORD, client("s1"), now_s=T0).ok  # within the limit
    assert not login(accounts, "li", WRONG, client("s1"), now_s=T0).ok  # the 5th counted failure
    assert not login(accounts, "li", PASSWORD, client("s1"), now_s=T0 + 1).ok  # limited now
    assert login(accounts, "li", PASSWORD, client("s2"), now_s=T0 + 1).ok  # another session
    later = T0 + POLICY.window_s + 1
    assert login(accounts, "li", PASSWORD, client("s1"), now_s=later).ok  # the window has ended
    assert auth.get_user(accounts, "li").failed_logins == 0


@pytest.mark.usefixtures("cheap_hashing")
def test_address_limit_counts_every_account_and_session(accounts: FacilityStore) -> None:
    auth.add_user(accounts, "li", PASSWORD, role="editor")
    assert login(accounts, "li", PASSWORD, client("old", "198.51.100.7"), now_s=T0).ok
    for i in range(POLICY.max_per_address):  # unknown names, one session each
        login(accounts, f"guess{i}", WRONG, client(f"s{i}", "198.51.100.7"), now_s=T0)
    assert not login(accounts, "li", PASSWORD, client("fresh", "198.51.100.7"), now_s=T0).ok
    assert login(accounts, "li", PASSWORD, client("fresh", "198.51.100.8"), now_s=T0).ok
    # IPv6 clients are counted per /64: hopping inside it does not help.
    for i in range(POLICY.max_per_address):
        login(accounts, f"guess{i}", WRONG, client(f"v6-{i}", f"2001:db8:1:2::{i + 1:x}"), now_s=T0)
    assert not login(accounts, "li", PASSWORD, client("v6-x", "2001:db8:1:2:ffff::1"), now_s=T0).ok


@pytest.mark.usefixtures("cheap_hashing")
def test_account_budget_stops_attackers_elsewhere_but_not_the_user_from_a_known_address(
    accounts: FacilityStore,
) -> None:
    auth.add_user(accounts, "li", PASSWORD, role="editor")
    office = "198.51.100.7"
    assert login(accounts, "li", PASSWORD, client("monday", office), now_s=T0).ok
    budget = POLICY.max_per_account_unknown_clients
    for i in range(3 * budget):  # an attacker hopping over addresses and sessions keeps failing
        login(accounts, "li", WRONG, client(f"bot{i}", f"203.0.113.{i + 1}"), now_s=T0 + 60)
    assert auth.get_user(accounts, "li").failed_logins == budget  # only these were checked
    # Another unknown address is refused, even with the right password...
    assert not login(accounts, "li", PASSWORD, client("cafe", "192.0.2.50"), now_s=T0 + 61).ok
    # ...but the real user from the office, a clean client, gets in.
    assert login(accounts, "li", PASSWORD, client("tuesday", office), now_s=T0 + 62).ok
    # An administrator lifts the account limit at once.
    assert auth.unlock_account(accounts, "LI") == budget
    assert login(accounts, "li", PASSWORD, client("cafe", "192.0.2.50"), now_s=T0 + 63).ok


@pytest.mark.usefixtures("cheap_hashing")
def test_admin_sees_failures_and_who_is_limited_and_unlocks_an_address(accounts: FacilityStore) -> None:
    auth.add_user(accounts, "li", PASSWORD, role="editor")
    login(accounts, "li", WRONG, client("s1", "203.0.113.9"), now_s=T0)
    login(accounts, "nobody\x1b[31m", WRONG, client("s2", "203.0.113.9"), now_s=T0 + 1)
    for i in range(POLICY.max_per_address):
        login(accounts, f"x{i}", WRONG, client(f"t{i}", "203.0.113.10"), now_s=T0 + 2)
    login(accounts, "li", PASSWORD, client("t99", "203.0.113.10"), now_s=T0 + 3)  # limited
    records = auth.recent_failures(accounts, now_s=T0 + 10, limit=100)
    assert records[0].outcome == "limited" and records[0].account_exists
    assert {(r.name_typed, r.outcome, r.account_exists) for r in records[-2:]} == {
        ("li", "wrong_password", True),
        ("nobody\x1b[31m", "unknown_name", False),
    }
    assert all(len(r.session) == 16 and r.session != "s1" for r in records)  # only a hash of the id
    held = auth.limited_now(accounts, now_s=T0 + 10)
    assert [(r.scope, r.subject) for r in held] == [("address", "203.0.113.10")]
    assert auth.unlock_address(accounts, "203.0.113.10") == POLICY.max_per_address
    assert auth.limited_now(accounts, now_s=T0 + 10) == []
    with pytest.raises(DataError):
        auth.unlock_address(accounts, "not-an-ip")


@pytest.mark.usefixtures("cheap_hashing")
def test_the_failure_log_is_bounded(accounts: FacilityStore) -> None:
    small = auth.LoginPolicy(failures_kept=5, max_per_session=100, max_per_address=100)
    for i in range(12):
        auth.verify_login(accounts, f"n{i}", WRONG, client=client("s"), policy=small, now_s=T0 + i)
    kept = auth.recent_failures(accounts, now_s=T0 + 20, limit=100)
    assert [r.name_typed for r in kept] == [f"n{i}" for i in range(11, 6, -1)]


# --- parallel guesses ------------------------------------------------------------------------------


def _real_hash(store: FacilityStore) -> str:
    with store.engine.connect() as conn:
        return str(conn.execute(sa.select(users.c.password_hash).where(users.c.name == "li")).scalar_one())


def _attempt_in_process(
    url: str, password: str, session: str, address: str, real_hash: str, barrier: Any
) -> tuple[bool, bool]:
    store = open_store(url, create=False)
    checked = []
    original = PasswordHasher.verify

    def counting(self: PasswordHasher, hash_: str, pw: str) -> bool:
        if hash_ == real_hash:
            checked.append(1)
        return original(self, hash_, pw)

    PasswordHasher.verify = counting  # type: ignore[method-assign]
    barrier.wait()
    ok = auth.verify_login(store, "li", password, client=client(session, address), policy=POLICY).ok
    store.engine.dispose()
    return ok, bool(checked)


def _burst(store: FacilityStore, url: str, how: str, attempts: list[tuple[str, str, str]]) -> tuple[int, int]:
    """Run (password, session, address) attempts at the same moment; returns (accepted, checked)."""
    real = _real_hash(store)
    if how == "processes":
        ctx = mp.get_context("fork")
        with ctx.Manager() as manager:
            barrier = manager.Barrier(len(attempts))
            with ctx.Pool(len(attempts)) as pool:
                out = pool.starmap(_attempt_in_process, [(url, *a, real, barrier) for a in attempts])
        return sum(ok for ok, _ in out), sum(c for _, c in out)
    barrier_t = threading.Barrier(len(attempts))
    results: list[bool] = [False] * len(attempts)
    checked: list[int] = []
    original = PasswordHasher.verify

    def counting(self: PasswordHasher, hash_: str, pw: str) -> bool:
        if hash_ == real:
            checked.append(1)
        return original(self, hash_, pw)

    def run(i: int) -> None:
        password, session, address = attempts[i]
        barrier_t.wait()
        results[i] = auth.verify_login(
            store, "li", password, client=client(session, address), policy=POLICY
        ).ok

    PasswordHasher.verify = counting  # type: ignore[method-assign]
    try:
        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(attempts))]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        PasswordHasher.verify = original  # type: ignore[method-assign]
    return sum(results), len(checked)


@pytest.mark.usefixtures("cheap_hashing")
@pytest.mark.parametrize("how", ["threads", "processes"])
@pytest.mark.parametrize("n", [20, 40])
def test_parallel_wrong_passwords_are_counted_exactly(
    accounts: FacilityStore, any_db_url: str, how: str, n: int
) -> None:
    auth.add_user(accounts, "li", PASSWORD, role="editor")
    assert login(accounts, "li", PASSWORD, client("home", "198.51.100.7")).ok  # a known address
    # From one client: its session allows exactly max_per_session checks.
    accepted, checked = _burst(accounts, any_db_url, how, [(WRONG, "attacker", "203.0.113.1")] * n)
    assert (accepted, checked) == (0, POLICY.max_per_session)
    auth.unlock_account(accounts, "li")  # those five also counted on the account's budget
    # From n clients at once: the account allows exactly max_per_account_unknown_clients checks.
    spread = [(WRONG, f"bot{i}", f"203.0.114.{i + 1}") for i in range(n)]
    accepted, checked = _burst(accounts, any_db_url, how, spread)
    assert (accepted, checked) == (0, POLICY.max_per_account_unknown_clients)
    # Once the limit is hit, the right password in a burst is never accepted (nor checked).
    mixed = [(PASSWORD if i % 4 == 0 else WRONG, f"late{i}", f"203.0.115.{i + 1}") for i in range(20)]
    assert _burst(accounts, any_db_url, how, mixed) == (0, 0)
    # The real user from a clean client still gets in.
    assert login(accounts, "li", PASSWORD, client("home-again", "198.51.100.7")).ok


@pytest.mark.slow
def test_forty_logins_at_once_hold_the_memory_of_two_argon2_checks(tmp_path: Any) -> None:
    code = r"""
import json, sys, threading
from geo import auth
from geo.store import open_store

def kib(field):
    for line in open('/proc/self/status'):
        if line.startswith(field + ':'):
            return int(line.split()[1])

store = open_store(sys.argv[1], create=False)
store.create_schema()
auth.add_user(store, "li", "correct horse battery", role="editor")
auth.verify_login(store, "li", "warm up password")
before = kib('VmRSS')
barrier = threading.Barrier(40)
policy = auth.LoginPolicy(hash_wait_s=600.0, max_per_session=100, max_per_address=100,
                          max_per_account_unknown_clients=100)
def run(i):
    barrier.wait()
    auth.verify_login(store, "li" if i % 2 else f"ghost{i}", "wrong password",
                      client=auth.LoginClient(f"s{i}", f"198.18.0.{i + 1}"), policy=policy)
threads = [threading.Thread(target=run, args=(i,)) for i in range(40)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({"before_mib": before / 1024, "peak_mib": kib('VmHWM') / 1024}))
"""
    url = f"sqlite:///{tmp_path / 'rss.db'}"
    done = subprocess.run(
        [sys.executable, "-c", code, url], capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    # Two argon2 checks of 64 MiB each, plus threads: far from 40 × 64 MiB = 2.5 GiB.
    assert figures["peak_mib"] - figures["before_mib"] < 300, figures


# --- client addresses ------------------------------------------------------------------------------

PROXY = auth.parse_trusted_proxies("127.0.0.1, 10.0.0.0/24, ::1")


@pytest.mark.parametrize(
    ("peer", "headers", "trusted", "expected"),
    [
        ("203.0.113.5", {"X-Forwarded-For": "1.2.3.4"}, PROXY, "203.0.113.5"),  # not a proxy: ignored
        ("203.0.113.5", {"X-Forwarded-For": "1.2.3.4"}, (), "203.0.113.5"),
        ("127.0.0.1", {"X-Forwarded-For": "1.2.3.4"}, (), "127.0.0.1"),  # nothing configured
        ("127.0.0.1", {"X-Forwarded-For": "198.51.100.2"}, PROXY, "198.51.100.2"),
        ("127.0.0.1", {"X-Forwarded-For": "6.6.6.6, 198.51.100.2, 10.0.0.3"}, PROXY, "198.51.100.2"),
        (
            "127.0.0.1",
            [("x-forwarded-for", "6.6.6.6"), ("X-Forwarded-For", "198.51.100.2")],
            PROXY,
            "198.51.100.2",
        ),
        ("127.0.0.1", {"X-Forwarded-For": "garbage, 198.51.100.2"}, PROXY, "198.51.100.2"),
        ("127.0.0.1", {"X-Forwarded-For": "198.51.100.2, garbage"}, PROXY, "127.0.0.1"),
        ("127.0.0.1", {"X-Real-IP": "198.51.100.3"}, PROXY, "198.51.100.3"),
        ("127.0.0.1", {"X-Forwarded-For": "[2001:db8::5]:443"}, PROXY, "2001:db8::5"),
        ("127.0.0.1", {"X-Forwarded-For": "198.51.100.2:5555"}, PROXY, "198.51.100.2"),
        ("::ffff:127.0.0.1", {"X-Forwarded-For": "198.51.100.2"}, PROXY, "198.51.100.2"),
        (None, {}, PROXY, None),
        ("not an ip", {}, PROXY, None),
    ],
)
def test_client_address_trusts_forwarded_headers_only_from_configured_proxies(
    peer: str | None, headers: Any, trusted: Any, expected: str | None
) -> None:
    assert auth.client_address(peer, headers, trusted) == expected


def test_address_buckets() -> None:
    assert auth.address_bucket("203.0.113.5") == "203.0.113.5"
    assert auth.address_bucket("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert auth.address_bucket("::ffff:203.0.113.5") == "203.0.113.5"
    assert auth.address_bucket(None) == auth.address_bucket("x") == "-"


def test_trusted_proxies_setting() -> None:
    assert auth.parse_trusted_proxies("") == ()
    assert [str(n) for n in auth.parse_trusted_proxies("10.0.0.1; 192.168.0.0/16")] == [
        "10.0.0.1/32",
        "192.168.0.0/16",
    ]
    with pytest.raises(DataError, match="nginx"):
        auth.parse_trusted_proxies("10.0.0.1, nginx")


# --- accounts from before name keys --------------------------------------------------------------


@pytest.mark.usefixtures("cheap_hashing")
def test_upgrade_gives_old_accounts_keys_and_every_one_still_logs_in(any_db_url: str) -> None:
    from geo import db
    from tests.unit.test_migrate import load_v1_dump

    load_v1_dump(any_db_url)  # version 1's store: an editor "wang" ("a long enough secret")
    engine = db.create_engine(any_db_url)
    with engine.begin() as conn:  # version 1 allowed names that differ only in case or width
        for name, created in (
            ("Wang", "2026-12-01T00:00:00+00:00"),
            ("ｗａｎｇ", "2026-11-01T00:00:00+00:00"),
        ):
            conn.execute(
                sa.text(
                    "INSERT INTO users (name, password_hash, role, created_at, failed_logins) "
                    "VALUES (:n, :h, 'editor', :c, 0)"
                ),
                {"n": name, "h": PasswordHasher().hash(f"password of {name}"), "c": created},
            )
    engine.dispose()
    store = open_store(any_db_url, create=False)
    store.create_schema()
    with store.engine.connect() as conn:
        keys = dict(conn.execute(sa.select(users.c.name, users.c.name_key)).all())
    assert keys == {"wang": "wang", "ｗａｎｇ": "wang#2", "Wang": "wang#3"}
    assert login(store, "wang", "a long enough secret", client("a")).ok
    assert login(store, "WANG", "a long enough secret", client("b")).ok  # the key finds "wang"
    for name in ("Wang", "ｗａｎｇ"):  # the exact spelling finds the others
        result = login(store, name, f"password of {name}", client(f"c-{name}"))
        assert result.ok and result.user is not None and result.user.name == name
    auth.remove_user(store, "ｗａｎｇ")
    assert sorted(u.name for u in auth.list_users(store)) == ["Wang", "wang"]
    store.engine.dispose()
