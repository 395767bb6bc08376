"""Fixtures shared by every test folder: database servers and throwaway databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from tests.support.mutation import keep_the_mutated_folders_tests
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep_the_mutated_folders_tests(config, items)
