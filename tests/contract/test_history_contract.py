"""The history and deleted-users contract: every adapter behaves the same (memory, SQLite,
PostgreSQL, MariaDB)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import DuplicateNameError, UserNotFoundError
from domain.history import Action, AttributeChange, Change
from domain.model import User
from domain.ports import UnitOfWork
from domain.queries import SortOrder, UserFilter
from domain.validation import validate_new_user
from tests.support.users import user_attributes

Factory = Callable[[], UnitOfWork]
T0 = datetime(2026, 1, 2, 3, 4, 5, 123000, tzinfo=UTC)


def add(uow_factory: Factory, name: str, **attributes: object) -> User:
    with uow_factory() as uow:
        user = uow.users.add(validate_new_user(user_attributes(name=name, **attributes)))
        uow.commit()
    return user


def change(user_id: int, n: int, *, actor: str = "ada", token_id: int | None = None) -> Change:
    """The n-th change of a user: age n - 1 to n."""
    return Change(
        user_id,
        n,
        Action.CHANGED,
        T0 + timedelta(minutes=n),
        actor,
        token_id,
        {"age": AttributeChange(n - 1, n)},
    )


def record(uow_factory: Factory, *changes: Change) -> None:
    with uow_factory() as uow:
        for entry in changes:
            uow.changes.record(entry)
        uow.commit()


def history(uow_factory: Factory, user_id: int, **window: int) -> list[int]:
    """The versions of the user's changes in the window, in the order given."""
    window.setdefault("limit", 100)
    with uow_factory() as uow:
        return [entry.version for entry in uow.changes.history(user_id, **window)]


def test_a_recorded_change_reads_back_as_it_was_with_an_id(uow_factory: Factory) -> None:
    entry = Change(
        7,
        3,
        Action.CHANGED,
        T0,
        "grace.h",
        42,
        {
            "name": AttributeChange("Zoë 🎉", "ZOË 🎈"),
            "address": AttributeChange('a\nb "quoted" \\ back', "北京"),
            "age": AttributeChange(0, 150),
        },
    )
    record(uow_factory, entry)
    with uow_factory() as uow:
        (stored,) = uow.changes.history(7, limit=10)
    assert stored.id is not None
    assert stored.at == T0 and stored.at.tzinfo is not None
    assert (stored.user_id, stored.version, stored.action, stored.actor, stored.token_id) == (
        7,
        3,
        Action.CHANGED,
        "grace.h",
        42,
    )
    assert stored.changed == entry.changed


def test_creation_and_deletion_values_include_none(uow_factory: Factory) -> None:
    created = Change(5, 1, Action.CREATED, T0, "op", None, {"name": AttributeChange(None, "x")})
    deleted = Change(5, 1, Action.DELETED, T0, "op", None, {"name": AttributeChange("x", None)})
    record(uow_factory, created, deleted)
    with uow_factory() as uow:
        newest, oldest = uow.changes.history(5, limit=10)
    assert (newest.action, newest.changed) == (Action.DELETED, deleted.changed)
    assert (oldest.action, oldest.changed) == (Action.CREATED, created.changed)
    assert newest.token_id is None


def test_history_is_newest_first_and_only_the_users_own(uow_factory: Factory) -> None:
    record(uow_factory, change(1, 1), change(2, 1), change(1, 2), change(1, 3), change(2, 2))
    assert history(uow_factory, 1) == [3, 2, 1]
    assert history(uow_factory, 2) == [2, 1]
    assert history(uow_factory, 3) == []


def test_history_pages_by_the_ids_of_changes(uow_factory: Factory) -> None:
    record(uow_factory, *(change(1, n) for n in range(1, 8)))
    with uow_factory() as uow:
        ids = {entry.version: entry.id for entry in uow.changes.history(1, limit=100)}
    assert history(uow_factory, 1, limit=3) == [7, 6, 5]
    assert history(uow_factory, 1, limit=3, older_than=ids[5]) == [4, 3, 2]
    assert history(uow_factory, 1, limit=3, older_than=ids[2]) == [1]
    assert history(uow_factory, 1, limit=3, older_than=ids[1]) == []
    # Newer than a change: the ones nearest it, still newest first.
    assert history(uow_factory, 1, limit=3, newer_than=ids[1]) == [4, 3, 2]
    assert history(uow_factory, 1, limit=3, newer_than=ids[5]) == [7, 6]
    assert history(uow_factory, 1, limit=3, newer_than=ids[7]) == []


def test_ids_of_changes_grow_with_each_record(uow_factory: Factory) -> None:
    record(uow_factory, change(1, 1))
    record(uow_factory, change(2, 1), change(1, 2))
    with uow_factory() as uow:
        ids = [entry.id or 0 for entry in uow.changes.history(1, limit=10)]
        (other,) = uow.changes.history(2, limit=10)
    assert ids[0] > (other.id or 0) > ids[1]


def test_a_change_rolled_back_is_not_in_the_history(uow_factory: Factory) -> None:
    with uow_factory() as uow:
        uow.changes.record(change(1, 1))
    with uow_factory() as uow:
        uow.changes.record(change(1, 2))
        uow.rollback()
        uow.changes.record(change(1, 3))
        uow.commit()
    assert history(uow_factory, 1) == [3]


# --- lock, remove and put back -------------------------------------------------------------


def test_a_change_returns_the_user_before_and_after_it(uow_factory: Factory) -> None:
    user = add(uow_factory, "Zoë", age=20)
    with uow_factory() as uow:
        first = uow.users.change(user.id, {"age": 21, "name": "ZOË 🎉"}, 1)
        second = uow.users.change(user.id, {"website": "https://zoe.example"}, None)
        uow.commit()
    assert first[0] == user
    expected = User(**{**user.attributes(), "id": user.id, "age": 21, "name": "ZOË 🎉"}, version=2)
    assert first[1] == expected
    assert second[0] == expected
    assert second[1] == User(
        **{**expected.attributes(), "id": user.id, "website": "https://zoe.example"}, version=3
    )
    with uow_factory() as uow:
        assert uow.users.get(user.id) == second[1]


def test_remove_returns_the_user_as_it_was(uow_factory: Factory) -> None:
    user = add(uow_factory, "removed")
    with uow_factory() as uow:
        _, changed = uow.users.change(user.id, {"age": 99}, None)
        assert uow.users.remove(user.id, 2) == changed
        uow.commit()


def test_a_user_put_back_has_its_id_version_and_is_found_and_counted(
    uow_factory: Factory,
) -> None:
    first, second = add(uow_factory, "Ünïque first"), add(uow_factory, "second")
    with uow_factory() as uow:
        removed = uow.users.remove(first.id, None)
        uow.commit()
    back = User(**{**removed.attributes(), "id": removed.id, "version": removed.version + 1})
    with uow_factory() as uow:
        uow.users.put_back(back)
        uow.commit()
    with uow_factory() as uow:
        assert uow.users.get(first.id) == back
        assert uow.users.count(UserFilter()) == 2
        found = uow.users.find(UserFilter.build(search="ÜNÏQUE"), SortOrder.parse("id"), limit=5)
        assert found == [back]
        # New users still get new ids.
        third = uow.users.add(validate_new_user(user_attributes(name="third")))
    assert third.id > second.id


def test_putting_back_a_user_whose_name_is_taken_changes_nothing(uow_factory: Factory) -> None:
    first = add(uow_factory, "Taken Name")
    with uow_factory() as uow:
        removed = uow.users.remove(first.id, None)
        uow.commit()
    add(uow_factory, "TAKEN name")
    with pytest.raises(DuplicateNameError), uow_factory() as uow:
        uow.users.put_back(removed)
    with uow_factory() as uow:
        assert uow.users.count(UserFilter()) == 1
        with pytest.raises(UserNotFoundError):
            uow.users.get(first.id)


# --- deleted users ---------------------------------------------------------------------------


def delete(uow_factory: Factory, name: str, at: datetime) -> User:
    """Adds a user and deletes it as the use case does: removed, and its deletion recorded."""
    user = add(uow_factory, name)
    with uow_factory() as uow:
        removed = uow.users.remove(user.id, None)
        uow.changes.record(
            Change(
                removed.id,
                removed.version,
                Action.DELETED,
                at,
                "ada",
                None,
                {a: AttributeChange(v, None) for a, v in removed.attributes().items()},
            )
        )
        uow.commit()
    return user


def deleted_names(uow_factory: Factory, **window: int) -> list[str]:
    window.setdefault("limit", 100)
    with uow_factory() as uow:
        return [d.user.name for d in uow.changes.deleted(**window)]


def test_deleted_users_list_the_latest_deletion_first_and_page(uow_factory: Factory) -> None:
    for n in range(5):
        delete(uow_factory, f"gone {n}", T0 + timedelta(days=n))
    record(uow_factory, change(99, 1))  # other changes are not deletions
    assert deleted_names(uow_factory) == [f"gone {n}" for n in (4, 3, 2, 1, 0)]
    with uow_factory() as uow:
        page = uow.changes.deleted(limit=2)
        after = uow.changes.deleted(limit=2, older_than=page[-1].sequence)
    assert [d.user.name for d in page] == ["gone 4", "gone 3"]
    assert [d.user.name for d in after] == ["gone 2", "gone 1"]


def test_a_deleted_user_is_taken_once_whole(uow_factory: Factory) -> None:
    user = delete(uow_factory, "Zoë 🎉", T0)
    with uow_factory() as uow:
        taken = uow.changes.take_deleted(user.id)
        uow.commit()
    assert taken.user == user
    assert taken.deleted_at == T0
    with uow_factory() as uow, pytest.raises(UserNotFoundError):
        uow.changes.take_deleted(user.id)
    assert deleted_names(uow_factory) == []
    with uow_factory() as uow:  # its history stays whole
        assert [c.action for c in uow.changes.history(user.id, limit=5)] == [Action.DELETED]


def test_a_user_deleted_again_is_restorable_as_last_deleted(uow_factory: Factory) -> None:
    user = delete(uow_factory, "twice", T0)
    with uow_factory() as uow:
        taken = uow.changes.take_deleted(user.id)
        uow.users.put_back(taken.user)
        uow.commit()
    with uow_factory() as uow:
        removed = uow.users.remove(user.id, None)
        uow.changes.record(
            Change(
                user.id,
                1,
                Action.DELETED,
                T0 + timedelta(days=1),
                "bo",
                None,
                {a: AttributeChange(v, None) for a, v in removed.attributes().items()},
            )
        )
        uow.commit()
    with uow_factory() as uow:
        (deleted,) = uow.changes.deleted(limit=5)
    assert deleted.deleted_at == T0 + timedelta(days=1)


def test_taking_rolled_back_leaves_the_user_restorable(uow_factory: Factory) -> None:
    user = delete(uow_factory, "kept", T0)
    with uow_factory() as uow:
        uow.changes.take_deleted(user.id)
    assert deleted_names(uow_factory) == ["kept"]


def test_purge_takes_users_deleted_before_the_moment_in_batches_and_their_values(
    uow_factory: Factory,
) -> None:
    old = [delete(uow_factory, f"old {n}", T0 + timedelta(hours=n)) for n in range(3)]
    recent = delete(uow_factory, "recent", T0 + timedelta(days=30))
    record(uow_factory, change(old[0].id, 9), change(recent.id, 9))
    cutoff = T0 + timedelta(days=1)
    with uow_factory() as uow:
        first = uow.changes.purge_deleted(cutoff, limit=2)
        uow.commit()
    with uow_factory() as uow:
        second = uow.changes.purge_deleted(cutoff, limit=2)
        uow.commit()
    assert len(first) == 2 and len(second) == 1
    assert sorted(first + second) == [user.id for user in old]
    assert deleted_names(uow_factory) == ["recent"]
    with uow_factory() as uow:
        assert uow.changes.purge_deleted(cutoff, limit=2) == []
        purged = uow.changes.history(old[0].id, limit=5)
        kept = uow.changes.history(recent.id, limit=5)
    assert [(c.action, c.actor, c.changed) for c in purged] == [
        (Action.CHANGED, "ada", None),
        (Action.DELETED, "ada", None),
    ]
    assert all(c.changed is not None for c in kept)
