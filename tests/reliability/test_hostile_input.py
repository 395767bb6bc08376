"""Hostile request bodies over every adapter (memory, SQLite, PostgreSQL): deeply nested and
malformed JSON, numbers no integer type holds, wrong types everywhere, unicode edge cases,
SQL and HTML injection in every attribute, mass assignment. Never a 5xx; every refusal is a
JSON:API error document; what is stored comes back byte for byte."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from tests.http.conftest import _sql_client, memory_client
from tests.http.documents import JSONAPI, attributes, check_document, check_errors, new_user

HEADERS = {"Content-Type": JSONAPI}


@pytest.fixture(params=["memory", "sqlite"])
def fuzz_client(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[TestClient]:
    """Hypothesis runs many examples: over memory and SQLite (PostgreSQL gets the fixed cases)."""
    if request.param == "memory":
        with memory_client() as client:
            yield client
        return
    yield from _sql_client(sqlite_url)


FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)

INJECTIONS = [
    "' OR '1'='1' --",
    "Robert'); DROP TABLE users;--",
    "1; SELECT pg_sleep(10)",
    "\\'; DELETE FROM user_counts; --",
    "%_%",
    "<script>alert(document.cookie)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{constructor.constructor('alert(1)')()}}",
]
UNICODE = [
    "\u202eevil\u202c right-to-left",
    "mark\u200f\u200e",
    "four bytes 😀 𝄞 𠜎",
    "combining e\u0301 and \ufeff BOM",
    "İstanbul Straße ﬁ",
    "zero\u200bwidth\u200djoiner",
]


def _post(client: TestClient, body: bytes | dict[str, Any]) -> Any:
    if isinstance(body, bytes):
        return client.post("/api/v1/users", content=body, headers=HEADERS)
    return client.post("/api/v1/users", json=body, headers=HEADERS)


def _no_server_error(response: Any) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        check_errors(response, response.status_code)
    elif response.status_code != 204:
        check_document(response)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"[" * 100_000 + b"]" * 100_000, 413),  # past the body limit: refused unread
        (b'{"data":' + b"[" * 32_000 + b"]" * 32_000 + b"}", 400),
        (b"[" * 65_000, 400),  # unterminated
        (b'{"a":' * 10_000 + b"1" + b"}" * 10_000, 400),
        (
            b'{"data":{"type":"users","attributes":{"name":'
            + b"[" * 30_000
            + b"]" * 30_000
            + b"}}}",
            400,  # too deep for the parser: not JSON this service reads
        ),
        (b'{"data":{"type":"users","attributes":{"name":' + b"[" * 500 + b"]" * 500 + b"}}}", 422),
        (b'{"data": {"type": "users", "attributes": {"age": NaN}}}', 400),
        (b'{"data": {"type": "users", "attributes": {"age": Infinity}}}', 400),
        (b'{"data": {"type": "users", "attributes": {"age": -Infinity}}}', 400),
        (b'{"data": {"type": "users", "attributes": {"age": 1' + b"0" * 5000 + b"}}}", 400),
        (b"\xff\xfe\x00garbage", 400),
        (b'{"data": "\xed\xa0\x80"}', 400),  # a surrogate encoded in UTF-8: not UTF-8
        (b"", 400),
        (b"null", 400),
        (b'{"data": {"type": "users"}} trailing', 400),
    ],
)
def test_malformed_and_deeply_nested_json_is_refused_with_a_document(
    any_client: TestClient, body: bytes, status: int
) -> None:
    check_errors(_post(any_client, body), status)
    listed = check_document(any_client.get("/api/v1/users"))
    assert listed["data"] == []


@pytest.mark.parametrize(
    ("raw_age", "code"),
    [
        ("1" + "0" * 400, "out_of_range"),
        ("-1" + "0" * 400, "out_of_range"),
        ("1e400", "not_an_integer"),
        ("-1e400", "not_an_integer"),
        ("9223372036854775808", "out_of_range"),
        ("36.0", "not_an_integer"),
        ("true", "not_an_integer"),
        ('"36"', "not_an_integer"),
    ],
)
def test_numbers_no_integer_type_holds_are_a_422(
    any_client: TestClient, raw_age: str, code: str
) -> None:
    document = json.dumps(new_user()).replace('"age": 36', f'"age": {raw_age}')
    [error] = check_errors(_post(any_client, document.encode()), 422)
    assert error["code"] == code and error["source"] == {"pointer": "/data/attributes/age"}


def test_minus_zero_is_the_age_zero(any_client: TestClient) -> None:
    document = json.dumps(new_user()).replace('"age": 36', '"age": -0')
    created = _post(any_client, document.encode())
    assert created.status_code == 201, created.text
    assert created.json()["data"]["attributes"]["age"] == 0


def test_nul_and_lone_surrogates_in_any_text_attribute_are_a_422(any_client: TestClient) -> None:
    escapes = {
        "\\u0000": "control_character",
        "\\ud800": "invalid_character",
        "\\udfff": "invalid_character",
    }
    for field in ("name", "address", "profession", "website"):
        for escape, code in escapes.items():
            value = "https://a.example/x" if field == "website" else "Ada"
            original = json.dumps(attributes()[field])
            document = json.dumps(new_user()).replace(original, f'"{value}{escape}"')
            [error] = check_errors(_post(any_client, document.encode()), 422)
            assert error["source"] == {"pointer": f"/data/attributes/{field}"}
            assert error["code"] in (code, "invalid_url"), (field, escape)
    assert check_document(any_client.get("/api/v1/users"))["data"] == []


def _round_trip(client: TestClient, values: dict[str, Any]) -> dict[str, Any]:
    """Creates a user, then reads it back alone, in a list and through an exact filter."""
    created = _post(client, new_user(**values))
    assert created.status_code == 201, created.text
    user_id = created.json()["data"]["id"]
    stored = check_document(client.get(f"/api/v1/users/{user_id}"))["data"]["attributes"]
    # (an address holding a newline cannot be filtered on: filters refuse control characters)
    for field in ("name", "profession"):
        listed = client.get("/api/v1/users", params={f"filter[{field}]": stored[field]})
        assert [u["id"] for u in check_document(listed)["data"]] == [user_id]
    searched = client.get("/api/v1/users", params={"filter[search]": stored["name"]})
    assert user_id in [u["id"] for u in check_document(searched)["data"]]
    return dict(stored)


def test_injected_and_unusual_text_is_stored_and_found_byte_for_byte(
    any_client: TestClient,
) -> None:
    for number, text in enumerate(INJECTIONS + UNICODE):
        # Names may not hold invisible or text-direction characters, and are stored in NFC
        # (tests/http/test_look_alike_names.py): the unicode cases go to the other attributes.
        name = f"{text} name" if text in INJECTIONS else f"unicode {number} name"
        values = {"name": name, "address": f"{text}\nline 2", "profession": text}
        stored = _round_trip(any_client, values)
        assert {key: stored[key] for key in values} == values
    # the injections did nothing: every user is there, and only they
    listed = check_document(any_client.get("/api/v1/users", params={"page[size]": "100"}))
    assert listed["meta"]["total"] == len(INJECTIONS + UNICODE) == len(listed["data"])


def test_a_website_with_injected_query_text_comes_back_unchanged(any_client: TestClient) -> None:
    website = "https://a.example/?q=%27%20OR%201=1--&x=%3Cscript%3E"
    created = _post(any_client, new_user(website=website))
    assert created.json()["data"]["attributes"]["website"] == website


def _must_refuse(member: str, value: Any) -> bool | None:
    """The test's own rule for one generated member: True when the document cannot be valid,
    False when it must be accepted, None when a string's validity is left to the unit tests."""
    if member in ("data", "attributes"):
        return True  # a generated value is never a whole resource or a whole set of attributes
    if member == "type":
        return value != "users"
    if member == "id":
        # Clients never choose ids; `"id": null` is read as no id today (see the report of
        # issue 18: JSON:API asks for a string), so it is left undecided here.
        return None if value is None else True
    if member == "age":
        return isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 150
    return None if isinstance(value, str) else True


def _refused_pointing_at(response: Any, member: str) -> None:
    assert 400 <= response.status_code < 500, response.text
    errors = check_errors(response, response.status_code)
    if member in attributes() and response.status_code == 422:
        assert {"pointer": f"/data/attributes/{member}"} in [e.get("source") for e in errors]


@pytest.mark.parametrize("member", ["data", "type", "id", "attributes", *attributes()])
@FUZZ
@given(value=json_values)
def test_wrong_types_anywhere_in_a_post_are_refused_cleanly(
    fuzz_client: TestClient, member: str, value: Any
) -> None:
    client = fuzz_client
    document: dict[str, Any] = new_user(name="Typed")
    if member == "data":
        document["data"] = value
    elif member in ("type", "id", "attributes"):
        document["data"][member] = value
    else:
        document["data"]["attributes"][member] = value
    response = _post(client, document)
    _no_server_error(response)
    refuse = _must_refuse(member, value)
    if refuse or (refuse is None and response.status_code != 201):
        _refused_pointing_at(response, member)
        assert check_document(client.get("/api/v1/users"))["data"] == []  # nothing stored
    else:
        assert response.status_code == 201, response.text
        if member in attributes():
            stored = response.json()["data"]["attributes"][member]
            assert stored == (value.strip() if isinstance(value, str) else value)
        client.delete(response.headers["location"])


@FUZZ
@given(changes=st.dictionaries(st.sampled_from([*attributes(), "x"]), json_values, max_size=4))
def test_wrong_types_in_a_patch_change_nothing(
    any_client: TestClient, changes: dict[str, Any]
) -> None:
    created = _post(any_client, new_user(name="Patched"))
    if created.status_code == 409:  # made by an earlier example
        created = any_client.get("/api/v1/users", params={"filter[name]": "Patched"})
        user = created.json()["data"][0]
    else:
        user = created.json()["data"]
    before = any_client.get(f"/api/v1/users/{user['id']}")
    patch = {"data": {"type": "users", "id": user["id"], "attributes": changes}}
    response = any_client.patch(f"/api/v1/users/{user['id']}", json=patch, headers=HEADERS)
    _no_server_error(response)
    verdicts = [True if name == "x" else _must_refuse(name, v) for name, v in changes.items()]
    if any(verdicts):
        assert response.status_code == 422, response.text
    elif all(verdict is False for verdict in verdicts):
        assert response.status_code == 200, response.text  # only valid ages, or no change
    if response.status_code >= 400:
        after = any_client.get(f"/api/v1/users/{user['id']}")
        assert after.headers["etag"] == before.headers["etag"]
        assert after.json()["data"] == before.json()["data"]


SERVER_OWNED = ["id", "version", "created_at", "updated_at", "name_key", "search_key", "role"]


@pytest.mark.parametrize("member", SERVER_OWNED)
def test_server_owned_or_unknown_attributes_cannot_be_set(
    any_client: TestClient, member: str
) -> None:
    document = new_user()
    document["data"]["attributes"][member] = 1 if member in ("id", "version") else "2001-01-01"
    errors = check_errors(_post(any_client, document), 422)
    assert [(e["code"], e["meta"]["attribute"]) for e in errors] == [("unknown_attribute", member)]
    created = _post(any_client, new_user())
    user_id = created.json()["data"]["id"]
    patch = {"data": {"type": "users", "id": user_id, "attributes": {member: 99, "age": 40}}}
    check_errors(any_client.patch(f"/api/v1/users/{user_id}", json=patch, headers=HEADERS), 422)
    after = any_client.get(f"/api/v1/users/{user_id}")
    assert after.headers["etag"] == f'"{user_id}-1"'
    assert after.json()["data"]["attributes"]["age"] == 36


def test_members_beside_attributes_set_nothing(any_client: TestClient) -> None:
    document = new_user()
    document["data"].update(
        {"version": 99, "meta": {"version": 99, "created_at": "2001-01-01"}, "links": {"self": "x"}}
    )
    document["meta"] = {"id": "5"}
    created = _post(any_client, document)
    assert created.status_code == 201, created.text
    assert created.headers["etag"].endswith('-1"')
    with_id = new_user(name="Other")
    with_id["data"]["id"] = "7"
    check_errors(_post(any_client, with_id), 403)
