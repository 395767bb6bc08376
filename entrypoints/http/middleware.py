"""Pure ASGI middleware for every request: security and cache headers, the access log line,
the body limit."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from entrypoints.http.errors import RequestError, error_response
from entrypoints.http.security import (
    CACHE_CONTROL_HEADER,
    NOT_STORED,
    REVALIDATED,
    raw_security_headers,
)

access_logger = logging.getLogger("users_service.access")

#: Requests larger than this are refused with 413 before their body is read.
MAX_BODY_BYTES: Final = 64 * 1024
#: The whole body must arrive within this many seconds, else 408: uvicorn has no body read
#: timeout, and a client trickling a byte at a time would hold its connection for ever.
BODY_TIMEOUT_S: float = 10.0
#: Where the body read by BodyLimitMiddleware waits for the endpoint.
BODY_SCOPE_KEY: Final = "users_service.body"
_BODY_METHODS: Final = frozenset({"POST", "PATCH", "PUT"})
_RAW_HEADERS: Final = raw_security_headers()
_RAW_NAMES: Final = frozenset(name for name, _ in _RAW_HEADERS)
_REVALIDATED_METHODS: Final = frozenset({"GET", "HEAD"})
#: The access log's status for a request whose client went away before any answer was sent
#: (nginx's convention): nothing was answered, so no status was sent, least of all a 500.
CLIENT_CLOSED: Final = 499
#: The longest path the access log writes out; a longer one is cut, with its length noted.
LOGGED_PATH_MAX: Final = 512


RawHeaders = list[tuple[bytes, bytes]]


def _with_service_headers(headers: RawHeaders, method: str) -> RawHeaders:
    """The response headers with ours: the security headers, and `Cache-Control` unless the
    endpoint chose one (the web client's files): `no-cache` for a GET answered with an
    ETag (a user, revalidated with If-None-Match by design), else `no-store`."""
    kept = [header for header in headers if header[0] not in _RAW_NAMES]
    names = {name for name, _ in kept}
    if CACHE_CONTROL_HEADER not in names:
        revalidated = b"etag" in names and method in _REVALIDATED_METHODS
        kept.append((CACHE_CONTROL_HEADER, REVALIDATED if revalidated else NOT_STORED))
    kept.extend(_RAW_HEADERS)
    return kept


class ServiceMiddleware:
    """Everything every request goes through, in one pure ASGI layer (one layer costs less
    than three): the security and cache headers on every response, one structured access log
    line (method, path, status, duration_ms) per request, and, with `limit_body`, the body
    limit of BodyLimitMiddleware.

    The log's status is the one sent; 499 when the client went away before an answer began.
    """

    def __init__(self, app: ASGIApp, *, limit_body: bool = True) -> None:
        self.app = app
        self.limit_body = limit_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        # Stays 500 while an exception propagates (ServerErrorMiddleware then answers 500).
        status = 500
        method = scope["method"]

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = _with_service_headers(list(message.get("headers", ())), method)
            await send(message)

        try:
            if self.limit_body and method in _BODY_METHODS:
                await _limited(self.app, scope, receive, send_with_headers)
            else:
                await self.app(scope, receive, send_with_headers)
            if status == 500:  # returned without starting an answer: the client went away
                status = CLIENT_CLOSED
        finally:
            if access_logger.isEnabledFor(logging.INFO):
                _log_access(scope, status, started)


class AccessRecord(logging.LogRecord):
    """The access log line as a log record built directly: LogRecord's constructor (caller,
    thread, process and path lookups) made the line cost about a tenth of a GET (bench/).
    Handlers, filters and formatters see an ordinary INFO record of `users_service.access`
    with `method`, `path`, `status` and `duration_ms` attributes."""

    def __init__(self, method: str, path: str, status: int, duration_ms: float) -> None:
        now = time.time()
        self.name = access_logger.name
        self.msg = "method=%s path=%s status=%d duration_ms=%.2f"
        self.args = (method, json.dumps(bounded_path(path)), status, duration_ms)
        self.levelname = "INFO"
        self.levelno = logging.INFO
        self.pathname = self.filename = __file__
        self.module = __name__
        self.lineno = 0
        self.funcName = "access"
        self.exc_info = None
        self.exc_text = None
        self.stack_info = None
        self.created = now
        self.msecs = int(now * 1000) % 1000
        self.relativeCreated = (now - _STARTED) * 1000
        self.thread = self.threadName = self.process = self.processName = None
        self.taskName = None
        self.method, self.path, self.status, self.duration_ms = method, path, status, duration_ms


_STARTED: Final = time.time()


def bounded_path(path: str) -> str:
    """`path` as logged: at most LOGGED_PATH_MAX characters, a longer one cut and its length
    noted, so that a crafted 64 KB path costs the log one short line."""
    if len(path) <= LOGGED_PATH_MAX:
        return path
    return f"{path[:LOGGED_PATH_MAX]}...({len(path)} characters)"


def _log_access(scope: Scope, status: int, started: float) -> None:
    duration_ms = round((time.perf_counter() - started) * 1000, 2)
    access_logger.handle(AccessRecord(scope["method"], scope["path"], status, duration_ms))


def _too_large() -> RequestError:
    return RequestError(
        413,
        "body_too_large",
        "Request body too large",
        f"the request body must be at most {MAX_BODY_BYTES} bytes",
    )


def _too_slow() -> RequestError:
    return RequestError(
        408,
        "request_timeout",
        "Request body too slow",
        f"the request body must arrive within {BODY_TIMEOUT_S:g} seconds",
    )


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimitMiddleware:
    """Reads the body of POST/PATCH/PUT up to MAX_BODY_BYTES into the scope.

    A declared Content-Length over the limit is refused at once; a chunked body is counted
    while it streams and refused as soon as it passes the limit, never read to its end. The
    endpoints are plain `def` functions run in a thread, so they take the body from the scope.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        await _limited(self.app, scope, receive, send)


async def _limited(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Reads the body into the scope within the limits, then runs `app`; or refuses."""
    declared = _declared_length(scope)
    if declared is not None and declared > MAX_BODY_BYTES:
        await _refuse(scope, receive, send, _too_large())
        return
    chunks: list[bytes] = []
    size = 0
    more = True
    deadline = time.monotonic() + BODY_TIMEOUT_S
    while more:
        try:
            # asyncio's own timeout: an anyio cancel scope cost about 20 us per request.
            async with asyncio.timeout(deadline - time.monotonic()):
                message = await receive()
        except TimeoutError:
            await _refuse(scope, receive, send, _too_slow())
            return
        if message["type"] != "http.request":  # the client went away: nothing to answer
            return
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            await _refuse(scope, receive, send, _too_large())
            return
        chunks.append(chunk)
        more = message.get("more_body", False)
    body = b"".join(chunks)
    scope[BODY_SCOPE_KEY] = body
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    await app(scope, replay, send)


async def _refuse(scope: Scope, receive: Receive, send: Send, error: RequestError) -> None:
    """Answers without reading the rest of the body, and closes the connection. Its self link
    is relative, as the host check's is: without CORS this runs before the Host header has been
    checked, and a link must not repeat a host nobody allowed."""
    response = error_response(scope["path"], error.status, [error.error], {"Connection": "close"})
    await response(scope, receive, send)
