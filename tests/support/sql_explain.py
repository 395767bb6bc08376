"""The tests' copy of bench/sql_explain.py's page_sql (tests never import bench/).

EXPLAIN ANALYZE of the adapter's list queries on PostgreSQL with 1,000,000 users.

    .venv/bin/python bench/sql_explain.py [postgresql://postgres@127.0.0.1:5432]

Creates a throwaway database, migrates it with upgrade_to_head, seeds it with
generate_series (ASCII data, so SQL lower() equals casefold for the key columns), runs the
SQL the repository emits for each case, prints the plan's timings and drops the database.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql

from adapters import listing
from adapters.compiled import CompiledStatement
from adapters.sql import _find_statement
from domain.queries import SortOrder, UserFilter

ROWS = 1_000_000
SEED = f"""
INSERT INTO users (name, name_key, address, address_key, address_prefix, age, profession,
                   profession_key, website, website_key, version, created_at, updated_at)
SELECT n, lower(n), a, lower(a), left(lower(a), 200), i % 151, p, lower(p), w, lower(w),
       1, now(), now()
FROM (SELECT i, 'User ' || md5(i::text) AS n, i || ' ' || md5((i * 7)::text) || ' Street' AS a,
             'Profession ' || (i % 997) AS p, 'https://u' || i || '.example' AS w
      FROM generate_series(1, {ROWS}) AS i) AS s;
INSERT INTO user_search_keys (user_id, search_key)
SELECT id, name_key || chr(31) || address_key || chr(31) || profession_key || chr(31) || website_key
FROM users;
UPDATE user_counts SET total = CASE WHEN shard = 0 THEN {ROWS} ELSE 0 END;
VACUUM ANALYZE users;
VACUUM ANALYZE user_search_keys;
"""


def _sql(statement: object) -> str:
    compiled = statement.compile(  # type: ignore[attr-defined]
        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
    )
    return str(compiled)


def page_sql(
    connection: Any,
    order: str,
    *,
    limit: int = 21,
    offset: int = 0,
    boundary: tuple[str | int, ...] | None = None,
    search: str | None = None,
) -> str:
    """The statement the repository runs for this page (find_counted: the page with its
    total), with its values inlined by psycopg2 as the adapter's execution does."""
    sort = SortOrder.parse(order)
    selection = UserFilter.build(search=search)
    statement = _find_statement(
        listing.shape(selection), sort, False, boundary is not None, offset > 0, True
    )
    values = {**listing.parameters(selection), "limit": limit, "offset": offset}
    if boundary is not None:
        for position, value in enumerate(listing.edge_values(sort, boundary)):
            values[listing.edge_name(position)] = value
    compiled = CompiledStatement(statement, postgresql.psycopg2.dialect())
    bound = connection.cursor().mogrify(compiled.sql, compiled.parameters(values))
    with_values: str = bound.decode()
    return with_values
