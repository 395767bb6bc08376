"""The in-memory twin of the SQL account storage (adapters/sql_accounts.py): same rules, no
database. A unit of work holds the store's lock for its life and undoes its changes unless
committed, as adapters/memory.py does for users.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType

import attrs

from domain.accounts import (
    Account,
    AccountNameTakenError,
    AccountNotFoundError,
    ApiToken,
    Role,
    Session,
    TokenNotFoundError,
    account_name_key,
)


class InMemoryAccountStore:
    def __init__(self) -> None:
        self.accounts: dict[int, Account] = {}
        self.tokens: dict[int, ApiToken] = {}
        self.sessions: dict[str, Session] = {}
        self.failures: list[tuple[str, datetime]] = []
        self.setup_code: tuple[str, datetime] | None = None
        self.last_ids = {"accounts": 0, "tokens": 0}
        self.lock = threading.RLock()


Undo = list[Callable[[], None]]


def _keep_undo(store: InMemoryAccountStore, undo: Undo, name: str) -> None:
    """Remembers attribute `name` of the store (copied) to put it back on rollback."""
    value = getattr(store, name)
    saved = value.copy() if hasattr(value, "copy") else value
    undo.append(lambda: setattr(store, name, saved))


class _Part:
    def __init__(self, store: InMemoryAccountStore, undo: Undo) -> None:
        self._store = store
        self._undo = undo

    def _before_change(self, *names: str) -> None:
        for name in names:
            _keep_undo(self._store, self._undo, name)


class InMemoryAccountRepository(_Part):
    def add(self, name: str, role: Role, password_hash: str, now: datetime) -> Account:
        if self.by_name(name) is not None:
            raise AccountNameTakenError(name)
        self._before_change("accounts", "last_ids")
        store = self._store
        store.last_ids = {**store.last_ids, "accounts": store.last_ids["accounts"] + 1}
        account = Account(store.last_ids["accounts"], name, role, password_hash)
        store.accounts[account.id] = account
        return account

    def get(self, account_id: int) -> Account:
        try:
            return self._store.accounts[account_id]
        except KeyError:
            raise AccountNotFoundError(str(account_id)) from None

    def by_name(self, name: str) -> Account | None:
        key = account_name_key(name)
        return next((a for a in self._store.accounts.values() if a.name_key == key), None)

    def all(self) -> list[Account]:
        return sorted(self._store.accounts.values(), key=lambda account: account.name_key)

    def save(self, account: Account) -> None:
        self.get(account.id)
        self._before_change("accounts")
        self._store.accounts[account.id] = account

    def enabled_admins(self) -> int:
        return sum(1 for a in self._store.accounts.values() if a.enabled and a.role is Role.ADMIN)


class InMemoryTokenRepository(_Part):
    def add(
        self,
        account_id: int,
        label: str,
        role: Role,
        secret_digest: str,
        now: datetime,
        expires_at: datetime | None,
    ) -> ApiToken:
        store = self._store
        self._before_change("tokens", "last_ids")
        store.last_ids = {**store.last_ids, "tokens": store.last_ids["tokens"] + 1}
        name = store.accounts[account_id].name
        token = ApiToken(
            store.last_ids["tokens"], account_id, name, label, role, secret_digest, now, expires_at
        )
        store.tokens[token.id] = token
        return token

    def _current(self, token: ApiToken) -> ApiToken:
        return attrs.evolve(token, account_name=self._store.accounts[token.account_id].name)

    def by_digest(self, secret_digest: str) -> ApiToken | None:
        found = (t for t in self._store.tokens.values() if t.secret_digest == secret_digest)
        token = next(found, None)
        return None if token is None else self._current(token)

    def get(self, token_id: int) -> ApiToken:
        try:
            return self._current(self._store.tokens[token_id])
        except KeyError:
            raise TokenNotFoundError(token_id) from None

    def all(self, account_id: int | None = None) -> list[ApiToken]:
        return [
            self._current(token)
            for _, token in sorted(self._store.tokens.items())
            if account_id is None or token.account_id == account_id
        ]

    def remove(self, token_id: int) -> None:
        self.get(token_id)
        self._before_change("tokens")
        del self._store.tokens[token_id]

    def remove_of_account(self, account_id: int) -> None:
        self._before_change("tokens")
        store = self._store
        store.tokens = {i: t for i, t in store.tokens.items() if t.account_id != account_id}


class InMemorySessionRepository(_Part):
    def add(self, session: Session) -> None:
        self._before_change("sessions")
        self._store.sessions[session.secret_digest] = session

    def by_digest(self, secret_digest: str) -> Session | None:
        return self._store.sessions.get(secret_digest)

    def touch(self, secret_digest: str, now: datetime) -> None:
        session = self._store.sessions.get(secret_digest)
        if session is not None:
            self._before_change("sessions")
            self._store.sessions[secret_digest] = attrs.evolve(session, last_seen_at=now)

    def remove(self, secret_digest: str) -> None:
        self._before_change("sessions")
        self._store.sessions.pop(secret_digest, None)

    def _keep(self, keep: Callable[[Session], bool]) -> None:
        self._before_change("sessions")
        store = self._store
        store.sessions = {d: s for d, s in store.sessions.items() if keep(s)}

    def remove_of_account(self, account_id: int) -> None:
        self._keep(lambda session: session.account_id != account_id)

    def remove_ended(self, now: datetime) -> None:
        self._keep(lambda session: session.ends_at() > now)


class InMemorySignInFailures(_Part):
    def record(self, keys: Sequence[str], now: datetime) -> None:
        self._before_change("failures")
        self._store.failures.extend((key, now) for key in keys)

    def since(self, key: str, start: datetime) -> list[datetime]:
        return sorted(at for k, at in self._store.failures if k == key and at > start)

    def clear(self, key: str) -> None:
        self._before_change("failures")
        self._store.failures = [(k, at) for k, at in self._store.failures if k != key]

    def forget_before(self, start: datetime) -> None:
        self._before_change("failures")
        self._store.failures = [(k, at) for k, at in self._store.failures if at > start]


class InMemorySetupCodes(_Part):
    def replace(self, code_digest: str, expires_at: datetime) -> None:
        self._before_change("setup_code")
        self._store.setup_code = (code_digest, expires_at)

    def take(self, code_digest: str, now: datetime) -> bool:
        held = self._store.setup_code
        if held is None or held[0] != code_digest:
            return False
        self._before_change("setup_code")
        self._store.setup_code = None
        return now < held[1]


class InMemoryAccountsUnitOfWork:
    def __init__(self, store: InMemoryAccountStore) -> None:
        self._store = store
        self._undo: Undo = []
        self.accounts = InMemoryAccountRepository(store, self._undo)
        self.tokens = InMemoryTokenRepository(store, self._undo)
        self.sessions = InMemorySessionRepository(store, self._undo)
        self.failures = InMemorySignInFailures(store, self._undo)
        self.setup_codes = InMemorySetupCodes(store, self._undo)

    def __enter__(self) -> InMemoryAccountsUnitOfWork:
        self._store.lock.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            while self._undo:
                self._undo.pop()()
        finally:
            self._store.lock.release()

    def commit(self) -> None:
        self._undo.clear()


def in_memory_accounts_factory(
    store: InMemoryAccountStore | None = None,
) -> Callable[[], InMemoryAccountsUnitOfWork]:
    shared = store if store is not None else InMemoryAccountStore()
    return lambda: InMemoryAccountsUnitOfWork(shared)
