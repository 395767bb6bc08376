"""Units of work marked reading() (domain/ports.py): they read what the others wrote, never
commit, and on the databases whose transactions are READ COMMITTED they send no BEGIN."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event

from adapters.memory import in_memory_uow_factory
from adapters.unit_of_work import SqlAlchemyUnitOfWork
from domain.ports import UnitOfWork
from domain.queries import SortOrder, UserFilter
from domain.validation import validate_new_user
from tests.contract.conftest import ADAPTERS, SQL_ADAPTERS, empty_store, reading_engine_of
from tests.support.users import user_attributes

Factory = Callable[[], UnitOfWork]


@pytest.fixture(params=ADAPTERS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def uow_factory(request: pytest.FixtureRequest, kind: str) -> Factory:
    return empty_store(request, kind)


def add(uow_factory: Factory, name: str) -> int:
    with uow_factory() as uow:
        user = uow.users.add(validate_new_user(user_attributes(name=name)))
        uow.commit()
    return user.id


def test_a_reading_unit_reads_what_was_committed(uow_factory: Factory) -> None:
    first = add(uow_factory, "Grace Hopper")
    add(uow_factory, "Alan Turing")
    with uow_factory().reading() as uow:
        assert uow.users.get(first).name == "Grace Hopper"
        found = uow.users.find(UserFilter(), SortOrder.parse("name"), limit=10)
        assert [user.name for user in found] == ["Alan Turing", "Grace Hopper"]
        assert uow.users.count(UserFilter()) == 2
    # and once more, on a connection given back to its pool in between
    with uow_factory().reading() as uow:
        assert uow.users.get(first).name == "Grace Hopper"


def test_a_reading_unit_cannot_commit(uow_factory: Factory) -> None:
    with uow_factory().reading() as uow:
        uow.users.count(UserFilter())
        with pytest.raises(RuntimeError, match="reading"):
            uow.commit()


@pytest.mark.parametrize("sql_kind", SQL_ADAPTERS)
def test_a_unit_of_work_is_marked_reading_before_it_runs_anything(
    request: pytest.FixtureRequest, sql_kind: str
) -> None:
    uow_factory = empty_store(request, sql_kind)
    with uow_factory() as uow:
        uow.users.count(UserFilter())
        with pytest.raises(RuntimeError, match="before"):
            uow.reading()


def test_a_memory_unit_marked_reading_that_writes_fails() -> None:
    # So the use-case tests, which run on memory, catch a use case that wrongly says it reads.
    factory = in_memory_uow_factory()
    with pytest.raises(RuntimeError, match="changed something"), factory().reading() as uow:
        uow.users.add(validate_new_user(user_attributes(name="Grace Hopper")))
    with factory() as uow:
        assert uow.users.count(UserFilter()) == 0


def _autocommit(dbapi_connection: Any) -> bool:
    flag = dbapi_connection.autocommit  # psycopg2: an attribute; PyMySQL: a method
    return bool(flag if isinstance(flag, bool) else dbapi_connection.get_autocommit())


@pytest.fixture(
    params=[
        pytest.param("postgresql", marks=pytest.mark.postgres),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
    ]
)
def server_kind(request: pytest.FixtureRequest) -> str:
    """The READ COMMITTED databases, where reading units run outside a transaction."""
    return str(request.param)


@pytest.fixture
def driver_modes(request: pytest.FixtureRequest, server_kind: str) -> Iterator[list[bool]]:
    """Whether the driver was in autocommit (so sent no BEGIN) at each statement."""
    kind = server_kind
    engines: list[Engine] = [request.getfixturevalue(f"{kind}_engine")]
    reading = reading_engine_of(request, kind)
    assert reading is not None
    engines.append(reading)
    modes: list[bool] = []

    def seen(connection: Any, *_: Any) -> None:
        modes.append(_autocommit(connection.connection.dbapi_connection))

    for engine in engines:
        event.listen(engine, "before_cursor_execute", seen)
    yield modes
    for engine in engines:
        event.remove(engine, "before_cursor_execute", seen)


def test_reads_marked_reading_run_without_a_transaction_and_writes_within_one(
    request: pytest.FixtureRequest, server_kind: str, driver_modes: list[bool]
) -> None:
    uow_factory = empty_store(request, server_kind)
    user_id = add(uow_factory, "Grace Hopper")
    assert driver_modes and not any(driver_modes)  # the write: BEGIN ... COMMIT
    driver_modes.clear()
    with uow_factory().reading() as uow:
        assert isinstance(uow, SqlAlchemyUnitOfWork)
        uow.users.get(user_id)
        uow.users.find(UserFilter(), SortOrder.parse("name"), limit=10)
    assert driver_modes == [True, True]
    driver_modes.clear()
    with uow_factory() as uow:  # not marked: one transaction, as before
        uow.users.get(user_id)
    assert driver_modes == [False]
