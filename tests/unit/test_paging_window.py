"""list_users: numbered pages near the end are read backwards, so no read skips more than
the window; filtered counts are asked to stop at the bound; cursor pages reach the end."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.memory import InMemoryStore, InMemoryUnitOfWork, InMemoryUserRepository
from domain.cursors import end_cursor
from domain.errors import InvalidQueryError
from domain.model import NewUser
from domain.queries import CursorPage, NumberPage, SortOrder, UserFilter, UserQuery
from domain.use_cases import list_users

WINDOW = 10_000  # issue 13's figure, written out here
COUNTED = 1_000  # where a filtered count stops (issue 19)


class RecordingRepository(InMemoryUserRepository):
    """The in-memory repository, noting how far each read skips and what each count is
    bounded by."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.reads: list[dict[str, Any]] = []
        self.count_bounds: list[int | None] = []

    def find(self, *args: Any, **kwargs: Any) -> Any:
        self.reads.append(kwargs)
        return super().find(*args, **kwargs)

    def count(self, selection: UserFilter, *, up_to: int | None = None) -> int:
        self.count_bounds.append(up_to)
        return super().count(selection, up_to=up_to)


class RecordingUnitOfWork(InMemoryUnitOfWork):
    def __init__(self, store: InMemoryStore) -> None:
        super().__init__(store)
        self.users = RecordingRepository(store, self._undo)


@pytest.fixture(scope="module")
def store() -> InMemoryStore:
    store = InMemoryStore()
    uow = InMemoryUnitOfWork(store)
    with uow:
        for number in range(1, 25_001):
            uow.users.add(NewUser(f"u{number:06}", "street", 40, "cook", "https://a.example"))
        uow.commit()
    return store


def listed(store: InMemoryStore, query: UserQuery) -> tuple[list[int], RecordingRepository]:
    uow = RecordingUnitOfWork(store)
    page = list_users(uow, query)
    return [user.id for user in page.users], uow.users


def test_the_last_page_of_a_long_list_skips_nothing(store: InMemoryStore) -> None:
    found, repository = listed(store, UserQuery(page=NumberPage(1_250, 20)))
    assert found == list(range(24_981, 25_001))
    assert max(read.get("offset", 0) for read in repository.reads) == 0
    assert any(read.get("backward") for read in repository.reads)


def test_a_page_near_the_end_skips_less_than_the_window(store: InMemoryStore) -> None:
    found, repository = listed(store, UserQuery(page=NumberPage(751, 20)))  # users 15,001-
    assert found == list(range(15_001, 15_021))
    assert all(read.get("offset", 0) <= WINDOW for read in repository.reads)


def test_a_page_between_the_windows_is_refused(store: InMemoryStore) -> None:
    with pytest.raises(InvalidQueryError) as refused:
        listed(store, UserQuery(page=NumberPage(501, 20)))  # users 10,001-10,020
    assert refused.value.parameter == "page[number]"


def test_a_filtered_list_asks_for_a_bounded_count_and_the_plain_list_does_not(
    store: InMemoryStore,
) -> None:
    _, filtered = listed(store, UserQuery(UserFilter.build(search="u0")))
    assert filtered.count_bounds == [COUNTED]
    _, plain = listed(store, UserQuery())
    assert plain.count_bounds == [None]


def test_the_end_cursor_gives_the_last_page_and_no_next(store: InMemoryStore) -> None:
    order = SortOrder()
    uow = RecordingUnitOfWork(store)
    page = list_users(uow, UserQuery(order=order, page=CursorPage(7, before=end_cursor(order))))
    assert [user.id for user in page.users] == list(range(24_994, 25_001))
    assert page.next_cursor is None and page.prev_cursor is not None
    before = list_users(uow, UserQuery(order=order, page=CursorPage(7, before=page.prev_cursor)))
    assert [user.id for user in before.users] == list(range(24_987, 24_994))
