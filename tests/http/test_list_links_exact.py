"""The links, meta and media type of a users page, exactly: cursor pages, numbered pages
with an exact total (before, at and past the last page) and with a filtered total that
stops at its bound."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest
from starlette.testclient import TestClient

from adapters.memory import InMemoryStore, in_memory_uow_factory
from domain.model import NewUser
from entrypoints.http.app import create_app
from entrypoints.http.resources import UnitOfWorkFactory
from tests.http.conftest import TEST_HOST
from tests.signed_in import security

USERS = "http://testserver/api/v1/users"
CURSOR_PROFILE = "http://jsonapi.org/profiles/ethanresnick/cursor-pagination/"
PILOTS = "filter%5Bprofession%5D=pilot"
#: The cursors of the pages asked for below (opaque to clients; fixed by the data here).
AFTER_1004 = "djF8LW5hbWUsLWlkfHNkWE5sY2lBeE1EQTAuaTEwMDQ"
BEFORE_1003 = "djF8LW5hbWUsLWlkfHNkWE5sY2lBeE1EQXouaTEwMDM"
AFTER_1002 = "djF8LW5hbWUsLWlkfHNkWE5sY2lBeE1EQXkuaTEwMDI"
END_BY_NAME_DESCENDING = "djF8LW5hbWUsLWlkfGVuZA"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    """1,005 pilots, "user 0001" to "user 1005" (ids 1 to 1,005): a filter on the
    profession counts up to its bound of 1,000 only."""
    store = InMemoryStore()
    factory = in_memory_uow_factory(store)
    with factory() as uow:
        for number in range(1, 1006):
            uow.users.add(
                NewUser(
                    name=f"user {number:04}",
                    address="1 Main Street",
                    age=30,
                    profession="pilot",
                    website="https://example.org",
                )
            )
        uow.commit()
    signed_in, headers = security()
    app = create_app(
        cast(UnitOfWorkFactory, factory), security=signed_in, allowed_hosts=[TEST_HOST]
    )
    with TestClient(app, raise_server_exceptions=False, headers=headers) as test_client:
        yield test_client


def _page(client: TestClient, query: str, media_type: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/users?{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media_type
    document: dict[str, Any] = response.json()
    return document


def _numbered(client: TestClient, query: str) -> dict[str, Any]:
    document = _page(client, query, "application/vnd.api+json")
    assert document["jsonapi"] == {"version": "1.1"}
    return document


def test_a_cursor_page_links_every_way_and_keeps_the_sort_and_filter(
    client: TestClient,
) -> None:
    query = f"page[size]=2&sort=-name&filter[profession]=pilot&page[after]={AFTER_1004}"
    media_type = f'application/vnd.api+json; profile="{CURSOR_PROFILE}"'
    document = _page(client, query, media_type)
    kept = f"{USERS}?sort=-name&{PILOTS}&page%5Bsize%5D=2"
    assert document["links"] == {
        "self": f"{USERS}?page%5Bsize%5D=2&sort=-name&{PILOTS}&page%5Bafter%5D={AFTER_1004}",
        "first": kept,
        "last": f"{kept}&page%5Bbefore%5D={END_BY_NAME_DESCENDING}",
        "prev": f"{kept}&page%5Bbefore%5D={BEFORE_1003}",
        "next": f"{kept}&page%5Bafter%5D={AFTER_1002}",
    }
    assert document["meta"] == {"totalAtLeast": 1000}
    assert document["jsonapi"] == {"version": "1.1", "profile": [CURSOR_PROFILE]}
    assert [user["id"] for user in document["data"]] == ["1003", "1002"]


def test_the_first_cursor_page_has_no_prev(client: TestClient) -> None:
    media_type = f'application/vnd.api+json; profile="{CURSOR_PROFILE}"'
    document = _page(client, "page[size]=2&sort=-name&filter[profession]=pilot", media_type)
    assert document["links"]["prev"] is None
    assert document["links"]["next"] == (
        f"{USERS}?sort=-name&{PILOTS}&page%5Bsize%5D=2&page%5Bafter%5D={AFTER_1004}"
    )


@pytest.mark.parametrize(("number", "prev", "next_"), [(1, None, 2), (2, 1, 3), (3, 2, 4)])
def test_numbered_pages_of_a_filter_past_its_bound_have_no_last(
    client: TestClient, number: int, prev: int | None, next_: int
) -> None:
    query = f"page[number]={number}&page[size]=100&filter[profession]=pilot"
    document = _numbered(client, query)
    numbered = f"{USERS}?{PILOTS}&page%5Bsize%5D=100&page%5Bnumber%5D="
    assert document["links"] == {
        "self": f"{USERS}?page%5Bnumber%5D={number}&page%5Bsize%5D=100&{PILOTS}",
        "first": f"{numbered}1",
        "prev": None if prev is None else f"{numbered}{prev}",
        "next": f"{numbered}{next_}",
    }
    assert document["meta"] == {"totalAtLeast": 1000}


@pytest.mark.parametrize(
    ("number", "prev", "next_"),
    [(1, None, 2), (2, 1, 3), (10, 9, 11), (11, 10, None), (12, 11, None), (13, 11, None)],
)
def test_numbered_pages_of_an_exact_total_link_within_it(
    client: TestClient, number: int, prev: int | None, next_: int | None
) -> None:
    document = _numbered(client, f"page[number]={number}&page[size]=100")
    numbered = f"{USERS}?page%5Bsize%5D=100&page%5Bnumber%5D="
    assert document["links"] == {
        "self": f"{USERS}?page%5Bnumber%5D={number}&page%5Bsize%5D=100",
        "first": f"{numbered}1",
        "last": f"{numbered}11",
        "prev": None if prev is None else f"{numbered}{prev}",
        "next": None if next_ is None else f"{numbered}{next_}",
    }
    assert document["meta"] == {"total": 1005}
