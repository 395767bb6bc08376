"""The ports the use cases drive. Adapters satisfy them structurally."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import TracebackType
from typing import Protocol

from domain.cursors import Key
from domain.history import Change, DeletedUser
from domain.model import NewUser, User
from domain.queries import SortOrder, UserFilter


class UserRepository(Protocol):
    """Every method may also raise StorageUnavailableError."""

    def add(self, new_user: NewUser) -> User:
        """Stores a new user at version 1. Raises DuplicateNameError."""
        ...

    def get(self, user_id: int) -> User:
        """Raises UserNotFoundError."""
        ...

    def change(
        self, user_id: int, changes: Mapping[str, object], expected_version: int | None
    ) -> tuple[User, User]:
        """Applies validated `changes` atomically, adds one to the version, and returns the
        user before and after. "Before" is the state this change replaced: no other unit of
        work changes the user in between.

        With `expected_version`, changes only a user still at that version. Raises
        UserNotFoundError, StaleVersionError, DuplicateNameError.
        """
        ...

    def remove(self, user_id: int, expected_version: int | None) -> User:
        """Removes the user and returns it as it was. Raises UserNotFoundError,
        StaleVersionError."""
        ...

    def put_back(self, user: User) -> None:
        """Stores a removed user again with its own id and `user.version` (a restore).
        Raises DuplicateNameError."""
        ...

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
        """Users matching `selection` in `order`, reversed when `backward`.

        With `boundary` (a key as SortOrder.key_values gives), only users strictly beyond
        it in the direction of travel; then `offset` users are skipped and at most `limit`
        returned, nearest the start (or the boundary) first.
        """
        ...

    def count(self, selection: UserFilter, *, up_to: int | None = None) -> int:
        """How many users match `selection`; with `up_to`, stops counting there and returns
        min(count, up_to)."""
        ...

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
        """find() and count(selection, up_to=count_up_to) together (one round trip where
        storage allows)."""
        ...


class ChangeLog(Protocol):
    """Every user's history, and the deleted users it keeps restorable. Every method may
    also raise StorageUnavailableError."""

    def record(self, change: Change) -> None:
        """Stores `change` (its id is given by storage, larger than every earlier one). A
        `deleted` change keeps the user restorable until take_deleted or purge_deleted."""
        ...

    def history(
        self,
        user_id: int,
        *,
        limit: int,
        older_than: int | None = None,
        newer_than: int | None = None,
    ) -> list[Change]:
        """At most `limit` of the user's changes, newest first: the newest ones, or the
        newest older than the change `older_than`, or the oldest newer than `newer_than`."""
        ...

    def deleted(self, *, limit: int, older_than: int | None = None) -> list[DeletedUser]:
        """At most `limit` restorable users, the latest deleted first; with `older_than` (a
        DeletedUser.sequence), those deleted before it."""
        ...

    def take_deleted(self, user_id: int) -> DeletedUser:
        """The restorable user, no longer restorable from now on. Raises UserNotFoundError."""
        ...

    def purge_deleted(self, deleted_before: datetime, *, limit: int) -> list[int]:
        """At most `limit` users deleted before `deleted_before` are no longer restorable and
        their changes lose their values (`changed` becomes None); returns their ids. Safe when
        another unit of work purges at the same time: each id is returned once."""
        ...


class UnitOfWork(Protocol):
    """One transaction. Leaving the `with` block without commit() rolls back.

    A unit of work that only reads says so before it is entered: `with uow.reading():`. It
    never commits, and storage may then run each of its statements by itself, without
    BEGIN/ROLLBACK, where a reader cannot tell the difference: under READ COMMITTED every
    statement sees its own snapshot inside a transaction or outside one (PostgreSQL,
    MariaDB/MySQL here). Storage whose transaction is one snapshot (SQLite) keeps it.
    """

    users: UserRepository
    changes: ChangeLog

    def reading(self) -> UnitOfWork:
        """This unit of work, marked as one that only reads (before `with`)."""
        ...

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None:
        """Raises RuntimeError in a unit of work marked reading()."""
        ...

    def rollback(self) -> None: ...
