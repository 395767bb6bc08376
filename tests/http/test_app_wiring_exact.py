"""create_app's wiring pinned exactly: CORS, the routes and their methods, the runner that
gives up on a database that never answers, the thread pool's size, the purge task and the
lifespan's log lines."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import anyio
import anyio.to_thread
import pytest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.testclient import TestClient
from starlette.types import Message, Scope

from adapters.memory import in_memory_uow_factory
from domain.errors import StorageUnavailableError
from domain.history_use_cases import purge_deleted_users
from entrypoints.http.app import _purging, create_app, runner_giving_up_after
from entrypoints.http.resources import UnitOfWorkFactory
from tests.http.conftest import TEST_HOST, memory_client
from tests.http.documents import JSONAPI, check_errors, new_user
from tests.http.recorded import SECURITY, lines, records
from tests.signed_in import security


def _wait_for(condition: Any, bound_s: float = 5.0) -> None:
    deadline = time.monotonic() + bound_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.005)


# --- CORS -------------------------------------------------------------------------------

PREFLIGHT_HEADERS = [
    (
        b"vary",
        b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "
        b"Access-Control-Request-Private-Network",
    ),
    (b"access-control-allow-methods", b"GET, POST, PATCH, DELETE"),
    (b"access-control-max-age", b"600"),
    (
        b"access-control-allow-headers",
        b"Accept, Accept-Language, Authorization, Content-Language, Content-Type, If-Match, "
        b"If-None-Match",
    ),
    (b"access-control-allow-origin", b"https://app.example"),
]


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
def test_a_cors_preflight_allows_the_api_methods_and_headers_for_ten_minutes(method: str) -> None:
    with memory_client(cors_origins=["https://app.example"]) as client:
        response = client.options(
            "/api/v1/users/1",
            headers={
                "Origin": "https://app.example",
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": (
                    "accept, authorization, content-type, if-match, if-none-match"
                ),
            },
        )
    assert (response.status_code, response.text) == (200, "OK")
    assert response.headers.raw == [
        *PREFLIGHT_HEADERS,
        (b"content-length", b"2"),
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"cache-control", b"no-store"),
        *SECURITY,
    ]


@pytest.mark.parametrize(
    ("method", "asked", "refused"),
    [("PUT", "if-match", "method"), ("GET", "x-other", "headers"), ("HEAD", "", "method")],
)
def test_a_cors_preflight_for_another_method_or_header_is_refused(
    method: str, asked: str, refused: str
) -> None:
    headers = {"Origin": "https://app.example", "Access-Control-Request-Method": method}
    if asked:
        headers["Access-Control-Request-Headers"] = asked
    with memory_client(cors_origins=["https://app.example"]) as client:
        response = client.options("/api/v1/users", headers=headers)
    assert (response.status_code, response.text) == (400, f"Disallowed CORS {refused}")


def test_a_cors_answer_exposes_etag_location_and_retry_after() -> None:
    with memory_client(cors_origins=["https://app.example"]) as client:
        response = client.post(
            "/api/v1/users",
            json=new_user(),
            headers={"Content-Type": JSONAPI, "Origin": "https://app.example"},
        )
    assert response.status_code == 201
    assert response.headers["access-control-expose-headers"] == "ETag, Location, Retry-After"
    assert response.headers["access-control-allow-origin"] == "https://app.example"
    assert response.headers["vary"] == "Origin"


# --- routes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/v1/users", "GET, HEAD, POST"),
        ("/api/v1/users.json", "GET, HEAD, POST"),
        ("/api/v1/users/1", "DELETE, GET, HEAD, PATCH"),
        ("/api/v1/users/1.json", "DELETE, GET, HEAD, PATCH"),
        ("/api/v1/openapi.json", "GET, HEAD"),
        ("/healthz", "GET, HEAD"),
        ("/readyz", "GET, HEAD"),
    ],
)
def test_each_route_allows_its_methods(client: TestClient, path: str, allowed: str) -> None:
    response = client.put(path)
    [error] = check_errors(response, 405)
    assert error["code"] == "method_not_allowed"
    assert response.headers["allow"] == allowed


def test_the_json_suffixed_paths_serve_the_same_resources(client: TestClient) -> None:
    client.post("/api/v1/users", json=new_user(), headers={"Content-Type": JSONAPI})
    assert client.get("/api/v1/users/1.json").json() == client.get("/api/v1/users/1").json()
    listing = client.get("/api/v1/users.json").json()
    assert [user["id"] for user in listing["data"]] == ["1"]
    assert listing["links"]["self"] == "http://testserver/api/v1/users.json"


def test_the_openapi_document_is_served_as_plain_json(client: TestClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["openapi"].startswith("3.")


# --- the runner and the thread pool -----------------------------------------------------


class _Stuck:
    """A unit of work whose reads wait (bounded) for `release`, then fail; writes (the purge)
    fail at once."""

    def __init__(self, release: threading.Event, finished: list[str]) -> None:
        self.release = release
        self.finished = finished

    def reading(self) -> _Stuck:
        return self

    def __enter__(self) -> Any:
        self.release.wait(3)
        self.finished.append("read")
        raise StorageUnavailableError("released")

    def __exit__(self, *args: object) -> None:
        pass


class _Reading:
    """A unit of work whose reads get stuck and whose writes fail at once."""

    def __init__(self, stuck: _Stuck) -> None:
        self.stuck = stuck

    def reading(self) -> _Stuck:
        return self.stuck

    def __enter__(self) -> Any:
        raise StorageUnavailableError("no purge here")

    def __exit__(self, *args: object) -> None:
        pass


def _stuck_app(
    bound_s: float,
) -> tuple[Starlette, dict[str, str], threading.Event, list[str]]:
    """An app whose reads get stuck until `release` is set, run by the runner giving up after
    `bound_s`; its token's headers; `finished` names the reads that came back."""
    release = threading.Event()
    finished: list[str] = []
    stuck = _Stuck(release, finished)
    signed_in, headers = security()
    app = create_app(
        cast(UnitOfWorkFactory, lambda: _Reading(stuck)),
        security=signed_in,
        run=runner_giving_up_after(bound_s),
    )
    return app, headers, release, finished


def test_an_endpoint_stuck_past_the_bound_is_answered_503_while_it_is_still_stuck() -> None:
    app, headers, release, finished = _stuck_app(bound_s=0.05)
    try:
        with records("users_service.errors") as kept, TestClient(app, headers=headers) as client:
            response = client.get("/api/v1/users/1")
            assert finished == []  # answered while the endpoint still waits on its thread
    finally:
        release.set()
    [error] = check_errors(response, 503)
    assert error["code"] == "storage_unavailable"
    assert response.headers["retry-after"] == "5"
    assert lines(kept) == [("WARNING", "storage unavailable: the database did not answer in time")]


def test_a_request_cancelled_from_outside_leaves_its_stuck_endpoint_to_its_thread() -> None:
    """A server or harness cancelling a request (an anyio cancel scope, which a shielded wait
    would hold up) gets it back at once, the endpoint still stuck."""
    app, headers, release, finished = _stuck_app(bound_s=10)
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/api/v1/users/1",
        "raw_path": b"/api/v1/users/1",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"authorization", headers["Authorization"].encode())],
        "server": ("testserver", 80),
        "client": ("test", 1),
    }
    sent: list[Message] = []

    async def receive() -> Message:
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    async def cancelled_request() -> bool:
        with anyio.move_on_after(0.1) as cancel:
            await app(scope, receive, send)
        return cancel.cancelled_caught

    try:
        assert anyio.run(cancelled_request) is True
        assert (finished, sent) == ([], [])  # back at once, the endpoint still waiting
    finally:
        release.set()


def test_an_endpoint_answering_within_the_bound_is_answered_by_it() -> None:
    signed_in, headers = security()
    app = create_app(
        cast(UnitOfWorkFactory, in_memory_uow_factory()),
        security=signed_in,
        run=runner_giving_up_after(5),
    )
    with TestClient(app, headers=headers) as client:
        created = client.post("/api/v1/users", json=new_user(), headers={"Content-Type": JSONAPI})
        assert created.status_code == 201
        response = client.get("/api/v1/users/1")
    assert response.status_code == 200
    assert response.json()["data"]["id"] == "1"


def test_the_endpoints_share_a_pool_of_sixteen_threads() -> None:
    sizes: list[float] = []

    async def run(function: Any, *args: Any) -> Any:
        sizes.append(anyio.to_thread.current_default_thread_limiter().total_tokens)
        return await run_in_threadpool(function, *args)

    with memory_client(run=run) as client:
        assert client.get("/api/v1/users").status_code == 200
    assert sizes == [16]


# --- the purge and the lifespan ---------------------------------------------------------


def _with_one_deleted_user() -> UnitOfWorkFactory:
    factory = cast(UnitOfWorkFactory, in_memory_uow_factory())
    signed_in, headers = security()
    app = create_app(factory, security=signed_in, allowed_hosts=[TEST_HOST])
    with TestClient(app, headers=headers) as client:
        created = client.post("/api/v1/users", json=new_user(), headers={"Content-Type": JSONAPI})
        assert created.status_code == 201
        assert client.delete("/api/v1/users/1").status_code == 204
    return factory


def test_a_purge_logs_how_many_users_it_purged_and_nothing_when_none() -> None:
    factory = _with_one_deleted_user()
    purge = _purging(factory, timedelta(0))
    with records("users_service.app") as kept:
        purge()
        purge()
    assert lines(kept) == [("INFO", "purged 1 users deleted more than 0:00:00 ago")]
    assert purge_deleted_users(factory, datetime.now(UTC), timedelta(0)) == 0


@pytest.mark.parametrize(
    ("error", "logged"),
    [
        (RuntimeError("password=hunter2"), "RuntimeError"),  # unexpected: its type alone
        (StorageUnavailableError("the database is down"), "the database is down"),
    ],
)
def test_a_failing_purge_logs_why_and_an_unexpected_error_by_its_type_only(
    error: Exception, logged: str
) -> None:
    def failing() -> Any:
        raise error

    with records("users_service.app") as kept:
        _purging(cast(UnitOfWorkFactory, failing), timedelta(days=30))()
    assert lines(kept) == [("WARNING", f"purging deleted users failed: {logged}")]


def test_the_app_purges_at_start_and_logs_ready_and_stopping() -> None:
    factory = _with_one_deleted_user()
    signed_in, headers = security()
    app = create_app(factory, security=signed_in, retention=timedelta(0))
    with records("users_service.app") as kept, TestClient(app, headers=headers):
        _wait_for(lambda: len(kept) == 2)
    assert lines(kept) == [
        ("INFO", "users-service ready"),
        ("INFO", "purged 1 users deleted more than 0:00:00 ago"),
        ("INFO", "users-service stopping"),
    ]


def test_stopping_does_not_wait_for_a_purge_stuck_on_the_database() -> None:
    started = threading.Event()
    release = threading.Event()
    finished: list[str] = []

    class Stuck:
        def __enter__(self) -> Any:
            started.set()
            release.wait(3)
            finished.append("purge")
            raise StorageUnavailableError("released")

        def __exit__(self, *args: object) -> None:
            pass

    signed_in, headers = security()
    app = create_app(cast(UnitOfWorkFactory, Stuck), security=signed_in)
    with records("users_service.app") as kept:
        try:
            with TestClient(app, headers=headers):
                assert started.wait(5)
            assert finished == []  # stopped while the purge still waits on its thread
        finally:
            release.set()
            # The abandoned purge still ends, and logs its failure.
            _wait_for(lambda: len(kept) == 3)
    assert lines(kept)[2] == ("WARNING", "purging deleted users failed: released")
