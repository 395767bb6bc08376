"""The SQLAlchemy adapter's statements and user repository (its unit of work: unit_of_work.py).

Rows map to domain values with small explicit functions over the Core tables; the domain
classes are not ORM-mapped. Every database exception leaves as a domain error (see
adapters.engine.storage_errors).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Final, Protocol

from sqlalchemy import (
    BigInteger,
    Select,
    any_,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.dml import ReturningDelete, ReturningUpdate
from sqlalchemy.sql.elements import ColumnElement

from adapters import listing, name_buckets
from adapters.engine import StorageError, check_database, create_engine_for, storage_errors
from adapters.per_dialect import ArrayOf, OnSqlite
from adapters.tables import COUNT_SHARDS, SEARCH_SEPARATOR, user_counts, user_search_keys, users
from domain.cursors import Key
from domain.errors import StaleVersionError, UserNotFoundError
from domain.model import STRING_ATTRIBUTES, NewUser, User, comparison_key
from domain.queries import SortKey, SortOrder, UserFilter

__all__ = [
    "Execute",
    "Row",
    "SqlAlchemyUserRepository",
    "StorageError",
    "check_database",
    "create_engine_for",
]


#: A result row as the DBAPI cursor returns it.
Row = tuple[Any, ...]

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
#: Rows an offset page skips (bigint, as the prepared statement declares it).
_OFFSET: Final = bindparam("offset", type_=BigInteger)
_COUNT_CHANGE: Final = (
    update(user_counts)
    .where(user_counts.c.shard == bindparam("match_shard"))
    .values(total=user_counts.c.total + bindparam("delta"))
)


#: A user's search key; on SQLite written after the user's row, in the same transaction.
_INSERT_SEARCH_KEY: Final = insert(user_search_keys).values(
    user_id=bindparam("match_id"), search_key=bindparam("new_search_key")
)
_DELETE_SEARCH_KEY: Final = delete(user_search_keys).where(
    user_search_keys.c.user_id == bindparam("match_id")
)


def _joined_keys(source: Any) -> ColumnElement[str]:
    """The search key SQL computes from the folded key columns of `source` (a table or a
    CTE): the same text as SEARCH_SEPARATOR.join in Python."""
    parts: list[ColumnElement[str]] = [source.c[f"{a}_key"] for a in STRING_ATTRIBUTES]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + SEARCH_SEPARATOR + part
    return joined


#: After a change of text on SQLite: the user's search key from the row as it is now.
_REKEY: Final = (
    update(user_search_keys)
    .where(user_search_keys.c.user_id == bindparam("match_id"))
    .values(
        search_key=select(_joined_keys(users))
        .where(users.c.id == bindparam("match_id"))
        .scalar_subquery()
    )
)


def _counted(rows: Any, delta: int, returned: Any, *also: Any) -> Select[Any]:
    """`rows` (a CTE of a data-modifying statement returning ids and name keys) with the
    user counter's shard of each moved by `delta`, the change of its name range's count
    appended (adapters/name_buckets.py), and the data-modifying CTEs `also`, in one
    statement returning the `returned` columns of `rows`."""
    shard = select(rows.c.id % COUNT_SHARDS).scalar_subquery()
    counter = (
        update(user_counts)
        .where(user_counts.c.shard == shard)
        .values(total=user_counts.c.total + delta)
        .cte("counted")
    )
    ranged = name_buckets.count_change(rows.c.name_key, delta, rows).cte("ranged")
    return select(*(rows.c[column.name] for column in returned)).add_cte(counter, ranged, *also)


def _insert_combined() -> Select[Any]:
    added = _INSERT.returning(users.c.name_key).cte("added")
    searchable = (
        insert(user_search_keys)
        .from_select(["user_id", "search_key"], select(added.c.id, bindparam("new_search_key")))
        .cte("searchable")
    )
    return _counted(added, +1, _USER_COLUMNS, searchable)


_INSERT_COMBINED: Final = _insert_combined()
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
    skip: Any = _OFFSET
    if shape.is_empty and not backward and order.keys[0] == SortKey("name"):
        # Counted ranges of the name key: walk only the range holding the first row.
        start, skip = name_buckets.skip_to(_OFFSET)
        where.append(start)
    page = (
        select(users.c.id).where(*where).order_by(*ordering).limit(bindparam("limit")).offset(skip)
    )
    on_page = OnSqlite(users.c.id.in_(page), users.c.id == any_(ArrayOf(page)))
    return select(*columns).where(on_page).order_by(*ordering)


@lru_cache(maxsize=SHAPES_KEPT)
def _count_statement(shape: UserFilter) -> Select[Any]:
    return select(func.count()).select_from(users).where(*listing.conditions(shape, bound=True))


def _changes_text(columns: tuple[str, ...]) -> bool:
    return any(f"{attribute}_key" in columns for attribute in STRING_ATTRIBUTES)


@lru_cache(maxsize=SHAPES_KEPT)
def _change_statement(columns: tuple[str, ...], versioned: bool) -> ReturningUpdate[Any]:
    """UPDATE of these stored columns (keys included) for one user, optionally at a version."""
    values: dict[str, Any] = {column: bindparam(f"new_{column}") for column in columns}
    statement = update(users).where(users.c.id == bindparam("match_id"))
    if versioned:
        statement = statement.where(users.c.version == bindparam("match_version"))
    return statement.values(
        **values, version=users.c.version + 1, updated_at=bindparam("new_updated_at")
    ).returning(*_USER_COLUMNS)


@lru_cache(maxsize=SHAPES_KEPT)
def _change_combined(columns: tuple[str, ...], versioned: bool) -> ClauseElement:
    """_change_statement and, where text changes, the user's new search key from the keys
    the UPDATE returns, in one statement; a change of no text leaves the key alone."""
    statement = _change_statement(columns, versioned)
    if not _changes_text(columns):
        return statement
    keys = [listing.key_column(attribute) for attribute in STRING_ATTRIBUTES]
    changed = statement.returning(*keys).cte("changed")
    rekeyed = (
        update(user_search_keys)
        .where(user_search_keys.c.user_id == changed.c.id)
        .values(search_key=_joined_keys(changed))
        .cte("rekeyed")
    )
    return select(*(changed.c[column.name] for column in _USER_COLUMNS)).add_cte(rekeyed)


@lru_cache(maxsize=2)
def _remove_statement(versioned: bool) -> ReturningDelete[Any]:
    statement = delete(users).where(users.c.id == bindparam("match_id"))
    if versioned:
        statement = statement.where(users.c.version == bindparam("match_version"))
    return statement.returning(users.c.id)


@lru_cache(maxsize=2)
def _remove_combined(versioned: bool) -> Select[Any]:
    removed = _remove_statement(versioned).returning(users.c.name_key).cte("removed")
    unsearchable = (
        delete(user_search_keys)
        .where(user_search_keys.c.user_id.in_(select(removed.c.id)))
        .cte("unsearchable")
    )
    return _counted(removed, -1, (users.c.id,), unsearchable)


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

    With `combined_statements` (PostgreSQL), every write is one statement (data-modifying
    WITH): the user's row, its search key and the user counter together, one round trip.
    Otherwise (SQLite) they are separate statements in the unit of work's transaction.
    """

    def __init__(self, execute: Execute, *, combined_statements: bool = False) -> None:
        self._execute = execute
        self._combined_statements = combined_statements

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
        values.update(version=1, created_at=now, updated_at=now)
        parameters = {f"new_{column}": value for column, value in values.items()}
        search_key = SEARCH_SEPARATOR.join(values[f"{a}_key"] for a in STRING_ATTRIBUTES)
        parameters["new_search_key"] = search_key
        with storage_errors(name=new_user.name):
            if self._combined_statements:
                (row,) = self._execute(_INSERT_COMBINED, parameters, write=True)
                return _to_user(row)
            (row,) = self._execute(_INSERT, parameters, write=True)
            user = _to_user(row)
            self._execute(
                _INSERT_SEARCH_KEY, {"match_id": user.id, "new_search_key": search_key}, write=True
            )
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
        columns, versioned = tuple(sorted(values)), expected_version is not None
        parameters = {f"new_{column}": value for column, value in values.items()}
        parameters.update(
            match_id=user_id, match_version=expected_version, new_updated_at=datetime.now(UTC)
        )
        name = changes.get("name")
        with storage_errors(name=None if name is None else str(name)):
            if self._combined_statements:
                rows = self._execute(_change_combined(columns, versioned), parameters, write=True)
            else:
                rows = self._execute(_change_statement(columns, versioned), parameters, write=True)
                if rows and _changes_text(columns):
                    self._execute(_REKEY, {"match_id": user_id}, write=True)
        if not rows:
            raise self._explain_miss(user_id, expected_version)
        return _to_user(rows[0])

    def remove(self, user_id: int, expected_version: int | None) -> None:
        versioned = expected_version is not None
        parameters = {"match_id": user_id, "match_version": expected_version}
        with storage_errors():
            if self._combined_statements:
                removed = self._execute(_remove_combined(versioned), parameters, write=True)
            else:
                removed = self._execute(_remove_statement(versioned), parameters, write=True)
                if removed:
                    self._execute(_DELETE_SEARCH_KEY, {"match_id": user_id}, write=True)
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
        count_up_to: int | None = None,  # ignored: exact counts satisfy "at least" (issue 19)
    ) -> tuple[list[User], int]:
        rows = self._find_rows(selection, order, limit, offset, boundary, backward, True)
        if not rows:  # an empty page carries no total: ask for it alone
            return [], self.count(selection)
        return [_to_user(row[1:]) for row in rows], int(rows[0][0])

    def count(self, selection: UserFilter, *, up_to: int | None = None) -> int:
        # `up_to` ignored until the bounded count lands (issue 19): an exact count is at least.
        if selection.is_empty:
            # Exact and O(1): the sharded counter kept in step by add() and remove().
            statement, parameters = _TOTAL, {}
        else:
            statement = _count_statement(listing.shape(selection))
            parameters = listing.parameters(selection)
        with storage_errors():
            ((total,),) = self._execute(statement, parameters, prepare=selection.is_empty)
        return int(total)
