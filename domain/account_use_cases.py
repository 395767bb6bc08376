"""What the service does with accounts and credentials, as functions over an accounts unit
of work. Each applies the policy (domain.policy) to its actor first.

Password hashing is slow on purpose; it runs outside the transaction, so no row or
connection waits for it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

import attrs

from domain.account_ports import AccountsUnitOfWork, Credentials
from domain.accounts import (
    FAILURES_PER_ACCOUNT,
    FAILURES_PER_ADDRESS,
    GUESS_WINDOW,
    PASSWORD_MAX,
    PASSWORD_MIN,
    SESSION_TOUCH_EVERY,
    SETUP_CODE_LIFETIME,
    Account,
    AccountNotFoundError,
    AccountValidationError,
    Actor,
    ApiToken,
    LastAdminError,
    NotSignedInError,
    Role,
    Session,
    SetupCodeError,
    SignInFailedError,
    TokenNotFoundError,
    TooManyAttemptsError,
    account_name_key,
    secret_digest,
    validate_account_name,
    validate_expires_in_days,
    validate_token_label,
)
from domain.errors import FieldError
from domain.policy import Permission, may, require, require_own_or

T = TypeVar("T")


def _gather(*checks: Callable[[], object]) -> list[object]:
    """Runs every check; raises one AccountValidationError with all their failures."""
    results: list[object] = []
    failures: list[FieldError] = []
    for check in checks:
        try:
            results.append(check())
        except AccountValidationError as error:
            failures.extend(error.errors)
    if failures:
        raise AccountValidationError(failures)
    return results


def check_password(credentials: Credentials, password: object, account_name: str) -> str:
    """At least PASSWORD_MIN characters and not easy to guess. Raises AccountValidationError."""

    def fail(code: str, detail: str) -> AccountValidationError:
        return AccountValidationError([FieldError("password", code, detail)])

    if not isinstance(password, str):
        raise fail("not_a_string", "password must be a string")
    if len(password) < PASSWORD_MIN:
        raise fail("too_short", f"password must be at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise fail("too_long", f"password must be at most {PASSWORD_MAX} characters")
    weakness = credentials.strength.weakness(password, [account_name])
    if weakness is not None:
        raise fail("weak_password", f"password is too easy to guess: {weakness}")
    return password


# -- accounts -------------------------------------------------------------------------------


def create_account(
    uow: AccountsUnitOfWork,
    credentials: Credentials,
    actor: Actor,
    name: object,
    role: object,
    password: object,
    now: datetime,
) -> Account:
    """Raises ForbiddenError, AccountValidationError, AccountNameTakenError."""
    require(actor, Permission.MANAGE_ACCOUNTS)
    checked_name, checked_role, checked_password = _gather(
        lambda: validate_account_name(name),
        lambda: Role.parse(role),
        lambda: check_password(credentials, password, str(name)),
    )
    assert isinstance(checked_role, Role)
    password_hash = credentials.hasher.hash(str(checked_password))
    with uow:
        account = uow.accounts.add(str(checked_name), checked_role, password_hash, now)
        uow.commit()
    credentials.audit("account_created", account.name, actor)
    return account


def list_accounts(uow: AccountsUnitOfWork, actor: Actor) -> list[Account]:
    require(actor, Permission.MANAGE_ACCOUNTS)
    with uow:
        return uow.accounts.all()


def get_account(uow: AccountsUnitOfWork, actor: Actor, account_id: int) -> Account:
    """One's own account, or any for an admin. Raises ForbiddenError, AccountNotFoundError."""
    require_own_or(actor, account_id, Permission.MANAGE_ACCOUNTS)
    with uow:
        return uow.accounts.get(account_id)


def find_account(uow: AccountsUnitOfWork, actor: Actor, name: str) -> Account:
    """Raises ForbiddenError, AccountNotFoundError."""
    require(actor, Permission.MANAGE_ACCOUNTS)
    with uow:
        account = uow.accounts.by_name(name)
    if account is None:
        raise AccountNotFoundError(repr(name))
    return account


def change_account(
    uow: AccountsUnitOfWork,
    credentials: Credentials,
    actor: Actor,
    account_id: int,
    *,
    role: object = None,
    password: object = None,
    enabled: object = None,
) -> Account:
    """Changes the role, the password or whether the account may sign in; any change ends
    every session and revokes every API token of the account. Only an admin changes roles
    and enables or disables; anyone may change their own password.

    Raises ForbiddenError, AccountNotFoundError, AccountValidationError, LastAdminError.
    """
    if role is not None or enabled is not None:
        require(actor, Permission.MANAGE_ACCOUNTS)
    current = get_account(uow, actor, account_id)
    checks: list[Callable[[], object]] = []
    if role is not None:
        checks.append(lambda: Role.parse(role))
    if enabled is not None:
        checks.append(lambda: _boolean(enabled))
    if password is not None:
        checks.append(lambda: check_password(credentials, password, current.name))
    values = iter(_gather(*checks))
    new_role = next(values) if role is not None else current.role
    new_enabled = next(values) if enabled is not None else current.enabled
    assert isinstance(new_role, Role) and isinstance(new_enabled, bool)
    password_hash = (
        credentials.hasher.hash(str(password)) if password is not None else current.password_hash
    )
    with uow:
        account = uow.accounts.get(account_id)
        changed = attrs.evolve(
            account, role=new_role, enabled=new_enabled, password_hash=password_hash
        )
        stays_admin = changed.enabled and changed.role is Role.ADMIN
        was_admin = account.enabled and account.role is Role.ADMIN
        if was_admin and not stays_admin and uow.accounts.enabled_admins() <= 1:
            raise LastAdminError()
        uow.accounts.save(changed)
        uow.sessions.remove_of_account(account_id)
        uow.tokens.remove_of_account(account_id)
        uow.commit()
    what = [
        f"role={new_role.value}" if role is not None else "",
        f"enabled={str(new_enabled).lower()}" if enabled is not None else "",
        "password" if password is not None else "",
    ]
    credentials.audit("account_changed " + " ".join(w for w in what if w), changed.name, actor)
    return changed


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise AccountValidationError(
            [FieldError("enabled", "not_a_boolean", "enabled must be true or false")]
        )
    return value


# -- API tokens -----------------------------------------------------------------------------


def create_token(
    uow: AccountsUnitOfWork,
    credentials: Credentials,
    actor: Actor,
    account_id: int,
    label: object,
    now: datetime,
    *,
    role: object = None,
    expires_in_days: object = None,
) -> tuple[ApiToken, str]:
    """A new token for the account and its secret (shown once, stored only as a digest).
    Its role is at most the account's, and at most the actor's.

    Raises ForbiddenError, AccountNotFoundError, AccountValidationError.
    """
    account = get_account(uow, actor, account_id)
    require_own_or(actor, account_id, Permission.MANAGE_ANY_TOKEN)
    checked_label, checked_role, days = _gather(
        lambda: validate_token_label(label),
        lambda: account.role if role is None else Role.parse(role),
        lambda: validate_expires_in_days(expires_in_days),
    )
    assert isinstance(checked_role, Role)
    if not (account.role.covers(checked_role) and actor.role.covers(checked_role)):
        raise AccountValidationError(
            [FieldError("role", "role_too_high", "a token's role is at most its account's")]
        )
    if not account.enabled:
        raise AccountValidationError(
            [FieldError("account", "disabled", f"account {account.name!r} is disabled")]
        )
    secret = credentials.new_secret()
    expires_at = None if days is None else now + timedelta(days=int(str(days)))
    with uow:
        token = uow.tokens.add(
            account_id, str(checked_label), checked_role, secret_digest(secret), now, expires_at
        )
        uow.commit()
    credentials.audit(f"token_created id={token.id}", account.name, actor)
    return token, secret


def list_tokens(
    uow: AccountsUnitOfWork, actor: Actor, account_id: int | None = None
) -> list[ApiToken]:
    """One account's tokens; without an account, one's own (an admin's: every token)."""
    if account_id is None:
        if may(actor, Permission.MANAGE_ANY_TOKEN):
            with uow:
                return uow.tokens.all()
        if actor.account_id is None:
            return []
        account_id = actor.account_id
    get_account(uow, actor, account_id)
    require_own_or(actor, account_id, Permission.MANAGE_ANY_TOKEN)
    with uow:
        return uow.tokens.all(account_id)


def get_token(uow: AccountsUnitOfWork, actor: Actor, token_id: int) -> ApiToken:
    """Raises TokenNotFoundError (also for another account's token, unless admin)."""
    with uow:
        token = uow.tokens.get(token_id)
    if token.account_id != actor.account_id and not may(actor, Permission.MANAGE_ANY_TOKEN):
        raise TokenNotFoundError(token_id)
    return token


def revoke_token(
    uow: AccountsUnitOfWork, credentials: Credentials, actor: Actor, token_id: int
) -> ApiToken:
    """Raises TokenNotFoundError (also for another account's token, unless admin)."""
    with uow:
        token = uow.tokens.get(token_id)
        if token.account_id != actor.account_id and not may(actor, Permission.MANAGE_ANY_TOKEN):
            raise TokenNotFoundError(token_id)
        uow.tokens.remove(token_id)
        uow.commit()
    credentials.audit(f"token_revoked id={token.id}", token.account_name, actor)
    return token


# -- signing in -----------------------------------------------------------------------------


def authenticate_token(uow: AccountsUnitOfWork, secret: str, now: datetime) -> Actor:
    """The actor an API token stands for. Raises NotSignedInError."""
    with uow:
        token = uow.tokens.by_digest(secret_digest(secret))
        if token is None or token.expired(now):
            raise NotSignedInError("unknown, expired or revoked API token")
        account = uow.accounts.get(token.account_id)
    if not account.enabled:
        raise NotSignedInError("the account is disabled")
    role = token.role if account.role.covers(token.role) else account.role
    return Actor(account.id, account.name, role, token.expires_at, token_id=token.id)


def authenticate_session(uow: AccountsUnitOfWork, secret: str, now: datetime) -> Actor:
    """The actor a session cookie stands for; notes its use. Raises NotSignedInError."""
    digest = secret_digest(secret)
    with uow:
        session = uow.sessions.by_digest(digest)
        if session is None:
            raise NotSignedInError("unknown or ended session")
        if session.ends_at() <= now:
            uow.sessions.remove(digest)
            uow.commit()
            raise NotSignedInError("the session has expired")
        account = uow.accounts.get(session.account_id)
        if not account.enabled:
            raise NotSignedInError("the account is disabled")
        if now - session.last_seen_at >= SESSION_TOUCH_EVERY:
            uow.sessions.touch(digest, now)
            uow.commit()
            session = attrs.evolve(session, last_seen_at=now)
    return Actor(account.id, account.name, account.role, session.ends_at())


def _retry_after(times: list[datetime], limit: int, now: datetime) -> timedelta | None:
    """With `limit` or more failures in the window, how long until one fewer than that."""
    if len(times) < limit:
        return None
    return max(times[len(times) - limit] + GUESS_WINDOW - now, timedelta(seconds=1))


def _check_guessing(uow: AccountsUnitOfWork, keys: tuple[str, str], now: datetime) -> None:
    start = now - GUESS_WINDOW
    waits = [
        _retry_after(uow.failures.since(key, start), limit, now)
        for key, limit in zip(keys, (FAILURES_PER_ACCOUNT, FAILURES_PER_ADDRESS), strict=True)
    ]
    longest = max((wait for wait in waits if wait is not None), default=None)
    if longest is not None:
        raise TooManyAttemptsError(longest)


def _new_session(
    uow: AccountsUnitOfWork, credentials: Credentials, account: Account, now: datetime
) -> tuple[Session, str]:
    secret = credentials.new_secret()
    session = Session(secret_digest(secret), account.id, now, now)
    uow.sessions.add(session)
    return session, secret


def sign_in(
    uow: AccountsUnitOfWork,
    credentials: Credentials,
    name: object,
    password: object,
    address: str,
    now: datetime,
    previous_session: str | None = None,
) -> tuple[Account, Session, str]:
    """A new session (always a new id; `previous_session` ends) for the right name and
    password of an enabled account. An unknown name costs the same time as a wrong password.

    Raises SignInFailedError, TooManyAttemptsError, AccountValidationError.
    """
    _gather(
        lambda: _text(name, "username"),
        lambda: _text(password, "password"),
    )
    assert isinstance(name, str) and isinstance(password, str)
    keys = (f"account:{account_name_key(name.strip())}", f"address:{address}")
    with uow:
        _check_guessing(uow, keys, now)
        account = uow.accounts.by_name(name.strip())
    right = credentials.hasher.verify(
        None if account is None else account.password_hash, password[:PASSWORD_MAX]
    )
    actor = Actor(None if account is None else account.id, name.strip()[:100], Role.VIEWER)
    actor = attrs.evolve(actor, address=address)
    with uow:
        uow.failures.forget_before(now - GUESS_WINDOW)
        if account is None or not right or not account.enabled:
            uow.failures.record(keys, now)
            uow.commit()
            credentials.audit("sign_in_failed", actor.name, actor)
            raise SignInFailedError()
        uow.failures.clear(keys[0])
        if previous_session is not None:
            uow.sessions.remove(secret_digest(previous_session))
        uow.sessions.remove_ended(now)
        session, secret = _new_session(uow, credentials, account, now)
        uow.commit()
    credentials.audit("sign_in", account.name, actor)
    return account, session, secret


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise AccountValidationError([FieldError(field, "blank", f"{field} must be given")])
    return value


def sign_out(
    uow: AccountsUnitOfWork, credentials: Credentials, actor: Actor, session_secret: str
) -> None:
    with uow:
        uow.sessions.remove(secret_digest(session_secret))
        uow.commit()
    credentials.audit("sign_out", actor.name, actor)


# -- first run ------------------------------------------------------------------------------


def issue_setup_code(
    uow: AccountsUnitOfWork, credentials: Credentials, now: datetime
) -> str | None:
    """While no enabled administrator exists, a new one-time code (valid for an hour; it
    replaces any earlier one) to create the first; else None."""
    with uow:
        if uow.accounts.enabled_admins():
            return None
        code = credentials.new_secret()
        uow.setup_codes.replace(secret_digest(code), now + SETUP_CODE_LIFETIME)
        uow.commit()
    return code


def set_up_administrator(
    uow: AccountsUnitOfWork,
    credentials: Credentials,
    code: str,
    name: object,
    password: object,
    address: str,
    now: datetime,
) -> tuple[Account, Session, str]:
    """Creates the first administrator with a first-run code and signs them in.

    Raises SetupCodeError, AccountValidationError, AccountNameTakenError.
    """
    checked_name, checked_password = _gather(
        lambda: validate_account_name(name),
        lambda: check_password(credentials, password, str(name)),
    )
    password_hash = credentials.hasher.hash(str(checked_password))
    with uow:
        if uow.accounts.enabled_admins() or not uow.setup_codes.take(secret_digest(code), now):
            raise SetupCodeError()
        account = uow.accounts.add(str(checked_name), Role.ADMIN, password_hash, now)
        session, secret = _new_session(uow, credentials, account, now)
        uow.commit()
    actor = Actor(account.id, account.name, Role.ADMIN, address=address)
    credentials.audit("administrator_created", account.name, actor)
    return account, session, secret
