"""Content negotiation's edges (entrypoints/http/negotiation.py): empty parameters, case, and
media types that only contain the JSON:API one's name."""

from __future__ import annotations

import pytest

from entrypoints.http.errors import RequestError
from entrypoints.http.negotiation import check_accept, check_content_type, parse_media_type


def test_empty_parameters_are_no_parameters() -> None:
    assert parse_media_type("application/vnd.api+json; ;") == (
        "application/vnd.api+json",
        frozenset(),
    )
    check_content_type("application/vnd.api+json;")
    check_accept("application/vnd.api+json;")


def test_accept_is_read_case_insensitively() -> None:
    with pytest.raises(RequestError) as raised:
        check_accept("Application/VND.API+JSON; EXT=x")
    assert (raised.value.status, raised.value.error["code"]) == (406, "not_acceptable")


def test_accept_naming_only_a_longer_media_type_is_not_json_api() -> None:
    check_accept("application/vnd.api+json-seq; ext=x")
    check_accept("application/vnd.api+jsonx")


def test_a_parameter_is_named_by_what_comes_before_its_first_equals_sign() -> None:
    profile = 'application/vnd.api+json; profile="https://example.com/p?a=b"'
    assert parse_media_type(profile) == ("application/vnd.api+json", frozenset({"profile"}))
    check_content_type(profile)
    check_accept(profile)
