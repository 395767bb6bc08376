"""The app under test: the real Starlette app over the in-memory adapter, and over SQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
from starlette.testclient import TestClient

from adapters.memory import in_memory_uow_factory
from entrypoints.http.app import create_app
from entrypoints.http.resources import UnitOfWorkFactory
from tests.http.documents import JSONAPI, new_user
from tests.signed_in import security

#: The host Starlette's TestClient sends; the apps under test allow it and no other.
TEST_HOST = "testserver"


def memory_client(readiness: Callable[[], None] | None = None, **options: Any) -> TestClient:
    """The app over an empty in-memory store, signed in as an admin (an API token)."""
    factory = cast(UnitOfWorkFactory, in_memory_uow_factory())
    options.setdefault("allowed_hosts", [TEST_HOST])
    signed_in, headers = security()
    app = create_app(factory, readiness, security=signed_in, **options)
    return TestClient(app, raise_server_exceptions=False, headers=headers)


@pytest.fixture
def client() -> Iterator[TestClient]:
    """A fresh app over an empty in-memory store."""
    with memory_client() as test_client:
        yield test_client


@pytest.fixture
def create(client: TestClient) -> Callable[..., dict[str, Any]]:
    """Creates a user through the API and returns its resource object."""

    def create_user(**changes: Any) -> dict[str, Any]:
        response = client.post(
            "/api/v1/users", json=new_user(**changes), headers={"Content-Type": JSONAPI}
        )
        assert response.status_code == 201, response.text
        resource: dict[str, Any] = response.json()["data"]
        return resource

    return create_user


def _sql_client(url: str) -> Iterator[TestClient]:
    from adapters.engine import create_reading_engine_for
    from adapters.schema import upgrade_to_head
    from adapters.sql import create_engine_for
    from adapters.sql_accounts import sql_accounts_factory
    from adapters.unit_of_work import sql_uow_factory
    from tests.emptying import empty_database

    upgrade_to_head(url)
    engine = create_engine_for(url)
    reading_engine = create_reading_engine_for(url, pool_size=5, max_overflow=5)
    empty_database(engine)
    factory = cast(UnitOfWorkFactory, sql_uow_factory(engine, reading_engine))
    signed_in, headers = security(sql_accounts_factory(engine))
    app = create_app(factory, readiness=None, security=signed_in, allowed_hosts=[TEST_HOST])
    try:
        with TestClient(app, raise_server_exceptions=False, headers=headers) as test_client:
            yield test_client
    finally:
        engine.dispose()
        if reading_engine is not None:
            reading_engine.dispose()


_DATABASE_URLS = {"sqlite": "sqlite_url", "postgresql": "postgres_url", "mariadb": "mariadb_url"}


@pytest.fixture(
    params=[
        "memory",
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
    ]
)
def any_client(request: pytest.FixtureRequest) -> Iterator[TestClient]:
    """The same app over each adapter: memory, SQLite, PostgreSQL and MariaDB."""
    if request.param == "memory":
        with memory_client() as test_client:
            yield test_client
        return
    yield from _sql_client(request.getfixturevalue(_DATABASE_URLS[request.param]))
