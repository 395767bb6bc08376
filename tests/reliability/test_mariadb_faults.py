"""MariaDB stopped under load, against `users-service serve` as a real process.

The server is a private MariaDB of this test run (tests/support/mariadb.py: PrivateMariaDB),
never the shared one on port 3306. The scenario is PostgreSQL's (test_faults.py): verified load, the
server killed (SIGKILL: a crash as far as the data goes), 503 documents within a bound,
the server started again, recovery without restarting the service, then everything
acknowledged before, during and after read back and checked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from adapters.engine import ANSWER_BOUND_S, CONNECT_TIMEOUT_S
from tests.reliability.test_faults import (
    OUTAGE_ANSWER_BOUND_S,
    RECOVERY_BOUND_S,
    _assert_verified,
    _outage_scenario,
)
from tests.support.load_verify import HEADERS
from tests.support.mariadb import PrivateMariaDB, private_mariadb, throwaway_url
from tests.support.servers import SetupError, answers_while_frozen, serving
from tests.support.services import unavailable

pytestmark = [pytest.mark.mariadb, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def mariadb_server() -> Iterator[PrivateMariaDB]:
    try:
        with private_mariadb() as started:
            yield started
    except SetupError as error:
        unavailable(f"cannot run a private MariaDB server: {error}")


def test_mariadb_stopped_under_load_answers_503_in_bounded_time_and_recovers(
    mariadb_server: PrivateMariaDB, tmp_path: Path
) -> None:
    with throwaway_url(mariadb_server.url) as url, serving(url, log_dir=tmp_path) as server:
        try:
            outcome = asyncio.run(_outage_scenario(server, mariadb_server))  # type: ignore[arg-type]
        finally:
            if not mariadb_server.pids():
                mariadb_server.start()
    for response, seconds in outcome["probes"]:
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/vnd.api+json"
        assert response.json()["errors"][0]["code"] == "storage_unavailable"
        assert response.headers["retry-after"]
        assert seconds < OUTAGE_ANSWER_BOUND_S, f"{response.request.url} took {seconds:.1f} s"
    assert outcome["ready_after_s"] < RECOVERY_BOUND_S
    assert outcome["created_after"] == 201
    report = outcome["report"]
    assert outcome["acked_before"] >= 5
    assert any(key.endswith(" 503") for key in report["statuses"]), report["statuses"]
    _assert_verified(report)
    slowest = max(seconds for _, seconds in outcome["probes"])
    print(
        f"\nMariaDB outage: 503 documents within {slowest:.2f} s; /readyz 200"
        f" {outcome['ready_after_s']:.2f} s after MariaDB was back;"
        f" {outcome['acked_before']} writes acknowledged before the stop, none missing;"
        f" statuses {report['statuses']}"
    )


def test_a_mariadb_that_stops_answering_is_a_503_in_bounded_time(
    mariadb_server: PrivateMariaDB, tmp_path: Path
) -> None:
    # A frozen server (SIGSTOP; a hung one alike) still acknowledges TCP: PyMySQL's read
    # timeout, not the kernel, must end the wait.
    bound = ANSWER_BOUND_S + CONNECT_TIMEOUT_S + 2
    with (
        throwaway_url(mariadb_server.url) as url,
        serving(url, log_dir=tmp_path) as server,
        httpx.Client(
            base_url=server.base, timeout=bound + 10, headers={**HEADERS, **server.auth}
        ) as client,
    ):
        assert client.get("/api/v1/users").status_code == 200  # a connection in the pool
        answers = answers_while_frozen(client, mariadb_server.pids())
        assert client.get("/api/v1/users").status_code == 200
    for response, seconds in answers:
        assert response.status_code == 503, response.text
        assert response.json()["errors"][0]["code"] == "storage_unavailable"
        assert seconds < bound, f"{response.request.url} took {seconds:.1f} s"
    print(f"\nfrozen MariaDB: 503 within {max(s for _, s in answers):.1f} s")
