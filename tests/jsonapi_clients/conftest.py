"""One live `users-service serve` for the client-library tests (real HTTP: the libraries
speak to a server, not to an ASGI app)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from attrs import frozen

from tests.e2e_browser.harness import running_service
from tests.support.servers import admin_token


@frozen
class Service:
    base: str  # `http://127.0.0.1:PORT/`
    auth: dict[str, str]  # the Authorization header of an admin's API token


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A service over a fresh SQLite file, and an admin's API token for it."""
    folder = tmp_path_factory.mktemp("jsonapi-client-service")
    token = admin_token(f"sqlite:///{folder / 'users.db'}")
    with running_service(folder / "users.db", folder / "service.log") as base:
        yield Service(base, {"Authorization": f"Bearer {token}"})
