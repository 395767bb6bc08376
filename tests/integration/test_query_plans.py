"""PostgreSQL serves the list pages from the indexes they were made for.

The figures in the README depend on these plans; a migration or a change of the statements
that lost one would still return correct pages, only slowly, and no other test would
notice. Checked on 20,000 realistic users (tests/support/seed.py), the statements as the repository
sends them (tests/support/sql_explain.page_sql).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import psycopg2
import pytest
from sqlalchemy.dialects import postgresql

from adapters import listing
from adapters.compiled import CompiledStatement
from adapters.schema import upgrade_to_head
from adapters.sql import _find_statement
from domain.queries import SortOrder, UserFilter
from tests.support.seed import seed_postgresql
from tests.support.sql_explain import page_sql

pytestmark = pytest.mark.postgres

USERS = 20_000


@pytest.fixture(scope="module")
def seeded(postgres_url: str) -> Iterator[Any]:
    base, run_database = postgres_url.rsplit("/", 1)
    name = f"{run_database}_plans"
    admin = psycopg2.connect(f"{base}/postgres", connect_timeout=5)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"{base}/{name}"
        upgrade_to_head(url)
        seed_postgresql(url, USERS)
        connection = psycopg2.connect(url)
        connection.autocommit = True
        yield connection
        connection.close()
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _plan(connection: Any, sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def _deep_name(connection: Any) -> tuple[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT name_key, id FROM users ORDER BY name_key OFFSET {USERS - 100}")
        name_key, user_id = cursor.fetchone()
    return name_key, user_id


def test_the_name_sort_walks_the_unique_name_index_without_sorting(seeded: Any) -> None:
    for sql in (
        page_sql(seeded, "name"),
        page_sql(seeded, "name", boundary=_deep_name(seeded)),
        page_sql(seeded, "-name"),
    ):
        plan = _plan(seeded, sql)
        assert "uq_users_name_key" in plan, plan
        assert "Sort" not in plan, plan


def test_an_offset_page_skips_rows_in_the_name_index_alone(seeded: Any) -> None:
    plan = _plan(seeded, page_sql(seeded, "name", offset=5_000))
    assert "Index Only Scan using uq_users_name_key" in plan, plan


def test_a_rare_substring_is_found_through_the_trigram_index(seeded: Any) -> None:
    with seeded.cursor() as cursor:
        cursor.execute("SELECT substr(name_key, 3, 9) FROM users WHERE id = 777")
        (term,) = cursor.fetchone()
    plan = _plan(seeded, page_sql(seeded, "name", search=term))
    assert "ix_user_search_keys_search_key_trgm" in plan, plan


@pytest.mark.parametrize("sort", ["age", "-age", "profession", "website", "address"])
def test_every_other_sort_has_an_index_to_walk(seeded: Any, sort: str) -> None:
    plan = _plan(seeded, page_sql(seeded, sort))
    assert "Index Scan" in plan, plan
    assert "Seq Scan on users" not in plan, plan


_SORTS = ["name", "-name", "age", "-age", "profession", "-website", "address", "-age,name"]


def _generic_plan(
    connection: Any, order: str, *, bounded: bool, backward: bool, offset: bool
) -> str:
    """The plan the service's connections use for this prepared page statement: generic
    (adapters/engine.py sets plan_cache_mode), made without seeing any value."""
    sort = SortOrder.parse(order)
    statement = _find_statement(
        listing.shape(UserFilter()), sort, backward, bounded, offset, counted=True
    )
    compiled = CompiledStatement(statement, postgresql.psycopg2.dialect())
    prepared = compiled.prepared
    assert prepared is not None
    values = {"limit": 21, "offset": 5_000}
    if bounded:
        sample = {"age": 50, "id": 1}
        edge = tuple(sample.get(key.field, "m") for key in sort.keys)
        for position, value in enumerate(listing.edge_values(sort, edge)):
            values[listing.edge_name(position)] = value
    with connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        cursor.execute(prepared.prepare_sql)
        try:
            cursor.execute(
                "EXPLAIN " + prepared.execute_sql, prepared.values(compiled.parameters(values))
            )
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute(f"DEALLOCATE {prepared.name}")


@pytest.mark.parametrize("order", _SORTS)
@pytest.mark.parametrize(
    ("bounded", "backward", "offset"),
    [(False, False, False), (True, False, False), (True, True, False), (False, False, True)],
    ids=["first page", "next page", "previous page", "offset page"],
)
def test_every_prepared_page_has_a_generic_plan_without_a_scan_of_users(
    seeded: Any, order: str, bounded: bool, backward: bool, offset: bool
) -> None:
    plan = _generic_plan(seeded, order, bounded=bounded, backward=backward, offset=offset)
    assert "Seq Scan on users" not in plan, plan
    assert re.search(r"Hash (\w+ )?Join", plan) is None, plan
