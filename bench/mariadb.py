"""MariaDB/MySQL for the benchmark: a throwaway database, the seed, the ceiling's SELECT.

    .venv/bin/python -m bench.run --backend mariadb [--mariadb-url mysql://root@127.0.0.1:3306/]

The throwaway database and the private server live in tests/support/mariadb.py.

Seeding: the secondary indexes (the name key's unique one included) and the search keys'
FULLTEXT index are taken off, the rows stream in with LOAD DATA LOCAL INFILE while Python
generates them, the search keys are joined in SQL, and the indexes are built again over the
loaded rows (InnoDB sorts them in bulk, far faster than row by row). The definitions are read
back from SHOW CREATE TABLE, so they come back exactly as the migrations made them.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from adapters.counts import recount
from adapters.engine import create_engine_for
from adapters.tables import SEARCH_SEPARATOR
from bench.data import COLUMNS, Counts, users
from tests.support.mariadb import (  # shared with the tests
    DEFAULT_SERVER,
    PrivateMariaDB,
    connect,
    private_mariadb,
    throwaway_database,
    throwaway_url,
)

__all__ = [
    "DEFAULT_SERVER",
    "PrivateMariaDB",
    "ceiling_fetch",
    "connect",
    "private_mariadb",
    "seed_mariadb",
    "throwaway_database",
    "throwaway_url",
]


def _index_definitions(cursor: Any, table: str) -> list[tuple[str, str]]:
    """(name, `ADD ...` clause) of every index of `table` but the primary key."""
    cursor.execute(f"SHOW CREATE TABLE {table}")
    (_, ddl) = cursor.fetchone()
    found = []
    for line in ddl.splitlines():
        match = re.match(r"\s*((?:UNIQUE |FULLTEXT )?KEY `([^`]+)` .*?),?$", line)
        if match:
            found.append((match.group(2), match.group(1)))
    return found


def _write_rows(path: str, count: int, seed: int, counts: Counts) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    with open(path, "w", encoding="utf-8") as out:
        for row in users(count, seed=seed, now=now, counts=counts):
            # Generated values hold no tab, newline or backslash (bench.data's word lists).
            out.write("\t".join(row) + "\n")


def seed_mariadb(url: str, count: int, *, seed: int = 20261125) -> Counts:
    counts = Counts()
    connection = connect(url, local_infile=True)
    fifo = os.path.join(tempfile.mkdtemp(prefix="users_bench_"), "users.tsv")
    os.mkfifo(fifo)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM users")
            if cursor.fetchone()[0]:
                raise SystemExit("the users table is not empty")
            cursor.execute("SET SESSION max_statement_time = 0, unique_checks = 0")
            cursor.execute("SET SESSION innodb_ft_enable_stopword = OFF")  # as migration 0003
            indexes = {
                table: _index_definitions(cursor, table) for table in ("users", "user_search_keys")
            }
            cursor.execute("SHOW CREATE TABLE user_search_keys")
            (_, search_keys_ddl) = cursor.fetchone()
            drops = ", ".join(f"DROP INDEX `{name}`" for name, _ in indexes["users"])
            cursor.execute(f"ALTER TABLE users {drops}")
            # Made anew rather than its FULLTEXT index dropped: InnoDB keeps the hidden
            # FTS_DOC_ID column then, and an index built again over rows written meanwhile
            # found nothing (MariaDB 10.11). Over a new table the index is built as
            # migration 0003 builds it over existing rows.
            cursor.execute("DROP TABLE user_search_keys")
            cursor.execute(re.sub(r",\n\s*FULLTEXT KEY [^\n]*", "", search_keys_ddl))
            writer = threading.Thread(target=_write_rows, args=(fifo, count, seed, counts))
            writer.start()
            cursor.execute(
                f"LOAD DATA LOCAL INFILE %s INTO TABLE users CHARACTER SET utf8mb4 "
                f"FIELDS TERMINATED BY '\\t' ({', '.join(COLUMNS)})",
                (fifo,),
            )
            writer.join()
            keys = ", ".join(f"{attribute}_key" for attribute in ("name", "address", "profession"))
            cursor.execute(
                "INSERT INTO user_search_keys (user_id, search_key) "
                f"SELECT id, CONCAT_WS(%s, {keys}, website_key) FROM users",
                (SEARCH_SEPARATOR,),
            )
            for table, definitions in indexes.items():
                for _, clause in definitions:  # one at a time: FULLTEXT builds alone
                    cursor.execute(f"ALTER TABLE {table} ADD {clause}")
            cursor.execute("ANALYZE TABLE users, user_search_keys")
            cursor.fetchall()
    finally:
        connection.close()
        os.unlink(fifo)
        os.rmdir(os.path.dirname(fifo))
    engine = create_engine_for(url)
    try:
        recount(engine)
    finally:
        engine.dispose()
    return counts


SQL = "SELECT id, name, address, age, profession, website, version FROM users WHERE id = %s"


def ceiling_fetch(url: str, connections: int) -> Callable[[int], tuple[Any, ...] | None]:
    """The ceiling's one primary-key SELECT through PyMySQL, from a pool of `connections`."""
    pool = [connect(url) for _ in range(connections)]
    lock = threading.Lock()

    def fetch(user_id: int) -> tuple[Any, ...] | None:
        with lock:
            connection = pool.pop()
        try:
            with connection.cursor() as cursor:
                cursor.execute(SQL, (user_id,))
                row: tuple[Any, ...] | None = cursor.fetchone()
                return row
        finally:
            with lock:
                pool.append(connection)

    return fetch
