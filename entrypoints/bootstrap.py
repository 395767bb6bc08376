"""The wiring: which adapter, which database. The only module that imports `adapters`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Final, cast

from starlette.applications import Starlette

from adapters.counts import recount as recount_users
from adapters.database_url import normalize_database_url
from adapters.engine import ANSWER_BOUND_S, create_reading_engine_for, storage_errors
from adapters.memory import in_memory_uow_factory
from adapters.memory_accounts import in_memory_accounts_factory
from adapters.passwords import credentials as password_credentials
from adapters.schema import upgrade_to_head
from adapters.sql import check_database, create_engine_for
from adapters.sql_accounts import sql_accounts_factory
from adapters.unit_of_work import sql_uow_factory
from domain.account_ports import AccountsUnitOfWork, Credentials
from domain.accounts import Actor
from entrypoints.audit import audit
from entrypoints.config import Settings
from entrypoints.http.app import ENDPOINT_THREADS, create_app, runner_giving_up_after
from entrypoints.http.auth import Security
from entrypoints.http.resources import UnitOfWorkFactory


def migrate(database_url: str) -> None:
    """Brings the database to the newest schema; safe when several processes start at once.

    Raises ValueError for an unsupported URL, StorageUnavailableError when unreachable.
    """
    upgrade_to_head(normalize_database_url(database_url))


def recount(database_url: str) -> None:
    """The user total counted from `users` (adapters/counts.py).

    Raises StorageUnavailableError when the database cannot be reached.
    """
    engine = create_engine_for(normalize_database_url(database_url))
    try:
        with storage_errors():
            recount_users(engine)
    finally:
        engine.dispose()


AccountsFactory = Callable[[], AccountsUnitOfWork]
#: Connections a pool opens beyond one per endpoint thread (the purge task, readiness): a
#: worker process holds at most 2 x (ENDPOINT_THREADS + POOL_OVERFLOW), reads' and writes'.
POOL_OVERFLOW: Final = 2


def account_storage(
    database_url: str, audit: Callable[[str, str, Actor], None]
) -> tuple[AccountsFactory, Credentials, Callable[[], None]]:
    """The account storage of `database_url` (schema at head), the password services, and
    what closes the storage."""
    engine = create_engine_for(normalize_database_url(database_url), pool_size=1)
    factory = cast(AccountsFactory, sql_accounts_factory(engine))
    return factory, password_credentials(audit), engine.dispose


def build_app(settings: Settings) -> Starlette:
    """The service over the SQL adapter for `settings.database_url` (schema already at head)."""
    # Reads (GETs, list pages) have their own pool, where a read is its statement alone
    # (adapters/engine.py). One connection per endpoint thread in each pool, kept open: the
    # default 10 + 10 overflow closed and reopened connections under 32 concurrent clients.
    url = normalize_database_url(settings.database_url)
    engine = create_engine_for(url, pool_size=ENDPOINT_THREADS, max_overflow=POOL_OVERFLOW)
    reading_engine = create_reading_engine_for(
        url, pool_size=ENDPOINT_THREADS, max_overflow=POOL_OVERFLOW
    )

    def readiness() -> None:
        check_database(engine)

    # cast: the adapters' `users` is their concrete repository, which mypy does not accept
    # for the protocol's mutable `users: UserRepository` attribute.
    uow_factory = cast(UnitOfWorkFactory, sql_uow_factory(engine, reading_engine))
    accounts = cast(AccountsFactory, sql_accounts_factory(engine))
    return create_app(
        uow_factory,
        readiness,
        security=Security(accounts, password_credentials(audit)),
        cors_origins=settings.cors_origins,
        allowed_hosts=settings.allowed_hosts,
        # A hung database: a 503 in bounded time, not a request stuck for ever.
        run=runner_giving_up_after(ANSWER_BOUND_S),
        retention=timedelta(days=settings.retention_days),
    )


def build_memory_app(settings: Settings | None = None) -> Starlette:
    """The service over the in-memory adapter (tests, demos): nothing survives the process."""
    settings = settings or Settings()
    accounts = cast(AccountsFactory, in_memory_accounts_factory())
    return create_app(
        cast(UnitOfWorkFactory, in_memory_uow_factory()),
        security=Security(accounts, password_credentials(audit)),
        cors_origins=settings.cors_origins,
        allowed_hosts=settings.allowed_hosts,
        retention=timedelta(days=settings.retention_days),
    )


def first_run_code(database_url: str) -> str | None:
    """While the database has no enabled administrator, a new one-time code to create one
    (valid for an hour); else None. The schema must be at head."""
    from datetime import UTC, datetime

    from domain.account_use_cases import issue_setup_code

    accounts, credentials, close = account_storage(database_url, audit)
    try:
        return issue_setup_code(accounts(), credentials, datetime.now(UTC))
    finally:
        close()
