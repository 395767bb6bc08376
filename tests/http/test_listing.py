"""The collection: paging by number and by cursor, sorting, filters, fieldsets, parameters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from starlette.testclient import TestClient

from entrypoints.http.jsonapi import CURSOR_PROFILE
from entrypoints.http.query import MAX_SIZE_EXCEEDED_TYPE, RANGE_NOT_SUPPORTED_TYPE
from tests.http.documents import check_document, check_errors

Create = Callable[..., dict[str, Any]]

PEOPLE = [
    ("Ada", "London", 36, "mathematician", "https://ada.example"),
    ("grace", "Arlington", 85, "admiral", "https://grace.example"),
    ("Alan", "Wilmslow", 41, "Mathematician", "https://alan.example"),
    ("Edsger", "Nuenen", 72, "computer scientist", "https://edsger.example"),
    ("barbara", "Boston", 41, "computer scientist", "https://barbara.example"),
]


@pytest.fixture
def people(create: Create) -> None:
    for name, address, age, profession, website in PEOPLE:
        create(name=name, address=address, age=age, profession=profession, website=website)


def names(client: TestClient, **params: str) -> list[str]:
    response = client.get("/api/v1/users", params=params)
    assert response.status_code == 200, response.text
    return [user["attributes"]["name"] for user in check_document(response)["data"]]


def follow(client: TestClient, link: str | None) -> dict[str, Any]:
    assert link is not None
    return check_document(client.get(link))


def query(link: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(link).query))


def test_the_first_page_is_in_cursor_mode_with_a_next_cursor(
    client: TestClient, people: None
) -> None:
    document = check_document(client.get("/api/v1/users", params={"page[size]": "2"}))
    assert [user["id"] for user in document["data"]] == ["1", "2"]
    assert document["links"]["prev"] is None
    assert "page[after]" in query(document["links"]["next"])
    assert document["meta"]["total"] == 5
    assert document["jsonapi"]["profile"] == [CURSOR_PROFILE]


def test_cursor_links_walk_forward_and_back_with_null_at_either_end(
    client: TestClient, people: None
) -> None:
    first = check_document(client.get("/api/v1/users?page[size]=2&sort=name"))
    second = follow(client, first["links"]["next"])
    third = follow(client, second["links"]["next"])
    seen = [[user["attributes"]["name"] for user in doc["data"]] for doc in (first, second, third)]
    assert seen == [["Ada", "Alan"], ["barbara", "Edsger"], ["grace"]]
    assert third["links"]["next"] is None
    back = follow(client, third["links"]["prev"])
    assert [user["attributes"]["name"] for user in back["data"]] == ["barbara", "Edsger"]
    start = follow(client, back["links"]["prev"])
    assert [user["attributes"]["name"] for user in start["data"]] == ["Ada", "Alan"]
    assert start["links"]["prev"] is None
    assert query(second["links"]["next"])["sort"] == "name"


def test_pages_by_number_have_first_prev_next_last_and_the_total(
    client: TestClient, people: None
) -> None:
    response = client.get("/api/v1/users", params={"page[number]": "2", "page[size]": "2"})
    document = check_document(response)
    assert [user["id"] for user in document["data"]] == ["3", "4"]
    links = document["links"]
    assert query(links["first"])["page[number]"] == "1"
    assert query(links["prev"])["page[number]"] == "1"
    assert query(links["next"])["page[number]"] == "3"
    assert query(links["last"])["page[number]"] == "3"
    assert document["meta"]["total"] == 5
    assert "profile" not in document["jsonapi"]
    last = follow(client, links["last"])
    assert last["links"]["next"] is None and len(last["data"]) == 1


def test_an_empty_list_has_one_empty_page(client: TestClient) -> None:
    document = check_document(client.get("/api/v1/users?page[number]=1"))
    assert document["data"] == [] and document["meta"]["total"] == 0
    assert document["links"]["prev"] is None and document["links"]["next"] is None
    assert query(document["links"]["last"])["page[number]"] == "1"


def test_the_default_page_holds_twenty_users(client: TestClient, create: Create) -> None:
    for number in range(25):
        create(name=f"user {number:02}")
    document = check_document(client.get("/api/v1/users"))
    assert len(document["data"]) == 20
    assert document["meta"]["total"] == 25


def test_sorting_by_several_keys_with_id_breaking_ties(client: TestClient, people: None) -> None:
    assert names(client, sort="-age,name") == ["grace", "Edsger", "Alan", "barbara", "Ada"]
    assert names(client, sort="profession,-id") == ["grace", "barbara", "Edsger", "Alan", "Ada"]


@pytest.mark.parametrize("sort", ["colour", "-", "", "name,", "attributes.name"])
def test_an_unknown_sort_field_is_a_400(client: TestClient, sort: str) -> None:
    [error] = check_errors(client.get("/api/v1/users", params={"sort": sort}), 400)
    assert error["source"] == {"parameter": "sort"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"filter[name]": "ADA"}, ["Ada"]),
        ({"filter[profession]": "mathematician"}, ["Ada", "Alan"]),
        ({"filter[address]": "boston"}, ["barbara"]),
        ({"filter[website]": "https://GRACE.example"}, ["grace"]),
        ({"filter[age]": "41"}, ["Alan", "barbara"]),
        ({"filter[age][gte]": "41", "filter[age][lte]": "72"}, ["Alan", "Edsger", "barbara"]),
        ({"filter[search]": "SCIENT"}, ["Edsger", "barbara"]),
        ({"filter[search]": "ton"}, ["grace", "barbara"]),
        ({"filter[search]": "ton", "filter[age][lte]": "50"}, ["barbara"]),
    ],
)
def test_filters(
    client: TestClient, people: None, params: dict[str, str], expected: list[str]
) -> None:
    assert names(client, **params) == expected


def test_the_total_counts_the_filtered_users(client: TestClient, people: None) -> None:
    document = check_document(client.get("/api/v1/users?filter[age]=41&page[size]=1"))
    assert document["meta"]["total"] == 2
    assert "filter[age]" in query(document["links"]["next"])


def test_a_sparse_fieldset_on_the_collection(client: TestClient, people: None) -> None:
    document = check_document(client.get("/api/v1/users?fields[users]=name,age&page[size]=1"))
    assert document["data"][0]["attributes"] == {"name": "Ada", "age": 36}
    empty = check_document(client.get("/api/v1/users?fields[users]=&page[size]=1"))
    assert empty["data"][0]["attributes"] == {}


@pytest.mark.parametrize("path", ["/api/v1/users", "/api/v1/users/1"])
@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"fields[users]": "name,colour"}, "fields[users]"),
        ({"fields[people]": "name"}, "fields[people]"),
        ({"include": "friends"}, "include"),
        ({"include": ""}, "include"),
        ({"foo": "1"}, "foo"),
        ({"filter[colour]": "red"}, "filter[colour]"),
        ({"page[offset]": "2"}, "page[offset]"),
    ],
)
def test_unknown_fields_include_and_unknown_lowercase_parameters_are_a_400(
    client: TestClient, people: None, path: str, params: dict[str, str], parameter: str
) -> None:
    [error] = check_errors(client.get(path, params=params), 400)
    assert error["source"] == {"parameter": parameter}
    assert error["code"] == "invalid_parameter"


def test_implementation_specific_parameters_are_ignored(client: TestClient, people: None) -> None:
    assert len(names(client, _="1699999", cacheBust="x")) == 5


def test_a_parameter_given_twice_is_a_400(client: TestClient) -> None:
    [error] = check_errors(client.get("/api/v1/users?sort=name&sort=age"), 400)
    assert error["source"] == {"parameter": "sort"}


@pytest.mark.parametrize("parameter", ["page[size]", "page[number]"])
@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5", "", " 2", "1e3", "٣"])
def test_page_values_that_are_not_positive_whole_numbers_are_a_400(
    client: TestClient, parameter: str, value: str
) -> None:
    [error] = check_errors(client.get("/api/v1/users", params={parameter: value}), 400)
    assert error["source"] == {"parameter": parameter}


def test_a_page_size_over_the_maximum_is_the_profiles_max_size_exceeded_error(
    client: TestClient,
) -> None:
    [error] = check_errors(client.get("/api/v1/users?page[size]=101"), 400)
    assert error["source"] == {"parameter": "page[size]"}
    assert error["meta"] == {"page": {"maxSize": 100}}
    assert error["links"] == {"type": MAX_SIZE_EXCEEDED_TYPE}
    assert len(check_document(client.get("/api/v1/users?page[size]=100"))["data"]) == 0


def test_a_page_number_over_the_maximum_is_a_400(client: TestClient) -> None:
    [error] = check_errors(client.get("/api/v1/users?page[number]=99999999999"), 400)
    assert error["source"] == {"parameter": "page[number]"}


@pytest.mark.parametrize("parameter", ["page[after]", "page[before]"])
@pytest.mark.parametrize("cursor", ["nonsense", "", "djJ8aWR8aTE", "%%%", "djF8aWR8czE"])
def test_an_invalid_cursor_is_a_400_naming_its_parameter(
    client: TestClient, people: None, parameter: str, cursor: str
) -> None:
    [error] = check_errors(client.get("/api/v1/users", params={parameter: cursor}), 400)
    assert error["source"] == {"parameter": parameter}


def test_a_cursor_from_another_sort_order_is_a_400(client: TestClient, people: None) -> None:
    first = check_document(client.get("/api/v1/users?page[size]=2&sort=name"))
    after = query(first["links"]["next"])["page[after]"]
    response = client.get("/api/v1/users", params={"page[after]": after, "sort": "age"})
    [error] = check_errors(response, 400)
    assert error["source"] == {"parameter": "page[after]"}


def test_range_pagination_is_the_profiles_not_supported_error(
    client: TestClient, people: None
) -> None:
    first = check_document(client.get("/api/v1/users?page[size]=2"))
    after = query(first["links"]["next"])["page[after]"]
    response = client.get("/api/v1/users", params={"page[after]": after, "page[before]": after})
    [error] = check_errors(response, 400)
    assert error["links"] == {"type": RANGE_NOT_SUPPORTED_TYPE}


def test_page_number_with_a_cursor_is_a_400(client: TestClient) -> None:
    [error] = check_errors(client.get("/api/v1/users?page[number]=1&page[after]=x"), 400)
    assert error["source"] == {"parameter": "page[after]"}


@pytest.mark.parametrize("parameter", ["filter[age]", "filter[age][gte]", "filter[age][lte]"])
def test_an_age_filter_that_is_not_a_whole_number_is_a_400(
    client: TestClient, parameter: str
) -> None:
    [error] = check_errors(client.get("/api/v1/users", params={parameter: "old"}), 400)
    assert error["source"] == {"parameter": parameter}


def test_a_search_term_with_control_characters_is_a_400(client: TestClient) -> None:
    [error] = check_errors(client.get("/api/v1/users", params={"filter[search]": "a\x00b"}), 400)
    assert error["source"] == {"parameter": "filter[search]"}
