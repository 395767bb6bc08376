"""Query strings (entrypoints/http/query.py): each refusal answered with its exact error, and
what an accepted query parses to."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from domain.history_use_cases import Window
from domain.queries import CursorPage, NumberPage, UserFilter
from entrypoints.http.query import parse_item_query, parse_list_query, parse_window
from tests.http.documents import new_user

USERS = "/api/v1/users"
HISTORY = "/api/v1/users/1/history"
DELETED = "/api/v1/deleted-users"
CURSOR_ERRORS = "https://jsonapi.org/profiles/ethanresnick/cursor-pagination/"
TOO_BIG: dict[str, Any] = {
    "meta": {"page": {"maxSize": 100}},
    "links": {"type": CURSOR_ERRORS + "max-size-exceeded"},
}
RANGE: dict[str, Any] = {"links": {"type": CURSOR_ERRORS + "range-pagination-not-supported"}}
RANGE_DETAIL = "range pagination (page[after] with page[before]) is not supported"
NOT_INCLUDED = "related resources are not included; follow a relationship's related link"


@pytest.mark.parametrize(
    ("path", "query", "parameter", "detail", "extra"),
    [
        (USERS, "include=history", "include", NOT_INCLUDED, {}),
        (USERS + "/1", "include=x", "include", NOT_INCLUDED, {}),
        (USERS, "bogus=1", "bogus", "unknown query parameter 'bogus'", {}),
        (USERS, "page[foo]=1", "page[foo]", "unknown query parameter 'page[foo]'", {}),
        (
            USERS,
            "filter[colour]=r",
            "filter[colour]",
            "unknown query parameter 'filter[colour]'",
            {},
        ),
        (
            USERS,
            "fields[people]=a",
            "fields[people]",
            "unknown query parameter 'fields[people]'",
            {},
        ),
        (USERS + "/1", "sort=name", "sort", "unknown query parameter 'sort'", {}),
        (DELETED, "page[before]=1", "page[before]", "unknown query parameter 'page[before]'", {}),
        (USERS, "sort=name&sort=age", "sort", "sort may be given only once", {}),
        (
            USERS,
            "fields[users]=name,zz,id,age",
            "fields[users]",
            "users have no field 'id' to select",
            {},
        ),
        (USERS + "/1", "fields[users]=x", "fields[users]", "users have no field 'x' to select", {}),
        (
            USERS,
            "page[number]=0",
            "page[number]",
            "page[number] must be a positive whole number, got '0'",
            {},
        ),
        (
            USERS,
            "page[number]=1234567890123",
            "page[number]",
            "page[number] must be a positive whole number, got '1234567890123'",
            {},
        ),
        (
            USERS,
            "page[size]=1234567890123",
            "page[size]",
            "page[size] must be a positive whole number, got '1234567890123'",
            {},
        ),
        (
            USERS,
            "page[size]=-1",
            "page[size]",
            "page[size] must be a positive whole number, got '-1'",
            {},
        ),
        (USERS, "page[size]=101", "page[size]", "page[size] may be at most 100, got 101", TOO_BIG),
        (
            HISTORY,
            "page[size]=101",
            "page[size]",
            "page[size] may be at most 100, got 101",
            TOO_BIG,
        ),
        (
            HISTORY,
            "page[size]=0",
            "page[size]",
            "page[size] must be a positive whole number, got '0'",
            {},
        ),
        (
            USERS,
            "filter[age]=1.5",
            "filter[age]",
            "filter[age] must be a whole number, got '1.5'",
            {},
        ),
        (
            USERS,
            "filter[age][gte]=1234567890",
            "filter[age][gte]",
            "filter[age][gte] must be a whole number, got '1234567890'",
            {},
        ),
        (
            USERS,
            "filter[age][lte]=x",
            "filter[age][lte]",
            "filter[age][lte] must be a whole number, got 'x'",
            {},
        ),
        (
            USERS,
            "page[number]=1&page[after]=x",
            "page[after]",
            "page[after] cannot be combined with page[number]",
            {},
        ),
        (
            USERS,
            "page[number]=1&page[before]=x",
            "page[before]",
            "page[before] cannot be combined with page[number]",
            {},
        ),
        (USERS, "page[after]=a&page[before]=b", "page[before]", RANGE_DETAIL, RANGE),
        (HISTORY, "page[after]=1&page[before]=2", "page[before]", RANGE_DETAIL, RANGE),
        (
            USERS,
            "page[after]=",
            "page[after]",
            "page[after] must be a cursor from a pagination link",
            {},
        ),
        (
            USERS,
            "page[before]=",
            "page[before]",
            "page[before] must be a cursor from a pagination link",
            {},
        ),
        (
            HISTORY,
            "page[after]=0",
            "page[after]",
            "page[after] must be a cursor from a pagination link",
            {},
        ),
        (
            HISTORY,
            "page[before]=x",
            "page[before]",
            "page[before] must be a cursor from a pagination link",
            {},
        ),
        (
            DELETED,
            "page[after]=1234567890123",
            "page[after]",
            "page[after] must be a cursor from a pagination link",
            {},
        ),
    ],
)
def test_a_refused_query_parameter(
    client: TestClient, path: str, query: str, parameter: str, detail: str, extra: dict[str, Any]
) -> None:
    assert client.post(USERS, json=new_user()).status_code == 201
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "status": "400",
            "code": "invalid_parameter",
            "title": "Invalid query parameter",
            "detail": detail,
            "source": {"parameter": parameter},
            **extra,
        }
    ]


def test_parameters_outside_the_reserved_lowercase_names_are_ignored() -> None:
    listing = parse_list_query([("Foo", "1"), ("_", "2"), ("page[size]", "100")])
    assert listing.query.page == CursorPage(100)
    assert listing.kept == ()


def test_an_accepted_list_query_keeps_its_non_paging_parameters_in_order() -> None:
    listing = parse_list_query(
        [
            ("filter[age]", "-5"),
            ("page[after]", "c"),
            ("fields[users]", "name,,history"),
            ("page[size]", "000000000007"),
            ("filter[profession]", "Poet"),
        ]
    )
    assert listing.query.page == CursorPage(7, "c", None)
    assert listing.query.filter == UserFilter.build(exact={"profession": "Poet"}, age=-5)
    assert listing.fields == frozenset({"name", "history"})
    assert listing.kept == (
        ("filter[age]", "-5"),
        ("fields[users]", "name,,history"),
        ("filter[profession]", "Poet"),
    )
    assert parse_list_query([("page[before]", "c")]).query.page == CursorPage(20, None, "c")
    assert parse_list_query([("page[number]", "999999999999")]).query.page == NumberPage(
        999999999999, 20
    )


def test_an_empty_fieldset_selects_no_fields() -> None:
    assert parse_item_query([("fields[users]", "")]) == frozenset()
    assert parse_list_query([("fields[users]", "")]).fields == frozenset()


def test_one_is_the_least_page_number_size_and_cursor_id() -> None:
    assert parse_list_query([("page[number]", "1")]).query.page == NumberPage(1, 20)
    assert parse_list_query([("page[size]", "1")]).query.page == CursorPage(1)
    assert parse_window([("page[after]", "1")], newer=False) == Window(20, 1)


def test_a_window_reads_size_and_the_cursor_ids() -> None:
    assert parse_window([], newer=True) == Window(20, None, None)
    assert parse_window([("page[size]", "5"), ("page[after]", "9")], newer=False) == Window(5, 9)
    assert parse_window([("page[before]", "3")], newer=True) == Window(20, None, 3)
