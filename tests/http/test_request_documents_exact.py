"""Request documents the service refuses (entrypoints/http/jsonapi.py), each answer pinned
whole: status, code, title, detail and pointer."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.http.documents import new_user

HEADERS = {"Content-Type": "application/vnd.api+json"}
NOT_UTF8 = "the request body must be JSON encoded as UTF-8, without a byte-order mark (RFC 8259)"
LONG = "n" * 70


def _refusal(status: int, code: str, detail: str, pointer: str, self_link: str) -> dict[str, Any]:
    titles = {
        400: "Invalid request document",
        403: "Client-generated id not allowed",
        409: "Conflict with this endpoint",
    }
    return {
        "jsonapi": {"version": "1.1"},
        "links": {"self": self_link},
        "errors": [
            {
                "status": str(status),
                "code": code,
                "title": titles[status],
                "detail": detail,
                "source": {"pointer": pointer},
            }
        ],
    }


@pytest.mark.parametrize(
    ("body", "status", "code", "detail", "pointer"),
    [
        (b'\xef\xbb\xbf{"data": {"type": "users"}}', 400, "invalid_encoding", NOT_UTF8, ""),
        ('{"data": {"type": "users"}}'.encode("utf-16-le"), 400, "invalid_encoding", NOT_UTF8, ""),
        (b'{"data": NaN}', 400, "malformed_json", "the request body is not valid JSON", ""),
        (
            b'{"data": {"type": "users"}, "meta": {"a": 1, "b": 2, "b": 3}}',
            400,
            "duplicate_member",
            "the member 'b' appears twice in one object; each member name must be given once",
            "",
        ),
        (
            b'{"data": {"type": "users", "%s": 1, "%s": 2}}' % (LONG.encode(), LONG.encode()),
            400,
            "duplicate_member",
            f"the member {LONG[:64]!r} appears twice in one object; "
            "each member name must be given once",
            "",
        ),
        (b"[1]", 400, "not_an_object", "the request body must be a JSON object", ""),
        (b'{"meta": {}}', 400, "missing_data", "the document must have a data member", ""),
        (b'{"data": 1}', 400, "invalid_data", "data must be a resource object", "/data"),
        (b'{"data": {"type": 1}}', 400, "invalid_document", "type must be a string", "/data/type"),
        (
            b'{"data": {"type": "users", "attributes": "x"}}',
            400,
            "invalid_document",
            "attributes must be an object",
            "/data/attributes",
        ),
        (
            b'{"data": {}}',
            400,
            "invalid_document",
            "the resource object must have a 'type' member",
            "/data",
        ),
        (
            b'{"data": {"type": "users", "id": "1"}}',
            403,
            "client_generated_id",
            "this service assigns ids; omit data.id",
            "/data/id",
        ),
        (
            b'{"data": {"type": "people"}}',
            409,
            "type_mismatch",
            "this endpoint takes resources of type 'users'",
            "/data/type",
        ),
    ],
    ids=[
        "byte-order-mark",
        "utf-16",
        "nan",
        "repeated-member",
        "repeated-long-member",
        "not-an-object",
        "no-data",
        "data-not-an-object",
        "type-not-a-string",
        "attributes-not-an-object",
        "no-type",
        "client-id",
        "other-type",
    ],
)
def test_a_refused_post_document(
    client: TestClient, body: bytes, status: int, code: str, detail: str, pointer: str
) -> None:
    response = client.post("/api/v1/users", content=body, headers=HEADERS)
    assert response.status_code == status
    assert response.json() == _refusal(
        status, code, detail, pointer, "http://testserver/api/v1/users"
    )


@pytest.mark.parametrize(
    ("body", "status", "code", "detail", "pointer"),
    [
        (
            b'{"data": {"type": "users", "attributes": {"age": 40}}}',
            400,
            "invalid_document",
            "the resource object must have an 'id' member",
            "/data",
        ),
        (
            b'{"data": {"type": "users", "id": "2", "attributes": {"age": 40}}}',
            409,
            "id_mismatch",
            "data.id must be '1', the id in the URL",
            "/data/id",
        ),
    ],
    ids=["no-id", "other-id"],
)
def test_a_refused_patch_document(
    client: TestClient, body: bytes, status: int, code: str, detail: str, pointer: str
) -> None:
    assert client.post("/api/v1/users", json=new_user(), headers=HEADERS).status_code == 201
    response = client.patch("/api/v1/users/1", content=body, headers=HEADERS)
    assert response.status_code == status
    assert response.json() == _refusal(
        status, code, detail, pointer, "http://testserver/api/v1/users/1"
    )
