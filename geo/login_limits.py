"""Failed-login counters, known clients and the log of recent failures, in the store.

The policy lives in :mod:`geo.auth`; this module only reads and writes the tables
(``login_counters``, ``login_known_clients``, ``login_failures`` in :mod:`geo.store`).

A counter is a row per ``(scope, subject)`` — scope ``session``, ``address`` or ``account`` — with
the attempts counted in a fixed window that began at ``window_start`` (seconds since the epoch).
An attempt is counted **before** its password is checked, by one ``INSERT … ON CONFLICT DO UPDATE
… WHERE count < limit RETURNING count`` statement: the database counts and compares in the same
statement, so of twenty parallel attempts exactly ``limit`` get a row back and the others none,
on SQLite (whose writers queue) and on PostgreSQL (where the conflicting row is locked) alike. A
successful login gives its count back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.store import login_counters, login_failures, login_known_clients

__all__ = [
    "SCOPES",
    "CounterRow",
    "FailureRecord",
    "Slot",
    "clear",
    "give_back",
    "is_known",
    "limited",
    "log_failure",
    "prune",
    "recent",
    "remember",
    "reserve",
    "take",
]

SCOPE_SESSION: Final = "session"
SCOPE_ADDRESS: Final = "address"
SCOPE_ACCOUNT: Final = "account"
SCOPES: Final = (SCOPE_SESSION, SCOPE_ADDRESS, SCOPE_ACCOUNT)


@dataclass(frozen=True)
class Slot:
    """One counter an attempt is counted on, and how many attempts its window allows."""

    scope: str
    subject: str
    limit: int


@dataclass(frozen=True)
class CounterRow:
    """A counter as stored."""

    scope: str
    subject: str
    count: int
    window_start: float
    last_at: float


@dataclass(frozen=True)
class FailureRecord:
    """One failed login as logged (``outcome``: ``wrong_password``, ``unknown_name`` or ``limited``)."""

    at: float
    name_typed: str
    name_key: str
    account_exists: bool
    address: str
    session: str
    outcome: str


def _insert(conn: Connection) -> Any:
    """The dialect's INSERT with ON CONFLICT (SQLite and PostgreSQL spell it the same)."""
    from sqlalchemy.dialects import postgresql, sqlite

    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def take(conn: Connection, slot: Slot, *, now_s: float, window_s: float) -> int | None:
    """Count one attempt on ``slot`` in one statement.

    Returns
    -------
    int or None
        The new count, or None when the slot's window is at its limit (nothing changed).
    """
    table = login_counters
    expired = table.c.window_start <= now_s - window_s
    stmt = (
        _insert(conn)(table)
        .values(scope=slot.scope, subject=slot.subject, count=1, window_start=now_s, last_at=now_s)
        .on_conflict_do_update(
            index_elements=[table.c.scope, table.c.subject],
            set_={
                "count": sa.case((expired, 1), else_=table.c.count + 1),
                "window_start": sa.case((expired, now_s), else_=table.c.window_start),
                "last_at": now_s,
            },
            where=sa.or_(expired, table.c.count < slot.limit),
        )
        .returning(table.c.count)
    )
    row = conn.execute(stmt).first()
    return None if row is None else int(row[0])


def reserve(conn: Connection, slots: Sequence[Slot], *, now_s: float, window_s: float) -> bool:
    """Count one attempt on every slot, in order; False as soon as one is at its limit.

    On False the caller must roll back its transaction, so that a refused attempt is counted nowhere.
    """
    return all(take(conn, slot, now_s=now_s, window_s=window_s) is not None for slot in slots)


def give_back(conn: Connection, slots: Sequence[Slot], *, now_s: float, window_s: float) -> None:
    """Undo one counted attempt on each slot (a login that succeeded), within the current window."""
    table = login_counters
    for slot in slots:
        conn.execute(
            table.update()
            .where(
                table.c.scope == slot.scope,
                table.c.subject == slot.subject,
                table.c.window_start > now_s - window_s,
                table.c.count > 0,
            )
            .values(count=table.c.count - 1)
        )


def is_known(conn: Connection, name_key: str, address: str, *, since_s: float) -> bool:
    """Whether the account logged in successfully from ``address`` at or after ``since_s``."""
    table = login_known_clients
    found = conn.execute(
        sa.select(table.c.last_ok_at).where(
            table.c.name_key == name_key, table.c.address == address, table.c.last_ok_at >= since_s
        )
    ).first()
    return found is not None


def remember(conn: Connection, name_key: str, address: str, *, now_s: float) -> None:
    """Record a successful login of the account from ``address``."""
    table = login_known_clients
    stmt = (
        _insert(conn)(table)
        .values(name_key=name_key, address=address, last_ok_at=now_s)
        .on_conflict_do_update(index_elements=[table.c.name_key, table.c.address], set_={"last_ok_at": now_s})
    )
    conn.execute(stmt)


def log_failure(conn: Connection, record: FailureRecord, *, keep: int) -> None:
    """Append a failed login to the log and drop all but the newest ``keep`` entries."""
    table = login_failures
    conn.execute(table.insert().values(**record.__dict__))
    newest = sa.select(sa.func.max(table.c.id)).scalar_subquery()
    conn.execute(table.delete().where(table.c.id <= newest - keep))


def prune(conn: Connection, *, now_s: float, window_s: float, known_since_s: float) -> None:
    """Delete counters whose window has ended and known clients not seen since ``known_since_s``."""
    conn.execute(login_counters.delete().where(login_counters.c.window_start <= now_s - window_s))
    conn.execute(login_known_clients.delete().where(login_known_clients.c.last_ok_at < known_since_s))


def limited(
    conn: Connection, *, now_s: float, window_s: float, limits: Mapping[str, int]
) -> list[CounterRow]:
    """Counters at their scope's limit in a window that has not ended, longest-running first."""
    table = login_counters
    rows = conn.execute(
        sa.select(table).where(table.c.window_start > now_s - window_s).order_by(table.c.window_start)
    ).mappings()
    found = [CounterRow(**dict(r)) for r in rows]
    return [r for r in found if r.scope in limits and r.count >= limits[r.scope]]


def recent(
    conn: Connection, *, since_s: float, limit: int, name_key: str | None = None
) -> list[FailureRecord]:
    """Failed logins at or after ``since_s``, newest first (of one account when ``name_key``)."""
    table = login_failures
    query = sa.select(*[table.c[f] for f in FailureRecord.__dataclass_fields__]).where(table.c.at >= since_s)
    if name_key is not None:
        query = query.where(table.c.name_key == name_key)
    rows = conn.execute(query.order_by(table.c.id.desc()).limit(limit)).mappings()
    return [FailureRecord(**{**dict(r), "account_exists": bool(r["account_exists"])}) for r in rows]


def clear(conn: Connection, *, scope: str, subject: str) -> int:
    """Delete one counter; returns how many attempts it held."""
    table = login_counters
    held = conn.execute(
        sa.select(table.c.count).where(table.c.scope == scope, table.c.subject == subject)
    ).scalar()
    conn.execute(table.delete().where(table.c.scope == scope, table.c.subject == subject))
    return int(held or 0)
