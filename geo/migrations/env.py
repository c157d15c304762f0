"""Alembic environment of the facility store.

The program runs migrations through ``geo.migrate.upgrade``, which opens the transaction, takes the
schema lock and hands its connection over in ``config.attributes["connection"]``. A developer may
also run the ``alembic`` command from the repository root (``alembic.ini`` there points here); it
connects to ``$DATABASE_URL`` (else ``data/carecircle.db``) and migrates under the same lock.
"""

from __future__ import annotations

import logging.config

from alembic import context
from sqlalchemy.engine import Connection

from geo import migrate

config = context.config
if config.config_file_name is not None and "connection" not in config.attributes:
    logging.config.fileConfig(config.config_file_name, disable_existing_loggers=False)


def _run(connection: Connection) -> None:
    context.configure(connection=connection, **migrate.context_options(dialect_name=connection.dialect.name))
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    # ``alembic upgrade head --sql``: print the SQL for a database administrator instead of running it.
    url = migrate.offline_url()
    context.configure(url=url, **migrate.context_options(dialect_name=url.split(":", 1)[0].split("+")[0]))
    with context.begin_transaction():
        context.run_migrations()
elif (connection := config.attributes.get("connection")) is not None:
    _run(connection)
else:
    migrate.upgrade_from_alembic_command(config, _run)
