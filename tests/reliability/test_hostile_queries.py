"""Hostile query strings over every adapter: crafted cursors, injection in every filter, sort,
fields and page parameter. Never a 5xx; a refusal is a 400 error document naming the
parameter; an injected filter value is inert (it matches only what it says, byte for byte)."""

from __future__ import annotations

import base64
import itertools
from collections import Counter
from collections.abc import Iterator

import orjson
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from tests.http.conftest import memory_client
from tests.http.documents import JSONAPI, check_document, check_errors, new_user

HEADERS = {"Content-Type": JSONAPI}

INJECTIONS = [
    "' OR '1'='1",
    "'; DROP TABLE users; --",
    "1; SELECT pg_sleep(10)--",
    '" OR ""="',
    "%",
    "_",
    "\\",
    "<script>alert(1)</script>",
    "name) OR 1=1 --",
    "users.id",
    "*",
]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor(signature: str, *values: str) -> str:
    return _b64(f"v1|{signature}|{'.'.join(values)}".encode())


def text_value(raw: bytes) -> str:
    return "s" + _b64(raw)


FORGED = [
    ("id", ["i99999999999999999999999999"]),
    ("id", ["i-99999999999999999999999999"]),
    ("id", ["i9223372036854775807"]),
    ("-id", ["i-9223372036854775808"]),
    ("age,id", ["i99999999999999999999", "i1"]),
    ("name,id", [text_value(b"a\x00b"), "i1"]),
    ("-website,-id", [text_value(b"\x00"), "i5"]),
]


def test_a_forged_cursor_with_values_no_user_can_have_is_a_400(any_client: TestClient) -> None:
    # Regression: these reached the driver (SQLite: integer overflow; PostgreSQL: NUL in
    # a string literal) and came back as 500s.
    any_client.post("/api/v1/users", json=new_user(), headers={"Content-Type": JSONAPI})
    for sort, values in FORGED:
        for direction in ("page[after]", "page[before]"):
            requested = sort.rsplit(",", 1)[0]  # the signature ends with the id tie-breaker
            params = {"sort": requested, direction: cursor(sort, *values)}
            [error] = check_errors(any_client.get("/api/v1/users", params=params), 400)
            assert error["source"] == {"parameter": direction}, params


def test_a_cursor_at_the_edge_of_real_ids_still_pages(any_client: TestClient) -> None:
    response = any_client.get(
        "/api/v1/users", params={"page[before]": cursor("id", f"i{2**63 - 2}")}
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("user_id", [2**31, 2**63 - 1])
def test_ids_and_versions_past_32_bits_find_nothing_rather_than_fail(
    any_client: TestClient, user_id: int
) -> None:
    """Prepared statements declare integer parameters bigint: an int4 parameter would make
    these a 500 instead of a 404 or a 412."""
    path = f"/api/v1/users/{user_id}"
    headers = {"Accept": JSONAPI, "Content-Type": JSONAPI}
    check_errors(any_client.get(path, headers=headers), 404)
    body = {"data": {"type": "users", "id": str(user_id), "attributes": {"age": 3}}}
    check_errors(any_client.patch(path, json=body, headers=headers), 404)
    check_errors(any_client.delete(path, headers=headers), 404)
    created = any_client.post(
        "/api/v1/users", json=new_user(name=f"past 32 bits {user_id}"), headers=headers
    )
    assert created.status_code == 201, created.text
    mine = created.json()["data"]["id"]
    stale = {**headers, "If-Match": f'"{mine}-{2**40}"'}
    body = {"data": {"type": "users", "id": mine, "attributes": {"age": 3}}}
    check_errors(any_client.patch(f"/api/v1/users/{mine}", json=body, headers=stale), 412)


PARAMETERS = [
    "filter[name]",
    "filter[address]",
    "filter[profession]",
    "filter[website]",
    "filter[search]",
    "filter[age]",
    "filter[age][gte]",
    "filter[age][lte]",
    "sort",
    "fields[users]",
    "page[size]",
    "page[number]",
    "page[after]",
    "page[before]",
    "include",
    "filter[id]",
    "page[offset]",
]


def test_injection_in_any_query_parameter_is_inert(any_client: TestClient) -> None:
    for name in ("Ada", *INJECTIONS):
        created = any_client.post(
            "/api/v1/users", json=new_user(name=f"{name} x"), headers={"Content-Type": JSONAPI}
        )
        assert created.status_code == 201, created.text
    for parameter in PARAMETERS:
        for value in INJECTIONS:
            _check_inert(any_client, parameter, value)
    assert check_document(any_client.get("/api/v1/users"))["meta"]["total"] == 1 + len(INJECTIONS)


def _check_inert(client: TestClient, parameter: str, value: str) -> None:
    response = client.get("/api/v1/users", params={parameter: value})
    assert response.status_code in (200, 400), response.text
    item = client.get("/api/v1/users/1", params={parameter: value})
    assert item.status_code in (200, 400, 404), item.text
    if response.status_code == 400:
        [error] = check_errors(response, 400)
        assert error["source"]["parameter"] == parameter
        return
    document = check_document(response)
    if parameter == "filter[search]":  # a substring: the users whose name holds it
        expected = [n for n in INJECTIONS if value.casefold() in f"{n} x".casefold()]
        names = [user["attributes"]["name"] for user in document["data"]]
        assert sorted(names) == sorted(f"{n} x" for n in expected), value
    else:  # an exact filter on text no user has matches nobody
        assert document["data"] == [] and document["meta"]["total"] == 0, (parameter, value)


@pytest.mark.parametrize("parameter", ["filter[name]", "filter[profession]", "filter[search]"])
def test_an_exact_or_search_filter_finds_injected_text_byte_for_byte(
    any_client: TestClient, parameter: str
) -> None:
    for text in INJECTIONS:
        any_client.post(
            "/api/v1/users",
            json=new_user(name=text, profession=text),
            headers={"Content-Type": JSONAPI},
        )
    for text in INJECTIONS:
        response = any_client.get("/api/v1/users", params={parameter: text, "page[size]": "100"})
        names = [user["attributes"]["name"] for user in check_document(response)["data"]]
        assert text in names, (parameter, text)
        if parameter != "filter[search]":
            assert names == [text]


query_text = st.text(st.characters(codec="utf-8"), max_size=12)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    params=st.lists(
        st.tuples(
            st.sampled_from(PARAMETERS) | query_text, query_text | st.sampled_from(INJECTIONS)
        ),
        max_size=4,
    )
)
def test_any_query_string_is_answered_with_a_document_never_a_5xx(
    any_client: TestClient, params: list[tuple[str, str]]
) -> None:
    for path in ("/api/v1/users", "/api/v1/users/1", "/api/v1/users.json"):
        response = any_client.get(path, params=params)
        assert response.status_code in (200, 400, 404), response.text
        check_document(response)


@pytest.fixture(scope="module")
def header_client() -> Iterator[TestClient]:
    with memory_client() as client:
        yield client


# "{etag}" stands for the fresh user's current entity tag, "{id}" for its id.
header_values = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60) | (
    st.sampled_from(
        [
            "{etag}",
            "W/{etag}",
            '"{id}-2"',
            "*",
            '"{id}-1", "{id}-99999999999999999999999"',
            "application/vnd.api+json",
            'application/vnd.api+json; ext="x"; profile=',
            "application/vnd.api+json;;;",
            "application/json",
            "*/*;q=abc",
        ]
    )
)


def test_any_negotiation_or_precondition_header_is_answered_never_a_5xx(
    header_client: TestClient,
) -> None:
    statuses: Counter[int] = Counter()
    users = itertools.count(1)

    @settings(
        max_examples=150,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(
        name=st.sampled_from(["accept", "content-type", "if-match", "if-none-match"]),
        value=header_values,
        method=st.sampled_from(["GET", "PATCH", "DELETE", "POST"]),
    )
    def answer(name: str, value: str, method: str) -> None:
        # Each example acts on a user of its own, so preconditions meet a real, current user.
        number = next(users)
        created = header_client.post(
            "/api/v1/users", json=new_user(name=f"header user {number}"), headers=HEADERS
        )
        assert created.status_code == 201, created.text
        user_id, etag = created.json()["data"]["id"], created.headers["etag"]
        body = (
            new_user(name=f"posted {number}")
            if method == "POST"
            else {"data": {"type": "users", "id": user_id, "attributes": {"age": 4}}}
        )
        path = "/api/v1/users" if method == "POST" else f"/api/v1/users/{user_id}"
        # Header names are case-insensitive: the generated header replaces the default one.
        value = value.replace("{etag}", etag).replace("{id}", user_id)
        headers = {"content-type": JSONAPI, name: value}
        response = header_client.request(
            method,
            path,
            content=orjson.dumps(body) if method in ("PATCH", "POST") else None,
            headers=headers,
        )
        event(f"{method} {name}: {response.status_code}")
        statuses[response.status_code] += 1
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            check_errors(response, response.status_code)

    answer()
    # The fuzz reaches what it is for: refused media types, failed and met preconditions.
    assert {415, 412, 304, 200} <= set(statuses), statuses
