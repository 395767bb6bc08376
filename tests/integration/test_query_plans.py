"""PostgreSQL serves the list pages from the indexes they were made for.

The figures in docs/performance.md depend on these plans; a migration or a change of the
statements that lost one would still return correct pages, only slowly, and no other test
would notice. Checked on a seeded table with the statements exactly as the repository sends
them (captured from the engine) and their values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import psycopg2
import pytest
from sqlalchemy import Engine, event

from adapters.schema import upgrade_to_head
from adapters.sql import create_engine_for
from adapters.unit_of_work import sql_uow_factory
from domain.ports import UserRepository
from domain.queries import SortOrder, UserFilter

pytestmark = pytest.mark.postgres

USERS = 20_000
#: ASCII values, so SQL lower() is the comparison key. Every website holds "example", one
#: profession in eight is "profession 3", and each name holds an md5 of its own.
SEED = f"""
INSERT INTO users (name, name_key, address, address_key, address_prefix, age, profession,
                   profession_key, website, website_key, version, created_at, updated_at)
SELECT n, lower(n), a, lower(a), left(lower(a), 200), i % 151, p, lower(p), w, lower(w),
       1, now(), now()
FROM (SELECT i, 'User ' || md5(i::text) AS n, i || ' Main Street' AS a,
             'Profession ' || (i % 8) AS p, 'https://u' || i || '.example' AS w
      FROM generate_series(1, {USERS}) AS i) AS s;
INSERT INTO user_search_keys (user_id, search_key)
SELECT id, name_key || chr(31) || address_key || chr(31) || profession_key || chr(31) || website_key
FROM users;
UPDATE user_counts SET total = CASE WHEN shard = 0 THEN {USERS} ELSE 0 END;
VACUUM ANALYZE users;
VACUUM ANALYZE user_search_keys
"""


@pytest.fixture(scope="module")
def seeded(postgres_url: str) -> Iterator[tuple[Engine, Any]]:
    base, run_database = postgres_url.rsplit("/", 1)
    name = f"{run_database}_plans"
    admin = psycopg2.connect(f"{base}/postgres", connect_timeout=5)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"{base}/{name}"
        upgrade_to_head(url)
        connection = psycopg2.connect(url)
        connection.autocommit = True
        with connection.cursor() as cursor:
            for statement in SEED.split(";\n"):
                cursor.execute(statement)
        engine = create_engine_for(url)
        yield engine, connection
        engine.dispose()
        connection.close()
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
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


def _explain(seeded: tuple[Engine, Any], ask: Callable[[UserRepository], object]) -> str:
    engine, connection = seeded
    statement, parameters = _sent(engine, ask)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + statement, parameters)
        return "\n".join(row[0] for row in cursor.fetchall())


def _plan(seeded: tuple[Engine, Any], **page: Any) -> str:
    """The plan of find_counted's statement for this page."""
    selection = UserFilter.build(search=page.pop("search", None))
    order = SortOrder.parse(page.pop("order"))
    return _explain(seeded, lambda users: users.find_counted(selection, order, limit=21, **page))


def _one(seeded: tuple[Engine, Any], sql: str) -> tuple[Any, ...]:
    with seeded[1].cursor() as cursor:
        cursor.execute(sql)
        row: tuple[Any, ...] = cursor.fetchone()
        return row


def test_the_name_sort_walks_the_unique_name_index_without_sorting(seeded: Any) -> None:
    deep = _one(seeded, f"SELECT name_key, id FROM users ORDER BY name_key OFFSET {USERS - 100}")
    for page in ({"order": "name"}, {"order": "name", "boundary": deep}, {"order": "-name"}):
        plan = _plan(seeded, **page)
        assert "uq_users_name_key" in plan, plan
        assert "Sort" not in plan, plan


def test_an_offset_page_skips_rows_in_the_name_index_alone(seeded: Any) -> None:
    plan = _plan(seeded, order="name", offset=5_000)
    assert "Index Only Scan using uq_users_name_key" in plan, plan


def test_a_rare_substring_is_found_through_the_trigram_index(seeded: Any) -> None:
    (term,) = _one(seeded, "SELECT substr(name_key, 8, 9) FROM users WHERE id = 777")
    plan = _plan(seeded, order="name", search=term)
    assert "ix_user_search_keys_search_key_trgm" in plan, plan


@pytest.mark.parametrize("sort", ["age", "-age", "profession", "website", "address"])
def test_every_other_sort_has_an_index_to_walk(seeded: Any, sort: str) -> None:
    plan = _plan(seeded, order=sort)
    assert "Index Scan" in plan, plan
    assert "Seq Scan on users" not in plan, plan


_SORTS = ["name", "-name", "age", "-age", "profession", "-website", "address", "-age,name"]


@pytest.mark.parametrize("order", _SORTS)
@pytest.mark.parametrize(
    ("bounded", "backward", "offset"),
    [(False, False, 0), (True, False, 0), (True, True, 0), (False, False, 5_000)],
    ids=["first page", "next page", "previous page", "offset page"],
)
def test_every_page_is_planned_without_a_scan_of_users(
    seeded: Any, order: str, bounded: bool, backward: bool, offset: int
) -> None:
    page: dict[str, Any] = {"order": order, "backward": backward, "offset": offset}
    if bounded:
        sample = {"age": 50, "id": 1}
        page["boundary"] = tuple(sample.get(key.field, "m") for key in SortOrder.parse(order).keys)
    plan = _plan(seeded, **page)
    assert "Seq Scan on users" not in plan, plan
    assert re.search(r"Hash (\w+ )?Join", plan) is None, plan


# -- filter[search]: the plan fits the term -------------------------------------------------

TRIGRAM_INDEX = "ix_user_search_keys_search_key_trgm"
#: Every user's website holds "example"; one profession in eight is "profession 3".
COMMON_TERMS = ["example", "profession 3"]


def _rare_term(seeded: Any) -> str:
    (term,) = _one(seeded, "SELECT substr(name_key, 8, 9) FROM users WHERE id = 777")
    return str(term)


def _page_plan(seeded: Any, term: str, order: str = "name") -> str:
    selection, sort = UserFilter.build(search=term), SortOrder.parse(order)
    return _explain(seeded, lambda users: users.find(selection, sort, limit=21))


def _count_plan(seeded: Any, term: str) -> str:
    selection = UserFilter.build(search=term)
    return _explain(seeded, lambda users: users.count(selection, up_to=1_000))


@pytest.mark.parametrize("term", COMMON_TERMS)
@pytest.mark.parametrize("order", ["name", "-age"])
def test_a_page_of_a_common_term_walks_the_sort_index_not_the_trigram_index(
    seeded: Any, term: str, order: str
) -> None:
    plan = _page_plan(seeded, term, order)
    assert TRIGRAM_INDEX not in plan, plan
    assert "Seq Scan" not in plan, plan
    assert "Sort" not in plan, plan


@pytest.mark.parametrize("order", ["name", "-age"])
def test_a_page_of_a_rare_term_reads_the_trigram_index_not_the_table(
    seeded: Any, order: str
) -> None:
    plan = _page_plan(seeded, _rare_term(seeded), order)
    assert TRIGRAM_INDEX in plan, plan
    assert "Seq Scan" not in plan, plan


def test_counting_a_common_term_stops_at_the_bound_without_the_trigram_index(
    seeded: Any,
) -> None:
    plan = _count_plan(seeded, "example")
    assert TRIGRAM_INDEX not in plan, plan
    assert "Limit" in plan, plan
    assert "users " not in plan.replace("user_search_keys", ""), plan


def test_counting_a_rare_term_reads_the_trigram_index_not_the_table(seeded: Any) -> None:
    plan = _count_plan(seeded, _rare_term(seeded))
    assert TRIGRAM_INDEX in plan, plan
    assert "Seq Scan" not in plan, plan
