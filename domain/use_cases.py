"""What the service does, as functions over a unit of work."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from domain.accounts import OPERATOR, Actor
from domain.cursors import Key, decode_cursor, encode_cursor, end_cursor, including
from domain.errors import InvalidQueryError, StaleVersionError
from domain.history import Action, Change
from domain.model import User
from domain.policy import Permission, require
from domain.ports import UnitOfWork, UserRepository
from domain.queries import (
    COUNT_BOUND,
    PAGE_WINDOW,
    CursorPage,
    NumberPage,
    SortOrder,
    UserPage,
    UserQuery,
    counted_total,
)
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
        user = uow.users.add(new_user)
        uow.changes.record(Change.of(Action.CREATED, None, user, actor, _now()))
        uow.commit()
        return user


def get_user(uow: UnitOfWork, user_id: int, *, actor: Actor = OPERATOR) -> User:
    """Raises ForbiddenError, UserNotFoundError."""
    require(actor, Permission.READ_USERS)
    with uow.reading():
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
        before, after = uow.users.change(user_id, changes, expected_version)
        uow.changes.record(Change.of(Action.CHANGED, before, after, actor, _now()))
        uow.commit()
        return after


def remove_user(
    uow: UnitOfWork,
    user_id: int,
    expected_version: int | None = None,
    *,
    actor: Actor = OPERATOR,
) -> None:
    """Keeps the user restorable (domain.history_use_cases.restore_user) until it is purged.
    Raises ForbiddenError, UserNotFoundError, StaleVersionError."""
    require(actor, Permission.CHANGE_USERS)
    with uow:
        user = uow.users.remove(user_id, expected_version)
        uow.changes.record(Change.of(Action.DELETED, user, None, actor, _now()))
        uow.commit()


def list_users(uow: UnitOfWork, query: UserQuery, *, actor: Actor = OPERATOR) -> UserPage:
    """Raises ForbiddenError; InvalidCursorError for a cursor this service did not issue for
    this order, and InvalidQueryError for a numbered page beyond PAGE_WINDOW users from either
    end."""
    require(actor, Permission.READ_USERS)
    # The unfiltered total is exact (storage keeps it cheaply); a filter's stops at the bound.
    bound = None if query.filter.is_empty else COUNT_BOUND
    with uow.reading():
        repository = uow.users
        total = 0

        def find_first(
            limit: int, offset: int = 0, boundary: Key | None = None, backward: bool = False
        ) -> list[User]:
            """The page's main query; it brings the total along."""
            nonlocal total
            users, total = repository.find_counted(
                query.filter,
                query.order,
                limit=limit,
                offset=offset,
                boundary=boundary,
                backward=backward,
                count_up_to=bound,
            )
            return users

        page = query.page
        if isinstance(page, CursorPage):
            users, next_cursor, prev_cursor = _cursor_page(repository, find_first, query, page)
            return UserPage(users, *counted_total(total, bound), next_cursor, prev_cursor)
        if page.start + page.size <= PAGE_WINDOW:
            users = tuple(find_first(page.size, offset=page.start))
            return UserPage(users, *counted_total(total, bound))
        return _page_from_the_end(repository, query, page, bound)


def _now() -> datetime:
    return datetime.now(UTC)


def _page_from_the_end(
    repository: UserRepository, query: UserQuery, page: NumberPage, bound: int | None
) -> UserPage:
    """A numbered page past the first PAGE_WINDOW users: counted, then read backwards from
    the end when it lies within PAGE_WINDOW users of it; refused when it lies further."""
    total, exact = counted_total(repository.count(query.filter, up_to=bound), bound)
    if not page.reachable(total, exact):
        raise InvalidQueryError(
            "page[number]",
            f"page[number]={page.number} does not start within {PAGE_WINDOW:,} users of "
            "either end of this list, where numbered pages stop; page by cursor instead: "
            "leave out page[number] and follow links.next and links.prev",
        )
    end = min(page.start + page.size, total)
    rows = repository.find(
        query.filter, query.order, limit=end - page.start, offset=total - end, backward=True
    )
    return UserPage(tuple(reversed(rows)), total)


def _next_cursor(order: SortOrder, rows: Sequence[User], size: int) -> str | None:
    """A cursor after the page's last user when `rows` (one more than a page) go further."""
    return encode_cursor(order, order.key_values(rows[size - 1])) if len(rows) > size else None


CursorWindow = tuple[tuple[User, ...], str | None, str | None]  # users, next, prev cursors


def _cursor_page(
    repository: UserRepository,
    find_first: Callable[..., list[User]],
    query: UserQuery,
    page: CursorPage,
) -> CursorWindow:
    selection, order, size = query.filter, query.order, page.size

    def exists_beyond(key: tuple[str | int, ...], backward: bool) -> bool:
        return bool(repository.find(selection, order, limit=1, boundary=key, backward=backward))

    if page.before is None:
        if page.after is None:
            rows = find_first(size + 1)
            return tuple(rows[:size]), _next_cursor(order, rows, size), None
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
        return users, _next_cursor(order, rows, size), prev_cursor

    if page.before == end_cursor(order):  # the last page: nothing comes after it
        rows = find_first(size + 1, backward=True)
        users = tuple(reversed(rows[:size]))
        return users, None, _prev_cursor(order, users, rows, size)
    boundary = decode_cursor(order, page.before)
    rows = find_first(size + 1, boundary=boundary, backward=True)
    users = tuple(reversed(rows[:size]))
    anchor = (
        order.key_values(users[-1]) if users else including(order, boundary, probing_forward=True)
    )
    next_cursor = encode_cursor(order, anchor) if exists_beyond(anchor, backward=False) else None
    return users, next_cursor, _prev_cursor(order, users, rows, size)


def _prev_cursor(
    order: SortOrder, users: Sequence[User], rows: Sequence[User], size: int
) -> str | None:
    """A cursor before the page's first user when `rows` (read backwards, one more than a
    page) go further."""
    return encode_cursor(order, order.key_values(users[0])) if len(rows) > size else None
