"""EXPLAIN ANALYZE of the adapter's list queries on PostgreSQL with 1,000,000 users.

    .venv/bin/python bench/sql_explain.py [postgresql://postgres@127.0.0.1:5432]

Creates a throwaway database, migrates it with upgrade_to_head, seeds it with
generate_series (ASCII data, so SQL lower() equals casefold for the key columns), runs the
SQL the repository emits for each case, prints the plan's timings and drops the database.
"""

from __future__ import annotations

import sys
import time
import uuid
from typing import Any

import psycopg2
from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql

from adapters import listing
from adapters.compiled import CompiledStatement
from adapters.schema import upgrade_to_head
from adapters.sql import _find_statement, create_engine_for
from adapters.tables import user_counts, users
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


def main(server: str) -> None:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(f"{server}/postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    url = f"{server}/{name}"
    try:
        upgrade_to_head(url)
        engine = create_engine_for(url)
        raw = psycopg2.connect(url)
        raw.autocommit = True
        started = time.perf_counter()
        for statement in SEED.split(";\n"):
            if statement.strip():
                raw.cursor().execute(statement)
        print(f"seeded {ROWS} rows in {time.perf_counter() - started:.1f} s")
        with engine.connect() as connection:
            deep = connection.execute(
                text("SELECT name_key, id FROM users ORDER BY name_key, id OFFSET 900000 LIMIT 1")
            ).one()
            rare = connection.execute(
                text("SELECT name_key FROM users WHERE id = 777777")
            ).scalar_one()
        cases = {
            "page 1 by name": page_sql(raw, "name"),
            "keyset page 900,000 deep by name": page_sql(raw, "name", boundary=(deep[0], deep[1])),
            "keyset page by -age,name (mixed directions)": page_sql(
                raw, "-age,name", boundary=(75, deep[0], deep[1])
            ),
            "page 1 by address (prefix index + incremental sort)": page_sql(raw, "address"),
            "offset page 1,000 deep by name": page_sql(raw, "name", offset=999 * 20),
            "search for a rare substring (trigram index)": page_sql(raw, "name", search=rare[5:17]),
            "O(1) count (sharded counter)": _sql(
                select(func.coalesce(func.sum(user_counts.c.total), 0))
            ),
            "count(*) for comparison": _sql(select(func.count()).select_from(users)),
        }
        with raw.cursor() as cursor:
            for label, sql in cases.items():
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = [row[0] for row in cursor.fetchall()]
                timing = [line.strip() for line in plan if "Execution Time" in line]
                print(f"\n== {label}: {timing[0]}")
                print("\n".join(plan[:6]))
        raw.close()
        engine.dispose()
    finally:
        cursor = admin.cursor()
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "postgresql://postgres@127.0.0.1:5432")
