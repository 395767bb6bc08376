"""The SQL account storage: accounts, API tokens, sessions, failed sign-ins and first-run
codes over SQLAlchemy Core, one SQLAlchemy Connection and transaction per unit of work.

A unit of work of its own beside the users' one: accounts and users never change in one
transaction, and the account requests are few (the HTTP layer keeps verified credentials
for a few seconds, entrypoints/http/credential_cache.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, delete, exc, func, insert, or_, select, update

from adapters.account_tables import accounts, api_tokens, sessions, setup_codes, sign_in_failures
from adapters.engine import storage_errors
from adapters.tables import as_utc
from domain.accounts import (
    SESSION_IDLE,
    SESSION_LIFETIME,
    Account,
    AccountNameTakenError,
    AccountNotFoundError,
    ApiToken,
    Role,
    Session,
    TokenNotFoundError,
    account_name_key,
)


def _stored(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _account(row: Any) -> Account:
    return Account(row.id, row.name, Role(row.role), row.password_hash, bool(row.enabled))


class _Part:
    def __init__(self, connection: Callable[[], Connection]) -> None:
        self._connection = connection

    def _run(self, statement: Any, parameters: Any = None) -> Any:
        with storage_errors():
            return self._connection().execute(statement, parameters)


class SqlAccountRepository(_Part):
    def add(self, name: str, role: Role, password_hash: str, now: datetime) -> Account:
        statement = (
            insert(accounts)
            .values(
                name=name,
                name_key=account_name_key(name),
                role=role.value,
                password_hash=password_hash,
                enabled=True,
                created_at=_stored(now),
            )
            .returning(accounts.c.id)
        )
        with storage_errors():
            try:
                account_id = self._connection().execute(statement).scalar_one()
            except exc.IntegrityError:
                raise AccountNameTakenError(name) from None
        return Account(account_id, name, role, password_hash)

    def get(self, account_id: int) -> Account:
        row = self._run(select(accounts).where(accounts.c.id == account_id)).first()
        if row is None:
            raise AccountNotFoundError(str(account_id))
        return _account(row)

    def by_name(self, name: str) -> Account | None:
        key = account_name_key(name)
        row = self._run(select(accounts).where(accounts.c.name_key == key)).first()
        return None if row is None else _account(row)

    def all(self) -> list[Account]:
        rows = self._run(select(accounts).order_by(accounts.c.name_key))
        return [_account(row) for row in rows]

    def save(self, account: Account) -> None:
        self._run(
            update(accounts)
            .where(accounts.c.id == account.id)
            .values(
                role=account.role.value,
                password_hash=account.password_hash,
                enabled=account.enabled,
            )
        )

    def enabled_admins(self) -> int:
        count = select(func.count()).where(
            accounts.c.enabled.is_(True), accounts.c.role == Role.ADMIN.value
        )
        return int(self._run(count).scalar_one())


_TOKEN_COLUMNS = (*api_tokens.c, accounts.c.name.label("account_name"))


def _token(row: Any) -> ApiToken:
    return ApiToken(
        row.id,
        row.account_id,
        row.account_name,
        row.label,
        Role(row.role),
        row.secret_digest,
        as_utc(row.created_at),
        None if row.expires_at is None else as_utc(row.expires_at),
    )


def _tokens() -> Any:
    return select(*_TOKEN_COLUMNS).join(accounts, accounts.c.id == api_tokens.c.account_id)


class SqlTokenRepository(_Part):
    def add(
        self,
        account_id: int,
        label: str,
        role: Role,
        secret_digest: str,
        now: datetime,
        expires_at: datetime | None,
    ) -> ApiToken:
        token_id = self._run(
            insert(api_tokens)
            .values(
                account_id=account_id,
                label=label,
                role=role.value,
                secret_digest=secret_digest,
                created_at=_stored(now),
                expires_at=None if expires_at is None else _stored(expires_at),
            )
            .returning(api_tokens.c.id)
        ).scalar_one()
        return self.get(token_id)

    def by_digest(self, secret_digest: str) -> ApiToken | None:
        row = self._run(_tokens().where(api_tokens.c.secret_digest == secret_digest)).first()
        return None if row is None else _token(row)

    def get(self, token_id: int) -> ApiToken:
        row = self._run(_tokens().where(api_tokens.c.id == token_id)).first()
        if row is None:
            raise TokenNotFoundError(token_id)
        return _token(row)

    def all(self, account_id: int | None = None) -> list[ApiToken]:
        query = _tokens().order_by(api_tokens.c.id)
        if account_id is not None:
            query = query.where(api_tokens.c.account_id == account_id)
        return [_token(row) for row in self._run(query)]

    def remove(self, token_id: int) -> None:
        if not self._run(delete(api_tokens).where(api_tokens.c.id == token_id)).rowcount:
            raise TokenNotFoundError(token_id)

    def remove_of_account(self, account_id: int) -> None:
        self._run(delete(api_tokens).where(api_tokens.c.account_id == account_id))


class SqlSessionRepository(_Part):
    def add(self, session: Session) -> None:
        self._run(
            insert(sessions).values(
                secret_digest=session.secret_digest,
                account_id=session.account_id,
                created_at=_stored(session.created_at),
                last_seen_at=_stored(session.last_seen_at),
            )
        )

    def by_digest(self, secret_digest: str) -> Session | None:
        row = self._run(select(sessions).where(sessions.c.secret_digest == secret_digest)).first()
        if row is None:
            return None
        return Session(
            row.secret_digest, row.account_id, as_utc(row.created_at), as_utc(row.last_seen_at)
        )

    def touch(self, secret_digest: str, now: datetime) -> None:
        self._run(
            update(sessions)
            .where(sessions.c.secret_digest == secret_digest)
            .values(last_seen_at=_stored(now))
        )

    def remove(self, secret_digest: str) -> None:
        self._run(delete(sessions).where(sessions.c.secret_digest == secret_digest))

    def remove_of_account(self, account_id: int) -> None:
        self._run(delete(sessions).where(sessions.c.account_id == account_id))

    def remove_ended(self, now: datetime) -> None:
        self._run(
            delete(sessions).where(
                or_(
                    sessions.c.last_seen_at <= _stored(now - SESSION_IDLE),
                    sessions.c.created_at <= _stored(now - SESSION_LIFETIME),
                )
            )
        )


class SqlSignInFailures(_Part):
    def record(self, keys: Sequence[str], now: datetime) -> None:
        self._run(
            insert(sign_in_failures), [{"key": key, "failed_at": _stored(now)} for key in keys]
        )

    def since(self, key: str, start: datetime) -> list[datetime]:
        rows = self._run(
            select(sign_in_failures.c.failed_at)
            .where(sign_in_failures.c.key == key, sign_in_failures.c.failed_at > _stored(start))
            .order_by(sign_in_failures.c.failed_at)
        )
        return [as_utc(row.failed_at) for row in rows]

    def clear(self, key: str) -> None:
        self._run(delete(sign_in_failures).where(sign_in_failures.c.key == key))

    def forget_before(self, start: datetime) -> None:
        self._run(delete(sign_in_failures).where(sign_in_failures.c.failed_at <= _stored(start)))


class SqlSetupCodes(_Part):
    def replace(self, code_digest: str, expires_at: datetime) -> None:
        self._run(delete(setup_codes))
        self._run(insert(setup_codes).values(code_digest=code_digest, expires_at=expires_at))

    def take(self, code_digest: str, now: datetime) -> bool:
        taken = self._run(
            delete(setup_codes)
            .where(setup_codes.c.code_digest == code_digest)
            .returning(setup_codes.c.expires_at)
        ).first()
        return taken is not None and now < as_utc(taken.expires_at)


class SqlAccountsUnitOfWork:
    """One Connection and its transaction from `with` to its end; no commit() rolls back.
    Database errors leave as domain errors (StorageUnavailableError)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._held: Connection | None = None
        self.accounts = SqlAccountRepository(self._connection)
        self.tokens = SqlTokenRepository(self._connection)
        self.sessions = SqlSessionRepository(self._connection)
        self.failures = SqlSignInFailures(self._connection)
        self.setup_codes = SqlSetupCodes(self._connection)

    def _connection(self) -> Connection:
        if self._held is None:
            raise RuntimeError("use the unit of work in a `with` block")
        return self._held

    def __enter__(self) -> SqlAccountsUnitOfWork:
        with storage_errors():
            self._held = self._engine.connect()
            self._held.begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        held, self._held = self._held, None
        if held is not None:
            with _quietly(exc_value is not None), storage_errors():
                held.close()  # rolls back anything not committed

    def commit(self) -> None:
        with storage_errors():
            self._connection().commit()
            self._connection().begin()


@contextmanager
def _quietly(already_failing: bool) -> Iterator[None]:
    """A failure to close the connection does not hide the error already on its way out."""
    try:
        yield
    except Exception:
        if not already_failing:
            raise


def sql_accounts_factory(engine: Engine) -> Callable[[], SqlAccountsUnitOfWork]:
    return lambda: SqlAccountsUnitOfWork(engine)
