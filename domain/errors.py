"""Errors the domain raises; the HTTP entrypoint maps each to a JSON:API error document."""

from __future__ import annotations

from collections.abc import Sequence

from attrs import frozen


class DomainError(Exception):
    """Base of every error the domain and its ports raise on purpose."""


@frozen
class FieldError:
    """One failing field: which field, a machine-readable code, a human message."""

    field: str
    code: str
    detail: str


class UserValidationError(DomainError):
    """The submitted attributes break one or more rules; carries every failure at once."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__(f"{len(errors)} invalid field(s)")
        self.errors: tuple[FieldError, ...] = tuple(errors)


class UserNotFoundError(DomainError):
    def __init__(self, user_id: int) -> None:
        super().__init__(f"user {user_id} does not exist")
        self.user_id = user_id


class DuplicateNameError(DomainError):
    def __init__(self, name: str) -> None:
        super().__init__("a user with this name already exists")
        self.name = name


class StaleVersionError(DomainError):
    """The caller's expected version no longer matches the stored one."""

    def __init__(self, user_id: int, expected_version: int) -> None:
        super().__init__(f"user {user_id} is no longer at version {expected_version}")
        self.user_id = user_id
        self.expected_version = expected_version


class InvalidCursorError(DomainError):
    """A page cursor that this service did not issue, or issued for another sort order."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidQueryError(DomainError):
    """A list query that cannot be answered (for example a search term with control characters)."""

    def __init__(self, parameter: str, detail: str) -> None:
        super().__init__(detail)
        self.parameter = parameter
        self.detail = detail


class StorageUnavailableError(DomainError):
    """The store cannot be reached or did not answer in time; the caller may retry later."""
