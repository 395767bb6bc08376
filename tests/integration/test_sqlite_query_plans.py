"""SQLite picks the search plan for the term: a common term walks the sort's index, a rare
one reads the FTS5 trigram index, and a count stops at its bound (adapters/search.py).

Checked with EXPLAIN QUERY PLAN on a seeded table, the statements exactly as the repository
sends them (captured from the engine).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from adapters.schema import upgrade_to_head
from adapters.sql import create_engine_for
from adapters.unit_of_work import sql_uow_factory
from domain.ports import UserRepository
from domain.queries import SortOrder, UserFilter

USERS = 4_000
#: ASCII values, so SQL lower() is the comparison key. Every website holds "example", one
#: profession in eight is "profession 3", and user 777's name alone holds "rare0777".
SEED = f"""
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {USERS})
INSERT INTO users (name, name_key, address, address_key, address_prefix, age, profession,
                   profession_key, website, website_key, version, created_at, updated_at)
SELECT name, lower(name), i || ' Main Street', i || ' main street', i || ' main street',
       i % 151, 'Profession ' || (i % 8), 'profession ' || (i % 8),
       'https://u' || i || '.example', 'https://u' || i || '.example', 1, '2026-01-01',
       '2026-01-01'
FROM (SELECT i, CASE WHEN i = 777 THEN 'Rare0777' ELSE 'User ' || i END AS name FROM n)
"""
SEARCH_KEYS = """
INSERT INTO user_search_keys (user_id, search_key)
SELECT id, name_key || char(31) || address_key || char(31) || profession_key || char(31)
           || website_key
FROM users
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path_factory.mktemp('plans') / 'users.db'}"
    upgrade_to_head(url)
    engine = create_engine_for(url)
    with engine.begin() as connection:
        connection.execute(text(SEED))
        connection.execute(text(SEARCH_KEYS))
        connection.execute(text("ANALYZE"))
    yield engine
    engine.dispose()


def _plan(engine: Engine, ask: Callable[[UserRepository], object]) -> str:
    """EXPLAIN QUERY PLAN of the last statement the repository sends for `ask`."""
    sent: list[tuple[str, Any]] = []

    def capture(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with sql_uow_factory(engine)() as uow:
            ask(uow.users)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    statement, parameters = sent[-1]
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        return "\n".join(row[3] for row in rows)


def _page_plan(engine: Engine, term: str, order: str = "name") -> str:
    selection, sort = UserFilter.build(search=term), SortOrder.parse(order)
    return _plan(engine, lambda users: users.find(selection, sort, limit=21))


@pytest.mark.parametrize("term", ["example", "profession 3", "ex"])
@pytest.mark.parametrize("order", ["name", "-age"])
def test_a_page_of_a_common_term_walks_the_sort_index(
    engine: Engine, term: str, order: str
) -> None:
    plan = _page_plan(engine, term, order)
    assert "VIRTUAL TABLE" not in plan, plan
    assert "SCAN users USING INDEX" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


@pytest.mark.parametrize("order", ["name", "-age"])
def test_a_page_of_a_rare_term_reads_the_trigram_index_not_the_table(
    engine: Engine, order: str
) -> None:
    plan = _page_plan(engine, "rare0777", order)
    assert "SCAN users_search VIRTUAL TABLE" in plan, plan
    assert "SCAN users" not in plan.replace("SCAN users_search", ""), plan


@pytest.mark.parametrize("term", ["example", "rare0777"])
def test_counting_a_term_reads_the_trigram_index_and_stops_at_the_bound(
    engine: Engine, term: str
) -> None:
    selection = UserFilter.build(search=term)
    plan = _plan(engine, lambda users: users.count(selection, up_to=1_000))
    assert "SCAN users_search VIRTUAL TABLE" in plan, plan
    assert "users " not in plan.replace("users_search", ""), plan
