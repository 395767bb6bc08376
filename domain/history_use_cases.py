"""A user's history, restoring a deleted user, and purging the deleted ones for good."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import attrs
from attrs import frozen

from domain.accounts import OPERATOR, Actor
from domain.history import DEFAULT_RETENTION, PURGE_BATCH, Action, Change, DeletedUser
from domain.model import User
from domain.policy import Permission, may, require
from domain.ports import UnitOfWork


@frozen
class Window:
    """At most `size` entries: the newest, or those older than `older_than`, or the oldest
    of those newer than `newer_than` (ids of the entries the cursors came from)."""

    size: int
    older_than: int | None = None
    newer_than: int | None = None


@frozen
class HistoryPage:
    """Changes newest first; whether older and newer ones exist beyond the page."""

    changes: tuple[Change, ...]
    has_older: bool
    has_newer: bool


def user_history(
    uow: UnitOfWork, user_id: int, window: Window, *, actor: Actor = OPERATOR
) -> HistoryPage:
    """A user's changes, newest first; for a deleted or purged user too. Who made each
    change is left out unless `actor` may see it. Raises ForbiddenError, UserNotFoundError
    (no such user, and none ever was)."""
    require(actor, Permission.READ_USERS)
    with uow.reading():
        log = uow.changes
        rows = log.history(
            user_id,
            limit=window.size + 1,
            older_than=window.older_than,
            newer_than=window.newer_than,
        )
        if window.newer_than is None:
            changes, has_older = rows[: window.size], len(rows) > window.size
            has_newer = window.older_than is not None and bool(
                changes and log.history(user_id, limit=1, newer_than=changes[0].id)
            )
        else:
            changes, has_newer = rows[-window.size :], len(rows) > window.size
            has_older = bool(changes and log.history(user_id, limit=1, older_than=changes[-1].id))
        if not rows and window.older_than is None and window.newer_than is None:
            uow.users.get(user_id)  # a user from before history was kept; else 404
    if not may(actor, Permission.SEE_WHO_CHANGED):
        changes = [attrs.evolve(change, actor=None, token_id=None) for change in changes]
    return HistoryPage(tuple(changes), has_older, has_newer)


def restore_user(uow: UnitOfWork, user_id: int, *, actor: Actor = OPERATOR) -> User:
    """Brings a deleted user back with its id, at a new version. Raises ForbiddenError,
    UserNotFoundError (not deleted, or purged), DuplicateNameError (its name is taken)."""
    require(actor, Permission.CHANGE_USERS)
    with uow:
        deleted = uow.changes.take_deleted(user_id)
        user = attrs.evolve(deleted.user, version=deleted.user.version + 1)
        uow.users.put_back(user)
        uow.changes.record(Change.of(Action.RESTORED, None, user, actor, datetime.now(UTC)))
        uow.commit()
        return user


def deleted_users(
    uow: UnitOfWork, window: Window, *, actor: Actor = OPERATOR
) -> tuple[tuple[DeletedUser, ...], bool]:
    """The users that can be restored, the latest deleted first, and whether more follow.
    Raises ForbiddenError."""
    require(actor, Permission.CHANGE_USERS)
    with uow.reading():
        rows = uow.changes.deleted(limit=window.size + 1, older_than=window.older_than)
    return tuple(rows[: window.size]), len(rows) > window.size


def purge_deleted_users(
    uow_factory: Callable[[], UnitOfWork],
    now: datetime,
    retention: timedelta = DEFAULT_RETENTION,
) -> int:
    """Removes for good the users deleted more than `retention` before `now`, and their
    attribute values from the history, a batch per transaction; returns how many. Several
    processes may run it at once: each user is purged by one of them."""
    purged = 0
    while True:
        with uow_factory() as uow:
            user_ids = uow.changes.purge_deleted(now - retention, limit=PURGE_BATCH)
            uow.commit()
        purged += len(user_ids)
        if len(user_ids) < PURGE_BATCH:
            return purged
