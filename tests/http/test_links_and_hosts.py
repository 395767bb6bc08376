"""What real JSON:API clients need: absolute links that are valid URI-references, the
profile named in the media type, cursor first/last links, and the Host header check."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import anyio
import pytest
from starlette.responses import PlainTextResponse
from starlette.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from entrypoints.config import Settings
from entrypoints.http.hosts import AllowedHosts, AllowedHostsMiddleware
from entrypoints.http.links import link as link_to
from entrypoints.http.links import origin, self_link
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


# -- the pieces exactly: origin, link, self_link; the host check -----------------------


def test_the_origin_is_the_scheme_and_the_host_header_as_sent() -> None:
    headers = [(b"accept", b"*/*"), (b"host", b"Users.Example:8443"), (b"host", b"second")]
    assert origin({"scheme": "https", "headers": headers}) == "https://Users.Example:8443"
    assert origin({"headers": [(b"host", b"caf\xe9.example")]}) == "http://café.example"


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ({"scheme": "http", "server": ("10.0.0.1", 80)}, "http://10.0.0.1"),
        ({"scheme": "http", "server": ("10.0.0.1", 443)}, "http://10.0.0.1:443"),
        ({"scheme": "https", "server": ("10.0.0.1", 443)}, "https://10.0.0.1"),
        ({"scheme": "https", "server": ("10.0.0.1", 80)}, "https://10.0.0.1:80"),
        ({"scheme": "http", "server": ("10.0.0.1", 8080)}, "http://10.0.0.1:8080"),
        ({"scheme": "http", "server": ("/run/users.sock", None)}, "http:///run/users.sock"),
        ({"scheme": "ws", "server": ("10.0.0.1", 80)}, "ws://10.0.0.1:80"),
        ({"server": ("10.0.0.1", 80), "headers": [(b"accept", b"*/*")]}, "http://10.0.0.1"),
        ({"scheme": "https", "server": None}, "https://localhost"),
        ({"scheme": "https"}, "https://localhost"),
        ({}, "http://localhost"),
    ],
)
def test_without_a_host_header_the_origin_is_the_server_s_address(
    scope: dict[str, Any], expected: str
) -> None:
    assert origin(scope) == expected


def test_a_link_is_base_and_path_with_the_parameters_form_encoded() -> None:
    assert link_to("http://h", "/api/v1/users") == "http://h/api/v1/users"
    assert link_to("http://h", "/p", []) == "http://h/p"
    assert link_to("http://h", "/p", [("page[size]", "2"), ("q", "a b&c")]) == (
        "http://h/p?page%5Bsize%5D=2&q=a+b%26c"
    )


def test_the_self_link_re_encodes_the_query_and_keeps_blank_values() -> None:
    scope = {
        "scheme": "https",
        "headers": [(b"host", b"users.example")],
        "path": "/api/v1/users",
        "query_string": b"page[size]=2&filter[search]=&sort&n=caf%C3%A9&raw=caf\xe9",
    }
    assert self_link(scope) == (
        "https://users.example/api/v1/users"
        "?page%5Bsize%5D=2&filter%5Bsearch%5D=&sort=&n=caf%C3%A9&raw=caf%C3%A9"
    )
    assert self_link({"headers": [(b"host", b"h")], "path": "/healthz"}) == "http://h/healthz"
    assert self_link({"headers": [(b"host", b"h")]}) == "http://h/"


@pytest.mark.parametrize(
    ("entry", "allowed", "refused"),
    [
        (" Users.Example ", ["users.example", "USERS.EXAMPLE:1", " users.example:80 "], ["users"]),
        ("users.example:8000", ["Users.Example:8000", " users.example:8000 "], ["users.example"]),
        ("[::1]", ["[::1]", "[::1]:8000"], ["[::2]", "[::1]1"]),
        ("[2001:db8::7]:443", ["[2001:db8::7]:443"], ["[2001:db8::7]", "[2001:db8::7]:80"]),
        # unbracketed, an IPv6 address is a name too: what follows its last colon is a port
        ("::1", ["::1", "::1:8000"], ["::", "::2"]),
        ("[fe80::1:7]", ["[fe80::1:7]", "[fe80::1:7]:8000"], ["[fe80::1", "[fe80::1:8]"]),
        ("users.example:", ["users.example:"], ["users.example", "users.example:80"]),
    ],
)
def test_an_allowed_host_entry_matches_its_name_and_only_its_port_when_it_has_one(
    entry: str, allowed: list[str], refused: list[str]
) -> None:
    hosts = AllowedHosts([entry])
    assert [host for host in allowed if not hosts.allows(host)] == []
    assert [host for host in refused if hosts.allows(host)] == []


def test_a_request_for_another_host_gets_the_whole_error_document_exactly(
    client: TestClient,
) -> None:
    response = client.get("/api/v1/users?page[size]=2", headers={"Host": "evil.example:80"})
    assert response.status_code == 400
    assert response.headers["content-type"] == JSONAPI
    assert response.json() == {
        "jsonapi": {"version": "1.1"},
        "links": {"self": "/api/v1/users"},
        "errors": [
            {
                "status": "400",
                "code": "host_not_allowed",
                "title": "Host not allowed",
                "detail": "this service does not answer for the host named in the Host header",
                "source": {"header": "Host"},
            }
        ],
    }
    session = client.get("/api/v1/session", headers={"Host": "TestServer:8000"})
    assert session.status_code == 200, session.text
    assert session.json()["links"]["self"] == "http://TestServer:8000/api/v1/session"


def _answer(hosts: list[str], headers: list[tuple[bytes, bytes]]) -> list[Message]:
    """What the host check sends for a GET with these raw headers, in front of an app that
    answers 200 "inner"."""
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("inner")(scope, receive, send)

    scope = {"type": "http", "method": "GET", "path": "/api/v1/users", "headers": headers}
    anyio.run(AllowedHostsMiddleware(inner, hosts=hosts), scope, receive, send)
    return sent


def test_a_request_without_a_host_header_is_read_as_naming_the_empty_host() -> None:
    refused = _answer(["testserver"], [(b"accept", b"*/*")])
    assert refused[0]["status"] == 400
    assert json.loads(refused[1]["body"])["errors"][0]["code"] == "host_not_allowed"
    passed = _answer([""], [(b"accept", b"*/*")])
    assert (passed[0]["status"], passed[1]["body"]) == (200, b"inner")
    assert _answer([""], [(b"host", b"testserver")])[0]["status"] == 400


def test_behind_the_host_check_a_request_body_still_reaches_the_endpoint() -> None:
    # With CORS on, the body limit (which reads the body) runs inside the host check.
    with memory_client(cors_origins=["https://app.example"]) as client:
        created = client.post(
            "/api/v1/users",
            json=new_user_document(name="Ada", address="London"),
            headers={"Content-Type": JSONAPI},
        )
        assert created.status_code == 201, created.text
        assert created.json()["data"]["attributes"]["name"] == "Ada"
