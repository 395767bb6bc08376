"""Accounts, their roles, and the credentials that act for them (API tokens and sessions).

The roles are defined here once; the CLI, the HTTP layer, the storage and the web client's
choices all derive from `Role`.
"""

from __future__ import annotations

import enum
import hashlib
import re
from datetime import datetime, timedelta
from typing import Final

from attrs import frozen

from domain.errors import DomainError, FieldError, UserValidationError


class Role(enum.Enum):
    """What an account may do; each role may do everything the ones before it may."""

    VIEWER = "viewer"  # reads users: list, read, search
    EDITOR = "editor"  # also creates, changes and deletes users
    ADMIN = "admin"  # also manages accounts and every API token

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def covers(self, other: Role) -> bool:
        """Whether this role may do everything `other` may."""
        return self.rank >= other.rank

    @classmethod
    def parse(cls, value: object, field: str = "role") -> Role:
        """Raises AccountValidationError for anything but a role's name."""
        for role in cls:
            if value == role.value:
                return role
        raise AccountValidationError(
            [FieldError(field, "unknown_role", f"{field} must be one of {', '.join(ROLE_NAMES)}")]
        )


_RANKS: Final = {role: rank for rank, role in enumerate(Role)}
ROLE_NAMES: Final = tuple(role.value for role in Role)

ACCOUNT_NAME_MAX: Final = 64
_ACCOUNT_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]*")
PASSWORD_MIN: Final = 10
PASSWORD_MAX: Final = 1024  # Argon2 takes any length; a megabyte "password" is an attack
TOKEN_LABEL_MAX: Final = 100
TOKEN_DAYS_MAX: Final = 3650

#: Sessions end after this long without a request, and after SESSION_LIFETIME in all.
SESSION_IDLE: Final = timedelta(hours=12)
SESSION_LIFETIME: Final = timedelta(days=7)
#: A session's last use is written at most this often (its idle end is that much early at worst).
SESSION_TOUCH_EVERY: Final = timedelta(minutes=1)
#: The first-run link to create the administrator stays valid this long.
SETUP_CODE_LIFETIME: Final = timedelta(hours=1)

#: Guessing: this many failed sign-ins within GUESS_WINDOW, for one account or from one client
#: address, and further attempts are refused until the oldest of them leaves the window.
FAILURES_PER_ACCOUNT: Final = 5
FAILURES_PER_ADDRESS: Final = 20
GUESS_WINDOW: Final = timedelta(minutes=15)


class AccountValidationError(UserValidationError):
    """Bad account fields (name, role, password, token label, ...): every failure at once.
    A UserValidationError, so it reads the same on the wire (422, one error per field)."""


class AccountNotFoundError(DomainError):
    def __init__(self, reference: str) -> None:
        super().__init__(f"no account {reference}")
        self.reference = reference


class AccountNameTakenError(DomainError):
    def __init__(self, name: str) -> None:
        super().__init__("an account with this name already exists")
        self.name = name


class TokenNotFoundError(DomainError):
    def __init__(self, token_id: int) -> None:
        super().__init__(f"no API token {token_id}")
        self.token_id = token_id


class LastAdminError(DomainError):
    """The change would leave no enabled administrator."""

    def __init__(self) -> None:
        super().__init__("the last enabled administrator cannot be disabled or demoted")


class NotSignedInError(DomainError):
    """No credentials, or credentials that are unknown, expired, revoked or disabled."""


class SignInFailedError(DomainError):
    """Wrong name or password (which one is never said)."""

    def __init__(self) -> None:
        super().__init__("the username or password is wrong")


class TooManyAttemptsError(DomainError):
    """Too many failed sign-ins lately; `retry_after` says when the next may succeed."""

    def __init__(self, retry_after: timedelta) -> None:
        super().__init__("too many failed sign-ins; try again later")
        self.retry_after = retry_after


class SetupCodeError(DomainError):
    """The first-run code is unknown, used or expired, or an administrator exists already."""

    def __init__(self) -> None:
        super().__init__("this set-up link is not valid (any more)")


@frozen
class Account:
    id: int
    name: str
    role: Role
    password_hash: str
    enabled: bool = True

    @property
    def name_key(self) -> str:
        return account_name_key(self.name)


@frozen
class ApiToken:
    """A stored API token: never its secret, only the secret's digest."""

    id: int
    account_id: int
    account_name: str
    label: str
    role: Role
    secret_digest: str
    created_at: datetime
    expires_at: datetime | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at


@frozen
class Session:
    """A browser's sign-in: only the digest of its cookie's secret is stored."""

    secret_digest: str
    account_id: int
    created_at: datetime
    last_seen_at: datetime

    def ends_at(self) -> datetime:
        return min(self.created_at + SESSION_LIFETIME, self.last_seen_at + SESSION_IDLE)


@frozen
class Actor:
    """Who is asking: an account with the role its credential grants (a token's role may be
    less than its account's). `OPERATOR` is the person at the command line."""

    account_id: int | None
    name: str
    role: Role
    #: The credential's own end (a token's expiry, a session's idle or absolute end).
    ends_at: datetime | None = None
    #: Where the request came from (the client address; "cli" at the command line), for
    #: the audit log.
    address: str = ""
    #: The API token the request came with (None: a session or the command line), for
    #: the users' history.
    token_id: int | None = None


OPERATOR: Final = Actor(None, "operator", Role.ADMIN, address="cli")


def account_name_key(name: str) -> str:
    """Names are unique case-insensitively."""
    return name.casefold()


def secret_digest(secret: str) -> str:
    """How tokens and session ids are stored and looked up: SHA-256 (they carry 256 random
    bits, so a fast hash is as good as a slow one; passwords use Argon2id instead)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def validate_account_name(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise AccountValidationError([FieldError("name", "blank", "name must not be blank")])
    name = value.strip()
    if len(name) > ACCOUNT_NAME_MAX or not _ACCOUNT_NAME.fullmatch(name):
        raise AccountValidationError(
            [
                FieldError(
                    "name",
                    "invalid_account_name",
                    f"name must be 1 to {ACCOUNT_NAME_MAX} letters, digits, '.', '_', '@' "
                    "or '-', starting with a letter or digit",
                )
            ]
        )
    return name


def validate_token_label(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise AccountValidationError([FieldError("label", "blank", "label must not be blank")])
    label = value.strip()
    if len(label) > TOKEN_LABEL_MAX or any(ord(c) < 32 or ord(c) == 127 for c in label):
        raise AccountValidationError(
            [
                FieldError(
                    "label",
                    "invalid_label",
                    f"label must be at most {TOKEN_LABEL_MAX} printable characters",
                )
            ]
        )
    return label


def validate_expires_in_days(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= TOKEN_DAYS_MAX:
        raise AccountValidationError(
            [
                FieldError(
                    "expires_in_days",
                    "out_of_range",
                    f"expires_in_days must be a whole number from 1 to {TOKEN_DAYS_MAX}",
                )
            ]
        )
    return value
