"""The SQLAlchemy adapter's unit of work: one pooled DBAPI connection, its transaction, and
how each statement of the repository (adapters.sql) reaches the server."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from select import POLLIN, poll
from types import TracebackType
from typing import Any, Final, TypeVar, cast

from sqlalchemy import Engine, exc
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import ClauseElement

from adapters.compiled import PreparedForm, StatementCache
from adapters.engine import StorageError, storage_errors
from adapters.sql import Row, SqlAlchemyUserRepository
from domain.errors import StorageUnavailableError

T = TypeVar("T")

#: Values for the driver: by name, by position (EXECUTE of a prepared statement), or none.
Parameters = Mapping[str, Any] | tuple[Any, ...] | None
#: Where a pooled DBAPI connection keeps the names of the statements prepared on it (the
#: pool clears a connection's info when it replaces the connection).
_PREPARED_KEY: Final = "users_service.prepared"

#: A unit of work's first statement is run again on another connection when the pooled one
#: turns out dead; more tries than the service's pool holds connections (16 + 8).
RECONNECT_ATTEMPTS: Final = 32


class SqlAlchemyUnitOfWork:
    """One pooled DBAPI connection and one transaction from `with` to its end; no commit()
    rolls back. Statements are compiled once (adapters.compiled) and run on the cursor.

    On PostgreSQL (`pipelined`) the connection runs in psycopg2's autocommit mode and the
    unit of work sends BEGIN itself, in the same round trip as its first write ("BEGIN;
    UPDATE ..."): reads before it run without BEGIN and ROLLBACK, and a write costs no
    round trip of its own for BEGIN. Under READ COMMITTED, PostgreSQL's level here, every
    statement sees its own snapshot either way, and a plain SELECT takes no lock a
    transaction would keep, so a unit of work reads the same. SQLite keeps one transaction
    for the whole unit of work (a consistent snapshot; BEGIN IMMEDIATE when it starts with
    a write, so it never has to upgrade its lock).
    """

    def __init__(
        self, engine: Engine, statements: StatementCache, *, pipelined: bool = False
    ) -> None:
        self._engine = engine
        self._dialect = engine.dialect
        self._statements = statements
        self._pipelined = pipelined
        self._connection: PoolProxiedConnection | None = None
        self._in_transaction = False
        self._ran = False
        #: Inside commit_write with no transaction open: the write runs alone, committed by
        #: itself (PostgreSQL: one round trip for the write and its commit).
        self._write_alone = False
        self._wrote_alone = False
        self.users = SqlAlchemyUserRepository(self._execute, combined_statements=pipelined)

    def _execute(
        self,
        statement: ClauseElement,
        parameters: Mapping[str, Any],
        *,
        write: bool = False,
        prepare: bool = True,
    ) -> list[Row]:
        """Runs `statement`, beginning the transaction where due; a unit of work's first
        statement runs again on a new connection if the pooled one turns out dead.

        Instead of the pool's pre-ping (a round trip before every unit of work, about 8% of
        a GET's CPU), a connection that died in the pool (the server restarted or ended it)
        is noticed by the first statement, invalidated, and the statement runs again on
        another connection, as nothing has run in this unit of work yet.
        """
        compiled = self._statements(statement)
        bound = compiled.parameters(parameters)
        prepared = compiled.prepared if prepare and self._pipelined else None
        if write and self._write_alone:
            if self._wrote_alone:
                raise RuntimeError("commit_write takes one write statement")
            self._wrote_alone = True
            return self._execute_alone(compiled.sql, bound, prepared)
        begin = not self._in_transaction and (write or not self._pipelined)
        attempts = RECONNECT_ATTEMPTS
        while True:
            connection = self._open()
            try:
                sql, values = self._statement_for(connection, compiled.sql, bound, prepared)
                if begin:
                    if self._pipelined:
                        sql = "BEGIN;" + sql
                    else:
                        self._run(connection, "BEGIN IMMEDIATE" if write else "BEGIN", None)
                self._in_transaction = self._in_transaction or begin
                rows = self._run(connection, sql, values)
            except exc.DBAPIError as error:
                attempts -= 1
                if self._ran or not error.connection_invalidated or attempts <= 0:
                    raise
                self._in_transaction = False
                self._release()
                continue
            self._ran = True
            return rows

    def _statement_for(
        self,
        connection: PoolProxiedConnection,
        sql: str,
        parameters: dict[str, Any],
        prepared: PreparedForm | None,
    ) -> tuple[str, Parameters]:
        """The SQL and values to send: EXECUTE of the prepared form where there is one,
        after preparing it if this connection has not yet."""
        if prepared is None:
            return sql, parameters
        names: set[str] = connection.info.setdefault(_PREPARED_KEY, set())
        if prepared.name not in names:
            self._run(connection, prepared.prepare_sql, None)
            names.add(prepared.name)
        return prepared.execute_sql, prepared.values(parameters)

    def _execute_alone(
        self, sql: str, parameters: dict[str, Any], prepared: PreparedForm | None
    ) -> list[Row]:
        """A write in autocommit mode: one statement, committed when it succeeds.

        Never sent twice (it may have committed before its answer was lost); instead, an
        idle pooled connection the server has closed (restart, pg_terminate_backend) is
        seen before sending, as a socket with something to read, and replaced.
        """
        connection = self._open()
        for _ in range(RECONNECT_ATTEMPTS):
            if self._ran or not _closed_by_server(connection):
                break
            connection.invalidate()
            self._release()
            connection = self._open()
        self._ran = True
        sql, values = self._statement_for(connection, sql, parameters, prepared)
        return self._run(connection, sql, values)

    def _run(
        self, connection: PoolProxiedConnection, sql: str, parameters: Parameters
    ) -> list[Row]:
        """One statement on the DBAPI cursor; driver errors leave as SQLAlchemy's DBAPIError
        (which storage_errors translates), a lost connection invalidated."""
        dbapi = self._dialect.loaded_dbapi
        cursor = connection.cursor()
        try:
            if parameters is None:
                cursor.execute(sql)
            else:
                cursor.execute(sql, parameters)
            rows = cast(list[Row], cursor.fetchall()) if cursor.description is not None else []
            return rows
        except dbapi.Error as error:
            lost = self._dialect.is_disconnect(error, connection.dbapi_connection, cursor)
            if lost:
                connection.invalidate(error)
            raise exc.DBAPIError.instance(
                sql, parameters, error, dbapi.Error, connection_invalidated=lost
            ) from error
        finally:
            if connection.is_valid:
                cursor.close()

    def _open(self) -> PoolProxiedConnection:
        if self._connection is None:
            dbapi = self._dialect.loaded_dbapi
            with storage_errors():
                try:
                    self._connection = self._engine.raw_connection()
                except dbapi.Error as error:  # the pool lets the driver's own error through
                    raise exc.DBAPIError.instance(
                        None, None, error, dbapi.Error, connection_invalidated=True
                    ) from error
            self._set_autocommit(True)
        return self._connection

    def _set_autocommit(self, on: bool) -> None:
        """psycopg2's autocommit switch: a client-side flag, no round trip."""
        connection = self._connection
        if not self._pipelined or connection is None or not connection.is_valid:
            return
        dbapi_connection = connection.dbapi_connection
        if dbapi_connection is not None and dbapi_connection.autocommit != on:
            dbapi_connection.autocommit = on

    def _release(self) -> None:
        """Ends the transaction (rolled back unless committed) and returns the connection."""
        connection = self._connection
        if connection is None:
            return
        try:
            if self._in_transaction and connection.is_valid:
                self._in_transaction = False
                self._run(connection, "ROLLBACK", None)
            # Back to psycopg2's default for the pool's other users.
            self._set_autocommit(False)
        finally:
            self._connection = None
            connection.close()

    def __enter__(self) -> SqlAlchemyUnitOfWork:
        if self._connection is not None:
            raise RuntimeError("this unit of work is already in use")
        self._in_transaction = False
        self._ran = False
        self._open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            with storage_errors():
                self._release()
        except (StorageUnavailableError, StorageError):
            if exc_value is None:
                raise  # otherwise keep the error already on its way out

    def _end(self, command: str) -> None:
        connection = self._connection
        if connection is None:
            raise RuntimeError("use the unit of work in a `with` block")
        if self._in_transaction:
            self._in_transaction = False
            with storage_errors():
                self._run(connection, command, None)

    def commit(self) -> None:
        self._end("COMMIT")

    def commit_write(self, write: Callable[[], T]) -> T:
        if not self._pipelined or self._in_transaction:
            result = write()
            self.commit()
            return result
        # PostgreSQL, nothing written yet: the repository's writes are single statements
        # (adapters keep the counter in the same statement), so autocommit is the commit.
        self._write_alone, self._wrote_alone = True, False
        try:
            return write()
        finally:
            self._write_alone = False

    def rollback(self) -> None:
        self._end("ROLLBACK")


def _closed_by_server(connection: PoolProxiedConnection) -> bool:
    """An idle connection has nothing to read; if its socket does (an error message, EOF),
    the server has ended it. One poll() without waiting, no round trip."""
    dbapi_connection = connection.dbapi_connection
    if dbapi_connection is None or dbapi_connection.closed:
        return True
    poller = poll()
    poller.register(dbapi_connection.fileno(), POLLIN)
    return bool(poller.poll(0))


def sql_uow_factory(engine: Engine) -> Callable[[], SqlAlchemyUnitOfWork]:
    """A factory handing out units of work over one engine (and its pool)."""
    pipelined = engine.dialect.name == "postgresql"
    statements = StatementCache(engine.dialect)
    return lambda: SqlAlchemyUnitOfWork(engine, statements, pipelined=pipelined)
