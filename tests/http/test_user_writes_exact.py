"""What a create and a change answer, exactly: the sparse fieldsets they honour, absolute
links, and the largest id a user can be stored under."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest
from starlette.testclient import TestClient

from adapters.memory import InMemoryStore, in_memory_uow_factory
from entrypoints.http.app import create_app
from entrypoints.http.resources import UnitOfWorkFactory
from tests.http.conftest import TEST_HOST
from tests.http.documents import attributes
from tests.signed_in import security

JSONAPI = "application/vnd.api+json"
#: The user these tests create; the values they check are spelled out here.
ADA = attributes(name="Ada", age=36, profession="mathematician")
USER_1 = "http://testserver/api/v1/users/1"


def _post(client: TestClient, query: str = "") -> Any:
    body = {"data": {"type": "users", "attributes": ADA}}
    return client.post(f"/api/v1/users{query}", json=body, headers={"Content-Type": JSONAPI})


def _patch(client: TestClient, user_id: str, query: str = "", **attributes: Any) -> Any:
    body = {"data": {"type": "users", "id": user_id, "attributes": attributes}}
    return client.patch(
        f"/api/v1/users/{user_id}{query}", json=body, headers={"Content-Type": JSONAPI}
    )


def _sparse_user_1(attributes: dict[str, Any]) -> dict[str, Any]:
    """User 1's document with these attributes only (no relationships: not asked for)."""
    return {
        "jsonapi": {"version": "1.1"},
        "links": {"self": USER_1},
        "data": {"type": "users", "id": "1", "attributes": attributes, "links": {"self": USER_1}},
    }


def test_a_create_answers_only_the_fields_asked_for(client: TestClient) -> None:
    response = _post(client, "?fields[users]=name,age")
    assert response.status_code == 201, response.text
    assert response.headers["etag"] == '"1-1"'
    assert response.headers["location"] == USER_1
    assert response.json() == _sparse_user_1({"name": "Ada", "age": 36})


def test_a_change_answers_only_the_fields_asked_for(client: TestClient) -> None:
    assert _post(client).status_code == 201
    response = _patch(client, "1", "?fields[users]=age", age=37)
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"1-2"'
    assert response.json() == _sparse_user_1({"age": 37})


def test_a_change_answers_the_whole_user_with_absolute_links(client: TestClient) -> None:
    assert _post(client).status_code == 201
    response = _patch(client, "1", profession="analyst")
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"1-2"'
    assert response.json() == {
        "jsonapi": {"version": "1.1"},
        "links": {"self": USER_1},
        "data": {
            "type": "users",
            "id": "1",
            "attributes": {**ADA, "profession": "analyst"},
            "links": {"self": USER_1},
            "relationships": {"history": {"links": {"related": f"{USER_1}/history"}}},
        },
    }


@pytest.fixture
def client_near_the_last_id() -> Iterator[TestClient]:
    """The app over a store whose next user gets the largest 64-bit id, 2**63 - 1."""
    store = InMemoryStore()
    store.last_id = 9223372036854775806
    factory = cast(UnitOfWorkFactory, in_memory_uow_factory(store))
    signed_in, headers = security()
    app = create_app(factory, security=signed_in, allowed_hosts=[TEST_HOST])
    with TestClient(app, raise_server_exceptions=False, headers=headers) as client:
        yield client


def test_the_largest_64_bit_id_names_a_user(client_near_the_last_id: TestClient) -> None:
    client = client_near_the_last_id
    created = _post(client)
    assert created.status_code == 201, created.text
    user_id = created.json()["data"]["id"]
    assert user_id == "9223372036854775807"
    shown = client.get(f"/api/v1/users/{user_id}")
    assert shown.status_code == 200, shown.text
    assert shown.json()["data"]["attributes"] == ADA
    changed = _patch(client, user_id, age=37)
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"9223372036854775807-2"'
    assert client.get("/api/v1/users/9223372036854775808").status_code == 404
