"""Engines that fail fast: bounded connect and statement times, pre-ping, SQLite in WAL mode.

Also the one place that turns database exceptions into domain errors, so nothing
SQLAlchemy-specific leaves the adapter.
"""

from __future__ import annotations

import select
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import psycopg2  # type: ignore[import-untyped]
from psycopg2 import extensions
from sqlalchemy import Engine, create_engine, event, exc, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

from adapters import mariadb
from adapters.cooperative import READ, WRITE, WaitTimedOut, in_cooperative_call, wait_socket
from adapters.database_url import normalize_database_url
from adapters.search import CONNECT_SEARCH_INDEX
from domain.errors import DuplicateNameError, StorageUnavailableError

CONNECT_TIMEOUT_S: Final = 3
STATEMENT_TIMEOUT_MS: Final = 5000
POOL_TIMEOUT_S: Final = 5
SQLITE_BUSY_TIMEOUT_MS: Final = 5000
NAME_KEY_CONSTRAINT: Final = "uq_users_name_key"
#: A server that took a query but never answers (hung, frozen: its kernel still acknowledges
#: TCP, so keepalives notice nothing) is given up on after this; when the server runs, its
#: own statement timeout fires first.
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
    if parsed.get_backend_name() == "mysql":
        return mariadb.create_mysql_engine(
            parsed,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=POOL_TIMEOUT_S,
            connect_timeout_s=CONNECT_TIMEOUT_S,
            statement_timeout_ms=STATEMENT_TIMEOUT_MS,
            answer_bound_s=ANSWER_BOUND_S,
        )
    return create_engine(
        parsed,
        # No pre-ping (a round trip per checkout): SqlAlchemyUnitOfWork runs a unit of work's
        # first statement again on a new connection when the pooled one turns out dead.
        pool_pre_ping=False,
        # No ROLLBACK call on every check-in: a unit of work ends its own transaction
        # (adapters.unit_of_work) and a SQLAlchemy Connection ends its own before it returns.
        pool_reset_on_return=None,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=POOL_TIMEOUT_S,
        connect_args={
            "connect_timeout": CONNECT_TIMEOUT_S,
            # Generic plans for the prepared statements (adapters.compiled): each of them
            # has one good plan whatever its values (tests/integration/test_query_plans.py),
            # and left to choose, PostgreSQL planned an offset page anew on every execution
            # (its generic plan's estimate, blind to LIMIT and OFFSET, looked dearer): about
            # 110 us of its CPU per offset page.
            "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
            " -c idle_in_transaction_session_timeout=60000"
            " -c plan_cache_mode=force_generic_plan",
            "application_name": "users-service",
            # A server that vanishes mid-query is noticed by TCP, not after minutes.
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 3,
            "keepalives_count": 3,
            "tcp_user_timeout": 10_000,
        },
    )


def bound_postgres_waits() -> None:
    """Every psycopg2 wait in this process gives up after ANSWER_BOUND_S (CONNECT_TIMEOUT_S
    while connecting) with an error SQLAlchemy reads as a lost connection (so a 503).

    psycopg2 has one wait callback per process and it puts connections in asynchronous mode
    (no COPY), so only the service calls this, when it builds its app: after migrating, which
    may wait longer under its lock.
    """
    extensions.set_wait_callback(_bounded_wait)


def _bounded_wait(connection: Any) -> None:
    connecting = connection.status == extensions.STATUS_SETUP
    deadline = time.monotonic() + (CONNECT_TIMEOUT_S if connecting else ANSWER_BOUND_S)
    if in_cooperative_call():  # on the event loop: let it run while the server answers
        while True:
            state = connection.poll()
            if state == extensions.POLL_OK:
                return
            try:
                wait_socket(connection.fileno(), _DIRECTIONS[state], deadline)
            except WaitTimedOut:
                raise _no_answer() from None
    poller = select.poll()  # not select.select: no limit on the descriptor number
    events = {extensions.POLL_READ: select.POLLIN, extensions.POLL_WRITE: select.POLLOUT}
    while True:
        state = connection.poll()
        if state == extensions.POLL_OK:
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _no_answer()
        poller.register(connection.fileno(), events[state])
        poller.poll(remaining * 1000)
        poller.unregister(connection.fileno())


_DIRECTIONS: Final = {extensions.POLL_READ: READ, extensions.POLL_WRITE: WRITE}


def _no_answer() -> Exception:
    # The wording is one SQLAlchemy's psycopg2 dialect takes for a lost connection.
    error: Exception = psycopg2.OperationalError("could not receive data from server: no answer")
    return error


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
