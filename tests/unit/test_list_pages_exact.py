"""list_users pinned exactly: which users each numbered and cursor page holds, its total and
whether that is exact, its cursors (written out in the documented format), and the numbered
pages refused, at the 10,000-user window and one past it."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from adapters.memory import InMemoryStore, InMemoryUnitOfWork, in_memory_uow_factory
from domain.cursors import end_cursor
from domain.errors import InvalidCursorError, InvalidQueryError
from domain.model import NewUser
from domain.queries import CursorPage, NumberPage, SortOrder, UserFilter, UserPage, UserQuery
from domain.use_cases import list_users, remove_user

WINDOW = 10_000  # numbered pages reach this many users from either end (issue 13)
COUNTED = 1_000  # a filtered count stops here (issue 19)
LONG = 10_030  # users in the long list: the window and 30 more

Factory = Callable[[], InMemoryUnitOfWork]
BY_ID = SortOrder()


def b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def by_id(key: int) -> str:
    """The cursor at user `key` in the default order (by id), as documented."""
    return b64(f"v1|id|i{key}")


def add_users(uow: InMemoryUnitOfWork, count: int) -> None:
    with uow:
        for number in range(1, count + 1):
            uow.users.add(NewUser(f"u{number:06}", "street", 40, "cook", "https://a.example"))
        uow.commit()


@pytest.fixture(scope="module")
def long_store() -> InMemoryStore:
    store = InMemoryStore()
    add_users(InMemoryUnitOfWork(store), LONG)
    return store


def long_list(store: InMemoryStore, query: UserQuery) -> tuple[list[int], UserPage]:
    page = list_users(InMemoryUnitOfWork(store), query)
    return [user.id for user in page.users], page


@pytest.fixture
def ten() -> Factory:
    """Users 1 to 10."""
    factory = in_memory_uow_factory()
    add_users(factory(), 10)
    return factory


def ids_and_cursors(
    uow: Factory, page: CursorPage, order: SortOrder = BY_ID
) -> tuple[list[int], str | None, str | None]:
    found = list_users(uow(), UserQuery(order=order, page=page))
    return [user.id for user in found.users], found.next_cursor, found.prev_cursor


# -- end_cursor and NumberPage.reachable ----------------------------------------------------


def test_the_end_cursor_is_written_as_documented() -> None:
    assert end_cursor(SortOrder()) == b64("v1|id|end")
    assert end_cursor(SortOrder.parse("-name")) == b64("v1|-name,-id|end")


def test_the_end_cursor_is_no_cursor_to_page_after(ten: Factory) -> None:
    with pytest.raises(InvalidCursorError) as refused:
        list_users(ten(), UserQuery(page=CursorPage(3, after=end_cursor(SortOrder()))))
    assert refused.value.reason == "the cursor is not one this service issued"


@pytest.mark.parametrize(
    ("page", "total", "exact", "reachable"),
    [
        (NumberPage(500, 20), 0, False, True),  # ends at the window
        (NumberPage(1, 10_000), 0, False, True),
        (NumberPage(501, 20), 10_000, True, False),  # starts at the end
        (NumberPage(501, 20), 10_001, True, True),
        (NumberPage(501, 20), 20_000, True, True),  # starts WINDOW from the end
        (NumberPage(501, 20), 20_001, True, False),
        (NumberPage(501, 20), 10_001, False, False),  # a total that is only a lower bound
        (NumberPage(251, 40), 10_040, True, True),
    ],
)
def test_a_numbered_page_is_reachable_within_the_window_of_either_end(
    page: NumberPage, total: int, exact: bool, reachable: bool
) -> None:
    assert page.reachable(total, exact) is reachable


# -- numbered pages -------------------------------------------------------------------------


def test_the_last_page_of_the_window_is_read_from_the_front(long_store: InMemoryStore) -> None:
    found, page = long_list(long_store, UserQuery(page=NumberPage(500, 20)))
    assert found == list(range(9_981, 10_001))
    assert (page.total, page.total_exact) == (LONG, True)


def test_the_first_page_past_the_window_is_read_from_the_end(long_store: InMemoryStore) -> None:
    found, page = long_list(long_store, UserQuery(page=NumberPage(501, 20)))
    assert found == list(range(10_001, 10_021))
    assert (page.total, page.total_exact, page.next_cursor, page.prev_cursor) == (
        LONG,
        True,
        None,
        None,
    )


def test_a_short_last_page_from_the_end(long_store: InMemoryStore) -> None:
    found, page = long_list(long_store, UserQuery(page=NumberPage(502, 20)))
    assert found == list(range(10_021, 10_031))
    assert page.total == LONG


def test_a_page_past_the_end_beyond_the_window_is_refused(long_store: InMemoryStore) -> None:
    with pytest.raises(InvalidQueryError) as refused:
        long_list(long_store, UserQuery(page=NumberPage(503, 20)))
    assert refused.value.parameter == "page[number]"
    assert refused.value.detail == (
        "page[number]=503 does not start within 10,000 users of either end of this list, "
        "where numbered pages stop; page by cursor instead: leave out page[number] and follow "
        "links.next and links.prev"
    )


def test_a_filtered_list_counts_to_the_bound_and_refuses_pages_past_the_window(
    long_store: InMemoryStore,
) -> None:
    everyone = UserFilter.build(search="u0")
    found, page = long_list(long_store, UserQuery(everyone, page=NumberPage(2, 3)))
    assert found == [4, 5, 6]
    assert (page.total, page.total_exact) == (COUNTED, False)
    with pytest.raises(InvalidQueryError):
        long_list(long_store, UserQuery(everyone, page=NumberPage(501, 20)))
    few = UserFilter.build(search="u00999")  # u009990 to u009999
    found, page = long_list(long_store, UserQuery(few, page=NumberPage(1, 3)))
    assert found == [9_990, 9_991, 9_992]
    assert (page.total, page.total_exact) == (10, True)


def test_a_filtered_cursor_page_counts_to_the_bound(long_store: InMemoryStore) -> None:
    everyone = UserFilter.build(search="u0")
    found, page = long_list(long_store, UserQuery(everyone, page=CursorPage(2)))
    assert found == [1, 2]
    assert (page.total, page.total_exact, page.next_cursor) == (COUNTED, False, by_id(2))
    found, page = long_list(long_store, UserQuery(page=CursorPage(2)))
    assert (page.total, page.total_exact) == (LONG, True)


def test_a_numbered_page_past_the_end_within_the_window_is_empty(ten: Factory) -> None:
    page = list_users(ten(), UserQuery(page=NumberPage(6, 2)))
    assert ([u.id for u in page.users], page.total, page.total_exact) == ([], 10, True)
    page = list_users(ten(), UserQuery(page=NumberPage(5, 2)))
    assert [u.id for u in page.users] == [9, 10]


# -- cursor pages ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (CursorPage(3), ([1, 2, 3], by_id(3), None)),
        (CursorPage(10), (list(range(1, 11)), None, None)),
        (CursorPage(9), (list(range(1, 10)), by_id(9), None)),
        (CursorPage(3, after=by_id(3)), ([4, 5, 6], by_id(6), by_id(4))),
        (CursorPage(3, after=by_id(7)), ([8, 9, 10], None, by_id(8))),
        (CursorPage(3, after=by_id(6)), ([7, 8, 9], by_id(9), by_id(7))),
        (CursorPage(3, after=by_id(9)), ([10], None, by_id(10))),
        (CursorPage(3, after=by_id(10)), ([], None, by_id(11))),
        (CursorPage(3, after=by_id(0)), ([1, 2, 3], by_id(3), None)),
        (CursorPage(3, before=by_id(5)), ([2, 3, 4], by_id(4), by_id(2))),
        (CursorPage(3, before=by_id(4)), ([1, 2, 3], by_id(3), None)),
        (CursorPage(3, before=by_id(1)), ([], by_id(0), None)),
        (CursorPage(3, before=by_id(11)), ([8, 9, 10], None, by_id(8))),
        (CursorPage(3, before=b64("v1|id|end")), ([8, 9, 10], None, by_id(8))),
        (CursorPage(10, before=b64("v1|id|end")), (list(range(1, 11)), None, None)),
        (CursorPage(11, before=b64("v1|id|end")), (list(range(1, 11)), None, None)),
    ],
)
def test_cursor_pages_of_ten_users(
    ten: Factory, page: CursorPage, expected: tuple[list[int], str | None, str | None]
) -> None:
    assert ids_and_cursors(ten, page) == expected


def test_the_last_page_by_descending_id(ten: Factory) -> None:
    order = SortOrder.parse("-id")
    page = CursorPage(3, before=b64("v1|-id|end"))
    assert ids_and_cursors(ten, page, order) == ([3, 2, 1], None, b64("v1|-id|i3"))


def test_a_page_after_a_removed_users_cursor(ten: Factory) -> None:
    remove_user(ten(), 3)
    assert ids_and_cursors(ten, CursorPage(3, after=by_id(3))) == ([4, 5, 6], by_id(6), by_id(4))
    remove_user(ten(), 1)
    remove_user(ten(), 2)
    assert ids_and_cursors(ten, CursorPage(3, after=by_id(3))) == ([4, 5, 6], by_id(6), None)
    remove_user(ten(), 7)
    assert ids_and_cursors(ten, CursorPage(3, after=by_id(7))) == ([8, 9, 10], None, by_id(8))
    remove_user(ten(), 6)
    assert ids_and_cursors(ten, CursorPage(2, after=by_id(6))) == ([8, 9], by_id(9), by_id(8))


def test_a_page_before_a_removed_users_cursor(ten: Factory) -> None:
    remove_user(ten(), 8)
    assert ids_and_cursors(ten, CursorPage(3, before=by_id(8))) == ([5, 6, 7], by_id(7), by_id(5))
    for user_id in (9, 10):
        remove_user(ten(), user_id)
    assert ids_and_cursors(ten, CursorPage(3, before=by_id(8))) == ([5, 6, 7], None, by_id(5))


def test_the_last_filtered_page_of_the_window_is_read_from_the_front(
    long_store: InMemoryStore,
) -> None:
    everyone = UserFilter.build(search="u0")
    found, page = long_list(long_store, UserQuery(everyone, page=NumberPage(500, 20)))
    assert found == list(range(9_981, 10_001))
    assert (page.total, page.total_exact) == (COUNTED, False)


class ProbeCounting(InMemoryUnitOfWork):
    """Counts the reads of users (the in-memory `find_counted` reads through `find` too)."""

    def __init__(self, store: InMemoryStore) -> None:
        super().__init__(store)
        self.reads = 0
        find = self.users.find

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.reads += 1
            return find(*args, **kwargs)

        self.users.find = counted  # type: ignore[method-assign]


def test_the_user_at_the_cursor_proves_a_previous_page_without_a_second_read(
    long_store: InMemoryStore,
) -> None:
    uow = ProbeCounting(long_store)
    page = list_users(uow, UserQuery(page=CursorPage(3, after=by_id(5))))
    assert ([u.id for u in page.users], page.prev_cursor, uow.reads) == ([6, 7, 8], by_id(6), 1)
    uow = ProbeCounting(long_store)
    page = list_users(uow, UserQuery(page=CursorPage(3, after=by_id(0))))
    assert ([u.id for u in page.users], page.prev_cursor, uow.reads) == ([1, 2, 3], None, 2)
