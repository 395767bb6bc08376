"""Concurrent writers on PostgreSQL: the database, not luck, keeps names unique and versions
whole. Also: outages come out as StorageUnavailableError and the pool recovers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, text

from adapters.schema import upgrade_to_head
from adapters.sql import check_database, create_engine_for
from adapters.unit_of_work import sql_uow_factory
from domain.errors import DuplicateNameError, StaleVersionError, StorageUnavailableError
from domain.model import ATTRIBUTES
from domain.queries import UserQuery
from domain.use_cases import change_user, get_user, list_users, register_user
from tests.support.users import user_attributes

THREADS = 20
pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(new_postgres_url: Callable[[], str]) -> Iterator[Engine]:
    url = new_postgres_url()
    upgrade_to_head(url)
    engine = create_engine_for(url, pool_size=THREADS, max_overflow=0)
    yield engine
    engine.dispose()


def _at_once(work: Callable[[int], Any]) -> list[Any]:
    """Runs work(0..THREADS-1) in threads released together; returns results or errors."""
    barrier = threading.Barrier(THREADS)

    def run(index: int) -> Any:
        barrier.wait()
        try:
            return work(index)
        except Exception as error:  # the outcome is what the test looks at
            return error

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


def _attributes(name: str) -> dict[str, object]:
    return user_attributes(name=name)


def test_twenty_registrations_of_one_name_at_once_let_exactly_one_succeed(engine: Engine) -> None:
    uow = sql_uow_factory(engine)
    outcomes = _at_once(
        lambda i: register_user(uow(), _attributes("Same Name" if i % 2 else "SAME name"))
    )
    winners = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(winners) == 1
    assert all(isinstance(o, DuplicateNameError) for o in outcomes if o not in winners)
    assert list_users(uow(), UserQuery()).total == 1


def test_twenty_changes_at_one_expected_version_let_exactly_one_succeed(engine: Engine) -> None:
    uow = sql_uow_factory(engine)
    user = register_user(uow(), _attributes("target"))
    outcomes = _at_once(lambda i: change_user(uow(), user.id, {"age": i}, expected_version=1))
    winners = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(winners) == 1
    assert all(isinstance(o, StaleVersionError) for o in outcomes if o not in winners)
    assert get_user(uow(), user.id) == winners[0]
    assert winners[0].version == 2


def test_twenty_unconditional_changes_at_once_lose_no_update(engine: Engine) -> None:
    uow = sql_uow_factory(engine)
    user = register_user(uow(), _attributes("target"))
    values: dict[str, list[object]] = {attribute: [] for attribute in ATTRIBUTES}

    def change(index: int) -> Any:
        attribute = ATTRIBUTES[index % len(ATTRIBUTES)]
        value: object = {
            "name": f"target {index}",
            "address": f"{index} Road",
            "age": index,
            "profession": f"job {index}",
            "website": f"https://{index}.example",
        }[attribute]
        values[attribute].append(value)
        return change_user(uow(), user.id, {attribute: value})

    outcomes = _at_once(change)
    assert not [o for o in outcomes if isinstance(o, Exception)]
    final = get_user(uow(), user.id)
    assert final.version == THREADS + 1
    for attribute in ATTRIBUTES:  # every attribute holds one of the values written to it
        assert getattr(final, attribute) in values[attribute]
    assert sorted(o.version for o in outcomes) == list(range(2, THREADS + 2))


def test_a_database_that_does_not_answer_raises_storage_unavailable() -> None:
    engine = create_engine_for("postgresql://postgres@127.0.0.1:1/nowhere")
    with pytest.raises(StorageUnavailableError):
        check_database(engine)
    with pytest.raises(StorageUnavailableError), sql_uow_factory(engine)() as uow:
        uow.users.get(1)


def test_a_statement_past_the_timeout_raises_storage_unavailable(engine: Engine) -> None:
    uow = sql_uow_factory(engine)
    user = register_user(uow(), _attributes("locked"))
    with engine.connect() as holder:
        holder.execute(text("SELECT 1 FROM users WHERE id = :id FOR UPDATE"), {"id": user.id})
        with pytest.raises(StorageUnavailableError), uow() as waiting:
            # 5 s in service; shortened here so the test waits 0.1 s for the row lock
            waiting._execute(text("SET LOCAL statement_timeout = 100"), {})
            waiting.users.change(user.id, {"age": 2}, None)
        holder.rollback()


def test_the_pool_recovers_after_its_connections_are_killed(engine: Engine) -> None:
    uow = sql_uow_factory(engine)
    user = register_user(uow(), _attributes("survivor"))
    with engine.connect() as connection:
        database = connection.execute(text("SELECT current_database()")).scalar_one()
    killer = create_engine_for(str(engine.url.set(database="postgres")))
    with killer.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = :d AND pid <> pg_backend_pid()"
            ),
            {"d": database},
        )
    killer.dispose()
    assert get_user(uow(), user.id) == user  # the first statement retries on a live one


def test_a_write_alone_takes_a_live_connection_after_the_pool_was_killed(engine: Engine) -> None:
    """A write committed by itself is never sent twice; a pooled connection the server
    ended while it was idle is seen before sending and replaced."""
    uow = sql_uow_factory(engine)
    users = [register_user(uow(), _attributes(f"idle {i}")) for i in range(3)]
    killer = create_engine_for(str(engine.url), pool_size=1, max_overflow=0)
    with killer.connect() as connection:
        killed = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    killer.dispose()
    assert killed >= 1
    time.sleep(0.2)  # the FATAL message reaches the idle sockets
    changed = change_user(uow(), users[0].id, {"age": 40}, 1)
    assert changed.version == 2
    assert register_user(uow(), _attributes("after the kill")).version == 1
