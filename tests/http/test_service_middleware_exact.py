"""ServiceMiddleware and BodyLimitMiddleware pinned exactly: the headers added to each kind of
answer, the access log record as a handler sees it, 499 and 500 in the log, the body limit's
refusals (413, 408) and the body handed on to the app."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from contextlib import AbstractContextManager as ContextManager
from typing import Any, cast

import anyio
import pytest
from starlette.testclient import TestClient
from starlette.types import Message, Scope

from adapters.memory import in_memory_uow_factory
from entrypoints.http import middleware
from entrypoints.http.app import create_app
from entrypoints.http.middleware import BodyLimitMiddleware, ServiceMiddleware
from entrypoints.http.resources import UnitOfWorkFactory
from tests.http.conftest import memory_client
from tests.http.documents import JSONAPI, new_user
from tests.http.recorded import SECURITY, records
from tests.http.test_service_behaviour import broken_client
from tests.signed_in import security


def access_records(level: int = logging.INFO) -> ContextManager[list[logging.LogRecord]]:
    return records("users_service.access", level)


class _Clock:
    """The middleware module's clock: a request lasting 12.3456 ms at a fixed wall time."""

    def __init__(self) -> None:
        self.counters = [2.0, 2.0123456]

    def perf_counter(self) -> float:
        return self.counters.pop(0)

    def time(self) -> float:
        return 1700000123.25

    def monotonic(self) -> float:
        return time.monotonic()


# --- the headers ------------------------------------------------------------------------


def test_a_created_user_is_not_stored_by_caches_and_carries_every_header_once(
    client: TestClient,
) -> None:
    response = client.post("/api/v1/users", json=new_user(), headers={"Content-Type": JSONAPI})
    assert response.status_code == 201
    assert response.headers.raw == [
        (b"etag", b'"1-1"'),
        (b"location", b"http://testserver/api/v1/users/1"),
        (b"content-length", b"407"),
        (b"content-type", b"application/vnd.api+json"),
        (b"cache-control", b"no-store"),
        *SECURITY,
    ]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_user_read_by_get_or_head_is_revalidated_by_caches(
    client: TestClient, method: str
) -> None:
    client.post("/api/v1/users", json=new_user(), headers={"Content-Type": JSONAPI})
    response = client.request(method, "/api/v1/users/1")
    assert response.status_code == 200
    assert response.headers.raw == [
        (b"etag", b'"1-1"'),
        (b"content-length", b"407"),
        (b"content-type", b"application/vnd.api+json"),
        (b"cache-control", b"no-cache"),
        *SECURITY,
    ]


def test_a_patched_user_with_its_etag_is_still_not_stored(client: TestClient) -> None:
    client.post("/api/v1/users", json=new_user(), headers={"Content-Type": JSONAPI})
    document = {"data": {"type": "users", "id": "1", "attributes": {"age": 5}}}
    response = client.patch("/api/v1/users/1", json=document, headers={"Content-Type": JSONAPI})
    assert response.status_code == 200
    assert response.headers["etag"] == '"1-2"'
    assert response.headers["cache-control"] == "no-store"


def test_a_get_without_an_etag_is_not_stored(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.headers.raw == [
        (b"content-length", b"97"),
        (b"content-type", b"application/vnd.api+json"),
        (b"cache-control", b"no-store"),
        *SECURITY,
    ]


async def _answering(headers: list[tuple[bytes, bytes]] | None) -> list[Message]:
    """What ServiceMiddleware sends for an app answering GET 200 with `headers` (None: an
    answer whose start message has no headers at all)."""
    sent: list[Message] = []
    given: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        given.append(receive)
        start: Message = {"type": "http.response.start", "status": 200}
        if headers is not None:
            start["headers"] = headers
        await send(start)
        await send({"type": "http.response.body", "body": b""})

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        raise AssertionError("a GET is not read")

    scope: Scope = {"type": "http", "method": "GET", "path": "/x", "headers": []}
    await ServiceMiddleware(app)(scope, receive, send)
    assert given == [receive]  # a GET's receive reaches the app as it is
    return sent


def test_the_apps_own_security_headers_are_replaced_by_ours_and_its_cache_control_kept() -> None:
    own = [
        (b"x-content-type-options", b"sniff"),
        (b"etag", b'"7"'),
        (b"content-security-policy", b"default-src *"),
        (b"cache-control", b"public, max-age=60"),
    ]
    start, body = anyio.run(_answering, own)
    assert start == {
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"etag", b'"7"'), (b"cache-control", b"public, max-age=60"), *SECURITY],
    }
    assert body == {"type": "http.response.body", "body": b""}


def test_an_answer_started_without_headers_gets_ours() -> None:
    start, _ = anyio.run(_answering, None)
    assert start["headers"] == [(b"cache-control", b"no-store"), *SECURITY]


def test_an_etag_alone_makes_a_get_revalidated() -> None:
    start, _ = anyio.run(_answering, [(b"etag", b'"7"')])
    assert start["headers"] == [(b"etag", b'"7"'), (b"cache-control", b"no-cache"), *SECURITY]


def test_other_scopes_pass_through_untouched() -> None:
    seen: list[tuple[Any, Any, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append((scope, receive, send))

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        pass

    scope: Scope = {"type": "lifespan"}
    with access_records() as records:
        anyio.run(ServiceMiddleware(app), scope, receive, send)
        anyio.run(BodyLimitMiddleware(app), scope, receive, send)
    assert seen == [(scope, receive, send), (scope, receive, send)]
    assert records == []


# --- the access log ---------------------------------------------------------------------


def test_the_access_record_is_an_ordinary_info_record_with_its_fields(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(middleware, "time", _Clock())
    monkeypatch.setattr(middleware, "_STARTED", 1700000000.0)
    with access_records() as records:
        client.get("/api/v1/users/42")
    [record] = records
    fields = vars(record)
    pathname = fields.pop("pathname")
    fields.pop("message", None)  # set by pytest's own handler when it formats the record
    fields.pop("asctime", None)  # set by a handler formatting with a time (logging configured)
    assert pathname.endswith("/entrypoints/http/middleware.py")
    assert fields == {
        "name": "users_service.access",
        "msg": "method=%s path=%s status=%d duration_ms=%.2f",
        "args": ("GET", '"/api/v1/users/42"', 404, 12.35),
        "levelname": "INFO",
        "levelno": 20,
        "filename": pathname,
        "module": "entrypoints.http.middleware",
        "lineno": 0,
        "funcName": "access",
        "exc_info": None,
        "exc_text": None,
        "stack_info": None,
        "created": 1700000123.25,
        "msecs": 250,
        "relativeCreated": 123250.0,
        "thread": None,
        "threadName": None,
        "process": None,
        "processName": None,
        "taskName": None,
        "method": "GET",
        "path": "/api/v1/users/42",
        "status": 404,
        "duration_ms": 12.35,
    }
    assert record.getMessage() == 'method=GET path="/api/v1/users/42" status=404 duration_ms=12.35'
    formatted = logging.Formatter("%(levelname)s %(name)s %(module)s %(message)s").format(record)
    assert formatted == (
        "INFO users_service.access entrypoints.http.middleware "
        'method=GET path="/api/v1/users/42" status=404 duration_ms=12.35'
    )


def test_no_access_record_is_built_when_info_is_off(client: TestClient) -> None:
    with access_records(logging.WARNING) as records:
        assert client.get("/healthz").status_code == 200
    assert records == []


def test_a_path_of_512_characters_is_logged_whole_and_a_longer_one_cut(
    client: TestClient,
) -> None:
    whole = "/" + "a" * 511
    longer = "/" + "b" * 512
    with access_records() as records:
        client.get(whole)
        client.get(longer)
    assert [record.args[1] for record in records] == [  # type: ignore[index]
        f'"{whole}"',
        '"/' + "b" * 511 + '...(513 characters)"',
    ]
    assert [(record.path, record.status) for record in records] == [  # type: ignore[attr-defined]
        (whole, 404),
        (longer, 404),
    ]


def test_an_unexpected_error_is_logged_with_status_500() -> None:
    with broken_client(RuntimeError("boom")) as broken, access_records() as records:
        assert broken.get("/api/v1/users/1").status_code == 500
    assert [(r.method, r.path, r.status) for r in records] == [  # type: ignore[attr-defined]
        ("GET", "/api/v1/users/1", 500)
    ]


def _app(**options: Any) -> Any:
    factory = cast(UnitOfWorkFactory, in_memory_uow_factory())
    return create_app(factory, security=security()[0], **options)


def _scope(method: str, headers: list[tuple[bytes, bytes]]) -> Message:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": "/api/v1/users",
        "raw_path": b"/api/v1/users",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
        "server": ("testserver", 80),
        "client": ("test", 1),
    }


def _exchange(
    app: Any, scope: Message, messages: list[Message], pause_s: float = 0.0
) -> tuple[list[Message], int]:
    """Runs `app` for one request whose client sends `messages`, each after `pause_s` (then
    waits for ever); the messages sent back and how many the app received. A hang fails
    after 5 seconds."""
    sent: list[Message] = []
    received = 0

    async def receive() -> Message:
        nonlocal received
        received += 1
        if pause_s:
            await asyncio.sleep(pause_s)
        if messages:
            return messages.pop(0)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    async def run() -> None:
        with anyio.fail_after(5):
            await app(scope, receive, send)

    anyio.run(run)
    return sent, received


@pytest.mark.parametrize("cors", [False, True])
def test_a_client_gone_before_its_body_arrived_is_logged_499_and_answered_nothing(
    cors: bool,
) -> None:
    app = _app(cors_origins=["https://app.example"] if cors else ())
    scope = _scope("POST", [(b"content-type", JSONAPI.encode())])
    with access_records() as records:
        sent, received = _exchange(app, scope, [{"type": "http.disconnect"}])
    assert (sent, received) == ([], 1)
    assert [(r.method, r.path, r.status) for r in records] == [  # type: ignore[attr-defined]
        ("POST", "/api/v1/users", 499)
    ]


# --- the body limit ---------------------------------------------------------------------

TOO_LARGE = {
    "jsonapi": {"version": "1.1"},
    "links": {"self": "/api/v1/users"},
    "errors": [
        {
            "status": "413",
            "code": "body_too_large",
            "title": "Request body too large",
            "detail": "the request body must be at most 65536 bytes",
        }
    ],
}


def _refusal(sent: list[Message]) -> tuple[int, dict[bytes, bytes], Any]:
    start, body = sent
    return start["status"], dict(start["headers"]), json.loads(body["body"])


@pytest.mark.parametrize("cors", [False, True])
def test_a_declared_length_of_one_byte_over_is_refused_unread_and_the_connection_closed(
    cors: bool,
) -> None:
    app = _app(cors_origins=["https://app.example"] if cors else ())
    headers = [(b"content-type", JSONAPI.encode()), (b"content-length", b"65537")]
    with access_records() as records:
        sent, received = _exchange(app, _scope("POST", headers), [])
    status, sent_headers, document = _refusal(sent)
    assert (status, received, document) == (413, 0, TOO_LARGE)
    assert sent_headers[b"connection"] == b"close"
    assert sent_headers[b"content-type"] == b"application/vnd.api+json"
    assert sent_headers[b"cache-control"] == b"no-store"
    assert [r.status for r in records] == [413]  # type: ignore[attr-defined]


def test_a_put_is_limited_too(client: TestClient) -> None:
    response = client.put("/api/v1/users", content=b"x" * 65537)
    assert response.status_code == 413
    assert response.json() == TOO_LARGE
    assert response.headers["connection"] == "close"


@pytest.mark.parametrize("cors", [False, True])
def test_a_get_with_a_large_body_is_not_limited(cors: bool) -> None:
    with memory_client(cors_origins=["https://app.example"] if cors else ()) as client:
        response = client.request("GET", "/healthz", content=b"x" * 65537)
        assert response.status_code == 200


def test_with_cors_a_refused_body_carries_the_cors_headers() -> None:
    with memory_client(cors_origins=["https://app.example"]) as client:
        response = client.post(
            "/api/v1/users",
            content=b"x" * 65537,
            headers={"Content-Type": JSONAPI, "Origin": "https://app.example"},
        )
    assert response.status_code == 413
    assert response.json() == TOO_LARGE
    assert response.headers["access-control-allow-origin"] == "https://app.example"
    assert response.headers["connection"] == "close"


def test_a_content_length_that_is_no_number_is_ignored_and_the_body_read() -> None:
    headers = [(b"content-type", JSONAPI.encode()), (b"content-length", b"lots")]
    body = json.dumps(new_user()).encode()
    app = _app()
    sent, received = _exchange(
        app, _scope("POST", headers), [{"type": "http.request", "body": body}]
    )
    # Unsigned (no Authorization header), the body was read and the request went on to auth.
    assert (sent[0]["status"], received) == (401, 1)


def _user_posted(
    messages: list[Message], declared: bytes | None = None, pause_s: float = 0.0
) -> tuple[int, int]:
    """POSTs a user whose body arrives in `messages`, each after `pause_s`, with
    Content-Length `declared`; the status answered and how many messages were read."""
    signed_in, auth = security()
    app = create_app(cast(UnitOfWorkFactory, in_memory_uow_factory()), security=signed_in)
    headers = [
        (b"content-type", JSONAPI.encode()),
        (b"authorization", auth["Authorization"].encode()),
    ]
    if declared is not None:
        headers.append((b"content-length", declared))
    sent, received = _exchange(app, _scope("POST", headers), messages, pause_s)
    return sent[0]["status"], received


def test_messages_without_body_or_more_body_keys_are_read_as_asgi_defines_them() -> None:
    body = json.dumps(new_user()).encode()
    # No "body": an empty chunk; no "more_body": the last message.
    messages: list[Message] = [
        {"type": "http.request", "more_body": True},
        {"type": "http.request", "body": body},
    ]
    assert _user_posted(messages) == (201, 2)


def test_a_body_of_exactly_the_limit_declared_and_in_chunks_is_read() -> None:
    half = b" " * (32 * 1024)
    body = json.dumps(new_user()).encode()
    messages: list[Message] = [
        {"type": "http.request", "body": half, "more_body": True},
        {"type": "http.request", "body": half[: -len(body)] + body, "more_body": False},
    ]
    assert _user_posted(messages, declared=b"65536") == (201, 2)


def test_a_body_arriving_in_pauses_well_within_the_timeout_is_read() -> None:
    body = json.dumps(new_user()).encode()
    messages: list[Message] = [
        {"type": "http.request", "body": body[:10], "more_body": True},
        {"type": "http.request", "body": body[10:], "more_body": False},
    ]
    assert _user_posted(messages, pause_s=0.01) == (201, 2)


def test_a_chunked_body_one_byte_over_is_refused_at_that_chunk() -> None:
    half = b" " * (32 * 1024)
    messages: list[Message] = [
        {"type": "http.request", "body": half, "more_body": True},
        {"type": "http.request", "body": half + b" ", "more_body": True},
    ]
    assert _user_posted(messages) == (413, 2)


def test_a_body_not_complete_within_the_timeout_is_a_408_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(middleware, "BODY_TIMEOUT_S", 0.05)
    headers = [(b"content-type", JSONAPI.encode())]
    messages: list[Message] = [{"type": "http.request", "body": b"{", "more_body": True}]
    with access_records() as records:
        sent, received = _exchange(_app(), _scope("POST", headers), messages)
    status, sent_headers, document = _refusal(sent)
    assert (status, received) == (408, 2)
    assert document == {
        "jsonapi": {"version": "1.1"},
        "links": {"self": "/api/v1/users"},
        "errors": [
            {
                "status": "408",
                "code": "request_timeout",
                "title": "Request body too slow",
                "detail": "the request body must arrive within 0.05 seconds",
            }
        ],
    }
    assert sent_headers[b"connection"] == b"close"
    assert [r.status for r in records] == [408]  # type: ignore[attr-defined]


def test_the_body_is_given_to_the_app_once_whole_then_the_clients_messages() -> None:
    seen: list[Message] = []
    bodies: list[bytes] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        bodies.append(scope["users_service.body"])
        seen.append(await receive())
        seen.append(await receive())

    scope = _scope("PATCH", [])
    messages: list[Message] = [
        {"type": "http.request", "body": b"ab", "more_body": True},
        {"type": "http.request", "body": b"c", "more_body": False},
        {"type": "http.disconnect"},
    ]
    _exchange(BodyLimitMiddleware(app), scope, messages)
    assert bodies == [b"abc"]
    assert seen == [
        {"type": "http.request", "body": b"abc", "more_body": False},
        {"type": "http.disconnect"},
    ]


@pytest.mark.parametrize("limit_body", [None, True, False])
def test_service_middleware_limits_the_body_unless_told_not_to(limit_body: bool | None) -> None:
    reached: list[bytes] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope.get("users_service.body", b"(unread)"))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    if limit_body is None:
        layer = ServiceMiddleware(app)
    else:
        layer = ServiceMiddleware(app, limit_body=limit_body)
    scope = _scope("POST", [(b"content-length", b"65537")])
    sent, received = _exchange(layer, scope, [])
    if limit_body is False:
        assert (sent[0]["status"], reached, received) == (204, [b"(unread)"], 0)
    else:
        assert (sent[0]["status"], reached, received) == (413, [], 0)
