"""Strong ETags from the version, 304 on If-None-Match, 412 on a stale If-Match."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.http.documents import JSONAPI, attributes, changes, check_document, check_errors

Create = Callable[..., dict[str, Any]]


@pytest.fixture
def user(create: Create) -> dict[str, Any]:
    return create()


@pytest.mark.parametrize("header", ['"1-1"', 'W/"1-1"', '"9-9", "1-1"', "*"])
def test_a_matching_if_none_match_is_a_304_without_a_body(
    client: TestClient, user: object, header: str
) -> None:
    response = client.get("/api/v1/users/1", headers={"If-None-Match": header})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == '"1-1"'


@pytest.mark.parametrize("header", ['"1-2"', '"2-1"', '"1-1', "garbage"])
def test_a_stale_if_none_match_gets_the_user(client: TestClient, user: object, header: str) -> None:
    response = client.get("/api/v1/users/1", headers={"If-None-Match": header})
    assert response.status_code == 200
    check_document(response)


def test_the_etag_changes_with_every_change(client: TestClient, user: object) -> None:
    patched = client.patch("/api/v1/users/1", json=changes(1, age=40))
    assert patched.headers["etag"] == '"1-2"'
    response = client.get("/api/v1/users/1", headers={"If-None-Match": '"1-1"'})
    assert response.status_code == 200


@pytest.mark.parametrize("header", ['"1-1"', "*", '"1-0", "1-1"', '"7-7", "1-1"'])
def test_a_patch_with_a_matching_if_match_changes_the_user(
    client: TestClient, user: object, header: str
) -> None:
    response = client.patch(
        "/api/v1/users/1", json=changes(1, age=40), headers={"If-Match": header}
    )
    assert response.status_code == 200
    assert response.headers["etag"] == '"1-2"'


@pytest.mark.parametrize("header", ['"1-2"', 'W/"1-1"', '"2-1"', "garbage", '"1-x"'])
def test_a_patch_with_a_stale_if_match_is_a_412_and_changes_nothing(
    client: TestClient, user: object, header: str
) -> None:
    response = client.patch(
        "/api/v1/users/1",
        json=changes(1, age=40),
        headers={"If-Match": header, "Content-Type": JSONAPI},
    )
    [error] = check_errors(response, 412)
    assert error["code"] == "stale_version"
    assert error["source"] == {"header": "If-Match"}
    assert check_document(client.get("/api/v1/users/1"))["data"]["attributes"] == attributes()


def test_an_empty_patch_with_a_stale_if_match_is_still_a_412(
    client: TestClient, user: object
) -> None:
    response = client.patch(
        "/api/v1/users/1",
        json={"data": {"type": "users", "id": "1"}},
        headers={"If-Match": '"1-5"'},
    )
    check_errors(response, 412)


def test_a_delete_with_a_stale_if_match_is_a_412_and_the_user_stays(
    client: TestClient, user: object
) -> None:
    client.patch("/api/v1/users/1", json=changes(1, age=40))
    check_errors(client.delete("/api/v1/users/1", headers={"If-Match": '"1-1"'}), 412)
    assert client.get("/api/v1/users/1").status_code == 200
    assert client.delete("/api/v1/users/1", headers={"If-Match": '"1-2"'}).status_code == 204


def test_if_match_on_a_missing_user_is_a_404(client: TestClient) -> None:
    check_errors(client.delete("/api/v1/users/5", headers={"If-Match": '"5-1"'}), 404)
    check_errors(client.delete("/api/v1/users/5", headers={"If-Match": "*"}), 404)
