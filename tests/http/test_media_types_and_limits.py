"""Content negotiation (406, 415) and the 64 KiB body limit (413)."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from starlette.testclient import TestClient

from entrypoints.http.middleware import MAX_BODY_BYTES
from tests.http.documents import JSONAPI, check_document, check_errors, new_user


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        'application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"',
        "application/vnd.api+json; charset=utf-8",
        "application/vnd.api+json;version=2",
        None,
    ],
)
def test_a_body_in_another_media_type_or_with_an_extension_is_a_415(
    client: TestClient, content_type: str | None
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    body = b'{"data": {"type": "users"}}'
    response = client.post("/api/v1/users", content=body, headers=headers)
    [error] = check_errors(response, 415)
    assert error["code"] == "unsupported_media_type"
    assert error["source"] == {"header": "Content-Type"}


@pytest.mark.parametrize(
    "content_type",
    [
        JSONAPI,
        'application/vnd.api+json; profile="https://example.com/profile"',
        "application/json",
        "application/json; charset=utf-8",
        "Application/VND.API+JSON",
    ],
)
def test_json_api_with_only_a_profile_or_plain_json_is_accepted(
    client: TestClient, content_type: str
) -> None:
    response = client.post("/api/v1/users", json=new_user(), headers={"Content-Type": content_type})
    assert response.status_code == 201


def test_a_patch_in_another_media_type_is_a_415(client: TestClient) -> None:
    client.post("/api/v1/users", json=new_user())
    response = client.patch(
        "/api/v1/users/1", content=b"age=3", headers={"Content-Type": "text/plain"}
    )
    check_errors(response, 415)


@pytest.mark.parametrize(
    "accept",
    [
        'application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"',
        "application/vnd.api+json; charset=utf-8, application/vnd.api+json; ext=x",
        "text/html, application/vnd.api+json;foo=bar",
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/users", "/api/v1/users/1"])
def test_accept_whose_json_api_entries_all_carry_parameters_is_a_406(
    client: TestClient, accept: str, path: str
) -> None:
    [error] = check_errors(client.get(path, headers={"Accept": accept}), 406)
    assert error["code"] == "not_acceptable"
    assert error["source"] == {"header": "Accept"}


def test_a_post_with_an_unacceptable_accept_creates_nothing(client: TestClient) -> None:
    response = client.post(
        "/api/v1/users", json=new_user(), headers={"Accept": "application/vnd.api+json; ext=x"}
    )
    check_errors(response, 406)
    assert check_document(client.get("/api/v1/users"))["meta"]["total"] == 0


@pytest.mark.parametrize(
    "accept",
    [
        JSONAPI,
        "application/vnd.api+json; ext=x, application/vnd.api+json",
        'application/vnd.api+json; profile="https://example.com/p"',
        "application/vnd.api+json;q=0.9",
        "application/json",
        "*/*",
        "text/html",
    ],
)
def test_other_accept_headers_get_json_api(client: TestClient, accept: str) -> None:
    response = client.get("/api/v1/users", headers={"Accept": accept})
    assert response.status_code == 200
    check_document(response)


def test_a_body_over_64_kib_is_a_413(client: TestClient) -> None:
    body = (
        b'{"data": {"type": "users", "attributes": {"address": "' + b"x" * MAX_BODY_BYTES + b'"}}}'
    )
    response = client.post("/api/v1/users", content=body, headers={"Content-Type": JSONAPI})
    [error] = check_errors(response, 413)
    assert error["code"] == "body_too_large"


def test_a_body_of_exactly_64_kib_is_read(client: TestClient) -> None:
    prefix = b'{"data": {"type": "users", "attributes": {"address": "'
    suffix = b'"}}}'
    body = prefix + b"x" * (MAX_BODY_BYTES - len(prefix) - len(suffix)) + suffix
    assert len(body) == MAX_BODY_BYTES
    response = client.post("/api/v1/users", content=body, headers={"Content-Type": JSONAPI})
    assert response.status_code == 422


def _post_raw(headers: list[tuple[bytes, bytes]], chunk: bytes) -> tuple[int, int]:
    """POSTs straight to the ASGI app, the body streaming in `chunk`s for ever.

    Returns the response status and how many chunks the app read.
    """
    from adapters.memory import in_memory_uow_factory
    from entrypoints.http.app import create_app
    from tests.signed_in import security

    app = create_app(in_memory_uow_factory(), security=security()[0])  # type: ignore[arg-type]
    read: list[int] = []
    statuses: list[int] = []

    async def receive() -> dict[str, object]:
        read.append(1)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/users",
        "raw_path": b"/api/v1/users",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", JSONAPI.encode()), *headers],
        "server": ("test", 80),
        "client": ("test", 1),
    }
    anyio.run(app, scope, receive, send)
    return statuses[0], len(read)


def test_a_chunked_body_is_refused_once_it_passes_the_limit_without_reading_the_rest() -> None:
    status, chunks_read = _post_raw([(b"transfer-encoding", b"chunked")], b"x" * 16 * 1024)
    assert status == 413
    assert chunks_read == 5  # 80 KiB: the first chunk past 64 KiB


def test_a_declared_length_over_the_limit_is_refused_before_any_body_is_read() -> None:
    status, chunks_read = _post_raw([(b"content-length", b"10000000")], b"{}")
    assert status == 413
    assert chunks_read == 0
