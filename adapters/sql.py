"""The SQLAlchemy adapter: a user repository and a unit of work over one connection.

Rows map to domain values with small explicit functions over the Core tables; the domain
classes are not ORM-mapped. Every database exception leaves as a domain error (see
adapters.engine.storage_errors).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, Row, delete, func, insert, literal, select, update
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
        literal(values[f"{a}_key"]) if f"{a}_key" in values else listing.key_column(a)
        for a in STRING_ATTRIBUTES
    ]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + SEARCH_SEPARATOR + part
    return joined


def _shard(user_id: int) -> int:
    return user_id % COUNT_SHARDS


class SqlAlchemyUserRepository:
    """UserRepository over the connection of the unit of work it belongs to."""

    def __init__(self, connection: Callable[[], Connection]) -> None:
        self._connection = connection

    def _count_change(self, user_id: int, delta: int) -> None:
        self._connection().execute(
            update(user_counts)
            .where(user_counts.c.shard == _shard(user_id))
            .values(total=user_counts.c.total + delta)
        )

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
        statement = (
            insert(users)
            .values(**values, version=1, created_at=now, updated_at=now)
            .returning(*_USER_COLUMNS)
        )
        with storage_errors(name=new_user.name):
            user = _to_user(self._connection().execute(statement).one())
            self._count_change(user.id, +1)
        return user

    def get(self, user_id: int) -> User:
        with storage_errors():
            row = (
                self._connection()
                .execute(select(*_USER_COLUMNS).where(users.c.id == user_id))
                .one_or_none()
            )
        if row is None:
            raise UserNotFoundError(user_id)
        return _to_user(row)

    def _explain_miss(self, user_id: int, expected_version: int | None) -> Exception:
        """After an UPDATE or DELETE matched nothing: not found, or stale?"""
        with storage_errors():
            found = (
                self._connection()
                .execute(select(users.c.version).where(users.c.id == user_id))
                .scalar_one_or_none()
            )
        if found is None or expected_version is None:
            return UserNotFoundError(user_id)
        return StaleVersionError(user_id, expected_version)

    def change(
        self, user_id: int, changes: Mapping[str, object], expected_version: int | None
    ) -> User:
        values = _stored(changes)
        if any(a in changes for a in STRING_ATTRIBUTES):
            values["search_key"] = _search_key(values)
        statement = update(users).where(users.c.id == user_id)
        if expected_version is not None:
            statement = statement.where(users.c.version == expected_version)
        statement = statement.values(
            **values, version=users.c.version + 1, updated_at=datetime.now(UTC)
        ).returning(*_USER_COLUMNS)
        name = changes.get("name")
        with storage_errors(name=None if name is None else str(name)):
            row = self._connection().execute(statement).one_or_none()
        if row is None:
            raise self._explain_miss(user_id, expected_version)
        return _to_user(row)

    def remove(self, user_id: int, expected_version: int | None) -> None:
        statement = delete(users).where(users.c.id == user_id)
        if expected_version is not None:
            statement = statement.where(users.c.version == expected_version)
        with storage_errors():
            removed = self._connection().execute(statement.returning(users.c.id)).one_or_none()
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
        where = listing.conditions(selection)
        if boundary is not None:
            where.append(listing.beyond(order, boundary, backward))
        statement = (
            select(*_USER_COLUMNS)
            .where(*where)
            .order_by(*listing.order_by(order, backward))
            .limit(limit)
        )
        if offset:
            statement = statement.offset(offset)
        with storage_errors():
            rows = self._connection().execute(statement).all()
        return [_to_user(row) for row in rows]

    def count(self, selection: UserFilter) -> int:
        if selection.is_empty:
            # Exact and O(1): the sharded counter kept in step by add() and remove().
            statement = select(func.coalesce(func.sum(user_counts.c.total), 0))
        else:
            statement = (
                select(func.count()).select_from(users).where(*listing.conditions(selection))
            )
        with storage_errors():
            return int(self._connection().execute(statement).scalar_one())


class SqlAlchemyUnitOfWork:
    """One connection and one transaction from `with` to its end; no commit() rolls back."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._open: Connection | None = None
        self.users = SqlAlchemyUserRepository(self._connection)

    def _connection(self) -> Connection:
        if self._open is None:
            raise RuntimeError("use the unit of work in a `with` block")
        return self._open

    def __enter__(self) -> SqlAlchemyUnitOfWork:
        if self._open is not None:
            raise RuntimeError("this unit of work is already in use")
        with storage_errors():
            self._open = self._engine.connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection, self._open = self._open, None
        if connection is None:
            return
        try:
            with storage_errors():
                connection.close()  # rolls back whatever was not committed
        except StorageUnavailableError:
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
    return lambda: SqlAlchemyUnitOfWork(engine)
