"""Loads N benchmark users into a migrated database, fast, with every column consistent.

    .venv/bin/python -m bench.seed postgresql://postgres@127.0.0.1:5432/DB [N]
    .venv/bin/python -m bench.seed sqlite:///path/users.db [N]

PostgreSQL: the secondary indexes and the name key's unique constraint are taken off (their
definitions read back from the catalogue, so they come back exactly as the migration made
them), the rows stream in with COPY while Python generates them, the search keys are
filled from them, the indexes are rebuilt and the tables vacuumed and analysed. On both
databases `user_counts` is then counted from the rows
(adapters/counts.py).
SQLite: one transaction of executemany. Either way the table must be empty before.
"""

from __future__ import annotations

import io
import sqlite3
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg2

from adapters.counts import recount
from adapters.database_url import normalize_database_url
from adapters.engine import create_engine_for
from adapters.tables import SEARCH_SEPARATOR
from bench.data import COLUMNS, Counts, search_keys_sql, users


def _now() -> str:
    return datetime.now(UTC).isoformat()


class _CopyStream(io.RawIOBase):
    """COPY text format, produced while PostgreSQL reads it."""

    def __init__(self, rows: Iterator[tuple[str, ...]]) -> None:
        self._rows = rows
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = 1 << 16 if size is None or size < 0 else size
        while len(self._buffer) < size:
            lines = []
            for row in self._rows:
                # Generated values hold no tab, newline or backslash (asserted in tests of
                # nothing: bench.data builds them from fixed word lists).
                lines.append("\t".join(row))
                if len(lines) == 2000:
                    break
            if not lines:
                break
            self._buffer += ("\n".join(lines) + "\n").encode()
        chunk, self._buffer = self._buffer[:size], self._buffer[size:]
        return chunk


def _libpq_url(url: str) -> str:
    return normalize_database_url(url).replace("postgresql+psycopg2://", "postgresql://", 1)


def seed_postgresql(url: str, count: int, *, seed: int = 20261125) -> Counts:
    counts = Counts()
    connection = psycopg2.connect(_libpq_url(url))
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM users")
            if cursor.fetchone()[0]:
                raise SystemExit("the users table is not empty")
            cursor.execute("SET synchronous_commit = off")
            cursor.execute("SET maintenance_work_mem = '1GB'")
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE tablename IN ('users', 'user_search_keys') "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
            )
            indexes = cursor.fetchall()
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'users'::regclass AND contype = 'u'"
            )
            uniques = cursor.fetchall()
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            for name, _ in uniques:
                cursor.execute(f'ALTER TABLE users DROP CONSTRAINT "{name}"')
            cursor.copy_expert(
                f"COPY users ({', '.join(COLUMNS)}) FROM STDIN",
                _CopyStream(users(count, seed=seed, now=_now(), counts=counts)),
                size=1 << 16,
            )
            cursor.execute(search_keys_sql("%(separator)s"), {"separator": SEARCH_SEPARATOR})
            for name, definition in uniques:
                cursor.execute(f'ALTER TABLE users ADD CONSTRAINT "{name}" {definition}')
            for _, definition in indexes:
                cursor.execute(definition)
        connection.commit()
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE users")
            cursor.execute("VACUUM ANALYZE user_search_keys")
            cursor.execute("VACUUM ANALYZE user_counts")
    finally:
        connection.close()
    _recount(url)
    return counts


def _recount(url: str) -> None:
    """user_counts from the loaded rows (adapters/counts.py)."""
    engine = create_engine_for(url)
    try:
        recount(engine)
    finally:
        engine.dispose()


def seed_sqlite(url: str, count: int, *, seed: int = 20261125) -> Counts:
    counts = Counts()
    path = normalize_database_url(url).removeprefix("sqlite:///")
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        if connection.execute("SELECT count(*) FROM users").fetchone()[0]:
            raise SystemExit("the users table is not empty")
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("BEGIN")
        placeholders = ", ".join("?" for _ in COLUMNS)
        connection.executemany(
            f"INSERT INTO users ({', '.join(COLUMNS)}) VALUES ({placeholders})",
            (
                (*row[:5], int(row[5]), *row[6:10], 1, *row[11:])
                for row in users(count, seed=seed, now=_now(), counts=counts)
            ),
        )
        connection.execute(search_keys_sql("?1"), (SEARCH_SEPARATOR,))
        connection.execute("COMMIT")
        connection.execute("ANALYZE")
    finally:
        connection.close()
    _recount(url)
    return counts


def seed(url: str, count: int) -> Counts:
    if normalize_database_url(url).startswith("sqlite"):
        return seed_sqlite(url, count)
    return seed_postgresql(url, count)


def main(argv: list[str]) -> None:
    url = argv[0]
    count = int(argv[1]) if len(argv) > 1 else 1_000_000
    started = time.perf_counter()
    counts = seed(url, count)
    print(f"seeded {counts.users} users in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
