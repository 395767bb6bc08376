"""A user's history, restore and the deleted users through the real app, on every database."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any, cast

import pytest
from starlette.testclient import TestClient

from adapters.memory import in_memory_uow_factory
from domain.errors import StorageUnavailableError
from entrypoints.http.app import create_app
from entrypoints.http.resources import UnitOfWorkFactory
from tests.http.conftest import TEST_HOST
from tests.http.documents import JSONAPI, check_document, new_user
from tests.signed_in import security
from tests.support.bounded import follow

BASE = f"http://{TEST_HOST}"


def create(client: TestClient, name: str, **attributes: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/users", json=new_user(name=name, **attributes), headers={"Content-Type": JSONAPI}
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def patch(client: TestClient, user_id: str, **attributes: Any) -> Any:
    body = {"data": {"type": "users", "id": user_id, "attributes": attributes}}
    return client.patch(f"/api/v1/users/{user_id}", json=body, headers={"Content-Type": JSONAPI})


def history(client: TestClient, user_id: str, query: str = "") -> dict[str, Any]:
    response = client.get(f"/api/v1/users/{user_id}/history{query}")
    assert response.status_code == 200, response.text
    return check_document(response)


def test_every_write_is_in_the_history_newest_first_and_a_delete_can_be_undone(
    any_client: TestClient,
) -> None:
    user = create(any_client, "Ada Lovelace", age=36)
    related = user["relationships"]["history"]["links"]["related"]
    assert related == f"{BASE}/api/v1/users/{user['id']}/history"
    assert patch(any_client, user["id"], age=37, name="Ada King").status_code == 200
    assert any_client.delete(f"/api/v1/users/{user['id']}").status_code == 204
    assert any_client.get(f"/api/v1/users/{user['id']}").status_code == 404
    assert check_document(any_client.get("/api/v1/users"))["meta"]["total"] == 0

    deleted = check_document(any_client.get("/api/v1/deleted-users"))["data"]
    assert [(d["type"], d["id"], d["attributes"]["name"]) for d in deleted] == [
        ("deleted-users", user["id"], "Ada King")
    ]
    restore = deleted[0]["meta"]["restore"]
    assert restore == f"{BASE}/api/v1/users/{user['id']}/restore"
    restored = any_client.post(restore)
    assert restored.status_code == 200, restored.text
    assert restored.headers["etag"] == f'"{user["id"]}-3"'
    assert check_document(restored)["data"]["attributes"]["name"] == "Ada King"
    assert any_client.get(f"/api/v1/users/{user['id']}").status_code == 200
    assert check_document(any_client.get("/api/v1/deleted-users"))["data"] == []

    changes = history(any_client, user["id"])["data"]
    assert [c["attributes"]["action"] for c in changes] == [
        "restored",
        "deleted",
        "changed",
        "created",
    ]
    assert [c["attributes"]["version"] for c in changes] == [3, 2, 2, 1]
    assert changes[2]["attributes"]["changed"] == {
        "name": {"before": "Ada Lovelace", "after": "Ada King"},
        "age": {"before": 36, "after": 37},
    }
    assert changes[3]["attributes"]["changed"]["age"] == {"before": None, "after": 36}
    assert {c["attributes"]["actor"] for c in changes} == {"tester"}
    assert all(c["attributes"]["token"] is not None for c in changes)
    assert all(c["attributes"]["at"].endswith("Z") for c in changes)


def test_history_pages_by_cursor_both_ways(any_client: TestClient) -> None:
    user = create(any_client, "Paged", age=0)
    for age in range(1, 5):
        assert patch(any_client, user["id"], age=age).status_code == 200
    first = history(any_client, user["id"], "?page[size]=2")
    assert first["links"]["prev"] is None

    def step(page: dict[str, Any]) -> dict[str, Any] | None:
        link = page["links"]["next"]
        return None if link is None else check_document(any_client.get(link))

    pages = follow(first, step, at_most=5)
    versions = [[c["attributes"]["version"] for c in page["data"]] for page in pages]
    assert versions == [[5, 4], [3, 2], [1]]
    back = check_document(any_client.get(pages[-1]["links"]["prev"]))
    assert [c["attributes"]["version"] for c in back["data"]] == [3, 2]
    assert back["links"]["prev"] and back["links"]["next"]


def test_a_restore_whose_name_was_taken_meanwhile_is_a_409_with_the_pointer(
    any_client: TestClient,
) -> None:
    user = create(any_client, "Grace")
    assert any_client.delete(f"/api/v1/users/{user['id']}").status_code == 204
    create(any_client, "GRACE")
    response = any_client.post(f"/api/v1/users/{user['id']}/restore")
    assert response.status_code == 409
    (error,) = check_document(response)["errors"]
    assert error["source"] == {"pointer": "/data/attributes/name"}
    deleted = check_document(any_client.get("/api/v1/deleted-users"))["data"]
    assert [d["id"] for d in deleted] == [user["id"]]  # still restorable


@pytest.mark.parametrize("user_id", ["3000000000", "9223372036854775808", "9999999999999999999"])
def test_ids_past_the_stored_range_have_no_history_on_any_database(
    any_client: TestClient, user_id: str
) -> None:
    for response in (
        any_client.get(f"/api/v1/users/{user_id}/history"),
        any_client.post(f"/api/v1/users/{user_id}/restore"),
    ):
        assert response.status_code == 404, response.text
        check_document(response)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/users/5/history",
        "/api/v1/users/5/restore",
        "/api/v1/users/99999999999999999999/history",
        "/api/v1/users/9223372036854775808/restore",
    ],
)
def test_unknown_users_have_no_history_and_nothing_to_restore(
    client: TestClient, path: str
) -> None:
    response = client.post(path) if path.endswith("restore") else client.get(path)
    assert response.status_code == 404
    check_document(response)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("?page[size]=0", "page[size]"),
        ("?page[size]=101", "page[size]"),
        ("?page[after]=x", "page[after]"),
        ("?page[before]=-1", "page[before]"),
        ("?page[after]=1&page[before]=2", "page[before]"),
        ("?page[number]=1", "page[number]"),
        ("?sort=id", "sort"),
    ],
)
def test_bad_paging_of_a_history_is_a_400_naming_the_parameter(
    client: TestClient, query: str, parameter: str
) -> None:
    user = create(client, "Ada")
    response = client.get(f"/api/v1/users/{user['id']}/history{query}")
    assert response.status_code == 400
    (error,) = check_document(response)["errors"]
    assert error["source"] == {"parameter": parameter}


def test_viewers_read_history_without_who_and_cannot_restore() -> None:
    factory = cast(UnitOfWorkFactory, in_memory_uow_factory())
    admin, admin_headers = security()
    viewer, viewer_headers = security(role="viewer", name="vera")
    options: dict[str, Any] = {"allowed_hosts": [TEST_HOST]}
    editing = TestClient(create_app(factory, security=admin, **options), headers=admin_headers)
    viewing = TestClient(create_app(factory, security=viewer, **options), headers=viewer_headers)
    user = create(editing, "Ada")
    assert editing.delete(f"/api/v1/users/{user['id']}").status_code == 204
    (deleted, created) = history(viewing, user["id"])["data"]
    assert "actor" not in created["attributes"] and "token" not in deleted["attributes"]
    assert viewing.post(f"/api/v1/users/{user['id']}/restore").status_code == 403
    assert viewing.get("/api/v1/deleted-users").status_code == 403
    assert editing.get("/api/v1/deleted-users").status_code == 200


def test_the_service_purges_users_past_the_retention_period_at_start() -> None:
    factory = cast(UnitOfWorkFactory, in_memory_uow_factory())
    signed_in, headers = security()
    options: dict[str, Any] = {"allowed_hosts": [TEST_HOST], "security": signed_in}
    with TestClient(create_app(factory, **options), headers=headers) as client:
        user = create(client, "Purged")
        assert client.delete(f"/api/v1/users/{user['id']}").status_code == 204
    with TestClient(create_app(factory, **options), headers=headers) as client:
        assert len(check_document(client.get("/api/v1/deleted-users"))["data"]) == 1
    app = create_app(factory, retention=timedelta(0), **options)
    with TestClient(app, headers=headers) as client:
        assert check_document(client.get("/api/v1/deleted-users"))["data"] == []
        assert client.post(f"/api/v1/users/{user['id']}/restore").status_code == 404
        changes = history(client, user["id"])["data"]
        assert [c["attributes"]["action"] for c in changes] == ["deleted", "created"]
        assert [c["attributes"]["changed"] for c in changes] == [None, None]
        assert {c["attributes"]["actor"] for c in changes} == {"tester"}


def test_a_purge_that_fails_is_logged_and_the_service_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def unavailable() -> Any:
        raise StorageUnavailableError("the database is not available")

    signed_in, headers = security()
    app = create_app(cast(UnitOfWorkFactory, unavailable), security=signed_in)
    logged = "purging deleted users failed: the database is not available"
    with caplog.at_level(logging.WARNING), TestClient(app, headers=headers) as client:
        assert client.get("/healthz").status_code == 200
        # The purge runs beside the requests, on a worker thread: wait for it (bounded), as
        # a loaded machine may not have run it yet.
        deadline = time.monotonic() + 10
        while logged not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.01)
    assert logged in caplog.text
