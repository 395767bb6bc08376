"""The SQLAlchemy adapter: a user repository and a unit of work over one connection.

Rows map to domain values with small explicit functions over the Core tables; the domain
classes are not ORM-mapped. Every database exception leaves as a domain error (see
adapters.engine.storage_errors).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from select import POLLIN, poll
from types import TracebackType
from typing import Any, Final, Protocol, TypeVar, cast

from sqlalchemy import (
    Engine,
    Select,
    bindparam,
    delete,
    exc,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.dml import ReturningDelete, ReturningUpdate
from sqlalchemy.sql.elements import ColumnElement

from adapters import listing
from adapters.compiled import PreparedForm, StatementCache
from adapters.engine import StorageError, check_database, create_engine_for, storage_errors
from adapters.tables import COUNT_SHARDS, SEARCH_SEPARATOR, user_counts, users
from domain.cursors import Key
from domain.errors import StaleVersionError, StorageUnavailableError, UserNotFoundError
from domain.model import STRING_ATTRIBUTES, NewUser, User, comparison_key
from domain.queries import SortOrder, UserFilter

__all__ = [
    "SqlAlchemyUnitOfWork",
    "SqlAlchemyUserRepository",
    "StorageError",
    "check_database",
    "create_engine_for",
    "sql_uow_factory",
]

T = TypeVar("T")

_USER_COLUMNS = (
    users.c.id,
    users.c.name,
    users.c.address,
    users.c.age,
    users.c.profession,
    users.c.website,
    users.c.version,
)


# Statements are built once and executed with bound values. Building a statement per call
# cost more CPU than the rest of a request (about 60 us for a primary-key SELECT, 100-140 us
# for a list page under load, measured with bench/): SQLAlchemy has to construct it and
# derive its cache key before finding the compiled form. Parameter names differ from column
# names, which SQLAlchemy reserves for the VALUES/SET of INSERT and UPDATE.
_GET: Final = select(*_USER_COLUMNS).where(users.c.id == bindparam("match_id"))
_VERSION: Final = select(users.c.version).where(users.c.id == bindparam("match_id"))
#: The columns add() writes: every one but the generated id.
_INSERTED: Final = tuple(column.name for column in users.columns if column.name != "id")
_INSERT: Final = (
    insert(users)
    .values({name: bindparam(f"new_{name}") for name in _INSERTED})
    .returning(*_USER_COLUMNS)
)
_TOTAL: Final = select(func.coalesce(func.sum(user_counts.c.total), 0))
_COUNT_CHANGE: Final = (
    update(user_counts)
    .where(user_counts.c.shard == bindparam("match_shard"))
    .values(total=user_counts.c.total + bindparam("delta"))
)


def _counted(rows: Any, delta: int) -> Select[Any]:
    """`rows` (a CTE of a data-modifying statement returning ids) with the user counter's
    shard of each moved by `delta`, in one statement."""
    shard = select(rows.c.id % COUNT_SHARDS).scalar_subquery()
    counter = (
        update(user_counts)
        .where(user_counts.c.shard == shard)
        .values(total=user_counts.c.total + delta)
        .cte("counted")
    )
    return select(*rows.c).add_cte(counter)


_INSERT_COUNTED: Final = _counted(_INSERT.cte("added"), +1)
#: Distinct list shapes (filter constraints x sort x direction) whose statements are kept.
SHAPES_KEPT: Final = 256


@lru_cache(maxsize=SHAPES_KEPT)
def _find_statement(
    shape: UserFilter,
    order: SortOrder,
    backward: bool,
    bounded: bool,
    offset: bool,
    counted: bool = False,
) -> Select[Any]:
    """A page of users of this shape; parameters: listing.parameters, edges, limit, offset.

    With an offset, the skipped rows are found by a subquery that reads only the sort columns
    and ids (an index-only scan where the sort has an index) and only the page's rows are
    fetched whole: OFFSET 19,980 then costs one index walk instead of 19,980 row fetches.
    `counted` puts count(shape) first in every row, as a subquery PostgreSQL and SQLite
    evaluate once: the page and its total in one round trip.
    """
    where = listing.conditions(shape, bound=True)
    if bounded:
        where.append(listing.bound_beyond(order, backward))
    ordering = listing.order_by(order, backward)
    columns: list[Any] = list(_USER_COLUMNS)
    if counted:
        total = _TOTAL if shape.is_empty else _count_statement(shape)
        columns.insert(0, total.scalar_subquery().label("total"))
    if not offset:
        return select(*columns).where(*where).order_by(*ordering).limit(bindparam("limit"))
    page = (
        select(users.c.id)
        .where(*where)
        .order_by(*ordering)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery("page")
    )
    return select(*columns).join_from(users, page, users.c.id == page.c.id).order_by(*ordering)


@lru_cache(maxsize=SHAPES_KEPT)
def _count_statement(shape: UserFilter) -> Select[Any]:
    return select(func.count()).select_from(users).where(*listing.conditions(shape, bound=True))


@lru_cache(maxsize=SHAPES_KEPT)
def _change_statement(columns: tuple[str, ...], versioned: bool) -> ReturningUpdate[Any]:
    """UPDATE of these stored columns (keys included) for one user, optionally at a version.

    search_key is rebuilt from the new keys where given and the stored ones otherwise.
    """
    values: dict[str, Any] = {column: bindparam(f"new_{column}") for column in columns}
    if any(f"{a}_key" in columns for a in STRING_ATTRIBUTES):
        values["search_key"] = _search_key(values)
    statement = update(users).where(users.c.id == bindparam("match_id"))
    if versioned:
        statement = statement.where(users.c.version == bindparam("match_version"))
    return statement.values(
        **values, version=users.c.version + 1, updated_at=bindparam("new_updated_at")
    ).returning(*_USER_COLUMNS)


@lru_cache(maxsize=2)
def _remove_statement(versioned: bool) -> ReturningDelete[Any]:
    statement = delete(users).where(users.c.id == bindparam("match_id"))
    if versioned:
        statement = statement.where(users.c.version == bindparam("match_version"))
    return statement.returning(users.c.id)


Row = tuple[Any, ...]


@lru_cache(maxsize=2)
def _remove_counted(versioned: bool) -> Select[Any]:
    return _counted(_remove_statement(versioned).cte("removed"), -1)


def _to_user(row: Row) -> User:
    user_id, name, address, age, profession, website, version = row
    return User(
        id=user_id,
        name=name,
        address=address,
        age=age,
        profession=profession,
        website=website,
        version=version,
    )


def _stored(changes: Mapping[str, object]) -> dict[str, Any]:
    """Column values for validated attribute `changes`, folded keys included."""
    values: dict[str, Any] = dict(changes)
    for attribute in STRING_ATTRIBUTES:
        if attribute in changes:
            values[f"{attribute}_key"] = comparison_key(str(changes[attribute]))
    if "address_key" in values:
        values["address_prefix"] = listing.address_prefix(values["address_key"])
    return values


def _search_key(values: Mapping[str, Any]) -> ColumnElement[str]:
    """The joined folded fields, new values where given and stored ones otherwise."""
    parts: list[ColumnElement[str]] = [
        values[f"{a}_key"] if f"{a}_key" in values else listing.key_column(a)
        for a in STRING_ATTRIBUTES
    ]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + SEARCH_SEPARATOR + part
    return joined


def _shard(user_id: int) -> int:
    return user_id % COUNT_SHARDS


class Execute(Protocol):
    """Runs one statement with its parameters in the unit of work and returns its rows;
    `write` for a statement that changes data (it must run in the unit of work's
    transaction); `prepare` unless the plan depends on the values (a filter's pattern),
    where a server-side prepared statement's generic plan could be a bad one."""

    def __call__(
        self,
        statement: ClauseElement,
        parameters: Mapping[str, Any],
        *,
        write: bool = False,
        prepare: bool = True,
    ) -> list[Row]: ...


class SqlAlchemyUserRepository:
    """UserRepository over the connection of the unit of work it belongs to.

    With `counting_statements` (PostgreSQL), add and remove keep the user counter in the
    same statement as the row (a data-modifying WITH): one round trip instead of two.
    """

    def __init__(self, execute: Execute, *, counting_statements: bool = False) -> None:
        self._execute = execute
        self._counting_statements = counting_statements

    def _count_change(self, user_id: int, delta: int) -> None:
        self._execute(_COUNT_CHANGE, {"match_shard": _shard(user_id), "delta": delta}, write=True)

    def add(self, new_user: NewUser) -> User:
        now = datetime.now(UTC)
        values = _stored(
            {
                "name": new_user.name,
                "address": new_user.address,
                "age": new_user.age,
                "profession": new_user.profession,
                "website": new_user.website,
            }
        )
        values["search_key"] = SEARCH_SEPARATOR.join(values[f"{a}_key"] for a in STRING_ATTRIBUTES)
        values.update(version=1, created_at=now, updated_at=now)
        parameters = {f"new_{column}": value for column, value in values.items()}
        with storage_errors(name=new_user.name):
            if self._counting_statements:
                (row,) = self._execute(_INSERT_COUNTED, parameters, write=True)
                return _to_user(row)
            (row,) = self._execute(_INSERT, parameters, write=True)
            user = _to_user(row)
            self._count_change(user.id, +1)
        return user

    def get(self, user_id: int) -> User:
        with storage_errors():
            rows = self._execute(_GET, {"match_id": user_id})
        if not rows:
            raise UserNotFoundError(user_id)
        return _to_user(rows[0])

    def _explain_miss(self, user_id: int, expected_version: int | None) -> Exception:
        """After an UPDATE or DELETE matched nothing: not found, or stale?"""
        with storage_errors():
            found = self._execute(_VERSION, {"match_id": user_id})
        if not found or expected_version is None:
            return UserNotFoundError(user_id)
        return StaleVersionError(user_id, expected_version)

    def change(
        self, user_id: int, changes: Mapping[str, object], expected_version: int | None
    ) -> User:
        values = _stored(changes)
        statement = _change_statement(tuple(sorted(values)), expected_version is not None)
        parameters = {f"new_{column}": value for column, value in values.items()}
        parameters.update(
            match_id=user_id, match_version=expected_version, new_updated_at=datetime.now(UTC)
        )
        name = changes.get("name")
        with storage_errors(name=None if name is None else str(name)):
            rows = self._execute(statement, parameters, write=True)
        if not rows:
            raise self._explain_miss(user_id, expected_version)
        return _to_user(rows[0])

    def remove(self, user_id: int, expected_version: int | None) -> None:
        versioned = expected_version is not None
        parameters = {"match_id": user_id, "match_version": expected_version}
        with storage_errors():
            if self._counting_statements:
                removed = self._execute(_remove_counted(versioned), parameters, write=True)
            else:
                removed = self._execute(_remove_statement(versioned), parameters, write=True)
                if removed:
                    self._count_change(user_id, -1)
        if not removed:
            raise self._explain_miss(user_id, expected_version)

    def _find_rows(
        self,
        selection: UserFilter,
        order: SortOrder,
        limit: int,
        offset: int,
        boundary: Key | None,
        backward: bool,
        counted: bool,
    ) -> list[Row]:
        statement = _find_statement(
            listing.shape(selection), order, backward, boundary is not None, offset > 0, counted
        )
        parameters = listing.parameters(selection)
        parameters.update(limit=limit, offset=offset)
        if boundary is not None:
            for position, value in enumerate(listing.edge_values(order, boundary)):
                parameters[listing.edge_name(position)] = value
        with storage_errors():
            return self._execute(statement, parameters, prepare=selection.is_empty)

    def find(
        self,
        selection: UserFilter,
        order: SortOrder,
        *,
        limit: int,
        offset: int = 0,
        boundary: Key | None = None,
        backward: bool = False,
    ) -> list[User]:
        rows = self._find_rows(selection, order, limit, offset, boundary, backward, False)
        return [_to_user(row) for row in rows]

    def find_counted(
        self,
        selection: UserFilter,
        order: SortOrder,
        *,
        limit: int,
        offset: int = 0,
        boundary: Key | None = None,
        backward: bool = False,
    ) -> tuple[list[User], int]:
        rows = self._find_rows(selection, order, limit, offset, boundary, backward, True)
        if not rows:  # an empty page carries no total: ask for it alone
            return [], self.count(selection)
        return [_to_user(row[1:]) for row in rows], int(rows[0][0])

    def count(self, selection: UserFilter) -> int:
        if selection.is_empty:
            # Exact and O(1): the sharded counter kept in step by add() and remove().
            statement, parameters = _TOTAL, {}
        else:
            statement = _count_statement(listing.shape(selection))
            parameters = listing.parameters(selection)
        with storage_errors():
            ((total,),) = self._execute(statement, parameters, prepare=selection.is_empty)
        return int(total)


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
        self.users = SqlAlchemyUserRepository(self._execute, counting_statements=pipelined)

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
        for _ in range(RECONNECT_ATTEMPTS):
            connection = self._open()
            if self._ran or not _closed_by_server(connection):
                break
            connection.invalidate()
            self._release()
        self._ran = True
        connection = self._open()
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
