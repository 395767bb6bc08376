"""The SQLAlchemy adapter: a user repository and a unit of work over one connection.

Rows map to domain values with small explicit functions over the Core tables; the domain
classes are not ORM-mapped. Every database exception leaves as a domain error (see
adapters.engine.storage_errors).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from types import TracebackType
from typing import Any, Final, Protocol

from sqlalchemy import (
    Connection,
    Engine,
    Row,
    Select,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable
from sqlalchemy.sql.dml import ReturningDelete, ReturningUpdate
from sqlalchemy.sql.elements import ColumnElement

from adapters import listing
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
_INSERT: Final = insert(users).returning(*_USER_COLUMNS)
_TOTAL: Final = select(func.coalesce(func.sum(user_counts.c.total), 0))
_COUNT_CHANGE: Final = (
    update(user_counts)
    .where(user_counts.c.shard == bindparam("match_shard"))
    .values(total=user_counts.c.total + bindparam("delta"))
)
#: Distinct list shapes (filter constraints x sort x direction) whose statements are kept.
SHAPES_KEPT: Final = 256


@lru_cache(maxsize=SHAPES_KEPT)
def _find_statement(
    shape: UserFilter, order: SortOrder, backward: bool, bounded: bool, offset: bool
) -> Select[Any]:
    """A page of users of this shape; parameters: listing.parameters, edges, limit, offset.

    With an offset, the skipped rows are found by a subquery that reads only the sort columns
    and ids (an index-only scan where the sort has an index) and only the page's rows are
    fetched whole: OFFSET 19,980 then costs one index walk instead of 19,980 row fetches.
    """
    where = listing.conditions(shape, bound=True)
    if bounded:
        where.append(listing.bound_beyond(order, backward))
    ordering = listing.order_by(order, backward)
    if not offset:
        return select(*_USER_COLUMNS).where(*where).order_by(*ordering).limit(bindparam("limit"))
    page = (
        select(users.c.id)
        .where(*where)
        .order_by(*ordering)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery("page")
    )
    return (
        select(*_USER_COLUMNS).join_from(users, page, users.c.id == page.c.id).order_by(*ordering)
    )


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


def _to_user(row: Row[*tuple[Any, ...]]) -> User:
    return User(
        id=row.id,
        name=row.name,
        address=row.address,
        age=row.age,
        profession=row.profession,
        website=row.website,
        version=row.version,
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
    """Runs one statement with its parameters in the unit of work; `write` for a statement
    that changes data (it must run in the unit of work's transaction)."""

    def __call__(
        self, statement: Executable, parameters: Mapping[str, Any], *, write: bool = False
    ) -> CursorResult[Any]: ...


class SqlAlchemyUserRepository:
    """UserRepository over the connection of the unit of work it belongs to."""

    def __init__(self, execute: Execute) -> None:
        self._execute = execute

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
        with storage_errors(name=new_user.name):
            user = _to_user(self._execute(_INSERT, values, write=True).one())
            self._count_change(user.id, +1)
        return user

    def get(self, user_id: int) -> User:
        with storage_errors():
            row = self._execute(_GET, {"match_id": user_id}).one_or_none()
        if row is None:
            raise UserNotFoundError(user_id)
        return _to_user(row)

    def _explain_miss(self, user_id: int, expected_version: int | None) -> Exception:
        """After an UPDATE or DELETE matched nothing: not found, or stale?"""
        with storage_errors():
            found = self._execute(_VERSION, {"match_id": user_id}).scalar_one_or_none()
        if found is None or expected_version is None:
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
            row = self._execute(statement, parameters, write=True).one_or_none()
        if row is None:
            raise self._explain_miss(user_id, expected_version)
        return _to_user(row)

    def remove(self, user_id: int, expected_version: int | None) -> None:
        statement = _remove_statement(expected_version is not None)
        parameters = {"match_id": user_id, "match_version": expected_version}
        with storage_errors():
            removed = self._execute(statement, parameters, write=True).one_or_none()
            if removed is not None:
                self._count_change(user_id, -1)
        if removed is None:
            raise self._explain_miss(user_id, expected_version)

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
        statement = _find_statement(
            listing.shape(selection), order, backward, boundary is not None, offset > 0
        )
        parameters = listing.parameters(selection)
        parameters.update(limit=limit, offset=offset)
        if boundary is not None:
            for position, value in enumerate(listing.edge_values(order, boundary)):
                parameters[listing.edge_name(position)] = value
        with storage_errors():
            rows = self._execute(statement, parameters).all()
        return [_to_user(row) for row in rows]

    def count(self, selection: UserFilter) -> int:
        if selection.is_empty:
            # Exact and O(1): the sharded counter kept in step by add() and remove().
            statement, parameters = _TOTAL, {}
        else:
            statement = _count_statement(listing.shape(selection))
            parameters = listing.parameters(selection)
        with storage_errors():
            return int(self._execute(statement, parameters).scalar_one())


class SqlAlchemyUnitOfWork:
    """One connection and one transaction from `with` to its end; no commit() rolls back.

    On PostgreSQL the connection runs in psycopg2's autocommit mode until the first
    statement that writes, which begins the transaction: reads before it run without BEGIN
    and ROLLBACK (two round trips of the three a single-user GET took). Under READ
    COMMITTED, PostgreSQL's level here, every statement sees its own snapshot either way,
    and a plain SELECT takes no lock a transaction would keep, so a unit of work reads the
    same. SQLite keeps one transaction for the whole unit of work (a consistent snapshot).
    """

    def __init__(self, engine: Engine, *, begin_on_write: bool = False) -> None:
        self._engine = engine
        self._begin_on_write = begin_on_write
        self._began = False
        self._open: Connection | None = None
        self.users = SqlAlchemyUserRepository(self._execute)

    def _connection(self) -> Connection:
        if self._open is None:
            raise RuntimeError("use the unit of work in a `with` block")
        return self._open

    def _execute(
        self, statement: Executable, parameters: Mapping[str, Any], *, write: bool = False
    ) -> CursorResult[Any]:
        """Runs `statement`; once more on a new connection if the pooled one turns out dead.

        Instead of the pool's pre-ping (a round trip before every unit of work, about 8% of
        a GET's CPU), a connection that died in the pool (the server restarted or ended it)
        is noticed by the first statement: SQLAlchemy invalidates it and every connection
        pooled before it, and as nothing has run in this unit of work yet, the statement
        runs again on a fresh connection.
        """
        if write and not self._began:
            self._began = True
            self._set_autocommit(False)  # psycopg2 sends BEGIN before this statement
        connection = self._connection()
        if connection.in_transaction():
            return connection.execute(statement, parameters)
        try:
            return connection.execute(statement, parameters)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
        connection.close()
        self._open = None
        self._open = self._engine.connect()
        self._set_autocommit(not self._began)
        return self._open.execute(statement, parameters)

    def _set_autocommit(self, on: bool) -> None:
        """psycopg2's autocommit switch: a client-side flag, no round trip."""
        if not self._begin_on_write or self._open is None:
            return
        dbapi_connection = self._open.connection.dbapi_connection
        if dbapi_connection is not None and dbapi_connection.autocommit != on:
            dbapi_connection.autocommit = on

    def __enter__(self) -> SqlAlchemyUnitOfWork:
        if self._open is not None:
            raise RuntimeError("this unit of work is already in use")
        with storage_errors():
            self._open = self._engine.connect()
            self._began = False
            self._set_autocommit(True)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection = self._open
        if connection is None:
            return
        try:
            with storage_errors():
                try:
                    if not self._began and not connection.invalidated:
                        # Idle in autocommit mode: back to psycopg2's default for the pool.
                        self._set_autocommit(False)
                finally:
                    self._open = None
                    connection.close()  # rolls back whatever was not committed
        except (StorageUnavailableError, StorageError):
            if exc is None:
                raise  # otherwise keep the error already on its way out

    def commit(self) -> None:
        with storage_errors():
            self._connection().commit()

    def rollback(self) -> None:
        with storage_errors():
            self._connection().rollback()


def sql_uow_factory(engine: Engine) -> Callable[[], SqlAlchemyUnitOfWork]:
    """A factory handing out units of work over one engine (and its pool)."""
    begin_on_write = engine.dialect.name == "postgresql"
    return lambda: SqlAlchemyUnitOfWork(engine, begin_on_write=begin_on_write)
