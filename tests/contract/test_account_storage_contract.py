"""The account use-case suite (tests/unit/test_accounts.py) over every account storage:
memory, SQLite and PostgreSQL, each emptied before the test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, text

from adapters.memory_accounts import in_memory_accounts_factory
from adapters.sql_accounts import sql_accounts_factory
from tests.contract.conftest import ADAPTERS
from tests.unit.test_accounts import *  # noqa: F403  (the suite, collected here again)
from tests.unit.test_accounts import kit  # noqa: F401

ACCOUNT_TABLES = ("setup_codes", "sign_in_failures", "sessions", "api_tokens", "accounts")


def empty_accounts(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in ACCOUNT_TABLES:
            connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture(params=ADAPTERS)
def uow(request: pytest.FixtureRequest) -> Callable[[], Any]:
    if request.param == "memory":
        return in_memory_accounts_factory()
    engine: Engine = request.getfixturevalue(f"{request.param}_engine")
    empty_accounts(engine)
    return sql_accounts_factory(engine)
