"""SQLite writers wait for each other (up to the busy timeout) rather than fail at once."""

from __future__ import annotations

import sqlite3
import threading

from adapters.schema import upgrade_to_head
from adapters.sql import create_engine_for
from adapters.unit_of_work import sql_uow_factory
from domain.use_cases import register_user
from tests.support.users import user_attributes


def test_a_new_connections_first_registration_waits_for_another_writer(sqlite_url: str) -> None:
    # The insert trigger is a new connection's first use of the FTS5 search index; unless the
    # engine opened the index beforehand, that raised "database is locked" at once.
    upgrade_to_head(sqlite_url)
    path = sqlite_url.removeprefix("sqlite:///")
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.5, other.rollback)
    release.start()
    engine = create_engine_for(sqlite_url)
    try:
        user = register_user(
            sql_uow_factory(engine)(),
            user_attributes(name="Ada"),
        )
        assert user.id == 1
    finally:
        release.join()
        other.close()
        engine.dispose()
