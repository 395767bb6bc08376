"""The ports the use cases drive. Adapters satisfy them structurally."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Protocol, TypeVar

from domain.cursors import Key
from domain.model import NewUser, User
from domain.queries import SortOrder, UserFilter

T = TypeVar("T")


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
    ) -> User:
        """Applies validated `changes` atomically and adds one to the version.

        With `expected_version`, changes only a user still at that version. Raises
        UserNotFoundError, StaleVersionError, DuplicateNameError.
        """
        ...

    def remove(self, user_id: int, expected_version: int | None) -> None:
        """Raises UserNotFoundError, StaleVersionError."""
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


class UnitOfWork(Protocol):
    """One transaction. Leaving the `with` block without commit() rolls back."""

    users: UserRepository

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def commit_write(self, write: Callable[[], T]) -> T:
        """Runs `write` (one repository write: add, change or remove) and commits; what it
        raises leaves nothing changed. Same as calling `write()` then commit()."""
        ...

    def rollback(self) -> None: ...
