"""The SQLAlchemy adapter's user repository: statements over the Core tables (adapters.tables).

Rows map to domain values by column name; the domain classes are not ORM-mapped. Every
database exception leaves as a domain error (adapters.engine.storage_errors). Each method
runs its statements through the unit of work (adapters.unit_of_work), in its transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

import attrs
from sqlalchemy import (
    CursorResult,
    Executable,
    Row,
    Select,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from adapters import listing, search
from adapters.engine import StorageError, check_database, create_engine_for, storage_errors
from adapters.tables import COUNT_SHARDS, SEARCH_SEPARATOR, user_counts, user_search_keys, users
from domain.cursors import Key
from domain.errors import StaleVersionError, UserNotFoundError
from domain.model import ATTRIBUTES, STRING_ATTRIBUTES, NewUser, User, comparison_key
from domain.queries import SortOrder, UserFilter

__all__ = [
    "Execute",
    "SqlAlchemyUserRepository",
    "StorageError",
    "check_database",
    "create_engine_for",
]

#: Runs one statement with its parameters in the unit of work's transaction.
Execute = Callable[[Executable, Mapping[str, Any] | None], CursorResult[Any]]

_USER_COLUMNS: Final = (users.c.id, *(users.c[name] for name in ATTRIBUTES), users.c.version)

# The statements every request uses are built once: building one costs more than running
# it (bench/). Parameter names differ from column names, which SQLAlchemy reserves for the
# VALUES and SET of INSERT and UPDATE.
_GET: Final = select(*_USER_COLUMNS).where(users.c.id == bindparam("match_id"))
_VERSION: Final = select(users.c.version).where(users.c.id == bindparam("match_id"))
_INSERT: Final = insert(users).returning(*_USER_COLUMNS)
_CHANGE_ROW: Final = (
    update(users).where(users.c.id == bindparam("match_id")).values(version=users.c.version + 1)
)
#: PostgreSQL: the change, and the user before it, in one statement. The user's row is read
#: FOR UPDATE in a subquery (so "before" is the state this change replaces, whoever wrote
#: just before) and joined to itself; RETURNING gives both states.
_OLD: Final = _GET.with_for_update().subquery("old")
_CHANGE_KEEPING_OLD: Final = (
    update(users)
    .where(users.c.id == _OLD.c.id)
    .values(version=users.c.version + 1)
    .returning(*(_OLD.c[c.name].label(f"old_{c.name}") for c in _USER_COLUMNS), *_USER_COLUMNS)
)
_CHANGE_KEEPING_OLD_AT_VERSION: Final = _CHANGE_KEEPING_OLD.where(
    users.c.version == bindparam("match_version")
)
#: Elsewhere the user is read first, locked: MariaDB/MySQL by FOR UPDATE; SQLite, which has
#: no row locks, by a write that takes the database's write lock (a transaction that has
#: only read cannot always get it later: another writer's commit may come in between).
_LOCK: Final = _GET.with_for_update()
_LOCK_SQLITE: Final = (
    update(users)
    .where(users.c.id == bindparam("match_id"))
    .values(version=users.c.version)
    .returning(*_USER_COLUMNS)
)
_REMOVE: Final = delete(users).where(users.c.id == bindparam("match_id")).returning(*_USER_COLUMNS)
_REMOVE_AT_VERSION: Final = _REMOVE.where(users.c.version == bindparam("match_version"))
#: The exact user total: the sum of the sharded counter add() and remove() keep in step.
_TOTAL: Final = select(func.coalesce(func.sum(user_counts.c.total), 0))
_COUNT_CHANGE: Final = (
    update(user_counts)
    .where(user_counts.c.shard == bindparam("match_shard"))
    .values(total=user_counts.c.total + bindparam("delta"))
)
_INSERT_SEARCH_KEY: Final = insert(user_search_keys)
_DELETE_SEARCH_KEY: Final = delete(user_search_keys).where(
    user_search_keys.c.user_id == bindparam("match_id")
)


def _joined_keys() -> ColumnElement[str]:
    """The search key computed in SQL from the key columns: SEARCH_SEPARATOR.join in Python."""
    parts: list[ColumnElement[str]] = [users.c[f"{a}_key"] for a in STRING_ATTRIBUTES]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + SEARCH_SEPARATOR + part
    return joined


#: After a change of text: the user's search key from the row as it is now.
_REKEY: Final = (
    update(user_search_keys)
    .where(user_search_keys.c.user_id == bindparam("match_id"))
    .values(
        search_key=select(_joined_keys())
        .where(users.c.id == bindparam("match_id"))
        .scalar_subquery()
    )
)


def _to_user(row: Row[Any], prefix: str = "") -> User:
    values = row._mapping
    return User(**{column.name: values[prefix + column.name] for column in _USER_COLUMNS})


def _stored(changes: Mapping[str, object]) -> dict[str, Any]:
    """Column values for validated attribute `changes`, folded keys included."""
    values: dict[str, Any] = dict(changes)
    for attribute in STRING_ATTRIBUTES:
        if attribute in changes:
            values[f"{attribute}_key"] = comparison_key(str(changes[attribute]))
    if "address_key" in values:
        values["address_prefix"] = listing.address_prefix(values["address_key"])
    return values


class SqlAlchemyUserRepository:
    """UserRepository over the unit of work's `execute`; `dialect` picks the search index;
    `samples` keeps search samples across the units of work of one engine (without it, for
    this repository only)."""

    def __init__(
        self, execute: Execute, dialect: str, samples: search.SampleCache | None = None
    ) -> None:
        self._execute = execute
        self._dialect = dialect
        self._samples = samples or search.SampleCache()

    def _rows(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> list[Row[Any]]:
        return list(self._execute(statement, parameters).all())

    def _count_change(self, user_id: int, delta: int) -> None:
        self._execute(_COUNT_CHANGE, {"match_shard": user_id % COUNT_SHARDS, "delta": delta})

    def add(self, new_user: NewUser) -> User:
        return self._insert(attrs.asdict(new_user), version=1)

    def put_back(self, user: User) -> None:
        self._insert(user.attributes(), version=user.version, id=user.id)

    def _insert(self, attributes: Mapping[str, object], **columns: object) -> User:
        """Inserts the user's row and search key and counts it (`columns`: version, and the
        id when it is given)."""
        now = datetime.now(UTC)
        values = _stored(attributes)
        search_key = SEARCH_SEPARATOR.join(values[f"{a}_key"] for a in STRING_ATTRIBUTES)
        values.update(columns, created_at=now, updated_at=now)
        with storage_errors(name=str(attributes["name"])):
            (row,) = self._rows(_INSERT, values)
            user = _to_user(row)
            self._execute(_INSERT_SEARCH_KEY, {"user_id": user.id, "search_key": search_key})
            self._count_change(user.id, +1)
        return user

    def get(self, user_id: int) -> User:
        with storage_errors():
            rows = self._rows(_GET, {"match_id": user_id})
        if not rows:
            raise UserNotFoundError(user_id)
        return _to_user(rows[0])

    def _lock(self, user_id: int) -> User:
        statement = _LOCK_SQLITE if self._dialect == "sqlite" else _LOCK
        rows = self._rows(statement, {"match_id": user_id})
        if not rows:
            raise UserNotFoundError(user_id)
        return _to_user(rows[0])

    def _explain_miss(self, user_id: int, expected_version: int | None) -> Exception:
        """After an UPDATE or DELETE matched nothing: not found, or stale?"""
        with storage_errors():
            found = self._rows(_VERSION, {"match_id": user_id})
        if not found or expected_version is None:
            return UserNotFoundError(user_id)
        return StaleVersionError(user_id, expected_version)

    def change(
        self, user_id: int, changes: Mapping[str, object], expected_version: int | None
    ) -> tuple[User, User]:
        values = _stored(changes)
        parameters = {**values, "updated_at": datetime.now(UTC), "match_id": user_id}
        name = changes.get("name")
        with storage_errors(name=None if name is None else str(name)):
            if self._dialect == "postgresql":
                before, after = self._change_in_one(parameters, expected_version, user_id)
            else:
                before = self._lock(user_id)
                if expected_version is not None and before.version != expected_version:
                    raise StaleVersionError(user_id, expected_version)
                self._execute(_CHANGE_ROW, parameters)
                after = attrs.evolve(before, **changes, version=before.version + 1)  # type: ignore[arg-type]
            if any(attribute in changes for attribute in STRING_ATTRIBUTES):
                self._execute(_REKEY, {"match_id": user_id})
        return before, after

    def _change_in_one(
        self, parameters: dict[str, Any], expected_version: int | None, user_id: int
    ) -> tuple[User, User]:
        statement = _CHANGE_KEEPING_OLD
        if expected_version is not None:
            statement = _CHANGE_KEEPING_OLD_AT_VERSION
            parameters["match_version"] = expected_version
        rows = self._rows(statement, parameters)
        if not rows:
            raise self._explain_miss(user_id, expected_version)
        return _to_user(rows[0], "old_"), _to_user(rows[0])

    def remove(self, user_id: int, expected_version: int | None) -> User:
        statement = _REMOVE if expected_version is None else _REMOVE_AT_VERSION
        parameters = {"match_id": user_id, "match_version": expected_version}
        with storage_errors():
            removed = self._rows(statement, parameters)
            if removed:
                self._execute(_DELETE_SEARCH_KEY, {"match_id": user_id})
                self._count_change(user_id, -1)
        if not removed:
            raise self._explain_miss(user_id, expected_version)
        return _to_user(removed[0])

    def _page(
        self,
        selection: UserFilter,
        order: SortOrder,
        limit: int,
        offset: int,
        boundary: Key | None,
        backward: bool,
    ) -> Select[Any]:
        """A page of users. With an offset, the skipped rows are found by a subquery that
        reads only the sort columns and ids (an index-only scan where the sort has an index)
        and only the page's rows are fetched whole."""
        where = self._conditions(selection)
        if boundary is not None:
            where.append(listing.beyond(order, boundary, backward, self._dialect))
        ordering = listing.order_by(order, backward)
        if not offset:
            return select(*_USER_COLUMNS).where(*where).order_by(*ordering).limit(limit)
        page = select(users.c.id).where(*where).order_by(*ordering).limit(limit).offset(offset)
        # Through a derived table: MariaDB/MySQL take no LIMIT in an IN subquery itself.
        skipped = select(page.subquery().c.id)
        return select(*_USER_COLUMNS).where(users.c.id.in_(skipped)).order_by(*ordering)

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
        with storage_errors():
            statement = self._page(selection, order, limit, offset, boundary, backward)
            return [_to_user(row) for row in self._rows(statement)]

    def find_counted(
        self,
        selection: UserFilter,
        order: SortOrder,
        *,
        limit: int,
        offset: int = 0,
        boundary: Key | None = None,
        backward: bool = False,
        count_up_to: int | None = None,
    ) -> tuple[list[User], int]:
        """The page and its total in one round trip: the count is a subquery of the page's
        statement, which PostgreSQL and SQLite evaluate once."""
        with storage_errors():
            page = self._page(selection, order, limit, offset, boundary, backward)
            counted = self._count_statement(selection, count_up_to).scalar_subquery()
            rows = self._rows(page.add_columns(counted.label("total")))
        if not rows:  # an empty page carries no total: ask for it alone
            return [], self.count(selection, up_to=count_up_to)
        total = int(rows[0].total)
        if count_up_to is not None:
            total = min(total, count_up_to)
        return [_to_user(row) for row in rows], total

    def _conditions(self, selection: UserFilter) -> list[ColumnElement[bool]]:
        """listing.conditions, told whether the search term is a common one where the
        database cannot tell by itself (adapters/search.py)."""
        sampled = self._sampled(selection.search)
        return listing.conditions(
            selection, self._dialect, common_term=sampled.common, search_words=sampled.words
        )

    def _sampled(self, term: str | None) -> search.Sampled:
        """The search sample for `term`, read when `samples` has no answer kept for it
        (adapters/search.py)."""
        if term is None or not search.sample_needed(self._dialect):
            return search.NOT_SAMPLED
        sampled = self._samples.get(term)
        if sampled is None:
            (row,) = self._rows(*search.sample_statement(term, self._dialect))
            sampled = search.read_sample(term, self._dialect, tuple(row))
            self._samples.put(term, sampled)
        return sampled

    def _count_statement(self, selection: UserFilter, up_to: int | None) -> Select[Any]:
        if selection.is_empty:
            # Exact and O(1): the sharded counter kept in step by add() and remove().
            return _TOTAL
        if selection.search is not None and attrs.evolve(selection, search=None).is_empty:
            # Search alone: the search index or keys hold one row per user.
            sampled = self._sampled(selection.search)
            matching = search.matching_ids(
                selection.search, self._dialect, common=sampled.common, words=sampled.words
            )
        else:
            matching = select(users.c.id).where(*self._conditions(selection))
        if up_to is not None:
            # Stops at the bound: counting a million matches costs what a page never needs.
            matching = matching.limit(up_to)
        return select(func.count()).select_from(matching.subquery())

    def count(self, selection: UserFilter, *, up_to: int | None = None) -> int:
        with storage_errors():
            statement = self._count_statement(selection, up_to)
            ((total,),) = self._rows(statement)
        total = int(total)
        return total if up_to is None else min(total, up_to)
