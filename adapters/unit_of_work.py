"""The SQLAlchemy adapter's unit of work: one Connection and its one transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Final

from sqlalchemy import Connection, CursorResult, Engine, Executable, exc

from adapters.engine import StorageError, storage_errors
from adapters.search import SampleCache
from adapters.sql import SqlAlchemyUserRepository
from adapters.sql_history import SqlChangeLog
from domain.errors import StorageUnavailableError

#: A unit of work's first statement is run again on another connection when the pooled one
#: turns out dead; more tries than the service's pool holds connections.
RECONNECT_ATTEMPTS: Final = 32


class SqlAlchemyUnitOfWork:
    """One transaction on one SQLAlchemy Connection, from the first statement to the end of
    the `with` block; leaving without commit() rolls back. Two states: no connection yet
    (nothing has run), or a connection in its transaction (SQLAlchemy begins it with the
    first statement and again with the first after a commit).

    A unit marked reading() takes its connection from `reading_engine` instead, where one is
    given (adapters/engine.create_reading_engine_for): its statements then run each by itself.
    """

    def __init__(
        self,
        engine: Engine,
        reading_engine: Engine | None = None,
        samples: SampleCache | None = None,
    ) -> None:
        self._engine = engine
        self._reading_engine = reading_engine or engine
        self._reading = False
        self._connection: Connection | None = None
        self.users = SqlAlchemyUserRepository(self._execute, engine.dialect.name, samples)
        self.changes = SqlChangeLog(self._execute, engine.dialect.name)

    def reading(self) -> SqlAlchemyUnitOfWork:
        if self._connection is not None:
            raise RuntimeError("reading() comes before the unit of work is entered")
        self._reading = True
        return self

    def _execute(
        self, statement: Executable, parameters: Mapping[str, Any] | None
    ) -> CursorResult[Any]:
        if self._connection is not None:
            return self._connection.execute(statement, parameters)
        # The first statement. Instead of the pool's pre-ping (a round trip before every unit
        # of work), a pooled connection the server has ended since its last use fails here
        # and, as nothing has run yet, the statement runs again on another connection.
        engine = self._reading_engine if self._reading else self._engine
        for attempt in range(1, RECONNECT_ATTEMPTS + 1):
            connection = engine.connect()
            try:
                result = connection.execute(statement, parameters)
            except exc.DBAPIError as error:
                connection.close()
                if not error.connection_invalidated or attempt == RECONNECT_ATTEMPTS:
                    raise
                continue
            self._connection = connection
            return result
        raise AssertionError("unreachable")

    def __enter__(self) -> SqlAlchemyUnitOfWork:
        if self._connection is not None:
            raise RuntimeError("this unit of work is already in use")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            with storage_errors():
                connection.close()  # rolls back what was not committed
        except (StorageUnavailableError, StorageError):
            if exc_value is None:
                raise  # otherwise keep the error already on its way out

    def commit(self) -> None:
        if self._reading:
            raise RuntimeError("a unit of work marked reading() cannot commit")
        if self._connection is not None:
            with storage_errors():
                self._connection.commit()

    def rollback(self) -> None:
        if self._connection is not None:
            with storage_errors():
                self._connection.rollback()


def sql_uow_factory(
    engine: Engine, reading_engine: Engine | None = None
) -> Callable[[], SqlAlchemyUnitOfWork]:
    """A factory handing out units of work over one engine (and its pool), and those marked
    reading() over `reading_engine` when one is given; they share the search samples."""
    samples = SampleCache()
    return lambda: SqlAlchemyUnitOfWork(engine, reading_engine, samples)
