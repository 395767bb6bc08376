"""History, restore and purge as use cases over the in-memory unit of work."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from adapters.memory import InMemoryUnitOfWork, in_memory_uow_factory
from domain.accounts import Actor, Role
from domain.errors import DuplicateNameError, StaleVersionError, UserNotFoundError
from domain.history import Action, AttributeChange
from domain.history_use_cases import (
    Window,
    deleted_users,
    purge_deleted_users,
    restore_user,
    user_history,
)
from domain.policy import ForbiddenError
from domain.queries import UserFilter, UserQuery
from domain.use_cases import change_user, get_user, list_users, register_user, remove_user
from tests.support.users import user_attributes

Factory = Callable[[], InMemoryUnitOfWork]
EDITOR = Actor(3, "eddie", Role.EDITOR, token_id=17)
VIEWER = Actor(4, "vera", Role.VIEWER)
WINDOW = Window(100)


@pytest.fixture
def uow() -> Factory:
    return in_memory_uow_factory()


def actions(uow: Factory, user_id: int, actor: Actor = EDITOR) -> list[tuple[Action, int]]:
    page = user_history(uow(), user_id, WINDOW, actor=actor)
    return [(change.action, change.version) for change in page.changes]


def test_each_write_is_recorded_with_who_and_what(uow: Factory) -> None:
    before = datetime.now(UTC)
    user = register_user(uow(), user_attributes(name="Ada", age=30), actor=EDITOR)
    change_user(uow(), user.id, {"age": 31, "profession": user.profession}, actor=EDITOR)
    remove_user(uow(), user.id, actor=EDITOR)
    restore_user(uow(), user.id, actor=EDITOR)
    page = user_history(uow(), user.id, WINDOW, actor=EDITOR)
    restored, removed, changed, created = page.changes
    assert [c.action for c in page.changes] == [
        Action.RESTORED,
        Action.DELETED,
        Action.CHANGED,
        Action.CREATED,
    ]
    assert [c.version for c in page.changes] == [3, 2, 2, 1]
    assert all(c.actor == "eddie" and c.token_id == 17 for c in page.changes)
    assert all(before <= c.at <= datetime.now(UTC) for c in page.changes)
    # A change holds the attributes whose values differ, and only those.
    assert changed.changed == {"age": AttributeChange(30, 31)}
    assert created.changed is not None and created.changed["name"] == AttributeChange(None, "Ada")
    assert removed.changed is not None and removed.changed["age"] == AttributeChange(31, None)
    assert restored.changed is not None and restored.changed["age"] == AttributeChange(None, 31)
    assert len(created.changed) == len(removed.changed) == len(restored.changed) == 5


def test_a_refused_write_leaves_no_history(uow: Factory) -> None:
    user = register_user(uow(), user_attributes(name="Ada"))
    register_user(uow(), user_attributes(name="Bob"))
    with pytest.raises(DuplicateNameError):
        change_user(uow(), user.id, {"name": "BOB"})
    with pytest.raises(StaleVersionError):
        change_user(uow(), user.id, {"age": 3}, expected_version=7)
    with pytest.raises(StaleVersionError):
        remove_user(uow(), user.id, expected_version=7)
    with pytest.raises(DuplicateNameError):
        register_user(uow(), user_attributes(name="ada"))
    change_user(uow(), user.id, {})  # nothing to change: nothing recorded
    assert actions(uow, user.id) == [(Action.CREATED, 1)]


def test_viewers_read_history_without_who(uow: Factory) -> None:
    user = register_user(uow(), user_attributes(name="Ada"), actor=EDITOR)
    (entry,) = user_history(uow(), user.id, WINDOW, actor=VIEWER).changes
    assert (entry.actor, entry.token_id, entry.action) == (None, None, Action.CREATED)


def test_history_of_an_unknown_user_is_not_found_and_of_an_old_one_empty(uow: Factory) -> None:
    with pytest.raises(UserNotFoundError):
        user_history(uow(), 42, WINDOW)
    with uow() as work:  # a user stored before history was kept
        from domain.validation import validate_new_user

        old = work.users.add(validate_new_user(user_attributes(name="old")))
        work.commit()
    assert user_history(uow(), old.id, WINDOW).changes == ()


def test_history_pages_both_ways(uow: Factory) -> None:
    user = register_user(uow(), user_attributes(name="Ada", age=0))
    for age in range(1, 7):
        change_user(uow(), user.id, {"age": age})
    first = user_history(uow(), user.id, Window(3))
    assert [c.version for c in first.changes] == [7, 6, 5]
    assert (first.has_older, first.has_newer) == (True, False)
    second = user_history(uow(), user.id, Window(3, older_than=first.changes[-1].id))
    assert [c.version for c in second.changes] == [4, 3, 2]
    assert (second.has_older, second.has_newer) == (True, True)
    last = user_history(uow(), user.id, Window(3, older_than=second.changes[-1].id))
    assert [c.version for c in last.changes] == [1]
    assert (last.has_older, last.has_newer) == (False, True)
    back = user_history(uow(), user.id, Window(3, newer_than=last.changes[0].id))
    assert [c.version for c in back.changes] == [4, 3, 2]
    assert (back.has_older, back.has_newer) == (True, True)


def test_a_deleted_user_is_gone_from_reads_lists_counts_search_and_names(uow: Factory) -> None:
    user = register_user(uow(), user_attributes(name="Ada", profession="findable"))
    remove_user(uow(), user.id)
    with pytest.raises(UserNotFoundError):
        get_user(uow(), user.id)
    assert list_users(uow(), UserQuery()).total == 0
    assert list_users(uow(), UserQuery(filter=UserFilter.build(search="findable"))).total == 0
    other = register_user(uow(), user_attributes(name="ADA"))  # the name is free
    assert other.id != user.id
    listed, more = deleted_users(uow(), WINDOW, actor=EDITOR)
    assert [(d.user.id, d.user.name) for d in listed] == [(user.id, "Ada")] and not more


def test_restore_brings_the_user_back_with_its_id_at_a_new_version(uow: Factory) -> None:
    user = register_user(uow(), user_attributes(name="Ada"))
    remove_user(uow(), user.id)
    restored = restore_user(uow(), user.id, actor=EDITOR)
    assert (restored.id, restored.version, restored.name) == (user.id, 2, "Ada")
    assert get_user(uow(), user.id) == restored
    assert deleted_users(uow(), WINDOW) == ((), False)
    with pytest.raises(UserNotFoundError):
        restore_user(uow(), user.id)  # restored once only


def test_restore_refuses_a_taken_name_and_keeps_the_user_restorable(uow: Factory) -> None:
    user = register_user(uow(), user_attributes(name="Ada"))
    remove_user(uow(), user.id)
    register_user(uow(), user_attributes(name="ada"))
    with pytest.raises(DuplicateNameError):
        restore_user(uow(), user.id)
    assert [d.user.id for d in deleted_users(uow(), WINDOW)[0]] == [user.id]
    assert actions(uow, user.id) == [(Action.DELETED, 1), (Action.CREATED, 1)]


def test_only_editors_restore_and_list_the_deleted(uow: Factory) -> None:
    user = register_user(uow(), user_attributes(name="Ada"))
    remove_user(uow(), user.id)
    with pytest.raises(ForbiddenError):
        restore_user(uow(), user.id, actor=VIEWER)
    with pytest.raises(ForbiddenError):
        deleted_users(uow(), WINDOW, actor=VIEWER)
    assert user_history(uow(), user.id, WINDOW, actor=VIEWER).changes  # viewers read history


def test_purge_after_the_retention_period_keeps_who_did_what(uow: Factory) -> None:
    gone = register_user(uow(), user_attributes(name="Gone"))
    kept = register_user(uow(), user_attributes(name="Kept"))
    remove_user(uow(), gone.id, actor=EDITOR)
    remove_user(uow(), kept.id)
    now = datetime.now(UTC)
    assert purge_deleted_users(uow, now, timedelta(days=30)) == 0
    assert purge_deleted_users(uow, now + timedelta(days=31), timedelta(days=30)) == 2
    with pytest.raises(UserNotFoundError):
        restore_user(uow(), gone.id)
    history = user_history(uow(), gone.id, WINDOW).changes
    assert [(c.action, c.actor, c.changed) for c in history] == [
        (Action.DELETED, "eddie", None),
        (Action.CREATED, "operator", None),
    ]


def test_purge_honours_a_shorter_retention_and_goes_in_batches(uow: Factory) -> None:
    from domain.history import PURGE_BATCH

    for n in range(PURGE_BATCH + 3):
        remove_user(uow(), register_user(uow(), user_attributes(name=f"u{n}")).id)
    later = datetime.now(UTC) + timedelta(hours=2)
    assert purge_deleted_users(uow, later, timedelta(days=1)) == 0
    assert purge_deleted_users(uow, later, timedelta(hours=1)) == PURGE_BATCH + 3
    assert deleted_users(uow(), WINDOW) == ((), False)
