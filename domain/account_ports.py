"""The ports the account use cases drive: storage for accounts and credentials, and the
password services (slow hashing, strength estimate) that live outside the domain.

Every storage method may also raise StorageUnavailableError.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol

from attrs import frozen

from domain.accounts import Account, Actor, ApiToken, Role, Session


class AccountRepository(Protocol):
    def add(self, name: str, role: Role, password_hash: str, now: datetime) -> Account:
        """Raises AccountNameTakenError (names compare by account_name_key)."""
        ...

    def get(self, account_id: int) -> Account:
        """Raises AccountNotFoundError."""
        ...

    def by_name(self, name: str) -> Account | None:
        """The account whose name has the same account_name_key, if any."""
        ...

    def all(self) -> list[Account]:
        """Every account, by name key."""
        ...

    def save(self, account: Account) -> None:
        """Stores the role, password hash and enabled flag of an existing account."""
        ...

    def enabled_admins(self) -> int: ...


class TokenRepository(Protocol):
    def add(
        self,
        account_id: int,
        label: str,
        role: Role,
        secret_digest: str,
        now: datetime,
        expires_at: datetime | None,
    ) -> ApiToken: ...

    def by_digest(self, secret_digest: str) -> ApiToken | None: ...

    def get(self, token_id: int) -> ApiToken:
        """Raises TokenNotFoundError."""
        ...

    def all(self, account_id: int | None = None) -> list[ApiToken]:
        """The tokens of one account, or every token; by id."""
        ...

    def remove(self, token_id: int) -> None:
        """Raises TokenNotFoundError."""
        ...

    def remove_of_account(self, account_id: int) -> None: ...


class SessionRepository(Protocol):
    def add(self, session: Session) -> None: ...

    def by_digest(self, secret_digest: str) -> Session | None: ...

    def touch(self, secret_digest: str, now: datetime) -> None: ...

    def remove(self, secret_digest: str) -> None: ...

    def remove_of_account(self, account_id: int) -> None: ...

    def remove_ended(self, now: datetime) -> None:
        """Forgets sessions past their idle or absolute end."""
        ...


class SignInFailures(Protocol):
    """Failed sign-ins by key ("account:<name key>", "address:<client address>"), kept in
    storage so that every worker and host counts the same."""

    def record(self, keys: Sequence[str], now: datetime) -> None: ...

    def since(self, key: str, start: datetime) -> list[datetime]:
        """When `key` failed after `start`, oldest first."""
        ...

    def clear(self, key: str) -> None: ...

    def forget_before(self, start: datetime) -> None: ...


class SetupCodes(Protocol):
    """First-run codes that let one person create the first administrator."""

    def replace(self, code_digest: str, expires_at: datetime) -> None:
        """Stores this code as the only one."""
        ...

    def take(self, code_digest: str, now: datetime) -> bool:
        """Removes the code; True when it existed and had not expired."""
        ...


class AccountsUnitOfWork(Protocol):
    """One transaction over the account storage. Leaving `with` without commit() rolls back."""

    accounts: AccountRepository
    tokens: TokenRepository
    sessions: SessionRepository
    failures: SignInFailures
    setup_codes: SetupCodes

    def __enter__(self) -> AccountsUnitOfWork: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str | None, password: str) -> bool:
        """False for a wrong password; never raises for one. With no hash (no such account)
        False, after as long as a wrong password takes."""
        ...


class StrengthEstimator(Protocol):
    def weakness(self, password: str, related: Sequence[str]) -> str | None:
        """Why `password` is too easy to guess (given words the guesser knows, such as
        the account name), or None when it is strong enough."""
        ...


@frozen
class Credentials:
    """What the account use cases need from outside the domain besides storage."""

    hasher: PasswordHasher
    strength: StrengthEstimator
    #: A new secret of at least 256 random bits, URL-safe.
    new_secret: Callable[[], str]
    #: Records one account event: audit(event, account name, actor) (never a secret).
    audit: Callable[[str, str, Actor], None]
