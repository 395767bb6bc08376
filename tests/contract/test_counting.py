"""Counts that stop at a bound, and searches whatever share of the users a term matches.

A term most users match takes another path than a rare one on some databases (SQLite walks
the sort's index, adapters/search.py); both must find what the in-memory adapter finds.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain.ports import UnitOfWork
from domain.queries import SortOrder, UserFilter
from domain.validation import validate_new_user
from tests.support.users import user_attributes

Factory = Callable[[], UnitOfWork]

USERS = 30
#: Users whose profession holds "antern": two in three, a common term.
COMMON = [i for i in range(USERS) if i % 3 != 0]
RARE_ONE = 17  # the one user whose address holds "zyxwv"


def _name(i: int) -> str:
    return f"User {i:02d}"


@pytest.fixture
def store(uow_factory: Factory) -> Factory:
    with uow_factory() as uow:
        for i in range(USERS):
            uow.users.add(
                validate_new_user(
                    user_attributes(
                        name=_name(i),
                        address="9 Zyxwv Row" if i == RARE_ONE else f"{i} Main Street",
                        age=i,
                        profession="Lantern maker" if i in COMMON else "Baker",
                    )
                )
            )
        uow.commit()
    return uow_factory


def _count(store: Factory, selection: UserFilter, up_to: int | None) -> int:
    with store() as uow:
        return uow.users.count(selection, up_to=up_to)


@pytest.mark.parametrize(
    ("selection", "exact"),
    [
        (UserFilter(), USERS),
        (UserFilter.build(age_min=10), USERS - 10),
        (UserFilter.build(search="antern"), len(COMMON)),
        (UserFilter.build(search="an"), len(COMMON)),
        (UserFilter.build(search="antern", age_min=10), len([i for i in COMMON if i >= 10])),
        (UserFilter.build(search="zyxwv"), 1),
    ],
    ids=["all", "age", "common term", "short term", "term and age", "rare term"],
)
def test_count_up_to_a_bound_is_the_count_or_the_bound(
    store: Factory, selection: UserFilter, exact: int
) -> None:
    assert _count(store, selection, None) == exact
    assert _count(store, selection, exact) == exact
    assert _count(store, selection, exact + 5) == exact
    if exact > 1:
        assert _count(store, selection, exact - 1) == exact - 1
        assert _count(store, selection, 1) == 1


def test_find_counted_bounds_its_total_and_its_page_is_unchanged(store: Factory) -> None:
    selection = UserFilter.build(search="antern")
    with store() as uow:
        users, total = uow.users.find_counted(
            selection, SortOrder.parse("name"), limit=5, count_up_to=7
        )
        empty, empty_total = uow.users.find_counted(
            selection, SortOrder.parse("name"), limit=5, offset=100, count_up_to=7
        )
        _, exact = uow.users.find_counted(selection, SortOrder.parse("name"), limit=5)
    assert [u.name for u in users] == [_name(i) for i in COMMON[:5]]
    assert total == 7
    assert (empty, empty_total) == ([], 7)
    assert exact == len(COMMON)


@pytest.mark.parametrize("term", ["antern", "an", "ANTERN"])
@pytest.mark.parametrize("order", ["name", "-name", "-age", "id"])
def test_a_common_term_pages_as_the_reference_does(store: Factory, term: str, order: str) -> None:
    selection = UserFilter.build(search=term)
    expected = [_name(i) for i in COMMON]
    if order in ("-name", "-age"):
        expected.reverse()
    sort = SortOrder.parse(order)
    with store() as uow:
        first = uow.users.find(selection, sort, limit=4)
        second = uow.users.find(selection, sort, limit=4, offset=4)
        beyond = uow.users.find(selection, sort, limit=4, boundary=sort.key_values(first[-1]))
        back = uow.users.find(
            selection, sort, limit=3, boundary=sort.key_values(second[0]), backward=True
        )
    assert [u.name for u in first] == expected[:4]
    assert [u.name for u in second] == expected[4:8]
    assert [u.name for u in beyond] == expected[4:8]
    assert [u.name for u in back] == expected[3:0:-1]


def test_a_rare_term_finds_its_one_user(store: Factory) -> None:
    with store() as uow:
        found = uow.users.find(UserFilter.build(search="zyxwv"), SortOrder.parse("name"), limit=5)
    assert [u.name for u in found] == [_name(RARE_ONE)]


def test_a_common_term_follows_a_change_of_text(store: Factory) -> None:
    with store() as uow:
        uow.users.change(1, {"profession": "Baker"}, None)  # user 00 is id 1: now a baker
        uow.users.change(2, {"profession": "Baker"}, None)  # user 01: no longer a match
        uow.commit()
    expected = [_name(i) for i in COMMON if i != 1]
    with store() as uow:
        found = uow.users.find(UserFilter.build(search="antern"), SortOrder.parse("id"), limit=50)
    assert [u.name for u in found] == expected
