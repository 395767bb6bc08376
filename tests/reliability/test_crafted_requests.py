"""Crafted requests an outside probe sent (issue 12): each class answered with a 4xx JSON:API
error document, logged on one short line, on every database.

- ids of any length on every route naming a user (past 4,300 digits int() itself refuses);
- web-client asset names the file system refuses (too long) or that are not file names;
- bodies that are not UTF-8 JSON, and objects naming a member twice, anywhere;
- the cache and security headers on every answer.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from entrypoints.http.security import SECURITY_HEADERS
from tests.http.conftest import memory_client
from tests.http.documents import JSONAPI, changes, check_errors, new_user

HEADERS = {"Content-Type": JSONAPI}
#: A generous bound for one log line: the probe saw 267 KB per request.
LINE_MAX = 1200

LONG_DIGITS = [
    "9" * 20,  # past the 19 digits of a 64-bit id
    "1" * 4301,  # past Python's integer-string limit
    "7" * 60_000,  # the test client sends at most 64 KB of URL
    "0" * 25 + "1",  # leading zeros do not make a long id short
]


@pytest.fixture
def client() -> Iterator[TestClient]:
    with memory_client() as test_client:
        yield test_client


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.INFO):
        yield caplog


def _check_log_lines_bounded(caplog: pytest.LogCaptureFixture, requests: int) -> None:
    records = [record for record in caplog.records if record.name.startswith("users_service")]
    assert len(records) <= 2 * requests, [r.getMessage()[:200] for r in records]
    for record in records:
        line = record.getMessage()
        assert record.exc_info is None and "\n" not in line
        assert len(line) <= LINE_MAX, line[:300]
    assert not any(record.levelno >= logging.ERROR for record in records)


@pytest.mark.parametrize("digits", LONG_DIGITS, ids=lambda d: f"{len(d)}digits")
@pytest.mark.parametrize("suffix", ["", ".json"])
def test_an_id_of_any_length_is_a_404_document_on_every_method(
    any_client: TestClient, logged: pytest.LogCaptureFixture, digits: str, suffix: str
) -> None:
    path = f"/api/v1/users/{digits}{suffix}"
    answers = [
        any_client.get(path),
        any_client.patch(path, json=changes(digits, age=3), headers=HEADERS),
        any_client.delete(path),
    ]
    for response in answers:
        [error] = check_errors(response, 404)
        assert error["code"] == "not_found"
        assert len(error["detail"]) < 400
    _check_log_lines_bounded(logged, len(answers))


@pytest.mark.parametrize("user_id", [str(2**63), str(10**19 - 1), str(2**63 - 1)])
def test_an_id_past_the_largest_stored_id_is_a_404_document(
    any_client: TestClient, user_id: str
) -> None:
    for response in (
        any_client.get(f"/api/v1/users/{user_id}"),
        any_client.patch(f"/api/v1/users/{user_id}", json=changes(user_id, age=3), headers=HEADERS),
        any_client.delete(f"/api/v1/users/{user_id}"),
    ):
        [error] = check_errors(response, 404)
        assert error["code"] == "not_found"


def test_a_short_id_still_names_its_user(any_client: TestClient) -> None:
    created = any_client.post("/api/v1/users", json=new_user(), headers=HEADERS)
    user_id = created.json()["data"]["id"]
    assert any_client.get(f"/api/v1/users/{user_id}").status_code == 200
    assert any_client.get(f"/api/v1/users/{user_id}.json").status_code == 200


ASSET_NAMES = [
    "app/" + "a" * 300 + ".js",  # ENAMETOOLONG on a file system
    "app/" + "b" * 60_000 + ".js",
    "vendor/" + "c" * 300 + ".js",
    "app/" + "/".join(["d" * 200] * 30) + "/x.js",  # a path longer than PATH_MAX
    "app/x%00.js",
    "app/%00.js",
    "app/caf\u00e9.js",
    "app/\u202e.js",
    "app/..\\..\\x.js",
    "app/" + "x/" * 40 + "y.js",
]


@pytest.mark.parametrize("name", ASSET_NAMES, ids=lambda n: f"{len(n)}chars-{n[:12]!r}")
def test_an_asset_name_that_is_no_file_name_is_a_404_document(
    client: TestClient, logged: pytest.LogCaptureFixture, name: str
) -> None:
    [error] = check_errors(client.get(f"/assets/{name}"), 404)
    assert error["code"] == "not_found"
    assert len(error["detail"]) < 400
    _check_log_lines_bounded(logged, 1)


def test_the_client_files_are_still_served(client: TestClient) -> None:
    for path in ("/", "/assets/app/app.js", "/assets/vendor/VERSIONS.json"):
        assert client.get(path).status_code == 200, path


def test_the_access_log_line_of_a_long_path_is_short(
    client: TestClient, logged: pytest.LogCaptureFixture
) -> None:
    client.get("/" + "p" * 60_000)
    [line] = [r.getMessage() for r in logged.records if r.name == "users_service.access"]
    assert len(line) <= LINE_MAX and "60001 characters" in line


# -- request bodies ------------------------------------------------------------------------

ENCODINGS = ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be", "utf-8-sig"]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_body_not_in_utf8_is_a_400_and_stores_nothing(
    any_client: TestClient, encoding: str
) -> None:
    created = any_client.post("/api/v1/users", json=new_user(name="Grace"), headers=HEADERS)
    user_id = created.json()["data"]["id"]
    posted = json.dumps(new_user(name="Ad\u00e9")).encode(encoding)
    patched = json.dumps(changes(user_id, age=99)).encode(encoding)
    for response in (
        any_client.post("/api/v1/users", content=posted, headers=HEADERS),
        any_client.patch(f"/api/v1/users/{user_id}", content=patched, headers=HEADERS),
    ):
        [error] = check_errors(response, 400)
        assert error["code"] == "invalid_encoding"
        assert error["source"] == {"pointer": ""}
    listed = any_client.get("/api/v1/users").json()
    assert listed["meta"]["total"] == 1
    assert any_client.get(f"/api/v1/users/{user_id}").json()["data"]["attributes"]["age"] == 36


def _object_paths(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path of every object in a JSON value."""
    if isinstance(value, dict):
        yield path
        for name, member in value.items():
            yield from _object_paths(member, (*path, name))


def _with_member_twice(document: dict[str, Any], path: tuple[str, ...]) -> bytes:
    """`document` as JSON text, the first member of the object at `path` written a second
    time, with another value, after the object's last member."""
    marker = "\u0000marker\u0000"
    copied = copy.deepcopy(document)
    target = copied
    for name in path:
        target = target[name]
    first = next(iter(target))
    target[marker] = None
    text = json.dumps(copied)
    return text.replace(json.dumps(marker) + ": null", json.dumps(first) + ': "other"').encode()


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_member_named_twice_in_any_object_is_a_400_and_changes_nothing(
    any_client: TestClient, method: str
) -> None:
    created = any_client.post("/api/v1/users", json=new_user(name="Grace"), headers=HEADERS)
    user_id = created.json()["data"]["id"]
    if method == "POST":
        path, document = "/api/v1/users", new_user(name="Other", age=40)
    else:
        path, document = f"/api/v1/users/{user_id}", changes(user_id, name="Other", age=40)
    document["meta"] = {"note": {"deep": 1}}
    paths = list(_object_paths(document))
    assert len(paths) >= 4  # the document, data, attributes, meta and below
    for object_path in paths:
        body = _with_member_twice(document, object_path)
        response = any_client.request(method, path, content=body, headers=HEADERS)
        [error] = check_errors(response, 400)
        assert error["code"] == "duplicate_member", (object_path, body)
    listed = any_client.get("/api/v1/users").json()
    assert [user["attributes"]["name"] for user in listed["data"]] == ["Grace"]
    assert listed["data"][0]["attributes"]["age"] == 36


def test_the_same_member_in_different_objects_is_fine(any_client: TestClient) -> None:
    document = new_user(name="Grace")
    document["meta"] = {"data": {"type": "x"}, "name": 1}
    assert any_client.post("/api/v1/users", json=document, headers=HEADERS).status_code == 201


# -- headers on every answer ---------------------------------------------------------------


def test_every_api_answer_is_not_stored_but_a_user_read_is_revalidated(
    any_client: TestClient,
) -> None:
    created = any_client.post("/api/v1/users", json=new_user(), headers=HEADERS)
    user_id = created.json()["data"]["id"]
    etag = created.headers["etag"]
    item = f"/api/v1/users/{user_id}"
    revalidated = [
        any_client.get(item),
        any_client.get(item + ".json"),
        any_client.get(item, headers={"If-None-Match": etag}),
    ]
    assert [r.status_code for r in revalidated] == [200, 200, 304]
    not_stored = [
        created,
        any_client.get("/api/v1/users"),
        any_client.get("/api/v1/users?filter[search]=ada"),
        any_client.get("/api/v1/users?page[size]=0"),
        any_client.patch(item, json=changes(user_id, age=40), headers=HEADERS),
        any_client.patch(
            item, json=changes(user_id, age=41), headers={**HEADERS, "If-Match": '"1-9"'}
        ),
        any_client.get("/api/v1/users/424242"),
        any_client.put(item),
        any_client.get("/api/v1/openapi.json"),
        any_client.get("/healthz"),
        any_client.get("/readyz"),
        any_client.get("/nowhere"),
        any_client.delete(item),
    ]
    for response in revalidated:
        assert response.headers["cache-control"] == "no-cache"
    for response in not_stored:
        assert response.headers["cache-control"] == "no-store", (
            response.request.method,
            response.request.url,
        )
    for response in revalidated + not_stored:
        for name, value in SECURITY_HEADERS:
            assert response.headers[name] == value
        assert len(response.headers.get_list("cache-control")) == 1


def test_the_client_files_keep_their_own_caching(client: TestClient) -> None:
    assert client.get("/").headers["cache-control"] == "no-cache"
    vendor = client.get("/assets/vendor/VERSIONS.json")
    assert vendor.headers["cache-control"].startswith("public, max-age=")


@pytest.mark.parametrize("digits", LONG_DIGITS, ids=lambda d: f"{len(d)}digits")
@pytest.mark.parametrize("collection", ["accounts", "tokens"])
def test_an_account_or_token_id_of_any_length_is_a_404_document(
    client: TestClient, logged: pytest.LogCaptureFixture, digits: str, collection: str
) -> None:
    # Signed in as an admin (memory_client), who may read and change both.
    path = f"/api/v1/{collection}/{digits}"
    method = "PATCH" if collection == "accounts" else "DELETE"
    answers = [client.get(path), client.request(method, path, json={}, headers=HEADERS)]
    for response in answers:
        [error] = check_errors(response, 404)
        assert error["code"] == "not_found"
    _check_log_lines_bounded(logged, len(answers))
