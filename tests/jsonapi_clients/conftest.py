"""One live `users-service serve` for the client-library tests (real HTTP: the libraries
speak to a server, not to an ASGI app)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e_browser.harness import running_service


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL (`http://127.0.0.1:PORT/`) of a service over a fresh SQLite file."""
    folder = tmp_path_factory.mktemp("jsonapi-client-service")
    with running_service(folder / "users.db", folder / "service.log") as base:
        yield base
