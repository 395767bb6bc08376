"""Use cases over the in-memory unit of work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from adapters.memory import InMemoryUnitOfWork, in_memory_uow_factory
from domain.errors import (
    DuplicateNameError,
    InvalidCursorError,
    InvalidQueryError,
    StaleVersionError,
    UserNotFoundError,
    UserValidationError,
)
from domain.queries import CursorPage, NumberPage, SortOrder, UserFilter, UserQuery
from domain.use_cases import change_user, get_user, list_users, register_user, remove_user
from tests.support.bounded import follow
from tests.support.users import user_attributes

Factory = Callable[[], InMemoryUnitOfWork]


def attributes(name: str = "Ada Lovelace", **overrides: object) -> dict[str, object]:
    return user_attributes(name=name, **overrides)


@pytest.fixture
def uow() -> Factory:
    return in_memory_uow_factory()


def test_registering_a_user_stores_it_at_version_1(uow: Factory) -> None:
    user = register_user(uow(), attributes(name="  Ada  "))
    assert (user.id, user.name, user.version) == (1, "Ada", 1)
    assert get_user(uow(), user.id) == user


def test_registration_reports_every_bad_field_and_stores_nothing(uow: Factory) -> None:
    with pytest.raises(UserValidationError) as raised:
        register_user(uow(), attributes(age=True, website="javascript:alert(1)", extra=1))
    assert {e.field for e in raised.value.errors} == {"age", "website", "extra"}
    assert list_users(uow(), UserQuery()).total == 0


def test_duplicate_name_differing_only_in_case_is_rejected(uow: Factory) -> None:
    register_user(uow(), attributes(name="Ada"))
    with pytest.raises(DuplicateNameError):
        register_user(uow(), attributes(name=" aDA "))


def test_getting_an_unknown_user_fails(uow: Factory) -> None:
    with pytest.raises(UserNotFoundError):
        get_user(uow(), 42)


def test_changing_only_given_fields_bumps_the_version(uow: Factory) -> None:
    user = register_user(uow(), attributes())
    changed = change_user(uow(), user.id, {"age": 37})
    assert changed.age == 37 and changed.name == user.name and changed.version == 2


def test_renaming_a_user_to_its_own_name_in_another_case_is_allowed(uow: Factory) -> None:
    user = register_user(uow(), attributes(name="Ada"))
    assert change_user(uow(), user.id, {"name": "ADA"}).name == "ADA"


def test_renaming_to_another_users_name_is_rejected_and_changes_nothing(uow: Factory) -> None:
    register_user(uow(), attributes(name="Ada"))
    bob = register_user(uow(), attributes(name="Bob"))
    with pytest.raises(DuplicateNameError):
        change_user(uow(), bob.id, {"name": "ada", "age": 1})
    assert get_user(uow(), bob.id) == bob


def test_a_change_with_a_stale_version_is_refused(uow: Factory) -> None:
    user = register_user(uow(), attributes())
    change_user(uow(), user.id, {"age": 40}, expected_version=1)
    with pytest.raises(StaleVersionError):
        change_user(uow(), user.id, {"age": 41}, expected_version=1)
    assert get_user(uow(), user.id).age == 40


def test_an_empty_change_returns_the_user_unchanged_but_still_checks_the_version(
    uow: Factory,
) -> None:
    user = register_user(uow(), attributes())
    assert change_user(uow(), user.id, {}) == user
    with pytest.raises(StaleVersionError) as raised:
        change_user(uow(), user.id, {}, expected_version=7)
    assert (raised.value.user_id, raised.value.expected_version) == (user.id, 7)


def test_invalid_changes_are_refused_before_touching_storage(uow: Factory) -> None:
    with pytest.raises(UserValidationError):
        change_user(uow(), 999, {"age": 200})


def test_removing_a_user(uow: Factory) -> None:
    user = register_user(uow(), attributes())
    with pytest.raises(StaleVersionError):
        remove_user(uow(), user.id, expected_version=2)
    remove_user(uow(), user.id, expected_version=1)
    with pytest.raises(UserNotFoundError):
        remove_user(uow(), user.id)


def test_an_uncommitted_unit_of_work_leaves_no_trace(uow: Factory) -> None:
    user = register_user(uow(), attributes())
    with uow() as work:
        work.users.change(user.id, {"name": "Renamed"}, None)
        work.users.remove(user.id, None)
        from domain.validation import validate_new_user

        work.users.add(validate_new_user(attributes(name="Other")))
    assert get_user(uow(), user.id) == user
    assert list_users(uow(), UserQuery()).total == 1


def _seed(uow: Factory, count: int) -> None:
    professions = ["Engineer", "engineer", "Painter", "Poet"]
    for i in range(count):
        register_user(
            uow(),
            attributes(
                name=f"User {i:03d}",
                age=20 + i % 7,
                profession=professions[i % 4],
                address=f"{i} Long Road",
                website=f"https://site{i}.example",
            ),
        )


def test_filters_are_exact_and_case_insensitive_for_strings(uow: Factory) -> None:
    _seed(uow, 20)
    page = list_users(uow(), UserQuery(filter=UserFilter.build(exact={"profession": "ENGINEER"})))
    assert page.total == 10
    assert {u.profession for u in page.users} == {"Engineer", "engineer"}


def test_age_bounds_and_search(uow: Factory) -> None:
    _seed(uow, 30)
    page = list_users(uow(), UserQuery(filter=UserFilter.build(age_min=25, age_max=26)))
    assert page.total == sum(1 for i in range(30) if 25 <= 20 + i % 7 <= 26)
    page = list_users(uow(), UserQuery(filter=UserFilter.build(search="SITE1")))
    assert {u.name for u in page.users} == {
        f"User {i:03d}" for i in range(30) if str(i).startswith("1")
    }


def test_a_search_term_with_control_characters_is_refused() -> None:
    with pytest.raises(InvalidQueryError):
        UserFilter.build(search="a\x1fb")


def test_sort_descending_breaks_ties_by_id_in_the_same_direction(uow: Factory) -> None:
    _seed(uow, 14)
    page = list_users(uow(), UserQuery(order=SortOrder.parse("-age"), page=NumberPage(1, 4)))
    assert [(u.age, u.id) for u in page.users] == [(26, 14), (26, 7), (25, 13), (25, 6)]


def test_an_unknown_sort_field_is_refused() -> None:
    with pytest.raises(InvalidQueryError):
        SortOrder.parse("name,shoe_size")


def test_number_pages_cover_the_list_once(uow: Factory) -> None:
    _seed(uow, 23)
    seen = []
    for number in range(1, 4):
        page = list_users(
            uow(), UserQuery(order=SortOrder.parse("name"), page=NumberPage(number, 10))
        )
        assert page.total == 23
        seen += [u.id for u in page.users]
    assert sorted(seen) == list(range(1, 24))


def test_cursor_pages_walk_forward_and_back(uow: Factory) -> None:
    _seed(uow, 25)
    order = SortOrder.parse("profession,-age")
    pages = follow(
        list_users(uow(), UserQuery(order=order, page=CursorPage(10))),
        lambda page: (
            list_users(uow(), UserQuery(order=order, page=CursorPage(10, after=page.next_cursor)))
            if page.next_cursor
            else None
        ),
        at_most=3 + 2,
    )
    assert [len(p.users) for p in pages] == [10, 10, 5]
    assert pages[0].prev_cursor is None and pages[-1].next_cursor is None
    everyone = [u for p in pages for u in p.users]
    assert everyone == sorted(everyone, key=lambda u: (u.profession.casefold(), -u.age, -u.id))
    back = list_users(
        uow(), UserQuery(order=order, page=CursorPage(10, before=pages[2].prev_cursor))
    )
    assert back.users == pages[1].users


def test_a_cursor_page_neither_skips_nor_repeats_while_others_change(uow: Factory) -> None:
    _seed(uow, 20)
    order = SortOrder.parse("name")
    first = list_users(uow(), UserQuery(order=order, page=CursorPage(5)))
    remove_user(uow(), first.users[0].id)  # before the cursor
    register_user(uow(), attributes(name="AAA early"))  # sorts before everyone
    remove_user(uow(), 10)  # after the cursor: simply gone
    pages = follow(
        first,
        lambda page: (
            list_users(uow(), UserQuery(order=order, page=CursorPage(5, after=page.next_cursor)))
            if page.next_cursor
            else None
        ),
        at_most=4 + 2,
    )
    rest = [u.id for page in pages[1:] for u in page.users]
    assert rest == [i for i in range(6, 21) if i != 10]


def test_an_empty_page_after_the_end_links_back(uow: Factory) -> None:
    _seed(uow, 3)
    first = list_users(uow(), UserQuery(page=CursorPage(3)))
    assert first.next_cursor is None
    register_user(uow(), attributes(name="Zed"))
    second = list_users(uow(), UserQuery(page=CursorPage(3)))
    assert second.next_cursor is not None
    remove_user(uow(), 4)
    empty = list_users(uow(), UserQuery(page=CursorPage(3, after=second.next_cursor)))
    assert empty.users == () and empty.next_cursor is None and empty.prev_cursor is not None
    back = list_users(uow(), UserQuery(page=CursorPage(3, before=empty.prev_cursor)))
    assert [u.id for u in back.users] == [1, 2, 3]


@pytest.mark.parametrize("cursor", ["garbage", "", "djF8aWR8aXg", "!!!"])
def test_a_cursor_this_service_did_not_issue_is_refused(uow: Factory, cursor: str) -> None:
    with pytest.raises(InvalidCursorError):
        list_users(uow(), UserQuery(page=CursorPage(5, after=cursor or "x")))


def test_a_cursor_from_another_sort_order_is_refused(uow: Factory) -> None:
    _seed(uow, 5)
    page = list_users(uow(), UserQuery(order=SortOrder.parse("name"), page=CursorPage(2)))
    assert page.next_cursor
    with pytest.raises(InvalidCursorError):
        list_users(
            uow(),
            UserQuery(order=SortOrder.parse("age"), page=CursorPage(2, after=page.next_cursor)),
        )


@pytest.mark.parametrize(
    "page", [NumberPage(0, 10), NumberPage(1, 0), NumberPage(1, 101), CursorPage(0)]
)
def test_out_of_range_pages_are_refused(page: NumberPage | CursorPage) -> None:
    with pytest.raises(InvalidQueryError):
        UserQuery(page=page)


def test_a_multi_line_address_can_be_filtered_and_searched(uow: Factory) -> None:
    register_user(uow(), attributes(name="Ada", address="1 Road\nTown"))
    register_user(uow(), attributes(name="Bob", address="1 Road Town"))
    exact = UserFilter.build(exact={"address": "1 ROAD\r\nTOWN"})
    assert [u.name for u in list_users(uow(), UserQuery(filter=exact)).users] == ["Ada"]
    search = UserFilter.build(search="road\ntown")
    assert [u.name for u in list_users(uow(), UserQuery(filter=search)).users] == ["Ada"]


def _ids(page: Any) -> list[int]:
    return [u.id for u in page.users]


def test_a_page_after_a_removed_users_cursor_links_back_only_if_someone_is_before(
    uow: Factory,
) -> None:
    _seed(uow, 5)  # ids 1-5, listed by id
    first = list_users(uow(), UserQuery(page=CursorPage(2)))
    assert _ids(first) == [1, 2] and first.next_cursor is not None
    remove_user(uow(), 2)  # the user the cursor was made from
    after = list_users(uow(), UserQuery(page=CursorPage(2, after=first.next_cursor)))
    assert _ids(after) == [3, 4] and after.prev_cursor is not None  # user 1 is before
    remove_user(uow(), 1)
    after = list_users(uow(), UserQuery(page=CursorPage(2, after=first.next_cursor)))
    assert _ids(after) == [3, 4] and after.prev_cursor is None  # nobody is before 3


def test_a_page_before_a_cursor_links_forward_only_if_someone_is_after(uow: Factory) -> None:
    _seed(uow, 5)
    pages = follow(
        list_users(uow(), UserQuery(page=CursorPage(2))),
        lambda page: (
            list_users(uow(), UserQuery(page=CursorPage(2, after=page.next_cursor)))
            if page.next_cursor
            else None
        ),
        at_most=3 + 2,
    )
    cursor = pages[1].prev_cursor  # before user 3
    before = list_users(uow(), UserQuery(page=CursorPage(2, before=cursor)))
    assert _ids(before) == [1, 2] and before.prev_cursor is None
    assert before.next_cursor is not None  # users 3-5 are after
    for user_id in (3, 4, 5):
        remove_user(uow(), user_id)
    before = list_users(uow(), UserQuery(page=CursorPage(2, before=cursor)))
    assert _ids(before) == [1, 2] and before.next_cursor is None


def test_a_previous_page_link_names_the_place_before_the_page_not_the_cursor(
    uow: Factory,
) -> None:
    # A cursor names a position between users: a user added later just before this page's
    # first user is on the previous page, even though it sorts after the cursor's user.
    for name in ("b", "d", "f"):
        register_user(uow(), attributes(name=name))
    order = SortOrder.parse("name")
    first = list_users(uow(), UserQuery(order=order, page=CursorPage(1)))
    second = list_users(uow(), UserQuery(order=order, page=CursorPage(1, after=first.next_cursor)))
    assert [u.name for u in second.users] == ["d"]
    register_user(uow(), attributes(name="c"))
    back = list_users(uow(), UserQuery(order=order, page=CursorPage(1, before=second.prev_cursor)))
    assert [u.name for u in back.users] == ["c"]


def test_an_empty_page_before_a_cursor_links_forward_to_the_users_from_it(uow: Factory) -> None:
    _seed(uow, 3)
    first = list_users(uow(), UserQuery(page=CursorPage(1)))
    second = list_users(uow(), UserQuery(page=CursorPage(1, after=first.next_cursor)))
    assert _ids(second) == [2]
    remove_user(uow(), 1)
    empty = list_users(uow(), UserQuery(page=CursorPage(1, before=second.prev_cursor)))
    assert _ids(empty) == [] and empty.prev_cursor is None and empty.next_cursor is not None
    again = list_users(uow(), UserQuery(page=CursorPage(1, after=empty.next_cursor)))
    assert _ids(again) == [2]


def test_a_next_page_link_from_a_backward_page_names_the_place_after_it(uow: Factory) -> None:
    for name in ("b", "d", "f"):
        register_user(uow(), attributes(name=name))
    order = SortOrder.parse("name")
    pages = follow(
        list_users(uow(), UserQuery(order=order, page=CursorPage(1))),
        lambda page: (
            list_users(uow(), UserQuery(order=order, page=CursorPage(1, after=page.next_cursor)))
            if page.next_cursor
            else None
        ),
        at_most=3 + 2,
    )
    back = list_users(
        uow(), UserQuery(order=order, page=CursorPage(1, before=pages[2].prev_cursor))
    )
    assert [u.name for u in back.users] == ["d"]
    register_user(uow(), attributes(name="e"))  # after "d", before the cursor's "f"
    forward = list_users(uow(), UserQuery(order=order, page=CursorPage(1, after=back.next_cursor)))
    assert [u.name for u in forward.users] == ["e"]


@pytest.mark.parametrize(
    ("page", "parameter", "detail"),
    [
        (CursorPage(0), "page[size]", "page[size] must be between 1 and 100"),
        (NumberPage(1, 101), "page[size]", "page[size] must be between 1 and 100"),
        (NumberPage(0), "page[number]", "page[number] must be 1 or more"),
        (
            CursorPage(after="a", before="b"),
            "page[before]",
            "use page[after] or page[before], not both",
        ),
    ],
)
def test_a_query_outside_the_page_limits_names_its_parameter(
    page: CursorPage | NumberPage, parameter: str, detail: str
) -> None:
    with pytest.raises(InvalidQueryError) as raised:
        UserQuery(page=page)
    assert (raised.value.parameter, raised.value.detail) == (parameter, detail)
    assert UserQuery(page=NumberPage(1, 100)).page.size == 100  # the largest page is fine
