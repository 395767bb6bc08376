"""The history, deleted-users and restore documents exactly as the app serves them: every
member, every link, every header, with the clock of the recorded changes fixed afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import attrs
import pytest
from starlette.testclient import TestClient

from adapters.memory import InMemoryStore, in_memory_uow_factory
from domain.use_cases import register_user
from entrypoints.http.app import create_app
from entrypoints.http.resources import UnitOfWorkFactory
from tests.http.conftest import TEST_HOST
from tests.http.documents import attributes
from tests.signed_in import security

JSONAPI = "application/vnd.api+json"
#: The user these tests create; the values they check are spelled out here.
ADA = attributes(name="Ada", age=36, profession="mathematician")


@attrs.define
class Service:
    client: TestClient
    store: InMemoryStore
    factory: UnitOfWorkFactory

    def create(self, **attributes: Any) -> str:
        body = {"data": {"type": "users", "attributes": attributes}}
        response = self.client.post("/api/v1/users", json=body, headers={"Content-Type": JSONAPI})
        assert response.status_code == 201, response.text
        user_id: str = response.json()["data"]["id"]
        return user_id

    def patch(self, user_id: str, **attributes: Any) -> None:
        body = {"data": {"type": "users", "id": user_id, "attributes": attributes}}
        response = self.client.patch(
            f"/api/v1/users/{user_id}", json=body, headers={"Content-Type": JSONAPI}
        )
        assert response.status_code == 200, response.text

    def delete(self, user_id: str) -> None:
        assert self.client.delete(f"/api/v1/users/{user_id}").status_code == 204

    def fix_clock(self) -> None:
        """Change n (1, 2, ...) happened at 2030-01-02 03:04:05 plus n minutes, 0.5 s."""
        start = datetime(2030, 1, 2, 3, 4, 5, 500000, tzinfo=UTC)
        changes = self.store.changes
        for index, change in enumerate(changes):
            changes[index] = attrs.evolve(change, at=start + timedelta(minutes=index + 1))

    def get(self, url: str) -> dict[str, Any]:
        response = self.client.get(url)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == JSONAPI
        document: dict[str, Any] = response.json()
        return document


def _service(retention: timedelta | None = None) -> Iterator[Service]:
    store = InMemoryStore()
    factory = cast(UnitOfWorkFactory, in_memory_uow_factory(store))
    signed_in, headers = security()
    options: dict[str, Any] = {"allowed_hosts": [TEST_HOST], "security": signed_in}
    if retention is not None:
        options["retention"] = retention
    app = create_app(factory, **options)
    with TestClient(app, raise_server_exceptions=False, headers=headers) as client:
        yield Service(client, store, factory)


@pytest.fixture
def service() -> Iterator[Service]:
    yield from _service()


def test_a_history_page_is_exactly_its_changes_and_its_cursor_links(service: Service) -> None:
    user_id = service.create(**ADA)
    service.patch(user_id, age=37, name="Ada King")
    service.patch(user_id, profession="analyst")
    service.fix_clock()
    base = f"http://testserver/api/v1/users/{user_id}/history"

    first = service.get(f"/api/v1/users/{user_id}/history?page[size]=2")
    assert first == {
        "jsonapi": {"version": "1.1"},
        "links": {
            "self": f"{base}?page%5Bsize%5D=2",
            "first": f"{base}?page%5Bsize%5D=2",
            "prev": None,
            "next": f"{base}?page%5Bsize%5D=2&page%5Bafter%5D=2",
        },
        "data": [
            {
                "type": "changes",
                "id": "3",
                "attributes": {
                    "action": "changed",
                    "at": "2030-01-02T03:07:05.500000Z",
                    "version": 3,
                    "changed": {"profession": {"before": "mathematician", "after": "analyst"}},
                    "actor": "tester",
                    "token": "1",
                },
            },
            {
                "type": "changes",
                "id": "2",
                "attributes": {
                    "action": "changed",
                    "at": "2030-01-02T03:06:05.500000Z",
                    "version": 2,
                    "changed": {
                        "name": {"before": "Ada", "after": "Ada King"},
                        "age": {"before": 36, "after": 37},
                    },
                    "actor": "tester",
                    "token": "1",
                },
            },
        ],
    }

    # The next page, asked with the size after the cursor: the links keep only the size.
    last = service.get(f"/api/v1/users/{user_id}/history?page[after]=2&page[size]=2")
    assert last == {
        "jsonapi": {"version": "1.1"},
        "links": {
            "self": f"{base}?page%5Bafter%5D=2&page%5Bsize%5D=2",
            "first": f"{base}?page%5Bsize%5D=2",
            "prev": f"{base}?page%5Bsize%5D=2&page%5Bbefore%5D=1",
            "next": None,
        },
        "data": [
            {
                "type": "changes",
                "id": "1",
                "attributes": {
                    "action": "created",
                    "at": "2030-01-02T03:05:05.500000Z",
                    "version": 1,
                    "changed": {
                        name: {"before": None, "after": value} for name, value in ADA.items()
                    },
                    "actor": "tester",
                    "token": "1",
                },
            }
        ],
    }


def test_a_history_page_in_the_middle_links_both_ways_without_a_size(service: Service) -> None:
    user_id = service.create(**ADA)
    for age in range(37, 60):  # 24 changes: more than a page of 20 either way
        service.patch(user_id, age=age)
    base = f"http://testserver/api/v1/users/{user_id}/history"

    page = service.get(f"/api/v1/users/{user_id}/history?page[before]=2")
    assert [change["id"] for change in page["data"]] == [str(n) for n in range(22, 2, -1)]
    assert page["links"] == {
        "self": f"{base}?page%5Bbefore%5D=2",
        "first": base,
        "prev": f"{base}?page%5Bbefore%5D=22",
        "next": f"{base}?page%5Bafter%5D=3",
    }


def test_a_change_made_without_a_token_names_its_actor_and_no_token(service: Service) -> None:
    user = register_user(service.factory(), ADA)  # at the command line: no token
    service.fix_clock()
    document = service.get(f"/api/v1/users/{user.id}/history")
    (change,) = document["data"]
    assert change["attributes"]["actor"] == "operator"
    assert change["attributes"]["token"] is None
    assert document["links"]["next"] is None and document["links"]["prev"] is None


def test_the_deleted_users_are_exact_documents_paged_by_their_deletes() -> None:
    for service in _service(retention=timedelta(days=2, hours=3)):
        ada = service.create(**ADA)
        grace = service.create(**{**ADA, "name": "Grace", "age": 45})
        service.delete(ada)
        service.delete(grace)
        service.fix_clock()  # changes: 1 and 2 the creates, 3 and 4 the deletes
        base = "http://testserver/api/v1/deleted-users"

        first = service.get("/api/v1/deleted-users?page[size]=1")
        assert first == {
            "jsonapi": {"version": "1.1"},
            "links": {
                "self": f"{base}?page%5Bsize%5D=1",
                "first": f"{base}?page%5Bsize%5D=1",
                "prev": None,
                "next": f"{base}?page%5Bsize%5D=1&page%5Bafter%5D=4",
            },
            "data": [
                {
                    "type": "deleted-users",
                    "id": grace,
                    "attributes": {
                        **ADA,
                        "name": "Grace",
                        "age": 45,
                        "version": 1,
                        "deleted_at": "2030-01-02T03:08:05.500000Z",
                        "restorable_until": "2030-01-04T06:08:05.500000Z",
                    },
                    "relationships": {
                        "history": {
                            "links": {"related": f"http://testserver/api/v1/users/{grace}/history"}
                        }
                    },
                    "meta": {"restore": f"http://testserver/api/v1/users/{grace}/restore"},
                }
            ],
        }
        second = service.get("/api/v1/deleted-users?page[size]=1&page[after]=4")
        assert [row["id"] for row in second["data"]] == [ada]
        assert second["data"][0]["attributes"]["deleted_at"] == "2030-01-02T03:07:05.500000Z"
        assert second["links"] == {
            "self": f"{base}?page%5Bsize%5D=1&page%5Bafter%5D=4",
            "first": f"{base}?page%5Bsize%5D=1",
            "prev": None,
            "next": None,
        }


def test_a_restore_answers_the_user_document_with_its_etag(service: Service) -> None:
    user_id = service.create(**ADA)
    service.patch(user_id, age=37)
    service.delete(user_id)
    response = service.client.post(f"/api/v1/users/{user_id}/restore")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == JSONAPI
    assert response.headers["etag"] == f'"{user_id}-3"'
    link = f"http://testserver/api/v1/users/{user_id}"
    assert response.json() == {
        "jsonapi": {"version": "1.1"},
        "links": {"self": link},
        "data": {
            "type": "users",
            "id": user_id,
            "attributes": {**ADA, "age": 37},
            "links": {"self": link},
            "relationships": {"history": {"links": {"related": f"{link}/history"}}},
        },
    }


def test_the_deleted_users_cannot_be_paged_backwards(service: Service) -> None:
    response = service.client.get("/api/v1/deleted-users?page[before]=1")
    assert response.status_code == 400, response.text
    (error,) = response.json()["errors"]
    assert error["source"] == {"parameter": "page[before]"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/users/1/history"),
        ("POST", "/api/v1/users/1/restore"),
        ("GET", "/api/v1/deleted-users"),
    ],
)
def test_an_accept_with_an_extension_is_a_406_on_each_history_route(
    service: Service, method: str, path: str
) -> None:
    user_id = service.create(**ADA)
    service.delete(user_id)
    response = service.client.request(
        method, path, headers={"Accept": "application/vnd.api+json; ext=x"}
    )
    assert response.status_code == 406, response.text
    assert response.json()["errors"] == [
        {
            "status": "406",
            "code": "not_acceptable",
            "title": "Not acceptable",
            "detail": "application/vnd.api+json is served without extensions or parameters "
            "other than profile; accept it without them",
            "source": {"header": "Accept"},
        }
    ]
    assert service.client.get("/api/v1/users/1").status_code == 404  # not restored
