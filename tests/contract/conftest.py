"""One repository suite for every adapter: `uow_factory` is an empty store of each kind.

The SQL databases are built with the migrations (upgrade_to_head), once per run, and
emptied before each test: rows gone, ids restarted, the user count back to zero.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from adapters.engine import create_reading_engine_for
from adapters.memory import in_memory_uow_factory
from adapters.schema import upgrade_to_head
from adapters.sql import create_engine_for
from adapters.unit_of_work import sql_uow_factory
from domain.ports import UnitOfWork
from tests.emptying import empty_database

SQL_ADAPTERS = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.postgres),
    pytest.param("mariadb", marks=pytest.mark.mariadb),
]
ADAPTERS = ["memory", *SQL_ADAPTERS]


@pytest.fixture(scope="session")
def postgresql_engine(postgres_url: str) -> Iterator[Engine]:
    upgrade_to_head(postgres_url)
    engine = create_engine_for(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def mariadb_engine(mariadb_url: str) -> Iterator[Engine]:
    upgrade_to_head(mariadb_url)
    engine = create_engine_for(mariadb_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def reading_engines() -> Iterator[dict[str, Engine]]:
    """The pools the service gives units of work marked reading(), made on first use."""
    engines: dict[str, Engine] = {}
    yield engines
    for engine in engines.values():
        engine.dispose()


def reading_engine_of(request: pytest.FixtureRequest, kind: str) -> Engine | None:
    engines: dict[str, Engine] = request.getfixturevalue("reading_engines")
    if kind not in engines:
        url = request.getfixturevalue(
            {"postgresql": "postgres_url", "mariadb": "mariadb_url"}[kind]
        )
        engine = create_reading_engine_for(url, pool_size=5, max_overflow=5)
        assert engine is not None
        engines[kind] = engine
    return engines[kind]


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('contract')) / 'users.db'}"
    upgrade_to_head(url)
    engine = create_engine_for(url)
    yield engine
    engine.dispose()


def empty_store(request: pytest.FixtureRequest, kind: str) -> Callable[[], UnitOfWork]:
    if kind == "memory":
        return in_memory_uow_factory()
    engine: Engine = request.getfixturevalue(f"{kind}_engine")
    empty_database(engine)
    return sql_uow_factory(engine, None if kind == "sqlite" else reading_engine_of(request, kind))


@pytest.fixture(params=ADAPTERS)
def uow_factory(request: pytest.FixtureRequest) -> Callable[[], UnitOfWork]:
    """An empty store, once per adapter."""
    return empty_store(request, request.param)
