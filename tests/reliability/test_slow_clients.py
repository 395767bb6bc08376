"""A body that arrives slowly is cut off: uvicorn has no body read timeout, so the body limit
middleware bounds the whole body's arrival (BODY_TIMEOUT_S) and answers 408."""

from __future__ import annotations

import json
import time
from typing import Any

import anyio
import pytest

from entrypoints.http import middleware
from entrypoints.http.middleware import BodyLimitMiddleware


async def _never_called(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError("the endpoint must not run")


def _scope() -> dict[str, Any]:
    headers = [(b"content-type", b"application/json"), (b"content-length", b"100")]
    return {"type": "http", "method": "POST", "path": "/api/v1/users", "headers": headers}


def test_a_body_trickling_in_past_the_timeout_is_a_408_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(middleware, "BODY_TIMEOUT_S", 0.3)
    sent: list[dict[str, Any]] = []

    async def trickle() -> dict[str, Any]:
        await anyio.sleep(0.1)  # one byte at a time, each in time, never the whole body
        return {"type": "http.request", "body": b"{", "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    started = time.monotonic()
    anyio.run(BodyLimitMiddleware(_never_called), _scope(), trickle, send)
    assert time.monotonic() - started < 1.5
    start, body = sent[0], sent[1]
    assert start["status"] == 408
    headers = dict(start["headers"])
    assert headers[b"content-type"] == b"application/vnd.api+json"
    assert headers[b"connection"] == b"close"
    [error] = json.loads(body["body"])["errors"]
    assert error["status"] == "408" and error["code"] == "request_timeout"


def test_a_body_that_arrives_in_time_reaches_the_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(middleware, "BODY_TIMEOUT_S", 0.5)
    chunks = [b"{", b"}"]
    seen: list[bytes] = []

    async def receive() -> dict[str, Any]:
        await anyio.sleep(0.05)
        chunk = chunks.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    async def endpoint(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope[middleware.BODY_SCOPE_KEY])

    async def send(message: dict[str, Any]) -> None:
        raise AssertionError("nothing is sent by the middleware itself")

    anyio.run(BodyLimitMiddleware(endpoint), _scope(), receive, send)
    assert seen == [b"{}"]
