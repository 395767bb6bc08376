"""The session, account and token endpoints (account_routes.py) pinned exactly: each answer's
status, media type, headers and whole document, what each request changes, and the audit
line it leaves (the clock stands still: tests/http/accounts_service.py)."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from domain import account_use_cases as uc
from tests.http.accounts_service import BASE, NOON, Service, audit_lines
from tests.signed_in import PASSWORD, bearer

JSONAPI = "application/vnd.api+json"
NEW_PASSWORD = "marmalade-quasar-trellis"


@pytest.fixture
def service() -> Iterator[Service]:
    made = Service()
    with made.client:
        yield made


def _session(name: str, role: str, expires_at: str | None) -> dict[str, Any]:
    return {
        "jsonapi": {"version": "1.1"},
        "links": {"self": f"{BASE}/session"},
        "data": {
            "type": "sessions",
            "id": "current",
            "attributes": {"username": name, "role": role, "expires_at": expires_at},
            "links": {"self": f"{BASE}/session"},
        },
    }


def _account(account_id: int, name: str, role: str, enabled: bool = True) -> dict[str, Any]:
    return {
        "type": "accounts",
        "id": str(account_id),
        "attributes": {"name": name, "role": role, "enabled": enabled},
        "links": {"self": f"{BASE}/accounts/{account_id}"},
    }


def _single(resource: dict[str, Any]) -> dict[str, Any]:
    return {"jsonapi": {"version": "1.1"}, "links": resource["links"], "data": resource}


def _error(status: str, code: str, title: str, detail: str, **more: Any) -> dict[str, Any]:
    return {"status": status, "code": code, "title": title, "detail": detail, **more}


def _unknown_attribute(name: str) -> dict[str, Any]:
    return _error(
        "400",
        "invalid_document",
        "Invalid request document",
        f"unknown attribute '{name}'",
        source={"pointer": f"/data/attributes/{name}"},
    )


# -- /api/v1/session --------------------------------------------------------------------------


def test_sign_in_answers_201_with_the_session_the_cookie_and_its_location(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="users_service.audit"):
        caplog.clear()  # only this block's lines (an earlier test may leave INFO on)
        response = service.sign_in("editor")
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == JSONAPI
    assert response.headers["location"] == f"{BASE}/session"
    secret = service.client.cookies["users_session"]
    assert len(secret) >= 43
    assert response.headers["set-cookie"] == (
        f"users_session={secret}; HttpOnly; SameSite=Strict; Path=/"
    )
    # twelve hours idle end before the seven days' end
    assert response.json() == _session("editor", "editor", "2026-12-06T00:00:00Z")
    assert audit_lines(caplog) == ['sign_in account="editor" by="editor" address="testclient"']


def test_the_session_document_says_who_is_signed_in_by_cookie_and_by_token(
    service: Service,
) -> None:
    service.sign_in("viewer")
    by_cookie = service.client.get("/api/v1/session")
    assert by_cookie.status_code == 200
    assert by_cookie.headers["content-type"] == JSONAPI
    assert by_cookie.json() == _session("viewer", "viewer", "2026-12-06T00:00:00Z")
    service.client.cookies.clear()
    token = service.token("admin", role="editor", expires_in_days=2)
    by_token = service.client.get("/api/v1/session", headers=token)
    assert by_token.status_code == 200
    assert by_token.json() == _session("admin", "editor", "2026-12-07T12:00:00Z")


def test_signing_out_by_cookie_ends_the_session_at_once_and_clears_the_cookie(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    service.sign_in("viewer")
    secret = service.client.cookies["users_session"]
    assert service.client.get("/api/v1/session").status_code == 200  # now believed (cached)
    with caplog.at_level(logging.INFO, logger="users_service.audit"):
        caplog.clear()  # only this block's lines (an earlier test may leave INFO on)
        out = service.client.delete("/api/v1/session")
    assert out.status_code == 204
    assert out.content == b""
    assert out.headers["set-cookie"] == (
        "users_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"
    )
    assert audit_lines(caplog) == ['sign_out account="viewer" by="viewer" address="testclient"']
    service.client.cookies.clear()
    again = service.client.get("/api/v1/session", headers={"Cookie": f"users_session={secret}"})
    assert again.status_code == 401


def test_signing_out_with_a_token_clears_the_cookie_and_leaves_the_token_working(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    token = service.token("viewer")
    with caplog.at_level(logging.INFO, logger="users_service.audit"):
        caplog.clear()  # only this block's lines (an earlier test may leave INFO on)
        out = service.client.delete("/api/v1/session", headers=token)
    assert out.status_code == 204
    assert out.headers["set-cookie"] == (
        "users_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"
    )
    assert audit_lines(caplog) == []
    assert service.client.get("/api/v1/session", headers=token).status_code == 200


def test_over_https_both_cookies_are_secure(service: Service) -> None:
    secure = TestClient(service.client.app, base_url="https://users.example")
    document = {
        "data": {"type": "sessions", "attributes": {"username": "viewer", "password": PASSWORD}}
    }
    signed_in = secure.post("/api/v1/session", json=document)
    assert signed_in.status_code == 201
    secret = secure.cookies["users_session"]
    assert signed_in.headers["set-cookie"] == (
        f"users_session={secret}; HttpOnly; SameSite=Strict; Path=/; Secure"
    )
    assert signed_in.headers["location"] == "https://users.example/api/v1/session"
    out = secure.delete("/api/v1/session")
    assert out.status_code == 204
    assert out.headers["set-cookie"] == (
        "users_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0; Secure"
    )


def test_signing_in_again_ends_the_previous_session_even_one_just_believed(
    service: Service,
) -> None:
    service.sign_in("editor")
    old = service.client.cookies["users_session"]
    assert service.client.get("/api/v1/session").status_code == 200  # now believed (cached)
    assert service.sign_in("viewer").status_code == 201
    new = service.client.cookies["users_session"]
    service.client.cookies.clear()
    assert (
        service.client.get("/api/v1/session", headers={"Cookie": f"users_session={old}"})
    ).status_code == 401
    assert service.client.get(
        "/api/v1/session", headers={"Cookie": f"users_session={new}"}
    ).json() == _session("viewer", "viewer", "2026-12-06T00:00:00Z")


def test_sign_in_refuses_an_unknown_attribute(service: Service) -> None:
    document = {
        "data": {
            "type": "sessions",
            "attributes": {"username": "viewer", "password": PASSWORD, "remember": True},
        }
    }
    response = service.client.post("/api/v1/session", json=document)
    assert response.status_code == 400
    assert response.json()["errors"] == [_unknown_attribute("remember")]


def test_the_setup_code_creates_the_administrator_named_and_signs_them_in(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fresh = Service(roles=())
    client = fresh.client
    code = uc.issue_setup_code(fresh.accounts(), fresh.kit, NOON)
    assert code is not None
    attributes = {"username": "root", "password": NEW_PASSWORD, "setup_code": code}
    with client, caplog.at_level(logging.INFO, logger="users_service.audit"):
        caplog.clear()  # only this block's lines (an earlier test may leave INFO on)
        made = client.post(
            "/api/v1/session", json={"data": {"type": "sessions", "attributes": attributes}}
        )
        assert made.status_code == 201, made.text
        assert made.headers["location"] == f"{BASE}/session"
        secret = client.cookies["users_session"]
        assert made.headers["set-cookie"] == (
            f"users_session={secret}; HttpOnly; SameSite=Strict; Path=/"
        )
        assert made.json() == _session("root", "admin", "2026-12-06T00:00:00Z")
        assert audit_lines(caplog) == [
            'administrator_created account="root" by="root" address="testclient"'
        ]
        client.cookies.clear()
        plain = {"username": "root", "password": NEW_PASSWORD}
        signed_in = client.post(
            "/api/v1/session", json={"data": {"type": "sessions", "attributes": plain}}
        )
        assert signed_in.status_code == 201


@pytest.mark.parametrize("code", [7, None, ["x"]])
def test_a_setup_code_that_is_not_text_is_refused(service: Service, code: object) -> None:
    attributes = {"username": "root", "password": NEW_PASSWORD, "setup_code": code}
    response = service.client.post(
        "/api/v1/session", json={"data": {"type": "sessions", "attributes": attributes}}
    )
    assert response.status_code == 403
    assert response.json()["errors"] == [
        _error(
            "403",
            "invalid_setup_code",
            "Invalid set-up link",
            "this set-up link is not valid (any more)",
        )
    ]


# -- /api/v1/accounts -------------------------------------------------------------------------


def _admin(service: Service) -> dict[str, str]:
    return {**service.token("admin"), "Content-Type": JSONAPI}


def test_the_account_list_is_every_account_by_name(service: Service) -> None:
    response = service.client.get("/api/v1/accounts", headers=service.token("admin"))
    assert response.status_code == 200
    assert response.headers["content-type"] == JSONAPI
    assert response.json() == {
        "jsonapi": {"version": "1.1"},
        "links": {"self": f"{BASE}/accounts"},
        "meta": {"total": 3},
        "data": [
            _account(3, "admin", "admin"),
            _account(2, "editor", "editor"),
            _account(1, "viewer", "viewer"),
        ],
    }


def test_creating_an_account_answers_201_with_it_and_its_location(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    document = {
        "data": {
            "type": "accounts",
            "attributes": {"name": "Quinn", "role": "editor", "password": NEW_PASSWORD},
        }
    }
    admin = _admin(service)
    with caplog.at_level(logging.INFO, logger="users_service.audit"):
        caplog.clear()  # only this block's lines (an earlier test may leave INFO on)
        created = service.client.post("/api/v1/accounts", json=document, headers=admin)
    assert created.status_code == 201, created.text
    assert created.headers["content-type"] == JSONAPI
    assert created.headers["location"] == f"{BASE}/accounts/4"
    assert created.json() == _single(_account(4, "Quinn", "editor"))
    assert audit_lines(caplog) == [
        'account_created account="Quinn" by="admin" address="testclient"'
    ]
    assert service.sign_in("quinn", NEW_PASSWORD).status_code == 201


def test_an_account_document_refuses_an_unknown_attribute_and_a_client_id(
    service: Service,
) -> None:
    attributes = {"name": "Quinn", "role": "editor", "password": NEW_PASSWORD, "email": "q@x"}
    unknown = service.client.post(
        "/api/v1/accounts",
        json={"data": {"type": "accounts", "attributes": attributes}},
        headers=_admin(service),
    )
    assert unknown.status_code == 400
    assert unknown.json()["errors"] == [_unknown_attribute("email")]
    with_id = service.client.post(
        "/api/v1/accounts",
        json={"data": {"type": "accounts", "id": "9", "attributes": {"name": "Q"}}},
        headers=_admin(service),
    )
    assert with_id.status_code == 403
    assert with_id.json()["errors"][0]["code"] == "client_generated_id"


def test_one_account_is_read_by_its_id(service: Service) -> None:
    response = service.client.get("/api/v1/accounts/2", headers=service.token("admin"))
    assert response.status_code == 200
    assert response.headers["content-type"] == JSONAPI
    assert response.json() == _single(_account(2, "editor", "editor"))
    own = service.client.get("/api/v1/accounts/1", headers=service.token("viewer"))
    assert own.json() == _single(_account(1, "viewer", "viewer"))


@pytest.mark.parametrize("account_id", ["4", "2147483647", "2147483648", "9223372036854775807"])
def test_an_account_id_that_names_no_account_is_a_404(service: Service, account_id: str) -> None:
    response = service.client.get(f"/api/v1/accounts/{account_id}", headers=service.token("admin"))
    assert response.status_code == 404
    assert response.json()["errors"] == [_error("404", "not_found", "Not found", "no such account")]


def _patch(
    service: Service, account_id: int, admin: dict[str, str] | None = None, **attributes: Any
) -> Any:
    document = {"data": {"type": "accounts", "id": str(account_id), "attributes": attributes}}
    return service.client.patch(
        f"/api/v1/accounts/{account_id}", json=document, headers=admin or _admin(service)
    )


def test_changing_an_account_role_answers_the_changed_account_and_ends_its_credentials(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    editor = service.token("editor")
    assert service.client.get("/api/v1/session", headers=editor).status_code == 200  # cached
    admin = _admin(service)
    with caplog.at_level(logging.INFO, logger="users_service.audit"):
        caplog.clear()  # only this block's lines (an earlier test may leave INFO on)
        changed = _patch(service, 2, admin, role="viewer")
    assert changed.status_code == 200, changed.text
    assert changed.headers["content-type"] == JSONAPI
    assert changed.json() == _single(_account(2, "editor", "viewer"))
    assert audit_lines(caplog) == [
        'account_changed role=viewer account="editor" by="admin" address="testclient"'
    ]
    assert service.client.get("/api/v1/session", headers=editor).status_code == 401


def test_disabling_an_account_answers_it_disabled(service: Service) -> None:
    changed = _patch(service, 1, enabled=False)
    assert changed.status_code == 200, changed.text
    assert changed.json() == _single(_account(1, "viewer", "viewer", enabled=False))
    assert service.sign_in("viewer").status_code == 401


def test_changing_a_password_lets_the_new_one_sign_in_and_not_the_old(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    admin = _admin(service)
    with caplog.at_level(logging.INFO, logger="users_service.audit"):
        caplog.clear()  # only this block's lines (an earlier test may leave INFO on)
        changed = _patch(service, 2, admin, password=NEW_PASSWORD)
    assert changed.status_code == 200, changed.text
    assert changed.json() == _single(_account(2, "editor", "editor"))
    assert audit_lines(caplog) == [
        'account_changed password account="editor" by="admin" address="testclient"'
    ]
    assert service.sign_in("editor").status_code == 401
    assert service.sign_in("editor", NEW_PASSWORD).status_code == 201


def test_an_account_change_names_the_account_of_its_url(service: Service) -> None:
    document = {"data": {"type": "accounts", "id": "1", "attributes": {"role": "admin"}}}
    response = service.client.patch("/api/v1/accounts/2", json=document, headers=_admin(service))
    assert response.status_code == 409
    assert response.json()["errors"] == [
        _error(
            "409",
            "id_mismatch",
            "Conflict with this endpoint",
            "data.id must be '2', the id in the URL",
            source={"pointer": "/data/id"},
        )
    ]
    unknown = _patch(service, 2, name="renamed")
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["source"] == {"pointer": "/data/attributes/name"}


# -- /api/v1/tokens ---------------------------------------------------------------------------


def _token(
    token_id: int, label: str, account: str, role: str, expires_at: str | None = None
) -> dict[str, Any]:
    return {
        "type": "tokens",
        "id": str(token_id),
        "attributes": {
            "label": label,
            "account": account,
            "role": role,
            "created_at": "2026-12-05T12:00:00Z",
            "expires_at": expires_at,
        },
        "links": {"self": f"{BASE}/tokens/{token_id}"},
    }


def _new_token(service: Service, headers: dict[str, str], **attributes: Any) -> Any:
    return service.client.post(
        "/api/v1/tokens",
        json={"data": {"type": "tokens", "attributes": attributes}},
        headers={**headers, "Content-Type": JSONAPI},
    )


def test_creating_a_token_answers_201_with_its_secret_once(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    editor = service.token("editor")  # token 1
    with caplog.at_level(logging.INFO, logger="users_service.audit"):
        caplog.clear()  # only this block's lines (an earlier test may leave INFO on)
        created = _new_token(service, editor, label="deploys", role="viewer", expires_in_days=3)
    assert created.status_code == 201, created.text
    assert created.headers["content-type"] == JSONAPI
    assert created.headers["location"] == f"{BASE}/tokens/2"
    document = created.json()
    secret = document["data"]["attributes"].pop("secret")
    assert isinstance(secret, str) and len(secret) >= 43
    assert document == _single(_token(2, "deploys", "editor", "viewer", "2026-12-08T12:00:00Z"))
    assert audit_lines(caplog) == [
        'token_created id=2 account="editor" by="editor" address="testclient"'
    ]
    assert service.client.get("/api/v1/session", headers=bearer(secret)).json() == _session(
        "editor", "viewer", "2026-12-08T12:00:00Z"
    )


def test_a_token_without_a_role_or_end_has_its_account_role_and_no_end(service: Service) -> None:
    created = _new_token(service, service.token("editor"), label="ci")
    assert created.status_code == 201, created.text
    document = created.json()
    del document["data"]["attributes"]["secret"]
    assert document == _single(_token(2, "ci", "editor", "editor"))


@pytest.mark.parametrize("owner", ["viewer", "VIEWER"])
def test_an_admin_makes_a_token_for_another_account_by_name(service: Service, owner: str) -> None:
    created = _new_token(service, service.token("admin"), label="theirs", account=owner)
    assert created.status_code == 201, created.text
    document = created.json()
    del document["data"]["attributes"]["secret"]
    assert document == _single(_token(2, "theirs", "viewer", "viewer"))


def test_anyone_names_their_own_account_for_a_token_but_no_other(service: Service) -> None:
    viewer = service.token("viewer")
    own = _new_token(service, viewer, label="mine", account="viewer")
    assert own.status_code == 201, own.text
    assert own.json()["data"]["attributes"]["account"] == "viewer"
    other = _new_token(service, viewer, label="theirs", account="editor")
    assert other.status_code == 403
    assert other.json()["errors"][0]["code"] == "forbidden"


@pytest.mark.parametrize("owner", ["nobody", 3])
def test_a_token_for_an_account_that_does_not_exist_is_a_404(
    service: Service, owner: object
) -> None:
    response = _new_token(service, service.token("admin"), label="x", account=owner)
    assert response.status_code == 404
    assert response.json()["errors"] == [_error("404", "not_found", "Not found", "no such account")]


def test_a_token_document_refuses_an_unknown_attribute(service: Service) -> None:
    response = _new_token(service, service.token("admin"), label="x", scopes=["read"])
    assert response.status_code == 400
    assert response.json()["errors"] == [_unknown_attribute("scopes")]


def test_the_token_list_is_ones_own_and_an_admin_sees_every_one(service: Service) -> None:
    viewer = service.token("viewer")  # token 1
    admin = service.token("admin", expires_in_days=1)  # token 2
    mine = service.client.get("/api/v1/tokens", headers=viewer)
    assert mine.status_code == 200
    assert mine.headers["content-type"] == JSONAPI
    assert mine.json() == {
        "jsonapi": {"version": "1.1"},
        "links": {"self": f"{BASE}/tokens"},
        "meta": {"total": 1},
        "data": [_token(1, "t", "viewer", "viewer")],
    }
    every = service.client.get("/api/v1/tokens", headers=admin).json()
    assert every["data"] == [
        _token(1, "t", "viewer", "viewer"),
        _token(2, "t", "admin", "admin", "2026-12-06T12:00:00Z"),
    ]


def test_one_token_is_read_by_its_id_and_anothers_is_not_found(service: Service) -> None:
    viewer = service.token("viewer")  # token 1
    editor = service.token("editor")  # token 2
    read = service.client.get("/api/v1/tokens/1", headers=viewer)
    assert read.status_code == 200
    assert read.headers["content-type"] == JSONAPI
    assert read.json() == _single(_token(1, "t", "viewer", "viewer"))
    hidden = service.client.get("/api/v1/tokens/1", headers=editor)
    assert hidden.status_code == 404
    assert hidden.json()["errors"] == [_error("404", "not_found", "Not found", "no API token 1")]


@pytest.mark.parametrize("method", ["GET", "DELETE"])
@pytest.mark.parametrize("token_id", ["3", "2147483647", "2147483648", "9223372036854775807"])
def test_a_token_id_that_names_no_token_is_a_404_naming_that_id(
    service: Service, method: str, token_id: str
) -> None:
    service.token("viewer")  # token 1
    response = service.client.request(
        method, f"/api/v1/tokens/{token_id}", headers=service.token("admin")
    )
    assert response.status_code == 404
    assert response.json()["errors"] == [
        _error("404", "not_found", "Not found", f"no API token {token_id}")
    ]


def test_the_largest_account_and_token_ids_are_served(service: Service) -> None:
    """Ids are 32-bit in storage (PostgreSQL's integer): 2147483647 is the last that is."""
    service.store.last_ids = {"accounts": 2147483645, "tokens": 2147483645}
    below = service.add_account("below", "viewer")
    last = service.add_account("last", "editor")
    assert (below, last) == (2147483646, 2147483647)
    admin = service.token("admin")  # token 2147483646
    service.token("last")  # token 2147483647
    account = service.client.get("/api/v1/accounts/2147483647", headers=admin)
    assert account.status_code == 200, account.text
    assert account.json() == _single(_account(2147483647, "last", "editor"))
    token = service.client.get("/api/v1/tokens/2147483647", headers=admin)
    assert token.status_code == 200, token.text
    assert token.json() == _single(_token(2147483647, "t", "last", "editor"))
    assert service.client.delete("/api/v1/tokens/2147483647", headers=admin).status_code == 204
    assert service.client.get("/api/v1/tokens/2147483646", headers=admin).status_code == 200


def test_revoking_a_token_answers_204_and_refuses_it_at_once(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    viewer = service.token("viewer")  # token 1
    assert service.client.get("/api/v1/session", headers=viewer).status_code == 200  # cached
    with caplog.at_level(logging.INFO, logger="users_service.audit"):
        caplog.clear()  # only this block's lines (an earlier test may leave INFO on)
        revoked = service.client.delete("/api/v1/tokens/1", headers=viewer)
    assert revoked.status_code == 204
    assert revoked.content == b""
    assert audit_lines(caplog) == [
        'token_revoked id=1 account="viewer" by="viewer" address="testclient"'
    ]
    assert service.client.get("/api/v1/session", headers=viewer).status_code == 401


# -- every route: methods, Accept and Content-Type --------------------------------------------

ROUTES = [
    ("/api/v1/session", {"GET", "HEAD", "POST", "DELETE"}),
    ("/api/v1/accounts", {"GET", "HEAD", "POST"}),
    ("/api/v1/accounts/1", {"GET", "HEAD", "PATCH"}),
    ("/api/v1/tokens", {"GET", "HEAD", "POST"}),
    ("/api/v1/tokens/1", {"GET", "HEAD", "DELETE"}),
]


@pytest.mark.parametrize(("path", "allowed"), ROUTES)
def test_each_route_answers_its_methods_and_405_with_allow_for_the_others(
    service: Service, path: str, allowed: set[str]
) -> None:
    service.token("viewer")  # token 1
    admin = service.token("admin")
    for method in ("GET", "HEAD", "POST", "PATCH", "DELETE", "PUT"):
        response = service.client.request(method, path, headers=admin)
        if method in allowed:
            assert response.status_code != 405, (method, response.text)
        else:
            assert response.status_code == 405, (method, response.text)
            assert set(response.headers["allow"].split(", ")) == allowed


NEGOTIATED = [
    ("GET", "/api/v1/session"),
    ("POST", "/api/v1/session"),
    ("DELETE", "/api/v1/session"),
    ("GET", "/api/v1/accounts"),
    ("POST", "/api/v1/accounts"),
    ("GET", "/api/v1/accounts/1"),
    ("PATCH", "/api/v1/accounts/1"),
    ("GET", "/api/v1/tokens"),
    ("POST", "/api/v1/tokens"),
    ("GET", "/api/v1/tokens/1"),
    ("DELETE", "/api/v1/tokens/1"),
]


@pytest.mark.parametrize(("method", "path"), NEGOTIATED)
def test_each_endpoint_answers_406_to_an_accept_it_cannot_serve(
    service: Service, method: str, path: str
) -> None:
    headers = {**service.token("admin"), "Accept": f"{JSONAPI}; ext=atomic"}
    response = service.client.request(method, path, headers=headers)
    assert response.status_code == 406, response.text
    assert response.json()["errors"][0]["code"] == "not_acceptable"


BODIES = {
    "/api/v1/session": {
        "data": {"type": "sessions", "attributes": {"username": "viewer", "password": PASSWORD}}
    },
    "/api/v1/accounts": {
        "data": {
            "type": "accounts",
            "attributes": {"name": "Quinn", "role": "viewer", "password": NEW_PASSWORD},
        }
    },
    "/api/v1/accounts/1": {"data": {"type": "accounts", "id": "1", "attributes": {}}},
    "/api/v1/tokens": {"data": {"type": "tokens", "attributes": {"label": "x"}}},
}


@pytest.mark.parametrize(
    ("method", "path"),
    [(method, path) for method, path in NEGOTIATED if method in ("POST", "PATCH")],
)
def test_each_write_answers_415_to_a_body_that_is_not_json(
    service: Service, method: str, path: str
) -> None:
    headers = {**service.token("admin"), "Content-Type": "text/plain"}
    response = service.client.request(method, path, json=BODIES[path], headers=headers)
    assert response.status_code == 415, response.text
    assert response.json()["errors"][0]["code"] == "unsupported_media_type"
    headers["Content-Type"] = "application/json"
    accepted = service.client.request(method, path, json=BODIES[path], headers=headers)
    assert accepted.status_code in (200, 201), accepted.text


# -- over each adapter, and from a client without an address ----------------------------------


def test_accounts_and_tokens_are_made_and_read_over_each_adapter(any_client: TestClient) -> None:
    """The signed-in admin is "tester" (tests/signed_in.py). Account ids go on counting from
    test to test in PostgreSQL and MariaDB: the new one's is read from the answer."""
    headers = {"Content-Type": JSONAPI}
    document = {
        "data": {
            "type": "accounts",
            "attributes": {"name": "Quinn", "role": "viewer", "password": NEW_PASSWORD},
        }
    }
    created = any_client.post("/api/v1/accounts", json=document, headers=headers)
    assert created.status_code == 201, created.text
    account_id = int(created.json()["data"]["id"])
    assert created.json() == _single(_account(account_id, "Quinn", "viewer"))
    assert any_client.get(f"/api/v1/accounts/{account_id}").json() == created.json()
    token = any_client.post(
        "/api/v1/tokens",
        json={"data": {"type": "tokens", "attributes": {"label": "q", "account": "quinn"}}},
        headers=headers,
    )
    assert token.status_code == 201, token.text
    attributes = token.json()["data"]["attributes"]
    assert (attributes["account"], attributes["role"], attributes["expires_at"]) == (
        "Quinn",
        "viewer",
        None,
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", attributes["created_at"])
    assert any_client.get("/api/v1/session", headers=bearer(attributes["secret"])).json()["data"][
        "attributes"
    ] == {"username": "Quinn", "role": "viewer", "expires_at": None}


def test_a_request_without_a_client_address_is_audited_with_an_empty_one(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    transport = httpx.ASGITransport(app=service.client.app)
    transport.client = None  # type: ignore[assignment]  # a server that knows no peer
    sign_in = {
        "data": {"type": "sessions", "attributes": {"username": "viewer", "password": PASSWORD}}
    }
    new_token = {"data": {"type": "tokens", "attributes": {"label": "x"}}}

    async def scenario() -> list[int]:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            signed_in = await client.post("/api/v1/session", json=sign_in)
            created = await client.post("/api/v1/tokens", json=new_token)
            return [signed_in.status_code, created.status_code]

    with caplog.at_level(logging.INFO, logger="users_service.audit"):
        caplog.clear()  # only this block's lines (an earlier test may leave INFO on)
        statuses = asyncio.run(scenario())
    assert statuses == [201, 201]
    assert audit_lines(caplog) == [
        'sign_in account="viewer" by="viewer" address=""',
        'token_created id=1 account="viewer" by="viewer" address=""',
    ]
