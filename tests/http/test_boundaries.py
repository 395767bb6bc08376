"""Limits pinned on both sides: the largest value a limit lets through works, one past it is
refused with a 4xx naming the parameter, and neither is ever a 500 on any adapter."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from domain.model import User
from entrypoints.http.etag import matching_versions, none_match
from tests.http.documents import JSONAPI, changes, check_document, check_errors, new_user
from tests.support.users import user_attributes

HEADERS = {"Content-Type": JSONAPI, "Accept": JSONAPI}
LARGEST_VERSION = "9" * 18  # the longest If-Match version still read as a number: < 2**63
TOO_LONG_VERSION = "9" * 19  # past a signed 64-bit integer: never sent to the database


def test_if_match_reads_versions_of_up_to_18_digits() -> None:
    assert matching_versions(f'"7-{LARGEST_VERSION}"', 7) == frozenset({int(LARGEST_VERSION)})
    assert matching_versions(f'"7-{TOO_LONG_VERSION}"', 7) == frozenset()
    assert matching_versions(f'"7-{TOO_LONG_VERSION}", "7-3"', 7) == frozenset({3})


@pytest.mark.parametrize("version", [LARGEST_VERSION, TOO_LONG_VERSION])
def test_a_huge_if_match_version_is_a_failed_precondition(
    any_client: TestClient, version: str
) -> None:
    created = any_client.post("/api/v1/users", json=new_user(), headers=HEADERS)
    assert created.status_code == 201, created.text
    user_id = created.json()["data"]["id"]
    path = f"/api/v1/users/{user_id}"
    conditional = {**HEADERS, "If-Match": f'"{user_id}-{version}"'}
    check_errors(any_client.patch(path, json=changes(user_id, age=3), headers=conditional), 412)
    check_errors(any_client.delete(path, headers=conditional), 412)
    assert any_client.get(path).json()["data"]["attributes"]["age"] == 36  # nothing changed


@pytest.mark.parametrize(
    ("number", "accepted"), [("1", True), ("0", False), ("500", True), ("501", False)]
)
def test_page_number_runs_from_1_to_the_end_of_the_10000_user_window(
    any_client: TestClient, number: str, accepted: bool
) -> None:
    # 20 users a page: page 500 ends at user 10,000, page 501 starts past the window (and
    # past the end of this empty list, which is where a page read from the end would start).
    response = any_client.get("/api/v1/users", params={"page[number]": number})
    if accepted:
        assert check_document(response)["data"] == []
    else:
        [error] = check_errors(response, 400)
        assert error["source"] == {"parameter": "page[number]"}


@pytest.mark.parametrize(("size", "accepted"), [("1", True), ("0", False), ("100", True)])
def test_page_size_runs_from_1_to_100(any_client: TestClient, size: str, accepted: bool) -> None:
    response = any_client.get("/api/v1/users", params={"page[size]": size})
    if accepted:
        assert check_document(response)["data"] == []
    else:
        [error] = check_errors(response, 400)
        assert error["source"] == {"parameter": "page[size]"}


@pytest.mark.parametrize("user_id", [2**63 - 1, 2**63, 10**30])
def test_ids_at_and_past_the_64_bit_limit_are_not_found(
    any_client: TestClient, user_id: int
) -> None:
    check_errors(any_client.get(f"/api/v1/users/{user_id}"), 404)
    check_errors(any_client.delete(f"/api/v1/users/{user_id}"), 404)


@pytest.mark.parametrize(
    ("header", "versions"),
    [
        ('"7-3","7-4"', {3, 4}),  # no space after the comma
        ('  "7-3" ,, "7-12"  ', {3, 12}),
        ('"8-5"', set()),  # another user's tag
        ('"7-x"', set()),
        ('"7-"', set()),
        ('"7-٣"', set()),  # a digit, but not an ASCII one
        ('"7-3', set()),  # unterminated
        ('W/"7-3"', set()),  # weak tags never satisfy If-Match
    ],
)
def test_if_match_reads_only_this_users_strong_ascii_tags(header: str, versions: set[int]) -> None:
    assert matching_versions(header, 7) == frozenset(versions)


@pytest.mark.parametrize(
    ("header", "matches"),
    [('"7-3"', True), ('W/"7-3"', True), ('w/"7-3"', False), ('"7-2", "7-3"', True),
     ('"7-2"', False), ("*", True), ("", False), ('"7-3"x', False)],
)  # fmt: skip
def test_if_none_match_compares_weakly_with_the_current_tag(header: str, matches: bool) -> None:
    user = User(id=7, version=3, **user_attributes())
    assert none_match(header, user) is matches
