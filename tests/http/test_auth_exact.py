"""Who is asking (auth.py) pinned exactly: the Authorization header's forms, the origin check's
error document and the service's own origin, the actor's address in the audit log."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from starlette.testclient import TestClient

from tests.http.accounts_service import Service, audit_lines
from tests.http.documents import new_user
from tests.signed_in import PASSWORD

JSONAPI = "application/vnd.api+json"
CROSS_ORIGIN = {
    "status": "403",
    "code": "cross_origin",
    "title": "Cross-origin request refused",
    "detail": "a request signed in by cookie must come from this service's own pages",
    "source": {"header": "Origin"},
}


@pytest.fixture
def service() -> Iterator[Service]:
    made = Service()
    with made.client:
        yield made


def _secret(service: Service, account: str) -> str:
    return service.token(account)["Authorization"].removeprefix("Bearer ")


@pytest.mark.parametrize(
    "form", ["Bearer {}", "bearer {}", "BEARER {}", "Bearer  {}", "Bearer {}  ", "Bearer \t{}"]
)
def test_a_bearer_token_is_read_whatever_the_scheme_case_and_spacing(
    service: Service, form: str
) -> None:
    header = {"Authorization": form.format(_secret(service, "editor"))}
    response = service.client.get("/api/v1/session", headers=header)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["attributes"]["username"] == "editor"


@pytest.mark.parametrize("form", ["Basic {}", "Token {}", "{}", "Bearer", "Bearer ", "Bearer   "])
def test_an_authorization_header_of_another_form_is_a_401_even_with_a_good_secret(
    service: Service, form: str
) -> None:
    header = {"Authorization": form.format(_secret(service, "editor"))}
    response = service.client.get("/api/v1/session", headers=header)
    assert response.status_code == 401, response.text
    assert response.json()["errors"][0]["code"] == "not_signed_in"


def test_a_cookie_write_from_another_origin_gets_the_exact_cross_origin_error(
    service: Service,
) -> None:
    service.sign_in("editor")
    response = service.client.post(
        "/api/v1/users",
        json=new_user(),
        headers={"Origin": "https://evil.example", "Content-Type": JSONAPI},
    )
    assert response.status_code == 403
    assert response.headers["content-type"] == JSONAPI
    assert response.json() == {
        "jsonapi": {"version": "1.1"},
        "links": {"self": "http://testserver/api/v1/users"},
        "errors": [CROSS_ORIGIN],
    }


def test_without_a_host_header_the_own_origin_has_no_host(service: Service) -> None:
    """A service answering any host gets requests without a Host header too (HTTP/1.0); its
    own origin is then the scheme alone, `http://`: no page's origin has no host."""
    service.sign_in("editor")
    cookie = service.client.cookies["users_session"]

    async def post(origin: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=service.client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            request = client.build_request(
                "POST",
                "/api/v1/users",
                json=new_user(name=f"From {origin}"),
                headers={"Origin": origin, "Cookie": f"users_session={cookie}"},
            )
            del request.headers["Host"]
            return await client.send(request)

    refused = asyncio.run(post("http://None"))
    assert refused.status_code == 403, refused.text
    assert refused.json()["errors"] == [CROSS_ORIGIN]
    accepted = asyncio.run(post("http://"))
    assert accepted.status_code == 201, accepted.text


def test_the_actor_of_a_guarded_request_carries_the_client_address(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    headers = {**service.token("admin"), "Content-Type": JSONAPI}
    document = {"data": {"type": "tokens", "attributes": {"label": "x", "account": "viewer"}}}
    with caplog.at_level(logging.INFO, logger="users_service.audit"):
        caplog.clear()  # only this block's lines (an earlier test may leave INFO on)
        created = service.client.post("/api/v1/tokens", json=document, headers=headers)
    assert created.status_code == 201, created.text
    assert audit_lines(caplog) == [
        'token_created id=2 account="viewer" by="admin" address="testclient"'
    ]


def test_a_credential_seen_lately_is_believed_without_a_lookup(service: Service) -> None:
    for headers in (service.token("viewer"), {"Cookie": _cookie(service, "editor")}):
        before = service.opened
        assert service.client.get("/api/v1/session", headers=headers).status_code == 200
        assert service.opened == before + 1
        assert service.client.get("/api/v1/session", headers=headers).status_code == 200
        assert service.client.get("/api/v1/users", headers=headers).status_code == 200
        assert service.opened == before + 1


def _cookie(service: Service, name: str) -> str:
    assert service.sign_in(name).status_code == 201
    cookie = service.client.cookies["users_session"]
    service.client.cookies.clear()
    return f"users_session={cookie}"


def test_the_default_clock_is_utc(client: TestClient) -> None:
    """tests/signed_in.py's app keeps Security's own clock; its account is "tester"."""
    document = {
        "data": {"type": "sessions", "attributes": {"username": "tester", "password": PASSWORD}}
    }
    before = datetime.now(UTC)
    signed_in = client.post("/api/v1/session", json=document)
    after = datetime.now(UTC)
    assert signed_in.status_code == 201, signed_in.text
    expires_at = signed_in.json()["data"]["attributes"]["expires_at"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z", expires_at), expires_at
    ends = datetime.fromisoformat(expires_at)
    assert before + timedelta(hours=12) <= ends <= after + timedelta(hours=12)
