"""Login limits: a canonical key per user name, failed-login counters, known clients, recent failures.

- ``users.name_key``: the user name NFKC-normalised and case-folded, unique, so that ``wang``,
  ``Wang`` and ``ｗａｎｇ`` are one account. Existing rows get their key here; should old names fold
  to the same key, a name that already is its key (else the oldest) keeps it and the others get
  ``key#2``, ``key#3``…: they still log in by their exact spelling (``geo.auth`` looks up the exact
  name first), and an administrator can rename them.
- ``login_counters``: failed attempts per scope (session, address, account) in a fixed window,
  changed only by single-statement upserts so that parallel attempts are counted exactly.
- ``login_known_clients``: addresses an account has logged in from; they are not held to the
  account's budget for unknown clients.
- ``login_failures``: the most recent failed attempts, for ``python -m geo users failures``.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _key(name: str) -> str:
    # The canonical key as defined at this revision (geo.auth.name_key may grow; this must not).
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold()).strip()


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("name_key", sa.Text, nullable=True))
    conn = op.get_bind()
    users = sa.table(
        "users", sa.column("name", sa.Text), sa.column("name_key", sa.Text), sa.column("created_at", sa.Text)
    )
    taken: dict[str, int] = {}
    rows = conn.execute(sa.select(users.c.name, users.c.created_at)).all()
    # A name that already is its key keeps it; then the oldest account.
    for name, _created in sorted(rows, key=lambda r: (_key(r[0]) != r[0], r[1], r[0])):
        key = _key(name)
        seen = taken.get(key, 0)
        taken[key] = seen + 1
        conn.execute(
            users.update()
            .where(users.c.name == name)
            .values(name_key=key if seen == 0 else f"{key}#{seen + 1}")
        )
    with op.batch_alter_table("users") as batch:
        batch.alter_column("name_key", existing_type=sa.Text, nullable=False)
        batch.create_index("ix_users_name_key", ["name_key"], unique=True)

    op.create_table(
        "login_counters",
        sa.Column("scope", sa.Text, primary_key=True),
        sa.Column("subject", sa.Text, primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("window_start", sa.Float, nullable=False),
        sa.Column("last_at", sa.Float, nullable=False),
    )
    op.create_index("ix_login_counters_window_start", "login_counters", ["window_start"])
    op.create_table(
        "login_known_clients",
        sa.Column("name_key", sa.Text, primary_key=True),
        sa.Column("address", sa.Text, primary_key=True),
        sa.Column("last_ok_at", sa.Float, nullable=False),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("name_typed", sa.Text, nullable=False),
        sa.Column("name_key", sa.Text, nullable=False),
        sa.Column("account_exists", sa.Boolean, nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("session", sa.Text, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
    )
    op.create_index("ix_login_failures_name_key", "login_failures", ["name_key"])


def downgrade() -> None:
    op.drop_index("ix_login_failures_name_key", table_name="login_failures")
    op.drop_table("login_failures")
    op.drop_table("login_known_clients")
    op.drop_index("ix_login_counters_window_start", table_name="login_counters")
    op.drop_table("login_counters")
    with op.batch_alter_table("users") as batch:
        batch.drop_index("ix_users_name_key")
        batch.drop_column("name_key")
