"""Fixtures shared by every test folder: database servers and throwaway databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pymysql
import pytest

from tests.support.mutation import (
    forget_other_folders_hits,
    keep_the_mutated_folders_tests,
    load_the_mutation_profile,
)
from tests.support.services import unavailable

POSTGRES_SERVER = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def _admin_connection():  # type: ignore[no-untyped-def]
    connection = psycopg2.connect(POSTGRES_SERVER, connect_timeout=5)
    connection.autocommit = True
    return connection


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test run, dropped afterwards.

    An unreachable server skips the PostgreSQL tests, or fails them under REQUIRE_TEST_SERVICES.
    """
    try:
        admin = _admin_connection()
    except psycopg2.OperationalError as error:
        message = f"PostgreSQL is not reachable at {POSTGRES_SERVER}: {error}".strip()
        unavailable(message)
    name = f"users_test_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_SERVER.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A new embedded SQLite database file for one test."""
    return f"sqlite:///{tmp_path / 'users.db'}"


MARIADB_SERVER = os.environ.get("TEST_MARIADB_URL", "mysql://root@127.0.0.1:3306/test")


def _mariadb_admin():  # type: ignore[no-untyped-def]
    from sqlalchemy.engine import make_url

    server = make_url(MARIADB_SERVER)
    return pymysql.connect(
        host=server.host,
        port=server.port or 3306,
        user=server.username,
        password=server.password or "",
        connect_timeout=5,
        autocommit=True,
    )


@pytest.fixture(scope="session")
def mariadb_url() -> Iterator[str]:
    """A fresh, empty MariaDB database (utf8mb4) for this test run, dropped afterwards.

    An unreachable server skips the MariaDB tests, or fails them under REQUIRE_TEST_SERVICES.
    """
    try:
        admin = _mariadb_admin()
    except pymysql.err.OperationalError as error:
        unavailable(f"MariaDB is not reachable at {MARIADB_SERVER}: {error}".strip())
    name = f"users_test_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    base = MARIADB_SERVER.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        admin.close()
        admin = _mariadb_admin()  # anew: a test may have restarted the server
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


load_the_mutation_profile()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep_the_mutated_folders_tests(config, items)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    forget_other_folders_hits(item)
