"""A user's history: every create, change, delete and restore, who did it and what changed;
and the deleted users kept restorable for a while."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Final

from attrs import frozen

from domain.accounts import Actor
from domain.model import ATTRIBUTES, User

#: How long a deleted user can be restored before it is purged for good (the default of
#: `--deleted-retention-days`).
DEFAULT_RETENTION: Final = timedelta(days=30)
#: Purged per transaction: a purge never holds many rows locked at once.
PURGE_BATCH: Final = 500
#: A history page, and a page of deleted users: this many entries unless asked for fewer.
HISTORY_PAGE_SIZE: Final = 20


class Action(enum.Enum):
    CREATED = "created"
    CHANGED = "changed"
    DELETED = "deleted"
    RESTORED = "restored"


@frozen
class AttributeChange:
    """One attribute's value before and after (None: the user did not exist then)."""

    before: object
    after: object


@frozen
class Change:
    """One entry of a user's history. `version` is the user's version after the change (for
        a delete, the version deleted). `changed` is None once the user has been purged: who did
        what stays, the personal values go. `actor` (the account's name) and `token_id` are None
    where the reader may not see who changed what. `id` is None until stored; ids grow with
    time."""

    user_id: int
    version: int
    action: Action
    at: datetime
    actor: str | None
    token_id: int | None
    changed: Mapping[str, AttributeChange] | None
    id: int | None = None

    @classmethod
    def of(
        cls,
        action: Action,
        before: User | None,
        after: User | None,
        actor: Actor,
        at: datetime,
    ) -> Change:
        """The change from `before` to `after` (either None for a user that did not exist):
        every attribute whose value differs."""
        user = after if after is not None else before
        if user is None:
            raise ValueError("a change needs a user before or after it")
        changed = {
            name: AttributeChange(
                None if before is None else getattr(before, name),
                None if after is None else getattr(after, name),
            )
            for name in ATTRIBUTES
            if before is None or after is None or getattr(before, name) != getattr(after, name)
        }
        return cls(user.id, user.version, action, at, actor.name, actor.token_id, changed)


@frozen
class DeletedUser:
    """A deleted user as it was, restorable until `deleted_at` + the retention period.
    `sequence` (the id of the delete's change) orders deletions and pages the list of them."""

    user: User
    deleted_at: datetime
    sequence: int = 0

    @classmethod
    def of(cls, deleted: Change) -> DeletedUser:
        """The user a `deleted` change removed: its values before the change."""
        if deleted.action is not Action.DELETED or deleted.changed is None:
            raise ValueError(f"not a restorable delete: {deleted}")
        values = {name: change.before for name, change in deleted.changed.items()}
        user = User(id=deleted.user_id, version=deleted.version, **values)  # type: ignore[arg-type]
        return cls(user, deleted.at, deleted.id or 0)
