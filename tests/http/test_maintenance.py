"""The app runs the storage's upkeep at start and then on its interval, and survives its
failures; over SQL the wiring balances the name ranges with it."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from starlette.testclient import TestClient

from adapters.engine import create_engine_for
from adapters.memory import in_memory_uow_factory
from adapters.unit_of_work import sql_uow_factory
from entrypoints.bootstrap import build_app, migrate
from entrypoints.config import Settings
from entrypoints.http.app import Maintenance, create_app
from tests.contract.test_name_ranges import _new


def _wait_for(condition: threading.Event, seconds: float = 5) -> bool:
    return condition.wait(seconds)


def test_maintenance_runs_at_start_and_again_after_failures_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[float] = []
    recovered = threading.Event()

    def upkeep() -> None:
        calls.append(time.monotonic())
        if len(calls) >= 4:
            recovered.set()
        if len(calls) <= 3:
            raise RuntimeError("the database went away")

    from tests.signed_in import security

    maintenance = Maintenance(upkeep, 0.02)
    app = create_app(in_memory_uow_factory(), security=security()[0], maintenance=maintenance)  # type: ignore[arg-type]
    with caplog.at_level(logging.INFO, logger="users_service.app"), TestClient(app) as client:
        assert _wait_for(recovered)
        assert client.get("/healthz").status_code == 200
    messages = [record.getMessage() for record in caplog.records]
    assert messages.count("storage maintenance failed; trying again") == 1
    assert "storage maintenance works again" in messages
    count = len(calls)
    time.sleep(0.2)
    assert len(calls) == count  # stopped with the app


def test_the_service_over_sql_balances_its_name_ranges_at_start(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'users.db'}"
    migrate(url)
    engine = create_engine_for(url)
    with sql_uow_factory(engine)() as uow:
        for index in range(700):  # more than twice the smallest range (256)
            uow.users.add(_new(f"user {index:03}"))
        uow.commit()
    engine.dispose()
    counter = create_engine(url)

    def ranges() -> int:
        with counter.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM name_buckets")).scalar_one())

    assert ranges() == 1
    from adapters.sql_accounts import sql_accounts_factory
    from tests.signed_in import security

    _, headers = security(sql_accounts_factory(create_engine(url)))
    with TestClient(build_app(Settings(database_url=url)), headers=headers) as client:
        deadline = time.monotonic() + 5
        while ranges() == 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert ranges() == 3  # 256, 256 and 188 users
        page = client.get("/api/v1/users?sort=name&page[number]=30&page[size]=20").json()
    assert [user["attributes"]["name"] for user in page["data"]] == [
        f"user {index:03}" for index in range(580, 600)
    ]
    counter.dispose()
