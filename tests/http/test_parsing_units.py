"""Unit tests of the pure parts: query strings, request documents, media types, ETags, settings."""

from __future__ import annotations

import pytest

from domain.errors import InvalidQueryError
from domain.model import User
from domain.queries import CursorPage, NumberPage, SortKey, UserFilter
from entrypoints.config import Settings
from entrypoints.http.errors import RequestError
from entrypoints.http.etag import etag_for, matching_versions, none_match
from entrypoints.http.ids import UserIdConvertor
from entrypoints.http.jsonapi import (
    DocumentError,
    json_bytes,
    read_changes,
    read_new_user,
    resource_object,
)
from entrypoints.http.links import link
from entrypoints.http.negotiation import check_accept, check_content_type, parse_media_type
from entrypoints.http.query import parse_item_query, parse_list_query
from entrypoints.http.security import raw_security_headers
from tests.support.users import user_attributes

USER = User(id=7, version=3, **user_attributes(name="Ada", address="London"))


def test_an_empty_list_query_is_the_first_cursor_page_of_twenty_by_id() -> None:
    listing = parse_list_query([])
    assert listing.query.page == CursorPage(20)
    assert listing.query.order.keys == (SortKey("id"),)
    assert listing.query.filter.is_empty and listing.fields is None and listing.cursor_mode


def test_a_full_list_query() -> None:
    listing = parse_list_query(
        [
            ("page[number]", "3"),
            ("page[size]", "10"),
            ("sort", "-age,name"),
            ("filter[name]", "ADA"),
            ("filter[age][gte]", "18"),
            ("filter[age][lte]", "65"),
            ("filter[search]", "Lon"),
            ("fields[users]", "name,age"),
            ("_", "123"),
        ]
    )
    assert listing.query.page == NumberPage(3, 10)
    assert [str(key) for key in listing.query.order.keys] == ["-age", "name", "id"]
    assert listing.query.filter == UserFilter.build(
        exact={"name": "ADA"}, age_min=18, age_max=65, search="Lon"
    )
    assert listing.fields == frozenset({"name", "age"})
    assert not listing.cursor_mode
    assert [name for name, _ in listing.kept] == [
        "sort",
        "filter[name]",
        "filter[age][gte]",
        "filter[age][lte]",
        "filter[search]",
        "fields[users]",
    ]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ([("page[size]", "0")], "page[size]"),
        ([("page[size]", "101")], "page[size]"),
        ([("page[size]", "+5")], "page[size]"),
        ([("page[number]", "0")], "page[number]"),
        ([("page[number]", "1"), ("page[before]", "x")], "page[before]"),
        ([("page[after]", "a"), ("page[before]", "b")], "page[before]"),
        ([("page[after]", "")], "page[after]"),
        ([("include", "x")], "include"),
        ([("bogus", "x")], "bogus"),
        ([("filter[age]", "1.5")], "filter[age]"),
        ([("fields[users]", "id")], "fields[users]"),
        ([("sort", "a"), ("sort", "b")], "sort"),
    ],
)
def test_bad_list_queries_name_their_parameter(
    params: list[tuple[str, str]], parameter: str
) -> None:
    with pytest.raises(RequestError) as raised:
        parse_list_query(params)
    assert raised.value.status == 400
    assert raised.value.error["source"] == {"parameter": parameter}


def test_the_domain_names_the_parameter_of_a_bad_sort_or_search() -> None:
    with pytest.raises(InvalidQueryError) as raised:
        parse_list_query([("sort", "colour")])
    assert raised.value.parameter == "sort"
    with pytest.raises(InvalidQueryError):
        parse_list_query([("filter[search]", "\x07")])


def test_an_item_query_takes_only_a_fieldset() -> None:
    assert parse_item_query([]) is None
    assert parse_item_query([("fields[users]", "name")]) == frozenset({"name"})
    for params in ([("sort", "name")], [("include", "")], [("page[size]", "1")]):
        with pytest.raises(RequestError):
            parse_item_query(params)


def test_links_encode_their_query_as_the_form_urlencoded_serializer_does() -> None:
    assert link("http://h:1", "/api/v1/users", [("filter[name]", "a&b c"), ("sort", "-age")]) == (
        "http://h:1/api/v1/users?filter%5Bname%5D=a%26b+c&sort=-age"
    )
    assert link("http://h:1", "/api/v1/users") == "http://h:1/api/v1/users"


def test_a_resource_object_renders_the_id_as_a_string_and_respects_fieldsets() -> None:
    assert resource_object(USER) == {
        "type": "users",
        "id": "7",
        "attributes": user_attributes(name="Ada", address="London"),
        "relationships": {"history": {"links": {"related": "/api/v1/users/7/history"}}},
        "links": {"self": "/api/v1/users/7"},
    }
    website_only = resource_object(USER, frozenset({"website"}))
    assert website_only["attributes"] == {"website": "https://ada.example"}
    assert "relationships" not in website_only
    history_only = resource_object(USER, frozenset({"history"}))
    assert history_only["attributes"] == {}
    assert history_only["relationships"]["history"]["links"]["related"].endswith("/7/history")


def test_json_bytes_are_compact_utf8_and_ascii_escaped_for_lone_surrogates() -> None:
    assert json_bytes({"a": ["é", 1, None]}) == '{"a":["é",1,null]}'.encode()
    assert json_bytes({"a": ["é", "\ud800"]}) == b'{"a":["\\u00e9","\\ud800"]}'


def test_reading_a_new_user_returns_its_attributes_untouched() -> None:
    body = b'{"data": {"type": "users", "attributes": {"age": "36"}}, "meta": {}}'
    assert read_new_user(body) == {"age": "36"}


@pytest.mark.parametrize(
    ("body", "status", "pointer"),
    [
        (b'{"data": {"type": "users", "id": "1"}}', 403, "/data/id"),
        (b'{"data": {"type": "user"}}', 409, "/data/type"),
        (b'{"data": {"type": null}}', 400, "/data/type"),
        (b'{"data": {}}', 400, "/data"),
        (b'{"data": "users"}', 400, "/data"),
        (b"{}", 400, ""),
        (b"null", 400, ""),
        (b"{'data': 1}", 400, ""),
    ],
)
def test_reading_a_bad_post_document(body: bytes, status: int, pointer: str) -> None:
    with pytest.raises(DocumentError) as raised:
        read_new_user(body)
    assert (raised.value.status, raised.value.pointer) == (status, pointer)


def test_reading_changes_checks_the_id_against_the_url() -> None:
    body = b'{"data": {"type": "users", "id": "7", "attributes": {"age": 3}}}'
    assert read_changes(body, 7) == {"age": 3}
    with pytest.raises(DocumentError) as raised:
        read_changes(body, 8)
    assert raised.value.status == 409


def test_media_types_parse_case_insensitively_with_parameter_names() -> None:
    assert parse_media_type(' Application/VND.API+JSON ; Profile="a b"; ext=x') == (
        "application/vnd.api+json",
        frozenset({"profile", "ext"}),
    )


def test_content_type_and_accept_rules() -> None:
    check_content_type("application/vnd.api+json; profile=x")
    check_content_type("application/json; charset=utf-8")
    for bad in (None, "", "text/json", "application/vnd.api+json; ext=x"):
        with pytest.raises(RequestError) as raised:
            check_content_type(bad)
        assert raised.value.status == 415
    check_accept(None)
    check_accept("application/vnd.api+json; ext=x, application/vnd.api+json")
    with pytest.raises(RequestError) as raised:
        check_accept("application/vnd.api+json; ext=x")
    assert raised.value.status == 406


def test_etags_are_strong_and_name_id_and_version() -> None:
    assert etag_for(USER) == '"7-3"'
    assert none_match('W/"7-3"', USER) and none_match("*", USER)
    assert not none_match('"7-2"', USER) and not none_match(None, USER)
    assert matching_versions('"7-3", "7-4", "8-3", W/"7-9"', 7) == frozenset({3, 4})
    assert matching_versions("*", 7) is None
    assert matching_versions('"7-99999999999999999999"', 7) == frozenset()


def test_an_id_is_written_into_a_path_only_with_0_to_19_digits() -> None:
    convertor = UserIdConvertor()
    assert convertor.to_string(0) == "0"
    assert convertor.to_string(9_999_999_999_999_999_999) == "9999999999999999999"
    assert convertor.convert("0042") == 42
    for outside in (-1, 10_000_000_000_000_000_000):
        with pytest.raises(
            ValueError, match=r"^a user id is a non-negative integer of at most 19 digits$"
        ):
            convertor.to_string(outside)


def test_the_security_headers_as_the_server_writes_them() -> None:
    assert raw_security_headers() == [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (
            b"content-security-policy",
            b"default-src 'self'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
            b"form-action 'self'; object-src 'none'",
        ),
    ]


def test_settings_prefer_flags_then_environment_then_defaults() -> None:
    assert Settings.load({}).database_url == "sqlite:///users.db"
    environ = {"DATABASE_URL": "postgres://db/users", "CORS_ORIGINS": "https://a, https://b"}
    settings = Settings.load(environ)
    assert settings.database_url == "postgres://db/users"
    assert settings.cors_origins == ("https://a", "https://b")
    flagged = Settings.load(environ, database_url="sqlite:///x.db", cors_origins=["https://c"])
    assert (flagged.database_url, flagged.cors_origins) == ("sqlite:///x.db", ("https://c",))
    assert Settings.load(flagged.environment()) == Settings.load(
        {}, database_url="sqlite:///x.db", cors_origins=["https://c"]
    )
