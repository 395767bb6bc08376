"""Extra throwaway PostgreSQL and MariaDB databases, for tests that need empty ones."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import psycopg2
import pymysql
import pytest
from sqlalchemy.engine import make_url


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


@pytest.fixture
def new_mariadb_url(mariadb_url: str) -> Iterator[Callable[[], str]]:
    """Makes empty MariaDB databases beside the run's own one; drops them after the test."""
    base, run_database = mariadb_url.rsplit("/", 1)
    made: list[str] = []

    def make() -> str:
        name = f"{run_database}_{uuid.uuid4().hex[:6]}"
        _mariadb_admin_execute(
            base, f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
        )
        made.append(name)
        return f"{base}/{name}"

    try:
        yield make
    finally:
        for name in made:
            _mariadb_admin_execute(base, f"DROP DATABASE IF EXISTS `{name}`")


def _mariadb_admin_execute(base: str, statement: str) -> None:
    server = make_url(f"{base}/")
    connection = pymysql.connect(
        host=server.host,
        port=server.port or 3306,
        user=server.username,
        password=server.password or "",
        connect_timeout=5,
        autocommit=True,
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()
