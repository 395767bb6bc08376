"""What real JSON:API clients need: absolute links that are valid URI-references, the
profile named in the media type, cursor first/last links, and the Host header check."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from entrypoints.config import Settings
from entrypoints.http.hosts import AllowedHosts
from tests.http.conftest import memory_client
from tests.http.documents import JSONAPI, check_document, check_errors
from tests.support.users import new_user_document

Create = Callable[..., dict[str, Any]]
CURSOR_MEDIA_TYPE = 'application/vnd.api+json; profile="http://jsonapi.org/profiles/ethanresnick/cursor-pagination/"'
# RFC 3986: the characters a URI may hold; `[` and `]` only around an IPv6 host.
URI_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]*")


@pytest.fixture
def five(create: Create) -> None:
    for name in ("Ada", "Alan", "Barbara", "Edsger", "Grace"):
        create(name=name)


def all_links(document: dict[str, Any]) -> list[str]:
    links = [value for value in document["links"].values() if value is not None]
    data = document.get("data") or []
    for resource in data if isinstance(data, list) else [data]:
        links.append(resource["links"]["self"])
    return links


def test_cursor_pages_name_the_profile_in_their_media_type(client: TestClient, five: None) -> None:
    assert client.get("/api/v1/users").headers["content-type"] == CURSOR_MEDIA_TYPE
    numbered = client.get("/api/v1/users?page[number]=1")
    assert numbered.headers["content-type"] == JSONAPI
    assert client.get("/api/v1/users/1").headers["content-type"] == JSONAPI


def test_every_link_is_absolute_and_a_valid_uri_reference(client: TestClient, five: None) -> None:
    response = client.get(
        "/api/v1/users?page[size]=2&sort=name,-age&filter[search]=a b&fields[users]=name"
    )
    links = all_links(check_document(response))
    links += all_links(check_document(client.get("/api/v1/users?page[number]=2&page[size]=2")))
    links += all_links(check_document(client.get("/api/v1/users/1")))
    assert len(links) > 10
    for link in links:
        assert link.startswith("http://testserver/"), link
        assert URI_CHARACTERS.fullmatch(link), link


def test_self_is_encoded_like_the_link_that_led_there(client: TestClient, five: None) -> None:
    first = check_document(client.get("/api/v1/users?page[size]=2&filter[search]=a&sort=name"))
    assert first["links"]["self"] == (
        "http://testserver/api/v1/users?page%5Bsize%5D=2&filter%5Bsearch%5D=a&sort=name"
    )
    second = check_document(client.get(first["links"]["next"]))
    assert second["links"]["self"] == first["links"]["next"]
    error = client.get("/api/v1/users?page[size]=0")
    assert check_document(error)["links"]["self"] == (
        "http://testserver/api/v1/users?page%5Bsize%5D=0"
    )


def test_links_use_the_scheme_and_host_the_client_used() -> None:
    with memory_client(allowed_hosts=["users.example"]) as client:
        client.base_url = "https://users.example:8443"  # type: ignore[assignment]
        created = client.post(
            "/api/v1/users",
            json=new_user_document(name="Ada", address="London"),
            headers={"Content-Type": JSONAPI},
        )
        assert created.status_code == 201, created.text
        assert created.headers["location"] == "https://users.example:8443/api/v1/users/1"
        listed = check_document(client.get("/api/v1/users"))
        assert listed["links"]["first"].startswith("https://users.example:8443/api/v1/users?")


def test_cursor_pages_link_first_and_last(client: TestClient, five: None) -> None:
    first = check_document(client.get("/api/v1/users?page[size]=2&sort=name"))
    last = check_document(client.get(first["links"]["last"]))
    assert [user["attributes"]["name"] for user in last["data"]] == ["Edsger", "Grace"]
    assert last["links"]["next"] is None
    before = check_document(client.get(last["links"]["prev"]))
    assert [user["attributes"]["name"] for user in before["data"]] == ["Alan", "Barbara"]
    again = check_document(client.get(last["links"]["first"]))
    assert [user["attributes"]["name"] for user in again["data"]] == ["Ada", "Alan"]


def test_a_request_for_another_host_is_a_400_error_document(client: TestClient) -> None:
    response = client.get("/api/v1/users", headers={"Host": "evil.example"})
    [error] = check_errors(response, 400)
    assert error["code"] == "host_not_allowed"
    assert error["source"] == {"header": "Host"}
    assert "evil.example" not in response.text
    assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400


def test_allowed_hosts_match_names_on_any_port_and_name_port_exactly() -> None:
    hosts = AllowedHosts(["users.example", "localhost:8000", "[::1]:8000"])
    assert hosts.allows("users.example")
    assert hosts.allows("USERS.example:9999")
    assert hosts.allows("localhost:8000")
    assert not hosts.allows("localhost:8001")
    assert not hosts.allows("localhost")
    assert hosts.allows("[::1]:8000")
    assert not hosts.allows("[::1]")
    assert not hosts.allows("users.example.evil")
    assert not hosts.allows("")


def test_bound_to_loopback_only_the_loopback_names_with_the_port_are_allowed() -> None:
    settings = Settings.load({}, host="127.0.0.1", port=8123)
    assert set(settings.allowed_hosts) == {"localhost:8123", "127.0.0.1:8123", "[::1]:8123"}
    assert Settings.load({}, host="::1", port=80).allowed_hosts[0] == "localhost:80"
    assert Settings(port=9000).allowed_hosts[0] == "localhost:9000"


def test_bound_elsewhere_without_a_list_any_host_is_allowed() -> None:
    assert Settings.load({}, host="0.0.0.0", port=8000).allowed_hosts == ("*",)


def test_the_flag_wins_over_the_environment_which_wins_over_the_default() -> None:
    environ = {"ALLOWED_HOSTS": "a.example, b.example:81"}
    assert Settings.load(environ).allowed_hosts == ("a.example", "b.example:81")
    chosen = Settings.load(environ, allowed_hosts=["c.example"])
    assert chosen.allowed_hosts == ("c.example",)
    assert Settings.load(chosen.environment()).allowed_hosts == ("c.example",)


def test_any_host_is_answered_when_allowed_hosts_says_star() -> None:
    with memory_client(allowed_hosts=["*"]) as client:
        assert client.get("/healthz", headers={"Host": "anything.example"}).status_code == 200


def test_every_adapter_walks_back_from_the_last_cursor_page(any_client: TestClient) -> None:
    for name in ("Ada", "Alan", "Barbara", "Edsger", "Grace"):
        response = any_client.post(
            "/api/v1/users",
            json=new_user_document(name=name, address="London"),
            headers={"Content-Type": JSONAPI},
        )
        assert response.status_code == 201, response.text
    first = check_document(any_client.get("/api/v1/users?page[size]=2&sort=-name"))
    last = check_document(any_client.get(first["links"]["last"]))
    assert [user["attributes"]["name"] for user in last["data"]] == ["Alan", "Ada"]
    assert last["links"]["next"] is None
    before = check_document(any_client.get(last["links"]["prev"]))
    assert [user["attributes"]["name"] for user in before["data"]] == ["Edsger", "Barbara"]
    searched = check_document(any_client.get("/api/v1/users?filter[search]=a&page[number]=1"))
    assert searched["meta"] == {"total": 5}
