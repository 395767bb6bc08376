"""Extra throwaway PostgreSQL databases, for tests that need an empty one of their own."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import psycopg2
import pytest


@pytest.fixture
def new_postgres_url(postgres_url: str) -> Iterator[Callable[[], str]]:
    """Makes empty databases beside the run's own one; drops them after the test."""
    base, run_database = postgres_url.rsplit("/", 1)
    admin = psycopg2.connect(f"{base}/postgres", connect_timeout=5)
    admin.autocommit = True
    made: list[str] = []

    def make() -> str:
        name = f"{run_database}_{uuid.uuid4().hex[:6]}"
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return f"{base}/{name}"

    try:
        yield make
    finally:
        with admin.cursor() as cursor:
            for name in made:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    (name,),
                )
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()
