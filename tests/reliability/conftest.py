"""Fixtures for the reliability tests: the app over every adapter, and a private PostgreSQL
cluster that the fault tests may stop and start (never the shared server on port 5432)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# The app over the in-memory, SQLite and PostgreSQL adapters, emptied for each test.
from tests.http.conftest import any_client  # noqa: F401
from tests.support.servers import PrivateCluster, SetupError, private_cluster, throwaway_database
from tests.support.services import unavailable


@pytest.fixture(scope="session")
def cluster() -> Iterator[PrivateCluster]:
    """A PostgreSQL cluster of this test run alone, on a free port of 127.0.0.1."""
    try:
        with private_cluster() as started:
            yield started
    except SetupError as error:
        unavailable(f"cannot run a private PostgreSQL cluster: {error}")


@pytest.fixture
def cluster_database(cluster: PrivateCluster) -> Iterator[str]:
    """A new database on the private cluster (which is running when the test starts)."""
    with throwaway_database(cluster.url, prefix="faults") as url:
        yield url
