"""Create, read, update and delete users through the real app, and every document error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.http.documents import (
    JSONAPI,
    attributes,
    changes,
    check_document,
    check_errors,
    new_user,
)

Create = Callable[..., dict[str, Any]]
HEADERS = {"Content-Type": JSONAPI, "Accept": JSONAPI}


def post(client: TestClient, document: object, path: str = "/api/v1/users") -> Any:
    return client.post(path, json=document, headers=HEADERS)


def test_creating_a_user_answers_201_with_location_etag_and_the_resource(
    client: TestClient,
) -> None:
    response = post(client, new_user())
    assert response.status_code == 201
    document = check_document(response)
    data = document["data"]
    assert data == {
        "type": "users",
        "id": "1",
        "attributes": attributes(),
        "relationships": {
            "history": {"links": {"related": "http://testserver/api/v1/users/1/history"}}
        },
        "links": {"self": "http://testserver/api/v1/users/1"},
    }
    assert response.headers["location"] == "http://testserver/api/v1/users/1"
    assert response.headers["etag"] == '"1-1"'
    assert document["links"]["self"] == "http://testserver/api/v1/users/1"


def test_the_tutorial_urls_with_json_suffix_still_work(client: TestClient) -> None:
    response = post(client, new_user(), path="/api/v1/users.json")
    assert response.status_code == 201
    read = client.get("/api/v1/users/1.json")
    assert check_document(read)["data"]["attributes"]["name"] == "Ada Lovelace"
    listed = client.get("/api/v1/users.json")
    assert [user["id"] for user in check_document(listed)["data"]] == ["1"]
    gone = client.delete("/api/v1/users/1.json")
    assert gone.status_code == 204


def test_plain_application_json_bodies_are_accepted(client: TestClient) -> None:
    response = client.post("/api/v1/users", json=new_user())
    assert response.status_code == 201


def test_reading_a_user_returns_the_resource_with_its_etag(
    client: TestClient, create: Create
) -> None:
    create()
    response = client.get("/api/v1/users/1")
    assert response.status_code == 200
    assert response.headers["etag"] == '"1-1"'
    assert check_document(response)["data"]["attributes"] == attributes()


def test_a_sparse_fieldset_on_a_single_user(client: TestClient, create: Create) -> None:
    create()
    response = client.get("/api/v1/users/1", params={"fields[users]": "name,age"})
    assert check_document(response)["data"]["attributes"] == {"name": "Ada Lovelace", "age": 36}


@pytest.mark.parametrize("path", ["/api/v1/users/99", "/api/v1/users/abc", "/api/v1/users/1.5"])
@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_an_unknown_or_non_integer_id_is_a_404_document(
    client: TestClient, path: str, method: str
) -> None:
    response = client.request(method, path, json=changes(99, age=3), headers=HEADERS)
    [error] = check_errors(response, 404)
    assert error["code"] == "not_found"


def test_an_id_too_large_for_the_database_is_a_404(client: TestClient) -> None:
    check_errors(client.get("/api/v1/users/99999999999999999999999"), 404)


def test_patch_changes_only_the_given_attributes_and_returns_the_whole_user(
    client: TestClient, create: Create
) -> None:
    create()
    response = client.patch("/api/v1/users/1", json=changes(1, age=37), headers=HEADERS)
    assert response.status_code == 200
    assert response.headers["etag"] == '"1-2"'
    assert check_document(response)["data"]["attributes"] == attributes(age=37)


def test_patch_without_attributes_changes_nothing(client: TestClient, create: Create) -> None:
    create()
    document = {"data": {"type": "users", "id": "1"}}
    response = client.patch("/api/v1/users/1", json=document, headers=HEADERS)
    assert response.status_code == 200
    assert response.headers["etag"] == '"1-1"'


def test_renaming_a_user_to_its_own_name_in_another_case_is_allowed(
    client: TestClient, create: Create
) -> None:
    create()
    response = client.patch(
        "/api/v1/users/1", json=changes(1, name="ADA LOVELACE"), headers=HEADERS
    )
    assert check_document(response)["data"]["attributes"]["name"] == "ADA LOVELACE"


def test_delete_answers_204_without_a_body_and_the_user_is_gone(
    client: TestClient, create: Create
) -> None:
    create()
    response = client.delete("/api/v1/users/1")
    assert response.status_code == 204
    assert response.content == b""
    check_errors(client.get("/api/v1/users/1"), 404)


@pytest.mark.parametrize(
    ("document", "status", "code", "pointer"),
    [
        (
            {"data": {"type": "users", "id": "5", "attributes": attributes()}},
            403,
            "client_generated_id",
            "/data/id",
        ),
        ({"data": {"attributes": attributes()}}, 400, "invalid_document", "/data"),
        (
            {"data": {"type": "people", "attributes": attributes()}},
            409,
            "type_mismatch",
            "/data/type",
        ),
        ({"data": {"type": 7, "attributes": attributes()}}, 400, "invalid_document", "/data/type"),
        ({"data": {"type": "users", "id": 5}}, 400, "invalid_document", "/data/id"),
        (
            {"data": {"type": "users", "attributes": ["name"]}},
            400,
            "invalid_document",
            "/data/attributes",
        ),
        (
            {"data": {"type": "users", "attributes": None}},
            400,
            "invalid_document",
            "/data/attributes",
        ),
        ({"data": [new_user()["data"]]}, 400, "invalid_data", "/data"),
        ({"data": None}, 400, "invalid_data", "/data"),
        ({"meta": {}}, 400, "missing_data", ""),
    ],
)
def test_a_post_document_that_is_not_a_users_resource_is_refused(
    client: TestClient, document: object, status: int, code: str, pointer: str
) -> None:
    [error] = check_errors(post(client, document), status)
    assert (error["code"], error["source"]["pointer"]) == (code, pointer)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{", "malformed_json"),
        (b"", "malformed_json"),
        (b"[1, 2]", "not_an_object"),
        (b'"users"', "not_an_object"),
        (b'{"data": NaN}', "malformed_json"),
        (b"\xff\xfe{", "invalid_encoding"),
        (b"[" * 10_000 + b"]" * 10_000, "malformed_json"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_400(
    client: TestClient, body: bytes, code: str
) -> None:
    response = client.post("/api/v1/users", content=body, headers=HEADERS)
    [error] = check_errors(response, 400)
    assert error["code"] == code


def test_deeply_nested_json_is_a_400_not_a_crash(client: TestClient) -> None:
    body = b'{"data":' + b"[" * 30_000 + b"]" * 30_000 + b"}"
    check_errors(client.post("/api/v1/users", content=body, headers=HEADERS), 400)


@pytest.mark.parametrize(
    ("document", "status", "code", "pointer"),
    [
        (changes(2, age=3), 409, "id_mismatch", "/data/id"),
        (
            {"data": {"type": "people", "id": "1", "attributes": {}}},
            409,
            "type_mismatch",
            "/data/type",
        ),
        ({"data": {"type": "users", "attributes": {"age": 3}}}, 400, "invalid_document", "/data"),
        ({"data": {"id": "1", "attributes": {"age": 3}}}, 400, "invalid_document", "/data"),
        (
            {"data": {"type": "users", "id": "1", "attributes": "x"}},
            400,
            "invalid_document",
            "/data/attributes",
        ),
    ],
)
def test_a_patch_document_that_does_not_match_the_url_is_refused(
    client: TestClient, create: Create, document: object, status: int, code: str, pointer: str
) -> None:
    create()
    response = client.patch("/api/v1/users/1", json=document, headers=HEADERS)
    [error] = check_errors(response, status)
    assert (error["code"], error["source"]["pointer"]) == (code, pointer)
    assert client.get("/api/v1/users/1").headers["etag"] == '"1-1"'


def test_every_failing_field_is_reported_at_once(client: TestClient) -> None:
    document = new_user(name="  ", age=True, website="ftp://x", address=..., colour="red")
    errors = check_errors(post(client, document), 422)
    found = {(e["meta"]["attribute"], e["code"], e["source"]["pointer"]) for e in errors}
    assert found == {
        ("name", "blank", "/data/attributes/name"),
        ("age", "not_an_integer", "/data/attributes/age"),
        ("website", "unsupported_scheme", "/data/attributes/website"),
        ("address", "missing", "/data/attributes"),
        ("colour", "unknown_attribute", "/data/attributes/colour"),
    }
    missing = next(e for e in errors if e["code"] == "missing")
    assert "address" in missing["detail"]


def test_a_post_without_attributes_reports_every_attribute_missing(client: TestClient) -> None:
    errors = check_errors(post(client, {"data": {"type": "users"}}), 422)
    assert sorted(e["meta"]["attribute"] for e in errors) == sorted(attributes())
    assert {e["source"]["pointer"] for e in errors} == {"/data/attributes"}


@pytest.mark.parametrize("age", ["36", 36.0, None, [36], {"years": 36}, False])
def test_an_age_that_is_not_a_whole_number_is_not_coerced(client: TestClient, age: object) -> None:
    [error] = check_errors(post(client, new_user(age=age)), 422)
    assert error["source"]["pointer"] == "/data/attributes/age"


def test_a_pointer_escapes_slashes_and_tildes_in_attribute_names(client: TestClient) -> None:
    errors = check_errors(post(client, new_user(**{"a/b~c": 1})), 422)
    assert errors[0]["source"]["pointer"] == "/data/attributes/a~1b~0c"


def test_a_patch_with_invalid_values_changes_nothing(client: TestClient, create: Create) -> None:
    create()
    response = client.patch("/api/v1/users/1", json=changes(1, age=-1, name=""), headers=HEADERS)
    assert len(check_errors(response, 422)) == 2
    assert check_document(client.get("/api/v1/users/1"))["data"]["attributes"] == attributes()


def test_a_duplicate_name_differing_only_in_case_and_spaces_is_a_409(
    client: TestClient, create: Create
) -> None:
    create()
    [error] = check_errors(post(client, new_user(name="  ada LOVELACE ")), 409)
    assert error["code"] == "name_taken"
    assert error["source"] == {"pointer": "/data/attributes/name"}


def test_renaming_onto_another_users_name_is_a_409(client: TestClient, create: Create) -> None:
    create()
    create(name="Grace Hopper")
    response = client.patch(
        "/api/v1/users/2", json=changes(2, name="ada lovelace"), headers=HEADERS
    )
    [error] = check_errors(response, 409)
    assert error["code"] == "name_taken"


def test_validation_comes_before_uniqueness(client: TestClient, create: Create) -> None:
    create()
    errors = check_errors(post(client, new_user(age=-5)), 422)
    assert [e["meta"]["attribute"] for e in errors] == ["age"]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/api/v1/users/1", "DELETE, GET, HEAD, PATCH"),
        ("DELETE", "/api/v1/users", "GET, HEAD, POST"),
        ("PATCH", "/api/v1/users.json", "GET, HEAD, POST"),
        ("POST", "/healthz", "GET, HEAD"),
        ("POST", "/api/v1/users/1/history", "GET, HEAD"),
        ("GET", "/api/v1/users/1/restore", "POST"),
        ("POST", "/api/v1/deleted-users", "GET, HEAD"),
    ],
)
def test_a_method_the_path_does_not_allow_is_a_405_with_allow(
    client: TestClient, method: str, path: str, allowed: str
) -> None:
    response = client.request(method, path, json={}, headers=HEADERS)
    [error] = check_errors(response, 405)
    assert error["code"] == "method_not_allowed"
    assert response.headers["allow"] == allowed


def test_an_unknown_path_is_a_404_document(client: TestClient) -> None:
    [error] = check_errors(client.get("/api/v2/people"), 404)
    assert error["code"] == "not_found"
