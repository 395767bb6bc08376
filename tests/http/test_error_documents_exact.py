"""The error catalogue on the wire, pinned whole: every error document's members (status, code,
title, detail, source, meta, links), its self link and the headers that come with it."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from entrypoints.http.errors import RequestError, describe_unexpected, exception_handlers
from tests.http.documents import new_user

HEADERS = {"Content-Type": "application/vnd.api+json"}


def _document(self_link: str, *errors: dict[str, Any]) -> dict[str, Any]:
    return {"jsonapi": {"version": "1.1"}, "links": {"self": self_link}, "errors": list(errors)}


def _created(client: TestClient) -> None:
    response = client.post("/api/v1/users", json=new_user(), headers=HEADERS)
    assert response.status_code == 201, response.text


def test_an_unknown_user_is_a_404_naming_its_id(client: TestClient) -> None:
    response = client.get("/api/v1/users/9")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/vnd.api+json"
    assert "retry-after" not in response.headers
    assert response.json() == _document(
        "http://testserver/api/v1/users/9",
        {
            "status": "404",
            "code": "not_found",
            "title": "Not found",
            "detail": "user 9 does not exist",
        },
    )


def test_a_taken_name_is_a_409_pointing_at_the_name(client: TestClient) -> None:
    _created(client)
    response = client.post("/api/v1/users", json=new_user(), headers=HEADERS)
    assert response.status_code == 409
    assert response.json() == _document(
        "http://testserver/api/v1/users",
        {
            "status": "409",
            "code": "name_taken",
            "title": "Name already taken",
            "detail": "a user with this name already exists",
            "source": {"pointer": "/data/attributes/name"},
        },
    )


def test_a_stale_if_match_is_a_412_naming_the_header(client: TestClient) -> None:
    _created(client)
    response = client.patch(
        "/api/v1/users/1",
        json={"data": {"type": "users", "id": "1", "attributes": {"age": 40}}},
        headers={**HEADERS, "If-Match": '"1-9"'},
    )
    assert response.status_code == 412
    assert response.json() == _document(
        "http://testserver/api/v1/users/1",
        {
            "status": "412",
            "code": "stale_version",
            "title": "Precondition failed",
            "detail": "the user has changed since the ETag in If-Match was issued; fetch it again",
            "source": {"header": "If-Match"},
        },
    )


def _invalid(code: str, detail: str, attribute: str, pointer: str) -> dict[str, Any]:
    return {
        "status": "422",
        "code": code,
        "title": "Invalid attribute",
        "detail": detail,
        "meta": {"attribute": attribute},
        "source": {"pointer": pointer},
    }


def test_invalid_attributes_are_a_422_with_one_error_per_field(client: TestClient) -> None:
    document = new_user(age=-1, address=..., **{"a/b~c": 1})
    response = client.post("/api/v1/users", json=document, headers=HEADERS)
    assert response.status_code == 422
    assert response.json() == _document(
        "http://testserver/api/v1/users",
        _invalid(
            "out_of_range", "age must be between 0 and 150, got -1", "age", "/data/attributes/age"
        ),
        _invalid(
            "unknown_attribute",
            "users have no attribute 'a/b~c'",
            "a/b~c",
            "/data/attributes/a~1b~0c",
        ),
        # A pointer names something present in the document: the attributes object.
        _invalid("missing", "address is required", "address", "/data/attributes"),
    )


def test_a_subclass_of_a_catalogued_error_answers_as_its_parent(client: TestClient) -> None:
    # AccountValidationError is a UserValidationError: the catalogue's 422.
    response = client.post(
        "/api/v1/tokens",
        json={"data": {"type": "tokens", "attributes": {"label": "  "}}},
        headers=HEADERS,
    )
    assert response.status_code == 422
    assert response.json() == _document(
        "http://testserver/api/v1/tokens",
        _invalid("blank", "label must not be blank", "label", "/data/attributes/label"),
    )


@pytest.mark.parametrize(
    ("query", "self_query", "parameter", "detail"),
    [
        # refused by the query parser (a RequestError)
        (
            "page[size]=0",
            "page%5Bsize%5D=0",
            "page[size]",
            "page[size] must be a positive whole number, got '0'",
        ),
        # refused by the domain (InvalidQueryError)
        ("sort=colour", "sort=colour", "sort", "cannot sort by 'colour'"),
        # cursors this service did not issue (InvalidCursorError)
        (
            "page[after]=zzz",
            "page%5Bafter%5D=zzz",
            "page[after]",
            "the cursor is not one this service issued",
        ),
        (
            "page[before]=zzz",
            "page%5Bbefore%5D=zzz",
            "page[before]",
            "the cursor is not one this service issued",
        ),
    ],
)
def test_a_bad_query_parameter_is_a_400_naming_it(
    client: TestClient, query: str, self_query: str, parameter: str, detail: str
) -> None:
    response = client.get(f"/api/v1/users?{query}")
    assert response.status_code == 400
    assert response.json() == _document(
        f"http://testserver/api/v1/users?{self_query}",
        {
            "status": "400",
            "code": "invalid_parameter",
            "title": "Invalid query parameter",
            "detail": detail,
            "source": {"parameter": parameter},
        },
    )


def test_an_unknown_path_is_a_404_naming_the_path(client: TestClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.json() == _document(
        "http://testserver/nowhere",
        {
            "status": "404",
            "code": "not_found",
            "title": "Not Found",
            "detail": "nothing is served at /nowhere",
        },
    )


def test_a_404_names_at_most_200_characters_of_the_path(client: TestClient) -> None:
    exactly = "/" + "a" * 199
    [error] = client.get(exactly).json()["errors"]
    assert error["detail"] == "nothing is served at " + exactly
    longer = "/" + "b" * 200
    [error] = client.get(longer).json()["errors"]
    assert error["detail"] == "nothing is served at /" + "b" * 199 + "..."


def test_a_method_not_allowed_is_a_405_listing_the_allowed_ones(client: TestClient) -> None:
    response = client.put("/api/v1/users/9")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, HEAD, PATCH"
    assert response.json() == _document(
        "http://testserver/api/v1/users/9",
        {
            "status": "405",
            "code": "method_not_allowed",
            "title": "Method Not Allowed",
            "detail": "PUT is not allowed here; allowed: DELETE, GET, HEAD, PATCH",
        },
    )


def test_document_errors_carry_the_title_of_their_status(client: TestClient) -> None:
    cases: list[tuple[bytes, dict[str, Any]]] = [
        (
            b'{"data": 1}',
            {
                "status": "400",
                "code": "invalid_data",
                "title": "Invalid request document",
                "detail": "data must be a resource object",
                "source": {"pointer": "/data"},
            },
        ),
        (
            b'{"data": {"type": "users", "id": "1"}}',
            {
                "status": "403",
                "code": "client_generated_id",
                "title": "Client-generated id not allowed",
                "detail": "this service assigns ids; omit data.id",
                "source": {"pointer": "/data/id"},
            },
        ),
        (
            b'{"data": {"type": "people"}}',
            {
                "status": "409",
                "code": "type_mismatch",
                "title": "Conflict with this endpoint",
                "detail": "this endpoint takes resources of type 'users'",
                "source": {"pointer": "/data/type"},
            },
        ),
    ]
    for body, error in cases:
        response = client.post("/api/v1/users", content=body, headers=HEADERS)
        assert response.status_code == int(error["status"])
        assert response.json() == _document("http://testserver/api/v1/users", error)


def test_a_body_in_another_media_type_is_a_415_naming_the_header(client: TestClient) -> None:
    response = client.post("/api/v1/users", content=b"{}", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert response.json() == _document(
        "http://testserver/api/v1/users",
        {
            "status": "415",
            "code": "unsupported_media_type",
            "title": "Unsupported media type",
            "detail": "send the body as application/vnd.api+json (no ext or other parameters than "
            "profile) or application/json",
            "source": {"header": "Content-Type"},
        },
    )


def test_an_accept_with_only_extended_json_api_is_a_406_naming_the_header(
    client: TestClient,
) -> None:
    response = client.get("/api/v1/users", headers={"Accept": "application/vnd.api+json; ext=x"})
    assert response.status_code == 406
    assert response.json() == _document(
        "http://testserver/api/v1/users",
        {
            "status": "406",
            "code": "not_acceptable",
            "title": "Not acceptable",
            "detail": "application/vnd.api+json is served without extensions or parameters "
            "other than profile; accept it without them",
            "source": {"header": "Accept"},
        },
    )


def _raising(exc: Exception) -> TestClient:
    """An app that raises `exc` on GET /boom, answered by the catalogue's handlers."""

    async def boom(request: Request) -> Response:
        raise exc

    app = Starlette(routes=[Route("/boom", boom)], exception_handlers=exception_handlers())
    return TestClient(app, raise_server_exceptions=False)


def test_another_http_error_gets_its_phrase_as_title_detail_and_snake_case_code() -> None:
    for status, code, phrase in (
        (400, "bad_request", "Bad Request"),
        (203, "non_authoritative_information", "Non-Authoritative Information"),
    ):
        with _raising(HTTPException(status)) as client:
            response = client.get("/boom")
        assert response.status_code == status
        assert response.json() == _document(
            "http://testserver/boom",
            {"status": str(status), "code": code, "title": phrase, "detail": phrase},
        )


def test_a_405_raised_without_allow_answers_an_empty_allow() -> None:
    with _raising(HTTPException(405)) as client:
        response = client.get("/boom")
    assert response.status_code == 405
    assert response.headers["allow"] == ""
    assert response.json()["errors"] == [
        {
            "status": "405",
            "code": "method_not_allowed",
            "title": "Method Not Allowed",
            "detail": "GET is not allowed here; allowed: ",
        }
    ]


def test_a_request_error_keeps_its_pointer_and_its_headers() -> None:
    error = RequestError(
        400, "some_code", "Some title", "some detail", pointer="/data", headers={"X-Extra": "1"}
    )
    with _raising(error) as client:
        response = client.get("/boom")
    assert response.status_code == 400
    assert response.headers["x-extra"] == "1"
    assert response.json() == _document(
        "http://testserver/boom",
        {
            "status": "400",
            "code": "some_code",
            "title": "Some title",
            "detail": "some detail",
            "source": {"pointer": "/data"},
        },
    )


def _recurse(depth: int) -> None:
    if depth == 0:
        raise ValueError("two\nlines")
    _recurse(depth - 1)


def _raised(depth: int) -> ValueError:
    try:
        _recurse(depth)
    except ValueError as error:
        return error
    raise AssertionError("_recurse did not raise")


RAISE_LINE = _recurse.__code__.co_firstlineno + 2
CALL_LINE = _recurse.__code__.co_firstlineno + 3
TRY_LINE = _raised.__code__.co_firstlineno + 2


def test_an_unexpected_error_is_described_by_its_innermost_eight_frames() -> None:
    raised = f"test_error_documents_exact.py:{RAISE_LINE} _recurse"
    called = f"test_error_documents_exact.py:{CALL_LINE} _recurse"
    assert describe_unexpected(_raised(0)) == (
        f"ValueError: two\\nlines [at {raised} < test_error_documents_exact.py:{TRY_LINE} _raised]"
    )
    assert describe_unexpected(_raised(10)) == (
        f"ValueError: two\\nlines [at {raised}" + f" < {called}" * 7 + "]"
    )


def test_an_unexpected_error_message_is_cut_at_200_characters() -> None:
    assert describe_unexpected(ValueError("é" * 200)) == "ValueError: " + "\\xe9" * 200 + " [at ]"
    assert describe_unexpected(ValueError("x" * 201)) == "ValueError: " + "x" * 200 + "... [at ]"
