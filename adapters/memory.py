"""The in-memory twin of the SQL adapter: same rules, no database.

A real adapter, not a test toy: uniqueness, versions, filters, sorting and keyset paging
follow the same rules as SQL, and the contract suite proves it. A unit of work holds the
store's lock for its whole life and undoes its changes on rollback, so transactions are
serialised and atomic.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any

import attrs

from domain.cursors import Key
from domain.errors import DuplicateNameError, StaleVersionError, UserNotFoundError
from domain.history import Action, Change, DeletedUser
from domain.model import NewUser, User, comparison_key
from domain.queries import SortOrder, UserFilter


@functools.total_ordering
class _Descending:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.value == other.value

    def __lt__(self, other: _Descending) -> bool:
        return bool(self.value > other.value)


def _comparable(order: SortOrder, key: Key) -> tuple[Any, ...]:
    return tuple(
        _Descending(value) if sort_key.descending else value
        for sort_key, value in zip(order.keys, key, strict=True)
    )


class InMemoryStore:
    """The shared state: users by id and the ids by name key, the history, the deleted."""

    def __init__(self) -> None:
        self.users: dict[int, User] = {}
        self.ids_by_name_key: dict[str, int] = {}
        self.last_id = 0
        self.changes: list[Change] = []  # in the order recorded: ids 1, 2, ...
        #: The restorable users: user id -> the id of its `deleted` change.
        self.restorable: dict[int, int] = {}
        self.lock = threading.RLock()


class InMemoryUserRepository:
    def __init__(self, store: InMemoryStore, undo: list[Callable[[], None]]) -> None:
        self._store = store
        self._undo = undo

    def _put(self, user: User) -> None:
        store = self._store
        previous = store.users.get(user.id)
        if previous is not None:
            del store.ids_by_name_key[previous.name_key]
        store.users[user.id] = user
        store.ids_by_name_key[user.name_key] = user.id

        def undo() -> None:
            del store.ids_by_name_key[user.name_key]
            if previous is None:
                del store.users[user.id]
            else:
                store.users[user.id] = previous
                store.ids_by_name_key[previous.name_key] = previous.id

        self._undo.append(undo)

    def _check_name_free(self, name: str, user_id: int | None) -> None:
        holder = self._store.ids_by_name_key.get(comparison_key(name))
        if holder is not None and holder != user_id:
            raise DuplicateNameError(name)

    def add(self, new_user: NewUser) -> User:
        self._check_name_free(new_user.name, None)
        store = self._store
        last_id = store.last_id
        store.last_id += 1
        self._undo.append(lambda: setattr(store, "last_id", last_id))
        user = User(id=store.last_id, **attrs.asdict(new_user))
        self._put(user)
        return user

    def get(self, user_id: int) -> User:
        try:
            return self._store.users[user_id]
        except KeyError:
            raise UserNotFoundError(user_id) from None

    def _get_at(self, user_id: int, expected_version: int | None) -> User:
        user = self.get(user_id)
        if expected_version is not None and user.version != expected_version:
            raise StaleVersionError(user_id, expected_version)
        return user

    def change(
        self, user_id: int, changes: Mapping[str, object], expected_version: int | None
    ) -> tuple[User, User]:
        user = self._get_at(user_id, expected_version)
        if "name" in changes:
            self._check_name_free(str(changes["name"]), user_id)
        changed = attrs.evolve(user, **changes, version=user.version + 1)  # type: ignore[arg-type]
        self._put(changed)
        return user, changed

    def remove(self, user_id: int, expected_version: int | None) -> User:
        user = self._get_at(user_id, expected_version)
        store = self._store
        del store.users[user_id]
        del store.ids_by_name_key[user.name_key]

        def undo() -> None:
            store.users[user_id] = user
            store.ids_by_name_key[user.name_key] = user_id

        self._undo.append(undo)
        return user

    def put_back(self, user: User) -> None:
        self._check_name_free(user.name, None)
        self._put(user)

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
        def position(user: User) -> tuple[Any, ...]:
            return _comparable(order, order.key_values(user))

        rows = sorted(
            (user for user in self._store.users.values() if selection.matches(user)),
            key=position,
            reverse=backward,
        )
        if boundary is not None:
            edge = _comparable(order, boundary)
            if backward:
                rows = [user for user in rows if position(user) < edge]
            else:
                rows = [user for user in rows if position(user) > edge]
        return rows[offset : offset + limit]

    def count(self, selection: UserFilter, *, up_to: int | None = None) -> int:
        if selection.is_empty:
            total = len(self._store.users)
        else:
            total = sum(1 for user in self._store.users.values() if selection.matches(user))
        return total if up_to is None else min(total, up_to)

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
        found = self.find(
            selection, order, limit=limit, offset=offset, boundary=boundary, backward=backward
        )
        return found, self.count(selection, up_to=count_up_to)


def del_last(items: list[Any]) -> None:
    del items[-1]


class InMemoryChangeLog:
    def __init__(self, store: InMemoryStore, undo: list[Callable[[], None]]) -> None:
        self._store = store
        self._undo = undo

    def record(self, change: Change) -> None:
        changes = self._store.changes
        changes.append(attrs.evolve(change, id=len(changes) + 1))
        self._undo.append(lambda: del_last(changes))
        if change.action is Action.DELETED:
            self._restorable(change.user_id, len(changes))

    def _restorable(self, user_id: int, change_id: int | None) -> None:
        restorable = self._store.restorable
        previous = restorable.pop(user_id, None)
        if change_id is not None:
            restorable[user_id] = change_id

        def undo() -> None:
            restorable.pop(user_id, None)
            if previous is not None:
                restorable[user_id] = previous

        self._undo.append(undo)

    def history(
        self,
        user_id: int,
        *,
        limit: int,
        older_than: int | None = None,
        newer_than: int | None = None,
    ) -> list[Change]:
        mine = [c for c in self._store.changes if c.user_id == user_id]  # oldest first
        if newer_than is not None:
            newer = [c for c in mine if c.id is not None and c.id > newer_than]
            return list(reversed(newer[:limit]))
        if older_than is not None:
            mine = [c for c in mine if c.id is not None and c.id < older_than]
        return list(reversed(mine))[:limit]

    def _deleted(self) -> list[DeletedUser]:
        """Every restorable user, the latest deleted first."""
        changes = self._store.changes
        ids = sorted(self._store.restorable.values(), reverse=True)
        return [DeletedUser.of(changes[change_id - 1]) for change_id in ids]

    def deleted(self, *, limit: int, older_than: int | None = None) -> list[DeletedUser]:
        rows = self._deleted()
        if older_than is not None:
            rows = [d for d in rows if d.sequence < older_than]
        return rows[:limit]

    def take_deleted(self, user_id: int) -> DeletedUser:
        change_id = self._store.restorable.get(user_id)
        if change_id is None:
            raise UserNotFoundError(user_id)
        self._restorable(user_id, None)
        return DeletedUser.of(self._store.changes[change_id - 1])

    def purge_deleted(self, deleted_before: datetime, *, limit: int) -> list[int]:
        expired = [d for d in self._deleted() if d.deleted_at < deleted_before][::-1][:limit]
        purged = {d.user.id for d in expired}
        for user_id in purged:
            self._restorable(user_id, None)
        changes = self._store.changes
        for index, change in enumerate(changes):
            if change.user_id in purged and change.changed is not None:
                changes[index] = attrs.evolve(change, changed=None)
                self._undo.append(functools.partial(changes.__setitem__, index, change))
        return [d.user.id for d in expired]


class InMemoryUnitOfWork:
    """Holds the store's lock from `with` to its end; uncommitted changes are undone. A unit
    marked reading() that changes anything fails, so the use-case tests catch one that
    wrongly says it only reads."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self._undo: list[Callable[[], None]] = []
        self._reading = False
        self.users = InMemoryUserRepository(store, self._undo)
        self.changes = InMemoryChangeLog(store, self._undo)

    def reading(self) -> InMemoryUnitOfWork:
        self._reading = True
        return self

    def __enter__(self) -> InMemoryUnitOfWork:
        self._store.lock.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            wrote = bool(self._undo)
            self.rollback()
            if wrote and self._reading and exc is None:
                raise RuntimeError("a unit of work marked reading() changed something")
        finally:
            self._store.lock.release()

    def commit(self) -> None:
        if self._reading:
            raise RuntimeError("a unit of work marked reading() cannot commit")
        self._undo.clear()

    def rollback(self) -> None:
        while self._undo:
            self._undo.pop()()


def in_memory_uow_factory(store: InMemoryStore | None = None) -> Callable[[], InMemoryUnitOfWork]:
    """A factory handing out units of work over one shared store."""
    shared = store if store is not None else InMemoryStore()
    return lambda: InMemoryUnitOfWork(shared)
