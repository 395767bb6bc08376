"""The schema check every HTTP test relies on (documents.check_document) refuses what JSON:API
forbids: were it to accept anything, every test that calls it would check less than it says."""

from __future__ import annotations

from typing import Any

import pytest

from tests.http.documents import JSONAPI, check_document


class _Answer:
    """What check_document reads of a response: its headers and its JSON body."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.headers = {"content-type": JSONAPI}
        self._document = document

    def json(self) -> dict[str, Any]:
        return self._document


def _user(**changes: Any) -> dict[str, Any]:
    return {
        "type": "users",
        "id": "7",
        "attributes": {"name": "Ada"},
        "links": {"self": "http://testserver/api/v1/users/7"},
        **changes,
    }


def _page(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "jsonapi": {"version": "1.1"},
        "links": {"self": "http://testserver/api/v1/users"},
        "data": list(resources),
    }


def test_a_valid_page_passes() -> None:
    assert check_document(_Answer(_page(_user(), _user(id="8")))) == _page(_user(), _user(id="8"))


@pytest.mark.parametrize(
    "document",
    [
        _page(_user(), _user(id=8)),  # an id must be a string, even the 2nd resource's
        _page(_user(type=None)),  # a resource has a type
        {**_page(_user()), "errors": [{"status": "400"}]},  # data and errors never together
        {**_page(_user()), "extra": 1},  # no top-level member of its own
        _page({"id": "7", "attributes": {}}),  # no type
    ],
    ids=["integer-id", "null-type", "data-and-errors", "unknown-member", "missing-type"],
)
def test_a_document_jsonapi_forbids_fails_the_check(document: dict[str, Any]) -> None:
    with pytest.raises(AssertionError):
        check_document(_Answer(document))
