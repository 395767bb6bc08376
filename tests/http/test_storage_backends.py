"""The main rules once more over each adapter: memory, SQLite and PostgreSQL."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from starlette.testclient import TestClient

from tests.http.documents import (
    JSONAPI,
    attributes,
    changes,
    check_document,
    check_errors,
    new_user,
)

HEADERS = {"Content-Type": JSONAPI}


def test_the_full_cycle(any_client: TestClient) -> None:
    created = any_client.post("/api/v1/users", json=new_user(), headers=HEADERS)
    assert created.status_code == 201
    user_id = check_document(created)["data"]["id"]
    path = f"/api/v1/users/{user_id}"
    assert created.headers["location"] == "http://testserver" + path
    etag = created.headers["etag"]
    read = any_client.get(path)
    assert check_document(read)["data"]["attributes"] == attributes()
    assert any_client.get(path, headers={"If-None-Match": etag}).status_code == 304
    changed = any_client.patch(
        path, json=changes(user_id, age=37), headers={**HEADERS, "If-Match": etag}
    )
    assert check_document(changed)["data"]["attributes"] == attributes(age=37)
    check_errors(
        any_client.patch(path, json=changes(user_id, age=38), headers={"If-Match": etag}), 412
    )
    check_errors(any_client.delete(path, headers={"If-Match": etag}), 412)
    assert any_client.delete(path, headers={"If-Match": changed.headers["etag"]}).status_code == 204
    check_errors(any_client.get(path), 404)
    check_errors(any_client.delete(path), 404)


def test_duplicates_and_validation(any_client: TestClient) -> None:
    assert any_client.post("/api/v1/users", json=new_user()).status_code == 201
    [error] = check_errors(
        any_client.post("/api/v1/users", json=new_user(name=" ADA lovelace")), 409
    )
    assert error["source"] == {"pointer": "/data/attributes/name"}
    errors = check_errors(any_client.post("/api/v1/users", json=new_user(age=True, name="")), 422)
    assert len(errors) == 2
    response = any_client.patch("/api/v1/users/1", json=changes(1, name="ADA LOVELACE"))
    assert response.status_code == 200


def test_listing_pages_sorts_and_filters(any_client: TestClient) -> None:
    for index, name in enumerate(["delta", "Alpha", "charlie", "Bravo", "echo"]):
        any_client.post("/api/v1/users", json=new_user(name=name, age=30 + index))
    first = check_document(any_client.get("/api/v1/users?sort=-name&page[size]=2"))
    assert [u["attributes"]["name"] for u in first["data"]] == ["echo", "delta"]
    assert first["meta"]["total"] == 5 and first["links"]["prev"] is None
    second = check_document(any_client.get(first["links"]["next"]))
    assert [u["attributes"]["name"] for u in second["data"]] == ["charlie", "Bravo"]
    back = check_document(any_client.get(second["links"]["prev"]))
    assert [u["attributes"]["name"] for u in back["data"]] == ["echo", "delta"]
    numbered = check_document(any_client.get("/api/v1/users?page[number]=3&page[size]=2"))
    assert [u["attributes"]["name"] for u in numbered["data"]] == ["echo"]
    assert dict(parse_qsl(urlsplit(numbered["links"]["last"]).query))["page[number]"] == "3"
    filtered = check_document(
        any_client.get("/api/v1/users?filter[search]=HA&filter[age][gte]=31&sort=age")
    )
    assert [u["attributes"]["name"] for u in filtered["data"]] == ["Alpha", "charlie"]
    assert filtered["meta"]["total"] == 2
    bad = any_client.get("/api/v1/users?page[after]=bm9wZQ")
    assert check_errors(bad, 400)[0]["source"] == {"parameter": "page[after]"}
