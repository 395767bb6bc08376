"""MariaDB serves the list pages and the search from the indexes they were made for.

As test_query_plans.py for PostgreSQL: a lost index or a statement MariaDB cannot seek by
(a row-value comparison, a LIMIT in an IN subquery) still returns correct pages, only
slowly, and no other test would notice. Checked on a seeded table with the statements
exactly as the repository sends them (captured from the engine) and their values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pymysql
import pytest
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url

from adapters.schema import upgrade_to_head
from adapters.sql import create_engine_for
from adapters.unit_of_work import sql_uow_factory
from domain.ports import UserRepository
from domain.queries import SortOrder, UserFilter

pytestmark = pytest.mark.mariadb

USERS = 20_000
#: ASCII values, so SQL lower() is the comparison key; one name holds "rarest", every website
#: "example".
SEED = f"""
INSERT INTO users (name, name_key, address, address_key, address_prefix, age, profession,
                   profession_key, website, website_key, version, created_at, updated_at)
SELECT n, lower(n), a, lower(a), left(lower(a), 200), seq % 151, p, lower(p), w, lower(w),
       1, now(6), now(6)
FROM (SELECT seq, IF(seq = 777, 'The Rarest One', concat('User ', md5(seq))) AS n,
             concat(seq, ' Main Street') AS a, concat('Profession ', seq % 8) AS p,
             concat('https://u', seq, '.example') AS w
      FROM seq_1_to_{USERS}) AS s;
INSERT INTO user_search_keys (user_id, search_key)
SELECT id, concat_ws(char(31), name_key, address_key, profession_key, website_key) FROM users;
UPDATE user_counts SET total = IF(shard = 0, {USERS}, 0);
ANALYZE TABLE users, user_search_keys
"""


def _connect(url: str) -> Any:
    parsed = make_url(url)
    return pymysql.connect(
        host=parsed.host,
        port=parsed.port or 3306,
        user=parsed.username,
        password=parsed.password or "",
        database=parsed.database,
        autocommit=True,
    )


@pytest.fixture(scope="module")
def seeded(mariadb_url: str) -> Iterator[tuple[Engine, Any]]:
    base, run_database = mariadb_url.rsplit("/", 1)
    name = f"{run_database}_plans"
    url = f"{base}/{name}"
    admin = _connect(f"{base}/")
    admin.cursor().execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        upgrade_to_head(url)
        connection = _connect(url)
        with connection.cursor() as cursor:
            for statement in SEED.split(";\n"):
                cursor.execute(statement)
                cursor.fetchall()
        engine = create_engine_for(url)
        yield engine, connection
        engine.dispose()
        connection.close()
    finally:
        admin.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


def _sent(engine: Engine, ask: Callable[[UserRepository], object]) -> tuple[str, Any]:
    """The last statement the repository sends for `ask`, with its parameters."""
    sent: list[tuple[str, Any]] = []

    def capture(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with sql_uow_factory(engine)() as uow:
            ask(uow.users)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return sent[-1]


def _plan(seeded: tuple[Engine, Any], **page: Any) -> list[dict[str, Any]]:
    """EXPLAIN of find_counted's statement for this page: one dict per table access."""
    engine, connection = seeded
    selection = UserFilter.build(search=page.pop("search", None))
    order = SortOrder.parse(page.pop("order", "name"))
    statement, parameters = _sent(
        engine, lambda users: users.find_counted(selection, order, limit=21, **page)
    )
    with connection.cursor(pymysql.cursors.DictCursor) as cursor:
        cursor.execute("EXPLAIN " + statement, parameters)
        return list(cursor.fetchall())


def _access(plan: list[dict[str, Any]], table: str) -> list[dict[str, Any]]:
    return [row for row in plan if row["table"] == table]


def _deep(seeded: tuple[Engine, Any]) -> tuple[str, int]:
    with seeded[1].cursor() as cursor:
        cursor.execute(
            f"SELECT name_key, id FROM users ORDER BY name_key LIMIT 1 OFFSET {USERS - 100}"
        )
        key, user_id = cursor.fetchone()
        return key.decode(), user_id


def test_the_name_sort_walks_the_unique_name_index_without_sorting(seeded: Any) -> None:
    for page in ({"order": "name"}, {"order": "-name"}):
        (users,) = _access(_plan(seeded, **page), "users")
        assert users["key"] == "uq_users_name_key", users
        assert "filesort" not in (users["Extra"] or ""), users


def test_a_deep_cursor_page_starts_in_the_name_index_where_the_cursor_points(
    seeded: Any,
) -> None:
    (users,) = _access(_plan(seeded, order="name", boundary=_deep(seeded)), "users")
    assert (users["type"], users["key"]) == ("range", "uq_users_name_key"), users
    assert "filesort" not in (users["Extra"] or ""), users


def test_an_offset_page_skips_rows_in_the_name_index_alone(seeded: Any) -> None:
    plan = _plan(seeded, order="name", offset=5_000)
    skipping = [row for row in _access(plan, "users") if row["key"] == "uq_users_name_key"]
    assert skipping and "Using index" in (skipping[0]["Extra"] or ""), plan


def test_a_rare_search_reads_the_fulltext_trigram_index(seeded: Any) -> None:
    plan = _plan(seeded, order="name", search="rarest")
    keys = _access(plan, "user_search_keys")
    assert keys and all(row["type"] == "fulltext" for row in keys), plan
    engine = seeded[0]
    with sql_uow_factory(engine)() as uow:
        found, total = uow.users.find_counted(
            UserFilter.build(search="RAREST"), SortOrder.parse("name"), limit=21
        )
    assert ([user.name for user in found], total) == (["The Rarest One"], 1)


def test_a_common_search_walks_the_name_index_without_the_fulltext_index(seeded: Any) -> None:
    # InnoDB cannot stop a FULLTEXT read of a common word once started: never ask for one.
    plan = _plan(seeded, order="name", search="example")  # in every website
    assert not [row for row in plan if row["type"] == "fulltext"], plan
    (users,) = [row for row in _access(plan, "users") if row["select_type"] == "PRIMARY"]
    assert users["key"] == "uq_users_name_key", plan
