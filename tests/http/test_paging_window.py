"""Numbered pages within 10,000 users of either end, and filtered counts that stop at 1,000.

The lists here are big enough to leave the window: the in-memory store is filled directly
(creating 20,000 users through the API would take minutes), then read through the real app.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest
from jsonschema import Draft202012Validator
from starlette.testclient import TestClient

from adapters.memory import InMemoryStore, in_memory_uow_factory
from domain.model import NewUser
from entrypoints.http.app import create_app
from entrypoints.http.openapi import openapi_document
from entrypoints.http.resources import UnitOfWorkFactory
from tests.http.conftest import TEST_HOST
from tests.http.documents import check_document, check_errors
from tests.signed_in import security

WINDOW = 10_000  # what issue 13 asks for, written out here rather than read from the code
COUNTED = 1_000  # where a filtered count stops (issue 19, docs/performance.md)


def client_over(users: int, engineers: int = 0) -> TestClient:
    """An app over `users` users (ids 1..users in name order), the first `engineers` of them
    engineers, the rest pilots."""
    store = InMemoryStore()
    factory = in_memory_uow_factory(store)
    with factory() as uow:
        for number in range(1, users + 1):
            uow.users.add(
                NewUser(
                    name=f"user {number:06}",
                    address="1 Main Street",
                    age=30,
                    profession="engineer" if number <= engineers else "pilot",
                    website="https://example.org",
                )
            )
        uow.commit()
    signed_in, headers = security()
    app = create_app(
        cast(UnitOfWorkFactory, factory), security=signed_in, allowed_hosts=[TEST_HOST]
    )
    return TestClient(app, raise_server_exceptions=False, headers=headers)


@pytest.fixture(scope="module")
def big() -> Iterator[TestClient]:
    """20,100 users: with 100 a page, pages 1-100 lie in the first window, 102-201 in the
    last one, and page 101 (users 10,001-10,100) in neither."""
    with client_over(20_100, engineers=10_050) as client:
        yield client


def ids(document: dict[str, Any]) -> list[int]:
    return [int(user["id"]) for user in document["data"]]


def page(client: TestClient, number: int, **params: str) -> dict[str, Any]:
    query = {"page[number]": str(number), "page[size]": "100", **params}
    return check_document(client.get("/api/v1/users", params=query))


def test_pages_near_the_end_are_answered_from_the_end(big: TestClient) -> None:
    last = page(big, 201)
    assert ids(last) == list(range(20_001, 20_101))
    assert last["meta"] == {"total": 20_100}
    assert ids(page(big, 102)) == list(range(10_101, 10_201))
    assert ids(page(big, 100)) == list(range(9_901, 10_001))


def test_a_page_in_neither_window_is_a_400_pointing_to_cursor_paging(big: TestClient) -> None:
    response = big.get("/api/v1/users", params={"page[number]": "101", "page[size]": "100"})
    [error] = check_errors(response, 400)
    assert error["source"] == {"parameter": "page[number]"}
    assert "cursor" in error["detail"]
    assert "10,000" in error["detail"]


def test_links_never_point_at_a_page_outside_the_window(big: TestClient) -> None:
    assert page(big, 100)["links"]["next"] is None
    before_gap = page(big, 102)["links"]
    assert before_gap["prev"] is None
    assert before_gap["last"].endswith("page%5Bnumber%5D=201")
    assert page(big, 201)["links"]["next"] is None


def test_following_last_then_prev_walks_back_from_the_end(big: TestClient) -> None:
    last = check_document(big.get(page(big, 1)["links"]["last"]))
    previous = check_document(big.get(last["links"]["prev"]))
    assert ids(previous) == list(range(19_901, 20_001))


def test_the_unfiltered_total_is_exact_beyond_the_bound(big: TestClient) -> None:
    assert check_document(big.get("/api/v1/users"))["meta"] == {"total": 20_100}


def test_a_filter_matching_more_than_the_bound_says_at_least(big: TestClient) -> None:
    document = page(big, 1, **{"filter[profession]": "engineer"})
    assert document["meta"] == {"totalAtLeast": COUNTED}
    assert "last" not in document["links"]
    assert ids(page(big, 100, **{"filter[profession]": "engineer"}))[-1] == 10_000
    cursor_page = check_document(
        big.get("/api/v1/users", params={"filter[search]": "engineer", "page[size]": "5"})
    )
    assert cursor_page["meta"] == {"totalAtLeast": COUNTED}


def test_a_filtered_page_past_the_bound_is_a_400(big: TestClient) -> None:
    response = big.get(
        "/api/v1/users",
        params={"page[number]": "101", "page[size]": "100", "filter[profession]": "engineer"},
    )
    [error] = check_errors(response, 400)
    assert error["source"] == {"parameter": "page[number]"}


def test_a_filter_matching_fewer_than_the_bound_is_counted_exactly() -> None:
    with client_over(2_050, engineers=999) as client:
        document = page(client, 1, **{"filter[profession]": "engineer"})
        assert document["meta"] == {"total": 999}
        assert document["links"]["last"].endswith("page%5Bnumber%5D=10")
        pilots = page(client, 1, **{"filter[profession]": "pilot"})
        assert pilots["meta"] == {"totalAtLeast": COUNTED}  # 1,051 of them
        assert ids(page(client, 11, **{"filter[profession]": "pilot"}))[-1] == 2_050
        assert page(client, 1, **{"filter[age]": "30", "filter[name]": "user 000001"})["meta"] == {
            "total": 1
        }
        at_bound = page(client, 1, **{"filter[search]": "user"})
        assert at_bound["meta"] == {"totalAtLeast": COUNTED}


def _collection_schema() -> Draft202012Validator:
    document = openapi_document()
    schema = {
        "$ref": "#/components/schemas/UserCollectionDocument",
        "components": document["components"],
    }
    return Draft202012Validator(schema)


def test_the_openapi_document_describes_both_forms_of_the_total(big: TestClient) -> None:
    validator = _collection_schema()
    exact = page(big, 1)
    at_least = page(big, 1, **{"filter[profession]": "engineer"})
    for document in (exact, at_least):
        assert not list(validator.iter_errors(document))
    both = {**exact, "meta": {"total": 5, "totalAtLeast": COUNTED}}
    neither = {**exact, "meta": {}}
    for document in (both, neither):
        assert list(validator.iter_errors(document))
