"""Engines that fail fast: bounded connect and statement times, SQLite in WAL mode.

Also the one place that turns database exceptions into domain errors, so nothing
SQLAlchemy-specific leaves the adapter.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

from sqlalchemy import Engine, create_engine, event, exc, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

from adapters import mariadb
from adapters.database_url import normalize_database_url
from adapters.search import CONNECT_SEARCH_INDEX
from domain.errors import DuplicateNameError, StorageUnavailableError

CONNECT_TIMEOUT_S: Final = 3
STATEMENT_TIMEOUT_MS: Final = 5000
POOL_TIMEOUT_S: Final = 5
SQLITE_BUSY_TIMEOUT_MS: Final = 5000
NAME_KEY_CONSTRAINT: Final = "uq_users_name_key"
#: A request waiting this long on a server that took a query but never answers (hung,
#: frozen: its kernel still acknowledges TCP, so keepalives notice nothing) is given up on
#: (entrypoints/http/app.py); when the server runs, its own statement timeout fires first.
ANSWER_BOUND_S: Final = STATEMENT_TIMEOUT_MS / 1000 + 2


class StorageError(RuntimeError):
    """The database refused a request for a reason that is a bug here, not an outage
    (a CHECK violation, bad SQL). Carries no driver text; the cause is chained for logs."""


def create_engine_for(url: str, *, pool_size: int = 10, max_overflow: int = 10) -> Engine:
    """An engine for a PostgreSQL, MariaDB/MySQL or SQLite URL in any spelling
    normalize_database_url takes."""
    parsed = make_url(normalize_database_url(url))
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, pool_size, max_overflow)
    return _server_engine(parsed, pool_size, max_overflow, autocommit=False)


def create_reading_engine_for(url: str, *, pool_size: int, max_overflow: int) -> Engine | None:
    """For units of work marked reading() (domain/ports.py): an engine whose pooled
    connections stay in autocommit, so a read is its statement alone, without the BEGIN and
    ROLLBACK around it (a GET's three round trips become one), and nothing is rolled back
    when a connection returns to the pool. A separate pool, because switching a pooled
    connection in and out of autocommit costs round trips of its own on MariaDB/MySQL.

    None for SQLite: its transaction is one snapshot, which reading units keep (and BEGIN
    costs no round trip there)."""
    parsed = make_url(normalize_database_url(url))
    if parsed.get_backend_name() == "sqlite":
        return None
    return _server_engine(parsed, pool_size, max_overflow, autocommit=True)


def _server_engine(url: URL, pool_size: int, max_overflow: int, *, autocommit: bool) -> Engine:
    # AUTOCOMMIT is set once per connection, when it is made; skip_autocommit_rollback
    # stops the ROLLBACK SQLAlchemy would otherwise send when the Connection closes.
    isolation = (
        {"isolation_level": "AUTOCOMMIT", "skip_autocommit_rollback": True} if autocommit else {}
    )
    if url.get_backend_name() == "mysql":
        return mariadb.create_mysql_engine(
            url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=POOL_TIMEOUT_S,
            connect_timeout_s=CONNECT_TIMEOUT_S,
            statement_timeout_ms=STATEMENT_TIMEOUT_MS,
            answer_bound_s=ANSWER_BOUND_S,
            isolation=isolation or {"isolation_level": "READ COMMITTED"},
        )
    return create_engine(
        url,
        **isolation,
        # No pre-ping (a round trip per checkout): SqlAlchemyUnitOfWork runs a unit of work's
        # first statement again on a new connection when the pooled one turns out dead.
        pool_pre_ping=False,
        # No second ROLLBACK on every check-in: a SQLAlchemy Connection ends its own
        # transaction before it returns to the pool.
        pool_reset_on_return=None,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=POOL_TIMEOUT_S,
        connect_args={
            "connect_timeout": CONNECT_TIMEOUT_S,
            "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
            " -c idle_in_transaction_session_timeout=60000",
            "application_name": "users-service",
            # A server that vanishes mid-query is noticed by TCP, not after minutes.
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 3,
            "keepalives_count": 3,
            "tcp_user_timeout": 10_000,
        },
    )


def _sqlite_engine(url: URL, pool_size: int, max_overflow: int) -> Engine:
    in_memory = url.database in (None, "", ":memory:")
    options: dict[str, Any] = (
        {"poolclass": StaticPool}  # one shared connection, or each would see its own database
        if in_memory
        else {"pool_size": pool_size, "max_overflow": max_overflow, "pool_timeout": POOL_TIMEOUT_S}
    )
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        **options,
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # SQLAlchemy emits BEGIN itself (below): the sqlite3 module's legacy mode would
        # leave SELECTs outside the transaction.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(CONNECT_SEARCH_INDEX)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


def check_database(engine: Engine) -> None:
    """Runs SELECT 1. Raises StorageUnavailableError when the database does not answer."""
    with storage_errors(), engine.connect() as connection:
        connection.execute(text("SELECT 1")).scalar_one()


def _is_name_key_violation(error: exc.IntegrityError) -> bool:
    diagnostics = getattr(error.orig, "diag", None)
    if diagnostics is not None:  # psycopg2
        return getattr(diagnostics, "constraint_name", None) == NAME_KEY_CONSTRAINT
    if mariadb.is_name_key_violation(error, NAME_KEY_CONSTRAINT):
        return True
    message = str(error.orig)  # sqlite3: "UNIQUE constraint failed: users.name_key"
    return "UNIQUE" in message and "users.name_key" in message


@contextmanager
def storage_errors(name: str | None = None) -> Iterator[None]:
    """Translates database exceptions raised inside the block into domain errors.

    With `name`, a violation of the name key becomes DuplicateNameError(name).
    """
    try:
        yield
    except exc.IntegrityError as error:
        if name is not None and _is_name_key_violation(error):
            raise DuplicateNameError(name) from None
        raise StorageError("the database refused the change") from error
    except (
        exc.OperationalError,  # unreachable, timed out, locked, cancelled, deadlock
        exc.InterfaceError,
        exc.DisconnectionError,
        exc.TimeoutError,  # no pooled connection came free in time
    ) as error:
        raise StorageUnavailableError("the database is not available") from error
    except exc.DBAPIError as error:
        if error.connection_invalidated:
            raise StorageUnavailableError("the database connection was lost") from error
        raise StorageError("the database refused the request") from error
    except exc.SQLAlchemyError as error:
        raise StorageError("the database request failed") from error
