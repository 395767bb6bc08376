"""Bringing a database to the newest schema, safely when several processes start at once."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, text

from adapters import mariadb
from adapters.database_url import normalize_database_url
from adapters.engine import storage_errors

#: The migrations ship inside the package, so this works from a wheel as from a checkout.
MIGRATIONS: Final = Path(__file__).resolve().parent / "migrations"

#: pg_advisory_xact_lock key every users-service process takes around its migrations.
MIGRATION_LOCK_KEY: Final = 0x75736572  # "user"


def alembic_config(url: str) -> Config:
    """An Alembic configuration for `url`, independent of any alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Not set_main_option: a password may hold "%", which ConfigParser would interpolate.
    config.attributes["database_url"] = normalize_database_url(url)
    return config


def upgrade_to_head(url: str) -> None:
    """Applies every migration the database lacks. Several processes may call this at once:
    one migrates while the others wait, then find nothing to do.

    Raises StorageUnavailableError when the database cannot be reached.
    """
    with storage_errors():
        command.upgrade(alembic_config(url), "head")


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection holding the migration lock, in one transaction committed at the end.

    PostgreSQL: a transaction-scoped advisory lock (DDL is transactional there).
    MariaDB/MySQL: a named lock (GET_LOCK); DDL commits implicitly there, statement by statement.
    SQLite: an exclusive file lock on `<database>.migrate.lock`.
    """
    if mariadb.is_mysql(engine.dialect):
        with engine.connect() as connection, mariadb.migration_lock(connection):
            yield connection
            connection.commit()
        return
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            # Migrations may outlast the service's statement timeout, and so may waiting.
            connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
            yield connection
            connection.commit()
        return
    database = engine.url.database
    with _file_lock(database), engine.connect() as connection:
        yield connection
        connection.commit()


@contextmanager
def _file_lock(database: str | None) -> Iterator[None]:
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate.lock", "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
