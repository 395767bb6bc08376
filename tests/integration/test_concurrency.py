"""Concurrent writers on PostgreSQL and MariaDB: the database, not luck, keeps names unique
and versions whole. Also: outages come out as StorageUnavailableError and the pool recovers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text

from adapters.schema import upgrade_to_head
from adapters.sql import check_database, create_engine_for
from adapters.unit_of_work import sql_uow_factory
from domain.errors import DuplicateNameError, StaleVersionError, StorageUnavailableError
from domain.history_use_cases import Window, deleted_users, purge_deleted_users, user_history
from domain.model import ATTRIBUTES
from domain.queries import UserQuery
from domain.use_cases import change_user, get_user, list_users, register_user, remove_user
from tests.support.users import user_attributes

THREADS = 20
SERVERS = [
    pytest.param("new_postgres_url", marks=pytest.mark.postgres, id="postgresql"),
    pytest.param("new_mariadb_url", marks=pytest.mark.mariadb, id="mariadb"),
]


@pytest.fixture(params=SERVERS)
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    url = request.getfixturevalue(request.param)()
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


@pytest.mark.parametrize(
    "url", ["postgresql://postgres@127.0.0.1:1/nowhere", "mysql://root@127.0.0.1:1/nowhere"]
)
def test_a_database_that_does_not_answer_raises_storage_unavailable(url: str) -> None:
    engine = create_engine_for(url)
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
            # 5 s in service; shortened here so the test waits 0.1 s (1 s) for the row lock
            waiting._execute(text(_SHORT_TIMEOUT[engine.dialect.name]), {})
            waiting.users.change(user.id, {"age": 2}, None)
        holder.rollback()


_SHORT_TIMEOUT = {
    "postgresql": "SET LOCAL statement_timeout = 100",
    "mysql": "SET SESSION innodb_lock_wait_timeout = 1",
}


def _kill_the_others(engine: Engine) -> int:
    """Ends every other session on the engine's database, as a server restart would."""
    killer = create_engine_for(engine.url.render_as_string(hide_password=False), pool_size=1)
    try:
        with killer.connect() as connection:
            if engine.dialect.name == "postgresql":
                return int(
                    connection.execute(
                        text(
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        )
                    ).scalar_one()
                )
            others = connection.execute(
                text(
                    "SELECT id FROM information_schema.processlist"
                    " WHERE db = DATABASE() AND id <> CONNECTION_ID()"
                )
            ).scalars()
            killed = 0
            for session in list(others):
                connection.execute(text(f"KILL {int(session)}"))
                killed += 1
            return killed
    finally:
        killer.dispose()


def test_the_pool_recovers_after_its_connections_are_killed(engine: Engine) -> None:
    uow = sql_uow_factory(engine)
    user = register_user(uow(), _attributes("survivor"))
    assert _kill_the_others(engine) >= 1
    assert get_user(uow(), user.id) == user  # the first statement retries on a live one


def test_a_write_alone_takes_a_live_connection_after_the_pool_was_killed(engine: Engine) -> None:
    """A write committed by itself is never sent twice; a pooled connection the server
    ended while it was idle is seen before sending and replaced."""
    uow = sql_uow_factory(engine)
    users = [register_user(uow(), _attributes(f"idle {i}")) for i in range(3)]
    assert _kill_the_others(engine) >= 1
    time.sleep(0.2)  # the FATAL message reaches the idle sockets
    changed = change_user(uow(), users[0].id, {"age": 40}, 1)
    assert changed.version == 2
    assert register_user(uow(), _attributes("after the kill")).version == 1


def test_twenty_changes_at_once_leave_a_history_that_replays_to_the_user(engine: Engine) -> None:
    """Each change's "before" is the state the one before it left: replaying the history
    from the creation gives the user as stored (the lock, not luck, orders them)."""
    uow = sql_uow_factory(engine)
    user = register_user(uow(), _attributes("replayed"))
    outcomes = _at_once(
        lambda index: change_user(uow(), user.id, {"age": index, "name": f"r{index}"})
    )
    assert not [o for o in outcomes if isinstance(o, Exception)]
    page = user_history(uow(), user.id, Window(THREADS + 5))
    state: dict[str, object] = {}
    for change in reversed(page.changes):  # oldest first
        assert change.changed is not None
        for attribute, values in change.changed.items():
            assert values.before == state.get(attribute), (change, state)
            state[attribute] = values.after
    assert state == get_user(uow(), user.id).attributes()
    assert [c.version for c in page.changes] == list(range(THREADS + 1, 0, -1))


def test_twenty_purges_at_once_purge_each_deleted_user_once(engine: Engine) -> None:
    uow = sql_uow_factory(engine)
    users = [register_user(uow(), _attributes(f"purged {n}")) for n in range(30)]
    for user in users:
        remove_user(uow(), user.id)
    later = datetime.now(UTC) + timedelta(days=1)
    outcomes = _at_once(lambda index: purge_deleted_users(uow, later, timedelta(hours=1)))
    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert sum(outcomes) == len(users)
    assert deleted_users(uow(), Window(100)) == ((), False)
