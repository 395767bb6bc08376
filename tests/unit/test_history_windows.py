"""History and deleted-user windows pinned exactly: which entries, and has_older/has_newer
(or "more") at exactly the window's size and one past it, from either cursor."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from adapters.memory import InMemoryUnitOfWork, in_memory_uow_factory
from domain.accounts import Actor, Role
from domain.history import Action, AttributeChange
from domain.history_use_cases import HistoryPage, Window, deleted_users, user_history
from domain.use_cases import change_user, register_user, remove_user
from tests.support.users import user_attributes

Factory = Callable[[], InMemoryUnitOfWork]
EDITOR = Actor(3, "eddie", Role.EDITOR, token_id=17)
VIEWER = Actor(4, "vera", Role.VIEWER)
ADMIN = Actor(5, "ada", Role.ADMIN, token_id=9)


@pytest.fixture
def uow() -> Factory:
    return in_memory_uow_factory()


@pytest.fixture
def seven(uow: Factory) -> tuple[int, dict[int, int]]:
    """A user with versions 1 to 7 in its history; and the change id of each version."""
    user = register_user(uow(), user_attributes(name="Ada", age=0))
    for age in range(1, 7):
        change_user(uow(), user.id, {"age": age})
    page = user_history(uow(), user.id, Window(100))
    return user.id, {change.version: change.id or 0 for change in page.changes}


def window(uow: Factory, user_id: int, win: Window) -> tuple[list[int], bool, bool]:
    page = user_history(uow(), user_id, win)
    return [c.version for c in page.changes], page.has_older, page.has_newer


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (1, ([7], True, False)),
        (6, ([7, 6, 5, 4, 3, 2], True, False)),
        (7, ([7, 6, 5, 4, 3, 2, 1], False, False)),
        (8, ([7, 6, 5, 4, 3, 2, 1], False, False)),
    ],
)
def test_the_newest_window(
    uow: Factory,
    seven: tuple[int, dict[int, int]],
    size: int,
    expected: tuple[list[int], bool, bool],
) -> None:
    user_id, _ = seven
    assert window(uow, user_id, Window(size)) == expected


@pytest.mark.parametrize(
    ("cursor", "version", "size", "expected"),
    [
        ("older_than", 5, 3, ([4, 3, 2], True, True)),
        ("older_than", 4, 3, ([3, 2, 1], False, True)),
        ("older_than", 4, 2, ([3, 2], True, True)),
        ("older_than", 2, 3, ([1], False, True)),
        ("older_than", 1, 3, ([], False, False)),
        ("newer_than", 1, 3, ([4, 3, 2], True, True)),
        ("newer_than", 4, 3, ([7, 6, 5], True, False)),
        ("newer_than", 3, 3, ([6, 5, 4], True, True)),
        ("newer_than", 3, 5, ([7, 6, 5, 4], True, False)),
        ("newer_than", 6, 3, ([7], True, False)),
        ("newer_than", 7, 3, ([], False, False)),
    ],
)
def test_windows_from_an_entry_either_way(
    uow: Factory,
    seven: tuple[int, dict[int, int]],
    cursor: str,
    version: int,
    size: int,
    expected: tuple[list[int], bool, bool],
) -> None:
    user_id, ids = seven
    assert window(uow, user_id, Window(size, **{cursor: ids[version]})) == expected


def test_the_window_past_the_first_entry_of_the_oldest_version(uow: Factory) -> None:
    user = register_user(uow(), user_attributes(name="Ada"))
    (only,) = user_history(uow(), user.id, Window(5)).changes
    assert only.id is not None
    assert user_history(uow(), user.id, Window(5, newer_than=only.id)) == HistoryPage(
        (), False, False
    )
    page = user_history(uow(), user.id, Window(1))
    assert (page.has_older, page.has_newer) == (False, False)


def test_a_cursor_for_an_unknown_user_gives_an_empty_window_not_an_error(uow: Factory) -> None:
    empty = HistoryPage((), False, False)
    assert user_history(uow(), 42, Window(3, older_than=10)) == empty
    assert user_history(uow(), 42, Window(3, newer_than=10)) == empty


@pytest.mark.parametrize(
    ("reader", "who"),
    [(VIEWER, (None, None)), (EDITOR, ("eddie", 17)), (ADMIN, ("eddie", 17))],
)
def test_who_changed_is_shown_from_editor_up_and_the_rest_to_all(
    uow: Factory, reader: Actor, who: tuple[str | None, int | None]
) -> None:
    user = register_user(uow(), user_attributes(name="Ada", age=30), actor=EDITOR)
    change_user(uow(), user.id, {"age": 31}, actor=EDITOR)
    page = user_history(uow(), user.id, Window(1), actor=reader)
    (entry,) = page.changes
    assert (entry.actor, entry.token_id) == who
    assert (entry.user_id, entry.version, entry.action) == (user.id, 2, Action.CHANGED)
    assert entry.changed == {"age": AttributeChange(30, 31)}
    assert (page.has_older, page.has_newer) == (True, False)


@pytest.fixture
def three_deleted(uow: Factory) -> list[int]:
    """Three users deleted in turn; their ids, the latest deleted first."""
    ids = []
    for name in ("first", "second", "third"):
        user = register_user(uow(), user_attributes(name=name))
        remove_user(uow(), user.id)
        ids.append(user.id)
    return ids[::-1]


def test_deleted_users_at_and_below_the_windows_size(
    uow: Factory, three_deleted: list[int]
) -> None:
    every, more = deleted_users(uow(), Window(3), actor=EDITOR)
    assert ([d.user.id for d in every], more) == (three_deleted, False)
    assert [d.user.name for d in every] == ["third", "second", "first"]
    two, more = deleted_users(uow(), Window(2), actor=EDITOR)
    assert ([d.user.id for d in two], more) == (three_deleted[:2], True)
    rest, more = deleted_users(uow(), Window(2, older_than=two[-1].sequence), actor=EDITOR)
    assert ([d.user.id for d in rest], more) == (three_deleted[2:], False)
    one, more = deleted_users(uow(), Window(1, older_than=two[0].sequence), actor=EDITOR)
    assert ([d.user.id for d in one], more) == ([three_deleted[1]], True)


def test_a_window_newer_than_an_id_before_the_users_first_entry_has_nothing_older(
    uow: Factory,
) -> None:
    other = register_user(uow(), user_attributes(name="Other"))
    user = register_user(uow(), user_attributes(name="Ada", age=0))
    change_user(uow(), user.id, {"age": 1})
    (before,) = user_history(uow(), other.id, Window(1)).changes
    assert before.id is not None
    assert window(uow, user.id, Window(1, newer_than=before.id)) == ([1], False, True)
    assert window(uow, user.id, Window(2, newer_than=before.id)) == ([2, 1], False, False)
