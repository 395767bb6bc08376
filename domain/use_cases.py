"""What the service does, as functions over a unit of work."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from domain.accounts import OPERATOR, Actor
from domain.cursors import Key, decode_cursor, encode_cursor, including
from domain.errors import StaleVersionError
from domain.model import User
from domain.policy import Permission, require
from domain.ports import UnitOfWork, UserRepository
from domain.queries import CursorPage, NumberPage, SortOrder, UserPage, UserQuery
from domain.validation import validate_changes, validate_new_user

# Every use case takes the actor it acts for (keyword `actor`): the HTTP layer passes the
# request's; the command line and in-process callers act as the OPERATOR.


def register_user(
    uow: UnitOfWork, attributes: Mapping[str, object], *, actor: Actor = OPERATOR
) -> User:
    """Raises ForbiddenError, UserValidationError, DuplicateNameError."""
    require(actor, Permission.CHANGE_USERS)
    new_user = validate_new_user(attributes)
    with uow:
        return uow.commit_write(lambda: uow.users.add(new_user))


def get_user(uow: UnitOfWork, user_id: int, *, actor: Actor = OPERATOR) -> User:
    """Raises ForbiddenError, UserNotFoundError."""
    require(actor, Permission.READ_USERS)
    with uow:
        return uow.users.get(user_id)


def change_user(
    uow: UnitOfWork,
    user_id: int,
    attributes: Mapping[str, object],
    expected_version: int | None = None,
    *,
    actor: Actor = OPERATOR,
) -> User:
    """Changes the given attributes only. Raises ForbiddenError, UserValidationError,
    UserNotFoundError, StaleVersionError, DuplicateNameError."""
    require(actor, Permission.CHANGE_USERS)
    changes = validate_changes(attributes)
    with uow:
        if not changes:
            user = uow.users.get(user_id)
            if expected_version is not None and user.version != expected_version:
                raise StaleVersionError(user_id, expected_version)
            return user
        return uow.commit_write(lambda: uow.users.change(user_id, changes, expected_version))


def remove_user(
    uow: UnitOfWork,
    user_id: int,
    expected_version: int | None = None,
    *,
    actor: Actor = OPERATOR,
) -> None:
    """Raises ForbiddenError, UserNotFoundError, StaleVersionError."""
    require(actor, Permission.CHANGE_USERS)
    with uow:
        uow.commit_write(lambda: uow.users.remove(user_id, expected_version))


def list_users(uow: UnitOfWork, query: UserQuery, *, actor: Actor = OPERATOR) -> UserPage:
    """Raises ForbiddenError; InvalidCursorError for a cursor this service did not issue for
    this order."""
    require(actor, Permission.READ_USERS)
    with uow:
        repository = uow.users
        total: int | None = None

        def find_first(
            limit: int, offset: int = 0, boundary: Key | None = None, backward: bool = False
        ) -> list[User]:
            """The page's main query; it brings the total along when one is asked for."""
            nonlocal total
            where = query.filter, query.order
            if query.include_total:
                users, total = repository.find_counted(
                    *where, limit=limit, offset=offset, boundary=boundary, backward=backward
                )
                return users
            return repository.find(
                *where, limit=limit, offset=offset, boundary=boundary, backward=backward
            )

        if isinstance(query.page, NumberPage):
            size = query.page.size
            users = find_first(size, offset=(query.page.number - 1) * size)
            return UserPage(tuple(users), total=total)
        page = _cursor_page(repository, find_first, query, query.page)
        return UserPage(page.users, total, page.next_cursor, page.prev_cursor)


def _next_cursor(order: SortOrder, rows: Sequence[User], size: int) -> str | None:
    """A cursor after the page's last user when `rows` (one more than a page) go further."""
    return encode_cursor(order, order.key_values(rows[size - 1])) if len(rows) > size else None


def _cursor_page(
    repository: UserRepository,
    find_first: Callable[..., list[User]],
    query: UserQuery,
    page: CursorPage,
) -> UserPage:
    selection, order, size = query.filter, query.order, page.size

    def exists_beyond(key: tuple[str | int, ...], backward: bool) -> bool:
        return bool(repository.find(selection, order, limit=1, boundary=key, backward=backward))

    if page.before is None:
        if page.after is None:
            rows = find_first(size + 1)
            return UserPage(tuple(rows[:size]), next_cursor=_next_cursor(order, rows, size))
        boundary = decode_cursor(order, page.after)
        # Ask for the user at the cursor too: while it still exists and matches (the usual
        # case), it proves there is a previous page, which otherwise takes a second query.
        rows = find_first(size + 2, boundary=including(order, boundary, probing_forward=True))
        at_cursor = bool(rows) and order.key_values(rows[0]) == boundary
        rows = rows[1:] if at_cursor else rows[: size + 1]
        users = tuple(rows[:size])
        anchor = (
            order.key_values(users[0])
            if users
            else including(order, boundary, probing_forward=False)
        )
        has_prev = at_cursor or exists_beyond(anchor, backward=True)
        prev_cursor = encode_cursor(order, anchor) if has_prev else None
        return UserPage(users, next_cursor=_next_cursor(order, rows, size), prev_cursor=prev_cursor)

    boundary = decode_cursor(order, page.before)
    rows = find_first(size + 1, boundary=boundary, backward=True)
    users = tuple(reversed(rows[:size]))
    prev_cursor = encode_cursor(order, order.key_values(users[0])) if len(rows) > size else None
    anchor = (
        order.key_values(users[-1]) if users else including(order, boundary, probing_forward=True)
    )
    next_cursor = encode_cursor(order, anchor) if exists_beyond(anchor, backward=False) else None
    return UserPage(users, next_cursor=next_cursor, prev_cursor=prev_cursor)
