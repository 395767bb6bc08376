"""Faults under load, against `users-service serve` as a real process: PostgreSQL stopped and
started again, connections killed mid-transaction, a worker killed with SIGKILL.

PostgreSQL is a private cluster of this test run (see conftest.py), never the shared server.
Every phase is bounded in time; the load is the verifying load of tests/support/load_verify.py, so
after each fault everything acknowledged is read back and checked.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg2
import pytest

from adapters.engine import ANSWER_BOUND_S, CONNECT_TIMEOUT_S, POOL_TIMEOUT_S
from adapters.tables import SEARCH_SEPARATOR
from domain.model import comparison_key
from tests.support.load_verify import HEADERS, World, check_after, http_client, load
from tests.support.servers import PrivateCluster, ServeProcess, answers_while_frozen, serving
from tests.support.users import new_user_document

pytestmark = pytest.mark.timeout(120)

#: The longest a request may take while PostgreSQL is down: a connection attempt gives up
#: after CONNECT_TIMEOUT_S, a wait for a pooled connection after POOL_TIMEOUT_S.
OUTAGE_ANSWER_BOUND_S = CONNECT_TIMEOUT_S + POOL_TIMEOUT_S + 2
RECOVERY_BOUND_S = 10


def _assert_verified(report: dict[str, Any]) -> None:
    assert report["wrong_answer_count"] == 0, report["wrong_answers"]
    assert report["lost_writes"] == 0 and report["phantom_writes"] == 0, report["examples"]
    assert report["false_conflicts"] == 0 and report["stale_reads"] == 0, report["examples"]
    assert report["duplicate_names"] == 0, report["examples"]
    assert not any(key.endswith((" 500", " 502", " 504")) for key in report["statuses"]), report


async def _timed(http: httpx.AsyncClient, method: str, path: str, **options: Any) -> Any:
    started = time.monotonic()
    response = await http.request(method, path, headers=HEADERS, **options)
    return response, time.monotonic() - started


async def _until_ok(http: httpx.AsyncClient, path: str, bound: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < bound:
        try:
            if (await http.get(path, timeout=5)).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path} did not answer 200 within {bound} s")


def _new_user(name: str) -> dict[str, Any]:
    return new_user_document(name=name)


async def _outage_scenario(server: ServeProcess, cluster: PrivateCluster) -> dict[str, Any]:
    world = World(tolerated={503})
    async with http_client(server.base, 16, server.token) as http:
        await load(http, world, clients=8, duration=1.5, seed=11)
        acked_before = sum(1 for write in world.ledger.writes if write.acknowledged)
        await asyncio.to_thread(cluster.stop, "immediate")  # a crash, as far as data goes
        during = asyncio.create_task(load(http, world, clients=8, duration=2, seed=12))
        probes = [
            await _timed(http, "GET", "/readyz"),
            await _timed(http, "GET", "/api/v1/users"),
            await _timed(http, "GET", f"/api/v1/users/{world.created[0]}"),
            await _timed(http, "POST", "/api/v1/users", json=_new_user("During outage")),
        ]
        await during
        await asyncio.to_thread(cluster.start)
        ready_after = await _until_ok(http, "/readyz", RECOVERY_BOUND_S)
        created = await http.post("/api/v1/users", json=_new_user("After outage"), headers=HEADERS)
        await load(http, world, clients=8, duration=1, seed=13)
        report = await check_after(http, world)
    return {
        "probes": probes,
        "ready_after_s": ready_after,
        "created_after": created.status_code,
        "acked_before": acked_before,
        "report": report,
        "outage_statuses": world.ledger.statuses,
    }


def test_postgresql_stopped_under_load_answers_503_in_bounded_time_and_recovers(
    cluster: PrivateCluster, cluster_database: str, tmp_path: Path
) -> None:
    with serving(cluster_database, workers=2, log_dir=tmp_path) as server:
        try:
            outcome = asyncio.run(_outage_scenario(server, cluster))
        finally:
            if not _accepting(cluster):
                cluster.start()
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
    _assert_verified(report)  # nothing acknowledged before, during or after is missing
    slowest = max(seconds for _, seconds in outcome["probes"])
    print(
        f"\noutage: 503 documents within {slowest:.2f} s; /readyz 200"
        f" {outcome['ready_after_s']:.2f} s after PostgreSQL was back;"
        f" {outcome['acked_before']} writes acknowledged before the stop, none missing;"
        f" statuses {report['statuses']}"
    )


def _accepting(cluster: PrivateCluster) -> bool:
    try:
        psycopg2.connect(cluster.url, connect_timeout=2).close()
    except psycopg2.OperationalError:
        return False
    return True


def test_a_postgresql_that_stops_answering_is_a_503_in_bounded_time(
    cluster: PrivateCluster, cluster_database: str, tmp_path: Path
) -> None:
    # Regression: a frozen server (SIGSTOP here; a hung one alike) still acknowledges TCP, so
    # a request on a pooled connection waited for ever: psycopg2 had no client-side bound.
    bound = ANSWER_BOUND_S + CONNECT_TIMEOUT_S + 2  # the ping gives up, then a new connection
    with (
        serving(cluster_database, log_dir=tmp_path) as server,
        httpx.Client(
            base_url=server.base, timeout=bound + 10, headers={**HEADERS, **server.auth}
        ) as client,
    ):
        assert client.get("/api/v1/users").status_code == 200  # a connection in the pool
        answers = answers_while_frozen(client, cluster.pids())
        assert client.get("/api/v1/users").status_code == 200
    for response, seconds in answers:
        assert response.status_code == 503, response.text
        assert response.json()["errors"][0]["code"] == "storage_unavailable"
        assert seconds < bound, f"{response.request.url} took {seconds:.1f} s"
    print(f"\nfrozen PostgreSQL: 503 within {max(s for _, s in answers):.1f} s")


class Terminator(threading.Thread):
    """Ends the service's PostgreSQL sessions on one database, busy ones mostly, until told."""

    def __init__(self, cluster: PrivateCluster, database_url: str) -> None:
        super().__init__(daemon=True)
        self.database = database_url.rsplit("/", 1)[1]
        self.admin = psycopg2.connect(cluster.url, connect_timeout=5)
        self.admin.autocommit = True
        self.stop = threading.Event()
        self.killed = 0

    def run(self) -> None:
        rounds = 0
        while not self.stop.wait(0.1) and rounds < 500:
            rounds += 1
            busy_only = "" if rounds % 5 == 0 else "AND state <> 'idle'"
            with self.admin.cursor() as cursor:
                cursor.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    f" WHERE datname = %s AND application_name = 'users-service' {busy_only}",
                    (self.database,),
                )
                self.killed += cursor.fetchone()[0]


def _consistency_problems(database_url: str) -> list[str]:
    """What a partial write would leave behind: counters out of step, stale or missing
    derived keys, search keys of removed users."""
    connection = psycopg2.connect(database_url, connect_timeout=5)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT coalesce(sum(total), 0) FROM user_counts), count(*) FROM users"
            )
            counted, rows = cursor.fetchone()
            cursor.execute(
                "SELECT id, name, address, profession, website, name_key, address_key,"
                " profession_key, website_key, search_key FROM users"
                " LEFT JOIN user_search_keys ON user_id = id"
            )
            users = cursor.fetchall()
            cursor.execute(
                "SELECT count(*) FROM user_search_keys WHERE user_id NOT IN (SELECT id FROM users)"
            )
            (orphans,) = cursor.fetchone()
    finally:
        connection.close()
    problems = [] if counted == rows else [f"user_counts says {counted}, users holds {rows}"]
    if orphans:
        problems.append(f"{orphans} search keys of removed users")
    for user_id, *values in users:
        texts, keys, search = values[:4], values[4:8], values[8]
        # The keys as the domain defines them (tests/unit/test_name_rules.py states the rule).
        if [comparison_key(t) for t in texts] != keys or search != SEARCH_SEPARATOR.join(keys):
            problems.append(f"user {user_id}: derived keys do not match its attributes")
    return problems


def test_connections_killed_mid_transaction_fail_cleanly_and_leave_no_partial_write(
    cluster: PrivateCluster, cluster_database: str, tmp_path: Path
) -> None:
    with serving(cluster_database, workers=2, log_dir=tmp_path) as server:
        terminator = Terminator(cluster, cluster_database)
        world = World(tolerated={503})

        async def scenario() -> dict[str, Any]:
            async with http_client(server.base, 16, server.token) as http:
                terminator.start()
                try:
                    await load(http, world, clients=12, duration=3, seed=21)
                finally:
                    terminator.stop.set()
                    await asyncio.to_thread(terminator.join, 10)
                return await check_after(http, world)

        report = asyncio.run(scenario())
        terminator.admin.close()
    assert terminator.killed > 10, "the test did not manage to kill connections"
    _assert_verified(report)
    assert report["no_answer"] == 0, report["statuses"]
    assert _consistency_problems(cluster_database) == []
    failed = sum(count for key, count in report["statuses"].items() if key.endswith(" 503"))
    print(f"\nkilled {terminator.killed} sessions; {failed} requests answered 503")


def _wait_for(condition: Any, bound: float, what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < bound:
        if condition():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {bound} s")


def _answers_alone(base: str, count: int, auth: dict[str, str]) -> int:
    """Requests on fresh connections (no keep-alive): any worker accepting may take them."""
    answered = 0
    for _ in range(count):
        with httpx.Client(base_url=base, timeout=5) as fresh:
            response = fresh.get("/api/v1/users?page[size]=1", headers={**HEADERS, **auth})
            if response.status_code == 200:
                answered += 1
    return answered


def test_a_worker_killed_with_sigkill_is_replaced_and_the_other_goes_on(tmp_path: Path) -> None:
    with serving(f"sqlite:///{tmp_path / 'users.db'}", workers=2, log_dir=tmp_path) as server:
        before = server.worker_pids()
        assert len(before) == 2, before
        world = World(tolerated={None})  # requests in flight on the killed worker
        timeline: dict[str, Any] = {}

        async def scenario() -> dict[str, Any]:
            async with http_client(server.base, 8, server.token) as http:
                running = asyncio.create_task(load(http, world, clients=6, duration=3.5, seed=31))
                await asyncio.sleep(1)
                os.kill(before[0], signal.SIGKILL)
                killed_at = time.monotonic()
                # The survivor serves while the supervisor notices and starts a replacement.
                timeline["survivor_answered"] = await asyncio.to_thread(
                    _answers_alone, server.base, 5, server.auth
                )
                await asyncio.to_thread(
                    _wait_for,
                    lambda: (
                        len(set(server.worker_pids()) - set(before)) == 1
                        and len(server.worker_pids()) == 2
                    ),
                    15,
                    "a replacement worker",
                )
                timeline["replaced_after_s"] = time.monotonic() - killed_at
                await running
                return await check_after(http, world)

        report = asyncio.run(scenario())
        after = server.worker_pids()
        [replacement] = set(after) - set(before)
        survivor = before[1]
        # Freeze the survivor: every request on a fresh connection must now be taken by the
        # replacement, which proves it serves.
        time.sleep(1.5)  # the replacement has imported and built its app by now
        os.kill(survivor, signal.SIGSTOP)
        try:
            served_by_replacement = _answers_alone(server.base, 5, server.auth)
        finally:
            os.kill(survivor, signal.SIGCONT)
        assert server.process.poll() is None
    assert timeline["survivor_answered"] == 5
    assert timeline["replaced_after_s"] < 15
    assert served_by_replacement == 5
    assert replacement not in before
    # Requests in flight on the killed worker got no answer; everything acknowledged is there.
    _assert_verified(report)
    assert report["server_errors"] == 0, report["statuses"]
    print(f"\nworker replaced {timeline['replaced_after_s']:.2f} s after SIGKILL")
