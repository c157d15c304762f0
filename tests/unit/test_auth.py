"""Tests of geo.auth: accounts, argon2 hashes, same answer for unknown names, slowed-down failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from geo import auth
from geo.errors import ConflictError, DataError, NotFoundError
from geo.store import FacilityStore, open_store, users

PASSWORD = "correct horse battery"
T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> FacilityStore:
    s = open_store(f"sqlite:///{tmp_path / 's.db'}", create=False)
    s.create_schema()
    return s


def test_no_default_accounts(store: FacilityStore) -> None:
    assert auth.list_users(store) == []
    for name, password in (("admin", "admin"), ("admin", "password"), ("root", "")):
        assert not auth.verify_login(store, name, password).ok


def test_add_list_remove(store: FacilityStore) -> None:
    auth.add_user(store, "wang.li", PASSWORD, role="editor")
    auth.add_user(store, "admin1", PASSWORD + "!", role="admin")
    assert [(u.name, u.role) for u in auth.list_users(store)] == [("admin1", "admin"), ("wang.li", "editor")]
    with pytest.raises(ConflictError):
        auth.add_user(store, "wang.li", PASSWORD, role="editor")
    auth.remove_user(store, "wang.li")
    assert [u.name for u in auth.list_users(store)] == ["admin1"]
    with pytest.raises(NotFoundError):
        auth.remove_user(store, "wang.li")


def test_password_stored_as_argon2_hash_only(store: FacilityStore) -> None:
    auth.add_user(store, "li", PASSWORD, role="editor")
    with store.engine.connect() as conn:
        stored = conn.execute(sa.select(users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


@pytest.mark.parametrize(
    ("name", "password", "role"),
    [
        ("li", "short", "editor"),
        ("li", PASSWORD, "boss"),
        ("", PASSWORD, "editor"),
        ("a b", PASSWORD, "editor"),
        ("li_password", "li_password", "editor"),
    ],
)
def test_bad_accounts_rejected(store: FacilityStore, name: str, password: str, role: str) -> None:
    with pytest.raises(DataError):
        auth.add_user(store, name, password, role=role)
    assert auth.list_users(store) == []


def test_right_password_logs_in_wrong_one_is_rejected(store: FacilityStore) -> None:
    auth.add_user(store, "li", PASSWORD, role="admin")
    ok = auth.verify_login(store, "li", PASSWORD, now=T0)
    assert ok.ok and ok.user is not None and ok.user.role == "admin" and ok.retry_after_s == 0
    bad = auth.verify_login(store, "li", PASSWORD + "x", now=T0)
    assert not bad.ok and bad.user is None
    assert auth.get_user(store, "li").failed_logins == 1


def test_unknown_name_and_wrong_password_give_the_same_answer(store: FacilityStore) -> None:
    auth.add_user(store, "li", PASSWORD, role="editor")
    unknown = auth.verify_login(store, "nobody", PASSWORD, now=T0)
    wrong = auth.verify_login(store, "li", "nope nope nope", now=T0)
    assert (unknown.ok, unknown.message_zh, unknown.message_en) == (
        wrong.ok,
        wrong.message_zh,
        wrong.message_en,
    )


def test_repeated_failures_are_slowed_down_exponentially(store: FacilityStore) -> None:
    auth.add_user(store, "li", PASSWORD, role="editor")
    now = T0
    for _ in range(auth.FREE_ATTEMPTS - 1):
        assert auth.verify_login(store, "li", "wrong password", now=now).retry_after_s == 0
    third = auth.verify_login(store, "li", "wrong password", now=now)
    assert third.retry_after_s == auth.BASE_DELAY_S
    # During the wait even the right password is refused, and the refusal is not counted.
    locked = auth.verify_login(store, "li", PASSWORD, now=now + timedelta(seconds=1))
    assert not locked.ok and 0 < locked.retry_after_s <= auth.BASE_DELAY_S
    assert "try again" in locked.message_en
    assert auth.get_user(store, "li").failed_logins == auth.FREE_ATTEMPTS
    # After the wait, another failure doubles the delay.
    now += timedelta(seconds=auth.BASE_DELAY_S + 0.1)
    fourth = auth.verify_login(store, "li", "wrong password", now=now)
    assert fourth.retry_after_s == 2 * auth.BASE_DELAY_S
    # After that wait the right password works and resets the counter.
    now += timedelta(seconds=2 * auth.BASE_DELAY_S + 0.1)
    assert auth.verify_login(store, "li", PASSWORD, now=now).ok
    assert auth.get_user(store, "li").failed_logins == 0


def test_delay_is_capped() -> None:
    assert [auth.lockout_delay_s(n) for n in range(5)] == [0, 0, 0, 2, 4]
    assert auth.lockout_delay_s(10_000) == auth.MAX_DELAY_S


def test_set_password(store: FacilityStore) -> None:
    auth.add_user(store, "li", PASSWORD, role="editor")
    auth.set_password(store, "li", "a new long password")
    assert not auth.verify_login(store, "li", PASSWORD).ok
    assert auth.verify_login(store, "li", "a new long password").ok
    with pytest.raises(NotFoundError):
        auth.set_password(store, "nobody", "a new long password")
