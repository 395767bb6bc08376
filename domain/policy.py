"""Who may do what: the one policy every use case applies to its actor."""

from __future__ import annotations

import enum
from typing import Final

from domain.accounts import Actor, Role
from domain.errors import DomainError


class Permission(enum.Enum):
    READ_USERS = "read users"
    CHANGE_USERS = "create, change, delete and restore users"
    SEE_WHO_CHANGED = "see who changed a user"
    MANAGE_ACCOUNTS = "manage accounts"
    MANAGE_ANY_TOKEN = "manage every API token"


#: The least role holding each permission.
LEAST_ROLE: Final = {
    Permission.READ_USERS: Role.VIEWER,
    Permission.CHANGE_USERS: Role.EDITOR,
    Permission.SEE_WHO_CHANGED: Role.EDITOR,
    Permission.MANAGE_ACCOUNTS: Role.ADMIN,
    Permission.MANAGE_ANY_TOKEN: Role.ADMIN,
}


class ForbiddenError(DomainError):
    """The actor is known but its role does not allow this."""

    def __init__(self, permission: Permission) -> None:
        super().__init__(f"your role may not {permission.value}")
        self.permission = permission


def may(actor: Actor, permission: Permission) -> bool:
    return actor.role.covers(LEAST_ROLE[permission])


def require(actor: Actor, permission: Permission) -> None:
    """Raises ForbiddenError unless `actor` holds `permission`."""
    if not may(actor, permission):
        raise ForbiddenError(permission)


def require_own_or(actor: Actor, account_id: int, permission: Permission) -> None:
    """Anyone may act on their own account's things; others need `permission`."""
    if actor.account_id != account_id:
        require(actor, permission)
